/*
 * cli_report.c - `archbench report RUN_DIR [--out DIR]`: a run folder as report.md, a
 * self-contained report.html and SVG plots in plots/ (reports/report_run.c does the work, through
 * the results model). Without a plotting backend the report is written with notes in
 * place of the plots, and the command says so; that is not a failure.
 */
#include <getopt.h>
#include <stdio.h>

#include "archbench/report_run.h"

#include "cli.h"

static void help(FILE *out)
{
    fprintf(out, "usage: archbench report RUN_DIR [--out DIR]\n"
                 "\n"
                 "Write report.md, report.html (self-contained: plots inlined) and plots/*.svg for one\n"
                 "run folder: its context and peaks, a table per family, throughput vs threads and a\n"
                 "roofline from the peaks measured in the run. Rows that did not verify are listed,\n"
                 "never plotted.\n"
                 "\n"
                 "  -o, --out DIR   where to write (default: RUN_DIR itself)\n"
                 "  -h, --help      this help\n"
                 "\n"
                 "Exit 1 when RUN_DIR is not a readable run or a file cannot be written.\n");
}

int ab__cli_report(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_dir = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_dir = optarg;
            break;
        case 'h':
            help(stdout);
            return AB_EXIT_OK;
        default:
            return ab__cli_usage_error("report", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return ab__cli_usage_error("report", "needs exactly one run folder");
    const char *run_dir = argv[optind];
    struct ab_report_summary sum;
    struct ab_error err;
    if (ab_report_run(run_dir, out_dir, &sum, &err) != AB_OK) {
        fprintf(stderr, "archbench report: %s\n", err.msg);
        return AB_EXIT_FAIL;
    }
    const char *dir = out_dir ? out_dir : run_dir;
    printf("wrote %s/report.md and %s/report.html: %zu rows, %zu plots", dir, dir, sum.n_rows, sum.n_plots);
    if (sum.n_not_verified)
        printf(", %zu rows not verified or not timed (listed, not plotted)", sum.n_not_verified);
    printf("\n");
    if (sum.n_plots_missing)
        printf("%zu plots not drawn: %s\n", sum.n_plots_missing, sum.plot_note);
    return AB_EXIT_OK;
}
