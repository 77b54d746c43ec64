/* test_ref.c - the reference model: tokenizer (byte-exact, stateless),
 * build + open + infill on small corpora written here, determinism, stop
 * rules, budgets, log-probabilities, sampling, concurrent use, and
 * damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/util.h"
#include "model/fim.h"
#include "model/ref.h"

static char tmpdir[256];

/* ---- helpers ------------------------------------------------------------ */

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* "tok|tok|tok" */
static void split(const char *s, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t l = trw_refmodel__token_len(s + i, len - i);

		assert_true(l >= 1 && l <= len - i);
		if (o && o + 1 < cap)
			out[o++] = '|';
		for (size_t k = 0; k < l && o + 1 < cap; k++)
			out[o++] = s[i + k];
		i += l;
	}
	out[o] = '\0';
}

/* A corpus with distinctive names, so that a member's gaps are known. */
static const char *corpus_a =
    "import os\n"
    "\n"
    "\n"
    "def compute_invoice_total(items, discount_rate):\n"
    "    \"\"\"Sum the prices of the items, minus the discount.\"\"\"\n"
    "    running_total = 0\n"
    "    for item in items:\n"
    "        running_total += item.price  # add the unit price\n"
    "    return running_total * (1 - discount_rate)\n"
    "\n"
    "\n"
    "class WarehouseLedger:\n"
    "    def __init__(self, location):\n"
    "        self.location = location\n"
    "        self.entries = []\n"
    "\n"
    "    def record_shipment(self, parcel):\n"
    "        self.entries.append(parcel)\n"
    "        print(\"shipment recorded for\", self.location)\n";

static const char *corpus_b =
    "def greet_visitor(name):\n"
    "    greeting_text = \"hello \" + name\n"
    "    return greeting_text\n";

static char model_path[512];
static trw_refmodel *model;

static int build_corpus(const char *dir, const char *out, unsigned order)
{
	trw_refmodel_build_options o = TRW_REFMODEL_BUILD_OPTIONS_INIT;
	const char *specs[1] = { dir };

	o.order = order;
	return trw_refmodel_build(out, specs, 1, &o, NULL);
}

static int setup(void **state)
{
	char corpus[300];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/trawic-test-ref.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(corpus, sizeof(corpus), "%s/corpus", tmpdir);
	if (mkdir(corpus, 0755) < 0)
		return -1;
	write_file(corpus, "ledger.py", corpus_a, strlen(corpus_a));
	write_file(corpus, "greet.py", corpus_b, strlen(corpus_b));
	write_file(corpus, "notes.txt", "not code\n", 9);
	snprintf(model_path, sizeof(model_path), "%s/m.ref", tmpdir);
	if (build_corpus(corpus, model_path, 6) < 0) {
		fprintf(stderr, "build: %s\n", trw_error_last());
		return -1;
	}
	return trw_refmodel_open(&model, model_path);
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	trw_refmodel_free(model);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static trw_fim_query query(const char *prefix, const char *suffix, trw_stop_mode mode,
    const char *delim, unsigned max_tokens)
{
	trw_fim_query q;

	memset(&q, 0, sizeof(q));
	q.prefix = prefix;
	q.prefix_len = strlen(prefix);
	q.suffix = suffix;
	q.suffix_len = strlen(suffix);
	q.kind = TRW_KIND_FUNCTION_NAME;
	q.stop.mode = mode;
	if (delim)
		snprintf(q.stop.delim, sizeof(q.stop.delim), "%s", delim);
	q.decoding = (trw_decoding)TRW_DECODING_GREEDY;
	q.decoding.max_tokens = max_tokens;
	return q;
}

static void infill_ok(const trw_fim_query *q, trw_completion *c)
{
	if (trw_refmodel_infill(model, q, c) != 0)
		fail_msg("infill: %s", trw_error_last());
	assert_non_null(c->text);
	assert_int_equal(strlen(c->text), c->len);
}

/* ---- tokenizer ---------------------------------------------------------- */

static void test_tokenizer_splits(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "def f(x):\n    return x", "def| |f|(|x|)|:|\n    |return| |x" },
		{ "a += 1.5e-3 ** 0x1F", "a| |+=| |1.5e-3| |**| |0x1F" },
		{ "x //= 2; y->z := w", "x| |//=| |2|;| |y|->|z| |:=| |w" },
		{ "\"\"\"Doc string.\"\"\"", "\"\"\"|Doc| |string|.|\"\"\"" },
		{ "s = 'it''s'", "s| |=| |'|it|'|'|s|'" },
		{ "# a comment, here\n", "#| |a| |comment|,| |here|\n" },
		{ "/* c */ x != y", "/*| |c| |*/| |x| |!=| |y" },
		{ "caf\xc3\xa9 = \"\xe6\x97\xa5\xe6\x9c\xac\"", "caf\xc3\xa9| |=| |\"|\xe6\x97\xa5\xe6\x9c\xac|\"" },
		{ "a\r\n\tb", "a|\r\n\t|b" },
		{ "$el = 1_000", "$el| |=| |1_000" },
		{ "x = 1..2", "x| |=| |1|.|.|2" },
	};
	char out[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		split(cases[i].in, strlen(cases[i].in), out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i, out, cases[i].want);
	}
}

/* Tokens cover the text exactly, whatever the bytes, and no token is
 * longer than 128 bytes or splits a UTF-8 character. */
static void test_tokenizer_round_trip(void **state)
{
	char text[4096];
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "x = 1\r\ny = \"\xf0\x9f\x98\x80 emoji\"\r\n");
	/* a 300-byte identifier of 3-byte characters: cut only between characters */
	for (int i = 0; i < 100; i++) {
		memcpy(text + n, "\xe2\x82\xac", 3);
		n += 3;
	}
	memset(text + n, ' ', 200);
	n += 200;
	memcpy(text + n, "\x00\xff\x80 tail", 9);	/* not UTF-8, not text: still exact */
	n += 9;
	{
		size_t i = 0, total = 0;

		while (i < n) {
			size_t l = trw_refmodel__token_len(text + i, n - i);

			assert_true(l >= 1 && l <= 128);
			/* never ends just before a continuation byte of a
			 * valid sequence in the identifier run */
			if (i + l < n && i < 400 && (unsigned char)text[i] >= 0xe2)
				assert_true(((unsigned char)text[i + l] & 0xc0) != 0x80);
			total += l;
			i += l;
		}
		assert_int_equal(total, n);
	}
	assert_int_equal(trw_refmodel__token_len(NULL, 0), 0);
	assert_int_equal(trw_refmodel_count_tokens(model, "a = b", 5), 5);
	assert_int_equal(trw_refmodel_count_tokens(model, "", 0), 0);
}

/* Tokenizing from the start of any whitespace run gives the tokens the
 * whole text gives from there: the model relies on it to read only the
 * end of a long prefix. */
static void test_tokenizer_restart(void **state)
{
	const char *s = corpus_a;
	size_t len = strlen(s), starts[2048], ns = 0;

	(void)state;
	for (size_t i = 0; i < len; i += trw_refmodel__token_len(s + i, len - i))
		starts[ns++] = i;
	for (size_t r = 1; r < len; r++) {
		int ws = s[r] == ' ' || s[r] == '\n' || s[r] == '\t';
		int prev_ws = s[r - 1] == ' ' || s[r - 1] == '\n' || s[r - 1] == '\t';
		size_t k = 0;

		if (!ws || prev_ws)
			continue;
		while (k < ns && starts[k] < r)
			k++;
		assert_true(k < ns && starts[k] == r);
		for (size_t i = r; i < len; k++) {
			assert_int_equal(starts[k], i);
			i += trw_refmodel__token_len(s + i, len - i);
		}
	}
}

/* ---- build, open, infill ------------------------------------------------ */

static void test_identity_and_stats(void **state)
{
	trw_refmodel_stats st;
	const char *id = trw_refmodel_identity(model), *prov;
	size_t plen;

	(void)state;
	assert_int_equal(strlen(id), strlen("ref:0123456789abcdef:order6"));
	assert_memory_equal(id, "ref:", 4);
	assert_string_equal(id + 20, ":order6");
	assert_int_equal(trw_refmodel_order(model), 6);
	assert_true(trw_refmodel_context(model) >= 1024);
	trw_refmodel_get_stats(model, &st);
	assert_int_equal(st.files, 2);			/* notes.txt is not code */
	assert_int_equal(st.bytes, strlen(corpus_a) + strlen(corpus_b));
	assert_true(st.tokens > 100 && st.vocabulary > 50 && st.contexts > 0);
	prov = trw_refmodel_provenance(model, &plen);
	assert_non_null(memmem(prov, plen, "\"path\":\"ledger.py\"", 18));
	assert_non_null(memmem(prov, plen, "\"path\":\"greet.py\"", 17));
	assert_null(memmem(prov, plen, "notes.txt", 9));
}

static void test_member_names_restored(void **state)
{
	static const struct {
		const char *prefix, *suffix, *want;
	} cases[] = {
		{ "import os\n\n\ndef ", "(items, discount_rate):\n", "compute_invoice_total" },
		{ "class ", ":\n    def __init__(self, location):\n", "WarehouseLedger" },
		{ "    def __init__(self, location):\n        self.location = location\n        self.",
		  " = []\n", "entries" },
		{ "def greet_visitor(name):\n    ", " = \"hello \" + name\n", "greeting_text" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		trw_fim_query q = query(cases[i].prefix, cases[i].suffix, TRW_STOP_IDENT, NULL, 16);
		trw_completion c;

		infill_ok(&q, &c);
		if (strcmp(c.text, cases[i].want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i, c.text, cases[i].want);
		assert_null(c.logprobs);		/* not asked for */
		assert_int_equal(c.cached, 0);
		trw_completion_dispose(&c);
	}
}

static void test_stop_rules(void **state)
{
	trw_completion c;
	trw_fim_query q;

	(void)state;
	/* a line comment stops before the newline */
	q = query("        running_total += item.price  # ", "\n    return", TRW_STOP_NEWLINE, NULL, 64);
	infill_ok(&q, &c);
	assert_string_equal(c.text, "add the unit price");
	trw_completion_dispose(&c);

	/* a string stops before its closing quote */
	q = query("        print(\"", "\", self.location)\n", TRW_STOP_DELIM, "\"", 64);
	infill_ok(&q, &c);
	assert_string_equal(c.text, "shipment recorded for");
	trw_completion_dispose(&c);

	/* a docstring, multi-token delimiter */
	q = query("def compute_invoice_total(items, discount_rate):\n    \"\"\"", "\"\"\"\n",
	    TRW_STOP_DELIM, "\"\"\"", 64);
	infill_ok(&q, &c);
	assert_string_equal(c.text, "Sum the prices of the items, minus the discount.");
	trw_completion_dispose(&c);

	/* a name stops at the first character that cannot continue it, even
	 * with no suffix to reach */
	q = query("        self.entries.", "", TRW_STOP_IDENT, NULL, 64);
	infill_ok(&q, &c);
	assert_string_equal(c.text, "append");
	trw_completion_dispose(&c);

	/* without a rule, generation ends where the suffix begins */
	q = query("    for item in items:\n        running_total += item.",
	    "  # add the unit price\n", TRW_STOP_NONE, NULL, 64);
	infill_ok(&q, &c);
	assert_string_equal(c.text, "price");
	trw_completion_dispose(&c);
}

static void test_budget_and_logprobs(void **state)
{
	trw_completion c;
	trw_fim_query q;

	(void)state;
	for (unsigned budget = 1; budget <= 9; budget += 4) {
		q = query("class WarehouseLedger:\n", "", TRW_STOP_NONE, NULL, budget);
		q.want_logprobs = 1;
		infill_ok(&q, &c);
		assert_int_equal(c.nlogprobs, budget);
		assert_true(trw_refmodel_count_tokens(model, c.text, c.len) <= budget);
		for (size_t i = 0; i < c.nlogprobs; i++)
			assert_true(c.logprobs[i] <= 0.0 && c.logprobs[i] > -50.0);
		trw_completion_dispose(&c);
	}
	/* memorized text is likely, an unseen context much less so */
	q = query("    for item in items:\n        running_total += item.", "", TRW_STOP_IDENT, NULL, 4);
	q.want_logprobs = 1;
	infill_ok(&q, &c);
	assert_int_equal(c.nlogprobs, 1);
	assert_true(c.logprobs[0] > -0.7);
	trw_completion_dispose(&c);
	q = query("zebra quagga okapi ", "", TRW_STOP_IDENT, NULL, 4);
	q.want_logprobs = 1;
	infill_ok(&q, &c);
	assert_true(c.len > 0 && c.nlogprobs == 1);
	assert_true(c.logprobs[0] < -1.0);
	trw_completion_dispose(&c);
	/* the default budget applies at 0; the middle is never the suffix's
	 * first token nor empty */
	q = query("", "", TRW_STOP_NONE, NULL, 0);
	infill_ok(&q, &c);
	assert_true(c.len > 0 && trw_refmodel_count_tokens(model, c.text, c.len) <= 128);
	trw_completion_dispose(&c);
}

static void test_deterministic(void **state)
{
	char corpus[300], other[512];
	char *a, *b;
	size_t alen, blen;
	trw_fim_query q;
	trw_completion c1, c2;

	(void)state;
	/* the same corpus gives the same file, byte for byte */
	snprintf(corpus, sizeof(corpus), "%s/corpus", tmpdir);
	snprintf(other, sizeof(other), "%s/again.ref", tmpdir);
	assert_int_equal(build_corpus(corpus, other, 6), 0);
	a = slurp(model_path, &alen);
	b = slurp(other, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	/* and the same query the same completion and log-probabilities */
	q = query("def ", "", TRW_STOP_NONE, NULL, 40);
	q.want_logprobs = 1;
	infill_ok(&q, &c1);
	infill_ok(&q, &c2);
	assert_string_equal(c1.text, c2.text);
	assert_int_equal(c1.nlogprobs, c2.nlogprobs);
	assert_memory_equal(c1.logprobs, c2.logprobs, c1.nlogprobs * sizeof(double));
	trw_completion_dispose(&c1);
	trw_completion_dispose(&c2);
	/* sampling is reproducible from its seed */
	q.decoding.temperature = 1.5;
	q.decoding.seed = 7;
	infill_ok(&q, &c1);
	infill_ok(&q, &c2);
	assert_string_equal(c1.text, c2.text);
	trw_completion_dispose(&c1);
	trw_completion_dispose(&c2);
}

/* Lower orders remember less: at order 2 the distinctive name after
 * "def " is not restored, at order 6 it is. */
static void test_order_is_memorization(void **state)
{
	char corpus[300], path[512];
	trw_refmodel *m2 = NULL;
	trw_fim_query q;
	trw_completion c;

	(void)state;
	snprintf(corpus, sizeof(corpus), "%s/corpus", tmpdir);
	snprintf(path, sizeof(path), "%s/o2.ref", tmpdir);
	assert_int_equal(build_corpus(corpus, path, 2), 0);
	assert_int_equal(trw_refmodel_open(&m2, path), 0);
	assert_string_equal(trw_refmodel_identity(m2) + 20, ":order2");
	q = query("class WarehouseLedger:\n    def __init__(self, location):\n        self.location = location\n        self.",
	    " = []\n", TRW_STOP_IDENT, NULL, 8);
	assert_int_equal(trw_refmodel_infill(m2, &q, &c), 0);
	assert_string_not_equal(c.text, "entries");
	trw_completion_dispose(&c);
	trw_refmodel_free(m2);
	infill_ok(&q, &c);
	assert_string_equal(c.text, "entries");
	trw_completion_dispose(&c);
}

typedef struct job {
	const char *prefix;
	char text[256];
} job;

static void *worker(void *arg)
{
	job *j = arg;

	for (int i = 0; i < 200; i++) {
		trw_fim_query q = query(j->prefix, "", TRW_STOP_NONE, NULL, 12);
		trw_completion c;

		q.want_logprobs = 1;
		if (trw_refmodel_infill(model, &q, &c) != 0)
			return (void *)1;
		if (i == 0)
			snprintf(j->text, sizeof(j->text), "%s", c.text);
		else if (strcmp(j->text, c.text) != 0)
			return (void *)1;
		trw_completion_dispose(&c);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	static const char *prefixes[4] = { "def ", "class ", "    return ", "import " };
	pthread_t t[4];
	job jobs[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		jobs[i].prefix = prefixes[i];
		assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		void *r;
		trw_fim_query q = query(prefixes[i], "", TRW_STOP_NONE, NULL, 12);
		trw_completion c;

		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
		infill_ok(&q, &c);
		assert_string_equal(c.text, jobs[i].text);
		trw_completion_dispose(&c);
	}
}

/* ---- errors ------------------------------------------------------------- */

static void expect_open_error(const char *path, const char *words)
{
	trw_refmodel *m = (trw_refmodel *)1;

	assert_int_equal(trw_refmodel_open(&m, path), TRW_EINVALID);
	assert_null(m);
	if (!strstr(trw_error_last(), words))
		fail_msg("message [%s] lacks [%s]", trw_error_last(), words);
	assert_non_null(strstr(trw_error_last(), path));
}

static void test_damaged_files(void **state)
{
	char path[512];
	char *bytes;
	size_t len;

	(void)state;
	bytes = slurp(model_path, &len);
	snprintf(path, sizeof(path), "%s/damaged.ref", tmpdir);

	/* one bit flipped in the payload */
	bytes[len / 2] ^= 1;
	write_file(tmpdir, "damaged.ref", bytes, len);
	expect_open_error(path, "checksum mismatch");
	bytes[len / 2] ^= 1;

	/* truncated */
	write_file(tmpdir, "damaged.ref", bytes, len - 100);
	expect_open_error(path, "truncated");
	write_file(tmpdir, "damaged.ref", bytes, 100);
	expect_open_error(path, "not a trawic reference model");

	/* not a model at all */
	write_file(tmpdir, "damaged.ref", corpus_a, strlen(corpus_a));
	expect_open_error(path, "bad magic");

	/* a later format version */
	bytes[8] = 2;
	write_file(tmpdir, "damaged.ref", bytes, len);
	expect_open_error(path, "version 2");
	bytes[8] = 1;

	/* a header that lies about a section */
	bytes[112 + 16 * 5 + 8] ^= 4;
	write_file(tmpdir, "damaged.ref", bytes, len);
	expect_open_error(path, "corrupt");
	free(bytes);

	{
		trw_refmodel *m = NULL;

		snprintf(path, sizeof(path), "%s/absent.ref", tmpdir);
		assert_int_equal(trw_refmodel_open(&m, path), TRW_ENOTFOUND);
		assert_non_null(strstr(trw_error_last(), "absent.ref"));
	}
	trw_refmodel_free(NULL);
}

static void test_build_errors(void **state)
{
	char dir[300], out[512];
	trw_refmodel_build_options o = TRW_REFMODEL_BUILD_OPTIONS_INIT;
	const char *specs[1];

	(void)state;
	/* nothing to learn from */
	snprintf(dir, sizeof(dir), "%s/empty", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file(dir, "README", "words\n", 6);
	snprintf(out, sizeof(out), "%s/e.ref", tmpdir);
	assert_int_equal(build_corpus(dir, out, 6), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "nothing to learn from"));
	assert_int_equal(access(out, F_OK), -1);

	/* the output's directory does not exist */
	snprintf(dir, sizeof(dir), "%s/corpus", tmpdir);
	snprintf(out, sizeof(out), "%s/no/such/dir/m.ref", tmpdir);
	assert_int_equal(build_corpus(dir, out, 6), TRW_ENOTFOUND);
	assert_non_null(strstr(trw_error_last(), "does not exist"));

	/* bad order, no such repository */
	snprintf(out, sizeof(out), "%s/x.ref", tmpdir);
	assert_int_equal(build_corpus(dir, out, 0), TRW_EINVALID);
	assert_int_equal(build_corpus(dir, out, 9), TRW_EINVALID);
	specs[0] = "/nonexistent/trawic/repo";
	assert_true(trw_refmodel_build(out, specs, 1, &o, NULL) < 0);
	assert_non_null(strstr(trw_error_last(), "/nonexistent/trawic/repo"));
	assert_int_equal(access(out, F_OK), -1);
	/* no temporary file left behind by any failure */
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q '\\.tmp\\.'", tmpdir);
		assert_int_not_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokenizer_splits),
		cmocka_unit_test(test_tokenizer_round_trip),
		cmocka_unit_test(test_tokenizer_restart),
		cmocka_unit_test(test_identity_and_stats),
		cmocka_unit_test(test_member_names_restored),
		cmocka_unit_test(test_stop_rules),
		cmocka_unit_test(test_budget_and_logprobs),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_order_is_memorization),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_damaged_files),
		cmocka_unit_test(test_build_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
