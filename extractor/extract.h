/*
 * extract.h - candidates from source files, with tree-sitter queries.
 *
 * For each language, extractor/queries/<lang>.scm says which nodes are
 * function, class and variable names, strings, comments and docstrings.
 * The query files are compiled into the binary; capture names and
 * predicates are checked when a language is first used, and an error
 * names file.scm:line:col.  The C code knows capture names, never node
 * types.
 */
#ifndef TRW_EXTRACT_H
#define TRW_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "lang.h"

typedef enum {
	TRW_KIND_FUNCTION_NAME = 0,
	TRW_KIND_CLASS_NAME,
	TRW_KIND_VARIABLE_NAME,
	TRW_KIND_STRING,
	TRW_KIND_COMMENT,
	TRW_KIND_DOCSTRING,
	TRW_KIND__COUNT
} trw_kind;

#define TRW_KIND_ALL ((1u << TRW_KIND__COUNT) - 1)

/* "function_name", "class_name", ... ; NULL for an out-of-range kind. */
const char *trw_kind_name(trw_kind kind);
/* The kind named `name`; -1 if none. */
int trw_kind_from_name(const char *name);
/* Syntactic kinds (names) vs semantic kinds (strings, comments, docstrings). */
int trw_kind_is_syntactic(trw_kind kind);

/* One element to mask.  `text` points into the file's bytes. */
typedef struct trw_candidate {
	trw_kind kind;
	uint32_t start_byte;	/* the masked span: bytes[start_byte:end_byte] */
	uint32_t end_byte;
	uint32_t line;		/* 1-based line of start_byte */
	uint32_t col;		/* 1-based byte column of start_byte */
	const char *text;	/* == bytes + start_byte, length end_byte - start_byte */
} trw_candidate;

typedef struct trw_extractor trw_extractor;

typedef struct trw_extract_options {
	unsigned int version;
	unsigned int kinds;		/* bit mask of (1u << trw_kind), default all */
	uint64_t timeout_us;		/* per-file parse limit, default 10 s, 0 = none */
} trw_extract_options;

#define TRW_EXTRACT_OPTIONS_VERSION 1
#define TRW_EXTRACT_OPTIONS_INIT { TRW_EXTRACT_OPTIONS_VERSION, TRW_KIND_ALL, 10000000 }

/* An extractor owns one parser and compiled queries; one per thread. */
int trw_extractor_new(trw_extractor **out, const trw_extract_options *opts);
void trw_extractor_free(trw_extractor *ex);

/*
 * Load and check the query for `lang` now (it is otherwise loaded on first
 * use).  TRW_EQUERY with "lang.scm:line:col: reason" when it does not load.
 */
int trw_extractor_load(trw_extractor *ex, const trw_lang *lang);

/* Result of one file. Borrowed from the extractor until its next call. */
typedef struct trw_extract_result {
	const trw_candidate *candidates;	/* sorted by start_byte */
	size_t count;
	int has_error;				/* tree-sitter found syntax errors */
	size_t dropped;				/* trivial elements dropped */
} trw_extract_result;

/*
 * Extract the candidates of one file (`len` bytes, need not be
 * NUL-terminated).  Errors: TRW_EQUERY, TRW_ETOOBIG (file over 4 GiB),
 * TRW_ECANCEL (parse timeout), TRW_ENOMEM.
 */
int trw_extractor_run(trw_extractor *ex, const trw_lang *lang,
    const char *bytes, size_t len, const trw_extract_result **out);

/* Check a query text outside the embedded set (for tests and tools).
 * `name` is used in messages. */
int trw_extractor_check_query(const trw_lang *lang, const char *name,
    const char *text, size_t len);

/* Use `text` instead of the embedded query for `lang` in this extractor
 * (for tests, and for developing query files).  The text is copied. */
int trw_extractor_set_query(trw_extractor *ex, const trw_lang *lang,
    const char *name, const char *text, size_t len);

#endif
