/* test_lang.c - the language table: detection, and that every row's
 * grammar is accepted by the runtime and its query file loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <tree_sitter/api.h>

#include "common/error.h"
#include "extractor/extract.h"
#include "extractor/lang.h"

static const struct {
	const char *path;
	const char *head;
	const char *want;	/* NULL = unknown */
} cases[] = {
	{ "a.py", NULL, "python" },
	{ "dir/b.PY", NULL, "python" },
	{ "x.pyi", NULL, "python" },
	{ "m.c", NULL, "c" },
	{ "m.h", NULL, "c" },
	{ "m.cc", NULL, "cpp" },
	{ "m.hpp", NULL, "cpp" },
	{ "M.java", NULL, "java" },
	{ "i.js", NULL, "javascript" },
	{ "i.mjs", NULL, "javascript" },
	{ "i.jsx", NULL, "javascript" },
	{ "i.ts", NULL, "typescript" },
	{ "i.tsx", NULL, "tsx" },
	{ "main.go", NULL, "go" },
	{ "lib.rs", NULL, "rust" },
	{ "README.md", NULL, NULL },
	{ ".bashrc", NULL, NULL },
	{ "trailingdot.", NULL, NULL },
	{ "py", NULL, NULL },
	{ "dir.py/file", NULL, NULL },
	{ "script", "#!/usr/bin/python3\nprint(1)\n", "python" },
	{ "script", "#!/usr/bin/env python3.11\n", "python" },
	{ "script", "#! /usr/bin/env -S python3 -u\n", "python" },
	{ "script", "#!/usr/bin/env node\n", "javascript" },
	{ "script", "#!/bin/sh\n", NULL },
	{ "script", "#!/usr/bin/env\n", NULL },
	{ "script", "#!", NULL },
	{ "script", "# not a shebang python\n", NULL },
	{ "a.py", "#!/usr/bin/env node\n", "python" },	/* extension first */
};

static void test_detect(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *head = cases[i].head;
		const trw_lang *l = trw_lang_detect(cases[i].path, head, head ? strlen(head) : 0);

		if (cases[i].want == NULL) {
			if (l)
				fail_msg("%s: detected %s, want none", cases[i].path, l->name);
		} else {
			if (!l || strcmp(l->name, cases[i].want) != 0)
				fail_msg("%s (%s): detected %s, want %s", cases[i].path,
				    head ? head : "-", l ? l->name : "none", cases[i].want);
		}
	}
}

static void test_table(void **state)
{
	size_t n;
	const trw_lang *t = trw_lang_table(&n);
	TSParser *p = ts_parser_new();
	trw_extractor *ex;

	(void)state;
	assert_int_equal(n, 9);
	assert_int_equal(trw_extractor_new(&ex, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(trw_lang_by_name(t[i].name), &t[i]);
		if (!ts_parser_set_language(p, t[i].grammar()))
			fail_msg("grammar %s refused (ABI %u)", t[i].name,
			    ts_language_version(t[i].grammar()));
		if (trw_extractor_load(ex, &t[i]) != 0)
			fail_msg("query for %s: %s", t[i].name, trw_error_last());
	}
	assert_null(trw_lang_by_name("cobol"));
	trw_extractor_free(ex);
	ts_parser_delete(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_table),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
