/*
 * access.c - peer credentials and per-thread filesystem identity.
 *
 * setfsuid(2) and setfsgid(2) change only the calling thread; glibc's
 * setgroups(3) changes every thread of the process (it is made POSIX-
 * conformant with a signal broadcast), so the supplementary groups are
 * set with the raw system call, which acts on the calling thread only.
 * Threads the audit starts inherit the identity.  Changing the fsuid away
 * from 0 also drops CAP_DAC_OVERRIDE and friends from the thread, which is
 * what makes the kernel's permission checks apply.
 *
 * This file does not decide policy (server.c and workers.c do); it only
 * provides the mechanisms.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "daemon/access.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

int trw_ident_parse_groups(trw_ident *id, const char *groups)
{
	const char *p = groups;

	id->ngroups = 0;
	while (p && *p) {
		char *end;
		unsigned long g = strtoul(p, &end, 10);

		if (end == p || (*end != ',' && *end != '\0'))
			return trw_error_set(TRW_EINVALID, "bad group list '%s'", groups);
		if (id->ngroups == TRW_ACCESS_MAX_GROUPS)
			return trw_error_set(TRW_ETOOBIG, "more than %d groups",
			    TRW_ACCESS_MAX_GROUPS);
		id->groups[id->ngroups++] = (gid_t)g;
		p = *end ? end + 1 : end;
	}
	return 0;
}

void trw_ident_format_groups(const trw_ident *id, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < id->ngroups && off < n; i++) {
		int k = snprintf(buf + off, n - off, "%s%u", i ? "," : "",
		    (unsigned)id->groups[i]);

		if (k < 0 || (size_t)k >= n - off) {
			buf[off] = '\0';
			break;
		}
		off += (size_t)k;
	}
}

int trw_ident_from_socket(trw_ident *out, pid_t *pid, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[TRW_ACCESS_MAX_GROUPS];
	socklen_t glen = sizeof(groups);

	memset(out, 0, sizeof(*out));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return trw_error_set(TRW_EIO, "SO_PEERCRED: %s", strerror(errno));
	out->uid = cred.uid;
	out->gid = cred.gid;
	if (pid)
		*pid = cred.pid;
	/* Linux >= 4.13; without it the job runs with the primary group only,
	 * which can only deny more, never allow more */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0) {
		out->ngroups = glen / sizeof(gid_t);
		memcpy(out->groups, groups, out->ngroups * sizeof(gid_t));
	}
	return 0;
}

int trw_ident_can_switch(void)
{
	return geteuid() == 0;
}

int trw_ident_enter(trw_ident *saved, const trw_ident *id)
{
	int n;

	saved->uid = (uid_t)setfsuid((uid_t)-1);
	saved->gid = (gid_t)setfsgid((gid_t)-1);
	n = getgroups(TRW_ACCESS_MAX_GROUPS, saved->groups);
	saved->ngroups = n < 0 ? 0 : (size_t)n;
	if (syscall(SYS_setgroups, id->ngroups, id->groups) < 0)
		return trw_error_set(TRW_ERROR, "setgroups: %s", strerror(errno));
	setfsgid(id->gid);
	setfsuid(id->uid);
	/* setfsuid reports no error: read the values back */
	if ((uid_t)setfsuid((uid_t)-1) != id->uid || (gid_t)setfsgid((gid_t)-1) != id->gid) {
		trw_ident_leave(saved);
		return trw_error_set(TRW_ERROR, "cannot take the identity of uid %u",
		    (unsigned)id->uid);
	}
	return 0;
}

void trw_ident_leave(const trw_ident *saved)
{
	setfsuid(saved->uid);
	setfsgid(saved->gid);
	syscall(SYS_setgroups, saved->ngroups, saved->groups);
}

trw_spec_kind trw_spec_classify(const char *spec, char *scheme, size_t n)
{
	const char *p = strstr(spec, "://"), *colon, *at, *slash;
	size_t k;

	scheme[0] = '\0';
	if (p && p > spec) {
		for (const char *q = spec; q < p; q++)
			if (!(isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.'))
				goto scp;
		k = (size_t)(p - spec);
		if (k >= n)
			k = n - 1;
		for (size_t i = 0; i < k; i++)
			scheme[i] = (char)tolower((unsigned char)spec[i]);
		scheme[k] = '\0';
		return TRW_SPEC_REMOTE;
	}
scp:
	/* git's scp-like syntax: [user@]host:path, where no '/' comes before
	 * the ':' (a local path with a colon must then start with ./ or /) */
	colon = strchr(spec, ':');
	slash = strchr(spec, '/');
	at = strchr(spec, '@');
	(void)at;
	if (colon && colon > spec && (!slash || slash > colon) && spec[0] != '.') {
		snprintf(scheme, n, "ssh");
		return TRW_SPEC_REMOTE;
	}
	return TRW_SPEC_LOCAL;
}

int trw_scheme_allowed(const char *allowed, const char *scheme)
{
	const char *p = allowed;
	size_t n = strlen(scheme);

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t k = comma ? (size_t)(comma - p) : strlen(p);

		while (k && isspace((unsigned char)*p)) {
			p++;
			k--;
		}
		while (k && isspace((unsigned char)p[k - 1]))
			k--;
		if (k == n && strncasecmp(p, scheme, n) == 0)
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

typedef struct check_ctx {
	const trw_ident *id;
	int switch_ident;
	const char *path;
	int dir;
	int err;
	int error;
} check_ctx;

static void *check_thread(void *arg)
{
	check_ctx *c = arg;
	trw_ident saved;
	int fd;

	if (c->switch_ident && (c->error = trw_ident_enter(&saved, c->id)) < 0) {
		c->err = EPERM;
		return NULL;
	}
	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    (c->dir ? O_DIRECTORY : 0));
	if (fd < 0)
		c->err = errno;
	else
		close(fd);
	if (c->switch_ident)
		trw_ident_leave(&saved);
	return NULL;
}

int trw_access_check(const trw_ident *id, int switch_ident, const char *path, int dir,
    int *err)
{
	check_ctx c = { id, switch_ident, path, dir, 0, 0 };
	pthread_t t;

	*err = 0;
	if (switch_ident) {
		/* never change the calling thread's identity: it may be the loop */
		if (pthread_create(&t, NULL, check_thread, &c) != 0)
			return trw_error_set(TRW_ERROR, "cannot start a thread");
		pthread_join(t, NULL);
	} else {
		check_thread(&c);
	}
	if (c.error < 0)
		return c.error;
	*err = c.err;
	if (c.err == ENOENT || c.err == ENOTDIR)
		return trw_error_set(TRW_ENOTFOUND, "%s: %s", path, strerror(c.err));
	if (c.err)
		return trw_error_set(TRW_EINVALID, "%s: %s", path, strerror(c.err));
	return 0;
}
