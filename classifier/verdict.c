/*
 * verdict.c - the repository decision with its confidence interval.
 *
 * The original TraWiC compared the raw fraction of member files with
 * 0.4; a repository of three files then flips on one file.  Here the
 * same fraction carries a Wilson interval and a repository is called
 * only when the interval is clear of the threshold.  This module does
 * not know where probabilities come from, nor what a repository is.
 */
#include <math.h>

#include "classifier/verdict.h"
#include "common/error.h"

static const char *const names[TRW_VERDICT__COUNT] = {
	"inconclusive", "included", "not_included",
};

const char *trw_verdict_name(trw_verdict_kind v)
{
	return (unsigned)v < TRW_VERDICT__COUNT ? names[v] : NULL;
}

int trw_wilson_interval(double *lower, double *upper, size_t k, size_t n, double z)
{
	double p, z2, denom, centre, half;

	if (n == 0 || k > n)
		return trw_error_set(TRW_EINVALID, "Wilson interval of %zu successes in %zu trials",
		    k, n);
	if (!(z > 0) || !isfinite(z))
		return trw_error_set(TRW_EINVALID, "Wilson interval with z = %g", z);
	p = (double)k / (double)n;
	z2 = z * z;
	denom = 1 + z2 / (double)n;
	centre = (p + z2 / (2.0 * (double)n)) / denom;
	half = z / denom * sqrt(p * (1 - p) / (double)n + z2 / (4.0 * (double)n * (double)n));
	*lower = k == 0 ? 0 : fmax(0, centre - half);
	*upper = k == n ? 1 : fmin(1, centre + half);
	return 0;
}

static int valid_threshold(double t)
{
	return t >= 0 && t <= 1;
}

int trw_verdict_compute(trw_verdict *out, const double *p, size_t n,
    const trw_verdict_options *opts)
{
	trw_verdict_options defaults = TRW_VERDICT_OPTIONS_INIT;
	double sum = 0;
	size_t k = 0;
	int error;

	if (!opts)
		opts = &defaults;
	if (!valid_threshold(opts->file_threshold) || !valid_threshold(opts->threshold))
		return trw_error_set(TRW_EINVALID, "verdict thresholds %g (file), %g (repository) "
		    "are not probabilities", opts->file_threshold, opts->threshold);
	out->files = n;
	out->file_threshold = opts->file_threshold;
	out->threshold = opts->threshold;
	out->z = opts->z;
	if (n == 0) {
		out->verdict = TRW_VERDICT_INCONCLUSIVE;
		out->member_files = 0;
		out->fraction = out->mean_probability = NAN;
		out->lower = 0;
		out->upper = 1;
		out->reason = "no file with a probability";
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(p[i] >= 0 && p[i] <= 1))
			return trw_error_set(TRW_EINVALID, "file probability %g is not in [0, 1]", p[i]);
		sum += p[i];
		k += p[i] >= opts->file_threshold;
	}
	if ((error = trw_wilson_interval(&out->lower, &out->upper, k, n, opts->z)) < 0)
		return error;
	out->member_files = k;
	out->fraction = (double)k / (double)n;
	out->mean_probability = sum / (double)n;
	if (out->lower > opts->threshold) {
		out->verdict = TRW_VERDICT_INCLUDED;
		out->reason = "the interval lies above the threshold";
	} else if (out->upper < opts->threshold) {
		out->verdict = TRW_VERDICT_NOT_INCLUDED;
		out->reason = "the interval lies below the threshold";
	} else {
		out->verdict = TRW_VERDICT_INCONCLUSIVE;
		out->reason = "the interval contains the threshold";
	}
	return 0;
}
