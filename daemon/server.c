/*
 * server.c - the event loop of trawicd: poll(2) over the listening socket,
 * a self-pipe for signals, a pipe the workers write to when they post an
 * event, and the client connections.
 *
 * Every socket is non-blocking.  Each connection has a bounded input
 * buffer (one request line at most daemon.max-request bytes) and a
 * bounded output buffer: a client that does not read its answers is
 * dropped, never waited for.  Requests are answered in the order they are
 * read; all of them are short store look-ups except `watch`, which
 * registers a stream that the loop feeds from worker events while the same
 * connection keeps being served.
 *
 * It decides who may see what (a job belongs to the uid that submitted
 * it; root sees all) and what a submit may name (daemon/access.h); it does
 * not run audits.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "common/error.h"
#include "common/util.h"
#include "daemon/access.h"
#include "daemon/log.h"
#include "daemon/protocol.h"
#include "daemon/server.h"
#include "report/report.h"

typedef struct watch {
	json_t *id;			/* the watch request's id */
	char job[TRW_JOB_ID_LEN + 1];
} watch;

typedef struct conn {
	int fd;
	trw_ident ident;
	pid_t pid;
	char *in;
	size_t in_len, in_cap;
	trw_buf out;
	size_t out_off;
	uint64_t last_read_ns, stall_since_ns;
	int closing;			/* no more reading; close once flushed */
	int dead;
	watch *watches;
	size_t nwatches;
} conn;

typedef struct event {
	struct event *next;
	char job[TRW_JOB_ID_LEN + 1];
	int end;
	json_t *body;
} event;

/* the last progress of each running job, for status */
typedef struct progress {
	char job[TRW_JOB_ID_LEN + 1];
	json_t *body;
} progress;

struct trw_daemon {
	trw_daemon_options o;
	trw_daemon_limits lim;
	char *socket_path;
	trw_workers *workers;
	conn **conns;
	size_t nconns;
	int wake_pipe[2];
	pthread_mutex_t ev_mu;
	event *ev_head, *ev_tail;
	size_t ev_count;
	progress *prog;
	size_t nprog;
	int stop;
	uint64_t started_ns;
	time_t started_wall;
	uint64_t last_status_ns;
	unsigned last_status_depth;
};

#define MAX_EVENTS 4096
#define WATCH_SOFT_LIMIT (256 * 1024)	/* progress is skipped above this much pending output */

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a signal is already pending */
	}
	errno = saved;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* ---- systemd --------------------------------------------------------------- */

int trw_sd_listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long n, p;

	if (!pid || !fds)
		return 0;
	p = strtol(pid, &end, 10);
	if (*end || p != (long)getpid())
		return 0;
	n = strtol(fds, &end, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (*end || n <= 0 || n > 64)
		return 0;
	for (int fd = 3; fd < 3 + n; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return (int)n;
}

int trw_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;
	int fd, error = 0;

	if (!path || !*path)
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return trw_error_set(TRW_EINVALID, "NOTIFY_SOCKET: unusable address");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* the abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return trw_error_set(TRW_EIO, "sd_notify: socket: %s", strerror(errno));
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		error = trw_error_set(TRW_EIO, "sd_notify: %s", strerror(errno));
	close(fd);
	return error;
}

/* ---- the listening socket ---------------------------------------------------- */

/* mkdir with exactly `mode` (the daemon runs under umask 077); an existing
 * directory is left as it is */
static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0)
		return errno == EEXIST ? 0 : -1;
	return chmod(path, mode);
}

static int mkdir_parent(const char *path, mode_t mode)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!(slash = strrchr(dir, '/')) || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (make_dir(dir, 0755) < 0)
			return trw_error_set(TRW_EIO, "cannot create %s: %s", dir, strerror(errno));
		*p = '/';
	}
	if (make_dir(dir, mode) < 0)
		return trw_error_set(TRW_EIO, "cannot create %s: %s", dir, strerror(errno));
	return 0;
}

int trw_daemon_listen_unix(int *out, const char *path, mode_t mode, gid_t group,
    int private_dir)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old_umask;
	int fd = -1, error;

	*out = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return trw_error_set(TRW_EINVALID, "socket path too long (%zu bytes, at most %zu): "
		    "%s", strlen(path), sizeof(sa.sun_path) - 1, path);
	memcpy(sa.sun_path, path, strlen(path));
	if ((error = mkdir_parent(path, private_dir ? 0700 : 0755)) < 0)
		return error;
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode))
			return trw_error_set(TRW_EINVALID, "%s exists and is not a socket", path);
		/* stale, or another daemon's?  Ask it. */
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return trw_error_set(TRW_EIO, "socket: %s", strerror(errno));
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			return trw_error_set(TRW_EINVALID, "socket %s is in use by another process",
			    path);
		}
		error = errno;
		close(probe);
		if (error != ECONNREFUSED && error != ENOENT)
			return trw_error_set(TRW_EIO, "cannot probe %s: %s", path, strerror(error));
		log_notice("removing stale socket %s", path);
		if (unlink(path) < 0 && errno != ENOENT)
			return trw_error_set(TRW_EIO, "cannot remove stale socket %s: %s", path,
			    strerror(errno));
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return trw_error_set(TRW_EIO, "socket: %s", strerror(errno));
	/* no window in which the socket exists with a looser mode */
	old_umask = umask(0177);
	error = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (error < 0) {
		error = trw_error_set(TRW_EIO, "cannot bind %s: %s", path, strerror(errno));
		goto fail;
	}
	if (group != (gid_t)-1 && chown(path, (uid_t)-1, group) < 0) {
		error = trw_error_set(TRW_EIO, "cannot give %s to group %u: %s", path,
		    (unsigned)group, strerror(errno));
		goto fail;
	}
	if (chmod(path, mode) < 0) {
		error = trw_error_set(TRW_EIO, "cannot chmod %s: %s", path, strerror(errno));
		goto fail;
	}
	if (listen(fd, 128) < 0) {
		error = trw_error_set(TRW_EIO, "listen %s: %s", path, strerror(errno));
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	unlink(path);
	return error;
}

/* ---- events from the workers ------------------------------------------------ */

void trw_daemon_post_event(void *server, const char *job, const char *name,
    const json_t *body)
{
	trw_daemon *s = server;
	event *e;
	int end = strcmp(name, "end") == 0;
	char c = 'e';

	pthread_mutex_lock(&s->ev_mu);
	/* progress is lossy under pressure; the end of a job never is */
	if (!end && s->ev_count >= MAX_EVENTS) {
		pthread_mutex_unlock(&s->ev_mu);
		return;
	}
	if ((e = calloc(1, sizeof(*e)))) {
		snprintf(e->job, sizeof(e->job), "%s", job);
		e->end = end;
		/* a deep copy: the loop owns it, no reference shared across threads */
		e->body = json_deep_copy(body);
		if (s->ev_tail)
			s->ev_tail->next = e;
		else
			s->ev_head = e;
		s->ev_tail = e;
		s->ev_count++;
	}
	pthread_mutex_unlock(&s->ev_mu);
	if (write(s->wake_pipe[1], &c, 1) < 0) {
		/* full: the loop is already due to wake */
	}
}

/* ---- connections ------------------------------------------------------------- */

static void conn_free(conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	trw_buf_dispose(&c->out);
	for (size_t i = 0; i < c->nwatches; i++)
		json_decref(c->watches[i].id);
	free(c->watches);
	free(c);
}

static void conn_drop(conn *c, const char *why)
{
	if (c->dead)
		return;
	if (strcmp(why, "client closed") == 0)
		log_debug("client fd %d (uid %u pid %d) closed", c->fd, (unsigned)c->ident.uid,
		    (int)c->pid);
	else
		log_info("dropping client fd %d (uid %u pid %d): %s", c->fd,
		    (unsigned)c->ident.uid, (int)c->pid, why);
	c->dead = 1;
}

/* Try to send what is pending; never blocks. */
static void conn_flush(trw_daemon *s, conn *c)
{
	while (!c->dead && c->out_off < c->out.size) {
		ssize_t n = send(c->fd, c->out.ptr + c->out_off, c->out.size - c->out_off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
			c->stall_since_ns = trw_now_ns();
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_drop(c, n < 0 ? strerror(errno) : "closed");
		return;
	}
	if (c->out_off == c->out.size) {
		trw_buf_clear(&c->out);
		c->out_off = 0;
		if (c->closing)
			conn_drop(c, "closed after an error");
	} else if (c->out.size - c->out_off > s->lim.max_output) {
		conn_drop(c, "does not read its answers (output buffer full)");
	} else if (c->out_off > (1 << 20)) {
		memmove(c->out.ptr, c->out.ptr + c->out_off, c->out.size - c->out_off);
		c->out.size -= c->out_off;
		c->out.ptr[c->out.size] = '\0';
		c->out_off = 0;
	}
}

static void update_status(trw_daemon *s, int force);

static int owns(const conn *c, const trw_job *job)
{
	return c->ident.uid == 0 || c->ident.uid == job->uid;
}

/* The job `id` if `c` may see it; a not_found answer otherwise. */
static int get_visible_job(trw_daemon *s, conn *c, const trw_request *r, trw_job **out)
{
	int error = trw_jobs_get(s->o.jobs, out, r->job);

	if (error == 0 && !owns(c, *out)) {
		trw_job_free(*out);
		*out = NULL;
		error = TRW_ENOTFOUND;
	}
	if (error == TRW_ENOTFOUND)
		trw_proto_error(&c->out, r->id, TRW_PERR_NOT_FOUND, "no job '%s'", r->job);
	else if (error < 0)
		trw_proto_error(&c->out, r->id, TRW_PERR_INTERNAL, "%s", trw_error_last());
	return error;
}

static progress *find_progress(trw_daemon *s, const char *job)
{
	for (size_t i = 0; i < s->nprog; i++)
		if (strcmp(s->prog[i].job, job) == 0)
			return &s->prog[i];
	return NULL;
}

static json_t *job_body(trw_daemon *s, const trw_job *job)
{
	json_t *o = trw_job_to_json(job);
	progress *p;

	if (o && job->state == TRW_JOB_RUNNING && (p = find_progress(s, job->id)))
		json_object_set(o, "progress", p->body);
	return o;
}

/* "ref:PATH" -> PATH, else NULL */
static const char *ref_model_path(const char *model)
{
	return model && strncmp(model, "ref:", 4) == 0 ? model + 4 : NULL;
}

/* Check a local path named by a submit; answers and returns < 0 if refused. */
static int check_local(trw_daemon *s, conn *c, const trw_request *r, const char *what,
    const char *path, int dir)
{
	int foreign = c->ident.uid != geteuid() && c->ident.uid != 0;
	int err, error;

	(void)s;
	if (path[0] != '/') {
		trw_proto_error(&c->out, r->id, TRW_PERR_INVALID, "%s must be an absolute path: "
		    "%s", what, path);
		return -1;
	}
	if (foreign && !trw_ident_can_switch()) {
		trw_proto_error(&c->out, r->id, TRW_PERR_FORBIDDEN, "this daemon runs as uid %u "
		    "and cannot check uid %u's access to local files (%s %s); use a remote URL "
		    "or the system daemon", (unsigned)geteuid(), (unsigned)c->ident.uid, what, path);
		return -1;
	}
	error = trw_access_check(&c->ident, foreign, path, dir, &err);
	if (error == 0)
		return 0;
	if (err == EACCES || err == EPERM)
		trw_proto_error(&c->out, r->id, TRW_PERR_FORBIDDEN, "%s %s: permission denied "
		    "(checked as uid %u)", what, path, (unsigned)c->ident.uid);
	else
		trw_proto_error(&c->out, r->id, TRW_PERR_INVALID, "%s: %s", what, trw_error_last());
	return -1;
}

static void op_submit(trw_daemon *s, conn *c, trw_request *r)
{
	trw_submit_params *p = &r->submit;
	trw_job job;
	char scheme[32], groups[TRW_ACCESS_MAX_GROUPS * 12], id[TRW_JOB_ID_LEN + 1];
	const char *ref;
	unsigned depth;
	json_t *body;
	int error;

	if (trw_spec_classify(p->spec, scheme, sizeof(scheme)) == TRW_SPEC_REMOTE) {
		if (!trw_scheme_allowed(s->lim.allowed_schemes, scheme)) {
			trw_proto_error(&c->out, r->id, TRW_PERR_FORBIDDEN, "scheme '%s' is not "
			    "allowed (daemon.allowed-schemes = %s)", scheme, s->lim.allowed_schemes);
			return;
		}
	} else if (check_local(s, c, r, "repository", p->spec, 1) < 0) {
		return;
	}
	if ((ref = ref_model_path(p->model)) && check_local(s, c, r, "model", ref, 0) < 0)
		return;
	if (p->classifier && check_local(s, c, r, "classifier", p->classifier, 0) < 0)
		return;

	memset(&job, 0, sizeof(job));
	job.uid = c->ident.uid;
	job.gid = c->ident.gid;
	trw_ident_format_groups(&c->ident, groups, sizeof(groups));
	job.groups = groups;
	job.priority = p->priority;
	job.model = p->model ? p->model : "";
	if (!(job.params = trw_submit_params_to_json(p))) {
		trw_proto_error(&c->out, r->id, TRW_PERR_INTERNAL, "out of memory");
		return;
	}
	error = trw_jobs_submit(s->o.jobs, id, &job, s->lim.queue_size, &depth);
	json_decref(job.params);
	if (error == TRW_ETOOBIG) {
		json_t *extra = json_pack("{s:i,s:i}", "queue_depth", (json_int_t)depth,
		    "queue_size", (json_int_t)s->lim.queue_size);
		char msg[128];

		snprintf(msg, sizeof(msg), "the queue is full (%u jobs queued); retry later",
		    depth);
		trw_proto_error_extra(&c->out, r->id, TRW_PERR_BUSY, extra, msg);
		json_decref(extra);
		return;
	}
	if (error < 0) {
		trw_proto_error(&c->out, r->id, TRW_PERR_INTERNAL, "%s", trw_error_last());
		return;
	}
	log_info("job %s queued by uid %u: %s", id, (unsigned)c->ident.uid, p->spec);
	body = json_pack("{s:s,s:s,s:i}", "job", id, "state", "queued", "queue_depth",
	    (json_int_t)depth);
	trw_proto_ok(&c->out, r->id, body);
	json_decref(body);
	if (s->workers)
		trw_workers_wake(s->workers);
	update_status(s, 1);
}

static void op_result(trw_daemon *s, conn *c, trw_request *r)
{
	trw_job *job = NULL;
	char *text = NULL;
	json_t *body = NULL, *rec = NULL;
	json_error_t jerr;

	if (get_visible_job(s, c, r, &job) < 0)
		return;
	body = trw_job_to_json(job);
	if (!TRW_JOB_ENDED(job->state)) {
		/* not an error: the client tells "pending" from the state */
		trw_proto_ok(&c->out, r->id, body);
		goto done;
	}
	if (trw_jobs_result(s->o.jobs, &text, job->id) < 0 ||
	    !(rec = json_loads(text, 0, &jerr))) {
		json_object_set_new(body, "result", json_null());
		trw_proto_ok(&c->out, r->id, body);
		goto done;
	}
	if (r->format) {
		trw_buf out = TRW_BUF_INIT(0);
		int f = trw_report_format_parse(r->format);

		if (f < 0 || trw_report_render(&out, rec, (trw_report_format)f) < 0) {
			trw_proto_error(&c->out, r->id, TRW_PERR_INTERNAL, "cannot render %s: %s",
			    r->format, trw_error_last());
			trw_buf_dispose(&out);
			goto done;
		}
		json_object_set_new(body, "format", json_string(r->format));
		json_object_set_new(body, "report", json_stringn(out.ptr ? out.ptr : "", out.size));
		trw_buf_dispose(&out);
	} else {
		json_object_set(body, "result", rec);
	}
	if (trw_proto_ok(&c->out, r->id, body) == TRW_ETOOBIG)
		conn_drop(c, "answer over the output limit");
done:
	json_decref(rec);
	json_decref(body);
	free(text);
	trw_job_free(job);
}

static void op_watch(trw_daemon *s, conn *c, trw_request *r)
{
	trw_job *job = NULL;
	json_t *body;
	watch *v;

	if (get_visible_job(s, c, r, &job) < 0)
		return;
	body = job_body(s, job);
	if (TRW_JOB_ENDED(job->state)) {
		trw_proto_event(&c->out, r->id, "end", body);
	} else if (!(v = realloc(c->watches, (c->nwatches + 1) * sizeof(*v)))) {
		trw_proto_error(&c->out, r->id, TRW_PERR_INTERNAL, "out of memory");
	} else {
		c->watches = v;
		v[c->nwatches].id = r->id ? json_incref(r->id) : json_null();
		memcpy(v[c->nwatches].job, job->id, sizeof(v->job));
		c->nwatches++;
		trw_proto_event(&c->out, r->id, "status", body);
	}
	json_decref(body);
	trw_job_free(job);
}

static void op_cancel(trw_daemon *s, conn *c, trw_request *r)
{
	trw_job *job = NULL;
	trw_job_state st;
	json_t *body;

	if (get_visible_job(s, c, r, &job) < 0)
		return;
	if (trw_jobs_cancel(s->o.jobs, job->id, &st) < 0) {
		trw_proto_error(&c->out, r->id, TRW_PERR_INTERNAL, "%s", trw_error_last());
		trw_job_free(job);
		return;
	}
	if (st == TRW_JOB_RUNNING && s->workers)
		trw_workers_cancel(s->workers, job->id);
	if (job->state == TRW_JOB_QUEUED && st == TRW_JOB_CANCELLED) {
		/* nobody else will tell its watchers */
		json_t *end = json_pack("{s:s,s:s,s:i,s:n}", "job", job->id, "state", "cancelled",
		    "exit_code", 2, "audit_status");

		trw_daemon_post_event(s, job->id, "end", end);
		json_decref(end);
	}
	log_info("job %s: cancel by uid %u (%s)", job->id, (unsigned)c->ident.uid,
	    trw_job_state_name(st));
	body = json_pack("{s:s,s:s,s:b}", "job", job->id, "state", trw_job_state_name(st),
	    "cancelling", st == TRW_JOB_RUNNING);
	trw_proto_ok(&c->out, r->id, body);
	json_decref(body);
	trw_job_free(job);
}

static void op_stats(trw_daemon *s, conn *c, trw_request *r)
{
	unsigned counts[TRW_JOB__COUNT];
	trw_workers_stats ws;
	json_t *body, *jobs;

	memset(&ws, 0, sizeof(ws));
	if (trw_jobs_counts(s->o.jobs, counts) < 0) {
		trw_proto_error(&c->out, r->id, TRW_PERR_INTERNAL, "%s", trw_error_last());
		return;
	}
	if (s->workers)
		trw_workers_get_stats(s->workers, &ws);
	jobs = json_object();
	for (int i = 0; i < TRW_JOB__COUNT; i++)
		json_object_set_new(jobs, trw_job_state_name((trw_job_state)i),
		    json_integer(counts[i]));
	body = json_object();
	json_object_set_new(body, "stats_version", json_integer(1));
	json_object_set_new(body, "uptime_seconds",
	    json_real((double)(trw_now_ns() - s->started_ns) / 1e9));
	json_object_set_new(body, "queue_depth", json_integer(counts[TRW_JOB_QUEUED]));
	json_object_set_new(body, "queue_size", json_integer(s->lim.queue_size));
	json_object_set_new(body, "workers", json_integer(ws.threads));
	json_object_set_new(body, "workers_busy", json_integer(ws.busy));
	json_object_set_new(body, "jobs", jobs);
	json_object_set_new(body, "jobs_run", json_integer((json_int_t)ws.jobs_run));
	json_object_set_new(body, "queries", json_integer((json_int_t)ws.queries));
	json_object_set_new(body, "queries_per_second", json_real(ws.queries_per_second));
	json_object_set_new(body, "cache_hits", json_integer((json_int_t)ws.cache_hits));
	json_object_set_new(body, "cache_hit_rate", ws.queries ?
	    json_real((double)ws.cache_hits / (double)ws.queries) : json_null());
	json_object_set_new(body, "model_calls", json_integer((json_int_t)ws.model_calls));
	json_object_set_new(body, "connections", json_integer((json_int_t)s->nconns));
	trw_proto_ok(&c->out, r->id, body);
	json_decref(body);
}

static void handle_request(trw_daemon *s, conn *c, const char *line, size_t len)
{
	trw_request *r = NULL;
	trw_proto_errcode perr;
	json_t *id = NULL, *body = NULL;

	if (trw_request_parse(&r, &perr, &id, line, len) < 0) {
		log_debug("fd %d: bad request: %s", c->fd, trw_error_last());
		trw_proto_error(&c->out, id, perr, "%s", trw_error_last());
		json_decref(id);
		if (perr == TRW_PERR_TOO_LARGE && len > s->lim.max_request)
			c->closing = 1;
		return;
	}
	json_decref(id);
	log_debug("fd %d uid %u: %s", c->fd, (unsigned)c->ident.uid, trw_op_name(r->op));
	switch (r->op) {
	case TRW_OP_PING:
		body = json_pack("{s:b}", "pong", 1);
		trw_proto_ok(&c->out, r->id, body);
		break;
	case TRW_OP_VERSION: {
		json_t *ops = json_array();

		for (int i = 0; i < TRW_OP__COUNT; i++)
			json_array_append_new(ops, json_string(trw_op_name((trw_op)i)));
		body = json_pack("{s:s,s:s,s:i,s:o}", "name", "trawicd", "version",
		    PACKAGE_VERSION, "protocol", TRW_PROTOCOL_VERSION, "ops", ops);
		trw_proto_ok(&c->out, r->id, body);
		break;
	}
	case TRW_OP_SUBMIT:
		op_submit(s, c, r);
		break;
	case TRW_OP_STATUS: {
		trw_job *job;

		if (get_visible_job(s, c, r, &job) < 0)
			break;
		body = job_body(s, job);
		trw_proto_ok(&c->out, r->id, body);
		trw_job_free(job);
		break;
	}
	case TRW_OP_WATCH:
		op_watch(s, c, r);
		break;
	case TRW_OP_RESULT:
		op_result(s, c, r);
		break;
	case TRW_OP_CANCEL:
		op_cancel(s, c, r);
		break;
	case TRW_OP_LIST: {
		json_t *jobs;

		if (trw_jobs_list(s->o.jobs, &jobs, c->ident.uid == 0 ? (uid_t)-1 : c->ident.uid,
		    r->state, r->limit) < 0) {
			trw_proto_error(&c->out, r->id, TRW_PERR_INTERNAL, "%s", trw_error_last());
			break;
		}
		body = json_pack("{s:o}", "jobs", jobs);
		trw_proto_ok(&c->out, r->id, body);
		break;
	}
	case TRW_OP_STATS:
		op_stats(s, c, r);
		break;
	case TRW_OP_SHUTDOWN:
		if (c->ident.uid != 0 && c->ident.uid != geteuid()) {
			trw_proto_error(&c->out, r->id, TRW_PERR_FORBIDDEN, "shutdown is for root "
			    "(and the daemon's own user)");
			break;
		}
		log_notice("shutdown requested by uid %u", (unsigned)c->ident.uid);
		body = json_pack("{s:b}", "stopping", 1);
		trw_proto_ok(&c->out, r->id, body);
		s->stop = 1;
		break;
	default:
		trw_proto_error(&c->out, r->id, TRW_PERR_INVALID, "unsupported op");
	}
	json_decref(body);
	trw_request_free(r);
}

static void conn_read(trw_daemon *s, conn *c)
{
	for (;;) {
		ssize_t n;
		size_t start = 0;
		char *nl;

		if (c->closing || c->dead)
			return;
		if (c->in_cap - c->in_len < 65536) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 65536;
			char *p;

			if (cap < c->in_len + 65536)
				cap = c->in_len + 65536;
			if (!(p = realloc(c->in, cap))) {
				conn_drop(c, "out of memory");
				return;
			}
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_drop(c, n == 0 ? "client closed" : strerror(errno));
			return;
		}
		c->last_read_ns = trw_now_ns();
		c->in_len += (size_t)n;
		/* answers pile up faster than the client reads: stop taking requests
		 * (conn_flush drops it once over max-output) */
		while (!c->closing && c->out.size - c->out_off <= s->lim.max_output &&
		    (nl = memchr(c->in + start, '\n', c->in_len - start))) {
			size_t len = (size_t)(nl - (c->in + start));
			size_t l = len;

			if (l && c->in[start + l - 1] == '\r')
				l--;
			if (len > s->lim.max_request) {
				trw_proto_error(&c->out, NULL, TRW_PERR_TOO_LARGE, "request longer than "
				    "%zu bytes", s->lim.max_request);
				c->closing = 1;
			} else if (l > 0) {
				handle_request(s, c, c->in + start, l);
			}
			start += len + 1;
		}
		if (start) {
			memmove(c->in, c->in + start, c->in_len - start);
			c->in_len -= start;
		}
		if (!c->closing && c->in_len > s->lim.max_request) {
			trw_proto_error(&c->out, NULL, TRW_PERR_TOO_LARGE, "request longer than %zu "
			    "bytes", s->lim.max_request);
			c->closing = 1;
		}
		/* keep one client from starving the others: the rest next round */
		if (c->out.size - c->out_off > 0)
			conn_flush(s, c);
		if (c->in_len == 0 && (size_t)n < 65536)
			return;
	}
}

static void do_accept(trw_daemon *s, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		conn *c, **v;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (s->nconns >= s->lim.max_connections) {
			static const char busy[] = "{\"v\":1,\"id\":null,\"ok\":false,\"error\":"
			    "{\"code\":\"busy\",\"message\":\"too many connections\"}}\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* it is dropped anyway */
			}
			close(fd);
			continue;
		}
		if (!(c = calloc(1, sizeof(*c))) ||
		    !(v = realloc(s->conns, (s->nconns + 1) * sizeof(*v)))) {
			free(c);
			close(fd);
			continue;
		}
		s->conns = v;
		c->fd = fd;
		c->out.max = 0;
		if (trw_ident_from_socket(&c->ident, &c->pid, fd) < 0) {
			log_warn("%s", trw_error_last());
			conn_free(c);
			continue;
		}
		c->last_read_ns = c->stall_since_ns = trw_now_ns();
		s->conns[s->nconns++] = c;
		log_debug("client fd %d: uid %u gid %u pid %d", fd, (unsigned)c->ident.uid,
		    (unsigned)c->ident.gid, (int)c->pid);
	}
}

static void deliver_events(trw_daemon *s)
{
	event *e, *next;
	char buf[256];

	while (read(s->wake_pipe[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&s->ev_mu);
	e = s->ev_head;
	s->ev_head = s->ev_tail = NULL;
	s->ev_count = 0;
	pthread_mutex_unlock(&s->ev_mu);
	for (; e; e = next) {
		progress *p = find_progress(s, e->job);

		next = e->next;
		if (e->end) {
			if (p) {
				json_decref(p->body);
				*p = s->prog[--s->nprog];
			}
		} else if (p) {
			json_decref(p->body);
			p->body = json_incref(e->body);
		} else {
			progress *v = realloc(s->prog, (s->nprog + 1) * sizeof(*v));

			if (v) {
				s->prog = v;
				snprintf(v[s->nprog].job, sizeof(v->job), "%s", e->job);
				v[s->nprog++].body = json_incref(e->body);
			}
		}
		for (size_t i = 0; i < s->nconns; i++) {
			conn *c = s->conns[i];

			for (size_t k = 0; k < c->nwatches && !c->dead; k++) {
				if (strcmp(c->watches[k].job, e->job) != 0)
					continue;
				if (e->end) {
					trw_proto_event(&c->out, c->watches[k].id, "end", e->body);
					json_decref(c->watches[k].id);
					c->watches[k--] = c->watches[--c->nwatches];
				} else if (c->out.size - c->out_off < WATCH_SOFT_LIMIT) {
					trw_proto_event(&c->out, c->watches[k].id, "progress", e->body);
				}
			}
			if (c->out.size > c->out_off)
				conn_flush(s, c);
		}
		if (e->end)
			update_status(s, 1);
		json_decref(e->body);
		free(e);
	}
}

/* STATUS= for systemd: on every submit and job end, and once a second
 * when the counts changed otherwise (a job claimed) */
static void update_status(trw_daemon *s, int force)
{
	unsigned counts[TRW_JOB__COUNT], key;
	char msg[160];
	uint64_t now = trw_now_ns();

	if (!getenv("NOTIFY_SOCKET"))
		return;
	if (!force && now - s->last_status_ns < 1000000000ull)
		return;
	s->last_status_ns = now;
	if (trw_jobs_counts(s->o.jobs, counts) < 0)
		return;
	key = counts[TRW_JOB_QUEUED] * 65536u + counts[TRW_JOB_RUNNING];
	if (!force && key == s->last_status_depth)
		return;
	s->last_status_depth = key;
	snprintf(msg, sizeof(msg), "STATUS=%u queued, %u running", counts[TRW_JOB_QUEUED],
	    counts[TRW_JOB_RUNNING]);
	trw_sd_notify(msg);
}

/* The next connection deadline, as a poll timeout in ms (at most 1000). */
static int next_timeout(trw_daemon *s)
{
	uint64_t now = trw_now_ns(), best = now + 1000000000ull;

	for (size_t i = 0; i < s->nconns; i++) {
		conn *c = s->conns[i];
		uint64_t d;

		if (c->out.size > c->out_off)
			d = c->stall_since_ns + (uint64_t)s->lim.write_timeout_ms * 1000000;
		else if (c->nwatches == 0 || c->in_len > 0)
			d = c->last_read_ns + (uint64_t)s->lim.read_timeout_ms * 1000000;
		else
			continue;
		if (d < best)
			best = d;
	}
	return best <= now ? 0 : (int)((best - now + 999999) / 1000000);
}

static void check_timeouts(trw_daemon *s)
{
	uint64_t now = trw_now_ns();

	for (size_t i = 0; i < s->nconns; i++) {
		conn *c = s->conns[i];
		int pending = c->out.size > c->out_off;

		if (c->dead)
			continue;
		if (pending && now - c->stall_since_ns > (uint64_t)s->lim.write_timeout_ms * 1000000)
			conn_drop(c, "does not read its answers (write timeout)");
		else if (!pending && (c->nwatches == 0 || c->in_len > 0) &&
		    now - c->last_read_ns > (uint64_t)s->lim.read_timeout_ms * 1000000)
			conn_drop(c, "read timeout");
	}
}

int trw_daemon_new(trw_daemon **out, const trw_daemon_options *opts)
{
	trw_daemon *s;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return trw_error_oom();
	s->o = *opts;
	s->lim = opts->limits;
	s->wake_pipe[0] = s->wake_pipe[1] = -1;
	if (opts->socket_path && !(s->socket_path = strdup(opts->socket_path))) {
		free(s);
		return trw_error_oom();
	}
	pthread_mutex_init(&s->ev_mu, NULL);
	if (pipe2(s->wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    (sig_pipe[0] < 0 && pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)) {
		trw_daemon_free(s);
		return trw_error_set(TRW_EIO, "pipe: %s", strerror(errno));
	}
	set_nonblock(opts->listen_fd);
	s->started_ns = trw_now_ns();
	*out = s;
	return 0;
}

void trw_daemon_set_workers(trw_daemon *s, trw_workers *w)
{
	s->workers = w;
}

static void handle_signals(trw_daemon *s)
{
	unsigned char sig[16];
	ssize_t n;

	while ((n = read(sig_pipe[0], sig, sizeof(sig))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (sig[i] == SIGTERM || sig[i] == SIGINT) {
				log_notice("signal %d: stopping", sig[i]);
				s->stop = 1;
			} else if (sig[i] == SIGHUP) {
				trw_daemon_limits lim = s->lim;
				char msg[96];
				struct timespec ts;

				clock_gettime(CLOCK_MONOTONIC, &ts);
				snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
				    (unsigned long long)ts.tv_sec * 1000000ull +
				    (unsigned long long)ts.tv_nsec / 1000);
				trw_sd_notify(msg);
				if (s->o.reload && s->o.reload(s->o.reload_payload, &lim) == 0) {
					s->lim = lim;
					log_notice("configuration reloaded");
				} else {
					log_warn("reload failed, keeping the configuration: %s",
					    trw_error_last());
				}
				trw_sd_notify("READY=1");
			}
		}
	}
}

int trw_daemon_run(trw_daemon *s)
{
	struct sigaction sa;
	struct pollfd *pfd = NULL;
	size_t cap = 0;
	int lfd = s->o.listen_fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (!s->stop) {
		size_t n = 0, base;
		int timeout = next_timeout(s), rc;

		if (cap < s->nconns + 3) {
			cap = (s->nconns + 3) * 2;
			if (!(pfd = realloc(pfd, cap * sizeof(*pfd))))
				fatal("out of memory");
		}
		pfd[n++] = (struct pollfd){ sig_pipe[0], POLLIN, 0 };
		pfd[n++] = (struct pollfd){ s->wake_pipe[0], POLLIN, 0 };
		pfd[n++] = (struct pollfd){ lfd, POLLIN, 0 };
		base = n;
		for (size_t i = 0; i < s->nconns; i++) {
			conn *c = s->conns[i];
			short ev = 0;

			if (!c->closing)
				ev |= POLLIN;
			if (c->out.size > c->out_off)
				ev |= POLLOUT;
			pfd[n++] = (struct pollfd){ c->fd, ev, 0 };
		}
		rc = poll(pfd, n, timeout);
		if (rc < 0 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		if (rc > 0) {
			if (pfd[0].revents)
				handle_signals(s);
			if (pfd[1].revents)
				deliver_events(s);
			for (size_t i = 0; i < n - base; i++) {
				conn *c = s->conns[i];
				short re = pfd[base + i].revents;

				if (re & POLLOUT)
					conn_flush(s, c);
				if (re & (POLLIN | POLLHUP | POLLERR))
					conn_read(s, c);
				if ((re & (POLLHUP | POLLERR)) && !(re & POLLIN))
					conn_drop(c, "hung up");
			}
			if (pfd[2].revents & POLLIN)
				do_accept(s, lfd);
		}
		check_timeouts(s);
		update_status(s, 0);
		/* sweep */
		for (size_t i = 0; i < s->nconns;) {
			if (s->conns[i]->dead) {
				conn_free(s->conns[i]);
				s->conns[i] = s->conns[--s->nconns];
			} else {
				i++;
			}
		}
	}

	/* stop accepting first, so clients see a refused connect, not a hang */
	trw_sd_notify("STOPPING=1");
	close(lfd);
	s->o.listen_fd = -1;
	if (s->socket_path)
		unlink(s->socket_path);
	for (size_t i = 0; i < s->nconns; i++)
		conn_flush(s, s->conns[i]);
	if (s->workers) {
		log_notice("waiting for running audits to reach a checkpoint");
		trw_workers_stop(s->workers);
	}
	free(pfd);
	return 0;
}

void trw_daemon_free(trw_daemon *s)
{
	event *e, *next;

	if (!s)
		return;
	for (size_t i = 0; i < s->nconns; i++)
		conn_free(s->conns[i]);
	free(s->conns);
	for (e = s->ev_head; e; e = next) {
		next = e->next;
		json_decref(e->body);
		free(e);
	}
	for (size_t i = 0; i < s->nprog; i++)
		json_decref(s->prog[i].body);
	free(s->prog);
	if (s->wake_pipe[0] >= 0)
		close(s->wake_pipe[0]);
	if (s->wake_pipe[1] >= 0)
		close(s->wake_pipe[1]);
	if (s->o.listen_fd >= 0)
		close(s->o.listen_fd);
	pthread_mutex_destroy(&s->ev_mu);
	free(s->socket_path);
	free(s);
}
