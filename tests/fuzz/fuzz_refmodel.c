/*
 * fuzz_refmodel.c - bytes in as a reference model file: open either
 * refuses them (TRW_EINVALID) or gives a model whose queries neither crash
 * nor read out of bounds nor return text past their budget.
 *
 * The first byte is a switch: when its low bit is set, the SHA-256 in the
 * header is recomputed over the (mutated) payload before the file is
 * opened, so that mutations get past the checksum to the structural
 * checks and to the bounds checks decoding does on every reference, as a
 * file crafted on purpose would.  Built as a libFuzzer target with
 * --enable-fuzzing (CC=clang), otherwise linked with replay.c, which
 * feeds it seed files and deterministic mutations.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "model/fim.h"
#include "model/ref.h"

#define HDR_SIZE 320
#define HDR_DIGEST 272

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];

static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

static void query(const trw_refmodel *m, const char *prefix, const char *suffix,
    trw_stop_mode mode, const char *delim, int logprobs)
{
	trw_fim_query q;
	trw_completion c;

	memset(&q, 0, sizeof(q));
	q.prefix = prefix;
	q.prefix_len = strlen(prefix);
	q.suffix = suffix;
	q.suffix_len = strlen(suffix);
	q.stop.mode = mode;
	snprintf(q.stop.delim, sizeof(q.stop.delim), "%s", delim);
	q.decoding = (trw_decoding)TRW_DECODING_GREEDY;
	q.decoding.max_tokens = 24;
	q.want_logprobs = logprobs;
	if (trw_refmodel_infill(m, &q, &c) < 0) {
		if (trw_error_last_code() != TRW_EINVALID)
			abort();
		return;
	}
	if (!c.text || c.text[c.len] != '\0' || c.len > 24 * 128 || c.nlogprobs > 24)
		abort();
	for (size_t i = 0; i < c.nlogprobs; i++)
		if (!(c.logprobs[i] <= 0.0))
			abort();
	trw_completion_dispose(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trw_refmodel *m = NULL;
	trw_refmodel_stats st;
	unsigned char *buf;
	size_t len, plen;
	FILE *f;

	if (size < 1)
		return 0;
	if (!path[0]) {
		snprintf(path, sizeof(path), "%s/trawic-fuzz-ref.%ld",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
		atexit(cleanup);
	}
	len = size - 1;
	if ((buf = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(buf, data + 1, len);
	if ((data[0] & 1) && len >= HDR_SIZE) {
		unsigned int dlen = 0;

		if (EVP_Digest(buf + HDR_SIZE, len - HDR_SIZE, buf + HDR_DIGEST, &dlen,
		    EVP_sha256(), NULL) != 1)
			abort();
	}
	if ((f = fopen(path, "wb")) == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		abort();
	free(buf);

	if (trw_refmodel_open(&m, path) < 0) {
		if (m || trw_error_last_code() != TRW_EINVALID)
			abort();
		return 0;
	}
	trw_refmodel_get_stats(m, &st);
	(void)trw_refmodel_provenance(m, &plen);
	if (strncmp(trw_refmodel_identity(m), "ref:", 4) != 0)
		abort();
	query(m, "def ", "(self):\n", TRW_STOP_IDENT, "", 1);
	query(m, "x = \"", "\"\n", TRW_STOP_DELIM, "\"", 0);
	query(m, "    # ", "\n", TRW_STOP_NEWLINE, "", 1);
	query(m, "", "", TRW_STOP_NONE, "", 1);
	trw_refmodel_free(m);
	return 0;
}
