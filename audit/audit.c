/* audit.c - placeholder; the pipeline is being written. */
#include "audit/audit.h"
#include "common/error.h"
int trw_audit_run(json_t **out, const trw_audit_options *opts) { (void)opts; *out = NULL; return trw_error_set(TRW_ERROR, "not built yet"); }
int trw_audit_exit_code(const json_t *r, trw_fail_on f) { (void)r; (void)f; return 2; }
int trw_audit_default_model(char **out) { *out = NULL; return TRW_ENOTFOUND; }
int trw_audit_default_classifier(const char **d, size_t *l, const char **n) { (void)d; (void)l; (void)n; return TRW_ENOTFOUND; }
int trw_audit_config_open(trw_config **out, const char *spec, const char *extra) { (void)spec; return trw_config_open_default(out, extra); }
int trw_fail_on_parse(const char *s) { (void)s; return -1; }
const char *trw_fail_on_name(trw_fail_on f) { (void)f; return NULL; }
