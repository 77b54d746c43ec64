/* cli/hook.c - placeholder while the verb is being written; replaced by its owner. */
#include "cli/cli.h"
int cmd_hook(int argc, char **argv) { (void)argc; (void)argv; cli_error("not built yet"); return EXIT_ERROR; }
