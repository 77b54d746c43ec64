/*
 * template.h - FIM prompt templates: the one table of model-family
 * knowledge (sentinel tokens, order, leading-space rule, stop tokens).
 * A new model family is a new row in model/template.c, not new code.
 */
#ifndef TRW_TEMPLATE_H
#define TRW_TEMPLATE_H

#include <stddef.h>

#include "common/util.h"

typedef enum { TRW_FIM_PSM = 0, TRW_FIM_SPM } trw_fim_order;

typedef struct trw_template {
	const char *name;		/* "starcoder2", "codellama", ... */
	const char *aliases;		/* space-separated model-id substrings for guessing */
	const char *bos;		/* text before everything, "" if none */
	const char *pre;		/* prefix sentinel */
	const char *suf;		/* suffix sentinel */
	const char *mid;		/* middle sentinel ("" when the order has none) */
	trw_fim_order order;
	int space_before_prefix;	/* CodeLlama/Codestral: " {prefix}" */
	const char *const *stops;	/* NULL-terminated stop strings besides the kind's */
} trw_template;

/* The table; *count receives the number of rows. */
const trw_template *trw_template_table(size_t *count);

/* By exact name; NULL if none. */
const trw_template *trw_template_by_name(const char *name);

/* Guess from a model id ("bigcode/starcoder2-3b", "qwen2.5-coder:1.5b"),
 * case-insensitively by the rows' aliases; NULL if none matches. */
const trw_template *trw_template_guess(const char *model_id);

/* Render the prompt for (prefix, suffix) into `out` (appended). */
int trw_template_render(const trw_template *t, const char *prefix, size_t prefix_len,
    const char *suffix, size_t suffix_len, trw_buf *out);

/*
 * The inverse, for `trawic serve`: split a rendered prompt back into
 * prefix and suffix (pointers into `prompt`).  TRW_EINVALID when the
 * prompt does not have the template's shape.
 */
int trw_template_parse(const trw_template *t, const char *prompt, size_t len,
    const char **prefix, size_t *prefix_len, const char **suffix, size_t *suffix_len);

#endif
