/*
 * test_comm.c - the links between devices and the communication projection: the shipped
 * interconnects.csv reads with a source per row; a bad file's error names file, line and
 * column; both formulations against figures worked out by hand; a test-only mutant that
 * counts the all-to-all bytes once (dispatch only, no combine) is caught by the same check;
 * `project --interconnect`'s outputs on the fixture run with a moe_ep row added, and its
 * refusal of a run without one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "archbench/model.h"
#include "archbench/procure.h"
#include "archbench/results.h"

static const char *data_path(const char *env, const char *def, const char *rel, char *buf, size_t n)
{
    const char *d = getenv(env);
    snprintf(buf, n, "%s/%s", d ? d : def, rel);
    return buf;
}

#define HEADER "interconnect,bw_bytes_per_s_per_direction,latency_s,source,note\n"

static const char *write_tmp(const char *tag, const char *text)
{
    static char path[2][256];
    static int which;
    char *p = path[which++ & 1];
    snprintf(p, sizeof path[0], "/tmp/ab_test_links_%s_%ld.csv", tag, (long)getpid());
    FILE *fp = fopen(p, "wb");
    cr_assert_not_null(fp);
    fputs(text, fp);
    fclose(fp);
    return p;
}

Test(interconnects, shipped_file_reads_with_sources)
{
    char path[1024];
    struct ab_interconnects ic;
    ab_interconnects_init(&ic);
    struct ab_error err = {0};
    cr_assert_eq(ab_interconnects_read(&ic, data_path("ARCHBENCH_DATASETS", "datasets", "hardware/interconnects.csv",
                                                      path, sizeof path),
                                       &err),
                 AB_OK, "%s", err.msg);
    cr_expect_geq(ic.n_links, 5);
    for (size_t i = 0; i < ic.n_links; i++) {
        cr_expect(ic.links[i].source[0] && strcmp(ic.links[i].source, "NA") != 0, "%s has a source", ic.links[i].name);
        cr_expect_gt(ic.links[i].bw_bytes_per_s_per_dir, 0.0);
    }
    /* the figures the brief's article needs, per direction */
    const struct { const char *name; double bw; } want[] = {
        {"nvlink 3", 300e9}, {"PCIe 4.0 x16", 31.5e9}, {"InfiniBand HDR", 25e9}, {"InfiniBand NDR", 50e9},
        {"100 GbE", 12.5e9},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct ab_interconnect *l = ab_interconnects_find(&ic, want[i].name);
        cr_assert_not_null(l, "%s", want[i].name);
        cr_expect_float_eq(l->bw_bytes_per_s_per_dir, want[i].bw, 1.0, "%s", want[i].name);
    }
    ab_interconnects_release(&ic);
    ab_interconnects_release(NULL);
}

Test(interconnects, errors_name_file_line_and_column)
{
    static const struct { const char *text, *want; } bad[] = {
        {HEADER "L,1e9,NA,doc,\nM,fast,NA,doc,\n", "line 3, column 'bw_bytes_per_s_per_direction': 'fast'"},
        {HEADER "L,NA,NA,doc,\n", "line 2, column 'bw_bytes_per_s_per_direction': NA"},
        {HEADER "L,1e9,-1,doc,\n", "line 2, column 'latency_s': '-1'"},
        {HEADER "L,1e9,NA,,\n", "line 2, column 'source'"},
        {HEADER "L,1e9,NA,doc,\nl,2e9,NA,doc,\n", "line 3, column 'interconnect': 'l' already on line 2"},
        {"interconnect,bandwidth,latency_s,source,note\nL,1e9,NA,doc,\n", "line 1, column 2: 'bandwidth'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = write_tmp("bad", bad[i].text);
        struct ab_interconnects ic;
        ab_interconnects_init(&ic);
        struct ab_error err = {0};
        cr_expect_eq(ab_interconnects_read(&ic, p, &err), AB_EPARSE, "case %zu", i);
        cr_expect_not_null(strstr(err.msg, p), "names the file: %s", err.msg);
        cr_expect_not_null(strstr(err.msg, bad[i].want), "case %zu: '%s' lacks '%s'", i, err.msg, bad[i].want);
        cr_expect_eq(ic.n_links, 0, "nothing added on error");
        ab_interconnects_release(&ic);
        remove(p);
    }
}

Test(interconnects, user_file_overrides_by_name)
{
    struct ab_interconnects ic;
    ab_interconnects_init(&ic);
    struct ab_error err = {0};
    cr_assert_eq(ab_interconnects_read(&ic, write_tmp("a", HEADER "NVLink 3,300e9,NA,doc,\nX,1e9,NA,doc,\n"), &err), AB_OK,
                 "%s", err.msg);
    cr_assert_eq(ab_interconnects_read(&ic, write_tmp("b", HEADER "nvlink 3,250e9,2e-6,my measurement,\n"), &err),
                 AB_OK, "%s", err.msg);
    cr_expect_eq(ic.n_links, 2);
    const struct ab_interconnect *l = ab_interconnects_find(&ic, "NVLINK 3");
    cr_assert_not_null(l);
    cr_expect_float_eq(l->bw_bytes_per_s_per_dir, 250e9, 1.0);
    cr_expect_float_eq(l->latency_s, 2e-6, 1e-12);
    ab_interconnects_release(&ic);
}

static struct ab_interconnect link_of(double bw, double latency_s)
{
    struct ab_interconnect l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "test link");
    l.bw_bytes_per_s_per_dir = bw;
    l.latency_s = latency_s;
    return l;
}

/*
 * Two ranks, by hand. Rank 0: phases 16000 ns, 4000 of them in MPI, 8000 bytes sent;
 * rank 1: phases 16000 ns, 6000 in MPI, 2000 bytes. Link 1e9 B/s per direction:
 * comm' 8000 and 2000 ns; shares 8000/(12000+8000) = 0.4 and 2000/(10000+2000) = 1/6,
 * mean 0.283333; measured (4000/16000 + 6000/16000)/2 = 0.3125. With 1 us latency and
 * 3 (2-1) = 3 messages: 11000/23000 and 5000/15000, mean 0.405797.
 */
Test(comm_projection, measured_by_hand)
{
    const struct ab_comm_rank ranks[2] = {{12000, 4000, 8000}, {10000, 6000, 2000}};
    struct ab_interconnect l = link_of(1e9, NAN);
    struct ab_comm_projection p;
    cr_assert_eq(ab_comm_project_measured(ranks, 2, 3.0, &l, &p), AB_OK);
    cr_expect_float_eq(p.share, (0.4 + 1.0 / 6.0) / 2.0, 1e-12, "%.9g", p.share);
    cr_expect_float_eq(p.measured_share, 0.3125, 1e-12);
    cr_expect_float_eq(p.comm_ns, 5000.0, 1e-9);
    cr_expect_float_eq(p.compute_ns, 11000.0, 1e-9);
    cr_expect_float_eq(p.bytes_sent, 5000.0, 1e-9);
    cr_expect_not(p.latency_counted);
    l.latency_s = 1e-6;
    cr_assert_eq(ab_comm_project_measured(ranks, 2, 3.0, &l, &p), AB_OK);
    cr_expect_float_eq(p.share, (11000.0 / 23000.0 + 5000.0 / 15000.0) / 2.0, 1e-12, "%.9g", p.share);
    cr_expect(p.latency_counted);

    const struct ab_comm_rank neg[1] = {{-1, 0, 0}};
    cr_expect_eq(ab_comm_project_measured(neg, 1, 0, &l, &p), AB_EINVAL);
    cr_expect_eq(ab_comm_project_measured(ranks, 0, 0, &l, &p), AB_EINVAL);
    struct ab_interconnect none = link_of(NAN, NAN);
    cr_expect_eq(ab_comm_project_measured(ranks, 2, 3.0, &none, &p), AB_EINVAL);
}

typedef enum ab_status (*analytic_fn)(const struct ab_comm_analytic *, const struct ab_interconnect *,
                                      struct ab_comm_projection *);

/* Test-only mutant: reads the model's all-to-all bytes as one direction's (dispatch only),
 * the combine that brings the expert outputs back forgotten. */
static enum ab_status mutant_bytes_once(const struct ab_comm_analytic *in, const struct ab_interconnect *link,
                                        struct ab_comm_projection *out)
{
    struct ab_comm_analytic half = *in;
    half.a2a_bytes_per_token /= 2.0;
    return ab_comm_project_analytic(&half, link, out);
}

/*
 * By hand: 4 devices, 400 tokens, 1000 B/token of all-to-all (dispatch + combine), 1e6
 * FLOP/token, 2 MoE layers, 1e12 FLOP/s, link 100e9 B/s. A device sends 100 x 1000 x 3/4
 * = 75000 B: 750 ns; computes 100 x 1e6 / 1e12 s = 100000 ns; share 750 / 100750. With
 * 1 us latency, 2 x 2 x 3 = 12 messages: comm 12750 ns, share 12750 / 112750.
 * A model's bytes: a-v3 (16 MoE layers, d 1024, top-2, FP16 activations) sends
 * 16 x 2 (dispatch, combine) x 2 x 1024 x 2 B = 131072 B per token.
 */
static bool analytic_matches_hand(analytic_fn fn)
{
    struct ab_comm_analytic in = {.a2a_bytes_per_token = 1000, .flops_per_token = 1e6, .moe_layers = 2,
                                  .n_devices = 4, .tokens = 400, .flop_per_s = 1e12};
    struct ab_interconnect l = link_of(100e9, NAN);
    struct ab_comm_projection p;
    if (fn(&in, &l, &p) != AB_OK)
        return false;
    bool ok = fabs(p.bytes_sent - 75000.0) < 1e-6 && fabs(p.comm_ns - 750.0) < 1e-6 &&
              fabs(p.compute_ns - 100000.0) < 1e-6 && fabs(p.share - 750.0 / 100750.0) < 1e-12 && isnan(p.measured_share);
    l.latency_s = 1e-6;
    if (fn(&in, &l, &p) != AB_OK)
        return false;
    return ok && fabs(p.messages - 12.0) < 1e-12 && fabs(p.share - 12750.0 / 112750.0) < 1e-12;
}

Test(comm_projection, analytic_by_hand_and_the_mutant_caught)
{
    cr_expect(analytic_matches_hand(ab_comm_project_analytic), "the projection matches the hand figures");
    cr_expect_not(analytic_matches_hand(mutant_bytes_once), "the mutant counting bytes once is caught");

    char path[1024];
    struct ab_model m;
    struct ab_error err = {0};
    cr_assert_eq(ab_model_load(data_path("ARCHBENCH_DATASETS", "datasets", "models/a-v3.json", path, sizeof path), &m,
                               &err),
                 AB_OK, "%s", err.msg);
    struct ab_model_figures f;
    ab_model_analyse(&m, 2048, &f);
    cr_expect_float_eq(f.a2a_bytes_per_token, 131072.0, 1e-6, "%.17g", f.a2a_bytes_per_token);

    struct ab_comm_analytic bad = {.a2a_bytes_per_token = 1000, .flops_per_token = 1e6, .moe_layers = 2,
                                   .n_devices = 1, .tokens = 400, .flop_per_s = 1e12};
    struct ab_interconnect l = link_of(100e9, NAN);
    struct ab_comm_projection p;
    cr_expect_eq(ab_comm_project_analytic(&bad, &l, &p), AB_EINVAL, "one device exchanges nothing");
    cr_expect_not_null(strstr(ab_comm_model_text_analytic(), "(n-1)/n"));
    cr_expect_not_null(strstr(ab_comm_model_text_measured(), "kept as measured"));
}

/* ---- the verb's library call on the fixture run ---------------------------------------- */

static void temp_dir(char *out, size_t n, const char *tag)
{
    snprintf(out, n, "/tmp/ab_test_comm_%s_%ld", tag, (long)getpid());
    mkdir(out, 0755);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "%s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void add_metric(struct ab_results *res, const struct ab_result_key *key, const char *name, double v)
{
    struct ab_result_metric m;
    memset(&m, 0, sizeof m);
    m.key = *key;
    snprintf(m.metric, sizeof m.metric, "%s", name);
    m.value = v;
    snprintf(m.unit, sizeof m.unit, "x");
    cr_assert_eq(ab_results_add_metric(res, &m), AB_OK);
}

Test(comm_projection, run_rows_measured_beside_projected)
{
    char run[1024], dir[256], out[300], path[600];
    struct ab_results res;
    struct ab_error err = {0};
    data_path("ARCHBENCH_TEST_DATA", "tests/data", "run_gemm_f32", run, sizeof run);
    temp_dir(dir, sizeof dir, "run");
    snprintf(out, sizeof out, "%s/out", dir);

    /* no moe_ep rows: refused, nothing written */
    struct ab_interconnect l = link_of(1e9, NAN);
    const struct ab_interconnect *links[1] = {&l};
    struct ab_comm_project_options opt = {.run_dir = run, .out_dir = out, .links = links, .n_links = 1};
    struct ab_comm_project_summary sum;
    cr_expect_eq(ab_comm_project_run(&opt, &sum, &err), AB_ENOTFOUND);
    cr_expect_not_null(strstr(err.msg, "mpirun"), "%s", err.msg);

    /* the fixture plus one moe_ep row of the two ranks worked out by hand above */
    cr_assert_eq(ab_results_read(run, false, &res, &err), AB_OK, "%s", err.msg);
    struct ab_result_row row = res.rows[res.n_rows - 1]; /* its samples: add_row copies them */
    snprintf(row.key.family, sizeof row.key.family, "moe_ep");
    snprintf(row.key.kernel, sizeof row.key.kernel, "moe_ep_alltoallv");
    snprintf(row.key.variant, sizeof row.key.variant, "alltoallv");
    snprintf(row.key.shape, sizeof row.key.shape, "tokens=64,d_model=16,d_ff=24,experts=4,k=2,act=swiglu,dist=normal,ranks=2");
    row.verdict = AB_VERDICT_PASS;
    row.timed = true;
    cr_assert_eq(ab_results_add_row(&res, &row), AB_OK);
    static const char *const phases[] = {"route", "dispatch", "expert", "combine"};
    const double ph[2][4] = {{1000, 3000, 10000, 2000}, {1000, 5000, 8000, 2000}};
    const double comm[2] = {4000, 6000}, bytes[2] = {8000, 2000};
    for (int q = 0; q < 2; q++) {
        char name[64];
        for (int i = 0; i < 4; i++) {
            snprintf(name, sizeof name, "rank%d_%s_ns", q, phases[i]);
            add_metric(&res, &row.key, name, ph[q][i]);
        }
        snprintf(name, sizeof name, "rank%d_comm_ns", q);
        add_metric(&res, &row.key, name, comm[q]);
        snprintf(name, sizeof name, "rank%d_bytes_remote", q);
        add_metric(&res, &row.key, name, bytes[q]);
    }
    add_metric(&res, &row.key, "ranks", 2);
    add_metric(&res, &row.key, "comm_share", 0.3125);
    cr_assert_eq(ab_results_write(dir, &res, &err), AB_OK, "%s", err.msg);
    ab_results_release(&res);

    opt.run_dir = dir;
    cr_assert_eq(ab_comm_project_run(&opt, &sum, &err), AB_OK, "%s", err.msg);
    cr_expect_eq(sum.n_rows, 1);
    cr_expect_eq(sum.n_projected, 1);
    snprintf(path, sizeof path, "%s/comm_projection.csv", out);
    const char *csv = slurp(path);
    cr_expect_not_null(strstr(csv, "measured_comm_share"), "measured and projected in separate columns");
    cr_expect_not_null(strstr(csv, "projection (link bound, compute as measured)"));
    cr_expect_not_null(strstr(csv, ",0.3125,"), "the measured share as the run wrote it:\n%s", csv);
    cr_expect_not_null(strstr(csv, ",0.28333333333333"), "the projected share worked out by hand:\n%s", csv);
    snprintf(path, sizeof path, "%s/comm_projection.md", out);
    const char *md = slurp(path);
    cr_expect_not_null(strstr(md, "| 31.2% | test link | 28.3% |"), "%s", md);
    cr_expect_not_null(strstr(md, "bandwidth only"), "says the latency was not counted");
}
