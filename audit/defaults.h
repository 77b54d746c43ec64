/*
 * defaults.h - data compiled into trawic: the default classifier
 * (classifier/default.json, embedded at build time).
 */
#ifndef TRW_AUDIT_DEFAULTS_H
#define TRW_AUDIT_DEFAULTS_H

#include <stddef.h>

extern const char trw_default_classifier[];
extern const size_t trw_default_classifier_len;

/* The file name of the default reference model, under
 * $XDG_CACHE_HOME/trawic/models/ or PKGDATADIR. */
#define TRW_DEFAULT_MODEL_NAME "default-order4.ref"

#endif
