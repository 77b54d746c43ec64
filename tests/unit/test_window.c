/*
 * test_window.c - token estimate and prefix/suffix windows.
 *
 * Most window cases count one token per byte, so that every expected
 * position can be worked out by hand from the file text; the estimate and
 * an expensive counter (one that records its calls) have their own cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classifier/window.h"
#include "common/error.h"

/* ---- counters --------------------------------------------------------------- */

static int count_bytes(void *payload, const char *text, size_t len, size_t *out)
{
	(void)payload;
	(void)text;
	*out = len;
	return 0;
}

struct recorder {
	size_t calls;
	size_t fail_at;		/* fail the call with this number (1-based), 0 = never */
};

static int count_recorded(void *payload, const char *text, size_t len, size_t *out)
{
	struct recorder *r = payload;

	assert_true(len > 0);	/* documented: never called for empty text */
	r->calls++;
	if (r->fail_at && r->calls == r->fail_at)
		return trw_error_set(TRW_EIO, "tokenizer went away");
	*out = trw_estimate_tokens(text, len);
	return 0;
}

/* ---- the estimate -------------------------------------------------------------- */

static void estimate_values(void **state)
{
	static const struct {
		const char *text;
		size_t want;
	} rows[] = {
		{ "", 0 },
		{ "a", 1 },
		{ "abc", 2 },			/* 1 for the run, but ceil(3/2.5) = 2 */
		{ "abcdefghi", 4 },		/* ceil(9/3) = 3 < ceil(9/2.5) = 4 */
		{ "getElementById", 6 },	/* get|Element|By|Id: 1+3+1+1 */
		{ "GNUC", 2 },			/* upper case: ceil(4/2) */
		{ "x_y", 3 },			/* '_' is its own token */
		{ "12345", 5 },			/* digit by digit */
		{ "        return x;\n", 8 },	/* 2 + 2 + 1 + 1 + 1 + 1 */
		{ "\t\t", 2 },
		{ "a = b\n", 6 },
		{ "\xc3\xa9", 2 },		/* one token per non-ASCII byte */
		{ "\xf0\x9f\x98\x80", 4 },
		{ "                ", 7 },	/* 16 spaces: 4, floor ceil(16/2.5) = 7 */
	};
	size_t out = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t got = trw_estimate_tokens(rows[i].text, strlen(rows[i].text));

		if (got != rows[i].want)
			fail_msg("'%s': %zu, want %zu", rows[i].text, got, rows[i].want);
	}
	assert_int_equal(trw_estimate_count(NULL, "12345", 5, &out), 0);
	assert_int_equal(out, 5);
}

/* A substring never counts more than its text (the windows' binary
 * search and the per-line sums rely on it). */
static void estimate_monotonic(void **state)
{
	static const char chars[] = "aZ_ 9\t\n(){};\"\xc3\xa9xyzQW";
	uint32_t seed = 99;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		char text[64];
		size_t n, a, b;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % sizeof(text);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = chars[(seed >> 16) % (sizeof(chars) - 1)];
		}
		seed = seed * 1103515245u + 12345u;
		a = (seed >> 16) % (n + 1);
		seed = seed * 1103515245u + 12345u;
		b = a + (seed >> 16) % (n - a + 1);
		assert_true(trw_estimate_tokens(text + a, b - a) <= trw_estimate_tokens(text, n));
		assert_true(trw_estimate_tokens(text, n) * 5 >= n * 2);	/* >= 1 per 2.5 bytes */
	}
}

/* ---- windows, one token per byte ------------------------------------------------- */

/* Ten lines "L0 .....\n" of 10 bytes each; line k starts at 10*k. */
static char *ten_lines(void)
{
	char *f = malloc(101);

	assert_non_null(f);
	for (int k = 0; k < 10; k++)
		memcpy(f + 10 * k, "L0 ......\n", 10), f[10 * k + 1] = (char)('0' + k);
	f[100] = '\0';
	return f;
}

static void check(const trw_window *w, size_t ps, size_t se, size_t pt, size_t st)
{
	if (w->prefix_start != ps || w->suffix_end != se || w->prefix_tokens != pt ||
	    w->suffix_tokens != st)
		fail_msg("window %zu..%zu (%zu+%zu tokens), want %zu..%zu (%zu+%zu)",
		    w->prefix_start, w->suffix_end, w->prefix_tokens, w->suffix_tokens,
		    ps, se, pt, st);
}

static void window_line_boundaries(void **state)
{
	char *f = ten_lines();
	trw_window w;

	(void)state;
	/* Span "L5" = 50..52.  Budget 40: suffix share 10 = the rest of line
	 * 5 (8 bytes), line 6 does not fit; prefix gets 40 - 8 = 32: line 5's
	 * head is empty, lines 4, 3, 2 (30 bytes); line 1 does not fit; the
	 * suffix may then take 2 more, and line 6 needs 10: stays. */
	assert_int_equal(trw_window_compute(f, 100, 50, 52, 40, count_bytes, NULL, &w), 0);
	check(&w, 20, 60, 30, 8);
	/* Span in mid-line "....": 55..57.  Budget 40: suffix 10 -> 3 bytes to
	 * the newline, then line 6 (10) does not fit; prefix 37 -> head 5,
	 * lines 4, 3, 2 (35 in all); suffix may then take 40 - 35 = 5: no. */
	assert_int_equal(trw_window_compute(f, 100, 55, 57, 40, count_bytes, NULL, &w), 0);
	check(&w, 20, 60, 35, 3);
	/* Budget 100 for span 50..52: suffix 25 -> 8 + line 6 + (line 7 no),
	 * prefix 100 - 18 = 82: all 50 bytes; then suffix 100 - 50 = 50:
	 * 8 + lines 6..9 = 48. */
	assert_int_equal(trw_window_compute(f, 100, 50, 52, 100, count_bytes, NULL, &w), 0);
	check(&w, 0, 100, 50, 48);
	/* Every prefix starts a line and every suffix ends one. */
	for (size_t budget = 0; budget < 120; budget += 7) {
		for (size_t s = 0; s < 100; s += 3) {
			size_t e = s + (s % 4);

			if (e > 100)
				e = 100;
			assert_int_equal(trw_window_compute(f, 100, s, e, budget, count_bytes, NULL,
			    &w), 0);
			assert_true(w.prefix_tokens + w.suffix_tokens <= budget);
			assert_int_equal(w.prefix_tokens, s - w.prefix_start);
			assert_int_equal(w.suffix_tokens, w.suffix_end - e);
			/* A cut inside a line happens only when that line's piece
			 * is the first unit and alone exceeds what is left. */
			if (w.prefix_start != s && w.prefix_start % 10 != 0)
				assert_true(w.prefix_start / 10 == s / 10 ||
				    (s % 10 == 0 && w.prefix_start / 10 == s / 10 - 1));
			if (w.suffix_end != e && w.suffix_end % 10 != 0)
				assert_true(w.suffix_end / 10 == e / 10 ||
				    (e % 10 == 0 && w.suffix_end / 10 == e / 10));
		}
	}
	free(f);
}

static void window_budget_flows(void **state)
{
	char *f = ten_lines();
	trw_window w;

	(void)state;
	/* Near the end: span 90..92 (line 9), budget 40.  Suffix 10 -> 8 to
	 * EOF; prefix 32 -> lines 8, 7, 6 = 30.  The prefix got 80% because
	 * the suffix had nothing more to give. */
	assert_int_equal(trw_window_compute(f, 100, 90, 92, 40, count_bytes, NULL, &w), 0);
	check(&w, 60, 100, 30, 8);
	/* Near the start: span 0..2, budget 40: suffix 10 -> 8; prefix empty;
	 * suffix again with 40: 8 + lines 1, 2, 3 = 38. */
	assert_int_equal(trw_window_compute(f, 100, 0, 2, 40, count_bytes, NULL, &w), 0);
	check(&w, 0, 40, 0, 38);
	/* Budget larger than the file: the whole file. */
	assert_int_equal(trw_window_compute(f, 100, 33, 47, 1000000, count_bytes, NULL, &w), 0);
	check(&w, 0, 100, 33, 53);
	/* Empty prefix and suffix. */
	assert_int_equal(trw_window_compute(f, 100, 0, 100, 50, count_bytes, NULL, &w), 0);
	check(&w, 0, 100, 0, 0);
	/* Budget 0: nothing around the span. */
	assert_int_equal(trw_window_compute(f, 100, 40, 45, 0, count_bytes, NULL, &w), 0);
	check(&w, 40, 45, 0, 0);
	free(f);
}

/* A multi-line span is never cut and never inside a window. */
static void window_span_exact(void **state)
{
	const char *f = "a\nb = \"\"\"x\ny\nz\"\"\"\nc\nd\n";
	size_t len = strlen(f), s = 9, e = 14;	/* "x\ny\nz" */
	trw_window w;

	(void)state;
	assert_memory_equal(f + s, "x\ny\nz", 5);
	assert_int_equal(trw_window_compute(f, len, s, e, 9, count_bytes, NULL, &w), 0);
	/* Suffix share 2 -> the piece `"""\n` (4) is cut to 2 bytes; prefix
	 * 7 -> `b = """` (7); then nothing left. */
	check(&w, 2, 16, 7, 2);
	assert_int_equal(trw_window_compute(f, len, s, e, 1000, count_bytes, NULL, &w), 0);
	check(&w, 0, len, s, len - e);
}

static void window_huge_line(void **state)
{
	size_t n = 1000;
	char *f = malloc(n);
	trw_window w;

	(void)state;
	assert_non_null(f);
	memset(f, 'x', n);		/* one line, no newline */
	/* Span 500..510, budget 100: suffix 25 bytes, prefix 75, cut inside. */
	assert_int_equal(trw_window_compute(f, n, 500, 510, 100, count_bytes, NULL, &w), 0);
	check(&w, 425, 535, 75, 25);
	/* The line after an empty head is cut too when it alone is too big:
	 * "short\n" + 1000 x + "\n" + span at the start of line 3. */
	{
		size_t m = 6 + n + 1 + 4;
		char *g = malloc(m);

		assert_non_null(g);
		memcpy(g, "short\n", 6);
		memset(g + 6, 'x', n);
		g[6 + n] = '\n';
		memcpy(g + 7 + n, "SPAN", 4);
		assert_int_equal(trw_window_compute(g, m, 7 + n, m, 100, count_bytes, NULL, &w), 0);
		/* Empty suffix; prefix 100 cut inside the long line: its last
		 * 100 bytes, newline included. */
		check(&w, 7 + n - 100, m, 100, 0);
		free(g);
	}
	free(f);
}

static int is_boundary(const char *f, size_t len, size_t p)
{
	return p == 0 || p == len || ((unsigned char)f[p] & 0xc0) != 0x80;
}

/* Cuts inside a line land between characters, never inside one. */
static void window_utf8_boundaries(void **state)
{
	size_t n = 3000, len = 2 * n;
	char *f = malloc(len);
	trw_window w;

	(void)state;
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		memcpy(f + 2 * i, "\xc3\xa9", 2);	/* é é é ... one line */
	for (size_t budget = 1; budget < 60; budget += 2) {
		size_t s = 2 * 1500, e = 2 * 1501;

		assert_int_equal(trw_window_compute(f, len, s, e, budget, count_bytes, NULL, &w), 0);
		assert_true(is_boundary(f, len, w.prefix_start));
		assert_true(is_boundary(f, len, w.suffix_end));
		assert_true(w.prefix_tokens + w.suffix_tokens <= budget);
		/* Odd budgets cannot be used fully with 2-byte characters, but
		 * no more than one byte per side is lost. */
		assert_true(w.prefix_tokens + w.suffix_tokens + 2 >= budget);
		assert_int_equal(w.prefix_tokens, s - w.prefix_start);
		assert_int_equal(w.suffix_tokens, w.suffix_end - e);
	}
	/* The same with the estimate (2 tokens per é) and a 3-byte character. */
	for (size_t i = 0; i < n / 3 * 2; i++)
		memcpy(f + 3 * i, "\xe6\x97\xa5", 3);	/* 日 */
	for (size_t budget = 1; budget < 200; budget += 13) {
		assert_int_equal(trw_window_compute(f, len, 3000, 3003, budget, NULL, NULL, &w), 0);
		assert_true(is_boundary(f, len, w.prefix_start));
		assert_true(is_boundary(f, len, w.suffix_end));
		assert_int_equal(w.prefix_tokens, trw_estimate_tokens(f + w.prefix_start,
		    3000 - w.prefix_start));
		assert_int_equal(w.suffix_tokens, trw_estimate_tokens(f + 3003, w.suffix_end - 3003));
		assert_true(w.prefix_tokens + w.suffix_tokens <= budget);
	}
	free(f);
}

static void window_empty_and_invalid(void **state)
{
	trw_window w;
	size_t whole = 1;

	(void)state;
	assert_int_equal(trw_window_compute("", 0, 0, 0, 10, count_bytes, NULL, &w), 0);
	check(&w, 0, 0, 0, 0);
	assert_int_equal(trw_window_compute(NULL, 0, 0, 0, 10, NULL, NULL, &w), 0);
	check(&w, 0, 0, 0, 0);
	assert_int_equal(trw_window_compute("abc", 3, 2, 1, 10, NULL, NULL, &w), TRW_EINVALID);
	assert_int_equal(trw_window_compute("abc", 3, 1, 4, 10, NULL, NULL, &w), TRW_EINVALID);
	{
		trw_window_ctx *ctx;

		assert_int_equal(trw_window_ctx_new(&ctx, "abc\n", 4, NULL, NULL), 0);
		assert_int_equal(trw_window_ctx_whole(ctx, 3, 5, &whole), TRW_EINVALID);
		assert_int_equal(trw_window_ctx_compute(ctx, 4, 4, 10, &w), 0);	/* at EOF */
		check(&w, 0, 4, trw_estimate_tokens("abc\n", 4), 0);
		trw_window_ctx_free(ctx);
	}
	trw_window_ctx_free(NULL);
}

/* The whole-file prompt of the original: everything but the span. */
static void window_whole(void **state)
{
	char *f = ten_lines();
	trw_window_ctx *ctx;
	size_t whole;

	(void)state;
	assert_int_equal(trw_window_ctx_new(&ctx, f, 100, count_bytes, NULL), 0);
	for (size_t s = 0; s <= 100; s += 7) {
		for (size_t e = s; e <= 100 && e < s + 25; e += 6) {
			assert_int_equal(trw_window_ctx_whole(ctx, s, e, &whole), 0);
			assert_int_equal(whole, 100 - (e - s));
		}
	}
	trw_window_ctx_free(ctx);
	free(f);
}

/*
 * With an expensive counter: each line is counted once per file however
 * many windows cover it, a window costs at most its two partial lines on
 * top, and the whole-file count of the same span costs nothing more once
 * every line has been counted.
 */
static void window_counts_lines_once(void **state)
{
	size_t lines = 200, len = 0;
	char *f = malloc(lines * 32);
	struct recorder r = { 0, 0 };
	trw_window_ctx *ctx;
	trw_window w, w2;
	size_t before, nwin = 0, whole, s;

	(void)state;
	assert_non_null(f);
	for (size_t k = 0; k < lines; k++) {
		memcpy(f + len, "    value_of_line = k + 1;  \n", 29);
		len += 29;
	}
	assert_int_equal(trw_window_ctx_new(&ctx, f, len, count_recorded, &r), 0);
	for (s = 4; s < len; s += 41) {
		assert_int_equal(trw_window_ctx_compute(ctx, s, s + 5, 300, &w), 0);
		nwin++;
		/* The result agrees with the one-shot estimate window. */
		assert_int_equal(trw_window_compute(f, len, s, s + 5, 300, NULL, NULL, &w2), 0);
		assert_memory_equal(&w, &w2, sizeof(w));
	}
	assert_true(r.calls <= lines + 2 * nwin);
	/* Again: only the partial lines are counted now. */
	s = 4 + 41 * 10;
	before = r.calls;
	assert_int_equal(trw_window_ctx_compute(ctx, s, s + 5, 300, &w), 0);
	assert_true(r.calls - before <= 2);
	/* The first whole() counts the lines no window reached. */
	assert_int_equal(trw_window_ctx_whole(ctx, s, s + 5, &whole), 0);
	assert_true(r.calls <= lines + 2 * (nwin + 1));
	/* Later ones cost the span's partial lines, shared with compute(). */
	s += 41;
	before = r.calls;
	assert_int_equal(trw_window_ctx_compute(ctx, s, s + 5, 300, &w), 0);
	assert_int_equal(trw_window_ctx_whole(ctx, s, s + 5, &whole), 0);
	assert_true(r.calls - before <= 2);
	assert_true(whole > w.prefix_tokens + w.suffix_tokens);
	trw_window_ctx_free(ctx);
	free(f);
}

/* A failing count fails the window, with the counter's code. */
static void window_count_error(void **state)
{
	const char *f = "line one\nline two\nline three\n";
	struct recorder r = { 0, 2 };
	trw_window w;

	(void)state;
	assert_int_equal(trw_window_compute(f, strlen(f), 9, 13, 100, count_recorded, &r, &w),
	    TRW_EIO);
	assert_string_equal(trw_error_last(), "tokenizer went away");
}

/* A random property over files with long and short lines, with both
 * counters: within budget, prefix and suffix counted exactly as the sum of
 * their lines and pieces, windows adjacent to the span. */
static void window_property(void **state)
{
	uint32_t seed = 4242;

	(void)state;
	for (int round = 0; round < 300; round++) {
		char f[2000];
		size_t len = 0, s, e, budget;
		trw_window w;

		seed = seed * 1103515245u + 12345u;
		while (len < sizeof(f) - 200) {
			size_t ll;

			seed = seed * 1103515245u + 12345u;
			ll = (seed >> 16) % 10 == 0 ? 150 : (seed >> 16) % 40;
			for (size_t i = 0; i < ll; i++)
				f[len++] = "ab C_1(;"[(i * 7 + round) % 8];
			f[len++] = '\n';
		}
		seed = seed * 1103515245u + 12345u;
		s = (seed >> 16) % len;
		seed = seed * 1103515245u + 12345u;
		e = s + (seed >> 16) % 50;
		if (e > len)
			e = len;
		seed = seed * 1103515245u + 12345u;
		budget = (seed >> 16) % 700;
		for (int mode = 0; mode < 2; mode++) {
			trw_count_fn fn = mode ? count_bytes : NULL;

			assert_int_equal(trw_window_compute(f, len, s, e, budget, fn, NULL, &w), 0);
			assert_true(w.prefix_start <= s && w.suffix_end >= e && w.suffix_end <= len);
			assert_true(w.prefix_tokens + w.suffix_tokens <= budget);
			if (mode) {
				assert_int_equal(w.prefix_tokens, s - w.prefix_start);
				assert_int_equal(w.suffix_tokens, w.suffix_end - e);
			}
			/* The prefix starts a line, unless it was cut in the line
			 * next to the span. */
			if (w.prefix_start > 0 && f[w.prefix_start - 1] != '\n') {
				const char *nl = memchr(f + w.prefix_start, '\n', s - w.prefix_start);

				/* at most one newline between the cut and the span */
				if (nl)
					assert_null(memchr(nl + 1, '\n', (size_t)(f + s - nl - 1)));
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estimate_values),
		cmocka_unit_test(estimate_monotonic),
		cmocka_unit_test(window_line_boundaries),
		cmocka_unit_test(window_budget_flows),
		cmocka_unit_test(window_span_exact),
		cmocka_unit_test(window_huge_line),
		cmocka_unit_test(window_utf8_boundaries),
		cmocka_unit_test(window_empty_and_invalid),
		cmocka_unit_test(window_whole),
		cmocka_unit_test(window_counts_lines_once),
		cmocka_unit_test(window_count_error),
		cmocka_unit_test(window_property),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
