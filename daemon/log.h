/*
 * log.h - trawicd's one logging API: stderr in the foreground, syslog
 * (facility daemon) otherwise.  Safe from any thread.
 */
#ifndef TRW_LOG_H
#define TRW_LOG_H

/* verbosity: 0 = warnings and notices, 1 = -v (info), 2 = -vv (debug) */
void log_init(int foreground, int verbosity);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
