/*
 * audit.c - one audit, the whole pipe: open the configuration's model
 * and classifier, probe the repository file by file (through the query
 * cache), classify each complete file, decide the repository, and build
 * the audit-result record of docs/audit-result.md.
 *
 * Nothing here prints: progress goes to the caller's callback and every
 * error into the record (and the thread's last error).  The record is
 * built as files arrive, so an audit that stops half-way still says what
 * it had done.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "audit/defaults.h"
#include "classifier/features.h"
#include "classifier/probe.h"
#include "classifier/svm.h"
#include "classifier/verdict.h"
#include "common/error.h"
#include "common/util.h"
#include "config.h"
#include "extractor/extract.h"
#include "extractor/source.h"

#define DEFAULT_MAX_EVIDENCE 100
#define CONFIDENCE 0.95

static const char *const fail_on_names[] = {
	[TRW_FAIL_ON_INCLUDED] = "included",
	[TRW_FAIL_ON_INCONCLUSIVE] = "inconclusive",
	[TRW_FAIL_ON_NEVER] = "never",
};

int trw_fail_on_parse(const char *s)
{
	for (size_t i = 0; s && i < sizeof(fail_on_names) / sizeof(fail_on_names[0]); i++)
		if (strcmp(s, fail_on_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *trw_fail_on_name(trw_fail_on f)
{
	if ((unsigned)f >= sizeof(fail_on_names) / sizeof(fail_on_names[0]))
		return NULL;
	return fail_on_names[f];
}

/* ---- the embedded defaults ------------------------------------------- */

static int readable(const char *path)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return 0;
	fclose(f);
	return 1;
}

int trw_audit_default_model(char **out)
{
	const char *env = getenv("TRAWIC_DEFAULT_MODEL");
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char path[4096];

	*out = NULL;
	if (env && *env) {
		if (!readable(env))
			return trw_error_set(TRW_ENOTFOUND,
			    "TRAWIC_DEFAULT_MODEL=%s: %s", env, strerror(errno));
		return (*out = trw_strdup(env)) ? 0 : TRW_ENOMEM;
	}
	if (xdg && *xdg)
		snprintf(path, sizeof(path), "%s/trawic/models/%s", xdg, TRW_DEFAULT_MODEL_NAME);
	else
		snprintf(path, sizeof(path), "%s/.cache/trawic/models/%s", home ? home : "",
		    TRW_DEFAULT_MODEL_NAME);
	if (readable(path))
		return (*out = trw_strdup(path)) ? 0 : TRW_ENOMEM;
	if (readable(TRW_DATADIR "/" TRW_DEFAULT_MODEL_NAME))
		return (*out = trw_strdup(TRW_DATADIR "/" TRW_DEFAULT_MODEL_NAME)) ? 0 : TRW_ENOMEM;
	return trw_error_set(TRW_ENOTFOUND,
	    "no default reference model (looked for %s and %s): build it with "
	    "`make default-model` (downloads the default corpus once), or name a model "
	    "with --model", path, TRW_DATADIR "/" TRW_DEFAULT_MODEL_NAME);
}

int trw_audit_default_classifier(const char **data, size_t *len, const char **name)
{
	const char *env = getenv("TRAWIC_DEFAULT_CLASSIFIER");

	if (env && *env) {
		*data = NULL;
		*len = 0;
		*name = env;
		return 0;
	}
	*data = trw_default_classifier;
	*len = trw_default_classifier_len;
	*name = "embedded";
	return 0;
}

int trw_audit_config_open(trw_config **out, const char *spec, const char *extra)
{
	trw_config *cfg = NULL;
	int error;

	if ((error = trw_config_open_default(&cfg, NULL)) < 0)
		goto done;
	if (spec && (error = trw_config_add_repo(cfg, spec)) < 0)
		goto done;
	if (extra && (error = trw_config_add_file(cfg, extra, TRW_CONFIG_FILE, 1)) < 0)
		goto done;
	if ((error = trw_config_validate(cfg)) < 0)
		goto done;
done:
	if (error < 0) {
		trw_config_free(cfg);
		cfg = NULL;
	}
	*out = cfg;
	return error;
}

/* ---- JSON helpers ----------------------------------------------------- */

/* A JSON string of s[0:len], invalid UTF-8 bytes replaced by U+FFFD (a
 * model's answer is not trusted to be UTF-8). */
static json_t *jstr_lossy(const char *s, size_t len)
{
	trw_buf b = TRW_BUF_INIT(0);
	json_t *j;
	size_t i = 0;

	if (!s)
		return json_null();
	if (trw_utf8_valid(s, len))
		return json_stringn(s, len);
	while (i < len) {
		size_t n = 1;
		unsigned char c = (unsigned char)s[i];

		if (c >= 0xc0 && c < 0xe0)
			n = 2;
		else if (c >= 0xe0 && c < 0xf0)
			n = 3;
		else if (c >= 0xf0 && c < 0xf8)
			n = 4;
		if (c < 0x80 || (i + n <= len && trw_utf8_valid(s + i, n))) {
			trw_buf_put(&b, s + i, c < 0x80 ? 1 : n);
			i += c < 0x80 ? 1 : n;
		} else {
			trw_buf_puts(&b, "\xef\xbf\xbd");
			i++;
		}
	}
	j = json_stringn(b.ptr ? b.ptr : "", b.size);
	trw_buf_dispose(&b);
	return j;
}

static json_t *jreal_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static void utc_now(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *error_code_name(int code)
{
	switch (code) {
	case TRW_ENOTFOUND: return "not_found";
	case TRW_EINVALID: return "invalid";
	case TRW_ETOOBIG: return "too_large";
	case TRW_EIO: return "io";
	case TRW_EMODEL: return "model";
	case TRW_ENOTREPO: return "not_a_repository";
	case TRW_ECLONE: return "clone";
	case TRW_EQUERY: return "query_file";
	case TRW_EAMBIGUOUS: return "ambiguous";
	case TRW_ECANCEL: return "cancelled";
	default: return "internal";
	}
}

/* ---- the audit -------------------------------------------------------- */

typedef struct audit {
	const trw_audit_options *opts;
	json_t *rec, *files, *skipped, *errors, *warnings;
	trw_classifier *classifier;
	unsigned schema;
	size_t ncols;
	const trw_feature_schema *fs;
	size_t max_evidence;
	double *probs;			/* of files with a probability */
	size_t nprobs, cap;
	uint64_t files_seen, files_failed, excluded, elements;
	uint64_t t0;
	int cancelled;
	trw_audit_progress last;
	int first_failure_recorded;
} audit;

static void add_error(audit *a, int code, const char *message)
{
	json_array_append_new(a->errors, json_pack("{s:s, s:s}", "code", error_code_name(code),
	    "message", message ? message : "unknown error"));
}

static int call_progress(audit *a, const char *phase)
{
	a->last.phase = phase;
	a->last.seconds = (trw_now_ns() - a->t0) / 1e9;
	if (a->opts->progress && a->opts->progress(&a->last, a->opts->progress_payload) != 0)
		a->cancelled = 1;
	return a->cancelled;
}

static int on_probe_progress(const trw_probe_progress *p, void *payload)
{
	audit *a = payload;

	a->last.files_done = p->files_done;
	a->last.files_total = p->files_total;
	a->last.queries_done = p->queries_done;
	a->last.queries_failed = p->queries_failed;
	a->last.cache_hits = p->cache_hits;
	a->last.model_calls = p->model_calls;
	return call_progress(a, "probing");
}

static json_t *kinds_object(const trw_probe_file *pf)
{
	json_t *o = json_object();

	for (int k = 0; k < TRW_KIND__COUNT; k++) {
		unsigned h = pf->hits[k], t = pf->totals[k];

		json_object_set_new(o, trw_kind_name((trw_kind)k), json_pack("{s:I, s:I, s:o}",
		    "hits", (json_int_t)h, "total", (json_int_t)t,
		    "rate", t ? json_real((double)h / t) : json_null()));
	}
	return o;
}

static json_t *evidence_array(const audit *a, const trw_probe_file *pf, uint64_t *total)
{
	json_t *ev = json_array();

	*total = 0;
	for (size_t i = 0; i < pf->count; i++) {
		const trw_probe_item *it = &pf->items[i];

		if (it->hit != 1)
			continue;
		if (*total < a->max_evidence)
			json_array_append_new(ev, json_pack("{s:s, s:I, s:I, s:o, s:o, s:i}",
			    "kind", trw_kind_name(it->cand.kind),
			    "line", (json_int_t)it->cand.line, "col", (json_int_t)it->cand.col,
			    "original", jstr_lossy(it->cand.text,
				it->cand.end_byte - it->cand.start_byte),
			    "completion", jstr_lossy(it->completion, it->completion_len),
			    "similarity", it->similarity));
		(*total)++;
	}
	return ev;
}

static int on_file(const trw_probe_file *pf, void *payload)
{
	audit *a = payload;
	const trw_file *f = pf->file;
	double x[TRW_FEATURES_MAX_COLUMNS], p = NAN;
	json_t *jf, *feat;
	uint64_t evidence_total;
	const char *message = NULL;

	a->files_seen++;
	if (f->skipped != TRW_SKIP_NONE) {
		if (f->skipped == TRW_SKIP_EXCLUDED_PATH)
			a->excluded++;
		json_array_append_new(a->skipped, json_pack("{s:s, s:s}", "path", f->path,
		    "reason", trw_skip_name(f->skipped)));
		return a->cancelled ? TRW_ECANCEL : 0;
	}
	a->elements += pf->count;
	for (size_t i = 0; i < pf->count && !message; i++)
		if (pf->items[i].error)
			message = pf->items[i].message ? pf->items[i].message : "query failed";

	feat = json_object();
	if (pf->failed == 0) {
		int error = trw_features_from_probe(x, a->schema, pf);

		if (error == 0)
			error = trw_classifier_predict(&p, a->classifier, x);
		if (error < 0) {
			json_decref(feat);
			return error;
		}
		for (size_t c = 0; c < a->ncols; c++)
			json_object_set_new(feat, a->fs->columns[c], jreal_or_null(x[c]));
		if (a->nprobs == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 64;
			double *np = realloc(a->probs, cap * sizeof(*np));

			if (!np) {
				json_decref(feat);
				return trw_error_oom();
			}
			a->probs = np;
			a->cap = cap;
		}
		a->probs[a->nprobs++] = p;
	} else {
		a->files_failed++;
		if (!a->first_failure_recorded) {
			char buf[1024];

			snprintf(buf, sizeof(buf), "%s: %zu queries failed; first: %s", f->path,
			    pf->failed, message ? message : "query failed");
			add_error(a, TRW_EMODEL, buf);
			a->first_failure_recorded = 1;
		}
	}

	jf = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:I, s:o, s:o, s:o}",
	    "path", f->path, "blob", f->blob, "lang", f->lang ? f->lang->name : "unknown",
	    "size", (json_int_t)f->size,
	    "probability", isfinite(p) ? json_real(p) : json_null(),
	    "member", isfinite(p) ? json_boolean(p >= json_real_value(json_object_get(
		json_object_get(a->rec, "configuration"), "file_threshold"))) : json_null(),
	    "failed_queries", (json_int_t)pf->failed,
	    "error", message ? jstr_lossy(message, strlen(message)) : json_null(),
	    "kinds", kinds_object(pf),
	    "features", feat);
	if (!jf)
		return trw_error_oom();
	json_object_set_new(jf, "evidence", evidence_array(a, pf, &evidence_total));
	json_object_set_new(jf, "evidence_total", json_integer((json_int_t)evidence_total));
	json_array_append_new(a->files, jf);
	return a->cancelled ? TRW_ECANCEL : 0;
}

/* ---- settings: options over configuration over defaults ---------------- */

typedef struct settings {
	char *model, *classifier;
	double threshold, file_threshold;
	int semantic_threshold;
	unsigned kinds;
	uint64_t max_file_size;
	trw_fail_on fail_on;
	char **paths;			/* NULL-terminated, owned */
	size_t npaths;
	json_t *origin;
} settings;

static void settings_free(settings *s)
{
	free(s->model);
	free(s->classifier);
	trw_config_strings_free(s->paths);
	json_decref(s->origin);
}

static void note_origin(settings *s, const trw_config *cfg, const char *name, const char *key)
{
	char *file = NULL, buf[4200];
	int line = 0;

	if (!key) {
		json_object_set_new(s->origin, name, json_string("command line"));
		return;
	}
	if (trw_config_get_origin(cfg, key, &file, &line) == 0 && file) {
		snprintf(buf, sizeof(buf), "%s:%d", file, line);
		json_object_set_new(s->origin, name, json_string(buf));
	}
	free(file);
}

/* 0 and *out set, 1 when unset (*out untouched), or an error. */
static int cfg_real(const trw_config *cfg, const char *key, double *out)
{
	double v;
	int error = trw_config_get_real(cfg, key, &v);

	if (error == 0)
		*out = v;
	return error == TRW_ENOTFOUND ? 1 : error;
}

static int resolve_settings(settings *s, const trw_audit_options *o, const trw_config *cfg)
{
	long long v;
	uint64_t size;
	char *str = NULL, *str2 = NULL;
	int error = 0, rc;

	memset(s, 0, sizeof(*s));
	s->origin = json_object();
	s->threshold = s->file_threshold = -1;
	s->semantic_threshold = 60;
	s->kinds = TRW_KIND_ALL;
	s->max_file_size = 1024 * 1024;
	s->fail_on = TRW_FAIL_ON_INCLUDED;

	if (o->model) {
		s->model = trw_strdup(o->model);
		note_origin(s, cfg, "model", NULL);
	} else if ((error = trw_config_get_string(cfg, "audit.model", &s->model)) == 0) {
		note_origin(s, cfg, "model", "audit.model");
	} else if (error != TRW_ENOTFOUND)
		goto done;
	if (o->classifier) {
		s->classifier = trw_strdup(o->classifier);
		note_origin(s, cfg, "classifier", NULL);
	} else if ((error = trw_config_get_string(cfg, "audit.classifier", &s->classifier)) == 0) {
		note_origin(s, cfg, "classifier", "audit.classifier");
	} else if (error != TRW_ENOTFOUND)
		goto done;

	if (o->threshold >= 0) {
		s->threshold = o->threshold;
		note_origin(s, cfg, "threshold", NULL);
	} else if ((rc = cfg_real(cfg, "audit.threshold", &s->threshold)) < 0) {
		error = rc;
		goto done;
	} else if (rc == 0)
		note_origin(s, cfg, "threshold", "audit.threshold");
	if (o->file_threshold >= 0) {
		s->file_threshold = o->file_threshold;
		note_origin(s, cfg, "file_threshold", NULL);
	} else if ((rc = cfg_real(cfg, "audit.file-threshold", &s->file_threshold)) < 0) {
		error = rc;
		goto done;
	} else if (rc == 0)
		note_origin(s, cfg, "file_threshold", "audit.file-threshold");
	if (o->semantic_threshold >= 0) {
		s->semantic_threshold = o->semantic_threshold;
		note_origin(s, cfg, "semantic_threshold", NULL);
	} else if ((error = trw_config_get_int(cfg, "audit.semantic-threshold", &v)) == 0) {
		s->semantic_threshold = (int)v;
		note_origin(s, cfg, "semantic_threshold", "audit.semantic-threshold");
	} else if (error != TRW_ENOTFOUND)
		goto done;
	if (o->kinds) {
		s->kinds = o->kinds;
		note_origin(s, cfg, "kinds", NULL);
	} else if ((error = trw_config_get_string(cfg, "audit.kinds", &str)) == 0) {
		char *save = NULL, *tok;

		s->kinds = 0;
		for (tok = strtok_r(str, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			int k = trw_kind_from_name(tok);

			if (k < 0) {
				error = trw_error_set(TRW_EINVALID,
				    "audit.kinds: unknown kind '%s'", tok);
				goto done;
			}
			s->kinds |= 1u << k;
		}
		note_origin(s, cfg, "kinds", "audit.kinds");
	} else if (error != TRW_ENOTFOUND)
		goto done;
	if (o->max_file_size) {
		s->max_file_size = o->max_file_size;
		note_origin(s, cfg, "max_file_size", NULL);
	} else if ((error = trw_config_get_size(cfg, "audit.max-file-size", &size)) == 0) {
		s->max_file_size = size;
		note_origin(s, cfg, "max_file_size", "audit.max-file-size");
	}
	else if (error != TRW_ENOTFOUND)
		goto done;
	if (o->fail_on_set) {
		s->fail_on = o->fail_on;
		note_origin(s, cfg, "fail_on", NULL);
	} else if ((error = trw_config_get_string(cfg, "audit.fail-on", &str2)) == 0) {
		int f = trw_fail_on_parse(str2);

		if (f < 0) {
			error = trw_error_set(TRW_EINVALID,
			    "audit.fail-on: '%s' is not included, inconclusive or never", str2);
			goto done;
		}
		s->fail_on = (trw_fail_on)f;
		note_origin(s, cfg, "fail_on", "audit.fail-on");
	} else if (error != TRW_ENOTFOUND)
		goto done;
	if (o->paths) {
		size_t n = 0;

		while (o->paths[n])
			n++;
		if (!(s->paths = calloc(n + 1, sizeof(char *)))) {
			error = trw_error_oom();
			goto done;
		}
		for (size_t i = 0; i < n; i++)
			if (!(s->paths[i] = trw_strdup(o->paths[i]))) {
				error = TRW_ENOMEM;
				goto done;
			}
		s->npaths = n;
		note_origin(s, cfg, "paths", NULL);
	} else if ((error = trw_config_get_all(cfg, "audit.paths", &s->paths, &s->npaths)) == 0)
		note_origin(s, cfg, "paths", "audit.paths");
	else if (error != TRW_ENOTFOUND)
		goto done;
	error = 0;
	if (s->semantic_threshold > 100)
		error = trw_error_set(TRW_EINVALID, "semantic threshold %d is not 0-100",
		    s->semantic_threshold);
	else if (s->threshold > 1 || s->file_threshold > 1)
		error = trw_error_set(TRW_EINVALID, "thresholds are probabilities, 0 to 1");
done:
	free(str);
	free(str2);
	return error;
}

/* ---- the record ------------------------------------------------------- */

static json_t *kinds_list(unsigned mask)
{
	json_t *a = json_array();

	for (int k = 0; k < TRW_KIND__COUNT; k++)
		if (mask & (1u << k))
			json_array_append_new(a, json_string(trw_kind_name((trw_kind)k)));
	return a;
}

static json_t *paths_list(const settings *s)
{
	json_t *a;

	if (!s->paths || s->npaths == 0)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < s->npaths; i++)
		json_array_append_new(a, json_string(s->paths[i]));
	return a;
}

static json_t *str_or_null(const char *s)
{
	return s ? jstr_lossy(s, strlen(s)) : json_null();
}

static json_t *classifier_object(const trw_classifier *c, const char *source,
    const char *checksum)
{
	const trw_classifier_info *info = trw_classifier_get_info(c);
	const trw_classifier_provenance *pv = info->provenance;
	const trw_cv_summary *cv = info->cv;
	json_t *jcv = json_null();

	if (cv)
		jcv = json_pack("{s:o, s:o}", "file_auc", jreal_or_null(cv->file.auc),
		    "repository_auc", jreal_or_null(cv->repository.auc));
	return json_pack("{s:s, s:o, s:i, s:{s:o, s:o, s:o, s:o}, s:o}",
	    "source", source, "checksum", str_or_null(checksum), "schema", (int)info->schema,
	    "provenance",
	    "model", str_or_null(pv->model),
	    "corpus_manifest_sha256", str_or_null(pv->corpus_manifest_sha256),
	    "trawic_version", str_or_null(pv->trawic_version),
	    "created", str_or_null(pv->created),
	    "cv", jcv);
}

/* The classifier's "checksum" field, read from its bytes. */
static char *checksum_of(const char *data, size_t len)
{
	json_t *doc = json_loadb(data, len, 0, NULL);
	const char *s = doc ? json_string_value(json_object_get(doc, "checksum")) : NULL;
	char *out = s ? trw_strdup(s) : NULL;

	json_decref(doc);
	return out;
}

static int load_classifier(audit *a, const settings *s, json_t **jc)
{
	const char *data = NULL, *name = NULL;
	char *buf = NULL, *sum = NULL;
	size_t len = 0;
	int error;

	if (s->classifier) {
		name = s->classifier;
	} else if ((error = trw_audit_default_classifier(&data, &len, &name)) < 0)
		return error;
	if (!data) {
		FILE *f = fopen(name, "rb");
		trw_buf b = TRW_BUF_INIT(64u << 20);
		char chunk[65536];
		size_t n;

		if (!f)
			return trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO,
			    "classifier %s: %s", name, strerror(errno));
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			if ((error = trw_buf_put(&b, chunk, n)) < 0) {
				fclose(f);
				trw_buf_dispose(&b);
				return trw_error_set(error, "classifier %s: too large", name);
			}
		fclose(f);
		buf = b.ptr;
		data = buf ? buf : "";
		len = b.size;
	}
	if ((error = trw_classifier_load_buffer(&a->classifier, data, len, 0)) < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "classifier %s: %s", name, trw_error_last());
		error = trw_error_set(error, "%s", msg);
		goto done;
	}
	a->schema = trw_classifier_get_info(a->classifier)->schema;
	if ((error = trw_features_schema(&a->fs, a->schema)) < 0)
		goto done;
	a->ncols = a->fs->ncols;
	sum = checksum_of(data, len);
	*jc = classifier_object(a->classifier, s->classifier ? s->classifier : "embedded", sum);
done:
	free(sum);
	free(buf);
	return error;
}

static json_t *new_record(const trw_audit_options *o, const settings *s, const char *started)
{
	char ver[64];

	snprintf(ver, sizeof(ver), "%s", PACKAGE_VERSION);
	return json_pack("{s:s, s:i, s:{s:s, s:s}, s:s, s:b, s:[], s:[], "
	    "s:{s:o, s:s, s:n}, s:{s:o, s:n}, s:n, "
	    "s:{s:f, s:f, s:f, s:i, s:o, s:I, s:o, s:s, s:o}, "
	    "s:{s:s, s:s, s:f}, s:{}, s:n, s:[], s:[]}",
	    "format", TRW_AUDIT_RESULT_FORMAT, "format_version", TRW_AUDIT_RESULT_VERSION,
	    "tool", "name", "trawic", "version", ver,
	    "status", "failed", "complete", 0, "errors", "warnings",
	    "repository", "spec", str_or_null(o->spec), "revision", o->rev ? o->rev : "HEAD",
	    "commit",
	    "model", "spec", str_or_null(s->model), "identity",
	    "classifier",
	    "configuration",
	    "threshold", s->threshold >= 0 ? s->threshold : TRW_VERDICT_REPO_THRESHOLD,
	    "file_threshold", s->file_threshold >= 0 ? s->file_threshold : TRW_VERDICT_FILE_THRESHOLD,
	    "confidence", CONFIDENCE,
	    "semantic_threshold", s->semantic_threshold,
	    "kinds", kinds_list(s->kinds),
	    "max_file_size", (json_int_t)s->max_file_size,
	    "paths", paths_list(s),
	    "fail_on", trw_fail_on_name(s->fail_on),
	    "origin", json_deep_copy(s->origin),
	    "timing", "started", started, "finished", started, "seconds", 0.0,
	    "counts", "verdict", "files", "skipped");
}

static void set_counts(audit *a, const trw_probe_stats *st)
{
	json_t *c = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "files_seen", (json_int_t)a->files_seen,
	    "files_audited", (json_int_t)a->nprobs,
	    "files_failed", (json_int_t)a->files_failed,
	    "files_skipped", (json_int_t)json_array_size(a->skipped),
	    "files_excluded_by_paths", (json_int_t)a->excluded,
	    "elements", (json_int_t)a->elements,
	    "queries", (json_int_t)st->queries,
	    "queries_failed", (json_int_t)st->queries_failed,
	    "cache_hits", (json_int_t)st->cache_hits,
	    "model_calls", (json_int_t)st->model_calls,
	    "deduplicated", (json_int_t)st->deduplicated);

	json_object_set_new(a->rec, "counts", c);
}

static json_t *verdict_object(const trw_verdict *v)
{
	return json_pack("{s:s, s:I, s:I, s:o, s:[f, f], s:f, s:f, s:o, s:s}",
	    "verdict", trw_verdict_name(v->verdict),
	    "files", (json_int_t)v->files, "member_files", (json_int_t)v->member_files,
	    "fraction", jreal_or_null(v->fraction),
	    "interval", v->lower, v->upper,
	    "confidence", CONFIDENCE,
	    "threshold", v->threshold,
	    "mean_probability", jreal_or_null(v->mean_probability),
	    "reason", v->reason ? v->reason : "");
}

int trw_audit_run(json_t **out, const trw_audit_options *opts)
{
	trw_config *own_cfg = NULL;
	const trw_config *cfg;
	trw_engine *engine = NULL;
	trw_probe_options popts = TRW_PROBE_OPTIONS_INIT;
	trw_engine_options eopts;
	trw_probe_stats st;
	settings s;
	audit a;
	char started[32], finished[32], *model_path = NULL, *model_spec = NULL;
	json_t *jc = NULL;
	const char *status = "failed";
	int error = 0, settings_ok = 0, inited = 0;

	*out = NULL;
	if (!opts || opts->version != TRW_AUDIT_OPTIONS_VERSION || !opts->spec)
		return trw_error_set(TRW_EINVALID, "audit options: %s",
		    !opts || opts->version != TRW_AUDIT_OPTIONS_VERSION ?
		    "unknown version" : "no repository");
	memset(&a, 0, sizeof(a));
	memset(&st, 0, sizeof(st));
	a.opts = opts;
	a.t0 = trw_now_ns();
	a.max_evidence = opts->max_evidence ? opts->max_evidence : DEFAULT_MAX_EVIDENCE;
	utc_now(started, sizeof(started));

	cfg = opts->config;
	if (!cfg) {
		error = trw_audit_config_open(&own_cfg, opts->spec, NULL);
		cfg = own_cfg;
	}
	if (error == 0) {
		error = resolve_settings(&s, opts, cfg);
		settings_ok = 1;
	} else {
		memset(&s, 0, sizeof(s));
		s.origin = json_object();
		s.threshold = s.file_threshold = -1;
		s.kinds = TRW_KIND_ALL;
		s.max_file_size = 1024 * 1024;
		settings_ok = 1;
	}
	a.rec = new_record(opts, &s, started);
	if (!a.rec) {
		error = trw_error_oom();
		goto out;
	}
	a.files = json_object_get(a.rec, "files");
	a.skipped = json_object_get(a.rec, "skipped");
	a.errors = json_object_get(a.rec, "errors");
	a.warnings = json_object_get(a.rec, "warnings");
	if (error < 0) {
		add_error(&a, error, trw_error_last());
		goto finish;
	}

	call_progress(&a, "opening");

	/* the classifier first: it is local, and it fixes the schema */
	if ((error = load_classifier(&a, &s, &jc)) < 0) {
		add_error(&a, error, trw_error_last());
		goto finish;
	}
	json_object_set_new(a.rec, "classifier", jc);
	{
		const trw_classifier_info *info = trw_classifier_get_info(a.classifier);
		json_t *conf = json_object_get(a.rec, "configuration");

		if (s.threshold < 0)
			json_object_set_new(conf, "threshold", json_real(info->repo_threshold));
		if (s.file_threshold < 0)
			json_object_set_new(conf, "file_threshold", json_real(info->file_threshold));
	}

	/* the model */
	if (!s.model) {
		if ((error = trw_audit_default_model(&model_path)) < 0) {
			add_error(&a, error, trw_error_last());
			goto finish;
		}
		if (asprintf(&model_spec, "ref:%s", model_path) < 0) {
			model_spec = NULL;
			error = trw_error_oom();
			goto finish;
		}
		json_object_set_new(json_object_get(a.rec, "model"), "spec",
		    jstr_lossy(model_spec, strlen(model_spec)));
	}
	eopts = opts->engine;
	if (!eopts.config)
		eopts.config = cfg;
	if ((error = trw_engine_new(&engine, s.model ? s.model : model_spec, &eopts)) < 0) {
		add_error(&a, error, trw_error_last());
		goto finish;
	}
	json_object_set_new(json_object_get(a.rec, "model"), "identity",
	    json_string(trw_engine_identity(engine)));
	{
		const char *trained = trw_classifier_get_provenance(a.classifier)->model;
		const char *id = trw_engine_identity(engine);

		if (trained && strcmp(trained, id) != 0) {
			char w[1024];

			snprintf(w, sizeof(w), "the classifier was trained on model %s; this "
			    "audit uses %s: its probabilities are not calibrated for it",
			    trained, id);
			json_array_append_new(a.warnings, json_string(w));
		}
	}

	/* the probe, file by file */
	if ((error = trw_source_global_init()) < 0) {
		add_error(&a, error, trw_error_last());
		goto finish;
	}
	inited = 1;
	popts.rev = opts->rev;
	popts.kinds = s.kinds;
	popts.semantic_threshold = s.semantic_threshold;
	popts.want_logprobs = a.schema >= 2;
	popts.threads = opts->threads;
	popts.source.max_file_size = s.max_file_size;
	popts.source.paths = (const char *const *)s.paths;
	popts.source.cache_dir = opts->clone_dir;
	popts.progress = on_probe_progress;
	popts.progress_payload = &a;
	error = trw_probe_run(engine, opts->spec, &popts, on_file, &a, &st);
	if (error == TRW_ECANCEL || a.cancelled) {
		error = trw_error_set(TRW_ECANCEL, "the audit was cancelled");
		add_error(&a, error, trw_error_last());
		status = "cancelled";
		goto finish;
	}
	if (error < 0 && error != TRW_EMODEL) {
		add_error(&a, error, trw_error_last());
		goto finish;
	}
	if (error == TRW_EMODEL || a.files_failed || st.queries_failed) {
		if (!a.first_failure_recorded)
			add_error(&a, TRW_EMODEL, trw_error_last());
		error = TRW_EMODEL;
		status = "incomplete";
		goto finish;
	}

	/* the verdict */
	{
		trw_verdict v;
		trw_verdict_options vo = TRW_VERDICT_OPTIONS_INIT;
		json_t *conf = json_object_get(a.rec, "configuration");

		call_progress(&a, "classifying");
		vo.threshold = json_real_value(json_object_get(conf, "threshold"));
		vo.file_threshold = json_real_value(json_object_get(conf, "file_threshold"));
		if ((error = trw_verdict_compute(&v, a.probs, a.nprobs, &vo)) < 0) {
			add_error(&a, error, trw_error_last());
			goto finish;
		}
		json_object_set_new(a.rec, "verdict", verdict_object(&v));
		status = "complete";
	}

finish:
	if (a.rec) {
		set_counts(&a, &st);
		json_object_set_new(a.rec, "status", json_string(status));
		json_object_set_new(a.rec, "complete", json_boolean(strcmp(status, "complete") == 0));
		utc_now(finished, sizeof(finished));
		json_object_set_new(json_object_get(a.rec, "timing"), "finished",
		    json_string(finished));
		json_object_set_new(json_object_get(a.rec, "timing"), "seconds",
		    json_real((trw_now_ns() - a.t0) / 1e9));
		if (st.commit[0])
			json_object_set_new(json_object_get(a.rec, "repository"), "commit",
			    json_string(st.commit));
		a.last.files_done = a.files_seen;
		call_progress(&a, "done");
	}
out:
	*out = a.rec;
	if (inited)
		trw_source_global_shutdown();
	trw_engine_free(engine);
	trw_classifier_free(a.classifier);
	free(a.probs);
	free(model_path);
	free(model_spec);
	if (settings_ok)
		settings_free(&s);
	trw_config_free(own_cfg);
	return strcmp(status, "complete") == 0 ? 0 : (error < 0 ? error : TRW_ERROR);
}

int trw_audit_exit_code(const json_t *result, trw_fail_on fail_on)
{
	const char *status, *verdict;

	if (!json_is_object(result) || !json_is_string(json_object_get(result, "format")) ||
	    strcmp(json_string_value(json_object_get(result, "format")),
	    TRW_AUDIT_RESULT_FORMAT) != 0)
		return 2;
	status = json_string_value(json_object_get(result, "status"));
	if (!status || strcmp(status, "complete") != 0)
		return 2;
	verdict = json_string_value(json_object_get(json_object_get(result, "verdict"),
	    "verdict"));
	if (!verdict)
		return 2;
	if (fail_on == TRW_FAIL_ON_NEVER)
		return 0;
	if (strcmp(verdict, "included") == 0)
		return 1;
	if (strcmp(verdict, "inconclusive") == 0 && fail_on == TRW_FAIL_ON_INCONCLUSIVE)
		return 1;
	return 0;
}
