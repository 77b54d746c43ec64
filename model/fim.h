/*
 * fim.h - the contract between probes and models: a fill-in-the-middle
 * query, its stop rule, and the completion that comes back.
 *
 * A query is built from one candidate (classifier/probe): the masked span
 * is exactly the candidate's bytes; the prefix is what precedes it and the
 * suffix what follows, each cut to a window.  Every backend (llama.cpp,
 * OpenAI-compatible, Ollama, the embedded reference model) answers the
 * same record.
 */
#ifndef TRW_FIM_H
#define TRW_FIM_H

#include <stddef.h>
#include <stdint.h>

#include "extractor/extract.h"

/*
 * Where a completion ends, derived from syntax, never from the answer:
 *   TRW_STOP_IDENT    at the first character that cannot be part of an
 *                     identifier (names);
 *   TRW_STOP_NEWLINE  at the first newline (line comments);
 *   TRW_STOP_DELIM    at the first occurrence of `delim` (strings and
 *                     docstrings: their closing delimiter; block comments:
 *                     the closing marker), which is the start of the
 *                     suffix's first line, trimmed;
 * always also at the token budget and at the model's end of text.
 */
typedef enum {
	TRW_STOP_IDENT = 0,
	TRW_STOP_NEWLINE,
	TRW_STOP_DELIM,
	TRW_STOP_NONE		/* no syntactic rule, only the budget and the end
				 * of text: `trawic serve` applies a request's
				 * stop strings itself, as real servers do */
} trw_stop_mode;

typedef struct trw_stop {
	trw_stop_mode mode;
	char delim[16];		/* NUL-terminated, for TRW_STOP_DELIM */
} trw_stop;

/* Decoding parameters: greedy by default, an audit must be reproducible. */
typedef struct trw_decoding {
	double temperature;	/* 0 = greedy */
	double top_p;		/* 1.0 */
	uint64_t seed;		/* fixed, default 42 */
	unsigned max_tokens;	/* the kind's token budget */
} trw_decoding;

#define TRW_DECODING_GREEDY { 0.0, 1.0, 42, 0 }

typedef struct trw_fim_query {
	const char *prefix;	/* the prefix window (not NUL-terminated) */
	size_t prefix_len;
	const char *suffix;	/* the suffix window */
	size_t suffix_len;
	trw_kind kind;
	trw_stop stop;
	trw_decoding decoding;
	int want_logprobs;	/* ask for per-token log-probabilities */
} trw_fim_query;

typedef struct trw_completion {
	char *text;		/* raw completion, NUL-terminated, owned */
	size_t len;
	double *logprobs;	/* per generated token, NULL if none; owned */
	size_t nlogprobs;
	int cached;		/* answered from the cache */
	double latency_ms;
} trw_completion;

void trw_completion_dispose(trw_completion *c);

/*
 * Length of the unit at the head of text[0:len] under `stop`: IDENT up to
 * the first byte that is not an identifier byte (ASCII letters, digits,
 * '_', '$', and every byte >= 0x80), after leading spaces and tabs;
 * NEWLINE up to the first '\n'; DELIM up to the first occurrence of the
 * delimiter; TRW_STOP_NONE does not cut.  Returns len when the stop does
 * not occur.
 *
 * It agrees with a server that was given trw_stop_server_string() as its
 * stop sequence: cutting there first does not change the result.
 */
size_t trw_completion_cut(const trw_stop *stop, const char *text, size_t len);

/* The stop sequence to send a server for `stop`: "\n" for IDENT and
 * NEWLINE (no identifier spans a line), the delimiter for DELIM, NULL for
 * TRW_STOP_NONE (no stop sequence).  Borrowed from `stop`, or static. */
const char *trw_stop_server_string(const trw_stop *stop);

/*
 * A conservative token count of code, meant never to be below what the
 * BPE and SentencePiece tokenizers of code models give on a window of
 * code (measurements in window.c): every digit, punctuation character
 * ('_' included), newline and tab is a token; a run of letters costs a
 * third of a token per lower-case and half per upper-case letter, per
 * camel hump, rounded up; a run of spaces one per 4; every non-ASCII
 * byte one (byte fallback); and never less than one token per 2.5 bytes.
 * Monotonic: a substring never counts more than its text.
 */
size_t trw_estimate_tokens(const char *text, size_t len);

/* trw_estimate_tokens as a trw_count_fn (payload unused). */
int trw_estimate_count(void *payload, const char *text, size_t len, size_t *out);


#endif
