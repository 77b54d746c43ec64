/*
 * config.c - `trawic config`: the effective configuration, where each
 * value comes from, and whether it is valid.
 *
 * It reads the files an audit would read (system, user, the repository
 * of --repo, --config) and prints what they add up to, like
 * `git config --list --show-origin`.  It never writes a file: edit them
 * by hand or with `git config -f FILE`.  Flags of other verbs cannot be
 * shown here, since they override the files only for their own run.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/error.h"

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trawic config [options] --list\n"
	    "       trawic config [options] KEY\n"
	    "\n"
	    "Print the effective configuration (--list: every key=value), or the\n"
	    "value of KEY (e.g. audit.threshold, model.local.endpoint).  Files, each\n"
	    "overriding the ones before it:\n"
	    "  system      /etc/trawic/config ($TRAWIC_SYSTEM_CONFIG)\n"
	    "  user        $XDG_CONFIG_HOME/trawic/config (~/.config/trawic/config)\n"
	    "  repository  with --repo: SPEC's .trawic, then the [trawic] section of\n"
	    "              SPEC's own git config (.git/config)\n"
	    "  file        --config FILE\n"
	    "Every value is checked first (docs/configuration.md lists the keys).\n"
	    "\n"
	    "  -l, --list             every effective key=value, lowest level first\n"
	    "      --show-origin      prefix each value with file:PATH:LINE and a tab\n"
	    "  -c, --config FILE      a configuration file over all the others\n"
	    "  -r, --repo SPEC        add the repository level of SPEC (a path; a URL\n"
	    "                         adds nothing)\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "Exit status: 0 success, 1 KEY is not set, 2 error (a file that does not\n"
	    "parse, an unknown key or a bad value: the message names file, line, key).\n");
}

static void print_entry(const trw_config_entry *e, int origin)
{
	if (origin)
		printf("file:%s:%d\t", e->file, e->line);
	if (e->value)
		printf("%s=%s\n", e->name, e->value);
	else
		printf("%s\n", e->name);	/* a bare key, as git prints it */
}

static int list_one(const trw_config_entry *e, void *payload)
{
	print_entry(e, *(const int *)payload);
	return 0;
}

int cmd_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "show-origin", no_argument, NULL, 'O' },
		{ "config", required_argument, NULL, 'c' },
		{ "repo", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	trw_config *cfg = NULL;
	const char *extra = NULL, *repo = NULL, *key = NULL;
	char *value = NULL, *file = NULL;
	int list = 0, origin = 0, line = 0, c, error, rc = EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "lc:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = 1;
			break;
		case 'O':
			origin = 1;
			break;
		case 'c':
			extra = optarg;
			break;
		case 'r':
			repo = optarg;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "see 'trawic config --help'\n");
			return EXIT_ERROR;
		}
	}
	if (optind < argc)
		key = argv[optind++];
	if (optind < argc || (list && key) || (!list && !key)) {
		cli_error(list && key ? "config: --list or KEY, not both"
		    : key ? "config: one KEY at a time" : "config: --list or a KEY "
		    "(see 'trawic config --help')");
		return EXIT_ERROR;
	}

	if ((error = trw_config_open_default(&cfg, extra)) < 0 ||
	    (repo && (error = trw_config_add_repo(cfg, repo)) < 0) ||
	    (error = trw_config_validate(cfg)) < 0) {
		cli_error("%s", trw_error_last());
		goto done;
	}
	if (list) {
		trw_config_foreach(cfg, list_one, &origin);
		rc = EXIT_OK;
		goto done;
	}
	if ((error = trw_config_get_string(cfg, key, &value)) == TRW_ENOTFOUND) {
		rc = 1;
		goto done;
	}
	if (error < 0 || (error = trw_config_get_origin(cfg, key, &file, &line)) < 0) {
		cli_error("%s", trw_error_last());
		goto done;
	}
	if (origin)
		printf("file:%s:%d\t", file, line);
	printf("%s\n", value);
	rc = EXIT_OK;
done:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the output");
		rc = EXIT_ERROR;
	}
	free(value);
	free(file);
	trw_config_free(cfg);
	return rc;
}
