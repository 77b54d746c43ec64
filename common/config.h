/*
 * config.h - trawic's configuration: git-config files read with libgit2.
 *
 * Files are stacked by level, a later level overriding an earlier one:
 *   system  $TRAWIC_SYSTEM_CONFIG if set (tests), else /etc/trawic/config
 *   user    $XDG_CONFIG_HOME/trawic/config (default ~/.config/trawic/config)
 *   repo    trw_config_add_repo: the repository's `.trawic`, then the
 *           `[trawic]` section of its own git config (which wins)
 *   file    added by the caller (e.g. `--config FILE`): highest of all
 * Command-line flags override all of them; that is the callers' business.
 * A missing file is no error; a file that does not parse is TRW_EINVALID
 * with a message naming the file and the line.
 *
 * Keys are "section.key" or "section.subsection.key", e.g.
 * "model.local.endpoint" for `[model "local"] endpoint = ...`.  As in
 * git, section and key names are case-insensitive (stored lower-case) and
 * a quoted subsection is case-sensitive; `[section.sub]` is the old form
 * of `[section "sub"]`, its subsection lower-cased.
 *
 * Every value remembers where it came from (file and line), so errors
 * can say `FILE:LINE: KEY: 'VALUE' is not ...`.  Files are read by
 * libgit2 (quoting, escapes, continuation lines, [include]); the lines
 * are found by a scan of the same file.
 *
 * The keys trawic knows, checked by trw_config_validate (docs/
 * configuration.md has the defaults and the details):
 *   [audit]   model (string: a spec or a [model] name), classifier (path),
 *             threshold, file-threshold (reals 0..1), semantic-threshold
 *             (int 0..100), kinds (comma list of function_name,
 *             class_name, variable_name, string, comment, docstring),
 *             max-file-size (size), fail-on (included | inconclusive |
 *             never), paths (multivar: globs), threads (int 0..1024),
 *             cache (path; "" = no cache), concurrency (int 0..1024),
 *             retries (int 0..100), timeout-ms (int 0..3600000)
 *   [report]  format (multivar: FORMAT, FORMAT=PATH or a PATH whose
 *             extension names the format; FORMAT json, sarif, junit,
 *             markdown or html), max-evidence (int >= 0)
 *   [daemon]  socket (path), group (group name or number), socket-mode
 *             (octal, at most 0777), workers, jobs-per-model (int
 *             1..256), model-concurrency (int 1..1024), queue-size (int
 *             1..1000000), max-request (size 1k..16m), max-output (size
 *             64k..4g), max-connections (int 1..100000), read-timeout-ms,
 *             write-timeout-ms (int 10..3600000), state-dir (path),
 *             allowed-schemes (multivar: comma lists of URL schemes, e.g.
 *             "https,file")
 *   [model "NAME"]  backend (llamacpp | openai | ollama | ref), endpoint
 *             (multivar: URLs), model, template (strings), path (path),
 *             concurrency (int 0..1024), timeout-ms (int 0..3600000),
 *             retries (int 0..100)
 * A size is a non-negative integer with an optional k, m or g suffix
 * (powers of 1024); an int takes git's k/m/g suffixes too.  Sections
 * other than these four are left alone (for other tools, and includes).
 */
#ifndef TRW_CONFIG_H
#define TRW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct trw_config trw_config;

typedef enum trw_config_level {
	TRW_CONFIG_SYSTEM = 1,
	TRW_CONFIG_USER = 2,
	TRW_CONFIG_REPO = 3,
	TRW_CONFIG_FILE = 4
} trw_config_level;

/* A configuration with no file in it. */
int trw_config_new(trw_config **out);

/* The system and user files (missing ones are skipped), plus `extra` at
 * TRW_CONFIG_FILE when it is not NULL (it must then exist). */
int trw_config_open_default(trw_config **out, const char *extra);

/* NULL is a no-op. */
void trw_config_free(trw_config *cfg);

/* Add the file at `path` at `level`; it replaces whatever was at that
 * level (for TRW_CONFIG_REPO, both files trw_config_add_repo added).
 * `must_exist`: a missing file is TRW_ENOTFOUND (else skipped, the level
 * left as it was).  A file added at TRW_CONFIG_REPO this way is trusted
 * like any other; only trw_config_add_repo applies the .trawic
 * restrictions. */
int trw_config_add_file(trw_config *cfg, const char *path, trw_config_level level,
    int must_exist);

/*
 * The repository level for `spec` (replacing any repository level
 * already there):
 *   1. `.trawic` at the root of the work tree (a non-bare repository) or
 *      of the directory (a plain directory that is not a repository);
 *      a bare repository has none.  It is read from disk, not from a
 *      revision.
 *   2. the `[trawic]` section of the repository's own git config file
 *      ($GIT_COMMON_DIR/config: `.git/config`, a bare repository's
 *      `config`), not the user's or the system's git config.  It wins
 *      over `.trawic`: it is the local user's, `.trawic` is whatever the
 *      repository's authors committed.  Names are mapped:
 *        [trawic] KEY = v                  -> audit.KEY
 *        [trawic "SECTION"] KEY = v        -> SECTION.KEY
 *        [trawic "model.NAME"] KEY = v     -> model.NAME.KEY
 *      (SECTION lower-cased, NAME kept as written); other sections of
 *      the git config are not read.
 * A URL spec (scheme://..., user@host:path) adds nothing, and neither
 * does a path that does not exist or a directory without either file.
 *
 * `.trawic` comes with the code being audited, so it may only set what
 * cannot send the code anywhere, read or write a local file, or change
 * the resources of the machine running the audit: audit.model (a
 * [model] name only, not a spec), audit.threshold, audit.file-threshold,
 * audit.semantic-threshold, audit.kinds, audit.fail-on, audit.paths and
 * report.max-evidence.  Any other key, [include]/[includeIf] sections
 * (refused before what they name is read) and a .trawic that is a
 * symbolic link make it TRW_EINVALID naming the file, line and key:
 * loud, not silently ignored.  The git config is the local user's own
 * and is trusted (its [include]s are followed).
 * Errors: TRW_EINVALID (a file that does not parse, a refused key),
 * TRW_EIO, TRW_ENOMEM.
 */
int trw_config_add_repo(trw_config *cfg, const char *spec);

/* The value of `key` from the highest level that sets it (the last line
 * of the file that does).  TRW_ENOTFOUND (no message set) when no level
 * does; TRW_EINVALID for a value of the wrong type, the message reading
 * "FILE:LINE: KEY: 'VALUE' is not ...".  get_string gives a malloc'ed
 * copy ("" for a key written without '=').
 *   int   git's integers: an optional k, m or g suffix (1024-based)
 *   bool  git's booleans: true/yes/on/1, false/no/off/0, a bare key = true
 *   real  a decimal number ("0.5", "1e-3"; no inf or nan)
 *   size  an unsigned integer with an optional k, m or g suffix */
int trw_config_get_string(const trw_config *cfg, const char *key, char **out);
int trw_config_get_int(const trw_config *cfg, const char *key, long long *out);
int trw_config_get_bool(const trw_config *cfg, const char *key, int *out);
int trw_config_get_real(const trw_config *cfg, const char *key, double *out);
int trw_config_get_size(const trw_config *cfg, const char *key, uint64_t *out);

/* Where the value trw_config_get_string would return comes from:
 * `*file` a malloc'ed path (a file pulled in by [include] is named
 * itself), `*line` 1-based, or 0 when the scan could not place it.
 * TRW_ENOTFOUND (no message) when the key is unset. */
int trw_config_get_origin(const trw_config *cfg, const char *key, char **file, int *line);

/* Every value of a multivar (a key given on several lines) from the
 * highest file that sets it, in file order: a user file's list replaces
 * the system's instead of adding to it (and within the repository level,
 * the git config's list replaces .trawic's).  `*out` is a NULL-terminated
 * malloc'ed array of malloc'ed strings (free with trw_config_strings_free),
 * `*n` its length; TRW_ENOTFOUND when no level sets the key. */
int trw_config_get_all(const trw_config *cfg, const char *key, char ***out, size_t *n);
void trw_config_strings_free(char **v);

/* Whether any level has a key starting with `prefix` (e.g. "model.local.");
 * the section name in `prefix` is case-insensitive. */
int trw_config_has_section(const trw_config *cfg, const char *prefix);

/* One value and its origin, borrowed for the duration of a callback. */
typedef struct trw_config_entry {
	const char *name;		/* normalised key, e.g. "model.Local.endpoint" */
	const char *value;		/* NULL for a key written without '=' */
	const char *file;		/* the file it was read from */
	int line;			/* 1-based; 0 when unknown */
	trw_config_level level;
} trw_config_entry;

/* Non-zero stops trw_config_foreach, which then returns that value. */
typedef int (*trw_config_foreach_cb)(const trw_config_entry *entry, void *payload);

/*
 * The effective configuration: the values trw_config_get_string and
 * trw_config_get_all would return, each once.  A single-valued key
 * gives its last line in the highest file that sets it; a multivar
 * (audit.paths, report.format, daemon.allowed-schemes, model.*.endpoint)
 * gives every line of that file.  Order: by level (system, user, repo: .trawic then git
 * config, file), then file order (an included file's values where the
 * include is).  Overridden values are not visited.
 */
int trw_config_foreach(const trw_config *cfg, trw_config_foreach_cb cb, void *payload);

/*
 * Check every value of every level (overridden ones too: a typo is a
 * typo wherever it is) against the keys above: an unknown key in
 * [audit], [report], [daemon] or [model "NAME"], a value of the wrong
 * type or out of range.  TRW_EINVALID for the first one found, in the
 * order of trw_config_foreach, with "FILE:LINE: KEY: 'VALUE' is not ..."
 * (or "FILE:LINE: KEY: unknown key in [SECTION]").
 */
int trw_config_validate(const trw_config *cfg);

#endif
