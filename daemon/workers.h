/*
 * workers.h - trawicd's worker pool: threads that claim jobs from the
 * store and run trw_audit_run on them, one audit per thread.
 *
 * Progress and the end of each job are reported through a callback (on
 * the worker's thread; the server turns them into watch events).  A
 * running audit stops at its next checkpoint when its job is cancelled,
 * or when the pool stops (the job then goes back to queued).  At most
 * `jobs_per_model` jobs use one model (by its spec as submitted) at once,
 * so two jobs never double the load on one model server; within a job the
 * query engine bounds the requests in flight (the server's slots).  `ref:`
 * models run in-process and are not limited.
 */
#ifndef TRW_WORKERS_H
#define TRW_WORKERS_H

#include <stdint.h>

#include <jansson.h>

#include "daemon/jobs.h"

typedef struct trw_workers trw_workers;

/* `event` is "progress" or "end"; `body` is borrowed for the call. */
typedef void (*trw_workers_event_cb)(void *payload, const char *job, const char *event,
    const json_t *body);

typedef struct trw_workers_options {
	unsigned int version;
	unsigned threads;		/* default 2 */
	unsigned jobs_per_model;	/* default 1 */
	const char *config_file;	/* the daemon's -c file, added to each audit's configuration */
	const char *cache_dir;		/* per-user query caches: DIR/<uid>/queries.sqlite; NULL = engine default */
	trw_workers_event_cb on_event;
	void *payload;
} trw_workers_options;

#define TRW_WORKERS_OPTIONS_VERSION 1
#define TRW_WORKERS_OPTIONS_INIT { TRW_WORKERS_OPTIONS_VERSION, 2, 1, NULL, NULL, NULL, NULL }

/* Start the threads; they begin claiming at once. */
int trw_workers_new(trw_workers **out, trw_jobs *jobs, const trw_workers_options *opts);

/* A job was queued (or a limit freed): wake an idle worker. */
void trw_workers_wake(trw_workers *w);

/* Ask the audit of `job`, if one runs here, to stop at its next checkpoint;
 * 1 if it runs, 0 otherwise. */
int trw_workers_cancel(trw_workers *w, const char *job);

/* Stop: running audits stop at their next checkpoint and their jobs go
 * back to queued; returns once every thread has ended. */
void trw_workers_stop(trw_workers *w);

/* trw_workers_stop, then free; NULL is a no-op. */
void trw_workers_free(trw_workers *w);

typedef struct trw_workers_stats {
	unsigned threads, busy;
	uint64_t jobs_run;		/* audits finished by this process */
	uint64_t queries;		/* queries answered (cache included) */
	uint64_t cache_hits;
	uint64_t model_calls;
	double queries_per_second;	/* over the last minute */
} trw_workers_stats;

void trw_workers_get_stats(trw_workers *w, trw_workers_stats *out);

#endif
