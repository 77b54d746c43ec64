/*
 * test_config.c - the configuration's levels: system < user < repository
 * (.trawic < [trawic] of its git config) < extra file, missing files
 * skipped, multivars from the highest file only, the origin (file and
 * line) of every value, the effective list, the key table's checks, the
 * limits on a committed .trawic, and errors that name file, line and
 * key.  Real files in a temporary directory; the system path comes from
 * TRAWIC_SYSTEM_CONFIG.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/error.h"

static char dir[] = "/tmp/trawic-config-XXXXXX";
static char sys_path[256], user_dir[256], user_path[400], extra_path[256], bad_path[256];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	char sub[300];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(sys_path, sizeof(sys_path), "%s/system", dir);
	snprintf(user_dir, sizeof(user_dir), "%s/xdg", dir);
	snprintf(sub, sizeof(sub), "%s/trawic", user_dir);
	snprintf(user_path, sizeof(user_path), "%s/config", sub);
	snprintf(extra_path, sizeof(extra_path), "%s/extra", dir);
	snprintf(bad_path, sizeof(bad_path), "%s/bad", dir);
	if (mkdir(user_dir, 0700) < 0 || mkdir(sub, 0700) < 0)
		return -1;
	setenv("TRAWIC_SYSTEM_CONFIG", sys_path, 1);
	setenv("XDG_CONFIG_HOME", user_dir, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *get(trw_config *cfg, const char *key)
{
	static char value[256];
	char *s = NULL;

	if (trw_config_get_string(cfg, key, &s) < 0)
		return NULL;
	snprintf(value, sizeof(value), "%s", s);
	free(s);
	return value;
}

static void precedence(void **state)
{
	trw_config *cfg = NULL;
	long long n = 0;
	int b = 0;

	(void)state;
	write_file(sys_path,
	    "[model \"m\"]\n\turl = system\n\tonlysys = s\n\ttimeout-ms = 10\n");
	write_file(user_path,
	    "[model \"m\"]\n\turl = user\n\tonlyuser = u\n\ttimeout-ms = 20\n\tflag = yes\n");
	write_file(extra_path, "[model \"m\"]\n\turl = extra\n");

	assert_int_equal(trw_config_open_default(&cfg, NULL), 0);
	assert_string_equal(get(cfg, "model.m.url"), "user");
	assert_string_equal(get(cfg, "model.m.onlysys"), "s");
	assert_string_equal(get(cfg, "model.m.onlyuser"), "u");
	assert_int_equal(trw_config_get_int(cfg, "model.m.timeout-ms", &n), 0);
	assert_int_equal(n, 20);
	assert_int_equal(trw_config_get_bool(cfg, "model.m.flag", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(trw_config_get_string(cfg, "model.m.none", &(char *){ NULL }),
	    TRW_ENOTFOUND);
	assert_int_equal(trw_config_has_section(cfg, "model.m."), 1);
	assert_int_equal(trw_config_has_section(cfg, "model.x."), 0);
	trw_config_free(cfg);

	assert_int_equal(trw_config_open_default(&cfg, extra_path), 0);
	assert_string_equal(get(cfg, "model.m.url"), "extra");
	assert_string_equal(get(cfg, "model.m.onlyuser"), "u");
	trw_config_free(cfg);

	/* A repository file sits between the user and the extra file. */
	assert_int_equal(trw_config_open_default(&cfg, extra_path), 0);
	write_file(bad_path, "[model \"m\"]\n\turl = repo\n\tonlyuser = r\n");
	assert_int_equal(trw_config_add_file(cfg, bad_path, TRW_CONFIG_REPO, 1), 0);
	assert_string_equal(get(cfg, "model.m.url"), "extra");
	assert_string_equal(get(cfg, "model.m.onlyuser"), "r");
	trw_config_free(cfg);

	/* Type errors name the key. */
	write_file(extra_path, "[model \"m\"]\n\ttimeout-ms = soon\n");
	assert_int_equal(trw_config_open_default(&cfg, extra_path), 0);
	assert_int_equal(trw_config_get_int(cfg, "model.m.timeout-ms", &n), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "model.m.timeout-ms"));
	trw_config_free(cfg);
}

static void missing_files(void **state)
{
	trw_config *cfg = NULL;
	char nowhere[300];

	(void)state;
	snprintf(nowhere, sizeof(nowhere), "%s/nowhere", dir);
	setenv("TRAWIC_SYSTEM_CONFIG", nowhere, 1);
	setenv("XDG_CONFIG_HOME", nowhere, 1);
	assert_int_equal(trw_config_open_default(&cfg, NULL), 0);
	assert_null(get(cfg, "model.m.url"));
	trw_config_free(cfg);
	/* An extra file named on the command line must exist. */
	assert_int_equal(trw_config_open_default(&cfg, nowhere), TRW_ENOTFOUND);
	assert_null(cfg);
	assert_non_null(strstr(trw_error_last(), nowhere));
	setenv("TRAWIC_SYSTEM_CONFIG", sys_path, 1);
	setenv("XDG_CONFIG_HOME", user_dir, 1);
}

static void multivar(void **state)
{
	trw_config *cfg = NULL;
	char **v = NULL;
	size_t n = 0;

	(void)state;
	write_file(sys_path, "[model \"m\"]\n\tendpoint = http://sys:1\n");
	write_file(user_path, "[model \"m\"]\n\tendpoint = http://a:1\n"
	    "\tendpoint = http://b:2\n\tendpoint = http://c:3\n");
	assert_int_equal(trw_config_open_default(&cfg, NULL), 0);
	assert_int_equal(trw_config_get_all(cfg, "model.m.endpoint", &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "http://a:1");
	assert_string_equal(v[1], "http://b:2");
	assert_string_equal(v[2], "http://c:3");
	assert_null(v[3]);
	trw_config_strings_free(v);
	assert_int_equal(trw_config_get_all(cfg, "model.m.nothing", &v, &n), TRW_ENOTFOUND);
	assert_int_equal(n, 0);
	trw_config_free(cfg);
}

static void syntax_error(void **state)
{
	trw_config *cfg = NULL;
	char want[300];

	(void)state;
	write_file(bad_path, "[model \"m\"]\n\turl = x\n[model \"oops\n\turl = y\n");
	assert_int_equal(trw_config_open_default(&cfg, bad_path), TRW_EINVALID);
	assert_null(cfg);
	print_message("# %s\n", trw_error_last());
	snprintf(want, sizeof(want), "%s:3", bad_path);
	assert_non_null(strstr(trw_error_last(), want));
}

/* A file whose lines the origin scan must find in spite of git-config's
 * odd corners: comments, continuation lines, quotes holding ';', a key
 * on the header's line, [section.sub], escaped quotes in a subsection,
 * CRLF, an [include] (relative to the including file). */
static void origins(void **state)
{
	trw_config *cfg = NULL;
	char inc[300], *file = NULL;
	int line = 0;
	static const struct {
		const char *key;
		int in_inc;
		int line;
	} want[] = {
		{ "audit.model", 0, 3 },
		{ "audit.classifier", 0, 5 },
		{ "model.foo.path", 0, 6 },
		{ "model.Q\"x.path", 0, 8 },
		{ "audit.retries", 1, 2 },
		{ "audit.threads", 0, 12 },
		{ "AUDIT.Timeout-MS", 0, 13 },
		{ "model.K.endpoint", 0, 17 },
	};

	(void)state;
	snprintf(inc, sizeof(inc), "%s/inc", dir);
	write_file(inc, "[audit]\n\tretries = 7\n");
	write_file(extra_path,
	    "; a comment\n"
	    "[AUDIT]\n"
	    "\tmodel = \"a \\\n  b\" ; comment \\\n"
	    "\tclassifier = x # y \\\n"
	    "[model.Foo] path = /p\n"
	    "[Model \"Q\\\"x\"]\n"
	    "  PATH = q\n"
	    "[include]\n"
	    "\tpath = inc\n"
	    "[audit]\r\n"
	    "\tthreads = 3\r\n"
	    "[audit] timeout-ms = 5 ; t\n"
	    "[model \"K\"]\n"
	    "\tendpoint = \"e;1\"\n"
	    "\tendpoint = e2\n"
	    "\tendpoint = e3\n");
	write_file(sys_path, "");
	write_file(user_path, "");
	assert_int_equal(trw_config_open_default(&cfg, extra_path), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(trw_config_get_origin(cfg, want[i].key, &file, &line), 0);
		print_message("# %s: %s:%d\n", want[i].key, file, line);
		assert_string_equal(file, want[i].in_inc ? inc : extra_path);
		assert_int_equal(line, want[i].line);
		free(file);
	}
	assert_string_equal(get(cfg, "audit.model"), "a   b");
	assert_string_equal(get(cfg, "model.K.endpoint"), "e3");
	assert_int_equal(trw_config_get_origin(cfg, "audit.none", &file, &line), TRW_ENOTFOUND);
	assert_null(file);
	trw_config_free(cfg);
}

/* A git repository with a .trawic and a [trawic] section, made with git. */
static void make_repo(const char *repo, const char *dotfile)
{
	char cmd[1200], path[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && git init -q '%s' && "
	    "git -C '%s' config trawic.audit.threshold 0.5 && "
	    "git -C '%s' config trawic.model Local && "
	    "git -C '%s' config trawic.model.Local.endpoint http://git && "
	    "git -C '%s' config core.askpass nobody", repo, repo, repo, repo, repo, repo);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/.trawic", repo);
	if (dotfile)
		write_file(path, dotfile);
}

/* The line of `path` that contains `needle` (git decides what else
 * `git init` writes into .git/config). */
static int line_of(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char buf[512];
	int line = 0, found = 0;

	assert_non_null(f);
	while (!found && fgets(buf, sizeof(buf), f)) {
		line++;
		found = strstr(buf, needle) != NULL;
	}
	fclose(f);
	assert_true(found);
	return line;
}

typedef struct seen {
	char text[4096];
	size_t n;
} seen;

static int collect(const trw_config_entry *e, void *payload)
{
	seen *s = payload;
	const char *file = strrchr(e->file, '/');

	s->n += (size_t)snprintf(s->text + s->n, sizeof(s->text) - s->n, "%d %s:%d %s=%s\n",
	    (int)e->level, file ? file + 1 : e->file, e->line, e->name,
	    e->value ? e->value : "(none)");
	return 0;
}

static void repository_level(void **state)
{
	trw_config *cfg = NULL;
	char repo[300], plain[300], path[400], gitcfg[400], want[2048];
	char *file = NULL, **v = NULL;
	seen s = { "", 0 };
	double real = 0;
	size_t n = 0;
	int line = 0;

	(void)state;
	snprintf(repo, sizeof(repo), "%s/repo", dir);
	make_repo(repo, "[audit]\n\tthreshold = 0.4\n\tsemantic-threshold = 70\n"
	    "\tpaths = src/**\n\tpaths = lib/*.py\n\tfile-threshold = 0.6\n");
	write_file(sys_path, "[audit]\n\tthreshold = 0.1\n\tfile-threshold = 0.1\n"
	    "\tsemantic-threshold = 10\n\tfail-on = never\n\tkinds = string\n");
	write_file(user_path, "[audit]\n\tthreshold = 0.2\n\tfile-threshold = 0.2\n"
	    "\tsemantic-threshold = 20\n\tfail-on = inconclusive\n"
	    "[model \"Local\"]\n\tbackend = llamacpp\n\tendpoint = http://user\n");
	write_file(extra_path, "[audit]\n\tfile-threshold = 0.9\n");

	assert_int_equal(trw_config_open_default(&cfg, extra_path), 0);
	assert_int_equal(trw_config_add_repo(cfg, repo), 0);
	assert_int_equal(trw_config_validate(cfg), 0);
	/* system < user < .trawic < [trawic] in .git/config < --config */
	assert_string_equal(get(cfg, "audit.kinds"), "string");
	assert_string_equal(get(cfg, "audit.fail-on"), "inconclusive");
	assert_string_equal(get(cfg, "audit.semantic-threshold"), "70");
	assert_int_equal(trw_config_get_real(cfg, "audit.threshold", &real), 0);
	assert_true(real == 0.5);
	assert_int_equal(trw_config_get_real(cfg, "audit.file-threshold", &real), 0);
	assert_true(real == 0.9);
	assert_string_equal(get(cfg, "audit.model"), "Local");
	assert_int_equal(trw_config_get_all(cfg, "model.Local.endpoint", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "http://git");
	trw_config_strings_free(v);
	assert_int_equal(trw_config_get_all(cfg, "audit.paths", &v, &n), 0);
	assert_int_equal(n, 2);
	trw_config_strings_free(v);

	snprintf(path, sizeof(path), "%s/.trawic", repo);
	assert_int_equal(trw_config_get_origin(cfg, "audit.semantic-threshold", &file, &line), 0);
	assert_string_equal(file, path);
	assert_int_equal(line, 3);
	free(file);
	snprintf(gitcfg, sizeof(gitcfg), "%s/.git/config", repo);
	assert_int_equal(trw_config_get_origin(cfg, "audit.threshold", &file, &line), 0);
	assert_string_equal(file, gitcfg);
	assert_int_equal(line, line_of(gitcfg, "threshold = 0.5"));
	free(file);

	/* The effective list: overridden values left out, levels in order. */
	assert_int_equal(trw_config_foreach(cfg, collect, &s), 0);
	snprintf(want, sizeof(want),
	    "1 system:6 audit.kinds=string\n"
	    "2 config:5 audit.fail-on=inconclusive\n"
	    "2 config:7 model.Local.backend=llamacpp\n"
	    "3 .trawic:3 audit.semantic-threshold=70\n"
	    "3 .trawic:4 audit.paths=src/**\n"
	    "3 .trawic:5 audit.paths=lib/*.py\n"
	    "3 config:%d audit.threshold=0.5\n"
	    "3 config:%d audit.model=Local\n"
	    "3 config:%d model.Local.endpoint=http://git\n"
	    "4 extra:2 audit.file-threshold=0.9\n",
	    line_of(gitcfg, "threshold = 0.5"), line_of(gitcfg, "model = Local"),
	    line_of(gitcfg, "endpoint = http://git"));
	assert_string_equal(s.text, want);

	/* A URL adds no repository level (and replaces the one there). */
	assert_int_equal(trw_config_add_repo(cfg, "https://example.invalid/x.git"), 0);
	assert_string_equal(get(cfg, "audit.semantic-threshold"), "20");
	assert_int_equal(trw_config_add_repo(cfg, "git@example.invalid:x.git"), 0);
	assert_string_equal(get(cfg, "audit.threshold"), "0.2");
	/* A plain directory: its .trawic. */
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	assert_int_equal(mkdir(plain, 0700), 0);
	snprintf(path, sizeof(path), "%s/.trawic", plain);
	write_file(path, "[audit]\n\tthreshold = 0.7\n");
	assert_int_equal(trw_config_add_repo(cfg, plain), 0);
	assert_string_equal(get(cfg, "audit.threshold"), "0.7");
	trw_config_free(cfg);
}

/* A committed .trawic sets harmless keys only, and says so loudly. */
static void dotfile_limits(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "[model \"x\"]\n\tendpoint = http://evil\n", ":2: model.x.endpoint: not allowed" },
		{ "[audit]\n\tclassifier = /etc/passwd\n", ":2: audit.classifier: not allowed" },
		{ "[audit]\n\tcache = /tmp/x\n", ":2: audit.cache: not allowed" },
		{ "[report]\n\tformat = json=/tmp/x\n", ":2: report.format: not allowed" },
		{ "[daemon]\n\tworkers = 9\n", ":2: daemon.workers: not allowed" },
		{ "[audit]\n\tmodel = llamacpp:http://evil\n", ":2: audit.model: 'llamacpp:" },
		{ "[audit]\n\tthreshold = 0.5\n[include]\n\tpath = /nonexistent\n",
		  ":4: include.path: a repository's .trawic may not include" },
	};
	trw_config *cfg = NULL;
	char repo[300], path[400], cmd[1000];

	(void)state;
	snprintf(repo, sizeof(repo), "%s/repo", dir);
	write_file(sys_path, "");
	write_file(user_path, "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_repo(repo, cases[i].text);
		assert_int_equal(trw_config_open_default(&cfg, NULL), 0);
		assert_int_equal(trw_config_add_repo(cfg, repo), TRW_EINVALID);
		print_message("# %s\n", trw_error_last());
		snprintf(path, sizeof(path), "%s/.trawic%s", repo, cases[i].want);
		assert_non_null(strstr(trw_error_last(), path));
		trw_config_free(cfg);
	}
	/* The same keys from the repository's own git config are fine. */
	make_repo(repo, NULL);
	snprintf(cmd, sizeof(cmd), "git -C '%s' config trawic.audit.classifier /x && "
	    "git -C '%s' config trawic.model.x.path /y", repo, repo);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(trw_config_open_default(&cfg, NULL), 0);
	assert_int_equal(trw_config_add_repo(cfg, repo), 0);
	assert_string_equal(get(cfg, "audit.classifier"), "/x");
	assert_string_equal(get(cfg, "model.x.path"), "/y");
	trw_config_free(cfg);
	/* A .trawic that is a symbolic link. */
	snprintf(path, sizeof(path), "%s/.trawic", repo);
	assert_int_equal(symlink(user_path, path), 0);
	assert_int_equal(trw_config_open_default(&cfg, NULL), 0);
	assert_int_equal(trw_config_add_repo(cfg, repo), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "symbolic link"));
	trw_config_free(cfg);
}

/* Each bad value is TRW_EINVALID naming FILE:LINE: KEY. */
static void validation(void **state)
{
	static const struct {
		const char *line;	/* in [SECTION] at line 3 of the file */
		const char *want;	/* after "FILE:3: " */
	} cases[] = {
		{ "[audit]\n\tthreshold = 1.5", "audit.threshold: '1.5' is not a number from 0 to 1" },
		{ "[audit]\n\tthreshold = nan", "audit.threshold: 'nan' is not a number" },
		{ "[audit]\n\tfile-threshold = -0.1", "audit.file-threshold: '-0.1' is not" },
		{ "[audit]\n\tfail-on = sometimes", "audit.fail-on: 'sometimes' is not included, "
		  "inconclusive or never" },
		{ "[audit]\n\tmax-file-size = 12Q", "audit.max-file-size: '12Q' is not a size" },
		{ "[audit]\n\tmax-file-size = 0", "audit.max-file-size: '0' is not a size" },
		{ "[audit]\n\ttreshold = 0.5", "audit.treshold: unknown key in [audit]" },
		{ "[audit]\n\tsemantic-threshold = 101", "audit.semantic-threshold: '101' is not "
		  "an integer from 0 to 100" },
		{ "[audit]\n\tkinds = string,strings", "audit.kinds: 'string,strings' is not" },
		{ "[audit]\n\tthreads = many", "audit.threads: 'many' is not an integer" },
		{ "[audit]\n\tthreads", "audit.threads: no value (write 'threads = VALUE'): the value is not" },
		{ "[report]\n\tformat = pdf", "report.format: 'pdf' is not FORMAT" },
		{ "[report]\n\tmax-evidence = -1", "report.max-evidence: '-1' is not" },
		{ "[daemon]\n\tsocket-mode = 0999", "daemon.socket-mode: '0999' is not an octal" },
		{ "[daemon]\n\tworkers = 0", "daemon.workers: '0' is not an integer from 1" },
		{ "[daemon]\n\tmax-request = 17m", "daemon.max-request: '17m' is not a size from" },
		{ "[daemon]\n\tallowed-schemes = https,,file", "daemon.allowed-schemes: " },
		{ "[daemon]\n\tmax-request = 1T", "daemon.max-request: '1T' is not a size" },
		{ "[daemon]\n\tsocket", "daemon.socket: no value (write 'socket = VALUE')" },
		{ "[daemon]\n\tstate-dir = \"\"", "daemon.state-dir: '' is empty" },
		{ "[model \"m\"]\n\tbackend = gpt", "model.m.backend: 'gpt' is not llamacpp" },
		{ "[model \"m\"]\n\tendpoints = x", "model.m.endpoints: unknown key in [model" },
		{ "[model]\n\tbackend = ref", "model.backend: unknown key in [model" },
		{ "[audit \"x\"]\n\tthreshold = 0.5", "audit.x.threshold: unknown key in [audit]" },
	};
	static const char *const good =
	    "[audit]\n\tmodel = local\n\tclassifier = c.json\n\tthreshold = 0.5\n"
	    "\tfile-threshold = 1\n\tsemantic-threshold = 60\n"
	    "\tkinds = function_name, class_name,variable_name,string,comment,docstring\n"
	    "\tmax-file-size = 2m\n\tfail-on = never\n\tpaths = src/**\n\tpaths = *.py\n"
	    "\tthreads = 4\n\tcache =\n\tconcurrency = 8\n\tretries = 2\n\ttimeout-ms = 1000\n"
	    "[report]\n\tformat = json\n\tformat = sarif=out.sarif\n\tformat = r.html\n"
	    "\tmax-evidence = 10\n"
	    "[daemon]\n\tsocket = /run/trawic.sock\n\tgroup = trawic\n\tsocket-mode = 0660\n"
	    "\tworkers = 2\n\tqueue-size = 100\n\tmax-request = 64k\n\tjobs-per-model = 1\n"
	    "\tmax-output = 1g\n\tmax-connections = 10\n\twrite-timeout-ms = 100\n"
	    "\tread-timeout-ms = 5000\n"
	    "\tstate-dir = /var/lib/trawic\n\tallowed-schemes = https, file\n"
	    "\tallowed-schemes = ssh\n"
	    "\tmodel-concurrency = 4\n"
	    "[model \"m\"]\n\tbackend = openai\n\tendpoint = http://a\n\tendpoint = http://b\n"
	    "\tmodel = m\n\ttemplate = t\n\tpath = p\n\tconcurrency = 2\n\ttimeout-ms = 5\n"
	    "\tretries = 1\n"
	    "[other]\n\tanything = goes\n";
	trw_config *cfg = NULL;
	char text[300], want[600];
	uint64_t size = 0;

	(void)state;
	write_file(sys_path, "");
	write_file(user_path, "");
	write_file(extra_path, good);
	assert_int_equal(trw_config_open_default(&cfg, extra_path), 0);
	assert_int_equal(trw_config_validate(cfg), 0);
	assert_int_equal(trw_config_get_size(cfg, "audit.max-file-size", &size), 0);
	assert_int_equal(size, 2 * 1024 * 1024);
	assert_int_equal(trw_config_get_size(cfg, "daemon.max-request", &size), 0);
	assert_int_equal(size, 64 * 1024);
	trw_config_free(cfg);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "# line 1\n%s\n", cases[i].line);
		write_file(extra_path, text);
		assert_int_equal(trw_config_open_default(&cfg, extra_path), 0);
		assert_int_equal(trw_config_validate(cfg), TRW_EINVALID);
		print_message("# %s\n", trw_error_last());
		snprintf(want, sizeof(want), "%s:3: %s", extra_path, cases[i].want);
		assert_non_null(strstr(trw_error_last(), want));
		trw_config_free(cfg);
	}

	/* The getters name file, line and key too. */
	write_file(extra_path, "[audit]\n\tthreshold = high\n\tmax-file-size = 12Q\n");
	assert_int_equal(trw_config_open_default(&cfg, extra_path), 0);
	assert_int_equal(trw_config_get_real(cfg, "audit.threshold", &(double){ 0 }),
	    TRW_EINVALID);
	snprintf(want, sizeof(want), "%s:2: audit.threshold: 'high' is not a number", extra_path);
	assert_string_equal(trw_error_last(), want);
	assert_int_equal(trw_config_get_size(cfg, "audit.max-file-size", &size), TRW_EINVALID);
	snprintf(want, sizeof(want), "%s:3: audit.max-file-size: '12Q' is not a size", extra_path);
	assert_non_null(strstr(trw_error_last(), want));
	trw_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(precedence),
		cmocka_unit_test(missing_files),
		cmocka_unit_test(multivar),
		cmocka_unit_test(syntax_error),
		cmocka_unit_test(origins),
		cmocka_unit_test(repository_level),
		cmocka_unit_test(dotfile_limits),
		cmocka_unit_test(validation),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
