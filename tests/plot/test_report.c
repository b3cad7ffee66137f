/*
 * test_report.c - `archbench report` as a library call on a fixture run folder
 * (tests/data/run_gemm_f32: gemm_f32 at 1 and 2 threads with probes, from this VM): the
 * Markdown and the HTML name the run, carry a table row per speed row and the peaks; the
 * HTML (parsed with libxml2) inlines one <svg> per plot with the expected titles and
 * legend entries; a row that failed verification is listed and never plotted; an
 * unreadable run is an error that leaves an earlier report as it was.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "archbench/report_run.h"
#include "archbench/results.h"

#include "svg_doc.h"

static void fixture(char *buf, size_t n)
{
    const char *data = getenv("ARCHBENCH_TEST_DATA");
    cr_assert_not_null(data, "ARCHBENCH_TEST_DATA is not set");
    snprintf(buf, n, "%s/run_gemm_f32", data);
}

static void temp_dir(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "/tmp/ab_test_report_%s_XXXXXX", tag);
    cr_assert_not_null(mkdtemp(buf));
}

static void remove_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(report, markdown_and_html_of_a_run)
{
    char run[512], out[256], path[600];
    fixture(run, sizeof run);
    temp_dir(out, sizeof out, "out");
    struct ab_report_summary sum;
    struct ab_error err;
    cr_assert_eq(ab_report_run(run, out, &sum, &err), AB_OK, "%s", err.msg);
    cr_expect_eq(sum.n_rows, 22);
    cr_expect_eq(sum.n_not_verified, 0);

    snprintf(path, sizeof path, "%s/report.md", out);
    char *md = doc_slurp(path);
    cr_expect_not_null(strstr(md, "# archbench report: run 1796154698-9003"));
    cr_expect_not_null(strstr(md, "| 1 | 171.4 (21.4%) | 668.5 (20.9%) | 28.7 (13.9%) | 24.7 (20.5%) |"),
                       "peaks with spreads");
    cr_expect_not_null(strstr(md, "| gemm_f32_avx512 | m=1024,n=1024,k=1024 | 1 | 16775.4 |"));
    cr_expect_not_null(strstr(md, "75% (compute)"));
    cr_expect_not_null(strstr(md, "load average 4.15"), "the run's warnings");
    cr_expect_not_null(strstr(md, "| frequency governor | NA |"), "missing values print NA");
    free(md);

    snprintf(path, sizeof path, "%s/report.html", out);
    xmlDocPtr doc = html_read(path);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    cr_expect_eq(count_elements(root, "h1", "archbench report: run 1796154698-9003"), 1);
    cr_expect_eq(count_elements(root, "h2", "gemm_f32"), 1);
    cr_expect_eq(count_elements(root, "td", "gemm_f32_avx512"), 4, "2 shapes x 2 thread counts");
    const char *why = NULL;
    if (ab_plot_available(&why)) {
        cr_expect_eq(sum.n_plots, 4, "two shapes x threads, two rooflines (1 and 2 threads)");
        cr_expect_eq(count_elements(root, "svg", NULL), 4, "the plots are inlined");
        cr_expect_eq(count_text(doc, "roofline, FP32, 1 thread"), 1);
        cr_expect_eq(count_text(doc, "gemm_f32 m=256,n=256,k=256: throughput vs threads"), 1);
        cr_expect_eq(count_text(doc, "gemm_f32_avx512 m=1024,n=1024,k=1024"), 2, "a legend entry per roofline");
        cr_expect_eq(count_text(doc, "threads"), 2, "the x label of each threads plot");
        snprintf(path, sizeof path, "%s/plots/roofline_fp32_2t.svg", out);
        xmlDocPtr svg = svg_read(path);
        cr_expect_eq(count_text(svg, "compute peak 172.7 GFLOP/s"), 1, "the 2-thread peak of this run");
        xmlFreeDoc(svg);
    } else {
        cr_expect_eq(sum.n_plots, 0);
        cr_expect_gt(sum.n_plots_missing, 0);
        cr_expect_eq(count_elements(root, "svg", NULL), 0);
    }
    xmlFreeDoc(doc);
    remove_tree(out);
}

/* A row that failed verification: in the table, named as not plotted, on no plot. */
Test(report, failed_rows_are_listed_not_plotted)
{
    need_plots();
    char run[512], dir[256], path[600];
    fixture(run, sizeof run);
    temp_dir(dir, sizeof dir, "failed");
    struct ab_results res;
    struct ab_error err;
    cr_assert_eq(ab_results_read(run, false, &res, &err), AB_OK, "%s", err.msg);
    size_t n_failed = 0;
    for (size_t i = 0; i < res.n_rows; i++) {
        struct ab_result_row *r = &res.rows[i];
        if (strcmp(r->key.kernel, "gemm_f32_openblas") == 0 && strcmp(r->key.shape, "m=256,n=256,k=256,trans_b=0,"
                                                                                     "beta=0,pad=0") == 0 &&
            r->key.threads == 1) {
            r->verdict = AB_VERDICT_FAIL;
            /* As the runner leaves a row that failed: no time reported. */
            r->timed = false;
            r->median_ns = r->ci_low_ns = r->ci_high_ns = r->min_ns = r->mad_ns = (double)NAN;
            ab_results_derive(r, ab_results_peak(&res.ctx, 1), (double)NAN);
            n_failed++;
        }
    }
    cr_assert_eq(n_failed, 1, "the fixture's row to fail was not found");
    cr_assert_eq(ab_results_write(dir, &res, &err), AB_OK, "%s", err.msg);
    ab_results_release(&res);

    struct ab_report_summary sum;
    cr_assert_eq(ab_report_run(dir, NULL, &sum, &err), AB_OK, "%s", err.msg);
    cr_expect_eq(sum.n_not_verified, 1);
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = doc_slurp(path);
    cr_expect_not_null(strstr(md, "| gemm_f32_openblas | m=256,n=256,k=256 | 1 | NA | NA | NA | NA | fail"));
    cr_expect_not_null(strstr(md, "- gemm_f32_openblas m=256,n=256,k=256,trans_b=0,beta=0,pad=0, 1 thread: fail"));
    free(md);

    snprintf(path, sizeof path, "%s/plots/roofline_fp32_1t.svg", dir);
    xmlDocPtr svg = svg_read(path);
    cr_expect_eq(count_text(svg, "gemm_f32_openblas m=256,n=256,k=256"), 0, "a failed row is plotted");
    cr_expect_eq(count_text(svg, "gemm_f32_avx512 m=256,n=256,k=256"), 1);
    xmlFreeDoc(svg);
    /* Its 2-thread row verified: the kernel stays on the threads plot, with a gap at 1. */
    snprintf(path, sizeof path, "%s/plots/roofline_fp32_2t.svg", dir);
    svg = svg_read(path);
    cr_expect_eq(count_text(svg, "gemm_f32_openblas m=256,n=256,k=256"), 1);
    xmlFreeDoc(svg);
    remove_tree(dir);
}

Test(report, unreadable_run_keeps_the_previous_report)
{
    char run[512], out[256], path[600];
    fixture(run, sizeof run);
    temp_dir(out, sizeof out, "keep");
    struct ab_error err;
    cr_assert_eq(ab_report_run(run, out, NULL, &err), AB_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/report.md", out);
    char *before = doc_slurp(path);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no_such_run", out);
    cr_expect_neq(ab_report_run(missing, out, NULL, &err), AB_OK);
    cr_expect_not_null(strstr(err.msg, "no_such_run"), "the error names the folder: %s", err.msg);
    char *after = doc_slurp(path);
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
    remove_tree(out);
}
