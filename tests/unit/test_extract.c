/* test_extract.c - the extractor on small Python inputs: spans, kinds,
 * positions, the trivial-element rule, predicates, and query errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"
#include "extractor/extract.h"
#include "extractor/lang.h"

static trw_extractor *ex;
static const trw_lang *py;

static int setup(void **state)
{
	(void)state;
	py = trw_lang_by_name("python");
	return trw_extractor_new(&ex, NULL);
}

static int teardown(void **state)
{
	(void)state;
	trw_extractor_free(ex);
	return 0;
}

/* Render a result as "line:col kind text" lines, for whole-output asserts. */
static const char *render(const char *src, const trw_extract_result *r)
{
	static char out[4096];
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->count; i++) {
		const trw_candidate *c = &r->candidates[i];
		int len = (int)(c->end_byte - c->start_byte);

		/* the span is exact: text is bytes[start:end] */
		assert_ptr_equal(c->text, src + c->start_byte);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%u:%u %s %.*s\n",
		    c->line, c->col, trw_kind_name(c->kind), len, c->text);
		assert_true(n < sizeof(out));
	}
	return out;
}

static const trw_extract_result *run(const char *src)
{
	const trw_extract_result *r = NULL;

	if (trw_extractor_run(ex, py, src, strlen(src), &r) != 0)
		fail_msg("extract failed: %s", trw_error_last());
	return r;
}

static void test_every_occurrence_on_a_line(void **state)
{
	const char *src = "a = \"alpha\"; b = \"beta\"\nprint(\"gamma\", \"delta\")\n";

	(void)state;
	assert_string_equal(render(src, run(src)),
	    "1:1 variable_name a\n"
	    "1:6 string alpha\n"
	    "1:14 variable_name b\n"
	    "1:19 string beta\n"
	    "2:8 string gamma\n"
	    "2:17 string delta\n");
}

static void test_keyword_in_comment_is_not_a_class(void **state)
{
	const char *src = "# class Handler: not code\nx_val = 3; x = 4\n";

	(void)state;
	assert_string_equal(render(src, run(src)),
	    "1:3 comment class Handler: not code\n"
	    "2:1 variable_name x_val\n"
	    "2:12 variable_name x\n");
}

static void test_multiline_signature_and_docstrings(void **state)
{
	const char *src =
	    "\"\"\"Module doc.\"\"\"\n"
	    "def handle(\n"
	    "        request,\n"
	    "        *, timeout=3):\n"
	    "    '''\n"
	    "    Handle it.\n"
	    "    '''\n"
	    "    return r'raw\\d'\n"
	    "class Outer(Base):\n"
	    "    # a comment first\n"
	    "    \"\"\"Outer doc.\"\"\"\n";

	(void)state;
	assert_string_equal(render(src, run(src)),
	    "1:4 docstring Module doc.\n"
	    "2:5 function_name handle\n"
	    "6:5 docstring Handle it.\n"
	    "8:14 string raw\\d\n"
	    "9:7 class_name Outer\n"
	    "10:7 comment a comment first\n"
	    "11:8 docstring Outer doc.\n");
}

static void test_trivial_elements_are_dropped(void **state)
{
	const char *src =
	    "a = ''\nb = \"x\"\nc = \"xy\"\n# ------\n#\nd = f\"{a}{b}\"\ne = 'é'\ng = 'éa'\n";
	const trw_extract_result *r;

	(void)state;
	r = run(src);
	assert_string_equal(render(src, r),
	    "1:1 variable_name a\n"
	    "2:1 variable_name b\n"
	    "3:1 variable_name c\n"
	    "3:6 string xy\n"
	    "6:1 variable_name d\n"
	    "6:7 string {a}{b}\n"
	    "7:1 variable_name e\n"
	    "8:1 variable_name g\n"
	    "8:6 string éa\n");
	/* '', "x", "# ------", "#", 'é' */
	assert_int_equal(r->dropped, 5);
}

static void test_syntax_errors_yield_what_was_recovered(void **state)
{
	const char *src = "def ok():\n    return 'fine'\n\ndef broken(:\n    x = 'still'\n";
	const trw_extract_result *r;

	(void)state;
	r = run(src);
	assert_true(r->has_error);
	assert_non_null(strstr(render(src, r), "1:5 function_name ok\n"));
	assert_non_null(strstr(render(src, r), "2:13 string fine\n"));
}

static void test_kind_mask(void **state)
{
	trw_extract_options o = TRW_EXTRACT_OPTIONS_INIT;
	trw_extractor *only;
	const trw_extract_result *r;
	const char *src = "def f():\n    x = 'str'  # note\n";

	(void)state;
	o.kinds = 1u << TRW_KIND_COMMENT;
	assert_int_equal(trw_extractor_new(&only, &o), 0);
	assert_int_equal(trw_extractor_run(only, py, src, strlen(src), &r), 0);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->candidates[0].kind, TRW_KIND_COMMENT);
	trw_extractor_free(only);
}

static void test_predicates(void **state)
{
	static const char q[] =
	    "((identifier) @variable.name (#eq? @variable.name \"self\"))\n"
	    "((identifier) @function.name (#match? @function.name \"^test_[a-z]+$\"))\n"
	    "((identifier) @class.name (#any-of? @class.name \"Alpha\" \"Beta\"))\n"
	    "((comment) @comment (#not-match? @comment \"TODO\") (#trim! @comment \"^#[ ]*\" \"\"))\n"
	    "((string) @string (#trim! @string \"^\\\"\" \"\\\"$\"))\n";
	const char *src = "self; other; test_one; test_Two; Alpha; Gamma\n# TODO skip\n# keep me\n\"quoted\"\n";
	trw_extractor *e2;
	const trw_extract_result *r;

	(void)state;
	assert_int_equal(trw_extractor_new(&e2, NULL), 0);
	if (trw_extractor_set_query(e2, py, "t.scm", q, strlen(q)) != 0)
		fail_msg("%s", trw_error_last());
	assert_int_equal(trw_extractor_run(e2, py, src, strlen(src), &r), 0);
	assert_string_equal(render(src, r),
	    "1:1 variable_name self\n"
	    "1:14 function_name test_one\n"
	    "1:34 class_name Alpha\n"
	    "3:3 comment keep me\n"
	    "4:2 string quoted\n");
	trw_extractor_free(e2);
}

static void test_query_errors_name_file_line_col(void **state)
{
	static const struct {
		const char *query;
		const char *want;
	} bad[] = {
		{ "(comment) @comment\n  (identifier) @frob\n", "t.scm:2:16: unknown capture @frob" },
		{ "(comment) @comment\n((identifier) @_x (#foo? @_x \"a\"))\n", "t.scm:2:20: unknown predicate #foo?" },
		{ "((identifier) @_x (#set! @_x \"a\"))\n", "t.scm:1:20: unknown predicate #set!" },
		{ "((identifier) @_x (#match? @_x \"(\"))\n", "t.scm:1:20: bad regular expression" },
		{ "((identifier) @_x (#eq? @_x))\n", "t.scm:1:20: #eq? needs a capture" },
		{ "(no_such_node) @comment\n", "t.scm:1:2: unknown node type" },
		{ "(comment @comment\n", "t.scm:" },
		/* an inheriting file: positions are in the file, not the join */
		{ "; inherits: python\n(identifier) @frob\n", "t.scm:2:14: unknown capture @frob" },
		{ "; inherits: cobol\n", "t.scm:1:13: cannot inherit 'cobol.scm'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = trw_extractor_check_query(py, "t.scm", bad[i].query, strlen(bad[i].query));

		assert_int_equal(rc, TRW_EQUERY);
		if (strncmp(trw_error_last(), bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("case %zu: got '%s', want prefix '%s'", i, trw_error_last(), bad[i].want);
	}
}

static void test_deep_nesting(void **state)
{
	static char src[40000];
	size_t n = 0;
	const trw_extract_result *r;

	(void)state;
	n += (size_t)snprintf(src, sizeof(src), "x = ");
	for (int i = 0; i < 10000; i++)
		src[n++] = '[';
	src[n++] = '"'; src[n++] = 'o'; src[n++] = 'k'; src[n++] = '"';
	for (int i = 0; i < 10000; i++)
		src[n++] = ']';
	src[n++] = '\n';
	src[n] = '\0';
	assert_int_equal(trw_extractor_run(ex, py, src, n, &r), 0);
	assert_int_equal(r->count, 2);
}

/* A wide list inside an error-recovered tree: queried child by child, and
 * every element is still found. */
static void test_wide_node_after_syntax_error(void **state)
{
	static char src[200000];
	const trw_lang *go = trw_lang_by_name("go");
	const trw_extract_result *r;
	size_t n = 0, strings = 0;

	(void)state;
	n += (size_t)snprintf(src, sizeof(src), "package main\nvar x = []string{\n");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(src + n, sizeof(src) - n, "\t\"item%d\",\n", i);
	n += (size_t)snprintf(src + n, sizeof(src) - n, "}\nfunc g( {\n");
	assert_int_equal(trw_extractor_run(ex, go, src, n, &r), 0);
	assert_true(r->has_error);
	for (size_t i = 0; i < r->count; i++)
		strings += r->candidates[i].kind == TRW_KIND_STRING;
	assert_int_equal(strings, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_occurrence_on_a_line),
		cmocka_unit_test(test_keyword_in_comment_is_not_a_class),
		cmocka_unit_test(test_multiline_signature_and_docstrings),
		cmocka_unit_test(test_trivial_elements_are_dropped),
		cmocka_unit_test(test_syntax_errors_yield_what_was_recovered),
		cmocka_unit_test(test_kind_mask),
		cmocka_unit_test(test_predicates),
		cmocka_unit_test(test_query_errors_name_file_line_col),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_wide_node_after_syntax_error),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
