/*
 * workers.c - the worker pool.  Each thread loops: claim a job (the store
 * makes the claim atomic), run the audit with the submitter's filesystem
 * identity, write the record and the final state in one transaction, tell
 * the server.  The pool's own state (which job runs where, models in use,
 * counters) sits behind one mutex; the audits run outside it.
 *
 * It does not talk to clients and does not decide who may submit what:
 * that is server.c.  It re-checks only what cannot have changed safely
 * since the submit (a daemon that cannot take identities runs no local
 * path for another user).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/error.h"
#include "common/util.h"
#include "daemon/access.h"
#include "daemon/log.h"
#include "daemon/workers.h"

typedef struct model_use {
	char *model;
	unsigned n;
} model_use;

typedef struct slot {
	struct trw_workers *w;
	pthread_t thread;
	int started;
	char job[TRW_JOB_ID_LEN + 1];	/* "" when idle; under w->mu */
	atomic_int cancel;
	uint64_t seen_queries, seen_hits, seen_calls;	/* this job's counters so far */
} slot;

#define RATE_WINDOW 60

struct trw_workers {
	trw_jobs *jobs;
	trw_workers_options o;
	char *config_file, *cache_dir;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int stopping;
	int stopped;
	slot *slots;
	unsigned busy;
	model_use *models;
	size_t nmodels;
	/* counters, under mu */
	uint64_t jobs_run, queries, cache_hits, model_calls;
	struct { int64_t sec; uint64_t n; } rate[RATE_WINDOW];
};

static model_use *find_model(trw_workers *w, const char *model)
{
	for (size_t i = 0; i < w->nmodels; i++)
		if (strcmp(w->models[i].model, model) == 0)
			return &w->models[i];
	return NULL;
}

/* called by the store during a claim, with w->mu held */
static int eligible(const char *model, void *payload)
{
	trw_workers *w = payload;
	model_use *m;

	/* the embedded reference model runs in-process: no server to spare */
	if (strncmp(model, "ref:", 4) == 0)
		return 1;
	m = find_model(w, model);
	return !m || m->n < w->o.jobs_per_model;
}

static void model_acquire(trw_workers *w, const char *model)
{
	model_use *m = find_model(w, model), *v;

	if (m) {
		m->n++;
		return;
	}
	if (!(v = realloc(w->models, (w->nmodels + 1) * sizeof(*v))))
		abort();
	w->models = v;
	w->models[w->nmodels].model = strdup(model);
	if (!w->models[w->nmodels].model)
		abort();
	w->models[w->nmodels++].n = 1;
}

static void model_release(trw_workers *w, const char *model)
{
	model_use *m = find_model(w, model);

	if (m && m->n > 0)
		m->n--;
}

static void count_queries(trw_workers *w, uint64_t n)
{
	int64_t sec = (int64_t)(trw_now_ns() / 1000000000ull);
	int i = (int)(sec % RATE_WINDOW);

	if (w->rate[i].sec != sec) {
		w->rate[i].sec = sec;
		w->rate[i].n = 0;
	}
	w->rate[i].n += n;
}

static int on_progress(const trw_audit_progress *p, void *payload)
{
	slot *s = payload;
	trw_workers *w = s->w;
	json_t *body;

	pthread_mutex_lock(&w->mu);
	if (p->queries_done >= s->seen_queries) {
		w->queries += p->queries_done - s->seen_queries;
		count_queries(w, p->queries_done - s->seen_queries);
	}
	if (p->cache_hits >= s->seen_hits)
		w->cache_hits += p->cache_hits - s->seen_hits;
	if (p->model_calls >= s->seen_calls)
		w->model_calls += p->model_calls - s->seen_calls;
	s->seen_queries = p->queries_done;
	s->seen_hits = p->cache_hits;
	s->seen_calls = p->model_calls;
	pthread_mutex_unlock(&w->mu);

	if (w->o.on_event && (body = json_object())) {
		json_object_set_new(body, "job", json_string(s->job));
		json_object_set_new(body, "state", json_string("running"));
		json_object_set_new(body, "phase", json_string(p->phase ? p->phase : ""));
		json_object_set_new(body, "files_done", json_integer((json_int_t)p->files_done));
		json_object_set_new(body, "files_total", json_integer((json_int_t)p->files_total));
		json_object_set_new(body, "queries_done", json_integer((json_int_t)p->queries_done));
		json_object_set_new(body, "queries_failed",
		    json_integer((json_int_t)p->queries_failed));
		json_object_set_new(body, "cache_hits", json_integer((json_int_t)p->cache_hits));
		json_object_set_new(body, "model_calls", json_integer((json_int_t)p->model_calls));
		json_object_set_new(body, "seconds", json_real(p->seconds));
		w->o.on_event(w->o.payload, s->job, "progress", body);
		json_decref(body);
	}
	return atomic_load(&w->stopping) || atomic_load(&s->cancel);
}

static void emit_end(trw_workers *w, const trw_job *job, trw_job_state st, int exit_code,
    const char *audit_status, const char *error)
{
	json_t *body;

	if (!w->o.on_event || !(body = json_object()))
		return;
	json_object_set_new(body, "job", json_string(job->id));
	json_object_set_new(body, "state", json_string(trw_job_state_name(st)));
	json_object_set_new(body, "exit_code", json_integer(exit_code));
	json_object_set_new(body, "audit_status", audit_status ? json_string(audit_status) :
	    json_null());
	if (error)
		json_object_set_new(body, "error", json_string(error));
	w->o.on_event(w->o.payload, job->id, "end", body);
	json_decref(body);
}

/* DIR/<uid>/queries.sqlite, the directory made and given to the user */
static int user_cache(trw_workers *w, const trw_job *job, char *buf, size_t n)
{
	char dir[4096];

	if (!w->cache_dir)
		return 0;
	snprintf(dir, sizeof(dir), "%s/%u", w->cache_dir, (unsigned)job->uid);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return trw_error_set(TRW_EIO, "cannot create %s: %s", dir, strerror(errno));
	if (geteuid() == 0 && chown(dir, job->uid, job->gid) < 0)
		return trw_error_set(TRW_EIO, "cannot chown %s: %s", dir, strerror(errno));
	snprintf(buf, n, "%s/queries.sqlite", dir);
	return 1;
}

static void run_job(slot *s, trw_job *job)
{
	trw_workers *w = s->w;
	trw_audit_options ao = TRW_AUDIT_OPTIONS_INIT;
	trw_submit_params p;
	trw_config *cfg = NULL;
	trw_ident id, saved;
	trw_job_state st;
	json_t *rec = NULL;
	char *text = NULL, cache[4200], clones[4200], scheme[32], errbuf[1024] = "";
	const char *audit_status = NULL;
	int error, switched = 0, foreign, exit_code = 2, fo;

	memset(&p, 0, sizeof(p));
	if ((error = trw_submit_params_from_json(&p, job->params)) < 0) {
		snprintf(errbuf, sizeof(errbuf), "bad stored parameters: %s", trw_error_last());
		goto finish;
	}
	if (job->cancel_requested) {
		st = TRW_JOB_CANCELLED;
		snprintf(errbuf, sizeof(errbuf), "cancelled");
		goto write;
	}
	id.uid = job->uid;
	id.gid = job->gid;
	if (trw_ident_parse_groups(&id, job->groups) < 0)
		id.ngroups = 0;
	foreign = job->uid != geteuid() && job->uid != 0;
	if (foreign && !trw_ident_can_switch() &&
	    trw_spec_classify(p.spec, scheme, sizeof(scheme)) == TRW_SPEC_LOCAL) {
		snprintf(errbuf, sizeof(errbuf), "forbidden: this daemon cannot check uid %u's "
		    "access to %s", (unsigned)job->uid, p.spec);
		goto finish;
	}
	if ((error = user_cache(w, job, cache, sizeof(cache))) < 0) {
		snprintf(errbuf, sizeof(errbuf), "%s", trw_error_last());
		goto finish;
	}
	/* jobs on one model server share its capacity (engine.h) */
	ao.engine.share_endpoints = 1;
	if (error > 0) {
		/* the user's clones next to the user's query cache: a worker
		 * running as the user can write there */
		ao.engine.cache_path = cache;
		snprintf(clones, sizeof(clones), "%.*s/repos",
		    (int)(strrchr(cache, '/') - cache), cache);
		ao.clone_dir = clones;
	}
	if (foreign && trw_ident_can_switch()) {
		if (trw_ident_enter(&saved, &id) < 0) {
			snprintf(errbuf, sizeof(errbuf), "%s", trw_error_last());
			goto finish;
		}
		switched = 1;
	}
	/* a user the daemon cannot impersonate does not get the repository's
	 * own configuration read with the daemon's rights */
	error = foreign && !switched ? trw_config_open_default(&cfg, w->config_file) :
	    trw_audit_config_open(&cfg, p.spec, w->config_file);
	if (error < 0) {
		snprintf(errbuf, sizeof(errbuf), "configuration: %s", trw_error_last());
		goto finish;
	}
	ao.spec = p.spec;
	ao.rev = p.rev;
	ao.model = p.model;
	ao.classifier = p.classifier;
	ao.paths = (const char *const *)p.paths;
	if (p.threshold >= 0)
		ao.threshold = p.threshold;
	if (p.fail_on && (fo = trw_fail_on_parse(p.fail_on)) >= 0) {
		ao.fail_on = (trw_fail_on)fo;
		ao.fail_on_set = 1;
	}
	ao.config = cfg;
	ao.progress = on_progress;
	ao.progress_payload = s;
	log_info("job %s: audit of %s (uid %u, attempt %u)", job->id, p.spec,
	    (unsigned)job->uid, job->attempts);
	error = trw_audit_run(&rec, &ao);
	if (error < 0 && !rec)
		snprintf(errbuf, sizeof(errbuf), "%s", trw_error_last());

finish:
	if (switched) {
		trw_ident_leave(&saved);
		switched = 0;
	}
	if (error == TRW_ECANCEL && atomic_load(&w->stopping) && !atomic_load(&s->cancel)) {
		/* shutdown, not a user's cancel: the job runs again after a restart */
		if (trw_jobs_requeue(w->jobs, job->id, job->attempts) < 0)
			log_warn("job %s: %s", job->id, trw_error_last());
		else
			log_notice("job %s: interrupted by shutdown, back to queued", job->id);
		goto done;
	}
	if (rec) {
		const char *status = json_string_value(json_object_get(rec, "status"));

		audit_status = status;
		exit_code = trw_audit_exit_code(rec, ao.fail_on_set ? ao.fail_on :
		    TRW_FAIL_ON_INCLUDED);
		if (!(text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER)))
			snprintf(errbuf, sizeof(errbuf), "out of memory");
		if (status && strcmp(status, "complete") == 0)
			st = TRW_JOB_DONE;
		else if (status && strcmp(status, "cancelled") == 0)
			st = TRW_JOB_CANCELLED;
		else
			st = TRW_JOB_FAILED;
		if (!errbuf[0] && st != TRW_JOB_DONE) {
			json_t *e = json_array_get(json_object_get(rec, "errors"), 0);
			const char *m = json_string_value(json_object_get(e, "message"));

			snprintf(errbuf, sizeof(errbuf), "%s", m ? m : status ? status : "failed");
		}
	} else {
		st = error == TRW_ECANCEL ? TRW_JOB_CANCELLED : TRW_JOB_FAILED;
		if (!errbuf[0])
			snprintf(errbuf, sizeof(errbuf), "the audit failed");
	}
	if (st == TRW_JOB_CANCELLED)
		exit_code = 2;
write:
	if (trw_jobs_finish(w->jobs, job->id, job->attempts, st, audit_status, exit_code,
	    text, errbuf[0] ? errbuf : NULL) < 0) {
		log_warn("job %s: %s", job->id, trw_error_last());
		goto done;
	}
	pthread_mutex_lock(&w->mu);
	w->jobs_run++;
	pthread_mutex_unlock(&w->mu);
	log_notice("job %s finished: %s (exit %d)%s%s", job->id, trw_job_state_name(st),
	    exit_code, errbuf[0] ? ": " : "", errbuf);
	emit_end(w, job, st, exit_code, audit_status, errbuf[0] ? errbuf : NULL);
done:
	free(text);
	json_decref(rec);
	trw_config_free(cfg);
	trw_submit_params_dispose(&p);
}

static void *worker_main(void *arg)
{
	slot *s = arg;
	trw_workers *w = s->w;

	pthread_mutex_lock(&w->mu);
	while (!atomic_load(&w->stopping)) {
		trw_job *job = NULL;
		int error = trw_jobs_claim(w->jobs, &job, eligible, w);

		if (error == TRW_ENOTFOUND) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		if (error < 0) {
			struct timespec ts;

			log_warn("claim: %s", trw_error_last());
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
			continue;
		}
		model_acquire(w, job->model);
		w->busy++;
		memcpy(s->job, job->id, sizeof(s->job));
		atomic_store(&s->cancel, 0);
		s->seen_queries = s->seen_hits = s->seen_calls = 0;
		pthread_mutex_unlock(&w->mu);

		run_job(s, job);

		pthread_mutex_lock(&w->mu);
		s->job[0] = '\0';
		w->busy--;
		model_release(w, job->model);
		trw_job_free(job);
		/* a model was freed: a job another worker skipped may now run */
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int trw_workers_new(trw_workers **out, trw_jobs *jobs, const trw_workers_options *opts)
{
	trw_workers_options def = TRW_WORKERS_OPTIONS_INIT;
	trw_workers *w;

	*out = NULL;
	if (!opts)
		opts = &def;
	if (!(w = calloc(1, sizeof(*w))))
		return trw_error_oom();
	w->jobs = jobs;
	w->o = *opts;
	if (!w->o.threads)
		w->o.threads = 2;
	if (!w->o.jobs_per_model)
		w->o.jobs_per_model = 1;
	w->config_file = opts->config_file ? strdup(opts->config_file) : NULL;
	w->cache_dir = opts->cache_dir ? strdup(opts->cache_dir) : NULL;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (!(w->slots = calloc(w->o.threads, sizeof(slot)))) {
		trw_workers_free(w);
		return trw_error_oom();
	}
	for (unsigned i = 0; i < w->o.threads; i++) {
		w->slots[i].w = w;
		if (pthread_create(&w->slots[i].thread, NULL, worker_main, &w->slots[i]) != 0) {
			trw_workers_free(w);
			return trw_error_set(TRW_ERROR, "cannot start worker threads");
		}
		w->slots[i].started = 1;
	}
	*out = w;
	return 0;
}

void trw_workers_wake(trw_workers *w)
{
	pthread_mutex_lock(&w->mu);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int trw_workers_cancel(trw_workers *w, const char *job)
{
	int found = 0;

	pthread_mutex_lock(&w->mu);
	for (unsigned i = 0; i < w->o.threads; i++)
		if (strcmp(w->slots[i].job, job) == 0) {
			atomic_store(&w->slots[i].cancel, 1);
			found = 1;
		}
	pthread_mutex_unlock(&w->mu);
	return found;
}

void trw_workers_stop(trw_workers *w)
{
	if (!w || w->stopped)
		return;
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->stopping, 1);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->o.threads; i++)
		if (w->slots && w->slots[i].started)
			pthread_join(w->slots[i].thread, NULL);
	w->stopped = 1;
}

void trw_workers_free(trw_workers *w)
{
	if (!w)
		return;
	trw_workers_stop(w);
	for (size_t i = 0; i < w->nmodels; i++)
		free(w->models[i].model);
	free(w->models);
	free(w->slots);
	free(w->config_file);
	free(w->cache_dir);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void trw_workers_get_stats(trw_workers *w, trw_workers_stats *out)
{
	int64_t sec = (int64_t)(trw_now_ns() / 1000000000ull);
	uint64_t n = 0;

	pthread_mutex_lock(&w->mu);
	out->threads = w->o.threads;
	out->busy = w->busy;
	out->jobs_run = w->jobs_run;
	out->queries = w->queries;
	out->cache_hits = w->cache_hits;
	out->model_calls = w->model_calls;
	for (int i = 0; i < RATE_WINDOW; i++)
		if (w->rate[i].sec > sec - RATE_WINDOW && w->rate[i].sec <= sec)
			n += w->rate[i].n;
	pthread_mutex_unlock(&w->mu);
	out->queries_per_second = (double)n / RATE_WINDOW;
}
