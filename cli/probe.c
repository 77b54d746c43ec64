/* probe.c - `trawic probe` (being written). */
#include "cli/cli.h"

int cmd_probe(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("probe: not implemented yet");
	return EXIT_ERROR;
}
