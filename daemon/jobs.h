/*
 * jobs.h - trawicd's durable job store: one SQLite database (WAL) in the
 * state directory.
 *
 * The store is the single source of truth about a job's state.  Every
 * transition is one transaction: a submit is committed before the daemon
 * replies; a worker claims a job (queued -> running) in one transaction, so
 * no two workers run it; a result is written together with the final state
 * in one transaction, and only by the claim that is still current (state
 * running, same attempt), so a job never completes twice.  Opening the
 * store puts back to queued every job a crash left running.
 *
 * The handle is safe to use from several threads (one connection behind a
 * mutex).
 */
#ifndef TRW_JOBS_H
#define TRW_JOBS_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "daemon/protocol.h"

typedef struct trw_jobs trw_jobs;

#define TRW_JOB_ID_LEN 16

typedef struct trw_job {
	char id[TRW_JOB_ID_LEN + 1];
	uid_t uid;
	gid_t gid;
	char *groups;		/* the peer's supplementary groups, "g1,g2" or "" */
	trw_job_state state;
	int priority;
	char *model;		/* the model as submitted ("" = the default): the
				 * key of the per-model limit */
	json_t *params;		/* the submit parameters (trw_submit_params_to_json) */
	double submitted, started, finished;	/* Unix time, 0 = not yet */
	unsigned attempts;	/* times claimed */
	int exit_code;		/* once ended: the exit code trawic audit would give; else -1 */
	char *audit_status;	/* the record's status, or NULL */
	char *error;		/* a message for failed/cancelled, or NULL */
	int cancel_requested;
} trw_job;

void trw_job_free(trw_job *job);

/* The job as the protocol shows it (status, list): a new object. */
json_t *trw_job_to_json(const trw_job *job);

/*
 * Open (creating) the store at `path`.  Jobs left running by a crash go
 * back to queued (those whose cancel was requested become cancelled);
 * *requeued (may be NULL) receives how many.
 */
int trw_jobs_open(trw_jobs **out, const char *path, unsigned *requeued);
void trw_jobs_free(trw_jobs *j);

/*
 * Add a queued job for `job->uid/gid/groups/priority/model/params` and
 * commit.  `out` receives its id.  TRW_ETOOBIG when `max_queued` jobs are
 * already queued (*depth = the queued count in both cases).
 */
int trw_jobs_submit(trw_jobs *j, char out[TRW_JOB_ID_LEN + 1], const trw_job *job,
    unsigned max_queued, unsigned *depth);

/* TRW_ENOTFOUND when there is no such job. */
int trw_jobs_get(trw_jobs *j, trw_job **out, const char *id);

/* The stored record (JSON text, malloc'ed); TRW_ENOTFOUND if none yet. */
int trw_jobs_result(trw_jobs *j, char **out, const char *id);

/*
 * Claim the next job: highest priority first, then oldest, skipping those
 * for which `eligible(model, payload)` is 0.  TRW_ENOTFOUND when none.
 */
int trw_jobs_claim(trw_jobs *j, trw_job **out,
    int (*eligible)(const char *model, void *payload), void *payload);

/*
 * End the claim (`id`, `attempt`): set `state` with the record and exit
 * code, in one transaction.  TRW_ENOTFOUND when that claim is no longer
 * current (nothing is written).
 */
int trw_jobs_finish(trw_jobs *j, const char *id, unsigned attempt, trw_job_state state,
    const char *audit_status, int exit_code, const char *result, const char *error);

/* Put a claimed job back to queued (shutdown). */
int trw_jobs_requeue(trw_jobs *j, const char *id, unsigned attempt);

/*
 * Cancel: a queued job becomes cancelled at once; a running one is marked
 * (its worker stops it at the next checkpoint).  *state receives the state
 * after the call.  TRW_ENOTFOUND.
 */
int trw_jobs_cancel(trw_jobs *j, const char *id, trw_job_state *state);

/* Jobs of `uid` (all when uid is (uid_t)-1), newest first, optionally of
 * one state (-1 = all); an array of trw_job_to_json objects. */
int trw_jobs_list(trw_jobs *j, json_t **out, uid_t uid, int state, unsigned limit);

/* How many jobs are in each state. */
int trw_jobs_counts(trw_jobs *j, unsigned counts[TRW_JOB__COUNT]);

#endif
