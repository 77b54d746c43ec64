/*
 * util.h - helpers the renderers share (report/util.c), private to the
 * report module: nothing outside report/ includes this header; the public
 * API is report/report.h.
 *
 * Reading the record: every field may be missing or of the wrong type,
 * so the readers take NULL and mistyped values and fall back.  Printing:
 * numbers never go through the locale.  Nothing here allocates except
 * into the caller's trw_buf.
 */
#ifndef TRW_REPORT_UTIL_H
#define TRW_REPORT_UTIL_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/util.h"

/* En dash: what the Markdown and HTML reports print for a value that is
 * not there. */
#define TRW_REPORT__DASH "\xe2\x80\x93"

/* Kinds summed per report: the six known ones, then others up to this. */
#define TRW_REPORT__MAX_KINDS 32

/* ---- reading the record ---- */

/* The string member `key` of `o`, borrowed from `o` (valid while `o`
 * lives); NULL when `o` is not an object or the member is missing or not
 * a string. */
const char *trw_report__str(const json_t *o, const char *key);

/* The integer member `key` of `o`; `dflt` when missing or not an integer
 * (a real is not an integer). */
long long trw_report__int(const json_t *o, const char *key, long long dflt);

/* 1 and *out when `v` is a finite number; 0 for null, missing, NaN, and
 * a non-number (*out is then left alone). */
int trw_report__real(const json_t *v, double *out);

/* ---- printing numbers ---- */

/* `x` in fixed point with `digits` (0-6) decimals, without printf's
 * locale; TRW_REPORT__DASH when `x` is not finite or beyond 1e12. */
int trw_report__put_num(trw_buf *b, double x, int digits);

/* trw_report__put_num of the number `v`; TRW_REPORT__DASH when `v` is
 * not a finite number. */
int trw_report__put_jnum(trw_buf *b, const json_t *v, int digits);

/* The "C" locale object (LC_NUMERIC and LC_CTYPE), created once for the
 * process and never freed; (locale_t)0 when it could not be created (out
 * of memory).  For uselocale(), which switches the calling thread only. */
locale_t trw_report__c_locale(void);

/* ---- text ---- */

/*
 * Decode one UTF-8 sequence at s[0:len] (len > 0): its length in bytes,
 * and the code point in *cp; 0 when the bytes are not valid UTF-8
 * (overlong, surrogate, beyond U+10FFFF, truncated, stray continuation).
 */
size_t trw_report__utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* ---- the files' kinds ---- */

struct trw_report__kind_sum {
	const char *name;	/* borrowed from the record or a static table */
	long long hits, total;
};

/*
 * Sum "hits" and "total" of every file's "kinds" into `sums`, which has
 * room for TRW_REPORT__MAX_KINDS: the six known kinds first, in a fixed
 * order (zero when no file has them), then other kinds in the order they
 * first occur; kinds past the room are left out.  Returns how many
 * entries are filled.  The names borrow from `files` or static storage.
 */
size_t trw_report__sum_kinds(struct trw_report__kind_sum *sums, const json_t *files);

/* Was kind `name` probed under configuration `conf`?  1 when `conf` has
 * no "kinds" array (every kind is), else whether it lists `name`. */
int trw_report__probed_kind(const json_t *conf, const char *name);

/* The elements probed in one file: the sum of its kinds' "total". */
long long trw_report__elements_probed(const json_t *file);

#endif
