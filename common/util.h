/*
 * util.h - small helpers shared by every module: a bounded growable
 * buffer, checked allocation that reports TRW_ENOMEM, UTF-8 validation.
 */
#ifndef TRW_UTIL_H
#define TRW_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer with a hard maximum set at creation. */
typedef struct trw_buf {
	char *ptr;		/* NUL-terminated while size < alloc */
	size_t size;
	size_t alloc;
	size_t max;		/* 0 = unlimited */
} trw_buf;

#define TRW_BUF_INIT(max) { NULL, 0, 0, (max) }

/* Append; TRW_ETOOBIG past the maximum, TRW_ENOMEM. */
int trw_buf_put(trw_buf *b, const void *data, size_t len);
int trw_buf_puts(trw_buf *b, const char *s);
int trw_buf_printf(trw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void trw_buf_clear(trw_buf *b);
void trw_buf_dispose(trw_buf *b);

/* Is bytes[0:len] valid UTF-8 (no overlongs, no surrogates)? 1 or 0. */
int trw_utf8_valid(const char *bytes, size_t len);

/* Lower-case hex of `len` bytes into `out` (2*len+1 bytes). */
void trw_hex(char *out, const unsigned char *in, size_t len);

/* Monotonic time in nanoseconds. */
uint64_t trw_now_ns(void);

/* strdup that sets TRW_ENOMEM on failure. */
char *trw_strdup(const char *s);
char *trw_strndup(const char *s, size_t n);



#include <stdio.h>
/* Write `len` bytes of UTF-8 as a JSON string literal, quotes included.
 * The input must be valid UTF-8 (callers check); control characters are
 * escaped, everything else is copied. */
void trw_json_write_string(FILE *f, const char *s, size_t len);
#endif
