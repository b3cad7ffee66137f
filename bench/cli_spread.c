/*
 * cli_spread.c - `archbench spread DIR...`: how far the medians of the same items move
 * between separate runs (the invocation-to-invocation spread a CI gate must live with).
 * Per item present in every run: the median of the runs' medians, the largest deviation
 * from it and the full range, in percent, and how many repetitions were clean in each run.
 * Where every run measured the item's compute peak, the same for its % of that peak: the
 * figure normalised by a ceiling measured minutes, not hours, apart, which cancels what
 * drifts between runs for kernel and probe alike (a VM's clock speed).
 * Reads the runs through the results model.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/results.h"
#include "archbench/stats.h"

#include "cli.h"

static void help(FILE *out)
{
    fprintf(out, "usage: archbench spread RUN_DIR RUN_DIR [RUN_DIR...]\n"
                 "\n"
                 "For every item (kernel, shape, threads) timed in every run: the median of the\n"
                 "runs' medians, the largest deviation from it and the range, in percent of it.\n"
                 "Exit 1 when a folder is not a readable run.\n");
}

int ab__cli_spread(int argc, char **argv)
{
    static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return AB_EXIT_OK;
        }
        return ab__cli_usage_error("spread", "unknown option '%s'", argv[optind - 1]);
    }
    int n_runs = argc - optind;
    if (n_runs < 2)
        return ab__cli_usage_error("spread", "needs at least two run folders");
    struct ab_results *runs = ab_calloc((size_t)n_runs, sizeof *runs);
    double *med = ab_malloc((size_t)n_runs * sizeof *med);
    double *pct = ab_malloc((size_t)n_runs * sizeof *pct);
    if (!runs || !med || !pct) {
        ab_free(pct);
        fprintf(stderr, "archbench spread: out of memory\n");
        ab_free(runs);
        ab_free(med);
        return AB_EXIT_FAIL;
    }
    int rc = AB_EXIT_OK, n_read = 0;
    for (int i = 0; i < n_runs; i++, n_read++) {
        struct ab_error err;
        if (ab_results_read(argv[optind + i], false, &runs[i], &err) != AB_OK) {
            fprintf(stderr, "archbench spread: %s\n", err.msg);
            rc = AB_EXIT_FAIL;
            goto done;
        }
    }
    printf("%-26s %-44s %3s %11s %9s %8s %9s %9s  %s\n", "kernel", "shape", "thr", "median_ms", "maxdev_%",
           "range_%", "%peak", "maxdev_%", "clean/repetitions per run");
    for (size_t r = 0; r < runs[0].n_rows; r++) {
        const struct ab_result_row *row0 = &runs[0].rows[r];
        if (!row0->timed)
            continue;
        char clean[512] = "";
        bool everywhere = true;
        for (int i = 0; i < n_runs && everywhere; i++) {
            const struct ab_result_row *row = ab_results_find(&runs[i], &row0->key);
            everywhere = row && row->timed;
            if (everywhere) {
                med[i] = row->median_ns;
                pct[i] = row->pct_peak_compute;
                size_t len = strlen(clean);
                snprintf(clean + len, sizeof clean - len, "%s%d/%d", i ? " " : "", row->clean_repetitions,
                         row->repetitions);
            }
        }
        if (!everywhere)
            continue;
        double lo = INFINITY, hi = 0.0;
        for (int i = 0; i < n_runs; i++) {
            lo = med[i] < lo ? med[i] : lo;
            hi = med[i] > hi ? med[i] : hi;
        }
        double m = ab_stats_median_inplace(med, (size_t)n_runs);
        double dev = fmax(hi - m, m - lo) / m;
        double plo = INFINITY, phi = -INFINITY;
        bool have_pct = true;
        for (int i = 0; i < n_runs; i++) {
            have_pct &= !isnan(pct[i]);
            plo = pct[i] < plo ? pct[i] : plo;
            phi = pct[i] > phi ? pct[i] : phi;
        }
        char pct_s[32] = "NA", pdev_s[32] = "NA";
        if (have_pct) {
            double pm = ab_stats_median_inplace(pct, (size_t)n_runs);
            snprintf(pct_s, sizeof pct_s, "%.1f", pm);
            snprintf(pdev_s, sizeof pdev_s, "%.2f", 100.0 * fmax(phi - pm, pm - plo) / pm);
        }
        printf("%-26s %-44.44s %3d %11.3f %9.2f %8.2f %9s %9s  %s\n", row0->key.kernel, row0->key.shape,
               row0->key.threads, m * 1e-6, 100.0 * dev, 100.0 * (hi - lo) / m, pct_s, pdev_s, clean);
    }
done:
    for (int i = 0; i < n_read; i++)
        ab_results_release(&runs[i]);
    ab_free(runs);
    ab_free(med);
    ab_free(pct);
    return rc;
}
