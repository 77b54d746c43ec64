/*
 * cli.h - the verbs of trawic(1).  Each verb parses its own arguments
 * and returns the process exit code.
 */
#ifndef TRW_CLI_H
#define TRW_CLI_H

#include <stddef.h>

enum {
	EXIT_OK = 0,		/* done; nothing judged included */
	EXIT_FLAGGED = 1,	/* an audit judged the repository included */
	EXIT_ERROR = 2,		/* any error, including an incomplete run */
	EXIT_NODAEMON = 3,	/* the daemon could not be reached */
	EXIT_PENDING = 4	/* trawic result: the job has not ended yet */
};

extern const char *cli_progname;

/* Print "trawic: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a non-negative size with an optional K/M/G suffix; -1 if invalid. */
int cli_parse_size(const char *s, unsigned long long *out);

/* "python,go" -> languages (at most `max`, NULL-terminated in `out`, which
 * holds max + 1); "function_name,string" -> a kind mask.  Both print the
 * error and return -1 on an unknown name. */
struct trw_lang;
int cli_parse_langs(const char *opt, const char *arg, const struct trw_lang **out,
    size_t max);
int cli_parse_kinds(const char *opt, const char *arg, unsigned *mask);

int cmd_extract(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_audit(int argc, char **argv);		/* cli/audit.c */
int cmd_report(int argc, char **argv);		/* cli/report.c */
int cmd_config(int argc, char **argv);		/* cli/config.c */
int cmd_hook(int argc, char **argv);		/* cli/hook.c */
/* the daemon's clients: cli/client.c */
int cmd_submit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_result(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_daemon_stats(int argc, char **argv);

#endif
