/*
 * train.c - `trawic train`: probe labelled repositories (or read earlier
 * probes), turn each file into a feature vector, train the libsvm file
 * classifier with a grid search grouped by repository, write the
 * classifier file, and print the cross-validated metrics.
 *
 * A repository whose probe failed stops the command before anything is
 * trained or written: no classifier from partial data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "classifier/svm.h"
#include "cli/cli.h"
#include "cli/dataset.h"
#include "common/error.h"

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trawic train --model M --members SPEC... --non-members SPEC... -o FILE\n"
	    "       trawic train --model M --corpus DIR -o FILE\n"
	    "       trawic train --from PROBES.jsonl... (--members NAME... --non-members NAME...\n"
	    "                    | --labels FILE) -o FILE\n"
	    "\n"
	    "Probe every repository with the model, build one feature vector per file\n"
	    "(its group is its repository), grid-search an RBF SVM with cross-validation\n"
	    "grouped by repository, calibrate it (Platt), write the classifier file and\n"
	    "print the cross-validated metrics.\n"
	    "\n"
	    "  -m, --model MODEL      llamacpp:URL | openai:URL?... | ollama:URL?... | ref:PATH\n"
	    "      --members SPEC...  member repositories (in the model's training set)\n"
	    "      --non-members SPEC...\n"
	    "      --corpus DIR       a corpus built by corpora/build (its labels.tsv)\n"
	    "      --from FILE...     `trawic probe` outputs, one per repository, named by\n"
	    "                         the file name without .jsonl (or a \"repo\" field)\n"
	    "      --labels FILE      labels of the --from repositories: TSV repo_id, split\n"
	    "                         (member|nonmember); a corpus labels.tsv works\n"
	    "      --schema N         feature schema, 1 or 2 (default 2)\n"
	    "      --folds K          cross-validation folds (default 5)\n"
	    "      --seed N           fold assignment seed (default 1)\n"
	    "      --patience P       stop a gamma column after P cells without gain\n"
	    "                         (default 0: the full grid)\n"
	    "      --threads N        grid cells in parallel (default: CPUs)\n"
	    "      --no-logprobs      do not ask for log-probabilities (schema 2 asks)\n"
	    "      --retries N, --timeout-ms N, --concurrency N, --context N\n"
	    "      --cache FILE, --no-cache   as for `trawic probe`\n"
	    "  -o, --output FILE      the classifier file (required)\n"
	    "      --json             the metrics as JSON on stdout\n"
	    "  -q, --quiet            no progress on stderr\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "Exit status: 0 trained and written, 2 an error (including a failed probe).\n");
}

static void on_progress(unsigned done, unsigned total, void *payload)
{
	(void)payload;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\rtrain: grid %u/%u\033[K%s", done, total, done == total ? "\n" : "");
}

static int print_json(const trw_classifier *c, const cli_dataset *ds, const char *output)
{
	const trw_classifier_info *info = trw_classifier_get_info(c);
	const trw_cv_summary *cv = info->cv;
	json_t *doc, *file = NULL, *repo = NULL;
	int error;

	if ((error = trw_metrics_to_json(&file, &cv->file)) < 0 ||
	    (error = trw_metrics_to_json(&repo, &cv->repository)) < 0) {
		json_decref(file);
		return error;
	}
	doc = json_pack("{s:s, s:s?, s:s?, s:i, s:I, s:I, s:{s:i, s:I, s:i, s:i, s:f, s:f, "
	    "s:i, s:i, s:o, s:o}}",
	    "classifier", output, "model", info->provenance->model,
	    "corpus_manifest_sha256", info->provenance->corpus_manifest_sha256,
	    "schema", (int)info->schema, "files", (json_int_t)ds->n,
	    "repositories", (json_int_t)ds->nrepos,
	    "cv", "folds", (int)cv->folds, "seed", (json_int_t)cv->seed,
	    "log2c", cv->log2c, "log2g", cv->log2g, "C", cv->C, "gamma", cv->gamma,
	    "patience", (int)cv->patience, "cells_skipped", (int)cv->cells_skipped,
	    "file", file, "repository", repo);
	if (!doc)
		return trw_error_set(TRW_ENOMEM, "out of memory");
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	fputc('\n', stdout);
	json_decref(doc);
	return 0;
}

/* SOURCE_DATE_EPOCH (reproducible-builds.org): when set, the classifier's
 * "created" is that time instead of now, so that a rebuild with the same
 * inputs gives the same bytes. out = "" when unset; -1 (reported) when
 * it is not a plain non-negative integer. */
static int source_date(char *out, size_t size)
{
	const char *v = getenv("SOURCE_DATE_EPOCH");
	unsigned long long n;
	struct tm tm;
	time_t t;
	char *end;

	out[0] = '\0';
	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	t = (time_t)n;
	if (*v < '0' || *v > '9' || *end || errno || (unsigned long long)t != n ||
	    !gmtime_r(&t, &tm)) {
		cli_error("train: SOURCE_DATE_EPOCH is not a number of seconds: %s", v);
		return -1;
	}
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

int cmd_train(int argc, char **argv)
{
	cli_data_args a = CLI_DATA_ARGS_INIT;
	trw_classifier_options copts = TRW_CLASSIFIER_OPTIONS_INIT;
	trw_classifier_provenance prov = { NULL, NULL, NULL, NULL };
	trw_classifier *c = NULL;
	cli_dataset ds;
	const char *output = NULL, *v;
	char created[32];
	unsigned long long n;
	unsigned schema = TRW_FEATURES_SCHEMA_DEFAULT;
	int rc = EXIT_ERROR, json = 0, quiet = 0, error, r;

	memset(&ds, 0, sizeof(ds));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if ((r = cli_data_arg(&a, argc, argv, &i)) < 0)
			goto done;
		if (r)
			continue;
		if (cli_opt_is(arg, "--output") || !strcmp(arg, "-o")) {
			if (!(output = cli_opt_value(argc, argv, &i, "--output")))
				goto done;
		} else if (cli_opt_is(arg, "--schema") || cli_opt_is(arg, "--folds") ||
		    cli_opt_is(arg, "--seed") || cli_opt_is(arg, "--patience") ||
		    cli_opt_is(arg, "--threads")) {
			char opt[16];

			snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="), arg);
			if (!(v = cli_opt_value(argc, argv, &i, opt)) ||
			    cli_parse_unsigned(opt, v, UINT32_MAX, &n) < 0)
				goto done;
			if (!strcmp(opt, "--schema")) {
				if (n < TRW_FEATURES_SCHEMA_MIN || n > TRW_FEATURES_SCHEMA_MAX) {
					cli_error("--schema: %llu is not a schema this trawic knows "
					    "(%d to %d)", n, TRW_FEATURES_SCHEMA_MIN,
					    TRW_FEATURES_SCHEMA_MAX);
					goto done;
				}
				schema = (unsigned)n;
			} else if (!strcmp(opt, "--folds")) {
				if (n < 2 || n > 100) {
					cli_error("--folds: from 2 to 100");
					goto done;
				}
				copts.folds = (unsigned)n;
			} else if (!strcmp(opt, "--seed"))
				copts.seed = (uint32_t)n;
			else if (!strcmp(opt, "--patience"))
				copts.patience = (unsigned)n;
			else
				copts.threads = (unsigned)(n > 256 ? 256 : n);
		} else if (!strcmp(arg, "--json")) {
			json = 1;
		} else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			help(stdout);
			rc = EXIT_OK;
			goto done;
		} else {
			cli_error("train: unknown argument '%s' (see 'trawic train --help')", arg);
			goto done;
		}
	}
	if (!output) {
		cli_error("train: no output file: -o FILE");
		goto done;
	}
	if (source_date(created, sizeof(created)) < 0)
		goto done;
	if ((error = cli_dataset_init(&ds, schema)) < 0) {
		cli_error("train: %s", trw_error_last());
		goto done;
	}
	if (cli_data_load(&ds, &a, "train", quiet) != EXIT_OK)
		goto done;

	prov.model = ds.model;
	prov.corpus_manifest_sha256 = ds.manifest_sha256;
	if (created[0])
		prov.created = created;
	if (!quiet) {
		copts.progress = on_progress;
		fprintf(stderr, "%s: training on %zu files of %zu repositories (schema %u)\n",
		    cli_progname, ds.n, ds.nrepos, schema);
	}
	if ((error = trw_classifier_train(&c, ds.X, ds.y, ds.group, ds.n, schema, &copts,
	    &prov)) < 0) {
		cli_error("train: %s", trw_error_last());
		goto done;
	}
	if ((error = trw_classifier_save(c, output)) < 0) {
		cli_error("train: %s", trw_error_last());
		goto done;
	}
	if (json) {
		if (print_json(c, &ds, output) < 0) {
			cli_error("train: %s", trw_error_last());
			goto done;
		}
	} else {
		const trw_cv_summary *cv = trw_classifier_get_cv(c);

		printf("classifier %s: model %s, schema %u, %zu files, %zu repositories\n",
		    output, ds.model ? ds.model : "?", schema, ds.n, ds.nrepos);
		printf("grid winner: C = 2^%d, gamma = 2^%d; %u-fold cross-validation grouped "
		    "by repository (seed %u)\n\n", cv->log2c, cv->log2g, cv->folds,
		    (unsigned)cv->seed);
		printf("cross-validated (out-of-fold, calibrated):\n");
		cli_print_metrics(stdout, &cv->file, &cv->repository, 0);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("train: writing the output failed");
		goto done;
	}
	rc = EXIT_OK;
done:
	trw_classifier_free(c);
	cli_dataset_free(&ds);
	cli_data_args_free(&a);
	return rc;
}
