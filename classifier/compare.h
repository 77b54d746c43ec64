/*
 * compare.h - did the model reproduce the masked element?
 *
 * Similarity is the indel ratio of the original TraWiC (fuzzywuzzy's
 * fuzz.ratio over python-Levenshtein 0.21, i.e. rapidfuzz's Indel
 * normalized similarity): round(100 * (1 - (|a|+|b|-2*LCS(a,b)) / (|a|+|b|)))
 * over Unicode code points, rounded half to even as Python's round().
 * Syntactic kinds (names) hit only on exact equality after trimming;
 * semantic kinds (strings, comments, docstrings) hit at similarity >=
 * the semantic threshold.
 *
 * The stop rule of a candidate comes from the bytes around its span
 * (syntax), never from the model's answer; trw_completion_cut applies it
 * to a completion so that only the unit is compared.
 */
#ifndef TRW_COMPARE_H
#define TRW_COMPARE_H

#include <stddef.h>

#include "extractor/extract.h"
#include "model/fim.h"

#define TRW_SEMANTIC_THRESHOLD_DEFAULT 60

/*
 * Bounds of the LCS computation, so that it is never quadratic in
 * unbounded input.  The common prefix and suffix are removed first
 * (exact, linear); the LCS of the rest is bit-parallel, O(n * m / 64)
 * (4096 x 4096 code points in about 0.5 ms), and runs on at most
 * TRW_SIMILARITY_MAX_CELLS cells: when the two middles' product is
 * larger, the longer middle is cut to its first MAX_CELLS / m code points
 * if the shorter has m <= TRW_SIMILARITY_MAX_CHARS, else both to their
 * first MAX_CHARS.  The ratio keeps the full lengths in its denominator,
 * so a bounded result is a lower bound of the exact one.  It is exact
 * whenever the middles' product fits: any two texts of up to 4096 code
 * points, or a 100-character completion against a 160,000-character
 * original.  Completions are short (the kind's token budget) and continue
 * the prefix, so they line up with the head of the original: cutting an
 * original's tail loses nothing a completion could have matched.
 */
#define TRW_SIMILARITY_MAX_CHARS 4096
#define TRW_SIMILARITY_MAX_CELLS (4096u * 4096u)

/*
 * The ratio (0..100) of a[0:alen] and b[0:blen], UTF-8, untrimmed.  Both
 * empty: 100; one empty: 0.  Bytes that are not valid UTF-8 count as one
 * code point each, distinct from every valid character.  Returns
 * TRW_ENOMEM (negative) if the working memory cannot be had.
 */
int trw_similarity(const char *a, size_t alen, const char *b, size_t blen);

/* Narrow s[0:*len] to exclude leading and trailing space, tab, CR, LF. */
void trw_text_trim(const char **s, size_t *len);

/*
 * Compare an original element with a completion (already cut with
 * trw_completion_cut).  Both are trimmed first.  *similarity receives the
 * ratio of the trimmed texts, *hit 1 or 0: syntactic kinds hit only when
 * the trimmed texts are byte-equal (case-sensitive), semantic kinds when
 * *similarity >= semantic_threshold (0..100).  TRW_EINVALID for a bad
 * kind or threshold, TRW_ENOMEM.
 */
int trw_compare(trw_kind kind, const char *original, size_t olen,
    const char *completion, size_t clen, int semantic_threshold,
    int *similarity, int *hit);

/*
 * The stop rule of the candidate bytes[start:end] of a file of `len`
 * bytes, from the syntax around it:
 *   names                 TRW_STOP_IDENT;
 *   comments, docstrings  TRW_STOP_NEWLINE when the span is one line and
 *                         only spaces/tabs separate it from a newline or
 *                         the end of the file (a line comment, or a one-line
 *                         body whose closing marker is on a later line);
 *                         otherwise TRW_STOP_DELIM with the closing marker;
 *   strings               TRW_STOP_DELIM with the closing delimiter.
 * The closing delimiter is read at the head of the suffix, after
 * whitespace: a quote run (" ' ` or a tripled quote) with the '#'s of a Rust
 * raw string, a C++ raw-string end `)tag"`, or else the run of
 * punctuation up to a bracket, comma or semicolon (`*` `/` for a block
 * comment); at most 15 bytes, never split inside a UTF-8 character.
 * When the suffix has no such head (end of file, code follows at once),
 * a one-line span falls back to TRW_STOP_NEWLINE and a multi-line one to
 * the first 15 bytes of the suffix's next non-blank line.  TRW_EINVALID
 * for a bad kind or span.
 */
int trw_stop_for_candidate(trw_kind kind, const char *bytes, size_t len,
    size_t start, size_t end, trw_stop *out);


/* Token budget of a completion, per kind: names 16, strings 64,
 * comments 64, docstrings 128; 0 for a bad kind. */
unsigned trw_kind_max_tokens(trw_kind kind);

#endif
