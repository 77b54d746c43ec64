/*
 * util.c - bounded buffers, UTF-8 validation, hex, time.
 *
 * Nothing here knows about repositories, languages or models.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "util.h"

static int buf_grow(trw_buf *b, size_t need)
{
	size_t want;
	char *p;

	if (b->max && need > b->max)
		return trw_error_set(TRW_ETOOBIG, "buffer limit of %zu bytes exceeded", b->max);
	if (need + 1 <= b->alloc)
		return 0;
	want = b->alloc ? b->alloc : 64;
	while (want < need + 1)
		want *= 2;
	if ((p = realloc(b->ptr, want)) == NULL)
		return trw_error_oom();
	b->ptr = p;
	b->alloc = want;
	return 0;
}

int trw_buf_put(trw_buf *b, const void *data, size_t len)
{
	int error;

	if ((error = buf_grow(b, b->size + len)) < 0)
		return error;
	if (len)
		memcpy(b->ptr + b->size, data, len);
	b->size += len;
	b->ptr[b->size] = '\0';
	return 0;
}

int trw_buf_puts(trw_buf *b, const char *s)
{
	return trw_buf_put(b, s, strlen(s));
}

int trw_buf_printf(trw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, error;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return trw_error_set(TRW_EINVALID, "bad format");
	if ((error = buf_grow(b, b->size + (size_t)n)) < 0)
		return error;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->size, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->size += (size_t)n;
	return 0;
}

void trw_buf_clear(trw_buf *b)
{
	b->size = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void trw_buf_dispose(trw_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->size = b->alloc = 0;
}

int trw_utf8_valid(const char *bytes, size_t len)
{
	const unsigned char *s = (const unsigned char *)bytes;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

void trw_hex(char *out, const unsigned char *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

uint64_t trw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

char *trw_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		trw_error_oom();
	return p;
}

char *trw_strndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		trw_error_oom();
	return p;
}

void trw_json_write_string(FILE *f, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	putc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		if (i > run)
			fwrite(s + run, 1, i - run, f);
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
			u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = '\0';
			e = u;
		}
		fputs(e, f);
		run = i + 1;
	}
	if (len > run)
		fwrite(s + run, 1, len - run, f);
	putc('"', f);
}
