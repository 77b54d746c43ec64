/*
 * fuzz_protocol.c - bytes in, a request or an error out: no crash, no
 * leak, and the invariants the daemon relies on: a parsed request has a
 * known op, the fields its op needs, and every string within its limit;
 * a failure has an error code; answering it serialises to one line.
 *
 * Built as a libFuzzer target with --enable-fuzzing (CC=clang), otherwise
 * linked with replay.c, which feeds it the seeds of
 * tests/fuzz/seeds/protocol and deterministic mutations of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "daemon/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, size_t max)
{
	if (s && (strlen(s) == 0 || strlen(s) > max))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trw_request *r = NULL;
	trw_proto_errcode perr = TRW_PERR__COUNT;
	json_t *id = NULL, *back;
	trw_buf out = TRW_BUF_INIT(0);
	trw_submit_params p;
	int error;

	/* replay.c puts a selector byte first; the line is the rest */
	if (size < 1)
		return 0;
	error = trw_request_parse(&r, &perr, &id, (const char *)data + 1, size - 1);
	if (error < 0) {
		if (r || (unsigned)perr >= TRW_PERR__COUNT)
			abort();
		if (trw_proto_error(&out, id, perr, "%s", trw_error_last()) < 0)
			abort();
	} else {
		if (!r || (unsigned)r->op >= TRW_OP__COUNT || trw_op_name(r->op) == NULL)
			abort();
		if ((r->op == TRW_OP_STATUS || r->op == TRW_OP_WATCH || r->op == TRW_OP_RESULT ||
		    r->op == TRW_OP_CANCEL) && (!r->job || strlen(r->job) != 16))
			abort();
		if (r->op == TRW_OP_SUBMIT) {
			check_string(r->submit.spec, TRW_PROTOCOL_MAX_STRING);
			if (!r->submit.spec || r->submit.priority < -100 || r->submit.priority > 100)
				abort();
			/* what the store keeps reads back the same */
			back = trw_submit_params_to_json(&r->submit);
			if (!back || trw_submit_params_from_json(&p, back) < 0 ||
			    strcmp(p.spec, r->submit.spec) != 0 || p.npaths != r->submit.npaths)
				abort();
			trw_submit_params_dispose(&p);
			json_decref(back);
		}
		if (trw_proto_ok(&out, r->id, NULL) < 0)
			abort();
	}
	/* exactly one line */
	if (out.size == 0 || out.ptr[out.size - 1] != '\n' ||
	    memchr(out.ptr, '\n', out.size - 1) != NULL)
		abort();
	trw_buf_dispose(&out);
	json_decref(id);
	trw_request_free(r);
	return 0;
}
