/*
 * error.c - the thread-local last-error message.
 *
 * One fixed buffer per thread: setting an error never allocates, so an
 * out-of-memory condition can still be reported.
 */
#include <stdio.h>
#include <string.h>

#include "error.h"

static _Thread_local char last_msg[1024];
static _Thread_local int last_code;

int trw_error_vset(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	last_code = code;
	return code;
}

int trw_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trw_error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

const char *trw_error_last(void)
{
	return last_msg;
}

int trw_error_last_code(void)
{
	return last_code;
}

void trw_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = 0;
}

int trw_error_oom(void)
{
	return trw_error_set(TRW_ENOMEM, "out of memory");
}
