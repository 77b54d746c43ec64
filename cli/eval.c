/*
 * eval.c - `trawic eval`: measure a classifier file on labelled
 * repositories.  Probes them (with the classifier's feature schema),
 * predicts P(member) per file, decides each repository (verdict.h), and
 * reports file- and repository-level metrics, the confusion matrices and
 * the reliability table; --json for machines, --plot for an SVG.
 *
 * It does not train or adjust anything: the thresholds are the
 * classifier file's.  A failed probe exits 2 with no metric printed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classifier/metrics.h"
#include "classifier/svm.h"
#include "classifier/verdict.h"
#include "cli/cli.h"
#include "cli/dataset.h"
#include "common/error.h"

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trawic eval --classifier FILE --model M (--corpus DIR |\n"
	    "                   --members SPEC... --non-members SPEC...) [--json] [--plot FILE.svg]\n"
	    "       trawic eval --classifier FILE --from PROBES.jsonl... (--members NAME...\n"
	    "                   --non-members NAME... | --labels FILE)\n"
	    "\n"
	    "Probe labelled repositories, predict P(member) for every file with the\n"
	    "classifier, decide each repository (fraction of files with P >= 0.5 against\n"
	    "the classifier's tau, Wilson 95%% interval) and measure: precision, recall,\n"
	    "specificity, accuracy, F1, ROC-AUC, TPR at FPR 1%% and 5%%, the confusion\n"
	    "matrices and the reliability table, for files and for repositories.\n"
	    "\n"
	    "  -c, --classifier FILE  a classifier file written by `trawic train`\n"
	    "  -m, --model MODEL      the model to probe (as for `trawic probe`)\n"
	    "      --members SPEC..., --non-members SPEC..., --corpus DIR,\n"
	    "      --from FILE..., --labels FILE   as for `trawic train`\n"
	    "      --no-logprobs      do not ask for log-probabilities (schema 2 asks)\n"
	    "      --retries N, --timeout-ms N, --concurrency N, --context N\n"
	    "      --cache FILE, --no-cache   as for `trawic probe`\n"
	    "      --json             everything as one JSON document on stdout\n"
	    "      --plot FILE.svg    the ROC curves and the reliability diagram\n"
	    "  -q, --quiet            no progress on stderr\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "Exit status: 0 measured, 2 an error (including a failed probe).\n");
}

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static int print_json(const cli_dataset *ds, const double *p, const trw_metrics *fm,
    const trw_repo_eval *re, const char *classifier, const trw_classifier_info *info)
{
	json_t *doc = NULL, *jf = NULL, *jr = NULL, *repos, *files;
	int error;

	if ((error = trw_metrics_to_json(&jf, fm)) < 0 ||
	    (error = trw_metrics_to_json(&jr, &re->metrics)) < 0)
		goto done;
	repos = json_array();
	for (size_t i = 0; i < re->count; i++) {
		const trw_repo_result *r = &re->repos[i];
		const trw_verdict *v = &r->verdict;

		json_array_append_new(repos, json_pack("{s:s, s:b, s:s, s:I, s:I, s:o, s:o, "
		    "s:o, s:o, s:s}", "repo", r->repo, "member", r->label,
		    "verdict", trw_verdict_name(v->verdict), "files", (json_int_t)v->files,
		    "member_files", (json_int_t)v->member_files, "fraction", num(v->fraction),
		    "lower", num(v->lower), "upper", num(v->upper),
		    "mean_probability", num(v->mean_probability), "reason", v->reason));
	}
	files = json_array();
	for (size_t i = 0; i < ds->n; i++)
		json_array_append_new(files, json_pack("{s:s, s:s, s:b, s:f}", "repo",
		    ds->group[i], "path", ds->path[i], "member", ds->y[i], "p", p[i]));
	doc = json_pack("{s:s, s:s?, s:s?, s:i, s:f, s:f, s:o, s:o, s:{s:{s:I, s:I, s:I}, "
	    "s:{s:I, s:I, s:I}}, s:o, s:o}",
	    "classifier", classifier, "model", ds->model,
	    "trained_on_model", info->provenance->model, "schema", (int)info->schema,
	    "file_threshold", info->file_threshold, "repo_threshold", info->repo_threshold,
	    "file", jf, "repository", jr,
	    "verdicts",
	    "member", "included", (json_int_t)re->verdicts[1][TRW_VERDICT_INCLUDED],
	    "not_included", (json_int_t)re->verdicts[1][TRW_VERDICT_NOT_INCLUDED],
	    "inconclusive", (json_int_t)re->verdicts[1][TRW_VERDICT_INCONCLUSIVE],
	    "non_member", "included", (json_int_t)re->verdicts[0][TRW_VERDICT_INCLUDED],
	    "not_included", (json_int_t)re->verdicts[0][TRW_VERDICT_NOT_INCLUDED],
	    "inconclusive", (json_int_t)re->verdicts[0][TRW_VERDICT_INCONCLUSIVE],
	    "repositories", repos, "files", files);
	jf = jr = NULL;
	if (!doc) {
		error = trw_error_set(TRW_ENOMEM, "out of memory");
		goto done;
	}
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	fputc('\n', stdout);
done:
	json_decref(doc);
	json_decref(jf);
	json_decref(jr);
	return error;
}

static void print_text(const cli_dataset *ds, const trw_metrics *fm, const trw_repo_eval *re,
    const trw_classifier_info *info)
{
	printf("model %s; classifier trained on %s (schema %u)\n", ds->model ? ds->model : "?",
	    info->provenance->model ? info->provenance->model : "?", info->schema);
	printf("%zu files of %zu repositories; file threshold %.2f, tau %.2f\n\n", ds->n,
	    ds->nrepos, info->file_threshold, info->repo_threshold);
	cli_print_metrics(stdout, fm, &re->metrics, 1);
	printf("\n");
	cli_print_confusion(stdout, "files", fm);
	cli_print_confusion(stdout, "repositories, fraction of member files > tau",
	    &re->metrics);
	printf("repositories, Wilson 95%% verdicts\n");
	printf("  %-18s %12s %12s %12s\n", "", "included", "not incl.", "inconclusive");
	for (int l = 1; l >= 0; l--)
		printf("  %-18s %12zu %12zu %12zu\n", l ? "true member" : "true non-member",
		    re->verdicts[l][TRW_VERDICT_INCLUDED], re->verdicts[l][TRW_VERDICT_NOT_INCLUDED],
		    re->verdicts[l][TRW_VERDICT_INCONCLUSIVE]);
	printf("\nreliability (files)\n  %-12s %8s %12s %12s\n", "P(member)", "files",
	    "mean P", "observed");
	for (int b = 0; b < TRW_RELIABILITY_BINS; b++) {
		const trw_reliability_bin *bin = &fm->bins[b];

		printf("  [%.1f, %.1f%c %8zu", bin->lo, bin->hi,
		    b == TRW_RELIABILITY_BINS - 1 ? ']' : ')', bin->count);
		if (bin->count)
			printf(" %12.4f %12.4f\n", bin->mean_predicted, bin->observed);
		else
			printf(" %12s %12s\n", "-", "-");
	}
	if (fm->calibrated)
		printf("  ECE %.4f, Brier %.4f, log-loss %.4f\n", fm->ece, fm->brier,
		    fm->log_loss);
	printf("\nrepositories\n  %-30s %-10s %-13s %7s %8s %17s %8s\n", "repository", "truth",
	    "verdict", "files", "fraction", "Wilson 95%", "mean P");
	for (size_t i = 0; i < re->count; i++) {
		const trw_repo_result *r = &re->repos[i];
		const trw_verdict *v = &r->verdict;

		printf("  %-30s %-10s %-13s %7zu %8.3f    [%.3f, %.3f] %8.3f\n", r->repo,
		    r->label ? "member" : "non-member", trw_verdict_name(v->verdict), v->files,
		    v->fraction, v->lower, v->upper, v->mean_probability);
	}
}

static int write_plot(const char *path, const trw_metrics *fm, const trw_roc_point *roc,
    size_t nroc, const trw_repo_eval *re)
{
	char flabel[64], rlabel[64], *svg = NULL;
	trw_svg_curve curves[2];
	size_t nc = 0;
	FILE *f;
	int error;

	snprintf(flabel, sizeof(flabel), "files (AUC %.3f)", fm->auc);
	snprintf(rlabel, sizeof(rlabel), "repositories (AUC %.3f)", re->metrics.auc);
	if (nroc)
		curves[nc++] = (trw_svg_curve){ flabel, roc, nroc };
	if (re->roc_count)
		curves[nc++] = (trw_svg_curve){ rlabel, re->roc, re->roc_count };
	if ((error = trw_metrics_svg(&svg, "trawic eval", curves, nc,
	    fm->calibrated ? fm->bins : NULL, fm->calibrated ? TRW_RELIABILITY_BINS : 0)) < 0)
		return error;
	if (!(f = fopen(path, "w"))) {
		free(svg);
		return trw_error_set(TRW_EIO, "cannot write %s: %s", path, strerror(errno));
	}
	fputs(svg, f);
	free(svg);
	if (fclose(f) != 0)
		return trw_error_set(TRW_EIO, "writing %s failed", path);
	return 0;
}

int cmd_eval(int argc, char **argv)
{
	cli_data_args a = CLI_DATA_ARGS_INIT;
	trw_verdict_options vopts = TRW_VERDICT_OPTIONS_INIT;
	const trw_classifier_info *info;
	trw_classifier *c = NULL;
	trw_repo_eval *re = NULL;
	trw_roc_point *roc = NULL;
	size_t nroc = 0;
	trw_metrics fm;
	cli_dataset ds;
	const char *classifier = NULL, *plot = NULL;
	double *p = NULL;
	int rc = EXIT_ERROR, json = 0, quiet = 0, error, r;

	memset(&ds, 0, sizeof(ds));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if ((r = cli_data_arg(&a, argc, argv, &i)) < 0)
			goto done;
		if (r)
			continue;
		if (cli_opt_is(arg, "--classifier") || !strcmp(arg, "-c")) {
			if (!(classifier = cli_opt_value(argc, argv, &i, "--classifier")))
				goto done;
		} else if (cli_opt_is(arg, "--plot")) {
			if (!(plot = cli_opt_value(argc, argv, &i, "--plot")))
				goto done;
		} else if (!strcmp(arg, "--json")) {
			json = 1;
		} else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			help(stdout);
			rc = EXIT_OK;
			goto done;
		} else {
			cli_error("eval: unknown argument '%s' (see 'trawic eval --help')", arg);
			goto done;
		}
	}
	if (!classifier) {
		cli_error("eval: no classifier: --classifier FILE");
		goto done;
	}
	/* load first: a bad classifier file must not cost a probe */
	if ((error = trw_classifier_load(&c, classifier, 0)) < 0) {
		cli_error("eval: %s", trw_error_last());
		goto done;
	}
	info = trw_classifier_get_info(c);
	if ((error = cli_dataset_init(&ds, info->schema)) < 0) {
		cli_error("eval: %s", trw_error_last());
		goto done;
	}
	if (cli_data_load(&ds, &a, "eval", quiet) != EXIT_OK)
		goto done;
	if (info->provenance->model && ds.model && strcmp(info->provenance->model, ds.model))
		fprintf(stderr, "%s: warning: the classifier was trained on probes of %s, "
		    "these are of %s\n", cli_progname, info->provenance->model, ds.model);

	p = cli_xrealloc(NULL, ds.n * sizeof(double));
	for (size_t i = 0; i < ds.n; i++)
		if ((error = trw_classifier_predict(&p[i], c, ds.X + i * ds.ncols)) < 0)
			goto fail;
	if ((error = trw_metrics_compute(&fm, ds.y, p, ds.n, info->file_threshold)) < 0 ||
	    (error = trw_metrics_roc(&roc, &nroc, ds.y, p, ds.n)) < 0)
		goto fail;
	vopts.file_threshold = info->file_threshold;
	vopts.threshold = info->repo_threshold;
	if ((error = trw_metrics_repositories(&re, ds.group, ds.y, p, ds.n, &vopts)) < 0)
		goto fail;
	if (plot && (error = write_plot(plot, &fm, roc, nroc, re)) < 0)
		goto fail;
	if (json) {
		if ((error = print_json(&ds, p, &fm, re, classifier, info)) < 0)
			goto fail;
	} else {
		print_text(&ds, &fm, re, info);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("eval: writing the output failed");
		goto done;
	}
	rc = EXIT_OK;
	goto done;
fail:
	cli_error("eval: %s", trw_error_last());
done:
	free(p);
	free(roc);
	trw_repo_eval_free(re);
	trw_classifier_free(c);
	cli_dataset_free(&ds);
	cli_data_args_free(&a);
	return rc;
}
