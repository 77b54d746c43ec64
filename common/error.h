/*
 * error.h - error codes and the thread-local last-error message.
 *
 * Every library function returns an int: 0 on success, one of the negative
 * TRW_E* codes below on failure.  The human-readable reason is kept per
 * thread and read with trw_error_last(); it stays valid until the next
 * trw_error_set() on the same thread.
 */
#ifndef TRW_ERROR_H
#define TRW_ERROR_H

#include <stdarg.h>

enum {
	TRW_OK = 0,
	TRW_ERROR = -1,		/* anything not covered below */
	TRW_ENOTFOUND = -2,	/* no such path, revision, object */
	TRW_EINVALID = -3,	/* malformed input or argument */
	TRW_ETOOBIG = -4,	/* input over a configured limit */
	TRW_ENOMEM = -5,	/* allocation failed */
	TRW_EIO = -6,		/* read/write failure */
	TRW_EMODEL = -7,	/* the model server failed */
	TRW_ENOTREPO = -8,	/* not a repository / not a directory */
	TRW_ECLONE = -9,	/* clone or fetch failed */
	TRW_EQUERY = -10,	/* a query file does not load */
	TRW_EAMBIGUOUS = -11,	/* ambiguous revision */
	TRW_ECANCEL = -12	/* stopped by a callback */
};

/* Set the calling thread's message; returns `code` so callers can
 * write `return trw_error_set(TRW_EINVALID, "...")`. */
int trw_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int trw_error_vset(int code, const char *fmt, va_list ap);

/* The calling thread's last message ("" if none); borrowed. */
const char *trw_error_last(void);

/* The code passed with the last trw_error_set() on this thread. */
int trw_error_last_code(void);

/* Forget the message. */
void trw_error_clear(void);

/* Sets TRW_ENOMEM with a fixed message. */
int trw_error_oom(void);

#endif
