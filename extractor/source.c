/*
 * source.c - the files of a repository at a revision, one at a time.
 *
 * A git repository is read through libgit2 without a checkout: the tree
 * at the revision is walked in git's order and each blob is loaded only
 * when no cheaper test (mode, path, attributes, size) has already skipped
 * it.  A URL is cloned bare into a cache directory once and fetched on
 * later opens.  A plain directory is walked from disk in the same order
 * git would store it.  Every entry is classified (extract it, or skip it
 * with a reason) and handed to the caller; nothing is kept between files.
 *
 * This module does not parse code, does not follow symbolic links, does
 * not look inside submodules and never writes outside its clone cache.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/repository.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "common/util.h"
#include "extractor/pattern.h"
#include "extractor/source.h"

#define BINARY_PROBE 8000		/* git's own window for "is it binary" */
#define MARKER_PROBE 1024		/* where generated-file banners live */
#define CONTROL_FILE_MAX (1024 * 1024)	/* .trawicignore, .gitattributes */
#define SHA256_HEX 64

static const char *const skip_names[TRW_SKIP__COUNT] = {
	[TRW_SKIP_NONE] = "",
	[TRW_SKIP_BINARY] = "binary",
	[TRW_SKIP_TOO_LARGE] = "too_large",
	[TRW_SKIP_VENDORED] = "vendored",
	[TRW_SKIP_GENERATED] = "generated",
	[TRW_SKIP_MINIFIED] = "minified",
	[TRW_SKIP_SUBMODULE] = "submodule",
	[TRW_SKIP_SYMLINK] = "symlink",
	[TRW_SKIP_UNKNOWN_LANGUAGE] = "unknown_language",
	[TRW_SKIP_IGNORED] = "ignored",
	[TRW_SKIP_INVALID_UTF8] = "invalid_utf8",
	[TRW_SKIP_EMPTY] = "empty",
	[TRW_SKIP_EXCLUDED_LANGUAGE] = "excluded_language",
	[TRW_SKIP_EXCLUDED_PATH] = "excluded_path",
	[TRW_SKIP_PARSE_ERROR] = "parse_error",
	[TRW_SKIP_UNREADABLE] = "unreadable",
};

/* Directory names that mark third-party code wherever they appear. */
static const char *const vendored_dirs[] = {
	"node_modules", "vendor", "vendors", "third_party", "third-party",
	"thirdparty", "3rdparty", "bower_components", NULL
};

/* What .gitattributes says about one linguist attribute. */
enum { ATTR_UNSET = 0, ATTR_TRUE, ATTR_FALSE };

struct trw_source {
	trw_source_options opts;
	char *cache_dir;		/* owned copy of opts.cache_dir */

	char *root;			/* a plain directory; NULL for git */

	git_repository *repo;
	git_odb *odb;
	git_tree *tree;			/* at the resolved revision */
	int resolved;
	char commit[GIT_OID_HEXSZ + 1];	/* "" when the revision is a bare tree */
	git_oid commit_id;
	int attr_api;			/* ask libgit2 for attributes at commit_id */

	/* per walk */
	trw_patterns *ignore;		/* root .trawicignore */
	trw_patterns *attr_vendored;	/* root .gitattributes, when not attr_api */
	trw_patterns *attr_generated;
	trw_buf path;
	char *data;			/* the bytes of the current plain file */
	size_t data_alloc;
};

struct walk {
	trw_source *src;
	trw_source_cb cb;
	void *payload;
	int stop;			/* the callback's non-zero return */
	int error;			/* our own failure, a TRW_E* code */
	uint64_t *count;		/* trw_source_count: count, read nothing */
};

const char *trw_skip_name(trw_skip reason)
{
	if ((unsigned)reason >= TRW_SKIP__COUNT)
		return "";
	return skip_names[reason];
}

int trw_source_global_init(void)
{
	int rc = git_libgit2_init();

	if (rc < 0)
		return trw_error_set(TRW_ERROR, "libgit2 does not initialise: %s",
		    git_error_last() ? git_error_last()->message : "unknown error");
	return 0;
}

void trw_source_global_shutdown(void)
{
	git_libgit2_shutdown();
}

/*
 * Set `code` with "<what>: <libgit2's message>".  libgit2 messages can
 * span lines (ssh, http); the caller prints ours on one.
 */
static int git_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int git_fail(int code, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	char what[768], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "unknown libgit2 error");
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	/* drop the trailing blanks a flattened multi-line message leaves */
	for (size_t n = strlen(msg); n && msg[n - 1] == ' '; n--)
		msg[n - 1] = '\0';
	return trw_error_set(code, "%s: %s", what, msg);
}

/* Put `prefix: ` before the current message, which cannot be read while
 * it is being written: copy it first. */
static int error_prefix(int code, const char *prefix)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", trw_error_last());
	return trw_error_set(code, "%s: %s", prefix, msg);
}

static void sha256_hex(char out[SHA256_HEX + 1], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32) {
		out[0] = '\0';
		return;
	}
	trw_hex(out, md, n);
}

/* ---- classification --------------------------------------------------- */

static int in_vendored_dir(const char *path)
{
	const char *p = path;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n;

		if (!slash)
			return 0;	/* the last component is the file itself */
		n = (size_t)(slash - p);
		for (const char *const *v = vendored_dirs; *v; v++)
			if (strlen(*v) == n && memcmp(*v, p, n) == 0)
				return 1;
		p = slash + 1;
	}
}

/* Linguist's reading: set, or any value but "false", means true. */
static int attr_state(const char *value)
{
	switch (git_attr_value(value)) {
	case GIT_ATTR_VALUE_TRUE:
		return ATTR_TRUE;
	case GIT_ATTR_VALUE_FALSE:
		return ATTR_FALSE;
	case GIT_ATTR_VALUE_STRING:
		return strcmp(value, "false") == 0 ? ATTR_FALSE : ATTR_TRUE;
	default:
		return ATTR_UNSET;
	}
}

static int lookup_attrs(trw_source *src, const char *path, int *vendored, int *generated)
{
	static const char *names[2] = { "linguist-vendored", "linguist-generated" };
	const char *values[2] = { NULL, NULL };
	git_attr_options ao = GIT_ATTR_OPTIONS_INIT;
	int error = 0;

	*vendored = *generated = ATTR_UNSET;
	if (src->attr_api) {
		/* the committed .gitattributes only: no worktree, and the index is
		 * an empty in-memory one (see open_repo) */
		ao.flags = GIT_ATTR_CHECK_INCLUDE_COMMIT | GIT_ATTR_CHECK_INDEX_ONLY |
		    GIT_ATTR_CHECK_NO_SYSTEM;
		git_oid_cpy(&ao.attr_commit_id, &src->commit_id);
		if (git_attr_get_many_ext(values, src->repo, &ao, path, 2, names) < 0) {
			error = git_fail(TRW_ERROR, "reading the attributes of '%s'", path);
			goto done;
		}
		*vendored = attr_state(values[0]);
		*generated = attr_state(values[1]);
		goto done;
	}
	if (src->attr_vendored) {
		int d = trw_patterns_decide(src->attr_vendored, path, 0);

		*vendored = d == 1 ? ATTR_TRUE : d == 2 ? ATTR_FALSE : ATTR_UNSET;
	}
	if (src->attr_generated) {
		int d = trw_patterns_decide(src->attr_generated, path, 0);

		*generated = d == 1 ? ATTR_TRUE : d == 2 ? ATTR_FALSE : ATTR_UNSET;
	}

done:
	return error;
}

/* Does `path`, or a directory above it, match one of the `paths` globs
 * (or is there no filter)? */
static int path_wanted(const trw_source *src, const char *path)
{
	const char *base;

	if (!src->opts.paths)
		return 1;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (const char *const *g = src->opts.paths; *g; g++) {
		char dir[4096];
		size_t glen = strlen(*g);

		if (trw_glob_match(*g, path))
			return 1;
		if (!strchr(*g, '/') && trw_glob_match(*g, base))
			return 1;
		/* a glob naming a directory ("src", "src/", a glob over directories) takes
		 * everything below it */
		for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
			size_t n = (size_t)(s - path);

			if (n >= sizeof(dir))
				break;
			memcpy(dir, path, n);
			dir[n] = '\0';
			if (trw_glob_match(*g, dir) ||
			    (glen > 1 && (*g)[glen - 1] == '/' && glen - 1 == n &&
			    strncmp(*g, dir, n) == 0))
				return 1;
		}
	}
	return 0;
}

/*
 * The skips decided by the path alone: `paths`, .trawicignore, .trawicignore, then vendored, then
 * generated by attribute.  `*generated_attr` tells the byte tests whether
 * an explicit -linguist-generated overrules the banner heuristic.
 */
static int classify_path(trw_source *src, const char *path, trw_skip *out,
    int *generated_attr)
{
	int vendored, generated, error;

	*out = TRW_SKIP_NONE;
	*generated_attr = ATTR_UNSET;
	if (!path_wanted(src, path)) {
		*out = TRW_SKIP_EXCLUDED_PATH;
		return 0;
	}
	if (src->ignore && trw_patterns_match(src->ignore, path, 0)) {
		*out = TRW_SKIP_IGNORED;
		return 0;
	}
	if ((error = lookup_attrs(src, path, &vendored, &generated)) < 0)
		return error;
	*generated_attr = generated;
	/* an explicit attribute beats the folder heuristic, as in linguist */
	if (vendored == ATTR_TRUE || (vendored == ATTR_UNSET && in_vendored_dir(path)))
		*out = TRW_SKIP_VENDORED;
	else if (generated == ATTR_TRUE)
		*out = TRW_SKIP_GENERATED;
	return 0;
}

/* Does s[0:n] contain `needle` (lower case), ignoring ASCII case? */
static int contains_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	for (size_t i = 0; i + m <= n; i++) {
		size_t k = 0;

		while (k < m) {
			char c = s[i + k];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != needle[k])
				break;
			k++;
		}
		if (k == m)
			return 1;
	}
	return 0;
}

static int has_generated_banner(const char *bytes, size_t len)
{
	size_t n = len < MARKER_PROBE ? len : MARKER_PROBE;
	const char *p = bytes, *end = bytes + n;

	if (memmem(bytes, n, "@generated", 10))
		return 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t line = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (contains_ci(p, line, "generated") && contains_ci(p, line, "do not edit"))
			return 1;
		p += line + 1;
	}
	return 0;
}

static int has_long_line(const char *bytes, size_t len, size_t limit)
{
	const char *p = bytes, *end = bytes + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t line = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (line > limit)
			return 1;
		p += line + 1;
	}
	return 0;
}

static int lang_wanted(const trw_source *src, const trw_lang *lang)
{
	if (!src->opts.langs)
		return 1;
	for (const trw_lang *const *l = src->opts.langs; *l; l++)
		if (*l == lang)
			return 1;
	return 0;
}

/* The skips decided by the bytes, in the contract's order. */
static trw_skip classify_bytes(const trw_source *src, trw_file *f,
    const char *bytes, size_t len, int generated_attr)
{
	if (memchr(bytes, '\0', len < BINARY_PROBE ? len : BINARY_PROBE))
		return TRW_SKIP_BINARY;
	if ((f->lang = trw_lang_detect(f->path, bytes, len)) == NULL)
		return TRW_SKIP_UNKNOWN_LANGUAGE;
	if (!lang_wanted(src, f->lang))
		return TRW_SKIP_EXCLUDED_LANGUAGE;
	if (!trw_utf8_valid(bytes, len))
		return TRW_SKIP_INVALID_UTF8;
	if (has_long_line(bytes, len, src->opts.minified_line))
		return TRW_SKIP_MINIFIED;
	if (generated_attr != ATTR_FALSE && has_generated_banner(bytes, len))
		return TRW_SKIP_GENERATED;
	return TRW_SKIP_NONE;
}

static int emit(struct walk *w, const trw_file *f)
{
	int rc = w->cb(f, w->payload);

	if (rc != 0)
		w->stop = rc;
	return rc;
}

/* ---- control files ---------------------------------------------------- */

/*
 * One .gitattributes text into the two pattern lists.  Only the linguist
 * attributes matter here; macros ("[attr]") and quoted patterns are left
 * out, and so are '!' patterns, which git refuses in attributes.
 */
static int add_attributes(trw_source *src, const char *text, size_t len)
{
	static const char blanks[] = " \t\r";
	char *line = NULL;
	size_t line_no = 0;
	int error = 0;

	if ((error = trw_patterns_new(&src->attr_vendored)) < 0 ||
	    (error = trw_patterns_new(&src->attr_generated)) < 0)
		goto done;
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;
		char *pat, *rest;

		line_no++;
		free(line);
		if ((line = trw_strndup(text, n)) == NULL) {
			error = TRW_ENOMEM;
			goto done;
		}
		text += n;
		len -= n;
		if (nl) {
			text++;
			len--;
		}
		pat = line + strspn(line, blanks);
		if (*pat == '\0' || *pat == '#' || *pat == '"' || *pat == '!' ||
		    strncmp(pat, "[attr]", 6) == 0)
			continue;
		rest = pat + strcspn(pat, blanks);
		if (*rest)
			*rest++ = '\0';
		while (*(rest += strspn(rest, blanks))) {
			trw_patterns *list = NULL;
			const char *name = rest;
			int negate = 0;

			rest += strcspn(rest, blanks);
			if (*rest)
				*rest++ = '\0';

			/* "!attr" (back to unspecified) is read as false: the
			 * last-match list has no third state */
			if (*name == '-' || *name == '!') {
				negate = 1;
				name++;
			}
			if (strncmp(name, "linguist-vendored", 17) == 0)
				list = src->attr_vendored, name += 17;
			else if (strncmp(name, "linguist-generated", 18) == 0)
				list = src->attr_generated, name += 18;
			else
				continue;
			if (*name == '=')
				negate = negate || strcmp(name + 1, "false") == 0;
			else if (*name != '\0')
				continue;	/* a longer attribute name */
			if (negate) {
				char *neg;

				if ((neg = malloc(strlen(pat) + 2)) == NULL) {
					error = trw_error_oom();
					goto done;
				}
				neg[0] = '!';
				memcpy(neg + 1, pat, strlen(pat) + 1);
				error = trw_patterns_add(list, "", neg);
				free(neg);
			} else {
				error = trw_patterns_add(list, "", pat);
			}
			if (error < 0) {
				char where[64];

				snprintf(where, sizeof(where), ".gitattributes: line %zu", line_no);
				error = error_prefix(error, where);
				goto done;
			}
		}
	}

done:
	free(line);
	return error;
}

static int add_ignore(trw_source *src, const char *text, size_t len)
{
	int error;

	if ((error = trw_patterns_new(&src->ignore)) < 0)
		return error;
	if ((error = trw_patterns_add_text(src->ignore, "", text, len)) < 0)
		return error_prefix(error, ".trawicignore");
	return 0;
}

static void drop_control(trw_source *src)
{
	trw_patterns_free(src->ignore);
	trw_patterns_free(src->attr_vendored);
	trw_patterns_free(src->attr_generated);
	src->ignore = src->attr_vendored = src->attr_generated = NULL;
}

/* ---- git -------------------------------------------------------------- */

/* Feed a control file at the root of the tree to `add`; absent is fine. */
static int tree_control_file(trw_source *src, const char *name,
    int (*add)(trw_source *, const char *, size_t))
{
	const git_tree_entry *e = git_tree_entry_byname(src->tree, name);
	git_blob *blob = NULL;
	int error = 0;

	if (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
		goto done;
	if (git_blob_lookup(&blob, src->repo, git_tree_entry_id(e)) < 0) {
		error = git_fail(TRW_EIO, "reading %s", name);
		goto done;
	}
	if (git_blob_rawsize(blob) > CONTROL_FILE_MAX) {
		error = trw_error_set(TRW_ETOOBIG, "%s is larger than %d bytes",
		    name, CONTROL_FILE_MAX);
		goto done;
	}
	error = add(src, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));

done:
	git_blob_free(blob);
	return error;
}

static int git_walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk *w = payload;
	trw_source *src = w->src;
	git_object_t type = git_tree_entry_type(e);
	git_blob *blob = NULL;
	trw_file f;
	size_t size = 0;
	git_object_t otype;
	int generated_attr, error = 0;

	if (type == GIT_OBJECT_TREE)
		return 0;
	if (type != GIT_OBJECT_BLOB && type != GIT_OBJECT_COMMIT)
		return 0;

	memset(&f, 0, sizeof(f));
	trw_buf_clear(&src->path);
	if ((error = trw_buf_puts(&src->path, root)) < 0 ||
	    (error = trw_buf_puts(&src->path, git_tree_entry_name(e))) < 0)
		goto done;
	f.path = src->path.ptr;
	git_oid_tostr(f.blob, sizeof(f.blob), git_tree_entry_id(e));

	if (type == GIT_OBJECT_COMMIT) {
		f.skipped = TRW_SKIP_SUBMODULE;
		goto report;
	}
	/* the size from the object header: a large blob is never inflated */
	if (git_odb_read_header(&size, &otype, src->odb, git_tree_entry_id(e)) < 0) {
		git_error_clear();
		f.skipped = TRW_SKIP_UNREADABLE;
		goto report;
	}
	f.size = size;
	if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
		f.skipped = TRW_SKIP_SYMLINK;
		goto report;
	}
	if ((error = classify_path(src, f.path, &f.skipped, &generated_attr)) < 0)
		goto done;
	if (f.skipped == TRW_SKIP_NONE) {
		if (size > src->opts.max_file_size)
			f.skipped = TRW_SKIP_TOO_LARGE;
		else if (size == 0)
			f.skipped = TRW_SKIP_EMPTY;
	}
	if (f.skipped != TRW_SKIP_NONE) {
		f.lang = trw_lang_detect(f.path, NULL, 0);
		goto report;
	}
	if (git_blob_lookup(&blob, src->repo, git_tree_entry_id(e)) < 0) {
		git_error_clear();
		f.skipped = TRW_SKIP_UNREADABLE;
		goto report;
	}
	f.size = (uint64_t)git_blob_rawsize(blob);
	f.skipped = classify_bytes(src, &f, git_blob_rawcontent(blob), (size_t)f.size,
	    generated_attr);
	if (f.skipped == TRW_SKIP_NONE)
		f.bytes = git_blob_rawcontent(blob);

report:
	emit(w, &f);

done:
	git_blob_free(blob);
	if (error < 0)
		w->error = error;
	/* any negative value stops git_tree_walk; the reason is in `w` */
	return (error < 0 || w->stop) ? GIT_EUSER : 0;
}

static int git_foreach(trw_source *src, struct walk *w)
{
	int error;

	if ((error = tree_control_file(src, ".trawicignore", add_ignore)) < 0)
		goto done;
	if (!src->attr_api &&
	    (error = tree_control_file(src, ".gitattributes", add_attributes)) < 0)
		goto done;
	error = git_tree_walk(src->tree, GIT_TREEWALK_PRE, git_walk_cb, w);
	if (w->error < 0)
		error = w->error;
	else if (w->stop)
		error = 0;
	else if (error < 0)
		error = git_fail(TRW_ERROR, "walking the tree");

done:
	drop_control(src);
	return error;
}

int trw_source_set_revision(trw_source *src, const char *rev)
{
	git_object *obj = NULL, *commit = NULL, *tree = NULL;
	int error = 0;

	if (!src->repo) {
		if (rev && strcmp(rev, "HEAD") != 0)
			return trw_error_set(TRW_EINVALID,
			    "a plain directory has no revisions (asked for '%s')", rev);
		src->resolved = 1;
		return 0;
	}
	if (!rev)
		rev = "HEAD";
	if (*rev == '\0')
		return trw_error_set(TRW_EINVALID, "empty revision");

	if (strcmp(rev, "HEAD") == 0 && git_repository_head_unborn(src->repo) == 1) {
		git_reference *head = NULL;

		if (git_repository_is_empty(src->repo) == 1) {
			error = trw_error_set(TRW_ENOTFOUND, "repository has no commits");
		} else if (git_reference_lookup(&head, src->repo, "HEAD") == 0 &&
		    git_reference_symbolic_target(head)) {
			error = trw_error_set(TRW_ENOTFOUND,
			    "HEAD points to '%s', which has no commits",
			    git_reference_symbolic_target(head));
		} else {
			error = trw_error_set(TRW_ENOTFOUND, "HEAD has no commits");
		}
		git_reference_free(head);
		git_error_clear();
		goto done;
	}

	if ((error = git_revparse_single(&obj, src->repo, rev)) < 0) {
		if (error == GIT_ENOTFOUND)
			error = git_fail(TRW_ENOTFOUND, "unknown revision '%s'", rev);
		else if (error == GIT_EAMBIGUOUS)
			error = git_fail(TRW_EAMBIGUOUS, "ambiguous revision '%s'", rev);
		else if (error == GIT_EINVALIDSPEC)
			error = git_fail(TRW_EINVALID, "invalid revision '%s'", rev);
		else
			error = git_fail(TRW_ERROR, "revision '%s'", rev);
		goto done;
	}
	/* a tree-ish such as HEAD:src has no commit; that is fine */
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0)
		git_error_clear();
	if (git_object_peel(&tree, obj, GIT_OBJECT_TREE) < 0) {
		error = git_fail(TRW_EINVALID, "revision '%s' is a %s, not a commit or tree",
		    rev, git_object_type2string(git_object_type(obj)));
		goto done;
	}

	git_tree_free(src->tree);
	src->tree = (git_tree *)tree;
	tree = NULL;
	src->commit[0] = '\0';
	src->attr_api = 0;
	if (commit) {
		git_oid_cpy(&src->commit_id, git_object_id(commit));
		git_oid_tostr(src->commit, sizeof(src->commit), &src->commit_id);
		/* attributes are looked up by path from the commit's root, so
		 * only when the tree walked is that root */
		src->attr_api = git_oid_equal(git_tree_id(src->tree),
		    git_commit_tree_id((git_commit *)commit));
	}
	src->resolved = 1;

done:
	git_object_free(tree);
	git_object_free(commit);
	git_object_free(obj);
	return error;
}

const char *trw_source_commit(const trw_source *src)
{
	return src->commit;
}

int trw_source_is_plain(const trw_source *src)
{
	return src->repo == NULL;
}

/* ---- plain directories -------------------------------------------------- */

struct dirent_info {
	char *name;
	struct stat st;
	int tree;		/* a directory that is not a nested repository */
	int submodule;		/* a directory with a .git entry */
};

/* git's tree order: a directory sorts as if its name ended in '/'. */
static int git_order(const void *a, const void *b)
{
	const struct dirent_info *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name), n = lx < ly ? lx : ly;
	int c = memcmp(x->name, y->name, n);
	unsigned char cx, cy;

	if (c)
		return c;
	cx = lx > n ? (unsigned char)x->name[n] : x->tree ? '/' : '\0';
	cy = ly > n ? (unsigned char)y->name[n] : y->tree ? '/' : '\0';
	return (int)cx - (int)cy;
}

static void free_entries(struct dirent_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* The entries of an open directory, lstat'ed and sorted; no ".git". */
static int list_dir(int dfd, const char *rel, struct dirent_info **out, size_t *count)
{
	struct dirent_info *v = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d = NULL;
	int fd, error = 0;

	*out = NULL;
	*count = 0;
	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		error = trw_error_set(TRW_EIO, "cannot list '%s': %s", rel, strerror(errno));
		goto done;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		struct dirent_info *e;
		struct stat gst;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		if (n == alloc) {
			size_t want = alloc ? 2 * alloc : 32;
			struct dirent_info *nv = realloc(v, want * sizeof(*nv));

			if (!nv) {
				error = trw_error_oom();
				goto done;
			}
			v = nv;
			alloc = want;
		}
		e = &v[n];
		memset(e, 0, sizeof(*e));
		if (fstatat(dfd, de->d_name, &e->st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* gone since readdir */
		if ((e->name = trw_strdup(de->d_name)) == NULL) {
			error = TRW_ENOMEM;
			goto done;
		}
		if (S_ISDIR(e->st.st_mode)) {
			char probe[NAME_MAX + 8];

			snprintf(probe, sizeof(probe), "%s/.git", de->d_name);
			e->submodule = fstatat(dfd, probe, &gst, AT_SYMLINK_NOFOLLOW) == 0;
			e->tree = !e->submodule;
		}
		n++;
		errno = 0;
	}
	if (errno) {
		error = trw_error_set(TRW_EIO, "cannot list '%s': %s", rel, strerror(errno));
		goto done;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), git_order);
	*out = v;
	*count = n;
	v = NULL;
	n = 0;

done:
	if (d)
		closedir(d);
	free_entries(v, n);
	return error;
}

/* Read up to max+1 bytes, so that growth past the limit shows. */
static int read_file(trw_source *src, int dfd, const char *name, size_t *len)
{
	size_t want = src->opts.max_file_size + 1, got = 0;
	struct stat st;
	int fd, error = 0;

	*len = 0;
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error = -1;
		goto done;
	}
	if (src->data_alloc < want) {
		char *p = realloc(src->data, want);

		if (!p) {
			error = trw_error_oom();
			goto done;
		}
		src->data = p;
		src->data_alloc = want;
	}
	while (got < want) {
		ssize_t r = read(fd, src->data + got, want - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			error = -1;
			goto done;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*len = got;

done:
	if (fd >= 0)
		close(fd);
	return error;
}

static int plain_file(trw_source *src, struct walk *w, int dfd,
    const struct dirent_info *e)
{
	trw_file f;
	size_t len = 0;
	int generated_attr, error = 0;

	memset(&f, 0, sizeof(f));
	f.path = src->path.ptr;
	f.size = (uint64_t)e->st.st_size;

	if (S_ISLNK(e->st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dfd, e->name, target, sizeof(target));

		/* the blob id git would give the link: the hash of its target */
		if (n >= 0 && (size_t)n < sizeof(target))
			sha256_hex(f.blob, target, (size_t)n);
		f.skipped = TRW_SKIP_SYMLINK;
		goto report;
	}
	if (e->submodule) {
		f.size = 0;
		f.skipped = TRW_SKIP_SUBMODULE;
		goto report;
	}
	if ((error = classify_path(src, f.path, &f.skipped, &generated_attr)) < 0)
		goto done;
	if (f.skipped == TRW_SKIP_NONE) {
		if (f.size > src->opts.max_file_size)
			f.skipped = TRW_SKIP_TOO_LARGE;
		else if (f.size == 0)
			f.skipped = TRW_SKIP_EMPTY;
	}
	if (f.skipped == TRW_SKIP_EMPTY)
		sha256_hex(f.blob, "", 0);
	if (f.skipped != TRW_SKIP_NONE) {
		f.lang = trw_lang_detect(f.path, NULL, 0);
		goto report;
	}
	if ((error = read_file(src, dfd, e->name, &len)) < 0) {
		if (error == TRW_ENOMEM)
			goto done;
		error = 0;
		f.skipped = TRW_SKIP_UNREADABLE;
		goto report;
	}
	/* it may have changed since lstat: trust what was read */
	if (len > src->opts.max_file_size) {
		f.skipped = TRW_SKIP_TOO_LARGE;
		goto report;
	}
	f.size = len;
	sha256_hex(f.blob, src->data, len);
	if (len == 0)
		f.skipped = TRW_SKIP_EMPTY;
	else
		f.skipped = classify_bytes(src, &f, src->data, len, generated_attr);
	if (f.skipped == TRW_SKIP_NONE)
		f.bytes = src->data;

report:
	emit(w, &f);

done:
	return error;
}

static int plain_dir(trw_source *src, struct walk *w, int dfd)
{
	struct dirent_info *v = NULL;
	size_t n = 0, base = src->path.size;
	int error = 0;

	if ((error = list_dir(dfd, base ? src->path.ptr : ".", &v, &n)) < 0)
		goto done;
	for (size_t i = 0; i < n && !w->stop; i++) {
		const struct dirent_info *e = &v[i];

		src->path.size = base;
		if ((error = trw_buf_puts(&src->path, e->name)) < 0)
			goto done;
		if (e->tree) {
			int sub = openat(dfd, e->name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0 && w->count) {
				(*w->count)++;
				continue;
			}
			if (sub < 0) {
				/* say so once for the directory, and go on */
				trw_file f;

				memset(&f, 0, sizeof(f));
				f.path = src->path.ptr;
				f.skipped = TRW_SKIP_UNREADABLE;
				emit(w, &f);
				continue;
			}
			if ((error = trw_buf_puts(&src->path, "/")) == 0)
				error = plain_dir(src, w, sub);
			close(sub);
			if (error < 0)
				goto done;
		} else if (S_ISREG(e->st.st_mode) || S_ISLNK(e->st.st_mode) || e->submodule) {
			if (w->count)
				(*w->count)++;
			else if ((error = plain_file(src, w, dfd, e)) < 0)
				goto done;
		}
	}

done:
	src->path.size = base;
	if (src->path.ptr)
		src->path.ptr[base] = '\0';
	free_entries(v, n);
	return error;
}

/* Read a control file at the root of a plain directory, if it is there. */
static int disk_control_file(trw_source *src, int dfd, const char *name,
    int (*add)(trw_source *, const char *, size_t))
{
	trw_buf text = TRW_BUF_INIT(CONTROL_FILE_MAX);
	char chunk[8192];
	struct stat st;
	int fd, error = 0;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ELOOP)
			goto done;
		error = trw_error_set(TRW_EIO, "cannot read %s: %s", name, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto done;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			error = trw_error_set(TRW_EIO, "cannot read %s: %s", name, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		if ((error = trw_buf_put(&text, chunk, (size_t)r)) < 0) {
			if (error == TRW_ETOOBIG)
				error = trw_error_set(TRW_ETOOBIG, "%s is larger than %d bytes",
				    name, CONTROL_FILE_MAX);
			goto done;
		}
	}
	error = add(src, text.ptr ? text.ptr : "", text.size);

done:
	if (fd >= 0)
		close(fd);
	trw_buf_dispose(&text);
	return error;
}

static int plain_foreach(trw_source *src, struct walk *w)
{
	int dfd, error = 0;

	if ((dfd = open(src->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		error = trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO,
		    "cannot open '%s': %s", src->root, strerror(errno));
		goto done;
	}
	if ((error = disk_control_file(src, dfd, ".trawicignore", add_ignore)) < 0 ||
	    (error = disk_control_file(src, dfd, ".gitattributes", add_attributes)) < 0)
		goto done;
	trw_buf_clear(&src->path);
	if ((error = trw_buf_puts(&src->path, "")) < 0)
		goto done;
	error = plain_dir(src, w, dfd);

done:
	if (dfd >= 0)
		close(dfd);
	drop_control(src);
	return error;
}

/* Entries git_walk_cb would report, without looking at any blob. */
static int git_count_cb(const char *root, const git_tree_entry *e, void *payload)
{
	git_object_t type = git_tree_entry_type(e);

	(void)root;
	if (type == GIT_OBJECT_BLOB || type == GIT_OBJECT_COMMIT)
		(*(uint64_t *)payload)++;
	return 0;
}

int trw_source_count(trw_source *src, uint64_t *out)
{
	uint64_t n = 0;
	int error = 0;

	*out = 0;
	if (!src->resolved && (error = trw_source_set_revision(src, NULL)) < 0)
		return error;
	if (src->repo) {
		if (git_tree_walk(src->tree, GIT_TREEWALK_PRE, git_count_cb, &n) < 0)
			return git_fail(TRW_ERROR, "walking the tree");
	} else {
		struct walk w = { src, NULL, NULL, 0, 0, &n };
		int dfd = open(src->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0)
			return trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO,
			    "cannot open '%s': %s", src->root, strerror(errno));
		trw_buf_clear(&src->path);
		if ((error = trw_buf_puts(&src->path, "")) == 0)
			error = plain_dir(src, &w, dfd);
		close(dfd);
		if (error < 0)
			return error;
	}
	*out = n;
	return 0;
}

int trw_source_foreach(trw_source *src, trw_source_cb cb, void *payload)
{
	struct walk w = { src, cb, payload, 0, 0, NULL };
	int error = 0;

	if (!src->resolved && (error = trw_source_set_revision(src, NULL)) < 0)
		goto done;
	if (src->repo)
		error = git_foreach(src, &w);
	else
		error = plain_foreach(src, &w);
	if (error == 0 && w.stop)
		error = w.stop;

done:
	return error;
}

/* ---- opening ------------------------------------------------------------ */

/* "scheme://..." or scp-like "user@host:path" (the ':' before any '/'). */
static int looks_like_url(const char *spec, int *scp)
{
	const char *colon = strchr(spec, ':'), *slash = strchr(spec, '/');
	const char *at = strchr(spec, '@');

	*scp = 0;
	if (strstr(spec, "://"))
		return 1;
	if (colon && at && at > spec && at < colon && colon[1] != '\0' &&
	    (!slash || colon < slash)) {
		*scp = 1;
		return 1;
	}
	return 0;
}

/* mkdir -p; directories it creates are private to the user. */
static int make_dirs(const char *path)
{
	char *p = trw_strdup(path);
	int error = 0;

	if (!p)
		return TRW_ENOMEM;
	for (char *s = p + 1;; s++) {
		char c = *s;
		struct stat st;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			error = trw_error_set(TRW_EIO, "cannot create '%s': %s", p, strerror(errno));
			goto done;
		}
		if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			error = trw_error_set(TRW_EIO, "'%s' is not a directory", p);
			goto done;
		}
		*s = c;
		if (c == '\0')
			break;
	}

done:
	free(p);
	return error;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The clone cache for `url`: <cache>/<name>-<first 16 hex of sha256(url)>. */
static int cache_path(trw_buf *out, const trw_source *src, const char *url)
{
	char hash[SHA256_HEX + 1], name[65];
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	const char *end = url + strlen(url), *start;
	size_t n = 0;
	int error = 0;

	if (src->cache_dir)
		error = trw_buf_puts(out, src->cache_dir);
	else if (xdg && xdg[0] == '/')	/* the XDG spec ignores relative values */
		error = trw_buf_printf(out, "%s/trawic/repos", xdg);
	else if (home && home[0] == '/')
		error = trw_buf_printf(out, "%s/.cache/trawic/repos", home);
	else
		error = trw_error_set(TRW_EINVALID,
		    "no cache directory for clones: set XDG_CACHE_HOME or HOME");
	if (error < 0)
		goto done;
	if ((error = make_dirs(out->ptr)) < 0)
		goto done;

	/* a readable name: the last path component, without ".git" */
	while (end > url && end[-1] == '/')
		end--;
	if (end - url > 4 && memcmp(end - 4, ".git", 4) == 0)
		end -= 4;
	start = end;
	while (start > url && start[-1] != '/' && start[-1] != ':')
		start--;
	for (const char *p = start; p < end && n < sizeof(name) - 1; p++) {
		char c = *p;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && n > 0);

		name[n++] = keep ? c : '_';
	}
	if (n == 0) {
		memcpy(name, "repo", 4);
		n = 4;
	}
	name[n] = '\0';
	sha256_hex(hash, url, strlen(url));
	hash[16] = '\0';
	error = trw_buf_printf(out, "/%s-%s", name, hash);

done:
	return error;
}

static int credentials_cb(git_credential **out, const char *url,
    const char *username_from_url, unsigned int allowed_types, void *payload)
{
	int *attempts = payload;

	(void)url;
	/* libgit2 asks again after each refusal: give the agent one go */
	if ((*attempts)++ > 0)
		return GIT_PASSTHROUGH;
	if (allowed_types & GIT_CREDENTIAL_SSH_KEY)
		return git_credential_ssh_key_from_agent(out,
		    username_from_url ? username_from_url : "git");
	if (allowed_types & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out,
		    username_from_url ? username_from_url : "git");
	return GIT_PASSTHROUGH;
}

/*
 * Fetch every branch both as a local branch (so that HEAD, "main" and
 * "feature" move with the remote) and as origin/<branch>, and every tag;
 * then point HEAD where the remote's HEAD points.
 */
static int fetch_origin(git_repository *repo, const char *url, const char *verb)
{
	static char *refspecs[] = {
		"+refs/heads/*:refs/heads/*",
		"+refs/heads/*:refs/remotes/origin/*",
		"+refs/tags/*:refs/tags/*",
	};
	git_strarray specs = { refspecs, sizeof(refspecs) / sizeof(refspecs[0]) };
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_remote_create_options co = GIT_REMOTE_CREATE_OPTIONS_INIT;
	git_remote *remote = NULL;
	git_buf head = GIT_BUF_INIT;
	int attempts = 0, error = 0;

	/* The URL is taken literally: the url.*.insteadOf lookup (and that of
	 * a named remote's settings) leaks pcre2 match data in libgit2 1.5.1,
	 * once per config entry, so the remote is anonymous and skips it. */
	co.repository = repo;
	co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, url, &co) < 0) {
		error = git_fail(TRW_ECLONE, "cannot %s '%s'", verb, url);
		goto done;
	}
	fo.callbacks.credentials = credentials_cb;
	fo.callbacks.payload = &attempts;
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	fo.update_fetchhead = 0;
	if (git_remote_fetch(remote, &specs, &fo, "trawic fetch") < 0) {
		error = git_fail(TRW_ECLONE, "cannot %s '%s'", verb, url);
		goto done;
	}
	/* an empty remote, or one with a detached HEAD: keep ours */
	if (git_remote_default_branch(&head, remote) == 0 &&
	    git_repository_set_head(repo, head.ptr) < 0) {
		error = git_fail(TRW_ECLONE, "cannot %s '%s': setting HEAD to '%s'",
		    verb, url, head.ptr);
		goto done;
	}
	git_error_clear();

done:
	git_buf_dispose(&head);
	git_remote_free(remote);
	return error;
}

/*
 * Clone into a temporary directory beside `dest`, then rename it into
 * place: an interrupted or failed clone never leaves a half-made cache
 * entry that a later run would take for a good one.
 */
static int clone_into(const char *url, const char *dest)
{
	git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	trw_buf tmp = TRW_BUF_INIT(0);
	int made = 0, error = 0;

	if ((error = trw_buf_printf(&tmp, "%s.tmp-XXXXXX", dest)) < 0)
		goto done;
	if (mkdtemp(tmp.ptr) == NULL) {
		error = trw_error_set(TRW_EIO, "cannot create '%s': %s", tmp.ptr, strerror(errno));
		goto done;
	}
	made = 1;
	io.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_NO_REINIT;
	/* origin is recorded for whoever looks into the cache by hand */
	if (git_repository_init_ext(&repo, tmp.ptr, &io) < 0 ||
	    git_repository_config(&cfg, repo) < 0 ||
	    git_config_set_string(cfg, "remote.origin.url", url) < 0 ||
	    git_config_set_string(cfg, "remote.origin.fetch",
	    "+refs/heads/*:refs/remotes/origin/*") < 0) {
		error = git_fail(TRW_ECLONE, "cannot clone '%s'", url);
		goto done;
	}
	if ((error = fetch_origin(repo, url, "clone")) < 0)
		goto done;
	git_config_free(cfg);
	cfg = NULL;
	git_repository_free(repo);
	repo = NULL;
	if (rename(tmp.ptr, dest) < 0) {
		struct stat st;

		/* another process finished the same clone first: use theirs */
		if ((errno == EEXIST || errno == ENOTEMPTY) && stat(dest, &st) == 0)
			goto done;
		error = trw_error_set(TRW_EIO, "cannot move the clone to '%s': %s",
		    dest, strerror(errno));
		goto done;
	}
	made = 0;

done:
	git_config_free(cfg);
	git_repository_free(repo);
	if (made)
		remove_tree(tmp.ptr);
	trw_buf_dispose(&tmp);
	return error;
}

static int open_repo(trw_source *src, const char *path)
{
	git_index *index = NULL;
	int error = 0;

	if ((error = git_repository_open_ext(&src->repo, path,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0) {
		const git_error *e = git_error_last();

		/* libgit2 1.5 words a failed ownership check as a missing
		 * config value (or GIT_EOWNER with safe.directory set) */
		if (error == GIT_EOWNER || (e && e->klass == GIT_ERROR_CONFIG &&
		    strstr(e->message, "safe.directory")))
			error = trw_error_set(TRW_ENOTREPO, "cannot open repository '%s': "
			    "it is owned by another user (see git's safe.directory)", path);
		else
			error = git_fail(error == GIT_ENOTFOUND ? TRW_ENOTREPO : TRW_ERROR,
			    "cannot open repository '%s'", path);
		goto done;
	}
	if (git_repository_odb(&src->odb, src->repo) < 0) {
		error = git_fail(TRW_ERROR, "cannot open the objects of '%s'", path);
		goto done;
	}
	/* attributes must come from the audited commit, never from whatever
	 * is staged in a working repository: give libgit2 an empty index */
	if (git_index_new(&index) < 0 || git_repository_set_index(src->repo, index) < 0) {
		error = git_fail(TRW_ERROR, "cannot set up '%s'", path);
		goto done;
	}

done:
	git_index_free(index);
	return error;
}

static int open_url(trw_source *src, const char *url)
{
	trw_buf dest = TRW_BUF_INIT(0);
	struct stat st;
	int error = 0;

	if ((error = cache_path(&dest, src, url)) < 0)
		goto done;
	if (stat(dest.ptr, &st) < 0) {
		if ((error = clone_into(url, dest.ptr)) < 0)
			goto done;
		if ((error = open_repo(src, dest.ptr)) < 0)
			goto done;
	} else {
		if ((error = open_repo(src, dest.ptr)) < 0) {
			char why[512];

			snprintf(why, sizeof(why), "the cached clone of '%s' (%s) does not open",
			    url, dest.ptr);
			error = error_prefix(TRW_ECLONE, why);
			goto done;
		}
		if (src->opts.fetch && (error = fetch_origin(src->repo, url, "fetch")) < 0)
			goto done;
	}

done:
	trw_buf_dispose(&dest);
	return error;
}

static int open_path(trw_source *src, const char *path)
{
	const git_error *e;
	struct stat st;
	int klass, error = 0;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			error = trw_error_set(TRW_ENOTFOUND, "no such file or directory: %s", path);
		else
			error = trw_error_set(TRW_EIO, "cannot open '%s': %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISDIR(st.st_mode)) {
		error = trw_error_set(TRW_ENOTREPO,
		    "not a repository or directory: %s", path);
		goto done;
	}
	if ((error = open_repo(src, path)) == 0)
		goto done;

	/* Only "no repository here" makes it a plain directory.  libgit2 1.5
	 * also says GIT_ENOTFOUND when another user owns the repository
	 * (safe.directory), which must not quietly become a plain walk. */
	e = git_error_last();
	klass = e ? e->klass : GIT_ERROR_NONE;
	git_repository_free(src->repo);
	src->repo = NULL;
	git_odb_free(src->odb);
	src->odb = NULL;
	if (error != TRW_ENOTREPO || klass != GIT_ERROR_REPOSITORY)
		goto done;
	git_error_clear();
	trw_error_clear();
	error = 0;
	if ((src->root = trw_strdup(path)) == NULL)
		error = TRW_ENOMEM;

done:
	return error;
}

int trw_source_open(trw_source **out, const char *spec, const trw_source_options *opts)
{
	static const trw_source_options defaults = TRW_SOURCE_OPTIONS_INIT;
	trw_source *src = NULL;
	int scp, error = 0;

	*out = NULL;
	if (opts && opts->version != TRW_SOURCE_OPTIONS_VERSION)
		return trw_error_set(TRW_EINVALID, "trw_source_options version %u, expected %d",
		    opts->version, TRW_SOURCE_OPTIONS_VERSION);
	if (!spec || !*spec)
		return trw_error_set(TRW_EINVALID, "empty repository spec");
	if ((src = calloc(1, sizeof(*src))) == NULL)
		return trw_error_oom();
	src->opts = opts ? *opts : defaults;
	if (src->opts.max_file_size == 0)
		src->opts.max_file_size = defaults.max_file_size;
	if (src->opts.minified_line == 0)
		src->opts.minified_line = defaults.minified_line;
	if (src->opts.cache_dir && (src->cache_dir = trw_strdup(src->opts.cache_dir)) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	src->opts.cache_dir = src->cache_dir;

	if (looks_like_url(spec, &scp)) {
		struct stat st;

		/* an existing local "a@b:c" is a path, as for git */
		if (scp && stat(spec, &st) == 0)
			error = open_path(src, spec);
		else
			error = open_url(src, spec);
	} else {
		error = open_path(src, spec);
	}
	if (error < 0)
		goto done;
	*out = src;
	src = NULL;

done:
	trw_source_free(src);
	return error;
}

void trw_source_free(trw_source *src)
{
	if (!src)
		return;
	drop_control(src);
	git_tree_free(src->tree);
	git_odb_free(src->odb);
	git_repository_free(src->repo);
	free(src->root);
	free(src->cache_dir);
	free(src->data);
	trw_buf_dispose(&src->path);
	free(src);
}
