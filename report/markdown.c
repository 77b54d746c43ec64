/*
 * markdown.c - the audit result as a Markdown summary, sized for a
 * pull-request comment: the verdict with its numbers, the ten most likely
 * files, the hit rate per kind, the counts and the scope, and a footer.
 *
 * It targets GitHub-flavoured Markdown (tables, code spans, backslash
 * escapes) and renders the record and nothing else.  It deliberately
 * prints no evidence text: a comment is no place for a file's strings;
 * the HTML report shows them.  Every string from the record is escaped,
 * so a path with a pipe, a backtick or a newline can neither break a
 * table row nor open a code span that swallows the rest of the comment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"
#include "report/util.h"

#define TOP_FILES 10		/* rows of the most-likely table */
#define FAILED_FILES 10		/* rows of the failed-files table */
#define MAX_REASONS 32		/* distinct skip reasons listed */

#define DASH TRW_REPORT__DASH	/* en dash: a value that is not there */

/* ---- text ------------------------------------------------------------------------------ */

/* The code point at s[0:len] (len > 0) and its length in bytes; an
 * invalid sequence is one byte of U+FFFD. */
static size_t next_char(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n = trw_report__utf8_decode(s, len, cp);

	if (n)
		return n;
	*cp = 0xfffd;
	return 1;
}

static int put_utf8(trw_buf *b, uint32_t c)
{
	unsigned char u[4];
	size_t n;

	if (c < 0x80)
		u[0] = (unsigned char)c, n = 1;
	else if (c < 0x800)
		u[0] = (unsigned char)(0xc0 | c >> 6), u[1] = (unsigned char)(0x80 | (c & 0x3f)),
		n = 2;
	else if (c < 0x10000)
		u[0] = (unsigned char)(0xe0 | c >> 12),
		u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f)),
		u[2] = (unsigned char)(0x80 | (c & 0x3f)), n = 3;
	else
		u[0] = (unsigned char)(0xf0 | c >> 18),
		u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f)),
		u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f)),
		u[3] = (unsigned char)(0x80 | (c & 0x3f)), n = 4;
	return trw_buf_put(b, u, n);
}

/* Control characters have no place on a line of Markdown: a newline
 * would end the table row.  0 = drop nothing, emit `c` as is. */
static uint32_t visible(uint32_t c, int in_code)
{
	if (c == '\n')
		return in_code ? 0x2424 : ' ';	/* U+2424 SYMBOL FOR NEWLINE */
	if (c == '\t' || c == '\r')
		return ' ';
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return 0xfffd;
	return c;
}

/*
 * A code span, fenced with one backtick more than the longest run inside
 * it (CommonMark's rule), padded with spaces when the content starts or
 * ends with a backtick or a space.  In a table cell a pipe is escaped:
 * GFM splits cells before it parses code spans, and honours `\|` in both.
 */
static int put_code_n(trw_buf *b, const char *s, size_t len, int in_table)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, longest = 0;
	int pad, error = 0;

	if (len == 0)
		return trw_buf_puts(b, "\"\"");
	for (size_t i = 0; i < len; i++) {
		run = u[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	pad = strchr("` \t\r\n", s[0]) || strchr("` \t\r\n", s[len - 1]);
	for (size_t k = 0; k <= longest && !error; k++)
		error = trw_buf_puts(b, "`");
	if (!error && pad)
		error = trw_buf_puts(b, " ");
	for (size_t i = 0; i < len && !error;) {
		uint32_t c;

		i += next_char(u + i, len - i, &c);
		c = visible(c, 1);
		if (c == '|' && in_table)
			error = trw_buf_puts(b, "\\|");
		else
			error = put_utf8(b, c);
	}
	if (!error && pad)
		error = trw_buf_puts(b, " ");
	for (size_t k = 0; k <= longest && !error; k++)
		error = trw_buf_puts(b, "`");
	return error;
}

/* Prose: every ASCII character that Markdown could read as syntax is
 * backslash-escaped (CommonMark allows that for any ASCII punctuation). */
static int put_text_n(trw_buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	int error = 0;

	for (size_t i = 0; i < len && !error;) {
		uint32_t c;

		i += next_char(u + i, len - i, &c);
		c = visible(c, 0);
		if (c < 0x80 && strchr("\\`*_[]<>|~&!#", (int)c) && c)
			error = trw_buf_put(b, "\\", 1);
		if (!error)
			error = put_utf8(b, c);
	}
	return error;
}

static int put_code(trw_buf *b, const json_t *v, int in_table)
{
	if (!json_is_string(v))
		return trw_buf_puts(b, DASH);
	return put_code_n(b, json_string_value(v), json_string_length(v), in_table);
}

static int put_text(trw_buf *b, const json_t *v)
{
	if (!json_is_string(v))
		return trw_buf_puts(b, DASH);
	return put_text_n(b, json_string_value(v), json_string_length(v));
}

/* ---- sections -------------------------------------------------------------------------- */

static int put_title(trw_buf *b, const json_t *r)
{
	const char *status = trw_report__str(r, "status");
	const json_t *verdict = json_object_get(r, "verdict");
	const char *v = trw_report__str(verdict, "verdict");
	const char *word, *lead;
	int error;

	if (status && !strcmp(status, "complete")) {
		if (v && !strcmp(v, "included"))
			word = "included", lead = "The model was probably trained on this repository.";
		else if (v && !strcmp(v, "not_included"))
			word = "not included",
			lead = "No evidence that the model was trained on this repository.";
		else if (v && !strcmp(v, "inconclusive"))
			word = "inconclusive", lead = "The evidence does not decide either way.";
		else
			word = "no verdict", lead = "The record carries no verdict.";
	} else if (status && !strcmp(status, "incomplete")) {
		word = "INCOMPLETE", lead = "Some queries failed, so there is no verdict.";
	} else if (status && !strcmp(status, "failed")) {
		word = "FAILED", lead = "The audit could not run, so there is no verdict.";
	} else if (status && !strcmp(status, "cancelled")) {
		word = "CANCELLED", lead = "The audit was cancelled, so there is no verdict.";
	} else {
		word = "unknown status", lead = "The record's status is not one this trawic knows.";
	}
	if ((error = trw_buf_printf(b, "## trawic audit: %s\n\n**%s**", word, lead)) < 0)
		return error;
	if (json_is_string(json_object_get(verdict, "reason"))) {
		if ((error = trw_buf_puts(b, " Reason: ")) < 0 ||
		    (error = put_text(b, json_object_get(verdict, "reason"))) < 0 ||
		    (error = trw_buf_puts(b, ".")) < 0)
			return error;
	}
	return trw_buf_puts(b, "\n\n");
}

static int put_problems(trw_buf *b, const json_t *r)
{
	const json_t *errors = json_object_get(r, "errors");
	const json_t *warnings = json_object_get(r, "warnings");
	const json_t *v;
	size_t i;
	int error;

	if (json_array_size(errors) && (error = trw_buf_puts(b, "**Errors:**\n\n")) < 0)
		return error;
	json_array_foreach(errors, i, v) {
		if ((error = trw_buf_puts(b, "- ")) < 0 ||
		    (error = put_code(b, json_object_get(v, "code"), 0)) < 0 ||
		    (error = trw_buf_puts(b, ": ")) < 0 ||
		    (error = put_text(b, json_object_get(v, "message"))) < 0 ||
		    (error = trw_buf_puts(b, "\n")) < 0)
			return error;
	}
	if (json_array_size(errors) && (error = trw_buf_puts(b, "\n")) < 0)
		return error;
	if (json_array_size(warnings) && (error = trw_buf_puts(b, "**Warnings:**\n\n")) < 0)
		return error;
	json_array_foreach(warnings, i, v) {
		if ((error = trw_buf_puts(b, "- ")) < 0 || (error = put_text(b, v)) < 0 ||
		    (error = trw_buf_puts(b, "\n")) < 0)
			return error;
	}
	if (json_array_size(warnings) && (error = trw_buf_puts(b, "\n")) < 0)
		return error;
	return 0;
}

static int put_summary(trw_buf *b, const json_t *r)
{
	const json_t *repo = json_object_get(r, "repository");
	const json_t *model = json_object_get(r, "model");
	const json_t *conf = json_object_get(r, "configuration");
	const json_t *verdict = json_object_get(r, "verdict");
	const json_t *paths = json_object_get(conf, "paths");
	const json_t *interval = json_object_get(verdict, "interval");
	const json_t *v;
	double confidence;
	size_t i;
	int error;

	if ((error = trw_buf_puts(b, "- **Repository:** ")) < 0 ||
	    (error = put_code(b, json_object_get(repo, "spec"), 0)) < 0 ||
	    (error = trw_buf_puts(b, " at ")) < 0 ||
	    (error = put_code(b, json_object_get(repo, "revision"), 0)) < 0)
		return error;
	if (json_is_string(json_object_get(repo, "commit")) &&
	    ((error = trw_buf_puts(b, ", commit ")) < 0 ||
	    (error = put_code(b, json_object_get(repo, "commit"), 0)) < 0))
		return error;
	if ((error = trw_buf_puts(b, "\n- **Model:** ")) < 0)
		return error;
	if (json_is_string(json_object_get(model, "identity")))
		error = put_code(b, json_object_get(model, "identity"), 0);
	else if ((error = put_code(b, json_object_get(model, "spec"), 0)) >= 0)
		error = trw_buf_puts(b, " (did not open)");
	if (error < 0 || (error = trw_buf_puts(b, "\n")) < 0)
		return error;

	if (json_is_object(verdict)) {
		if (!trw_report__real(json_object_get(verdict, "confidence"), &confidence))
			confidence = 0.95;
		if ((error = trw_buf_printf(b, "- **Member files:** %lld of %lld (",
		    trw_report__int(verdict, "member_files", 0),
		    trw_report__int(verdict, "files", 0))) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(verdict, "fraction"),
		    3)) < 0 ||
		    (error = trw_buf_puts(b, "; ")) < 0 ||
		    (error = trw_report__put_num(b, confidence * 100, 0)) < 0 ||
		    (error = trw_buf_puts(b, "% interval ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_array_get(interval, 0), 3)) < 0 ||
		    (error = trw_buf_puts(b, DASH)) < 0 ||
		    (error = trw_report__put_jnum(b, json_array_get(interval, 1), 3)) < 0 ||
		    (error = trw_buf_puts(b, ") against the threshold ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(verdict, "threshold"),
		    3)) < 0 ||
		    (error = trw_buf_puts(b, "; a file is a member at P \xe2\x89\xa5 ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(conf, "file_threshold"),
		    3)) < 0 ||
		    (error = trw_buf_puts(b, "\n- **Mean probability:** ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(verdict,
		    "mean_probability"), 3)) < 0 ||
		    (error = trw_buf_puts(b, "\n")) < 0)
			return error;
	} else {
		if ((error = trw_buf_puts(b, "- **Thresholds:** repository ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(conf, "threshold"), 3)) < 0 ||
		    (error = trw_buf_puts(b, ", file ")) < 0 ||
		    (error = trw_report__put_jnum(b, json_object_get(conf, "file_threshold"),
		    3)) < 0 ||
		    (error = trw_buf_puts(b, "\n")) < 0)
			return error;
	}
	if (json_is_array(paths)) {
		if ((error = trw_buf_puts(b, "- **Scope:** `--paths`")) < 0)
			return error;
		json_array_foreach(paths, i, v) {
			if ((error = trw_buf_puts(b, i ? ", " : " ")) < 0 ||
			    (error = put_code(b, v, 0)) < 0)
				return error;
		}
		if ((error = trw_buf_printf(b, " (%lld files outside)\n",
		    trw_report__int(json_object_get(r, "counts"), "files_excluded_by_paths",
		    0))) < 0)
			return error;
	}
	return trw_buf_puts(b, "\n");
}

struct ranked {
	size_t index;
	double p;
};

static int by_probability(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->p != y->p)
		return x->p > y->p ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int put_top_files(trw_buf *b, const json_t *r)
{
	const json_t *files = json_object_get(r, "files");
	const json_t *f;
	struct ranked *rank = NULL;
	size_t n = 0, i;
	double p;
	int error = 0;

	if (json_array_size(files) &&
	    (rank = calloc(json_array_size(files), sizeof(*rank))) == NULL)
		return trw_error_oom();
	json_array_foreach(files, i, f) {
		if (trw_report__real(json_object_get(f, "probability"), &p)) {
			rank[n].index = i;
			rank[n++].p = p;
		}
	}
	if (!n) {
		error = trw_buf_puts(b, json_array_size(files) ? "No file has a probability.\n\n"
		    : "No file was audited.\n\n");
		goto done;
	}
	qsort(rank, n, sizeof(*rank), by_probability);
	if ((error = trw_buf_puts(b, "### Most likely files\n\n"
	    "| # | file | P(member) | member | reproduced | probed |\n"
	    "|--:|---|--:|:-:|--:|--:|\n")) < 0)
		goto done;
	for (i = 0; i < n && i < TOP_FILES; i++) {
		const json_t *member;

		f = json_array_get(files, rank[i].index);
		member = json_object_get(f, "member");
		if ((error = trw_buf_printf(b, "| %zu | ", i + 1)) < 0 ||
		    (error = put_code(b, json_object_get(f, "path"), 1)) < 0 ||
		    (error = trw_buf_puts(b, " | ")) < 0 ||
		    (error = trw_report__put_num(b, rank[i].p, 3)) < 0 ||
		    (error = trw_buf_printf(b, " | %s | %lld | %lld |\n",
		    json_is_true(member) ? "**yes**" : json_is_false(member) ? "no" : DASH,
		    trw_report__int(f, "evidence_total", 0), trw_report__elements_probed(f))) < 0)
			goto done;
	}
	if (n > TOP_FILES)
		error = trw_buf_printf(b, "\nThe %d most likely of %zu files with a probability."
		    "\n\n", TOP_FILES, n);
	else
		error = trw_buf_printf(b, "\nAll %zu file%s with a probability, most likely first."
		    "\n\n", n, n == 1 ? "" : "s");
done:
	free(rank);
	return error;
}

static int put_failed_files(trw_buf *b, const json_t *r)
{
	const json_t *files = json_object_get(r, "files");
	const json_t *f;
	size_t i, shown = 0, failed = 0;
	int error;

	json_array_foreach(files, i, f) {
		if (json_is_number(json_object_get(f, "probability")))
			continue;
		if (failed++ == 0 && (error = trw_buf_puts(b, "### Files with failed queries\n\n"
		    "| file | failed queries | first error |\n|---|--:|---|\n")) < 0)
			return error;
		if (shown == FAILED_FILES)
			continue;
		shown++;
		if ((error = trw_buf_puts(b, "| ")) < 0 ||
		    (error = put_code(b, json_object_get(f, "path"), 1)) < 0 ||
		    (error = trw_buf_printf(b, " | %lld | ", trw_report__int(f, "failed_queries",
		    0))) < 0 ||
		    (error = put_text(b, json_object_get(f, "error"))) < 0 ||
		    (error = trw_buf_puts(b, " |\n")) < 0)
			return error;
	}
	if (!failed)
		return 0;
	if (shown < failed)
		return trw_buf_printf(b, "\nThe first %zu of %zu such files.\n\n", shown, failed);
	return trw_buf_puts(b, "\n");
}

static int put_kinds(trw_buf *b, const json_t *r)
{
	const json_t *files = json_object_get(r, "files");
	const json_t *conf = json_object_get(r, "configuration");
	struct trw_report__kind_sum sums[TRW_REPORT__MAX_KINDS];
	size_t nsums, k;
	int error;

	if (!json_array_size(files))
		return 0;
	nsums = trw_report__sum_kinds(sums, files);
	if ((error = trw_buf_puts(b, "### Hit rate per kind\n\n"
	    "| kind | reproduced | probed | rate |\n|---|--:|--:|--:|\n")) < 0)
		return error;
	for (k = 0; k < nsums; k++) {
		if ((error = trw_buf_puts(b, "| ")) < 0 ||
		    (error = put_code_n(b, sums[k].name, strlen(sums[k].name), 1)) < 0 ||
		    (error = trw_buf_printf(b, " | %lld | %lld | ", sums[k].hits, sums[k].total)) < 0)
			return error;
		if (sums[k].total > 0)
			error = trw_report__put_num(b, (double)sums[k].hits /
			    (double)sums[k].total, 3);
		else
			error = trw_buf_puts(b, trw_report__probed_kind(conf, sums[k].name) ? DASH
			    : "not probed");
		if (error < 0 || (error = trw_buf_puts(b, " |\n")) < 0)
			return error;
	}
	return trw_buf_puts(b, "\n");
}

static int put_counts(trw_buf *b, const json_t *r)
{
	const json_t *c = json_object_get(r, "counts");
	const json_t *skipped = json_object_get(r, "skipped");
	struct {
		const char *reason;
		size_t count;
	} reasons[MAX_REASONS];
	size_t nreasons = 0, other = 0, i, k;
	const json_t *v;
	int error;

	if ((error = trw_buf_printf(b, "### Counts\n\n"
	    "- **Files:** %lld seen: %lld audited, %lld failed, %lld skipped",
	    trw_report__int(c, "files_seen", 0), trw_report__int(c, "files_audited", 0),
	    trw_report__int(c, "files_failed", 0), trw_report__int(c, "files_skipped", 0))) < 0)
		return error;
	if (trw_report__int(c, "files_excluded_by_paths", 0) && (error = trw_buf_printf(b,
	    " (%lld outside `--paths`)", trw_report__int(c, "files_excluded_by_paths", 0))) < 0)
		return error;
	if ((error = trw_buf_printf(b, "\n- **Queries:** %lld for %lld elements, %lld failed; "
	    "%lld cache hits, %lld deduplicated, %lld model calls\n",
	    trw_report__int(c, "queries", 0), trw_report__int(c, "elements", 0),
	    trw_report__int(c, "queries_failed", 0), trw_report__int(c, "cache_hits", 0),
	    trw_report__int(c, "deduplicated", 0), trw_report__int(c, "model_calls", 0))) < 0)
		return error;

	json_array_foreach(skipped, i, v) {
		const char *reason = trw_report__str(v, "reason");

		if (!reason) {
			other++;
			continue;
		}
		for (k = 0; k < nreasons && strcmp(reasons[k].reason, reason); k++)
			;
		if (k == nreasons) {
			if (nreasons == MAX_REASONS) {
				other++;
				continue;
			}
			reasons[nreasons].reason = reason;
			reasons[nreasons++].count = 0;
		}
		reasons[k].count++;
	}
	if (nreasons || other) {
		if ((error = trw_buf_puts(b, "- **Skipped by reason:**")) < 0)
			return error;
		for (k = 0; k < nreasons; k++)
			if ((error = trw_buf_puts(b, k ? ", " : " ")) < 0 ||
			    (error = put_code_n(b, reasons[k].reason, strlen(reasons[k].reason),
			    0)) < 0 || (error = trw_buf_printf(b, " %zu", reasons[k].count)) < 0)
				return error;
		if (other && (error = trw_buf_printf(b, "%sother %zu", nreasons ? ", " : " ",
		    other)) < 0)
			return error;
		if ((error = trw_buf_puts(b, "\n")) < 0)
			return error;
	}
	return trw_buf_puts(b, "\n");
}

static int put_footer(trw_buf *b, const json_t *r)
{
	const json_t *tool = json_object_get(r, "tool");
	const json_t *timing = json_object_get(r, "timing");
	const json_t *cls = json_object_get(r, "classifier");
	int error;

	if ((error = trw_buf_puts(b, "---\n<sub>")) < 0 ||
	    (error = put_text(b, json_object_get(tool, "name"))) < 0 ||
	    (error = trw_buf_puts(b, " ")) < 0 ||
	    (error = put_text(b, json_object_get(tool, "version"))) < 0 ||
	    (error = trw_buf_puts(b, " \xc2\xb7 classifier ")) < 0)
		return error;
	if (json_is_object(cls)) {
		if ((error = put_code(b, json_object_get(cls, "source"), 0)) < 0 ||
		    (error = trw_buf_printf(b, " (schema %lld) ", trw_report__int(cls, "schema",
		    0))) < 0 ||
		    (error = put_code(b, json_object_get(cls, "checksum"), 0)) < 0)
			return error;
	} else if ((error = trw_buf_puts(b, "not loaded")) < 0) {
		return error;
	}
	if (json_is_string(json_object_get(timing, "finished")) &&
	    ((error = trw_buf_puts(b, " \xc2\xb7 finished ")) < 0 ||
	    (error = put_text(b, json_object_get(timing, "finished"))) < 0 ||
	    (error = trw_buf_puts(b, " in ")) < 0 ||
	    (error = trw_report__put_jnum(b, json_object_get(timing, "seconds"), 1)) < 0 ||
	    (error = trw_buf_puts(b, " s")) < 0))
		return error;
	return trw_buf_puts(b, "</sub>\n");
}

/* ---- the renderer ---------------------------------------------------------------------- */

int trw_report_markdown(trw_buf *out, const json_t *result)
{
	const char *format = trw_report__str(result, "format");
	int error;

	if (!json_is_object(result) || !format || strcmp(format, "trawic-audit-result") ||
	    trw_report__int(result, "format_version", 0) != 1)
		return trw_error_set(TRW_EINVALID, "not a trawic-audit-result record of version 1");
	if ((error = put_title(out, result)) < 0 ||
	    (error = put_summary(out, result)) < 0 ||
	    (error = put_problems(out, result)) < 0 ||
	    (error = put_top_files(out, result)) < 0 ||
	    (error = put_failed_files(out, result)) < 0 ||
	    (error = put_kinds(out, result)) < 0 ||
	    (error = put_counts(out, result)) < 0)
		return error;
	return put_footer(out, result);
}
