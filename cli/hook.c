/*
 * hook.c - `trawic hook`: install, remove, show and print the git hooks
 * that hand revisions to trawicd.
 *
 * The hook itself is a POSIX sh script generated from the template below;
 * this file finds the repository's hooks directory (core.hooksPath, read
 * through libgit2, else the common git directory's hooks/), writes the
 * script atomically, and keeps away from hooks it did not write: a file is
 * trawic's when it carries the marker line "# trawic-hook: TYPE".  A
 * foreign hook is replaced only with --force, and then kept as
 * NAME.trawic-backup, which `uninstall` puts back.
 *
 * It does not chain to other hooks (a hook manager such as pre-commit
 * does that better: see .pre-commit-hooks.yaml) and it never talks to the
 * daemon itself: the installed script calls `trawic submit`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "config.h"
#include "cli/cli.h"
#include "common/error.h"
#include "common/util.h"

#define MARKER "# trawic-hook: "
#define BACKUP_SUFFIX ".trawic-backup"
#define MAX_HOOK_READ (256 * 1024)	/* enough to find a marker in any sane hook */
#define MAX_SCRIPT (64 * 1024)

static const char *const hook_types[] = { "pre-push", "post-commit", "post-receive" };
#define NTYPES (sizeof(hook_types) / sizeof(hook_types[0]))

/*
 * The part of the script that does not change with the options.  The
 * generated header before it sets: hook, blocking, strict_default,
 * recorded (the trawic binary found at install time).
 *
 * Contract with git (githooks(5)): pre-push reads "<local ref> <local sha>
 * <remote ref> <remote sha>" lines and may refuse the push by exiting
 * non-zero; post-commit and post-receive cannot undo anything, so they
 * always exit 0; post-receive reads "<old> <new> <ref>" lines.  Hooks run
 * in the work tree's root (or $GIT_DIR when bare) with GIT_DIR set.
 */
static const char script_body[] =
	"strict=${TRAWIC_HOOK_STRICT:-$strict_default}\n"
	"\n"
	"warn() { printf 'trawic: warning: %s hook: %s\\n' \"$hook\" \"$*\" >&2; }\n"
	"\n"
	"# Git may still be writing ref lines: take them all before leaving.\n"
	"drain() { [ \"$hook\" = post-commit ] || cat > /dev/null 2>&1 || :; }\n"
	"\n"
	"# An audit that cannot run: refuse the push only in strict blocking mode.\n"
	"give_up() {\n"
	"\tdrain\n"
	"\tif [ \"$blocking\" = 1 ] && [ \"$strict\" = 1 ]; then\n"
	"\t\twarn \"$1; push refused (TRAWIC_HOOK_STRICT=1)\"\n"
	"\t\texit 1\n"
	"\tfi\n"
	"\twarn \"$1; no audit\"\n"
	"\texit 0\n"
	"}\n"
	"\n"
	"if [ \"${TRAWIC_HOOK_SKIP:-0}\" = 1 ]; then\n"
	"\tdrain\n"
	"\texit 0\n"
	"fi\n"
	"\n"
	"trawic=$recorded\n"
	"if [ ! -f \"$trawic\" ] || [ ! -x \"$trawic\" ]; then\n"
	"\ttrawic=$(command -v trawic 2> /dev/null) || trawic=\n"
	"fi\n"
	"[ -n \"$trawic\" ] || give_up \"trawic is neither at $recorded nor on PATH\"\n"
	"\n"
	"if [ \"$(git rev-parse --is-bare-repository 2> /dev/null)\" = true ]; then\n"
	"\trepo=$(git rev-parse --absolute-git-dir 2> /dev/null) || repo=\n"
	"else\n"
	"\trepo=$(git rev-parse --show-toplevel 2> /dev/null) || repo=\n"
	"fi\n"
	"[ -n \"$repo\" ] || give_up \"cannot tell which repository this is\"\n"
	"\n"
	"# The sequencer (rebase, cherry-pick) commits many times: audit the\n"
	"# result when it is pushed, not every step.\n"
	"if [ \"$hook\" = post-commit ]; then\n"
	"\tfor d in rebase-merge rebase-apply CHERRY_PICK_HEAD; do\n"
	"\t\tp=$(git rev-parse --git-path \"$d\" 2> /dev/null) || continue\n"
	"\t\tif [ -e \"$p\" ]; then exit 0; fi\n"
	"\tdone\n"
	"fi\n"
	"\n"
	"# The commits to audit: deletions (all zeros) skipped, tags peeled,\n"
	"# each commit once.\n"
	"revs=\n"
	"add() {\n"
	"\tcase $1 in\n"
	"\t*[!0]*) ;;\n"
	"\t*) return 0 ;;\n"
	"\tesac\n"
	"\tc=$(git rev-parse --verify --quiet \"$1^{commit}\" 2> /dev/null) || return 0\n"
	"\tcase \" $revs \" in\n"
	"\t*\" $c \"*) return 0 ;;\n"
	"\tesac\n"
	"\trevs=\"$revs $c\"\n"
	"}\n"
	"case $hook in\n"
	"pre-push)\n"
	"\twhile read -r _ lsha _ _; do add \"$lsha\"; done ;;\n"
	"post-receive)\n"
	"\twhile read -r _ new _; do add \"$new\"; done ;;\n"
	"*)\n"
	"\tadd HEAD ;;\n"
	"esac\n"
	"\n"
	"first_line() { printf '%s\\n' \"$1\" | sed -n '/./{s/^trawic: //;p;q;}'; }\n"
	"\n"
	"status=0\n"
	"for c in $revs; do\n"
	"\tshort=$(printf '%.12s' \"$c\")\n"
	"\tif [ \"$blocking\" = 0 ]; then\n"
	"\t\t# Queue it and go: one line either way, and never a failure.\n"
	"\t\tout=$(\"$trawic\" submit --rev \"$c\" \"$repo\" 2>&1 < /dev/null)\n"
	"\t\trc=$?\n"
	"\t\tif [ \"$rc\" -ne 0 ]; then\n"
	"\t\t\twarn \"audit of $short not submitted (exit $rc: $(first_line \"$out\"))\"\n"
	"\t\t\tbreak\n"
	"\t\tfi\n"
	"\t\tprintf 'trawic: audit of %s submitted: %s\\n' \"$short\" \"$(first_line \"$out\")\" >&2\n"
	"\t\tcontinue\n"
	"\tfi\n"
	"\tprintf 'trawic: auditing %s before the push (git push --no-verify skips this)\\n' \"$short\" >&2\n"
	"\t\"$trawic\" submit --wait --rev \"$c\" \"$repo\" < /dev/null >&2\n"
	"\trc=$?\n"
	"\tcase $rc in\n"
	"\t0) ;;\n"
	"\t1)\n"
	"\t\twarn \"the audit of $short exits 1 (judged included under audit.fail-on); push refused\"\n"
	"\t\tstatus=1\n"
	"\t\tbreak ;;\n"
	"\t*)\n"
	"\t\tif [ \"$strict\" = 1 ]; then\n"
	"\t\t\twarn \"the audit of $short did not complete (exit $rc); push refused (TRAWIC_HOOK_STRICT=1)\"\n"
	"\t\t\tstatus=1\n"
	"\t\t\tbreak\n"
	"\t\telse\n"
	"\t\t\twarn \"the audit of $short did not complete (exit $rc); push continues\"\n"
	"\t\tfi\n"
	"\t\t# an unreachable daemon will not answer for the next commit either\n"
	"\t\t[ \"$rc\" -ne 3 ] || break ;;\n"
	"\tesac\n"
	"done\n"
	"exit $status\n";

typedef struct opts {
	const char *action;
	const char *type;	/* NULL = default (pre-push; uninstall: all) */
	const char *repo;
	const char *trawic;	/* --trawic */
	int blocking, strict, force, quiet;
} opts;

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trawic hook install [--type TYPE] [--blocking [--strict]] [--force] [--repo PATH]\n"
	    "       trawic hook uninstall [--type TYPE] [--repo PATH]\n"
	    "       trawic hook status [--repo PATH]\n"
	    "       trawic hook print [--type TYPE] [--blocking [--strict]]\n"
	    "\n"
	    "Install a git hook that submits the commits you push (pre-push), commit\n"
	    "(post-commit) or receive on a server (post-receive) to trawicd for an\n"
	    "audit.  The hook goes into core.hooksPath when it is set, else into\n"
	    "the repository's hooks/ directory.  By default it queues the audit and\n"
	    "returns at once; it never stops a push or commit, and when trawicd is\n"
	    "down or trawic is missing it prints one warning and exits 0.\n"
	    "\n"
	    "  -t, --type TYPE     pre-push (default), post-commit or post-receive;\n"
	    "                      uninstall without --type removes all three\n"
	    "  -b, --blocking      pre-push only: wait for the audit and refuse the\n"
	    "                      push when it exits 1 (judged included under\n"
	    "                      audit.fail-on); when it could not run (exit 2, 3)\n"
	    "                      warn and let the push go\n"
	    "  -s, --strict        with --blocking: refuse the push when the audit\n"
	    "                      could not run, too (TRAWIC_HOOK_STRICT=0|1 at\n"
	    "                      push time overrides)\n"
	    "  -f, --force         replace a hook trawic did not write; it is kept\n"
	    "                      as NAME" BACKUP_SUFFIX " and restored by uninstall\n"
	    "  -C, --repo PATH     the repository (default: the one containing .)\n"
	    "      --trawic PATH   the trawic binary the hook calls (default: this\n"
	    "                      one); the hook falls back to trawic on PATH\n"
	    "  -q, --quiet         no message on success\n"
	    "  -h, --help          this text\n"
	    "\n"
	    "status lists the hooks directory and, per type, whether the hook is\n"
	    "trawic's, someone else's or absent; print writes the script to stdout\n"
	    "(for hook managers).  At push time TRAWIC_HOOK_SKIP=1 skips the hook.\n"
	    "\n"
	    "Exit status: 0 success, 2 error (not a repository, a foreign hook\n"
	    "without --force, bad option).\n");
}

static int type_index(const char *t)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (strcmp(t, hook_types[i]) == 0)
			return (int)i;
	return -1;
}

/* Append `s` as one single-quoted shell word. */
static int put_quoted(trw_buf *b, const char *s)
{
	int error;

	if ((error = trw_buf_puts(b, "'")) < 0)
		return error;
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			error = trw_buf_puts(b, "'\\''");
		else
			error = trw_buf_put(b, p, 1);
		if (error < 0)
			return error;
	}
	return trw_buf_puts(b, "'");
}

static int make_script(trw_buf *b, const char *type, int blocking, int strict,
    const char *trawic)
{
	int error;

	if ((error = trw_buf_printf(b,
	    "#!/bin/sh\n"
	    MARKER "%s\n"
	    "# Written by `trawic hook install` (trawic %s); `trawic hook uninstall`\n"
	    "# removes it and a new install overwrites it: do not edit it in place.\n"
	    "#\n", type, PACKAGE_VERSION)) < 0)
		return error;
	if (blocking)
		error = trw_buf_puts(b,
		    "# Blocking: waits for the audit of each pushed commit and refuses the\n"
		    "# push when the audit exits 1 (judged included under audit.fail-on).\n"
		    "# An audit that could not run (exit 2, 3) lets the push go with a\n"
		    "# warning, unless strict (TRAWIC_HOOK_STRICT=1).\n");
	else
		error = trw_buf_puts(b,
		    "# Non-blocking: queues an audit of each new commit with trawicd and\n"
		    "# returns at once.  It never fails: without trawic or trawicd it\n"
		    "# prints one warning and exits 0.\n");
	if (error < 0)
		return error;
	if ((error = trw_buf_printf(b,
	    "# TRAWIC_HOOK_SKIP=1 skips it for one command.\n"
	    "set -u\n"
	    "\n"
	    "hook=%s\n"
	    "blocking=%d\n"
	    "strict_default=%d\n"
	    "recorded=", type, blocking, strict)) < 0 ||
	    (error = put_quoted(b, trawic)) < 0 ||
	    (error = trw_buf_puts(b, "\n\n")) < 0)
		return error;
	return trw_buf_puts(b, script_body);
}

/* The absolute path of the running binary; malloc'ed, or NULL. */
static char *self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n > 0 && (size_t)n < sizeof(buf) - 1) {
		buf[n] = '\0';
		if (!strstr(buf, " (deleted)"))
			return trw_strdup(buf);
	}
	const char *path = getenv("PATH");
	while (path && *path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);

		if (len > 0 && path[0] == '/' &&
		    snprintf(buf, sizeof(buf), "%.*s/trawic", (int)len, path) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return trw_strdup(buf);
		path = colon ? colon + 1 : NULL;
	}
	return NULL;
}

/*
 * The hooks directory of the repository around `path` (malloc'ed):
 * core.hooksPath, relative to where git runs hooks (the work tree, or the
 * git directory when bare), else the common git directory's hooks/ (a
 * linked worktree shares its main repository's hooks).
 */
static int hooks_dir(char **out, int *configured, int *bare, const char *path)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_buf val = { 0 };
	trw_buf b = TRW_BUF_INIT(0);
	int error;

	*out = NULL;
	*configured = 0;
	if (git_repository_open_ext(&repo, path, 0, NULL) < 0) {
		const git_error *e = git_error_last();
		error = trw_error_set(TRW_ENOTREPO, "%s: not a git repository (%s)", path,
		    e ? e->message : "no details");
		goto done;
	}
	*bare = git_repository_is_bare(repo);
	if (git_repository_config_snapshot(&cfg, repo) < 0) {
		error = trw_error_set(TRW_ERROR, "cannot read the configuration of %s: %s", path,
		    git_error_last() ? git_error_last()->message : "no details");
		goto done;
	}
	error = git_config_get_path(&val, cfg, "core.hooksPath");
	if (error == 0 && val.ptr && val.ptr[0]) {
		*configured = 1;
		if (val.ptr[0] != '/') {
			const char *base = *bare ? git_repository_path(repo)
			    : git_repository_workdir(repo);
			size_t n = strlen(base);

			if ((error = trw_buf_put(&b, base, n)) < 0 ||
			    (n && base[n - 1] != '/' && (error = trw_buf_puts(&b, "/")) < 0))
				goto done;
		}
		error = trw_buf_puts(&b, val.ptr);
	} else if (error == 0 || error == GIT_ENOTFOUND) {
		error = trw_buf_printf(&b, "%shooks", git_repository_commondir(repo));
	} else {
		error = trw_error_set(TRW_EINVALID, "core.hooksPath: %s",
		    git_error_last() ? git_error_last()->message : "bad value");
	}
	if (error < 0)
		goto done;
	/* "dir/" and "dir" are the same directory; keep messages tidy */
	while (b.size > 1 && b.ptr[b.size - 1] == '/')
		b.ptr[--b.size] = '\0';
	*out = b.ptr;
	b.ptr = NULL;
done:
	trw_buf_dispose(&b);
	git_buf_dispose(&val);
	git_config_free(cfg);
	git_repository_free(repo);
	return error;
}

enum { HOOK_NONE = 0, HOOK_OURS, HOOK_FOREIGN };

/*
 * What is at `path`: nothing, trawic's hook (its marker line; *blocking
 * read from the script), or a foreign file.  A file that cannot be read
 * is foreign: never touch what we cannot identify.
 */
static int classify(const char *path, int *blocking)
{
	struct stat st;
	char *buf;
	size_t n;
	FILE *f;
	int kind = HOOK_FOREIGN;

	*blocking = 0;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? HOOK_NONE : HOOK_FOREIGN;
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return HOOK_FOREIGN;
	if (!(f = fopen(path, "rb")))
		return HOOK_FOREIGN;
	if (!(buf = malloc(MAX_HOOK_READ + 1))) {
		fclose(f);
		return HOOK_FOREIGN;
	}
	n = fread(buf, 1, MAX_HOOK_READ, f);
	buf[n] = '\0';
	fclose(f);
	/* the marker is the second line of the scripts we write; accept it
	 * anywhere at the start of a line so a hand-moved copy still counts */
	for (char *line = buf; line && *line; ) {
		char *next = strchr(line, '\n');

		if (strncmp(line, MARKER, strlen(MARKER)) == 0)
			kind = HOOK_OURS;
		else if (kind == HOOK_OURS && strncmp(line, "blocking=1", 10) == 0)
			*blocking = 1;
		line = next ? next + 1 : NULL;
	}
	free(buf);
	return kind;
}

static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof(path))
		return trw_error_set(TRW_EINVALID, "%s: path too long", dir);
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			return trw_error_set(TRW_EIO, "cannot create %s: %s", path, strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/* Write `data` to `path` through a temporary file and a rename, mode 0755. */
static int write_hook(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, error = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.trawic-tmp", path) >= (int)sizeof(tmp))
		return trw_error_set(TRW_EINVALID, "%s: path too long", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700)) < 0)
		return trw_error_set(TRW_EIO, "cannot create %s: %s", tmp, strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			error = trw_error_set(TRW_EIO, "cannot write %s: %s", tmp, strerror(errno));
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	/* executable by whoever may read it: hooks are run by other tools too */
	if (!error && fchmod(fd, 0755) < 0)
		error = trw_error_set(TRW_EIO, "cannot chmod %s: %s", tmp, strerror(errno));
	if (close(fd) < 0 && !error)
		error = trw_error_set(TRW_EIO, "cannot write %s: %s", tmp, strerror(errno));
	if (!error && rename(tmp, path) < 0)
		error = trw_error_set(TRW_EIO, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
	if (error)
		unlink(tmp);
	return error;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int do_install(const opts *o, const char *dir, int bare)
{
	trw_buf script = TRW_BUF_INIT(MAX_SCRIPT);
	char *trawic = NULL, path[PATH_MAX], backup[PATH_MAX];
	const char *type = o->type ? o->type : "pre-push";
	int blocking, kind, rc = EXIT_ERROR;

	if (o->blocking && strcmp(type, "pre-push") != 0) {
		cli_error("--blocking applies to pre-push only: a %s hook runs after the %s "
		    "and cannot undo it (enforce on the server in CI instead)", type,
		    strcmp(type, "post-commit") == 0 ? "commit" : "push");
		return EXIT_ERROR;
	}
	if (o->strict && !o->blocking) {
		cli_error("--strict needs --blocking (a non-blocking hook never fails)");
		return EXIT_ERROR;
	}
	if (o->trawic) {
		char real[PATH_MAX];

		if (!realpath(o->trawic, real) || access(real, X_OK) < 0) {
			cli_error("--trawic %s: not an executable file", o->trawic);
			return EXIT_ERROR;
		}
		trawic = trw_strdup(real);
	} else {
		trawic = self_path();
	}
	if (!trawic && !(trawic = trw_strdup("trawic")))
		goto done;
	if (snprintf(path, sizeof(path), "%s/%s", dir, type) >= (int)sizeof(path) ||
	    snprintf(backup, sizeof(backup), "%s%s", path, BACKUP_SUFFIX) >= (int)sizeof(backup)) {
		cli_error("%s: path too long", dir);
		goto done;
	}
	kind = classify(path, &blocking);
	if (kind == HOOK_FOREIGN) {
		if (!o->force) {
			cli_error("%s exists and trawic did not write it; --force replaces it "
			    "(kept as %s" BACKUP_SUFFIX ")", path, type);
			goto done;
		}
		if (exists(backup)) {
			cli_error("%s exists and so does %s: move one of them away first",
			    path, backup);
			goto done;
		}
	}
	if (make_script(&script, type, o->blocking, o->strict, trawic) < 0 ||
	    mkdir_p(dir) < 0) {
		cli_error("%s", trw_error_last());
		goto done;
	}
	if (kind == HOOK_FOREIGN && rename(path, backup) < 0) {
		cli_error("cannot move %s to %s: %s", path, backup, strerror(errno));
		goto done;
	}
	if (write_hook(path, script.ptr, script.size) < 0) {
		cli_error("%s", trw_error_last());
		/* put the user's hook back where it was */
		if (kind == HOOK_FOREIGN && rename(backup, path) < 0)
			cli_error("%s is now at %s", path, backup);
		goto done;
	}
	if (!o->quiet) {
		fprintf(stderr, "trawic: %s %s hook at %s (%s; calls %s)\n",
		    kind == HOOK_OURS ? "updated the" : "installed a", type, path,
		    o->blocking ? (o->strict ? "blocking, strict" : "blocking") : "non-blocking",
		    trawic);
		if (kind == HOOK_FOREIGN)
			fprintf(stderr, "trawic: the previous hook is kept as %s\n", backup);
		if (bare && strcmp(type, "post-receive") != 0)
			fprintf(stderr, "trawic: note: this is a bare repository: a %s hook "
			    "runs only if commits are made or pushed from it\n", type);
		else if (!bare && strcmp(type, "post-receive") == 0)
			fprintf(stderr, "trawic: note: post-receive runs when this repository "
			    "receives a push; it is meant for bare server repositories\n");
	}
	rc = EXIT_OK;
done:
	free(trawic);
	trw_buf_dispose(&script);
	return rc;
}

/* Remove trawic's hook of type `type`, restoring a backup; 1 if nothing to do. */
static int uninstall_one(const opts *o, const char *dir, const char *type)
{
	char path[PATH_MAX], backup[PATH_MAX];
	int blocking, kind, had_backup;

	if (snprintf(path, sizeof(path), "%s/%s", dir, type) >= (int)sizeof(path) ||
	    snprintf(backup, sizeof(backup), "%s%s", path, BACKUP_SUFFIX) >= (int)sizeof(backup)) {
		cli_error("%s: path too long", dir);
		return -1;
	}
	kind = classify(path, &blocking);
	had_backup = exists(backup);
	if (kind == HOOK_FOREIGN) {
		/* asked for by name: say no; swept by a bare uninstall: leave it */
		if (o->type) {
			cli_error("%s was not written by trawic; left alone", path);
			return -1;
		}
		return 1;
	}
	if (kind == HOOK_NONE && !had_backup)
		return 1;
	if (kind == HOOK_OURS && unlink(path) < 0) {
		cli_error("cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	if (had_backup && rename(backup, path) < 0) {
		cli_error("cannot restore %s from %s: %s", path, backup, strerror(errno));
		return -1;
	}
	if (!o->quiet) {
		if (kind == HOOK_OURS)
			fprintf(stderr, "trawic: removed the %s hook at %s\n", type, path);
		if (had_backup)
			fprintf(stderr, "trawic: restored the previous %s hook from %s\n",
			    type, backup);
	}
	return 0;
}

static int do_uninstall(const opts *o, const char *dir)
{
	int failed = 0, removed = 0;

	for (size_t i = 0; i < NTYPES; i++) {
		if (o->type && strcmp(o->type, hook_types[i]) != 0)
			continue;
		int r = uninstall_one(o, dir, hook_types[i]);

		failed |= r < 0;
		removed |= r == 0;
	}
	if (!failed && !removed && !o->quiet)
		fprintf(stderr, "trawic: no trawic %s hook in %s; nothing to do\n",
		    o->type ? o->type : "", dir);
	return failed ? EXIT_ERROR : EXIT_OK;
}

static int do_status(const char *dir, int configured)
{
	printf("hooks directory: %s%s\n", dir, configured ? " (core.hooksPath)" : "");
	for (size_t i = 0; i < NTYPES; i++) {
		char path[PATH_MAX], backup[PATH_MAX];
		int blocking, kind;

		if (snprintf(path, sizeof(path), "%s/%s", dir, hook_types[i]) >= (int)sizeof(path) ||
		    snprintf(backup, sizeof(backup), "%s%s", path, BACKUP_SUFFIX) >= (int)sizeof(backup)) {
			cli_error("%s: path too long", dir);
			return EXIT_ERROR;
		}
		kind = classify(path, &blocking);
		printf("%-13s %s%s\n", hook_types[i],
		    kind == HOOK_NONE ? "none" : kind == HOOK_FOREIGN ? "other (not trawic's)" :
		    blocking ? "trawic (blocking)" : "trawic (non-blocking)",
		    exists(backup) ? ", previous hook kept as " BACKUP_SUFFIX : "");
	}
	return EXIT_OK;
}

int cmd_hook(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "blocking", no_argument, NULL, 'b' },
		{ "strict", no_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "repo", required_argument, NULL, 'C' },
		{ "trawic", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	opts o = { 0 };
	char *dir = NULL;
	int c, configured = 0, bare = 0, rc = EXIT_ERROR;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		help(stdout);
		return EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-') {
		help(stderr);
		return EXIT_ERROR;
	}
	o.action = argv[1];
	o.repo = ".";
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:bsfC:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (type_index(optarg) < 0) {
				cli_error("--type: '%s' is not pre-push, post-commit or post-receive",
				    optarg);
				return EXIT_ERROR;
			}
			o.type = optarg;
			break;
		case 'b': o.blocking = 1; break;
		case 's': o.strict = 1; break;
		case 'f': o.force = 1; break;
		case 'C': o.repo = optarg; break;
		case 'T': o.trawic = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'h': help(stdout); return EXIT_OK;
		default: help(stderr); return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		cli_error("hook %s: unexpected argument '%s'", o.action, argv[optind]);
		return EXIT_ERROR;
	}

	if (strcmp(o.action, "print") == 0) {
		trw_buf script = TRW_BUF_INIT(MAX_SCRIPT);
		char *trawic = o.trawic ? trw_strdup(o.trawic) : self_path();
		const char *type = o.type ? o.type : "pre-push";

		if (o.blocking && strcmp(type, "pre-push") != 0)
			cli_error("--blocking applies to pre-push only");
		else if (o.strict && !o.blocking)
			cli_error("--strict needs --blocking (a non-blocking hook never fails)");
		else if (make_script(&script, type, o.blocking, o.strict,
		    trawic ? trawic : "trawic") < 0)
			cli_error("%s", trw_error_last());
		else if (fwrite(script.ptr, 1, script.size, stdout) == script.size &&
		    fflush(stdout) == 0)
			rc = EXIT_OK;
		free(trawic);
		trw_buf_dispose(&script);
		return rc;
	}
	if (strcmp(o.action, "install") != 0 && strcmp(o.action, "uninstall") != 0 &&
	    strcmp(o.action, "status") != 0) {
		cli_error("hook: '%s' is not install, uninstall, status or print", o.action);
		return EXIT_ERROR;
	}

	git_libgit2_init();
	if (hooks_dir(&dir, &configured, &bare, o.repo) < 0) {
		cli_error("%s", trw_error_last());
		goto done;
	}
	if (strcmp(o.action, "install") == 0)
		rc = do_install(&o, dir, bare);
	else if (strcmp(o.action, "uninstall") == 0)
		rc = do_uninstall(&o, dir);
	else
		rc = do_status(dir, configured);
done:
	free(dir);
	git_libgit2_shutdown();
	return rc;
}
