/*
 * cache.c - completions in SQLite, keyed by a sha256 of the query.
 *
 * The key hashes a length-prefixed encoding (8-byte big-endian length,
 * then the bytes) of every field that decides the answer, behind a
 * version tag: changing the encoding changes every key, so an old cache
 * can never answer a query it was not asked.  Doubles are encoded as
 * their shortest round-trip decimal ("%.17g"), which is the same on
 * every IEEE-754 host.
 *
 * Writes are batched in one transaction, committed every 256 puts or
 * 200 ms, so a run of thousands of cheap queries does not pay a commit
 * each, and another process waiting on the lock waits at most that long
 * plus its own work.  Log-probabilities are stored as little-endian
 * IEEE-754 doubles, whatever the host.
 *
 * It does not decide what to store (the engine stores answers only) and
 * has no eviction: the file is a plain cache the user may delete.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "common/error.h"
#include "common/util.h"
#include "model/cache.h"

#define KEY_TAG "trawic-query-key-v1"
#define SCHEMA_VERSION 1
#define BATCH_PUTS 256
#define BATCH_NS (200u * 1000000u)
#define BUSY_MS 10000

struct trw_cache {
	sqlite3 *db;
	sqlite3_stmt *get, *put;
	int in_txn;
	unsigned pending;
	uint64_t txn_started_ns;
	char *path;
};

static int hash_field(EVP_MD_CTX *ctx, const void *data, size_t len)
{
	unsigned char n[8];
	uint64_t v = (uint64_t)len;

	for (int i = 7; i >= 0; i--) {
		n[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
	if (EVP_DigestUpdate(ctx, n, sizeof(n)) != 1 ||
	    (len && EVP_DigestUpdate(ctx, data, len) != 1))
		return -1;
	return 0;
}

static int hash_str(EVP_MD_CTX *ctx, const char *s)
{
	return hash_field(ctx, s, strlen(s));
}

static const char *stop_mode_name(trw_stop_mode m)
{
	switch (m) {
	case TRW_STOP_IDENT: return "ident";
	case TRW_STOP_NEWLINE: return "newline";
	case TRW_STOP_DELIM: return "delim";
	case TRW_STOP_NONE: return "none";
	}
	return "?";
}

int trw_cache_key(char out[TRW_CACHE_KEY_SIZE], const char *identity,
    const char *template_name, const trw_fim_query *q)
{
	EVP_MD_CTX *ctx;
	unsigned char md[32];
	unsigned int mdlen = 0;
	char num[64];
	const char *delim = "";
	int error = 0;

	out[0] = '\0';
	if (q->stop.mode == TRW_STOP_DELIM) {
		if (memchr(q->stop.delim, '\0', sizeof(q->stop.delim)) == NULL)
			return trw_error_set(TRW_EINVALID, "stop delimiter is not NUL-terminated");
		delim = q->stop.delim;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return trw_error_oom();
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto fail;
	if (hash_str(ctx, KEY_TAG) < 0 || hash_str(ctx, identity) < 0 ||
	    hash_str(ctx, template_name ? template_name : "-") < 0)
		goto fail;
	snprintf(num, sizeof(num), "%.17g", q->decoding.temperature);
	if (hash_str(ctx, num) < 0)
		goto fail;
	snprintf(num, sizeof(num), "%.17g", q->decoding.top_p);
	if (hash_str(ctx, num) < 0)
		goto fail;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)q->decoding.seed);
	if (hash_str(ctx, num) < 0)
		goto fail;
	snprintf(num, sizeof(num), "%u", q->decoding.max_tokens);
	if (hash_str(ctx, num) < 0 || hash_str(ctx, stop_mode_name(q->stop.mode)) < 0 ||
	    hash_str(ctx, delim) < 0 || hash_str(ctx, q->want_logprobs ? "1" : "0") < 0 ||
	    hash_field(ctx, q->prefix, q->prefix_len) < 0 ||
	    hash_field(ctx, q->suffix, q->suffix_len) < 0)
		goto fail;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != sizeof(md))
		goto fail;
	trw_hex(out, md, sizeof(md));
	goto done;
fail:
	error = trw_error_set(TRW_ERROR, "sha256 failed");
done:
	EVP_MD_CTX_free(ctx);
	return error;
}

int trw_cache_default_path(trw_buf *out)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	/* The XDG spec says a relative value is to be ignored. */
	if (xdg && xdg[0] == '/')
		return trw_buf_printf(out, "%s/trawic/queries.sqlite", xdg);
	if (home && home[0] == '/')
		return trw_buf_printf(out, "%s/.cache/trawic/queries.sqlite", home);
	return trw_error_set(TRW_EINVALID,
	    "no cache directory: neither XDG_CACHE_HOME nor HOME is an absolute path "
	    "(give a cache path, or none to run without a cache)");
}

/* mkdir -p of the directories above `path`, each new one 0700. */
static int make_parents(const char *path)
{
	char *p = trw_strdup(path);
	int error = 0;

	if (!p)
		return TRW_ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			error = trw_error_set(TRW_EIO, "cannot create cache directory %s: %s",
			    p, strerror(errno));
			goto done;
		}
		*s = '/';
	}
done:
	free(p);
	return error;
}

static int db_error(trw_cache *c, const char *what)
{
	return trw_error_set(TRW_EIO, "query cache %s: %s: %s", c->path, what,
	    sqlite3_errmsg(c->db));
}

static int exec(trw_cache *c, const char *sql)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(c, sql);
	return 0;
}

int trw_cache_new(trw_cache **out, const char *path)
{
	trw_cache *c = NULL;
	sqlite3_stmt *st = NULL;
	int error = 0, version, began = 0;

	*out = NULL;
	if (!path || !*path)
		return trw_error_set(TRW_EINVALID, "empty cache path");
	if ((error = make_parents(path)) < 0)
		return error;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return trw_error_oom();
	if ((c->path = trw_strdup(path)) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		error = c->db ? db_error(c, "open") :
		    trw_error_set(TRW_EIO, "query cache %s: cannot open", path);
		goto done;
	}
	sqlite3_busy_timeout(c->db, BUSY_MS);
	/* journal_mode=WAL is persistent; setting it again is cheap.
	 * synchronous=NORMAL: in WAL mode a crash may lose the last commits
	 * but never corrupts the file, the right trade for a cache. */
	if ((error = exec(c, "PRAGMA journal_mode=WAL")) < 0 ||
	    (error = exec(c, "PRAGMA synchronous=NORMAL")) < 0)
		goto done;
	/* One immediate transaction around check-and-create: two processes
	 * opening a new file at once then queue on the lock instead of one
	 * failing on a schema that changed under its read. */
	if ((error = exec(c, "BEGIN IMMEDIATE")) < 0)
		goto done;
	began = 1;
	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		error = db_error(c, "reading its version (is it a trawic cache?)");
		goto done;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (version > SCHEMA_VERSION) {
		error = trw_error_set(TRW_EIO, "query cache %s has schema %d, newer than this "
		    "trawic (%d): use another cache path", path, version, SCHEMA_VERSION);
		goto done;
	}
	if ((error = exec(c,
	    "CREATE TABLE IF NOT EXISTS completions ("
	    " key TEXT PRIMARY KEY,"
	    " model TEXT NOT NULL,"
	    " completion BLOB NOT NULL,"
	    " logprobs BLOB,"
	    " created INTEGER NOT NULL"
	    ") WITHOUT ROWID;"
	    "PRAGMA user_version=1")) < 0)
		goto done;
	if ((error = exec(c, "COMMIT")) < 0)
		goto done;
	began = 0;
	if (sqlite3_prepare_v2(c->db, "SELECT completion, logprobs FROM completions WHERE key = ?1",
	    -1, &c->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO completions "
	    "(key, model, completion, logprobs, created) VALUES (?1, ?2, ?3, ?4, ?5)",
	    -1, &c->put, NULL) != SQLITE_OK) {
		error = db_error(c, "prepare");
		goto done;
	}
	*out = c;
	c = NULL;
done:
	if (error < 0 && began)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(st);
	trw_cache_free(c);
	return error;
}

int trw_cache_flush(trw_cache *c)
{
	if (!c->in_txn)
		return 0;
	c->in_txn = 0;
	c->pending = 0;
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int error = db_error(c, "commit");

		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return error;
	}
	return 0;
}

void trw_cache_free(trw_cache *c)
{
	if (!c)
		return;
	if (c->db)
		trw_cache_flush(c);
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->put);
	sqlite3_close(c->db);
	free(c->path);
	free(c);
}

int trw_cache_get(trw_cache *c, const char *key, trw_completion *out)
{
	const void *text, *lp;
	int n, nlp, rc, error = 0;

	memset(out, 0, sizeof(*out));
	sqlite3_reset(c->get);
	if (sqlite3_bind_text(c->get, 1, key, -1, SQLITE_STATIC) != SQLITE_OK)
		return db_error(c, "bind");
	rc = sqlite3_step(c->get);
	if (rc == SQLITE_DONE) {
		error = TRW_ENOTFOUND;
		goto done;
	}
	if (rc != SQLITE_ROW) {
		error = db_error(c, "lookup");
		goto done;
	}
	text = sqlite3_column_blob(c->get, 0);
	n = sqlite3_column_bytes(c->get, 0);
	if ((out->text = malloc((size_t)n + 1)) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	if (n)
		memcpy(out->text, text, (size_t)n);
	out->text[n] = '\0';
	out->len = (size_t)n;
	if (sqlite3_column_type(c->get, 1) == SQLITE_BLOB) {
		const unsigned char *b;

		lp = sqlite3_column_blob(c->get, 1);
		nlp = sqlite3_column_bytes(c->get, 1);
		if (nlp % 8) {
			error = trw_error_set(TRW_EIO, "query cache %s: a log-probability blob "
			    "of %d bytes (corrupt entry %s)", c->path, nlp, key);
			goto done;
		}
		if (nlp && (out->logprobs = malloc((size_t)nlp)) == NULL) {
			error = trw_error_oom();
			goto done;
		}
		b = lp;
		out->nlogprobs = (size_t)nlp / 8;
		for (size_t i = 0; i < out->nlogprobs; i++) {
			uint64_t bits = 0;

			for (int k = 7; k >= 0; k--)
				bits = (bits << 8) | b[8 * i + (size_t)k];
			memcpy(&out->logprobs[i], &bits, 8);
		}
	}
	out->cached = 1;
done:
	sqlite3_reset(c->get);
	sqlite3_clear_bindings(c->get);
	if (error < 0) {
		free(out->text);
		free(out->logprobs);
		memset(out, 0, sizeof(*out));
	}
	return error;
}

int trw_cache_put(trw_cache *c, const char *key, const char *model,
    const trw_completion *comp)
{
	unsigned char *lp = NULL;
	int error = 0;

	if (!comp || !comp->text)
		return trw_error_set(TRW_EINVALID, "only a completion can be cached");
	if (comp->len > (size_t)INT32_MAX || comp->nlogprobs > (size_t)INT32_MAX / 8)
		return trw_error_set(TRW_ETOOBIG, "completion too large to cache");
	if (comp->nlogprobs) {
		if ((lp = malloc(comp->nlogprobs * 8)) == NULL)
			return trw_error_oom();
		for (size_t i = 0; i < comp->nlogprobs; i++) {
			uint64_t bits;

			memcpy(&bits, &comp->logprobs[i], 8);
			for (int k = 0; k < 8; k++) {
				lp[8 * i + (size_t)k] = (unsigned char)(bits & 0xff);
				bits >>= 8;
			}
		}
	}
	if (!c->in_txn) {
		if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			error = db_error(c, "begin");
			goto done;
		}
		c->in_txn = 1;
		c->txn_started_ns = trw_now_ns();
	}
	sqlite3_reset(c->put);
	if (sqlite3_bind_text(c->put, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(c->put, 2, model, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(c->put, 3, comp->len ? comp->text : "", (int)comp->len,
	    SQLITE_STATIC) != SQLITE_OK ||
	    (lp ? sqlite3_bind_blob(c->put, 4, lp, (int)(comp->nlogprobs * 8), SQLITE_STATIC) :
	    sqlite3_bind_null(c->put, 4)) != SQLITE_OK ||
	    sqlite3_bind_int64(c->put, 5, (sqlite3_int64)time(NULL)) != SQLITE_OK) {
		error = db_error(c, "bind");
		goto done;
	}
	if (sqlite3_step(c->put) != SQLITE_DONE) {
		error = db_error(c, "insert");
		goto done;
	}
	if (++c->pending >= BATCH_PUTS || trw_now_ns() - c->txn_started_ns >= BATCH_NS)
		error = trw_cache_flush(c);
done:
	sqlite3_reset(c->put);
	sqlite3_clear_bindings(c->put);
	free(lp);
	return error;
}

int trw_cache_count(trw_cache *c, uint64_t *out)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	*out = 0;
	if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM completions", -1, &st, NULL)
	    != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		error = db_error(c, "count");
		goto done;
	}
	*out = (uint64_t)sqlite3_column_int64(st, 0);
done:
	sqlite3_finalize(st);
	return error;
}
