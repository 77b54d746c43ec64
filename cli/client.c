/* cli/client.c - placeholder while the verb is being written; replaced by its owner. */
#include "cli/cli.h"
int cmd_submit(int argc, char **argv) { (void)argc; (void)argv; cli_error("not built yet"); return EXIT_ERROR; }
int cmd_status(int argc, char **argv) { (void)argc; (void)argv; cli_error("not built yet"); return EXIT_ERROR; }
int cmd_watch(int argc, char **argv) { (void)argc; (void)argv; cli_error("not built yet"); return EXIT_ERROR; }
int cmd_result(int argc, char **argv) { (void)argc; (void)argv; cli_error("not built yet"); return EXIT_ERROR; }
int cmd_cancel(int argc, char **argv) { (void)argc; (void)argv; cli_error("not built yet"); return EXIT_ERROR; }
int cmd_jobs(int argc, char **argv) { (void)argc; (void)argv; cli_error("not built yet"); return EXIT_ERROR; }
int cmd_ping(int argc, char **argv) { (void)argc; (void)argv; cli_error("not built yet"); return EXIT_ERROR; }
int cmd_daemon_stats(int argc, char **argv) { (void)argc; (void)argv; cli_error("not built yet"); return EXIT_ERROR; }
