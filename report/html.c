/*
 * html.c - the audit result as one self-contained HTML5 page: a verdict
 * banner, the audit's facts, a bar chart of the files' probabilities and
 * one of the hit rate per kind (inline SVG drawn here), the table of
 * files, the reproduced elements of every member file, and the skipped
 * files by reason.
 *
 * The page loads nothing: no script, no external style sheet, font or
 * image, and a Content-Security-Policy that forbids them, so it can be
 * opened from a CI artefact or a mail attachment without leaking that
 * it was opened.  Every string of the record goes through
 * trw_report_xml_escape, so invalid UTF-8 and control characters become
 * U+FFFD and the page is valid UTF-8 whatever the repository held.  A
 * record of thousands of files still makes a page a browser opens
 * quickly: charts, tables and evidence are capped, and the page says
 * where.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"
#include "report/util.h"

#define MAX_BARS 1000		/* bars of the probability chart */
#define MAX_ROWS 1000		/* rows of the file table */
#define MAX_EVIDENCE_FILES 50	/* member files whose elements are shown */
#define MAX_TEXT 2000		/* bytes of one original or completion */
#define MAX_REASONS 32		/* distinct skip reasons */
#define EXAMPLES 5		/* paths listed per skip reason */

/* probability chart geometry, in SVG user units */
#define PW 960
#define PH 320
#define PL 56
#define PR 16
#define PT 16
#define PB 44
#define PLOT_W (PW - PL - PR)
#define PLOT_H (PH - PT - PB)

/* kind chart geometry */
#define KW 960
#define KL 140
#define KBAR 600
#define KROW 26
#define KT 10

#define DASH TRW_REPORT__DASH	/* en dash: a value that is not there */

/* ---- reading the record ---------------------------------------------------------- */

static int is_str(const json_t *o, const char *key, const char *want)
{
	const char *s = trw_report__str(o, key);

	return s && !strcmp(s, want);
}

/* ---- output primitives --------------------------------------------------------------- */

/*
 * s[0:len] as HTML text or a quoted attribute value (report/util.c's
 * escaping: invalid UTF-8 and characters XML forbids become U+FFFD), at
 * most `max` bytes of it (0 = all), cut on a character boundary and
 * marked as cut in plain text (it may land in a <title>, where markup
 * would show as text).
 */
static int put_esc_n(trw_buf *b, const char *s, size_t len, size_t max)
{
	size_t keep = len;
	int error;

	if (max && len > max) {
		keep = max;
		while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
	}
	if ((error = trw_report_xml_escape(b, s, keep)) < 0)
		return error;
	if (keep < len)
		error = trw_buf_printf(b, "\xe2\x80\xa6 [%zu more bytes]", len - keep);
	return error;
}

static int put_esc(trw_buf *b, const char *s)
{
	return put_esc_n(b, s, strlen(s), 0);
}

/* A string of the record, escaped; `dash` when it is null or missing. */
static int put_jstr(trw_buf *b, const json_t *v, size_t max)
{
	if (!json_is_string(v))
		return trw_buf_puts(b, DASH);
	return put_esc_n(b, json_string_value(v), json_string_length(v), max);
}

/* <code>string</code>, or a dash. */
static int put_jcode(trw_buf *b, const json_t *v)
{
	int error;

	if (!json_is_string(v))
		return trw_buf_puts(b, DASH);
	if ((error = trw_buf_puts(b, "<code>")) < 0 || (error = put_jstr(b, v, 0)) < 0)
		return error;
	return trw_buf_puts(b, "</code>");
}

/* ---- what the record says, summarised ------------------------------------------------- */

/* The banner: a CSS class, a word and a sentence, by status and verdict. */
struct headline {
	const char *cls, *word, *lead;
};

static struct headline headline_of(const json_t *r)
{
	const json_t *verdict = json_object_get(r, "verdict");
	struct headline h;

	if (is_str(r, "status", "complete")) {
		if (is_str(verdict, "verdict", "included"))
			h = (struct headline){ "verdict-included", "Included",
			    "The model was probably trained on this repository." };
		else if (is_str(verdict, "verdict", "not_included"))
			h = (struct headline){ "verdict-not-included", "Not included",
			    "No evidence that the model was trained on this repository." };
		else if (is_str(verdict, "verdict", "inconclusive"))
			h = (struct headline){ "verdict-inconclusive", "Inconclusive",
			    "The evidence does not decide either way." };
		else
			h = (struct headline){ "status-unknown", "No verdict",
			    "The record carries no verdict." };
	} else if (is_str(r, "status", "incomplete")) {
		h = (struct headline){ "status-incomplete", "INCOMPLETE",
		    "Some queries failed, so there is no verdict." };
	} else if (is_str(r, "status", "failed")) {
		h = (struct headline){ "status-failed", "FAILED",
		    "The audit could not run, so there is no verdict." };
	} else if (is_str(r, "status", "cancelled")) {
		h = (struct headline){ "status-cancelled", "CANCELLED",
		    "The audit was cancelled, so there is no verdict." };
	} else {
		h = (struct headline){ "status-unknown", "Unknown status",
		    "The record's status is not one this trawic knows." };
	}
	return h;
}

/* Files with a probability, most likely first (ties in tree order), then
 * the files without one in tree order. */
struct ranked {
	size_t index;
	int has_p;
	double p;
};

static int by_probability(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->has_p != y->has_p)
		return x->has_p ? -1 : 1;
	if (x->has_p && x->p != y->p)
		return x->p > y->p ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int rank_files(struct ranked **out, size_t *with_p, const json_t *files)
{
	size_t n = json_array_size(files), i;
	struct ranked *rank;
	const json_t *f;

	*out = NULL;
	*with_p = 0;
	if (!n)
		return 0;
	if ((rank = calloc(n, sizeof(*rank))) == NULL)
		return trw_error_oom();
	json_array_foreach(files, i, f) {
		rank[i].index = i;
		rank[i].has_p = trw_report__real(json_object_get(f, "probability"), &rank[i].p);
		*with_p += (size_t)rank[i].has_p;
	}
	qsort(rank, n, sizeof(*rank), by_probability);
	*out = rank;
	return 0;
}

/* ---- the page ------------------------------------------------------------------------------ */

static const char style[] =
	"body{margin:0;font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
	"color:#1d1d1f;background:#f6f7f9}\n"
	"main{max-width:1100px;margin:0 auto;padding:0 20px 24px}\n"
	"section{background:#fff;border:1px solid #dde1e6;border-radius:6px;"
	"padding:12px 18px;margin:16px 0}\n"
	"h2{font-size:18px;margin:4px 0 10px}h3{font-size:15px;margin:14px 0 6px}\n"
	"code,.code{font:13px/1.35 ui-monospace,\"DejaVu Sans Mono\",Menlo,Consolas,monospace}\n"
	".banner{color:#fff;padding:18px 24px}\n"
	".banner h1{margin:0;font-size:26px}.banner p{margin:6px 0 0}\n"
	".banner ul{margin:8px 0 0;padding-left:20px}.banner code{color:inherit}\n"
	".verdict-included{background:#b71c1c}\n"
	".verdict-not-included{background:#2e7d32}\n"
	".verdict-inconclusive{background:#8d6e00}\n"
	".status-incomplete{background:#e65100;border-bottom:8px dashed #fff3e0}\n"
	".status-failed{background:#4a148c;border-bottom:8px dashed #f3e5f5}\n"
	".status-cancelled,.status-unknown{background:#455a64}\n"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}\n"
	"dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e6e8eb;"
	"vertical-align:top}\n"
	"th{background:#f0f2f5}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"td.path{overflow-wrap:anywhere}\n"
	"tr.member td.member{color:#b71c1c;font-weight:600}\n"
	"table.ev{table-layout:fixed}\n"
	"table.ev th:nth-child(1){width:70px}table.ev th:nth-child(2){width:120px}\n"
	"table.ev th:nth-child(5){width:80px}\n"
	"td.code{white-space:pre-wrap;overflow-wrap:anywhere;background:#fafafa}\n"
	".note{color:#555;font-size:13px}\n"
	".warnings li{color:#7a4f00}\n"
	"svg{display:block;width:100%;height:auto}\n"
	"svg text{font:12px sans-serif;fill:#333}\n"
	"svg .grid{stroke:#e3e6ea}svg .axis{stroke:#555}\n"
	"svg .bar{fill:#90a4ae}svg .bar.member{fill:#c62828}\n"
	"svg .threshold{stroke:#000;stroke-width:1.5;stroke-dasharray:6 4}\n"
	"svg .kind-bar{fill:#1565c0}svg .kind-track{fill:#eceff1}\n"
	"footer{max-width:1100px;margin:0 auto;padding:0 20px 30px;color:#666;font-size:12px}\n";

static int put_head(trw_buf *b, const json_t *r, const struct headline *h)
{
	int error;

	if ((error = trw_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"trawic ")) < 0 ||
	    (error = put_jstr(b, json_object_get(json_object_get(r, "tool"), "version"), 64)) < 0 ||
	    (error = trw_buf_printf(b, "\">\n<title>trawic audit: %s \xe2\x80\x94 ", h->word)) < 0 ||
	    (error = put_jstr(b, json_object_get(json_object_get(r, "repository"), "spec"),
	    200)) < 0 ||
	    (error = trw_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n",
	    style)) < 0)
		return error;
	return 0;
}

static int put_banner(trw_buf *b, const json_t *r, const struct headline *h)
{
	const json_t *verdict = json_object_get(r, "verdict");
	const json_t *errors = json_object_get(r, "errors");
	const json_t *v;
	size_t i;
	int error;

	if ((error = trw_buf_printf(b, "<header id=\"verdict\" class=\"banner %s\">\n"
	    "<h1>trawic audit: <span class=\"verdict-word\">%s</span></h1>\n"
	    "<p class=\"lead\">%s</p>\n", h->cls, h->word, h->lead)) < 0)
		return error;
	if (json_is_string(json_object_get(verdict, "reason")) &&
	    ((error = trw_buf_puts(b, "<p class=\"reason\">Reason: ")) < 0 ||
	    (error = put_jstr(b, json_object_get(verdict, "reason"), MAX_TEXT)) < 0 ||
	    (error = trw_buf_puts(b, ".</p>\n")) < 0))
		return error;
	if (json_array_size(errors) &&
	    (error = trw_buf_printf(b, "<p>%zu error%s:</p>\n<ul class=\"errors\">\n",
	    json_array_size(errors), json_array_size(errors) == 1 ? "" : "s")) < 0)
		return error;
	json_array_foreach(errors, i, v) {
		if ((error = trw_buf_puts(b, "<li>")) < 0 ||
		    (error = put_jcode(b, json_object_get(v, "code"))) < 0 ||
		    (error = trw_buf_puts(b, ": ")) < 0 ||
		    (error = put_jstr(b, json_object_get(v, "message"), MAX_TEXT)) < 0 ||
		    (error = trw_buf_puts(b, "</li>\n")) < 0)
			return error;
	}
	if (json_array_size(errors) && (error = trw_buf_puts(b, "</ul>\n")) < 0)
		return error;
	return trw_buf_puts(b, "</header>\n<main>\n");
}

static int put_overview(trw_buf *b, const json_t *r)
{
	const json_t *repo = json_object_get(r, "repository");
	const json_t *model = json_object_get(r, "model");
	const json_t *cls = json_object_get(r, "classifier");
	const json_t *conf = json_object_get(r, "configuration");
	const json_t *verdict = json_object_get(r, "verdict");
	const json_t *timing = json_object_get(r, "timing");
	const json_t *prov = json_object_get(cls, "provenance");
	const json_t *cv = json_object_get(cls, "cv");
	const json_t *paths = json_object_get(conf, "paths");
	const json_t *v;
	double confidence;
	size_t i;
	int error;

	if ((error = trw_buf_puts(b, "<section id=\"overview\">\n<h2>Audit</h2>\n"
	    "<dl class=\"facts\">\n<dt>Repository</dt><dd>")) < 0 ||
	    (error = put_jcode(b, json_object_get(repo, "spec"))) < 0 ||
	    (error = trw_buf_puts(b, " at ")) < 0 ||
	    (error = put_jcode(b, json_object_get(repo, "revision"))) < 0 ||
	    (error = trw_buf_puts(b, ", commit ")) < 0 ||
	    (error = put_jcode(b, json_object_get(repo, "commit"))) < 0 ||
	    (error = trw_buf_puts(b, "</dd>\n<dt>Model</dt><dd>")) < 0)
		return error;
	if (json_is_string(json_object_get(model, "identity")))
		error = put_jcode(b, json_object_get(model, "identity"));
	else
		error = trw_buf_puts(b, "did not open");
	if (error < 0 || (error = trw_buf_puts(b, " (given as ")) < 0 ||
	    (error = put_jcode(b, json_object_get(model, "spec"))) < 0 ||
	    (error = trw_buf_puts(b, ")</dd>\n<dt>Classifier</dt><dd>")) < 0)
		return error;
	if (json_is_object(cls)) {
		if ((error = put_jcode(b, json_object_get(cls, "source"))) < 0 ||
		    (error = trw_buf_printf(b, ", feature schema %lld, ", trw_report__int(cls,
		    "schema", 0))) < 0 ||
		    (error = put_jcode(b, json_object_get(cls, "checksum"))) < 0 ||
		    (error = trw_buf_puts(b, "; trained on ")) < 0 ||
		    (error = put_jcode(b, json_object_get(prov, "model"))) < 0 ||
		    (error = trw_buf_puts(b, ", created ")) < 0 ||
		    (error = put_jstr(b, json_object_get(prov, "created"), 64)) < 0)
			return error;
		if (json_is_object(cv) &&
		    ((error = trw_buf_puts(b, "; cross-validated AUC: files ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(cv, "file_auc"), 3)) < 0 ||
		    (error = trw_buf_puts(b, ", repositories ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(cv, "repository_auc"),
		    3)) < 0))
			return error;
	} else if ((error = trw_buf_puts(b, "not loaded")) < 0) {
		return error;
	}
	if ((error = trw_buf_puts(b, "</dd>\n")) < 0)
		return error;

	if (json_is_object(verdict)) {
		const json_t *interval = json_object_get(verdict, "interval");

		if (!trw_report__real(json_object_get(verdict, "confidence"), &confidence))
			confidence = 0.95;
		if ((error = trw_buf_printf(b, "<dt>Member files</dt><dd><strong>%lld of %lld"
		    "</strong> = ", trw_report__int(verdict, "member_files", 0),
		    trw_report__int(verdict, "files", 0))) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(verdict, "fraction"),
		    3)) < 0 ||
		    (error = trw_buf_puts(b, " (")) < 0 ||
		    (error = trw_report__put_num(b, confidence * 100, 0)) < 0 ||
		    (error = trw_buf_puts(b, "% interval ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_array_get(interval, 0), 3)) < 0 ||
		    (error = trw_buf_puts(b, DASH)) < 0 ||
		    (error = trw_report__put_jnum(b, json_array_get(interval, 1), 3)) < 0 ||
		    (error = trw_buf_puts(b, "), repository threshold ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(verdict, "threshold"),
		    3)) < 0 ||
		    (error = trw_buf_puts(b, "</dd>\n<dt>Mean probability</dt><dd>")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(verdict,
		    "mean_probability"), 3)) < 0 ||
		    (error = trw_buf_puts(b, "</dd>\n")) < 0)
			return error;
	}
	if ((error = trw_buf_puts(b, "<dt>Settings</dt><dd>file threshold ")) < 0 ||
	    (error = trw_report__put_jnum(b, json_object_get(conf, "file_threshold"), 3)) < 0 ||
	    (error = trw_buf_puts(b, ", repository threshold ")) < 0 ||
	    (error = trw_report__put_jnum(b, json_object_get(conf, "threshold"), 3)) < 0 ||
	    (error = trw_buf_printf(b, ", semantic threshold %lld, kinds ",
	    trw_report__int(conf, "semantic_threshold", 0))) < 0)
		return error;
	json_array_foreach(json_object_get(conf, "kinds"), i, v)
		if ((error = trw_buf_puts(b, i ? ", " : "")) < 0 || (error = put_jcode(b, v)) < 0)
			return error;
	if ((error = trw_buf_printf(b, ", files up to %lld bytes, fail on ",
	    trw_report__int(conf, "max_file_size", 0))) < 0 ||
	    (error = put_jcode(b, json_object_get(conf, "fail_on"))) < 0 ||
	    (error = trw_buf_puts(b, "</dd>\n<dt>Scope</dt><dd>")) < 0)
		return error;
	if (json_is_array(paths)) {
		if ((error = trw_buf_puts(b, "<code>--paths</code>")) < 0)
			return error;
		json_array_foreach(paths, i, v)
			if ((error = trw_buf_puts(b, i ? ", " : " ")) < 0 ||
			    (error = put_jcode(b, v)) < 0)
				return error;
		if ((error = trw_buf_printf(b, " (%lld files outside)",
		    trw_report__int(json_object_get(r, "counts"), "files_excluded_by_paths",
		    0))) < 0)
			return error;
	} else if ((error = trw_buf_puts(b, "the whole tree")) < 0) {
		return error;
	}
	if ((error = trw_buf_puts(b, "</dd>\n<dt>Time</dt><dd>")) < 0 ||
	    (error = put_jstr(b, json_object_get(timing, "started"), 64)) < 0 ||
	    (error = trw_buf_puts(b, " to ")) < 0 ||
	    (error = put_jstr(b, json_object_get(timing, "finished"), 64)) < 0 ||
	    (error = trw_buf_puts(b, " (")) < 0 ||
	    (error = trw_report__put_jnum(b, json_object_get(timing, "seconds"), 1)) < 0 ||
	    (error = trw_buf_puts(b, " s)</dd>\n</dl>\n</section>\n")) < 0)
		return error;
	return 0;
}

static int put_warnings(trw_buf *b, const json_t *r)
{
	const json_t *warnings = json_object_get(r, "warnings"), *v;
	size_t i;
	int error;

	if (!json_array_size(warnings))
		return 0;
	if ((error = trw_buf_puts(b, "<section id=\"warnings\">\n<h2>Warnings</h2>\n"
	    "<ul class=\"warnings\">\n")) < 0)
		return error;
	json_array_foreach(warnings, i, v)
		if ((error = trw_buf_puts(b, "<li>")) < 0 ||
		    (error = put_jstr(b, v, MAX_TEXT)) < 0 ||
		    (error = trw_buf_puts(b, "</li>\n")) < 0)
			return error;
	return trw_buf_puts(b, "</ul>\n</section>\n");
}

/* One bar per file with a probability, most likely first, and the file
 * threshold across them. */
static int put_prob_chart(trw_buf *b, const json_t *r, const struct ranked *rank,
    size_t with_p)
{
	const json_t *files = json_object_get(r, "files");
	size_t n = with_p < MAX_BARS ? with_p : MAX_BARS;
	double slot = n ? (double)PLOT_W / (double)n : 0, width, ft;
	int error;

	/* a few files make a few bars on the left, not planks across */
	if (slot > 60)
		slot = 60;
	width = slot >= 4 ? slot * 0.8 : slot;
	if ((error = trw_buf_printf(b, "<section id=\"probabilities\">\n"
	    "<h2>Probability per file</h2>\n"
	    "<svg id=\"prob-chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"P(member) of each file, most likely first\">\n", PW, PH)) < 0)
		return error;
	for (int t = 0; t <= 4; t++) {
		double y = PT + PLOT_H - t * PLOT_H / 4.0;

		if ((error = trw_buf_printf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"", PL,
		    PL + PLOT_W)) < 0 || (error = trw_report__put_num(b, y, 2)) < 0 ||
		    (error = trw_buf_puts(b, "\" y2=\"")) < 0 ||
		    (error = trw_report__put_num(b, y, 2)) < 0 ||
		    (error = trw_buf_printf(b, "\"/><text x=\"%d\" y=\"", PL - 6)) < 0 ||
		    (error = trw_report__put_num(b, y + 4, 2)) < 0 ||
		    (error = trw_buf_puts(b, "\" text-anchor=\"end\">")) < 0 ||
		    (error = trw_report__put_num(b, t / 4.0, 2)) < 0 ||
		    (error = trw_buf_puts(b, "</text>\n")) < 0)
			return error;
	}
	if ((error = trw_buf_printf(b, "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" "
	    "y2=\"%d\"/>\n<text x=\"14\" y=\"%d\" text-anchor=\"middle\" "
	    "transform=\"rotate(-90 14 %d)\">P(member)</text>\n",
	    PL, PL + PLOT_W, PT + PLOT_H, PT + PLOT_H, PT + PLOT_H / 2, PT + PLOT_H / 2)) < 0)
		return error;
	for (size_t i = 0; i < n; i++) {
		const json_t *f = json_array_get(files, rank[i].index);
		double p = rank[i].p < 0 ? 0 : rank[i].p > 1 ? 1 : rank[i].p;

		if ((error = trw_buf_printf(b, "<rect class=\"bar%s\" x=\"",
		    json_is_true(json_object_get(f, "member")) ? " member" : "")) < 0 ||
		    (error = trw_report__put_num(b, PL + (double)i * slot + (slot - width) / 2,
		    2)) < 0 ||
		    (error = trw_buf_puts(b, "\" y=\"")) < 0 ||
		    (error = trw_report__put_num(b, PT + (1 - p) * PLOT_H, 2)) < 0 ||
		    (error = trw_buf_puts(b, "\" width=\"")) < 0 ||
		    (error = trw_report__put_num(b, width, 2)) < 0 ||
		    (error = trw_buf_puts(b, "\" height=\"")) < 0 ||
		    (error = trw_report__put_num(b, p * PLOT_H, 2)) < 0 ||
		    (error = trw_buf_puts(b, "\"><title>")) < 0 ||
		    (error = put_jstr(b, json_object_get(f, "path"), 400)) < 0 ||
		    (error = trw_buf_puts(b, ": ")) < 0 ||
		    (error = trw_report__put_num(b, rank[i].p, 3)) < 0 ||
		    (error = trw_buf_puts(b, "</title></rect>\n")) < 0)
			return error;
	}
	if (!n && (error = trw_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
	    "no file has a probability</text>\n", PL + PLOT_W / 2, PT + PLOT_H / 3)) < 0)
		return error;
	if (trw_report__real(json_object_get(json_object_get(r, "configuration"), "file_threshold"),
	    &ft) && ft >= 0 && ft <= 1) {
		double y = PT + (1 - ft) * PLOT_H;

		if ((error = trw_buf_printf(b, "<line class=\"threshold\" x1=\"%d\" x2=\"%d\" y1=\"",
		    PL, PL + PLOT_W)) < 0 || (error = trw_report__put_num(b, y, 2)) < 0 ||
		    (error = trw_buf_puts(b, "\" y2=\"")) < 0 ||
		    (error = trw_report__put_num(b, y, 2)) < 0 ||
		    (error = trw_buf_printf(b, "\"/>\n<text x=\"%d\" y=\"", PL + PLOT_W - 4)) < 0 ||
		    (error = trw_report__put_num(b, y - 5, 2)) < 0 ||
		    (error = trw_buf_puts(b, "\" text-anchor=\"end\">file threshold ")) < 0 ||
		    (error = trw_report__put_num(b, ft, 2)) < 0 ||
		    (error = trw_buf_puts(b, "</text>\n")) < 0)
			return error;
	}
	if ((error = trw_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
	    "files, most likely first</text>\n</svg>\n", PL + PLOT_W / 2, PH - 12)) < 0)
		return error;
	if ((error = trw_buf_printf(b, "<p class=\"note\" id=\"prob-note\">%zu bar%s: ", n,
	    n == 1 ? "" : "s")) < 0)
		return error;
	if (n == 0)
		error = trw_buf_puts(b, "no file has a probability.");
	else if (n < with_p)
		error = trw_buf_printf(b, "the %zu most likely of %zu files with a probability "
		    "(the chart stops at %d).", n, with_p, MAX_BARS);
	else
		error = trw_buf_printf(b, "every file with a probability.");
	if (error < 0)
		return error;
	if (json_array_size(files) > with_p && (error = trw_buf_printf(b, " %zu file%s "
	    "without a probability (failed queries) %s not shown.",
	    json_array_size(files) - with_p, json_array_size(files) - with_p == 1 ? "" : "s",
	    json_array_size(files) - with_p == 1 ? "is" : "are")) < 0)
		return error;
	return trw_buf_puts(b, " Red bars: member files. Dashed line: the file threshold.</p>\n"
	    "</section>\n");
}

static int put_kinds(trw_buf *b, const json_t *r)
{
	const json_t *conf = json_object_get(r, "configuration");
	struct trw_report__kind_sum sums[TRW_REPORT__MAX_KINDS];
	size_t n = trw_report__sum_kinds(sums, json_object_get(r, "files"));
	int height = KT + (int)n * KROW + 10;
	int error;

	if ((error = trw_buf_printf(b, "<section id=\"kinds\">\n<h2>Hit rate per kind</h2>\n"
	    "<svg id=\"kind-chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"reproduced share of the elements probed, per kind\">\n",
	    KW, height)) < 0)
		return error;
	for (size_t k = 0; k < n; k++) {
		int y = KT + (int)k * KROW;

		if ((error = trw_buf_printf(b, "<g class=\"kind\">"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", KL - 8, y + 16)) < 0 ||
		    (error = put_esc(b, sums[k].name)) < 0 ||
		    (error = trw_buf_printf(b, "</text><rect class=\"kind-track\" x=\"%d\" y=\"%d\" "
		    "width=\"%d\" height=\"%d\"/>", KL, y + 3, KBAR, KROW - 8)) < 0)
			return error;
		if (sums[k].total > 0) {
			double rate = (double)sums[k].hits / (double)sums[k].total;

			if ((error = trw_buf_printf(b, "<rect class=\"kind-bar\" x=\"%d\" y=\"%d\" "
			    "width=\"", KL, y + 3)) < 0 ||
			    (error = trw_report__put_num(b, rate * KBAR, 2)) < 0 ||
			    (error = trw_buf_printf(b, "\" height=\"%d\"><title>", KROW - 8)) < 0 ||
			    (error = put_esc(b, sums[k].name)) < 0 ||
			    (error = trw_buf_printf(b, ": %lld of %lld reproduced</title></rect>"
			    "<text x=\"%d\" y=\"%d\">", sums[k].hits, sums[k].total, KL + KBAR + 10,
			    y + 16)) < 0 ||
			    (error = trw_report__put_num(b, rate, 3)) < 0 ||
			    (error = trw_buf_printf(b, " (%lld of %lld)</text>", sums[k].hits,
			    sums[k].total)) < 0)
				return error;
		} else if ((error = trw_buf_printf(b, "<text x=\"%d\" y=\"%d\">%s</text>",
		    KL + KBAR + 10, y + 16, trw_report__probed_kind(conf, sums[k].name)
		    ? "not measured" : "not probed")) < 0) {
			return error;
		}
		if ((error = trw_buf_puts(b, "</g>\n")) < 0)
			return error;
	}
	if ((error = trw_buf_puts(b, "</svg>\n<table id=\"kind-table\">\n<thead><tr><th>kind</th>"
	    "<th class=\"num\">reproduced</th><th class=\"num\">probed</th>"
	    "<th class=\"num\">rate</th></tr></thead>\n<tbody>\n")) < 0)
		return error;
	for (size_t k = 0; k < n; k++) {
		if ((error = trw_buf_puts(b, "<tr><td><code>")) < 0 ||
		    (error = put_esc(b, sums[k].name)) < 0 ||
		    (error = trw_buf_printf(b, "</code></td><td class=\"num\">%lld</td>"
		    "<td class=\"num\">%lld</td><td class=\"num\">", sums[k].hits,
		    sums[k].total)) < 0)
			return error;
		error = sums[k].total > 0 ? trw_report__put_num(b, (double)sums[k].hits /
		    (double)sums[k].total, 3) : trw_buf_puts(b, DASH);
		if (error < 0 || (error = trw_buf_puts(b, "</td></tr>\n")) < 0)
			return error;
	}
	return trw_buf_puts(b, "</tbody>\n</table>\n<p class=\"note\">Over the answered queries "
	    "of every audited file.</p>\n</section>\n");
}

static int put_files(trw_buf *b, const json_t *r, const struct ranked *rank)
{
	const json_t *files = json_object_get(r, "files");
	size_t n = json_array_size(files), rows = n < MAX_ROWS ? n : MAX_ROWS, members = 0;
	int error;

	if ((error = trw_buf_printf(b, "<section id=\"files\">\n<h2>Files (%zu)</h2>\n", n)) < 0)
		return error;
	if (!n)
		return trw_buf_puts(b, "<p class=\"note\">No file was audited.</p>\n</section>\n");
	if ((error = trw_buf_puts(b, "<table id=\"file-table\">\n<thead><tr><th>file</th>"
	    "<th>language</th><th class=\"num\">P(member)</th><th>member</th>"
	    "<th class=\"num\">reproduced</th><th class=\"num\">probed</th></tr></thead>\n"
	    "<tbody>\n")) < 0)
		return error;
	for (size_t i = 0; i < rows; i++) {
		const json_t *f = json_array_get(files, rank[i].index);
		const json_t *member = json_object_get(f, "member");
		int linked = json_is_true(member) && members++ < MAX_EVIDENCE_FILES;

		if ((error = trw_buf_printf(b, "<tr class=\"file-row%s\" data-path=\"",
		    json_is_true(member) ? " member" : "")) < 0 ||
		    (error = put_jstr(b, json_object_get(f, "path"), 0)) < 0 ||
		    (error = trw_buf_puts(b, "\" data-probability=\"")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(f, "probability"), 3)) < 0 ||
		    (error = trw_buf_puts(b, "\"><td class=\"path\">")) < 0 ||
		    (linked && (error = trw_buf_printf(b, "<a href=\"#ev-%zu\">",
		    rank[i].index)) < 0) ||
		    (error = put_jcode(b, json_object_get(f, "path"))) < 0 ||
		    (linked && (error = trw_buf_puts(b, "</a>")) < 0) ||
		    (error = trw_buf_puts(b, "</td><td>")) < 0 ||
		    (error = put_jstr(b, json_object_get(f, "lang"), 64)) < 0 ||
		    (error = trw_buf_puts(b, "</td><td class=\"num\">")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(f, "probability"), 3)) < 0 ||
		    (error = trw_buf_printf(b, "</td><td class=\"member\">%s</td>"
		    "<td class=\"num\">%lld</td><td class=\"num\">%lld</td></tr>\n",
		    json_is_true(member) ? "yes" : json_is_false(member) ? "no" : "failed",
		    trw_report__int(f, "evidence_total", 0), trw_report__elements_probed(f))) < 0)
			return error;
	}
	if ((error = trw_buf_puts(b, "</tbody>\n</table>\n")) < 0)
		return error;
	if (rows < n)
		error = trw_buf_printf(b, "<p class=\"note\" id=\"files-note\">The table shows "
		    "the %zu most likely of %zu files (it stops at %d); the JSON record has "
		    "them all.</p>\n", rows, n, MAX_ROWS);
	else
		error = trw_buf_puts(b, "<p class=\"note\" id=\"files-note\">Most likely first; "
		    "files whose queries failed last.</p>\n");
	if (error < 0)
		return error;
	return trw_buf_puts(b, "</section>\n");
}

static int put_evidence_file(trw_buf *b, const json_t *f, size_t index)
{
	const json_t *evidence = json_object_get(f, "evidence"), *e;
	long long total = trw_report__int(f, "evidence_total", 0);
	size_t i;
	int error;

	if ((error = trw_buf_printf(b, "<article class=\"evidence\" id=\"ev-%zu\">\n<h3>",
	    index)) < 0 ||
	    (error = put_jcode(b, json_object_get(f, "path"))) < 0 ||
	    (error = trw_buf_puts(b, " \xe2\x80\x94 P(member) ")) < 0 ||
	    (error = trw_report__put_jnum(b, json_object_get(f, "probability"), 3)) < 0 ||
	    (error = trw_buf_printf(b, ", %lld reproduced</h3>\n", total)) < 0)
		return error;
	if (!json_array_size(evidence))
		return trw_buf_puts(b, "<p class=\"note\">The record holds no reproduced element "
		    "of this file.</p>\n</article>\n");
	if ((error = trw_buf_puts(b, "<table class=\"ev\">\n<thead><tr><th class=\"num\">line"
	    "</th><th>kind</th><th>original</th><th>completion</th>"
	    "<th class=\"num\">similarity</th></tr></thead>\n<tbody>\n")) < 0)
		return error;
	json_array_foreach(evidence, i, e) {
		if ((error = trw_buf_printf(b, "<tr><td class=\"num\">%lld:%lld</td><td>",
		    trw_report__int(e, "line", 0), trw_report__int(e, "col", 0))) < 0 ||
		    (error = put_jstr(b, json_object_get(e, "kind"), 64)) < 0 ||
		    (error = trw_buf_puts(b, "</td><td class=\"code\">")) < 0 ||
		    (error = put_jstr(b, json_object_get(e, "original"), MAX_TEXT)) < 0 ||
		    (error = trw_buf_puts(b, "</td><td class=\"code\">")) < 0 ||
		    (error = put_jstr(b, json_object_get(e, "completion"), MAX_TEXT)) < 0 ||
		    (error = trw_buf_puts(b, "</td><td class=\"num\">")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(e, "similarity"), 0)) < 0 ||
		    (error = trw_buf_puts(b, "</td></tr>\n")) < 0)
			return error;
	}
	if ((error = trw_buf_puts(b, "</tbody>\n</table>\n")) < 0)
		return error;
	if ((long long)json_array_size(evidence) < total &&
	    (error = trw_buf_printf(b, "<p class=\"note\">The record keeps the first %zu of "
	    "%lld.</p>\n", json_array_size(evidence), total)) < 0)
		return error;
	return trw_buf_puts(b, "</article>\n");
}

static int put_evidence(trw_buf *b, const json_t *r, const struct ranked *rank)
{
	const json_t *files = json_object_get(r, "files");
	size_t n = json_array_size(files), members = 0, shown = 0;
	int error;

	for (size_t i = 0; i < n; i++)
		members += json_is_true(json_object_get(json_array_get(files, i), "member"));
	if ((error = trw_buf_puts(b, "<section id=\"evidence\">\n"
	    "<h2>Reproduced elements of the member files</h2>\n")) < 0)
		return error;
	if (!members)
		return trw_buf_puts(b, "<p class=\"note\">No file is a member.</p>\n</section>\n");
	for (size_t i = 0; i < n && shown < MAX_EVIDENCE_FILES; i++) {
		const json_t *f = json_array_get(files, rank[i].index);

		if (!json_is_true(json_object_get(f, "member")))
			continue;
		shown++;
		if ((error = put_evidence_file(b, f, rank[i].index)) < 0)
			return error;
	}
	if (shown < members && (error = trw_buf_printf(b, "<p class=\"note\" "
	    "id=\"evidence-note\">The %zu most likely of %zu member files are shown "
	    "(the page stops at %d).</p>\n", shown, members, MAX_EVIDENCE_FILES)) < 0)
		return error;
	return trw_buf_puts(b, "</section>\n");
}

struct reason_group {
	const char *reason;	/* borrowed from the record; NULL = other */
	size_t count, examples[EXAMPLES];
};

static void group_add(struct reason_group *g, size_t index)
{
	if (g->count < EXAMPLES)
		g->examples[g->count] = index;
	g->count++;
}

static int put_group(trw_buf *b, const json_t *skipped, const struct reason_group *g)
{
	size_t shown = g->count < EXAMPLES ? g->count : EXAMPLES;
	int error;

	if ((error = trw_buf_puts(b, "<tr class=\"skip-reason\"><td>")) < 0)
		return error;
	if (g->reason && ((error = trw_buf_puts(b, "<code>")) < 0 ||
	    (error = put_esc(b, g->reason)) < 0 || (error = trw_buf_puts(b, "</code>")) < 0))
		return error;
	if ((!g->reason && (error = trw_buf_puts(b, "other")) < 0) || (error = trw_buf_printf(b, "</td><td class=\"num\">%zu</td>"
	    "<td class=\"path\">", g->count)) < 0)
		return error;
	for (size_t e = 0; e < shown; e++)
		if ((error = trw_buf_puts(b, e ? ", " : "")) < 0 ||
		    (error = put_jcode(b, json_object_get(json_array_get(skipped, g->examples[e]),
		    "path"))) < 0)
			return error;
	return trw_buf_puts(b, g->count > shown ? ", \xe2\x80\xa6</td></tr>\n" : "</td></tr>\n");
}

/* The skipped files by reason, in the order reasons first occur; a
 * record with more distinct reasons than the table holds (or a reason
 * that is not a string) puts the rest under "other". */
static int put_skipped(trw_buf *b, const json_t *r)
{
	const json_t *skipped = json_object_get(r, "skipped"), *v;
	struct reason_group groups[MAX_REASONS + 1];
	size_t n = 0, i, k;
	int error;

	if ((error = trw_buf_printf(b, "<section id=\"skipped\">\n<h2>Skipped files (%zu)</h2>\n",
	    json_array_size(skipped))) < 0)
		return error;
	if (!json_array_size(skipped))
		return trw_buf_puts(b, "<p class=\"note\">No file was skipped.</p>\n</section>\n");
	groups[MAX_REASONS].reason = NULL;
	groups[MAX_REASONS].count = 0;
	json_array_foreach(skipped, i, v) {
		const char *reason = trw_report__str(v, "reason");

		for (k = 0; reason && k < n && strcmp(groups[k].reason, reason); k++)
			;
		if (!reason || k == MAX_REASONS) {
			group_add(&groups[MAX_REASONS], i);
			continue;
		}
		if (k == n) {
			groups[n].reason = reason;
			groups[n++].count = 0;
		}
		group_add(&groups[k], i);
	}
	if ((error = trw_buf_puts(b, "<table id=\"skipped-table\">\n<thead><tr><th>reason</th>"
	    "<th class=\"num\">files</th><th>first files</th></tr></thead>\n<tbody>\n")) < 0)
		return error;
	for (k = 0; k < n; k++)
		if ((error = put_group(b, skipped, &groups[k])) < 0)
			return error;
	if (groups[MAX_REASONS].count &&
	    (error = put_group(b, skipped, &groups[MAX_REASONS])) < 0)
		return error;
	return trw_buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

static int put_counts(trw_buf *b, const json_t *r)
{
	static const char *const keys[][2] = {
		{ "files_seen", "files seen" },
		{ "files_audited", "files audited" },
		{ "files_failed", "files failed" },
		{ "files_skipped", "files skipped" },
		{ "files_excluded_by_paths", "of those, outside --paths" },
		{ "elements", "elements probed" },
		{ "queries", "queries" },
		{ "queries_failed", "queries failed" },
		{ "cache_hits", "answered from the cache" },
		{ "model_calls", "model calls" },
		{ "deduplicated", "deduplicated" },
	};
	const json_t *c = json_object_get(r, "counts");
	int error;

	if ((error = trw_buf_puts(b, "<section id=\"counts\">\n<h2>Counts</h2>\n"
	    "<table id=\"counts-table\">\n<tbody>\n")) < 0)
		return error;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((error = trw_buf_printf(b, "<tr><th>%s</th><td class=\"num\">%lld</td></tr>\n",
		    keys[i][1], trw_report__int(c, keys[i][0], 0))) < 0)
			return error;
	return trw_buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

static int put_footer(trw_buf *b, const json_t *r)
{
	const json_t *tool = json_object_get(r, "tool");
	int error;

	if ((error = trw_buf_puts(b, "</main>\n<footer>\n<p>")) < 0 ||
	    (error = put_jstr(b, json_object_get(tool, "name"), 64)) < 0 ||
	    (error = trw_buf_puts(b, " ")) < 0 ||
	    (error = put_jstr(b, json_object_get(tool, "version"), 64)) < 0 ||
	    (error = trw_buf_printf(b, " \xc2\xb7 rendered from a trawic-audit-result record, "
	    "format version %lld \xc2\xb7 this page loads nothing from the network.</p>\n"
	    "</footer>\n</body>\n</html>\n", trw_report__int(r, "format_version", 0))) < 0)
		return error;
	return 0;
}

/* ---- the renderer -------------------------------------------------------------------------- */

int trw_report_html(trw_buf *out, const json_t *result)
{
	struct ranked *rank = NULL;
	struct headline h;
	size_t with_p;
	int error;

	if (!json_is_object(result) || !is_str(result, "format", "trawic-audit-result") ||
	    trw_report__int(result, "format_version", 0) != 1)
		return trw_error_set(TRW_EINVALID, "not a trawic-audit-result record of version 1");
	h = headline_of(result);
	if ((error = rank_files(&rank, &with_p, json_object_get(result, "files"))) < 0)
		goto done;
	if ((error = put_head(out, result, &h)) < 0 ||
	    (error = put_banner(out, result, &h)) < 0 ||
	    (error = put_overview(out, result)) < 0 ||
	    (error = put_warnings(out, result)) < 0 ||
	    (error = put_prob_chart(out, result, rank, with_p)) < 0 ||
	    (error = put_kinds(out, result)) < 0 ||
	    (error = put_files(out, result, rank)) < 0 ||
	    (error = put_evidence(out, result, rank)) < 0 ||
	    (error = put_skipped(out, result)) < 0 ||
	    (error = put_counts(out, result)) < 0 ||
	    (error = put_footer(out, result)) < 0)
		goto done;
done:
	free(rank);
	return error;
}
