/*
 * replay.c - run a fuzz target without libFuzzer.
 *
 *   fuzz_extract [-m N] FILE|DIR...
 * feeds every file (and every file of every directory) to the target,
 * once per language, then N deterministic mutations of each (bit flips,
 * truncations, byte insertions, splices), so `make check` exercises the
 * target under the sanitizers on every build.  Prints TAP.
 */
#ifndef TRW_LIBFUZZER
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	/* xorshift64*: deterministic across runs and machines */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static size_t ninputs;

static void feed(const uint8_t *data, size_t size, int mutations)
{
	uint8_t *buf = malloc(size + 64);

	if (!buf)
		abort();
	for (int lang = 0; lang < 9; lang++) {
		buf[0] = (uint8_t)lang;
		memcpy(buf + 1, data, size);
		LLVMFuzzerTestOneInput(buf, size + 1);
		ninputs++;
	}
	for (int m = 0; m < mutations; m++) {
		size_t n = size + 1;

		memcpy(buf + 1, data, size);
		buf[0] = (uint8_t)next();
		switch (next() % 4) {
		case 0:
			for (int k = 0; k < 8 && n > 1; k++)
				buf[1 + next() % (n - 1)] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:
			n = 1 + (n > 1 ? next() % (n - 1) : 0);
			break;
		case 2: {
			static const char junk[] = "\"'`/*#{}()[]\\\n\x00\xff\xc3";
			size_t at = 1 + (n > 1 ? next() % (n - 1) : 0);
			size_t k = 1 + next() % 16;

			memmove(buf + at + k, buf + at, n - at);
			for (size_t j = 0; j < k; j++)
				buf[at + j] = (uint8_t)junk[next() % (sizeof(junk) - 1)];
			n += k;
			break;
		}
		default:
			if (n > 2) {
				size_t a = 1 + next() % (n - 1), b = 1 + next() % (n - 1);

				buf[a] = buf[b];
				memmove(buf + 1, buf + 1 + a / 2, n - 1 - a / 2);
				n -= a / 2;
			}
		}
		LLVMFuzzerTestOneInput(buf, n);
		ninputs++;
	}
	free(buf);
}

static int feed_path(const char *path, int mutations)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int n = scandir(path, &ents, NULL, alphasort);

		if (n < 0)
			return -1;
		for (int i = 0; i < n; i++) {
			char sub[4096];

			if (ents[i]->d_name[0] != '.') {
				snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
				if (feed_path(sub, mutations) < 0)
					return -1;
			}
			free(ents[i]);
		}
		free(ents);
		return 0;
	}
	{
		FILE *f = fopen(path, "rb");
		uint8_t *data;
		size_t n;

		if (!f || st.st_size > (1 << 20)) {
			if (f)
				fclose(f);
			return -1;
		}
		data = malloc((size_t)st.st_size + 1);
		n = fread(data, 1, (size_t)st.st_size, f);
		fclose(f);
		feed(data, n, mutations);
		free(data);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int mutations = 50, i = 1;

	if (argc > 2 && strcmp(argv[1], "-m") == 0) {
		char *end;
		long m = strtol(argv[2], &end, 10);

		if (*end || m < 0 || m > 1000000) {
			fprintf(stderr, "fuzz_extract: bad -m %s\n", argv[2]);
			return 2;
		}
		mutations = (int)m;
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: fuzz_extract [-m MUTATIONS] FILE|DIR...\n");
		return 2;
	}
	printf("1..%d\n", argc - i);
	for (int k = 1; i < argc; i++, k++) {
		size_t before = ninputs;

		if (feed_path(argv[i], mutations) < 0) {
			printf("not ok %d - cannot read %s\n", k, argv[i]);
			return 1;
		}
		/* a crash or a failed invariant aborts before this line */
		printf("ok %d - %s: %zu inputs, no crash\n", k, argv[i], ninputs - before);
	}
	return 0;
}
#endif
