/*
 * cli.h - the verbs of trawic(1).  Each verb parses its own arguments
 * and returns the process exit code.
 */
#ifndef TRW_CLI_H
#define TRW_CLI_H

enum {
	EXIT_OK = 0,		/* done; nothing judged included */
	EXIT_FLAGGED = 1,	/* an audit judged the repository included */
	EXIT_ERROR = 2,		/* any error, including an incomplete run */
	EXIT_NODAEMON = 3	/* the daemon could not be reached */
};

extern const char *cli_progname;

/* Print "trawic: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a non-negative size with an optional K/M/G suffix; -1 if invalid. */
int cli_parse_size(const char *s, unsigned long long *out);

int cmd_extract(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_probe(int argc, char **argv);

#endif
