/*
 * test_template.c - the FIM template table: every row renders the exact
 * string of fim-protocols.md §6.1 (written out here by hand, sentinels in
 * literal UTF-8, not copied from the table), parse undoes render, and
 * model ids are guessed to the right family.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/util.h"
#include "model/template.h"

/*
 * The exact string forms, {prefix} and {suffix} standing for the texts.
 * CodeLlama: Meta's string form is "<s><PRE> {prefix} <SUF>{suffix} <MID>"
 * where <s> stands for the BOS token the server's tokenizer adds; the text
 * we send is Ollama's template (fim-protocols.md §2, docs/template.mdx).
 * Codestral: Ollama's string form "[SUFFIX]{suffix}[PREFIX] {prefix}".
 */
struct form_row {
	const char *name;
	const char *form;
	const char *eos;	/* a stop the row must carry */
};

static const struct form_row forms[] = {
	{ "santacoder", "<fim-prefix>{prefix}<fim-suffix>{suffix}<fim-middle>", "<|endoftext|>" },
	{ "starcoder", "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>", "<|endoftext|>" },
	{ "starcoder2", "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>", "<file_sep>" },
	{ "codellama", "<PRE> {prefix} <SUF>{suffix} <MID>", "<EOT>" },
	{ "deepseek-coder", "<｜fim▁begin｜>{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>",
	  "<｜end▁of▁sentence｜>" },
	{ "deepseek-coder-v2", "<｜fim▁begin｜>{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>",
	  "<｜end▁of▁sentence｜>" },
	{ "qwen2.5-coder", "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
	  "<|endoftext|>" },
	{ "codeqwen1.5", "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>", "<|endoftext|>" },
	{ "codestral", "[SUFFIX]{suffix}[PREFIX] {prefix}", "</s>" },
	{ "codegemma", "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
	  "<|file_separator|>" },
	{ "granite-code", "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>", "<fim_pad>" },
	{ "stable-code", "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>", "<|endoftext|>" },
};

#define NFORMS (sizeof(forms) / sizeof(forms[0]))

/* Substitute {prefix} and {suffix} in a form. */
static void expand(const char *form, const char *p, size_t plen, const char *s, size_t slen,
    trw_buf *out)
{
	while (*form) {
		if (strncmp(form, "{prefix}", 8) == 0) {
			assert_int_equal(trw_buf_put(out, p, plen), 0);
			form += 8;
		} else if (strncmp(form, "{suffix}", 8) == 0) {
			assert_int_equal(trw_buf_put(out, s, slen), 0);
			form += 8;
		} else {
			assert_int_equal(trw_buf_put(out, form, 1), 0);
			form++;
		}
	}
}

/* Prefix/suffix pairs that every template must carry through a render and
 * a parse unchanged: empty parts, newlines, NUL bytes, sentinels of other
 * families, near-misses of this family's (no closing bar, no space), any
 * sentinel in the part after the separator, trailing spaces next to
 * CodeLlama's spaced sentinels.  What is excluded, a family's own
 * separator in the part before it, is the ambiguous case that
 * parse_own_sentinels covers. */
struct pair {
	const char *p;
	size_t plen;
	const char *s;
	size_t slen;
};

#define P(p, s) { p, sizeof(p) - 1, s, sizeof(s) - 1 }

static const struct pair pairs[] = {
	P("", ""),
	P("def add(a, b):\n    ", "\n\nprint(add(1, 2))\n"),
	P("x = 1\n", ""),
	P("", "\nreturn y\n"),
	P("a\0b", "c\0d"),
	P("  lead and trail  ", "  "),
	P("s = \"<fim_suffix\"  # almost\n", "t = '<fim_middle'\n"),
	P("<fim-prefix>x<fim-middle><fim_prefix>", "<|fim_suffix|>[PREFIX]x <SUF><fim-suffix>"),
	P("a<SUF>b<|fim_suffix|", "<fim_suffix>[PREFIX][SUFFIX] "),
	P("[SUFFIX]y", "<fim_prefix>z"),
	P("// <｜fim▁hole\n", "<｜fim▁begin｜>"),
	P("<PRE>", "<MID>"),
	P("café 日本 😀\r\n", "\t\r\n"),
};

static void render_matches_reference(void **state)
{
	(void)state;
	for (size_t i = 0; i < NFORMS; i++) {
		const trw_template *t = trw_template_by_name(forms[i].name);

		assert_non_null(t);
		for (size_t j = 0; j < sizeof(pairs) / sizeof(pairs[0]); j++) {
			trw_buf want = TRW_BUF_INIT(0), got = TRW_BUF_INIT(0);

			expand(forms[i].form, pairs[j].p, pairs[j].plen, pairs[j].s, pairs[j].slen,
			    &want);
			assert_int_equal(trw_template_render(t, pairs[j].p, pairs[j].plen,
			    pairs[j].s, pairs[j].slen, &got), 0);
			if (got.size != want.size || memcmp(got.ptr, want.ptr, got.size) != 0)
				fail_msg("%s pair %zu: got '%s', want '%s'", forms[i].name, j,
				    got.ptr, want.ptr);
			trw_buf_dispose(&want);
			trw_buf_dispose(&got);
		}
	}
}

/* The two prompts the reference document quotes verbatim. */
static void render_documented_examples(void **state)
{
	trw_buf b = TRW_BUF_INIT(0);

	(void)state;
	/* llama-server's echo of an assembled Qwen-style prompt (Appendix). */
	assert_int_equal(trw_template_render(trw_template_by_name("qwen2.5-coder"),
	    "def add(a, b):\n    return ", 26, "\n\nprint(add(1, 2))\n", 19, &b), 0);
	assert_string_equal(b.ptr, "<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>"
	    "\n\nprint(add(1, 2))\n<|fim_middle|>");
	trw_buf_clear(&b);
	/* SantaCoder's model card. */
	assert_int_equal(trw_template_render(trw_template_by_name("santacoder"),
	    "def print_hello_world():\n    ", 29, "\n    print('Hello world!')", 26, &b), 0);
	assert_string_equal(b.ptr, "<fim-prefix>def print_hello_world():\n    <fim-suffix>\n"
	    "    print('Hello world!')<fim-middle>");
	trw_buf_dispose(&b);
}

static void render_appends_and_is_bounded(void **state)
{
	const trw_template *t = trw_template_by_name("starcoder");
	trw_buf b = TRW_BUF_INIT(40);

	(void)state;
	assert_int_equal(trw_buf_puts(&b, "X"), 0);
	assert_int_equal(trw_template_render(t, "a", 1, "b", 1, &b), 0);
	assert_string_equal(b.ptr, "X<fim_prefix>a<fim_suffix>b<fim_middle>");
	/* 39 bytes in a 40-byte buffer: one more render does not fit. */
	assert_int_equal(trw_template_render(t, "a", 1, "b", 1, &b), TRW_ETOOBIG);
	trw_buf_dispose(&b);
	assert_int_equal(trw_template_render(NULL, "a", 1, "b", 1, &b), TRW_EINVALID);
	assert_int_equal(trw_template_render(t, NULL, 1, "b", 1, &b), TRW_EINVALID);
}

static void parse_inverts_render(void **state)
{
	size_t n;
	const trw_template *table = trw_template_table(&n);

	(void)state;
	assert_int_equal(n, NFORMS);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sizeof(pairs) / sizeof(pairs[0]); j++) {
			trw_buf b = TRW_BUF_INIT(0);
			const char *p, *s;
			size_t plen, slen;

			assert_int_equal(trw_template_render(&table[i], pairs[j].p, pairs[j].plen,
			    pairs[j].s, pairs[j].slen, &b), 0);
			if (trw_template_parse(&table[i], b.ptr, b.size, &p, &plen, &s, &slen) != 0)
				fail_msg("%s pair %zu: %s", table[i].name, j, trw_error_last());
			if (plen != pairs[j].plen || memcmp(p, pairs[j].p, plen) != 0 ||
			    slen != pairs[j].slen || memcmp(s, pairs[j].s, slen) != 0)
				fail_msg("%s pair %zu: parse(render) is not the identity",
				    table[i].name, j);
			/* Pointers into the prompt, as documented. */
			assert_true(p >= b.ptr && p + plen <= b.ptr + b.size);
			assert_true(s >= b.ptr && s + slen <= b.ptr + b.size);
			trw_buf_dispose(&b);
		}
	}
}

/*
 * The family's own separator in the part before it is the one ambiguous
 * case (the model would read it the same way): parse splits at its first
 * occurrence, and rendering the result gives the prompt back.  The
 * separator in the other part is not ambiguous and round-trips.
 */
static void parse_own_sentinels(void **state)
{
	size_t n;
	const trw_template *table = trw_template_table(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const trw_template *t = &table[i];
		int psm = t->order == TRW_FIM_PSM;
		char sep[64], before[128], after[128];
		trw_buf b = TRW_BUF_INIT(0), again = TRW_BUF_INIT(0);
		const char *p, *s;
		size_t plen, slen;

		snprintf(sep, sizeof(sep), "%s%s", psm ? t->suf : t->pre,
		    !psm && t->space_before_prefix ? " " : "");
		snprintf(before, sizeof(before), "one%stwo", sep);
		snprintf(after, sizeof(after), "three%sfour%s", sep, t->mid);

		/* Separator (and middle token) in the part after the separator. */
		if (psm)
			assert_int_equal(trw_template_render(t, "p", 1, after, strlen(after), &b), 0);
		else
			assert_int_equal(trw_template_render(t, after, strlen(after), "s", 1, &b), 0);
		assert_int_equal(trw_template_parse(t, b.ptr, b.size, &p, &plen, &s, &slen), 0);
		if (psm) {
			assert_int_equal(slen, strlen(after));
			assert_memory_equal(s, after, slen);
			assert_int_equal(plen, 1);
		} else {
			assert_int_equal(plen, strlen(after));
			assert_memory_equal(p, after, plen);
			assert_int_equal(slen, 1);
		}
		trw_buf_clear(&b);

		/* Separator in the part before it: first occurrence wins. */
		if (psm)
			assert_int_equal(trw_template_render(t, before, strlen(before), "x", 1, &b), 0);
		else
			assert_int_equal(trw_template_render(t, "x", 1, before, strlen(before), &b), 0);
		assert_int_equal(trw_template_parse(t, b.ptr, b.size, &p, &plen, &s, &slen), 0);
		if (psm) {
			assert_int_equal(plen, 3);
			assert_memory_equal(p, "one", 3);
		} else {
			assert_int_equal(slen, 3);
			assert_memory_equal(s, "one", 3);
		}
		assert_int_equal(trw_template_render(t, p, plen, s, slen, &again), 0);
		assert_int_equal(again.size, b.size);
		assert_memory_equal(again.ptr, b.ptr, b.size);
		trw_buf_dispose(&b);
		trw_buf_dispose(&again);
	}
}

/* What the first-occurrence rule relies on: no separator has a border (a
 * proper prefix equal to a suffix), so an occurrence cannot straddle the
 * end of the part before it. */
static void sentinels_have_no_border(void **state)
{
	size_t n;
	const trw_template *table = trw_template_table(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const char *sep = table[i].order == TRW_FIM_PSM ? table[i].suf : table[i].pre;
		char buf[64];
		size_t len;

		snprintf(buf, sizeof(buf), "%s%s", sep,
		    table[i].order == TRW_FIM_SPM && table[i].space_before_prefix ? " " : "");
		len = strlen(buf);
		assert_true(len > 0);
		for (size_t k = 1; k < len; k++)
			if (memcmp(buf, buf + len - k, k) == 0)
				fail_msg("%s: separator '%s' has a border of %zu", table[i].name, buf, k);
	}
}

static void parse_rejects(void **state)
{
	static const struct {
		const char *name;
		const char *prompt;
	} rows[] = {
		{ "starcoder", "" },
		{ "starcoder", "<fim_prefix>" },
		{ "starcoder", "<fim_prefix><fim_middle>" },			/* no separator */
		{ "starcoder", "<fim_prefix>a<fim_suffix>b" },			/* no middle */
		{ "starcoder", "x<fim_prefix>a<fim_suffix>b<fim_middle>" },	/* text before */
		{ "starcoder", "<fim-prefix>a<fim-suffix>b<fim-middle>" },	/* SantaCoder's */
		{ "santacoder", "<fim_prefix>a<fim_suffix>b<fim_middle>" },
		{ "codellama", "<PRE>a <SUF>b <MID>" },				/* no dummy space */
		{ "codellama", "<PRE> a<SUF>b <MID>" },				/* sentinel's space */
		{ "codestral", "[SUFFIX]b[PREFIX]a" },				/* no dummy space */
		{ "codestral", "[PREFIX] a[SUFFIX]b" },				/* order */
		{ "qwen2.5-coder", "<|fim_prefix|>a<|fim_middle|>b<|fim_suffix|>" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const trw_template *t = trw_template_by_name(rows[i].name);
		const char *p, *s;
		size_t plen, slen;

		assert_non_null(t);
		if (trw_template_parse(t, rows[i].prompt, strlen(rows[i].prompt), &p, &plen,
		    &s, &slen) != TRW_EINVALID)
			fail_msg("%s: '%s' parsed", rows[i].name, rows[i].prompt);
		assert_true(strlen(trw_error_last()) > 0);
	}
}

static void guess_by_model_id(void **state)
{
	static const struct {
		const char *id;
		const char *want;	/* NULL: no guess */
	} rows[] = {
		{ "bigcode/santacoder", "santacoder" },
		{ "bigcode/starcoderbase-1b", "starcoder" },
		{ "bigcode/tiny_starcoder_py", "starcoder" },
		{ "bigcode/starcoder2-3b", "starcoder2" },
		{ "starcoder2:7b", "starcoder2" },
		{ "codellama/CodeLlama-7b-hf", "codellama" },
		{ "codellama:7b-code", "codellama" },
		{ "deepseek-ai/deepseek-coder-1.3b-base", "deepseek-coder" },
		{ "deepseek-ai/DeepSeek-Coder-V2-Lite-Base", "deepseek-coder-v2" },
		{ "deepseek-coder-v2:16b", "deepseek-coder-v2" },
		{ "Qwen/Qwen2.5-Coder-1.5B", "qwen2.5-coder" },
		{ "qwen2.5-coder:1.5b-base", "qwen2.5-coder" },
		{ "/models/qwen2_5-coder-1.5b-q8_0.gguf", "qwen2.5-coder" },
		{ "Qwen/CodeQwen1.5-7B", "codeqwen1.5" },
		{ "mistralai/Codestral-22B-v0.1", "codestral" },
		{ "google/codegemma-2b", "codegemma" },
		{ "ibm-granite/granite-3b-code-base", "granite-code" },
		{ "granite-code:8b", "granite-code" },
		{ "stabilityai/stable-code-3b", "stable-code" },
		{ "STABLE-CODE", "stable-code" },
		{ "meta-llama/Llama-3.1-8B", NULL },
		{ "Qwen/Qwen2.5-7B-Instruct", NULL },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const trw_template *t = trw_template_guess(rows[i].id);

		if (rows[i].want == NULL) {
			if (t != NULL)
				fail_msg("'%s' guessed as %s", rows[i].id, t->name);
		} else if (t == NULL || strcmp(t->name, rows[i].want) != 0) {
			fail_msg("'%s' guessed as %s, want %s", rows[i].id, t ? t->name : "nothing",
			    rows[i].want);
		}
	}
	assert_null(trw_template_guess(NULL));
}

static void table_rows(void **state)
{
	size_t n;
	const trw_template *table = trw_template_table(&n);

	(void)state;
	assert_int_equal(n, NFORMS);
	for (size_t i = 0; i < NFORMS; i++) {
		const trw_template *t = trw_template_by_name(forms[i].name);
		int has_eos = 0;

		assert_non_null(t);
		assert_true(t >= table && t < table + n);
		assert_true(strlen(t->aliases) > 0);
		assert_string_equal(t->bos, "");
		assert_non_null(t->stops);
		for (const char *const *s = t->stops; *s; s++) {
			assert_true(strlen(*s) > 0);
			has_eos |= strcmp(*s, forms[i].eos) == 0;
		}
		if (!has_eos)
			fail_msg("%s: no stop '%s'", t->name, forms[i].eos);
		/* Codestral alone has no middle token; only CodeLlama and Codestral
		 * take the leading space; only Codestral is suffix-first. */
		assert_int_equal(t->mid[0] == '\0', strcmp(t->name, "codestral") == 0);
		assert_int_equal(t->order == TRW_FIM_SPM, strcmp(t->name, "codestral") == 0);
		assert_int_equal(t->space_before_prefix,
		    strcmp(t->name, "codestral") == 0 || strcmp(t->name, "codellama") == 0);
	}
	assert_null(trw_template_by_name("starcoder3"));
	assert_null(trw_template_by_name(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_matches_reference),
		cmocka_unit_test(render_documented_examples),
		cmocka_unit_test(render_appends_and_is_bounded),
		cmocka_unit_test(parse_inverts_render),
		cmocka_unit_test(parse_own_sentinels),
		cmocka_unit_test(sentinels_have_no_border),
		cmocka_unit_test(parse_rejects),
		cmocka_unit_test(guess_by_model_id),
		cmocka_unit_test(table_rows),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
