/* test_verdict.c - the Wilson interval against values computed outside
 * trawic (Python, the closed form, z = 1.959964), and the three
 * repository verdicts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "classifier/verdict.h"
#include "common/error.h"

#define assert_near(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%s = %.10g, expected %.10g", #a, a_, b_); \
} while (0)

static void test_wilson_known_values(void **state)
{
	/* k, n, lower, upper: to 4 decimals */
	static const struct { size_t k, n; double lo, hi; } t[] = {
		{ 8, 10, 0.4902, 0.9433 },
		{ 0, 10, 0.0000, 0.2775 },
		{ 10, 10, 0.7225, 1.0000 },
		{ 1, 3, 0.0615, 0.7923 },
		{ 4, 10, 0.1682, 0.6873 },
		{ 50, 100, 0.4038, 0.5962 },
		{ 30, 40, 0.5981, 0.8581 },
		{ 2, 20, 0.0279, 0.3010 },
		{ 1, 1, 0.2065, 1.0000 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		double lo, hi;

		assert_int_equal(trw_wilson_interval(&lo, &hi, t[i].k, t[i].n, TRW_VERDICT_Z95), 0);
		assert_near(lo, t[i].lo, 0.5e-4);
		assert_near(hi, t[i].hi, 0.5e-4);
	}
}

static void test_wilson_bounds_exact(void **state)
{
	double lo, hi;
	(void)state;

	assert_int_equal(trw_wilson_interval(&lo, &hi, 0, 7, TRW_VERDICT_Z95), 0);
	assert_true(lo == 0);
	assert_int_equal(trw_wilson_interval(&lo, &hi, 7, 7, TRW_VERDICT_Z95), 0);
	assert_true(hi == 1);
	assert_int_equal(trw_wilson_interval(&lo, &hi, 0, 0, TRW_VERDICT_Z95), TRW_EINVALID);
	assert_int_equal(trw_wilson_interval(&lo, &hi, 3, 2, TRW_VERDICT_Z95), TRW_EINVALID);
	assert_int_equal(trw_wilson_interval(&lo, &hi, 1, 2, 0), TRW_EINVALID);
}

static void test_verdicts(void **state)
{
	/* ten files each; P >= 0.5 counts (0.5 itself included) */
	const double all[10] = { 0.9, 0.8, 0.5, 0.7, 0.6, 0.95, 0.99, 0.51, 0.8, 0.9 };
	const double none[10] = { 0.1, 0.2, 0.49, 0.3, 0.0, 0.05, 0.4, 0.1, 0.2, 0.3 };
	const double four[10] = { 0.9, 0.8, 0.7, 0.6, 0.1, 0.2, 0.3, 0.1, 0.2, 0.3 };
	trw_verdict v;
	(void)state;

	assert_int_equal(trw_verdict_compute(&v, all, 10, NULL), 0);
	assert_int_equal(v.verdict, TRW_VERDICT_INCLUDED);
	assert_int_equal(v.member_files, 10);
	assert_near(v.fraction, 1, 0);
	assert_near(v.lower, 0.7225, 0.5e-4);	/* > 0.4 */
	assert_near(v.mean_probability, 7.65 / 10, 1e-12);
	assert_string_equal(trw_verdict_name(v.verdict), "included");

	assert_int_equal(trw_verdict_compute(&v, none, 10, NULL), 0);
	assert_int_equal(v.verdict, TRW_VERDICT_NOT_INCLUDED);
	assert_int_equal(v.member_files, 0);
	assert_near(v.upper, 0.2775, 0.5e-4);	/* < 0.4 */
	assert_string_equal(trw_verdict_name(v.verdict), "not_included");

	/* 4/10: [0.1682, 0.6873] contains 0.4 */
	assert_int_equal(trw_verdict_compute(&v, four, 10, NULL), 0);
	assert_int_equal(v.verdict, TRW_VERDICT_INCONCLUSIVE);
	assert_near(v.fraction, 0.4, 1e-15);
	assert_non_null(strstr(v.reason, "contains"));

	/* the original's bare fraction would call 8/10 "included"; so does the
	 * interval, [0.4902, 0.9433] */
	assert_int_equal(trw_verdict_compute(&v, all, 8, NULL), 0);
	assert_int_equal(v.verdict, TRW_VERDICT_INCLUDED);
	/* but 2 of 3 files (0.667 > 0.4) is not enough: [0.2077, 0.9385] */
	assert_int_equal(trw_verdict_compute(&v, four + 2, 3, NULL), 0);
	assert_int_equal(v.member_files, 2);
	assert_int_equal(v.verdict, TRW_VERDICT_INCONCLUSIVE);
}

static void test_no_files(void **state)
{
	trw_verdict v;
	(void)state;

	assert_int_equal(trw_verdict_compute(&v, NULL, 0, NULL), 0);
	assert_int_equal(v.verdict, TRW_VERDICT_INCONCLUSIVE);
	assert_int_equal(v.files, 0);
	assert_true(isnan(v.fraction));
	assert_true(isnan(v.mean_probability));
	assert_non_null(v.reason);
	assert_non_null(strstr(v.reason, "no file"));
}

static void test_options_and_errors(void **state)
{
	const double p[4] = { 0.9, 0.9, 0.9, 0.2 };
	const double bad[2] = { 0.5, 1.5 };
	const double nan_p[1] = { NAN };
	trw_verdict_options o = TRW_VERDICT_OPTIONS_INIT;
	trw_verdict v;
	(void)state;

	/* a stricter file threshold: no file reaches 0.95 */
	o.file_threshold = 0.95;
	assert_int_equal(trw_verdict_compute(&v, p, 4, &o), 0);
	assert_int_equal(v.member_files, 0);
	assert_near(v.file_threshold, 0.95, 0);
	o = (trw_verdict_options)TRW_VERDICT_OPTIONS_INIT;
	o.threshold = 1.5;
	assert_int_equal(trw_verdict_compute(&v, p, 4, &o), TRW_EINVALID);
	assert_int_equal(trw_verdict_compute(&v, bad, 2, NULL), TRW_EINVALID);
	assert_int_equal(trw_verdict_compute(&v, nan_p, 1, NULL), TRW_EINVALID);
	assert_null(trw_verdict_name(TRW_VERDICT__COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wilson_known_values),
		cmocka_unit_test(test_wilson_bounds_exact),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_no_files),
		cmocka_unit_test(test_options_and_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
