/*
 * window.c - prefix and suffix windows around a masked span, fitted to a
 * token budget, and the conservative token estimate used when no
 * tokenizer is at hand.
 *
 * A file's lines are found once and each line's token count is taken at
 * most once (lazily: with a server tokenizer a count is a request), so
 * the windows of all candidates of a file cost the lines they cover plus
 * two partial lines each, never a pass over the whole file per
 * candidate.  This module does not know the model, the template or the
 * completion budget: the caller subtracts those from the context and
 * passes what is left.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/window.h"
#include "common/error.h"

/* ---- the estimate ----------------------------------------------------------- */

/* ---- the per-file context -------------------------------------------------- */

#define UNCOUNTED SIZE_MAX

struct trw_window_ctx {
	const char *bytes;
	size_t len;
	trw_count_fn count;
	void *payload;
	int estimate;		/* count is the estimate: >= 1 token per 2.5 bytes */
	size_t nlines;
	size_t *lines;		/* nlines + 1 starts; lines[nlines] == len */
	size_t *counts;		/* per line, UNCOUNTED until asked */
	size_t *cum;		/* cum[k] = tokens of lines 0..k-1, for whole() */
	/* The partial lines last counted before [0] and after [1] a span:
	 * compute() and whole() of the same span count them once. */
	struct {
		size_t a, b, t;
	} piece[2];
};

int trw_window_ctx_new(trw_window_ctx **out, const char *bytes, size_t len,
    trw_count_fn count_fn, void *payload)
{
	trw_window_ctx *ctx = NULL;
	size_t n = 1, k = 0;
	int error = 0;

	*out = NULL;
	if (bytes == NULL && len)
		return trw_error_set(TRW_EINVALID, "window: NULL file bytes");
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	ctx->bytes = bytes;
	ctx->len = len;
	ctx->count = count_fn ? count_fn : trw_estimate_count;
	ctx->payload = payload;
	ctx->estimate = ctx->count == trw_estimate_count;
	/* A line starts at 0 and after every newline, also at `len` when
	 * the file ends with one (an empty last line): every position then
	 * lies in exactly one line, and line k is bytes[lines[k]:lines[k+1]]. */
	for (const char *p = bytes; p && (p = memchr(p, '\n', (size_t)(bytes + len - p))); p++)
		n++;
	ctx->nlines = n;
	if ((ctx->lines = malloc((n + 1) * sizeof(*ctx->lines))) == NULL ||
	    (ctx->counts = malloc(n * sizeof(*ctx->counts))) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	ctx->lines[k++] = 0;
	for (size_t i = 0; i < len; i++)
		if (bytes[i] == '\n')
			ctx->lines[k++] = i + 1;
	ctx->lines[n] = len;
	for (size_t i = 0; i < n; i++)
		ctx->counts[i] = UNCOUNTED;
	ctx->piece[0].t = ctx->piece[1].t = UNCOUNTED;
	*out = ctx;
	ctx = NULL;
done:
	trw_window_ctx_free(ctx);
	return error;
}

void trw_window_ctx_free(trw_window_ctx *ctx)
{
	if (ctx == NULL)
		return;
	free(ctx->lines);
	free(ctx->counts);
	free(ctx->cum);
	free(ctx);
}

static int count_range(trw_window_ctx *ctx, size_t a, size_t b, size_t *out)
{
	int error;

	*out = 0;
	if (a >= b)
		return 0;
	if ((error = ctx->count(ctx->payload, ctx->bytes + a, b - a, out)) < 0)
		return error;
	return 0;
}

static int line_count(trw_window_ctx *ctx, size_t k, size_t *out)
{
	int error;

	if (ctx->counts[k] == UNCOUNTED) {
		size_t t;

		if ((error = count_range(ctx, ctx->lines[k], ctx->lines[k + 1], &t)) < 0)
			return error;
		/* UNCOUNTED is a sentinel, never a count. */
		ctx->counts[k] = t == UNCOUNTED ? t - 1 : t;
	}
	*out = ctx->counts[k];
	return 0;
}

/* bytes[a:b], a part of line k, counted: from the line cache when it is
 * the whole line, else from the piece cache `slot`, else anew. */
static int piece_count(trw_window_ctx *ctx, int slot, size_t k, size_t a, size_t b,
    size_t *out)
{
	int error;

	if (a == ctx->lines[k] && b == ctx->lines[k + 1])
		return line_count(ctx, k, out);
	if (ctx->piece[slot].t != UNCOUNTED && ctx->piece[slot].a == a && ctx->piece[slot].b == b) {
		*out = ctx->piece[slot].t;
		return 0;
	}
	if ((error = count_range(ctx, a, b, out)) < 0)
		return error;
	ctx->piece[slot].a = a;
	ctx->piece[slot].b = b;
	ctx->piece[slot].t = *out == UNCOUNTED ? *out - 1 : *out;
	return 0;
}

/* The line that holds position pos (0..len). */
static size_t line_of(const trw_window_ctx *ctx, size_t pos)
{
	size_t lo = 0, hi = ctx->nlines;	/* lines[lo] <= pos < lines[hi] or hi == nlines */

	while (hi - lo > 1) {
		size_t m = lo + (hi - lo) / 2;

		if (ctx->lines[m] <= pos)
			lo = m;
		else
			hi = m;
	}
	return lo;
}

static int is_cont(const trw_window_ctx *ctx, size_t p)
{
	return p < ctx->len && ((unsigned char)ctx->bytes[p] & 0xc0) == 0x80;
}

/* Longest text a count of `rem` can cover, when the count is the estimate
 * (at least one token per 2.5 bytes); SIZE_MAX when unknown. */
static size_t max_bytes(const trw_window_ctx *ctx, size_t rem)
{
	if (!ctx->estimate || rem > SIZE_MAX / 3)
		return SIZE_MAX;
	return rem / 2 * 5 + (rem % 2) * 2 + 1;
}

/*
 * Cut inside bytes[lo:hi] for the prefix: the smallest character boundary
 * p with count(bytes[p:hi]) <= rem.  Binary search on positions snapped
 * forward to a boundary; a position is taken only after its count was
 * seen to fit, so even a count that is not monotonic yields a window
 * within budget.
 */
static int cut_prefix(trw_window_ctx *ctx, size_t lo, size_t hi, size_t rem,
    size_t *p_out, size_t *t_out)
{
	size_t a = lo, b = hi, best_p = hi, best_t = 0, mb = max_bytes(ctx, rem);
	int error;

	if (hi - a > mb)
		a = hi - mb;
	while (a < b) {
		size_t m = a + (b - a) / 2, q = m, t;

		while (q < hi && is_cont(ctx, q))
			q++;
		if ((error = count_range(ctx, q, hi, &t)) < 0)
			return error;
		if (t <= rem) {
			b = m;
			best_p = q;
			best_t = t;
		} else {
			a = m + 1;
		}
	}
	*p_out = best_p;
	*t_out = best_t;
	return 0;
}

/* The mirror for the suffix: the largest boundary q in [lo, hi] with
 * count(bytes[lo:q]) <= rem. */
static int cut_suffix(trw_window_ctx *ctx, size_t lo, size_t hi, size_t rem,
    size_t *q_out, size_t *t_out)
{
	size_t a = lo, b = hi, best_q = lo, best_t = 0, mb = max_bytes(ctx, rem);
	int error;

	if (b - lo > mb)
		b = lo + mb;
	while (a < b) {
		size_t m = a + (b - a + 1) / 2, q = m, t;

		while (q > lo && is_cont(ctx, q))
			q--;
		if ((error = count_range(ctx, lo, q, &t)) < 0)
			return error;
		if (t <= rem) {
			a = m;
			best_q = q;
			best_t = t;
		} else {
			b = m - 1;
		}
	}
	*q_out = best_q;
	*t_out = best_t;
	return 0;
}

/*
 * Grow the prefix backwards from `start`: the partial line before the
 * span, then whole lines, while they fit `cap`.  Only the first non-empty
 * unit may be cut inside (a single line over the budget); after that the
 * prefix stops at the last line boundary that fits.
 */
static int take_prefix(trw_window_ctx *ctx, size_t start, size_t cap,
    size_t *pstart, size_t *used)
{
	size_t ls = line_of(ctx, start), a = ctx->lines[ls], t, p;
	int any = 0, error;

	*pstart = start;
	*used = 0;
	if (a < start) {
		if ((error = piece_count(ctx, 0, ls, a, start, &t)) < 0)
			return error;
		if (t > cap)
			return cut_prefix(ctx, a, start, cap, pstart, used);
		*pstart = a;
		*used = t;
		any = 1;
	}
	for (size_t k = ls; k-- > 0;) {
		if ((error = line_count(ctx, k, &t)) < 0)
			return error;
		if (t <= cap - *used) {
			*pstart = ctx->lines[k];
			*used += t;
			any = 1;
			continue;
		}
		if (!any) {
			if ((error = cut_prefix(ctx, ctx->lines[k], ctx->lines[k + 1],
			    cap - *used, &p, &t)) < 0)
				return error;
			*pstart = p;
			*used += t;
		}
		break;
	}
	return 0;
}

/* The mirror: grow the suffix forwards from `end`. */
static int take_suffix(trw_window_ctx *ctx, size_t end, size_t cap, size_t *send, size_t *used)
{
	size_t le = line_of(ctx, end), b = ctx->lines[le + 1], t, q;
	int any = 0, error;

	*send = end;
	*used = 0;
	if (end < b) {
		if ((error = piece_count(ctx, 1, le, end, b, &t)) < 0)
			return error;
		if (t > cap)
			return cut_suffix(ctx, end, b, cap, send, used);
		*send = b;
		*used = t;
		any = 1;
	}
	for (size_t k = le + 1; k < ctx->nlines; k++) {
		if ((error = line_count(ctx, k, &t)) < 0)
			return error;
		if (t <= cap - *used) {
			*send = ctx->lines[k + 1];
			*used += t;
			any = 1;
			continue;
		}
		if (!any) {
			if ((error = cut_suffix(ctx, ctx->lines[k], ctx->lines[k + 1],
			    cap - *used, &q, &t)) < 0)
				return error;
			*send = q;
			*used += t;
		}
		break;
	}
	return 0;
}

int trw_window_ctx_compute(trw_window_ctx *ctx, size_t start, size_t end,
    size_t budget_tokens, trw_window *out)
{
	size_t share = 100 - TRW_WINDOW_PREFIX_SHARE;
	size_t bs, ps, pu, ss, su;
	int error;

	if (ctx == NULL || out == NULL || start > end || end > ctx->len)
		return trw_error_set(TRW_EINVALID, "window: span %zu..%zu outside 0..%zu",
		    start, end, ctx ? ctx->len : 0);
	/* The suffix's share first, then the prefix gets everything the
	 * suffix left, then the suffix whatever the prefix left. */
	bs = budget_tokens / 100 * share + budget_tokens % 100 * share / 100;
	if ((error = take_suffix(ctx, end, bs, &ss, &su)) < 0 ||
	    (error = take_prefix(ctx, start, budget_tokens - su, &ps, &pu)) < 0)
		return error;
	if (ss < ctx->len && pu + su < budget_tokens &&
	    (error = take_suffix(ctx, end, budget_tokens - pu, &ss, &su)) < 0)
		return error;
	out->prefix_start = ps;
	out->suffix_end = ss;
	out->prefix_tokens = pu;
	out->suffix_tokens = su;
	return 0;
}

int trw_window_ctx_whole(trw_window_ctx *ctx, size_t start, size_t end, size_t *out)
{
	size_t ls, le, head, tail;
	int error;

	if (ctx == NULL || out == NULL || start > end || end > ctx->len)
		return trw_error_set(TRW_EINVALID, "window: span %zu..%zu outside 0..%zu",
		    start, end, ctx ? ctx->len : 0);
	if (ctx->cum == NULL) {
		size_t *cum = malloc((ctx->nlines + 1) * sizeof(*cum)), t;

		if (cum == NULL)
			return trw_error_oom();
		cum[0] = 0;
		for (size_t k = 0; k < ctx->nlines; k++) {
			if ((error = line_count(ctx, k, &t)) < 0) {
				free(cum);
				return error;
			}
			cum[k + 1] = cum[k] + t;
		}
		ctx->cum = cum;
	}
	ls = line_of(ctx, start);
	le = line_of(ctx, end);
	if ((error = piece_count(ctx, 0, ls, ctx->lines[ls], start, &head)) < 0 ||
	    (error = piece_count(ctx, 1, le, end, ctx->lines[le + 1], &tail)) < 0)
		return error;
	*out = head + ctx->cum[ls] + tail + (ctx->cum[ctx->nlines] - ctx->cum[le + 1]);
	return 0;
}

int trw_window_compute(const char *bytes, size_t len, size_t start, size_t end,
    size_t budget_tokens, trw_count_fn count_fn, void *payload, trw_window *out)
{
	trw_window_ctx *ctx = NULL;
	int error;

	if ((error = trw_window_ctx_new(&ctx, bytes, len, count_fn, payload)) < 0)
		goto done;
	error = trw_window_ctx_compute(ctx, start, end, budget_tokens, out);
done:
	trw_window_ctx_free(ctx);
	return error;
}
