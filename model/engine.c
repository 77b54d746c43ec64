/*
 * engine.c - the query engine: dedup, cache, bounded concurrency,
 * retries, and the rule that a failed query is never a miss.
 *
 * A submitted query becomes a "job" keyed by its cache key; a second
 * submission with the same key within a run attaches to the first job
 * (dedup) and gets its answer.  A job answered by the cache at submit
 * time keeps only its completion, not its prefix and suffix.  The others
 * wait in a FIFO; trw_engine_run keeps up to `concurrency` of them in
 * flight over one libcurl multi handle (or, for the in-process reference
 * model, answers them one after the other on the caller's thread).
 *
 * What is retried: transport failures that can pass (refused, reset,
 * timed out, cut short), HTTP 429 and 5xx except 501, and a 200 whose
 * body is not the expected JSON.  Delays double from backoff_ms, with a
 * jitter drawn from a PRNG seeded by the query's key and the attempt
 * number (reproducible, yet spread across queries), and never undercut a
 * Retry-After.  A refused connection is not the query's fault but the
 * server's absence (a restart): it costs the query no attempt; instead
 * the engine holds every send, probes with one request at a time after
 * doubling pauses, and resumes when anything answers, or fails what is
 * left once the server has been gone for health_wait_ms.  HTTP 501 (llama.cpp's "not_supported_error": the model
 * has no FIM tokens) is a configuration error: it fails its query and
 * every query not yet sent, without retrying.  Other 4xx fail their
 * query only.  A query that fails is reported to the callback with its
 * reason and never stored in the cache.
 *
 * A model named in the configuration may have several endpoints (one
 * backend each, all over the same multi handle): a query goes to the
 * endpoint with the fewest requests in flight relative to its slots.  An
 * endpoint that refuses connections, or fails twice in a row, is avoided
 * for a pause that doubles while it keeps failing; its query is retried
 * on another endpoint.  Only when every endpoint refuses does the
 * outage rule above apply.
 *
 * The engine is single-threaded: one engine per thread.  It does not
 * build queries (classifier/probe does) and does not know any server's
 * field names (the backends do).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/error.h"
#include "common/util.h"
#include "model/backend.h"
#include "model/cache.h"
#include "model/engine.h"
#include "model/http.h"

#define NONE UINT32_MAX
#define MAX_BACKOFF_MS 30000u
#define MAX_PROBE_MS 2000u
#define MAX_RETRY_AFTER_MS 60000u
#define MAX_CONCURRENCY 1024u
#define MAX_ENDPOINTS 64u
#define MAX_AVOID_MS 5000u

enum { JOB_QUEUED, JOB_WAITING, JOB_INFLIGHT, JOB_DONE };

typedef struct job {
	char key[TRW_CACHE_KEY_SIZE];
	trw_fim_query q;	/* prefix and suffix point into `bytes` */
	char *bytes;		/* owned; freed once the job is done */
	int state;
	unsigned attempts;	/* requests sent so far */
	uint64_t due_ns;	/* JOB_WAITING: when to send again */
	int error;		/* JOB_DONE: 0 or a TRW_E* code */
	char *message;		/* JOB_DONE with an error */
	trw_completion comp;	/* JOB_DONE without an error */
	uint32_t subs_head, subs_tail;	/* submissions waiting for this job */
	uint32_t ep;		/* JOB_INFLIGHT: the endpoint it was sent to */
	uint32_t bad_ep;	/* where its last attempt failed, NONE = nowhere */
} job;

/* One server of the model. */
/*
 * Requests in flight per server URL, shared by the engines of one process
 * that ask for it (trw_engine_options.share_endpoints: the daemon, whose
 * jobs each have an engine): together they keep at most `cap` requests
 * in flight on one server, the cap of the first engine that opened it.
 */
typedef struct shared_ep {
	char *url;
	unsigned cap, inflight, users;
	struct shared_ep *next;
} shared_ep;

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static shared_ep *shared_eps;

typedef struct endpoint {
	trw_backend *backend;
	unsigned cap;		/* requests in flight at most */
	unsigned inflight;
	shared_ep *shared;	/* NULL unless share_endpoints */
	unsigned reserved;	/* shared capacity taken for a request not yet started */
	unsigned fails;		/* consecutive failures */
	unsigned avoided;	/* consecutive pauses */
	uint64_t avoid_until;	/* no send before this (ns) */
} endpoint;

typedef struct sub {
	uint64_t id;
	uint32_t job;
	uint32_t next;		/* the job's next waiting submission */
} sub;

/* A growable array of indices, used as a FIFO (head..len). */
typedef struct idxq {
	uint32_t *v;
	size_t head, len, alloc;
} idxq;

struct trw_engine {
	trw_backend *backend;	/* eps[0]'s: identity, template, context */
	endpoint *eps;
	size_t neps;
	size_t tok_ep;		/* the endpoint that last counted tokens */
	char *identity;		/* several endpoints: the joint identity */
	trw_http *http;
	trw_cache *cache;
	trw_engine_options opts;
	unsigned concurrency;

	job *jobs;
	size_t njobs, jobs_alloc;
	sub *subs;
	size_t nsubs, subs_alloc;
	uint32_t *table;	/* open addressing, key -> job; NONE = empty */
	size_t table_size;

	idxq ready;		/* jobs to send */
	idxq waiting;		/* jobs waiting for a retry (not ordered) */
	idxq late;		/* submissions whose job was already done */

	int running;
	trw_engine_cb cb;
	void *payload;
	char *fatal;		/* a configuration error: fail what is unsent */
	uint64_t outage_since;	/* first refused connection of an outage, 0 = none */
	uint64_t hold_until;	/* no send before this (ns) */
	unsigned outage_probes;	/* refusals in this outage */
	trw_buf url;		/* scratch for request URLs */

	trw_engine_stats stats;
};

static int idxq_push(idxq *q, uint32_t v)
{
	if (q->head > 0 && q->head == q->len) {
		q->head = q->len = 0;
	} else if (q->len == q->alloc && q->head > q->alloc / 2) {
		memmove(q->v, q->v + q->head, (q->len - q->head) * sizeof(*q->v));
		q->len -= q->head;
		q->head = 0;
	}
	if (q->len == q->alloc) {
		size_t n = q->alloc ? 2 * q->alloc : 64;
		uint32_t *p = realloc(q->v, n * sizeof(*p));

		if (!p)
			return trw_error_oom();
		q->v = p;
		q->alloc = n;
	}
	q->v[q->len++] = v;
	return 0;
}

static size_t idxq_count(const idxq *q)
{
	return q->len - q->head;
}

static uint32_t idxq_pop(idxq *q)
{
	return q->v[q->head++];
}

static void idxq_dispose(idxq *q)
{
	free(q->v);
	memset(q, 0, sizeof(*q));
}

static uint64_t key_hash(const char *key)
{
	uint64_t h = 0;

	/* The key is already a sha256: its first 16 hex digits will do. */
	for (int i = 0; i < 16; i++) {
		char c = key[i];

		h = (h << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return h;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int table_grow(trw_engine *e)
{
	size_t n = e->table_size ? 2 * e->table_size : 1024;
	uint32_t *t = malloc(n * sizeof(*t));

	if (!t)
		return trw_error_oom();
	for (size_t i = 0; i < n; i++)
		t[i] = NONE;
	for (size_t j = 0; j < e->njobs; j++) {
		size_t i = (size_t)key_hash(e->jobs[j].key) & (n - 1);

		while (t[i] != NONE)
			i = (i + 1) & (n - 1);
		t[i] = (uint32_t)j;
	}
	free(e->table);
	e->table = t;
	e->table_size = n;
	return 0;
}

static uint32_t table_find(const trw_engine *e, const char *key)
{
	if (!e->table_size)
		return NONE;
	for (size_t i = (size_t)key_hash(key) & (e->table_size - 1);;
	    i = (i + 1) & (e->table_size - 1)) {
		uint32_t j = e->table[i];

		if (j == NONE || strcmp(e->jobs[j].key, key) == 0)
			return j;
	}
}

static void table_insert(trw_engine *e, uint32_t j)
{
	size_t i = (size_t)key_hash(e->jobs[j].key) & (e->table_size - 1);

	while (e->table[i] != NONE)
		i = (i + 1) & (e->table_size - 1);
	e->table[i] = j;
}

static void job_dispose(job *j)
{
	free(j->bytes);
	free(j->message);
	trw_completion_dispose(&j->comp);
	j->bytes = NULL;
	j->message = NULL;
}

/* Forget the run's jobs and submissions; the arrays are kept. */
/* The endpoint's count of requests in flight, mirrored in the shared
 * count when there is one. */
static void ep_set_inflight(endpoint *ep, unsigned n)
{
	if (ep->shared) {
		unsigned add = n > ep->inflight ? n - ep->inflight : 0;
		unsigned drop = n < ep->inflight ? ep->inflight - n : 0;

		pthread_mutex_lock(&shared_lock);
		/* a request that starts uses the capacity reserved for it */
		while (add && ep->reserved) {
			add--;
			ep->reserved--;
		}
		ep->shared->inflight = ep->shared->inflight + add - drop;
		pthread_mutex_unlock(&shared_lock);
	}
	ep->inflight = n;
}

/* Take one unit of the server's shared capacity for a request about to
 * start (checked and taken under one lock: two engines cannot both take
 * the last unit).  0 when there is none. */
static int ep_reserve(endpoint *ep)
{
	int ok = 1;

	if (!ep->shared)
		return 1;
	pthread_mutex_lock(&shared_lock);
	if ((ok = ep->shared->inflight < ep->shared->cap)) {
		ep->shared->inflight++;
		ep->reserved++;
	}
	pthread_mutex_unlock(&shared_lock);
	return ok;
}

/* Give back a reservation that no request used (the start failed). */
static void ep_unreserve(endpoint *ep)
{
	if (!ep->shared)
		return;
	pthread_mutex_lock(&shared_lock);
	while (ep->reserved) {
		ep->reserved--;
		ep->shared->inflight--;
	}
	pthread_mutex_unlock(&shared_lock);
}

/* Room on the server for one more request, across engines? */
static int ep_shared_room(const endpoint *ep)
{
	int room;

	if (!ep->shared)
		return 1;
	pthread_mutex_lock(&shared_lock);
	room = ep->shared->inflight < ep->shared->cap;
	pthread_mutex_unlock(&shared_lock);
	return room;
}

static shared_ep *shared_acquire(const char *url, unsigned cap)
{
	shared_ep *s;

	pthread_mutex_lock(&shared_lock);
	for (s = shared_eps; s; s = s->next)
		if (strcmp(s->url, url) == 0)
			break;
	if (!s && (s = calloc(1, sizeof(*s))) != NULL) {
		if ((s->url = strdup(url)) == NULL) {
			free(s);
			s = NULL;
		} else {
			s->cap = cap;
			s->next = shared_eps;
			shared_eps = s;
		}
	}
	if (s)
		s->users++;
	pthread_mutex_unlock(&shared_lock);
	return s;
}

static void shared_release(shared_ep *s)
{
	shared_ep **pp;

	if (!s)
		return;
	pthread_mutex_lock(&shared_lock);
	if (--s->users == 0) {
		for (pp = &shared_eps; *pp; pp = &(*pp)->next)
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		free(s->url);
		free(s);
	}
	pthread_mutex_unlock(&shared_lock);
}

static void reset_run(trw_engine *e)
{
	for (size_t i = 0; i < e->njobs; i++)
		job_dispose(&e->jobs[i]);
	e->njobs = 0;
	e->nsubs = 0;
	for (size_t i = 0; i < e->table_size; i++)
		e->table[i] = NONE;
	e->ready.head = e->ready.len = 0;
	e->waiting.head = e->waiting.len = 0;
	e->late.head = e->late.len = 0;
	free(e->fatal);
	e->fatal = NULL;
	e->outage_since = e->hold_until = 0;
	e->outage_probes = 0;
	for (size_t i = 0; i < e->neps; i++)
		ep_set_inflight(&e->eps[i], 0);
}

/* "family:..." with a family we know: a spec; anything else is a name. */
static int is_spec(const char *text)
{
	const char *colon = text ? strchr(text, ':') : NULL;
	char family[32];

	if (!colon || colon == text || (size_t)(colon - text) >= sizeof(family))
		return 0;
	memcpy(family, text, (size_t)(colon - text));
	family[colon - text] = '\0';
	return trw_backend__find(family) != NULL;
}

/* The identity without its "@<url>" tail: what must agree between the
 * endpoints of one model. */
static size_t identity_model_len(const trw_backend *b)
{
	size_t n = strlen(b->identity), u = b->url ? strlen(b->url) : 0;

	if (b->url && n > u + 1 && b->identity[n - u - 1] == '@' &&
	    strcmp(b->identity + n - u, b->url) == 0)
		return n - u - 1;
	return n;
}

/* Open one backend per spec; an endpoint that does not open is left out
 * while another one opens.  Several: the identities must agree. */
static int open_endpoints(trw_engine *e, char **specs, size_t n)
{
	trw_buf first_error = TRW_BUF_INIT(0), id = TRW_BUF_INIT(0);
	int error = 0, first_code = 0;

	if ((e->eps = calloc(n, sizeof(*e->eps))) == NULL)
		return trw_error_oom();
	for (size_t i = 0; i < n; i++) {
		trw_spec s;
		const trw_backend_ops *ops;
		trw_backend *b = NULL;

		if ((error = trw_spec__parse(&s, specs[i])) < 0)
			goto done;
		ops = trw_backend__find(s.family);
		if (n > 1 && !ops->http) {
			trw_spec__dispose(&s);
			error = trw_error_set(TRW_EINVALID, "model spec '%s': an in-process model "
			    "cannot have several endpoints", specs[i]);
			goto done;
		}
		if (ops->http && !e->http && (error = trw_http_new(&e->http)) < 0) {
			trw_spec__dispose(&s);
			goto done;
		}
		if (id.size == 0)
			error = trw_buf_puts(&id, "");
		else
			error = trw_buf_puts(&id, ",");
		if (error == 0)
			error = trw_buf_puts(&id, s.url);
		if (error == 0 && (error = ops->open(&b, &s, e->http, &e->opts)) < 0 && n > 1) {
			/* Left out; remembered in case none opens. */
			if (!first_code) {
				first_code = error;
				(void)trw_buf_puts(&first_error, trw_error_last());
			}
			error = 0;
		}
		trw_spec__dispose(&s);
		if (error < 0)
			goto done;
		if (!b)
			continue;
		if (e->neps > 0) {
			const trw_backend *a = e->eps[0].backend;
			size_t la = identity_model_len(a), lb = identity_model_len(b);

			if (la != lb || memcmp(a->identity, b->identity, la) != 0) {
				error = trw_error_set(TRW_EINVALID, "the endpoints of one model serve "
				    "different models: %s and %s", a->identity, b->identity);
				b->ops->free(b);
				goto done;
			}
		}
		e->eps[e->neps++].backend = b;
	}
	if (e->neps == 0) {
		error = trw_error_set(first_code ? first_code : TRW_EMODEL, "no endpoint of the "
		    "model answers: %s", first_error.ptr ? first_error.ptr : "?");
		goto done;
	}
	e->backend = e->eps[0].backend;
	if (n > 1) {
		trw_buf joint = TRW_BUF_INIT(0);
		const trw_backend *a = e->backend;

		if ((error = trw_buf_put(&joint, a->identity, identity_model_len(a))) == 0 &&
		    (error = trw_buf_printf(&joint, "@%s", id.ptr)) == 0)
			e->identity = joint.ptr;
		else
			trw_buf_dispose(&joint);
	}
done:
	trw_buf_dispose(&first_error);
	trw_buf_dispose(&id);
	return error;
}

/* An option left at its default takes the configuration's value. */
static int config_uint(const trw_config *cfg, const char *name, const char *key,
    unsigned *opt, unsigned dflt, unsigned max)
{
	trw_buf k = TRW_BUF_INIT(0);
	long long v;
	int error;

	if ((error = trw_buf_printf(&k, "model.%s.%s", name, key)) < 0)
		goto done;
	if ((error = trw_config_get_int(cfg, k.ptr, &v)) == TRW_ENOTFOUND) {
		error = 0;
		goto done;
	}
	if (error < 0)
		goto done;
	if (v < 0 || (unsigned long long)v > max) {
		error = trw_error_set(TRW_EINVALID, "configuration: %s = %lld: expected 0 to %u",
		    k.ptr, v, max);
		goto done;
	}
	if (*opt == dflt)
		*opt = (unsigned)v;
done:
	trw_buf_dispose(&k);
	return error;
}

static int config_string(const trw_config *cfg, const char *name, const char *key, char **out)
{
	trw_buf k = TRW_BUF_INIT(0);
	int error;

	*out = NULL;
	if ((error = trw_buf_printf(&k, "model.%s.%s", name, key)) == 0 &&
	    (error = trw_config_get_string(cfg, k.ptr, out)) == TRW_ENOTFOUND)
		error = 0;
	trw_buf_dispose(&k);
	return error;
}

/* The specs of the `[model "NAME"]` section, one per endpoint. */
static int named_specs(trw_engine *e, const trw_config *cfg, const char *name,
    char ***specs, size_t *n)
{
	static const trw_engine_options defaults = TRW_ENGINE_OPTIONS_INIT;
	char *backend = NULL, *model = NULL, *tmpl = NULL, *path = NULL;
	char **eps = NULL, **out = NULL;
	size_t neps = 0;
	trw_buf k = TRW_BUF_INIT(0), spec = TRW_BUF_INIT(0);
	int error;

	*specs = NULL;
	*n = 0;
	if ((error = trw_buf_printf(&k, "model.%s.", name)) < 0)
		goto done;
	if (!trw_config_has_section(cfg, k.ptr)) {
		error = trw_error_set(TRW_EINVALID, "no model '%s' in the configuration (and not "
		    "a spec: llamacpp:URL, openai:URL?model=M&template=T, ollama:URL?model=M, "
		    "ref:PATH)", name);
		goto done;
	}
	if ((error = config_string(cfg, name, "backend", &backend)) < 0 ||
	    (error = config_string(cfg, name, "model", &model)) < 0 ||
	    (error = config_string(cfg, name, "template", &tmpl)) < 0 ||
	    (error = config_string(cfg, name, "path", &path)) < 0)
		goto done;
	if (!backend || !trw_backend__find(backend)) {
		error = trw_error_set(TRW_EINVALID, "configuration: model \"%s\": backend is %s%s%s; "
		    "expected llamacpp, openai, ollama or ref", name, backend ? "'" : "missing",
		    backend ? backend : "", backend ? "'" : "");
		goto done;
	}
	if ((error = config_uint(cfg, name, "concurrency", &e->opts.concurrency,
	    defaults.concurrency, MAX_CONCURRENCY)) < 0 ||
	    (error = config_uint(cfg, name, "timeout-ms", &e->opts.timeout_ms,
	    defaults.timeout_ms, 3600000u)) < 0 ||
	    (error = config_uint(cfg, name, "retries", &e->opts.retries,
	    defaults.retries, 100)) < 0)
		goto done;
	if (!trw_backend__find(backend)->http) {
		if (!path) {
			error = trw_error_set(TRW_EINVALID, "configuration: model \"%s\": "
			    "backend %s needs a path", name, backend);
			goto done;
		}
		if ((out = calloc(2, sizeof(*out))) == NULL) {
			error = trw_error_oom();
			goto done;
		}
		if ((error = trw_buf_printf(&spec, "%s:%s", backend, path)) < 0)
			goto done;
		out[0] = spec.ptr;
		spec = (trw_buf)TRW_BUF_INIT(0);
		*n = 1;
		goto done;
	}
	trw_buf_clear(&k);
	if ((error = trw_buf_printf(&k, "model.%s.endpoint", name)) < 0)
		goto done;
	if ((error = trw_config_get_all(cfg, k.ptr, &eps, &neps)) == TRW_ENOTFOUND || neps == 0) {
		error = trw_error_set(TRW_EINVALID, "configuration: model \"%s\": no endpoint", name);
		goto done;
	}
	if (error < 0)
		goto done;
	if (neps > MAX_ENDPOINTS) {
		error = trw_error_set(TRW_ETOOBIG, "configuration: model \"%s\": %zu endpoints, "
		    "at most %u", name, neps, MAX_ENDPOINTS);
		goto done;
	}
	if ((out = calloc(neps + 1, sizeof(*out))) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	for (size_t i = 0; i < neps; i++) {
		char sep = '?';

		trw_buf_clear(&spec);
		if ((error = trw_buf_printf(&spec, "%s:%s", backend, eps[i])) < 0)
			goto done;
		if (model && (error = trw_buf_printf(&spec, "%cmodel=%s", sep, model)) < 0)
			goto done;
		if (model)
			sep = '&';
		if (tmpl && (error = trw_buf_printf(&spec, "%ctemplate=%s", sep, tmpl)) < 0)
			goto done;
		if ((out[i] = trw_strdup(spec.ptr)) == NULL) {
			error = TRW_ENOMEM;
			goto done;
		}
		*n = i + 1;
	}
done:
	if (error < 0) {
		trw_config_strings_free(out);
		*n = 0;
	} else {
		*specs = out;
	}
	trw_config_strings_free(eps);
	free(backend);
	free(model);
	free(tmpl);
	free(path);
	trw_buf_dispose(&k);
	trw_buf_dispose(&spec);
	return error;
}

int trw_engine_new(trw_engine **out, const char *spec, const trw_engine_options *opts)
{
	static const trw_engine_options defaults = TRW_ENGINE_OPTIONS_INIT;
	trw_engine *e = NULL;
	trw_config *own_cfg = NULL;
	char **specs = NULL;
	char *one[2] = { NULL, NULL };
	size_t nspecs = 0;
	trw_buf path = TRW_BUF_INIT(0);
	unsigned total = 0;
	int error;

	*out = NULL;
	if (opts && opts->version != TRW_ENGINE_OPTIONS_VERSION)
		return trw_error_set(TRW_EINVALID, "engine options: version %u, expected %u",
		    opts->version, TRW_ENGINE_OPTIONS_VERSION);
	if (!spec || !*spec)
		return trw_error_set(TRW_EINVALID, "no model given");
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return trw_error_oom();
	e->opts = opts ? *opts : defaults;
	if (is_spec(spec) || strchr(spec, ':')) {
		/* A spec, or something with a colon that is not one: the
		 * spec parser words the error. */
		one[0] = (char *)spec;
		specs = one;
		nspecs = 1;
	} else {
		const trw_config *cfg = e->opts.config;

		if (!cfg) {
			if ((error = trw_config_open_default(&own_cfg, e->opts.config_file)) < 0)
				goto done;
			cfg = own_cfg;
		}
		if ((error = named_specs(e, cfg, spec, &specs, &nspecs)) < 0)
			goto done;
	}
	if (e->opts.timeout_ms == 0)
		e->opts.timeout_ms = defaults.timeout_ms;
	if (e->opts.backoff_ms == 0)
		e->opts.backoff_ms = defaults.backoff_ms;
	if ((error = open_endpoints(e, specs, nspecs)) < 0)
		goto done;
	for (size_t i = 0; i < e->neps; i++) {
		endpoint *ep = &e->eps[i];
		/* Sized to the server's slots, plus one request waiting in
		 * its queue per four slots: a slot that frees up starts on
		 * the next request at once instead of idling for a round
		 * trip (response, client, new request, parse). */
		unsigned slots = ep->backend->slots;
		unsigned cap = e->opts.concurrency ? e->opts.concurrency :
		    slots ? slots + (slots + 3) / 4 : 4;

		ep->cap = cap > MAX_CONCURRENCY ? MAX_CONCURRENCY : cap;
		total += ep->cap;
		if (e->opts.share_endpoints && ep->backend->ops->http &&
		    (ep->shared = shared_acquire(ep->backend->url, ep->cap)) == NULL) {
			error = trw_error_oom();
			goto done;
		}
	}
	e->concurrency = e->opts.concurrency ? e->opts.concurrency : total;
	if (e->concurrency > MAX_CONCURRENCY)
		e->concurrency = MAX_CONCURRENCY;
	if (!e->opts.cache_path) {
		if ((error = trw_cache_default_path(&path)) < 0)
			goto done;
		error = trw_cache_new(&e->cache, path.ptr);
	} else if (e->opts.cache_path[0]) {
		error = trw_cache_new(&e->cache, e->opts.cache_path);
	}
	if (error < 0)
		goto done;
	/* Not owned: do not keep the caller's pointers. */
	e->opts.cache_path = NULL;
	e->opts.config = NULL;
	e->opts.config_file = NULL;
	*out = e;
	e = NULL;
done:
	if (specs != one)
		trw_config_strings_free(specs);
	trw_config_free(own_cfg);
	trw_buf_dispose(&path);
	trw_engine_free(e);
	return error;
}

void trw_engine_free(trw_engine *e)
{
	if (!e)
		return;
	reset_run(e);
	for (size_t i = 0; i < e->neps; i++) {
		shared_release(e->eps[i].shared);
		e->eps[i].backend->ops->free(e->eps[i].backend);
	}
	free(e->eps);
	free(e->identity);
	/* After the backends, which borrow the http layer. */
	trw_http_free(e->http);
	trw_cache_free(e->cache);
	free(e->jobs);
	free(e->subs);
	free(e->table);
	idxq_dispose(&e->ready);
	idxq_dispose(&e->waiting);
	idxq_dispose(&e->late);
	trw_buf_dispose(&e->url);
	free(e);
}

const char *trw_engine_identity(const trw_engine *e)
{
	return e->identity ? e->identity : e->backend->identity;
}

/* The smallest context any endpoint reported: a window must fit all. */
unsigned trw_engine_context(const trw_engine *e)
{
	unsigned n = 0;

	for (size_t i = 0; i < e->neps; i++) {
		unsigned c = e->eps[i].backend->n_ctx;

		if (c && (!n || c < n))
			n = c;
	}
	return n;
}

int trw_engine_count_tokens(trw_engine *e, const char *text, size_t len, size_t *out)
{
	*out = 0;
	if (!text && len)
		return trw_error_set(TRW_EINVALID, "count_tokens: NULL text");
	/* Any endpoint's tokenizer will do (they serve one model): the one
	 * that answered last, else the next that answers. */
	for (size_t k = 0;; k++) {
		size_t i = (e->tok_ep + k) % e->neps;
		trw_backend *b = e->eps[i].backend;
		int error = b->ops->count_tokens(b, text ? text : "", len, out);

		if (error == 0) {
			e->tok_ep = i;
			return 0;
		}
		if (k + 1 >= e->neps)
			return error;
	}
}

void trw_engine_get_stats(const trw_engine *e, trw_engine_stats *out)
{
	*out = e->stats;
}

static int check_query(const trw_fim_query *q)
{
	if (!q)
		return trw_error_set(TRW_EINVALID, "submit: NULL query");
	if ((!q->prefix && q->prefix_len) || (!q->suffix && q->suffix_len))
		return trw_error_set(TRW_EINVALID, "submit: NULL prefix or suffix with a length");
	if (q->decoding.max_tokens == 0)
		return trw_error_set(TRW_EINVALID, "submit: the query has no token budget "
		    "(decoding.max_tokens is 0)");
	if (q->stop.mode != TRW_STOP_IDENT && q->stop.mode != TRW_STOP_NEWLINE &&
	    q->stop.mode != TRW_STOP_DELIM && q->stop.mode != TRW_STOP_NONE)
		return trw_error_set(TRW_EINVALID, "submit: unknown stop mode %d", (int)q->stop.mode);
	if (q->stop.mode == TRW_STOP_DELIM &&
	    memchr(q->stop.delim, '\0', sizeof(q->stop.delim)) == NULL)
		return trw_error_set(TRW_EINVALID, "submit: stop delimiter is not NUL-terminated");
	return 0;
}

static int add_sub(trw_engine *e, uint64_t id, uint32_t j)
{
	uint32_t s;

	if (e->nsubs == e->subs_alloc) {
		size_t n = e->subs_alloc ? 2 * e->subs_alloc : 256;
		sub *p = realloc(e->subs, n * sizeof(*p));

		if (!p)
			return trw_error_oom();
		e->subs = p;
		e->subs_alloc = n;
	}
	if (e->nsubs >= NONE - 1)
		return trw_error_set(TRW_ETOOBIG, "too many queries in one run");
	s = (uint32_t)e->nsubs++;
	e->subs[s].id = id;
	e->subs[s].job = j;
	e->subs[s].next = NONE;
	if (e->jobs[j].state == JOB_DONE)
		return idxq_push(&e->late, s);
	if (e->jobs[j].subs_tail == NONE)
		e->jobs[j].subs_head = s;
	else
		e->subs[e->jobs[j].subs_tail].next = s;
	e->jobs[j].subs_tail = s;
	return 0;
}

int trw_engine_submit(trw_engine *e, uint64_t id, const trw_fim_query *q)
{
	char key[TRW_CACHE_KEY_SIZE];
	uint32_t j;
	job *jb;
	int error;

	if ((error = check_query(q)) < 0)
		return error;
	if ((error = trw_cache_key(key, trw_engine_identity(e),
	    trw_backend__template_name(e->backend), q)) < 0)
		return error;
	if ((j = table_find(e, key)) != NONE) {
		if ((error = add_sub(e, id, j)) < 0)
			return error;
		e->stats.submitted++;
		e->stats.deduplicated++;
		return 0;
	}
	if ((e->njobs + 1) * 2 > e->table_size && (error = table_grow(e)) < 0)
		return error;
	if (e->njobs == e->jobs_alloc) {
		size_t n = e->jobs_alloc ? 2 * e->jobs_alloc : 256;
		job *p = realloc(e->jobs, n * sizeof(*p));

		if (!p)
			return trw_error_oom();
		e->jobs = p;
		e->jobs_alloc = n;
	}
	if (e->njobs >= NONE - 1)
		return trw_error_set(TRW_ETOOBIG, "too many queries in one run");
	j = (uint32_t)e->njobs;
	jb = &e->jobs[j];
	memset(jb, 0, sizeof(*jb));
	memcpy(jb->key, key, sizeof(key));
	jb->subs_head = jb->subs_tail = NONE;
	jb->ep = jb->bad_ep = NONE;
	jb->q = *q;
	if (e->cache) {
		uint64_t t0 = trw_now_ns();

		/* A lookup that fails (not a miss) is treated as a miss: the
		 * model is asked, which is always correct. */
		if (trw_cache_get(e->cache, key, &jb->comp) == 0) {
			jb->comp.latency_ms = (double)(trw_now_ns() - t0) / 1e6;
			jb->state = JOB_DONE;
		}
	}
	if (jb->state != JOB_DONE) {
		size_t n = q->prefix_len + q->suffix_len;

		if ((jb->bytes = malloc(n ? n : 1)) == NULL)
			return trw_error_oom();
		if (q->prefix_len)
			memcpy(jb->bytes, q->prefix, q->prefix_len);
		if (q->suffix_len)
			memcpy(jb->bytes + q->prefix_len, q->suffix, q->suffix_len);
		jb->q.prefix = jb->bytes;
		jb->q.suffix = jb->bytes + q->prefix_len;
		jb->state = JOB_QUEUED;
	} else {
		jb->q.prefix = jb->q.suffix = NULL;
	}
	e->njobs++;
	table_insert(e, j);
	if (jb->state == JOB_QUEUED && (error = idxq_push(&e->ready, j)) < 0)
		goto undo;
	if ((error = add_sub(e, id, j)) < 0)
		goto undo;
	e->stats.submitted++;
	if (e->jobs[j].state == JOB_DONE)
		e->stats.cache_hits++;
	return 0;
undo:
	/* Out of memory half-way: the job stays known but unanswerable;
	 * fail it so that nothing waits for it forever. */
	e->jobs[j].state = JOB_DONE;
	e->jobs[j].error = error;
	free(e->jobs[j].bytes);
	e->jobs[j].bytes = NULL;
	return error;
}

/* Call back one submission; the job may move (the callback may submit). */
static void deliver_sub(trw_engine *e, uint32_t s)
{
	uint64_t id = e->subs[s].id;
	job *jb = &e->jobs[e->subs[s].job];
	trw_completion c = jb->comp;
	int error = jb->error;
	const char *message = jb->message ? jb->message : "query failed";

	if (error < 0) {
		e->stats.failed++;
		e->cb(e->payload, id, error, message, NULL);
	} else {
		e->cb(e->payload, id, 0, NULL, &c);
	}
}

static void deliver_job(trw_engine *e, uint32_t j)
{
	uint32_t s = e->jobs[j].subs_head;

	e->jobs[j].subs_head = e->jobs[j].subs_tail = NONE;
	while (s != NONE) {
		uint32_t next = e->subs[s].next;

		deliver_sub(e, s);
		s = next;
	}
}

static void drain_late(trw_engine *e)
{
	while (idxq_count(&e->late))
		deliver_sub(e, idxq_pop(&e->late));
}

static void job_done(trw_engine *e, uint32_t j)
{
	job *jb = &e->jobs[j];

	jb->state = JOB_DONE;
	free(jb->bytes);
	jb->bytes = NULL;
	jb->q.prefix = jb->q.suffix = NULL;
	deliver_job(e, j);
}

static void job_succeed(trw_engine *e, uint32_t j, trw_completion *c)
{
	job *jb = &e->jobs[j];

	c->cached = 0;
	jb->comp = *c;
	memset(c, 0, sizeof(*c));
	/* A cache that cannot be written costs a model call next time,
	 * nothing more: the answer in hand is right. */
	if (e->cache)
		(void)trw_cache_put(e->cache, jb->key, trw_engine_identity(e), &jb->comp);
	jb->error = 0;
	job_done(e, j);
}

static void job_fail(trw_engine *e, uint32_t j, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void job_fail(trw_engine *e, uint32_t j, int code, const char *fmt, ...)
{
	job *jb = &e->jobs[j];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n >= 0 && (jb->message = malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(jb->message, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	jb->error = code < 0 ? code : TRW_EMODEL;
	trw_completion_dispose(&jb->comp);
	job_done(e, j);
}

static unsigned retry_delay_ms(const trw_engine *e, const job *jb, long retry_after_s)
{
	uint64_t d = e->opts.backoff_ms;
	uint64_t r;
	double u;

	for (unsigned i = 1; i < jb->attempts && d < MAX_BACKOFF_MS; i++)
		d *= 2;
	if (d > MAX_BACKOFF_MS)
		d = MAX_BACKOFF_MS;
	/* Jitter in [d/2, d): spreads the retries of queries that failed
	 * together, reproducibly. */
	r = splitmix64(key_hash(jb->key) ^ ((uint64_t)jb->attempts << 56));
	u = (double)(r >> 11) / 9007199254740992.0;
	d = (uint64_t)((double)d * (0.5 + 0.5 * u));
	if (retry_after_s > 0) {
		uint64_t ra = (uint64_t)retry_after_s * 1000u;

		if (ra > MAX_RETRY_AFTER_MS)
			ra = MAX_RETRY_AFTER_MS;
		if (ra > d)
			d = ra;
	}
	return (unsigned)(d ? d : 1);
}

/* Retry if allowed, else fail with the last reason. */
static void job_retry_or_fail(trw_engine *e, uint32_t j, const char *why, long retry_after_s)
{
	job *jb = &e->jobs[j];

	if (jb->attempts <= e->opts.retries) {
		jb->state = JOB_WAITING;
		jb->due_ns = trw_now_ns() +
		    (uint64_t)retry_delay_ms(e, jb, retry_after_s) * 1000000u;
		if (idxq_push(&e->waiting, j) == 0) {
			e->stats.retries++;
			return;
		}
		why = trw_error_last();
	}
	job_fail(e, j, TRW_EMODEL, "query failed after %u attempt%s: %s", jb->attempts,
	    jb->attempts == 1 ? "" : "s", why);
}

static void start_job(trw_engine *e, uint32_t j, uint32_t ep)
{
	trw_backend *b = e->eps[ep].backend;
	const char *path = NULL;
	char *body = NULL;
	size_t len = 0;
	int error;

	if ((error = b->ops->request(b, &e->jobs[j].q, &path, &body, &len)) < 0) {
		job_fail(e, j, error, "query not sent: %s", trw_error_last());
		return;
	}
	trw_buf_clear(&e->url);
	if ((error = trw_buf_printf(&e->url, "%s%s", b->url, path)) < 0) {
		free(body);
		job_fail(e, j, error, "query not sent: %s", trw_error_last());
		return;
	}
	/* The layer owns `body` from here, failure or not. */
	if ((error = trw_http_start(e->http, e->url.ptr, body, len, e->opts.timeout_ms, j)) < 0) {
		job_fail(e, j, error, "query not sent: %s", trw_error_last());
		return;
	}
	e->jobs[j].state = JOB_INFLIGHT;
	e->jobs[j].ep = ep;
	ep_set_inflight(&e->eps[ep], e->eps[ep].inflight + 1);
	e->jobs[j].attempts++;
	e->stats.model_calls++;
}

/* Pause endpoint `ep` for a time that doubles while it keeps failing. */
static void avoid_endpoint(trw_engine *e, uint32_t ep)
{
	endpoint *p = &e->eps[ep];
	uint64_t d = e->opts.backoff_ms;

	for (unsigned i = 0; i < p->avoided && d < MAX_AVOID_MS; i++)
		d *= 2;
	if (d > MAX_AVOID_MS)
		d = MAX_AVOID_MS;
	p->avoided++;
	p->avoid_until = trw_now_ns() + d * 1000000u;
}

/* Whether an endpoint other than `ep` may be sent to now. */
static int other_endpoint_up(const trw_engine *e, uint32_t ep)
{
	uint64_t now = trw_now_ns();

	for (size_t i = 0; i < e->neps; i++)
		if (i != ep && e->eps[i].avoid_until <= now)
			return 1;
	return 0;
}

/*
 * The endpoint for job `j`: the fewest requests in flight relative to its
 * slots, not paused, and not where the job last failed unless nothing
 * else has room.  NONE when none has room; `*wake_ms` then bounds the
 * wait until a paused one comes back.
 */
static uint32_t pick_endpoint(const trw_engine *e, uint32_t j, uint64_t *wake_ms)
{
	uint64_t now = trw_now_ns();
	uint32_t best = NONE;
	double best_score = 0;

	for (size_t i = 0; i < e->neps; i++) {
		const endpoint *p = &e->eps[i];
		double score;

		if (p->inflight >= p->cap)
			continue;
		if (!ep_shared_room(p)) {
			/* another engine holds the server's capacity: look
			 * again soon (its answers do not wake this engine) */
			if (*wake_ms > 5)
				*wake_ms = 5;
			continue;
		}
		if (p->avoid_until > now) {
			uint64_t left = (p->avoid_until - now) / 1000000u + 1;

			if (left < *wake_ms)
				*wake_ms = left;
			continue;
		}
		score = (double)p->inflight / (double)p->cap;
		if (i == e->jobs[j].bad_ep)
			score += 2.0;
		if (best == NONE || score < best_score) {
			best = (uint32_t)i;
			best_score = score;
		}
	}
	return best;
}

/*
 * Nothing listens: the query goes back in line without losing an attempt
 * (the request never reached a server), and every send waits for a pause
 * that doubles at each refusal, so a restarting server sees one probe at
 * a time instead of the whole queue.  Past health_wait_ms of absence,
 * what is unsent fails with the last reason.
 */
static void server_gone(trw_engine *e, uint32_t j, const trw_http_result *res)
{
	uint64_t now = trw_now_ns(), d = e->opts.backoff_ms;
	uint32_t ep = e->jobs[j].ep;
	char msg[768];

	e->jobs[j].attempts--;
	e->stats.model_calls--;
	e->stats.retries++;
	e->jobs[j].state = JOB_QUEUED;
	if (idxq_push(&e->ready, j) < 0) {
		job_fail(e, j, TRW_ENOMEM, "out of memory");
		return;
	}
	if (e->neps > 1) {
		/* One server gone among several: the others carry on. */
		e->jobs[j].bad_ep = ep;
		avoid_endpoint(e, ep);
		if (other_endpoint_up(e, ep))
			return;
	}
	if (!e->outage_since)
		e->outage_since = now;
	for (unsigned i = 0; i < e->outage_probes && d < MAX_PROBE_MS; i++)
		d *= 2;
	if (d > MAX_PROBE_MS)
		d = MAX_PROBE_MS;
	e->outage_probes++;
	if (now + d * 1000000u > e->hold_until)
		e->hold_until = now + d * 1000000u;
	if (now - e->outage_since >= (uint64_t)e->opts.health_wait_ms * 1000000u && !e->fatal) {
		trw_buf f = TRW_BUF_INIT(0);

		trw_backend__describe(e->eps[ep].backend, res, msg, sizeof(msg));
		if (trw_buf_printf(&f, "%s (gone for %u ms)", msg,
		    (unsigned)((now - e->outage_since) / 1000000u)) == 0)
			e->fatal = f.ptr;
		else
			trw_buf_dispose(&f);
	}
}

/* A failure that may pass, at endpoint `ep`: with several endpoints,
 * the job goes elsewhere next time, and an endpoint failing twice in a
 * row is paused. */
static void endpoint_failed(trw_engine *e, uint32_t j, uint32_t ep)
{
	if (e->neps < 2)
		return;
	e->jobs[j].bad_ep = ep;
	if (++e->eps[ep].fails >= 2)
		avoid_endpoint(e, ep);
}

static void finish_job(trw_engine *e, uint32_t j, trw_http_result *res)
{
	uint32_t ep = e->jobs[j].ep;
	trw_backend *b = e->eps[ep].backend;
	trw_completion c;
	char msg[768];

	ep_set_inflight(&e->eps[ep], e->eps[ep].inflight - 1);
	if (res->transport != 0 && trw_http_refused(res->transport)) {
		server_gone(e, j, res);
		return;
	}
	/* Anything else came from (or reached) a listening server. */
	e->outage_since = 0;
	e->outage_probes = 0;
	if (res->transport != 0 || (res->status != 200 && (res->status == 429 ||
	    (res->status >= 500 && res->status != 501))))
		endpoint_failed(e, j, ep);
	if (res->transport != 0) {
		trw_backend__describe(b, res, msg, sizeof(msg));
		if (trw_http_transient(res->transport))
			job_retry_or_fail(e, j, msg, 0);
		else
			job_fail(e, j, TRW_EMODEL, "%s", msg);
		return;
	}
	if (res->status == 200) {
		memset(&c, 0, sizeof(c));
		if (b->ops->parse(b, res->body.ptr ? res->body.ptr : "", res->body.size, &c) == 0) {
			c.latency_ms = res->ms;
			e->eps[ep].fails = 0;
			e->eps[ep].avoided = 0;
			job_succeed(e, j, &c);
		} else {
			endpoint_failed(e, j, ep);
			trw_completion_dispose(&c);
			snprintf(msg, sizeof(msg), "%s", trw_error_last());
			job_retry_or_fail(e, j, msg, 0);
		}
		return;
	}
	trw_backend__describe(b, res, msg, sizeof(msg));
	if (res->status == 501) {
		trw_buf f = TRW_BUF_INIT(0);

		if (trw_buf_printf(&f, "%s; a configuration error: the served model cannot fill "
		    "in the middle (no FIM tokens), not retried", msg) == 0 && !e->fatal)
			e->fatal = f.ptr;
		else
			trw_buf_dispose(&f);
		job_fail(e, j, TRW_EMODEL, "%s", e->fatal ? e->fatal : msg);
		return;
	}
	if (res->status == 429 || res->status >= 500)
		job_retry_or_fail(e, j, msg, res->retry_after_s);
	else
		job_fail(e, j, TRW_EMODEL, "%s", msg);
}

/* After a configuration error, nothing unsent is sent. */
static void fail_unsent(trw_engine *e)
{
	while (idxq_count(&e->ready)) {
		uint32_t j = idxq_pop(&e->ready);

		job_fail(e, j, TRW_EMODEL, "%s", e->fatal);
	}
	while (idxq_count(&e->waiting)) {
		uint32_t j = idxq_pop(&e->waiting);

		job_fail(e, j, TRW_EMODEL, "%s", e->fatal);
	}
}

/* Move the retries that are due to the ready queue; the time to the next
 * one in ms (UINT64_MAX when none waits). */
static uint64_t promote_due(trw_engine *e)
{
	uint64_t now = trw_now_ns(), next = UINT64_MAX;
	size_t keep = e->waiting.head;

	for (size_t i = e->waiting.head; i < e->waiting.len; i++) {
		uint32_t j = e->waiting.v[i];

		if (e->jobs[j].due_ns <= now) {
			e->jobs[j].state = JOB_QUEUED;
			/* Cannot fail for lack of room: the queue only grows
			 * when needed, and an OOM fails the job. */
			if (idxq_push(&e->ready, j) < 0)
				job_fail(e, j, TRW_ENOMEM, "out of memory");
		} else {
			uint64_t left = (e->jobs[j].due_ns - now) / 1000000u + 1;

			if (left < next)
				next = left;
			e->waiting.v[keep++] = j;
		}
	}
	e->waiting.len = keep;
	return next;
}

/*
 * One turn of the HTTP loop: start what may start, wait for the network
 * up to `max_wait_ms` (0 = do not wait), hand finished requests to the
 * callback.  *idle is set when nothing is queued, waiting or in flight.
 */
static int http_step(trw_engine *e, unsigned max_wait_ms, int *idle)
{
	uint64_t next_due, tag, now, wake = UINT64_MAX;
	trw_http_result res;
	unsigned wait, limit;
	int blocked = 0, error;

	*idle = 0;
	drain_late(e);
	next_due = promote_due(e);
	if (e->fatal)
		fail_unsent(e);
	/* During an outage, one probe at a time, after the pause. */
	now = trw_now_ns();
	limit = e->outage_since ? 1 : e->concurrency;
	if (now < e->hold_until) {
		uint64_t left = (e->hold_until - now) / 1000000u + 1;

		limit = 0;
		if (left < next_due)
			next_due = left;
	}
	while (idxq_count(&e->ready) && trw_http_inflight(e->http) < limit) {
		uint32_t j = e->ready.v[e->ready.head], ep = NONE;

		if (e->jobs[j].state == JOB_QUEUED &&
		    (ep = pick_endpoint(e, j, &wake)) == NONE) {
			/* Every endpoint is full or paused. */
			blocked = 1;
			break;
		}
		if (e->jobs[j].state == JOB_QUEUED && !ep_reserve(&e->eps[ep])) {
			/* another engine took the server's last unit first */
			if (wake > 5)
				wake = 5;
			blocked = 1;
			break;
		}
		(void)idxq_pop(&e->ready);
		if (e->jobs[j].state == JOB_QUEUED) {
			start_job(e, j, ep);
			ep_unreserve(&e->eps[ep]);	/* left over when the start failed */
		}
		drain_late(e);
	}
	if (wake < next_due)
		next_due = wake;
	if (!trw_http_inflight(e->http) && !idxq_count(&e->ready) &&
	    !idxq_count(&e->waiting) && !idxq_count(&e->late)) {
		*idle = 1;
		return 0;
	}
	if (idxq_count(&e->late) || (idxq_count(&e->ready) && !blocked &&
	    trw_http_inflight(e->http) < limit))
		wait = 0;
	else
		wait = next_due < 1000 ? (unsigned)next_due : 1000;
	if (wait > max_wait_ms)
		wait = max_wait_ms;
	if ((error = trw_http_poll(e->http, wait)) < 0)
		return error;
	while (trw_http_next(e->http, &tag, &res) == 1) {
		finish_job(e, (uint32_t)tag, &res);
		trw_http_result_dispose(&res);
	}
	return 0;
}

static int run_http(trw_engine *e)
{
	int error, idle = 0;

	while ((error = http_step(e, 1000, &idle)) == 0 && !idle)
		;
	return error;
}

int trw_engine_pump(trw_engine *e, trw_engine_cb cb, void *payload)
{
	int error, idle;

	/* in-process backends answer only in a run: nothing to overlap */
	if (!cb || e->running || !e->backend->ops->http || e->fatal)
		return 0;
	e->running = 1;
	e->cb = cb;
	e->payload = payload;
	error = http_step(e, 0, &idle);
	e->running = 0;
	/* A broken engine is reported by the run that follows. */
	if (error < 0)
		trw_error_clear();
	return 0;
}

static void run_inprocess(trw_engine *e)
{
	trw_backend *b = e->backend;

	for (;;) {
		uint32_t j;
		trw_completion c;
		uint64_t t0;
		int error;

		drain_late(e);
		if (!idxq_count(&e->ready))
			break;
		j = idxq_pop(&e->ready);
		if (e->jobs[j].state != JOB_QUEUED)
			continue;
		e->jobs[j].attempts++;
		e->stats.model_calls++;
		memset(&c, 0, sizeof(c));
		t0 = trw_now_ns();
		if ((error = b->ops->infill(b, &e->jobs[j].q, &c)) < 0) {
			trw_completion_dispose(&c);
			job_fail(e, j, error, "%s: %s", b->identity, trw_error_last());
			continue;
		}
		c.latency_ms = (double)(trw_now_ns() - t0) / 1e6;
		job_succeed(e, j, &c);
	}
}

int trw_engine_run(trw_engine *e, trw_engine_cb cb, void *payload)
{
	int error = 0;

	if (!cb)
		return trw_error_set(TRW_EINVALID, "engine run: no callback");
	if (e->running)
		return trw_error_set(TRW_EINVALID, "engine run: already running");
	e->running = 1;
	e->cb = cb;
	e->payload = payload;
	if (e->backend->ops->http)
		error = run_http(e);
	else
		run_inprocess(e);
	if (e->cache)
		(void)trw_cache_flush(e->cache);
	e->running = 0;
	if (error < 0) {
		/* The engine itself broke (libcurl): fail what is left, loudly. */
		char why[1024];

		snprintf(why, sizeof(why), "%s", trw_error_last());
		trw_http_abort(e->http);
		for (size_t j = 0; j < e->njobs; j++)
			if (e->jobs[j].state != JOB_DONE)
				job_fail(e, (uint32_t)j, error, "%s", why);
		drain_late(e);
		reset_run(e);
		return trw_error_set(error, "%s", why);
	}
	if (e->fatal) {
		/* The model cannot serve at all (no FIM, or gone): the caller
		 * must stop, not go on to the next batch. */
		trw_error_set(TRW_EMODEL, "%s", e->fatal);
		reset_run(e);
		return TRW_EMODEL;
	}
	reset_run(e);
	return 0;
}
