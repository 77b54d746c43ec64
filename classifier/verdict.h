/*
 * verdict.h - from per-file probabilities to a repository decision.
 *
 * A file counts as a member when P(member) >= the file threshold (0.5).
 * The repository's statistic is the fraction f = k / n of its n files
 * that count as members; with the Wilson score interval [lo, hi] on f
 * (95%, z = 1.959964) against the repository threshold tau (0.4, as the
 * original TraWiC):
 *   included       lo > tau   (the whole interval lies above tau)
 *   not included   hi < tau   (the whole interval lies below tau)
 *   inconclusive   otherwise  (the interval contains tau), and when
 *                  there is no file to decide on.
 * The mean probability is reported alongside; it does not decide.
 */
#ifndef TRW_VERDICT_H
#define TRW_VERDICT_H

#include <stddef.h>

#define TRW_VERDICT_FILE_THRESHOLD 0.5
#define TRW_VERDICT_REPO_THRESHOLD 0.4
#define TRW_VERDICT_Z95 1.959964

typedef enum {
	TRW_VERDICT_INCONCLUSIVE = 0,
	TRW_VERDICT_INCLUDED,
	TRW_VERDICT_NOT_INCLUDED,
	TRW_VERDICT__COUNT
} trw_verdict_kind;

typedef struct trw_verdict_options {
	unsigned int version;
	double file_threshold;		/* a member file: P >= this; default 0.5 */
	double threshold;		/* tau; default 0.4 */
	double z;			/* interval width; default 1.959964 (95%) */
} trw_verdict_options;

#define TRW_VERDICT_OPTIONS_VERSION 1
#define TRW_VERDICT_OPTIONS_INIT { TRW_VERDICT_OPTIONS_VERSION, \
	TRW_VERDICT_FILE_THRESHOLD, TRW_VERDICT_REPO_THRESHOLD, TRW_VERDICT_Z95 }

typedef struct trw_verdict {
	trw_verdict_kind verdict;
	size_t files;			/* n */
	size_t member_files;		/* k: files with P >= file_threshold */
	double fraction;		/* k / n; NaN when n = 0 */
	double lower, upper;		/* Wilson interval; [0, 1] when n = 0 */
	double mean_probability;	/* NaN when n = 0 */
	double file_threshold, threshold, z;	/* as used */
	const char *reason;		/* static text: why this verdict */
} trw_verdict;

/* "included", "not_included", "inconclusive"; NULL out of range. */
const char *trw_verdict_name(trw_verdict_kind v);

/*
 * The Wilson score interval for k successes in n trials:
 *   centre = (p + z^2/2n) / (1 + z^2/n),
 *   half   = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2),  p = k/n,
 * clamped to [0, 1], exactly 0 at k = 0 and exactly 1 at k = n.
 * TRW_EINVALID when n = 0, k > n, or z is not positive and finite.
 */
int trw_wilson_interval(double *lower, double *upper, size_t k, size_t n, double z);

/*
 * The verdict on the `n` file probabilities `p` of one repository.
 * n = 0 is not an error: the verdict is inconclusive, reason "no file
 * with a probability".  TRW_EINVALID for a probability outside [0, 1]
 * or NaN, or thresholds outside [0, 1].  `opts` NULL = defaults.
 */
int trw_verdict_compute(trw_verdict *out, const double *p, size_t n,
    const trw_verdict_options *opts);

#endif
