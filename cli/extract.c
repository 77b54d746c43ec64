/*
 * extract.c - `trawic extract`: the candidates of a repository, as JSON
 * Lines on stdout, with a summary on stderr (or as a last JSON line with
 * --stats).
 *
 * It streams: files are extracted on a few threads (trw_scan) and printed
 * in tree order as soon as they are done, so memory does not grow with
 * the size of the repository.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/util.h"
#include "extractor/extract.h"
#include "extractor/scan.h"
#include "extractor/source.h"

#define MAX_LANGS 16

typedef struct run {
	FILE *out;
	int files;		/* --files */
	int text;		/* --format text */
	size_t nlangs;
	const trw_lang *table;
	/* summary */
	unsigned long long nfiles, nextracted, bytes, syntax_errors, dropped;
	unsigned long long skipped[TRW_SKIP__COUNT];
	unsigned long long by_lang_kind[MAX_LANGS][TRW_KIND__COUNT];
} run;

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trawic extract [options] SPEC\n"
	    "\n"
	    "List the elements TraWiC masks (function, class and variable names,\n"
	    "strings, comments, docstrings) in the files of SPEC at a revision,\n"
	    "one JSON object per line.  SPEC is a git repository (path or URL;\n"
	    "URLs are cloned bare into $XDG_CACHE_HOME/trawic) or a plain directory.\n"
	    "\n"
	    "  -r, --rev REV          revision to read (default HEAD); no checkout\n"
	    "  -l, --lang L,...       only these languages (python,c,cpp,java,\n"
	    "                         javascript,typescript,tsx,go,rust)\n"
	    "  -k, --kinds K,...      only these kinds (function_name,class_name,\n"
	    "                         variable_name,string,comment,docstring)\n"
	    "      --max-size SIZE    skip files larger than SIZE (default 1M)\n"
	    "      --files            also print one record per file, skipped or not\n"
	    "      --format FMT       jsonl (default) or text (path:line:col: kind: text)\n"
	    "      --stats            end with a JSON summary line on stdout\n"
	    "  -j, --threads N        extraction threads (default: one per CPU)\n"
	    "  -q, --quiet            no summary on stderr\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "Exit status: 0 success, 2 error (bad path, not a repository, unknown\n"
	    "revision, clone failure, bad option).\n");
}

static void write_text_escaped(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\\': fputs("\\\\", f); break;
		default: putc(s[i], f);
		}
	}
}

static void print_file_record(run *r, const trw_file *file, size_t ncand, int syntax_errors)
{
	FILE *f = r->out;

	fputs("{\"type\":\"file\",\"path\":", f);
	trw_json_write_string(f, file->path, strlen(file->path));
	fprintf(f, ",\"blob\":\"%s\",\"size\":%llu", file->blob,
	    (unsigned long long)file->size);
	if (file->lang)
		fprintf(f, ",\"lang\":\"%s\"", file->lang->name);
	if (file->skipped != TRW_SKIP_NONE)
		fprintf(f, ",\"skipped\":\"%s\"", trw_skip_name(file->skipped));
	else
		fprintf(f, ",\"candidates\":%zu,\"syntax_errors\":%s", ncand,
		    syntax_errors ? "true" : "false");
	fputs("}\n", f);
}

static void print_candidate(run *r, const trw_file *file, const trw_candidate *c)
{
	FILE *f = r->out;
	size_t len = c->end_byte - c->start_byte;

	if (r->text) {
		fprintf(f, "%s:%u:%u: %s: ", file->path, c->line, c->col,
		    trw_kind_name(c->kind));
		write_text_escaped(f, c->text, len);
		putc('\n', f);
		return;
	}
	fputs("{\"type\":\"candidate\",\"path\":", f);
	trw_json_write_string(f, file->path, strlen(file->path));
	fprintf(f, ",\"lang\":\"%s\",\"blob\":\"%s\",\"kind\":\"%s\","
	    "\"start_byte\":%u,\"end_byte\":%u,\"line\":%u,\"col\":%u,\"text\":",
	    file->lang->name, file->blob, trw_kind_name(c->kind),
	    c->start_byte, c->end_byte, c->line, c->col);
	trw_json_write_string(f, c->text, len);
	fputs("}\n", f);
}

static int on_file(const trw_file *file, const trw_extract_result *res, void *payload)
{
	run *r = payload;

	r->nfiles++;
	if (!res) {
		r->skipped[file->skipped]++;
		if (r->files && !r->text)
			print_file_record(r, file, 0, 0);
		return 0;
	}
	r->nextracted++;
	r->bytes += file->size;
	r->dropped += res->dropped;
	if (res->has_error)
		r->syntax_errors++;
	if (r->files && !r->text)
		print_file_record(r, file, res->count, res->has_error);
	for (size_t i = 0; i < res->count; i++) {
		r->by_lang_kind[file->lang - r->table][res->candidates[i].kind]++;
		print_candidate(r, file, &res->candidates[i]);
	}
	return 0;
}

static unsigned long long kind_total(const run *r, int kind)
{
	unsigned long long n = 0;

	for (size_t l = 0; l < r->nlangs; l++)
		n += r->by_lang_kind[l][kind];
	return n;
}

static void print_summary_json(const run *r, double secs, const char *commit)
{
	FILE *f = r->out;
	unsigned long long total = 0, nskipped = 0;
	int first;

	for (int k = 0; k < TRW_KIND__COUNT; k++)
		total += kind_total(r, k);
	for (int s = 1; s < TRW_SKIP__COUNT; s++)
		nskipped += r->skipped[s];
	fprintf(f, "{\"type\":\"summary\",\"commit\":\"%s\",\"files\":%llu,\"extracted\":%llu,"
	    "\"skipped\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"syntax_error_files\":%llu,"
	    "\"dropped_trivial\":%llu,\"candidates\":%llu,\"skipped_by_reason\":{",
	    commit, r->nfiles, r->nextracted, nskipped, r->bytes, secs,
	    r->syntax_errors, r->dropped, total);
	first = 1;
	for (int s = 1; s < TRW_SKIP__COUNT; s++) {
		if (!r->skipped[s])
			continue;
		fprintf(f, "%s\"%s\":%llu", first ? "" : ",", trw_skip_name(s), r->skipped[s]);
		first = 0;
	}
	fputs("},\"by_kind\":{", f);
	for (int k = 0; k < TRW_KIND__COUNT; k++)
		fprintf(f, "%s\"%s\":%llu", k ? "," : "", trw_kind_name(k), kind_total(r, k));
	fputs("},\"by_lang\":{", f);
	first = 1;
	for (size_t l = 0; l < r->nlangs; l++) {
		unsigned long long n = 0;

		for (int k = 0; k < TRW_KIND__COUNT; k++)
			n += r->by_lang_kind[l][k];
		if (!n)
			continue;
		fprintf(f, "%s\"%s\":{", first ? "" : ",", r->table[l].name);
		for (int k = 0; k < TRW_KIND__COUNT; k++)
			fprintf(f, "%s\"%s\":%llu", k ? "," : "", trw_kind_name(k),
			    r->by_lang_kind[l][k]);
		fputs("}", f);
		first = 0;
	}
	fputs("}}\n", f);
}

static void print_summary_human(const run *r, double secs)
{
	unsigned long long total = 0, nskipped = 0;

	for (int k = 0; k < TRW_KIND__COUNT; k++)
		total += kind_total(r, k);
	for (int s = 1; s < TRW_SKIP__COUNT; s++)
		nskipped += r->skipped[s];
	fprintf(stderr, "trawic: %llu files, %llu extracted (%.2f MB) in %.2f s, "
	    "%llu candidates (%.0f/s)\n", r->nfiles, r->nextracted, r->bytes / 1e6,
	    secs, total, secs > 0 ? total / secs : 0.0);
	if (nskipped) {
		int first = 1;

		fprintf(stderr, "  skipped %llu:", nskipped);
		for (int s = 1; s < TRW_SKIP__COUNT; s++) {
			if (!r->skipped[s])
				continue;
			fprintf(stderr, "%s %s %llu", first ? "" : ",", trw_skip_name(s), r->skipped[s]);
			first = 0;
		}
		fputc('\n', stderr);
	}
	if (r->syntax_errors)
		fprintf(stderr, "  %llu files with syntax errors (extracted what the parser recovered)\n",
		    r->syntax_errors);
	fprintf(stderr, "  %-12s", "");
	for (int k = 0; k < TRW_KIND__COUNT; k++)
		fprintf(stderr, " %14s", trw_kind_name(k));
	fputc('\n', stderr);
	for (size_t l = 0; l < r->nlangs; l++) {
		unsigned long long n = 0;

		for (int k = 0; k < TRW_KIND__COUNT; k++)
			n += r->by_lang_kind[l][k];
		if (!n)
			continue;
		fprintf(stderr, "  %-12s", r->table[l].name);
		for (int k = 0; k < TRW_KIND__COUNT; k++)
			fprintf(stderr, " %14llu", r->by_lang_kind[l][k]);
		fputc('\n', stderr);
	}
}

int cmd_extract(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rev", required_argument, NULL, 'r' },
		{ "lang", required_argument, NULL, 'l' },
		{ "kinds", required_argument, NULL, 'k' },
		{ "max-size", required_argument, NULL, 'M' },
		{ "files", no_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'f' },
		{ "stats", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "threads", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	trw_source_options sopts = TRW_SOURCE_OPTIONS_INIT;
	trw_scan_options scopts = TRW_SCAN_OPTIONS_INIT;
	trw_extractor *check = NULL;
	const trw_lang *langs[MAX_LANGS + 1] = { NULL };
	trw_source *src = NULL;
	const char *rev = NULL;
	int stats = 0, quiet = 0, c, error = 0, rc = EXIT_ERROR, inited = 0;
	static char outbuf[1 << 16];
	uint64_t t0;
	run r;

	memset(&r, 0, sizeof(r));
	r.out = stdout;
	r.table = trw_lang_table(&r.nlangs);
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:l:k:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rev = optarg;
			break;
		case 'l':
			if (cli_parse_langs("--lang", optarg, langs, MAX_LANGS) < 0)
				return EXIT_ERROR;
			break;
		case 'k':
			if (cli_parse_kinds("--kinds", optarg, &scopts.extract.kinds) < 0)
				return EXIT_ERROR;
			break;
		case 'M': {
			unsigned long long v;

			if (cli_parse_size(optarg, &v) < 0 || v == 0) {
				cli_error("--max-size: '%s' is not a size (e.g. 512K, 1M)", optarg);
				return EXIT_ERROR;
			}
			sopts.max_file_size = v;
			break;
		}
		case 'F':
			r.files = 1;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				r.text = 1;
			else if (strcmp(optarg, "jsonl") != 0) {
				cli_error("--format: '%s' is neither jsonl nor text", optarg);
				return EXIT_ERROR;
			}
			break;
		case 'S':
			stats = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'j': {
			unsigned long long v;

			if (cli_parse_size(optarg, &v) < 0 || v > 64) {
				cli_error("--threads: '%s' is not a number from 0 to 64", optarg);
				return EXIT_ERROR;
			}
			scopts.threads = (unsigned)v;
			break;
		}
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "see 'trawic extract --help'\n");
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		cli_error(optind == argc ? "extract: no repository given (see 'trawic extract --help')"
		    : "extract: one repository at a time (see 'trawic extract --help')");
		return EXIT_ERROR;
	}
	if (langs[0])
		sopts.langs = langs;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	t0 = trw_now_ns();
	if ((error = trw_source_global_init()) < 0)
		goto done;
	inited = 1;
	/*
	 * A broken query file is an installation error: report it before any
	 * output for the languages asked for.  Others load on first use
	 * (compiling all nine queries costs about 0.3 s).
	 */
	if ((error = trw_extractor_new(&check, &scopts.extract)) < 0)
		goto done;
	for (size_t i = 0; langs[i]; i++)
		if ((error = trw_extractor_load(check, langs[i])) < 0)
			goto done;
	if ((error = trw_source_open(&src, argv[optind], &sopts)) < 0)
		goto done;
	if ((error = trw_source_set_revision(src, rev)) < 0)
		goto done;
	if ((error = trw_scan(src, &scopts, on_file, &r)) < 0)
		goto done;

	{
		double secs = (trw_now_ns() - t0) / 1e9;

		if (stats)
			print_summary_json(&r, secs, trw_source_commit(src));
		if (fflush(stdout) != 0 || ferror(stdout)) {
			cli_error("writing the output failed");
			goto done;
		}
		if (!quiet)
			print_summary_human(&r, secs);
	}
	rc = EXIT_OK;

done:
	if (error < 0) {
		fflush(stdout);
		cli_error("%s", trw_error_last());
	}
	trw_source_free(src);
	trw_extractor_free(check);
	if (inited)
		trw_source_global_shutdown();
	return rc;
}
