/*
 * report.h - turning an audit result (audit/audit.h, docs/audit-result.md)
 * into bytes.  One file per format: report/json.c, sarif.c, junit.c,
 * markdown.c, html.c.  A renderer reads the record and nothing else (it
 * never calls the model or the extractor), writes into a trw_buf, and
 * copes with every status: a failed or incomplete audit renders too,
 * marked as such, with its errors.
 *
 * Output is deterministic for a given record (no clock, no locale, no
 * random ids), so golden tests compare bytes once the record's own
 * timestamps are normalised.
 */
#ifndef TRW_REPORT_H
#define TRW_REPORT_H

#include <stddef.h>

#include <jansson.h>

#include "common/util.h"

typedef enum trw_report_format {
	TRW_REPORT_JSON = 0,
	TRW_REPORT_SARIF,
	TRW_REPORT_JUNIT,
	TRW_REPORT_MARKDOWN,
	TRW_REPORT_HTML,
	TRW_REPORT__COUNT
} trw_report_format;

/* "json", "sarif", "junit", "markdown", "html" <-> enum; -1 / NULL. */
int trw_report_format_parse(const char *name);
const char *trw_report_format_name(trw_report_format f);

/* The format a path's extension implies: .json, .sarif (also
 * .sarif.json), .xml (junit), .md/.markdown, .html/.htm; -1 if none. */
int trw_report_format_from_path(const char *path);

/*
 * Append the rendering of `result` in `format` to `out`.  TRW_EINVALID
 * when `result` is not an audit result this trawic reads (format or
 * version), naming what is wrong; TRW_ENOMEM.
 */
int trw_report_render(trw_buf *out, const json_t *result, trw_report_format format);

/* The renderers, one per file; same contract as trw_report_render,
 * which checks `result`'s format and version before calling them. */
int trw_report_json(trw_buf *out, const json_t *result);
int trw_report_sarif(trw_buf *out, const json_t *result);
int trw_report_junit(trw_buf *out, const json_t *result);
int trw_report_markdown(trw_buf *out, const json_t *result);
int trw_report_html(trw_buf *out, const json_t *result);

/*
 * A requested report: "FORMAT=PATH", "PATH" (format from the
 * extension), "FORMAT" (stdout) or "FORMAT=-".  *format and *path
 * (borrowed from `arg`, NULL = stdout) on success; TRW_EINVALID with a
 * message otherwise.  `path_buf` holds the path (size `n`).
 */
int trw_report_parse_arg(const char *arg, trw_report_format *format, char *path_buf,
    size_t n, const char **path);

/*
 * Check before an audit that `path` can be written (creating nothing
 * that was not there: an existing file is opened for append and left
 * unchanged, a new one is created and removed).  TRW_EIO naming the path
 * and the reason.  "-" and NULL are stdout: always fine.
 */
int trw_report_check_writable(const char *path);

/* Write `len` bytes to `path` atomically (temporary file + rename), or to
 * stdout for NULL / "-".  TRW_EIO naming the path. */
int trw_report_write(const char *path, const char *data, size_t len);

/* Small helpers the renderers share (report/util.c). */

/* `s` escaped for XML/HTML text and attribute values (& < > " '), with
 * characters that XML 1.0 forbids (C0 controls except \t \n \r, U+FFFE,
 * U+FFFF, and invalid UTF-8) replaced by U+FFFD. */
int trw_report_xml_escape(trw_buf *out, const char *s, size_t len);

/* A real as the renderers print it: "%.*f" with `digits`, "-" for
 * null/NaN.  Locale-independent. */
void trw_report_fmt_real(char *buf, size_t n, const json_t *v, int digits);

#endif
