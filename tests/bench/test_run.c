/*
 * test_run.c - the measurement engine end to end on small GEMM shapes: the output
 * schema is fixed, unavailable counters are NA (never 0), perf::TASK-CLOCK really
 * counts where PAPI is built in, calibration reaches the minimum time, a resumed run
 * yields exactly the rows of an uninterrupted one, and bad options are refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "ab_config.h"

#include "archbench/arena.h"
#include "archbench/counters.h"
#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/kernel.h"
#include "archbench/report.h"
#include "archbench/results.h"
#include "archbench/run.h"

#include "run_fixture.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void small_options(struct ab_run_options *o, const char *dir)
{
    ab_run_options_init(o);
    o->filter = "^gemm_f32/gemm_f32_(ref|avx512)$";
    o->sets[0] = (struct ab_run_set){.param = "m", .values = {"33", "65"}, .n_values = 2};
    o->sets[1] = (struct ab_run_set){.param = "n", .values = {"17"}, .n_values = 1};
    o->sets[2] = (struct ab_run_set){.param = "k", .values = {"9"}, .n_values = 1};
    o->n_sets = 3;
    o->threads[0] = 1;
    o->threads[1] = 2;
    o->n_threads = 2;
    o->repetitions = 4;
    o->min_time_s = 0.002;
    o->probes = false;
    o->pin = false;
    o->events = "perf::TASK-CLOCK,PAPI_TOT_CYC";
    o->out_dir = dir;
    o->quick = true;
}

static void read_table(const char *dir, const char *name, struct ab_arena *arena, struct ab_csv_table *t)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct ab_csv_options o = {.delim = ',', .quoting = true};
    struct ab_error err;
    cr_assert_eq(ab_csv_read(path, &o, arena, t, &err), AB_OK, "%s", err.msg);
}

static int col(const struct ab_csv_table *t, const char *name)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->cells[c], name) == 0)
            return (int)c;
    cr_assert_fail("no column '%s'", name);
    return -1;
}

static void expect_header(const struct ab_csv_table *t, const char *const *want, size_t n, const char *file)
{
    cr_assert_eq(t->n_cols, n, "%s has %zu columns, schema says %zu", file, t->n_cols, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(t->cells[i], want[i], "%s column %zu", file, i);
}

Test(run, writes_the_fixed_schema_with_honest_values)
{
    char dir[128];
    temp_dir(dir, sizeof dir, "schema");
    struct ab_run_options o;
    small_options(&o, dir);
    struct ab_run_result res;
    struct ab_error err;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    /* 2 shapes x (ref once + avx512 at 1 and 2 threads), if AVX-512 runs here. */
    cr_assert_geq(res.n_items, 2);
    cr_assert_eq(res.n_failed, 0);

    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    static const char *const speed[] = {
        "run_id", "machine_id", "family", "kernel", "variant", "shape", "threads", "verified", "seed", "check_err",
        "check_tol", "repetitions", "clean_repetitions", "stats_from_clean", "iterations", "median_ns", "min_ns",
        "mad_ns", "cv", "ci_low_ns", "ci_high_ns", "n_outliers", "noisy", "flops_per_call", "bytes_per_call",
        "tokens_per_call", "compute_unit", "gflops", "gops", "gbytes_per_s", "tokens_per_s", "flops_per_byte",
        "peak_compute", "pct_peak_compute", "peak_bw_gbytes_per_s", "pct_peak_bw", "bound", "bound_rate",
        "pct_bound", "implausible", "speedup_vs_ref", "ipc", "timer_overhead_ns", "note"};
    read_table(dir, "speed.csv", &arena, &t);
    expect_header(&t, speed, sizeof speed / sizeof speed[0], "speed.csv");
    cr_assert_eq(t.n_rows - 1, res.n_items);
    for (size_t r = 1; r < t.n_rows; r++) {
        const char **row = t.cells + r * t.n_cols;
        double med = strtod(row[col(&t, "median_ns")], NULL);
        cr_assert_gt(med, 0.0, "median measured");
        cr_assert(strcmp(row[col(&t, "verified")], "fail") != 0);
        /* No peak probes in this run: % of peak is NA, never 0. */
        cr_assert_str_eq(row[col(&t, "pct_peak_compute")], "NA");
        cr_assert_str_eq(row[col(&t, "bound")], "NA", "no peaks, no roofline bound");
        cr_assert_str_eq(row[col(&t, "pct_bound")], "NA");
        cr_assert_str_eq(row[col(&t, "gops")], "NA", "FP32 GEMM is counted in FLOP");
        cr_assert_str_eq(row[col(&t, "tokens_per_s")], "NA", "GEMM has no tokens");
        double gflops = strtod(row[col(&t, "gflops")], NULL);
        cr_assert_float_eq(gflops, 2.0 * 17 * 9 * strtod(row[col(&t, "shape")] + 2, NULL) / med, 1e-9 * gflops,
                           "GFLOP/s = 2mnk / median_ns");
    }
    static const char *const samples[] = {"run_id", "machine_id", "family", "kernel", "variant", "shape",
                                          "threads", "repetition", "iterations", "time_ns", "total_ns", "outlier",
                                          "cpu_share", "invol_ctx_switches", "steal_share", "preempted"};
    read_table(dir, "samples.csv", &arena, &t);
    expect_header(&t, samples, sizeof samples / sizeof samples[0], "samples.csv");
    /* Calibration: a typical repetition of each item lasts about min_time (the median
     * over its repetitions; single ones can be cut short or stretched by a noisy VM). */
    for (size_t r = 1; r < t.n_rows;) {
        const char **first = t.cells + r * t.n_cols;
        double totals[64];
        size_t n = 0, end = r;
        while (end < t.n_rows && strcmp(t.cells[end * t.n_cols + 3], first[3]) == 0 &&
               strcmp(t.cells[end * t.n_cols + 5], first[5]) == 0 &&
               strcmp(t.cells[end * t.n_cols + 6], first[6]) == 0) {
            if (n < 64)
                totals[n++] = strtod(t.cells[end * t.n_cols + col(&t, "total_ns")], NULL);
            end++;
        }
        qsort(totals, n, sizeof totals[0], cmp_double);
        /* Single-thread items only: a 2-thread region on an oversubscribed 2-core VM
         * waits for a descheduled thread for milliseconds at random, which no
         * calibration can predict. */
        if (strcmp(first[6], "1") == 0)
            cr_assert_geq(totals[n / 2], 0.5 * o.min_time_s * 1e9, "%s %s t=%s: median repetition %.0f ns", first[3],
                      first[5], first[6], totals[n / 2]);
        r = end;
    }
    read_table(dir, "counters.csv", &arena, &t);
    int ev = col(&t, "event"), val = col(&t, "value");
    size_t n_task = 0;
    for (size_t r = 1; r < t.n_rows; r++) {
        const char **row = t.cells + r * t.n_cols;
        if (strcmp(row[ev], "PAPI_TOT_CYC") == 0 && strcmp(row[val], "NA") != 0)
            cr_assert_gt(strtod(row[val], NULL), 0.0, "an available cycle counter counts");
        if (strcmp(row[ev], "perf::TASK-CLOCK") == 0) {
            cr_assert_str_neq(row[val], "0", "never a fake 0");
            if (AB_HAVE_PAPI && strcmp(row[val], "NA") != 0) {
                cr_assert_gt(strtod(row[val], NULL), 0.0, "task clock counts CPU time");
                n_task++;
            }
        }
    }
    /* Where PAPI can count the task clock here, the rows must carry it. */
    struct ab_counter_info probe;
    ab_counters_probe("perf::TASK-CLOCK", &probe);
    if (probe.available)
        cr_expect_gt(n_task, 0, "perf::TASK-CLOCK counts here, so counters.csv must have its values");
    static const char *const energy[] = {"run_id",     "machine_id",    "family",   "kernel",   "variant",
                                         "shape",      "threads",       "energy_source", "energy_j", "region_s",
                                         "flop_per_j", "tokens_per_j", "note"};
    read_table(dir, "energy.csv", &arena, &t);
    expect_header(&t, energy, sizeof energy / sizeof energy[0], "energy.csv");
    for (size_t r = 1; r < t.n_rows; r++) {
        const char **row = t.cells + r * t.n_cols;
        if (strcmp(row[col(&t, "energy_source")], "NA") == 0) {
            cr_assert_str_eq(row[col(&t, "energy_j")], "NA");
            cr_assert_str_neq(row[col(&t, "note")], "", "NA comes with a reason");
        }
    }
    read_table(dir, "memory.csv", &arena, &t);
    for (size_t r = 1; r < t.n_rows; r++)
        cr_assert_gt(strtod(t.cells[r * t.n_cols + col(&t, "shim_peak_bytes")], NULL), 4.0 * 33 * 9,
                     "shim peak sees at least the A matrix");
    char path[512];
    snprintf(path, sizeof path, "%s/gbench.json", dir);
    cr_assert_eq(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/context.json", dir);
    cr_assert_eq(access(path, F_OK), 0);
    ab_arena_release(&arena);
}

/* Sorted "kernel|shape|threads" keys of a file, as one string, for comparison. */
static void keys_of(const char *dir, const char *file, char *out, size_t n)
{
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    read_table(dir, file, &arena, &t);
    char keys[64][160];
    size_t nk = 0;
    for (size_t r = 1; r < t.n_rows && nk < 64; r++) {
        const char **row = t.cells + r * t.n_cols;
        /* Items, not repetitions: how many repetitions an item takes depends on how many
         * were preempted. */
        snprintf(keys[nk], 160, "%s|%s|%s", row[3], row[5], row[6]);
        if (nk == 0 || strcmp(keys[nk - 1], keys[nk]) != 0)
            nk++;
    }
    qsort(keys, nk, sizeof keys[0], (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    for (size_t i = 0; i < nk; i++) {
        strncat(out, keys[i], n - strlen(out) - 1);
        strncat(out, "\n", n - strlen(out) - 1);
    }
    ab_arena_release(&arena);
}

/* The resumed run `cut` has exactly the rows of the uninterrupted run `full`. */
static void expect_same_rows(const char *full, const char *cut)
{
    static const char *const files[] = {"speed.csv", "samples.csv", "memory.csv", "energy.csv"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char a[8192], b[8192];
        keys_of(full, files[f], a, sizeof a);
        keys_of(cut, files[f], b, sizeof b);
        cr_assert_str_eq(b, a, "%s: resumed run has the same rows as the uninterrupted one", files[f]);
    }
}

Test(run, resume_after_interruption_gives_the_same_rows)
{
    char full[128], cut[128];
    temp_dir(full, sizeof full, "full");
    temp_dir(cut, sizeof cut, "cut");
    struct ab_run_options o;
    struct ab_run_result res;
    struct ab_error err;
    small_options(&o, full);
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    size_t n_items = res.n_items;
    if (n_items < 4)
        cr_skip_test("too few runnable items here to interrupt in the middle");

    volatile sig_atomic_t flag = 0;
    struct stopper s = {&flag, 2};
    small_options(&o, cut);
    o.stop = &flag;
    o.on_progress = stop_at;
    o.user = &s;
    cr_assert_eq(ab_run(&o, &res, &err), AB_EINTERRUPTED);
    cr_assert(res.interrupted);
    cr_assert_lt(res.n_done, n_items, "stopped early");

    small_options(&o, cut);
    o.resume = true;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    cr_assert_gt(res.n_resumed, 0, "kept earlier rows");

    expect_same_rows(full, cut);
}

Test(run, bad_options_are_refused)
{
    char dir[128];
    temp_dir(dir, sizeof dir, "bad");
    struct ab_run_options o;
    struct ab_run_result res;
    struct ab_error err;
    small_options(&o, dir);
    o.sets[3] = (struct ab_run_set){.param = "no_such_param", .values = {"1"}, .n_values = 1};
    o.n_sets = 4;
    cr_assert_eq(ab_run(&o, &res, &err), AB_EINVAL);
    cr_assert(strstr(err.msg, "no_such_param"), "%s", err.msg);
    small_options(&o, dir);
    o.sets[0].values[0] = "0";
    cr_assert_eq(ab_run(&o, &res, &err), AB_EINVAL, "m=0 is outside the range");
    small_options(&o, dir);
    o.filter = "nothing_matches_this";
    cr_assert_eq(ab_run(&o, &res, &err), AB_ENOTFOUND);
    small_options(&o, dir);
    o.filter = "(";
    cr_assert_eq(ab_run(&o, &res, &err), AB_EPARSE);
    small_options(&o, dir);
    o.interleave = o.isolate = true;
    cr_assert_eq(ab_run(&o, &res, &err), AB_EINVAL);
    cr_assert(strstr(err.msg, "--interleave and --isolate"), "%s", err.msg);
}

/* ---- --interleave: the variants take turns ------------------------------------------------ */

/* Which variant ran each timed repetition of the run: on_yield is called before every
 * one (numbering them from 1), and the first twin called under a number owns it (a
 * later calibration of the other twin under the same number does not). */
enum { TWIN_REPS = 6, MAX_REPS = 64 };
static int reps_started;
static char owner[MAX_REPS + 1];

static void count_rep(void *user)
{
    (void)user;
    reps_started++;
}

static enum ab_status twin(const struct ab_gemm_f32_args *args, const struct ab_exec *exec, char me)
{
    if (reps_started <= MAX_REPS && !owner[reps_started])
        owner[reps_started] = me;
    return ab_kernel_ref(&ab_family_gemm_f32)->fn.gemm_f32(args, exec);
}

static enum ab_status twin_a_fn(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    return twin(args, exec, 'a');
}
static enum ab_status twin_b_fn(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    return twin(args, exec, 'b');
}
static size_t twin_workspace(const struct ab_shape *s, int t)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->workspace_bytes(s, t);
}
static double twin_flops(const struct ab_shape *s)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->flops(s);
}
static double twin_bytes(const struct ab_shape *s)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->bytes(s);
}

#define TWIN(x)                                                                                                  \
    static const struct ab_kernel twin_##x = {                                                                   \
        .name = "test_twin_" #x, .family = &ab_family_gemm_f32, .variant = "test", .doc = "the reference",      \
        .fn = {.gemm_f32 = twin_##x##_fn}, .workspace_bytes = twin_workspace, .flops = twin_flops,               \
        .bytes = twin_bytes, .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-6, .scale_param = 2, .scale_ref = 256.0}};
TWIN(a)
TWIN(b)

/* Runs the twins with or without --interleave; owner[] then holds who ran what. */
static void run_twins(bool interleave)
{
    char dir[128];
    temp_dir(dir, sizeof dir, interleave ? "interleave" : "sequential");
    struct ab_run_options o;
    small_options(&o, dir);
    o.filter = "^gemm_f32/test_twin_[ab]$";
    o.sets[0] = (struct ab_run_set){.param = "m", .values = {"24"}, .n_values = 1};
    o.n_threads = 1;
    o.repetitions = TWIN_REPS;
    o.min_time_s = 0.002;
    o.events = "perf::TASK-CLOCK";
    o.interleave = interleave;
    o.on_yield = count_rep;
    reps_started = 0;
    memset(owner, 0, sizeof owner);
    struct ab_run_result res;
    struct ab_error err;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(res.n_done, 2);
    struct ab_results rs;
    cr_assert_eq(ab_results_read(dir, false, &rs, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(rs.n_rows, 2);
    int n_a = 0, n_b = 0;
    for (int i = 1; i <= reps_started && i <= MAX_REPS; i++) {
        n_a += owner[i] == 'a';
        n_b += owner[i] == 'b';
    }
    for (size_t i = 0; i < 2; i++) {
        const struct ab_result_row *row = &rs.rows[i];
        cr_assert(row->timed && row->verdict == AB_VERDICT_PASS, "%s: %s", row->key.kernel, row->note);
        cr_assert_eq(row->repetitions, i == 0 ? n_a : n_b, "%s: rows and calls disagree", row->key.kernel);
        cr_assert_eq(strstr(row->note, "interleaved") != NULL, interleave, "note: %s", row->note);
        /* energy off either way, for the reason that holds: other variants' turns, or
         * (sequential, on_yield) another process's */
        cr_assert(strstr(row->energy_note, interleave ? "other variants" : "another process"), "%s",
                  row->energy_note);
    }
    cr_assert_str_eq(rs.rows[0].key.kernel, "test_twin_a");
    ab_results_release(&rs);
}

/* A slow phase of the host (seconds, here) lands on whichever variant is being timed:
 * measured one after the other, all of it on one. Taking turns ABBA, every stretch of
 * repetitions holds both alike, and neither is always the one right after the other. */
Test(run, interleave_takes_turns_abba)
{
    cr_assert_eq(ab_kernel_register_extra(&twin_a), AB_OK);
    cr_assert_eq(ab_kernel_register_extra(&twin_b), AB_OK);
    run_twins(false);  /* the mutant: what the ordering was before --interleave */
    cr_assert(strncmp(owner + 1, "aaaaaa", TWIN_REPS) == 0, "sequential: %s", owner + 1);
    run_twins(true);
    /* Both want at least TWIN_REPS, so the first 2 x TWIN_REPS turns are fixed. */
    cr_assert(strncmp(owner + 1, "abbaabbaabba", 2 * TWIN_REPS) == 0, "interleaved: %s", owner + 1);
}

/*
 * gbench.json carries exactly the fields Google Benchmark's tools/compare.py reads
 * (no copy of compare.py is reachable from this machine, so the fields are checked
 * here and documented in README.md): context.json_schema_version; per benchmark name,
 * run_name, run_type ("iteration" or "aggregate"), repetitions, threads, iterations
 * (iteration entries), real_time, cpu_time, time_unit; aggregate_name on aggregates.
 */
Test(run, gbench_json_has_the_fields_compare_py_reads)
{
    char dir[128];
    temp_dir(dir, sizeof dir, "gbench");
    struct ab_run_options o;
    struct ab_run_result res;
    struct ab_error err;
    small_options(&o, dir);
    o.n_threads = 1;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    char path[512];
    snprintf(path, sizeof path, "%s/gbench.json", dir);
    cJSON *root = NULL;
    cr_assert_eq(ab_json_read_file(path, &root, &err), AB_OK, "%s", err.msg);
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(root, "context");
    cr_assert(cJSON_IsObject(ctx));
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(ctx, "json_schema_version")->valuedouble, 1.0);
    const cJSON *benches = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
    cr_assert(cJSON_IsArray(benches));
    size_t n_iter = 0, n_agg = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, benches)
    {
        static const char *const str_fields[] = {"name", "run_name", "run_type", "time_unit"};
        static const char *const num_fields[] = {"repetitions", "threads", "real_time", "cpu_time"};
        for (size_t i = 0; i < 4; i++) {
            cr_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, str_fields[i])), "%s", str_fields[i]);
            cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(b, num_fields[i])), "%s", num_fields[i]);
        }
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(b, "time_unit")->valuestring, "ns");
        cr_assert_gt(cJSON_GetObjectItemCaseSensitive(b, "real_time")->valuedouble, 0.0);
        const char *type = cJSON_GetObjectItemCaseSensitive(b, "run_type")->valuestring;
        if (strcmp(type, "iteration") == 0) {
            cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(b, "iterations")));
            n_iter++;
        } else {
            cr_assert_str_eq(type, "aggregate");
            cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(b, "aggregate_name")->valuestring, "median");
            n_agg++;
        }
    }
    cr_assert_eq(n_agg, res.n_items, "one median aggregate per item");
    struct ab_results rs;
    cr_assert_eq(ab_results_read(dir, false, &rs, &err), AB_OK, "%s", err.msg);
    size_t n_reps = 0;
    for (size_t i = 0; i < rs.n_rows; i++) {
        cr_assert_geq(rs.rows[i].n_samples, (size_t)o.repetitions, "at least R repetitions");
        n_reps += rs.rows[i].n_samples;
    }
    ab_results_release(&rs);
    cr_assert_eq(n_iter, n_reps, "one iteration entry per repetition");
    cJSON_Delete(root);
}

/* With 2 threads the counters cover both: task clock is about twice the wall time
 * (a count of the calling thread alone would be about 1x). */
Test(run, counters_cover_every_thread_of_the_team)
{
    if (!AB_HAVE_PAPI)
        cr_skip_test("built without PAPI");
    const struct ab_kernel *gemm = ab_kernel_find("gemm_f32_avx512");
    if (!gemm || !ab_kernel_runnable(gemm, ab_cpu_features(), NULL, NULL))
        cr_skip_test("gemm_f32_avx512 does not run on this CPU");
    char dir[128];
    temp_dir(dir, sizeof dir, "team");
    struct ab_run_options o;
    struct ab_run_result res;
    struct ab_error err;
    small_options(&o, dir);
    o.filter = "^gemm_f32/gemm_f32_avx512$";
    o.sets[0] = (struct ab_run_set){.param = "m", .values = {"256"}, .n_values = 1};
    o.sets[1] = (struct ab_run_set){.param = "n", .values = {"256"}, .n_values = 1};
    o.sets[2] = (struct ab_run_set){.param = "k", .values = {"256"}, .n_values = 1};
    o.sets[3] = (struct ab_run_set){.param = "trans_b", .values = {"0"}, .n_values = 1};
    o.n_sets = 4;
    o.threads[0] = 2;
    o.n_threads = 1;
    o.repetitions = 5;
    o.min_time_s = 0.02;
    o.pin = true;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table ts, tc;
    read_table(dir, "samples.csv", &arena, &ts);
    read_table(dir, "counters.csv", &arena, &tc);
    double ratios[64];
    size_t n = 0;
    for (size_t r = 1; r < tc.n_rows && n < 64; r++) {
        const char **row = tc.cells + r * tc.n_cols;
        if (strcmp(row[col(&tc, "event")], "perf::TASK-CLOCK") != 0 || strcmp(row[col(&tc, "value")], "NA") == 0)
            continue;
        size_t rep = (size_t)strtol(row[col(&tc, "repetition")], NULL, 10);
        double wall = strtod(ts.cells[(rep + 1) * ts.n_cols + col(&ts, "total_ns")], NULL);
        ratios[n++] = strtod(row[col(&tc, "value")], NULL) / wall;
    }
    if (n == 0)
        cr_skip_test("perf::TASK-CLOCK does not count here");
    qsort(ratios, n, sizeof ratios[0], cmp_double);
    cr_assert_gt(ratios[n / 2], 1.5, "median task-clock / wall = %.2f with 2 threads", ratios[n / 2]);
    ab_arena_release(&arena);
}

/* Interrupted inside an interleaved group, the group is finished and kept whole; resume
 * restores --interleave from the run (refusing a contradicting option) and ends with the
 * rows of an uninterrupted run. */
Test(run, interleaved_run_resumes_with_the_same_rows)
{
    cr_assert_eq(ab_kernel_register_extra(&twin_a), AB_OK);
    cr_assert_eq(ab_kernel_register_extra(&twin_b), AB_OK);
    char full[128], cut[128];
    temp_dir(full, sizeof full, "il_full");
    temp_dir(cut, sizeof cut, "il_cut");
    struct ab_run_options o;
    struct ab_run_result res;
    struct ab_error err;
    small_options(&o, full);
    o.filter = "^gemm_f32/(gemm_f32_ref|test_twin_[ab])$";
    o.interleave = true;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(res.n_items, 10, "2 cases x (reference + 2 twins x 2 thread counts)");

    volatile sig_atomic_t flag = 0;
    struct stopper s = {&flag, 3}; /* announced inside the first group (items 2-3) */
    small_options(&o, cut);
    o.filter = "^gemm_f32/(gemm_f32_ref|test_twin_[ab])$";
    o.interleave = true;
    o.stop = &flag;
    o.on_progress = stop_at;
    o.user = &s;
    cr_assert_eq(ab_run(&o, &res, &err), AB_EINTERRUPTED);
    cr_assert_eq(res.n_done, 3, "the reference and the whole first group");

    small_options(&o, cut);
    o.resume = true;
    o.interleave = false;
    o.given = AB_RUN_GIVEN_INTERLEAVE;
    cr_assert_eq(ab_run(&o, &res, &err), AB_EINVAL);
    cr_assert(strstr(err.msg, "--interleave"), "%s", err.msg);
    small_options(&o, cut);
    o.resume = true;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(res.n_resumed, 3);

    expect_same_rows(full, cut);
    struct ab_results rs;
    cr_assert_eq(ab_results_read(cut, false, &rs, &err), AB_OK, "%s", err.msg);
    for (size_t i = 0; i < rs.n_rows; i++)
        if (!rs.rows[i].key.kernel[0] || strcmp(rs.rows[i].key.kernel, "gemm_f32_ref") != 0)
            cr_assert(strstr(rs.rows[i].note, "interleaved"), "%s: %s", rs.rows[i].key.kernel, rs.rows[i].note);
    ab_results_release(&rs);
}
