/*
 * metrics.c - confusion matrices, ROC, calibration, repository
 * aggregation and the SVG plot of `trawic eval`.
 *
 * Every figure is of the positive class (member) and every undefined
 * figure is NaN: the original TraWiC printed weighted averages under the
 * name "sensitivity", computed specificity on shifted columns, and took
 * a repository's truth from the last file it saw; none of that is
 * repeated here.  This module knows nothing of classifiers: it takes
 * labels and scores.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/metrics.h"
#include "common/error.h"
#include "common/util.h"

/* ---- validation -------------------------------------------------------------- */

static int check_pairs(const int *labels, const double *scores, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (labels[i] != 0 && labels[i] != 1)
			return trw_error_set(TRW_EINVALID, "label %d of sample %zu is not 0 or 1",
			    labels[i], i);
		if (isnan(scores[i]))
			return trw_error_set(TRW_EINVALID, "score of sample %zu is NaN", i);
	}
	return 0;
}

static int check_probabilities(const double *scores, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(scores[i] >= 0 && scores[i] <= 1))
			return trw_error_set(TRW_EINVALID,
			    "score %g of sample %zu is not a probability", scores[i], i);
	return 0;
}

/* ---- confusion matrix ------------------------------------------------------------ */

int trw_confusion_at(trw_confusion *out, const int *labels, const double *scores, size_t n,
    double threshold)
{
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = check_pairs(labels, scores, n)) < 0)
		return error;
	for (size_t i = 0; i < n; i++) {
		int predicted = scores[i] >= threshold;

		if (labels[i])
			predicted ? out->tp++ : out->fn++;
		else
			predicted ? out->fp++ : out->tn++;
	}
	return 0;
}

static double div_or_nan(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

void trw_metrics_rates(trw_metrics *m)
{
	const trw_confusion *c = &m->cm;

	m->positives = (size_t)(c->tp + c->fn);
	m->negatives = (size_t)(c->tn + c->fp);
	m->n = m->positives + m->negatives;
	m->precision = div_or_nan((double)c->tp, (double)(c->tp + c->fp));
	m->recall = div_or_nan((double)c->tp, (double)(c->tp + c->fn));
	m->specificity = div_or_nan((double)c->tn, (double)(c->tn + c->fp));
	m->accuracy = div_or_nan((double)(c->tp + c->tn), (double)m->n);
	m->f1 = div_or_nan(2.0 * (double)c->tp, (double)(2 * c->tp + c->fp + c->fn));
}

/* ---- ranking ------------------------------------------------------------------ */

typedef struct {
	double score;
	int label;
} pair;

static int cmp_pair_asc(const void *a, const void *b)
{
	double x = ((const pair *)a)->score, y = ((const pair *)b)->score;

	return (x > y) - (x < y);
}

static int sorted_pairs(pair **out, const int *labels, const double *scores, size_t n)
{
	pair *p;
	int error;

	*out = NULL;
	if ((error = check_pairs(labels, scores, n)) < 0)
		return error;
	if (n == 0)
		return 0;
	if (!(p = malloc(n * sizeof(*p))))
		return trw_error_oom();
	for (size_t i = 0; i < n; i++) {
		p[i].score = scores[i];
		p[i].label = labels[i];
	}
	if (n > 1)
		qsort(p, n, sizeof(*p), cmp_pair_asc);
	*out = p;
	return 0;
}

int trw_metrics_auc(double *out, const int *labels, const double *scores, size_t n)
{
	pair *p;
	double rank_sum = 0, npos = 0, nneg;
	int error;

	*out = NAN;
	if ((error = sorted_pairs(&p, labels, scores, n)) < 0)
		return error;
	for (size_t i = 0; i < n;) {
		size_t j = i, pos = 0;

		while (j < n && p[j].score == p[i].score)
			pos += (size_t)p[j++].label;
		/* ranks i+1 .. j share their average */
		rank_sum += (double)pos * ((double)(i + 1) + (double)j) / 2.0;
		npos += (double)pos;
		i = j;
	}
	free(p);
	nneg = (double)n - npos;
	if (npos > 0 && nneg > 0)
		*out = (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg);
	return 0;
}

int trw_metrics_roc(trw_roc_point **out, size_t *count, const int *labels,
    const double *scores, size_t n)
{
	pair *p;
	trw_roc_point *roc;
	size_t npos = 0, nneg, tp = 0, fp = 0, k = 0;
	int error;

	*out = NULL;
	*count = 0;
	if ((error = sorted_pairs(&p, labels, scores, n)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		npos += (size_t)p[i].label;
	nneg = n - npos;
	if (npos == 0 || nneg == 0) {
		free(p);
		return 0;
	}
	if (!(roc = malloc((n + 1) * sizeof(*roc)))) {
		free(p);
		return trw_error_oom();
	}
	roc[k++] = (trw_roc_point){ 0, 0, INFINITY };
	/* walk from the highest score down; a run of equal scores is one step */
	for (size_t i = n; i > 0;) {
		double s = p[i - 1].score;

		while (i > 0 && p[i - 1].score == s) {
			if (p[i - 1].label)
				tp++;
			else
				fp++;
			i--;
		}
		roc[k++] = (trw_roc_point){ (double)fp / (double)nneg, (double)tp / (double)npos, s };
	}
	free(p);
	*out = roc;
	*count = k;
	return 0;
}

double trw_metrics_tpr_at_fpr(const trw_roc_point *roc, size_t count, double max_fpr)
{
	double best = NAN;

	for (size_t i = 0; i < count; i++)
		if (roc[i].fpr <= max_fpr + 1e-12 && !(roc[i].tpr <= best))
			best = roc[i].tpr;
	return best;
}

/* ---- calibration ----------------------------------------------------------------- */

int trw_metrics_reliability(trw_reliability_bin *out, double *ece, const int *labels,
    const double *scores, size_t n)
{
	double sum_p[TRW_RELIABILITY_BINS] = { 0 }, sum_y[TRW_RELIABILITY_BINS] = { 0 };
	int error;

	*ece = NAN;
	if ((error = check_pairs(labels, scores, n)) < 0 ||
	    (error = check_probabilities(scores, n)) < 0)
		return error;
	for (int b = 0; b < TRW_RELIABILITY_BINS; b++) {
		out[b].lo = (double)b / TRW_RELIABILITY_BINS;
		out[b].hi = (double)(b + 1) / TRW_RELIABILITY_BINS;
		out[b].count = 0;
	}
	for (size_t i = 0; i < n; i++) {
		int b = (int)floor(scores[i] * TRW_RELIABILITY_BINS);

		if (b >= TRW_RELIABILITY_BINS)
			b = TRW_RELIABILITY_BINS - 1;
		out[b].count++;
		sum_p[b] += scores[i];
		sum_y[b] += labels[i];
	}
	if (n)
		*ece = 0;
	for (int b = 0; b < TRW_RELIABILITY_BINS; b++) {
		out[b].mean_predicted = div_or_nan(sum_p[b], (double)out[b].count);
		out[b].observed = div_or_nan(sum_y[b], (double)out[b].count);
		if (out[b].count)
			*ece += (double)out[b].count / (double)n *
			    fabs(out[b].mean_predicted - out[b].observed);
	}
	return 0;
}

int trw_metrics_compute(trw_metrics *out, const int *labels, const double *scores, size_t n,
    double threshold)
{
	trw_roc_point *roc = NULL;
	size_t nroc = 0;
	int error;

	memset(out, 0, sizeof(*out));
	out->ece = out->brier = out->log_loss = NAN;
	if ((error = trw_confusion_at(&out->cm, labels, scores, n, threshold)) < 0)
		return error;
	out->threshold = threshold;
	trw_metrics_rates(out);
	if ((error = trw_metrics_auc(&out->auc, labels, scores, n)) < 0 ||
	    (error = trw_metrics_roc(&roc, &nroc, labels, scores, n)) < 0)
		return error;
	out->tpr_at_fpr_1 = trw_metrics_tpr_at_fpr(roc, nroc, 0.01);
	out->tpr_at_fpr_5 = trw_metrics_tpr_at_fpr(roc, nroc, 0.05);
	free(roc);

	if (check_probabilities(scores, n) < 0) {
		trw_error_clear();
		for (int b = 0; b < TRW_RELIABILITY_BINS; b++) {
			out->bins[b].lo = (double)b / TRW_RELIABILITY_BINS;
			out->bins[b].hi = (double)(b + 1) / TRW_RELIABILITY_BINS;
			out->bins[b].mean_predicted = out->bins[b].observed = NAN;
		}
		return 0;
	}
	out->calibrated = 1;
	if ((error = trw_metrics_reliability(out->bins, &out->ece, labels, scores, n)) < 0)
		return error;
	if (n) {
		double brier = 0, ll = 0;

		for (size_t i = 0; i < n; i++) {
			double p = fmin(fmax(scores[i], 1e-15), 1 - 1e-15);

			brier += (scores[i] - labels[i]) * (scores[i] - labels[i]);
			ll -= labels[i] ? log(p) : log1p(-p);
		}
		out->brier = brier / (double)n;
		out->log_loss = ll / (double)n;
	}
	return 0;
}

/* ---- JSON ------------------------------------------------------------------------- */

static json_t *num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

/* The real-valued fields, in output order. */
#define REAL_FIELDS(m) \
	{ "precision", &(m)->precision }, { "recall", &(m)->recall }, \
	{ "specificity", &(m)->specificity }, { "accuracy", &(m)->accuracy }, \
	{ "f1", &(m)->f1 }, { "roc_auc", &(m)->auc }, \
	{ "tpr_at_fpr_0.01", &(m)->tpr_at_fpr_1 }, { "tpr_at_fpr_0.05", &(m)->tpr_at_fpr_5 }, \
	{ "ece", &(m)->ece }, { "brier", &(m)->brier }, { "log_loss", &(m)->log_loss }

struct real_field {
	const char *key;
	double *value;
};

int trw_metrics_to_json(json_t **out, const trw_metrics *m)
{
	trw_metrics copy = *m;
	struct real_field fields[] = { REAL_FIELDS(&copy) };
	json_t *o, *bins;

	o = json_pack("{sIsIsIsos{sIsIsIsI}}", "n", (json_int_t)m->n,
	    "positives", (json_int_t)m->positives, "negatives", (json_int_t)m->negatives,
	    "threshold", num(m->threshold), "confusion",
	    "tp", (json_int_t)m->cm.tp, "fp", (json_int_t)m->cm.fp,
	    "tn", (json_int_t)m->cm.tn, "fn", (json_int_t)m->cm.fn);
	if (!o)
		return trw_error_oom();
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (json_object_set_new(o, fields[i].key, num(*fields[i].value)) < 0)
			goto oom;
	if (!(bins = json_array()) || json_object_set_new(o, "reliability", bins) < 0)
		goto oom;
	if (m->calibrated)
		for (int b = 0; b < TRW_RELIABILITY_BINS; b++) {
			const trw_reliability_bin *x = &m->bins[b];
			json_t *j = json_pack("{sososIsoso}", "lo", num(x->lo), "hi", num(x->hi),
			    "count", (json_int_t)x->count, "mean_predicted", num(x->mean_predicted),
			    "observed", num(x->observed));

			if (!j || json_array_append_new(bins, j) < 0)
				goto oom;
		}
	*out = o;
	return 0;
oom:
	json_decref(o);
	return trw_error_oom();
}

static int get_count(const json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return trw_error_set(TRW_EINVALID, "metrics: \"%s\" is %s", key,
		    v ? "not a count" : "missing");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_real(const json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);

	if (json_is_null(v))
		*out = NAN;
	else if (json_is_number(v))
		*out = json_number_value(v);
	else
		return trw_error_set(TRW_EINVALID, "metrics: \"%s\" is %s", key,
		    v ? "not a number or null" : "missing");
	return 0;
}

int trw_metrics_from_json(trw_metrics *out, const json_t *j)
{
	struct real_field fields[] = { REAL_FIELDS(out) };
	json_t *cm, *bins;
	uint64_t n, pos, neg;
	int error;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return trw_error_set(TRW_EINVALID, "metrics: not a JSON object");
	cm = json_object_get(j, "confusion");
	if (!json_is_object(cm))
		return trw_error_set(TRW_EINVALID, "metrics: \"confusion\" is missing");
	if ((error = get_count(j, "n", &n)) < 0 || (error = get_count(j, "positives", &pos)) < 0 ||
	    (error = get_count(j, "negatives", &neg)) < 0 ||
	    (error = get_real(j, "threshold", &out->threshold)) < 0 ||
	    (error = get_count(cm, "tp", &out->cm.tp)) < 0 ||
	    (error = get_count(cm, "fp", &out->cm.fp)) < 0 ||
	    (error = get_count(cm, "tn", &out->cm.tn)) < 0 ||
	    (error = get_count(cm, "fn", &out->cm.fn)) < 0)
		return error;
	out->n = (size_t)n;
	out->positives = (size_t)pos;
	out->negatives = (size_t)neg;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((error = get_real(j, fields[i].key, fields[i].value)) < 0)
			return error;
	bins = json_object_get(j, "reliability");
	if (!json_is_array(bins) ||
	    (json_array_size(bins) != 0 && json_array_size(bins) != TRW_RELIABILITY_BINS))
		return trw_error_set(TRW_EINVALID, "metrics: \"reliability\" is not %d bins",
		    TRW_RELIABILITY_BINS);
	out->calibrated = json_array_size(bins) != 0;
	for (int b = 0; b < TRW_RELIABILITY_BINS; b++) {
		trw_reliability_bin *x = &out->bins[b];
		json_t *o = json_array_get(bins, (size_t)b);
		uint64_t count = 0;

		x->lo = (double)b / TRW_RELIABILITY_BINS;
		x->hi = (double)(b + 1) / TRW_RELIABILITY_BINS;
		x->mean_predicted = x->observed = NAN;
		if (!out->calibrated)
			continue;
		if ((error = get_count(o, "count", &count)) < 0 ||
		    (error = get_real(o, "mean_predicted", &x->mean_predicted)) < 0 ||
		    (error = get_real(o, "observed", &x->observed)) < 0)
			return error;
		x->count = (size_t)count;
	}
	return 0;
}

/* ---- repository level --------------------------------------------------------------- */

typedef struct {
	const char *name;
	size_t index;
} named;

static int cmp_named(const void *a, const void *b)
{
	const named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* file order within a repository keeps the sort deterministic */
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

void trw_repo_eval_free(trw_repo_eval *e)
{
	if (!e)
		return;
	free(e->repos);
	free(e->roc);
	free(e);
}

int trw_metrics_repositories(trw_repo_eval **out, const char *const *repos, const int *labels,
    const double *p, size_t n, const trw_verdict_options *opts)
{
	trw_verdict_options defaults = TRW_VERDICT_OPTIONS_INIT;
	trw_repo_eval *e = NULL;
	named *order = NULL;
	size_t nrepos = 0;
	double *probs = NULL, *fractions = NULL;
	int *rlabels = NULL;
	int error = 0;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if ((error = check_pairs(labels, p, n)) < 0 || (error = check_probabilities(p, n)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		if (!repos[i])
			return trw_error_set(TRW_EINVALID, "file %zu has no repository", i);
	if (!(e = calloc(1, sizeof(*e))) || (n && (!(order = malloc(n * sizeof(*order))) ||
	    !(probs = malloc(n * sizeof(*probs))) || !(e->repos = calloc(n, sizeof(*e->repos))) ||
	    !(fractions = malloc(n * sizeof(*fractions))) ||
	    !(rlabels = malloc(n * sizeof(*rlabels)))))) {
		error = trw_error_oom();
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (named){ repos[i], i };
	if (n)
		qsort(order, n, sizeof(*order), cmp_named);

	for (size_t i = 0; i < n;) {
		size_t j = i;
		trw_repo_result *r = &e->repos[nrepos];
		const char *name = order[i].name;

		r->repo = name;
		r->label = labels[order[i].index];
		for (; j < n && strcmp(order[j].name, name) == 0; j++) {
			if (labels[order[j].index] != r->label) {
				error = trw_error_set(TRW_EINVALID,
				    "repository \"%s\" has files labelled member and non-member; "
				    "a repository's label is its unit's label", name);
				goto done;
			}
			probs[j - i] = p[order[j].index];
		}
		if ((error = trw_verdict_compute(&r->verdict, probs, j - i, opts)) < 0)
			goto done;
		fractions[nrepos] = r->verdict.fraction;
		rlabels[nrepos] = r->label;
		e->verdicts[r->label][r->verdict.verdict]++;
		nrepos++;
		i = j;
	}
	e->count = nrepos;

	/* the original's point decision: fraction > tau (strictly) */
	for (size_t r = 0; r < nrepos; r++) {
		int predicted = fractions[r] > opts->threshold;

		if (rlabels[r])
			predicted ? e->metrics.cm.tp++ : e->metrics.cm.fn++;
		else
			predicted ? e->metrics.cm.fp++ : e->metrics.cm.tn++;
	}
	e->metrics.threshold = opts->threshold;
	trw_metrics_rates(&e->metrics);
	e->metrics.ece = e->metrics.brier = e->metrics.log_loss = NAN;
	for (int b = 0; b < TRW_RELIABILITY_BINS; b++) {
		e->metrics.bins[b].lo = (double)b / TRW_RELIABILITY_BINS;
		e->metrics.bins[b].hi = (double)(b + 1) / TRW_RELIABILITY_BINS;
		e->metrics.bins[b].mean_predicted = e->metrics.bins[b].observed = NAN;
	}
	if ((error = trw_metrics_auc(&e->metrics.auc, rlabels, fractions, nrepos)) < 0 ||
	    (error = trw_metrics_roc(&e->roc, &e->roc_count, rlabels, fractions, nrepos)) < 0)
		goto done;
	e->metrics.tpr_at_fpr_1 = trw_metrics_tpr_at_fpr(e->roc, e->roc_count, 0.01);
	e->metrics.tpr_at_fpr_5 = trw_metrics_tpr_at_fpr(e->roc, e->roc_count, 0.05);
	*out = e;
	e = NULL;
done:
	trw_repo_eval_free(e);
	free(order);
	free(probs);
	free(fractions);
	free(rlabels);
	return error;
}

/* ---- SVG ------------------------------------------------------------------------------ */

#define PANEL 340		/* plot area, px */
#define MARGIN_L 60
#define MARGIN_T 60
#define GAP 110
#define WIDTH (MARGIN_L + PANEL + GAP + PANEL + 30)
#define HEIGHT (MARGIN_T + PANEL + 70)

static const char *const palette[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e" };

/* Fixed-point, two decimals, without printf's locale. */
static int put_coord(trw_buf *b, double x)
{
	long long v = llround(x * 100);
	const char *sign = v < 0 ? "-" : "";

	if (v < 0)
		v = -v;
	return trw_buf_printf(b, "%s%lld.%02lld", sign, v / 100, v % 100);
}

/* Text content or attribute value: XML-escaped; bytes that are not valid
 * UTF-8 or not XML characters become '?'. */
static int put_text(trw_buf *b, const char *s)
{
	int error = 0;
	int valid = trw_utf8_valid(s, strlen(s));

	for (; *s && !error; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': error = trw_buf_puts(b, "&amp;"); break;
		case '<': error = trw_buf_puts(b, "&lt;"); break;
		case '>': error = trw_buf_puts(b, "&gt;"); break;
		case '"': error = trw_buf_puts(b, "&quot;"); break;
		case '\'': error = trw_buf_puts(b, "&apos;"); break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') || (c >= 0x80 && !valid))
				c = '?';
			error = trw_buf_put(b, &c, 1);
		}
	}
	return error;
}

/* x, y of a unit-square point in a panel at (x0, y0). */
static int put_xy(trw_buf *b, int x0, int y0, double x, double y)
{
	int error;

	if ((error = put_coord(b, x0 + x * PANEL)) < 0 || (error = trw_buf_puts(b, ",")) < 0)
		return error;
	return put_coord(b, y0 + (1 - y) * PANEL);
}

static int put_axes(trw_buf *b, int x0, int y0, const char *title, const char *xlabel,
    const char *ylabel)
{
	int error;

	if ((error = trw_buf_printf(b,
	    "<g class=\"panel\">\n"
	    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"white\" stroke=\"#333\"/>\n"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" "
	    "stroke-dasharray=\"4 4\"/>\n",
	    x0, y0, PANEL, PANEL, x0, y0 + PANEL, x0 + PANEL, y0)) < 0)
		return error;
	for (int t = 0; t <= 5; t++) {
		int px = x0 + t * PANEL / 5, py = y0 + PANEL - t * PANEL / 5;

		if ((error = trw_buf_printf(b,
		    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d.%d</text>\n"
		    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d.%d</text>\n",
		    px, y0 + PANEL, px, y0 + PANEL + 5, px, y0 + PANEL + 18, t / 5, 2 * t % 10,
		    x0 - 5, py, x0, py, x0 - 8, py + 4, t / 5, 2 * t % 10)) < 0)
			return error;
	}
	if ((error = trw_buf_printf(b,
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-weight=\"bold\">",
	    x0 + PANEL / 2, y0 - 12)) < 0 || (error = put_text(b, title)) < 0 ||
	    (error = trw_buf_printf(b, "</text>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
	    x0 + PANEL / 2, y0 + PANEL + 40)) < 0 || (error = put_text(b, xlabel)) < 0 ||
	    (error = trw_buf_printf(b, "</text>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
	    "transform=\"rotate(-90 %d %d)\">", x0 - 42, y0 + PANEL / 2, x0 - 42,
	    y0 + PANEL / 2)) < 0 || (error = put_text(b, ylabel)) < 0 ||
	    (error = trw_buf_puts(b, "</text>\n")) < 0)
		return error;
	return 0;
}

int trw_metrics_svg(char **out, const char *title, const trw_svg_curve *curves, size_t ncurves,
    const trw_reliability_bin *bins, size_t nbins)
{
	trw_buf b = TRW_BUF_INIT(64u << 20);
	int x1 = MARGIN_L, x2 = MARGIN_L + PANEL + GAP, y0 = MARGIN_T;
	int error;

	*out = NULL;
	if (ncurves > 16)
		return trw_error_set(TRW_EINVALID, "%zu ROC curves in one plot; at most 16", ncurves);
	if ((error = trw_buf_printf(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	    "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">",
	    WIDTH, HEIGHT, WIDTH, HEIGHT, MARGIN_L)) < 0 ||
	    (error = put_text(&b, title ? title : "trawic eval")) < 0 ||
	    (error = trw_buf_puts(&b, "</text>\n")) < 0)
		goto done;

	/* ROC panel */
	if ((error = put_axes(&b, x1, y0, "ROC curve", "false positive rate",
	    "true positive rate")) < 0)
		goto done;
	for (size_t c = 0; c < ncurves; c++) {
		const char *colour = palette[c % (sizeof(palette) / sizeof(palette[0]))];

		if (curves[c].count) {
			if ((error = trw_buf_printf(&b, "<polyline fill=\"none\" stroke=\"%s\" "
			    "stroke-width=\"2\" points=\"", colour)) < 0)
				goto done;
			for (size_t i = 0; i < curves[c].count; i++)
				if ((i && (error = trw_buf_puts(&b, " ")) < 0) ||
				    (error = put_xy(&b, x1, y0, curves[c].points[i].fpr,
				    curves[c].points[i].tpr)) < 0)
					goto done;
			if ((error = trw_buf_puts(&b, "\"/>\n")) < 0)
				goto done;
		}
	}
	/* the legend, lower right inside the panel, where ROC curves do not go */
	if (ncurves && (error = trw_buf_printf(&b, "<rect x=\"%d\" y=\"%zu\" width=\"%d\" "
	    "height=\"%zu\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n",
	    x1 + 120, (size_t)(y0 + PANEL - 12) - 16 * ncurves, PANEL - 126, 16 * ncurves + 6)) < 0)
		goto done;
	for (size_t c = 0; c < ncurves; c++) {
		const char *colour = palette[c % (sizeof(palette) / sizeof(palette[0]))];
		size_t ly = (size_t)(y0 + PANEL - 14) - 16 * (ncurves - 1 - c);

		if ((error = trw_buf_printf(&b, "<line x1=\"%d\" y1=\"%zu\" x2=\"%d\" y2=\"%zu\" "
		    "stroke=\"%s\" stroke-width=\"3\"/><text x=\"%d\" y=\"%zu\">",
		    x1 + 126, ly - 4, x1 + 142, ly - 4, colour, x1 + 146, ly)) < 0 ||
		    (error = put_text(&b, curves[c].label ? curves[c].label : "")) < 0 ||
		    (error = trw_buf_puts(&b, curves[c].count ? "</text>\n"
		    : " (undefined)</text>\n")) < 0)
			goto done;
	}
	if ((error = trw_buf_puts(&b, "</g>\n")) < 0)
		goto done;

	/* reliability panel: bars of the observed rate per bin, markers at
	 * (mean predicted, observed), the count above each bar */
	if ((error = put_axes(&b, x2, y0, "reliability", "predicted P(member)",
	    "observed member rate")) < 0)
		goto done;
	for (size_t i = 0; bins && i < nbins; i++) {
		const trw_reliability_bin *r = &bins[i];

		if (!r->count || isnan(r->observed) || isnan(r->mean_predicted))
			continue;
		if ((error = trw_buf_puts(&b, "<rect fill=\"#c6dbef\" stroke=\"#6baed6\" x=\"")) < 0 ||
		    (error = put_coord(&b, x2 + r->lo * PANEL + 1)) < 0 ||
		    (error = trw_buf_puts(&b, "\" y=\"")) < 0 ||
		    (error = put_coord(&b, y0 + (1 - r->observed) * PANEL)) < 0 ||
		    (error = trw_buf_puts(&b, "\" width=\"")) < 0 ||
		    (error = put_coord(&b, (r->hi - r->lo) * PANEL - 2)) < 0 ||
		    (error = trw_buf_puts(&b, "\" height=\"")) < 0 ||
		    (error = put_coord(&b, r->observed * PANEL)) < 0 ||
		    (error = trw_buf_puts(&b, "\"/>\n<circle r=\"4\" fill=\"#d62728\" cx=\"")) < 0 ||
		    (error = put_coord(&b, x2 + r->mean_predicted * PANEL)) < 0 ||
		    (error = trw_buf_puts(&b, "\" cy=\"")) < 0 ||
		    (error = put_coord(&b, y0 + (1 - r->observed) * PANEL)) < 0 ||
		    (error = trw_buf_puts(&b, "\"/>\n<text font-size=\"9\" text-anchor=\"middle\" x=\"")) < 0 ||
		    (error = put_coord(&b, x2 + (r->lo + r->hi) / 2 * PANEL)) < 0 ||
		    (error = trw_buf_puts(&b, "\" y=\"")) < 0 ||
		    (error = put_coord(&b, y0 + (1 - r->observed) * PANEL - 4)) < 0 ||
		    (error = trw_buf_printf(&b, "\">%zu</text>\n", r->count)) < 0)
			goto done;
	}
	if ((error = trw_buf_printf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"10\" "
	    "fill=\"#555\">bars: observed member rate per bin; dots: at the bin's mean "
	    "predicted P; numbers: files</text>\n", x2, y0 + PANEL + 58)) < 0 ||
	    (error = trw_buf_puts(&b, "</g>\n</svg>\n")) < 0)
		goto done;
	*out = b.ptr;
	b.ptr = NULL;
done:
	trw_buf_dispose(&b);
	return error;
}
