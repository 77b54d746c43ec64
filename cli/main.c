/*
 * main.c - trawic(1): dispatch to a verb.
 *
 * Thin on purpose: every verb lives in its own file and calls the library;
 * this file only knows the list of verbs and the global options.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cli/cli.h"
#include "extractor/extract.h"
#include "extractor/lang.h"

const char *cli_progname = "trawic";

static const struct verb {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} verbs[] = {
	{ "audit", cmd_audit, "audit a repository: was it in the model's training set?" },
	{ "report", cmd_report, "render a saved audit result (JSON) in other formats" },
	{ "config", cmd_config, "show the effective configuration and where it comes from" },
	{ "submit", cmd_submit, "submit an audit job to trawicd" },
	{ "status", cmd_status, "show the state of a job" },
	{ "watch", cmd_watch, "follow a job's progress until it ends" },
	{ "result", cmd_result, "print a job's result or report" },
	{ "cancel", cmd_cancel, "cancel a job" },
	{ "jobs", cmd_jobs, "list your jobs" },
	{ "ping", cmd_ping, "check that trawicd answers" },
	{ "daemon-stats", cmd_daemon_stats, "trawicd's queue and workers (JSON)" },
	{ "hook", cmd_hook, "install or remove a git hook that submits audits" },
	{ "extract", cmd_extract, "list the maskable elements of a repository (JSON Lines)" },
	{ "probe", cmd_probe, "mask each element, ask the model, compare (JSON Lines)" },
	{ "train", cmd_train, "train the membership classifier on labelled repositories" },
	{ "eval", cmd_eval, "measure a classifier on labelled repositories" },
	{ "model", cmd_model, "build the embedded reference model from repositories" },
	{ "serve", cmd_serve, "serve a model over the llama.cpp, OpenAI and Ollama protocols" },
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: trawic [--version] [--help] <command> [<args>]\n"
	    "\n"
	    "Was this repository in a language model's training set?  trawic masks\n"
	    "identifiers, strings and comments, asks the model to fill them in, and\n"
	    "measures how often it reproduces them (the TraWiC method).\n"
	    "\n"
	    "commands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "   %-13s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f,
	    "\n"
	    "'trawic <command> --help' describes a command.\n"
	    "Exit status: 0 success, 1 judged included, 2 error, 3 daemon unreachable,\n"
	    "4 job not ended (trawic result).\n");
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: return -1;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Calls fn(item) for each item of "a,b,c"; -1 on an empty or long item. */
static int each_item(const char *arg, int (*fn)(const char *, void *), void *ctx)
{
	char item[64];
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == 0 || n >= sizeof(item))
			return -1;
		memcpy(item, p, n);
		item[n] = '\0';
		if (fn(item, ctx) < 0)
			return -1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

typedef struct lang_list {
	const trw_lang **v;
	size_t n, max;
} lang_list;

static int add_lang(const char *name, void *ctx)
{
	lang_list *l = ctx;
	const trw_lang *lang = trw_lang_by_name(name);

	if (!lang || l->n == l->max)
		return -1;
	l->v[l->n++] = lang;
	l->v[l->n] = NULL;
	return 0;
}

int cli_parse_langs(const char *opt, const char *arg, const trw_lang **out, size_t max)
{
	lang_list l = { out, 0, max };

	out[0] = NULL;
	if (each_item(arg, add_lang, &l) < 0) {
		cli_error("%s: unknown language in '%s' (python, c, cpp, java, javascript, "
		    "typescript, tsx, go, rust)", opt, arg);
		return -1;
	}
	return 0;
}

static int add_kind(const char *name, void *ctx)
{
	unsigned *mask = ctx;
	int k = trw_kind_from_name(name);

	if (k < 0)
		return -1;
	*mask |= 1u << k;
	return 0;
}

int cli_parse_kinds(const char *opt, const char *arg, unsigned *mask)
{
	*mask = 0;
	if (each_item(arg, add_kind, mask) < 0) {
		cli_error("%s: unknown kind in '%s' (function_name, class_name, "
		    "variable_name, string, comment, docstring)", opt, arg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("trawic %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	cli_error("'%s' is not a trawic command; see 'trawic --help'", argv[1]);
	return EXIT_ERROR;
}
