/*
 * test_results.c - the results model and the promises built on it: the reader refuses
 * what it did not write (narrow files, foreign rows, renamed columns) naming file, line
 * and field; a finished run is never overwritten unless asked; resume restores the
 * interrupted run's plan, options and peaks, refuses a conflicting option and survives a
 * torn last line; figures above their roofline bound are marked implausible; a
 * repetition whose CPU was taken by another process is flagged preempted; --set can be
 * scoped to one family.
 */
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "archbench/cpu.h"
#include "archbench/kernel.h"
#include "archbench/report.h"
#include "archbench/results.h"
#include "archbench/run.h"

#include "run_fixture.h"

/* Small FP32 GEMM items: reference and every variant, 1 and 2 threads. */
static void small_options(struct ab_run_options *o, const char *dir)
{
    ab_run_options_init(o);
    o->filter = "^gemm_f32/gemm_f32_(ref|avx512|openblas)$";
    o->sets[0] = (struct ab_run_set){.param = "m", .values = {"33", "65"}, .n_values = 2};
    o->sets[1] = (struct ab_run_set){.param = "n", .values = {"17"}, .n_values = 1};
    o->sets[2] = (struct ab_run_set){.param = "k", .values = {"9"}, .n_values = 1};
    o->n_sets = 3;
    o->threads[0] = 1;
    o->threads[1] = 2;
    o->n_threads = 2;
    o->repetitions = 3;
    o->min_time_s = 0.001;
    o->probes = false;
    o->pin = false;
    o->events = "perf::TASK-CLOCK";
    o->out_dir = dir;
    o->quick = true;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp, "%s", path);
    fputs(text, fp);
    fclose(fp);
}

static void append_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "a");
    cr_assert_not_null(fp, "%s", path);
    fputs(text, fp);
    fclose(fp);
}

/* A context.json with fixed peaks, for --peaks-from. */
static void fake_peaks(const char *dir, const char *fp32_1)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"peaks\": [{\"threads\": 1, \"fp32_fma_gflops\": %s, \"int8_dot_gops\": 400, "
             "\"mem_read_gbytes_per_s\": 20, \"mem_triad_gbytes_per_s\": 20, \"fp32_fma_spread\": 0.01},"
             "{\"threads\": 2, \"fp32_fma_gflops\": 200, \"int8_dot_gops\": 800, \"mem_read_gbytes_per_s\": 30, "
             "\"mem_triad_gbytes_per_s\": 30}]}",
             fp32_1);
    write_file(dir, "peaks.json", text);
}

/* Run until the progress callback sees item `at`, then stop: an interrupted run. */
static void interrupted_run(struct ab_run_options *o, volatile sig_atomic_t *flag, struct stopper *s)
{
    struct ab_run_result res;
    struct ab_error err;
    o->stop = flag;
    o->on_progress = stop_at;
    o->user = s;
    cr_assert_eq(ab_run(o, &res, &err), AB_EINTERRUPTED, "%s", err.msg);
}

Test(results, a_finished_run_round_trips_through_the_reader)
{
    char dir[128];
    temp_dir(dir, sizeof dir, "rt");
    struct ab_run_options o;
    small_options(&o, dir);
    struct ab_run_result res;
    struct ab_error err;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    struct ab_results rs;
    cr_assert_eq(ab_results_read(dir, false, &rs, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(rs.n_rows, res.n_items);
    cr_assert(rs.ctx.complete);
    for (size_t i = 0; i < rs.n_rows; i++) {
        const struct ab_result_row *row = &rs.rows[i];
        cr_assert(row->timed);
        cr_assert_eq(row->n_samples, (size_t)row->repetitions);
        cr_assert_geq(row->repetitions, o.repetitions);
        cr_assert_leq(row->clean_repetitions, row->repetitions);
        cr_assert_gt(row->median_ns, 0.0);
        cr_assert_float_eq(row->gflops, row->flops / row->median_ns, 1e-9 * row->gflops);
        if (row->verdict == AB_VERDICT_PASS)
            cr_assert(!isnan(row->speedup_vs_ref), "%s: speed-up against the reference of its case", row->key.kernel);
        cr_assert_gt(row->seed, 0, "the case's seed is in the row");
    }
    ab_results_release(&rs);
}

Test(results, the_reader_refuses_foreign_and_malformed_files)
{
    char dir[128];
    temp_dir(dir, sizeof dir, "bad");
    struct ab_run_options o;
    small_options(&o, dir);
    struct ab_run_result res;
    struct ab_error err;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    struct ab_results rs;
    char path[512], saved[512];
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    snprintf(saved, sizeof saved, "%s/samples.keep", dir);
    cr_assert_eq(rename(path, saved), 0);

    /* A 3-column CSV where samples.csv should be. */
    write_file(dir, "samples.csv", "a,b,c\r\n1,2,3\r\n");
    cr_assert_eq(ab_results_read(dir, false, &rs, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "samples.csv") && strstr(err.msg, "line 1"), "%s", err.msg);

    /* A renamed header field. */
    cr_assert_eq(rename(saved, path), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sed -i '1s/time_ns/time_us/' %s", path);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(ab_results_read(dir, false, &rs, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "time_us") && strstr(err.msg, "time_ns"), "%s", err.msg);
    snprintf(cmd, sizeof cmd, "sed -i '1s/time_us/time_ns/' %s", path);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(ab_results_read(dir, false, &rs, &err), AB_OK, "%s", err.msg);
    ab_results_release(&rs);

    /* A row of another run merged in. */
    snprintf(cmd, sizeof cmd, "sed -i '2s/^[^,]*,/9999-1,/' %s/speed.csv", dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(ab_results_read(dir, false, &rs, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "speed.csv") && strstr(err.msg, "line 2") && strstr(err.msg, "run_id"), "%s", err.msg);
}

Test(results, a_run_in_the_folder_is_never_silently_overwritten)
{
    char dir[128];
    temp_dir(dir, sizeof dir, "over");
    struct ab_run_options o;
    small_options(&o, dir);
    o.n_sets = 3;
    struct ab_run_result res;
    struct ab_error err;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    small_options(&o, dir);
    cr_assert_eq(ab_run(&o, &res, &err), AB_EINVAL);
    cr_assert(strstr(err.msg, "finished") && strstr(err.msg, "--overwrite"), "the way out is named: %s", err.msg);
    small_options(&o, dir);
    o.resume = true;
    cr_assert_eq(ab_run(&o, &res, &err), AB_EINVAL);
    cr_assert(strstr(err.msg, "complete"), "%s", err.msg);
    small_options(&o, dir);
    o.overwrite = true;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
}

Test(results, resume_restores_the_plan_options_and_peaks)
{
    char dir[128], peaks[128];
    temp_dir(dir, sizeof dir, "resume");
    temp_dir(peaks, sizeof peaks, "peaks");
    fake_peaks(peaks, "150");
    char peaks_path[256];
    snprintf(peaks_path, sizeof peaks_path, "%s/peaks.json", peaks);

    struct ab_run_options o;
    small_options(&o, dir);
    o.peaks_from = peaks_path;
    volatile sig_atomic_t flag = 0;
    struct stopper s = {&flag, 3};
    interrupted_run(&o, &flag, &s);

    /* Resume with nothing but the folder: every other option comes from the run. */
    struct ab_run_options r;
    ab_run_options_init(&r);
    r.out_dir = dir;
    r.resume = true;
    r.pin = false;
    struct ab_run_result res;
    struct ab_error err;
    /* A conflicting option is refused, naming it. */
    r.threads[0] = 4;
    r.n_threads = 1;
    r.given = AB_RUN_GIVEN_THREADS;
    cr_assert_eq(ab_run(&r, &res, &err), AB_EINVAL);
    cr_assert(strstr(err.msg, "--threads"), "%s", err.msg);
    r.given = AB_RUN_GIVEN_REPETITIONS;
    r.repetitions = 7;
    cr_assert_eq(ab_run(&r, &res, &err), AB_EINVAL);
    cr_assert(strstr(err.msg, "--repetitions"), "%s", err.msg);
    /* The same value given again is no conflict. */
    r.given = AB_RUN_GIVEN_REPETITIONS | AB_RUN_GIVEN_THREADS;
    r.repetitions = 3;
    r.threads[0] = 1;
    r.threads[1] = 2;
    r.n_threads = 2;
    /* A torn last line (a crash mid-row) is dropped, not a reason to refuse. */
    append_file(dir, "speed.csv.partial", "1,2,gemm_f32,gemm_f32_avx512,avx");
    /* So is one longer than the 4 KiB blocks the tail is searched in (a crash can leave
     * a run of NUL or junk bytes with no line end). */
    static char junk[10000];
    memset(junk, 'x', sizeof junk - 1);
    append_file(dir, "samples.csv.partial", junk);
    cr_assert_eq(ab_run(&r, &res, &err), AB_OK, "%s", err.msg);
    cr_assert_gt(res.n_resumed, 0);

    struct ab_run_options full;
    char dir2[128];
    temp_dir(dir2, sizeof dir2, "full");
    small_options(&full, dir2);
    full.peaks_from = peaks_path;
    struct ab_run_result res_full;
    cr_assert_eq(ab_run(&full, &res_full, &err), AB_OK, "%s", err.msg);

    struct ab_results a, b;
    cr_assert_eq(ab_results_read(dir, false, &a, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(ab_results_read(dir2, false, &b, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(a.n_rows, b.n_rows, "resumed run has the items of an uninterrupted one (%zu vs %zu)", a.n_rows,
                 b.n_rows);
    for (size_t i = 0; i < b.n_rows; i++)
        cr_assert_not_null(ab_results_find(&a, &b.rows[i].key), "%s %s t=%d kept or measured", b.rows[i].key.kernel,
                           b.rows[i].key.shape, b.rows[i].key.threads);
    const struct ab_result_peak *p = ab_results_peak(&a.ctx, 1);
    cr_assert_not_null(p);
    cr_assert_float_eq(p->fp32_gflops, 150.0, 1e-9, "the run's own peaks are kept on resume");
    for (size_t i = 0; i < a.n_rows; i++)
        if (a.rows[i].key.threads == 1)
            cr_assert_float_eq(a.rows[i].peak_compute, 150.0, 1e-9, "every row against the same peak");
    ab_results_release(&a);
    ab_results_release(&b);
}

Test(results, peaks_from_refuses_impossible_figures)
{
    char dir[128], peaks[128];
    temp_dir(dir, sizeof dir, "pk");
    temp_dir(peaks, sizeof peaks, "pkf");
    char path[256];
    snprintf(path, sizeof path, "%s/peaks.json", peaks);
    struct ab_run_options o;
    struct ab_run_result res;
    struct ab_error err;
    static const char *const bad[] = {"-5", "0", "1e400"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fake_peaks(peaks, bad[i]);
        small_options(&o, dir);
        o.peaks_from = path;
        o.overwrite = true;
        enum ab_status st = ab_run(&o, &res, &err);
        cr_assert_eq(st, AB_EPARSE, "fp32 peak %s refused (got %s)", bad[i], ab_status_name(st));
    }
    write_file(peaks, "peaks.json", "{\"peaks\": [{\"threads\": 1e300, \"fp32_fma_gflops\": 100}]}");
    small_options(&o, dir);
    o.peaks_from = path;
    o.overwrite = true;
    cr_assert_eq(ab_run(&o, &res, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "threads"), "%s", err.msg);
}

Test(results, figures_above_their_bound_are_implausible)
{
    struct ab_result_peak pk = {1, 100.0, 400.0, 20.0, 20.0, 0.03, 0.03, 0.05, 0.05, false};
    struct ab_result_row row;
    memset(&row, 0, sizeof row);
    row.timed = true;
    row.verdict = AB_VERDICT_PASS;
    row.compute_kind = AB_COMPUTE_FP32;
    row.flops = 1e9;
    row.bytes = 1e6;  /* intensity 1000: compute bound (ridge 5) */
    row.tokens = NAN;
    row.median_ns = 1e9 / 104.0;  /* 104 GFLOP/s: within spread 3% + 2% */
    ab_results_derive(&row, &pk, 2 * row.median_ns);
    cr_assert_eq(row.bound, AB_BOUND_COMPUTE);
    cr_assert_float_eq(row.pct_bound, 104.0, 1e-9);
    cr_assert(!row.implausible, "within the probe's spread");
    cr_assert_float_eq(row.speedup_vs_ref, 2.0, 1e-12);
    row.median_ns = 1e9 / 110.0;
    ab_results_derive(&row, &pk, NAN);
    cr_assert(row.implausible, "10%% above a bound with 3%% spread");

    row.bytes = 1e9;  /* intensity 1 < ridge 5: memory bound at 20 GB/s -> 20 GFLOP/s */
    row.median_ns = 1e9 / 15.0;
    ab_results_derive(&row, &pk, NAN);
    cr_assert_eq(row.bound, AB_BOUND_MEMORY);
    cr_assert_float_eq(row.bound_rate, 20.0, 1e-9);
    cr_assert_float_eq(row.pct_bound, 75.0, 1e-9);
    cr_assert(!row.implausible);

    row.compute_kind = AB_COMPUTE_INT8;
    row.bytes = 1e6;
    row.median_ns = 1e9 / 300.0;
    ab_results_derive(&row, &pk, NAN);
    cr_assert(isnan(row.gflops), "INT8 rates are not FLOP");
    cr_assert_float_eq(row.gops, 300.0, 1e-9);
    cr_assert_float_eq(row.pct_bound, 75.0, 1e-9, "against the INT8 peak");

    /* BF16 dot products: % of the FP32 probe may pass 100; the bound is twice the probe. */
    row.compute_kind = AB_COMPUTE_BF16;
    row.median_ns = 1e9 / 180.0;
    ab_results_derive(&row, &pk, NAN);
    cr_assert_float_eq(row.gflops, 180.0, 1e-9);
    cr_assert_float_eq(row.pct_peak_compute, 180.0, 1e-9, "against the FP32 probe");
    cr_assert_float_eq(row.bound_rate, 200.0, 1e-9);
    cr_assert_float_eq(row.pct_bound, 90.0, 1e-9);
    cr_assert(!row.implausible, "a BF16 rate under twice the FP32 probe is plausible");
    row.median_ns = 1e9 / 220.0;
    ab_results_derive(&row, &pk, NAN);
    cr_assert(row.implausible, "10%% above twice the FP32 probe");
    ab_results_derive(&row, NULL, NAN);
    cr_assert_eq(row.bound, AB_BOUND_NA, "no peaks, no bound");
    cr_assert(isnan(row.pct_bound));
}

/* Another process spinning on the CPU the runner pins its single thread to: the
 * repetitions lose about half their CPU and must be flagged. */
Test(results, a_competing_process_is_seen_as_preemption)
{
    cpu_set_t mask;
    cr_assert_eq(sched_getaffinity(0, sizeof mask, &mask), 0);
    int cpu = -1;
    for (int i = 0; i < CPU_SETSIZE && cpu < 0; i++)
        if (CPU_ISSET(i, &mask))
            cpu = i;
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        sched_setaffinity(0, sizeof one, &one);
        alarm(30);
        for (volatile unsigned long x = 0;; x++)
            ;
    }
    char dir[128];
    temp_dir(dir, sizeof dir, "preempt");
    struct ab_run_options o;
    small_options(&o, dir);
    o.filter = "^gemm_f32/gemm_f32_ref$";
    o.sets[0] = (struct ab_run_set){.param = "m", .values = {"64"}, .n_values = 1};
    o.sets[1].values[0] = "64";
    o.sets[2].values[0] = "64";
    o.threads[0] = 1;
    o.n_threads = 1;
    o.pin = true;
    o.repetitions = 5;
    o.min_time_s = 0.02;
    struct ab_run_result res;
    struct ab_error err;
    enum ab_status st = ab_run(&o, &res, &err);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    cr_assert_eq(st, AB_OK, "%s", err.msg);
    struct ab_results rs;
    cr_assert_eq(ab_results_read(dir, false, &rs, &err), AB_OK, "%s", err.msg);
    size_t preempted = 0, n = 0;
    for (size_t i = 0; i < rs.n_rows; i++)
        for (size_t s = 0; s < rs.rows[i].n_samples; s++) {
            n++;
            preempted += rs.rows[i].samples[s].preempted;
            cr_assert_lt(rs.rows[i].samples[s].cpu_share, 0.9, "the CPU was shared: share %.2f",
                         rs.rows[i].samples[s].cpu_share);
        }
    cr_assert_eq(preempted, n, "every repetition shared its CPU: %zu of %zu flagged", preempted, n);
    cr_assert(rs.rows[0].noisy, "too few clean repetitions: the row says noisy");
    cr_assert(strstr(rs.rows[0].note, "unpreempted"), "%s", rs.rows[0].note);
    ab_results_release(&rs);
}

Test(results, set_can_be_scoped_to_one_family)
{
    char dir[128];
    temp_dir(dir, sizeof dir, "scope");
    struct ab_run_options o;
    struct ab_run_result res;
    struct ab_error err;
    small_options(&o, dir);
    /* gemm's k and moe_route's k (experts per token) are different things. */
    o.filter = "^(gemm_f32/gemm_f32_ref|moe_route/moe_route_ref)$";
    o.sets[2] = (struct ab_run_set){.param = "gemm_f32.k", .values = {"512"}, .n_values = 1};
    o.sets[3] = (struct ab_run_set){.param = "moe_route.tokens", .values = {"5"}, .n_values = 1};
    o.n_sets = 4;
    o.n_threads = 1;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    struct ab_results rs;
    cr_assert_eq(ab_results_read(dir, false, &rs, &err), AB_OK, "%s", err.msg);
    size_t n_gemm = 0, n_moe = 0;
    for (size_t i = 0; i < rs.n_rows; i++) {
        if (strcmp(rs.rows[i].key.family, "gemm_f32") == 0) {
            cr_assert(strstr(rs.rows[i].key.shape, "k=512"), "%s", rs.rows[i].key.shape);
            n_gemm++;
        } else {
            cr_assert(strstr(rs.rows[i].key.shape, "tokens=5"), "%s", rs.rows[i].key.shape);
            cr_assert_null(strstr(rs.rows[i].key.shape, "k=512"), "%s", rs.rows[i].key.shape);
            n_moe++;
        }
    }
    cr_assert(n_gemm > 0 && n_moe > 0);
    ab_results_release(&rs);
    small_options(&o, dir);
    o.overwrite = true;
    o.sets[3] = (struct ab_run_set){.param = "gemm_f32.nope", .values = {"1"}, .n_values = 1};
    o.n_sets = 4;
    cr_assert_eq(ab_run(&o, &res, &err), AB_EINVAL);
    cr_assert(strstr(err.msg, "nope"), "%s", err.msg);
}

/* Metrics belong to the case (keyed by its reference on one thread): an interrupted run
 * whose only thread count is 2 must not lose them on resume. */
Test(results, metrics_survive_resume_whatever_the_thread_list)
{
    char cut[128], full[128];
    temp_dir(cut, sizeof cut, "mcut");
    temp_dir(full, sizeof full, "mfull");
    struct ab_run_options o;
    struct ab_run_result res;
    struct ab_error err;
    small_options(&o, full);
    o.filter = "^moe_route/";
    o.sets[0] = (struct ab_run_set){.param = "tokens", .values = {"64", "65"}, .n_values = 2};
    o.sets[1] = (struct ab_run_set){.param = "d_model", .values = {"32"}, .n_values = 1};
    o.n_sets = 2;
    o.threads[0] = 2;
    o.n_threads = 1;
    cr_assert_eq(ab_run(&o, &res, &err), AB_OK, "%s", err.msg);
    if (res.n_items < 3)
        cr_skip_test("too few moe_route items here to interrupt in the middle");
    struct ab_results a, b;
    cr_assert_eq(ab_results_read(full, false, &a, &err), AB_OK, "%s", err.msg);
    cr_assert_gt(a.n_metrics, 0, "moe_route reports routing metrics");

    struct ab_run_options c = o;
    c.out_dir = cut;
    volatile sig_atomic_t flag = 0;
    struct stopper s = {&flag, 2};
    interrupted_run(&c, &flag, &s);
    struct ab_run_options r;
    ab_run_options_init(&r);
    r.out_dir = cut;
    r.resume = true;
    cr_assert_eq(ab_run(&r, &res, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(ab_results_read(cut, false, &b, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(b.n_metrics, a.n_metrics, "metrics after resume: %zu, uninterrupted: %zu", b.n_metrics, a.n_metrics);
    cr_assert_eq(b.n_rows, a.n_rows);
    ab_results_release(&a);
    ab_results_release(&b);
}

/* Steal time comes from the 8th number of /proc/stat's cpu lines: the team's CPUs when
 * pinned, the machine's total otherwise (fixture: tests/data/procstat/stat). */
int64_t ab__proc_steal_ticks(const char *path, const int *cpus, int n_cpus);
Test(results, steal_time_is_read_per_cpu_from_proc_stat)
{
    const char *data = getenv("ARCHBENCH_TEST_DATA");
    char path[512];
    snprintf(path, sizeof path, "%s/procstat/stat", data ? data : "tests/data");
    int both[2] = {0, 1}, one[1] = {1}, none[1] = {7};
    cr_assert_eq(ab__proc_steal_ticks(path, NULL, 0), 70, "total line");
    cr_assert_eq(ab__proc_steal_ticks(path, both, 2), 70, "cpu0 + cpu1");
    cr_assert_eq(ab__proc_steal_ticks(path, one, 1), 40, "cpu1 alone");
    cr_assert_eq(ab__proc_steal_ticks(path, none, 1), -1, "a CPU with no line");
    cr_assert_eq(ab__proc_steal_ticks("/nonexistent/stat", NULL, 0), -1);
}
