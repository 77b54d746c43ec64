/*
 * util.c - the small helpers every renderer shares: XML/HTML escaping
 * that always yields well-formed XML 1.0 text, locale-independent
 * printing of numbers, UTF-8 decoding, reading fields of the record that
 * may be missing or mistyped, and the per-kind totals of the files.
 *
 * What each renderer makes of the record is in its own file; the helpers
 * here only read fields and print values (report/util.h).
 */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"
#include "report/util.h"

/* U+FFFD REPLACEMENT CHARACTER */
static const char REPLACEMENT[] = "\xef\xbf\xbd";

size_t trw_report__utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2; min = 0x80; c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3; min = 0x800; c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4; min = 0x10000; c &= 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int trw_report_xml_escape(trw_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;	/* bytes copied as they are: [i - run, i) */
	int error = 0;

	if (!s)
		return 0;
	while (i < len) {
		const char *rep = NULL;
		uint32_t cp;
		size_t n = trw_report__utf8_decode(p + i, len - i, &cp);

		if (n == 0) {
			/* one replacement per offending byte: the output length
			 * stays predictable and resynchronisation is immediate */
			rep = REPLACEMENT;
			n = 1;
		} else {
			switch (cp) {
			case '&': rep = "&amp;"; break;
			case '<': rep = "&lt;"; break;
			case '>': rep = "&gt;"; break;
			case '"': rep = "&quot;"; break;
			case '\'': rep = "&#39;"; break;
			/* a literal CR would be normalised away by the parser */
			case '\r': rep = "&#13;"; break;
			case '\t': case '\n': break;
			case 0xfffe: case 0xffff: rep = REPLACEMENT; break;
			default:
				if (cp < 0x20)
					rep = REPLACEMENT;
			}
		}
		if (!rep) {
			run += n;
			i += n;
			continue;
		}
		if (run && (error = trw_buf_put(out, s + i - run, run)) < 0)
			return error;
		run = 0;
		if ((error = trw_buf_puts(out, rep)) < 0)
			return error;
		i += n;
	}
	if (run && (error = trw_buf_put(out, s + i - run, run)) < 0)
		return error;
	return 0;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK | LC_CTYPE_MASK, "C", (locale_t)0);
}

locale_t trw_report__c_locale(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale;
}

void trw_report_fmt_real(char *buf, size_t n, const json_t *v, int digits)
{
	locale_t c, old = (locale_t)0;
	double d;

	if (!buf || n == 0)
		return;
	if (!json_is_number(v) || !isfinite(d = json_number_value(v))) {
		snprintf(buf, n, "-");
		return;
	}
	if (digits < 0)
		digits = 0;
	if (digits > 17)
		digits = 17;
	/* "-0.00" reads as a sign where there is none */
	if (d <= 0 && d > -0.5 * pow(10, -digits))
		d = 0;
	/*
	 * uselocale() switches the calling thread only: the process locale
	 * (which a caller may have set for messages) is left alone, and
	 * other threads rendering concurrently are not affected.
	 */
	if ((c = trw_report__c_locale()))
		old = uselocale(c);
	snprintf(buf, n, "%.*f", digits, d);
	if (c)
		uselocale(old);
	else {
		/* no C locale object (out of memory): fix the separator by hand */
		const char *dp = localeconv()->decimal_point;
		char *at;

		if (dp && strcmp(dp, ".") != 0 && *dp && (at = strstr(buf, dp))) {
			*at = '.';
			memmove(at + 1, at + strlen(dp), strlen(at + strlen(dp)) + 1);
		}
	}
}

/* ---- reading the record ---- */

const char *trw_report__str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

long long trw_report__int(const json_t *o, const char *key, long long dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

int trw_report__real(const json_t *v, double *out)
{
	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return isfinite(*out);
}

/* ---- printing numbers ---- */

int trw_report__put_num(trw_buf *b, double x, int digits)
{
	static const long long scale[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	const char *sign = "";
	long long n;

	if (!isfinite(x) || fabs(x) > 1e12)
		return trw_buf_puts(b, TRW_REPORT__DASH);
	n = llround(x * (double)scale[digits]);
	if (n < 0) {
		sign = "-";
		n = -n;
	}
	if (!digits)
		return trw_buf_printf(b, "%s%lld", sign, n);
	return trw_buf_printf(b, "%s%lld.%0*lld", sign, n / scale[digits], digits,
	    n % scale[digits]);
}

int trw_report__put_jnum(trw_buf *b, const json_t *v, int digits)
{
	double x;

	return trw_report__real(v, &x) ? trw_report__put_num(b, x, digits)
	    : trw_buf_puts(b, TRW_REPORT__DASH);
}

/* ---- the files' kinds ---- */

static const char *const known_kinds[] = {
	"function_name", "class_name", "variable_name", "string", "comment", "docstring",
};

size_t trw_report__sum_kinds(struct trw_report__kind_sum *sums, const json_t *files)
{
	const size_t nknown = sizeof(known_kinds) / sizeof(known_kinds[0]);
	size_t n = nknown, i, k;
	const char *key;
	const json_t *f;
	json_t *v;

	memset(sums, 0, TRW_REPORT__MAX_KINDS * sizeof(*sums));
	for (k = 0; k < nknown; k++)
		sums[k].name = known_kinds[k];
	json_array_foreach(files, i, f) {
		json_object_foreach(json_object_get(f, "kinds"), key, v) {
			for (k = 0; k < n && strcmp(sums[k].name, key); k++)
				;
			if (k == n) {
				if (n == TRW_REPORT__MAX_KINDS)
					continue;
				sums[n++].name = key;
			}
			sums[k].hits += trw_report__int(v, "hits", 0);
			sums[k].total += trw_report__int(v, "total", 0);
		}
	}
	return n;
}

int trw_report__probed_kind(const json_t *conf, const char *name)
{
	const json_t *kinds = json_object_get(conf, "kinds"), *v;
	size_t i;

	if (!json_is_array(kinds))
		return 1;
	json_array_foreach(kinds, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), name))
			return 1;
	return 0;
}

long long trw_report__elements_probed(const json_t *file)
{
	const char *key;
	json_t *v;
	long long sum = 0;

	json_object_foreach(json_object_get(file, "kinds"), key, v)
		sum += trw_report__int(v, "total", 0);
	return sum;
}
