/* serve.c - `trawic serve` (being written). */
#include "cli/cli.h"

int cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("serve: not implemented yet");
	return EXIT_ERROR;
}
