/* audit.c - placeholder */
#include "cli/cli.h"
int cmd_audit(int argc, char **argv) { (void)argc; (void)argv; return EXIT_ERROR; }
