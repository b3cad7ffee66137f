/*
 * test_merge_html.c - `archbench merge` as a library call on two machines: the fixture run
 * (tests/data/run_gemm_f32, this VM) and a copy of it written back through the results
 * model under another machine_id and run_id, with one row failed (not timed). A doctored
 * copy, not a run from another machine: what differs is the identity merge keys on. The
 * machines are matched to hand-made catalogue rows (a CPU of 8 cores, 80 W, 800 USD; a
 * GPU without cores), so the whole-device and core-scaled figures can be checked against
 * hand values. report.html is parsed with libxml2: the tables, every machine, the
 * estimate columns by their labels, NA (never 0) where a figure is missing, the plots
 * inlined with their titles and legend entries.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "archbench/arena.h"
#include "archbench/procure.h"
#include "archbench/report.h"
#include "archbench/results.h"

#include "../plot/svg_doc.h"

#define MACHINE_A "vm-49d35dea1f3cad99"
#define MACHINE_B "node-b-hand"
#define ESTIMATE_W "per W (core-scaled estimate: TDP x threads used / cores)"

/* The fixture under another identity, its avx512 256^3 1-thread row failed. */
static void second_machine(const char *run, const char *dir)
{
    struct ab_results res;
    struct ab_error err;
    cr_assert_eq(ab_results_read(run, false, &res, &err), AB_OK, "%s", err.msg);
    snprintf(res.ctx.machine_id, sizeof res.ctx.machine_id, "%s", MACHINE_B);
    snprintf(res.ctx.run_id, sizeof res.ctx.run_id, "1796160000-4242");
    cJSON_ReplaceItemInObjectCaseSensitive(res.ctx.json, "machine_id", cJSON_CreateString(MACHINE_B));
    cJSON_ReplaceItemInObjectCaseSensitive(res.ctx.json, "run_id", cJSON_CreateString("1796160000-4242"));
    size_t n_failed = 0;
    for (size_t i = 0; i < res.n_rows; i++) {
        struct ab_result_row *r = &res.rows[i];
        if (strcmp(r->key.kernel, "gemm_f32_avx512") == 0 && strncmp(r->key.shape, "m=256,", 6) == 0 &&
            r->key.threads == 1) {
            r->verdict = AB_VERDICT_FAIL;
            r->timed = false;
            r->median_ns = r->ci_low_ns = r->ci_high_ns = r->min_ns = r->mad_ns = (double)NAN;
            ab_results_derive(r, ab_results_peak(&res.ctx, 1), (double)NAN);
            n_failed++;
        }
    }
    cr_assert_eq(n_failed, 1);
    cr_assert_eq(ab_results_write(dir, &res, &err), AB_OK, "%s", err.msg);
    ab_results_release(&res);
}

static size_t col_of(const struct ab_csv_table *t, const char *name)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->cells[c], name) == 0)
            return c;
    cr_assert_fail("merged.csv has no column '%s'", name);
    return 0;
}

static double num(const char *s)
{
    return strcmp(s, "NA") == 0 ? (double)NAN : strtod(s, NULL);
}

Test(merge, two_machines_html_and_core_scaled_estimates)
{
    const char *data = getenv("ARCHBENCH_TEST_DATA");
    cr_assert_not_null(data, "ARCHBENCH_TEST_DATA is not set");
    char run[512], tmp[128], b[256], out[256], cat_path[256], path[600];
    snprintf(run, sizeof run, "%s/run_gemm_f32", data);
    snprintf(tmp, sizeof tmp, "/tmp/ab_test_merge_XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(b, sizeof b, "%s/b", tmp);
    snprintf(out, sizeof out, "%s/out", tmp);
    snprintf(cat_path, sizeof cat_path, "%s/hand.csv", tmp);
    cr_assert_eq(mkdir(b, 0755), 0);
    second_machine(run, b);

    FILE *fp = fopen(cat_path, "wb");
    cr_assert_not_null(fp);
    fputs("device,kind,cores,threads,peak_fp32_flop_per_s,peak_fp16_bf16_flop_per_s,peak_int8_op_per_s,"
          "mem_bw_bytes_per_s,mem_bytes,tdp_w,price_usd,source,note\n"
          "Hand Box,cpu,8,16,NA,NA,NA,NA,NA,80,800,hand values,\n"
          "Hand GPU,gpu,NA,NA,NA,NA,NA,NA,NA,300,NA,hand values,no cores and no price\n",
          fp);
    fclose(fp);
    struct ab_catalogue cat;
    ab_catalogue_init(&cat);
    struct ab_error err = {0};
    cr_assert_eq(ab_catalogue_read(&cat, cat_path, &err), AB_OK, "%s", err.msg);
    const char *dirs[] = {run, b};
    const struct ab_merge_machine_device md[] = {{MACHINE_A, "Hand Box"}, {MACHINE_B, "Hand GPU"}};
    struct ab_merge_options opt = {.run_dirs = dirs, .n_run_dirs = 2, .catalogue = &cat, .machine_devices = md,
                                   .n_machine_devices = 2, .out_dir = out};
    struct ab_merge_summary sum;
    cr_assert_eq(ab_merge_runs(&opt, &sum, &err), AB_OK, "%s", err.msg);
    cr_expect_eq(sum.n_machines, 2);
    cr_expect_eq(sum.n_rows, 28, "14 items x 2 machines");

    /* merged.csv: whole-device and core-scaled figures by hand. */
    snprintf(path, sizeof path, "%s/merged.csv", out);
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    struct ab_csv_options o = {.delim = ',', .quoting = true};
    cr_assert_eq(ab_csv_read(path, &o, &arena, &t, &err), AB_OK, "%s", err.msg);
    size_t c_m = col_of(&t, "machine_id"), c_th = col_of(&t, "threads"), c_rate = col_of(&t, "measured_rate"),
           c_w = col_of(&t, "rate_per_tdp_w"), c_usd = col_of(&t, "rate_per_usd"),
           c_share = col_of(&t, "core_share_estimate"), c_wc = col_of(&t, "rate_per_core_scaled_tdp_w_estimate"),
           c_uc = col_of(&t, "rate_per_core_scaled_usd_estimate"), c_note = col_of(&t, "note");
    size_t n_a = 0, n_b = 0;
    for (size_t r = 1; r < t.n_rows; r++) {
        const char *const *row = &t.cells[r * t.n_cols];
        double rate = num(row[c_rate]), threads = num(row[c_th]);
        if (strcmp(row[c_m], MACHINE_A) == 0) {
            n_a++;
            double share = fmin(threads, 8.0) / 8.0;  /* 1 thread of 8 cores: 1/8; 2 threads: 1/4 */
            cr_expect(fabs(num(row[c_share]) - share) < 1e-12, "share %s", row[c_share]);
            cr_expect(fabs(num(row[c_w]) - rate / 80.0) < 1e-9 * rate, "whole device per W");
            cr_expect(fabs(num(row[c_usd]) - rate / 800.0) < 1e-9 * rate, "whole device per $");
            cr_expect(fabs(num(row[c_wc]) - rate / (80.0 * share)) < 1e-9 * rate, "core-scaled per W");
            cr_expect(fabs(num(row[c_uc]) - rate / (800.0 * share)) < 1e-9 * rate, "core-scaled per $");
            cr_expect(fabs(num(row[c_wc]) - num(row[c_w]) * 8.0 / threads) < 1e-9 * rate,
                      "the estimate is the whole-device figure x cores / threads");
        } else {
            n_b++;
            cr_expect_str_eq(row[c_share], "NA", "no cores: no share");
            cr_expect_str_eq(row[c_wc], "NA");
            cr_expect_str_eq(row[c_uc], "NA");
            cr_expect_str_eq(row[c_usd], "NA", "no price: NA, not 0");
            if (!isnan(rate)) {
                cr_expect(fabs(num(row[c_w]) - rate / 300.0) < 1e-9 * rate);
                cr_expect(strstr(row[c_note], "core-scaled estimates NA: the catalogue states no cores for 'Hand GPU'"),
                          "%s", row[c_note]);
            }
        }
    }
    cr_expect_eq(n_a, 14);
    cr_expect_eq(n_b, 14);
    ab_arena_release(&arena);

    snprintf(path, sizeof path, "%s/procurement.md", out);
    char *text = doc_slurp(path);
    cr_expect_not_null(strstr(text, "share = min(threads used, cores) / cores"), "the model is stated");
    cr_expect_not_null(strstr(text, "| family | kernel | shape | threads | " MACHINE_A " | " MACHINE_B " |"));
    free(text);

    snprintf(path, sizeof path, "%s/report.html", out);
    xmlDocPtr doc = html_read(path);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    cr_expect_eq(count_elements(root, "h1", "Procurement: 2 machines from 2 runs"), 1);
    cr_expect_eq(count_elements(root, "h2", "Machines"), 1);
    cr_expect_eq(count_elements(root, "h2", "Throughput per machine"), 1);
    cr_expect_eq(count_elements(root, "h2", "Per watt and per dollar"), 1);
    cr_expect_eq(count_elements(root, "table", NULL), 4, "machines, throughput, per W and per $, energy");
    /* Every machine: a row of the machines table, a column of the throughput table. */
    for (const char *const *m = (const char *const[]){MACHINE_A, MACHINE_B, NULL}; *m; m++) {
        cr_expect_eq(count_elements(root, "th", *m), 1, "%s has a column", *m);
        cr_expect_eq(count_elements(root, "td", *m), 1 + 14 + 1, "%s: machines row, 14 per-W rows, energy row", *m);
    }
    cr_expect_eq(count_elements(root, "th", ESTIMATE_W), 1);
    cr_expect_eq(count_elements(root, "th", "per TDP W (whole device)"), 1, "the whole-device figure beside it");
    cr_expect_eq(count_elements(root, "td", "NA (fail)"), 1, "the failed row of machine B");
    cr_expect_eq(count_elements(root, "td", "0"), 0, "no figure shown as 0");
    /* Machine B: 14 rows x (core-scaled per W and per $, per $) NA, the failed row's rate and per W;
     * the fixture's energy source NA on both machines. */
    cr_expect_eq(count_elements(root, "td", "NA"), 14 * 3 + 2 + 2);
    const char *why = NULL;
    if (ab_plot_available(&why)) {
        cr_expect_eq(count_elements(root, "svg", NULL), sum.n_plots, "every plot inlined");
        cr_expect_eq(count_text(doc, "gemm_f32, 1 thread: throughput by machine"), 1);
        cr_expect_eq(count_text(doc, "machine (number in the table)"), 2, "the x label of both throughput plots");
        cr_expect_geq(count_text(doc, "machines: 1 = " MACHINE_A ", 2 = " MACHINE_B), 2);
        cr_expect_geq(count_text(doc, "gemm_f32_avx512 m=1024,n=1024,k=1024,..."), 2, "a legend entry per plot");
        cr_expect_eq(count_text(doc, "roofline of " MACHINE_B ", FP32, 1 thread"), 1);
    } else {
        cr_expect_eq(count_elements(root, "svg", NULL), 0);
    }
    xmlFreeDoc(doc);
    ab_catalogue_release(&cat);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_expect_eq(system(cmd), 0);
}
