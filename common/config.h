/*
 * config.h - trawic's configuration: git-config files read with libgit2.
 *
 * Files are stacked by level, a later level overriding an earlier one:
 *   system  $TRAWIC_SYSTEM_CONFIG if set (tests), else /etc/trawic/config
 *   user    $XDG_CONFIG_HOME/trawic/config (default ~/.config/trawic/config)
 *   repo    added by the caller (a repository's .trawic)
 *   file    added by the caller (e.g. `--config FILE`): highest of all
 * A missing file is no error; a file that does not parse is TRW_EINVALID
 * with a message naming the file and the line.
 *
 * Keys are "section.key" or "section.subsection.key", e.g.
 * "model.local.endpoint" for `[model "local"] endpoint = ...`.
 */
#ifndef TRW_CONFIG_H
#define TRW_CONFIG_H

#include <stddef.h>

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

void trw_config_free(trw_config *cfg);

/* Add the file at `path` at `level`; it replaces any file at that level.
 * `must_exist`: a missing file is TRW_ENOTFOUND (else skipped). */
int trw_config_add_file(trw_config *cfg, const char *path, trw_config_level level,
    int must_exist);

/* The value of `key` from the highest level that sets it.  TRW_ENOTFOUND
 * (no message set) when no level does; TRW_EINVALID for a value of the
 * wrong type (the message names the key).  get_string gives a malloc'ed
 * copy. */
int trw_config_get_string(const trw_config *cfg, const char *key, char **out);
int trw_config_get_int(const trw_config *cfg, const char *key, long long *out);
int trw_config_get_bool(const trw_config *cfg, const char *key, int *out);

/* Every value of a multivar (a key given on several lines) from the
 * highest level that sets it, in file order: a user file's list replaces
 * the system's instead of adding to it.  `*out` is a NULL-terminated
 * malloc'ed array of malloc'ed strings (free with trw_config_strings_free),
 * `*n` its length; TRW_ENOTFOUND when no level sets the key. */
int trw_config_get_all(const trw_config *cfg, const char *key, char ***out, size_t *n);
void trw_config_strings_free(char **v);

/* Whether any level has a key starting with `prefix` (e.g. "model.local."). */
int trw_config_has_section(const trw_config *cfg, const char *prefix);

#endif
