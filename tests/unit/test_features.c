/* test_features.c - file vectors from hand-written probe results: the
 * schemas' columns, rates and totals, missing values, mean similarity,
 * log-probability mean and Min-K%, JSON Lines records and probe files. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "classifier/features.h"
#include "common/error.h"

#define EPS 1e-12

#define FN TRW_KIND_FUNCTION_NAME
#define VN TRW_KIND_VARIABLE_NAME
#define ST TRW_KIND_STRING
#define CO TRW_KIND_COMMENT
#define DS TRW_KIND_DOCSTRING

/* cmocka 1.1.5 has no assert_double_equal */
#define assert_double_equal(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
} while (0)

/* Column index by name, so that no test hard-codes the layout twice. */
static size_t col(unsigned schema, const char *name)
{
	const trw_feature_schema *s;

	assert_int_equal(trw_features_schema(&s, schema), 0);
	for (size_t j = 0; j < s->ncols; j++)
		if (strcmp(s->columns[j], name) == 0)
			return j;
	fail_msg("no column %s in schema %u", name, schema);
	return 0;
}

static void test_schema_columns(void **state)
{
	const trw_feature_schema *s1, *s2, *s;
	(void)state;

	assert_int_equal(trw_features_schema(&s1, 1), 0);
	assert_int_equal(s1->version, 1);
	assert_int_equal(s1->ncols, 12);
	assert_int_equal(s1->nindicators, 6);
	assert_string_equal(s1->columns[0], "function_name_rate");
	assert_string_equal(s1->columns[5], "docstring_rate");
	assert_string_equal(s1->columns[6], "function_name_total");
	assert_string_equal(s1->columns[11], "docstring_total");

	assert_int_equal(trw_features_schema(&s2, 2), 0);
	assert_int_equal(s2->ncols, 22);
	assert_int_equal(s2->nindicators, 8);
	/* schema 2 extends schema 1: same first twelve columns */
	for (size_t j = 0; j < s1->ncols; j++)
		assert_string_equal(s1->columns[j], s2->columns[j]);
	assert_string_equal(s2->columns[12], "function_name_similarity_mean");
	assert_string_equal(s2->columns[18], "syntactic_logprob_mean");
	assert_string_equal(s2->columns[21], "semantic_mink20");

	/* totals never go missing; rates and similarities share their kind's indicator */
	assert_int_equal(s2->indicator[col(2, "string_total")], -1);
	assert_string_equal(s2->indicators[s2->indicator[col(2, "comment_rate")]], "comment_missing");
	assert_int_equal(s2->indicator[col(2, "comment_rate")],
	    s2->indicator[col(2, "comment_similarity_mean")]);
	assert_string_equal(s2->indicators[s2->indicator[col(2, "semantic_mink20")]],
	    "semantic_logprob_missing");

	assert_int_equal(trw_features_schema(&s, 0), TRW_EINVALID);
	assert_int_equal(trw_features_schema(&s, 3), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "feature schema 3"));
}

static const double lp_six[] = { -0.1, -2.0, -0.5, -3.0, -0.05, -1.0 };
static const double lp_one[] = { -0.2 };

/* function_name: 3 items (2 hits); class_name: none; variable_name: 1 miss;
 * string: 2 items (1 hit); comment: none; docstring: 1 hit.  Log-probs on
 * two syntactic items only. */
static void fill(trw_file_counts *c)
{
	assert_int_equal(trw_features_accumulate(c, FN, 100, 1, lp_six, 6), 0);
	assert_int_equal(trw_features_accumulate(c, FN, 40, 0, NULL, 0), 0);
	assert_int_equal(trw_features_accumulate(c, FN, 100, 1, NULL, 0), 0);
	assert_int_equal(trw_features_accumulate(c, VN, 0, 0, lp_one, 1), 0);
	assert_int_equal(trw_features_accumulate(c, ST, 70, 1, NULL, 0), 0);
	assert_int_equal(trw_features_accumulate(c, ST, 30, 0, NULL, 0), 0);
	assert_int_equal(trw_features_accumulate(c, DS, 95, 1, NULL, 0), 0);
}

static void check_vector(const double *v, unsigned schema)
{
	/* rates: hits / total, NaN (missing) where total = 0 */
	assert_double_equal(v[col(schema, "function_name_rate")], 2.0 / 3.0, EPS);
	assert_true(isnan(v[col(schema, "class_name_rate")]));
	assert_double_equal(v[col(schema, "variable_name_rate")], 0, EPS);
	assert_double_equal(v[col(schema, "string_rate")], 0.5, EPS);
	assert_true(isnan(v[col(schema, "comment_rate")]));
	assert_double_equal(v[col(schema, "docstring_rate")], 1, EPS);
	/* totals: always present, 0 is a measurement */
	assert_double_equal(v[col(schema, "function_name_total")], 3, 0);
	assert_double_equal(v[col(schema, "class_name_total")], 0, 0);
	assert_double_equal(v[col(schema, "variable_name_total")], 1, 0);
	assert_double_equal(v[col(schema, "string_total")], 2, 0);
	assert_double_equal(v[col(schema, "comment_total")], 0, 0);
	assert_double_equal(v[col(schema, "docstring_total")], 1, 0);
	if (schema < 2)
		return;
	assert_double_equal(v[col(2, "function_name_similarity_mean")], 80, EPS);
	assert_true(isnan(v[col(2, "class_name_similarity_mean")]));
	assert_double_equal(v[col(2, "variable_name_similarity_mean")], 0, EPS);
	assert_double_equal(v[col(2, "string_similarity_mean")], 50, EPS);
	assert_true(isnan(v[col(2, "comment_similarity_mean")]));
	assert_double_equal(v[col(2, "docstring_similarity_mean")], 95, EPS);
	/* item means: -6.65/6 and -0.2; Min-K%(20): ceil(1.2) = 2 lowest (-3, -2)
	 * -> -2.5, and the single token -0.2.  The file value is their mean. */
	assert_double_equal(v[col(2, "syntactic_logprob_mean")], (-6.65 / 6 - 0.2) / 2, EPS);
	assert_double_equal(v[col(2, "syntactic_mink20")], (-2.5 - 0.2) / 2, EPS);
	assert_true(isnan(v[col(2, "semantic_logprob_mean")]));
	assert_true(isnan(v[col(2, "semantic_mink20")]));
}

static void test_vectors_from_counts(void **state)
{
	trw_file_counts c = TRW_FILE_COUNTS_INIT;
	double v1[TRW_FEATURES_MAX_COLUMNS], v2[TRW_FEATURES_MAX_COLUMNS];
	(void)state;

	fill(&c);
	assert_int_equal(trw_features_from_counts(v1, 1, &c), 0);
	check_vector(v1, 1);
	assert_int_equal(trw_features_from_counts(v2, 2, &c), 0);
	check_vector(v2, 2);
	assert_int_equal(trw_features_from_counts(v2, 9, &c), TRW_EINVALID);
}

static void test_mink_counts(void **state)
{
	/* 5 tokens: ceil(1.0) = 1 lowest; 10 tokens: 2; 11 tokens: ceil(2.2) = 3 */
	const double five[] = { -1, -4, -2, -3, -5 };
	const double ten[] = { -1, -1, -1, -1, -1, -1, -1, -1, -7, -9 };
	const double eleven[] = { -1, -1, -1, -1, -1, -1, -1, -1, -7, -9, -2 };
	const double *in[] = { five, ten, eleven };
	const size_t n[] = { 5, 10, 11 };
	const double want[] = { -5, -8, -6 };
	(void)state;

	for (int t = 0; t < 3; t++) {
		trw_file_counts c = TRW_FILE_COUNTS_INIT;
		double v[TRW_FEATURES_MAX_COLUMNS];

		assert_int_equal(trw_features_accumulate(&c, CO, 50, 0, in[t], n[t]), 0);
		assert_int_equal(trw_features_from_counts(v, 2, &c), 0);
		assert_double_equal(v[col(2, "semantic_mink20")], want[t], EPS);
		assert_true(isnan(v[col(2, "syntactic_mink20")]));
	}
}

static void test_accumulate_refuses(void **state)
{
	trw_file_counts c = TRW_FILE_COUNTS_INIT;
	const double nan_lp[] = { -1, NAN }, pos_lp[] = { 0.5 }, inf_lp[] = { -INFINITY };
	(void)state;

	/* a failed query (similarity -1) is never a miss */
	assert_int_equal(trw_features_accumulate(&c, FN, -1, -1, NULL, 0), TRW_EINVALID);
	assert_int_equal(trw_features_accumulate(&c, FN, 101, 0, NULL, 0), TRW_EINVALID);
	assert_int_equal(trw_features_accumulate(&c, FN, 50, 2, NULL, 0), TRW_EINVALID);
	assert_int_equal(trw_features_accumulate(&c, (trw_kind)6, 50, 0, NULL, 0), TRW_EINVALID);
	assert_int_equal(trw_features_accumulate(&c, FN, 50, 0, nan_lp, 2), TRW_EINVALID);
	assert_int_equal(trw_features_accumulate(&c, FN, 50, 0, pos_lp, 1), TRW_EINVALID);
	assert_int_equal(trw_features_accumulate(&c, FN, 50, 0, inf_lp, 1), TRW_EINVALID);
	assert_int_equal(trw_features_accumulate(&c, FN, 50, 0, NULL, 3), TRW_EINVALID);
	/* nothing was counted */
	for (int k = 0; k < TRW_KIND__COUNT; k++)
		assert_int_equal(c.totals[k], 0);
}

/* The same file as fill(), as `trawic probe` JSON Lines. */
static const char *const records[] = {
	"{\"type\":\"probe\",\"path\":\"a.py\",\"kind\":\"function_name\",\"similarity\":100,"
	"\"hit\":true,\"logprobs\":[-0.1,-2.0,-0.5,-3.0,-0.05,-1.0]}",
	"{\"type\":\"probe\",\"kind\":\"function_name\",\"similarity\":40,\"hit\":false}",
	"{\"type\":\"probe\",\"kind\":\"function_name\",\"similarity\":100,\"hit\":true}",
	"{\"type\":\"probe\",\"kind\":\"variable_name\",\"similarity\":0,\"hit\":false,"
	"\"logprobs\":[-0.2]}",
	"{\"type\":\"probe\",\"kind\":\"string\",\"similarity\":70,\"hit\":true}",
	"{\"type\":\"probe\",\"kind\":\"string\",\"similarity\":30,\"hit\":false,\"logprobs\":[]}",
	"{\"type\":\"probe\",\"kind\":\"docstring\",\"similarity\":95,\"hit\":true}",
	/* not a probe record: ignored */
	"{\"type\":\"file\",\"path\":\"a.py\",\"features\":null}",
};

static void test_json_lines(void **state)
{
	trw_file_counts c = TRW_FILE_COUNTS_INIT, d = TRW_FILE_COUNTS_INIT;
	double v[TRW_FEATURES_MAX_COLUMNS];
	json_t *j;
	(void)state;

	for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
		assert_non_null(j = json_loads(records[i], 0, NULL));
		assert_int_equal(trw_features_accumulate_record(&c, j), 0);
		json_decref(j);
	}
	assert_int_equal(trw_features_from_counts(v, 2, &c), 0);
	check_vector(v, 2);
	fill(&d);
	assert_memory_equal(&c, &d, sizeof(c));

	/* a failed query's record: the file has no vector */
	assert_non_null(j = json_loads("{\"type\":\"probe\",\"kind\":\"string\",\"error\":\"timeout\"}",
	    0, NULL));
	assert_int_equal(trw_features_accumulate_record(&c, j), TRW_EINVALID);
	json_decref(j);
	assert_non_null(j = json_loads("{\"type\":\"probe\",\"kind\":\"nope\",\"similarity\":1,"
	    "\"hit\":false}", 0, NULL));
	assert_int_equal(trw_features_accumulate_record(&c, j), TRW_EINVALID);
	json_decref(j);
	assert_non_null(j = json_loads("{\"type\":\"probe\",\"kind\":\"string\",\"similarity\":1,"
	    "\"hit\":false,\"logprobs\":[-1,\"x\"]}", 0, NULL));
	assert_int_equal(trw_features_accumulate_record(&c, j), TRW_EINVALID);
	json_decref(j);
}

static void test_file_record(void **state)
{
	const char *rec = "{\"type\":\"file\",\"path\":\"a.py\",\"complete\":true,\"features\":{"
	    "\"function_name\":{\"hits\":2,\"total\":3,\"rate\":0.666667},"
	    "\"class_name\":{\"hits\":0,\"total\":0,\"rate\":null},"
	    "\"variable_name\":{\"hits\":0,\"total\":1,\"rate\":0.0},"
	    "\"string\":{\"hits\":1,\"total\":2,\"rate\":0.5},"
	    "\"comment\":{\"hits\":0,\"total\":0,\"rate\":null},"
	    "\"docstring\":{\"hits\":1,\"total\":1,\"rate\":1.0}}}";
	trw_file_counts c;
	double v[TRW_FEATURES_MAX_COLUMNS];
	json_t *j;
	(void)state;

	assert_non_null(j = json_loads(rec, 0, NULL));
	assert_int_equal(trw_file_counts_from_file_record(&c, j), 0);
	json_decref(j);
	assert_int_equal(trw_features_from_counts(v, 1, &c), 0);
	check_vector(v, 1);
	/* counts alone cannot give schema 2's similarities: refused, not zeros */
	assert_int_equal(trw_features_from_counts(v, 2, &c), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "similarity"));

	assert_non_null(j = json_loads("{\"type\":\"file\",\"path\":\"b.py\",\"complete\":false,"
	    "\"features\":null}", 0, NULL));
	assert_int_equal(trw_file_counts_from_file_record(&c, j), TRW_EINVALID);
	json_decref(j);
	assert_non_null(j = json_loads("{\"type\":\"file\",\"path\":\"b.bin\",\"skipped\":\"binary\"}",
	    0, NULL));
	assert_int_equal(trw_file_counts_from_file_record(&c, j), TRW_EINVALID);
	json_decref(j);
}

static void test_from_probe_file(void **state)
{
	trw_file file = { "a.py", "", NULL, 10, "x", TRW_SKIP_NONE };
	trw_probe_item items[7];
	trw_probe_file pf = { &file, items, 7, 0, 0, { 0 }, { 0 } };
	const struct { trw_kind kind; int sim, hit; const double *lp; size_t n; } t[7] = {
		{ FN, 100, 1, lp_six, 6 }, { FN, 40, 0, NULL, 0 }, { FN, 100, 1, NULL, 0 },
		{ VN, 0, 0, lp_one, 1 }, { ST, 70, 1, NULL, 0 }, { ST, 30, 0, NULL, 0 },
		{ DS, 95, 1, NULL, 0 },
	};
	double v[TRW_FEATURES_MAX_COLUMNS];
	(void)state;

	memset(items, 0, sizeof(items));
	for (int i = 0; i < 7; i++) {
		items[i].cand.kind = t[i].kind;
		items[i].similarity = t[i].sim;
		items[i].hit = t[i].hit;
		items[i].logprobs = t[i].lp;
		items[i].nlogprobs = t[i].n;
		pf.totals[t[i].kind]++;
		pf.hits[t[i].kind] += (unsigned)t[i].hit;
	}
	assert_int_equal(trw_features_from_probe(v, 2, &pf), 0);
	check_vector(v, 2);

	/* one failed query: no vector from partial data */
	items[1].similarity = -1;
	items[1].hit = -1;
	items[1].error = TRW_EMODEL;
	pf.failed = 1;
	assert_int_equal(trw_features_from_probe(v, 1, &pf), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "partial"));

	file.skipped = (trw_skip)1;
	pf.failed = 0;
	assert_int_equal(trw_features_from_probe(v, 1, &pf), TRW_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_columns),
		cmocka_unit_test(test_vectors_from_counts),
		cmocka_unit_test(test_mink_counts),
		cmocka_unit_test(test_accumulate_refuses),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_file_record),
		cmocka_unit_test(test_from_probe_file),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
