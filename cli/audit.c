/*
 * audit.c - `trawic audit`: the whole pipe on one repository, in-process
 * (audit/audit.h), then the reports (report/report.h) and the exit code.
 *
 * The report paths are checked before the audit starts, so a typo does
 * not cost a whole audit; the reports are written whatever the outcome,
 * marked incomplete or failed when the audit was.  Exit: 0 not judged
 * included, 1 included (or inconclusive under --fail-on inconclusive),
 * 2 an error or an audit that did not complete.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "common/error.h"
#include "common/util.h"
#include "extractor/extract.h"
#include "report/report.h"

#define MAX_REPORTS 16
#define MAX_PATHS 256

typedef struct request {
	trw_report_format format;
	char path_buf[4096];
	const char *path;		/* NULL = stdout */
} request;

typedef struct view {
	int mode;			/* 0 none, 1 terminal bar, 2 plain lines */
	uint64_t last_plain_ns;
	int drawn;
} view;

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: trawic audit [options] SPEC\n"
	    "\n"
	    "Audit the repository SPEC (a path, a URL or a plain directory): mask each\n"
	    "identifier, string, comment and docstring, ask the model to fill it in,\n"
	    "classify each file and decide whether the repository was in the model's\n"
	    "training set.  Without --model and configuration: the embedded reference\n"
	    "model and the default classifier (offline).\n"
	    "\n"
	    "  -r, --rev REV            revision (default HEAD)\n"
	    "  -m, --model M            a model spec (llamacpp:URL, openai:URL?model=..,\n"
	    "                           ollama:URL?model=.., ref:PATH) or a [model \"NAME\"]\n"
	    "      --classifier FILE    a classifier file (default: the embedded one)\n"
	    "  -o, --report FORMAT=PATH a report: json, sarif, junit, markdown, html; PATH\n"
	    "                           '-' is stdout; FORMAT inferred from PATH's extension\n"
	    "                           when omitted; repeat for several (checked writable\n"
	    "                           before the audit starts)\n"
	    "      --fail-on WHEN       included (default), inconclusive or never: when\n"
	    "                           the exit status is 1\n"
	    "      --threshold T        repository threshold tau, 0-1 (default: the\n"
	    "                           classifier's, 0.4)\n"
	    "      --file-threshold P   a file is a member when P(member) >= P (0.5)\n"
	    "      --semantic-threshold N  similarity 0-100 at which a string, comment or\n"
	    "                           docstring counts as reproduced (60)\n"
	    "      --paths GLOB...      audit only these paths (globs, directories)\n"
	    "      --kinds LIST         element kinds (default all six)\n"
	    "      --max-size SIZE      skip larger files (default 1M)\n"
	    "      --threads N          extraction threads (default: CPUs)\n"
	    "  -c, --concurrency N      requests in flight (default: the server's slots)\n"
	    "      --retries N          retries per query (default 4)\n"
	    "      --timeout-ms N       per request (default 60000)\n"
	    "      --cache FILE         query cache (default $XDG_CACHE_HOME/trawic/queries.sqlite)\n"
	    "      --no-cache           no query cache\n"
	    "      --max-evidence N     reproduced elements kept per file in reports (100)\n"
	    "      --config FILE        one more configuration file, above all others\n"
	    "      --progress MODE      auto (a bar on stderr when it is a terminal),\n"
	    "                           plain (a line every few seconds), none\n"
	    "  -q, --quiet              nothing but errors on stderr, no summary\n"
	    "  -h, --help               this text\n"
	    "\n"
	    "Configuration: [audit] and [report] of /etc/trawic/config,\n"
	    "$XDG_CONFIG_HOME/trawic/config, the repository's .trawic; see\n"
	    "`trawic config --list --show-origin`.\n"
	    "Exit status: 0 not judged included, 1 judged included (or inconclusive with\n"
	    "--fail-on inconclusive), 2 error or incomplete audit.\n");
}

/* ---- progress ----------------------------------------------------------- */

static void fmt_duration(char *buf, size_t n, double s)
{
	unsigned long long t = (unsigned long long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, n, "%lluh%02llum", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, n, "%llum%02llus", t / 60, t % 60);
	else
		snprintf(buf, n, "%llus", t);
}

static int on_progress(const trw_audit_progress *p, void *payload)
{
	view *v = payload;
	double rate = p->seconds > 0 ? p->queries_done / p->seconds : 0;
	unsigned long long done = p->files_done, total = p->files_total;

	if (total && done > total)
		done = total;
	if (v->mode == 1) {
		char bar[24], eta[32] = "?", tot[32] = "?";
		int width = 20, fill = total ? (int)(width * done / total) : 0;

		if (strcmp(p->phase, "done") == 0) {
			if (v->drawn)
				fputs("\r\033[K", stderr);
			fflush(stderr);
			return 0;
		}
		for (int i = 0; i < width; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[width] = '\0';
		if (total && done && p->seconds > 0)
			fmt_duration(eta, sizeof(eta), done >= total ? 0 :
			    p->seconds * (double)(total - done) / (double)done);
		if (total)
			snprintf(tot, sizeof(tot), "%llu", total);
		fprintf(stderr, "\r%s [%s] %llu/%s files, %llu queries, %llu cached, "
		    "%.0f q/s, ETA %s\033[K", p->phase, bar, done, tot,
		    (unsigned long long)p->queries_done, (unsigned long long)p->cache_hits,
		    rate, eta);
		v->drawn = 1;
		fflush(stderr);
	} else if (v->mode == 2 && (trw_now_ns() - v->last_plain_ns > 5000000000ull ||
	    strcmp(p->phase, "done") == 0)) {
		v->last_plain_ns = trw_now_ns();
		fprintf(stderr, "audit: %s: %llu/%llu files, %llu queries, %llu cached, "
		    "%llu failed, %.0f queries/s\n", p->phase, done, total,
		    (unsigned long long)p->queries_done, (unsigned long long)p->cache_hits,
		    (unsigned long long)p->queries_failed, rate);
		fflush(stderr);
	}
	return 0;
}

/* ---- summary --------------------------------------------------------- */

static double jreal(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void print_summary(FILE *f, const json_t *r)
{
	const json_t *repo = json_object_get(r, "repository");
	const json_t *verdict = json_object_get(r, "verdict");
	const json_t *counts = json_object_get(r, "counts");
	const json_t *errors = json_object_get(r, "errors"), *warnings = json_object_get(r, "warnings");
	const char *commit = json_string_value(json_object_get(repo, "commit"));
	const char *identity = json_string_value(json_object_get(json_object_get(r, "model"),
	    "identity"));
	size_t i;
	json_t *e;

	fprintf(f, "repository: %s @ %s%s%.12s%s\n",
	    json_string_value(json_object_get(repo, "spec")),
	    json_string_value(json_object_get(repo, "revision")),
	    commit ? " (" : "", commit ? commit : "", commit ? ")" : "");
	fprintf(f, "model:      %s\n", identity ? identity : "(not opened)");
	fprintf(f, "files:      %lld audited, %lld skipped, %lld failed; %lld queries, "
	    "%lld from cache, %lld model calls\n",
	    (long long)json_integer_value(json_object_get(counts, "files_audited")),
	    (long long)json_integer_value(json_object_get(counts, "files_skipped")),
	    (long long)json_integer_value(json_object_get(counts, "files_failed")),
	    (long long)json_integer_value(json_object_get(counts, "queries")),
	    (long long)json_integer_value(json_object_get(counts, "cache_hits")),
	    (long long)json_integer_value(json_object_get(counts, "model_calls")));
	json_array_foreach(warnings, i, e)
		fprintf(f, "warning:    %s\n", json_string_value(e));
	if (json_is_object(verdict)) {
		const json_t *iv = json_object_get(verdict, "interval");
		const char *name = json_string_value(json_object_get(verdict, "verdict"));

		fprintf(f, "verdict:    %s: %lld of %lld files judged members (%.0f%%, 95%% interval "
		    "%.0f-%.0f%%, threshold %.0f%%)\n",
		    strcmp(name, "included") == 0 ? "INCLUDED in the training set" :
		    strcmp(name, "not_included") == 0 ? "not included in the training set" :
		    "inconclusive",
		    (long long)json_integer_value(json_object_get(verdict, "member_files")),
		    (long long)json_integer_value(json_object_get(verdict, "files")),
		    100 * jreal(verdict, "fraction"),
		    100 * json_number_value(json_array_get(iv, 0)),
		    100 * json_number_value(json_array_get(iv, 1)),
		    100 * jreal(verdict, "threshold"));
	} else {
		fprintf(f, "verdict:    none: the audit is %s\n",
		    json_string_value(json_object_get(r, "status")));
	}
	json_array_foreach(errors, i, e)
		fprintf(f, "error:      %s\n", json_string_value(json_object_get(e, "message")));
}

/* ---- the verb ---------------------------------------------------------- */

static int add_request(request *reqs, size_t *n, const char *arg)
{
	request *r;

	if (*n == MAX_REPORTS) {
		cli_error("at most %d reports", MAX_REPORTS);
		return -1;
	}
	r = &reqs[*n];
	if (trw_report_parse_arg(arg, &r->format, r->path_buf, sizeof(r->path_buf),
	    &r->path) < 0) {
		cli_error("--report %s: %s", arg, trw_error_last());
		return -1;
	}
	(*n)++;
	return 0;
}

static int parse_real01(const char *opt, const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || end == arg || *end || !(*out >= 0 && *out <= 1)) {
		cli_error("%s: '%s' is not a number from 0 to 1", opt, arg);
		return -1;
	}
	return 0;
}

static int parse_ulong(const char *opt, const char *arg, unsigned long long max,
    unsigned long long *v)
{
	char *end;

	errno = 0;
	if (!*arg || *arg == '-' || (*v = strtoull(arg, &end, 10), errno || *end || *v > max)) {
		cli_error("%s: '%s' is not a number from 0 to %llu", opt, arg, max);
		return -1;
	}
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rev", required_argument, NULL, 'r' },
		{ "model", required_argument, NULL, 'm' },
		{ "classifier", required_argument, NULL, 'C' },
		{ "report", required_argument, NULL, 'o' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "file-threshold", required_argument, NULL, 'P' },
		{ "semantic-threshold", required_argument, NULL, 'S' },
		{ "paths", required_argument, NULL, 'p' },
		{ "kinds", required_argument, NULL, 'k' },
		{ "max-size", required_argument, NULL, 'Z' },
		{ "threads", required_argument, NULL, 'j' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "retries", required_argument, NULL, 'R' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "cache", required_argument, NULL, 'K' },
		{ "no-cache", no_argument, NULL, 'N' },
		{ "max-evidence", required_argument, NULL, 'E' },
		{ "config", required_argument, NULL, 'G' },
		{ "progress", required_argument, NULL, 'g' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	trw_audit_options o = TRW_AUDIT_OPTIONS_INIT;
	request reqs[MAX_REPORTS];
	const char *paths[MAX_PATHS + 1];
	size_t nreqs = 0, npaths = 0;
	const char *config_file = NULL, *progress = "auto";
	char **cfg_reports = NULL;
	size_t ncfg_reports = 0;
	trw_config *cfg = NULL;
	json_t *result = NULL;
	view v = { 0, 0, 0 };
	int quiet = 0, c, rc = EXIT_ERROR, error, summary_to_stderr = 0;
	unsigned long long n;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:m:o:c:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.rev = optarg; break;
		case 'm': o.model = optarg; break;
		case 'C': o.classifier = optarg; break;
		case 'o':
			if (add_request(reqs, &nreqs, optarg) < 0)
				return EXIT_ERROR;
			break;
		case 'F':
			if ((c = trw_fail_on_parse(optarg)) < 0) {
				cli_error("--fail-on: '%s' is not included, inconclusive or never",
				    optarg);
				return EXIT_ERROR;
			}
			o.fail_on = (trw_fail_on)c;
			o.fail_on_set = 1;
			break;
		case 'T':
			if (parse_real01("--threshold", optarg, &o.threshold) < 0)
				return EXIT_ERROR;
			break;
		case 'P':
			if (parse_real01("--file-threshold", optarg, &o.file_threshold) < 0)
				return EXIT_ERROR;
			break;
		case 'S':
			if (parse_ulong("--semantic-threshold", optarg, 100, &n) < 0)
				return EXIT_ERROR;
			o.semantic_threshold = (int)n;
			break;
		case 'p':
			/* --paths A B C: take the following non-option words too */
			if (npaths == MAX_PATHS) {
				cli_error("--paths: at most %d globs", MAX_PATHS);
				return EXIT_ERROR;
			}
			paths[npaths++] = optarg;
			while (optind < argc - 1 && argv[optind][0] != '-' && npaths < MAX_PATHS)
				paths[npaths++] = argv[optind++];
			break;
		case 'k':
			if (cli_parse_kinds("--kinds", optarg, &o.kinds) < 0)
				return EXIT_ERROR;
			break;
		case 'Z':
			if (cli_parse_size(optarg, &n) < 0 || n == 0) {
				cli_error("--max-size: '%s' is not a size (e.g. 512K, 2M)", optarg);
				return EXIT_ERROR;
			}
			o.max_file_size = n;
			break;
		case 'j':
			if (parse_ulong("--threads", optarg, 256, &n) < 0)
				return EXIT_ERROR;
			o.threads = (unsigned)n;
			break;
		case 'c':
			if (parse_ulong("--concurrency", optarg, 4096, &n) < 0)
				return EXIT_ERROR;
			o.engine.concurrency = (unsigned)n;
			break;
		case 'R':
			if (parse_ulong("--retries", optarg, 100, &n) < 0)
				return EXIT_ERROR;
			o.engine.retries = (unsigned)n;
			break;
		case 't':
			if (parse_ulong("--timeout-ms", optarg, 86400000, &n) < 0 || n == 0) {
				if (n == 0)
					cli_error("--timeout-ms: must be positive");
				return EXIT_ERROR;
			}
			o.engine.timeout_ms = (unsigned)n;
			break;
		case 'K': o.engine.cache_path = optarg; break;
		case 'N': o.engine.cache_path = ""; break;
		case 'E':
			if (parse_ulong("--max-evidence", optarg, 1000000, &n) < 0)
				return EXIT_ERROR;
			o.max_evidence = (size_t)n;
			break;
		case 'G': config_file = optarg; break;
		case 'g':
			if (strcmp(optarg, "auto") && strcmp(optarg, "plain") && strcmp(optarg, "none")) {
				cli_error("--progress: '%s' is not auto, plain or none", optarg);
				return EXIT_ERROR;
			}
			progress = optarg;
			break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		case ':':
			cli_error("%s needs a value", argv[optind - 1]);
			return EXIT_ERROR;
		default:
			cli_error("unknown option '%s'; see 'trawic audit --help'", argv[optind - 1]);
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		cli_error(optind == argc ? "audit: which repository? see 'trawic audit --help'" :
		    "audit: one repository at a time ('%s' is extra)", argv[optind + 1]);
		return EXIT_ERROR;
	}
	o.spec = argv[optind];
	if (npaths) {
		paths[npaths] = NULL;
		o.paths = paths;
	}

	/* the configuration: a bad file is an error before anything runs */
	if (trw_audit_config_open(&cfg, o.spec, config_file) < 0) {
		cli_error("%s", trw_error_last());
		return EXIT_ERROR;
	}
	o.config = cfg;
	if (nreqs == 0 && trw_config_get_all(cfg, "report.format", &cfg_reports,
	    &ncfg_reports) == 0) {
		for (size_t i = 0; i < ncfg_reports; i++)
			if (add_request(reqs, &nreqs, cfg_reports[i]) < 0)
				goto done;
	}
	for (size_t i = 0; i < nreqs; i++) {
		if (!reqs[i].path)
			summary_to_stderr = 1;
		else if (trw_report_check_writable(reqs[i].path) < 0) {
			cli_error("%s", trw_error_last());
			goto done;
		}
	}

	if (strcmp(progress, "plain") == 0)
		v.mode = 2;
	else if (strcmp(progress, "auto") == 0 && !quiet && isatty(STDERR_FILENO))
		v.mode = 1;
	if (v.mode) {
		o.progress = on_progress;
		o.progress_payload = &v;
	}

	error = trw_audit_run(&result, &o);
	if (!result) {
		cli_error("%s", trw_error_last());
		goto done;
	}
	c = trw_fail_on_parse(json_string_value(json_object_get(
	    json_object_get(result, "configuration"), "fail_on")));
	rc = trw_audit_exit_code(result, o.fail_on_set ? o.fail_on :
	    c < 0 ? TRW_FAIL_ON_INCLUDED : (trw_fail_on)c);
	if (error < 0 && rc != EXIT_ERROR)
		rc = EXIT_ERROR;	/* never 0 for an audit that did not complete */

	for (size_t i = 0; i < nreqs; i++) {
		trw_buf b = TRW_BUF_INIT(0);

		if (trw_report_render(&b, result, reqs[i].format) < 0 ||
		    trw_report_write(reqs[i].path, b.ptr ? b.ptr : "", b.size) < 0) {
			cli_error("%s report: %s", trw_report_format_name(reqs[i].format),
			    trw_error_last());
			rc = EXIT_ERROR;
		}
		trw_buf_dispose(&b);
	}
	if (!quiet)
		print_summary(summary_to_stderr ? stderr : stdout, result);
	else if (error < 0) {
		size_t i;
		json_t *e;

		json_array_foreach(json_object_get(result, "errors"), i, e)
			cli_error("%s", json_string_value(json_object_get(e, "message")));
	}
done:
	json_decref(result);
	trw_config_strings_free(cfg_reports);
	trw_config_free(cfg);
	return rc;
}
