/*
 * test_compare.c - similarity, the hit decision, stop rules and cuts.
 *
 * Expected similarities were computed with a throwaway Python script that
 * runs a plain LCS dynamic programme over str (code points) and then the
 * arithmetic of fuzzywuzzy 0.18 over python-Levenshtein 0.21:
 * int(round(100 * (1.0 - (len(a)+len(b)-2*lcs) / (len(a)+len(b))))),
 * with fuzz.ratio's own shortcuts (a == b: 100, one empty: 0).  No
 * fuzzywuzzy was involved, and no value was taken from the C code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classifier/compare.h"
#include "common/error.h"

struct sim_row {
	const char *a;
	const char *b;
	int want;
};

static void similarity_known(void **state)
{
	static const struct sim_row rows[] = {
		{ "", "", 100 },
		{ "abc", "", 0 },
		{ "", "abc", 0 },
		{ "abc", "abc", 100 },
		{ "abc", "abd", 67 },
		{ "kitten", "sitting", 62 },
		{ "lewenstein", "levenshtein", 86 },
		{ "abcd", "abcdefghijkl", 50 },
		{ "ab", "ba", 50 },
		{ "hello world", "world hello", 45 },
		{ "café", "cafe", 75 },			/* é is one code point */
		{ "naïve", "naive", 80 },
		{ "é", "e", 0 },
		{ "ÅÅÅ", "AAA", 0 },
		{ "日本語", "日本", 80 },
		{ "日本語のコメント", "日本のコメント", 93 },
		{ "😀🎉", "😀", 67 },			/* 4-byte characters */
		{ "x😀y", "xy", 80 },
		{ "Return the sum of a and b.", "Return the sum of two numbers.", 79 },
		{ "Compute the checksum", "compute checksum", 83 },	/* case counts */
		{ "foo_bar", "foo_baz", 86 },
		{ " abc", "abc", 86 },			/* untrimmed here */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int got = trw_similarity(rows[i].a, strlen(rows[i].a), rows[i].b, strlen(rows[i].b));
		int rev = trw_similarity(rows[i].b, strlen(rows[i].b), rows[i].a, strlen(rows[i].a));

		if (got != rows[i].want || rev != rows[i].want)
			fail_msg("'%s' vs '%s': got %d/%d, want %d", rows[i].a, rows[i].b, got, rev,
			    rows[i].want);
	}
}

static char *repeat(const char *head, char c, size_t n)
{
	size_t h = strlen(head);
	char *s = malloc(h + n + 1);

	assert_non_null(s);
	memcpy(s, head, h);
	memset(s + h, c, n);
	s[h + n] = '\0';
	return s;
}

/*
 * Exact .5 cases, where the rounding decides: Python's round() is half to
 * even on the double 100*(1-d/S), whose last bit sometimes lands above or
 * below the exact half.  (S, LCS) = (16, 1): 12.5 -> 12; (16, 3): 37.5 ->
 * 38; (80, 1): 2.500000000000002 -> 3; (80, 3): 7.499999999999999 -> 7.
 */
static void similarity_rounding(void **state)
{
	char *b1 = repeat("a", 'z', 14);	/* "a" vs 15 chars: S=16, LCS=1 */
	char *b3 = repeat("abc", 'z', 10);	/* S=16, LCS=3 */
	char *c1 = repeat("a", 'b', 78);	/* S=80, LCS=1 */
	char *c3 = repeat("abc", 'x', 74);	/* S=80, LCS=3 */

	(void)state;
	assert_int_equal(trw_similarity("a", 1, b1, strlen(b1)), 12);
	assert_int_equal(trw_similarity("abc", 3, b3, strlen(b3)), 38);
	assert_int_equal(trw_similarity("a", 1, c1, strlen(c1)), 3);
	assert_int_equal(trw_similarity("abc", 3, c3, strlen(c3)), 7);
	assert_int_equal(trw_similarity("abcde", 5, "abcdefghijk", 11), 62);	/* 62.5 */
	assert_int_equal(trw_similarity("abc", 3, "abcdefghijkaa", 13), 38);	/* 37.5 */
	free(b1);
	free(b3);
	free(c1);
	free(c3);
}

static void similarity_invalid_utf8(void **state)
{
	(void)state;
	/* An invalid byte is one code point, equal only to itself. */
	assert_int_equal(trw_similarity("\xff", 1, "\xff", 1), 100);
	assert_int_equal(trw_similarity("\xff", 1, "\xfe", 1), 0);
	assert_int_equal(trw_similarity("\xff", 1, "\xc3\xbf", 2), 0);	/* not U+00FF */
	/* A truncated sequence: 'a' plus one invalid byte vs 'a'. */
	assert_int_equal(trw_similarity("a\xc3", 2, "a", 1), 67);
	/* Overlong '/' and a surrogate are invalid, byte by byte. */
	assert_int_equal(trw_similarity("\xc0\xaf", 2, "/", 1), 0);
	assert_int_equal(trw_similarity("\xed\xa0\x80", 3, "\xed\xa0\x80", 3), 100);
}

/* Plain LCS over code points, no shortcuts, for the property test. */
static size_t naive_lcs(const uint32_t *x, size_t n, const uint32_t *y, size_t m)
{
	size_t *prev = calloc(m + 1, sizeof(size_t)), *cur = calloc(m + 1, sizeof(size_t)), r;

	assert_non_null(prev);
	assert_non_null(cur);
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++)
			cur[j] = x[i - 1] == y[j - 1] ? prev[j - 1] + 1 :
			    cur[j - 1] > prev[j] ? cur[j - 1] : prev[j];
		memcpy(prev, cur, (m + 1) * sizeof(size_t));
	}
	r = prev[m];
	free(prev);
	free(cur);
	return r;
}

/* Random strings over small alphabets of 1- to 4-byte characters, up to
 * 300 code points so that the bit-parallel LCS carries across several
 * 64-bit words: the optimized path (common affixes stripped, shorter side
 * as the bit row) must agree with the naive programme and Python's
 * arithmetic. */
static void similarity_property(void **state)
{
	static const char *const alpha[] = { "a", "b", "c", "é", "日", "😀", "\n", "~" };
	static const uint32_t cps[] = { 'a', 'b', 'c', 0xe9, 0x65e5, 0x1f600, '\n', '~' };
	static char sa[1300], sb[1300];
	static uint32_t ca[300], cb[300];
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t la = 0, lb = 0, na, nb, nalpha, maxlen;
		int want, got;

		seed = seed * 1103515245u + 12345u;
		nalpha = 1 + (seed >> 16) % 8;
		maxlen = round % 3 == 0 ? 300 : round % 3 == 1 ? 70 : 20;
		seed = seed * 1103515245u + 12345u;
		na = (seed >> 16) % (maxlen + 1);
		seed = seed * 1103515245u + 12345u;
		nb = (seed >> 16) % (maxlen + 1);
		for (size_t i = 0; i < na + nb; i++) {
			size_t k;

			seed = seed * 1103515245u + 12345u;
			k = (seed >> 16) % nalpha;
			if (i < na) {
				ca[i] = cps[k];
				memcpy(sa + la, alpha[k], strlen(alpha[k]));
				la += strlen(alpha[k]);
			} else {
				cb[i - na] = cps[k];
				memcpy(sb + lb, alpha[k], strlen(alpha[k]));
				lb += strlen(alpha[k]);
			}
		}
		if (na == 0 && nb == 0) {
			want = 100;
		} else if (na == 0 || nb == 0) {
			want = 0;
		} else {
			size_t s = na + nb, l = naive_lcs(ca, na, cb, nb);
			volatile double nd = (double)(s - 2 * l) / (double)s, ns = 1.0 - nd;
			volatile double pct = 100.0 * ns;

			want = (int)__builtin_nearbyint(pct);
		}
		got = trw_similarity(sa, la, sb, lb);
		if (got != want)
			fail_msg("round %d (%zu vs %zu chars): got %d, want %d", round, na, nb, got,
			    want);
	}
}

/*
 * Past the cell bound the result is a lower bound, computed on the heads:
 * "a"+"bc"*3000 vs "d"+"cb"*3000 share no affix; both middles (6001) are
 * cut to 4096, whose LCS is 4094, so 100*(1-(12002-8188)/12002) -> 68
 * (the exact ratio would be 100).  A short text against a long one stays
 * exact: 20 code points against 500,000 is 10M cells.
 */
static void similarity_bounded(void **state)
{
	size_t n = 6001, big = 500000;
	char *a = malloc(n + 1), *b = malloc(n + 1), *hay = malloc(big + 21);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(hay);
	a[0] = 'a';
	b[0] = 'd';
	for (size_t i = 1; i < n; i++) {
		a[i] = i % 2 ? 'b' : 'c';
		b[i] = i % 2 ? 'c' : 'b';
	}
	assert_int_equal(trw_similarity(a, n, b, n), 68);

	/* "needle....." hidden at the end of 500,000 'x': LCS 20, S 500,040. */
	memset(hay, 'x', big);
	memcpy(hay + big, "0123456789abcdefghij", 20);
	hay[big + 20] = 'y';
	/* 100*(1 - (500041 - 40)/500041) = 0.008 -> 0, and one more char of
	 * difference does not change that: check the LCS through a ratio that
	 * is not 0, a 20-char text against 20 + 39 chars. */
	assert_int_equal(trw_similarity("0123456789abcdefghij", 20, hay + big - 39, 60), 50);
	assert_int_equal(trw_similarity("0123456789abcdefghij", 20, hay, big + 21), 0);
	free(a);
	free(b);
	free(hay);
}

static void trim(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} rows[] = {
		{ "", "" },
		{ "   ", "" },
		{ "\t\r\n x \n\t", "x" },
		{ "a b", "a b" },
		{ "\n\nfoo bar\r\n", "foo bar" },
		{ "\vx\f", "\vx\f" },		/* only space, tab, CR, LF */
		{ " é ", "é" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *s = rows[i].in;
		size_t len = strlen(s);

		trw_text_trim(&s, &len);
		assert_int_equal(len, strlen(rows[i].out));
		assert_memory_equal(s, rows[i].out, len);
	}
}

static void compare_hits(void **state)
{
	static const struct {
		trw_kind kind;
		const char *orig;
		const char *comp;
		int threshold;
		int sim;
		int hit;
	} rows[] = {
		{ TRW_KIND_FUNCTION_NAME, "parse_args", "parse_args", 60, 100, 1 },
		{ TRW_KIND_FUNCTION_NAME, "parse_args", "  parse_args\n", 60, 100, 1 },
		{ TRW_KIND_FUNCTION_NAME, "parse_args", "Parse_args", 60, 90, 0 },
		{ TRW_KIND_CLASS_NAME, "Parser", "Parse", 0, 91, 0 },	/* threshold irrelevant */
		{ TRW_KIND_VARIABLE_NAME, "x", "", 60, 0, 0 },
		/* 200 chars differing in one place: ratio rounds to 100, still no hit */
		{ TRW_KIND_STRING, "hello world", "hello world", 60, 100, 1 },
		{ TRW_KIND_STRING, "hello world", "hello", 60, 62, 1 },
		{ TRW_KIND_STRING, "hello world", "hello", 62, 62, 1 },	/* >= threshold */
		{ TRW_KIND_STRING, "hello world", "hello", 63, 62, 0 },
		{ TRW_KIND_COMMENT, "compute the sum", "\tcompute the sum  ", 60, 100, 1 },
		{ TRW_KIND_COMMENT, "compute the sum", "", 60, 0, 0 },
		{ TRW_KIND_COMMENT, "compute the sum", "", 0, 0, 1 },	/* threshold 0 */
		{ TRW_KIND_DOCSTRING, "Return the sum of a and b.", "Return the sum of two numbers.",
		  80, 79, 0 },
		{ TRW_KIND_DOCSTRING, "Return the sum of a and b.", "Return the sum of two numbers.",
		  TRW_SEMANTIC_THRESHOLD_DEFAULT, 79, 1 },
		{ TRW_KIND_DOCSTRING, "日本語", "日本", 80, 80, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int sim = -1, hit = -1;

		assert_int_equal(trw_compare(rows[i].kind, rows[i].orig, strlen(rows[i].orig),
		    rows[i].comp, strlen(rows[i].comp), rows[i].threshold, &sim, &hit), 0);
		if (sim != rows[i].sim || hit != rows[i].hit)
			fail_msg("row %zu ('%s' vs '%s'): sim %d hit %d, want %d %d", i,
			    rows[i].orig, rows[i].comp, sim, hit, rows[i].sim, rows[i].hit);
	}
}

/* A syntactic hit is equality, not a rounded ratio of 100. */
static void compare_syntactic_is_exact(void **state)
{
	char a[201], b[201];
	int sim, hit;

	(void)state;
	memset(a, 'a', 200);
	memcpy(b, a, 200);
	b[100] = 'b';
	assert_int_equal(trw_compare(TRW_KIND_VARIABLE_NAME, a, 200, b, 200, 60, &sim, &hit), 0);
	assert_int_equal(sim, 100);	/* 99.5 rounds up */
	assert_int_equal(hit, 0);
	assert_int_equal(trw_compare(TRW_KIND_STRING, a, 200, b, 200, 100, &sim, &hit), 0);
	assert_int_equal(hit, 1);
}

static void compare_rejects(void **state)
{
	int sim, hit;

	(void)state;
	assert_int_equal(trw_compare(TRW_KIND__COUNT, "a", 1, "a", 1, 60, &sim, &hit),
	    TRW_EINVALID);
	assert_int_equal(trw_compare((trw_kind)-1, "a", 1, "a", 1, 60, &sim, &hit), TRW_EINVALID);
	assert_int_equal(trw_compare(TRW_KIND_STRING, "a", 1, "a", 1, 101, &sim, &hit),
	    TRW_EINVALID);
	assert_int_equal(trw_compare(TRW_KIND_STRING, "a", 1, "a", 1, -1, &sim, &hit),
	    TRW_EINVALID);
	assert_int_equal(trw_compare(TRW_KIND_STRING, NULL, 1, "a", 1, 60, &sim, &hit),
	    TRW_EINVALID);
}

/*
 * Stop rules from the file's bytes.  S marks the span's start and E its
 * end (bytes 1 and 2, removed before the call).
 */
#define S "\x01"
#define E "\x02"
struct stop_row {
	trw_kind kind;
	const char *file;
	trw_stop_mode mode;
	const char *delim;
};

static void run_stop_rows(const struct stop_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char buf[512];
		size_t len = 0, start = 0, end = 0;
		trw_stop st;

		for (const char *p = rows[i].file; *p; p++) {
			if (*p == '\x01')
				start = len;
			else if (*p == '\x02')
				end = len;
			else
				buf[len++] = *p;
		}
		assert_int_equal(trw_stop_for_candidate(rows[i].kind, buf, len, start, end, &st), 0);
		if (st.mode != rows[i].mode ||
		    (st.mode == TRW_STOP_DELIM && strcmp(st.delim, rows[i].delim) != 0))
			fail_msg("row %zu: mode %d delim '%s', want %d '%s'", i, (int)st.mode,
			    st.delim, (int)rows[i].mode, rows[i].delim ? rows[i].delim : "");
	}
}

static void stop_rules(void **state)
{
	static const struct stop_row rows[] = {
		/* names */
		{ TRW_KIND_FUNCTION_NAME, "def " S "add" E "(a, b):\n", TRW_STOP_IDENT, NULL },
		{ TRW_KIND_CLASS_NAME, "class " S "P" E ":", TRW_STOP_IDENT, NULL },
		{ TRW_KIND_VARIABLE_NAME, "" S "x" E " = 1", TRW_STOP_IDENT, NULL },
		/* strings: the closing delimiter, not what follows it */
		{ TRW_KIND_STRING, "s = \"" S "hello" E "\")\n", TRW_STOP_DELIM, "\"" },
		{ TRW_KIND_STRING, "f('" S "it" E "', 2)", TRW_STOP_DELIM, "'" },
		{ TRW_KIND_STRING, "x = \"\"\"" S "multi\nline" E "\"\"\"\n", TRW_STOP_DELIM, "\"\"\"" },
		{ TRW_KIND_STRING, "x = '''" S "q" E "''')", TRW_STOP_DELIM, "'''" },
		{ TRW_KIND_STRING, "let t = `" S "a ${b}" E "`;\n", TRW_STOP_DELIM, "`" },
		{ TRW_KIND_STRING, "let r = r#\"" S "raw \"q\"" E "\"#;\n", TRW_STOP_DELIM, "\"#" },
		{ TRW_KIND_STRING, "let r = r##\"" S "x" E "\"##;", TRW_STOP_DELIM, "\"##" },
		{ TRW_KIND_STRING, "auto s = R\"xy(" S "a\nb" E ")xy\";\n", TRW_STOP_DELIM, ")xy\"" },
		{ TRW_KIND_STRING, "auto s = R\"(" S "a" E ")\";\n", TRW_STOP_DELIM, ")\"" },
		/* a C++ raw-string tag too long for 15 bytes keeps its head */
		{ TRW_KIND_STRING, "R\"abcdefghijklmnop(" S "x" E ")abcdefghijklmnop\";",
		  TRW_STOP_DELIM, ")abcdefghijklmn" },
		{ TRW_KIND_STRING, "a = \"" S "x" E "\"\"y\"", TRW_STOP_DELIM, "\"" },
		{ TRW_KIND_STRING, "String s = \"\"\"\n    " S "text" E "\n    \"\"\";", TRW_STOP_DELIM,
		  "\"\"\"" },
		/* comments: line comments stop at the newline */
		{ TRW_KIND_COMMENT, "x = 1  # " S "note" E "\ny = 2\n", TRW_STOP_NEWLINE, NULL },
		{ TRW_KIND_COMMENT, "// " S "last line" E "", TRW_STOP_NEWLINE, NULL },	/* EOF */
		{ TRW_KIND_COMMENT, "// " S "trailing" E "  \r\n", TRW_STOP_NEWLINE, NULL },
		/* block comments at their closing marker */
		{ TRW_KIND_COMMENT, "int x; /* " S "note" E " */ int y;", TRW_STOP_DELIM, "*/" },
		{ TRW_KIND_COMMENT, "f(/* " S "arg" E " */);", TRW_STOP_DELIM, "*/" },
		{ TRW_KIND_COMMENT, "/* " S "one\n   two" E " */\n", TRW_STOP_DELIM, "*/" },
		{ TRW_KIND_COMMENT, "/*\n * " S "one\n * two" E "\n */\n", TRW_STOP_DELIM, "*/" },
		/* a one-line body whose marker is on the next line: that line */
		{ TRW_KIND_COMMENT, "/*\n * " S "only" E "\n */\n", TRW_STOP_NEWLINE, NULL },
		/* docstrings */
		{ TRW_KIND_DOCSTRING, "    \"\"\"" S "Sum." E "\"\"\"\n", TRW_STOP_DELIM, "\"\"\"" },
		{ TRW_KIND_DOCSTRING, "    \"\"\"" S "Sum.\n\n    More." E "\n    \"\"\"\n",
		  TRW_STOP_DELIM, "\"\"\"" },
		{ TRW_KIND_DOCSTRING, "    \"\"\"\n    " S "Sum." E "\n    \"\"\"\n", TRW_STOP_NEWLINE,
		  NULL },
		{ TRW_KIND_DOCSTRING, "/** " S "Adds.\n * @param a" E "\n */", TRW_STOP_DELIM, "*/" },
		{ TRW_KIND_DOCSTRING, "/// " S "Adds." E "\nfn add() {}\n", TRW_STOP_NEWLINE, NULL },
		/* no delimiter at the suffix's head */
		{ TRW_KIND_DOCSTRING, "// " S "a\n// b" E "\nfunc Add() {}\n", TRW_STOP_DELIM,
		  "func Add() {}" },
		{ TRW_KIND_DOCSTRING, "// " S "a\n// b" E "\nfunction_with_a_long_name()\n",
		  TRW_STOP_DELIM, "function_with_a" },
		{ TRW_KIND_DOCSTRING, "// " S "a\n// b" E "\n\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9()\n", TRW_STOP_DELIM,
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" },	/* 14 bytes */
		{ TRW_KIND_STRING, "x = " S "unterminated" E "", TRW_STOP_NEWLINE, NULL },
		{ TRW_KIND_COMMENT, "/* " S "a\nb" E "", TRW_STOP_NEWLINE, NULL },
		{ TRW_KIND_STRING, "" S "" E "", TRW_STOP_NEWLINE, NULL },
	};

	(void)state;
	run_stop_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void stop_rejects(void **state)
{
	trw_stop st;

	(void)state;
	assert_int_equal(trw_stop_for_candidate(TRW_KIND_STRING, "abc", 3, 2, 1, &st),
	    TRW_EINVALID);
	assert_int_equal(trw_stop_for_candidate(TRW_KIND_STRING, "abc", 3, 1, 4, &st),
	    TRW_EINVALID);
	assert_int_equal(trw_stop_for_candidate(TRW_KIND__COUNT, "abc", 3, 1, 2, &st),
	    TRW_EINVALID);
	assert_int_equal(trw_stop_for_candidate(TRW_KIND_STRING, "abc", 3, 1, 2, NULL),
	    TRW_EINVALID);
}

static trw_stop mkstop(trw_stop_mode mode, const char *delim)
{
	trw_stop st;

	memset(&st, 0, sizeof(st));
	st.mode = mode;
	if (delim)
		strcpy(st.delim, delim);
	return st;
}

static void completion_cuts(void **state)
{
	static const struct {
		trw_stop_mode mode;
		const char *delim;
		const char *text;
		size_t want;
	} rows[] = {
		{ TRW_STOP_IDENT, NULL, "add(a, b)", 3 },
		{ TRW_STOP_IDENT, NULL, " add(a, b)", 4 },		/* leading space kept */
		{ TRW_STOP_IDENT, NULL, "\t$el_2 = 1", 6 },
		{ TRW_STOP_IDENT, NULL, "caf\xc3\xa9 = 1", 5 },	/* UTF-8 is identifier */
		{ TRW_STOP_IDENT, NULL, "(x)", 0 },
		{ TRW_STOP_IDENT, NULL, "\nx", 0 },
		{ TRW_STOP_IDENT, NULL, "", 0 },
		{ TRW_STOP_IDENT, NULL, "name", 4 },
		{ TRW_STOP_NEWLINE, NULL, "a note\nnext", 6 },
		{ TRW_STOP_NEWLINE, NULL, "\nnext", 0 },
		{ TRW_STOP_NEWLINE, NULL, "no newline", 10 },
		{ TRW_STOP_DELIM, "\"", "hello\")", 5 },
		{ TRW_STOP_DELIM, "\"\"\"", "Sum.\n    \"\"\"\n", 9 },
		{ TRW_STOP_DELIM, "*/", "note */ int", 5 },
		{ TRW_STOP_DELIM, "*/", "a * b / c", 9 },
		{ TRW_STOP_DELIM, "\"#", "say \"hi\" \"#;", 9 },
		{ TRW_STOP_DELIM, ")xy\"", "a)x)xy\"", 3 },
		{ TRW_STOP_DELIM, "ab", "a", 1 },
		{ TRW_STOP_NONE, NULL, "anything\n\"*/", 12 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		trw_stop st = mkstop(rows[i].mode, rows[i].delim);
		size_t got = trw_completion_cut(&st, rows[i].text, strlen(rows[i].text));

		if (got != rows[i].want)
			fail_msg("row %zu '%s': cut %zu, want %zu", i, rows[i].text, got, rows[i].want);
	}
}

/* A server given trw_stop_server_string() cuts at its first occurrence;
 * cutting there first must not change the client's cut. */
static void server_stop_agrees(void **state)
{
	static const char chars[] = "ab_ \t\n\"*/#)xy$\xc3\xa9";
	const trw_stop stops[] = {
		mkstop(TRW_STOP_IDENT, NULL), mkstop(TRW_STOP_NEWLINE, NULL),
		mkstop(TRW_STOP_DELIM, "\""), mkstop(TRW_STOP_DELIM, "*/"),
		mkstop(TRW_STOP_DELIM, ")xy\""), mkstop(TRW_STOP_NONE, NULL),
	};
	uint32_t seed = 7;

	(void)state;
	assert_null(trw_stop_server_string(&stops[5]));
	assert_string_equal(trw_stop_server_string(&stops[0]), "\n");
	assert_string_equal(trw_stop_server_string(&stops[3]), "*/");
	for (int round = 0; round < 3000; round++) {
		char text[24];
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(text);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = chars[(seed >> 16) % (sizeof(chars) - 1)];
		}
		for (size_t k = 0; k < sizeof(stops) / sizeof(stops[0]); k++) {
			const char *ss = trw_stop_server_string(&stops[k]);
			size_t server = n, full, after;

			if (ss) {
				const char *hit = memmem(text, n, ss, strlen(ss));

				server = hit ? (size_t)(hit - text) : n;
			}
			full = trw_completion_cut(&stops[k], text, n);
			after = trw_completion_cut(&stops[k], text, server);
			if (full != after)
				fail_msg("stop %zu, round %d: %zu vs %zu", k, round, full, after);
		}
	}
}

static void kind_budgets(void **state)
{
	(void)state;
	assert_int_equal(trw_kind_max_tokens(TRW_KIND_FUNCTION_NAME), 16);
	assert_int_equal(trw_kind_max_tokens(TRW_KIND_CLASS_NAME), 16);
	assert_int_equal(trw_kind_max_tokens(TRW_KIND_VARIABLE_NAME), 16);
	assert_int_equal(trw_kind_max_tokens(TRW_KIND_STRING), 64);
	assert_int_equal(trw_kind_max_tokens(TRW_KIND_COMMENT), 64);
	assert_int_equal(trw_kind_max_tokens(TRW_KIND_DOCSTRING), 128);
	assert_int_equal(trw_kind_max_tokens(TRW_KIND__COUNT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(similarity_known),
		cmocka_unit_test(similarity_rounding),
		cmocka_unit_test(similarity_invalid_utf8),
		cmocka_unit_test(similarity_property),
		cmocka_unit_test(similarity_bounded),
		cmocka_unit_test(trim),
		cmocka_unit_test(compare_hits),
		cmocka_unit_test(compare_syntactic_is_exact),
		cmocka_unit_test(compare_rejects),
		cmocka_unit_test(stop_rules),
		cmocka_unit_test(stop_rejects),
		cmocka_unit_test(completion_cuts),
		cmocka_unit_test(server_stop_agrees),
		cmocka_unit_test(kind_budgets),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
