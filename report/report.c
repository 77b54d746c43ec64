/*
 * report.c - the report module's front: format names, the "FORMAT=PATH"
 * arguments of --report, the record check before any renderer runs, and
 * writing a report to its file atomically.
 *
 * It does not render anything itself (one file per format does) and it
 * never reads the clock or the locale: the bytes of a report depend on
 * the record only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"

#define RESULT_FORMAT "trawic-audit-result"
#define RESULT_VERSION 1

static const char *const format_names[TRW_REPORT__COUNT] = {
	[TRW_REPORT_JSON] = "json",
	[TRW_REPORT_SARIF] = "sarif",
	[TRW_REPORT_JUNIT] = "junit",
	[TRW_REPORT_MARKDOWN] = "markdown",
	[TRW_REPORT_HTML] = "html",
};

int trw_report_format_parse(const char *name)
{
	if (!name)
		return -1;
	for (int f = 0; f < TRW_REPORT__COUNT; f++)
		if (strcmp(name, format_names[f]) == 0)
			return f;
	return -1;
}

const char *trw_report_format_name(trw_report_format f)
{
	if ((unsigned)f >= TRW_REPORT__COUNT)
		return NULL;
	return format_names[f];
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && strcasecmp(s + len - n, suffix) == 0;
}

int trw_report_format_from_path(const char *path)
{
	static const struct { const char *ext; trw_report_format f; } exts[] = {
		/* longest first: x.sarif.json is SARIF, not JSON */
		{ ".sarif.json", TRW_REPORT_SARIF },
		{ ".sarif", TRW_REPORT_SARIF },
		{ ".json", TRW_REPORT_JSON },
		{ ".xml", TRW_REPORT_JUNIT },
		{ ".markdown", TRW_REPORT_MARKDOWN },
		{ ".md", TRW_REPORT_MARKDOWN },
		{ ".html", TRW_REPORT_HTML },
		{ ".htm", TRW_REPORT_HTML },
	};
	const char *base;
	size_t len;

	if (!path)
		return -1;
	/* the extension of the last component: "out.d/report" has none */
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	len = strlen(base);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (ends_with(base, len, exts[i].ext))
			return exts[i].f;
	return -1;
}

static const char *type_name(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	case JSON_NULL: break;
	}
	return "null";
}

static int check_record(const json_t *result)
{
	const json_t *f, *v;

	if (!json_is_object(result))
		return trw_error_set(TRW_EINVALID, "not an audit result: the document is %s, "
		    "not a JSON object", type_name(result));
	f = json_object_get(result, "format");
	if (!f)
		return trw_error_set(TRW_EINVALID, "not an audit result: no \"format\" member "
		    "(expected \"%s\")", RESULT_FORMAT);
	if (!json_is_string(f) || strcmp(json_string_value(f), RESULT_FORMAT) != 0) {
		if (json_is_string(f))
			return trw_error_set(TRW_EINVALID, "not an audit result: \"format\" is "
			    "\"%.100s\", expected \"%s\"", json_string_value(f), RESULT_FORMAT);
		return trw_error_set(TRW_EINVALID, "not an audit result: \"format\" is not a "
		    "string (expected \"%s\")", RESULT_FORMAT);
	}
	v = json_object_get(result, "format_version");
	if (!json_is_integer(v))
		return trw_error_set(TRW_EINVALID, "audit result: \"format_version\" is %s, "
		    "expected the integer %d", v ? "not an integer" : "missing", RESULT_VERSION);
	if (json_integer_value(v) != RESULT_VERSION)
		return trw_error_set(TRW_EINVALID, "audit result: format_version %" JSON_INTEGER_FORMAT
		    " is not supported (this trawic reads version %d)", json_integer_value(v),
		    RESULT_VERSION);
	return 0;
}

int trw_report_render(trw_buf *out, const json_t *result, trw_report_format format)
{
	int error;

	if (!out)
		return trw_error_set(TRW_EINVALID, "trw_report_render: no output buffer");
	if ((error = check_record(result)) < 0)
		return error;
	switch (format) {
	case TRW_REPORT_JSON: return trw_report_json(out, result);
	case TRW_REPORT_SARIF: return trw_report_sarif(out, result);
	case TRW_REPORT_JUNIT: return trw_report_junit(out, result);
	case TRW_REPORT_MARKDOWN: return trw_report_markdown(out, result);
	case TRW_REPORT_HTML: return trw_report_html(out, result);
	case TRW_REPORT__COUNT: break;
	}
	return trw_error_set(TRW_EINVALID, "unknown report format %d", (int)format);
}

/*
 * "FORMAT=PATH" | "FORMAT" | "PATH".  A word of lower-case letters before
 * the first '=' is taken as a format name, so a misspelt one is an error
 * rather than a file called "sarfi=x.sarif"; any other '=' belongs to the
 * path.  The path is copied into path_buf when one is given, else
 * borrowed from `arg`.
 */
int trw_report_parse_arg(const char *arg, trw_report_format *format, char *path_buf,
    size_t n, const char **path)
{
	const char *eq, *p = NULL;
	int f = -1;

	if (!arg || !*arg)
		return trw_error_set(TRW_EINVALID, "empty report argument (FORMAT=PATH, PATH or FORMAT)");
	eq = strchr(arg, '=');
	if (eq) {
		size_t wlen = (size_t)(eq - arg);
		int word = wlen > 0;

		for (size_t i = 0; i < wlen; i++)
			if (arg[i] < 'a' || arg[i] > 'z')
				word = 0;
		if (word) {
			char name[16];

			if (wlen >= sizeof(name) ||
			    (memcpy(name, arg, wlen), name[wlen] = '\0',
			     (f = trw_report_format_parse(name)) < 0))
				return trw_error_set(TRW_EINVALID, "unknown report format '%.*s' in "
				    "'%s' (json, sarif, junit, markdown, html)", (int)(wlen < 64 ? wlen : 64),
				    arg, arg);
			p = eq + 1;
			if (!*p)
				return trw_error_set(TRW_EINVALID, "report '%s': no path after '=' "
				    "(use %s=- for standard output)", arg, name);
			if (strcmp(p, "-") == 0)
				p = NULL;
		}
	}
	if (f < 0) {
		if ((f = trw_report_format_parse(arg)) >= 0) {
			p = NULL;
		} else {
			if (strcmp(arg, "-") == 0)
				return trw_error_set(TRW_EINVALID, "report '-': name a format for "
				    "standard output (json, sarif, junit, markdown, html)");
			if ((f = trw_report_format_from_path(arg)) < 0)
				return trw_error_set(TRW_EINVALID, "cannot tell the format of report '%s' "
				    "from its extension (.json, .sarif, .xml, .md, .html); write "
				    "FORMAT=PATH", arg);
			p = arg;
		}
	}
	if (p && path_buf) {
		size_t len = strlen(p);

		if (len >= n)
			return trw_error_set(TRW_EINVALID, "report path '%.64s...' is too long", p);
		memcpy(path_buf, p, len + 1);
		p = path_buf;
	}
	if (format)
		*format = (trw_report_format)f;
	if (path)
		*path = p;
	return 0;
}

static int is_stdout(const char *path)
{
	return !path || strcmp(path, "-") == 0;
}

/* The directory part of `path` ("." when none) into dir[n]. */
static int dir_of(char *dir, size_t n, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	if (!slash)
		return snprintf(dir, n, ".") < (int)n ? 0 : -1;
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= n)
		return -1;
	memcpy(dir, path, len);
	dir[len] = '\0';
	return 0;
}

static atomic_uint tmp_counter;

/*
 * Create a new file next to `path` (same directory, so that rename() is
 * atomic), mode 0666 less the umask like any file the user creates.  Its
 * name in tmp[n]; the fd, or -1 with errno.
 */
static int open_temp(char *tmp, size_t n, const char *path)
{
	char dir[PATH_MAX];
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (dir_of(dir, sizeof(dir), path) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (int tries = 0; tries < 100; tries++) {
		unsigned c = atomic_fetch_add(&tmp_counter, 1);
		int fd, len;

		len = snprintf(tmp, n, "%s/.%.64s.%ld.%u.tmp", dir, base, (long)getpid(), c);
		if (len < 0 || (size_t)len >= n) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int trw_report_check_writable(const char *path)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd;

	if (is_stdout(path))
		return 0;
	if (!*path)
		return trw_error_set(TRW_EIO, "report path is empty");
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return trw_error_set(TRW_EIO, "cannot write report '%s': it is a directory",
			    path);
		/* the file's own permission: open for append, write nothing */
		if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
			return trw_error_set(TRW_EIO, "cannot write report '%s': %s", path,
			    strerror(errno));
		close(fd);
	} else if (errno != ENOENT) {
		return trw_error_set(TRW_EIO, "cannot write report '%s': %s", path, strerror(errno));
	}
	/* the directory's: trw_report_write creates a file there and renames it */
	if ((fd = open_temp(tmp, sizeof(tmp), path)) < 0)
		return trw_error_set(TRW_EIO, "cannot write report '%s': %s", path, strerror(errno));
	close(fd);
	unlink(tmp);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

int trw_report_write(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX], real[PATH_MAX];
	struct stat st;
	int fd = -1, error = 0, have_tmp = 0;

	if (is_stdout(path)) {
		if ((len && fwrite(data, 1, len, stdout) != len) || fflush(stdout) != 0)
			return trw_error_set(TRW_EIO, "writing the report to standard output: %s",
			    strerror(errno));
		return 0;
	}
	if (!*path)
		return trw_error_set(TRW_EIO, "report path is empty");
	/* a symbolic link stays one: write where it points */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && realpath(path, real))
		path = real;
	if ((fd = open_temp(tmp, sizeof(tmp), path)) < 0) {
		error = trw_error_set(TRW_EIO, "cannot write report '%s': %s", path, strerror(errno));
		goto done;
	}
	have_tmp = 1;
	/* replacing a report keeps its permissions */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		(void)fchmod(fd, st.st_mode & 07777);
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		error = trw_error_set(TRW_EIO, "cannot write report '%s': %s", path, strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		error = trw_error_set(TRW_EIO, "cannot write report '%s': %s", path, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error = trw_error_set(TRW_EIO, "cannot write report '%s': %s", path, strerror(errno));
		goto done;
	}
	have_tmp = 0;

done:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		unlink(tmp);
	return error;
}
