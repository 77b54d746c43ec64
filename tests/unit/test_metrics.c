/* test_metrics.c - every metric against a confusion matrix and a ROC
 * curve worked out by hand (in the comments), undefined metrics as NaN
 * and null, calibration bins, repository aggregation, and the SVG. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classifier/metrics.h"
#include "common/error.h"

#define assert_near(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
} while (0)

/*
 * Ten files.  Sorted by score:
 *   .9 M  .8 M  .7 N  .6 M  .5 N  .4 M  .3 N  .2 N  .1 N  .05 N
 * At threshold 0.5 (score >= t is member): tp 3 (.9 .8 .6), fp 2 (.7 .5),
 * fn 1 (.4), tn 4.  precision 3/5, recall 3/4, specificity 4/6,
 * accuracy 7/10, F1 = 6 / (6 + 2 + 1) = 2/3.
 * AUC: member .9 and .8 beat all 6 non-members, .6 beats 5, .4 beats 4:
 * 21 / 24 = 0.875.
 * ROC (fpr, tpr): (0,0) (0,.25) (0,.5) (1/6,.5) (1/6,.75) (2/6,.75)
 * (2/6,1) (3/6,1) (4/6,1) (5/6,1) (1,1).
 */
static const int L10[10] = { 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 };
static const double S10[10] = { 0.9, 0.8, 0.4, 0.6, 0.7, 0.2, 0.1, 0.3, 0.5, 0.05 };

static void test_confusion_and_rates(void **state)
{
	trw_metrics m;
	(void)state;

	assert_int_equal(trw_metrics_compute(&m, L10, S10, 10, 0.5), 0);
	assert_int_equal(m.cm.tp, 3);
	assert_int_equal(m.cm.fp, 2);
	assert_int_equal(m.cm.fn, 1);
	assert_int_equal(m.cm.tn, 4);
	assert_int_equal(m.n, 10);
	assert_int_equal(m.positives, 4);
	assert_int_equal(m.negatives, 6);
	assert_near(m.precision, 3.0 / 5, 1e-15);
	assert_near(m.recall, 3.0 / 4, 1e-15);
	assert_near(m.specificity, 4.0 / 6, 1e-15);
	assert_near(m.accuracy, 7.0 / 10, 1e-15);
	assert_near(m.f1, 2.0 / 3, 1e-15);
	assert_near(m.auc, 0.875, 1e-15);
	/* the best TPR with no false positive is 0.5; one costs FPR 1/6 > 5% */
	assert_near(m.tpr_at_fpr_1, 0.5, 0);
	assert_near(m.tpr_at_fpr_5, 0.5, 0);

	/* a different threshold moves the matrix by hand too: t = 0.65 ->
	 * tp 2 (.9 .8), fp 1 (.7), fn 2, tn 5 */
	assert_int_equal(trw_metrics_compute(&m, L10, S10, 10, 0.65), 0);
	assert_int_equal(m.cm.tp, 2);
	assert_int_equal(m.cm.fp, 1);
	assert_int_equal(m.cm.fn, 2);
	assert_int_equal(m.cm.tn, 5);
	assert_near(m.specificity, 5.0 / 6, 1e-15);
	assert_near(m.f1, 4.0 / 7, 1e-15);
}

static void test_roc_curve(void **state)
{
	const double want[][2] = {
		{ 0, 0 }, { 0, .25 }, { 0, .5 }, { 1. / 6, .5 }, { 1. / 6, .75 }, { 2. / 6, .75 },
		{ 2. / 6, 1 }, { 3. / 6, 1 }, { 4. / 6, 1 }, { 5. / 6, 1 }, { 1, 1 },
	};
	trw_roc_point *roc;
	size_t n;
	(void)state;

	assert_int_equal(trw_metrics_roc(&roc, &n, L10, S10, 10), 0);
	assert_int_equal(n, 11);
	for (size_t i = 0; i < n; i++) {
		assert_near(roc[i].fpr, want[i][0], 1e-15);
		assert_near(roc[i].tpr, want[i][1], 1e-15);
	}
	assert_true(isinf(roc[0].threshold));
	assert_near(roc[1].threshold, 0.9, 0);
	assert_near(trw_metrics_tpr_at_fpr(roc, n, 0.2), 0.75, 0);
	assert_near(trw_metrics_tpr_at_fpr(roc, n, 1.0 / 3), 1, 0);
	free(roc);
}

static void test_ties(void **state)
{
	/* members .5 .7 .5, non-members .5 .3 .5: pairs .5/.5 count one half:
	 * (0.5 + 1 + 0.5) + 3 + (0.5 + 1 + 0.5) = 7 of 9 */
	const int l[6] = { 1, 0, 1, 0, 1, 0 };
	const double s[6] = { 0.5, 0.5, 0.7, 0.3, 0.5, 0.5 };
	trw_roc_point *roc;
	size_t n;
	double auc;
	(void)state;

	assert_int_equal(trw_metrics_auc(&auc, l, s, 6), 0);
	assert_near(auc, 7.0 / 9, 1e-15);
	/* the four tied scores are one step: (0,0) (0,1/3) (2/3,1) (1,1) */
	assert_int_equal(trw_metrics_roc(&roc, &n, l, s, 6), 0);
	assert_int_equal(n, 4);
	assert_near(roc[2].fpr, 2.0 / 3, 1e-15);
	assert_near(roc[2].tpr, 1, 0);
	/* trapezoid area under the curve equals the rank AUC */
	{
		double area = 0;

		for (size_t i = 1; i < n; i++)
			area += (roc[i].fpr - roc[i - 1].fpr) * (roc[i].tpr + roc[i - 1].tpr) / 2;
		assert_near(area, auc, 1e-15);
	}
	free(roc);
}

static void test_undefined_metrics(void **state)
{
	/* no member at all: recall and AUC undefined (not 0); one false
	 * positive: precision 0/1 = 0, F1 0/(0+1+0) = 0 */
	const int l[3] = { 0, 0, 0 };
	const double s[3] = { 0.6, 0.2, 0.1 };
	const double low[3] = { 0.4, 0.2, 0.1 };
	trw_metrics m;
	json_t *j;
	(void)state;

	assert_int_equal(trw_metrics_compute(&m, l, s, 3, 0.5), 0);
	assert_true(isnan(m.recall));
	assert_true(isnan(m.auc));
	assert_true(isnan(m.tpr_at_fpr_1));
	assert_near(m.precision, 0, 0);
	assert_near(m.f1, 0, 0);
	assert_near(m.specificity, 2.0 / 3, 1e-15);
	assert_int_equal(trw_metrics_to_json(&j, &m), 0);
	assert_true(json_is_null(json_object_get(j, "recall")));
	assert_true(json_is_null(json_object_get(j, "roc_auc")));
	assert_true(json_is_real(json_object_get(j, "precision")));
	json_decref(j);

	/* nothing predicted member either: precision and F1 undefined too */
	assert_int_equal(trw_metrics_compute(&m, l, low, 3, 0.5), 0);
	assert_true(isnan(m.precision));
	assert_true(isnan(m.f1));
	assert_near(m.specificity, 1, 0);

	/* no sample: everything undefined, nothing crashes */
	assert_int_equal(trw_metrics_compute(&m, NULL, NULL, 0, 0.5), 0);
	assert_true(isnan(m.accuracy));
	assert_true(isnan(m.ece));

	/* bad input */
	{
		const int bad_l[1] = { 2 };
		const double nan_s[1] = { NAN };

		assert_int_equal(trw_metrics_compute(&m, bad_l, s, 1, 0.5), TRW_EINVALID);
		assert_int_equal(trw_metrics_compute(&m, l, nan_s, 1, 0.5), TRW_EINVALID);
	}
}

static void test_calibration(void **state)
{
	/* one file per bin: |p - y| summed over ten bins / 10:
	 * .05 .1 .2 .3 (N: p) .4 (M: .6) .5 (N) .6 (M: .4) .7 (N) .8 (M: .2) .9 (M: .1)
	 * = (.05+.1+.2+.3+.6+.5+.4+.7+.2+.1) / 10 = 0.315 */
	trw_metrics m;
	(void)state;

	assert_int_equal(trw_metrics_compute(&m, L10, S10, 10, 0.5), 0);
	assert_true(m.calibrated);
	assert_near(m.ece, 0.315, 1e-12);
	for (int b = 0; b < TRW_RELIABILITY_BINS; b++) {
		assert_int_equal(m.bins[b].count, 1);
		assert_near(m.bins[b].lo, b / 10.0, 1e-15);
	}
	assert_near(m.bins[4].mean_predicted, 0.4, 1e-15);
	assert_near(m.bins[4].observed, 1, 0);
	assert_near(m.bins[7].observed, 0, 0);
	/* Brier: mean (p - y)^2; log-loss: -mean log p(y) (Python: 0.14525, 0.438921271) */
	assert_near(m.brier, 0.14525, 1e-12);
	assert_near(m.log_loss, 0.43892127127963815, 1e-12);

	/* p = 1 goes to the last bin; empty bins are NaN, not 0 */
	{
		const int l[2] = { 1, 0 };
		const double p[2] = { 1.0, 0.95 };
		trw_reliability_bin bins[TRW_RELIABILITY_BINS];
		double ece;

		assert_int_equal(trw_metrics_reliability(bins, &ece, l, p, 2), 0);
		assert_int_equal(bins[9].count, 2);
		assert_near(bins[9].observed, 0.5, 0);
		assert_true(isnan(bins[0].observed));
		assert_near(ece, fabs(0.975 - 0.5), 1e-15);
	}

	/* decision values are not probabilities: no calibration figures */
	{
		const int l[2] = { 1, 0 };
		const double f[2] = { 2.5, -1 };
		json_t *j;

		assert_int_equal(trw_metrics_compute(&m, l, f, 2, 0), 0);
		assert_false(m.calibrated);
		assert_true(isnan(m.ece));
		assert_near(m.auc, 1, 0);
		assert_int_equal(trw_metrics_to_json(&j, &m), 0);
		assert_int_equal(json_array_size(json_object_get(j, "reliability")), 0);
		json_decref(j);
	}
}

static void test_json_round_trip(void **state)
{
	trw_metrics m, back;
	json_t *j, *k;
	char *a, *b;
	(void)state;

	assert_int_equal(trw_metrics_compute(&m, L10, S10, 10, 0.5), 0);
	m.recall = NAN;		/* an undefined value survives as null */
	assert_int_equal(trw_metrics_to_json(&j, &m), 0);
	assert_int_equal(trw_metrics_from_json(&back, j), 0);
	assert_int_equal(back.cm.tp, m.cm.tp);
	assert_int_equal(back.cm.tn, m.cm.tn);
	assert_true(isnan(back.recall));
	assert_near(back.auc, m.auc, 0);
	assert_near(back.bins[3].mean_predicted, m.bins[3].mean_predicted, 0);
	assert_int_equal(trw_metrics_to_json(&k, &back), 0);
	a = json_dumps(j, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
	b = json_dumps(k, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(k);

	json_object_del(j, "f1");
	assert_int_equal(trw_metrics_from_json(&back, j), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "f1"));
	json_decref(j);
}

/*
 * Five repositories, files interleaved (a repository's truth is its
 * unit's label, whatever order its files come in):
 *   alpha  member      .9 .8 .7 .2     3/4  [.3006, .9544]  inconclusive  > .4: yes (tp)
 *   beta   non-member  .1 .2 .6        1/3  [.0615, .7923]  inconclusive  no (tn)
 *   gamma  member      .3 .2           0/2  [0, .6576]      inconclusive  no (fn)
 *   delta  non-member  .1 x 6          0/6  [0, .3903]      not included  no (tn)
 *   eps    member      .9 x 5          5/5  [.5655, 1]      included      yes (tp)
 * Repository AUC on the fractions: members .75, 0, 1 vs non-members 1/3, 0:
 * (1 + 1) + (0 + 0.5) + (1 + 1) = 4.5 of 6.
 */
static void test_repositories(void **state)
{
	const char *repos[20] = {
		"alpha", "beta", "delta", "eps", "gamma", "alpha", "delta", "eps", "beta",
		"alpha", "delta", "eps", "gamma", "delta", "beta", "eps", "alpha", "delta",
		"eps", "delta",
	};
	const int labels[20] = { 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0 };
	const double p[20] = {
		.9, .1, .1, .9, .3, .8, .1, .9, .2, .7, .1, .9, .2, .1, .6, .9, .2, .1, .9, .1,
	};
	trw_repo_eval *e;
	int mixed[20];
	(void)state;

	assert_int_equal(trw_metrics_repositories(&e, repos, labels, p, 20, NULL), 0);
	assert_int_equal(e->count, 5);
	/* sorted by name */
	assert_string_equal(e->repos[0].repo, "alpha");
	assert_int_equal(e->repos[0].verdict.files, 4);
	assert_int_equal(e->repos[0].verdict.member_files, 3);
	assert_near(e->repos[0].verdict.lower, 0.3006, 0.5e-4);
	assert_int_equal(e->repos[0].verdict.verdict, TRW_VERDICT_INCONCLUSIVE);
	assert_near(e->repos[0].verdict.mean_probability, 2.6 / 4, 1e-12);
	assert_string_equal(e->repos[2].repo, "delta");
	assert_int_equal(e->repos[2].verdict.files, 6);
	assert_int_equal(e->repos[2].verdict.verdict, TRW_VERDICT_NOT_INCLUDED);
	assert_string_equal(e->repos[3].repo, "eps");
	assert_int_equal(e->repos[3].label, 1);
	assert_int_equal(e->repos[3].verdict.verdict, TRW_VERDICT_INCLUDED);

	assert_int_equal(e->metrics.cm.tp, 2);
	assert_int_equal(e->metrics.cm.fn, 1);
	assert_int_equal(e->metrics.cm.tn, 2);
	assert_int_equal(e->metrics.cm.fp, 0);
	assert_near(e->metrics.precision, 1, 0);
	assert_near(e->metrics.recall, 2.0 / 3, 1e-15);
	assert_near(e->metrics.specificity, 1, 0);
	assert_near(e->metrics.accuracy, 4.0 / 5, 1e-15);
	assert_near(e->metrics.f1, 0.8, 1e-15);
	assert_near(e->metrics.auc, 0.75, 1e-15);
	assert_int_equal(e->verdicts[1][TRW_VERDICT_INCLUDED], 1);
	assert_int_equal(e->verdicts[1][TRW_VERDICT_INCONCLUSIVE], 2);
	assert_int_equal(e->verdicts[0][TRW_VERDICT_NOT_INCLUDED], 1);
	assert_int_equal(e->verdicts[0][TRW_VERDICT_INCONCLUSIVE], 1);
	assert_int_equal(e->verdicts[0][TRW_VERDICT_INCLUDED], 0);
	trw_repo_eval_free(e);

	/* a repository whose files disagree on the label is refused */
	memcpy(mixed, labels, sizeof(mixed));
	mixed[16] = 0;		/* the last "alpha" file */
	assert_int_equal(trw_metrics_repositories(&e, repos, mixed, p, 20, NULL), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "alpha"));
}

/* Minimal well-formedness: tags balance (no attribute contains '<' or
 * '>', which the writer escapes), one root, no external reference. */
static void check_xml(const char *s)
{
	const char *stack[64];
	size_t depth = 0;

	assert_true(strncmp(s, "<?xml ", 6) == 0);
	assert_null(strstr(s, "href"));
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, "url("));
	for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
		const char *end = strchr(p, '>');

		assert_non_null(end);
		if (p[1] == '?' || p[1] == '!')
			continue;
		if (p[1] == '/') {
			size_t len = strcspn(p + 2, " >");

			assert_true(depth > 0);
			depth--;
			assert_true(strncmp(stack[depth], p + 2, len) == 0);
		} else if (end[-1] != '/') {
			assert_true(depth < 64);
			stack[depth++] = p + 1;
		}
	}
	assert_int_equal(depth, 0);
}

static void test_svg(void **state)
{
	trw_metrics m;
	trw_roc_point *roc;
	size_t n;
	trw_svg_curve curves[2];
	char *svg;
	(void)state;

	assert_int_equal(trw_metrics_compute(&m, L10, S10, 10, 0.5), 0);
	assert_int_equal(trw_metrics_roc(&roc, &n, L10, S10, 10), 0);
	curves[0] = (trw_svg_curve){ "files (AUC 0.875)", roc, n };
	curves[1] = (trw_svg_curve){ "repos <none> & \"empty\"", NULL, 0 };
	assert_int_equal(trw_metrics_svg(&svg, "eval <a&b>", curves, 2, m.bins,
	    TRW_RELIABILITY_BINS), 0);
	check_xml(svg);
	assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(svg, "eval &lt;a&amp;b&gt;"));
	assert_non_null(strstr(svg, "repos &lt;none&gt; &amp; &quot;empty&quot;"));
	assert_non_null(strstr(svg, "<polyline"));
	/* the ROC's first point is the panel's bottom-left corner (60, 400) */
	assert_non_null(strstr(svg, "points=\"60.00,400.00 60.00,315.00"));
	assert_non_null(strstr(svg, "<circle"));
	free(svg);
	free(roc);

	/* no curve, no bins: still a document */
	assert_int_equal(trw_metrics_svg(&svg, NULL, NULL, 0, NULL, 0), 0);
	check_xml(svg);
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confusion_and_rates),
		cmocka_unit_test(test_roc_curve),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_undefined_metrics),
		cmocka_unit_test(test_calibration),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_repositories),
		cmocka_unit_test(test_svg),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
