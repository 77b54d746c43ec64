/*
 * features.h - one vector per probed file, with a named, versioned schema.
 *
 * Schema 1 is the original TraWiC's twelve columns: for each kind, in
 * trw_kind order, `<kind>_rate` (hits / total) and then `<kind>_total`.
 * Schema 2 appends what the probe already knows: `<kind>_similarity_mean`
 * for each kind, and, per kind group (syntactic = function, class and
 * variable names; semantic = strings, comments, docstrings), the mean
 * log-probability and Min-K% (k = 20%) of the model's answers.
 *
 * Missing values are explicit: a column that has no measurement is NaN,
 * never a zero pretending to be one.  A rate or a mean similarity is
 * missing when its kind has no element in the file (total = 0); a
 * log-probability column is missing when no item of its group carried
 * log-probabilities.  Totals are always present (0 is a measurement).
 * Each column that can be missing names a missing-indicator (one per
 * kind, one per log-probability group); the classifier (svm.h) encodes a
 * missing value as the training mean plus that indicator set to 1.
 *
 * Log-probabilities are those the probe delivers: per generated token of
 * the model's answer (greedy), not a teacher-forced score of the masked
 * original.  When the answer reproduced the element they are the same
 * tokens.  For one item of n >= 1 tokens: mean = the mean of the n
 * log-probabilities; Min-K%(20) = the mean of the ceil(0.2 n) lowest.
 * The file's value for a group is the mean over the group's items that
 * carried log-probabilities.
 */
#ifndef TRW_FEATURES_H
#define TRW_FEATURES_H

#include <stddef.h>

#include <jansson.h>

#include "classifier/probe.h"
#include "extractor/extract.h"

#define TRW_FEATURES_SCHEMA_MIN 1
#define TRW_FEATURES_SCHEMA_MAX 2
#define TRW_FEATURES_SCHEMA_DEFAULT 2

/* Kind groups of the log-probability columns. */
typedef enum {
	TRW_KIND_GROUP_SYNTACTIC = 0,
	TRW_KIND_GROUP_SEMANTIC,
	TRW_KIND_GROUP__COUNT
} trw_kind_group;

/* Columns of schema 2 and later are a superset; this bounds them all. */
#define TRW_FEATURES_MAX_COLUMNS 32
#define TRW_FEATURES_MAX_INDICATORS 16

/* Min-K% of the log-probability columns, in percent. */
#define TRW_FEATURES_MINK_PERCENT 20

typedef struct trw_feature_schema {
	unsigned version;		/* 1, 2 */
	size_t ncols;
	const char *const *columns;	/* ncols names */
	/* per column: index of its missing-indicator, or -1 (never missing) */
	const int *indicator;
	size_t nindicators;
	const char *const *indicators;	/* nindicators names, "<kind>_missing" ... */
} trw_feature_schema;

/*
 * The schema `version`; *out borrows a static table (valid for the life
 * of the process).  TRW_EINVALID for an unknown version, saying which
 * versions this trawic knows.
 */
int trw_features_schema(const trw_feature_schema **out, unsigned version);

/*
 * What a file's vector is made from.  Build it item by item with
 * trw_features_accumulate (or _accumulate_record from JSON Lines), or
 * fill hits/totals directly (then only schema 1 can be computed: schema
 * 2 needs every item's similarity).  Zero-initialize it first.
 */
typedef struct trw_file_counts {
	unsigned hits[TRW_KIND__COUNT];
	unsigned totals[TRW_KIND__COUNT];
	/* items whose similarity was recorded, and the sum of those (0..100) */
	unsigned sim_items[TRW_KIND__COUNT];
	double sim_sum[TRW_KIND__COUNT];
	/* items that carried >= 1 log-probability; sums of their per-item
	 * mean and Min-K% */
	unsigned lp_items[TRW_KIND__COUNT];
	double lp_mean_sum[TRW_KIND__COUNT];
	double lp_mink_sum[TRW_KIND__COUNT];
} trw_file_counts;

#define TRW_FILE_COUNTS_INIT { { 0 } }

/*
 * Add one answered item: `similarity` 0..100, `hit` 0/1, and its `n`
 * per-token log-probabilities (`logprobs` may be NULL when n == 0).
 * TRW_EINVALID for a bad kind, a similarity or hit out of range (a
 * failed query, similarity -1, must not be added: it is not a miss), or
 * a log-probability that is not finite or is above 0; TRW_ENOMEM.
 */
int trw_features_accumulate(trw_file_counts *counts, trw_kind kind, int similarity,
    int hit, const double *logprobs, size_t n);

/*
 * Add one `trawic probe` record {"type":"probe","kind":..,"similarity":..,
 * "hit":..,"logprobs":[..]?}.  Records of another type are ignored (0).
 * A probe record with "error" is refused with TRW_EINVALID: its file has
 * no vector.
 */
int trw_features_accumulate_record(trw_file_counts *counts, const json_t *record);

/*
 * Fill hits and totals from a `trawic probe` file record
 * {"type":"file","features":{"<kind>":{"hits":h,"total":t},..}} (the
 * other fields of *out are zeroed: enough for schema 1 only).
 * TRW_EINVALID for a skipped or incomplete file (features null) or a
 * malformed record.  Use this or _accumulate_record, not both.
 */
int trw_file_counts_from_file_record(trw_file_counts *out, const json_t *record);

/*
 * The vector of schema `schema` into out[0 .. ncols-1], NaN for a
 * missing value.  TRW_EINVALID for an unknown schema, or schema >= 2
 * from counts without per-item similarities.
 */
int trw_features_from_counts(double *out, unsigned schema, const trw_file_counts *counts);

/*
 * The vector of a probed file.  TRW_EINVALID for a skipped file or one
 * with failed queries (a feature vector from partial data would be a lie).
 */
int trw_features_from_probe(double *out, unsigned schema, const trw_probe_file *pf);

#endif
