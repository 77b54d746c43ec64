/*
 * test_pattern.c - gitignore-syntax patterns, one table per rule.
 *
 * Each row is checked on its own; a failing row is printed with its
 * inputs before the test fails, so one run shows every broken row.
 * The expected values are git's (checked against `git check-ignore`
 * where the rule is gitignore's, against wildmatch for bare globs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"
#include "extractor/pattern.h"

struct glob_row {
	const char *glob;
	const char *path;
	int want;
};

static void run_globs(const struct glob_row *rows, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		int got = trw_glob_match(rows[i].glob, rows[i].path);

		if (got != rows[i].want) {
			print_error("glob '%s' vs '%s': got %d, want %d\n",
			    rows[i].glob, rows[i].path, got, rows[i].want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

#define RUN_GLOBS(rows) run_globs(rows, sizeof(rows) / sizeof(rows[0]))

static void glob_literal(void **state)
{
	static const struct glob_row rows[] = {
		{ "abc", "abc", 1 },
		{ "abc", "abcd", 0 },
		{ "abc", "ab", 0 },
		{ "a/b", "a/b", 1 },
		{ "", "", 1 },
		{ "", "a", 0 },
		{ "\\*", "*", 1 },
		{ "\\*", "a", 0 },
		{ "\\?x", "?x", 1 },
		{ "\\[a]", "[a]", 1 },
		{ "foo\\", "foo", 0 },		/* trailing backslash matches nothing */
		{ "foo\\", "foo\\", 0 },
		{ "Abc", "abc", 0 },		/* case-sensitive */
	};

	(void)state;
	RUN_GLOBS(rows);
}

static void glob_star_question(void **state)
{
	static const struct glob_row rows[] = {
		{ "*", "", 1 },
		{ "*", "abc", 1 },
		{ "*", "a/b", 0 },		/* '*' stops at '/' */
		{ "*.c", "a.c", 1 },
		{ "*.c", ".c", 1 },
		{ "*.c", "a.h", 0 },
		{ "*.c", "dir/a.c", 0 },
		{ "a*", "a", 1 },
		{ "a*b", "a", 0 },
		{ "a*b*c", "aXbYc", 1 },
		{ "a*b*c", "aXbY", 0 },
		{ "*/b", "a/b", 1 },
		{ "*/b", "a/c/b", 0 },
		{ "a/*", "a/b", 1 },
		{ "a/*", "a/b/c", 0 },
		{ "a/*/c", "a/b/c", 1 },
		{ "a?c", "abc", 1 },
		{ "a?c", "ac", 0 },
		{ "a?c", "a/c", 0 },		/* '?' never matches '/' */
		{ "??", "ab", 1 },
		{ "??", "abc", 0 },
		/* no exponential blow-up on repeated stars */
		{ "a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
		{ "*a*a*a*a*a*a*a*a*/b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/c", 0 },
	};

	(void)state;
	RUN_GLOBS(rows);
}

static void glob_class(void **state)
{
	static const struct glob_row rows[] = {
		{ "[abc].c", "b.c", 1 },
		{ "[abc].c", "d.c", 0 },
		{ "[!abc].c", "b.c", 0 },
		{ "[!abc].c", "d.c", 1 },
		{ "[^abc]", "d", 1 },
		{ "[^abc]", "a", 0 },
		{ "[a-c]x", "bx", 1 },
		{ "[a-c]x", "dx", 0 },
		{ "[a-c-e]", "-", 1 },		/* a range cannot start another */
		{ "[a-c-e]", "d", 0 },
		{ "[-a]", "-", 1 },		/* leading '-' is literal */
		{ "[a-]", "-", 1 },		/* trailing '-' is literal */
		{ "[]]", "]", 1 },		/* ']' first is a member */
		{ "[!]]", "]", 0 },
		{ "[!]]", "a", 1 },
		{ "[\\]]", "]", 1 },
		{ "[[:digit:]]x", "5x", 1 },
		{ "[[:digit:]]x", "ax", 0 },
		{ "[[:alpha:][:digit:]]", "z", 1 },
		{ "[![:space:]]", " ", 0 },
		{ "[[:upper:]]", "a", 0 },
		{ "[[:bogus:]]", "a", 0 },	/* unknown class: no match */
		{ "[[:x]", "[", 1 },		/* no ":]": '[' is a member */
		{ "[/]", "/", 0 },		/* a class never matches '/' */
		{ "[!a]", "/", 0 },
		{ "[a", "[a", 0 },		/* unterminated: no match */
		{ "[a", "a", 0 },
		{ "[abc", "b", 0 },
	};

	(void)state;
	RUN_GLOBS(rows);
}

static void glob_double_star(void **state)
{
	static const struct glob_row rows[] = {
		{ "**", "", 1 },
		{ "**", "a", 1 },
		{ "**", "a/b/c", 1 },
		{ "**/x", "x", 1 },
		{ "**/x", "a/x", 1 },
		{ "**/x", "a/b/x", 1 },
		{ "**/x", "a/bx", 0 },
		{ "**/x", "x/a", 0 },
		{ "a/**", "a/x", 1 },
		{ "a/**", "a/x/y", 1 },
		{ "a/**", "a", 0 },
		{ "a/**", "ab/x", 0 },
		{ "a/**/b", "a/b", 1 },		/* zero directories */
		{ "a/**/b", "a/x/b", 1 },
		{ "a/**/b", "a/x/y/b", 1 },
		{ "a/**/b", "ab", 0 },
		{ "a/**/b", "a/x/yb", 0 },
		{ "a/**/*.c", "a/x/y/z.c", 1 },
		{ "a/**/*.c", "a/z.c", 1 },
		{ "a/**/*.c", "a/x/z.h", 0 },
		{ "**/a/**", "x/a/y/z", 1 },
		/* not a whole component: an ordinary '*' */
		{ "a**b", "axxb", 1 },
		{ "a**b", "a/b", 0 },
		{ "**a", "xa", 1 },
		{ "**a", "x/a", 0 },
		{ "a/**b", "a/xb", 1 },
		{ "a/**b", "a/x/b", 0 },
		{ "***/x", "a/b/x", 1 },	/* a run of stars is one '**' */
	};

	(void)state;
	RUN_GLOBS(rows);
}

/* One gitignore case: a text, a path, and whether it is excluded. */
struct ignore_row {
	const char *base;
	const char *text;
	const char *path;
	int is_dir;
	int want;
};

static void run_ignores(const struct ignore_row *rows, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		trw_patterns *p = NULL;
		int got;

		assert_int_equal(trw_patterns_new(&p), 0);
		assert_int_equal(trw_patterns_add_text(p, rows[i].base,
		    rows[i].text, strlen(rows[i].text)), 0);
		got = trw_patterns_match(p, rows[i].path, rows[i].is_dir);
		if (got != rows[i].want) {
			print_error("patterns \"%s\" (base '%s') vs '%s'%s: got %d, want %d\n",
			    rows[i].text, rows[i].base, rows[i].path,
			    rows[i].is_dir ? " (dir)" : "", got, rows[i].want);
			failed++;
		}
		trw_patterns_free(p);
	}
	assert_int_equal(failed, 0);
}

#define RUN_IGNORES(rows) run_ignores(rows, sizeof(rows) / sizeof(rows[0]))

static void ignore_comments_blanks(void **state)
{
	static const struct ignore_row rows[] = {
		{ "", "", "a", 0, 0 },
		{ "", "\n\n   \n", "a", 0, 0 },
		{ "", "# a\n", "a", 0, 0 },
		{ "", "#a\n", "#a", 0, 0 },		/* a comment, not a pattern */
		{ "", "\\#a\n", "#a", 0, 1 },		/* escaped '#' */
		{ "", " #a\n", " #a", 0, 1 },		/* '#' not first: a pattern */
		{ "", "a   \n", "a", 0, 1 },		/* trailing blanks trimmed */
		{ "", "a\\ \n", "a ", 0, 1 },		/* an escaped blank stays */
		{ "", "a\\ \n", "a", 0, 0 },
		{ "", "a\r\nb\r\n", "a", 0, 1 },	/* CRLF */
		{ "", "a\r\nb\r\n", "b", 0, 1 },
		{ "", "a", "a", 0, 1 },			/* no final newline */
		{ "", "/\n", "a", 0, 0 },		/* "/" alone matches nothing */
		{ "", "!\n", "a", 0, 0 },
	};

	(void)state;
	RUN_IGNORES(rows);
}

static void ignore_negation(void **state)
{
	static const struct ignore_row rows[] = {
		{ "", "*.c\n!keep.c\n", "keep.c", 0, 0 },
		{ "", "*.c\n!keep.c\n", "x.c", 0, 1 },
		{ "", "*.c\n!keep.c\n", "d/keep.c", 0, 0 },
		{ "", "!keep.c\n*.c\n", "keep.c", 0, 1 },	/* last match wins */
		{ "", "a\n!a\na\n", "a", 0, 1 },
		{ "", "a\n!a\n", "a", 0, 0 },
		{ "", "\\!a\n", "!a", 0, 1 },			/* escaped '!' */
		{ "", "\\!a\n", "a", 0, 0 },
		{ "", "!a\n", "a", 0, 0 },			/* negation alone */
	};

	(void)state;
	RUN_IGNORES(rows);
}

static void ignore_dir_only(void **state)
{
	static const struct ignore_row rows[] = {
		{ "", "build/\n", "build", 1, 1 },
		{ "", "build/\n", "build", 0, 0 },		/* a file named build */
		{ "", "build/\n", "build/x.c", 0, 1 },		/* inside it */
		{ "", "build/\n", "src/build/x.c", 0, 1 },	/* at any depth */
		{ "", "build/\n", "src/build", 0, 0 },
		{ "", "build/\n", "buildx/x.c", 0, 0 },
		{ "", "a/b/\n", "a/b/c", 0, 1 },		/* anchored, dir only */
		{ "", "a/b/\n", "x/a/b/c", 0, 0 },
		{ "", "*/\n", "x", 0, 0 },			/* all directories */
		{ "", "*/\n", "d/x", 0, 1 },
	};

	(void)state;
	RUN_IGNORES(rows);
}

static void ignore_anchoring(void **state)
{
	static const struct ignore_row rows[] = {
		{ "", "/build\n", "build", 0, 1 },
		{ "", "/build\n", "build/x", 0, 1 },
		{ "", "/build\n", "src/build", 0, 0 },
		{ "", "build\n", "src/build", 0, 1 },		/* no slash: any depth */
		{ "", "doc/*.txt\n", "doc/a.txt", 0, 1 },	/* inner slash anchors */
		{ "", "doc/*.txt\n", "x/doc/a.txt", 0, 0 },
		{ "", "doc/*.txt\n", "doc/sub/a.txt", 0, 0 },
		{ "", "*.log\n", "a/b/c.log", 0, 1 },
		{ "", "a?c\n", "x/abc", 0, 1 },
		{ "", "[ab]\n", "x/b", 0, 1 },
		{ "", "/*.c\n", "a.c", 0, 1 },
		{ "", "/*.c\n", "d/a.c", 0, 0 },
		/* a base directory: patterns are relative to it */
		{ "sub", "*.c\n", "sub/a.c", 0, 1 },
		{ "sub", "*.c\n", "sub/d/a.c", 0, 1 },
		{ "sub", "*.c\n", "a.c", 0, 0 },
		{ "sub", "*.c\n", "subx/a.c", 0, 0 },
		{ "sub", "/x\n", "sub/x", 0, 1 },
		{ "sub", "/x\n", "sub/y/x", 0, 0 },
		{ "sub/", "d/x\n", "sub/d/x", 0, 1 },
		{ "a/b", "c\n", "a/b/c", 0, 1 },
		{ "a/b", "c\n", "a/c", 0, 0 },
	};

	(void)state;
	RUN_IGNORES(rows);
}

static void ignore_double_star(void **state)
{
	static const struct ignore_row rows[] = {
		{ "", "**/foo\n", "foo", 0, 1 },
		{ "", "**/foo\n", "a/b/foo", 0, 1 },
		{ "", "**/foo/bar\n", "a/foo/bar", 0, 1 },
		{ "", "**/foo/bar\n", "foo/bar", 0, 1 },
		{ "", "**/foo/bar\n", "a/foo/x/bar", 0, 0 },
		{ "", "foo/**\n", "foo/a", 0, 1 },
		{ "", "foo/**\n", "foo/a/b", 0, 1 },
		{ "", "foo/**\n", "foo", 1, 0 },		/* not the directory itself */
		{ "", "foo/**\n", "x/foo/a", 0, 0 },
		{ "", "a/**/b\n", "a/b", 0, 1 },
		{ "", "a/**/b\n", "a/x/y/b", 0, 1 },
		{ "", "a/**/b\n", "a/x/y/b/c", 0, 1 },		/* b is a parent */
		{ "", "a/**/b\n", "x/a/b", 0, 0 },
	};

	(void)state;
	RUN_IGNORES(rows);
}

static void ignore_parent_excluded(void **state)
{
	static const struct ignore_row rows[] = {
		/* a file in an excluded directory cannot be re-included */
		{ "", "dir/\n!dir/keep.c\n", "dir/keep.c", 0, 1 },
		{ "", "dir\n!dir/keep.c\n", "dir/keep.c", 0, 1 },
		{ "", "dir/\n!keep.c\n", "dir/keep.c", 0, 1 },
		/* ... but the contents of a directory can be */
		{ "", "dir/*\n!dir/keep.c\n", "dir/keep.c", 0, 0 },
		{ "", "dir/*\n!dir/keep.c\n", "dir/other.c", 0, 1 },
		{ "", "dir/**\n!dir/keep.c\n", "dir/keep.c", 0, 0 },
		{ "", "dir/*\n!dir/keep.c\n", "dir/sub/keep.c", 0, 1 },
		/* a directory itself can be re-included, then its files */
		{ "", "*\n!*/\n!*.c\n", "src/a.c", 0, 0 },
		{ "", "*\n!*/\n!*.c\n", "src/a.h", 0, 1 },
		{ "", "*\n!src/\n", "src/a.h", 0, 1 },	/* '*' matches a.h itself */
		{ "", "build/\n!build/\n", "build/x", 0, 0 },
		{ "", "a/\n", "a/b/c/d/e", 0, 1 },
		{ "", "c/\n", "a/b/c/d/e", 0, 1 },
		{ "", "e/\n", "a/b/c/d/e", 0, 0 },
		{ "", "e/\n", "a/b/c/d/e", 1, 1 },
	};

	(void)state;
	RUN_IGNORES(rows);
}

static void decide_without_parents(void **state)
{
	static const struct {
		const char *text;
		const char *path;
		int want;
	} rows[] = {
		{ "*.c\n", "a.c", 1 },
		{ "*.c\n", "a.h", 0 },
		{ "*.c\n!x.c\n", "x.c", 2 },
		{ "!x.c\n*.c\n", "x.c", 1 },
		{ "vendor/\n", "vendor/a.c", 0 },	/* a directory says nothing of its files */
		{ "vendor/**\n!vendor/sub/a.c\n", "vendor/sub/a.c", 2 },
		{ "vendor/**\n", "vendor/sub/a.c", 1 },
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		trw_patterns *p = NULL;
		int got;

		assert_int_equal(trw_patterns_new(&p), 0);
		assert_int_equal(trw_patterns_add_text(p, "", rows[i].text,
		    strlen(rows[i].text)), 0);
		got = trw_patterns_decide(p, rows[i].path, 0);
		if (got != rows[i].want) {
			print_error("decide \"%s\" vs '%s': got %d, want %d\n",
			    rows[i].text, rows[i].path, got, rows[i].want);
			failed++;
		}
		trw_patterns_free(p);
	}
	assert_int_equal(failed, 0);
}

static void api_edges(void **state)
{
	trw_patterns *p = NULL;
	char line[5000];

	(void)state;
	trw_patterns_free(NULL);

	assert_int_equal(trw_patterns_new(&p), 0);
	assert_int_equal(trw_patterns_match(p, "anything", 0), 0);

	/* one pattern at a time, with NULL as the root */
	assert_int_equal(trw_patterns_add(p, NULL, "*.o"), 0);
	assert_int_equal(trw_patterns_add(p, "", "!keep.o"), 0);
	assert_int_equal(trw_patterns_match(p, "x/a.o", 0), 1);
	assert_int_equal(trw_patterns_match(p, "x/keep.o", 0), 0);

	/* a length-bounded text: the byte after `len` is not read */
	assert_int_equal(trw_patterns_add_text(p, "", "zz\nyy", 2), 0);
	assert_int_equal(trw_patterns_match(p, "zz", 0), 1);
	assert_int_equal(trw_patterns_match(p, "yy", 0), 0);

	/* over-long lines are refused, with a message */
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(trw_patterns_add(p, "", line), TRW_EINVALID);
	assert_int_equal(trw_patterns_add_text(p, "", line, strlen(line)), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "too long"));
	trw_patterns_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(glob_literal),
		cmocka_unit_test(glob_star_question),
		cmocka_unit_test(glob_class),
		cmocka_unit_test(glob_double_star),
		cmocka_unit_test(ignore_comments_blanks),
		cmocka_unit_test(ignore_negation),
		cmocka_unit_test(ignore_dir_only),
		cmocka_unit_test(ignore_anchoring),
		cmocka_unit_test(ignore_double_star),
		cmocka_unit_test(ignore_parent_excluded),
		cmocka_unit_test(decide_without_parents),
		cmocka_unit_test(api_edges),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
