/*
 * pattern.h - gitignore-syntax path patterns.
 *
 * Used for .trawicignore (gitignore syntax) and for the attribute lines of
 * a plain directory's .gitattributes.  Supports: blank lines and '#'
 * comments, '!' negation (last match wins), a trailing '/' (directories
 * only), a leading or inner '/' (anchored at the root), '*', '?', '[...]',
 * and a double star as a whole path component (leading, inner, trailing).
 */
#ifndef TRW_PATTERN_H
#define TRW_PATTERN_H

#include <stddef.h>

typedef struct trw_patterns trw_patterns;

int trw_patterns_new(trw_patterns **out);
void trw_patterns_free(trw_patterns *p);

/*
 * Add the lines of a gitignore-syntax text (`len` bytes, need not be
 * NUL-terminated).  `base` is the directory the file lives in, relative
 * to the root ("" for the root).  TRW_EINVALID for a line too long.
 */
int trw_patterns_add_text(trw_patterns *p, const char *base,
    const char *text, size_t len);

/* Add one pattern. */
int trw_patterns_add(trw_patterns *p, const char *base, const char *pattern);

/*
 * Is `path` ('/'-separated, relative to the root) excluded?  A path is
 * also excluded when one of its parent directories is.  Returns 1 or 0.
 */
int trw_patterns_match(const trw_patterns *p, const char *path, int is_dir);

/*
 * Which line decides `path` by itself, without the parent-directory rule
 * (the .gitattributes reading: the last matching line wins, and a pattern
 * for a directory says nothing about the files below it).  Returns 0 when
 * no pattern matches, 1 when the last match is a plain pattern, 2 when it
 * is a '!' pattern.
 */
int trw_patterns_decide(const trw_patterns *p, const char *path, int is_dir);

/* Match one glob against one path (no gitignore rules); 1 or 0. */
int trw_glob_match(const char *glob, const char *path);

#endif
