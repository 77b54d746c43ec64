/* test_svm.c - the classifier: grouped folds, training on separable and
 * on overlapping data, missing values, the classifier file's round trip,
 * its refusals (schema, corruption, truncation, missing keys, version),
 * and byte-for-byte determinism. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "classifier/svm.h"
#include "common/error.h"

#define assert_near(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
} while (0)

#define CREATED "2024-01-02T03:04:05Z"

/* ---- data ------------------------------------------------------------------ */

static uint64_t rng;

static double urand(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(urand())) * cos(2 * M_PI * urand());
}

typedef struct {
	size_t n, ncols;
	double *X;
	int *y;
	char **g;
} data;

static void data_free(data *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->g[i]);
	free(d->X);
	free(d->y);
	free(d->g);
}

/*
 * `repos` repositories (even: member, odd: non-member) of 6 to 14 files.
 * Schema-1 rates: member mean m1, non-member m0, noise sd; with
 * `informative` = 1 only function_name_rate carries the signal, the other
 * rates are noise.  Totals 1..30; a kind with total 0 has a missing rate.
 */
static void make_data(data *d, unsigned schema, size_t repos, double m1, double m0, double sd,
    int informative_all, uint64_t seed)
{
	const trw_feature_schema *fs;
	size_t cap = repos * 14;

	rng = seed;
	assert_int_equal(trw_features_schema(&fs, schema), 0);
	d->ncols = fs->ncols;
	d->n = 0;
	d->X = malloc(cap * d->ncols * sizeof(double));
	d->y = malloc(cap * sizeof(int));
	d->g = malloc(cap * sizeof(char *));
	for (size_t r = 0; r < repos; r++) {
		size_t files = 6 + (size_t)(urand() * 9);
		int label = r % 2 == 0;

		for (size_t f = 0; f < files; f++) {
			double *x = d->X + d->n * d->ncols;
			char name[32];

			snprintf(name, sizeof(name), "repo-%03zu", r);
			for (size_t k = 0; k < 6; k++) {
				double mean = (k == 0 || informative_all) ? (label ? m1 : m0) : 0.5;
				int total = (int)(urand() * 31);

				x[6 + k] = total;
				x[k] = total ? fmin(1, fmax(0, mean + sd * gauss())) : NAN;
			}
			for (size_t j = 12; j < d->ncols; j++)
				x[j] = NAN;	/* schema 2: no similarities or log-probs measured */
			if (d->ncols > 12)
				for (size_t k = 0; k < 6; k++)
					x[12 + k] = isnan(x[k]) ? NAN : 100 * x[k];
			d->y[d->n] = label;
			d->g[d->n] = strdup(name);
			d->n++;
		}
	}
}

static trw_classifier_options small_grid(void)
{
	trw_classifier_options o = TRW_CLASSIFIER_OPTIONS_INIT;

	o.log2c_min = -3;
	o.log2c_max = 7;
	o.log2g_min = -9;
	o.log2g_max = 1;
	o.threads = 2;
	o.patience = 2;
	return o;
}

static const trw_classifier_provenance prov = {
	"ref:test-order-4", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"9.9.9-test", CREATED,
};

static trw_classifier *train(const data *d, unsigned schema, const trw_classifier_options *o)
{
	trw_classifier *c = NULL;

	if (trw_classifier_train(&c, d->X, d->y, (const char *const *)d->g, d->n, schema, o,
	    &prov) < 0)
		fail_msg("train: %s", trw_error_last());
	return c;
}

/* ---- folds --------------------------------------------------------------------- */

static void check_folds(const unsigned *fold, const data *d, unsigned k)
{
	size_t members[16] = { 0 }, non[16] = { 0 }, member_groups[16] = { 0 }, non_groups[16] = { 0 };

	for (size_t i = 0; i < d->n; i++) {
		assert_true(fold[i] < k);
		(d->y[i] ? members : non)[fold[i]]++;
		/* a repository is never split */
		for (size_t j = 0; j < i; j++)
			if (strcmp(d->g[i], d->g[j]) == 0)
				assert_int_equal(fold[i], fold[j]);
		if (i == 0 || strcmp(d->g[i], d->g[i - 1]) != 0)
			(d->y[i] ? member_groups : non_groups)[fold[i]]++;
	}
	for (unsigned f = 0; f < k; f++) {
		size_t train_m = 0, train_n = 0;

		/* stratified: with >= k repositories of each label, every fold has both */
		assert_true(member_groups[f] >= 1);
		assert_true(non_groups[f] >= 1);
		for (unsigned h = 0; h < k; h++)
			if (h != f) {
				train_m += members[h];
				train_n += non[h];
			}
		assert_true(train_m > 0 && train_n > 0);
	}
}

static void test_folds_group_repositories(void **state)
{
	data d;
	unsigned *a, *b, *c;
	(void)state;

	make_data(&d, 1, 23, 0.6, 0.4, 0.1, 1, 7);
	a = malloc(d.n * sizeof(unsigned));
	b = malloc(d.n * sizeof(unsigned));
	c = malloc(d.n * sizeof(unsigned));
	assert_int_equal(trw_classifier_folds(a, d.y, (const char *const *)d.g, d.n, 5, 1), 0);
	check_folds(a, &d, 5);
	/* deterministic */
	assert_int_equal(trw_classifier_folds(b, d.y, (const char *const *)d.g, d.n, 5, 1), 0);
	assert_memory_equal(a, b, d.n * sizeof(unsigned));
	/* another seed is another valid assignment */
	assert_int_equal(trw_classifier_folds(b, d.y, (const char *const *)d.g, d.n, 5, 99), 0);
	check_folds(b, &d, 5);
	assert_int_equal(trw_classifier_folds(b, d.y, (const char *const *)d.g, d.n, 3, 1), 0);
	check_folds(b, &d, 3);

	/* independent of the order the files come in: reverse them */
	{
		int *ry = malloc(d.n * sizeof(int));
		const char **rg = malloc(d.n * sizeof(char *));

		for (size_t i = 0; i < d.n; i++) {
			ry[i] = d.y[d.n - 1 - i];
			rg[i] = d.g[d.n - 1 - i];
		}
		assert_int_equal(trw_classifier_folds(c, ry, rg, d.n, 5, 1), 0);
		for (size_t i = 0; i < d.n; i++)
			assert_int_equal(c[i], a[d.n - 1 - i]);
		free(ry);
		free(rg);
	}
	free(a);
	free(b);
	free(c);
	data_free(&d);
}

static void test_folds_refusals(void **state)
{
	const char *g[6] = { "a", "a", "b", "c", "d", "e" };
	int y[6] = { 1, 1, 1, 0, 0, 1 };
	unsigned out[6];
	(void)state;

	/* 5 repositories: 3 member, 2 non-member */
	assert_int_equal(trw_classifier_folds(out, y, g, 6, 2, 1), 0);
	assert_int_equal(out[0], out[1]);
	assert_int_equal(trw_classifier_folds(out, y, g, 6, 6, 1), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "repositories"));
	assert_int_equal(trw_classifier_folds(out, y, g, 6, 1, 1), TRW_EINVALID);
	/* one repository with both labels */
	y[1] = 0;
	assert_int_equal(trw_classifier_folds(out, y, g, 6, 2, 1), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "\"a\""));
	/* a single non-member repository cannot be on both sides */
	y[1] = 1;
	y[4] = 1;
	assert_int_equal(trw_classifier_folds(out, y, g, 6, 2, 1), TRW_EINVALID);
	y[4] = 0;
	y[0] = 2;
	assert_int_equal(trw_classifier_folds(out, y, g, 6, 2, 1), TRW_EINVALID);
}

/* ---- training -------------------------------------------------------------------- */

static void test_separable(void **state)
{
	trw_classifier_options o = TRW_CLASSIFIER_OPTIONS_INIT;	/* the full default grid */
	const trw_cv_summary *cv;
	trw_classifier *c;
	data d, fresh;
	(void)state;

	o.threads = 2;
	make_data(&d, 1, 16, 0.8, 0.2, 0.05, 1, 11);
	c = train(&d, 1, &o);
	cv = trw_classifier_get_cv(c);
	assert_int_equal(cv->samples, d.n);
	assert_int_equal(cv->groups, 16);
	assert_int_equal(cv->folds, 5);
	assert_int_equal(cv->cells_skipped, 0);
	assert_true(cv->file.accuracy >= 0.99);
	assert_near(cv->file.auc, 1, 0);
	assert_near(cv->repository.accuracy, 1, 0);
	assert_true(cv->log2c >= -5 && cv->log2c <= 15 && cv->log2g >= -15 && cv->log2g <= 3);

	/* new files from the same two clusters */
	make_data(&fresh, 1, 6, 0.8, 0.2, 0.05, 1, 12345);
	for (size_t i = 0; i < fresh.n; i++) {
		double p;

		assert_int_equal(trw_classifier_predict(&p, c, fresh.X + i * fresh.ncols), 0);
		if (fresh.y[i])
			assert_true(p > 0.5);
		else
			assert_true(p < 0.5);
	}
	data_free(&fresh);
	data_free(&d);
	trw_classifier_free(c);
}

static void test_overlapping(void **state)
{
	trw_classifier_options o = small_grid();
	const trw_cv_summary *cv;
	trw_classifier *c;
	data d;
	(void)state;

	/*
	 * Only function_name_rate differs, by one standard deviation (0.4 vs
	 * 0.3, sd 0.1, before clipping): the best possible AUC is
	 * Phi(1 / sqrt 2) = 0.76, so a working classifier lands well inside
	 * (0.6, 0.95) and one that leaks labels would not stay below 0.95.
	 */
	make_data(&d, 1, 60, 0.4, 0.3, 0.1, 0, 3);
	c = train(&d, 1, &o);
	cv = trw_classifier_get_cv(c);
	assert_true(d.n > 400);
	if (!(cv->file.auc > 0.6 && cv->file.auc < 0.95))
		fail_msg("cross-validated AUC %.4f", cv->file.auc);
	/* cross-fitted Platt probabilities are calibrated-ish */
	if (!(cv->file.ece < 0.08))
		fail_msg("cross-validated ECE %.4f", cv->file.ece);
	assert_true(cv->file.calibrated);
	assert_true(cv->file.recall > 0 && cv->file.recall < 1);
	trw_classifier_free(c);
	data_free(&d);
}

static void test_missing_values_schema2(void **state)
{
	trw_classifier_options o = small_grid();
	trw_classifier *c;
	data d;
	double x[TRW_FEATURES_MAX_COLUMNS], p;
	(void)state;

	/* log-probability columns all missing, rates missing where total = 0 */
	make_data(&d, 2, 12, 0.7, 0.3, 0.1, 1, 5);
	c = train(&d, 2, &o);
	assert_int_equal(trw_classifier_get_info(c)->schema, 2);
	for (size_t j = 0; j < d.ncols; j++)
		x[j] = NAN;
	for (size_t k = 0; k < 6; k++)
		x[6 + k] = 0;	/* an empty file: every measurement missing */
	assert_int_equal(trw_classifier_predict(&p, c, x), 0);
	assert_true(p >= 0 && p <= 1);
	x[6] = NAN;		/* a total is never missing */
	assert_int_equal(trw_classifier_predict(&p, c, x), TRW_EINVALID);
	x[6] = INFINITY;
	assert_int_equal(trw_classifier_predict(&p, c, x), TRW_EINVALID);
	trw_classifier_free(c);

	d.X[7] = NAN;		/* sample 0, class_name_total */
	assert_int_equal(trw_classifier_train(&c, d.X, d.y, (const char *const *)d.g, d.n, 2, &o,
	    NULL), TRW_EINVALID);
	assert_non_null(strstr(trw_error_last(), "class_name_total"));
	o.log2c_step = 0;
	d.X[7] = 3;
	assert_int_equal(trw_classifier_train(&c, d.X, d.y, (const char *const *)d.g, d.n, 2, &o,
	    NULL), TRW_EINVALID);
	data_free(&d);
}

/* ---- the classifier file -------------------------------------------------------------- */

static trw_classifier *shared;
static data shared_data;
static char *shared_text;
static size_t shared_len;

static int setup(void **state)
{
	trw_classifier_options o = small_grid();

	(void)state;
	make_data(&shared_data, 1, 14, 0.55, 0.4, 0.1, 1, 21);
	if (trw_classifier_train(&shared, shared_data.X, shared_data.y,
	    (const char *const *)shared_data.g, shared_data.n, 1, &o, &prov) < 0)
		return -1;
	return trw_classifier_dump(&shared_text, &shared_len, shared) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	trw_classifier_free(shared);
	data_free(&shared_data);
	free(shared_text);
	return 0;
}

static void test_file_round_trip(void **state)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	const trw_classifier_info *a, *b;
	trw_classifier *c;
	char *text;
	size_t len;
	int fd;
	(void)state;

	snprintf(path, sizeof(path), "%s/trawic-test-classifier-XXXXXX", dir && *dir ? dir : "/tmp");
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(trw_classifier_save(shared, path), 0);
	if (trw_classifier_load(&c, path, 1) < 0)
		fail_msg("load: %s", trw_error_last());
	unlink(path);

	for (size_t i = 0; i < shared_data.n; i++) {
		double p, q;

		assert_int_equal(trw_classifier_predict(&p, shared, shared_data.X + i * 12), 0);
		assert_int_equal(trw_classifier_predict(&q, c, shared_data.X + i * 12), 0);
		assert_near(p, q, 1e-12);
	}
	a = trw_classifier_get_info(shared);
	b = trw_classifier_get_info(c);
	assert_int_equal(a->schema, b->schema);
	assert_int_equal(a->support_vectors, b->support_vectors);
	assert_near(a->platt_a, b->platt_a, 0);
	assert_near(a->platt_b, b->platt_b, 0);
	assert_near(b->file_threshold, 0.5, 0);
	assert_near(b->repo_threshold, 0.4, 0);
	assert_string_equal(b->provenance->model, "ref:test-order-4");
	assert_string_equal(b->provenance->trawic_version, "9.9.9-test");
	assert_string_equal(b->provenance->created, CREATED);
	assert_string_equal(b->provenance->corpus_manifest_sha256, prov.corpus_manifest_sha256);
	assert_near(b->cv->file.auc, a->cv->file.auc, 0);
	assert_int_equal(b->cv->file.cm.tp, a->cv->file.cm.tp);
	assert_int_equal(b->cv->log2c, a->cv->log2c);
	assert_int_equal(b->cv->groups, 14);

	/* what was loaded dumps to the same bytes */
	assert_int_equal(trw_classifier_dump(&text, &len, c), 0);
	assert_int_equal(len, shared_len);
	assert_memory_equal(text, shared_text, len);
	free(text);
	trw_classifier_free(c);
}

static void test_wrong_schema(void **state)
{
	trw_classifier *c;
	(void)state;

	assert_int_equal(trw_classifier_load_buffer(&c, shared_text, shared_len, 2), TRW_EINVALID);
	assert_null(c);
	assert_string_equal(trw_error_last(),
	    "classifier was trained on feature schema 1, this probe has schema 2");
	assert_int_equal(trw_classifier_check_schema(shared, 2), TRW_EINVALID);
	assert_int_equal(trw_classifier_check_schema(shared, 1), 0);
	assert_int_equal(trw_classifier_load_buffer(&c, shared_text, shared_len, 0), 0);
	trw_classifier_free(c);
}

static void expect_refusal(const char *text, size_t len, const char *needle)
{
	trw_classifier *c = NULL;

	assert_int_equal(trw_classifier_load_buffer(&c, text, len, 0), TRW_EINVALID);
	assert_null(c);
	if (needle && !strstr(trw_error_last(), needle))
		fail_msg("message \"%s\" does not say \"%s\"", trw_error_last(), needle);
}

/* Re-serialize a modified document with a valid checksum: the refusal
 * must then come from the content check, not the checksum. */
static void expect_refusal_of(json_t *doc, const char *needle)
{
	char sum[72], *text;

	assert_int_equal(trw_classifier__checksum(sum, doc), 0);
	json_object_set_new(doc, "checksum", json_string(sum));
	text = json_dumps(doc, JSON_REAL_PRECISION(17));
	expect_refusal(text, strlen(text), needle);
	free(text);
	json_decref(doc);
}

static json_t *parsed(void)
{
	json_t *doc = json_loadb(shared_text, shared_len, 0, NULL);

	assert_non_null(doc);
	return doc;
}

static void test_corrupted(void **state)
{
	char *copy = malloc(shared_len);
	char *sv;
	json_t *doc;
	(void)state;

	/* flip one bit of the middle byte */
	memcpy(copy, shared_text, shared_len);
	copy[shared_len / 2] ^= 0x01;
	expect_refusal(copy, shared_len, NULL);

	/* a digit of a support vector changes: only the checksum sees it */
	memcpy(copy, shared_text, shared_len);
	sv = strstr(copy, "\\nSV\\n");
	assert_non_null(sv);
	sv = strpbrk(sv + 6, "123456789");
	*sv = *sv == '9' ? '8' : (char)(*sv + 1);
	expect_refusal(copy, shared_len, "checksum");

	/* truncated, anywhere */
	expect_refusal(shared_text, shared_len / 2, "not valid JSON");
	expect_refusal(shared_text, shared_len - 3, "not valid JSON");
	expect_refusal(shared_text, 0, "not valid JSON");
	free(copy);

	/* missing keys, named */
	doc = parsed();
	json_object_del(doc, "platt");
	expect_refusal_of(doc, "missing key \"platt\"");
	doc = parsed();
	json_object_del(json_object_get(doc, "scaling"), "mean");
	expect_refusal_of(doc, "missing key \"scaling.mean\"");
	doc = parsed();
	json_object_del(doc, "checksum");
	{
		char *text = json_dumps(doc, 0);

		expect_refusal(text, strlen(text), "missing key \"checksum\"");
		free(text);
	}
	json_decref(doc);

	/* an incompatible version, another format */
	doc = parsed();
	json_object_set_new(doc, "version", json_integer(2));
	expect_refusal_of(doc, "version 2");
	doc = parsed();
	json_object_set_new(doc, "format", json_string("something-else"));
	expect_refusal_of(doc, "not a trawic classifier");

	/* columns that are not the schema's */
	doc = parsed();
	json_array_set_new(json_object_get(doc, "columns"), 3, json_string("strings_rate"));
	expect_refusal_of(doc, "columns[3]");
	/* an unknown schema */
	doc = parsed();
	json_object_set_new(doc, "schema", json_integer(7));
	expect_refusal_of(doc, "feature schema 7");
	/* a forged libsvm model is checked before libsvm reads it */
	doc = parsed();
	{
		const char *m = json_string_value(json_object_get(doc, "libsvm_model"));
		char *forged = malloc(strlen(m) + 16), *t;

		strcpy(forged, m);
		t = strstr(forged, "total_sv ");
		assert_non_null(t);
		memcpy(t, "total_sv 9", 10);	/* first digit of the count */
		json_object_set_new(doc, "libsvm_model", json_string(forged));
		free(forged);
	}
	expect_refusal_of(doc, "libsvm model");
}

static void test_deterministic(void **state)
{
	trw_classifier_options o = small_grid();
	trw_classifier *c;
	char *text;
	size_t len;
	(void)state;

	/* the same training on one thread: the same bytes */
	o.threads = 1;
	c = train(&shared_data, 1, &o);
	assert_int_equal(trw_classifier_dump(&text, &len, c), 0);
	assert_int_equal(len, shared_len);
	assert_memory_equal(text, shared_text, len);
	free(text);
	trw_classifier_free(c);

	/* without a fixed time, created is now, as ISO 8601 UTC */
	{
		trw_classifier_provenance p = prov;

		p.created = NULL;
		p.trawic_version = NULL;
		assert_int_equal(trw_classifier_train(&c, shared_data.X, shared_data.y,
		    (const char *const *)shared_data.g, shared_data.n, 1, &o, &p), 0);
		assert_int_equal(strlen(trw_classifier_get_provenance(c)->created), 20);
		assert_true(trw_classifier_get_provenance(c)->created[10] == 'T');
		assert_true(trw_classifier_get_provenance(c)->created[19] == 'Z');
		assert_non_null(trw_classifier_get_provenance(c)->trawic_version);
		trw_classifier_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folds_group_repositories),
		cmocka_unit_test(test_folds_refusals),
		cmocka_unit_test(test_separable),
		cmocka_unit_test(test_overlapping),
		cmocka_unit_test(test_missing_values_schema2),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_wrong_schema),
		cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_deterministic),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
