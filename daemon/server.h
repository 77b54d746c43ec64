/*
 * server.h - trawicd's event loop: the listening Unix socket, the client
 * connections (non-blocking, one bounded input and output buffer each),
 * the requests of docs/protocol.md, and the watch streams fed by the
 * workers.  One thread; nothing it does waits for a client.
 */
#ifndef TRW_SERVER_H
#define TRW_SERVER_H

#include <sys/types.h>

#include <jansson.h>

#include "daemon/jobs.h"
#include "daemon/workers.h"

typedef struct trw_daemon trw_daemon;

/* What SIGHUP may change while running. */
typedef struct trw_daemon_limits {
	size_t max_request;		/* bytes of one request line */
	size_t max_output;		/* bytes queued to one client before it is dropped */
	unsigned read_timeout_ms;	/* idle connection without a watch, or a partial request */
	unsigned write_timeout_ms;	/* output pending without progress */
	unsigned queue_size;		/* queued jobs before submit answers busy */
	unsigned max_connections;
	char allowed_schemes[256];	/* "https,ssh" */
} trw_daemon_limits;

/* Called on SIGHUP (from the loop); fills in new limits, returns < 0 to
 * keep the old ones (the configuration did not load). */
typedef int (*trw_daemon_reload_cb)(void *payload, trw_daemon_limits *limits);

typedef struct trw_daemon_options {
	unsigned int version;
	int listen_fd;			/* a listening SOCK_STREAM Unix socket */
	const char *socket_path;	/* unlinked at exit when we made it; NULL if inherited */
	trw_jobs *jobs;
	trw_daemon_limits limits;
	trw_daemon_reload_cb reload;
	void *reload_payload;
} trw_daemon_options;

#define TRW_DAEMON_OPTIONS_VERSION 1

int trw_daemon_new(trw_daemon **out, const trw_daemon_options *opts);

/* The pool the server wakes and cancels; set before trw_daemon_run. */
void trw_daemon_set_workers(trw_daemon *s, trw_workers *w);

/* A trw_workers_event_cb: hands an event to the loop (any thread). */
void trw_daemon_post_event(void *server, const char *job, const char *event,
    const json_t *body);

/* Run until SIGTERM/SIGINT or a shutdown request: then stop accepting,
 * stop the workers (running jobs go back to queued) and return 0. */
int trw_daemon_run(trw_daemon *s);
void trw_daemon_free(trw_daemon *s);

/*
 * Socket set-up.  trw_daemon_listen_unix: the parent directory is made
 * (0755, or 0700 under $XDG_RUNTIME_DIR), the path length checked, a
 * stale socket unlinked only when nobody answers a connect (one that
 * answers is refused: TRW_EINVALID "in use"), bound under a tight umask,
 * then given `mode` and `group` ((gid_t)-1 = unchanged).
 */
int trw_daemon_listen_unix(int *out, const char *path, mode_t mode, gid_t group,
    int private_dir);

/* systemd: the number of sockets passed (LISTEN_FDS for our pid, from fd
 * 3), 0 if none; the variables are unset.  sd_notify: no-op without
 * $NOTIFY_SOCKET. */
int trw_sd_listen_fds(void);
int trw_sd_notify(const char *state);

#endif
