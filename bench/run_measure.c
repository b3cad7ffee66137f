/*
 * run_measure.c - one item: verify, warm up and calibrate, time R repetitions with
 * counters, memory and energy around them, and watch every repetition for preemption.
 *
 * Contention: per repetition, the process's CPU time against wall time x threads (the
 * team's share of the CPUs it was given) and the process's involuntary context switches.
 * A repetition whose threads lost the CPU is flagged `preempted`; more repetitions are
 * taken (up to 3 R, within the item budget) until R are clean, and the median and its
 * interval come from the clean ones when at least AB_CLEAN_MIN of them exist. The row
 * says which (stats_from_clean, clean_repetitions, note).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

#include "archbench/alloc.h"
#include "archbench/memory.h"
#include "archbench/stats.h"
#include "archbench/timer.h"

#include "run_internal.h"

/* A repetition is preempted when the team got less than this share of its CPUs... */
#define AB_PREEMPT_MIN_CPU_SHARE 0.95
/* ...or the process was switched out involuntarily more often than this per second of
 * wall time and thread (the scheduler tick alone causes none on an idle CPU). */
#define AB_PREEMPT_MAX_SWITCHES_PER_S 50.0
/* ...or the hypervisor ran something else on the team's vCPUs for more than this share
 * of the repetition (steal time; only where the hypervisor accounts it: many KVM clouds
 * do, Firecracker here does not). /proc/stat counts in clock ticks (10 ms), so a short
 * repetition sees steal coarsely, never falsely. */
#define AB_PREEMPT_MAX_STEAL_SHARE 0.05
/* Fewest clean repetitions the statistics are taken from (else from all, flagged). */
#define AB_CLEAN_MIN 3

static void append_note(struct ab_result_row *row, const char *fmt, ...) AB_PRINTF(2, 3);
static void append_note(struct ab_result_row *row, const char *fmt, ...)
{
    size_t len = strlen(row->note);
    if (len && len + 2 < sizeof row->note) {
        memcpy(row->note + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->note + len, sizeof row->note - len, fmt, ap);
    va_end(ap);
}

/* iters calls; AB_EINTERRUPTED as soon as a second Ctrl-C or SIGTERM asks to abandon the
 * item: a repetition may be a minute of calls, and the flag was only looked at between
 * repetitions (one load per call is nothing next to a kernel call). */
static enum ab_status run_calls(struct ab_case *c, const struct ab_kernel *k, const struct ab_exec *exec,
                                int64_t iters, volatile sig_atomic_t *stop)
{
    for (int64_t i = 0; i < iters; i++) {
        if (stop && *stop >= 2)
            return AB_EINTERRUPTED;
        enum ab_status st = c->family->case_run(c, k, exec, AB_SLOT_TEST);
        if (st != AB_OK)
            return st;
    }
    return AB_OK;
}

static int64_t process_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t invol_switches(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (int64_t)ru.ru_nivcsw : -1;
}

/* Steal ticks (the 8th number of a "cpu" line of /proc/stat) summed over `cpus`
 * (n_cpus of them), or of the machine's total line when n_cpus is 0; -1 when the file is
 * unreadable or has none of those lines. */
int64_t ab__proc_steal_ticks(const char *path, const int *cpus, int n_cpus)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    char line[512];
    int64_t sum = 0;
    bool found = false;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "cpu", 3) != 0)
            continue;
        int cpu = -1;
        unsigned long long v[8];
        const char *p = line + 3;
        if (*p != ' ') {
            char *end;
            cpu = (int)strtol(p, &end, 10);
            p = end;
        }
        if (sscanf(p, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]) != 8)
            continue;
        bool take = n_cpus == 0 && cpu < 0;
        for (int i = 0; i < n_cpus; i++)
            take |= cpu == cpus[i];
        if (take) {
            sum += (int64_t)v[7];
            found = true;
        }
    }
    fclose(fp);
    return found ? sum : -1;
}

/* The team's CPUs when pinned (the first `threads` of the mask), else the whole machine. */
static int64_t steal_ticks(const struct ab__team *t, int threads)
{
    if (!t->pin || t->n_cpus == 0)
        return ab__proc_steal_ticks("/proc/stat", NULL, 0);
    int cpus[AB_RUN_MAX_POOL];
    int n = threads < t->n_cpus ? threads : t->n_cpus;
    for (int i = 0; i < n; i++)
        cpus[i] = t->cpus[i];
    return ab__proc_steal_ticks("/proc/stat", cpus, n);
}

void ab__row_release(struct ab_result_row *row)
{
    ab_free(row->samples);
    ab_free(row->counts);
    row->samples = NULL;
    row->counts = NULL;
    row->n_samples = 0;
}

static bool abandon(const struct ab__runner *r)
{
    return r->o->stop && *r->o->stop >= 2;
}

/* Statistics from the clean repetitions when enough, else from all (flagged noisy). */
bool ab__row_summarise(struct ab_result_row *row)
{
    size_t n = row->n_samples, n_clean = 0;
    double *all = ab_malloc(2 * n * sizeof *all);
    if (!all)
        return false;
    double *clean = all + n;
    for (size_t i = 0; i < n; i++) {
        all[i] = row->samples[i].time_ns;
        if (!row->samples[i].preempted)
            clean[n_clean++] = row->samples[i].time_ns;
    }
    row->clean_repetitions = (int)n_clean;
    row->stats_from_clean = n_clean >= AB_CLEAN_MIN || n_clean == n;
    struct ab_stats st;
    bool ok = ab_stats_compute(row->stats_from_clean ? clean : all, row->stats_from_clean ? n_clean : n, &st) == AB_OK;
    if (ok) {
        row->median_ns = st.median;
        row->min_ns = st.min;
        row->mad_ns = st.mad;
        row->cv = st.cv;
        row->ci_low_ns = st.ci_low;
        row->ci_high_ns = st.ci_high;
        row->n_outliers = (int64_t)st.n_outliers;
        row->noisy = st.noisy || !row->stats_from_clean;
        for (size_t i = 0; i < n; i++)
            row->samples[i].outlier = ab_stats_is_outlier(&st, row->samples[i].time_ns);
        size_t used = row->stats_from_clean ? n_clean : n;
        if (used < AB_STATS_CI_MIN_N)
            append_note(row, "95%% interval of the median NA: %zu repetitions, it needs %d", used, AB_STATS_CI_MIN_N);
        if (n_clean < n) {
            if (row->stats_from_clean)
                append_note(row, "statistics from the %zu clean of %zu repetitions (%zu preempted)", n_clean, n,
                            n - n_clean);
            else
                append_note(row, "only %zu of %zu repetitions ran unpreempted: statistics over all, marked noisy",
                            n_clean, n);
        }
    }
    ab_free(all);
    return ok;
}

/* The row before measurement: key, seed, work of one call, NA everywhere else. */
void ab__row_init(const struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc, uint64_t seed,
                  struct ab_result_row *row)
{
    const struct ab_kernel *k = it->kernel;
    const struct ab_family *fam = pc->family;
    memset(row, 0, sizeof *row);
    snprintf(row->key.family, sizeof row->key.family, "%s", fam->name);
    snprintf(row->key.kernel, sizeof row->key.kernel, "%s", k->name);
    snprintf(row->key.variant, sizeof row->key.variant, "%s", k->variant);
    snprintf(row->key.shape, sizeof row->key.shape, "%s", pc->shape_text);
    row->key.threads = it->threads;
    row->seed = seed;
    row->verdict = k->is_ref ? AB_VERDICT_REFERENCE : AB_VERDICT_FAIL;
    row->check_err = row->check_tol = NA_F64;
    row->flops = k->flops(&pc->shape);
    row->bytes = k->bytes(&pc->shape);
    row->tokens = fam->tokens ? fam->tokens(&pc->shape) : NA_F64;
    if (!(row->tokens > 0.0))
        row->tokens = NA_F64;
    row->compute_kind = fam->compute_peak == AB_PEAK_INT8   ? AB_COMPUTE_INT8
                        : fam->compute_peak == AB_PEAK_BF16 ? AB_COMPUTE_BF16
                                                            : AB_COMPUTE_FP32;
    row->median_ns = row->min_ns = row->mad_ns = row->cv = row->ci_low_ns = row->ci_high_ns = NA_F64;
    row->ipc = NA_F64;
    row->timer_overhead_ns = r->timer_overhead_ns;
    row->energy_j = row->region_s = row->flop_per_j = row->tokens_per_j = NA_F64;
    snprintf(row->energy_source, sizeof row->energy_source, "NA");
    row->workspace_bytes = (int64_t)k->workspace_bytes(&pc->shape, it->threads);
    row->io_bytes = (int64_t)fam->io_bytes(&pc->shape);
    row->shim_peak_bytes = row->rss_before_bytes = row->rss_peak_bytes = -1;
}

/* ---- one item in phases: begin (verify, calibrate), repetitions, end ----------------------- */

/* The shim's peak of one phase, less what other items of an interleaved group hold:
 * their workspaces and samples are theirs, not this item's. */
static void shim_phase_start(struct ab__meas *m)
{
    struct ab_alloc_stats s;
    ab_alloc_get_stats(&s);
    m->shim_held = (int64_t)s.bytes_live - m->shim_base - m->own_bytes;
    m->shim_open = true;
    ab_alloc_reset_peak();
}

static void shim_phase_stop(struct ab__meas *m)
{
    if (!m->shim_open)
        return;  /* between phases (a failed repetition): the repetitions allocate nothing */
    m->shim_open = false;
    struct ab_alloc_stats s;
    ab_alloc_get_stats(&s);
    int64_t peak = (int64_t)s.bytes_peak - m->shim_held;
    if (peak > m->shim_peak)
        m->shim_peak = peak;
}

/* The row's last fields, the workspace released; the item is over. */
static void finish(struct ab__runner *r, struct ab__meas *m)
{
    struct ab_result_row *row = m->row;
    size_t n_ev = m->n_ev;
    m->active = false;
    m->finished = true;
    ab_free(m->exec.workspace);
    m->exec.workspace = NULL;
    shim_phase_stop(m);
    row->shim_peak_bytes = m->shim_peak;
    snprintf(row->mem_note, sizeof row->mem_note, "%s",
             row->rss_peak_bytes < 0 ? "peak RSS unavailable (not timed, or no /proc/self/clear_refs)"
             : m->interleaved ? "shim peak covers case inputs, outputs and workspace; peak RSS is the process's over "
                                "the repetitions of every item interleaved with this one"
                              : "shim peak covers case inputs, outputs and workspace");
    if (!row->timed) {
        row->repetitions = 0;
        row->n_samples = 0;
    }
    /* IPC over all repetitions, where cycles and instructions both count. */
    int icyc = -1, iins = -1;
    for (size_t e = 0; e < n_ev; e++) {
        const char *name = ab_counters_info(r->team.counters, e)->name;
        if (strcmp(name, "PAPI_TOT_CYC") == 0)
            icyc = (int)e;
        if (strcmp(name, "PAPI_TOT_INS") == 0)
            iins = (int)e;
    }
    if (row->timed && row->counts && icyc >= 0 && iins >= 0) {
        double cyc = 0, ins = 0;
        bool ok = true;
        for (size_t s = 0; s < row->n_samples; s++) {
            int64_t cy = row->counts[s * n_ev + (size_t)icyc], in = row->counts[s * n_ev + (size_t)iins];
            ok &= cy != AB_COUNT_NA && in != AB_COUNT_NA;
            cyc += (double)cy;
            ins += (double)in;
        }
        if (ok && cyc > 0)
            row->ipc = ins / cyc;
    }
}

static void fail_abandoned(struct ab__runner *r, struct ab__meas *m)
{
    snprintf(m->row->note, sizeof m->row->note, "abandoned by a second interrupt");
    m->row->timed = false;
    m->row->verdict = AB_VERDICT_FAIL;
    finish(r, m);
}

static void fail_kernel(struct ab__runner *r, struct ab__meas *m, enum ab_status st)
{
    if (st == AB_EINTERRUPTED) {
        fail_abandoned(r, m);
        return;
    }
    snprintf(m->row->note, sizeof m->row->note, "kernel returned %s (seed %" PRIu64 ")", ab_status_name(st),
             m->c->seed);
    m->row->verdict = AB_VERDICT_FAIL;
    m->row->timed = false;
    finish(r, m);
}

void ab__measure_begin(struct ab__runner *r, struct ab__meas *m)
{
    const struct ab_run_options *o = r->o;
    const struct ab_kernel *k = m->it->kernel;
    struct ab_result_row *row = m->row;
    struct ab_case *c = m->c;
    ab__row_init(r, m->it, m->pc, c->seed, row);
    struct ab_alloc_stats s0;
    ab_alloc_get_stats(&s0);
    if (!m->interleaved)
        m->shim_base = (int64_t)s0.bytes_live;
    m->own_bytes = 0;
    m->shim_peak = 0;
    m->active = m->finished = false;
    m->own_ns = 0.0;
    shim_phase_start(m);

    m->n_ev = ab_counters_count(r->team.counters);
    m->exec = (struct ab_exec){.n_threads = m->it->threads, .workspace = NULL,
                               .workspace_bytes = (size_t)row->workspace_bytes};
    struct ab_exec *exec = &m->exec;
    enum ab_status st = AB_OK;
    if (exec->workspace_bytes) {
        exec->workspace = ab_aligned_alloc(AB_ALIGN_BYTES, exec->workspace_bytes);
        if (!exec->workspace) {
            snprintf(row->note, sizeof row->note, "cannot allocate %zu workspace bytes", exec->workspace_bytes);
            snprintf(row->energy_note, sizeof row->energy_note, "not measured (not timed)");
            finish(r, m);
            return;
        }
    }
    /* Verify on this very shape and thread count before any timing. The reference is
     * not verified against itself: its output is the oracle. */
    if (!k->is_ref && !ab__verify(r, c, k, exec, row)) {
        snprintf(row->energy_note, sizeof row->energy_note, "not measured (failed verification)");
        finish(r, m);
        return;
    }

    size_t cap = m->cap = (size_t)(3 * o->repetitions);
    size_t n_ev = m->n_ev;
    row->samples = ab_calloc(cap, sizeof *row->samples);
    row->counts = n_ev ? ab_malloc(cap * n_ev * sizeof *row->counts) : NULL;
    if (!row->samples || (n_ev && !row->counts)) {
        snprintf(row->note, sizeof row->note, "out of memory for %zu repetitions", cap);
        finish(r, m);
        return;
    }
    for (size_t i = 0; i < cap * n_ev; i++)
        row->counts[i] = AB_COUNT_NA;

    /* A reference so slow that one call takes a quarter of the item budget is timed by
     * the one call that produced the reference output: a single sample, no counters. */
    if (k->is_ref && m->ref_call_ns * 4e-9 > o->max_item_s) {
        row->iterations = 1;
        row->repetitions = 1;
        row->n_samples = 1;
        row->samples[0] = (struct ab_result_sample){.iterations = 1, .time_ns = m->ref_call_ns,
                                                    .total_ns = m->ref_call_ns, .cpu_share = NA_F64,
                                                    .invol_switches = -1, .steal_share = NA_F64};
        snprintf(row->note, sizeof row->note,
                 "one call (%.3g s) exceeds a quarter of the %.0f s item budget: timed by the call that produced the "
                 "reference output; counters, memory and energy not measured",
                 m->ref_call_ns * 1e-9, o->max_item_s);
        snprintf(row->energy_note, sizeof row->energy_note, "not measured (single untimed-region sample)");
        row->timed = ab__row_summarise(row);
        finish(r, m);
        return;
    }
    /* Warm-up and calibration, Google Benchmark style: grow the batch until one batch
     * lasts min_time (a single first call is a poor guide: cold caches, thread start). */
    int64_t iters = 1;
    double best_call_ns = INFINITY;
    bool slow_ref = k->is_ref && m->ref_call_ns >= o->min_time_s * 1e9;
    if (slow_ref)
        best_call_ns = m->ref_call_ns;
    int64_t calib_start = ab_now_ns();
    while (!slow_ref) {
        if (abandon(r)) {
            fail_abandoned(r, m);
            return;
        }
        int64_t t0 = ab_now_ns();
        if ((st = run_calls(c, k, exec, iters, o->stop)) != AB_OK) {
            fail_kernel(r, m, st);
            return;
        }
        double batch_ns = (double)(ab_now_ns() - t0);
        if (batch_ns / (double)iters < best_call_ns)
            best_call_ns = batch_ns / (double)iters;
        /* The item budget bounds calibration too (a huge --min-time must not hang). */
        if (batch_ns >= o->min_time_s * 1e9 || iters >= (INT64_C(1) << 40) ||
            (double)(ab_now_ns() - calib_start) * 1e-9 > o->max_item_s / 4)
            break;
        double grow_by = batch_ns > 0.0 ? 1.4 * o->min_time_s * 1e9 / batch_ns : 10.0;
        grow_by = grow_by < 2.0 ? 2.0 : grow_by > 10.0 ? 10.0 : grow_by;
        iters = (int64_t)ceil((double)iters * grow_by);
    }
    /* A batch slowed by preemption would make later repetitions too short: size the
     * repetition by the fastest call seen, so a typical repetition lasts min_time. */
    double by_best = best_call_ns > 0.0 ? ceil(o->min_time_s * 1e9 / best_call_ns) : 1.0;
    double budget_iters = best_call_ns > 0.0 ? floor(o->max_item_s * 1e9 / best_call_ns) : 1.0;
    if (by_best > budget_iters)
        by_best = budget_iters;
    if (by_best > 1099511627776.0)  /* 2^40 calls: far beyond any budget, and fits int64 */
        by_best = 1099511627776.0;
    if (by_best > (double)iters)
        iters = (int64_t)by_best;
    if (iters < 1)
        iters = 1;
    row->iterations = m->iters = iters;
    m->rep_s = best_call_ns * (double)iters * 1e-9;
    m->reps = o->repetitions;
    if (m->rep_s * m->reps > o->max_item_s) {
        int fit = (int)(o->max_item_s / m->rep_s);
        m->reps = fit > 1 ? fit : 1;
        append_note(row, "repetitions reduced to %d to fit the %.0f s item budget (one repetition %.3g s)", m->reps,
                    o->max_item_s, m->rep_s);
    }
    if (m->interleaved)
        append_note(row, "repetitions interleaved with the other variants of this case and thread count");

    shim_phase_stop(m);
    struct ab_alloc_stats s1;
    ab_alloc_get_stats(&s1);
    m->own_bytes = (int64_t)s1.bytes_live - (int64_t)s0.bytes_live;
    m->rss_ok = ab_mem_peak_reset();
    row->rss_before_bytes = ab_mem_rss_bytes();
    /* Taking turns (on_yield, or interleaved with other items), the region holds other
     * repetitions and untimed calls: a package counter or a power model over it would
     * charge them to this kernel, so energy is not measured. */
    m->energy_on = !o->on_yield && !m->interleaved && ab_energy_source(r->energy) != AB_ENERGY_NONE &&
                   ab_energy_begin(r->energy) == AB_OK;
    m->region_start = ab_now_ns();
    m->clean = 0;
    m->rep = 0;
    m->active = true;
}

bool ab__measure_rep(struct ab__runner *r, struct ab__meas *m)
{
    if (!m->active)
        return false;
    const struct ab_run_options *o = r->o;
    const struct ab_kernel *k = m->it->kernel;
    struct ab_result_row *row = m->row;
    int threads = m->it->threads;
    size_t rep = m->rep;
    enum ab_status st;
    /* R repetitions, then more while too few are clean and the item's budget allows. */
    if (rep >= m->cap ||
        ((int)rep >= m->reps && (m->clean >= m->reps || m->own_ns * 1e-9 + m->rep_s > o->max_item_s))) {
        m->active = false;
        return false;
    }
    if (abandon(r)) {
        fail_abandoned(r, m);
        return false;
    }
    int64_t w0 = ab_now_ns();
    if (o->on_yield) {
        o->on_yield(o->user);
        if (abandon(r)) {
            fail_abandoned(r, m);
            return false;
        }
        w0 = ab_now_ns();
    }
    /* After another process's turn or another item's repetition the caches hold their
     * data: one untimed call brings this kernel's back. */
    if ((o->on_yield || m->interleaved) && (st = run_calls(m->c, k, &m->exec, 1, o->stop)) != AB_OK) {
        fail_kernel(r, m, st);
        return false;
    }
    int64_t *counts = m->n_ev ? row->counts + rep * m->n_ev : NULL;
    int64_t dummy[AB_COUNTERS_MAX];
    long ticks_per_s = sysconf(_SC_CLK_TCK);
    /* Steal comes from parsing /proc/stat: read outside the counted interval, so the
     * counters see the kernel only (its ticks are 10 ms anyway). */
    int64_t st0 = steal_ticks(&r->team, threads);
    ab__team_counters_start(&r->team, threads);
    int64_t sw0 = invol_switches(), cpu0 = process_cpu_ns();
    int64_t a = ab_now_ns();
    st = run_calls(m->c, k, &m->exec, m->iters, o->stop);
    int64_t b = ab_now_ns();
    int64_t cpu1 = process_cpu_ns(), sw1 = invol_switches();
    ab__team_counters_stop(&r->team, threads, counts ? counts : dummy);
    int64_t st1 = steal_ticks(&r->team, threads);
    if (st != AB_OK) {
        fail_kernel(r, m, st);
        return false;
    }
    m->own_ns += (double)(ab_now_ns() - w0);
    struct ab_result_sample *s = &row->samples[rep];
    /* One timer read pair brackets the repetition: its cost is subtracted once. */
    double total = (double)(b - a) - r->timer_overhead_ns;
    s->iterations = m->iters;
    s->total_ns = total > 0.0 ? total : 0.0;
    s->time_ns = s->total_ns / (double)m->iters;
    double wall = (double)(b - a);
    s->cpu_share = cpu0 >= 0 && cpu1 >= 0 && wall > 0 ? (double)(cpu1 - cpu0) / (wall * threads) : NA_F64;
    s->invol_switches = sw0 >= 0 && sw1 >= 0 ? sw1 - sw0 : -1;
    s->steal_share = st0 >= 0 && st1 >= 0 && wall > 0 && ticks_per_s > 0
                         ? (double)(st1 - st0) / (double)ticks_per_s * 1e9 / (wall * threads)
                         : NA_F64;
    s->preempted = s->cpu_share < AB_PREEMPT_MIN_CPU_SHARE || s->steal_share > AB_PREEMPT_MAX_STEAL_SHARE ||
                   (double)s->invol_switches > AB_PREEMPT_MAX_SWITCHES_PER_S * wall * 1e-9 * threads + 1.0;
    m->clean += !s->preempted;
    row->n_samples = rep + 1;
    m->rep = rep + 1;
    return true;
}

void ab__measure_end(struct ab__runner *r, struct ab__meas *m)
{
    if (m->finished)
        return;
    const struct ab_run_options *o = r->o;
    const struct ab_kernel *k = m->it->kernel;
    struct ab_result_row *row = m->row;
    enum ab_status st;
    m->active = false;
    row->repetitions = (int)row->n_samples;
    /* Interleaved, the wall time since this item's first repetition holds the others'
     * too: the region is this item's own repetitions (and their warm-up calls). */
    row->region_s = m->interleaved ? m->own_ns * 1e-9 : (double)(ab_now_ns() - m->region_start) * 1e-9;
    row->rss_peak_bytes = m->rss_ok ? ab_mem_peak_rss_bytes() : -1;
    shim_phase_start(m);
    if (m->energy_on) {
        double joules = NA_F64;
        int64_t calls = (int64_t)row->n_samples * m->iters;
        enum ab_status est = ab_energy_end(r->energy, row->region_s, &joules);
        /* A region shorter than the counter's update interval is lengthened with more
         * calls (not timed) until it is long enough, then measured; never reported short. */
        while (est == AB_EINVAL && row->region_s < ab_energy_min_region_s(r->energy) && row->region_s < o->max_item_s) {
            if ((st = run_calls(m->c, k, &m->exec, m->iters, o->stop)) != AB_OK) {
                fail_kernel(r, m, st);
                return;
            }
            calls += m->iters;
            row->region_s = (double)(ab_now_ns() - m->region_start) * 1e-9;
            if (row->region_s >= ab_energy_min_region_s(r->energy))
                est = ab_energy_end(r->energy, row->region_s, &joules);
        }
        if (est == AB_OK) {
            row->energy_j = joules / (double)calls;
            snprintf(row->energy_source, sizeof row->energy_source, "%s",
                     ab_energy_source_name(ab_energy_source(r->energy)));
            const char *model = ab_energy_model(r->energy);
            snprintf(row->energy_note, sizeof row->energy_note, "%s", model ? model : "");
        } else {
            snprintf(row->energy_note, sizeof row->energy_note, "region of %.3f s refused (%s; needs >= %.3f s)",
                     row->region_s, ab_status_message(est), ab_energy_min_region_s(r->energy));
        }
    } else if (m->interleaved) {
        snprintf(row->energy_note, sizeof row->energy_note,
                 "not measured (the repetitions took turns with other variants, which the region would count)");
    } else if (o->on_yield) {
        snprintf(row->energy_note, sizeof row->energy_note,
                 "not measured (the repetitions took turns with another process, which the region would count)");
    } else {
        snprintf(row->energy_note, sizeof row->energy_note, "%s", ab_energy_reason(r->energy));
    }
    row->flop_per_j = row->flops > 0.0 ? row->flops / row->energy_j : NA_F64;
    row->tokens_per_j = row->tokens / row->energy_j;
    /* Checked again after the timed calls, poisoned and guarded as before them: a kernel
     * right on its first call only (a stale plan, state kept between calls) was timed
     * doing something else, and its times are not reported. */
    if (!k->is_ref) {
        int64_t calls = (int64_t)row->n_samples * m->iters;
        if (!ab__verify(r, m->c, k, &m->exec, row)) {
            char first[sizeof row->note];
            snprintf(first, sizeof first, "%s", row->note);
            snprintf(row->note, sizeof row->note, "passed before timing, %.400s after %" PRId64 " timed calls", first,
                     calls);
            row->timed = false;
            row->n_samples = 0;
            row->repetitions = 0;
            snprintf(row->energy_note, sizeof row->energy_note, "not reported (failed verification after timing)");
            row->energy_j = row->flop_per_j = row->tokens_per_j = NA_F64;
            snprintf(row->energy_source, sizeof row->energy_source, "NA");
            finish(r, m);
            return;
        }
    }
    row->timed = ab__row_summarise(row);
    finish(r, m);
}

void ab__measure_item(struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc,
                      struct ab_case *c, double ref_call_ns, struct ab_result_row *row)
{
    struct ab__meas m = {.it = it, .pc = pc, .c = c, .row = row, .ref_call_ns = ref_call_ns};
    ab__measure_begin(r, &m);
    while (ab__measure_rep(r, &m))
        ;
    ab__measure_end(r, &m);
}
