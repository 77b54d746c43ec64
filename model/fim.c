/*
 * fim.c - the one function of the query/completion contract that owns
 * memory: releasing a completion.  Queries borrow their bytes and need
 * no cleanup; everything else about FIM lives in the backends, the
 * template table and classifier/compare.
 */
#include <stdlib.h>
#include <string.h>

#include "model/fim.h"

void trw_completion_dispose(trw_completion *c)
{
	if (c == NULL)
		return;
	free(c->text);
	free(c->logprobs);
	/* Zeroed, so that a second dispose or a reuse of the record is safe. */
	memset(c, 0, sizeof(*c));
}
