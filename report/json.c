/*
 * json.c - the JSON report: the audit-result record itself, pretty-printed.
 *
 * The layout is jansson's JSON_INDENT(2) | JSON_PRESERVE_ORDER without
 * JSON_ENSURE_ASCII (two-space indent, "key": value, keys in the record's
 * order, UTF-8 as is, control characters escaped as jansson does), plus a
 * newline.  It is written here rather than by json_dumpb() for one reason:
 * reals.  jansson prints them with 17 significant digits, so a probability
 * of 0.97 becomes 0.96999999999999997; this file prints the shortest
 * decimal that reads back as the same double (0.97), always with a '.' or
 * an exponent so that it stays a real, and never depends on the locale.
 *
 * It prints any JSON document: the SARIF renderer builds its log as a
 * jansson tree and prints it through trw_report_json() too.  It does not
 * check that the document is an audit result; trw_report_render() does.
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"
#include "report/util.h"

#define INDENT 2

/* The shortest "%.*g" of `d` that strtod() reads back as `d`, in the C
 * locale, in jansson's spelling (1.0, 1e-7, 2.5e20). */
static int put_real(trw_buf *out, double d)
{
	char buf[64], tmp[64];
	locale_t c = trw_report__c_locale(), old;
	size_t i, j;

	if (!c)
		return trw_error_oom();
	old = uselocale(c);
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	uselocale(old);

	/* exponent: no '+', no leading zeros ("1e-07" -> "1e-7") */
	for (i = 0, j = 0; buf[i]; i++) {
		tmp[j++] = buf[i];
		if (buf[i] == 'e') {
			i++;
			if (buf[i] == '+')
				i++;
			else if (buf[i] == '-')
				tmp[j++] = buf[i++];
			while (buf[i] == '0' && buf[i + 1])
				i++;
			i--;
		}
	}
	tmp[j] = '\0';
	if (!strpbrk(tmp, ".e") && j + 2 < sizeof(tmp))
		memcpy(tmp + j, ".0", 3);
	return trw_buf_puts(out, tmp);
}

static int put_string(trw_buf *out, const char *s, size_t len)
{
	size_t i, start = 0;
	int error;

	if ((error = trw_buf_put(out, "\"", 1)) < 0)
		return error;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		const char *e = NULL;

		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04X", c);
				e = esc;
			}
		}
		if (!e)
			continue;
		if (i > start && (error = trw_buf_put(out, s + start, i - start)) < 0)
			return error;
		if ((error = trw_buf_puts(out, e)) < 0)
			return error;
		start = i + 1;
	}
	if (i > start && (error = trw_buf_put(out, s + start, i - start)) < 0)
		return error;
	return trw_buf_put(out, "\"", 1);
}

static int newline(trw_buf *out, int depth)
{
	int error = trw_buf_put(out, "\n", 1);

	for (int i = 0; error == 0 && i < depth * INDENT; i++)
		error = trw_buf_put(out, " ", 1);
	return error;
}

static int dump(trw_buf *out, const json_t *v, int depth)
{
	int error = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *item;
		int first = 1;

		if (json_object_size(v) == 0)
			return trw_buf_puts(out, "{}");
		if ((error = trw_buf_puts(out, "{")) < 0)
			return error;
		/* json_object_foreach walks insertion order (jansson >= 2.8) */
		json_object_foreach((json_t *)v, key, item) {
			if (!first && (error = trw_buf_puts(out, ",")) < 0)
				return error;
			first = 0;
			if ((error = newline(out, depth + 1)) < 0 ||
			    (error = put_string(out, key, strlen(key))) < 0 ||
			    (error = trw_buf_puts(out, ": ")) < 0 ||
			    (error = dump(out, item, depth + 1)) < 0)
				return error;
		}
		if ((error = newline(out, depth)) < 0)
			return error;
		return trw_buf_puts(out, "}");
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);

		if (n == 0)
			return trw_buf_puts(out, "[]");
		if ((error = trw_buf_puts(out, "[")) < 0)
			return error;
		for (size_t i = 0; i < n; i++) {
			if (i && (error = trw_buf_puts(out, ",")) < 0)
				return error;
			if ((error = newline(out, depth + 1)) < 0 ||
			    (error = dump(out, json_array_get(v, i), depth + 1)) < 0)
				return error;
		}
		if ((error = newline(out, depth)) < 0)
			return error;
		return trw_buf_puts(out, "]");
	}
	case JSON_STRING:
		return put_string(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return trw_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return put_real(out, json_real_value(v));
	case JSON_TRUE:
		return trw_buf_puts(out, "true");
	case JSON_FALSE:
		return trw_buf_puts(out, "false");
	case JSON_NULL:
		return trw_buf_puts(out, "null");
	}
	return trw_error_set(TRW_EINVALID, "not a JSON value");
}

int trw_report_json(trw_buf *out, const json_t *result)
{
	int error;

	if (!out || !result)
		return trw_error_set(TRW_EINVALID, "trw_report_json: no document");
	if ((error = dump(out, result, 0)) < 0)
		return error;
	return trw_buf_put(out, "\n", 1);
}
