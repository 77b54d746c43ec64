/*
 * lang.h - the language table.
 *
 * One row per supported language: its name, how files are recognised
 * (extensions, shebang interpreters), its tree-sitter grammar and its
 * query file.  Nothing else in trawic knows about individual languages.
 */
#ifndef TRW_LANG_H
#define TRW_LANG_H

#include <stddef.h>

typedef struct TSLanguage TSLanguage;

typedef struct trw_lang {
	const char *name;		/* "python", "c", ... (stable, used in output) */
	const char *const *extensions;	/* NULL-terminated, without the dot, lower case */
	const char *const *interpreters;/* NULL-terminated shebang program names */
	const TSLanguage *(*grammar)(void);
	const char *query_name;		/* "python.scm" */
} trw_lang;

/* The table; *count receives the number of rows. Static, never freed. */
const trw_lang *trw_lang_table(size_t *count);

/* Look a language up by its name (case-sensitive); NULL if unknown. */
const trw_lang *trw_lang_by_name(const char *name);

/*
 * Detect a file's language: first by the extension of `path`, then by a
 * "#!" line at the start of `head` (the first `len` bytes of the file,
 * may be NULL).  NULL when neither tells.
 */
const trw_lang *trw_lang_detect(const char *path, const char *head, size_t len);

#endif
