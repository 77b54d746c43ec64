/*
 * scan.c - source walk + parallel extraction, results in tree order.
 *
 * A ring of slots sits between the walker (the caller's thread) and the
 * workers.  Slot i holds the i-th file of the walk.  The walker fills
 * slots in order, workers take filled slots in order and extract them,
 * and the walker, whenever it waits for room, delivers finished slots to
 * the callback in order.  No file is held longer than it takes to
 * deliver it, so memory does not grow with the repository.
 *
 * It does not decide what is skipped (the source does) nor what is a
 * candidate (the extractor does).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "extractor/scan.h"

enum { SLOT_EMPTY, SLOT_FILLED, SLOT_WORKING, SLOT_DONE };

typedef struct slot {
	int state;
	trw_file file;
	char *path;
	char *bytes;
	trw_candidate *cands;
	size_t ncands, cands_alloc;
	trw_extract_result result;
	int error;			/* a fatal extractor error */
	char errmsg[1024];
} slot;

typedef struct scan {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	slot *slots;
	size_t nslots;
	unsigned long long filled;	/* files handed in so far */
	unsigned long long taken;	/* files taken by workers */
	unsigned long long delivered;	/* files given to the callback */
	int stop;			/* workers exit */
	int fatal;
	trw_scan_cb cb;
	void *payload;
	int cb_rc;
	const trw_scan_options *opts;
} scan;

static void slot_reset(slot *s)
{
	free(s->path);
	free(s->bytes);
	s->path = NULL;
	s->bytes = NULL;
	s->ncands = 0;
	s->error = 0;
	s->state = SLOT_EMPTY;
}

/* Extract one slot; runs on a worker (or the caller with one thread). */
static void work(trw_extractor *ex, slot *s)
{
	const trw_extract_result *r;
	int error;

	if (s->file.skipped != TRW_SKIP_NONE)
		return;
	error = trw_extractor_run(ex, s->file.lang, s->bytes, (size_t)s->file.size, &r);
	if (error == TRW_ECANCEL || error == TRW_ETOOBIG) {
		s->file.skipped = TRW_SKIP_PARSE_ERROR;
		return;
	}
	if (error < 0) {
		s->error = error;
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", trw_error_last());
		return;
	}
	if (r->count > s->cands_alloc) {
		trw_candidate *p = realloc(s->cands, r->count * sizeof(*p));

		if (!p) {
			s->error = TRW_ENOMEM;
			snprintf(s->errmsg, sizeof(s->errmsg), "out of memory");
			return;
		}
		s->cands = p;
		s->cands_alloc = r->count;
	}
	if (r->count)
		memcpy(s->cands, r->candidates, r->count * sizeof(*s->cands));
	s->ncands = r->count;
	s->result = *r;
	s->result.candidates = s->cands;
}

/* Deliver the next slot; lock held on entry and exit. */
static int deliver_one(scan *sc)
{
	slot *s = &sc->slots[sc->delivered % sc->nslots];
	int rc = 0;

	pthread_mutex_unlock(&sc->lock);
	if (s->error) {
		rc = trw_error_set(s->error, "%s", s->errmsg);
	} else if (sc->cb_rc == 0) {
		int skipped = s->file.skipped != TRW_SKIP_NONE;

		sc->cb_rc = sc->cb(&s->file, skipped ? NULL : &s->result, sc->payload);
	}
	pthread_mutex_lock(&sc->lock);
	slot_reset(s);
	sc->delivered++;
	pthread_cond_broadcast(&sc->changed);
	if (rc < 0)
		sc->fatal = rc;
	return rc;
}

static void *worker(void *arg)
{
	scan *sc = arg;
	trw_extractor *ex = NULL;
	int error = trw_extractor_new(&ex, &sc->opts->extract);

	pthread_mutex_lock(&sc->lock);
	if (error < 0) {
		sc->fatal = error;
		pthread_cond_broadcast(&sc->changed);
		pthread_mutex_unlock(&sc->lock);
		return NULL;
	}
	for (;;) {
		slot *s;

		while (!sc->stop && sc->taken == sc->filled)
			pthread_cond_wait(&sc->changed, &sc->lock);
		if (sc->taken == sc->filled)	/* stop, and nothing left */
			break;
		s = &sc->slots[sc->taken % sc->nslots];
		sc->taken++;
		s->state = SLOT_WORKING;
		pthread_mutex_unlock(&sc->lock);
		work(ex, s);
		pthread_mutex_lock(&sc->lock);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&sc->changed);
	}
	pthread_mutex_unlock(&sc->lock);
	trw_extractor_free(ex);
	return NULL;
}

/* Lock held: deliver what is done, in order; wait for room if `need`. */
static int drain(scan *sc, int need_room, int all)
{
	for (;;) {
		slot *next = &sc->slots[sc->delivered % sc->nslots];
		int room = sc->filled - sc->delivered < sc->nslots;

		if (sc->fatal)
			return sc->fatal;
		if (sc->delivered < sc->filled && next->state == SLOT_DONE) {
			int rc = deliver_one(sc);

			if (rc < 0)
				return rc;
			continue;
		}
		if (all ? sc->delivered == sc->filled : (!need_room || room))
			return 0;
		pthread_cond_wait(&sc->changed, &sc->lock);
	}
}

static int on_file(const trw_file *file, void *payload)
{
	scan *sc = payload;
	slot *s;
	int error;

	pthread_mutex_lock(&sc->lock);
	if ((error = drain(sc, 1, 0)) < 0 || sc->cb_rc) {
		pthread_mutex_unlock(&sc->lock);
		return error < 0 ? error : sc->cb_rc;
	}
	pthread_mutex_unlock(&sc->lock);

	/* the slot is ours until it is marked filled */
	s = &sc->slots[sc->filled % sc->nslots];
	s->file = *file;
	s->path = strdup(file->path);
	s->bytes = NULL;
	if (!s->path)
		return trw_error_oom();
	s->file.path = s->path;
	if (file->bytes && file->skipped == TRW_SKIP_NONE) {
		s->bytes = malloc(file->size ? (size_t)file->size : 1);
		if (!s->bytes)
			return trw_error_oom();
		memcpy(s->bytes, file->bytes, (size_t)file->size);
	}
	s->file.bytes = s->bytes;

	pthread_mutex_lock(&sc->lock);
	s->state = SLOT_FILLED;
	sc->filled++;
	pthread_cond_broadcast(&sc->changed);
	pthread_mutex_unlock(&sc->lock);
	return 0;
}

/* One thread: no ring, no copies. */
typedef struct inline_scan {
	trw_extractor *ex;
	trw_scan_cb cb;
	void *payload;
	int fatal;
} inline_scan;

static int on_file_inline(const trw_file *file, void *payload)
{
	inline_scan *is = payload;
	const trw_extract_result *r;
	trw_file copy;
	int error;

	if (file->skipped != TRW_SKIP_NONE)
		return is->cb(file, NULL, is->payload);
	error = trw_extractor_run(is->ex, file->lang, file->bytes, (size_t)file->size, &r);
	if (error == TRW_ECANCEL || error == TRW_ETOOBIG) {
		copy = *file;
		copy.skipped = TRW_SKIP_PARSE_ERROR;
		return is->cb(&copy, NULL, is->payload);
	}
	if (error < 0) {
		is->fatal = error;
		return error;
	}
	return is->cb(file, r, is->payload);
}

int trw_scan(trw_source *src, const trw_scan_options *opts,
    trw_scan_cb cb, void *payload)
{
	trw_scan_options defaults = TRW_SCAN_OPTIONS_INIT;
	pthread_t *threads = NULL;
	unsigned nthreads, started = 0;
	scan sc;
	int error = 0, walk;

	if (!opts)
		opts = &defaults;
	nthreads = opts->threads;
	if (nthreads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		nthreads = n > 0 ? (unsigned)n : 1;
	}
	if (nthreads > 64)
		nthreads = 64;

	if (nthreads == 1) {
		inline_scan is = { NULL, cb, payload, 0 };

		if ((error = trw_extractor_new(&is.ex, &opts->extract)) < 0)
			return error;
		error = trw_source_foreach(src, on_file_inline, &is);
		trw_extractor_free(is.ex);
		return error;
	}

	memset(&sc, 0, sizeof(sc));
	sc.nslots = 2 * (size_t)nthreads + 2;
	sc.cb = cb;
	sc.payload = payload;
	sc.opts = opts;
	sc.slots = calloc(sc.nslots, sizeof(*sc.slots));
	threads = calloc(nthreads, sizeof(*threads));
	if (!sc.slots || !threads) {
		free(sc.slots);
		free(threads);
		return trw_error_oom();
	}
	pthread_mutex_init(&sc.lock, NULL);
	pthread_cond_init(&sc.changed, NULL);
	for (; started < nthreads; started++)
		if (pthread_create(&threads[started], NULL, worker, &sc) != 0)
			break;
	if (started == 0) {
		error = trw_error_set(TRW_ERROR, "cannot start extraction threads");
		goto done;
	}

	walk = trw_source_foreach(src, on_file, &sc);
	pthread_mutex_lock(&sc.lock);
	if (walk >= 0 && !sc.cb_rc && !sc.fatal)
		error = drain(&sc, 0, 1);
	sc.stop = 1;
	pthread_cond_broadcast(&sc.changed);
	pthread_mutex_unlock(&sc.lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(threads[i], NULL);

	if (sc.fatal)
		error = sc.fatal;
	else if (walk < 0)
		error = walk;
	else if (error == 0 && sc.cb_rc)
		error = sc.cb_rc;

done:
	for (size_t i = 0; i < sc.nslots; i++) {
		slot_reset(&sc.slots[i]);
		free(sc.slots[i].cands);
	}
	free(sc.slots);
	free(threads);
	pthread_cond_destroy(&sc.changed);
	pthread_mutex_destroy(&sc.lock);
	return error;
}
