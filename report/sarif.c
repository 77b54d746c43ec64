/*
 * sarif.c - the audit result as SARIF 2.1.0, shaped for GitHub code
 * scanning (docs: "SARIF support for code scanning").
 *
 * One run; two rules whose ids and indices never change:
 *
 *   TRW001 (index 0)  a file judged a member of the training set: one
 *                     result per file with "member": true, level warning.
 *   TRW002 (index 1)  the repository verdict: one result when the verdict
 *                     is "included" (level error) or "inconclusive"
 *                     (level note); none for "not_included" or when there
 *                     is no verdict.
 *
 * Locations.  A TRW001 result points at the file's first piece of
 * evidence (line, col of the record; the end from the length of the
 * reproduced element, which itself is never written), or 1:1 when it has
 * none.  A TRW002 result is about the whole repository, which SARIF
 * cannot point at; GitHub displays results on files only, so it is put on
 * line 1 of the first audited file in tree order (the record's files[0]),
 * which stays the same from run to run as long as that file exists.
 *
 * Fingerprints.  partialFingerprints.primaryLocationLineHash is a 64-bit
 * FNV-1a hash, in hex, of "TRW001\0<path>" (TRW001) or of "TRW002"
 * (TRW002), with the ":1" occurrence suffix GitHub's own tools use.  It
 * deliberately leaves out the blob, the line and the probability: an
 * edit to a file, or a new model, keeps the same alert open instead of
 * closing it and opening another; and the one repository alert stays one
 * alert even if the file it is shown on changes.
 *
 * Category.  automationDetails.id is "trawic/<revision>/": uploads for
 * the same revision name (HEAD, main) replace each other's alerts.
 *
 * Limits.  At most TRW_SARIF_MAX_RESULTS results per run (GitHub's
 * 25,000): past it the members with the highest probabilities are kept
 * and run.properties says how many were left out.  Every message and
 * description is at most 1,024 characters.  Nothing the model completed
 * and no original text goes into the log (they may be secrets): evidence
 * is reported as counts only.  No region.snippet, ever.
 *
 * Audits that did not complete render too: invocations[0] says
 * executionSuccessful false and carries the record's errors, warnings and
 * the files whose queries failed as toolExecutionNotifications.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"
#include "report/util.h"

#define TRW_SARIF_MAX_RESULTS 25000
#define MAX_TEXT 1024		/* GitHub: message and description length */
#define MAX_FAILED_FILE_NOTES 100

/* Set to the project's home page once it has one. */
#ifndef TRW_SARIF_INFORMATION_URI
#define TRW_SARIF_INFORMATION_URI ""
#endif

#define SCHEMA_URI "https://json.schemastore.org/sarif-2.1.0.json"

enum { RULE_FILE = 0, RULE_REPOSITORY = 1 };

static const struct rule {
	const char *id, *name, *level, *precision, *severity;
	const char *short_desc, *full_desc, *help_text, *help_md;
} rules[] = {
	[RULE_FILE] = {
		"TRW001", "file-in-training-set", "warning", "medium", "warning",
		"File likely in the model's training set",
		"The model reproduced enough of this file's masked identifiers, strings, "
		"comments and docstrings for trawic's classifier (the TraWiC method) to judge "
		"the file a member of the model's training data: its probability is at or "
		"above the file threshold.",
		"trawic masked the identifiers, strings, comments and docstrings of this file "
		"one at a time and asked the model to fill each gap. It filled in enough of "
		"them exactly (names) or nearly (strings, comments, docstrings) for the "
		"membership classifier to judge that the model saw this file during "
		"training. The result's properties give the probability and, per kind of "
		"element, how many were reproduced; the JSON or HTML report of the audit "
		"lists the elements. One file alone is weak evidence; the repository "
		"verdict (TRW002) weighs all files.",
		"trawic masked the identifiers, strings, comments and docstrings of this "
		"file one at a time and asked the model to fill each gap. It filled in "
		"enough of them exactly (names) or nearly (strings, comments, docstrings) "
		"for the membership classifier to judge that **the model saw this file "
		"during training**.\n\n"
		"The result's properties give the probability and, per kind of element, "
		"how many were reproduced; the JSON or HTML report of the audit lists the "
		"elements.\n\n"
		"One file alone is weak evidence: the repository verdict (`TRW002`) weighs "
		"all audited files.",
	},
	[RULE_REPOSITORY] = {
		"TRW002", "repository-in-training-set", "error", "high", "error",
		"Repository judged included in the model's training set",
		"Over all audited files, the fraction judged members of the model's training "
		"data is significantly above the repository threshold: the Wilson interval "
		"on the fraction lies above it. An inconclusive verdict is reported at note "
		"level.",
		"trawic judged each audited file a member of the model's training data or "
		"not, then compared the fraction of member files with the repository "
		"threshold. The repository is judged included when the whole confidence "
		"interval (Wilson score) on that fraction lies above the threshold, not "
		"included when it lies below, and inconclusive otherwise. This result is "
		"shown on the first audited file because code scanning shows results on "
		"files only; it concerns the whole repository.",
		"trawic judged each audited file a member of the model's training data or "
		"not, then compared the fraction of member files with the repository "
		"threshold:\n\n"
		"- **included**: the whole confidence interval (Wilson score) on the "
		"fraction lies above the threshold;\n"
		"- **not included**: it lies below;\n"
		"- **inconclusive**: it straddles the threshold (reported at note level).\n\n"
		"This result is shown on the first audited file because code scanning shows "
		"results on files only; it concerns the whole repository.",
	},
};

/* ---- reading the record: every field may be missing or mistyped ---- */

static json_t *num_or_null(const json_t *v)
{
	return json_is_number(v) ? json_deep_copy(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* ---- building the log ---- */

typedef struct ctx {
	const json_t *result;
	const char *commit;
	json_t *file_threshold;
	int oom;
} ctx;

/* Add to `obj`, stealing `v`; a NULL `v` (out of memory) is remembered. */
static void set(ctx *c, json_t *obj, const char *key, json_t *v)
{
	if (!v || !obj || json_object_set_new(obj, key, v) < 0)
		c->oom = 1;
}

static void append(ctx *c, json_t *arr, json_t *v)
{
	if (!v || !arr || json_array_append_new(arr, v) < 0)
		c->oom = 1;
}

/* `b` cut to MAX_TEXT characters (code points) with a trailing "...". */
static json_t *text(trw_buf *b)
{
	size_t chars = 0, i, cut = 0;

	if (!b->ptr)
		return json_string("");
	for (i = 0; i < b->size; i++) {
		if (((unsigned char)b->ptr[i] & 0xc0) == 0x80)
			continue;
		if (chars == MAX_TEXT - 3)
			cut = i;
		chars++;
	}
	if (chars > MAX_TEXT) {
		b->size = cut;
		b->ptr[cut] = '\0';
		if (trw_buf_puts(b, "...") < 0)
			return NULL;
	}
	return json_stringn(b->ptr, b->size);
}

static json_t *message(trw_buf *b)
{
	json_t *t = text(b);

	return t ? json_pack("{s:o}", "text", t) : NULL;
}

static json_t *desc(const char *s)
{
	return json_pack("{s:s}", "text", s);
}

static json_t *build_rule(const struct rule *r)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:{s:s, s:s}, s:{s:s}, s:{s:[s,s,s], s:s, s:s}}",
	    "id", r->id,
	    "name", r->name,
	    "shortDescription", desc(r->short_desc),
	    "fullDescription", desc(r->full_desc),
	    "help", "text", r->help_text, "markdown", r->help_md,
	    "defaultConfiguration", "level", r->level,
	    "properties", "tags", "training-data", "llm", "membership-inference",
	    "precision", r->precision,
	    "problem.severity", r->severity);
}

/* A relative URI reference for a repository path: percent-encoded UTF-8,
 * '/' kept; ':' encoded so that "a:b.c" is not read as a scheme. */
static json_t *path_uri(const char *path)
{
	static const char keep[] = "-._~/!$&'()*+,;=@";
	trw_buf b = TRW_BUF_INIT(0);
	json_t *v = NULL;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(keep, *p);

		if ((ok ? trw_buf_put(&b, p, 1) : trw_buf_printf(&b, "%%%02X", *p)) < 0)
			goto done;
	}
	v = json_stringn(b.ptr ? b.ptr : "", b.size);
done:
	trw_buf_dispose(&b);
	return v;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static json_t *fingerprint(const char *rule, const char *path)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, rule, strlen(rule));
	char buf[32];

	if (path) {
		h = fnv1a(h, "", 1);
		h = fnv1a(h, path, strlen(path));
	}
	snprintf(buf, sizeof(buf), "%016llx:1", (unsigned long long)h);
	return json_pack("{s:s}", "primaryLocationLineHash", buf);
}

static long long clamp_pos(long long v)
{
	return v < 1 ? 1 : v > 0x7fffffff ? 0x7fffffff : v;
}

/* UTF-16 code units of s[0:len] (SARIF's default column unit). */
static long long utf16_units(const char *s, size_t len)
{
	long long n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) != 0x80)
			n += c >= 0xf0 ? 2 : 1;
	}
	return n;
}

/*
 * The region of a file's first evidence: its start, and its end from the
 * shape of the original text (newlines, length), which is not written.
 */
static json_t *region(const json_t *file)
{
	const json_t *ev = json_array_get(json_object_get(file, "evidence"), 0);
	long long line = 1, col = 1, end_line, end_col;
	const char *orig = NULL;
	size_t olen = 0;

	if (json_is_object(ev)) {
		const json_t *o = json_object_get(ev, "original");

		line = clamp_pos(trw_report__int(ev, "line", 1));
		col = clamp_pos(trw_report__int(ev, "col", 1));
		if (json_is_string(o)) {
			orig = json_string_value(o);
			olen = json_string_length(o);
		}
	}
	end_line = line;
	end_col = col + 1;
	if (orig && olen) {
		const char *last = orig, *nl;
		long long lines = 0;

		while ((nl = memchr(last, '\n', olen - (size_t)(last - orig)))) {
			lines++;
			last = nl + 1;
		}
		end_line = clamp_pos(line + lines);
		end_col = (lines ? 1 : col) + utf16_units(last, olen - (size_t)(last - orig));
		if (end_line == line && end_col <= col)
			end_col = col + 1;
		end_col = clamp_pos(end_col);
	}
	return json_pack("{s:I, s:I, s:I, s:I}", "startLine", (json_int_t)line,
	    "startColumn", (json_int_t)col, "endLine", (json_int_t)end_line,
	    "endColumn", (json_int_t)end_col);
}

static json_t *location(const char *path, json_t *reg)
{
	json_t *uri = path_uri(path);

	if (!uri || !reg) {
		json_decref(uri);
		json_decref(reg);
		return NULL;
	}
	return json_pack("{s:{s:{s:o, s:s}, s:o}}", "physicalLocation", "artifactLocation",
	    "uri", uri, "uriBaseId", "%SRCROOT%", "region", reg);
}

/* "function_name 5/6, string 10/40" over the kinds with elements. */
static int kinds_summary(trw_buf *b, const json_t *kinds)
{
	const char *k;
	json_t *v;
	int first = 1, error = 0;

	json_object_foreach((json_t *)kinds, k, v) {
		long long total = trw_report__int(v, "total", 0);

		if (total <= 0)
			continue;
		if ((error = trw_buf_printf(b, "%s%s %lld/%lld", first ? "" : ", ", k,
		    trw_report__int(v, "hits", 0), total)) < 0)
			return error;
		first = 0;
	}
	return error;
}

static json_t *kinds_counts(ctx *c, const json_t *kinds)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)kinds, k, v) {
		if (!json_is_object(v))
			continue;
		set(c, o, k, json_pack("{s:I, s:I}",
		    "hits", (json_int_t)trw_report__int(v, "hits", 0),
		    "total", (json_int_t)trw_report__int(v, "total", 0)));
	}
	return o;
}

/*
 * A result of rule `rule` with the message `b`, at `loc`, fingerprinted
 * by the rule and `fp_path` (NULL: the rule alone); steals `loc` and
 * `props`.  NULL when out of memory.
 */
static json_t *rule_result(int rule, const char *level, trw_buf *b, json_t *loc,
    const char *fp_path, json_t *props)
{
	return json_pack("{s:s, s:i, s:s, s:o, s:[o], s:o, s:o}",
	    "ruleId", rules[rule].id, "ruleIndex", rule, "level", level,
	    "message", message(b),
	    "locations", loc,
	    "partialFingerprints", fingerprint(rules[rule].id, fp_path),
	    "properties", props);
}

static json_t *file_result(ctx *c, const json_t *file)
{
	const char *path = trw_report__str(file, "path");
	const json_t *ev = json_array_get(json_object_get(file, "evidence"), 0);
	char p[32], th[32];
	trw_buf b = TRW_BUF_INIT(0);
	json_t *r = NULL, *props;
	long long total = trw_report__int(file, "evidence_total", 0);

	trw_report_fmt_real(p, sizeof(p), json_object_get(file, "probability"), 2);
	trw_report_fmt_real(th, sizeof(th), c->file_threshold, 2);
	if (trw_buf_printf(&b, "Likely in the model's training set: P(member) = %s, at or "
	    "above the file threshold %s. The model reproduced %lld masked element%s of "
	    "this file", p, th, total, total == 1 ? "" : "s") < 0)
		goto done;
	{
		size_t before = b.size;

		if (trw_buf_puts(&b, " (") < 0 ||
		    kinds_summary(&b, json_object_get(file, "kinds")) < 0)
			goto done;
		if (b.size == before + 2)
			b.size = before, b.ptr[before] = '\0';
		else if (trw_buf_puts(&b, ")") < 0)
			goto done;
	}
	if (json_is_object(ev) && trw_buf_printf(&b, "; the first at line %lld",
	    clamp_pos(trw_report__int(ev, "line", 1))) < 0)
		goto done;
	if (trw_buf_puts(&b, ".") < 0)
		goto done;

	props = json_object();
	set(c, props, "probability", num_or_null(json_object_get(file, "probability")));
	set(c, props, "blob", str_or_null(trw_report__str(file, "blob")));
	set(c, props, "lang", str_or_null(trw_report__str(file, "lang")));
	set(c, props, "kinds", kinds_counts(c, json_object_get(file, "kinds")));
	set(c, props, "evidence_total", json_integer(total));
	set(c, props, "commit", str_or_null(c->commit));

	r = rule_result(RULE_FILE, "warning", &b, location(path, region(file)), path, props);
done:
	trw_buf_dispose(&b);
	if (!r)
		c->oom = 1;
	return r;
}

static json_t *verdict_result(ctx *c, const json_t *verdict, const char *path)
{
	const char *v = trw_report__str(verdict, "verdict");
	const char *reason = trw_report__str(verdict, "reason");
	const json_t *interval = json_object_get(verdict, "interval");
	char lo[32], hi[32], tau[32];
	trw_buf b = TRW_BUF_INIT(0);
	json_t *r = NULL, *props, *iv;
	int included = strcmp(v, "included") == 0;

	trw_report_fmt_real(lo, sizeof(lo), json_array_get(interval, 0), 3);
	trw_report_fmt_real(hi, sizeof(hi), json_array_get(interval, 1), 3);
	trw_report_fmt_real(tau, sizeof(tau), json_object_get(verdict, "threshold"), 2);
	if (trw_buf_printf(&b, "%s: %lld of %lld audited files are likely members "
	    "(interval %s-%s, threshold %s)",
	    included ? "Repository judged included in the model's training set"
	    : "Inconclusive whether the repository is in the model's training set",
	    trw_report__int(verdict, "member_files", 0), trw_report__int(verdict, "files", 0),
	    lo, hi, tau) < 0)
		goto done;
	if (reason && *reason && trw_buf_printf(&b, "; %s", reason) < 0)
		goto done;
	if (trw_buf_puts(&b, ".") < 0)
		goto done;

	props = json_object();
	set(c, props, "verdict", json_string(v));
	set(c, props, "files", json_integer(trw_report__int(verdict, "files", 0)));
	set(c, props, "member_files", json_integer(trw_report__int(verdict, "member_files", 0)));
	set(c, props, "fraction", num_or_null(json_object_get(verdict, "fraction")));
	iv = json_array();
	append(c, iv, num_or_null(json_array_get(interval, 0)));
	append(c, iv, num_or_null(json_array_get(interval, 1)));
	set(c, props, "interval", iv);
	set(c, props, "threshold", num_or_null(json_object_get(verdict, "threshold")));
	set(c, props, "mean_probability", num_or_null(json_object_get(verdict,
	    "mean_probability")));
	set(c, props, "commit", str_or_null(c->commit));

	r = rule_result(RULE_REPOSITORY, included ? "error" : "note", &b,
	    location(path, json_pack("{s:i, s:i, s:i, s:i}", "startLine", 1,
		"startColumn", 1, "endLine", 1, "endColumn", 2)), NULL, props);
done:
	trw_buf_dispose(&b);
	if (!r)
		c->oom = 1;
	return r;
}

static json_t *notification(ctx *c, const char *level, trw_buf *b, json_t *props)
{
	json_t *n = json_pack("{s:s, s:o}", "level", level, "message", message(b));

	if (props)
		set(c, n, "properties", props);
	if (!n)
		c->oom = 1;
	return n;
}

typedef struct member {
	size_t index;
	double p;
} member;

static int by_probability(const void *a, const void *b)
{
	const member *x = a, *y = b;

	if (x->p != y->p)
		return x->p > y->p ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int by_index(const void *a, const void *b)
{
	const member *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static json_t *notifications(ctx *c, const json_t *result, size_t omitted)
{
	const json_t *errors = json_object_get(result, "errors");
	const json_t *warnings = json_object_get(result, "warnings");
	const json_t *files = json_object_get(result, "files");
	const char *status = trw_report__str(result, "status");
	json_t *arr = json_array();
	trw_buf b = TRW_BUF_INIT(0);
	size_t i, nfailed = 0;

	for (i = 0; i < json_array_size(errors); i++) {
		const json_t *e = json_array_get(errors, i);
		const char *code = trw_report__str(e, "code"), *msg = trw_report__str(e, "message");

		trw_buf_clear(&b);
		if (trw_buf_printf(&b, "%s%s%s", code ? code : "", code ? ": " : "",
		    msg ? msg : json_is_string(e) ? json_string_value(e) : "error") < 0)
			c->oom = 1;
		append(c, arr, notification(c, "error", &b,
		    code ? json_pack("{s:s}", "code", code) : NULL));
	}
	for (i = 0; i < json_array_size(warnings); i++) {
		const char *w = json_string_value(json_array_get(warnings, i));

		if (!w)
			continue;
		trw_buf_clear(&b);
		if (trw_buf_puts(&b, w) < 0)
			c->oom = 1;
		append(c, arr, notification(c, "warning", &b, NULL));
	}
	for (i = 0; i < json_array_size(files); i++) {
		const json_t *f = json_array_get(files, i);
		const char *path = trw_report__str(f, "path"), *err = trw_report__str(f, "error");
		long long nq = trw_report__int(f, "failed_queries", 0);
		json_t *n;

		if (!path || (nq <= 0 && !err))
			continue;
		if (nfailed++ >= MAX_FAILED_FILE_NOTES)
			continue;
		trw_buf_clear(&b);
		if (trw_buf_printf(&b, "%s: %lld quer%s failed, no probability%s%s", path, nq,
		    nq == 1 ? "y" : "ies", err ? ": " : "", err ? err : "") < 0)
			c->oom = 1;
		n = notification(c, "error", &b, NULL);
		set(c, n, "locations", json_pack("[{s:{s:{s:o, s:s}}}]", "physicalLocation",
		    "artifactLocation", "uri", path_uri(path), "uriBaseId", "%SRCROOT%"));
		append(c, arr, n);
	}
	if (nfailed > MAX_FAILED_FILE_NOTES) {
		trw_buf_clear(&b);
		if (trw_buf_printf(&b, "%zu more files with failed queries (see the JSON report)",
		    nfailed - MAX_FAILED_FILE_NOTES) < 0)
			c->oom = 1;
		append(c, arr, notification(c, "error", &b, NULL));
	}
	if (status && strcmp(status, "complete") != 0 && json_array_size(errors) == 0 &&
	    nfailed == 0) {
		trw_buf_clear(&b);
		if (trw_buf_printf(&b, "the audit did not complete (status %s)", status) < 0)
			c->oom = 1;
		append(c, arr, notification(c, "error", &b, NULL));
	}
	if (omitted) {
		trw_buf_clear(&b);
		if (trw_buf_printf(&b, "%zu file results left out: code scanning accepts at most "
		    "%d results per run; those with the highest probabilities were kept",
		    omitted, TRW_SARIF_MAX_RESULTS) < 0)
			c->oom = 1;
		append(c, arr, notification(c, "warning", &b, NULL));
	}
	trw_buf_dispose(&b);
	return arr;
}

int trw_report_sarif(trw_buf *out, const json_t *result)
{
	const json_t *files = json_object_get(result, "files");
	const json_t *verdict = json_object_get(result, "verdict");
	const json_t *repo = json_object_get(result, "repository");
	const json_t *tool = json_object_get(result, "tool");
	const json_t *timing = json_object_get(result, "timing");
	const char *status = trw_report__str(result, "status");
	const char *revision = trw_report__str(repo, "revision");
	const char *vname = trw_report__str(verdict, "verdict");
	const char *version = trw_report__str(tool, "version");
	const char *first_path = NULL;
	size_t nfiles = json_array_size(files), nmembers = 0, limit, omitted = 0;
	member *members = NULL;
	json_t *log = NULL, *run, *driver, *results, *inv, *props, *rarr;
	trw_buf id = TRW_BUF_INIT(0);
	int error = 0, want_verdict;
	ctx c = { result, NULL, NULL, 0 };

	c.commit = trw_report__str(repo, "commit");
	c.file_threshold = json_object_get(json_object_get(result, "configuration"),
	    "file_threshold");

	for (size_t i = 0; i < nfiles && !first_path; i++)
		first_path = trw_report__str(json_array_get(files, i), "path");
	want_verdict = vname && first_path &&
	    (strcmp(vname, "included") == 0 || strcmp(vname, "inconclusive") == 0);

	if (nfiles && !(members = malloc(nfiles * sizeof(*members)))) {
		error = trw_error_oom();
		goto done;
	}
	for (size_t i = 0; i < nfiles; i++) {
		const json_t *f = json_array_get(files, i);

		if (!json_is_true(json_object_get(f, "member")) || !trw_report__str(f, "path"))
			continue;
		members[nmembers].index = i;
		members[nmembers].p = json_number_value(json_object_get(f, "probability"));
		nmembers++;
	}
	limit = TRW_SARIF_MAX_RESULTS - (want_verdict ? 1 : 0);
	if (nmembers > limit) {
		qsort(members, nmembers, sizeof(*members), by_probability);
		omitted = nmembers - limit;
		nmembers = limit;
		qsort(members, nmembers, sizeof(*members), by_index);
	}

	results = json_array();
	if (want_verdict)
		append(&c, results, verdict_result(&c, verdict, first_path));
	for (size_t i = 0; i < nmembers && !c.oom; i++)
		append(&c, results, file_result(&c, json_array_get(files, members[i].index)));

	rarr = json_array();
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		append(&c, rarr, build_rule(&rules[i]));
	driver = json_pack("{s:s}", "name", "trawic");
	if (version && *version)
		set(&c, driver, "semanticVersion", json_string(version));
	if (TRW_SARIF_INFORMATION_URI[0])
		set(&c, driver, "informationUri", json_string(TRW_SARIF_INFORMATION_URI));
	set(&c, driver, "rules", rarr);

	inv = json_pack("{s:b}", "executionSuccessful",
	    status && strcmp(status, "complete") == 0);
	if (trw_report__str(timing, "started"))
		set(&c, inv, "startTimeUtc", json_string(trw_report__str(timing, "started")));
	if (trw_report__str(timing, "finished"))
		set(&c, inv, "endTimeUtc", json_string(trw_report__str(timing, "finished")));
	set(&c, inv, "toolExecutionNotifications", notifications(&c, result, omitted));

	props = json_object();
	set(&c, props, "status", str_or_null(status));
	set(&c, props, "verdict", str_or_null(vname));
	set(&c, props, "repository_revision", str_or_null(revision));
	set(&c, props, "commit", str_or_null(c.commit));
	set(&c, props, "model", str_or_null(trw_report__str(json_object_get(result, "model"),
	    "identity")));
	set(&c, props, "results_truncated", json_boolean(omitted > 0));
	set(&c, props, "results_omitted", json_integer((json_int_t)omitted));

	if (trw_buf_printf(&id, "trawic/%s/", revision && *revision ? revision : "HEAD") < 0) {
		error = trw_error_oom();
		json_decref(results);
		json_decref(driver);
		json_decref(inv);
		json_decref(props);
		goto done;
	}
	run = json_pack("{s:{s:o}, s:{s:s}, s:[o], s:o, s:o}",
	    "tool", "driver", driver,
	    "automationDetails", "id", id.ptr,
	    "invocations", inv,
	    "results", results,
	    "properties", props);
	log = json_pack("{s:s, s:s, s:[o]}", "$schema", SCHEMA_URI, "version", "2.1.0",
	    "runs", run);
	if (!log || c.oom) {
		error = trw_error_oom();
		goto done;
	}
	error = trw_report_json(out, log);

done:
	trw_buf_dispose(&id);
	json_decref(log);
	free(members);
	return error;
}
