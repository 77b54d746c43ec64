/*
 * log.c - the daemon's logging: one line per message, prefixed with the
 * level in the foreground; syslog when detached.  No buffering of our own:
 * a line is written with one call, so lines from threads do not interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "daemon/log.h"

static int log_fg = 1, log_verbosity;

void log_init(int foreground, int verbosity)
{
	log_fg = foreground;
	log_verbosity = verbosity;
	if (!foreground)
		openlog("trawicd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void vlog(int pri, const char *prefix, const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_fg)
		fprintf(stderr, "trawicd: %s%s\n", prefix, line);
	else
		syslog(pri, "%s", line);
}

#define LOGFN(name, pri, prefix, minv) \
void name(const char *fmt, ...) \
{ \
	va_list ap; \
	if (log_verbosity < (minv)) \
		return; \
	va_start(ap, fmt); \
	vlog(pri, prefix, fmt, ap); \
	va_end(ap); \
}
LOGFN(log_warn, LOG_WARNING, "warning: ", 0)
LOGFN(log_notice, LOG_NOTICE, "", 0)
LOGFN(log_info, LOG_INFO, "", 1)
LOGFN(log_debug, LOG_DEBUG, "debug: ", 2)

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}
