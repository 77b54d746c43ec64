/*
 * access.h - who may make the daemon read what (docs/protocol.md, "Threat
 * model").
 *
 * A job runs with the filesystem identity of the user who submitted it:
 * when the daemon runs as root, the worker thread takes the peer's fsuid,
 * fsgid and supplementary groups (per thread: Linux credentials are per
 * task) for the whole audit, so every file the audit opens - repository,
 * ref: model, classifier, configuration - is checked by the kernel
 * against that user's rights, at the moment it is opened.  A daemon that
 * is not root cannot take another identity: it serves local paths only
 * to its own user (and root), and other users only remote URLs.
 */
#ifndef TRW_ACCESS_H
#define TRW_ACCESS_H

#include <stddef.h>
#include <sys/types.h>

#define TRW_ACCESS_MAX_GROUPS 256

typedef struct trw_ident {
	uid_t uid;
	gid_t gid;
	size_t ngroups;
	gid_t groups[TRW_ACCESS_MAX_GROUPS];
} trw_ident;

/* "g1,g2,..." <-> groups (at most TRW_ACCESS_MAX_GROUPS). */
int trw_ident_parse_groups(trw_ident *id, const char *groups);
void trw_ident_format_groups(const trw_ident *id, char *buf, size_t n);

/* Peer credentials of a connected Unix socket (SO_PEERCRED, SO_PEERGROUPS). */
int trw_ident_from_socket(trw_ident *out, pid_t *pid, int fd);

/*
 * Take `id` as this thread's filesystem identity (fsuid, fsgid,
 * supplementary groups); *saved receives what to restore.  Needs
 * CAP_SETUID/CAP_SETGID; TRW_ERROR when the kernel refuses.
 */
int trw_ident_enter(trw_ident *saved, const trw_ident *id);
void trw_ident_leave(const trw_ident *saved);

/* Can the daemon take other identities (effective uid 0)? */
int trw_ident_can_switch(void);

typedef enum trw_spec_kind {
	TRW_SPEC_LOCAL = 0,	/* a path */
	TRW_SPEC_REMOTE		/* scheme://... or user@host:path (ssh) */
} trw_spec_kind;

/* The kind of a repository spec; for a remote one, its scheme ("https",
 * "ssh", ...) lower-cased in `scheme`. */
trw_spec_kind trw_spec_classify(const char *spec, char *scheme, size_t n);

/* Is `scheme` in the comma-separated `allowed` list? */
int trw_scheme_allowed(const char *allowed, const char *scheme);

/*
 * Open `path` (a directory when `dir`) as `id` would: in a short-lived
 * thread that takes the identity when `switch_ident`, else as the daemon.
 * 0, or TRW_EINVALID / TRW_ENOTFOUND with a message naming the path and
 * the reason (errno in *err).
 */
int trw_access_check(const trw_ident *id, int switch_ident, const char *path, int dir,
    int *err);

#endif
