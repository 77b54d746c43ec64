/*
 * report_render.c - render one audit-result record with one renderer:
 *
 *   report_render markdown|html RECORD.json OUT
 *
 * It calls the renderer directly (no format check of trw_report_render,
 * no CLI), so tests/report-visual.sh can run before `trawic report` is
 * built.  Exit 0, or 2 with the renderer's message.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "common/util.h"
#include "report/report.h"

int main(int argc, char **argv)
{
	trw_buf out = TRW_BUF_INIT(256u << 20);
	json_error_t jerr;
	json_t *record = NULL;
	FILE *f = NULL;
	int error = -1, status = 2;

	if (argc != 4 || (strcmp(argv[1], "markdown") && strcmp(argv[1], "html"))) {
		fprintf(stderr, "usage: report_render markdown|html RECORD.json OUT\n");
		return 2;
	}
	if ((record = json_load_file(argv[2], 0, &jerr)) == NULL) {
		fprintf(stderr, "report_render: %s:%d: %s\n", argv[2], jerr.line, jerr.text);
		goto done;
	}
	error = !strcmp(argv[1], "markdown") ? trw_report_markdown(&out, record)
	    : trw_report_html(&out, record);
	if (error < 0) {
		fprintf(stderr, "report_render: %s\n", trw_error_last());
		goto done;
	}
	if ((f = fopen(argv[3], "wb")) == NULL) {
		fprintf(stderr, "report_render: cannot write %s\n", argv[3]);
		goto done;
	}
	status = fwrite(out.ptr ? out.ptr : "", 1, out.size, f) == out.size ? 0 : 2;
	if (fclose(f) != 0)
		status = 2;
	f = NULL;
	if (status)
		fprintf(stderr, "report_render: cannot write %s\n", argv[3]);
done:
	if (f)
		fclose(f);
	json_decref(record);
	trw_buf_dispose(&out);
	return status;
}
