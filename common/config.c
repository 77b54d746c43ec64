/*
 * config.c - trawic's configuration, stacked git-config files read with
 * libgit2's config API (design.md, "Configuration").
 *
 * It maps trawic's four levels onto libgit2's (system, global, local,
 * app), so libgit2 does the parsing and the precedence; this module adds
 * the default paths, turns libgit2's errors into trawic's codes with a
 * message that names the file and line, and gives multivars "the highest
 * level wins" semantics.  It does not know what any key means: callers
 * (the engine's [model "NAME"] sections, later the daemon) do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "common/config.h"
#include "common/error.h"
#include "common/util.h"

struct trw_config {
	git_config *git;
};

static git_config_level_t git_level(trw_config_level level)
{
	switch (level) {
	case TRW_CONFIG_SYSTEM: return GIT_CONFIG_LEVEL_SYSTEM;
	case TRW_CONFIG_USER: return GIT_CONFIG_LEVEL_GLOBAL;
	case TRW_CONFIG_REPO: return GIT_CONFIG_LEVEL_LOCAL;
	default: return GIT_CONFIG_LEVEL_APP;
	}
}

static const char *git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

int trw_config_new(trw_config **out)
{
	trw_config *cfg = NULL;
	int error = 0;

	*out = NULL;
	if (git_libgit2_init() < 0)
		return trw_error_set(TRW_ERROR, "libgit2 does not initialise: %s", git_message());
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		git_libgit2_shutdown();
		return trw_error_oom();
	}
	if (git_config_new(&cfg->git) < 0) {
		error = trw_error_set(TRW_ERROR, "configuration: %s", git_message());
		goto done;
	}
	*out = cfg;
	cfg = NULL;
done:
	trw_config_free(cfg);
	return error;
}

void trw_config_free(trw_config *cfg)
{
	if (!cfg)
		return;
	git_config_free(cfg->git);
	free(cfg);
	/* Paired with the init in trw_config_new: libgit2 counts them. */
	git_libgit2_shutdown();
}

int trw_config_add_file(trw_config *cfg, const char *path, trw_config_level level,
    int must_exist)
{
	struct stat st;

	if (!path || !*path)
		return trw_error_set(TRW_EINVALID, "configuration: empty file name");
	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			if (must_exist)
				return trw_error_set(TRW_ENOTFOUND, "configuration file '%s': "
				    "no such file", path);
			return 0;
		}
		return trw_error_set(TRW_EIO, "configuration file '%s': %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return trw_error_set(TRW_EINVALID, "configuration file '%s': not a regular file",
		    path);
	/* libgit2's parse error reads "failed to parse config file: <why>
	 * (in <path>:<line>, column <c>)": file and line are in it. */
	if (git_config_add_file_ondisk(cfg->git, path, git_level(level), NULL, 1) < 0)
		return trw_error_set(TRW_EINVALID, "configuration file '%s' does not load: %s",
		    path, git_message());
	return 0;
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

/* TRW_ENOTFOUND without a message for an unset key, else the type error. */
static int lookup_error(int rc, const char *key)
{
	if (rc == GIT_ENOTFOUND)
		return TRW_ENOTFOUND;
	return trw_error_set(TRW_EINVALID, "configuration key '%s': %s", key, git_message());
}

int trw_config_get_string(const trw_config *cfg, const char *key, char **out)
{
	git_config_entry *entry = NULL;
	int rc;

	*out = NULL;
	/* get_entry, not get_string: the latter wants a snapshot. */
	if ((rc = git_config_get_entry(&entry, cfg->git, key)) < 0)
		return lookup_error(rc, key);
	*out = trw_strdup(entry->value ? entry->value : "");
	git_config_entry_free(entry);
	return *out ? 0 : TRW_ENOMEM;
}

int trw_config_get_int(const trw_config *cfg, const char *key, long long *out)
{
	int64_t v = 0;
	int rc;

	*out = 0;
	if ((rc = git_config_get_int64(&v, cfg->git, key)) < 0)
		return lookup_error(rc, key);
	*out = (long long)v;
	return 0;
}

int trw_config_get_bool(const trw_config *cfg, const char *key, int *out)
{
	int v = 0, rc;

	*out = 0;
	if ((rc = git_config_get_bool(&v, cfg->git, key)) < 0)
		return lookup_error(rc, key);
	*out = v != 0;
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
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	char **v = NULL;
	size_t len = 0, alloc = 0;
	int top = -1, rc, error = 0;

	*out = NULL;
	*n = 0;
	/* First pass: the highest level that sets the key. */
	if (git_config_multivar_iterator_new(&it, cfg->git, key, NULL) < 0)
		return lookup_error(-1, key);
	while ((rc = git_config_next(&entry, it)) == 0)
		if ((int)entry->level > top)
			top = (int)entry->level;
	git_config_iterator_free(it);
	it = NULL;
	if (rc != GIT_ITEROVER)
		return lookup_error(rc, key);
	if (top < 0)
		return TRW_ENOTFOUND;
	if (git_config_multivar_iterator_new(&it, cfg->git, key, NULL) < 0)
		return lookup_error(-1, key);
	while ((rc = git_config_next(&entry, it)) == 0) {
		if ((int)entry->level != top)
			continue;
		if (len + 2 > alloc) {
			size_t na = alloc ? 2 * alloc : 8;
			char **p = realloc(v, na * sizeof(*p));

			if (!p) {
				error = trw_error_oom();
				goto done;
			}
			v = p;
			alloc = na;
		}
		if ((v[len] = trw_strdup(entry->value ? entry->value : "")) == NULL) {
			error = TRW_ENOMEM;
			goto done;
		}
		v[++len] = NULL;
	}
	if (rc != GIT_ITEROVER) {
		error = lookup_error(rc, key);
		goto done;
	}
	*out = v;
	*n = len;
	v = NULL;
done:
	if (v) {
		v[len] = NULL;
		trw_config_strings_free(v);
	}
	git_config_iterator_free(it);
	return error;
}

int trw_config_has_section(const trw_config *cfg, const char *prefix)
{
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	size_t n = strlen(prefix);
	int found = 0;

	if (git_config_iterator_new(&it, cfg->git) < 0)
		return 0;
	while (!found && git_config_next(&entry, it) == 0)
		found = strncmp(entry->name, prefix, n) == 0;
	git_config_iterator_free(it);
	return found;
}
