/*
 * client.c - a blocking client for trawicd: one connection, requests
 * numbered from 1, answers read line by line with a bounded buffer.  It is
 * deliberately simple (the CLI does one thing at a time); the daemon is the
 * side that must never block.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "daemon/client.h"

/* answers can hold a whole audit record */
#define MAX_ANSWER (256u * 1024 * 1024)

struct trw_client {
	int fd;
	char *path;
	char *buf;
	size_t len, cap;
	json_int_t next_id;
};

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s", a, b);
	return s;
}

int trw_daemon_default_paths(char **socket_path, char **state_dir, int system)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *sp = NULL, *sd = NULL;

	if (!system && run && *run) {
		sp = join(run, "/trawic/trawicd.sock");
		if (state && *state)
			sd = join(state, "/trawic");
		else
			sd = join(home && *home ? home : "/", "/.local/state/trawic");
	} else {
		sp = strdup("/run/trawic/trawicd.sock");
		sd = strdup("/var/lib/trawic");
	}
	if (!sp || !sd) {
		free(sp);
		free(sd);
		return trw_error_oom();
	}
	if (socket_path)
		*socket_path = sp;
	else
		free(sp);
	if (state_dir)
		*state_dir = sd;
	else
		free(sd);
	return 0;
}

int trw_client_socket_path(char **out, const char *explicit_path)
{
	const char *env = getenv("TRAWIC_SOCKET");
	char *user = NULL, *sys = NULL;
	struct stat st;
	int error;

	*out = NULL;
	if (explicit_path || (env && *env))
		return (*out = trw_strdup(explicit_path ? explicit_path : env)) ? 0 : TRW_ENOMEM;
	if ((error = trw_daemon_default_paths(&user, NULL, 0)) < 0 ||
	    (error = trw_daemon_default_paths(&sys, NULL, 1)) < 0)
		goto done;
	if (stat(user, &st) != 0 && stat(sys, &st) == 0) {
		*out = sys;
		sys = NULL;
	} else {
		*out = user;
		user = NULL;
	}
done:
	free(user);
	free(sys);
	return error;
}

int trw_client_connect(trw_client **out, const char *path)
{
	struct sockaddr_un sa;
	trw_client *c;

	*out = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return trw_error_set(TRW_EINVALID, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path));
	if (!(c = calloc(1, sizeof(*c))) || !(c->path = strdup(path))) {
		free(c);
		return trw_error_oom();
	}
	c->next_id = 1;
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		trw_client_free(c);
		return trw_error_set(TRW_EIO, "cannot reach trawicd at %s: %s", path, strerror(e));
	}
	*out = c;
	return 0;
}

void trw_client_free(trw_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c->buf);
	free(c);
}

int trw_client_send(trw_client *c, trw_op op, const json_t *body, json_int_t *idp)
{
	trw_buf out = TRW_BUF_INIT(0);
	json_t *id = json_integer(c->next_id);
	size_t off = 0;
	int error;

	if (idp)
		*idp = c->next_id;
	c->next_id++;
	error = trw_proto_request(&out, id, op, body);
	json_decref(id);
	while (error == 0 && off < out.size) {
		ssize_t n = send(c->fd, out.ptr + off, out.size - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			error = trw_error_set(TRW_EIO, "trawicd at %s: %s", c->path, strerror(errno));
		else
			off += (size_t)n;
	}
	trw_buf_dispose(&out);
	return error;
}

int trw_client_recv(trw_client *c, json_t **out)
{
	*out = NULL;
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;

		if (nl) {
			size_t k = (size_t)(nl - c->buf);
			int error = trw_proto_parse_response(out, c->buf, k);

			memmove(c->buf, nl + 1, c->len - k - 1);
			c->len -= k + 1;
			return error;
		}
		if (c->cap - c->len < 65536) {
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *p;

			if (cap > MAX_ANSWER)
				return trw_error_set(TRW_ETOOBIG, "answer from trawicd too large");
			if (!(p = realloc(c->buf, cap)))
				return trw_error_oom();
			c->buf = p;
			c->cap = cap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return trw_error_set(TRW_EIO, "trawicd at %s closed the connection%s%s",
			    c->path, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		c->len += (size_t)n;
	}
}

int trw_client_call(trw_client *c, json_t **out, trw_op op, const json_t *body)
{
	json_int_t id;
	int error;

	*out = NULL;
	if ((error = trw_client_send(c, op, body, &id)) < 0)
		return error;
	for (;;) {
		json_t *m;
		json_t *mid;

		if ((error = trw_client_recv(c, &m)) < 0)
			return error;
		mid = json_object_get(m, "id");
		if (json_is_integer(mid) && json_integer_value(mid) == id) {
			*out = m;
			return 0;
		}
		/* an unmatched error with id null is about the connection itself */
		if (json_is_null(mid) && json_is_false(json_object_get(m, "ok"))) {
			*out = m;
			return 0;
		}
		json_decref(m);
	}
}

const char *trw_client_error_text(const json_t *msg)
{
	static _Thread_local char buf[1200];
	json_t *e = json_object_get(msg, "error");

	snprintf(buf, sizeof(buf), "%s: %s",
	    json_string_value(json_object_get(e, "code")) ?: "error",
	    json_string_value(json_object_get(e, "message")) ?: "(no message)");
	return buf;
}
