/*
 * tsparse.c - the baseline for bench/extract: parse files with tree-sitter
 * and nothing else, one thread, files already in memory.
 *
 *   tsparse FILE...   prints "files N bytes B seconds S"
 *
 * Language by the same table trawic uses; files it cannot place are
 * ignored, so it sees exactly the bytes `trawic extract` parses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <tree_sitter/api.h>

#include "common/util.h"
#include "extractor/lang.h"

typedef struct input {
	const trw_lang *lang;
	char *bytes;
	size_t len;
} input;

int main(int argc, char **argv)
{
	input *in = calloc((size_t)argc, sizeof(*in));
	TSParser *p = ts_parser_new();
	size_t n = 0, bytes = 0;
	double best = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		struct stat st;

		if (!f)
			continue;
		if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
			in[n].bytes = malloc((size_t)st.st_size);
			in[n].len = fread(in[n].bytes, 1, (size_t)st.st_size, f);
			in[n].lang = trw_lang_detect(argv[i], in[n].bytes, in[n].len);
			if (in[n].lang) {
				bytes += in[n].len;
				n++;
			} else {
				free(in[n].bytes);
			}
		}
		fclose(f);
	}
	/* best of three, like the figures in the reference */
	for (int round = 0; round < 3; round++) {
		uint64_t t0 = trw_now_ns();
		double secs;

		for (size_t i = 0; i < n; i++) {
			TSTree *t;

			ts_parser_set_language(p, in[i].lang->grammar());
			t = ts_parser_parse_string(p, NULL, in[i].bytes, (uint32_t)in[i].len);
			ts_tree_delete(t);
		}
		secs = (trw_now_ns() - t0) / 1e9;
		if (round == 0 || secs < best)
			best = secs;
	}
	printf("files %zu bytes %zu seconds %.4f\n", n, bytes, best);
	for (size_t i = 0; i < n; i++)
		free(in[i].bytes);
	free(in);
	ts_parser_delete(p);
	return 0;
}
