/*
 * dataset.c - labelled file vectors for `trawic train` and `trawic eval`:
 * the repositories (from specs, a corpus directory or earlier probe
 * output), their probe, and the shared argument helpers.
 *
 * It does not train or measure anything; and it never returns rows from
 * a probe with failed queries (the callers exit 2 instead).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classifier/features.h"
#include "cli/cli.h"
#include "cli/dataset.h"
#include "common/error.h"
#include "common/util.h"
#include "extractor/source.h"

void *cli_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fprintf(stderr, "%s: out of memory\n", cli_progname);
		abort();
	}
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = trw_strdup(s);

	if (!d)
		cli_xrealloc(NULL, (size_t)-1 / 2);	/* aborts */
	return d;
}

int cli_opt_is(const char *arg, const char *opt)
{
	size_t n = strlen(opt);

	return strncmp(arg, opt, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

const char *cli_opt_value(int argc, char **argv, int *i, const char *opt)
{
	const char *eq = strchr(argv[*i], '=');

	if (eq && strncmp(argv[*i], "--", 2) == 0)
		return eq + 1;
	if (*i + 1 >= argc) {
		cli_error("%s needs a value", opt);
		return NULL;
	}
	return argv[++*i];
}

size_t cli_take_list(int argc, char **argv, int *i, const char ***list, size_t *count)
{
	size_t taken = 0;

	while (*i + 1 < argc && argv[*i + 1][0] != '-') {
		*list = cli_xrealloc((void *)*list, (*count + 1) * sizeof(**list));
		(*list)[(*count)++] = argv[++*i];
		taken++;
	}
	return taken;
}

int cli_parse_unsigned(const char *opt, const char *arg, unsigned long long max,
    unsigned long long *v)
{
	char *end;

	if (!arg || !*arg || *arg == '-')
		goto bad;
	errno = 0;
	*v = strtoull(arg, &end, 10);
	if (*end || errno || *v > max)
		goto bad;
	return 0;
bad:
	cli_error("%s: '%s' is not a number from 0 to %llu", opt, arg ? arg : "", max);
	return -1;
}

int cli_dataset_init(cli_dataset *ds, unsigned schema)
{
	const trw_feature_schema *fs;
	int error;

	memset(ds, 0, sizeof(*ds));
	if ((error = trw_features_schema(&fs, schema)) < 0)
		return error;
	ds->schema = schema;
	ds->ncols = fs->ncols;
	return 0;
}

void cli_dataset_free(cli_dataset *ds)
{
	if (!ds)
		return;
	for (size_t i = 0; i < ds->nrepos; i++) {
		free(ds->repos[i].name);
		free(ds->repos[i].spec);
	}
	for (size_t i = 0; i < ds->n; i++)
		free(ds->path[i]);
	free(ds->repos);
	free(ds->X);
	free(ds->y);
	free(ds->group);
	free(ds->path);
	free(ds->manifest_sha256);
	free(ds->model);
	memset(ds, 0, sizeof(*ds));
}

static cli_repo *find_repo(cli_dataset *ds, const char *name)
{
	for (size_t i = 0; i < ds->nrepos; i++)
		if (strcmp(ds->repos[i].name, name) == 0)
			return &ds->repos[i];
	return NULL;
}

int cli_dataset_add_repo(cli_dataset *ds, const char *name, const char *spec, int label)
{
	cli_repo *r;

	if (!name)
		name = spec;
	if (find_repo(ds, name))
		return trw_error_set(TRW_EINVALID, "repository '%s' is given twice", name);
	ds->repos = cli_xrealloc(ds->repos, (ds->nrepos + 1) * sizeof(*ds->repos));
	r = &ds->repos[ds->nrepos++];
	r->name = xstrdup(name);
	r->spec = spec ? xstrdup(spec) : NULL;
	r->label = label;
	r->files = 0;
	return 0;
}

static void add_row(cli_dataset *ds, const double *x, cli_repo *r, const char *path)
{
	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? 2 * ds->cap : 64;
		ds->X = cli_xrealloc(ds->X, ds->cap * ds->ncols * sizeof(double));
		ds->y = cli_xrealloc(ds->y, ds->cap * sizeof(int));
		ds->group = cli_xrealloc(ds->group, ds->cap * sizeof(char *));
		ds->path = cli_xrealloc(ds->path, ds->cap * sizeof(char *));
	}
	memcpy(ds->X + ds->n * ds->ncols, x, ds->ncols * sizeof(double));
	ds->y[ds->n] = r->label;
	ds->group[ds->n] = r->name;
	ds->path[ds->n] = xstrdup(path);
	ds->n++;
	r->files++;
}

static int parse_label(int *out, const char *s)
{
	if (!strcmp(s, "member") || !strcmp(s, "1"))
		*out = 1;
	else if (!strcmp(s, "nonmember") || !strcmp(s, "non_member") ||
	    !strcmp(s, "non-member") || !strcmp(s, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* Split a TSV line in place into at most `max` fields. */
static size_t split_tsv(char *line, char **f, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		if (!(line = strchr(line, '\t')))
			break;
		*line++ = '\0';
	}
	return n;
}

int cli_dataset_add_corpus(cli_dataset *ds, const char *dir)
{
	char path[4096], line[8192], *f[8];
	FILE *fp = NULL;
	size_t lineno = 0, added = 0;
	int error = 0, label;

	if ((size_t)snprintf(path, sizeof(path), "%s/labels.tsv", dir) >= sizeof(path))
		return trw_error_set(TRW_EINVALID, "corpus path too long");
	if (!(fp = fopen(path, "r")))
		return trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO,
		    "%s: %s (is %s a corpus built by corpora/build?)", path, strerror(errno), dir);
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (split_tsv(line, f, 8) < 4 || parse_label(&label, f[1]) < 0) {
			error = trw_error_set(TRW_EINVALID, "%s:%zu: not 'repo_id split lang path'",
			    path, lineno);
			goto done;
		}
		if ((error = cli_dataset_add_repo(ds, f[0], f[3], label)) < 0)
			goto done;
		added++;
	}
	if (!added) {
		error = trw_error_set(TRW_EINVALID, "%s: no repository", path);
		goto done;
	}
	fclose(fp);
	fp = NULL;
	snprintf(path, sizeof(path), "%s/manifest.sha256", dir);
	if ((fp = fopen(path, "r")) && fgets(line, sizeof(line), fp)) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (strlen(line) == 64)
			ds->manifest_sha256 = xstrdup(line);
	}
	if (!ds->manifest_sha256)
		fprintf(stderr, "%s: warning: %s/manifest.sha256 missing: the classifier "
		    "will not record the corpus manifest hash\n", cli_progname, dir);
done:
	if (fp)
		fclose(fp);
	return error;
}

int cli_dataset_read_labels(cli_dataset *ds, const char *path)
{
	char line[8192], *f[8];
	FILE *fp;
	size_t lineno = 0;
	int error = 0, label;

	if (!(fp = fopen(path, "r")))
		return trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO, "%s: %s", path,
		    strerror(errno));
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (split_tsv(line, f, 8) < 2 || parse_label(&label, f[1]) < 0) {
			error = trw_error_set(TRW_EINVALID, "%s:%zu: not 'repo_id member|nonmember'",
			    path, lineno);
			break;
		}
		if ((error = cli_dataset_add_repo(ds, f[0], NULL, label)) < 0)
			break;
	}
	fclose(fp);
	return error;
}

int cli_dataset_check(const cli_dataset *ds)
{
	size_t pos = 0, neg = 0;

	for (size_t i = 0; i < ds->nrepos; i++) {
		const cli_repo *r = &ds->repos[i];

		if (r->label < 0)
			return trw_error_set(TRW_EINVALID, "repository '%s' has no label", r->name);
		if (!r->files)
			return trw_error_set(TRW_EINVALID, "repository '%s' has no probed file "
			    "(nothing an audit reads, or not in the --from data)", r->name);
		if (r->label)
			pos++;
		else
			neg++;
	}
	if (!pos || !neg)
		return trw_error_set(TRW_EINVALID, "need member and non-member repositories "
		    "(have %zu and %zu)", pos, neg);
	return 0;
}

/* ---- probing ---------------------------------------------------------------- */

typedef struct probe_ctx {
	cli_dataset *ds;
	cli_repo *repo;
	int error;
	double *row;
} probe_ctx;

static int on_file(const trw_probe_file *pf, void *payload)
{
	probe_ctx *c = payload;

	if (pf->file->skipped != TRW_SKIP_NONE || pf->failed || c->error)
		return 0;	/* failures: trw_probe_run reports TRW_EMODEL */
	if ((c->error = trw_features_from_probe(c->row, c->ds->schema, pf)) < 0)
		return 0;
	add_row(c->ds, c->row, c->repo, pf->file->path);
	return 0;
}

int cli_dataset_probe(cli_dataset *ds, trw_engine *engine, const trw_probe_options *popts,
    int quiet)
{
	probe_ctx c = { ds, NULL, 0, NULL };
	trw_probe_stats st;
	int error = 0;

	c.row = cli_xrealloc(NULL, ds->ncols * sizeof(double));
	for (size_t i = 0; i < ds->nrepos; i++) {
		cli_repo *r = &ds->repos[i];

		c.repo = r;
		memset(&st, 0, sizeof(st));
		error = trw_probe_run(engine, r->spec, popts, on_file, &c, &st);
		if (error == TRW_EMODEL) {
			error = trw_error_set(TRW_EMODEL, "repository %s: %llu of %llu queries "
			    "failed (%llu files incomplete): refusing to use partial data",
			    r->name, (unsigned long long)st.queries_failed,
			    (unsigned long long)st.queries, (unsigned long long)st.files_failed);
			goto done;
		}
		if (error < 0) {
			error = trw_error_set(error, "repository %s: %s", r->name,
			    trw_error_last());
			goto done;
		}
		if ((error = c.error) < 0) {
			error = trw_error_set(error, "repository %s: %s", r->name, trw_error_last());
			goto done;
		}
		if (!quiet)
			fprintf(stderr, "%s: probed %s (%s): %zu files, %llu queries, %.1f s\n",
			    cli_progname, r->name, r->label == 1 ? "member" : "non-member",
			    r->files, (unsigned long long)st.queries, st.seconds);
	}
	if (!ds->model)
		ds->model = xstrdup(trw_engine_identity(engine));
done:
	free(c.row);
	return error;
}

/* ---- earlier probe output ----------------------------------------------------- */

static char *repo_name_of_path(const char *path)
{
	const char *b = strrchr(path, '/');
	char *name = xstrdup(b ? b + 1 : path);
	size_t n = strlen(name);

	if (n > 6 && strcmp(name + n - 6, ".jsonl") == 0)
		name[n - 6] = '\0';
	return name;
}

int cli_dataset_add_jsonl(cli_dataset *ds, const char *path)
{
	FILE *fp = NULL;
	char *line = NULL, *fname = repo_name_of_path(path);
	size_t cap = 0, lineno = 0;
	ssize_t len;
	trw_file_counts counts = TRW_FILE_COUNTS_INIT;
	double *row = cli_xrealloc(NULL, ds->ncols * sizeof(double));
	int error = 0, summary = 0;
	json_t *rec = NULL;

	if (!(fp = fopen(path, "r"))) {
		error = trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO, "%s: %s", path,
		    strerror(errno));
		goto done;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		json_error_t jerr;
		const char *type, *name;
		cli_repo *r;

		lineno++;
		json_decref(rec);
		if (!(rec = json_loadb(line, (size_t)len, 0, &jerr)) || !json_is_object(rec)) {
			error = trw_error_set(TRW_EINVALID, "%s:%zu: not a JSON object", path, lineno);
			goto done;
		}
		type = json_string_value(json_object_get(rec, "type"));
		if (!type)
			continue;
		name = json_string_value(json_object_get(rec, "repo"));
		if (!name)
			name = fname;
		if (strcmp(type, "summary") == 0) {
			const char *model = json_string_value(json_object_get(rec, "model"));

			if (!json_is_true(json_object_get(rec, "complete"))) {
				error = trw_error_set(TRW_EMODEL, "%s:%zu: repository %s: the probe "
				    "is incomplete (failed queries): refusing to use partial data",
				    path, lineno, name);
				goto done;
			}
			if (model && ds->model && strcmp(model, ds->model) != 0) {
				error = trw_error_set(TRW_EINVALID, "%s:%zu: probed with model %s, "
				    "other data with %s", path, lineno, model, ds->model);
				goto done;
			}
			if (model && !ds->model)
				ds->model = xstrdup(model);
			summary = 1;
			continue;
		}
		if (strcmp(type, "probe") == 0) {
			if (json_object_get(rec, "error")) {
				error = trw_error_set(TRW_EMODEL, "%s:%zu: repository %s: a query "
				    "failed: refusing to use partial data", path, lineno, name);
				goto done;
			}
			if ((error = trw_features_accumulate_record(&counts, rec)) < 0) {
				error = trw_error_set(error, "%s:%zu: %s", path, lineno,
				    trw_error_last());
				goto done;
			}
			continue;
		}
		if (strcmp(type, "file") != 0)
			continue;
		if (json_object_get(rec, "skipped")) {
			memset(&counts, 0, sizeof(counts));
			continue;
		}
		if (!json_is_true(json_object_get(rec, "complete"))) {
			error = trw_error_set(TRW_EMODEL, "%s:%zu: repository %s: an incomplete "
			    "file: refusing to use partial data", path, lineno, name);
			goto done;
		}
		if (!(r = find_repo(ds, name))) {
			error = trw_error_set(TRW_EINVALID, "%s:%zu: repository '%s' has no label "
			    "(give it with --members, --non-members or --labels)", path, lineno,
			    name);
			goto done;
		}
		if ((error = trw_features_from_counts(row, ds->schema, &counts)) < 0) {
			error = trw_error_set(error, "%s:%zu: %s", path, lineno, trw_error_last());
			goto done;
		}
		add_row(ds, row, r, json_string_value(json_object_get(rec, "path")) ?
		    json_string_value(json_object_get(rec, "path")) : "?");
		memset(&counts, 0, sizeof(counts));
	}
	if (!summary)
		error = trw_error_set(TRW_EINVALID, "%s: no summary record: a truncated "
		    "`trawic probe` output?", path);
done:
	json_decref(rec);
	if (fp)
		fclose(fp);
	free(line);
	free(fname);
	free(row);
	return error;
}

/* ---- printing ------------------------------------------------------------------- */

static void cell(FILE *f, double v)
{
	if (isnan(v))
		fprintf(f, " %10s", "-");
	else
		fprintf(f, " %10.4f", v);
}

void cli_print_metrics(FILE *f, const trw_metrics *file, const trw_metrics *repo, int tpr)
{
	static const char *const names[] = { "precision", "recall", "specificity",
		"accuracy", "F1", "ROC-AUC", "TPR@FPR1%", "TPR@FPR5%" };
	const trw_metrics *m[2] = { file, repo };
	size_t rows = tpr ? 8 : 6;

	fprintf(f, "%-14s %10s %10s\n", "metric", "files", "repos");
	fprintf(f, "%-14s %10zu %10zu\n", "n", file->n, repo->n);
	fprintf(f, "%-14s %10zu %10zu\n", "members", file->positives, repo->positives);
	fprintf(f, "%-14s %10zu %10zu\n", "non-members", file->negatives, repo->negatives);
	for (size_t r = 0; r < rows; r++) {
		fprintf(f, "%-14s", names[r]);
		for (int j = 0; j < 2; j++) {
			const double v[] = { m[j]->precision, m[j]->recall, m[j]->specificity,
				m[j]->accuracy, m[j]->f1, m[j]->auc, m[j]->tpr_at_fpr_1,
				m[j]->tpr_at_fpr_5 };

			cell(f, v[r]);
		}
		fputc('\n', f);
	}
}

void cli_print_confusion(FILE *f, const char *title, const trw_metrics *m)
{
	fprintf(f, "%s (predicted member when score >= %.2f)\n", title, m->threshold);
	fprintf(f, "  %-18s %12s %12s\n", "", "pred member", "pred non");
	fprintf(f, "  %-18s %12llu %12llu\n", "true member", (unsigned long long)m->cm.tp,
	    (unsigned long long)m->cm.fn);
	fprintf(f, "  %-18s %12llu %12llu\n", "true non-member", (unsigned long long)m->cm.fp,
	    (unsigned long long)m->cm.tn);
}

/* ---- the options train and eval share ------------------------------------------ */

int cli_data_arg(cli_data_args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *v;
	unsigned long long n;

	if (cli_opt_is(arg, "--members") || cli_opt_is(arg, "--non-members") ||
	    cli_opt_is(arg, "--from")) {
		const char ***list = arg[2] == 'm' ? &a->members :
		    arg[2] == 'n' ? &a->non_members : &a->from;
		size_t *count = arg[2] == 'm' ? &a->nmembers :
		    arg[2] == 'n' ? &a->nnon_members : &a->nfrom;

		if (strchr(arg, '=')) {
			*list = cli_xrealloc((void *)*list, (*count + 1) * sizeof(**list));
			(*list)[(*count)++] = strchr(arg, '=') + 1;
		} else if (!cli_take_list(argc, argv, i, list, count)) {
			cli_error("%s needs at least one value", arg);
			return -1;
		}
		return 1;
	}
	if (cli_opt_is(arg, "--model") || cli_opt_is(arg, "-m")) {
		if (!(a->model = cli_opt_value(argc, argv, i, "--model")))
			return -1;
		return 1;
	}
	if (cli_opt_is(arg, "--corpus")) {
		if (!(a->corpus = cli_opt_value(argc, argv, i, "--corpus")))
			return -1;
		return 1;
	}
	if (cli_opt_is(arg, "--labels")) {
		if (!(a->labels = cli_opt_value(argc, argv, i, "--labels")))
			return -1;
		return 1;
	}
	if (cli_opt_is(arg, "--cache")) {
		if (!(a->eopts.cache_path = cli_opt_value(argc, argv, i, "--cache")))
			return -1;
		return 1;
	}
	if (!strcmp(arg, "--no-cache")) {
		a->eopts.cache_path = "";
		return 1;
	}
	if (!strcmp(arg, "--no-logprobs")) {
		a->no_logprobs = 1;
		return 1;
	}
	if (cli_opt_is(arg, "--retries") || cli_opt_is(arg, "--concurrency") ||
	    cli_opt_is(arg, "--timeout-ms") || cli_opt_is(arg, "--context")) {
		char opt[32];

		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="), arg);
		if (!(v = cli_opt_value(argc, argv, i, opt)) ||
		    cli_parse_unsigned(opt, v, 3600000, &n) < 0)
			return -1;
		if (!strcmp(opt, "--retries"))
			a->eopts.retries = (unsigned)n;
		else if (!strcmp(opt, "--concurrency"))
			a->eopts.concurrency = (unsigned)n;
		else if (!strcmp(opt, "--context"))
			a->popts.context_tokens = (unsigned)n;
		else if (n == 0) {
			cli_error("--timeout-ms must be positive");
			return -1;
		} else
			a->eopts.timeout_ms = (unsigned)n;
		return 1;
	}
	return 0;
}

int cli_data_load(cli_dataset *ds, cli_data_args *a, const char *verb, int quiet)
{
	trw_engine *engine = NULL;
	int error = 0, inited = 0;

	if (!!a->corpus + !!a->nfrom > 1 || (a->corpus && (a->nmembers || a->nnon_members))) {
		cli_error("%s: give --corpus, or --members/--non-members, or --from "
		    "(with --members/--non-members names or --labels)", verb);
		return EXIT_ERROR;
	}
	if (a->nfrom && a->model) {
		cli_error("%s: --from reuses probes: their model is the one their summaries "
		    "name, so --model does not go with it", verb);
		return EXIT_ERROR;
	}
	if (!a->nfrom && !a->model) {
		cli_error("%s: no model given: --model ref:PATH, llamacpp:URL, ...", verb);
		return EXIT_ERROR;
	}
	if (!a->nfrom && a->labels) {
		cli_error("%s: --labels goes with --from", verb);
		return EXIT_ERROR;
	}
	if (!a->corpus && !a->nfrom && (!a->nmembers || !a->nnon_members)) {
		cli_error("%s: need --members SPEC... and --non-members SPEC... (or --corpus DIR)",
		    verb);
		return EXIT_ERROR;
	}
	if (a->labels && (error = cli_dataset_read_labels(ds, a->labels)) < 0)
		goto done;
	for (size_t i = 0; i < a->nmembers; i++)
		if ((error = cli_dataset_add_repo(ds, a->members[i],
		    a->nfrom ? NULL : a->members[i], 1)) < 0)
			goto done;
	for (size_t i = 0; i < a->nnon_members; i++)
		if ((error = cli_dataset_add_repo(ds, a->non_members[i],
		    a->nfrom ? NULL : a->non_members[i], 0)) < 0)
			goto done;
	if (a->corpus && (error = cli_dataset_add_corpus(ds, a->corpus)) < 0)
		goto done;
	if (a->nfrom) {
		for (size_t i = 0; i < a->nfrom; i++)
			if ((error = cli_dataset_add_jsonl(ds, a->from[i])) < 0)
				goto done;
	} else {
		if (!a->no_logprobs && ds->schema >= 2)
			a->popts.want_logprobs = 1;
		if ((error = trw_source_global_init()) < 0)
			goto done;
		inited = 1;
		if ((error = trw_engine_new(&engine, a->model, &a->eopts)) < 0)
			goto done;
		if ((error = cli_dataset_probe(ds, engine, &a->popts, quiet)) < 0)
			goto done;
	}
	error = cli_dataset_check(ds);
done:
	if (error < 0)
		cli_error("%s: %s", verb, trw_error_last());
	trw_engine_free(engine);
	if (inited)
		trw_source_global_shutdown();
	return error < 0 ? EXIT_ERROR : EXIT_OK;
}

void cli_data_args_free(cli_data_args *a)
{
	free((void *)a->members);
	free((void *)a->non_members);
	free((void *)a->from);
}
