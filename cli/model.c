/*
 * model.c - `trawic model`: build the embedded reference model from
 * repositories, describe a built one, and ask it to fill a gap.
 *
 *   trawic model build [--order N] [--rev REV] -o FILE SPEC...
 *   trawic model info [--files] FILE
 *   trawic model infill FILE [--prefix-file P] [--suffix-file S] [...]
 *   trawic model infill FILE --batch          (JSON Lines in and out)
 *
 * `infill` is a debugging and benchmarking verb: audits reach the model
 * through the query engine (`ref:FILE`), which derives the stop rule of
 * each candidate itself.  The rule derived here from --kind is a simple
 * stand-in for it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/util.h"
#include "extractor/extract.h"
#include "model/fim.h"
#include "model/ref.h"

#define MAX_LANGS 16
#define MAX_INPUT (256u << 20)	/* a prefix or suffix file, or one batch line */

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trawic model build [options] -o FILE SPEC...\n"
	    "       trawic model info [--files] FILE\n"
	    "       trawic model infill FILE [options]\n"
	    "\n"
	    "The reference model is an n-gram fill-in-the-middle model that trawic\n"
	    "builds from repositories: a model whose training set is known, for\n"
	    "offline audits, tests and benchmarks (use it as --model ref:FILE).\n"
	    "\n"
	    "build: learn from the files of each SPEC (a git repository, a URL or a\n"
	    "plain directory: the same files an audit reads) and write FILE.\n"
	    "  -o, --output FILE      the model file (written atomically)\n"
	    "  -n, --order N          n-gram order, 1 to 8 (default 6); higher\n"
	    "                         memorizes the training files more exactly\n"
	    "  -r, --rev REV          revision of every SPEC (default HEAD)\n"
	    "  -l, --lang L,...       only files of these languages\n"
	    "      --max-size SIZE    skip files larger than SIZE (default 1M)\n"
	    "      --stats            print a JSON summary line on stdout\n"
	    "  -q, --quiet            no summary on stderr\n"
	    "\n"
	    "info: identity, order and sizes of FILE as JSON; --files adds the\n"
	    "training files (path and blob id), the model's exact training set.\n"
	    "\n"
	    "infill: fill the gap between a prefix and a suffix.\n"
	    "  -p, --prefix-file P    the text before the gap (\"-\" = stdin)\n"
	    "  -s, --suffix-file S    the text after the gap\n"
	    "  -k, --kind K           the masked element's kind: sets the stop rule\n"
	    "                         (names: identifier; comment: newline; string,\n"
	    "                         docstring: the closing quote the suffix starts with)\n"
	    "      --stop RULE        ident, newline, none or delim:STRING\n"
	    "  -m, --max-tokens N     token budget (default 128)\n"
	    "      --logprobs         also print per-token log-probabilities\n"
	    "      --temperature T    sample instead of greedy (with --seed N)\n"
	    "      --batch            read JSON Lines queries on stdin ({\"prefix\",\n"
	    "                         \"suffix\", \"kind\", \"stop\", \"delim\", \"max_tokens\",\n"
	    "                         \"logprobs\", \"id\"}), write one result per line\n"
	    "      --stats            with --batch: a JSON summary line on stderr\n"
	    "\n"
	    "Exit status: 0 success, 2 error.\n");
}

/* ---- build ---------------------------------------------------------------- */

typedef struct lang_filter {
	const trw_lang *v[MAX_LANGS + 1];
	size_t n;
} lang_filter;

static int parse_langs(const char *arg, lang_filter *lf)
{
	char item[64];
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		const trw_lang *l;

		if (n == 0 || n >= sizeof(item) || lf->n == MAX_LANGS)
			return -1;
		memcpy(item, p, n);
		item[n] = '\0';
		if ((l = trw_lang_by_name(item)) == NULL)
			return -1;
		lf->v[lf->n++] = l;
		lf->v[lf->n] = NULL;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int cmd_build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "order", required_argument, NULL, 'n' },
		{ "rev", required_argument, NULL, 'r' },
		{ "lang", required_argument, NULL, 'l' },
		{ "max-size", required_argument, NULL, 'M' },
		{ "stats", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	trw_refmodel_build_options opts = TRW_REFMODEL_BUILD_OPTIONS_INIT;
	trw_refmodel_stats st;
	trw_refmodel *m = NULL;
	lang_filter lf = { { NULL }, 0 };
	const char *out = NULL;
	int c, stats = 0, quiet = 0;
	unsigned long long v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:n:r:l:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'n':
			if (parse_uint(optarg, 8, &v) < 0 || v < 1) {
				cli_error("--order: '%s' is not a number from 1 to 8", optarg);
				return EXIT_ERROR;
			}
			opts.order = (unsigned)v;
			break;
		case 'r':
			opts.rev = optarg;
			break;
		case 'l':
			if (parse_langs(optarg, &lf) < 0) {
				cli_error("--lang: unknown language in '%s' (python, c, cpp, java, "
				    "javascript, typescript, tsx, go, rust)", optarg);
				return EXIT_ERROR;
			}
			break;
		case 'M':
			if (cli_parse_size(optarg, &v) < 0 || v == 0) {
				cli_error("--max-size: '%s' is not a size (e.g. 512K, 1M)", optarg);
				return EXIT_ERROR;
			}
			opts.source.max_file_size = v;
			break;
		case 'S':
			stats = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "see 'trawic model --help'\n");
			return EXIT_ERROR;
		}
	}
	if (!out) {
		cli_error("model build: no output file (-o FILE)");
		return EXIT_ERROR;
	}
	if (optind == argc) {
		cli_error("model build: no repository given (see 'trawic model --help')");
		return EXIT_ERROR;
	}
	if (lf.n)
		opts.source.langs = lf.v;
	if (trw_refmodel_build(out, (const char *const *)argv + optind, (size_t)(argc - optind),
	    &opts, &st) < 0) {
		cli_error("model build: %s", trw_error_last());
		return EXIT_ERROR;
	}
	if (trw_refmodel_open(&m, out) < 0) {
		cli_error("model build: the model just written does not open: %s", trw_error_last());
		return EXIT_ERROR;
	}
	if (stats) {
		printf("{\"type\":\"summary\",\"identity\":\"%s\",\"order\":%u,\"files\":%llu,"
		    "\"bytes\":%llu,\"tokens\":%llu,\"vocabulary\":%llu,\"contexts\":%llu,"
		    "\"index_bytes\":%llu,\"seconds\":%.3f}\n", trw_refmodel_identity(m),
		    opts.order, (unsigned long long)st.files, (unsigned long long)st.bytes,
		    (unsigned long long)st.tokens, (unsigned long long)st.vocabulary,
		    (unsigned long long)st.contexts, (unsigned long long)st.index_bytes, st.seconds);
		fflush(stdout);
	}
	if (!quiet)
		fprintf(stderr, "trawic: %s: %llu files, %.2f MB, %llu tokens in %.2f s (%.2f MB/s); "
		    "%llu contexts, index %.1f MB (%.2fx the corpus); %s\n", out,
		    (unsigned long long)st.files, st.bytes / 1e6, (unsigned long long)st.tokens,
		    st.seconds, st.seconds > 0 ? st.bytes / 1e6 / st.seconds : 0.0,
		    (unsigned long long)st.contexts, st.index_bytes / 1e6,
		    st.bytes ? (double)st.index_bytes / (double)st.bytes : 0.0,
		    trw_refmodel_identity(m));
	trw_refmodel_free(m);
	return EXIT_OK;
}

/* ---- info ------------------------------------------------------------------ */

static int cmd_info(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "files", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	trw_refmodel *m = NULL;
	trw_refmodel_stats st;
	json_t *prov = NULL, *o = NULL;
	json_error_t jerr;
	const char *meta;
	size_t mlen;
	int c, files = 0, rc = EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			files = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "see 'trawic model --help'\n");
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		cli_error("model info: one model file (see 'trawic model --help')");
		return EXIT_ERROR;
	}
	if (trw_refmodel_open(&m, argv[optind]) < 0) {
		cli_error("model info: %s", trw_error_last());
		return EXIT_ERROR;
	}
	trw_refmodel_get_stats(m, &st);
	meta = trw_refmodel_provenance(m, &mlen);
	if ((prov = json_loadb(meta, mlen, 0, &jerr)) == NULL || !json_is_object(prov)) {
		cli_error("model info: '%s' has unreadable provenance: %s", argv[optind], jerr.text);
		goto done;
	}
	o = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:O?}",
	    "identity", trw_refmodel_identity(m),
	    "order", (int)trw_refmodel_order(m),
	    "files", (json_int_t)st.files,
	    "corpus_bytes", (json_int_t)st.bytes,
	    "tokens", (json_int_t)st.tokens,
	    "vocabulary", (json_int_t)st.vocabulary,
	    "contexts", (json_int_t)st.contexts,
	    "index_bytes", (json_int_t)st.index_bytes,
	    "index_ratio", st.bytes ? (double)st.index_bytes / (double)st.bytes : 0.0,
	    "sources", json_object_get(prov, "sources"));
	if (!o) {
		cli_error("model info: out of memory");
		goto done;
	}
	if (files)
		json_object_set(o, "training_files", json_object_get(prov, "files"));
	if (json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', stdout) == EOF ||
	    fflush(stdout) != 0) {
		cli_error("model info: writing the output failed");
		goto done;
	}
	rc = EXIT_OK;
done:
	json_decref(o);
	json_decref(prov);
	trw_refmodel_free(m);
	return rc;
}

/* ---- infill ---------------------------------------------------------------- */

static int read_file(const char *path, trw_buf *out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[1 << 16];
	size_t n;
	int error = 0;

	if (!f)
		return trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO, "cannot read '%s': %s",
		    path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((error = trw_buf_put(out, chunk, n)) < 0)
			break;
	if (!error && ferror(f))
		error = trw_error_set(TRW_EIO, "cannot read '%s': %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	return error;
}

/* The closing delimiter a string or docstring's suffix starts with. */
static void quote_of(const char *s, size_t len, trw_stop *stop)
{
	static const char *const quotes[] = { "\"\"\"", "'''", "\"", "'", "`", NULL };

	stop->mode = TRW_STOP_NONE;
	for (size_t i = 0; quotes[i]; i++) {
		size_t q = strlen(quotes[i]);

		if (len >= q && memcmp(s, quotes[i], q) == 0) {
			stop->mode = TRW_STOP_DELIM;
			memcpy(stop->delim, quotes[i], q + 1);
			return;
		}
	}
}

static void stop_for_kind(int kind, const char *suffix, size_t len, trw_stop *stop)
{
	memset(stop, 0, sizeof(*stop));
	switch (kind) {
	case TRW_KIND_FUNCTION_NAME:
	case TRW_KIND_CLASS_NAME:
	case TRW_KIND_VARIABLE_NAME:
		stop->mode = TRW_STOP_IDENT;
		break;
	case TRW_KIND_COMMENT:
		if (len >= 2 && memcmp(suffix, "*/", 2) == 0) {
			stop->mode = TRW_STOP_DELIM;
			memcpy(stop->delim, "*/", 3);
		} else {
			stop->mode = TRW_STOP_NEWLINE;
		}
		break;
	case TRW_KIND_STRING:
	case TRW_KIND_DOCSTRING:
		quote_of(suffix, len, stop);
		break;
	default:
		stop->mode = TRW_STOP_NONE;
	}
}

/* "ident", "newline", "none", "delim:STRING" (or "delim" with `delim`). */
static int parse_stop(const char *s, const char *delim, trw_stop *stop)
{
	memset(stop, 0, sizeof(*stop));
	if (strcmp(s, "ident") == 0)
		stop->mode = TRW_STOP_IDENT;
	else if (strcmp(s, "newline") == 0)
		stop->mode = TRW_STOP_NEWLINE;
	else if (strcmp(s, "none") == 0)
		stop->mode = TRW_STOP_NONE;
	else if (strncmp(s, "delim:", 6) == 0 || (strcmp(s, "delim") == 0 && delim)) {
		const char *d = s[5] == ':' ? s + 6 : delim;

		if (!*d || strlen(d) >= sizeof(stop->delim))
			return -1;
		stop->mode = TRW_STOP_DELIM;
		memcpy(stop->delim, d, strlen(d) + 1);
	} else
		return -1;
	return 0;
}

static void print_completion(FILE *f, const trw_completion *c, json_t *id, const trw_refmodel *m)
{
	fputc('{', f);
	if (id) {
		char *s = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);

		fprintf(f, "\"id\":%s,", s ? s : "null");
		free(s);
	}
	fputs("\"text\":", f);
	if (trw_utf8_valid(c->text, c->len)) {
		trw_json_write_string(f, c->text, c->len);
	} else {
		/* Only a stop cut inside a character does this (the corpus
		 * is UTF-8): keep the output JSON, bytes as \u00XX, and say so. */
		fputc('"', f);
		for (size_t i = 0; i < c->len; i++) {
			unsigned char ch = (unsigned char)c->text[i];

			if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
				fputc(ch, f);
			else
				fprintf(f, "\\u%04x", ch);
		}
		fputs("\",\"lossy\":true", f);
	}
	fprintf(f, ",\"tokens\":%zu", trw_refmodel_count_tokens(m, c->text, c->len));
	if (c->logprobs) {
		fputs(",\"logprobs\":[", f);
		for (size_t i = 0; i < c->nlogprobs; i++)
			fprintf(f, "%s%.6f", i ? "," : "", c->logprobs[i]);
		fputc(']', f);
	}
	fputs("}\n", f);
}

typedef struct infill_opts {
	int kind;		/* -1: none */
	const char *stop;	/* NULL: from the kind */
	unsigned max_tokens;
	int logprobs;
	double temperature;
	unsigned long long seed;
} infill_opts;

/* CPU time of this thread: the model's cost, whatever else the machine runs. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run_batch(const trw_refmodel *m, const infill_opts *io, int stats, int quiet)
{
	trw_buf line = TRW_BUF_INIT(MAX_INPUT);
	unsigned long long nq = 0, ntok = 0, lineno = 0;
	uint64_t model_ns = 0, model_cpu_ns = 0, t0 = trw_now_ns();
	int c = 0, rc = EXIT_ERROR;

	while (c != EOF) {
		json_t *q = NULL, *v;
		json_error_t jerr;
		trw_fim_query fq;
		trw_completion comp;
		const char *stop = io->stop, *delim = NULL;
		uint64_t t, tc;
		int ok = 1;

		trw_buf_clear(&line);
		for (;;) {
			char chunk[1 << 16];
			size_t n;

			if (!fgets(chunk, sizeof(chunk), stdin)) {
				c = EOF;
				break;
			}
			n = strlen(chunk);
			if (n && chunk[n - 1] == '\n') {
				if (trw_buf_put(&line, chunk, n - 1) < 0)
					goto toolong;
				break;
			}
			if (trw_buf_put(&line, chunk, n) < 0)
				goto toolong;
		}
		if (c == EOF && line.size == 0)
			break;
		lineno++;
		if (line.size == 0)
			continue;
		memset(&fq, 0, sizeof(fq));
		fq.decoding = (trw_decoding)TRW_DECODING_GREEDY;
		fq.decoding.max_tokens = io->max_tokens;
		fq.decoding.temperature = io->temperature;
		fq.decoding.seed = io->seed;
		fq.want_logprobs = io->logprobs;
		fq.kind = io->kind >= 0 ? (trw_kind)io->kind : TRW_KIND__COUNT;
		if ((q = json_loadb(line.ptr, line.size, 0, &jerr)) == NULL || !json_is_object(q)) {
			cli_error("model infill: line %llu: not a JSON object (%s)", lineno,
			    q ? "another JSON value" : jerr.text);
			json_decref(q);
			goto done;
		}
		v = json_object_get(q, "prefix");
		fq.prefix = json_string_value(v) ? json_string_value(v) : "";
		fq.prefix_len = json_string_value(v) ? json_string_length(v) : 0;
		v = json_object_get(q, "suffix");
		fq.suffix = json_string_value(v) ? json_string_value(v) : "";
		fq.suffix_len = json_string_value(v) ? json_string_length(v) : 0;
		if ((v = json_object_get(q, "kind")) != NULL) {
			int k = json_string_value(v) ? trw_kind_from_name(json_string_value(v)) : -1;

			ok = k >= 0;
			fq.kind = (trw_kind)k;
		}
		if ((v = json_object_get(q, "stop")) != NULL)
			ok = ok && (stop = json_string_value(v)) != NULL;
		if ((v = json_object_get(q, "delim")) != NULL)
			ok = ok && (delim = json_string_value(v)) != NULL;
		if ((v = json_object_get(q, "max_tokens")) != NULL) {
			ok = ok && json_is_integer(v) && json_integer_value(v) >= 0 &&
			    json_integer_value(v) <= 4096;
			if (ok)
				fq.decoding.max_tokens = (unsigned)json_integer_value(v);
		}
		if ((v = json_object_get(q, "logprobs")) != NULL)
			fq.want_logprobs = json_is_true(v);
		if (stop)
			ok = ok && parse_stop(stop, delim, &fq.stop) == 0;
		else
			stop_for_kind(fq.kind, fq.suffix, fq.suffix_len, &fq.stop);
		if (!ok) {
			cli_error("model infill: line %llu: bad field (kind: a kind name; stop: ident, "
			    "newline, none, delim:STRING; max_tokens: 0 to 4096)", lineno);
			json_decref(q);
			goto done;
		}
		t = trw_now_ns();
		tc = thread_cpu_ns();
		if (trw_refmodel_infill(m, &fq, &comp) < 0) {
			cli_error("model infill: line %llu: %s", lineno, trw_error_last());
			json_decref(q);
			goto done;
		}
		model_cpu_ns += thread_cpu_ns() - tc;
		model_ns += trw_now_ns() - t;
		nq++;
		ntok += trw_refmodel_count_tokens(m, comp.text, comp.len);
		print_completion(stdout, &comp, json_object_get(q, "id"), m);
		trw_completion_dispose(&comp);
		json_decref(q);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("model infill: writing the output failed");
		goto done;
	}
	{
		double ms = model_ns / 1e9, mc = model_cpu_ns / 1e9, wall = (trw_now_ns() - t0) / 1e9;

		if (stats)
			fprintf(stderr, "{\"type\":\"summary\",\"queries\":%llu,\"tokens\":%llu,"
			    "\"model_seconds\":%.6f,\"model_cpu_seconds\":%.6f,\"wall_seconds\":%.6f,"
			    "\"queries_per_second\":%.1f,\"queries_per_cpu_second\":%.1f}\n",
			    nq, ntok, ms, mc, wall, ms > 0 ? nq / ms : 0.0, mc > 0 ? nq / mc : 0.0);
		else if (!quiet)
			fprintf(stderr, "trawic: %llu queries, %llu tokens generated; %.3f s in the model "
			    "(%.0f queries/s), %.3f s in all\n", nq, ntok, ms, ms > 0 ? nq / ms : 0.0, wall);
	}
	rc = EXIT_OK;
	goto done;
toolong:
	cli_error("model infill: line %llu: %s", lineno + 1, trw_error_last());
done:
	trw_buf_dispose(&line);
	return rc;
}

static int cmd_infill(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prefix-file", required_argument, NULL, 'p' },
		{ "suffix-file", required_argument, NULL, 's' },
		{ "kind", required_argument, NULL, 'k' },
		{ "stop", required_argument, NULL, 'S' },
		{ "max-tokens", required_argument, NULL, 'm' },
		{ "logprobs", no_argument, NULL, 'L' },
		{ "temperature", required_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 'e' },
		{ "batch", no_argument, NULL, 'B' },
		{ "stats", no_argument, NULL, 'X' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	infill_opts io = { -1, NULL, 0, 0, 0.0, 42 };
	const char *pfile = NULL, *sfile = NULL;
	trw_buf prefix = TRW_BUF_INIT(MAX_INPUT), suffix = TRW_BUF_INIT(MAX_INPUT);
	trw_refmodel *m = NULL;
	trw_completion comp;
	trw_fim_query q;
	trw_stop stop;
	unsigned long long v;
	int c, batch = 0, stats = 0, quiet = 0, rc = EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:s:k:m:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pfile = optarg;
			break;
		case 's':
			sfile = optarg;
			break;
		case 'k':
			if ((io.kind = trw_kind_from_name(optarg)) < 0) {
				cli_error("--kind: unknown kind '%s' (function_name, class_name, "
				    "variable_name, string, comment, docstring)", optarg);
				return EXIT_ERROR;
			}
			break;
		case 'S':
			if (parse_stop(optarg, NULL, &stop) < 0) {
				cli_error("--stop: '%s' is not ident, newline, none or delim:STRING "
				    "(at most 15 bytes)", optarg);
				return EXIT_ERROR;
			}
			io.stop = optarg;
			break;
		case 'm':
			if (parse_uint(optarg, 4096, &v) < 0) {
				cli_error("--max-tokens: '%s' is not a number from 0 to 4096", optarg);
				return EXIT_ERROR;
			}
			io.max_tokens = (unsigned)v;
			break;
		case 'L':
			io.logprobs = 1;
			break;
		case 'T': {
			char *end;

			errno = 0;
			io.temperature = strtod(optarg, &end);
			if (errno || *end || !(io.temperature >= 0) || io.temperature > 100) {
				cli_error("--temperature: '%s' is not a number from 0 to 100", optarg);
				return EXIT_ERROR;
			}
			break;
		}
		case 'e':
			if (parse_uint(optarg, ~0ull, &io.seed) < 0) {
				cli_error("--seed: '%s' is not a number", optarg);
				return EXIT_ERROR;
			}
			break;
		case 'B':
			batch = 1;
			break;
		case 'X':
			stats = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "see 'trawic model --help'\n");
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		cli_error("model infill: one model file (see 'trawic model --help')");
		return EXIT_ERROR;
	}
	if (batch && (pfile || sfile)) {
		cli_error("model infill: --batch reads its queries on stdin, not from --prefix-file/--suffix-file");
		return EXIT_ERROR;
	}
	if (pfile && sfile && strcmp(pfile, "-") == 0 && strcmp(sfile, "-") == 0) {
		cli_error("model infill: only one of the prefix and the suffix can be read from stdin");
		return EXIT_ERROR;
	}
	if (trw_refmodel_open(&m, argv[optind]) < 0) {
		cli_error("model infill: %s", trw_error_last());
		return EXIT_ERROR;
	}
	if (batch) {
		rc = run_batch(m, &io, stats, quiet);
		goto done;
	}
	if ((pfile && read_file(pfile, &prefix) < 0) || (sfile && read_file(sfile, &suffix) < 0)) {
		cli_error("model infill: %s", trw_error_last());
		goto done;
	}
	memset(&q, 0, sizeof(q));
	q.prefix = prefix.ptr ? prefix.ptr : "";
	q.prefix_len = prefix.size;
	q.suffix = suffix.ptr ? suffix.ptr : "";
	q.suffix_len = suffix.size;
	q.kind = io.kind >= 0 ? (trw_kind)io.kind : TRW_KIND__COUNT;
	q.decoding = (trw_decoding)TRW_DECODING_GREEDY;
	q.decoding.max_tokens = io.max_tokens;
	q.decoding.temperature = io.temperature;
	q.decoding.seed = io.seed;
	q.want_logprobs = io.logprobs;
	if (io.stop)
		q.stop = stop;
	else
		stop_for_kind(q.kind, q.suffix, q.suffix_len, &q.stop);
	if (trw_refmodel_infill(m, &q, &comp) < 0) {
		cli_error("model infill: %s", trw_error_last());
		goto done;
	}
	print_completion(stdout, &comp, NULL, m);
	trw_completion_dispose(&comp);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("model infill: writing the output failed");
		goto done;
	}
	rc = EXIT_OK;
done:
	trw_buf_dispose(&prefix);
	trw_buf_dispose(&suffix);
	trw_refmodel_free(m);
	return rc;
}

int cmd_model(int argc, char **argv)
{
	if (argc < 2) {
		cli_error("model: no command given (build, info, infill; see 'trawic model --help')");
		return EXIT_ERROR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "build") == 0)
		return cmd_build(argc - 1, argv + 1);
	if (strcmp(argv[1], "info") == 0)
		return cmd_info(argc - 1, argv + 1);
	if (strcmp(argv[1], "infill") == 0)
		return cmd_infill(argc - 1, argv + 1);
	cli_error("model: '%s' is not a model command (build, info, infill)", argv[1]);
	return EXIT_ERROR;
}
