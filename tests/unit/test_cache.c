/*
 * test_cache.c - the query cache: keys, round trips, what is refused,
 * and several processes writing one file at once.
 *
 * The expected keys were computed outside C, by a few lines of Python's
 * hashlib from the encoding docs/model.md describes; a change of the
 * encoding (which would silently empty every user's cache, or worse make
 * two queries share a key) fails here first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "common/error.h"
#include "common/util.h"
#include "model/cache.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/trawic-cache.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in_tmp(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", tmpdir, rel);
}

static trw_fim_query base_query(void)
{
	trw_fim_query q;
	trw_decoding d = TRW_DECODING_GREEDY;

	memset(&q, 0, sizeof(q));
	q.prefix = "def add(a, b):\n    return ";
	q.prefix_len = strlen(q.prefix);
	q.suffix = "\n\nprint(add(1, 2))\n";
	q.suffix_len = strlen(q.suffix);
	q.kind = TRW_KIND_VARIABLE_NAME;
	q.stop.mode = TRW_STOP_NEWLINE;
	q.decoding = d;
	q.decoding.max_tokens = 16;
	return q;
}

static void key_known_values(void **state)
{
	char key[TRW_CACHE_KEY_SIZE];
	trw_fim_query q = base_query();

	(void)state;
	assert_int_equal(trw_cache_key(key, "llamacpp:m@http://127.0.0.1:8080", "-", &q), 0);
	assert_string_equal(key, "7afaec89777f068dcdcc97d9af4878e016467bb0c97e70518f444ab68568e052");

	q.prefix = "# caf\xc3\xa9\n";
	q.prefix_len = strlen(q.prefix);
	q.suffix = "";
	q.suffix_len = 0;
	q.stop.mode = TRW_STOP_DELIM;
	snprintf(q.stop.delim, sizeof(q.stop.delim), "\"\"\"");
	q.decoding.temperature = 0.2;
	q.decoding.top_p = 0.95;
	q.decoding.seed = 7;
	q.decoding.max_tokens = 64;
	q.want_logprobs = 1;
	assert_int_equal(trw_cache_key(key, "openai:bigcode/starcoder2-3b@http://h:8000/v1",
	    "starcoder2", &q), 0);
	assert_string_equal(key, "a539435a63a727bcb918b9a1d3074c5980e7a763505471f41a5f9e160b92137c");
}

/* Every field that decides the answer changes the key; the kind alone
 * does not (it acts through the stop rule and the budget). */
static void key_every_field_counts(void **state)
{
	char base[TRW_CACHE_KEY_SIZE], k[TRW_CACHE_KEY_SIZE];
	trw_fim_query q0 = base_query(), q;
	const char *id = "llamacpp:m@http://127.0.0.1:8080";

	(void)state;
	assert_int_equal(trw_cache_key(base, id, "-", &q0), 0);

#define DIFFERS(mutation, ident, tmpl) do { \
		q = q0; mutation; \
		assert_int_equal(trw_cache_key(k, ident, tmpl, &q), 0); \
		if (strcmp(k, base) == 0) fail_msg("key unchanged by: %s", #mutation); \
	} while (0)
	DIFFERS((void)0, "llamacpp:m@http://127.0.0.1:8081", "-");
	DIFFERS((void)0, id, "starcoder2");
	DIFFERS(q.decoding.temperature = 0.1, id, "-");
	DIFFERS(q.decoding.top_p = 0.9, id, "-");
	DIFFERS(q.decoding.seed = 43, id, "-");
	DIFFERS(q.decoding.max_tokens = 17, id, "-");
	DIFFERS(q.stop.mode = TRW_STOP_IDENT, id, "-");
	DIFFERS((q.stop.mode = TRW_STOP_DELIM, q.stop.delim[0] = '"'), id, "-");
	DIFFERS(q.want_logprobs = 1, id, "-");
	DIFFERS(q.prefix_len--, id, "-");
	DIFFERS(q.suffix_len--, id, "-");
#undef DIFFERS

	/* Fields cannot run together: "ab"+"c" is not "a"+"bc". */
	q = q0;
	q.prefix = "ab"; q.prefix_len = 2; q.suffix = "c"; q.suffix_len = 1;
	assert_int_equal(trw_cache_key(base, id, "-", &q), 0);
	q.prefix = "a"; q.prefix_len = 1; q.suffix = "bc"; q.suffix_len = 2;
	assert_int_equal(trw_cache_key(k, id, "-", &q), 0);
	assert_string_not_equal(base, k);
	/* Nor identity and template. */
	assert_int_equal(trw_cache_key(base, "ab", "c", &q0), 0);
	assert_int_equal(trw_cache_key(k, "a", "bc", &q0), 0);
	assert_string_not_equal(base, k);

	/* The kind does not count; the key is stable across calls. */
	q = q0;
	q.kind = TRW_KIND_COMMENT;
	assert_int_equal(trw_cache_key(k, id, "-", &q), 0);
	assert_int_equal(trw_cache_key(base, id, "-", &q0), 0);
	assert_string_equal(base, k);

	/* A DELIM stop whose delimiter is not NUL-terminated is refused. */
	q = q0;
	q.stop.mode = TRW_STOP_DELIM;
	memset(q.stop.delim, 'x', sizeof(q.stop.delim));
	assert_int_equal(trw_cache_key(k, id, "-", &q), TRW_EINVALID);
}

static void round_trip(void **state)
{
	char path[512], key[TRW_CACHE_KEY_SIZE];
	static const char text[] = "x\0y caf\xc3\xa9";	/* an embedded NUL */
	double lps[] = { -0.0123, 0.0, -FLT_MAX, -1e-300, -7.5 };
	trw_completion c = { 0 }, got;
	trw_fim_query q = base_query();
	trw_cache *cache;
	uint64_t n;

	(void)state;
	path_in_tmp(path, sizeof(path), "rt/queries.sqlite");
	assert_int_equal(trw_cache_new(&cache, path), 0);
	assert_int_equal(trw_cache_key(key, "ref:abc:order6", "-", &q), 0);
	assert_int_equal(trw_cache_get(cache, key, &got), TRW_ENOTFOUND);

	c.text = (char *)text;
	c.len = sizeof(text) - 1;
	c.logprobs = lps;
	c.nlogprobs = sizeof(lps) / sizeof(lps[0]);
	assert_int_equal(trw_cache_put(cache, key, "ref:abc:order6", &c), 0);
	/* Visible before the batch is committed, on the same handle. */
	assert_int_equal(trw_cache_get(cache, key, &got), 0);
	assert_int_equal(got.cached, 1);
	trw_completion_dispose(&got);
	trw_cache_free(cache);

	/* And after a close, from a new handle. */
	assert_int_equal(trw_cache_new(&cache, path), 0);
	assert_int_equal(trw_cache_get(cache, key, &got), 0);
	assert_int_equal(got.len, sizeof(text) - 1);
	assert_memory_equal(got.text, text, sizeof(text) - 1);
	assert_int_equal(got.text[got.len], '\0');
	assert_int_equal(got.nlogprobs, sizeof(lps) / sizeof(lps[0]));
	assert_memory_equal(got.logprobs, lps, sizeof(lps));
	assert_int_equal(got.cached, 1);
	trw_completion_dispose(&got);

	/* An empty completion without log-probabilities is an answer too. */
	c.text = (char *)"";
	c.len = 0;
	c.logprobs = NULL;
	c.nlogprobs = 0;
	q.suffix_len = 0;
	assert_int_equal(trw_cache_key(key, "ref:abc:order6", "-", &q), 0);
	assert_int_equal(trw_cache_put(cache, key, "ref:abc:order6", &c), 0);
	assert_int_equal(trw_cache_get(cache, key, &got), 0);
	assert_int_equal(got.len, 0);
	assert_non_null(got.text);
	assert_null(got.logprobs);
	trw_completion_dispose(&got);
	assert_int_equal(trw_cache_count(cache, &n), 0);
	assert_int_equal(n, 2);
	trw_cache_free(cache);
}

/* Only answers go in: no record without a completion text. */
static void no_failure_stored(void **state)
{
	char path[512], key[TRW_CACHE_KEY_SIZE];
	trw_completion empty = { 0 }, got;
	trw_fim_query q = base_query();
	trw_cache *cache;
	uint64_t n;

	(void)state;
	path_in_tmp(path, sizeof(path), "nf.sqlite");
	assert_int_equal(trw_cache_new(&cache, path), 0);
	assert_int_equal(trw_cache_key(key, "ref:abc:order6", "-", &q), 0);
	assert_int_equal(trw_cache_put(cache, key, "ref:abc:order6", NULL), TRW_EINVALID);
	assert_int_equal(trw_cache_put(cache, key, "ref:abc:order6", &empty), TRW_EINVALID);
	assert_int_equal(trw_cache_get(cache, key, &got), TRW_ENOTFOUND);
	assert_int_equal(trw_cache_count(cache, &n), 0);
	assert_int_equal(n, 0);
	trw_cache_free(cache);
}

static void directories_and_default_path(void **state)
{
	char path[512], dir[512];
	trw_buf b = TRW_BUF_INIT(0);
	trw_cache *cache;
	struct stat st;

	(void)state;
	path_in_tmp(path, sizeof(path), "a/b/c/q.sqlite");
	assert_int_equal(trw_cache_new(&cache, path), 0);
	trw_cache_free(cache);
	path_in_tmp(dir, sizeof(dir), "a/b/c");
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	path_in_tmp(dir, sizeof(dir), "a");
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	assert_int_equal(trw_cache_default_path(&b), 0);
	assert_string_equal(b.ptr, "/x/cache/trawic/queries.sqlite");
	trw_buf_clear(&b);
	setenv("XDG_CACHE_HOME", "relative", 1);	/* ignored, per the XDG spec */
	setenv("HOME", "/home/u", 1);
	assert_int_equal(trw_cache_default_path(&b), 0);
	assert_string_equal(b.ptr, "/home/u/.cache/trawic/queries.sqlite");
	trw_buf_clear(&b);
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	assert_int_equal(trw_cache_default_path(&b), TRW_EINVALID);
	trw_buf_dispose(&b);
}

static void refuses_foreign_files(void **state)
{
	char path[512];
	trw_cache *cache = NULL;
	sqlite3 *db;
	FILE *f;

	(void)state;
	path_in_tmp(path, sizeof(path), "garbage.sqlite");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a database, just text long enough to have a header......"
	    "......................................................................", f);
	fclose(f);
	assert_int_equal(trw_cache_new(&cache, path), TRW_EIO);
	assert_null(cache);
	assert_non_null(strstr(trw_error_last(), path));

	/* A cache from a future trawic is not touched. */
	path_in_tmp(path, sizeof(path), "future.sqlite");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=9", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(trw_cache_new(&cache, path), TRW_EIO);
	assert_non_null(strstr(trw_error_last(), "schema 9"));
}

#define WRITERS 4
#define PER_WRITER 600

/* Several processes open one new file at once and write; a reader reads
 * meanwhile.  WAL and the busy timeout must make every write land and
 * every read answer (hit or miss, never an error). */
static void concurrent_processes(void **state)
{
	char path[512], key[TRW_CACHE_KEY_SIZE];
	pid_t pids[WRITERS];
	trw_cache *cache;
	uint64_t n = 0;
	int reads = 0, hits = 0;
	sqlite3 *db;
	sqlite3_stmt *st;

	(void)state;
	path_in_tmp(path, sizeof(path), "shared/queries.sqlite");
	for (int w = 0; w < WRITERS; w++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			trw_cache *c;
			trw_completion comp = { 0 };
			trw_fim_query q = base_query();
			char text[64];
			int bad = 0;

			if (trw_cache_new(&c, path) < 0) {
				fprintf(stderr, "writer %d: %s\n", w, trw_error_last());
				_exit(1);
			}
			for (int i = 0; i < PER_WRITER; i++) {
				q.decoding.seed = (uint64_t)(w * PER_WRITER + i);
				snprintf(text, sizeof(text), "answer %d/%d", w, i);
				comp.text = text;
				comp.len = strlen(text);
				if (trw_cache_key(key, "ref:x:order6", "-", &q) < 0 ||
				    trw_cache_put(c, key, "ref:x:order6", &comp) < 0) {
					fprintf(stderr, "writer %d: %s\n", w, trw_error_last());
					bad = 1;
					break;
				}
			}
			trw_cache_free(c);
			_exit(bad);
		}
		pids[w] = pid;
	}

	/* Read while they write: the file may not exist for a moment. */
	for (int tries = 0; tries < 200; tries++) {
		if (access(path, F_OK) == 0)
			break;
		usleep(5000);
	}
	assert_int_equal(trw_cache_new(&cache, path), 0);
	for (int i = 0; i < 2000; i++) {
		trw_fim_query q = base_query();
		trw_completion got;
		int rc;

		q.decoding.seed = (uint64_t)(i % (WRITERS * PER_WRITER));
		assert_int_equal(trw_cache_key(key, "ref:x:order6", "-", &q), 0);
		rc = trw_cache_get(cache, key, &got);
		if (rc != 0 && rc != TRW_ENOTFOUND)
			fail_msg("read %d failed: %s", i, trw_error_last());
		if (rc == 0) {
			hits++;
			assert_true(strncmp(got.text, "answer ", 7) == 0);
			trw_completion_dispose(&got);
		}
		reads++;
	}
	for (int w = 0; w < WRITERS; w++) {
		int status = 0;

		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(trw_cache_count(cache, &n), 0);
	assert_int_equal(n, WRITERS * PER_WRITER);
	trw_cache_free(cache);
	print_message("# %d reads during the writes, %d hits\n", reads, hits);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_known_values),
		cmocka_unit_test(key_every_field_counts),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(no_failure_stored),
		cmocka_unit_test(directories_and_default_path),
		cmocka_unit_test(refuses_foreign_files),
		cmocka_unit_test(concurrent_processes),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
