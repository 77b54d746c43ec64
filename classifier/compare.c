/*
 * compare.c - similarity of a completion to the element it should
 * restore, the hit decision, and the per-kind stop rules that say where a
 * completion's unit ends.
 *
 * The similarity reproduces the number the original TraWiC computed
 * (fuzzywuzzy 0.18 fuzz.ratio over python-Levenshtein 0.21), so that
 * thresholds carry over; the rest of the original's comparison (case-
 * insensitive names at generation time, untrimmed outputs) is not
 * reproduced, see trawic-method.md §1.3.  This module does not talk to
 * models and does not know languages: stop rules are read from the bytes
 * around the span, the way the extractor left them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "classifier/compare.h"
#include "common/error.h"

/* ---- UTF-8 to code points ------------------------------------------------ */

/*
 * Decode one code point at s[0:n] (n >= 1) into *cp; returns its byte
 * length.  An invalid byte decodes alone to U+DC80+byte, as Python's
 * surrogateescape does: a lone surrogate is never the result of valid
 * UTF-8, so it cannot equal a real character.
 */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t need;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1; v = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2; v = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3; v = c & 0x07; min = 0x10000;
	} else {
		goto bad;
	}
	if (need >= n)
		goto bad;
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return need + 1;
bad:
	*cp = 0xdc00 + c;
	return 1;
}

static size_t utf8_decode(const char *s, size_t len, uint32_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; n++)
		i += utf8_next((const unsigned char *)s + i, len - i, &out[n]);
	return n;
}

/* ---- similarity ----------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Index of c in keys[0:k] (sorted), or -1. */
static long key_index(const uint32_t *keys, size_t k, uint32_t c)
{
	size_t lo = 0, hi = k;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;

		if (keys[m] < c)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < k && keys[lo] == c ? (long)lo : -1;
}

/*
 * LCS length of x[0:n] and y[0:m], m <= n, bit-parallel (Allison and
 * Dix; Hyyro 2004, as rapidfuzz does it): the DP row of y is held as
 * one bit per position, and each character of x updates 64 positions per
 * machine word with V' = (V + (V & M)) | (V & ~M), M the positions of y
 * holding that character.  O(n * ceil(m/64)) time, and a match table of
 * one bit vector per distinct character of y (at most 2 MB at the caps).
 * Returns (size_t)-1 when memory runs out.
 */
static size_t lcs_bits(const uint32_t *x, size_t n, const uint32_t *y, size_t m)
{
	size_t words = (m + 63) / 64, nascii = 0, k = 0, zeros = 0;
	uint32_t *keys = NULL;		/* y's distinct non-ASCII code points, sorted */
	uint64_t *pm = NULL, *v = NULL;
	long ascii[128];
	size_t result = (size_t)-1;

	if (m == 0)
		return 0;
	/* ASCII, the bulk of code, is indexed directly; only the rest is
	 * sorted and searched. */
	for (size_t c = 0; c < 128; c++)
		ascii[c] = -1;
	for (size_t j = 0; j < m; j++)
		if (y[j] < 128 && ascii[y[j]] < 0)
			ascii[y[j]] = (long)nascii++;
	if ((keys = malloc(m * sizeof(*keys))) == NULL)
		goto done;
	for (size_t j = 0; j < m; j++)
		if (y[j] >= 128)
			keys[k++] = y[j];
	if (k) {
		size_t u = 0;

		qsort(keys, k, sizeof(*keys), cmp_u32);
		for (size_t j = 0; j < k; j++)
			if (u == 0 || keys[j] != keys[u - 1])
				keys[u++] = keys[j];
		k = u;
	}
	if ((pm = calloc((nascii + k) * words, sizeof(*pm))) == NULL ||
	    (v = malloc(words * sizeof(*v))) == NULL)
		goto done;
	for (size_t j = 0; j < m; j++) {
		long idx = y[j] < 128 ? ascii[y[j]] : (long)nascii + key_index(keys, k, y[j]);

		pm[(size_t)idx * words + j / 64] |= (uint64_t)1 << (j % 64);
	}
	memset(v, 0xff, words * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		long idx = x[i] < 128 ? ascii[x[i]] : key_index(keys, k, x[i]);
		const uint64_t *mw;
		uint64_t carry = 0;

		if (idx < 0)
			continue;	/* no match anywhere: the row is unchanged */
		if (x[i] >= 128)
			idx += (long)nascii;
		mw = pm + (size_t)idx * words;
		for (size_t w = 0; w < words; w++) {
			uint64_t vw = v[w], mv = mw[w];
#ifdef __SIZEOF_INT128__
			/* add-with-carry: twice as fast as comparing for overflow */
			unsigned __int128 sum = (unsigned __int128)vw + (vw & mv) + carry;

			carry = (uint64_t)(sum >> 64);
			v[w] = (uint64_t)sum | (vw & ~mv);
#else
			uint64_t sum = vw + (vw & mv), sum2 = sum + carry;

			carry = (uint64_t)(sum < vw) | (uint64_t)(sum2 < sum);
			v[w] = sum2 | (vw & ~mv);
#endif
		}
	}
	/* The LCS is the number of zero bits among the m positions. */
	for (size_t w = 0; w < words; w++) {
		uint64_t live = w + 1 < words || m % 64 == 0 ? ~(uint64_t)0 :
		    ((uint64_t)1 << (m % 64)) - 1;

		zeros += (size_t)__builtin_popcountll(~v[w] & live);
	}
	result = zeros;
done:
	free(keys);
	free(pm);
	free(v);
	return result;
}

/*
 * fuzzywuzzy: intr(100 * Levenshtein.ratio(a, b)), where ratio is
 * rapidfuzz's `1.0 - dist / lensum` in doubles and intr is int(round()),
 * i.e. round half to even on the exact double.  Computed in the same
 * order, through volatile doubles so that no fused multiply-add changes a
 * last bit that decides a .5 case.
 */
static int ratio_from(size_t lensum, size_t lcs)
{
	volatile double nd, ns, pct;

	if (lensum == 0)
		return 100;
	nd = (double)(lensum - 2 * lcs) / (double)lensum;
	ns = 1.0 - nd;
	pct = 100.0 * ns;
	return (int)nearbyint(pct);
}

#define STACK_CP 256

int trw_similarity(const char *a, size_t alen, const char *b, size_t blen)
{
	uint32_t sa[STACK_CP], sb[STACK_CP];
	uint32_t *ca = sa, *cb = sb;
	const uint32_t *x, *y;
	size_t na, nb, pre = 0, suf = 0, n, m, lcs, mid;
	int result;

	if (alen == 0 && blen == 0)
		return 100;
	if (alen == 0 || blen == 0)
		return 0;
	/* A code point takes at least one byte: len bounds the count. */
	if ((alen > STACK_CP && (ca = malloc(alen * sizeof(*ca))) == NULL) ||
	    (blen > STACK_CP && (cb = malloc(blen * sizeof(*cb))) == NULL)) {
		result = trw_error_oom();
		goto done;
	}
	na = utf8_decode(a, alen, ca);
	nb = utf8_decode(b, blen, cb);

	/* The common prefix and suffix are in every LCS: strip them in
	 * linear time, so a near-copy costs nothing. */
	while (pre < na && pre < nb && ca[pre] == cb[pre])
		pre++;
	while (suf < na - pre && suf < nb - pre && ca[na - 1 - suf] == cb[nb - 1 - suf])
		suf++;
	x = ca + pre; n = na - pre - suf;
	y = cb + pre; m = nb - pre - suf;
	if (n < m) {
		const uint32_t *t = x; size_t tn = n;

		x = y; n = m; y = t; m = tn;
	}
	lcs = pre + suf;
	if (m > 0) {
		if ((uint64_t)n * m > TRW_SIMILARITY_MAX_CELLS) {
			if (m <= TRW_SIMILARITY_MAX_CHARS)
				n = TRW_SIMILARITY_MAX_CELLS / m;
			else
				n = m = TRW_SIMILARITY_MAX_CHARS;
		}
		if ((mid = lcs_bits(x, n, y, m)) == (size_t)-1) {
			result = trw_error_oom();
			goto done;
		}
		lcs += mid;
	}
	result = ratio_from(na + nb, lcs);
done:
	if (ca != sa)
		free(ca);
	if (cb != sb)
		free(cb);
	return result;
}

/* ---- trimming and the hit decision ---------------------------------------- */

static int is_trim_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void trw_text_trim(const char **s, size_t *len)
{
	const char *p = *s;
	size_t n = *len;

	while (n && is_trim_space(p[0])) {
		p++;
		n--;
	}
	while (n && is_trim_space(p[n - 1]))
		n--;
	*s = p;
	*len = n;
}

static int kind_ok(trw_kind kind)
{
	return (int)kind >= 0 && kind < TRW_KIND__COUNT;
}

int trw_compare(trw_kind kind, const char *original, size_t olen,
    const char *completion, size_t clen, int semantic_threshold,
    int *similarity, int *hit)
{
	int sim;

	if (!kind_ok(kind))
		return trw_error_set(TRW_EINVALID, "compare: no such kind %d", (int)kind);
	if (semantic_threshold < 0 || semantic_threshold > 100)
		return trw_error_set(TRW_EINVALID,
		    "semantic threshold %d is not between 0 and 100", semantic_threshold);
	if ((original == NULL && olen) || (completion == NULL && clen))
		return trw_error_set(TRW_EINVALID, "compare: NULL text");
	trw_text_trim(&original, &olen);
	trw_text_trim(&completion, &clen);
	if ((sim = trw_similarity(original, olen, completion, clen)) < 0)
		return sim;
	if (similarity)
		*similarity = sim;
	if (hit) {
		if (trw_kind_is_syntactic(kind))
			*hit = olen == clen && (olen == 0 || memcmp(original, completion, olen) == 0);
		else
			*hit = sim >= semantic_threshold;
	}
	return 0;
}

/* ---- stop rules ------------------------------------------------------------ */

#define DELIM_MAX (sizeof(((trw_stop *)0)->delim) - 1)	/* 15 bytes */

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Printable ASCII that is neither a letter, a digit nor a space. */
static int is_punct(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !is_alnum(c);
}

/*
 * The closing delimiter at the head of s[0:n] (the suffix, after
 * whitespace) into out; returns its length, 0 if the head has none.
 */
static size_t closing_delim(const char *s, size_t n, char *out)
{
	size_t j = 0;

	if (n == 0)
		return 0;
	if (s[0] == '"' || s[0] == '\'' || s[0] == '`') {
		size_t run = 1;

		while (run < n && s[run] == s[0])
			run++;
		/* A tripled quote closes a triple-quoted string; two quotes
		 * are this string's end and the start of the next literal. */
		j = run >= 3 ? 3 : 1;
		/* Rust raw strings close with "#, "##, ... */
		if (s[0] == '"')
			while (j < n && j < DELIM_MAX && s[j] == '#')
				j++;
		goto copy;
	}
	if (s[0] == ')') {
		/* C++ raw string: )tag" with a tag of up to 16 characters
		 * other than space, parentheses and backslash.  A tag too long
		 * for 15 bytes keeps its head, which still stops there. */
		for (j = 1; j < n && j <= 17; j++) {
			unsigned char c = (unsigned char)s[j];

			if (c == '"') {
				j = j + 1 > DELIM_MAX ? DELIM_MAX : j + 1;
				goto copy;
			}
			if (!is_punct(c) && !is_alnum(c))
				break;
			if (c == '(' || c == ')' || c == '\\')
				break;
		}
		j = 0;
	}
	/* Anything else (a block comment's star-slash): the run of
	 * punctuation, ended by what follows a closer rather than belongs to
	 * it. */
	while (j < n && j < DELIM_MAX && is_punct((unsigned char)s[j]) &&
	    !(j > 0 && strchr(",;()[]{}", s[j])))
		j++;
copy:
	memcpy(out, s, j);
	out[j] = '\0';
	return j;
}

/* The head of the line at s[0:n] (n > 0, s[0] not a space), at most 15
 * bytes, cut at a character boundary and before trailing whitespace. */
static size_t line_head(const char *s, size_t n, char *out)
{
	size_t j = 0;

	while (j < n && j < DELIM_MAX && s[j] != '\n')
		j++;
	/* Do not keep a partial UTF-8 character. */
	if (j < n && ((unsigned char)s[j] & 0xc0) == 0x80)
		while (j > 0 && ((unsigned char)s[j] & 0xc0) == 0x80)
			j--;
	while (j > 0 && is_space((unsigned char)s[j - 1]))
		j--;
	memcpy(out, s, j);
	out[j] = '\0';
	return j;
}

int trw_stop_for_candidate(trw_kind kind, const char *bytes, size_t len,
    size_t start, size_t end, trw_stop *out)
{
	int one_line, prose;
	size_t h, p;

	if (!kind_ok(kind))
		return trw_error_set(TRW_EINVALID, "stop rule: no such kind %d", (int)kind);
	if (out == NULL || start > end || end > len || (bytes == NULL && len))
		return trw_error_set(TRW_EINVALID, "stop rule: span %zu..%zu outside 0..%zu",
		    start, end, len);
	memset(out, 0, sizeof(*out));
	if (trw_kind_is_syntactic(kind)) {
		out->mode = TRW_STOP_IDENT;
		return 0;
	}
	one_line = memchr(bytes + start, '\n', end - start) == NULL;
	prose = kind == TRW_KIND_COMMENT || kind == TRW_KIND_DOCSTRING;
	for (h = end; h < len && (bytes[h] == ' ' || bytes[h] == '\t' || bytes[h] == '\r'); h++)
		;
	if (prose && one_line && (h == len || bytes[h] == '\n')) {
		out->mode = TRW_STOP_NEWLINE;
		return 0;
	}
	for (p = end; p < len && is_space((unsigned char)bytes[p]); p++)
		;
	out->mode = TRW_STOP_DELIM;
	if (closing_delim(bytes + p, len - p, out->delim) > 0)
		return 0;
	/* No delimiter at the head of the suffix: where the suffix starts is
	 * the best end we know for a multi-line element; a one-line one ends
	 * with its line.  A multi-line element at the end of the file has no
	 * end at all, and the line is the least wrong unit. */
	if (!one_line && p < len && line_head(bytes + p, len - p, out->delim) > 0)
		return 0;
	memset(out, 0, sizeof(*out));
	out->mode = TRW_STOP_NEWLINE;
	return 0;
}

unsigned trw_kind_max_tokens(trw_kind kind)
{
	switch (kind) {
	case TRW_KIND_FUNCTION_NAME:
	case TRW_KIND_CLASS_NAME:
	case TRW_KIND_VARIABLE_NAME:
		return 16;
	case TRW_KIND_STRING:
	case TRW_KIND_COMMENT:
		return 64;
	case TRW_KIND_DOCSTRING:
		return 128;
	default:
		return 0;
	}
}
