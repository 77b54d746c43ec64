/*
 * junit.c - the audit result as JUnit XML, the subset GitLab, Jenkins
 * and the GitHub JUnit actions all read (docs/audit-result.md is the
 * input; /work/shared/reference/ux-conventions.md section 4 the anchor).
 *
 * One <testsuites> holding one <testsuite name="trawic">.  Test cases:
 *
 *   classname "trawic", name "audit completed": always there, so a run
 *     with nothing to report is not "no tests"; an <error> in it when the
 *     status is not "complete", listing the record's errors.
 *   classname "trawic", name "repository verdict": a <failure> when the
 *     verdict is "included" (or "inconclusive" under fail_on
 *     inconclusive); <skipped> when the audit has no verdict.
 *   classname "trawic.files", name = the file's path (unique in the
 *     record, so classname+name is unique): one per audited file, in tree
 *     order, with file= and line= (the first evidence, else 1); a
 *     <failure> when the file is judged a member, an <error> when one of
 *     its queries failed.
 *
 * Files that were skipped are not test cases: their number is a
 * <property>.  Times are numbers of seconds: the suite's is the audit's
 * timing.seconds; the record has no per-file time, so file cases say 0.
 * Bodies carry probabilities and evidence counts per kind, never the
 * original text or the completion (either may be a secret).  All text
 * goes through trw_report_xml_escape, so the document is XML 1.0 even
 * when the record holds control characters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"
#include "report/util.h"

#define CLASS_AUDIT "trawic"
#define CLASS_FILES "trawic.files"

/*
 * An attribute value: escaped, with tabs and line breaks as character
 * references so that attribute-value normalisation does not fold them.
 */
static int attr(trw_buf *out, const char *name, const char *value)
{
	const char *s = value ? value : "";
	size_t start = 0, i;
	int error;

	if ((error = trw_buf_printf(out, " %s=\"", name)) < 0)
		return error;
	for (i = 0; s[i]; i++) {
		const char *ref = s[i] == '\n' ? "&#10;" : s[i] == '\t' ? "&#9;" : NULL;

		if (!ref)
			continue;
		if ((error = trw_report_xml_escape(out, s + start, i - start)) < 0 ||
		    (error = trw_buf_puts(out, ref)) < 0)
			return error;
		start = i + 1;
	}
	if ((error = trw_report_xml_escape(out, s + start, i - start)) < 0)
		return error;
	return trw_buf_puts(out, "\"");
}

static int text(trw_buf *out, const char *s)
{
	return s ? trw_report_xml_escape(out, s, strlen(s)) : 0;
}

/* A string member as text, all of it: a record's strings may hold NUL. */
static int member_text(trw_buf *out, const json_t *o, const char *key, const char *dflt)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return text(out, dflt);
	return trw_report_xml_escape(out, json_string_value(v), json_string_length(v));
}

/* a property with no value (a null in the record) is left out */
static int property(trw_buf *out, const char *name, const char *value)
{
	int error;

	if (!value)
		return 0;
	if ((error = trw_buf_puts(out, "      <property")) < 0 ||
	    (error = attr(out, "name", name)) < 0 ||
	    (error = attr(out, "value", value)) < 0)
		return error;
	return trw_buf_puts(out, "/>\n");
}

static int property_int(trw_buf *out, const char *name, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return property(out, name, buf);
}

/* <testcase classname name [file line] time> without closing the tag */
static int case_open(trw_buf *out, const char *classname, const char *name,
    const char *file, long long line, const char *time)
{
	int error;

	if ((error = trw_buf_puts(out, "    <testcase")) < 0 ||
	    (error = attr(out, "classname", classname)) < 0 ||
	    (error = attr(out, "name", name)) < 0)
		return error;
	if (file) {
		if ((error = attr(out, "file", file)) < 0 ||
		    (error = trw_buf_printf(out, " line=\"%lld\"", line)) < 0)
			return error;
	}
	return trw_buf_printf(out, " time=\"%s\"", time);
}

/* `b` := a printf'ed string (for attribute values). */
static int fmt(trw_buf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static int fmt(trw_buf *b, const char *f, ...)
{
	va_list ap;
	char *s;
	int n, error;

	trw_buf_clear(b);
	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (n < 0)
		return trw_error_set(TRW_ERROR, "formatting a report message failed");
	if (!(s = malloc((size_t)n + 1)))
		return trw_error_oom();
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	error = trw_buf_put(b, s, (size_t)n);
	free(s);
	return error;
}

/* The errors of the record, one per line: "code: message". */
static int errors_body(trw_buf *out, const json_t *result)
{
	const json_t *errors = json_object_get(result, "errors");
	int error = 0;

	for (size_t i = 0; i < json_array_size(errors); i++) {
		const json_t *e = json_array_get(errors, i);
		const char *code = trw_report__str(e, "code");

		if ((code && ((error = text(out, code)) < 0 ||
		    (error = trw_buf_puts(out, ": ")) < 0)) ||
		    (error = member_text(out, e, "message", "(no message)")) < 0 ||
		    (error = trw_buf_puts(out, "\n")) < 0)
			return error;
	}
	return error;
}

static const char *status_phrase(const char *status)
{
	if (!status)
		return "the audit has no status";
	if (strcmp(status, "failed") == 0)
		return "the audit failed";
	if (strcmp(status, "incomplete") == 0)
		return "the audit is incomplete";
	if (strcmp(status, "cancelled") == 0)
		return "the audit was cancelled";
	return "the audit did not complete";
}

static int audit_case(trw_buf *out, const json_t *result, const char *status,
    const char *time)
{
	trw_buf msg = TRW_BUF_INIT(0);
	size_t nerr = json_array_size(json_object_get(result, "errors"));
	const json_t *first = json_array_get(json_object_get(result, "errors"), 0);
	const char *first_msg = trw_report__str(first, "message");
	int error;

	if ((error = case_open(out, CLASS_AUDIT, "audit completed", NULL, 0, time)) < 0)
		goto done;
	if (status && strcmp(status, "complete") == 0) {
		error = trw_buf_puts(out, "/>\n");
		goto done;
	}
	if (nerr > 1)
		error = fmt(&msg, "%s: %.400s (and %zu more)", status_phrase(status),
		    first_msg ? first_msg : "error", nerr - 1);
	else if (nerr)
		error = fmt(&msg, "%s: %.400s", status_phrase(status),
		    first_msg ? first_msg : "error");
	else
		error = fmt(&msg, "%s", status_phrase(status));
	if (error < 0 ||
	    (error = trw_buf_puts(out, ">\n      <error")) < 0 ||
	    (error = attr(out, "message", msg.ptr)) < 0 ||
	    (error = attr(out, "type", status ? status : "unknown")) < 0 ||
	    (error = trw_buf_puts(out, ">")) < 0 ||
	    (error = errors_body(out, result)) < 0 ||
	    (error = trw_buf_puts(out, "</error>\n    </testcase>\n")) < 0)
		goto done;
done:
	trw_buf_dispose(&msg);
	return error;
}

/* Does the verdict case fail?  1 yes, 0 passes, -1 no verdict (skipped). */
static int verdict_fails(const json_t *result)
{
	const char *v = trw_report__str(json_object_get(result, "verdict"), "verdict");
	const char *fail_on = trw_report__str(json_object_get(result, "configuration"), "fail_on");

	if (!v)
		return -1;
	if (strcmp(v, "included") == 0)
		return 1;
	return strcmp(v, "inconclusive") == 0 && fail_on && strcmp(fail_on, "inconclusive") == 0;
}

static int verdict_case(trw_buf *out, const json_t *result, const char *status)
{
	const json_t *verdict = json_object_get(result, "verdict");
	const char *v = trw_report__str(verdict, "verdict");
	const char *reason = trw_report__str(verdict, "reason");
	char lo[32], hi[32], tau[32], frac[32], mean[32];
	trw_buf msg = TRW_BUF_INIT(0);
	int fails = verdict_fails(result), error;

	if ((error = case_open(out, CLASS_AUDIT, "repository verdict", NULL, 0, "0")) < 0)
		goto done;
	if (fails < 0) {
		if ((error = fmt(&msg, "no verdict: %s", status && strcmp(status, "complete") == 0
		    ? "the record has none" : status_phrase(status))) < 0 ||
		    (error = trw_buf_puts(out, ">\n      <skipped")) < 0 ||
		    (error = attr(out, "message", msg.ptr)) < 0)
			goto done;
		error = trw_buf_puts(out, "/>\n    </testcase>\n");
		goto done;
	}
	trw_report_fmt_real(lo, sizeof(lo), json_array_get(json_object_get(verdict, "interval"), 0), 3);
	trw_report_fmt_real(hi, sizeof(hi), json_array_get(json_object_get(verdict, "interval"), 1), 3);
	trw_report_fmt_real(tau, sizeof(tau), json_object_get(verdict, "threshold"), 2);
	trw_report_fmt_real(frac, sizeof(frac), json_object_get(verdict, "fraction"), 3);
	trw_report_fmt_real(mean, sizeof(mean), json_object_get(verdict, "mean_probability"), 3);
	if ((error = fmt(&msg, "verdict %s: %lld of %lld files likely members, interval %s-%s, "
	    "threshold %s", v, trw_report__int(verdict, "member_files", 0),
	    trw_report__int(verdict, "files", 0), lo, hi, tau)) < 0)
		goto done;
	if ((error = trw_buf_puts(out, fails ? ">\n      <failure" : ">\n      <system-out>")) < 0)
		goto done;
	if (fails && ((error = attr(out, "message", msg.ptr)) < 0 ||
	    (error = attr(out, "type", v)) < 0 ||
	    (error = trw_buf_puts(out, ">")) < 0))
		goto done;
	if ((error = text(out, msg.ptr)) < 0 ||
	    (error = trw_buf_printf(out, "\nfraction %s, mean probability %s\n", frac, mean)) < 0 ||
	    (reason && ((error = member_text(out, verdict, "reason", NULL)) < 0 ||
	    (error = trw_buf_puts(out, "\n")) < 0)))
		goto done;
	error = trw_buf_puts(out, fails ? "</failure>\n    </testcase>\n"
	    : "</system-out>\n    </testcase>\n");
done:
	trw_buf_dispose(&msg);
	return error;
}

static int kinds_body(trw_buf *out, const json_t *kinds)
{
	const char *k;
	json_t *v;
	int error = 0;

	json_object_foreach((json_t *)kinds, k, v) {
		char rate[32];

		if (!json_is_object(v))
			continue;
		/* a kind the file has none of says nothing */
		if (trw_report__int(v, "total", 0) <= 0)
			continue;
		trw_report_fmt_real(rate, sizeof(rate), json_object_get(v, "rate"), 3);
		if ((error = text(out, k)) < 0 ||
		    (error = trw_buf_printf(out, ": %lld of %lld reproduced (rate %s)\n",
		    trw_report__int(v, "hits", 0), trw_report__int(v, "total", 0), rate)) < 0)
			return error;
	}
	return error;
}

static int file_case(trw_buf *out, const json_t *file, const json_t *file_threshold)
{
	const char *path = trw_report__str(file, "path"), *err = trw_report__str(file, "error");
	const json_t *ev = json_array_get(json_object_get(file, "evidence"), 0);
	long long line = json_is_object(ev) ? trw_report__int(ev, "line", 1) : 1;
	long long nq = trw_report__int(file, "failed_queries", 0);
	long long total = trw_report__int(file, "evidence_total", 0);
	const json_t *prob = json_object_get(file, "probability");
	char p[32], th[32];
	trw_buf msg = TRW_BUF_INIT(0);
	int member = json_is_true(json_object_get(file, "member")), error;

	if (line < 1)
		line = 1;
	trw_report_fmt_real(p, sizeof(p), prob, 3);
	trw_report_fmt_real(th, sizeof(th), file_threshold, 2);
	if ((error = case_open(out, CLASS_FILES, path, path, line, "0")) < 0)
		goto done;
	if (!json_is_number(prob) || nq > 0 || err) {
		if ((error = fmt(&msg, "%lld quer%s failed: %.400s", nq, nq == 1 ? "y" : "ies",
		    err ? err : "no probability")) < 0 ||
		    (error = trw_buf_puts(out, ">\n      <error")) < 0 ||
		    (error = attr(out, "message", msg.ptr)) < 0 ||
		    (error = attr(out, "type", "query_failed")) < 0 ||
		    (error = trw_buf_puts(out, ">")) < 0 ||
		    (error = text(out, msg.ptr)) < 0 ||
		    (error = trw_buf_puts(out, "\nno probability: the file is not judged\n"
		    "</error>\n    </testcase>\n")) < 0)
			goto done;
		goto done;
	}
	if (!member) {
		error = trw_buf_puts(out, "/>\n");
		goto done;
	}
	if ((error = fmt(&msg, "likely in the model's training set: P(member) = %s >= %s", p, th)) < 0 ||
	    (error = trw_buf_puts(out, ">\n      <failure")) < 0 ||
	    (error = attr(out, "message", msg.ptr)) < 0 ||
	    (error = attr(out, "type", "member")) < 0 ||
	    (error = trw_buf_printf(out, ">P(member) = %s (file threshold %s)\n"
	    "%lld masked element%s reproduced", p, th, total, total == 1 ? "" : "s")) < 0)
		goto done;
	if (json_is_object(ev) && (error = trw_buf_printf(out, ", the first at line %lld, "
	    "column %lld", line, trw_report__int(ev, "col", 1))) < 0)
		goto done;
	if ((error = trw_buf_puts(out, "\n")) < 0 ||
	    (error = kinds_body(out, json_object_get(file, "kinds"))) < 0 ||
	    (error = trw_buf_puts(out, "</failure>\n    </testcase>\n")) < 0)
		goto done;
done:
	trw_buf_dispose(&msg);
	return error;
}

int trw_report_junit(trw_buf *out, const json_t *result)
{
	const json_t *files = json_object_get(result, "files");
	const json_t *repo = json_object_get(result, "repository");
	const json_t *timing = json_object_get(result, "timing");
	const json_t *counts = json_object_get(result, "counts");
	const json_t *conf = json_object_get(result, "configuration");
	const json_t *model = json_object_get(result, "model");
	const json_t *file_threshold = json_object_get(conf, "file_threshold");
	const char *status = trw_report__str(result, "status");
	const char *started = trw_report__str(timing, "started");
	size_t nfiles = json_array_size(files), ntests = 2, nfail = 0, nerr = 0, nskip = 0;
	char time[32], counts_attr[160];
	int vf = verdict_fails(result), error;

	trw_report_fmt_real(time, sizeof(time), json_object_get(timing, "seconds"), 3);
	if (strcmp(time, "-") == 0)
		snprintf(time, sizeof(time), "0");

	for (size_t i = 0; i < nfiles; i++) {
		const json_t *f = json_array_get(files, i);

		if (!trw_report__str(f, "path"))
			continue;
		ntests++;
		if (!json_is_number(json_object_get(f, "probability")) ||
		    trw_report__int(f, "failed_queries", 0) > 0 || trw_report__str(f, "error"))
			nerr++;
		else if (json_is_true(json_object_get(f, "member")))
			nfail++;
	}
	if (!status || strcmp(status, "complete") != 0)
		nerr++;
	if (vf > 0)
		nfail++;
	else if (vf < 0)
		nskip++;
	snprintf(counts_attr, sizeof(counts_attr), " tests=\"%zu\" failures=\"%zu\" "
	    "errors=\"%zu\" skipped=\"%zu\" time=\"%s\"", ntests, nfail, nerr, nskip, time);

	if ((error = trw_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites name=\"trawic\"")) < 0 ||
	    (error = trw_buf_puts(out, counts_attr)) < 0 ||
	    (error = trw_buf_puts(out, ">\n  <testsuite name=\"trawic\"")) < 0 ||
	    (error = trw_buf_puts(out, counts_attr)) < 0 ||
	    (started && (error = attr(out, "timestamp", started)) < 0) ||
	    (error = trw_buf_puts(out, ">\n    <properties>\n")) < 0)
		return error;
	if ((error = property(out, "status", status ? status : "unknown")) < 0 ||
	    (error = property(out, "verdict", trw_report__str(json_object_get(result, "verdict"),
		"verdict"))) < 0 ||
	    (error = property(out, "repository", trw_report__str(repo, "spec"))) < 0 ||
	    (error = property(out, "revision", trw_report__str(repo, "revision"))) < 0 ||
	    (error = property(out, "commit", trw_report__str(repo, "commit"))) < 0 ||
	    (error = property(out, "model", trw_report__str(model, "identity")
		? trw_report__str(model, "identity") : trw_report__str(model, "spec"))) < 0 ||
	    (error = property_int(out, "files_audited", trw_report__int(counts, "files_audited",
		(long long)nfiles))) < 0 ||
	    (error = property_int(out, "files_failed", trw_report__int(counts, "files_failed",
		0))) < 0 ||
	    (error = property_int(out, "files_skipped", trw_report__int(counts, "files_skipped",
		(long long)json_array_size(json_object_get(result, "skipped"))))) < 0 ||
	    (error = trw_buf_puts(out, "    </properties>\n")) < 0)
		return error;

	if ((error = audit_case(out, result, status, time)) < 0 ||
	    (error = verdict_case(out, result, status)) < 0)
		return error;
	for (size_t i = 0; i < nfiles; i++) {
		const json_t *f = json_array_get(files, i);

		if (!trw_report__str(f, "path"))
			continue;
		if ((error = file_case(out, f, file_threshold)) < 0)
			return error;
	}
	return trw_buf_puts(out, "  </testsuite>\n</testsuites>\n");
}
