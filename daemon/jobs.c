/*
 * jobs.c - the job store: one SQLite database in WAL mode with
 * synchronous=FULL, so a committed submit survives a crash (and a power
 * loss), and a small set of transactions that are the only way a job's
 * state changes (see jobs.h).
 *
 * It knows nothing of sockets, workers or audits: the daemon decides when
 * to call it; this file makes each call atomic and durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/error.h"
#include "common/util.h"
#include "daemon/jobs.h"

struct trw_jobs {
	sqlite3 *db;
	pthread_mutex_t lock;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS jobs ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id TEXT NOT NULL UNIQUE,"
	" uid INTEGER NOT NULL, gid INTEGER NOT NULL, groups TEXT NOT NULL,"
	" state INTEGER NOT NULL, priority INTEGER NOT NULL, model TEXT NOT NULL,"
	" params TEXT NOT NULL,"
	" submitted REAL NOT NULL, started REAL NOT NULL DEFAULT 0,"
	" finished REAL NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0, exit_code INTEGER NOT NULL DEFAULT -1,"
	" audit_status TEXT, error TEXT, result TEXT,"
	" cancel_requested INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(state, priority DESC, seq);"
	"CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(uid, seq);";

static int db_error(trw_jobs *j, const char *what)
{
	return trw_error_set(TRW_EIO, "job store: %s: %s", what, sqlite3_errmsg(j->db));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int exec(trw_jobs *j, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int e = trw_error_set(TRW_EIO, "job store: %s: %s", sql, msg ? msg : "?");

		sqlite3_free(msg);
		return e;
	}
	return 0;
}

static int prepare(trw_jobs *j, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(j->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(j, "prepare");
	return 0;
}

int trw_jobs_open(trw_jobs **out, const char *path, unsigned *requeued)
{
	trw_jobs *j;
	int error = 0;

	*out = NULL;
	if (requeued)
		*requeued = 0;
	if (!(j = calloc(1, sizeof(*j))))
		return trw_error_oom();
	pthread_mutex_init(&j->lock, NULL);
	if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		error = trw_error_set(TRW_EIO, "cannot open the job store %s: %s", path,
		    j->db ? sqlite3_errmsg(j->db) : "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(j->db, 10000);
	if ((error = exec(j, "PRAGMA journal_mode=WAL")) < 0 ||
	    (error = exec(j, "PRAGMA synchronous=FULL")) < 0 ||
	    (error = exec(j, schema)) < 0)
		goto done;
	/* recovery: a job left running was interrupted; it never committed a result */
	if ((error = exec(j, "BEGIN IMMEDIATE")) < 0)
		goto done;
	if ((error = exec(j, "UPDATE jobs SET state=4, finished=CAST(strftime('%s','now') AS REAL),"
	    " error='cancelled (the daemon stopped before the audit did)'"
	    " WHERE state=1 AND cancel_requested=1")) < 0)
		goto rollback;
	if ((error = exec(j, "UPDATE jobs SET state=0 WHERE state=1")) < 0)
		goto rollback;
	if (requeued)
		*requeued = (unsigned)sqlite3_changes(j->db);
	error = exec(j, "COMMIT");
	goto done;
rollback:
	exec(j, "ROLLBACK");
done:
	if (error < 0) {
		trw_jobs_free(j);
		return error;
	}
	*out = j;
	return 0;
}

void trw_jobs_free(trw_jobs *j)
{
	if (!j)
		return;
	sqlite3_close(j->db);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

void trw_job_free(trw_job *job)
{
	if (!job)
		return;
	free(job->groups);
	free(job->model);
	json_decref(job->params);
	free(job->audit_status);
	free(job->error);
	free(job);
}

static void iso_time(char *buf, size_t n, double t)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *trw_job_to_json(const trw_job *job)
{
	json_t *o = json_object();
	char t[32];

	if (!o)
		return NULL;
	json_object_set_new(o, "job", json_string(job->id));
	json_object_set_new(o, "state", json_string(trw_job_state_name(job->state)));
	json_object_set_new(o, "uid", json_integer(job->uid));
	json_object_set_new(o, "priority", json_integer(job->priority));
	json_object_set_new(o, "spec", json_incref(json_object_get(job->params, "spec")));
	json_object_set_new(o, "model", job->model[0] ? json_string(job->model) : json_null());
	iso_time(t, sizeof(t), job->submitted);
	json_object_set_new(o, "submitted", json_string(t));
	if (job->started > 0) {
		iso_time(t, sizeof(t), job->started);
		json_object_set_new(o, "started", json_string(t));
	}
	if (job->finished > 0 && TRW_JOB_ENDED(job->state)) {
		iso_time(t, sizeof(t), job->finished);
		json_object_set_new(o, "finished", json_string(t));
	}
	json_object_set_new(o, "attempts", json_integer(job->attempts));
	if (TRW_JOB_ENDED(job->state)) {
		json_object_set_new(o, "exit_code", json_integer(job->exit_code));
		json_object_set_new(o, "audit_status", job->audit_status ?
		    json_string(job->audit_status) : json_null());
	}
	if (job->error && TRW_JOB_ENDED(job->state))
		json_object_set_new(o, "error", json_string(job->error));
	if (job->cancel_requested && job->state == TRW_JOB_RUNNING)
		json_object_set_new(o, "cancel_requested", json_true());
	return o;
}

#define JOB_COLUMNS "id, uid, gid, groups, state, priority, model, params, submitted, " \
	"started, finished, attempts, exit_code, audit_status, error, cancel_requested"

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? strdup((const char *)s) : NULL;
}

static int row_to_job(trw_job **out, sqlite3_stmt *st)
{
	trw_job *job = calloc(1, sizeof(*job));
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *params = (const char *)sqlite3_column_text(st, 7);
	json_error_t jerr;

	*out = NULL;
	if (!job)
		return trw_error_oom();
	snprintf(job->id, sizeof(job->id), "%s", id ? id : "");
	job->uid = (uid_t)sqlite3_column_int64(st, 1);
	job->gid = (gid_t)sqlite3_column_int64(st, 2);
	job->groups = col_dup(st, 3);
	job->state = (trw_job_state)sqlite3_column_int(st, 4);
	job->priority = sqlite3_column_int(st, 5);
	job->model = col_dup(st, 6);
	job->params = json_loads(params ? params : "", 0, &jerr);
	job->submitted = sqlite3_column_double(st, 8);
	job->started = sqlite3_column_double(st, 9);
	job->finished = sqlite3_column_double(st, 10);
	job->attempts = (unsigned)sqlite3_column_int(st, 11);
	job->exit_code = sqlite3_column_int(st, 12);
	job->audit_status = col_dup(st, 13);
	job->error = col_dup(st, 14);
	job->cancel_requested = sqlite3_column_int(st, 15);
	if (!job->groups || !job->model || !job->params) {
		trw_job_free(job);
		return trw_error_set(TRW_EIO, "job store: a damaged row");
	}
	*out = job;
	return 0;
}

static int new_id(char out[TRW_JOB_ID_LEN + 1])
{
	unsigned char r[TRW_JOB_ID_LEN / 2];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return trw_error_set(TRW_ERROR, "getrandom: %s", strerror(errno));
		}
		got += (size_t)n;
	}
	trw_hex(out, r, sizeof(r));
	return 0;
}

static int count_state(trw_jobs *j, int state, unsigned *out)
{
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = prepare(j, &st, "SELECT count(*) FROM jobs WHERE state=?")) < 0)
		return error;
	sqlite3_bind_int(st, 1, state);
	if (sqlite3_step(st) != SQLITE_ROW)
		error = db_error(j, "count");
	else
		*out = (unsigned)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return error;
}

int trw_jobs_submit(trw_jobs *j, char out[TRW_JOB_ID_LEN + 1], const trw_job *job,
    unsigned max_queued, unsigned *depth)
{
	sqlite3_stmt *st = NULL;
	char *params = NULL;
	unsigned queued = 0;
	int error;

	*depth = 0;
	if (!(params = json_dumps(job->params, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		return trw_error_oom();
	pthread_mutex_lock(&j->lock);
	if ((error = exec(j, "BEGIN IMMEDIATE")) < 0)
		goto done;
	if ((error = count_state(j, TRW_JOB_QUEUED, &queued)) < 0)
		goto rollback;
	*depth = queued;
	if (queued >= max_queued) {
		error = trw_error_set(TRW_ETOOBIG, "the queue is full (%u jobs queued)", queued);
		goto rollback;
	}
	if ((error = new_id(out)) < 0)
		goto rollback;
	if ((error = prepare(j, &st, "INSERT INTO jobs (id, uid, gid, groups, state, priority, "
	    "model, params, submitted) VALUES (?,?,?,?,0,?,?,?,?)")) < 0)
		goto rollback;
	sqlite3_bind_text(st, 1, out, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, job->uid);
	sqlite3_bind_int64(st, 3, job->gid);
	sqlite3_bind_text(st, 4, job->groups ? job->groups : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, job->priority);
	sqlite3_bind_text(st, 6, job->model ? job->model : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, params, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 8, now());
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = db_error(j, "insert");
		goto rollback;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((error = exec(j, "COMMIT")) < 0)
		goto rollback;
	*depth = queued + 1;
	goto done;
rollback:
	sqlite3_finalize(st);
	st = NULL;
	exec(j, "ROLLBACK");
done:
	pthread_mutex_unlock(&j->lock);
	free(params);
	return error;
}

int trw_jobs_get(trw_jobs *j, trw_job **out, const char *id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;

	*out = NULL;
	pthread_mutex_lock(&j->lock);
	if ((error = prepare(j, &st, "SELECT " JOB_COLUMNS " FROM jobs WHERE id=?")) < 0)
		goto done;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		error = row_to_job(out, st);
	else if (rc == SQLITE_DONE)
		error = trw_error_set(TRW_ENOTFOUND, "no job '%s'", id);
	else
		error = db_error(j, "get");
done:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return error;
}

int trw_jobs_result(trw_jobs *j, char **out, const char *id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;

	*out = NULL;
	pthread_mutex_lock(&j->lock);
	if ((error = prepare(j, &st, "SELECT result FROM jobs WHERE id=?")) < 0)
		goto done;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		if (!(*out = col_dup(st, 0)))
			error = trw_error_oom();
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		error = trw_error_set(TRW_ENOTFOUND, "job '%s' has no result", id);
	} else {
		error = db_error(j, "result");
	}
done:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return error;
}

int trw_jobs_claim(trw_jobs *j, trw_job **out,
    int (*eligible)(const char *model, void *payload), void *payload)
{
	sqlite3_stmt *st = NULL;
	trw_job *job = NULL;
	int error, rc;

	*out = NULL;
	pthread_mutex_lock(&j->lock);
	if ((error = exec(j, "BEGIN IMMEDIATE")) < 0)
		goto done;
	if ((error = prepare(j, &st, "SELECT " JOB_COLUMNS " FROM jobs WHERE state=0 "
	    "ORDER BY priority DESC, seq")) < 0)
		goto rollback;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *model = (const char *)sqlite3_column_text(st, 6);

		if (eligible && !eligible(model ? model : "", payload))
			continue;
		if ((error = row_to_job(&job, st)) < 0)
			goto rollback;
		break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		error = db_error(j, "claim");
		goto rollback;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (!job) {
		exec(j, "ROLLBACK");
		error = TRW_ENOTFOUND;
		goto done;
	}
	job->state = TRW_JOB_RUNNING;
	job->attempts++;
	job->started = now();
	if ((error = prepare(j, &st, "UPDATE jobs SET state=1, attempts=?, started=? "
	    "WHERE id=? AND state=0")) < 0)
		goto rollback;
	sqlite3_bind_int(st, 1, (int)job->attempts);
	sqlite3_bind_double(st, 2, job->started);
	sqlite3_bind_text(st, 3, job->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(j->db) != 1) {
		error = db_error(j, "claim");
		goto rollback;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((error = exec(j, "COMMIT")) < 0)
		goto rollback;
	*out = job;
	job = NULL;
	goto done;
rollback:
	sqlite3_finalize(st);
	st = NULL;
	exec(j, "ROLLBACK");
done:
	sqlite3_finalize(st);
	trw_job_free(job);
	pthread_mutex_unlock(&j->lock);
	return error;
}

int trw_jobs_finish(trw_jobs *j, const char *id, unsigned attempt, trw_job_state state,
    const char *audit_status, int exit_code, const char *result, const char *error_msg)
{
	sqlite3_stmt *st = NULL;
	int error;

	pthread_mutex_lock(&j->lock);
	if ((error = exec(j, "BEGIN IMMEDIATE")) < 0)
		goto done;
	if ((error = prepare(j, &st, "UPDATE jobs SET state=?, audit_status=?, exit_code=?, "
	    "result=?, error=?, finished=? WHERE id=? AND state=1 AND attempts=?")) < 0)
		goto rollback;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_text(st, 2, audit_status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, exit_code);
	sqlite3_bind_text(st, 4, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, error_msg, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, now());
	sqlite3_bind_text(st, 7, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, (int)attempt);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = db_error(j, "finish");
		goto rollback;
	}
	if (sqlite3_changes(j->db) != 1) {
		error = trw_error_set(TRW_ENOTFOUND, "job '%s' attempt %u is no longer running",
		    id, attempt);
		goto rollback;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((error = exec(j, "COMMIT")) < 0)
		goto rollback;
	goto done;
rollback:
	sqlite3_finalize(st);
	st = NULL;
	exec(j, "ROLLBACK");
done:
	pthread_mutex_unlock(&j->lock);
	return error;
}

int trw_jobs_requeue(trw_jobs *j, const char *id, unsigned attempt)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	pthread_mutex_lock(&j->lock);
	if ((error = prepare(j, &st, "UPDATE jobs SET state=0 WHERE id=? AND state=1 "
	    "AND attempts=?")) < 0)
		goto done;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)attempt);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = db_error(j, "requeue");
done:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return error;
}

int trw_jobs_cancel(trw_jobs *j, const char *id, trw_job_state *state)
{
	sqlite3_stmt *st = NULL;
	int error, rc;

	pthread_mutex_lock(&j->lock);
	if ((error = exec(j, "BEGIN IMMEDIATE")) < 0)
		goto done;
	if ((error = prepare(j, &st, "SELECT state FROM jobs WHERE id=?")) < 0)
		goto rollback;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		error = rc == SQLITE_DONE ? trw_error_set(TRW_ENOTFOUND, "no job '%s'", id) :
		    db_error(j, "cancel");
		goto rollback;
	}
	*state = (trw_job_state)sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (*state == TRW_JOB_QUEUED) {
		if ((error = prepare(j, &st, "UPDATE jobs SET state=4, finished=?, "
		    "error='cancelled before it started' WHERE id=?")) < 0)
			goto rollback;
		sqlite3_bind_double(st, 1, now());
		*state = TRW_JOB_CANCELLED;
	} else if (*state == TRW_JOB_RUNNING) {
		if ((error = prepare(j, &st, "UPDATE jobs SET cancel_requested=1 WHERE id=?")) < 0)
			goto rollback;
	}
	if (st) {
		sqlite3_bind_text(st, sqlite3_bind_parameter_count(st), id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			error = db_error(j, "cancel");
			goto rollback;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((error = exec(j, "COMMIT")) < 0)
		goto rollback;
	goto done;
rollback:
	sqlite3_finalize(st);
	st = NULL;
	exec(j, "ROLLBACK");
done:
	pthread_mutex_unlock(&j->lock);
	return error;
}

int trw_jobs_list(trw_jobs *j, json_t **out, uid_t uid, int state, unsigned limit)
{
	sqlite3_stmt *st = NULL;
	json_t *a = json_array();
	int error = 0, rc;

	*out = NULL;
	if (!a)
		return trw_error_oom();
	pthread_mutex_lock(&j->lock);
	if ((error = prepare(j, &st, "SELECT " JOB_COLUMNS " FROM jobs WHERE "
	    "(?1 < 0 OR uid=?1) AND (?2 < 0 OR state=?2) ORDER BY seq DESC LIMIT ?3")) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, uid == (uid_t)-1 ? -1 : (sqlite3_int64)uid);
	sqlite3_bind_int(st, 2, state);
	sqlite3_bind_int(st, 3, limit ? (int)limit : 100);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		trw_job *job;

		if ((error = row_to_job(&job, st)) < 0)
			goto done;
		json_array_append_new(a, trw_job_to_json(job));
		trw_job_free(job);
	}
	if (rc != SQLITE_DONE)
		error = db_error(j, "list");
done:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	if (error < 0)
		json_decref(a);
	else
		*out = a;
	return error;
}

int trw_jobs_counts(trw_jobs *j, unsigned counts[TRW_JOB__COUNT])
{
	sqlite3_stmt *st = NULL;
	int error, rc;

	memset(counts, 0, sizeof(unsigned) * TRW_JOB__COUNT);
	pthread_mutex_lock(&j->lock);
	if ((error = prepare(j, &st, "SELECT state, count(*) FROM jobs GROUP BY state")) < 0)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = sqlite3_column_int(st, 0);

		if (s >= 0 && s < TRW_JOB__COUNT)
			counts[s] = (unsigned)sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		error = db_error(j, "counts");
done:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return error;
}
