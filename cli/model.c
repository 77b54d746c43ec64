/* model.c - `trawic model` (being written). */
#include "cli/cli.h"

int cmd_model(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("model: not implemented yet");
	return EXIT_ERROR;
}
