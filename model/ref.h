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
} trw_refmodel_stats;

/* Build from the files of `specs` (repository specs, as for extract) into
 * the file `path` (written atomically: temp file + rename). */
int trw_refmodel_build(const char *path, const char *const *specs, size_t nspecs,
    const trw_refmodel_build_options *opts, trw_refmodel_stats *stats);

/* Open (memory-mapped, read-only); TRW_EINVALID for a file that is not a
 * reference model or is corrupt. */
int trw_refmodel_open(trw_refmodel **out, const char *path);
void trw_refmodel_free(trw_refmodel *m);

/* "ref:<sha256 of the file, 16 hex>:order<N>"; borrowed. */
const char *trw_refmodel_identity(const trw_refmodel *m);

/* Context the model can use, in tokens (for windows). */
unsigned trw_refmodel_context(const trw_refmodel *m);

/* Token count of a text with the model's tokenizer. */
size_t trw_refmodel_count_tokens(const trw_refmodel *m, const char *text, size_t len);

/*
 * Fill in the middle: greedy from the longest context seen in training
 * that matches the end of the prefix, backing off; stops when the
 * continuation reaches the start of the suffix, at the query's stop rule,
 * or at decoding.max_tokens.  Thread-safe (the model is read-only).
 * `out` is filled (text owned by the caller, free with
 * trw_completion_dispose); logprobs when query->want_logprobs.
 */
int trw_refmodel_infill(const trw_refmodel *m, const trw_fim_query *query,
    trw_completion *out);

#endif
