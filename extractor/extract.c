/*
 * extract.c - candidates from one file, found by a tree-sitter query.
 *
 * The query file of a language names nodes with a closed set of captures
 * (@function.name, @class.name, @variable.name, @string, @comment,
 * @docstring, and private @_x helpers).  The tree-sitter C runtime parses
 * predicates but never evaluates them, so this module does: #eq?,
 * #not-eq?, #match?, #not-match?, #any-of?, #not-any-of?, and one
 * directive, #trim!, which narrows the masked span of a capture (a string
 * without its quotes, a comment without its marker).  Anything else is
 * rejected when the query loads, with file.scm:line:col.
 *
 * It does not read files, talk to models, or know any node type: that is
 * the query files' business.
 */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

#include "common/error.h"
#include "common/util.h"
#include "extractor/extract.h"
#include "extractor/queries.h"

static const char *const kind_names[TRW_KIND__COUNT] = {
	"function_name", "class_name", "variable_name",
	"string", "comment", "docstring",
};

/* The capture vocabulary, index-aligned with trw_kind. */
static const char *const capture_names[TRW_KIND__COUNT] = {
	"function.name", "class.name", "variable.name",
	"string", "comment", "docstring",
};

/*
 * When two patterns capture the same node, one record wins: a docstring
 * is also a string, a function bound to a variable is a function.
 */
static const int kind_rank[TRW_KIND__COUNT] = {
	[TRW_KIND_DOCSTRING] = 0, [TRW_KIND_CLASS_NAME] = 1,
	[TRW_KIND_FUNCTION_NAME] = 2, [TRW_KIND_VARIABLE_NAME] = 3,
	[TRW_KIND_COMMENT] = 4, [TRW_KIND_STRING] = 5,
};

const char *trw_kind_name(trw_kind kind)
{
	return (unsigned)kind < TRW_KIND__COUNT ? kind_names[kind] : NULL;
}

int trw_kind_from_name(const char *name)
{
	for (int k = 0; k < TRW_KIND__COUNT; k++)
		if (strcmp(kind_names[k], name) == 0)
			return k;
	return -1;
}

int trw_kind_is_syntactic(trw_kind kind)
{
	return kind == TRW_KIND_FUNCTION_NAME || kind == TRW_KIND_CLASS_NAME ||
	    kind == TRW_KIND_VARIABLE_NAME;
}

/* ---- compiled predicates ------------------------------------------------ */

typedef enum {
	PRED_EQ, PRED_MATCH, PRED_ANY_OF, PRED_TRIM
} pred_type;

typedef struct pred {
	pred_type type;
	int negate;
	uint32_t capture;		/* the first argument */
	int rhs_capture;		/* PRED_EQ: -1 or a capture id */
	const char *str;		/* PRED_EQ string, borrowed from the query */
	uint32_t str_len;
	regex_t re;			/* PRED_MATCH; PRED_TRIM left */
	regex_t re2;			/* PRED_TRIM right */
	int has_re, has_re2;
	const char **any;		/* PRED_ANY_OF strings */
	uint32_t *any_len;
	uint32_t nany;
} pred;

typedef struct pattern_preds {
	pred *v;
	uint32_t n;
} pattern_preds;

typedef struct lang_query {
	const trw_lang *lang;
	TSQuery *query;
	int8_t *capture_kind;		/* per capture id: trw_kind, or -1 private */
	pattern_preds *patterns;	/* per pattern index */
	uint32_t npatterns;
} lang_query;

typedef struct found {
	uint32_t node_start, node_end;
	uint32_t start, end;
	trw_kind kind;
} found;

struct trw_extractor {
	trw_extract_options opts;
	TSParser *parser;
	TSQueryCursor *cursor;
	lang_query *queries;		/* one slot per language table row */
	size_t nlangs;
	const trw_lang *table;
	found *found;
	size_t nfound, found_alloc;
	trw_candidate *cands;
	size_t cands_alloc;
	uint32_t *lines;		/* line start offsets of the current file */
	size_t nlines, lines_alloc;
	trw_extract_result result;
	trw_buf scratch;		/* NUL-terminated copies for regexec */
};

/* ---- positions in a query file ------------------------------------------ */

static void offset_to_linecol(const char *text, size_t len, size_t off,
    unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/*
 * Where `needle` (e.g. "@foo" or "#bar?") first appears at or after
 * `from`, not followed by another name character; `from` if not found.
 */
static size_t find_token(const char *text, size_t len, size_t from,
    const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = from; i + n <= len; i++) {
		if (memcmp(text + i, needle, n) != 0)
			continue;
		if (i + n < len && (isalnum((unsigned char)text[i + n]) ||
		    text[i + n] == '_' || text[i + n] == '.' || text[i + n] == '-'))
			continue;
		return i;
	}
	return from;
}

/*
 * The text of a query as compiled: an inherited query file (or none)
 * followed by the language's own, so that errors name the right file.
 */
typedef struct qsrc {
	const char *name;	/* the language's own file */
	const char *text;	/* base + own */
	size_t len;
	const char *base_name;	/* NULL when nothing is inherited */
	size_t base_len;	/* bytes of text that belong to base_name */
} qsrc;

static int query_error(const qsrc *q, size_t off, const char *fmt, const char *arg)
{
	unsigned line, col;
	const char *name = q->name;

	if (q->base_name && off < q->base_len) {
		name = q->base_name;
		offset_to_linecol(q->text, q->base_len, off, &line, &col);
	} else {
		offset_to_linecol(q->text + q->base_len, q->len - q->base_len,
		    off - q->base_len, &line, &col);
	}
	return trw_error_set(TRW_EQUERY, "%s:%u:%u: %s%s", name, line, col, fmt,
	    arg ? arg : "");
}

/* ---- loading ------------------------------------------------------------- */

static void pred_dispose(pred *p)
{
	if (p->has_re)
		regfree(&p->re);
	if (p->has_re2)
		regfree(&p->re2);
	free(p->any);
	free(p->any_len);
}

static void lang_query_dispose(lang_query *lq)
{
	if (lq->patterns) {
		for (uint32_t i = 0; i < lq->npatterns; i++) {
			for (uint32_t k = 0; k < lq->patterns[i].n; k++)
				pred_dispose(&lq->patterns[i].v[k]);
			free(lq->patterns[i].v);
		}
	}
	free(lq->patterns);
	free(lq->capture_kind);
	if (lq->query)
		ts_query_delete(lq->query);
	memset(lq, 0, sizeof(*lq));
}

static int compile_regex(regex_t *re, const char *src, uint32_t len,
    const qsrc *q, size_t pos)
{
	char *pat = strndup(src, len);
	int rc;

	if (!pat)
		return trw_error_oom();
	rc = regcomp(re, pat, REG_EXTENDED);
	free(pat);
	if (rc != 0) {
		char msg[256];
		int error;

		regerror(rc, re, msg, sizeof(msg));
		error = query_error(q, pos, "bad regular expression: ", msg);
		return error;
	}
	return 0;
}

/*
 * Compile the predicates of one pattern.  Steps come in runs ended by
 * TSQueryPredicateStepTypeDone; each run is `name arg...`.
 */
static int load_pattern_preds(lang_query *lq, uint32_t idx, const qsrc *q)
{
	const TSQueryPredicateStep *steps;
	uint32_t nsteps, i = 0;
	size_t pat_pos = ts_query_start_byte_for_pattern(lq->query, idx);
	pattern_preds *pp = &lq->patterns[idx];
	int error = 0;

	steps = ts_query_predicates_for_pattern(lq->query, idx, &nsteps);
	while (i < nsteps) {
		uint32_t start = i, nargs, len;
		const char *pname;
		char tok[80];
		size_t pos;
		pred *p;

		while (i < nsteps && steps[i].type != TSQueryPredicateStepTypeDone)
			i++;
		nargs = i - start - 1;	/* excluding the name */
		i++;			/* skip Done */
		pname = ts_query_string_value_for_id(lq->query, steps[start].value_id, &len);
		snprintf(tok, sizeof(tok), "#%.*s", (int)len, pname);
		pos = find_token(q->text, q->len, pat_pos, tok);

		p = realloc(pp->v, (pp->n + 1) * sizeof(*p));
		if (!p)
			return trw_error_oom();
		pp->v = p;
		p = &pp->v[pp->n];
		memset(p, 0, sizeof(*p));
		p->rhs_capture = -1;
		pp->n++;

		if (strcmp(tok, "#eq?") == 0 || strcmp(tok, "#not-eq?") == 0) {
			p->type = PRED_EQ;
			p->negate = tok[1] == 'n';
		} else if (strcmp(tok, "#match?") == 0 || strcmp(tok, "#not-match?") == 0) {
			p->type = PRED_MATCH;
			p->negate = tok[1] == 'n';
		} else if (strcmp(tok, "#any-of?") == 0 || strcmp(tok, "#not-any-of?") == 0) {
			p->type = PRED_ANY_OF;
			p->negate = tok[1] == 'n';
		} else if (strcmp(tok, "#trim!") == 0) {
			p->type = PRED_TRIM;
		} else {
			return query_error(q, pos,
			    "unknown predicate ", tok);
		}

		if (nargs < 2 || steps[start + 1].type != TSQueryPredicateStepTypeCapture)
			return query_error(q, pos, tok,
			    " needs a capture and at least one more argument");
		p->capture = steps[start + 1].value_id;

		switch (p->type) {
		case PRED_EQ:
			if (nargs != 2)
				return query_error(q, pos, tok, " takes two arguments");
			if (steps[start + 2].type == TSQueryPredicateStepTypeCapture)
				p->rhs_capture = (int)steps[start + 2].value_id;
			else
				p->str = ts_query_string_value_for_id(lq->query,
				    steps[start + 2].value_id, &p->str_len);
			break;
		case PRED_MATCH: {
			const char *re;

			if (nargs != 2 || steps[start + 2].type != TSQueryPredicateStepTypeString)
				return query_error(q, pos, tok,
				    " takes a capture and a regular expression");
			re = ts_query_string_value_for_id(lq->query, steps[start + 2].value_id, &len);
			if ((error = compile_regex(&p->re, re, len, q, pos)) < 0)
				return error;
			p->has_re = 1;
			break;
		}
		case PRED_ANY_OF:
			p->nany = nargs - 1;
			p->any = calloc(p->nany, sizeof(*p->any));
			p->any_len = calloc(p->nany, sizeof(*p->any_len));
			if (!p->any || !p->any_len)
				return trw_error_oom();
			for (uint32_t k = 0; k < p->nany; k++) {
				if (steps[start + 2 + k].type != TSQueryPredicateStepTypeString)
					return query_error(q, pos, tok,
					    " takes a capture and strings");
				p->any[k] = ts_query_string_value_for_id(lq->query,
				    steps[start + 2 + k].value_id, &p->any_len[k]);
			}
			break;
		case PRED_TRIM: {
			const char *l, *r;
			uint32_t ll, rl;

			if (nargs != 3 || steps[start + 2].type != TSQueryPredicateStepTypeString ||
			    steps[start + 3].type != TSQueryPredicateStepTypeString)
				return query_error(q, pos, tok,
				    " takes a capture, a left and a right regular expression");
			l = ts_query_string_value_for_id(lq->query, steps[start + 2].value_id, &ll);
			r = ts_query_string_value_for_id(lq->query, steps[start + 3].value_id, &rl);
			if (ll) {
				if ((error = compile_regex(&p->re, l, ll, q, pos)) < 0)
					return error;
				p->has_re = 1;
			}
			if (rl) {
				if ((error = compile_regex(&p->re2, r, rl, q, pos)) < 0)
					return error;
				p->has_re2 = 1;
			}
			break;
		}
		}
	}
	return 0;
}

static const char *ts_query_error_name(TSQueryError e)
{
	switch (e) {
	case TSQueryErrorSyntax: return "syntax error";
	case TSQueryErrorNodeType: return "unknown node type";
	case TSQueryErrorField: return "unknown field";
	case TSQueryErrorCapture: return "unknown capture";
	case TSQueryErrorStructure: return "impossible pattern structure";
	case TSQueryErrorLanguage: return "grammar/language version mismatch";
	default: return "error";
	}
}

static int load_query_text(lang_query *lq, const trw_lang *lang, const qsrc *q)
{
	TSQueryError etype = TSQueryErrorNone;
	uint32_t eoff = 0, ncap;
	const TSLanguage *tsl = lang->grammar();
	int error = 0;

	memset(lq, 0, sizeof(*lq));
	lq->lang = lang;
	if (ts_language_version(tsl) > TREE_SITTER_LANGUAGE_VERSION ||
	    ts_language_version(tsl) < TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION)
		return trw_error_set(TRW_EQUERY,
		    "grammar for %s has ABI %u, this tree-sitter runtime accepts %u..%u",
		    lang->name, ts_language_version(tsl),
		    TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION, TREE_SITTER_LANGUAGE_VERSION);
	if (q->len > UINT32_MAX)
		return trw_error_set(TRW_EQUERY, "%s: query too large", q->name);
	lq->query = ts_query_new(tsl, q->text, (uint32_t)q->len, &eoff, &etype);
	if (!lq->query)
		return query_error(q, eoff, ts_query_error_name(etype), NULL);

	ncap = ts_query_capture_count(lq->query);
	lq->capture_kind = calloc(ncap ? ncap : 1, sizeof(*lq->capture_kind));
	if (!lq->capture_kind) {
		error = trw_error_oom();
		goto done;
	}
	for (uint32_t c = 0; c < ncap; c++) {
		uint32_t clen;
		const char *cname = ts_query_capture_name_for_id(lq->query, c, &clen);
		int kind = -1;

		for (int k = 0; k < TRW_KIND__COUNT; k++)
			if (strlen(capture_names[k]) == clen &&
			    memcmp(capture_names[k], cname, clen) == 0)
				kind = k;
		if (kind < 0 && !(clen > 0 && cname[0] == '_')) {
			char tok[80];

			snprintf(tok, sizeof(tok), "@%.*s", (int)clen, cname);
			error = query_error(q, find_token(q->text, q->len, 0, tok),
			    "unknown capture ", tok);
			goto done;
		}
		lq->capture_kind[c] = (int8_t)kind;
	}

	lq->npatterns = ts_query_pattern_count(lq->query);
	lq->patterns = calloc(lq->npatterns ? lq->npatterns : 1, sizeof(*lq->patterns));
	if (!lq->patterns) {
		error = trw_error_oom();
		goto done;
	}
	for (uint32_t p = 0; p < lq->npatterns; p++)
		if ((error = load_pattern_preds(lq, p, q)) < 0)
			goto done;

done:
	if (error < 0)
		lang_query_dispose(lq);
	return error;
}

static const trw_query_source *embedded(const char *name)
{
	for (const trw_query_source *qs = trw_query_sources; qs->name; qs++)
		if (strcmp(qs->name, name) == 0)
			return qs;
	return NULL;
}

/*
 * A query file whose first line is `; inherits: NAME` (a grammar that
 * extends another, like tsx over typescript) is compiled after the
 * embedded NAME.scm.  `buf` receives the joined text.
 */
static int resolve_query(qsrc *q, trw_buf *buf, const char *name, const char *text,
    size_t len)
{
	static const char tag[] = "; inherits: ";
	const trw_query_source *base;
	char base_name[64];
	size_t n = 0;
	int error;

	memset(q, 0, sizeof(*q));
	q->name = name;
	q->text = text;
	q->len = len;
	if (len < sizeof(tag) - 1 || memcmp(text, tag, sizeof(tag) - 1) != 0)
		return 0;
	while (sizeof(tag) - 1 + n < len && n < 40 &&
	    (isalnum((unsigned char)text[sizeof(tag) - 1 + n]) || text[sizeof(tag) - 1 + n] == '_'))
		n++;
	snprintf(base_name, sizeof(base_name), "%.*s.scm", (int)n, text + sizeof(tag) - 1);
	if (n == 0 || !(base = embedded(base_name)) || strcmp(base_name, name) == 0)
		return trw_error_set(TRW_EQUERY, "%s:1:%zu: cannot inherit '%s'", name,
		    sizeof(tag), base_name);
	if ((error = trw_buf_put(buf, base->text, base->len)) < 0 ||
	    (error = trw_buf_put(buf, "\n", 1)) < 0 ||
	    (error = trw_buf_put(buf, text, len)) < 0)
		return error;
	q->text = buf->ptr;
	q->len = buf->size;
	q->base_name = base->name;
	q->base_len = base->len + 1;
	return 0;
}

static int load_named_query(lang_query *lq, const trw_lang *lang, const char *name,
    const char *text, size_t len)
{
	trw_buf buf = TRW_BUF_INIT(0);
	qsrc q;
	int error;

	if ((error = resolve_query(&q, &buf, name, text, len)) == 0)
		error = load_query_text(lq, lang, &q);
	trw_buf_dispose(&buf);
	return error;
}

int trw_extractor_check_query(const trw_lang *lang, const char *name,
    const char *text, size_t len)
{
	lang_query lq;
	int error = load_named_query(&lq, lang, name, text, len);

	if (error == 0)
		lang_query_dispose(&lq);
	return error;
}

static int get_query(trw_extractor *ex, const trw_lang *lang, lang_query **out)
{
	size_t slot = (size_t)(lang - ex->table);
	const trw_query_source *qs;
	int error;

	if (slot >= ex->nlangs)
		return trw_error_set(TRW_EINVALID, "language not in the table");
	if (ex->queries[slot].query) {
		*out = &ex->queries[slot];
		return 0;
	}
	if (!(qs = embedded(lang->query_name)))
		return trw_error_set(TRW_EQUERY, "no query file %s for %s",
		    lang->query_name, lang->name);
	if ((error = load_named_query(&ex->queries[slot], lang, qs->name, qs->text, qs->len)) < 0)
		return error;
	*out = &ex->queries[slot];
	return 0;
}

int trw_extractor_set_query(trw_extractor *ex, const trw_lang *lang,
    const char *name, const char *text, size_t len)
{
	size_t slot = (size_t)(lang - ex->table);
	lang_query lq;
	int error;

	if (slot >= ex->nlangs)
		return trw_error_set(TRW_EINVALID, "language not in the table");
	/* TSQuery keeps no pointer into the text, but predicate strings are
	 * owned by the query, so the text need not outlive this call */
	if ((error = load_named_query(&lq, lang, name, text, len)) < 0)
		return error;
	lang_query_dispose(&ex->queries[slot]);
	ex->queries[slot] = lq;
	return 0;
}

int trw_extractor_load(trw_extractor *ex, const trw_lang *lang)
{
	lang_query *lq;

	return get_query(ex, lang, &lq);
}

/* ---- life cycle ---------------------------------------------------------- */

int trw_extractor_new(trw_extractor **out, const trw_extract_options *opts)
{
	trw_extractor *ex = calloc(1, sizeof(*ex));
	trw_extract_options defaults = TRW_EXTRACT_OPTIONS_INIT;

	*out = NULL;
	if (!ex)
		return trw_error_oom();
	ex->opts = opts ? *opts : defaults;
	ex->table = trw_lang_table(&ex->nlangs);
	ex->parser = ts_parser_new();
	ex->cursor = ts_query_cursor_new();
	ex->queries = calloc(ex->nlangs, sizeof(*ex->queries));
	if (!ex->parser || !ex->cursor || !ex->queries) {
		trw_extractor_free(ex);
		return trw_error_oom();
	}
	*out = ex;
	return 0;
}

void trw_extractor_free(trw_extractor *ex)
{
	if (!ex)
		return;
	if (ex->queries)
		for (size_t i = 0; i < ex->nlangs; i++)
			lang_query_dispose(&ex->queries[i]);
	free(ex->queries);
	if (ex->cursor)
		ts_query_cursor_delete(ex->cursor);
	if (ex->parser)
		ts_parser_delete(ex->parser);
	free(ex->found);
	free(ex->cands);
	free(ex->lines);
	trw_buf_dispose(&ex->scratch);
	free(ex);
}

/* ---- running ------------------------------------------------------------- */

/*
 * regexec on a slice.  The slice is copied into a NUL-terminated scratch
 * buffer first: file bytes need not be terminated, and sanitizer
 * interceptors of regexec call strlen even under REG_STARTEND.
 */
static int regex_at(trw_buf *scratch, const regex_t *re, const char *s,
    uint32_t len, regmatch_t *m)
{
	trw_buf_clear(scratch);
	if (trw_buf_put(scratch, s, len) < 0)
		return 0;
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)len;
	return regexec(re, scratch->ptr, 1, m, REG_STARTEND) == 0;
}

static int capture_text(const TSQueryMatch *match, uint32_t capture,
    const char *bytes, const char **s, uint32_t *len)
{
	for (uint16_t i = 0; i < match->capture_count; i++) {
		if (match->captures[i].index == capture) {
			TSNode n = match->captures[i].node;
			uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);

			*s = bytes + a;
			*len = b - a;
			return 1;
		}
	}
	return 0;
}

/* Does the match satisfy every predicate of its pattern? */
static int match_passes(trw_buf *scratch, const pattern_preds *pp,
    const TSQueryMatch *match, const char *bytes)
{
	for (uint32_t i = 0; i < pp->n; i++) {
		const pred *p = &pp->v[i];
		const char *s, *s2;
		uint32_t len, len2;
		regmatch_t m[1];
		int ok = 0;

		if (p->type == PRED_TRIM)
			continue;
		/* a quantified capture that matched nothing: nothing to test */
		if (!capture_text(match, p->capture, bytes, &s, &len))
			continue;
		switch (p->type) {
		case PRED_EQ:
			if (p->rhs_capture >= 0) {
				if (!capture_text(match, (uint32_t)p->rhs_capture, bytes, &s2, &len2))
					continue;
			} else {
				s2 = p->str;
				len2 = p->str_len;
			}
			ok = len == len2 && memcmp(s, s2, len) == 0;
			break;
		case PRED_MATCH:
			ok = regex_at(scratch, &p->re, s, len, m);
			break;
		case PRED_ANY_OF:
			for (uint32_t k = 0; k < p->nany && !ok; k++)
				ok = len == p->any_len[k] && memcmp(s, p->any[k], len) == 0;
			break;
		case PRED_TRIM:
			break;
		}
		if (ok == p->negate)
			return 0;
	}
	return 1;
}

/* Apply a #trim! of this capture to [start,end). */
static void apply_trim(trw_buf *scratch, const pattern_preds *pp,
    uint32_t capture, const char *bytes, uint32_t *start, uint32_t *end)
{
	for (uint32_t i = 0; i < pp->n; i++) {
		const pred *p = &pp->v[i];
		regmatch_t m[1];

		if (p->type != PRED_TRIM || p->capture != capture)
			continue;
		if (p->has_re && regex_at(scratch, &p->re, bytes + *start, *end - *start, m) &&
		    m[0].rm_so == 0)
			*start += (uint32_t)m[0].rm_eo;
		/* the right expression must reach the end of the span */
		if (p->has_re2 && *end > *start) {
			uint32_t from = *start;

			while (from < *end) {
				regmatch_t r[1];

				if (!regex_at(scratch, &p->re2, bytes + from, *end - from, r))
					break;
				if ((uint32_t)r[0].rm_eo == *end - from) {
					*end = from + (uint32_t)r[0].rm_so;
					break;
				}
				from += (uint32_t)r[0].rm_so + 1;
			}
		}
	}
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * The trivial-element rule (docs/extractor.md): nothing left after the
 * delimiters, a string of fewer than two characters, a comment or
 * docstring without a single letter or digit.
 */
static int is_trivial(trw_kind kind, const char *s, uint32_t len)
{
	uint32_t chars = 0;

	if (len == 0)
		return 1;
	switch (kind) {
	case TRW_KIND_STRING:
		for (uint32_t i = 0; i < len; i++)
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				chars++;
		return chars < 2;
	case TRW_KIND_COMMENT:
	case TRW_KIND_DOCSTRING:
		for (uint32_t i = 0; i < len; i++)
			if (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
				return 0;
		return 1;
	default:
		for (uint32_t i = 0; i < len; i++)
			if (!is_space(s[i]))
				return 0;
		return 1;
	}
}

static int push_found(trw_extractor *ex, const found *f)
{
	if (ex->nfound == ex->found_alloc) {
		size_t n = ex->found_alloc ? ex->found_alloc * 2 : 256;
		found *p = realloc(ex->found, n * sizeof(*p));

		if (!p)
			return trw_error_oom();
		ex->found = p;
		ex->found_alloc = n;
	}
	ex->found[ex->nfound++] = *f;
	return 0;
}

static int cmp_found(const void *a, const void *b)
{
	const found *x = a, *y = b;

	if (x->node_start != y->node_start)
		return x->node_start < y->node_start ? -1 : 1;
	if (x->node_end != y->node_end)
		return x->node_end < y->node_end ? -1 : 1;
	return kind_rank[x->kind] - kind_rank[y->kind];
}

static int index_lines(trw_extractor *ex, const char *bytes, size_t len)
{
	ex->nlines = 0;
	for (size_t off = 0;;) {
		const char *nl;

		if (ex->nlines == ex->lines_alloc) {
			size_t n = ex->lines_alloc ? ex->lines_alloc * 2 : 1024;
			uint32_t *p = realloc(ex->lines, n * sizeof(*p));

			if (!p)
				return trw_error_oom();
			ex->lines = p;
			ex->lines_alloc = n;
		}
		ex->lines[ex->nlines++] = (uint32_t)off;
		nl = memchr(bytes + off, '\n', len - off);
		if (!nl)
			break;
		off = (size_t)(nl - bytes) + 1;
	}
	return 0;
}

static void locate(const trw_extractor *ex, uint32_t off, uint32_t *line, uint32_t *col)
{
	size_t lo = 0, hi = ex->nlines;

	/* the last line start <= off */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ex->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = (uint32_t)lo + 1;
	*col = off - ex->lines[lo] + 1;
}

/* Run the query over the subtree of `node`, collecting what it finds. */
static int query_node(trw_extractor *ex, lang_query *lq, TSNode node, const char *bytes)
{
	TSQueryMatch match;
	int error;

	ts_query_cursor_exec(ex->cursor, lq->query, node);
	while (ts_query_cursor_next_match(ex->cursor, &match)) {
		const pattern_preds *pp = &lq->patterns[match.pattern_index];

		if (!match_passes(&ex->scratch, pp, &match, bytes))
			continue;
		for (uint16_t i = 0; i < match.capture_count; i++) {
			const TSQueryCapture *c = &match.captures[i];
			int kind = lq->capture_kind[c->index];
			found f;

			if (kind < 0 || !(ex->opts.kinds & (1u << kind)))
				continue;
			f.kind = (trw_kind)kind;
			f.node_start = f.start = ts_node_start_byte(c->node);
			f.node_end = f.end = ts_node_end_byte(c->node);
			apply_trim(&ex->scratch, pp, c->index, bytes, &f.start, &f.end);
			if (kind == TRW_KIND_COMMENT || kind == TRW_KIND_DOCSTRING) {
				while (f.start < f.end && is_space(bytes[f.start]))
					f.start++;
				while (f.end > f.start && is_space(bytes[f.end - 1]))
					f.end--;
			}
			if ((error = push_found(ex, &f)) < 0)
				return error;
		}
	}
	return 0;
}

/*
 * A node with this many children inside an error-recovered tree makes the
 * 0.20 query cursor quadratic (a 200 KB file took seconds, a 4 MB one
 * minutes), while a query started at each child is linear.
 */
#define WIDE_NODE 2048

typedef struct span {
	uint32_t start, end;
} span;

/*
 * Syntax errors: find the wide nodes (one cheap tree-cursor walk), then
 * query every subtree that contains none directly, and go down through
 * the ones that do.  Patterns rooted at a node on the way down to a wide
 * node (its parent, and so on up) are not matched there; their elements
 * below are still found by the child queries.
 */
static int query_segmented(trw_extractor *ex, lang_query *lq, TSNode root, const char *bytes)
{
	TSTreeCursor tc = ts_tree_cursor_new(root);
	span *heavy = NULL;
	size_t nheavy = 0, alloc = 0;
	int error = 0;

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&tc);

		if (ts_node_child_count(n) > WIDE_NODE) {
			if (nheavy == alloc) {
				size_t a = alloc ? alloc * 2 : 8;
				span *v = realloc(heavy, a * sizeof(*v));

				if (!v) {
					error = trw_error_oom();
					goto done;
				}
				heavy = v;
				alloc = a;
			}
			heavy[nheavy].start = ts_node_start_byte(n);
			heavy[nheavy].end = ts_node_end_byte(n);
			nheavy++;
		}
		if (ts_tree_cursor_goto_first_child(&tc))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&tc))
			if (!ts_tree_cursor_goto_parent(&tc))
				goto walked;
	}
walked:
	if (nheavy == 0) {
		error = query_node(ex, lq, root, bytes);
		goto done;
	}
	/* a node is on the way down when it encloses a wide node */
	ts_tree_cursor_reset(&tc, root);
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&tc);
		uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
		int encloses = 0;

		for (size_t i = 0; i < nheavy && !encloses; i++)
			encloses = a <= heavy[i].start && heavy[i].end <= b;
		if (encloses && ts_tree_cursor_goto_first_child(&tc))
			continue;
		if (!encloses && (error = query_node(ex, lq, n, bytes)) < 0)
			goto done;
		while (!ts_tree_cursor_goto_next_sibling(&tc))
			if (!ts_tree_cursor_goto_parent(&tc))
				goto done;
	}
done:
	ts_tree_cursor_delete(&tc);
	free(heavy);
	return error;
}

int trw_extractor_run(trw_extractor *ex, const trw_lang *lang,
    const char *bytes, size_t len, const trw_extract_result **out)
{
	lang_query *lq;
	TSTree *tree = NULL;
	size_t ncand = 0;
	int error;

	*out = NULL;
	memset(&ex->result, 0, sizeof(ex->result));
	ex->nfound = 0;
	if (len >= UINT32_MAX)
		return trw_error_set(TRW_ETOOBIG, "file too large for the parser");
	if ((error = get_query(ex, lang, &lq)) < 0)
		return error;
	if (!ts_parser_set_language(ex->parser, lang->grammar()))
		return trw_error_set(TRW_EQUERY, "tree-sitter refused the %s grammar (ABI %u)",
		    lang->name, ts_language_version(lang->grammar()));
	ts_parser_set_timeout_micros(ex->parser, ex->opts.timeout_us);
	tree = ts_parser_parse_string(ex->parser, NULL, bytes, (uint32_t)len);
	if (!tree) {
		ts_parser_reset(ex->parser);
		return trw_error_set(TRW_ECANCEL, "parse did not finish within %llu ms",
		    (unsigned long long)(ex->opts.timeout_us / 1000));
	}
	ex->result.has_error = ts_node_has_error(ts_tree_root_node(tree));

	if (ex->result.has_error)
		error = query_segmented(ex, lq, ts_tree_root_node(tree), bytes);
	else
		error = query_node(ex, lq, ts_tree_root_node(tree), bytes);
	if (error < 0)
		goto done;

	if (ex->nfound > 1)
		qsort(ex->found, ex->nfound, sizeof(*ex->found), cmp_found);
	if (ex->nfound > ex->cands_alloc) {
		trw_candidate *p = realloc(ex->cands, ex->nfound * sizeof(*p));

		if (!p) {
			error = trw_error_oom();
			goto done;
		}
		ex->cands = p;
		ex->cands_alloc = ex->nfound;
	}
	if ((error = index_lines(ex, bytes, len)) < 0)
		goto done;
	for (size_t i = 0; i < ex->nfound; i++) {
		const found *f = &ex->found[i];
		trw_candidate *c;

		/* the same node from several patterns: the first (best rank) wins */
		if (i > 0 && f->node_start == ex->found[i - 1].node_start &&
		    f->node_end == ex->found[i - 1].node_end)
			continue;
		if (f->end <= f->start || is_trivial(f->kind, bytes + f->start, f->end - f->start)) {
			ex->result.dropped++;
			continue;
		}
		c = &ex->cands[ncand++];
		c->kind = f->kind;
		c->start_byte = f->start;
		c->end_byte = f->end;
		c->text = bytes + f->start;
		locate(ex, f->start, &c->line, &c->col);
	}
	ex->result.candidates = ex->cands;
	ex->result.count = ncand;
	*out = &ex->result;

done:
	ts_tree_delete(tree);
	return error;
}
