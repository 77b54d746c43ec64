/*
 * probe.c - `trawic probe`: TraWiC's probe of one repository, as JSON
 * Lines: one record per candidate (what was masked, what the model
 * answered, the similarity and whether it is a hit), one per file (its
 * feature vector: per kind hits/total and total), and a summary.
 *
 * A query that failed after its retries is printed as failed, never as a
 * miss; its file gets no feature vector, and the command exits 2.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classifier/compare.h"
#include "classifier/probe.h"
#include "cli/cli.h"
#include "common/error.h"
#include "common/util.h"
#include "extractor/source.h"
#include "model/engine.h"

#define MAX_LANGS 16

typedef struct out {
	FILE *f;
	int progress;		/* 0 none, 1 terminal line, 2 plain lines */
	uint64_t last_plain_ns;
} out;

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trawic probe [options] --model MODEL SPEC\n"
	    "\n"
	    "Mask every element of every file of SPEC, ask MODEL to fill it in, and\n"
	    "compare.  One JSON line per element and per file on stdout (or -o FILE).\n"
	    "\n"
	    "  -m, --model MODEL      llamacpp:URL | openai:URL?model=M&template=T |\n"
	    "                         ollama:URL?model=M | ref:PATH | NAME, a\n"
	    "                         [model \"NAME\"] section of the configuration\n"
	    "      --config FILE      one more configuration file, over the system\n"
	    "                         ($TRAWIC_SYSTEM_CONFIG or /etc/trawic/config) and\n"
	    "                         user ($XDG_CONFIG_HOME/trawic/config) files\n"
	    "  -r, --rev REV          revision (default HEAD)\n"
	    "  -l, --lang L,...       only these languages\n"
	    "  -k, --kinds K,...      only these kinds\n"
	    "      --context N        window budget in tokens (default: the model's\n"
	    "                         context, at most 1024)\n"
	    "      --threshold T      semantic hit threshold, 0-100 (default 60)\n"
	    "  -c, --concurrency N    requests in flight (default: the server's slots)\n"
	    "      --retries N        retries per query (default 4)\n"
	    "      --timeout-ms N     per request (default 60000)\n"
	    "      --logprobs         ask for per-token log-probabilities\n"
	    "      --temperature T    sample instead of greedy decoding\n"
	    "      --seed N           decoding seed (default 42)\n"
	    "      --cache FILE       query cache (default $XDG_CACHE_HOME/trawic/queries.sqlite)\n"
	    "      --no-cache         no persistent cache\n"
	    "      --progress MODE    auto (a line on stderr when it is a terminal:\n"
	    "                         files done/total, queries, cache hits, queries/s,\n"
	    "                         ETA), plain (a line every 5 s), none\n"
	    "  -o, --output FILE      write the records to FILE\n"
	    "  -q, --quiet            no summary on stderr\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "Exit status: 0 every query answered, 2 an error or an incomplete probe.\n");
}

static void print_item(FILE *f, const trw_file *file, const trw_probe_item *it)
{
	fputs("{\"type\":\"probe\",\"path\":", f);
	trw_json_write_string(f, file->path, strlen(file->path));
	fprintf(f, ",\"lang\":\"%s\",\"kind\":\"%s\",\"line\":%u,\"col\":%u,"
	    "\"start_byte\":%u,\"end_byte\":%u,\"text\":", file->lang->name,
	    trw_kind_name(it->cand.kind), it->cand.line, it->cand.col,
	    it->cand.start_byte, it->cand.end_byte);
	trw_json_write_string(f, it->cand.text, it->cand.end_byte - it->cand.start_byte);
	if (it->error) {
		fputs(",\"error\":", f);
		trw_json_write_string(f, it->message, strlen(it->message));
	} else {
		fputs(",\"completion\":", f);
		if (trw_utf8_valid(it->completion, it->completion_len))
			trw_json_write_string(f, it->completion, it->completion_len);
		else
			fputs("null,\"completion_invalid_utf8\":true", f);
		fprintf(f, ",\"similarity\":%d,\"hit\":%s,\"cached\":%s,\"latency_ms\":%.1f",
		    it->similarity, it->hit ? "true" : "false", it->cached ? "true" : "false",
		    it->latency_ms);
		if (it->logprobs) {
			fputs(",\"logprobs\":[", f);
			for (size_t i = 0; i < it->nlogprobs; i++)
				fprintf(f, "%s%.4f", i ? "," : "", it->logprobs[i]);
			fputs("]", f);
		}
	}
	fprintf(f, ",\"prefix_tokens\":%u,\"suffix_tokens\":%u}\n", it->prefix_tokens,
	    it->suffix_tokens);
}

static void print_file(FILE *f, const trw_probe_file *pf)
{
	const trw_file *file = pf->file;

	fputs("{\"type\":\"file\",\"path\":", f);
	trw_json_write_string(f, file->path, strlen(file->path));
	fprintf(f, ",\"blob\":\"%s\"", file->blob);
	if (file->lang)
		fprintf(f, ",\"lang\":\"%s\"", file->lang->name);
	if (file->skipped != TRW_SKIP_NONE) {
		fprintf(f, ",\"skipped\":\"%s\"}\n", trw_skip_name(file->skipped));
		return;
	}
	fprintf(f, ",\"candidates\":%zu,\"failed\":%zu,\"complete\":%s,\"features\":",
	    pf->count, pf->failed, pf->failed ? "false" : "true");
	if (pf->failed) {
		/* a feature vector from partial data would be a lie */
		fputs("null}\n", f);
		return;
	}
	fputs("{", f);
	for (int k = 0; k < TRW_KIND__COUNT; k++) {
		fprintf(f, "%s\"%s\":{\"hits\":%u,\"total\":%u,\"rate\":", k ? "," : "",
		    trw_kind_name(k), pf->hits[k], pf->totals[k]);
		if (pf->totals[k])
			fprintf(f, "%.6f}", (double)pf->hits[k] / pf->totals[k]);
		else
			fputs("null}", f);
	}
	fputs("}}\n", f);
}

static int on_file(const trw_probe_file *pf, void *payload)
{
	out *o = payload;

	for (size_t i = 0; i < pf->count; i++)
		print_item(o->f, pf->file, &pf->items[i]);
	print_file(o->f, pf);
	return 0;
}

/* "ETA 1m05s" from the share of files done; "ETA ?" before any is. */
static void format_eta(char *buf, size_t n, const trw_probe_progress *p)
{
	double left;
	unsigned long long s;

	if (!p->files_total || !p->files_done || p->seconds <= 0) {
		snprintf(buf, n, "ETA ?");
		return;
	}
	left = p->files_done >= p->files_total ? 0 :
	    p->seconds * (double)(p->files_total - p->files_done) / (double)p->files_done;
	s = (unsigned long long)(left + 0.5);
	if (s >= 3600)
		snprintf(buf, n, "ETA %lluh%02llum", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, n, "ETA %llum%02llus", s / 60, s % 60);
	else
		snprintf(buf, n, "ETA %llus", s);
}

static int on_progress(const trw_probe_progress *p, void *payload)
{
	out *o = payload;
	double rate = p->seconds > 0 ? p->queries_done / p->seconds : 0;

	if (o->progress == 1) {
		char eta[32], total[32] = "?";
		/* The total counts the files of the tree; a file the scan
		 * reports twice cannot push "done" past it on screen. */
		unsigned long long done = p->files_done;

		if (p->files_total) {
			snprintf(total, sizeof(total), "%llu", (unsigned long long)p->files_total);
			if (done > p->files_total)
				done = p->files_total;
		}
		format_eta(eta, sizeof(eta), p);
		fprintf(stderr, "\rprobe: %llu/%s files, %llu queries (%llu cached, %llu failed), "
		    "%.0f queries/s, %.0f s, %s\033[K", done, total,
		    (unsigned long long)p->queries_done, (unsigned long long)p->cache_hits,
		    (unsigned long long)p->queries_failed, rate, p->seconds, eta);
	} else if (o->progress == 2 && trw_now_ns() - o->last_plain_ns > 5000000000ull) {
		o->last_plain_ns = trw_now_ns();
		fprintf(stderr, "probe: %llu files, %llu queries, %llu cached, %llu failed, "
		    "%.0f queries/s\n", (unsigned long long)p->files_done,
		    (unsigned long long)p->queries_done, (unsigned long long)p->cache_hits,
		    (unsigned long long)p->queries_failed, rate);
	}
	fflush(stderr);
	return 0;
}

static int parse_uint(const char *opt, const char *arg, unsigned long long max,
    unsigned long long *v)
{
	char *end;

	if (!arg || !*arg || *arg == '-')
		goto bad;
	*v = strtoull(arg, &end, 10);
	if (*end || *v > max)
		goto bad;
	return 0;
bad:
	cli_error("%s: '%s' is not a number from 0 to %llu", opt, arg ? arg : "", max);
	return -1;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'F' },
		{ "rev", required_argument, NULL, 'r' },
		{ "lang", required_argument, NULL, 'l' },
		{ "kinds", required_argument, NULL, 'k' },
		{ "context", required_argument, NULL, 'C' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "retries", required_argument, NULL, 'R' },
		{ "timeout-ms", required_argument, NULL, 'W' },
		{ "logprobs", no_argument, NULL, 'L' },
		{ "temperature", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "cache", required_argument, NULL, 'H' },
		{ "no-cache", no_argument, NULL, 'N' },
		{ "progress", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	trw_probe_options popts = TRW_PROBE_OPTIONS_INIT;
	trw_engine_options eopts = TRW_ENGINE_OPTIONS_INIT;
	const trw_lang *langs[MAX_LANGS + 1] = { NULL };
	trw_engine *engine = NULL;
	trw_probe_stats st;
	const char *model = NULL, *output = NULL, *progress = "auto";
	unsigned long long v;
	int c, quiet = 0, error = 0, rc = EXIT_ERROR, inited = 0;
	out o = { stdout, 0, 0 };

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:r:l:k:c:o:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': model = optarg; break;
		case 'F': eopts.config_file = optarg; break;
		case 'r': popts.rev = optarg; break;
		case 'l':
			if (cli_parse_langs("--lang", optarg, langs, MAX_LANGS) < 0)
				return EXIT_ERROR;
			popts.langs = langs;
			break;
		case 'k':
			if (cli_parse_kinds("--kinds", optarg, &popts.kinds) < 0)
				return EXIT_ERROR;
			break;
		case 'C':
			if (parse_uint("--context", optarg, 1u << 20, &v) < 0)
				return EXIT_ERROR;
			popts.context_tokens = (unsigned)v;
			break;
		case 'T':
			if (parse_uint("--threshold", optarg, 100, &v) < 0)
				return EXIT_ERROR;
			popts.semantic_threshold = (int)v;
			break;
		case 'c':
			if (parse_uint("--concurrency", optarg, 1024, &v) < 0)
				return EXIT_ERROR;
			eopts.concurrency = (unsigned)v;
			break;
		case 'R':
			if (parse_uint("--retries", optarg, 100, &v) < 0)
				return EXIT_ERROR;
			eopts.retries = (unsigned)v;
			break;
		case 'W':
			if (parse_uint("--timeout-ms", optarg, 3600000, &v) < 0 || v == 0)
				return EXIT_ERROR;
			eopts.timeout_ms = (unsigned)v;
			break;
		case 'L': popts.want_logprobs = 1; break;
		case 't': {
			char *end;
			double t = strtod(optarg, &end);

			if (*end || t < 0 || t > 5) {
				cli_error("--temperature: '%s' is not a number from 0 to 5", optarg);
				return EXIT_ERROR;
			}
			popts.decoding.temperature = t;
			break;
		}
		case 's':
			if (parse_uint("--seed", optarg, UINT64_MAX, &v) < 0)
				return EXIT_ERROR;
			popts.decoding.seed = v;
			break;
		case 'H': eopts.cache_path = optarg; break;
		case 'N': eopts.cache_path = ""; break;
		case 'P':
			if (strcmp(optarg, "auto") && strcmp(optarg, "plain") && strcmp(optarg, "none")) {
				cli_error("--progress: '%s' is not auto, plain or none", optarg);
				return EXIT_ERROR;
			}
			progress = optarg;
			break;
		case 'o': output = optarg; break;
		case 'j':
			if (parse_uint("--threads", optarg, 64, &v) < 0)
				return EXIT_ERROR;
			popts.threads = (unsigned)v;
			break;
		case 'q': quiet = 1; break;
		case 'h': help(stdout); return EXIT_OK;
		default:
			fprintf(stderr, "see 'trawic probe --help'\n");
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		cli_error("probe: %s (see 'trawic probe --help')",
		    optind == argc ? "no repository given" : "one repository at a time");
		return EXIT_ERROR;
	}
	if (!model) {
		cli_error("probe: no model given: --model ref:PATH, llamacpp:URL, ...");
		return EXIT_ERROR;
	}
	if (strcmp(progress, "plain") == 0)
		o.progress = 2;
	else if (strcmp(progress, "auto") == 0 && !quiet && isatty(STDERR_FILENO))
		o.progress = 1;
	if (o.progress) {
		popts.progress = on_progress;
		popts.progress_payload = &o;
	}
	if (output && !(o.f = fopen(output, "w"))) {
		cli_error("cannot write %s: %s", output, strerror(errno));
		return EXIT_ERROR;
	}

	if ((error = trw_source_global_init()) < 0)
		goto done;
	inited = 1;
	if ((error = trw_engine_new(&engine, model, &eopts)) < 0)
		goto done;
	error = trw_probe_run(engine, argv[optind], &popts, on_file, &o, &st);
	if (o.progress == 1)
		fputc('\n', stderr);
	if (error == 0 || error == TRW_EMODEL) {
		fprintf(o.f, "{\"type\":\"summary\",\"model\":");
		trw_json_write_string(o.f, trw_engine_identity(engine),
		    strlen(trw_engine_identity(engine)));
		fprintf(o.f, ",\"complete\":%s,\"files\":%llu,\"files_probed\":%llu,"
		    "\"files_failed\":%llu,\"queries\":%llu,\"queries_failed\":%llu,"
		    "\"cache_hits\":%llu,\"model_calls\":%llu,\"deduplicated\":%llu,"
		    "\"prompt_tokens\":%llu,\"whole_file_tokens\":%llu,\"seconds\":%.3f}\n",
		    error ? "false" : "true",
		    (unsigned long long)st.files, (unsigned long long)st.files_probed,
		    (unsigned long long)st.files_failed, (unsigned long long)st.queries,
		    (unsigned long long)st.queries_failed, (unsigned long long)st.cache_hits,
		    (unsigned long long)st.model_calls, (unsigned long long)st.deduplicated,
		    (unsigned long long)st.prompt_tokens, (unsigned long long)st.whole_file_tokens,
		    st.seconds);
		if (!quiet)
			fprintf(stderr, "trawic: probed %llu files, %llu queries (%llu cached, "
			    "%llu model calls, %llu failed) in %.2f s\n",
			    (unsigned long long)st.files_probed, (unsigned long long)st.queries,
			    (unsigned long long)st.cache_hits, (unsigned long long)st.model_calls,
			    (unsigned long long)st.queries_failed, st.seconds);
	}
	if (fflush(o.f) != 0 || ferror(o.f)) {
		cli_error("writing the output failed");
		goto done;
	}
	if (error == 0)
		rc = EXIT_OK;

done:
	if (error < 0)
		cli_error("%s", trw_error_last());
	if (o.f != stdout)
		fclose(o.f);
	trw_engine_free(engine);
	if (inited)
		trw_source_global_shutdown();
	return rc;
}
