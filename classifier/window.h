/*
 * window.h - the prefix and suffix windows of a masked span: as much of
 * the file around the span as fits a token budget, prefix-heavy, cut at
 * line boundaries.
 *
 * The span bytes[start:end] is never cut; the prefix is
 * bytes[prefix_start:start] and the suffix bytes[end:suffix_end].  The
 * budget is split 3:1 between prefix and suffix, and what one side does
 * not use goes to the other.  Cuts fall at line boundaries (the prefix
 * starts a line, the suffix ends just after a newline or at the end of
 * the file) except when the first piece on a side does not fit on its
 * own: then that piece is cut inside, at a UTF-8 character boundary,
 * keeping the part next to the span.  A long file is never dropped: it
 * just gets a window.
 *
 * Token counts come from a count function: the server's tokenizer when
 * it has one, else trw_estimate_tokens.  Counts are taken per line (cached
 * per file in a context) plus the partial lines next to the span, and
 * summed; splitting text at line ends can only lose merges across the
 * cut, so the sum is at least the count of the joined text in practice.
 */
#ifndef TRW_WINDOW_H
#define TRW_WINDOW_H

#include <stddef.h>

#include "model/fim.h"

/* Percent of the budget that goes to the prefix first. */
#define TRW_WINDOW_PREFIX_SHARE 75

typedef struct trw_window {
	size_t prefix_start;	/* prefix = bytes[prefix_start:start] */
	size_t suffix_end;	/* suffix = bytes[end:suffix_end] */
	size_t prefix_tokens;	/* tokens counted for the prefix */
	size_t suffix_tokens;
} trw_window;

/*
 * Counts the tokens of text[0:len] into *out; 0 or a negative TRW_E*
 * code (with the thread's error message set), which is passed up
 * unchanged.  Called with len > 0 only.
 */
typedef int (*trw_count_fn)(void *payload, const char *text, size_t len, size_t *out);


/*
 * A file's line table and cached line counts, for computing the windows
 * of all its candidates: each line is counted at most once however many
 * windows cover it, and a window costs time in proportion to its own
 * lines, not the file's.  `bytes` is borrowed and must outlive the
 * context.  count_fn NULL means trw_estimate_count.  Not thread-safe (the
 * cache); one context per file per thread.
 */
typedef struct trw_window_ctx trw_window_ctx;

int trw_window_ctx_new(trw_window_ctx **out, const char *bytes, size_t len,
    trw_count_fn count_fn, void *payload);
void trw_window_ctx_free(trw_window_ctx *ctx);

/*
 * The window of the span bytes[start:end] for `budget_tokens` tokens of
 * prefix and suffix together (what is left of the context once the
 * template, the prompt's fixed parts and the completion's budget are
 * taken).  TRW_EINVALID for a span outside the file; a count function's
 * error is passed up.
 */
int trw_window_ctx_compute(trw_window_ctx *ctx, size_t start, size_t end,
    size_t budget_tokens, trw_window *out);

/*
 * The tokens of the prompt the original TraWiC sent for that span: all
 * of the file before it and all after it (bytes[0:start] and
 * bytes[end:len]), counted the same way as windows, for the figure
 * "window tokens / whole-file tokens".
 */
int trw_window_ctx_whole(trw_window_ctx *ctx, size_t start, size_t end, size_t *out);

/* One-shot: a context for one window. */
int trw_window_compute(const char *bytes, size_t len, size_t start, size_t end,
    size_t budget_tokens, trw_count_fn count_fn, void *payload, trw_window *out);

#endif
