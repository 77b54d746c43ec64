/*
 * engine.h - the query engine between probes and model backends.
 *
 * Deduplicates identical queries, answers from a persistent SQLite cache
 * keyed by a hash of (model identity, template, decoding parameters,
 * stop rule, prefix window, suffix window), keeps many requests in flight
 * over one libcurl multi handle (bounded by the server's slots when it
 * reports them), retries 429/5xx/timeouts/resets with exponential backoff
 * and jitter, and never turns a failed query into an answer: a query that
 * still fails after its retries is reported as failed.
 *
 * Backends, named by a spec:
 *   llamacpp:http://127.0.0.1:8080                 POST /infill
 *   openai:http://host:8000/v1?model=NAME&template=starcoder2
 *                                                  POST /v1/completions
 *   ollama:http://127.0.0.1:11434?model=NAME       POST /api/generate
 *   ref:PATH                                       the embedded reference model
 * or by a name: a `[model "NAME"]` section of the configuration
 * (common/config.h) with the keys
 *   backend      llamacpp | openai | ollama | ref
 *   endpoint     a base URL; several lines = one model on several servers
 *   model        the server-side model name (openai, ollama)
 *   template     the FIM template (openai)
 *   path         the index file (ref)
 *   concurrency, timeout-ms, retries
 *                used where the options leave their defaults (so a
 *                command-line flag, which sets the option, wins)
 * With several endpoints, each query goes to the endpoint with the fewest
 * requests in flight relative to its slots; an endpoint that refuses
 * connections or fails twice in a row is avoided for a doubling pause
 * while the others serve, and a failed query is retried on another one.
 * Every endpoint must report the same model; one that cannot be reached
 * when the engine opens is left out (if at least one opens).
 */
#ifndef TRW_ENGINE_H
#define TRW_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "model/fim.h"

typedef struct trw_engine trw_engine;

typedef struct trw_engine_options {
	unsigned int version;
	const char *cache_path;		/* NULL = $XDG_CACHE_HOME/trawic/queries.sqlite; "" = no cache */
	unsigned concurrency;		/* requests in flight; 0 = the server's slots
					 * plus one queued per four slots, else 4 */
	unsigned retries;		/* per query, default 4 */
	unsigned timeout_ms;		/* per request, default 60000 */
	unsigned backoff_ms;		/* first retry delay, doubled each time, jittered; default 200 */
	unsigned health_wait_ms;	/* how long to wait for a loading server; default 120000 */
	/* Where model names are looked up: `config` (borrowed) if set, else
	 * the default configuration (system, user) plus `config_file` at
	 * the highest level when it is set.  Unused for a spec. */
	const trw_config *config;
	const char *config_file;
	/*
	 * Share each server's capacity with the other engines of this
	 * process that set it too: together they keep at most the first
	 * one's concurrency in flight per server URL (trawicd, whose
	 * concurrent jobs each open an engine on the same model).
	 */
	int share_endpoints;
} trw_engine_options;

#define TRW_ENGINE_OPTIONS_VERSION 3
#define TRW_ENGINE_OPTIONS_INIT { TRW_ENGINE_OPTIONS_VERSION, NULL, 0, 4, 60000, 200, 120000, \
	NULL, NULL, 0 }

/*
 * Open the model named by `spec` (a spec, or a name in the
 * configuration): connect, wait while the server is loading (503), read
 * its identity, context and slots.  Errors: TRW_EINVALID (bad spec, no
 * such name: "no model 'x' in the configuration (and not a spec)", a
 * configuration file that does not parse, endpoints serving different
 * models), TRW_EMODEL (server unreachable, refuses FIM: the message
 * names the server and quotes its words).
 */
int trw_engine_new(trw_engine **out, const char *spec, const trw_engine_options *opts);
void trw_engine_free(trw_engine *e);

/* "llamacpp:<model>@<url>", "ref:<hash>:order6", ...; with several
 * endpoints "llamacpp:<model>@<url1>,<url2>"; borrowed. */
const char *trw_engine_identity(const trw_engine *e);

/* The per-slot context in tokens the server reported, 0 if unknown. */
unsigned trw_engine_context(const trw_engine *e);

/* Tokens in `text`: the server's tokenizer where it has one, else a
 * conservative estimate (never below the true count for code). */
int trw_engine_count_tokens(trw_engine *e, const char *text, size_t len, size_t *out);

/*
 * Queue a query under the caller's `id`; the query's bytes are copied.
 * Nothing is sent until trw_engine_run.  It may also be called from the
 * callback during a run: the query is answered in the same run.  The
 * cache is looked up here, so a cache hit keeps only its answer.
 * TRW_EINVALID for a query without a token budget (decoding.max_tokens
 * 0), with a NULL prefix or suffix of non-zero length, or an unknown
 * stop mode.
 */
int trw_engine_submit(trw_engine *e, uint64_t id, const trw_fim_query *q);

/*
 * Called once per submitted query, on the thread that called
 * trw_engine_run, in completion order.  `error` is 0 and `c` the
 * completion, or a negative TRW_E* code with `message` (c is NULL): a
 * failed query, never a miss.  `c` is borrowed for the call.
 */
typedef void (*trw_engine_cb)(void *payload, uint64_t id, int error,
    const char *message, const trw_completion *c);

/*
 * Run until every queued query is answered or has failed.  Returns 0
 * once each query has had its callback, failures included (they are
 * counted in stats.failed).  TRW_EMODEL when the model cannot serve at
 * all: a configuration error (llama.cpp's 501, no FIM tokens) or a
 * server gone for longer than health_wait_ms; every query not answered
 * has then had its callback with that error, and the caller should stop.
 * Another negative code when the engine itself failed (libcurl), after
 * the same callbacks.  trw_engine_run from the callback is TRW_EINVALID.
 */
int trw_engine_run(trw_engine *e, trw_engine_cb cb, void *payload);

/*
 * Outside a run: start the queued queries that may start, and hand the
 * answers that have arrived to `cb`, without waiting.  A probe calls it
 * while it prepares more queries (e.g. between tokenizer requests), so
 * the server's slots are busy while the client works; trw_engine_run
 * then finishes what is left, and reports any failure.  In-process
 * backends do nothing here.  Always returns 0.
 */
int trw_engine_pump(trw_engine *e, trw_engine_cb cb, void *payload);

typedef struct trw_engine_stats {
	uint64_t submitted;	/* queries handed in */
	uint64_t deduplicated;	/* answered by an identical query of the same run */
	uint64_t cache_hits;	/* answered from the persistent cache */
	uint64_t model_calls;	/* requests that reached the model (retries included) */
	uint64_t retries;
	uint64_t failed;	/* queries that failed after their retries */
} trw_engine_stats;

void trw_engine_get_stats(const trw_engine *e, trw_engine_stats *out);

#endif
