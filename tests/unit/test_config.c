/*
 * test_config.c - the configuration's levels: system < user < extra
 * file, missing files skipped, multivars from the highest level only,
 * and a syntax error that names the file and line.  Real files in a
 * temporary directory; the system path comes from TRAWIC_SYSTEM_CONFIG.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(precedence),
		cmocka_unit_test(missing_files),
		cmocka_unit_test(multivar),
		cmocka_unit_test(syntax_error),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
