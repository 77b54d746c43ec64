/*
 * probe.h - TraWiC's probe: for every candidate of every file, mask it,
 * ask the model to fill the gap, cut the answer to the element's unit
 * and compare it with the original.
 *
 * Files stream through in tree order: the extractor's candidates become
 * windowed FIM queries, queries of several files are batched into one
 * engine run (so the model's slots stay busy across file boundaries),
 * and each file is delivered, complete, to the caller's callback.  A
 * query that failed is reported as failed, never as a miss: such a file
 * has no feature vector.
 */
#ifndef TRW_PROBE_H
#define TRW_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "extractor/extract.h"
#include "extractor/source.h"
#include "model/engine.h"
#include "model/fim.h"

typedef struct trw_probe_progress {
	uint64_t files_done;
	uint64_t files_total;	/* from a walk of the tree that reads no blob; 0 = unknown */
	uint64_t queries_done, queries_failed;
	uint64_t cache_hits, model_calls;
	double seconds;
} trw_probe_progress;

typedef struct trw_probe_options {
	unsigned int version;
	const char *rev;		/* NULL = HEAD */
	unsigned kinds;			/* mask of (1u << trw_kind), default all */
	const trw_lang *const *langs;	/* NULL = all */
	unsigned context_tokens;	/* window budget; 0 = the model's context, else 2048 */
	unsigned max_window_tokens;	/* cap on the window budget, default 1024 */
	int semantic_threshold;		/* default 60 */
	int want_logprobs;
	trw_decoding decoding;		/* greedy; max_tokens 0 = per-kind default */
	unsigned threads;		/* extraction threads, 0 = CPUs */
	size_t batch_queries;		/* queries per engine run, default 512 */
	trw_source_options source;
	/* progress, called on the caller's thread after each engine run;
	 * a non-zero return stops the probe there (TRW_ECANCEL) */
	int (*progress)(const trw_probe_progress *p, void *payload);
	void *progress_payload;
} trw_probe_options;

#define TRW_PROBE_OPTIONS_VERSION 1
#define TRW_PROBE_OPTIONS_INIT { TRW_PROBE_OPTIONS_VERSION, NULL, TRW_KIND_ALL, NULL, \
	0, 1024, 60, 0, TRW_DECODING_GREEDY, 0, 512, TRW_SOURCE_OPTIONS_INIT, NULL, NULL }

/* One candidate and what the model made of it. */
typedef struct trw_probe_item {
	trw_candidate cand;		/* text points into the file's bytes */
	const char *completion;		/* cut to the element's unit, trimmed */
	size_t completion_len;
	int similarity;			/* 0..100, -1 when the query failed */
	int hit;			/* 0/1, -1 when the query failed */
	int error;			/* 0, or the TRW_E* code of a failed query */
	const char *message;		/* the failure, NULL otherwise */
	int cached;
	double latency_ms;
	const double *logprobs;		/* per generated token; NULL if none */
	size_t nlogprobs;
	unsigned prefix_tokens, suffix_tokens;	/* the window used */
} trw_probe_item;

/* One file, borrowed by the callback for the call's duration. */
typedef struct trw_probe_file {
	const trw_file *file;		/* file->skipped set for skipped files */
	const trw_probe_item *items;
	size_t count;
	size_t failed;			/* queries that failed */
	int syntax_errors;
	unsigned hits[TRW_KIND__COUNT];	/* over answered queries only */
	unsigned totals[TRW_KIND__COUNT];
} trw_probe_file;

typedef int (*trw_probe_cb)(const trw_probe_file *pf, void *payload);

typedef struct trw_probe_stats {
	uint64_t files, files_probed, files_failed;
	uint64_t queries, queries_failed;
	uint64_t cache_hits, model_calls, deduplicated;
	uint64_t prompt_tokens;		/* prefix + suffix window tokens sent */
	uint64_t whole_file_tokens;	/* what whole-file prompts would have cost */
	double seconds;
	char commit[65];		/* the revision's commit (hex); "" if none */
} trw_probe_stats;

/*
 * Probe the repository `spec` with `engine`.  Returns 0 when every query
 * was answered, TRW_EMODEL when some failed (the callback has seen every
 * file regardless, failed ones marked), or another error that stopped
 * the run (bad spec or revision, a query file that does not load, the
 * callback's non-zero value).
 */
int trw_probe_run(trw_engine *engine, const char *spec, const trw_probe_options *opts,
    trw_probe_cb cb, void *payload, trw_probe_stats *stats);

#endif
