/* test_report.c - the report module's helpers, table-driven: format names
 * and extensions, --report arguments, XML escaping, reals without the
 * locale, the JSON printer, the record check, and writing files. */
#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"

static void test_format_names(void **state)
{
	(void)state;
	for (int f = 0; f < TRW_REPORT__COUNT; f++)
		assert_int_equal(trw_report_format_parse(trw_report_format_name(f)), f);
	assert_string_equal(trw_report_format_name(TRW_REPORT_JUNIT), "junit");
	assert_null(trw_report_format_name(TRW_REPORT__COUNT));
	assert_null(trw_report_format_name((trw_report_format)-1));
	assert_int_equal(trw_report_format_parse("JSON"), -1);
	assert_int_equal(trw_report_format_parse("xml"), -1);
	assert_int_equal(trw_report_format_parse(""), -1);
	assert_int_equal(trw_report_format_parse(NULL), -1);
}

static void test_format_from_path(void **state)
{
	static const struct { const char *path; int f; } t[] = {
		{ "r.json", TRW_REPORT_JSON },
		{ "dir/r.sarif", TRW_REPORT_SARIF },
		{ "r.sarif.json", TRW_REPORT_SARIF },
		{ "R.SARIF", TRW_REPORT_SARIF },
		{ "junit.xml", TRW_REPORT_JUNIT },
		{ "a.md", TRW_REPORT_MARKDOWN },
		{ "a.markdown", TRW_REPORT_MARKDOWN },
		{ "a.html", TRW_REPORT_HTML },
		{ "a.htm", TRW_REPORT_HTML },
		{ "a.txt", -1 },
		{ "json", -1 },
		{ ".json", -1 },		/* a hidden file named "json", no extension */
		{ "dir.json/report", -1 },
		{ "-", -1 },
		{ "", -1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (trw_report_format_from_path(t[i].path) != t[i].f)
			fail_msg("%s: %d, expected %d", t[i].path,
			    trw_report_format_from_path(t[i].path), t[i].f);
	assert_int_equal(trw_report_format_from_path(NULL), -1);
}

static void test_parse_arg(void **state)
{
	static const struct {
		const char *arg;
		int rc, f;
		const char *path;	/* NULL = stdout */
		const char *msg;	/* in the error */
	} t[] = {
		{ "sarif=out/r.sarif", 0, TRW_REPORT_SARIF, "out/r.sarif", NULL },
		{ "junit=report", 0, TRW_REPORT_JUNIT, "report", NULL },
		{ "json=-", 0, TRW_REPORT_JSON, NULL, NULL },
		{ "html", 0, TRW_REPORT_HTML, NULL, NULL },
		{ "r.xml", 0, TRW_REPORT_JUNIT, "r.xml", NULL },
		{ "./a=b.md", 0, TRW_REPORT_MARKDOWN, "./a=b.md", NULL },
		{ "markdown=x=y.txt", 0, TRW_REPORT_MARKDOWN, "x=y.txt", NULL },
		{ "sarfi=r.sarif", TRW_EINVALID, 0, NULL, "unknown report format 'sarfi'" },
		{ "r.txt", TRW_EINVALID, 0, NULL, "cannot tell the format of report 'r.txt'" },
		{ "json=", TRW_EINVALID, 0, NULL, "no path after '='" },
		{ "-", TRW_EINVALID, 0, NULL, "name a format" },
		{ "", TRW_EINVALID, 0, NULL, "empty report argument" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		trw_report_format f = TRW_REPORT__COUNT;
		const char *path = "unset";
		char buf[64];
		int rc = trw_report_parse_arg(t[i].arg, &f, buf, sizeof(buf), &path);

		if (rc != t[i].rc)
			fail_msg("'%s': rc %d, expected %d (%s)", t[i].arg, rc, t[i].rc,
			    trw_error_last());
		if (rc < 0) {
			if (!strstr(trw_error_last(), t[i].msg))
				fail_msg("'%s': message '%s' lacks '%s'", t[i].arg,
				    trw_error_last(), t[i].msg);
			continue;
		}
		assert_int_equal(f, t[i].f);
		if (!t[i].path)
			assert_null(path);
		else {
			assert_string_equal(path, t[i].path);
			assert_ptr_equal(path, buf);	/* copied into path_buf */
		}
	}
	{
		char small[4];
		const char *path;

		assert_int_equal(trw_report_parse_arg("sarif=long.sarif", NULL, small,
		    sizeof(small), &path), TRW_EINVALID);
		/* no buffer: borrowed from the argument */
		const char *arg = "sarif=x.sarif";
		assert_int_equal(trw_report_parse_arg(arg, NULL, NULL, 0, &path), 0);
		assert_ptr_equal(path, arg + 6);
	}
}

static void test_xml_escape(void **state)
{
	static const struct { const char *in; size_t len; const char *out; } t[] = {
		{ "plain", 5, "plain" },
		{ "a<b>&\"c'", 8, "a&lt;b&gt;&amp;&quot;c&#39;" },
		{ "tab\tnl\ncr\r", 10, "tab\tnl\ncr&#13;" },
		{ "\x01\x1f", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "nul\0x", 5, "nul\xef\xbf\xbdx" },
		{ "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82", 14, "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82" },
		{ "\xef\xbf\xbe\xef\xbf\xbf", 6, "\xef\xbf\xbd\xef\xbf\xbd" },	/* U+FFFE U+FFFF */
		{ "\xff" "a", 2, "\xef\xbf\xbd" "a" },				/* invalid byte */
		{ "\xc3", 1, "\xef\xbf\xbd" },					/* truncated */
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },			/* overlong */
		{ "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* surrogate */
		{ "\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "", 0, "" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		trw_buf b = TRW_BUF_INIT(0);

		assert_int_equal(trw_report_xml_escape(&b, t[i].in, t[i].len), 0);
		if (strcmp(b.ptr ? b.ptr : "", t[i].out) != 0)
			fail_msg("case %zu: '%s', expected '%s'", i, b.ptr ? b.ptr : "", t[i].out);
		trw_buf_dispose(&b);
	}
	{
		trw_buf b = TRW_BUF_INIT(8);	/* the buffer's limit is passed up */

		assert_int_equal(trw_report_xml_escape(&b, "<<<<<<<<", 8), TRW_ETOOBIG);
		trw_buf_dispose(&b);
	}
}

static char locdir[64];

/* Compile de_DE.UTF-8 into a temporary LOCPATH; 1 when it worked. */
static int comma_locale(void)
{
	char cmd[256];

	snprintf(locdir, sizeof(locdir), "/tmp/test_report_loc.XXXXXX");
	if (!mkdtemp(locdir))
		return 0;
	snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 "
	    ">/dev/null 2>&1", locdir);
	if (system(cmd) != 0)
		return 0;
	setenv("LOCPATH", locdir, 1);
	return 1;
}

static void test_fmt_real(void **state)
{
	static const struct { double v; int digits; const char *out; } t[] = {
		{ 0.97, 2, "0.97" },
		{ 0.125, 2, "0.12" },	/* binary 0.125 rounds to even */
		{ 0.8312, 3, "0.831" },
		{ 1, 0, "1" },
		{ -0.001, 2, "0.00" },	/* no "-0.00" */
		{ -0.25, 1, "-0.2" },
		{ 1234567.5, 1, "1234567.5" },
	};
	char buf[64];
	json_t *v;
	(void)state;

	/* a locale with a decimal comma: the system's, or one compiled for
	 * the test when the system has only C (Debian's default) */
	if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") && comma_locale())
		setlocale(LC_NUMERIC, "de_DE.UTF-8");
	snprintf(buf, sizeof(buf), "%.1f", 0.5);
	if (strcmp(buf, "0,5") != 0)
		print_message("# no decimal-comma locale: checking in the C locale only\n");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = json_real(t[i].v);
		trw_report_fmt_real(buf, sizeof(buf), v, t[i].digits);
		if (strcmp(buf, t[i].out) != 0)
			fail_msg("%g with %d digits: '%s', expected '%s'", t[i].v, t[i].digits,
			    buf, t[i].out);
		json_decref(v);
	}
	v = json_integer(3);
	trw_report_fmt_real(buf, sizeof(buf), v, 2);
	assert_string_equal(buf, "3.00");
	json_decref(v);
	trw_report_fmt_real(buf, sizeof(buf), json_null(), 2);
	assert_string_equal(buf, "-");
	trw_report_fmt_real(buf, sizeof(buf), NULL, 2);
	assert_string_equal(buf, "-");
	v = json_string("0.5");
	trw_report_fmt_real(buf, sizeof(buf), v, 2);
	assert_string_equal(buf, "-");
	json_decref(v);
	v = json_real(0.5);
	trw_report_fmt_real(buf, 3, v, 3);	/* truncated, terminated */
	assert_string_equal(buf, "0.");
	json_decref(v);
	{
		/* the JSON printer, in the same locale */
		trw_buf b = TRW_BUF_INIT(0);

		v = json_pack("[f, f]", 0.97, 2.5e20);
		assert_int_equal(trw_report_json(&b, v), 0);
		assert_string_equal(b.ptr, "[\n  0.97,\n  2.5e20\n]\n");
		trw_buf_dispose(&b);
		json_decref(v);
	}
	setlocale(LC_NUMERIC, "C");
	if (locdir[0]) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", locdir);
		assert_int_equal(system(cmd), 0);
	}
}

static void test_json_printer(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "[0.97, 1.0, 1e-7, 2.5e20, 0.30000000000000004, -0.0, 5, -7]",
		  "[\n  0.97,\n  1.0,\n  1e-7,\n  2.5e20,\n  0.30000000000000004,\n  -0.0,\n  5,\n  -7\n]\n" },
		{ "{\"b\": {}, \"a\": [], \"c\": [{\"x\": null}]}",
		  "{\n  \"b\": {},\n  \"a\": [],\n  \"c\": [\n    {\n      \"x\": null\n    }\n  ]\n}\n" },
		{ "[\"q\\\"b\\\\/\\u0001\\u001f\\b\\f\\n\\r\\t\\u00e9\\u65e5\", true, false]",
		  "[\n  \"q\\\"b\\\\/\\u0001\\u001F\\b\\f\\n\\r\\t\xc3\xa9\xe6\x97\xa5\",\n  true,\n  false\n]\n" },
		{ "{\"k\": \"a\\u0000b\"}", "{\n  \"k\": \"a\\u0000b\"\n}\n" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *v = json_loads(t[i].in, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
		trw_buf b = TRW_BUF_INIT(0);

		assert_non_null(v);
		assert_int_equal(trw_report_json(&b, v), 0);
		if (strcmp(b.ptr, t[i].out) != 0)
			fail_msg("case %zu:\n%s\nexpected\n%s", i, b.ptr, t[i].out);
		/* and it reads back as the same document */
		{
			json_t *back = json_loadb(b.ptr, b.size, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);

			assert_non_null(back);
			assert_true(json_equal(back, v));
			json_decref(back);
		}
		trw_buf_dispose(&b);
		json_decref(v);
	}
}

static void test_render_checks_record(void **state)
{
	static const struct { const char *doc, *msg; } t[] = {
		{ "[1]", "the document is an array" },
		{ "\"x\"", "the document is a string" },
		{ "{}", "no \"format\" member" },
		{ "{\"format\": 3}", "\"format\" is not a string" },
		{ "{\"format\": \"trawic-other\", \"format_version\": 1}", "\"format\" is \"trawic-other\"" },
		{ "{\"format\": \"trawic-audit-result\"}", "\"format_version\" is missing" },
		{ "{\"format\": \"trawic-audit-result\", \"format_version\": \"1\"}", "not an integer" },
		{ "{\"format\": \"trawic-audit-result\", \"format_version\": 2}",
		  "format_version 2 is not supported" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (int f = 0; f < TRW_REPORT__COUNT; f++) {
			json_t *v = json_loads(t[i].doc, JSON_DECODE_ANY, NULL);
			trw_buf b = TRW_BUF_INIT(0);

			assert_int_equal(trw_report_render(&b, v, f), TRW_EINVALID);
			if (!strstr(trw_error_last(), t[i].msg))
				fail_msg("%s: '%s' lacks '%s'", t[i].doc, trw_error_last(), t[i].msg);
			assert_int_equal(b.size, 0);
			trw_buf_dispose(&b);
			json_decref(v);
		}
	{
		trw_buf b = TRW_BUF_INIT(0);
		json_t *min = json_loads("{\"format\": \"trawic-audit-result\", \"format_version\": 1}",
		    0, NULL);

		assert_int_equal(trw_report_render(&b, NULL, TRW_REPORT_JSON), TRW_EINVALID);
		assert_int_equal(trw_report_render(&b, min, TRW_REPORT__COUNT), TRW_EINVALID);
		/* a minimal record renders in every format of this module */
		for (int f = TRW_REPORT_JSON; f <= TRW_REPORT_JUNIT; f++) {
			trw_buf_clear(&b);
			assert_int_equal(trw_report_render(&b, min, f), 0);
			assert_true(b.size > 0);
		}
		trw_buf_dispose(&b);
		json_decref(min);
	}
}

static char dir[64];

static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;

	assert_non_null(dp);
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void test_write(void **state)
{
	char path[128], missing[128], buf[64];
	struct stat st;
	FILE *f;
	(void)state;

	snprintf(dir, sizeof(dir), "/tmp/test_report.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.json", dir);
	snprintf(missing, sizeof(missing), "%s/no/r.json", dir);

	assert_int_equal(trw_report_check_writable(NULL), 0);
	assert_int_equal(trw_report_check_writable("-"), 0);
	/* a new file: fine, and nothing is left behind */
	assert_int_equal(trw_report_check_writable(path), 0);
	assert_int_equal(count_entries(dir), 0);
	assert_int_equal(trw_report_check_writable(missing), TRW_EIO);
	assert_non_null(strstr(trw_error_last(), missing));
	assert_int_equal(trw_report_check_writable(dir), TRW_EIO);
	assert_non_null(strstr(trw_error_last(), "is a directory"));

	assert_int_equal(trw_report_write(path, "first\n", 6), 0);
	/* an existing file is checked and left as it was */
	assert_int_equal(trw_report_check_writable(path), 0);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "first\n");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(trw_report_write(path, "second\n", 7), 0);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "second\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(count_entries(dir), 1);	/* no temporary file */
	assert_int_equal(trw_report_write(missing, "x", 1), TRW_EIO);
	assert_non_null(strstr(trw_error_last(), missing));
	assert_int_equal(trw_report_write(dir, "x", 1), TRW_EIO);

	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_format_from_path),
		cmocka_unit_test(test_parse_arg),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_fmt_real),
		cmocka_unit_test(test_json_printer),
		cmocka_unit_test(test_render_checks_record),
		cmocka_unit_test(test_write),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
