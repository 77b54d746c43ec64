/*
 * util.c - the small helpers every renderer shares: XML/HTML escaping
 * that always yields well-formed XML 1.0 text, and locale-independent
 * printing of reals.
 *
 * Nothing here knows the audit-result record; the renderers do.
 */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"

/* U+FFFD REPLACEMENT CHARACTER */
static const char REPLACEMENT[] = "\xef\xbf\xbd";

/*
 * Decode one UTF-8 sequence at s[0:len]: its length, and the code point
 * in *cp; 0 when the bytes are not valid UTF-8 (overlong, surrogate,
 * beyond U+10FFFF, truncated).
 */
static size_t utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned c = s[0], min;
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
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

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
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

void trw_report_fmt_real(char *buf, size_t n, const json_t *v, int digits)
{
	locale_t old = (locale_t)0;
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
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale)
		old = uselocale(c_locale);
	snprintf(buf, n, "%.*f", digits, d);
	if (c_locale)
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
