/*
 * source.h - files of a repository at a revision.
 *
 * A repository spec is one of
 *   - a local path to a git repository (bare or not),
 *   - a URL libgit2 can clone (file://, https://, ssh://, git@host:path):
 *     cloned bare into $XDG_CACHE_HOME/trawic/repos/ (or ~/.cache/...),
 *     fetched again on later opens,
 *   - a plain directory that is not a repository (read from disk; the
 *     revision must then be NULL or "HEAD").
 * The tree at the revision is walked in git's order and each blob read
 * without a checkout.  Every entry is reported once to the caller's
 * callback, either as a file (with its bytes) or as a skip with a reason.
 * Nothing is accumulated: memory does not grow with the number of files.
 */
#ifndef TRW_SOURCE_H
#define TRW_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "lang.h"

typedef struct trw_source trw_source;

/* Why a file is not extracted.  Names are stable (see trw_skip_name). */
typedef enum {
	TRW_SKIP_NONE = 0,
	TRW_SKIP_BINARY,		/* a NUL byte in the first 8000 bytes */
	TRW_SKIP_TOO_LARGE,		/* size > max_file_size */
	TRW_SKIP_VENDORED,		/* linguist-vendored or a vendored folder */
	TRW_SKIP_GENERATED,		/* linguist-generated or a generated marker */
	TRW_SKIP_MINIFIED,		/* very long lines */
	TRW_SKIP_SUBMODULE,		/* a gitlink */
	TRW_SKIP_SYMLINK,		/* a symbolic link */
	TRW_SKIP_UNKNOWN_LANGUAGE,	/* no language by extension or shebang */
	TRW_SKIP_IGNORED,		/* matched by .trawicignore */
	TRW_SKIP_INVALID_UTF8,		/* bytes that are not UTF-8 */
	TRW_SKIP_EMPTY,			/* zero bytes */
	TRW_SKIP_EXCLUDED_LANGUAGE,	/* a language not asked for */
	TRW_SKIP_PARSE_ERROR,		/* set by the extractor, not the source */
	TRW_SKIP_UNREADABLE,		/* an I/O error reading this one file */
	TRW_SKIP_EXCLUDED_PATH,		/* outside the `paths` asked for */
	TRW_SKIP__COUNT
} trw_skip;

const char *trw_skip_name(trw_skip reason);

/* One file of the tree, borrowed by the callback for the call's duration. */
typedef struct trw_file {
	const char *path;	/* relative, '/'-separated, no leading "./" */
	char blob[65];		/* git blob oid in hex, or sha256 hex of the bytes;
				   "" for a plain file skipped unread */
	const trw_lang *lang;	/* NULL when skipped for unknown_language */
	uint64_t size;		/* bytes (also for skipped files when known) */
	const char *bytes;	/* NULL when skipped; not NUL-terminated */
	trw_skip skipped;	/* TRW_SKIP_NONE for a file to extract */
} trw_file;

typedef struct trw_source_options {
	unsigned int version;
	uint64_t max_file_size;		/* default 1 MiB */
	size_t minified_line;		/* a line this long => minified; default 1000 */
	const char *cache_dir;		/* clone cache; NULL = $XDG_CACHE_HOME/trawic/repos */
	int fetch;			/* re-fetch a cached clone (default 1) */
	const trw_lang *const *langs;	/* NULL-terminated filter, NULL = all */
	/* NULL-terminated globs (trw_glob_match, so '**' spans directories;
	 * a glob without '/' also matches a basename): a file that matches
	 * none is skipped as excluded_path, unread.  NULL = every path. */
	const char *const *paths;
} trw_source_options;

#define TRW_SOURCE_OPTIONS_VERSION 2
#define TRW_SOURCE_OPTIONS_INIT { TRW_SOURCE_OPTIONS_VERSION, 1024 * 1024, 1000, NULL, 1, NULL, \
	NULL }

/*
 * Open a repository spec.  `opts` may be NULL (defaults).
 * Errors: TRW_ENOTFOUND (no such path), TRW_ENOTREPO (neither a repository
 * nor a directory), TRW_ECLONE (clone/fetch failed), TRW_EINVALID.
 */
int trw_source_open(trw_source **out, const char *spec,
    const trw_source_options *opts);

/*
 * Resolve `rev` (NULL = "HEAD"; any revspec, tag, branch, remote-tracking
 * name) to a tree.  Errors: TRW_ENOTFOUND (unknown revision),
 * TRW_EAMBIGUOUS, TRW_EINVALID (a revision on a plain directory).
 */
int trw_source_set_revision(trw_source *src, const char *rev);

/* The resolved commit id in hex ("" for a plain directory); borrowed. */
const char *trw_source_commit(const trw_source *src);

/* Is the source a plain directory (not a git repository)? */
int trw_source_is_plain(const trw_source *src);

/*
 * Callback for each file.  Return 0 to go on, non-zero to stop the walk
 * (trw_source_foreach then returns that value).
 */
typedef int (*trw_source_cb)(const trw_file *file, void *payload);

/* Walk the tree at the current revision (HEAD if none was set). */
int trw_source_foreach(trw_source *src, trw_source_cb cb, void *payload);

/*
 * The number of files trw_source_foreach would report (skipped ones
 * included), from the tree or the directory listing alone: no blob or
 * file is read, so it is cheap next to the walk itself.  Meant for
 * progress; a plain directory may change in between.
 */
int trw_source_count(trw_source *src, uint64_t *out);

void trw_source_free(trw_source *src);

/* libgit2 global init/shutdown, reference counted; call once per process. */
int trw_source_global_init(void);
void trw_source_global_shutdown(void);

#endif
