/*
 * cache.h - the persistent query cache: one SQLite file in WAL mode with
 * one table of completions, keyed by a hash of everything that decides
 * the answer, so that a re-run of the same audit costs no model calls.
 *
 * A failure is never stored: trw_cache_put takes a completion, and the
 * engine calls it only for answers.  Several processes may open the same
 * file at once (WAL, busy timeout).  One handle per thread.
 */
#ifndef TRW_CACHE_H
#define TRW_CACHE_H

#include <stdint.h>

#include "common/util.h"
#include "model/fim.h"

typedef struct trw_cache trw_cache;

/* A key is 64 lower-case hex digits and a NUL. */
#define TRW_CACHE_KEY_SIZE 65

/*
 * The key of `q` asked of the model `identity` through the template
 * `template_name` ("-" when the server renders the prompt itself):
 * the sha256 of a length-prefixed encoding of (identity, template,
 * temperature, top_p, seed, max_tokens, stop mode, stop delimiter,
 * want_logprobs, prefix, suffix), so no two fields can run together.
 * docs/model.md gives the exact encoding.  The kind is not part of it:
 * it matters only through the stop rule and the budget.
 */
int trw_cache_key(char out[TRW_CACHE_KEY_SIZE], const char *identity,
    const char *template_name, const trw_fim_query *q);

/* The default file: $XDG_CACHE_HOME/trawic/queries.sqlite, else
 * $HOME/.cache/trawic/queries.sqlite; appended to `out`. */
int trw_cache_default_path(trw_buf *out);

/* Open or create the cache at `path`; missing parent directories are
 * created with mode 0700.  TRW_EIO when the file cannot be opened or is
 * not a trawic cache. */
int trw_cache_new(trw_cache **out, const char *path);

/* Writes what is pending, then closes.  NULL is a no-op. */
void trw_cache_free(trw_cache *c);

/* 0 and `out` filled (owned by the caller; `cached` set) on a hit,
 * TRW_ENOTFOUND on a miss, another code on failure. */
int trw_cache_get(trw_cache *c, const char *key, trw_completion *out);

/* Store an answer of the model `model` (its identity, kept for
 * inspection).  Writes are batched in a transaction committed at least
 * every 256 puts or 200 ms and by trw_cache_flush. */
int trw_cache_put(trw_cache *c, const char *key, const char *model,
    const trw_completion *comp);

/* Commit pending writes. */
int trw_cache_flush(trw_cache *c);

/* Number of stored completions (for tests and `trawic model` output). */
int trw_cache_count(trw_cache *c, uint64_t *out);

#endif
