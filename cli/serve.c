/*
 * serve.c - `trawic serve`: run the model server (model/serve.h) in the
 * foreground until SIGINT or SIGTERM.
 *
 * This file parses options, prints the bound address for whoever started
 * it (a test reads the line, or --port-file), and waits for a signal.  It
 * does no HTTP itself.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/error.h"
#include "model/serve.h"

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trawic serve --model SPEC [options]\n"
	    "\n"
	    "Serve a model over the llama.cpp (/health, /props, /tokenize,\n"
	    "/detokenize, /infill, /completion), OpenAI-compatible (/v1/models,\n"
	    "/v1/completions) and Ollama (/api/show, /api/generate, /api/tags,\n"
	    "/api/version, /) routes, with their field names, status codes and\n"
	    "error bodies, a fixed capacity and injected faults: a real server\n"
	    "process to test and benchmark clients against.  SPEC is ref:PATH, a\n"
	    "reference model built by `trawic model build`.\n"
	    "\n"
	    "  -m, --model SPEC       the model to serve (ref:PATH)\n"
	    "  -l, --listen HOST:PORT address (default 127.0.0.1:8080); port 0 picks\n"
	    "                         a free port\n"
	    "      --port-file FILE   also write the bound port to FILE\n"
	    "  -s, --slots S          requests computed at once (default 1); the\n"
	    "                         others wait in line\n"
	    "      --latency-ms L     each computed request takes at least L ms\n"
	    "      --fail-rate P      fraction of model requests that fail (0..1)\n"
	    "      --faults LIST      how they fail: 503,500,reset,stall (default all)\n"
	    "      --stall-ms MS      length of a stall (default 30000)\n"
	    "      --seed N           seed of the fault sequence (default 1)\n"
	    "      --loading-ms M     answer 503 \"Loading model\" for M ms after start\n"
	    "      --template NAME    FIM template of /completion and /v1/completions\n"
	    "                         prompts (default starcoder2)\n"
	    "      --alias NAME       the model's name in the APIs (default: the path)\n"
	    "  -c, --ctx-size N       per-slot context in tokens (default: the model's)\n"
	    "      --max-body SIZE    request body limit (default 8M)\n"
	    "  -v, --verbose          log one line per request on stderr\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "On start it prints `listening on HOST:PORT` on stdout.  SIGINT or SIGTERM\n"
	    "stops it gracefully.  Exit status: 0 after a signal, 2 on error (bad\n"
	    "option, unreadable model, address in use).\n");
}

/* A non-negative integer no larger than `max`, or -1. */
static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_rate(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0.0 && v <= 1.0))
		return -1;
	*out = v;
	return 0;
}

/* Written whole or not at all: a reader polling for it never sees half. */
static int write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *f;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

enum {
	OPT_PORT_FILE = 256, OPT_LATENCY, OPT_FAIL_RATE, OPT_FAULTS, OPT_STALL, OPT_SEED,
	OPT_LOADING, OPT_TEMPLATE, OPT_ALIAS, OPT_MAX_BODY
};

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, OPT_PORT_FILE },
		{ "slots", required_argument, NULL, 's' },
		{ "latency-ms", required_argument, NULL, OPT_LATENCY },
		{ "fail-rate", required_argument, NULL, OPT_FAIL_RATE },
		{ "faults", required_argument, NULL, OPT_FAULTS },
		{ "stall-ms", required_argument, NULL, OPT_STALL },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "loading-ms", required_argument, NULL, OPT_LOADING },
		{ "template", required_argument, NULL, OPT_TEMPLATE },
		{ "alias", required_argument, NULL, OPT_ALIAS },
		{ "ctx-size", required_argument, NULL, 'c' },
		{ "max-body", required_argument, NULL, OPT_MAX_BODY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	trw_server_options opts = TRW_SERVER_OPTIONS_INIT;
	trw_server *server = NULL;
	trw_server_stats st;
	const char *model = NULL, *port_file = NULL;
	unsigned long long v;
	sigset_t sigs;
	int c, sig, verbose = 0, ret = EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:l:s:c:vh", longopts, NULL)) != -1) {
		const char *bad = NULL;

		switch (c) {
		case 'm': model = optarg; break;
		case 'l': opts.listen = optarg; break;
		case OPT_PORT_FILE: port_file = optarg; break;
		case 's':
			if (parse_uint(optarg, 4096, &v) < 0 || v == 0)
				bad = "--slots wants a number of slots from 1 to 4096";
			opts.slots = (unsigned)v;
			break;
		case OPT_LATENCY:
			if (parse_uint(optarg, 3600000, &v) < 0)
				bad = "--latency-ms wants milliseconds";
			opts.latency_ms = (unsigned)v;
			break;
		case OPT_FAIL_RATE:
			if (parse_rate(optarg, &opts.fail_rate) < 0)
				bad = "--fail-rate wants a probability between 0 and 1";
			break;
		case OPT_FAULTS:
			if (trw_fault_parse(&opts.faults, optarg) < 0) {
				cli_error("serve: --faults: %s", trw_error_last());
				return EXIT_ERROR;
			}
			break;
		case OPT_STALL:
			if (parse_uint(optarg, 3600000, &v) < 0 || v == 0)
				bad = "--stall-ms wants milliseconds (at least 1)";
			opts.stall_ms = (unsigned)v;
			break;
		case OPT_SEED:
			if (parse_uint(optarg, UINT64_MAX, &v) < 0)
				bad = "--seed wants a non-negative integer";
			opts.seed = v;
			break;
		case OPT_LOADING:
			if (parse_uint(optarg, 3600000, &v) < 0)
				bad = "--loading-ms wants milliseconds";
			opts.loading_ms = (unsigned)v;
			break;
		case OPT_TEMPLATE: opts.template_name = optarg; break;
		case OPT_ALIAS:
			if (!*optarg)
				bad = "--alias wants a non-empty name";
			opts.alias = optarg;
			break;
		case 'c':
			if (parse_uint(optarg, 1u << 30, &v) < 0 || v == 0)
				bad = "--ctx-size wants a number of tokens";
			opts.n_ctx = (unsigned)v;
			break;
		case OPT_MAX_BODY:
			if (cli_parse_size(optarg, &v) < 0 || v == 0 || v > (1ull << 32))
				bad = "--max-body wants a size such as 8M";
			opts.max_body = (size_t)v;
			break;
		case 'v': verbose = 1; break;
		case 'h': help(stdout); return EXIT_OK;
		default:
			fprintf(stderr, "Try 'trawic serve --help'.\n");
			return EXIT_ERROR;
		}
		if (bad) {
			cli_error("serve: %s, not '%s'", bad, optarg);
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		cli_error("serve: unexpected argument '%s'", argv[optind]);
		return EXIT_ERROR;
	}
	if (!model) {
		cli_error("serve: no model given (--model ref:PATH)");
		return EXIT_ERROR;
	}
	if (verbose)
		opts.log = stderr;

	/*
	 * The signals are taken synchronously by this thread: blocked before
	 * the server starts, so that its threads inherit the mask and a
	 * signal never interrupts a request.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (trw_server_new(&server, model, &opts) < 0) {
		cli_error("serve: %s", trw_error_last());
		goto done;
	}
	if (port_file && write_port_file(port_file, trw_server_port(server)) < 0) {
		cli_error("serve: cannot write %s: %s", port_file, strerror(errno));
		goto done;
	}
	printf("listening on %s\n", trw_server_address(server));
	fflush(stdout);

	if (sigwait(&sigs, &sig) != 0)
		goto done;
	if (verbose)
		fprintf(stderr, "trawic serve: %s, stopping\n", strsignal(sig));
	ret = EXIT_OK;
done:
	if (server) {
		trw_server_get_stats(server, &st);
		trw_server_free(server);
		if (verbose)
			fprintf(stderr, "trawic serve: %llu requests, %llu completions, "
			    "faults 503:%llu 500:%llu reset:%llu stall:%llu, at most %u busy\n",
			    (unsigned long long)st.requests, (unsigned long long)st.completions,
			    (unsigned long long)st.faults[0], (unsigned long long)st.faults[1],
			    (unsigned long long)st.faults[2], (unsigned long long)st.faults[3],
			    st.max_busy);
	}
	if (port_file && ret == EXIT_OK)
		unlink(port_file);
	return ret;
}
