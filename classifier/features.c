/*
 * features.c - file vectors from probe results, by schema.
 *
 * The schemas are static tables; a vector is computed from a plain
 * struct of counts, so that a probe run in memory and a probe re-read
 * from JSON Lines give the same numbers by the same code.  This module
 * does not scale, impute or choose columns for a classifier: it states
 * what was measured and marks what was not (NaN).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/features.h"
#include "common/error.h"

/* ---- schemas -------------------------------------------------------------- */

#define K TRW_KIND__COUNT

static const char *const columns_v2[] = {
	"function_name_rate", "class_name_rate", "variable_name_rate",
	"string_rate", "comment_rate", "docstring_rate",
	"function_name_total", "class_name_total", "variable_name_total",
	"string_total", "comment_total", "docstring_total",
	/* schema 2 from here */
	"function_name_similarity_mean", "class_name_similarity_mean",
	"variable_name_similarity_mean", "string_similarity_mean",
	"comment_similarity_mean", "docstring_similarity_mean",
	"syntactic_logprob_mean", "semantic_logprob_mean",
	"syntactic_mink20", "semantic_mink20",
};

static const int indicator_v2[] = {
	0, 1, 2, 3, 4, 5,
	-1, -1, -1, -1, -1, -1,
	0, 1, 2, 3, 4, 5,
	6, 7, 6, 7,
};

static const char *const indicators_v2[] = {
	"function_name_missing", "class_name_missing", "variable_name_missing",
	"string_missing", "comment_missing", "docstring_missing",
	"syntactic_logprob_missing", "semantic_logprob_missing",
};

/* Schema 1 is a prefix of schema 2 (columns and indicators alike). */
static const trw_feature_schema schemas[] = {
	{ 1, 2 * K, columns_v2, indicator_v2, K, indicators_v2 },
	{ 2, sizeof(columns_v2) / sizeof(columns_v2[0]), columns_v2, indicator_v2,
	  sizeof(indicators_v2) / sizeof(indicators_v2[0]), indicators_v2 },
};

_Static_assert(sizeof(columns_v2) / sizeof(columns_v2[0]) ==
    sizeof(indicator_v2) / sizeof(indicator_v2[0]), "one indicator entry per column");
_Static_assert(sizeof(columns_v2) / sizeof(columns_v2[0]) <= TRW_FEATURES_MAX_COLUMNS,
    "raise TRW_FEATURES_MAX_COLUMNS");
_Static_assert(sizeof(indicators_v2) / sizeof(indicators_v2[0]) <= TRW_FEATURES_MAX_INDICATORS,
    "raise TRW_FEATURES_MAX_INDICATORS");

int trw_features_schema(const trw_feature_schema **out, unsigned version)
{
	if (version < TRW_FEATURES_SCHEMA_MIN || version > TRW_FEATURES_SCHEMA_MAX)
		return trw_error_set(TRW_EINVALID,
		    "feature schema %u is not known to this trawic (it knows %d to %d)",
		    version, TRW_FEATURES_SCHEMA_MIN, TRW_FEATURES_SCHEMA_MAX);
	*out = &schemas[version - 1];
	return 0;
}

/* ---- accumulation --------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Mean and Min-K% of one item's log-probabilities (n >= 1, all finite). */
static int item_logprob_stats(const double *lp, size_t n, double *mean, double *mink)
{
	double stack[64], *sorted = stack, sum = 0;
	size_t m = (n * TRW_FEATURES_MINK_PERCENT + 99) / 100;	/* ceil(k n), >= 1 */

	if (n > sizeof(stack) / sizeof(stack[0]) && !(sorted = malloc(n * sizeof(double))))
		return trw_error_oom();
	memcpy(sorted, lp, n * sizeof(double));
	qsort(sorted, n, sizeof(double), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += sorted[i];
	*mean = sum / (double)n;
	sum = 0;
	for (size_t i = 0; i < m; i++)
		sum += sorted[i];
	*mink = sum / (double)m;
	if (sorted != stack)
		free(sorted);
	return 0;
}

int trw_features_accumulate(trw_file_counts *counts, trw_kind kind, int similarity,
    int hit, const double *logprobs, size_t n)
{
	double mean, mink;
	int error;

	if ((unsigned)kind >= TRW_KIND__COUNT)
		return trw_error_set(TRW_EINVALID, "no such kind: %d", (int)kind);
	if (similarity < 0 || similarity > 100)
		return trw_error_set(TRW_EINVALID,
		    "similarity %d of a %s item is not in 0..100 (a failed query is not a miss)",
		    similarity, trw_kind_name(kind));
	if (hit != 0 && hit != 1)
		return trw_error_set(TRW_EINVALID, "hit %d of a %s item is not 0 or 1", hit,
		    trw_kind_name(kind));
	if (n && !logprobs)
		return trw_error_set(TRW_EINVALID, "%zu log-probabilities and no array", n);
	for (size_t i = 0; i < n; i++)
		/* a server rounding -0.00001 to 0.0000 is fine; +0.5 is not a log-probability */
		if (!isfinite(logprobs[i]) || logprobs[i] > 1e-6)
			return trw_error_set(TRW_EINVALID,
			    "log-probability %zu of a %s item is %g, not a finite value <= 0",
			    i, trw_kind_name(kind), logprobs[i]);
	if (n && (error = item_logprob_stats(logprobs, n, &mean, &mink)) < 0)
		return error;

	counts->totals[kind]++;
	counts->hits[kind] += (unsigned)hit;
	counts->sim_items[kind]++;
	counts->sim_sum[kind] += similarity;
	if (n) {
		counts->lp_items[kind]++;
		counts->lp_mean_sum[kind] += mean;
		counts->lp_mink_sum[kind] += mink;
	}
	return 0;
}

/* ---- JSON Lines records ---------------------------------------------------- */

/* An integer member, or a real holding an integer (JSON has one number type). */
static int get_int(const json_t *obj, const char *key, long long *out)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
	    fabs(json_real_value(v)) < 1e15) {
		*out = (long long)json_real_value(v);
		return 0;
	}
	return v ? trw_error_set(TRW_EINVALID, "\"%s\" is not an integer", key)
		 : trw_error_set(TRW_EINVALID, "no \"%s\"", key);
}

int trw_features_accumulate_record(trw_file_counts *counts, const json_t *record)
{
	const char *type, *kname;
	json_t *v, *lps;
	long long similarity;
	double *lp = NULL;
	size_t n = 0;
	int kind, hit, error;

	if (!json_is_object(record))
		return trw_error_set(TRW_EINVALID, "a probe record is not a JSON object");
	type = json_string_value(json_object_get(record, "type"));
	if (!type)
		return trw_error_set(TRW_EINVALID, "record without a \"type\"");
	if (strcmp(type, "probe") != 0)
		return 0;
	if (json_object_get(record, "error"))
		return trw_error_set(TRW_EINVALID,
		    "probe record of a failed query: its file has no feature vector");
	kname = json_string_value(json_object_get(record, "kind"));
	if (!kname || (kind = trw_kind_from_name(kname)) < 0)
		return trw_error_set(TRW_EINVALID, "probe record with no or an unknown \"kind\"");
	if ((error = get_int(record, "similarity", &similarity)) < 0)
		return error;
	if (similarity < 0 || similarity > 100)
		return trw_error_set(TRW_EINVALID, "\"similarity\" %lld is not in 0..100", similarity);
	v = json_object_get(record, "hit");
	if (!json_is_boolean(v))
		return trw_error_set(TRW_EINVALID, "probe record whose \"hit\" is not a boolean");
	hit = json_is_true(v);

	lps = json_object_get(record, "logprobs");
	if (lps && !json_is_null(lps)) {
		if (!json_is_array(lps))
			return trw_error_set(TRW_EINVALID, "\"logprobs\" is not an array");
		n = json_array_size(lps);
		if (n && !(lp = malloc(n * sizeof(double))))
			return trw_error_oom();
		for (size_t i = 0; i < n; i++) {
			json_t *x = json_array_get(lps, i);

			if (!json_is_number(x)) {
				free(lp);
				return trw_error_set(TRW_EINVALID, "logprobs[%zu] is not a number", i);
			}
			lp[i] = json_number_value(x);
		}
	}
	error = trw_features_accumulate(counts, (trw_kind)kind, (int)similarity, hit, lp, n);
	free(lp);
	return error;
}

int trw_file_counts_from_file_record(trw_file_counts *out, const json_t *record)
{
	const char *type;
	json_t *features;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(record))
		return trw_error_set(TRW_EINVALID, "a file record is not a JSON object");
	type = json_string_value(json_object_get(record, "type"));
	if (!type || strcmp(type, "file") != 0)
		return trw_error_set(TRW_EINVALID, "not a file record (\"type\":\"file\")");
	if (json_object_get(record, "skipped"))
		return trw_error_set(TRW_EINVALID, "a skipped file has no feature vector");
	features = json_object_get(record, "features");
	if (!json_is_object(features))
		return trw_error_set(TRW_EINVALID,
		    "file record without features (an incomplete probe has none)");
	for (int k = 0; k < TRW_KIND__COUNT; k++) {
		json_t *f = json_object_get(features, trw_kind_name(k));
		long long hits, total;
		int error;

		if (!json_is_object(f))
			return trw_error_set(TRW_EINVALID, "file record without features.%s",
			    trw_kind_name(k));
		if ((error = get_int(f, "hits", &hits)) < 0 ||
		    (error = get_int(f, "total", &total)) < 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", trw_error_last());
			return trw_error_set(error, "features.%s: %s", trw_kind_name(k), msg);
		}
		if (total < 0 || hits < 0 || hits > total || total > (long long)UINT32_MAX)
			return trw_error_set(TRW_EINVALID, "features.%s: hits %lld of total %lld",
			    trw_kind_name(k), hits, total);
		out->hits[k] = (unsigned)hits;
		out->totals[k] = (unsigned)total;
	}
	return 0;
}

/* ---- vectors ---------------------------------------------------------------- */

static double ratio(double num, unsigned den)
{
	return den ? num / den : NAN;
}

int trw_features_from_counts(double *out, unsigned schema, const trw_file_counts *c)
{
	const trw_feature_schema *s;
	int error;

	if ((error = trw_features_schema(&s, schema)) < 0)
		return error;
	for (int k = 0; k < K; k++) {
		if (c->hits[k] > c->totals[k])
			return trw_error_set(TRW_EINVALID, "%s: %u hits of %u elements",
			    trw_kind_name(k), c->hits[k], c->totals[k]);
		out[k] = ratio(c->hits[k], c->totals[k]);
		out[K + k] = c->totals[k];
	}
	if (schema < 2)
		return 0;

	for (int k = 0; k < K; k++) {
		if (c->sim_items[k] != c->totals[k])
			return trw_error_set(TRW_EINVALID,
			    "feature schema %u needs every item's similarity; %s has %u of %u "
			    "(counts from file records serve schema 1 only)",
			    schema, trw_kind_name(k), c->sim_items[k], c->totals[k]);
		out[2 * K + k] = ratio(c->sim_sum[k], c->sim_items[k]);
	}
	for (int g = 0; g < TRW_KIND_GROUP__COUNT; g++) {
		unsigned items = 0;
		double mean = 0, mink = 0;

		for (int k = 0; k < K; k++) {
			if (trw_kind_is_syntactic(k) != (g == TRW_KIND_GROUP_SYNTACTIC))
				continue;
			items += c->lp_items[k];
			mean += c->lp_mean_sum[k];
			mink += c->lp_mink_sum[k];
		}
		out[3 * K + g] = ratio(mean, items);
		out[3 * K + TRW_KIND_GROUP__COUNT + g] = ratio(mink, items);
	}
	return 0;
}

int trw_features_from_probe(double *out, unsigned schema, const trw_probe_file *pf)
{
	trw_file_counts c = TRW_FILE_COUNTS_INIT;
	int error;

	if (pf->file && pf->file->skipped != TRW_SKIP_NONE)
		return trw_error_set(TRW_EINVALID, "%s: a skipped file has no feature vector",
		    pf->file->path);
	if (pf->failed)
		return trw_error_set(TRW_EINVALID,
		    "%s: %zu queries failed; a feature vector from partial data would be a lie",
		    pf->file ? pf->file->path : "file", pf->failed);
	for (size_t i = 0; i < pf->count; i++) {
		const trw_probe_item *it = &pf->items[i];

		if (it->error)
			return trw_error_set(TRW_EINVALID, "%s: item %zu failed",
			    pf->file ? pf->file->path : "file", i);
		if ((error = trw_features_accumulate(&c, it->cand.kind, it->similarity, it->hit,
		    it->logprobs, it->logprobs ? it->nlogprobs : 0)) < 0)
			return error;
	}
	return trw_features_from_counts(out, schema, &c);
}
