/*
 * metrics.h - detection quality from (label, score) pairs.
 *
 * Labels are 1 (member, the positive class) or 0 (non-member).  Every
 * metric is of the positive class (never a weighted average), and a
 * metric whose denominator is zero is undefined: NaN here, null in JSON,
 * never 0.  Definitions, with the confusion matrix at a threshold t
 * (predicted member when score >= t):
 *   precision   = tp / (tp + fp)
 *   recall      = tp / (tp + fn)          (sensitivity, TPR)
 *   specificity = tn / (tn + fp)
 *   accuracy    = (tp + tn) / n
 *   F1          = 2 tp / (2 tp + fp + fn)  (defined whenever the
 *                 denominator is not 0: F1 = 0 when there are
 *                 positives and no true positive)
 *   ROC-AUC     = Mann-Whitney U / (P N), ties at average ranks; NaN
 *                 without positives or negatives
 *   TPR at FPR <= b: the largest TPR of a ROC point whose FPR <= b
 * The ROC curve has one point per distinct score (tied scores are one
 * step: no threshold can split them), from (0, 0) to (1, 1).
 *
 * Calibration (only when every score is a probability in [0, 1]):
 * ten bins [0, .1), [.1, .2) ... [.9, 1] by floor(10 p); per bin the
 * count, mean predicted probability and observed member rate; the
 * expected calibration error ECE = sum_b (n_b / n) |mean_b - observed_b|;
 * the Brier score; log-loss with p clipped to [1e-15, 1 - 1e-15].
 *
 * Repository level: files carry their repository's name; a repository's
 * true label is the label of its repository unit, which all its files
 * share (mixed labels are refused, never resolved by the last file
 * seen).  Its score is the fraction of member files (verdict.h); its
 * point decision is the original TraWiC's, fraction > tau; the Wilson
 * verdicts are counted separately against the truth.
 */
#ifndef TRW_METRICS_H
#define TRW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "classifier/verdict.h"

#define TRW_RELIABILITY_BINS 10

typedef struct trw_confusion {
	uint64_t tp, fp, tn, fn;
} trw_confusion;

typedef struct trw_roc_point {
	double fpr, tpr;
	double threshold;		/* score >= threshold is predicted member; +inf first */
} trw_roc_point;

typedef struct trw_reliability_bin {
	double lo, hi;			/* [lo, hi), the last bin [0.9, 1] */
	size_t count;
	double mean_predicted;		/* NaN when empty */
	double observed;		/* member rate, NaN when empty */
} trw_reliability_bin;

typedef struct trw_metrics {
	size_t n, positives, negatives;
	double threshold;
	trw_confusion cm;
	double precision, recall, specificity, accuracy, f1;
	double auc;
	double tpr_at_fpr_1;		/* TPR at FPR <= 0.01 */
	double tpr_at_fpr_5;		/* TPR at FPR <= 0.05 */
	int calibrated;			/* the scores were probabilities: the next fields are set */
	double ece, brier, log_loss;	/* NaN when !calibrated or n = 0 */
	trw_reliability_bin bins[TRW_RELIABILITY_BINS];
} trw_metrics;

/* Confusion matrix: predicted member when scores[i] >= threshold.
 * TRW_EINVALID for a label not 0/1 or a score that is NaN. */
int trw_confusion_at(trw_confusion *out, const int *labels, const double *scores, size_t n,
    double threshold);

/* Fill m->precision .. m->f1 (and n, positives, negatives) from m->cm. */
void trw_metrics_rates(trw_metrics *m);

/* ROC-AUC (Mann-Whitney, average ranks) into *out; NaN without both
 * classes.  TRW_EINVALID, TRW_ENOMEM. */
int trw_metrics_auc(double *out, const int *labels, const double *scores, size_t n);

/*
 * The ROC curve: *out receives a malloc'd array of *count points (free()
 * it), (0, 0) first and (1, 1) last.  Without both classes the curve is
 * undefined: *out = NULL, *count = 0, and 0 is returned.
 */
int trw_metrics_roc(trw_roc_point **out, size_t *count, const int *labels,
    const double *scores, size_t n);

/* Largest TPR among points with FPR <= max_fpr; NaN for an empty curve. */
double trw_metrics_tpr_at_fpr(const trw_roc_point *roc, size_t count, double max_fpr);

/*
 * The reliability table (TRW_RELIABILITY_BINS bins into out) and the
 * ECE into *ece (NaN when n = 0).  TRW_EINVALID for a score outside
 * [0, 1].
 */
int trw_metrics_reliability(trw_reliability_bin *out, double *ece, const int *labels,
    const double *scores, size_t n);

/* Everything above at `threshold`.  Calibration fields only when every
 * score is in [0, 1]. */
int trw_metrics_compute(trw_metrics *out, const int *labels, const double *scores, size_t n,
    double threshold);

/*
 * As JSON: {"n","positives","negatives","threshold","confusion":{"tp",
 * "fp","tn","fn"},"precision","recall","specificity","accuracy","f1",
 * "roc_auc","tpr_at_fpr_0.01","tpr_at_fpr_0.05","ece","brier","log_loss",
 * "reliability":[{"lo","hi","count","mean_predicted","observed"}..]};
 * an undefined value is null.  *out is a new reference.
 */
int trw_metrics_to_json(json_t **out, const trw_metrics *m);

/* The inverse of trw_metrics_to_json (null -> NaN).  TRW_EINVALID names
 * the first missing or mistyped key. */
int trw_metrics_from_json(trw_metrics *out, const json_t *json);

/* ---- repository level ------------------------------------------------------ */

typedef struct trw_repo_result {
	const char *repo;		/* borrowed from the caller's repos[] */
	int label;			/* the repository unit's label */
	trw_verdict verdict;		/* over its files' probabilities */
} trw_repo_result;

typedef struct trw_repo_eval {
	trw_repo_result *repos;		/* sorted by name */
	size_t count;
	/* repository metrics: score = fraction of member files, confusion at
	 * fraction > tau (the original criterion); ROC and AUC on the fraction */
	trw_metrics metrics;
	trw_roc_point *roc;
	size_t roc_count;
	/* Wilson verdicts against the truth: verdicts[label][trw_verdict_kind] */
	size_t verdicts[2][TRW_VERDICT__COUNT];
} trw_repo_eval;

/*
 * Aggregate `n` files (repos[i], labels[i], probabilities p[i]) by
 * repository.  The strings are borrowed: keep them alive as long as
 * *out.  TRW_EINVALID when the files of one repository carry different
 * labels, for a probability outside [0, 1], or a bad option.
 */
int trw_metrics_repositories(trw_repo_eval **out, const char *const *repos, const int *labels,
    const double *p, size_t n, const trw_verdict_options *opts);
void trw_repo_eval_free(trw_repo_eval *e);

/* ---- plots ------------------------------------------------------------------ */

typedef struct trw_svg_curve {
	const char *label;		/* legend text, e.g. "files (AUC 0.93)" */
	const trw_roc_point *points;
	size_t count;
} trw_svg_curve;

/*
 * An SVG document (UTF-8, standalone, no external resource, no script)
 * with two panels: the ROC curves (with the chance diagonal) and the
 * reliability diagram of `bins` (observed vs mean predicted per non-empty
 * bin, with the diagonal and the count per bin); `bins` may be NULL.
 * Text is XML-escaped.  At most 16 curves.  *out is malloc'd; free() it.
 */
int trw_metrics_svg(char **out, const char *title, const trw_svg_curve *curves, size_t ncurves,
    const trw_reliability_bin *bins, size_t nbins);

#endif
