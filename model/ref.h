/*
 * ref.h - the embedded reference model: an n-gram fill-in-the-middle
 * model built by trawic from a corpus, so that everything runs offline
 * against a model whose training set is known.
 *
 * It stands for "a model that has seen exactly these repositories": the
 * order N sets how strongly it memorizes.  Deterministic: the same file
 * and query give the same completion and log-probabilities.
 */
#ifndef TRW_REF_H
#define TRW_REF_H

#include <stddef.h>
#include <stdint.h>

#include "extractor/source.h"
#include "model/fim.h"

typedef struct trw_refmodel trw_refmodel;

typedef struct trw_refmodel_build_options {
	unsigned int version;
	unsigned order;			/* default 6 */
	const char *rev;		/* revision of every spec, NULL = HEAD */
	trw_source_options source;	/* the same files an audit would see */
} trw_refmodel_build_options;

#define TRW_REFMODEL_BUILD_OPTIONS_VERSION 1
#define TRW_REFMODEL_BUILD_OPTIONS_INIT \
	{ TRW_REFMODEL_BUILD_OPTIONS_VERSION, 6, NULL, TRW_SOURCE_OPTIONS_INIT }

typedef struct trw_refmodel_stats {
	uint64_t files, bytes, tokens, contexts;
	uint64_t index_bytes;
	double seconds;
	uint64_t vocabulary;		/* distinct tokens */
} trw_refmodel_stats;

/* Build from the files of `specs` (repository specs, as for extract) into
 * the file `path` (written atomically: temp file + rename).  `opts` may be
 * NULL; `stats` may be NULL.  Errors: those of trw_source_open/
 * set_revision, TRW_EINVALID (order outside 1..8, no file to learn from,
 * a corpus over 2^31 tokens), TRW_ENOTFOUND (the output's directory does
 * not exist), TRW_EIO, TRW_ENOMEM.  The same specs at the same revisions
 * give the same file, byte for byte. */
int trw_refmodel_build(const char *path, const char *const *specs, size_t nspecs,
    const trw_refmodel_build_options *opts, trw_refmodel_stats *stats);

/* Open (memory-mapped, read-only); TRW_EINVALID for a file that is not a
 * reference model or is corrupt. */
int trw_refmodel_open(trw_refmodel **out, const char *path);
void trw_refmodel_free(trw_refmodel *m);

/* "ref:<sha256 of the file, 16 hex>:order<N>"; borrowed. */
const char *trw_refmodel_identity(const trw_refmodel *m);

/* Context for windows, in tokens: a nominal 2048 (the model itself reads
 * only the prefix's last N-1 tokens and the suffix's first ones). */
unsigned trw_refmodel_context(const trw_refmodel *m);

/* Token count of a text with the model's tokenizer. */
size_t trw_refmodel_count_tokens(const trw_refmodel *m, const char *text, size_t len);

/*
 * Fill in the middle: greedy from the longest context seen in training
 * that matches the end of the prefix, backing off; the first token is
 * the frequent follower the training data best continues into the
 * suffix, and is never empty under the stop rule (a name starts with an
 * identifier).  Stops before the suffix's first token, at the end of a
 * training file, at the query's stop rule (the text is cut there;
 * TRW_STOP_NONE: no rule), or at decoding.max_tokens (0 = 128).
 * temperature > 0 samples, reproducibly from decoding.seed.  Thread-safe
 * (the model is read-only).  `out` is filled (text owned by the caller,
 * free with trw_completion_dispose); logprobs (natural log, one per token
 * of the text, each <= 0) when query->want_logprobs.  Errors:
 * TRW_EINVALID (missing arguments, a reference out of range in a damaged
 * model), TRW_ENOMEM.
 */
int trw_refmodel_infill(const trw_refmodel *m, const trw_fim_query *query,
    trw_completion *out);

/* The order N the model was built with. */
unsigned trw_refmodel_order(const trw_refmodel *m);

/* Figures of an opened model; `seconds` is 0 (the build time is not stored,
 * so that the same corpus gives the same file). */
void trw_refmodel_get_stats(const trw_refmodel *m, trw_refmodel_stats *out);

/* What the model was built from, as JSON text:
 * {"sources":[{"spec","revision","commit","files"}],"files":[{"path","blob"}]}
 * (the training set, file by file).  Borrowed until trw_refmodel_free;
 * not NUL-terminated, `*len` receives its length. */
const char *trw_refmodel_provenance(const trw_refmodel *m, size_t *len);

/* The tokenizer, for tests and tools: the length in bytes of the token at
 * the start of text[0:len] (len > 0; the result is in 1..len).  Tokens
 * cover the text exactly, so decoding is concatenation. */
size_t trw_refmodel__token_len(const char *text, size_t len);

#endif
