/*
 * pattern.c - gitignore-syntax path patterns.
 *
 * The matcher follows git's wildmatch with WM_PATHNAME: '*', '?' and
 * '[...]' never match a '/', and '**' crosses directories only when it is
 * a whole path component.  The list semantics follow gitignore: the last
 * matching line decides, and nothing below an excluded directory can be
 * re-included.  Deliberately not here: case folding (core.ignorecase),
 * the C-style quoted patterns of .gitattributes, and reading files; the
 * caller hands over the text.  One leniency over git: a trailing '\r' is
 * dropped, so a CRLF file behaves like its LF twin.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "extractor/pattern.h"

/* Longer lines are not patterns anyone writes by hand. */
#define MAX_LINE 4096

struct pattern {
	char *glob;		/* without '!', the leading '/', the trailing '/' */
	char *base;		/* "" or "dir/sub", no trailing '/' */
	size_t base_len;
	int negate;
	int dir_only;
	int anchored;		/* a '/' other than a trailing one: match whole path */
};

struct trw_patterns {
	struct pattern *v;
	size_t n, alloc;
};

/*
 * Results of wild().  The two aborts are what keep "*a*a*a*b" from
 * going exponential: once the text runs out (or, for a single '*', once
 * a '/' is crossed) no shorter split of the text can succeed either.
 */
enum { NOMATCH = 0, MATCH = 1, ABORT_ALL = -1, ABORT_TO_STARSTAR = -2 };

static int class_match(const char *name, size_t len, unsigned char c)
{
	static const struct {
		const char *name;
		int (*is)(int);
	} classes[] = {
		{ "alnum", isalnum }, { "alpha", isalpha }, { "blank", isblank },
		{ "cntrl", iscntrl }, { "digit", isdigit }, { "graph", isgraph },
		{ "lower", islower }, { "print", isprint }, { "punct", ispunct },
		{ "space", isspace }, { "upper", isupper }, { "xdigit", isxdigit },
	};

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i].name) == len &&
		    memcmp(classes[i].name, name, len) == 0)
			return classes[i].is(c) ? 1 : 0;
	return -1;
}

/*
 * Match the NUL-terminated pattern `p` (which started at `pat`) against
 * the text [t, te).  Paths may hold any byte but NUL, and are bounded by
 * `te` so that a parent directory can be matched without a copy.
 */
static int wild(const char *pat, const char *p, const char *t, const char *te)
{
	for (; *p; p++, t++) {
		unsigned char pc = (unsigned char)*p;
		unsigned char tc;

		if (t == te && pc != '*')
			return ABORT_ALL;
		tc = t < te ? (unsigned char)*t : 0;

		switch (pc) {
		case '\\':
			/* A trailing backslash leaves pc == 0, which no path byte equals. */
			pc = (unsigned char)*++p;
			if (tc != pc)
				return NOMATCH;
			if (!pc)
				return NOMATCH;
			continue;
		default:
			if (tc != pc)
				return NOMATCH;
			continue;
		case '?':
			if (tc == '/')
				return NOMATCH;
			continue;
		case '*': {
			int match_slash = 0;
			const char *first = p;

			while (p[1] == '*')
				p++;
			if (p > first) {
				const char *after = p + 1;

				if ((first == pat || first[-1] == '/') &&
				    (*after == '\0' || *after == '/' ||
				     (after[0] == '\\' && after[1] == '/'))) {
					/* "a/ **" "/b" also matches "a/b": try zero directories first */
					if (*after == '/' &&
					    wild(pat, after + 1, t, te) == MATCH)
						return MATCH;
					match_slash = 1;
				}
			}
			p++;
			if (*p == '\0') {
				if (!match_slash && memchr(t, '/', (size_t)(te - t)))
					return NOMATCH;
				return MATCH;
			}
			if (!match_slash && *p == '/') {
				/* one '*' then '/': the rest of this component, nothing more */
				const char *slash = memchr(t, '/', (size_t)(te - t));

				if (!slash)
					return NOMATCH;
				t = slash;
				break;
			}
			for (; t < te; t++) {
				int m;

				if (*p != '*' && *p != '?' && *p != '[' && *p != '\\') {
					/* a literal follows: only its occurrences can start the rest */
					while (t < te && (match_slash || *t != '/') && *t != *p)
						t++;
					if (t == te || *t != *p)
						return NOMATCH;
				}
				m = wild(pat, p, t, te);
				if (m != NOMATCH) {
					if (!match_slash || m != ABORT_TO_STARSTAR)
						return m;
				} else if (!match_slash && *t == '/') {
					return ABORT_TO_STARSTAR;
				}
			}
			return ABORT_ALL;
		}
		case '[': {
			int negated = 0, matched = 0;
			unsigned char prev = 0;

			pc = (unsigned char)*++p;
			if (pc == '!' || pc == '^') {
				negated = 1;
				pc = (unsigned char)*++p;
			}
			/* a ']' right after '[' or '[!' is a member, hence do/while */
			do {
				if (!pc)
					return ABORT_ALL;
				if (pc == '\\') {
					pc = (unsigned char)*++p;
					if (!pc)
						return ABORT_ALL;
					if (tc == pc)
						matched = 1;
				} else if (pc == '-' && prev && p[1] && p[1] != ']') {
					pc = (unsigned char)*++p;
					if (pc == '\\') {
						pc = (unsigned char)*++p;
						if (!pc)
							return ABORT_ALL;
					}
					if (tc >= prev && tc <= pc)
						matched = 1;
					pc = 0;		/* a range cannot start another range */
				} else if (pc == '[' && p[1] == ':') {
					const char *name = p + 2, *end = name;
					int r;

					while (*end && *end != ']')
						end++;
					if (!*end)
						return ABORT_ALL;
					if (end - name < 1 || end[-1] != ':') {
						/* no ":]": the '[' is an ordinary member */
						if (tc == '[')
							matched = 1;
						continue;
					}
					r = class_match(name, (size_t)(end - 1 - name), tc);
					if (r < 0)
						return ABORT_ALL;
					if (r)
						matched = 1;
					p = end;
					pc = 0;
				} else if (tc == pc) {
					matched = 1;
				}
			} while (prev = pc, (pc = (unsigned char)*++p) != ']');
			if (matched == negated || tc == '/')
				return NOMATCH;
			continue;
		}
		}
	}
	return t == te ? MATCH : NOMATCH;
}

static int glob_match_n(const char *glob, const char *text, size_t len)
{
	return wild(glob, glob, text, text + len) == MATCH;
}

int trw_glob_match(const char *glob, const char *path)
{
	return glob_match_n(glob, path, strlen(path));
}

int trw_patterns_new(trw_patterns **out)
{
	trw_patterns *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return trw_error_oom();
	*out = p;
	return 0;
}

void trw_patterns_free(trw_patterns *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].glob);
		free(p->v[i].base);
	}
	free(p->v);
	free(p);
}

/* Add one line of `len` bytes (no '\n'). */
static int add_line(trw_patterns *p, const char *base, const char *line, size_t len)
{
	struct pattern pat = { 0 };
	size_t base_len;
	int error = 0;

	if (len && line[len - 1] == '\r')
		len--;
	/* trailing blanks go, unless the last one is escaped */
	while (len && line[len - 1] == ' ' && !(len >= 2 && line[len - 2] == '\\'))
		len--;
	if (len == 0 || line[0] == '#')
		return 0;
	if (line[0] == '!') {
		pat.negate = 1;
		line++;
		len--;
	}
	if (len && line[len - 1] == '/') {
		pat.dir_only = 1;
		len--;
	}
	if (memchr(line, '/', len))
		pat.anchored = 1;
	if (len && line[0] == '/') {
		line++;
		len--;
	}
	if (len == 0)
		return 0;

	base_len = strlen(base);
	while (base_len && base[base_len - 1] == '/')
		base_len--;
	while (base_len && base[0] == '/') {
		base++;
		base_len--;
	}

	if (p->n == p->alloc) {
		size_t want = p->alloc ? 2 * p->alloc : 16;
		struct pattern *v = realloc(p->v, want * sizeof(*v));

		if (!v) {
			error = trw_error_oom();
			goto done;
		}
		p->v = v;
		p->alloc = want;
	}
	if ((pat.glob = trw_strndup(line, len)) == NULL ||
	    (pat.base = trw_strndup(base, base_len)) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	pat.base_len = base_len;
	p->v[p->n++] = pat;
	pat.glob = pat.base = NULL;

done:
	free(pat.glob);
	free(pat.base);
	return error;
}

int trw_patterns_add(trw_patterns *p, const char *base, const char *pattern)
{
	size_t len = strlen(pattern);

	if (len > MAX_LINE)
		return trw_error_set(TRW_EINVALID, "pattern too long (%zu bytes)", len);
	return add_line(p, base ? base : "", pattern, len);
}

int trw_patterns_add_text(trw_patterns *p, const char *base,
    const char *text, size_t len)
{
	size_t line_no = 0;
	int error = 0;

	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;

		line_no++;
		if (n > MAX_LINE) {
			error = trw_error_set(TRW_EINVALID,
			    "line %zu: pattern too long (%zu bytes)", line_no, n);
			goto done;
		}
		if ((error = add_line(p, base ? base : "", text, n)) < 0)
			goto done;
		if (!nl)
			break;
		len -= n + 1;
		text += n + 1;
	}

done:
	return error;
}

static int pattern_matches(const struct pattern *pat, const char *path,
    size_t len, int is_dir)
{
	const char *rel = path;
	size_t rel_len = len;

	if (pat->dir_only && !is_dir)
		return 0;
	if (pat->base_len) {
		if (len <= pat->base_len || path[pat->base_len] != '/' ||
		    memcmp(path, pat->base, pat->base_len) != 0)
			return 0;
		rel = path + pat->base_len + 1;
		rel_len = len - pat->base_len - 1;
	}
	if (!pat->anchored) {
		const char *slash = rel + rel_len;

		while (slash > rel && slash[-1] != '/')
			slash--;
		rel_len -= (size_t)(slash - rel);
		rel = slash;
	}
	return glob_match_n(pat->glob, rel, rel_len);
}

/* The last matching pattern decides; 0 none, 1 plain, 2 negated. */
static int decide(const trw_patterns *p, const char *path, size_t len, int is_dir)
{
	for (size_t i = p->n; i-- > 0;)
		if (pattern_matches(&p->v[i], path, len, is_dir))
			return p->v[i].negate ? 2 : 1;
	return 0;
}

int trw_patterns_decide(const trw_patterns *p, const char *path, int is_dir)
{
	return decide(p, path, strlen(path), is_dir);
}

int trw_patterns_match(const trw_patterns *p, const char *path, int is_dir)
{
	size_t len = strlen(path);

	if (p->n == 0)
		return 0;
	/* git does not descend into an excluded directory, so nothing below it
	 * can be re-included: check each parent as a directory first */
	for (size_t i = 0; i < len; i++)
		if (path[i] == '/' && i > 0 && decide(p, path, i, 1) == 1)
			return 1;
	return decide(p, path, len, is_dir) == 1;
}
