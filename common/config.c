/*
 * config.c - trawic's configuration, stacked git-config files read with
 * libgit2's config API (design.md, "Configuration"; docs/configuration.md).
 *
 * libgit2 parses each file (quoting, escapes, continuation lines,
 * [include]); the entries it gives, in file order, are copied into this
 * module's own table, one source per file, sources in level order.  The
 * copy is what lets a repository's git config contribute its [trawic]
 * section under other names, lets a committed .trawic be held to a short
 * list of harmless keys, and lets every value keep its origin: libgit2
 * 1.5's git_config_entry has no file or line, so a scan of the same file
 * finds the line of each key, matched to libgit2's entries in order.
 * The scan never decides a value; if it misses a key, the line is 0.
 *
 * It knows the keys trawic reads and their types (the table below) only
 * to validate them; what they mean is the callers' business.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <git2.h>

#include "common/config.h"
#include "common/error.h"
#include "common/util.h"

/* A configuration file larger than this is refused (it is not one). */
#define MAX_FILE_SIZE (16u * 1024 * 1024)
/* libgit2 stops at 10 levels of [include]; so does the line scan. */
#define MAX_INCLUDE_DEPTH 10

typedef struct entry {
	char *name;		/* normalised */
	char *value;		/* NULL: written without '=' */
	char *file;
	int line;		/* 0 = unknown */
	unsigned depth;		/* of [include], while loading */
} entry;

typedef struct source {
	trw_config_level level;
	entry *v;
	size_t n;
} source;

struct trw_config {
	source *src;		/* by level, then in the order added */
	size_t nsrc;
};

/* How a file's entries are taken. */
enum {
	LOAD_PLAIN,		/* as they are */
	LOAD_DOTFILE,		/* a committed .trawic: harmless keys only */
	LOAD_GITCONFIG		/* only [trawic], renamed */
};

static const char *git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

/* ---- the key table ----------------------------------------------------- */

typedef enum vtype {
	V_STRING,		/* anything, "" included */
	V_NONEMPTY,		/* a non-empty string (a path, a name) */
	V_REAL01,
	V_INT,
	V_SIZE,
	V_KINDS,
	V_FAILON,
	V_FORMAT,
	V_OCTAL,
	V_GROUP,
	V_SCHEMES,
	V_BACKEND
} vtype;

#define K_MULTI 1u		/* a multivar */
#define K_REPO 2u		/* may be set by a committed .trawic */

typedef struct known_key {
	const char *name;	/* "model.*.x" for a [model "NAME"] key */
	vtype type;
	long long min, max;	/* V_INT, V_OCTAL */
	unsigned flags;
} known_key;

static const known_key known_keys[] = {
	{ "audit.model", V_NONEMPTY, 0, 0, K_REPO },
	{ "audit.classifier", V_NONEMPTY, 0, 0, 0 },
	{ "audit.threshold", V_REAL01, 0, 0, K_REPO },
	{ "audit.file-threshold", V_REAL01, 0, 0, K_REPO },
	{ "audit.semantic-threshold", V_INT, 0, 100, K_REPO },
	{ "audit.kinds", V_KINDS, 0, 0, K_REPO },
	{ "audit.max-file-size", V_SIZE, 1, 0, 0 },
	{ "audit.fail-on", V_FAILON, 0, 0, K_REPO },
	{ "audit.paths", V_NONEMPTY, 0, 0, K_MULTI | K_REPO },
	{ "audit.threads", V_INT, 0, 1024, 0 },
	{ "audit.cache", V_STRING, 0, 0, 0 },
	{ "audit.concurrency", V_INT, 0, 1024, 0 },
	{ "audit.retries", V_INT, 0, 100, 0 },
	{ "audit.timeout-ms", V_INT, 0, 3600000, 0 },
	{ "report.format", V_FORMAT, 0, 0, K_MULTI },
	{ "report.max-evidence", V_INT, 0, 1000000000, K_REPO },
	{ "daemon.socket", V_NONEMPTY, 0, 0, 0 },
	{ "daemon.group", V_GROUP, 0, 0, 0 },
	{ "daemon.socket-mode", V_OCTAL, 0, 0777, 0 },
	{ "daemon.workers", V_INT, 1, 256, 0 },
	{ "daemon.jobs-per-model", V_INT, 1, 256, 0 },
	{ "daemon.model-concurrency", V_INT, 1, 1024, 0 },
	{ "daemon.queue-size", V_INT, 1, 1000000, 0 },
	{ "daemon.max-request", V_SIZE, 1024, 16 * 1024 * 1024, 0 },
	{ "daemon.max-output", V_SIZE, 65536, 4LL * 1024 * 1024 * 1024, 0 },
	{ "daemon.max-connections", V_INT, 1, 100000, 0 },
	{ "daemon.read-timeout-ms", V_INT, 10, 3600000, 0 },
	{ "daemon.write-timeout-ms", V_INT, 10, 3600000, 0 },
	{ "daemon.state-dir", V_NONEMPTY, 0, 0, 0 },
	{ "daemon.allowed-schemes", V_SCHEMES, 0, 0, K_MULTI },
	{ "model.*.backend", V_BACKEND, 0, 0, 0 },
	{ "model.*.endpoint", V_NONEMPTY, 0, 0, K_MULTI },
	{ "model.*.model", V_NONEMPTY, 0, 0, 0 },
	{ "model.*.template", V_NONEMPTY, 0, 0, 0 },
	{ "model.*.path", V_NONEMPTY, 0, 0, 0 },
	{ "model.*.concurrency", V_INT, 0, 1024, 0 },
	{ "model.*.timeout-ms", V_INT, 0, 3600000, 0 },
	{ "model.*.retries", V_INT, 0, 100, 0 },
};

static const char *const kind_names[] = {
	"function_name", "class_name", "variable_name", "string", "comment", "docstring"
};
static const char *const failon_names[] = { "included", "inconclusive", "never" };
static const char *const format_names[] = { "json", "sarif", "junit", "markdown", "html" };
static const char *const backend_names[] = { "llamacpp", "openai", "ollama", "ref" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *s, size_t len, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncmp(s, names[i], len) == 0)
			return 1;
	return 0;
}

/* The section of a normalised name ("model" of "model.x.endpoint"), its
 * length; the key after the last dot; whether there is a subsection. */
static size_t section_len(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot ? (size_t)(dot - name) : strlen(name);
}

static int is_section(const char *name, const char *section)
{
	size_t n = section_len(name);

	return strlen(section) == n && strncmp(name, section, n) == 0;
}

/* The entry of the table for `name`; NULL when unknown. */
static const known_key *find_known(const char *name)
{
	const char *key = strrchr(name, '.');
	size_t sec = section_len(name);
	int has_sub;

	if (!key)
		return NULL;
	key++;
	has_sub = (size_t)(key - 1 - name) > sec;
	for (size_t i = 0; i < COUNT(known_keys); i++) {
		const char *k = known_keys[i].name;
		size_t ksec = section_len(k);

		if (ksec != sec || strncmp(k, name, sec) != 0)
			continue;
		if (strcmp(strrchr(k, '.') + 1, key) != 0)
			continue;
		if (has_sub == (strchr(k, '*') != NULL))
			return &known_keys[i];
	}
	return NULL;
}

static int is_multivar(const char *name)
{
	const known_key *k = find_known(name);

	return k && (k->flags & K_MULTI);
}

/* ---- value parsers ------------------------------------------------------ */

static int parse_real(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	/* strtod would also take "inf", "nan" and hex floats */
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && !strchr(".eE+-", *p))
			return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': mult = 1024; p++; break;
	case 'm': case 'M': mult = 1024 * 1024; p++; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; p++; break;
	default: return -1;
	}
	if (*p || (v && v > UINT64_MAX / mult))
		return -1;
	*out = v * mult;
	return 0;
}

static int parse_int(const char *s, long long *out)
{
	int64_t v;

	if (!s || git_config_parse_int64(&v, s) < 0) {
		git_error_clear();
		return -1;
	}
	*out = (long long)v;
	return 0;
}

/* Each element of a comma list (spaces around elements allowed), or -1
 * at the first that `ok` refuses or an empty one. */
static int each_item(const char *s, int (*ok)(const char *item, size_t len))
{
	const char *p = s;

	if (!s || !*s)
		return -1;
	for (;;) {
		const char *end = strchr(p, ','), *b, *e;

		if (!end)
			end = p + strlen(p);
		for (b = p; b < end && isspace((unsigned char)*b); b++)
			;
		for (e = end; e > b && isspace((unsigned char)e[-1]); e--)
			;
		if (e == b || !ok(b, (size_t)(e - b)))
			return -1;
		if (!*end)
			return 0;
		p = end + 1;
	}
}

static int ok_kind(const char *s, size_t len)
{
	return in_list(s, len, kind_names, COUNT(kind_names));
}

static int ok_scheme(const char *s, size_t len)
{
	if (!isalpha((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("+.-", s[i]))
			return 0;
	return 1;
}

/* As report/report.h's trw_report_format_from_path. */
static int has_report_extension(const char *path)
{
	static const char *const ext[] = {
		".json", ".sarif", ".xml", ".md", ".markdown", ".html", ".htm"
	};
	const char *dot = strrchr(path, '.');

	if (!dot || strchr(dot, '/') || dot == path || dot[-1] == '/')
		return 0;
	for (size_t i = 0; i < COUNT(ext); i++)
		if (strcasecmp(dot, ext[i]) == 0)
			return 1;
	return 0;
}

/* NULL when `value` suits `k`, else what it is not ("is not ..."). */
static const char *check_value(const known_key *k, const char *value, trw_buf *why)
{
	long long n;
	uint64_t size;
	double real;
	const char *s = value ? value : "";
	const char *eq;
	int error = 0;

	switch (k->type) {
	case V_STRING:
		return NULL;
	case V_NONEMPTY:
		return *s ? NULL : "is empty";
	case V_REAL01:
		if (parse_real(value, &real) == 0 && real >= 0 && real <= 1)
			return NULL;
		return "is not a number from 0 to 1";
	case V_INT:
		if (parse_int(value, &n) == 0 && n >= k->min && n <= k->max)
			return NULL;
		error = trw_buf_printf(why, "is not an integer from %lld to %lld", k->min, k->max);
		break;
	case V_SIZE:
		if (parse_size(value, &size) == 0 && size >= (uint64_t)k->min &&
		    (!k->max || size <= (uint64_t)k->max))
			return NULL;
		if (k->max)
			error = trw_buf_printf(why, "is not a size from %lld to %lld (a number with "
			    "an optional k, m or g suffix)", k->min, k->max);
		else
			error = trw_buf_printf(why, "is not a size%s (a number with an optional k, "
			    "m or g suffix)", k->min > 0 ? " above 0" : "");
		break;
	case V_KINDS:
		if (each_item(value, ok_kind) == 0)
			return NULL;
		return "is not a comma-separated list of kinds (function_name, class_name, "
		    "variable_name, string, comment, docstring)";
	case V_FAILON:
		if (in_list(s, strlen(s), failon_names, COUNT(failon_names)))
			return NULL;
		return "is not included, inconclusive or never";
	case V_FORMAT:
		eq = strchr(s, '=');
		if (in_list(s, eq ? (size_t)(eq - s) : strlen(s), format_names,
		    COUNT(format_names)) && (!eq || eq[1]))
			return NULL;
		if (!eq && has_report_extension(s))
			return NULL;
		return "is not FORMAT, FORMAT=PATH or a PATH ending in .json, .sarif, .xml, "
		    ".md, .markdown, .html or .htm (FORMAT: json, sarif, junit, markdown or html)";
	case V_OCTAL: {
		char *end;
		long v;

		if (*s >= '0' && *s <= '7') {
			errno = 0;
			v = strtol(s, &end, 8);
			if (!*end && !errno && v >= k->min && v <= k->max)
				return NULL;
		}
		return "is not an octal file mode from 0 to 0777 (e.g. 0660)";
	}
	case V_GROUP:
		if (*s && strlen(s) <= 256 && !strpbrk(s, " \t:,/"))
			return NULL;
		return "is not a group name";
	case V_SCHEMES:
		if (each_item(value, ok_scheme) == 0)
			return NULL;
		return "is not a comma-separated list of URL schemes (e.g. https,file)";
	case V_BACKEND:
		if (in_list(s, strlen(s), backend_names, COUNT(backend_names)))
			return NULL;
		return "is not llamacpp, openai, ollama or ref";
	}
	return error < 0 ? "is not valid" : why->ptr;
}

/* "FILE:LINE: KEY: " (or "FILE: KEY: " when the line is unknown). */
static int error_at(int code, const entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int error_at(int code, const entry *e, const char *fmt, ...)
{
	trw_buf b = TRW_BUF_INIT(0);
	char tail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	if (e->line > 0)
		(void)trw_buf_printf(&b, "%s:%d: %s: %s", e->file, e->line, e->name, tail);
	else
		(void)trw_buf_printf(&b, "%s: %s: %s", e->file ? e->file : "?", e->name, tail);
	code = trw_error_set(code, "%s", b.ptr ? b.ptr : tail);
	trw_buf_dispose(&b);
	return code;
}

static int value_error(const entry *e, const char *what)
{
	if (!e->value)
		return error_at(TRW_EINVALID, e, "no value (write '%s = VALUE'): the value %s",
		    strrchr(e->name, '.') + 1, what);
	return error_at(TRW_EINVALID, e, "'%.200s'%s %s", e->value,
	    strlen(e->value) > 200 ? "..." : "", what);
}

/* ---- the line scan ------------------------------------------------------ */

typedef struct scanned {
	char *name;
	int line;
} scanned;

typedef struct scan {
	scanned *v;
	size_t n, alloc;
} scan;

static void scan_dispose(scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int scan_add(scan *s, const trw_buf *section, const char *key, size_t len, int line)
{
	trw_buf name = TRW_BUF_INIT(0);
	int error;

	if (s->n == s->alloc) {
		size_t na = s->alloc ? 2 * s->alloc : 32;
		scanned *p = realloc(s->v, na * sizeof(*p));

		if (!p)
			return trw_error_oom();
		s->v = p;
		s->alloc = na;
	}
	if ((error = trw_buf_put(&name, section->ptr, section->size)) < 0 ||
	    (error = trw_buf_puts(&name, ".")) < 0 ||
	    (error = trw_buf_put(&name, key, len)) < 0) {
		trw_buf_dispose(&name);
		return error;
	}
	for (size_t i = section->size + 1; i < name.size; i++)
		name.ptr[i] = (char)tolower((unsigned char)name.ptr[i]);
	s->v[s->n].name = name.ptr;
	s->v[s->n].line = line;
	s->n++;
	return 0;
}

static int read_file(const char *path, trw_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	int error = 0;

	if (!f)
		return trw_error_set(TRW_EIO, "configuration file '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((error = trw_buf_put(out, chunk, n)) < 0) {
			if (error == TRW_ETOOBIG)
				error = trw_error_set(TRW_ETOOBIG, "configuration file '%s': "
				    "over %u bytes", path, MAX_FILE_SIZE);
			break;
		}
	if (!error && ferror(f))
		error = trw_error_set(TRW_EIO, "configuration file '%s': %s", path, strerror(errno));
	fclose(f);
	return error;
}

/*
 * The keys of a git-config file in order, each with its line, named as
 * libgit2 names them: "[Sec \"Sub\"] Key" is "sec.Sub.key", "[Sec.Sub]"
 * is "sec.sub".  A syntax error is not reported here (libgit2 does); the
 * scan just goes on at the next line.
 */
static int scan_file(scan *out, const char *path)
{
	trw_buf text = TRW_BUF_INIT(MAX_FILE_SIZE), section = TRW_BUF_INIT(0);
	const char *p, *end;
	int line = 1, error;

	if ((error = read_file(path, &text)) < 0 || text.size == 0)
		goto done;
	p = text.ptr;
	end = p + text.size;
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == end)
			break;
		if (*p == '[') {
			const char *b = ++p;

			trw_buf_clear(&section);
			while (p < end && !strchr("] \t\"\n", *p))
				p++;
			if ((error = trw_buf_put(&section, b, (size_t)(p - b))) < 0)
				goto done;
			for (size_t i = 0; i < section.size; i++)
				section.ptr[i] = (char)tolower((unsigned char)section.ptr[i]);
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p < end && *p == '"') {
				if ((error = trw_buf_puts(&section, ".")) < 0)
					goto done;
				for (p++; p < end && *p != '"' && *p != '\n'; p++) {
					if (*p == '\\' && p + 1 < end && p[1] != '\n')
						p++;
					if ((error = trw_buf_put(&section, p, 1)) < 0)
						goto done;
				}
				if (p < end && *p == '"')
					p++;
			}
			while (p < end && *p != ']' && *p != '\n')
				p++;
			if (p < end && *p == ']')
				p++;
			/* a key may follow on the same line */
			continue;
		}
		if (isalpha((unsigned char)*p) && section.size) {
			const char *k = p;
			int in_quote = 0, start = line;

			while (p < end && (isalnum((unsigned char)*p) || *p == '-'))
				p++;
			if ((error = scan_add(out, &section, k, (size_t)(p - k), start)) < 0)
				goto done;
			/* the value: to the end of the line, or of the lines a
			 * backslash continues; a comment ends it, not in quotes */
			while (p < end && *p != '\n') {
				if (*p == '\\' && p + 1 < end) {
					if (p[1] == '\n')
						line++;
					else if (p[1] == '\r' && p + 2 < end && p[2] == '\n') {
						line++;
						p++;
					}
					p += 2;
					continue;
				}
				if (*p == '"') {
					in_quote = !in_quote;
					p++;
				} else if (!in_quote && (*p == '#' || *p == ';'))
					while (p < end && *p != '\n')
						p++;
				else
					p++;
			}
			continue;
		}
		/* a comment, a blank line, or something libgit2 will refuse */
		while (p < end && *p != '\n')
			p++;
		if (p < end) {
			p++;
			line++;
		}
	}
done:
	trw_buf_dispose(&text);
	trw_buf_dispose(&section);
	return error;
}

/* ---- loading a file ----------------------------------------------------- */

static void entries_free(entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
		free(v[i].file);
	}
	free(v);
}

static int is_include(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".path") == 0 &&
	    (is_section(name, "include") || is_section(name, "includeif"));
}

/* Where libgit2 finds the file an [include] of `from` names. */
static char *include_path(const char *value, const char *from)
{
	trw_buf b = TRW_BUF_INIT(0);
	const char *home = getenv("HOME"), *slash = strrchr(from, '/');

	if (value[0] == '~' && value[1] == '/' && home)
		(void)trw_buf_printf(&b, "%s%s", home, value + 1);
	else if (value[0] == '/' || !slash)
		(void)trw_buf_puts(&b, value);
	else
		(void)trw_buf_printf(&b, "%.*s/%s", (int)(slash - from), from, value);
	return b.ptr;
}

/*
 * Give entries v[*i...] of include depth `depth`, read from `path`, their
 * file and line, recursing into the files their [include]s pull in.
 */
static int place(entry *v, size_t n, size_t *i, const char *path, unsigned depth)
{
	scan s = { NULL, 0, 0 };
	size_t pos = 0;
	int error;

	/* A file the scan cannot read gets lines 0; libgit2 read it. */
	if ((error = scan_file(&s, path)) < 0) {
		if (error == TRW_ENOMEM)
			goto done;
		trw_error_clear();
		error = 0;
	}
	while (*i < n && v[*i].depth >= depth) {
		entry *e = &v[*i];

		if ((e->file = trw_strdup(path)) == NULL) {
			error = TRW_ENOMEM;
			goto done;
		}
		(*i)++;
		if (e->depth > depth)	/* from an include the scan did not follow */
			continue;
		for (size_t k = pos; k < s.n; k++)
			if (strcmp(s.v[k].name, e->name) == 0) {
				e->line = s.v[k].line;
				pos = k + 1;
				break;
			}
		if (is_include(e->name) && e->value && *i < n && v[*i].depth == depth + 1 &&
		    depth < MAX_INCLUDE_DEPTH) {
			char *inc = include_path(e->value, path);

			if (!inc) {
				error = trw_error_oom();
				goto done;
			}
			error = place(v, n, i, inc, depth + 1);
			free(inc);
			if (error < 0)
				goto done;
		}
	}
done:
	scan_dispose(&s);
	return error;
}

/* "trawic.KEY" -> "audit.KEY", "trawic.SEC.KEY" -> "sec.KEY",
 * "trawic.model.NAME.KEY" -> "model.NAME.KEY". */
static char *map_trawic_name(const char *name)
{
	const char *rest = name + strlen("trawic."), *key = strrchr(rest, '.'), *dot;
	trw_buf b = TRW_BUF_INIT(0);
	size_t sec;

	if (!key) {
		(void)trw_buf_printf(&b, "audit.%s", rest);
		return b.ptr;
	}
	dot = memchr(rest, '.', (size_t)(key - rest));
	sec = dot ? (size_t)(dot - rest) : (size_t)(key - rest);
	if (trw_buf_put(&b, rest, strlen(rest)) < 0)
		return NULL;
	for (size_t i = 0; i < sec; i++)
		b.ptr[i] = (char)tolower((unsigned char)b.ptr[i]);
	return b.ptr;
}

/* A committed .trawic may set this? 0, or the error. */
static int dotfile_allows(const entry *e)
{
	const known_key *k = find_known(e->name);

	if (!k || !(k->flags & K_REPO))
		return error_at(TRW_EINVALID, e, "not allowed in a repository's .trawic, which "
		    "may only set audit.model (a name), audit.threshold, audit.file-threshold, "
		    "audit.semantic-threshold, audit.kinds, audit.fail-on, audit.paths and "
		    "report.max-evidence; set it in the repository's .git/config [trawic] "
		    "section, your user configuration or --config");
	if (strcmp(e->name, "audit.model") == 0 && e->value && strpbrk(e->value, ":/"))
		return error_at(TRW_EINVALID, e, "'%.200s': a repository's .trawic may name a "
		    "configured model, not give a spec", e->value);
	return 0;
}

/* The entries of the file at `path`, taken as `how` says. */
static int load(entry **out, size_t *nout, const char *path, int how)
{
	git_config *git = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *ge;
	entry *v = NULL;
	size_t n = 0, alloc = 0, i = 0, kept = 0;
	int rc, error = 0;

	*out = NULL;
	*nout = 0;
	if (how == LOAD_DOTFILE) {
		/* Refused before libgit2 reads what they name. */
		scan s = { NULL, 0, 0 };

		if ((error = scan_file(&s, path)) < 0)
			goto done;
		for (size_t k = 0; k < s.n && !error; k++)
			if (is_section(s.v[k].name, "include") ||
			    is_section(s.v[k].name, "includeif"))
				error = trw_error_set(TRW_EINVALID, "%s:%d: %s: a repository's "
				    ".trawic may not include other files", path, s.v[k].line,
				    s.v[k].name);
		scan_dispose(&s);
		if (error < 0)
			goto done;
	}
	/* libgit2's parse error reads "failed to parse config file: <why>
	 * (in <path>:<line>, column <c>)": file and line are in it. */
	if (git_config_open_ondisk(&git, path) < 0) {
		error = trw_error_set(TRW_EINVALID, "configuration file '%s' does not load: %s",
		    path, git_message());
		goto done;
	}
	if (git_config_iterator_new(&it, git) < 0) {
		error = trw_error_set(TRW_ERROR, "configuration file '%s': %s", path, git_message());
		goto done;
	}
	while ((rc = git_config_next(&ge, it)) == 0) {
		if (n == alloc) {
			size_t na = alloc ? 2 * alloc : 16;
			entry *p = realloc(v, na * sizeof(*p));

			if (!p) {
				error = trw_error_oom();
				goto done;
			}
			v = p;
			alloc = na;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].depth = ge->include_depth;
		if ((v[n].name = trw_strdup(ge->name)) == NULL ||
		    (ge->value && (v[n].value = trw_strdup(ge->value)) == NULL)) {
			n++;
			error = TRW_ENOMEM;
			goto done;
		}
		n++;
	}
	if (rc != GIT_ITEROVER) {
		error = trw_error_set(TRW_ERROR, "configuration file '%s': %s", path, git_message());
		goto done;
	}
	if ((error = place(v, n, &i, path, 0)) < 0)
		goto done;

	for (i = 0; i < n; i++) {
		entry e = v[i];

		if (how == LOAD_GITCONFIG) {
			char *name;

			if (!is_section(e.name, "trawic") || !strchr(e.name, '.')) {
				free(e.name);
				free(e.value);
				free(e.file);
				continue;
			}
			if (!error && (name = map_trawic_name(e.name)) == NULL)
				error = trw_error_oom();
			else if (!error) {
				free(e.name);
				e.name = name;
			}
		}
		v[kept++] = e;
	}
	n = kept;
	if (error < 0)
		goto done;
	if (how == LOAD_DOTFILE)
		for (i = 0; i < n; i++)
			if ((error = dotfile_allows(&v[i])) < 0)
				goto done;
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
done:
	entries_free(v, n);
	git_config_iterator_free(it);
	git_config_free(git);
	return error;
}

/* ---- the stack of files ------------------------------------------------- */

int trw_config_new(trw_config **out)
{
	trw_config *cfg;

	*out = NULL;
	if (git_libgit2_init() < 0)
		return trw_error_set(TRW_ERROR, "libgit2 does not initialise: %s", git_message());
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		git_libgit2_shutdown();
		return trw_error_oom();
	}
	*out = cfg;
	return 0;
}

static void drop_level(trw_config *cfg, trw_config_level level)
{
	size_t kept = 0;

	for (size_t i = 0; i < cfg->nsrc; i++) {
		if (cfg->src[i].level == level)
			entries_free(cfg->src[i].v, cfg->src[i].n);
		else
			cfg->src[kept++] = cfg->src[i];
	}
	cfg->nsrc = kept;
}

void trw_config_free(trw_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nsrc; i++)
		entries_free(cfg->src[i].v, cfg->src[i].n);
	free(cfg->src);
	free(cfg);
	/* Paired with the init in trw_config_new: libgit2 counts them. */
	git_libgit2_shutdown();
}

/* Add a loaded file after the others of its level; takes `v`. */
static int push_source(trw_config *cfg, trw_config_level level, entry *v, size_t n)
{
	source *p = realloc(cfg->src, (cfg->nsrc + 1) * sizeof(*p));
	size_t at = cfg->nsrc;

	if (!p) {
		entries_free(v, n);
		return trw_error_oom();
	}
	cfg->src = p;
	while (at > 0 && cfg->src[at - 1].level > level)
		at--;
	memmove(&cfg->src[at + 1], &cfg->src[at], (cfg->nsrc - at) * sizeof(*p));
	cfg->src[at].level = level;
	cfg->src[at].v = v;
	cfg->src[at].n = n;
	cfg->nsrc++;
	return 0;
}

/* Load `path` onto the stack, unless it is missing and need not exist. */
static int add(trw_config *cfg, const char *path, trw_config_level level, int must_exist,
    int how)
{
	struct stat st;
	entry *v = NULL;
	size_t n = 0;
	int error, rc;

	if (!path || !*path)
		return trw_error_set(TRW_EINVALID, "configuration: empty file name");
	/* A committed .trawic that is a symbolic link could point anywhere. */
	rc = how == LOAD_DOTFILE ? lstat(path, &st) : stat(path, &st);
	if (rc < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			if (must_exist)
				return trw_error_set(TRW_ENOTFOUND, "configuration file '%s': "
				    "no such file", path);
			return 0;
		}
		return trw_error_set(TRW_EIO, "configuration file '%s': %s", path, strerror(errno));
	}
	if (how == LOAD_DOTFILE && S_ISLNK(st.st_mode))
		return trw_error_set(TRW_EINVALID, "configuration file '%s': a repository's "
		    ".trawic may not be a symbolic link", path);
	if (!S_ISREG(st.st_mode))
		return trw_error_set(TRW_EINVALID, "configuration file '%s': not a regular file",
		    path);
	if ((error = load(&v, &n, path, how)) < 0)
		return error;
	return push_source(cfg, level, v, n);
}

int trw_config_add_file(trw_config *cfg, const char *path, trw_config_level level,
    int must_exist)
{
	trw_config *tmp = NULL;
	int error;

	/* Loaded aside first: a file that does not load leaves the level. */
	if ((error = trw_config_new(&tmp)) < 0)
		return error;
	if ((error = add(tmp, path, level, must_exist, LOAD_PLAIN)) < 0)
		goto done;
	/* A missing file (must_exist 0) leaves the level as it was. */
	if (tmp->nsrc) {
		drop_level(cfg, level);
		error = push_source(cfg, level, tmp->src[0].v, tmp->src[0].n);
		tmp->nsrc = 0;
	}
done:
	trw_config_free(tmp);
	return error;
}

int trw_config_open_default(trw_config **out, const char *extra)
{
	trw_config *cfg = NULL;
	trw_buf path = TRW_BUF_INIT(0);
	const char *sys = getenv("TRAWIC_SYSTEM_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int error;

	*out = NULL;
	if ((error = trw_config_new(&cfg)) < 0)
		goto done;
	if ((error = trw_config_add_file(cfg, sys && *sys ? sys : "/etc/trawic/config",
	    TRW_CONFIG_SYSTEM, 0)) < 0)
		goto done;
	if (xdg && *xdg)
		error = trw_buf_printf(&path, "%s/trawic/config", xdg);
	else if (home && *home)
		error = trw_buf_printf(&path, "%s/.config/trawic/config", home);
	if (error < 0)
		goto done;
	/* No XDG_CONFIG_HOME and no HOME: there is no user file. */
	if (path.size && (error = trw_config_add_file(cfg, path.ptr, TRW_CONFIG_USER, 0)) < 0)
		goto done;
	if (extra && (error = trw_config_add_file(cfg, extra, TRW_CONFIG_FILE, 1)) < 0)
		goto done;
	*out = cfg;
	cfg = NULL;
done:
	trw_buf_dispose(&path);
	trw_config_free(cfg);
	return error;
}

/* ---- the repository level ----------------------------------------------- */

/* As extractor/source.c decides: "scheme://..." or scp-like "user@host:path"
 * (the ':' before any '/') that is not an existing local path. */
static int is_url(const char *spec)
{
	const char *colon = strchr(spec, ':'), *slash = strchr(spec, '/');
	const char *at = strchr(spec, '@');
	struct stat st;

	if (strstr(spec, "://"))
		return 1;
	return colon && at && at > spec && at < colon && colon[1] != '\0' &&
	    (!slash || colon < slash) && stat(spec, &st) < 0;
}

int trw_config_add_repo(trw_config *cfg, const char *spec)
{
	trw_config *tmp = NULL;
	git_repository *repo = NULL;
	trw_buf path = TRW_BUF_INIT(0);
	const char *root = NULL;
	struct stat st;
	int error, rc;

	if ((error = trw_config_new(&tmp)) < 0)
		return error;
	if (!spec || !*spec || is_url(spec) || stat(spec, &st) < 0 || !S_ISDIR(st.st_mode))
		goto replace;
	rc = git_repository_open_ext(&repo, spec, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc < 0) {
		const git_error *e = git_error_last();

		/* Only "no repository here" makes it a plain directory; one
		 * libgit2 refuses (another owner) adds nothing, and the
		 * audit says why it cannot read it. */
		if (rc != GIT_ENOTFOUND || !e || e->klass != GIT_ERROR_REPOSITORY) {
			git_error_clear();
			goto replace;
		}
		git_error_clear();
		root = spec;
	} else {
		root = git_repository_workdir(repo);	/* NULL when bare */
	}
	if (root) {
		size_t len = strlen(root);

		if ((error = trw_buf_printf(&path, "%s%s.trawic", root,
		    len && root[len - 1] == '/' ? "" : "/")) < 0 ||
		    (error = add(tmp, path.ptr, TRW_CONFIG_REPO, 0, LOAD_DOTFILE)) < 0)
			goto done;
	}
	if (repo) {
		trw_buf_clear(&path);
		if ((error = trw_buf_printf(&path, "%sconfig", git_repository_commondir(repo))) < 0 ||
		    (error = add(tmp, path.ptr, TRW_CONFIG_REPO, 0, LOAD_GITCONFIG)) < 0)
			goto done;
	}
replace:
	drop_level(cfg, TRW_CONFIG_REPO);
	for (size_t i = 0; i < tmp->nsrc && !error; i++) {
		error = push_source(cfg, TRW_CONFIG_REPO, tmp->src[i].v, tmp->src[i].n);
		tmp->src[i].v = NULL;
		tmp->src[i].n = 0;
	}
done:
	git_repository_free(repo);
	trw_buf_dispose(&path);
	trw_config_free(tmp);
	return error;
}

/* ---- reading ------------------------------------------------------------ */

/* `key` as stored: section and key lower-case, the subsection as given. */
static char *normalise(const char *key)
{
	char *k = trw_strdup(key);
	char *last;
	size_t sec;

	if (!k)
		return NULL;
	sec = section_len(k);
	last = strrchr(k, '.');
	for (size_t i = 0; i < sec; i++)
		k[i] = (char)tolower((unsigned char)k[i]);
	for (char *p = last ? last : k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return k;
}

/* The entry that sets `key` last; NULL when none (TRW_ENOTFOUND, no
 * message) or out of memory (*error). */
static const entry *find(const trw_config *cfg, const char *key, size_t *src, int *error)
{
	char *k = normalise(key);

	*error = 0;
	if (!k) {
		*error = TRW_ENOMEM;
		return NULL;
	}
	for (size_t s = cfg->nsrc; s-- > 0;)
		for (size_t i = cfg->src[s].n; i-- > 0;)
			if (strcmp(cfg->src[s].v[i].name, k) == 0) {
				free(k);
				if (src)
					*src = s;
				return &cfg->src[s].v[i];
			}
	free(k);
	*error = TRW_ENOTFOUND;
	return NULL;
}

int trw_config_get_string(const trw_config *cfg, const char *key, char **out)
{
	const entry *e;
	int error;

	*out = NULL;
	if ((e = find(cfg, key, NULL, &error)) == NULL)
		return error;
	*out = trw_strdup(e->value ? e->value : "");
	return *out ? 0 : TRW_ENOMEM;
}

int trw_config_get_int(const trw_config *cfg, const char *key, long long *out)
{
	const entry *e;
	int error;

	*out = 0;
	if ((e = find(cfg, key, NULL, &error)) == NULL)
		return error;
	if (parse_int(e->value, out) < 0)
		return value_error(e, "is not an integer");
	return 0;
}

int trw_config_get_bool(const trw_config *cfg, const char *key, int *out)
{
	const entry *e;
	int v = 0, error;

	*out = 0;
	if ((e = find(cfg, key, NULL, &error)) == NULL)
		return error;
	if (!e->value) {
		*out = 1;
		return 0;
	}
	if (git_config_parse_bool(&v, e->value) < 0) {
		git_error_clear();
		return value_error(e, "is not a boolean (true, false, yes, no, on, off, 1, 0)");
	}
	*out = v != 0;
	return 0;
}

int trw_config_get_real(const trw_config *cfg, const char *key, double *out)
{
	const entry *e;
	int error;

	*out = 0;
	if ((e = find(cfg, key, NULL, &error)) == NULL)
		return error;
	if (parse_real(e->value, out) < 0)
		return value_error(e, "is not a number");
	return 0;
}

int trw_config_get_size(const trw_config *cfg, const char *key, uint64_t *out)
{
	const entry *e;
	int error;

	*out = 0;
	if ((e = find(cfg, key, NULL, &error)) == NULL)
		return error;
	if (parse_size(e->value, out) < 0)
		return value_error(e, "is not a size (a number with an optional k, m or g suffix)");
	return 0;
}

int trw_config_get_origin(const trw_config *cfg, const char *key, char **file, int *line)
{
	const entry *e;
	int error;

	*file = NULL;
	*line = 0;
	if ((e = find(cfg, key, NULL, &error)) == NULL)
		return error;
	if ((*file = trw_strdup(e->file ? e->file : "")) == NULL)
		return TRW_ENOMEM;
	*line = e->line;
	return 0;
}

void trw_config_strings_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int trw_config_get_all(const trw_config *cfg, const char *key, char ***out, size_t *n)
{
	const entry *last;
	const source *s;
	char **v = NULL, *k = NULL;
	size_t src = 0, len = 0, count = 0;
	int error;

	*out = NULL;
	*n = 0;
	if ((last = find(cfg, key, &src, &error)) == NULL)
		return error;
	if ((k = normalise(key)) == NULL)
		return TRW_ENOMEM;
	s = &cfg->src[src];
	for (size_t i = 0; i < s->n; i++)
		count += strcmp(s->v[i].name, k) == 0;
	if ((v = calloc(count + 1, sizeof(*v))) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, k) != 0)
			continue;
		if ((v[len] = trw_strdup(s->v[i].value ? s->v[i].value : "")) == NULL) {
			error = TRW_ENOMEM;
			goto done;
		}
		len++;
	}
	*out = v;
	*n = len;
	v = NULL;
done:
	trw_config_strings_free(v);
	free(k);
	return error;
}

int trw_config_has_section(const trw_config *cfg, const char *prefix)
{
	size_t n = strlen(prefix), sec = section_len(prefix);

	for (size_t s = 0; s < cfg->nsrc; s++)
		for (size_t i = 0; i < cfg->src[s].n; i++) {
			const char *name = cfg->src[s].v[i].name;

			if (strlen(name) >= n && strncasecmp(name, prefix, sec) == 0 &&
			    strncmp(name + sec, prefix + sec, n - sec) == 0)
				return 1;
		}
	return 0;
}

/* Is v[i] of source s the one (or one of those) a lookup of its name gives? */
static int effective(const trw_config *cfg, size_t s, size_t i)
{
	const char *name = cfg->src[s].v[i].name;
	int multi = is_multivar(name);

	for (size_t t = cfg->nsrc; t-- > s;) {
		size_t from = t == s ? i + 1 : 0;

		for (size_t j = from; j < cfg->src[t].n; j++)
			if (strcmp(cfg->src[t].v[j].name, name) == 0 && (t != s || !multi))
				return 0;
	}
	return 1;
}

int trw_config_foreach(const trw_config *cfg, trw_config_foreach_cb cb, void *payload)
{
	for (size_t s = 0; s < cfg->nsrc; s++)
		for (size_t i = 0; i < cfg->src[s].n; i++) {
			const entry *e = &cfg->src[s].v[i];
			trw_config_entry out;
			int rc;

			if (!effective(cfg, s, i))
				continue;
			out.name = e->name;
			out.value = e->value;
			out.file = e->file;
			out.line = e->line;
			out.level = cfg->src[s].level;
			if ((rc = cb(&out, payload)) != 0)
				return rc;
		}
	return 0;
}

int trw_config_validate(const trw_config *cfg)
{
	trw_buf why = TRW_BUF_INIT(0);
	int error = 0;

	for (size_t s = 0; s < cfg->nsrc && !error; s++)
		for (size_t i = 0; i < cfg->src[s].n && !error; i++) {
			const entry *e = &cfg->src[s].v[i];
			const known_key *k;
			const char *bad;
			size_t sec = section_len(e->name);

			if (!is_section(e->name, "audit") && !is_section(e->name, "report") &&
			    !is_section(e->name, "daemon") && !is_section(e->name, "model"))
				continue;
			if ((k = find_known(e->name)) == NULL) {
				error = error_at(TRW_EINVALID, e, "unknown key in [%.*s%s]", (int)sec,
				    e->name, is_section(e->name, "model") ? " \"NAME\"" : "");
				break;
			}
			trw_buf_clear(&why);
			if ((bad = check_value(k, e->value, &why)) != NULL)
				error = value_error(e, bad);
		}
	trw_buf_dispose(&why);
	return error;
}
