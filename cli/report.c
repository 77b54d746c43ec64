/*
 * report.c - `trawic report`: render a saved audit result (the JSON
 * record of docs/audit-result.md) in other formats.
 *
 * It reads the record, checks every requested destination before writing
 * any (so a typo in the last --report does not leave the first ones
 * written), renders each report in memory, then writes each atomically.
 * It never runs an audit and never touches the model.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/util.h"
#include "report/report.h"

/* A record holds at most 100 evidence elements per file: even a very
 * large repository's stays far below this. */
#define MAX_RESULT_BYTES (1024ULL * 1024 * 1024)
#define MAX_REPORTS 16

typedef struct request {
	trw_report_format format;
	const char *path;	/* NULL = stdout */
	char buf[PATH_MAX];
	trw_buf out;		/* the rendering */
} request;

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trawic report [--report FORMAT=PATH ...] [-f FORMAT] [RESULT.json|-]\n"
	    "\n"
	    "Render a saved audit result (the JSON record `trawic audit --report json=FILE`\n"
	    "writes, or `trawic result JOB` prints) in other formats.  RESULT is read\n"
	    "from standard input when it is '-' or absent.  With neither --report nor -f,\n"
	    "the record is printed as JSON on standard output.\n"
	    "\n"
	    "  -r, --report SPEC     write a report; SPEC is FORMAT=PATH, PATH (the format\n"
	    "                        from the extension: .json, .sarif, .sarif.json, .xml,\n"
	    "                        .md, .html) or FORMAT (standard output); repeatable\n"
	    "  -f, --format FORMAT   print the report in FORMAT on standard output\n"
	    "  -h, --help            this text\n"
	    "\n"
	    "Formats: json (the record), sarif (SARIF 2.1.0 for GitHub code scanning),\n"
	    "junit (JUnit XML for GitLab, Jenkins), markdown, html.\n"
	    "Reports are written atomically (a temporary file, then rename); nothing\n"
	    "is written unless every destination is writable.\n"
	    "\n"
	    "Exit status: 0 success, 2 error (unreadable or invalid record, unknown\n"
	    "format, unwritable destination).\n");
}

static int read_all(trw_buf *b, FILE *f, const char *name)
{
	char chunk[65536];
	size_t n;
	int error;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((error = trw_buf_put(b, chunk, n)) < 0) {
			if (error == TRW_ETOOBIG)
				return trw_error_set(TRW_ETOOBIG, "%s: larger than %llu MiB; not an "
				    "audit result", name, MAX_RESULT_BYTES >> 20);
			return error;
		}
	if (ferror(f))
		return trw_error_set(TRW_EIO, "%s: %s", name, strerror(errno));
	return 0;
}

static int load(json_t **out, const char *path)
{
	trw_buf b = TRW_BUF_INIT(MAX_RESULT_BYTES);
	const char *name = path ? path : "standard input";
	FILE *f = stdin;
	json_error_t jerr;
	int error = 0;

	if (path && !(f = fopen(path, "rb"))) {
		error = trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO, "%s: %s", path,
		    strerror(errno));
		goto done;
	}
	if ((error = read_all(&b, f, name)) < 0)
		goto done;
	if (b.size == 0) {
		error = trw_error_set(TRW_EINVALID, "%s: empty; not an audit result", name);
		goto done;
	}
	/* NUL is legal in JSON strings, and source text may hold one */
	if (!(*out = json_loadb(b.ptr, b.size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr))) {
		error = trw_error_set(TRW_EINVALID, "%s:%d:%d: not JSON: %s", name, jerr.line,
		    jerr.column, jerr.text);
		goto done;
	}
done:
	if (f && f != stdin)
		fclose(f);
	trw_buf_dispose(&b);
	return error;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "report", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	request *req = NULL;
	size_t nreq = 0, nstdout = 0;
	const char *input = NULL;
	json_t *result = NULL;
	int c, error = 0, rc = EXIT_ERROR;

	cli_progname = "trawic report";
	if (!(req = calloc(MAX_REPORTS, sizeof(*req)))) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'f':
			if (nreq == MAX_REPORTS) {
				cli_error("at most %d reports at a time", MAX_REPORTS);
				goto done;
			}
			if (c == 'f') {
				int f = trw_report_format_parse(optarg);

				if (f < 0) {
					cli_error("-f: unknown format '%s' (json, sarif, junit, "
					    "markdown, html)", optarg);
					goto done;
				}
				req[nreq].format = (trw_report_format)f;
				req[nreq].path = NULL;
			} else if (trw_report_parse_arg(optarg, &req[nreq].format, req[nreq].buf,
			    sizeof(req[nreq].buf), &req[nreq].path) < 0) {
				cli_error("--report: %s", trw_error_last());
				goto done;
			}
			nstdout += req[nreq].path == NULL;
			nreq++;
			break;
		case 'h':
			help(stdout);
			rc = EXIT_OK;
			goto done;
		default:
			fprintf(stderr, "see 'trawic report --help'\n");
			goto done;
		}
	}
	if (argc - optind > 1) {
		cli_error("one audit result at a time (see 'trawic report --help')");
		goto done;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0)
		input = argv[optind];
	else if (optind == argc && isatty(STDIN_FILENO)) {
		cli_error("no audit result given: RESULT.json, or '-' for standard input "
		    "(see 'trawic report --help')");
		goto done;
	}
	if (nstdout > 1) {
		cli_error("%zu reports asked for standard output; only one can go there "
		    "(write the others to files: FORMAT=PATH)", nstdout);
		goto done;
	}
	if (nreq == 0) {
		req[0].format = TRW_REPORT_JSON;
		req[0].path = NULL;
		nreq = 1;
	}
	for (size_t i = 0; i < nreq; i++)
		for (size_t j = 0; j < i; j++)
			if (req[i].path && req[j].path && strcmp(req[i].path, req[j].path) == 0) {
				cli_error("'%s' is asked for twice", req[i].path);
				goto done;
			}

	if ((error = load(&result, input)) < 0)
		goto done;
	for (size_t i = 0; i < nreq; i++)
		if ((error = trw_report_check_writable(req[i].path)) < 0)
			goto done;
	/* render everything first: a record a renderer rejects writes nothing */
	for (size_t i = 0; i < nreq; i++)
		if ((error = trw_report_render(&req[i].out, result, req[i].format)) < 0)
			goto done;
	for (size_t i = 0; i < nreq; i++)
		if ((error = trw_report_write(req[i].path, req[i].out.ptr ? req[i].out.ptr : "",
		    req[i].out.size)) < 0)
			goto done;
	rc = EXIT_OK;

done:
	if (error < 0)
		cli_error("%s", trw_error_last());
	for (size_t i = 0; i < MAX_REPORTS; i++)
		trw_buf_dispose(&req[i].out);
	json_decref(result);
	free(req);
	return rc;
}
