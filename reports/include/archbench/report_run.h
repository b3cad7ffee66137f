/*
 * report_run.h - the report of one run folder (`archbench report RUN_DIR`): report.md and
 * a self-contained report.html (the plots' SVG inlined) plus the plots as SVG files in
 * plots/, which report.md references by relative path.
 *
 * Read through the results model (ab_results_read), never from the CSVs by hand. Shows
 * the run's context (machine, the peaks measured in the run with their spreads, the
 * run's warnings), a table per family of speed rows (median, interval, rate, % of the
 * same-run roofline bound, verdict) and plots: throughput vs threads per kernel, and a
 * roofline per compute kind and thread count with every verified row's point under the
 * peaks of that run. Rows that did not verify are listed, never plotted. A value that
 * was not measured prints NA. Without a plotting backend the report is still written,
 * with a note where each plot would be.
 */
#ifndef ARCHBENCH_REPORT_RUN_H
#define ARCHBENCH_REPORT_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "archbench/api.h"
#include "archbench/status.h"

struct ab_report_summary {
    size_t n_rows;              /* speed rows in the run */
    size_t n_not_verified;      /* listed, not plotted (fail, crash, timeout, not timed) */
    size_t n_plots;             /* SVG files written */
    size_t n_plots_missing;     /* plots that could not be drawn (a note stands in their place) */
    char plot_note[AB_ERROR_MSG_BYTES];      /* why plots are missing, when some are; "" otherwise */
};

/*
 * Write report.md, report.html and plots/ into out_dir (NULL: run_dir; created when
 * missing), each file atomically. AB_EIO/AB_EPARSE naming the file when the run cannot be
 * read or a file cannot be written. out_summary may be NULL.
 */
AB_API enum ab_status ab_report_run(const char *run_dir, const char *out_dir, struct ab_report_summary *out_summary,
                                    struct ab_error *err);

#endif /* ARCHBENCH_REPORT_RUN_H */
