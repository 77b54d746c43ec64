/*
 * client.h - the client side of docs/protocol.md, shared by the verbs of
 * cli/client.c, the tests and the benchmark: where the socket is, a
 * connection, request/response matching by id.
 */
#ifndef TRW_CLIENT_H
#define TRW_CLIENT_H

#include <jansson.h>

#include "daemon/protocol.h"

typedef struct trw_client trw_client;

/*
 * The daemon's default paths.  Per-user when $XDG_RUNTIME_DIR is set and
 * `system` is 0: $XDG_RUNTIME_DIR/trawic/trawicd.sock and
 * $XDG_STATE_HOME/trawic (default ~/.local/state/trawic); system-wide
 * otherwise: /run/trawic/trawicd.sock and /var/lib/trawic.  Either out
 * may be NULL; the strings are malloc'ed.
 */
int trw_daemon_default_paths(char **socket_path, char **state_dir, int system);

/*
 * The socket a client uses: `explicit_path` if not NULL, else
 * $TRAWIC_SOCKET, else the per-user socket if it exists, else the system
 * one if it exists, else the per-user path (so the error names it).
 */
int trw_client_socket_path(char **out, const char *explicit_path);

/* Connect.  TRW_EIO with a message naming the path when nobody answers. */
int trw_client_connect(trw_client **out, const char *path);
void trw_client_free(trw_client *c);

/* Send a request; *id receives its id (the client numbers them). */
int trw_client_send(trw_client *c, trw_op op, const json_t *body, json_int_t *id);

/* Read the next message (any id); blocking.  TRW_EIO when the daemon
 * closed the connection. */
int trw_client_recv(trw_client *c, json_t **out);

/* Send and read until the answer with the same id (other messages are
 * dropped).  *out is the whole message; check "ok". */
int trw_client_call(trw_client *c, json_t **out, trw_op op, const json_t *body);

/* "code: message" of an error answer, in a static-per-thread buffer. */
const char *trw_client_error_text(const json_t *msg);

#endif
