/*
 * run.c - the measurement engine (see run.h): plan, verify, calibrate, time, record.
 *
 * Invariants:
 *  - a variant's time is reported only after it matched the reference on that shape;
 *  - nothing unmeasured is written as 0: NaN in memory, NA in the files;
 *  - each output row is written and flushed as soon as its item finishes, into
 *    "<file>.partial"; the final names appear by rename at the end;
 *  - the reference runs first within each (shape, threads) group, so every variant's
 *    speed-up is a ratio measured side by side in the same run.
 * Single threaded apart from the kernels' own OpenMP regions; never prints (progress
 * and warnings go through the callbacks).
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ab_config.h"

#include "archbench/alloc.h"
#include "archbench/counters.h"
#include "archbench/cpu.h"
#include "archbench/energy.h"
#include "archbench/kernel.h"
#include "archbench/memory.h"
#include "archbench/probe.h"
#include "archbench/report.h"
#include "archbench/run.h"
#include "archbench/stats.h"
#include "archbench/sysinfo.h"
#include "archbench/timer.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- output schema -------------------------------------------------------------------- */

#define KEY_COLS "run_id", "machine_id", "family", "kernel", "variant", "shape", "threads"
#define N_KEY_COLS 7

static const char *const samples_cols[] = {KEY_COLS, "repetition", "iterations", "time_ns", "total_ns", "outlier"};
static const char *const counters_cols[] = {KEY_COLS, "repetition", "event", "value", "value_per_call", "multiplexed"};
static const char *const speed_cols[] = {
    KEY_COLS,        "verified",        "check_err",        "check_tol",         "repetitions",
    "iterations",    "median_ns",       "min_ns",           "mad_ns",            "cv",
    "ci_low_ns",     "ci_high_ns",      "n_outliers",       "noisy",             "gflops",
    "gbytes_per_s",  "tokens_per_s",    "flops_per_byte",   "peak_compute_gflops", "pct_peak_compute",
    "peak_bw_gbytes_per_s", "pct_peak_bw", "speedup_vs_ref", "ipc",              "timer_overhead_ns",
    "note"};
static const char *const memory_cols[] = {KEY_COLS,          "workspace_bytes", "io_bytes", "shim_peak_bytes",
                                          "rss_before_bytes", "rss_peak_bytes", "note"};
static const char *const energy_cols[] = {KEY_COLS,   "energy_source", "energy_j", "region_s",
                                          "flop_per_j", "tokens_per_j", "note"};
static const char *const metrics_cols[] = {KEY_COLS, "metric", "value", "unit"};

/* The in-memory "not measured" (written NA); NAN itself is a float. */
#define NA_F64 ((double)NAN)

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* Largest OpenMP team whose threads get their own counter sets. */
#define AB_RUN_MAX_POOL 64

enum out_file { OUT_SAMPLES, OUT_COUNTERS, OUT_SPEED, OUT_MEMORY, OUT_ENERGY, OUT_METRICS, OUT_COUNT };
static const char *const out_names[OUT_COUNT] = {"samples.csv", "counters.csv", "speed.csv",
                                                 "memory.csv",  "energy.csv",   "metrics.csv"};
static const char *const *const out_cols[OUT_COUNT] = {samples_cols, counters_cols, speed_cols,
                                                       memory_cols,  energy_cols,   metrics_cols};
static const size_t out_ncols[OUT_COUNT] = {NCOLS(samples_cols), NCOLS(counters_cols), NCOLS(speed_cols),
                                            NCOLS(memory_cols),  NCOLS(energy_cols),   NCOLS(metrics_cols)};

/* ---- plan ------------------------------------------------------------------------------- */

struct item {
    const struct ab_kernel *kernel;
    size_t case_index;   /* into plan.cases */
    int threads;
};

struct plan_case {
    const struct ab_family *family;
    struct ab_shape shape;
    char shape_text[256];
};

struct plan {
    struct plan_case *cases;
    size_t n_cases, cap_cases;
    struct item *items;
    size_t n_items, cap_items;
};

/* Make room for one more element in a shim-allocated array; `pp` points to the array
 * pointer (any element type: read and written through memcpy, no type punning). */
static bool grow(void *pp, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    void *p;
    memcpy(&p, pp, sizeof p);
    size_t c = *cap ? 2 * *cap : 32;
    void *q = ab_realloc(p, c * elem);
    if (!q)
        return false;
    memcpy(pp, &q, sizeof q);
    *cap = c;
    return true;
}

static void plan_release(struct plan *pl)
{
    ab_free(pl->cases);
    ab_free(pl->items);
    memset(pl, 0, sizeof *pl);
}

/* Expand `base` by every --set parameter this family has (cartesian product). */
static enum ab_status expand_shape(struct plan *pl, const struct ab_family *fam, const struct ab_shape *base,
                                   const struct ab_run_options *o, size_t set_index, struct ab_error *err)
{
    if (set_index == o->n_sets) {
        for (size_t i = 0; i < pl->n_cases; i++)  /* --set can make sweep shapes coincide */
            if (pl->cases[i].family == fam && memcmp(&pl->cases[i].shape, base, sizeof *base) == 0)
                return AB_OK;
        if (!grow(&pl->cases, &pl->cap_cases, pl->n_cases, sizeof *pl->cases))
            return ab_error_set(err, AB_ENOMEM, "out of memory planning the run");
        struct plan_case *pc = &pl->cases[pl->n_cases++];
        pc->family = fam;
        pc->shape = *base;
        ab_shape_format(fam, base, pc->shape_text, sizeof pc->shape_text);
        return AB_OK;
    }
    const struct ab_run_set *set = &o->sets[set_index];
    int pi = ab_param_index(fam, set->param);
    if (pi < 0)
        return expand_shape(pl, fam, base, o, set_index + 1, err);
    for (size_t v = 0; v < set->n_values; v++) {
        struct ab_shape s = *base;
        enum ab_status st = ab_param_parse(&fam->params[pi], set->values[v], &s.v[pi], err);
        if (st != AB_OK)
            return st;
        if ((st = expand_shape(pl, fam, &s, o, set_index + 1, err)) != AB_OK)
            return st;
    }
    return AB_OK;
}

static enum ab_status build_plan(struct plan *pl, const struct ab_run_options *o, const struct ab_filter *filter,
                                 struct ab_error *err)
{
    uint64_t features = ab_cpu_features();
    bool set_used[AB_RUN_MAX_SETS] = {false};
    for (size_t f = 0; f < ab_family_count(); f++) {
        const struct ab_family *fam = ab_family_at(f);
        bool any = false;
        for (size_t i = 0; i < ab_kernel_count(); i++)
            if (ab_kernel_at(i)->family == fam &&
                (fam->is_probe ? o->probes && !o->peaks_from : ab_filter_match(filter, ab_kernel_at(i))))
                any = true;
        if (!any)
            continue;
        for (size_t s = 0; s < o->n_sets; s++)
            if (ab_param_index(fam, o->sets[s].param) >= 0 && !fam->is_probe)
                set_used[s] = true;
        const struct ab_shape *sweep = o->quick ? fam->sweep_quick : fam->sweep_default;
        size_t n_sweep = o->quick ? fam->n_sweep_quick : fam->n_sweep_default;
        size_t first_case = pl->n_cases;
        for (size_t s = 0; s < n_sweep; s++) {
            /* Probes keep their own shapes: --set is about the kernels under study. */
            struct ab_run_options none = *o;
            none.n_sets = 0;
            enum ab_status st = expand_shape(pl, fam, &sweep[s], fam->is_probe ? &none : o, 0, err);
            if (st != AB_OK)
                return st;
        }
        for (size_t c = first_case; c < pl->n_cases; c++) {
            if (!ab_shape_valid(fam, &pl->cases[c].shape))
                return ab_error_set(err, AB_EINVAL, "%s: shape %s outside the parameter ranges", fam->name,
                                    pl->cases[c].shape_text);
            for (size_t t = 0; t < o->n_threads; t++) {
                /* The reference first, then the variants in registry order. */
                const struct ab_kernel *ref = ab_kernel_ref(fam);
                for (int pass = 0; pass < 2; pass++) {
                    for (size_t i = 0; i < ab_kernel_count(); i++) {
                        const struct ab_kernel *k = ab_kernel_at(i);
                        if (k->family != fam || (pass == 0) != (k == ref))
                            continue;
                        /* Probes: only the peak itself (not the plain-C reference) is timed. */
                        if (fam->is_probe ? k->is_ref : !ab_filter_match(filter, k))
                            continue;
                        if (!ab_kernel_runnable(k, features, &pl->cases[c].shape, NULL))
                            continue;
                        if (k->is_ref && o->threads[t] != o->threads[0])
                            continue; /* the reference is single threaded: time it once */
                        if (!grow(&pl->items, &pl->cap_items, pl->n_items, sizeof *pl->items))
                            return ab_error_set(err, AB_ENOMEM, "out of memory planning the run");
                        pl->items[pl->n_items++] = (struct item){k, c, o->threads[t]};
                    }
                }
            }
        }
    }
    if (pl->n_items == 0)
        return ab_error_set(err, AB_ENOTFOUND, "no runnable kernel matches the filter");
    for (size_t s = 0; s < o->n_sets; s++)
        if (!set_used[s])
            return ab_error_set(err, AB_EINVAL, "--set %s: no selected kernel family has that parameter",
                                o->sets[s].param);
    if (pl->n_items == 0)
        return ab_error_set(err, AB_ENOTFOUND, "no runnable kernel matches the filter");
    return AB_OK;
}

/* ---- output files ---------------------------------------------------------------------- */

struct outputs {
    FILE *fp[OUT_COUNT];
    struct ab_csv_writer w[OUT_COUNT];
    char dir[1024];
};

static void out_path(const struct outputs *out, const char *name, const char *suffix, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s%s", out->dir, name, suffix);
}

/* Key of a finished item: "kernel|shape|threads". */
static void item_key(const char *kernel, const char *shape, const char *threads, char *buf, size_t n)
{
    snprintf(buf, n, "%s|%s|%s", kernel, shape, threads);
}

struct keyset {
    char **keys;
    size_t n, cap;
};

static bool keyset_has(const struct keyset *ks, const char *key)
{
    for (size_t i = 0; i < ks->n; i++)
        if (strcmp(ks->keys[i], key) == 0)
            return true;
    return false;
}

static void keyset_release(struct keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++)
        ab_free(ks->keys[i]);
    ab_free(ks->keys);
    memset(ks, 0, sizeof *ks);
}

static bool keyset_add(struct keyset *ks, const char *key)
{
    if (!grow(&ks->keys, &ks->cap, ks->n, sizeof *ks->keys))
        return false;
    size_t len = strlen(key);
    char *k = ab_malloc(len + 1);
    if (!k)
        return false;
    memcpy(k, key, len + 1);
    ks->keys[ks->n++] = k;
    return true;
}

/*
 * Resume: finished items are those with a speed row. Rewrite every partial file keeping
 * only rows of finished items (an interrupted item's samples are dropped and re-measured).
 */
static enum ab_status resume_outputs(struct outputs *out, struct keyset *done, char *run_id, size_t run_id_bytes,
                                     struct ab_error *err)
{
    char path[1200], final_path[1200];
    /* An interruption handled cleanly renamed the partial files into place; a crash
     * left them partial. Either way continue from the partial names. */
    for (int f = 0; f < OUT_COUNT; f++) {
        out_path(out, out_names[f], ".partial", path, sizeof path);
        out_path(out, out_names[f], "", final_path, sizeof final_path);
        if (access(path, F_OK) != 0 && access(final_path, F_OK) == 0 && rename(final_path, path) != 0)
            return ab_error_set(err, AB_EIO, "cannot resume from '%s': %s", final_path, strerror(errno));
    }
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    enum ab_status st = AB_OK;
    struct ab_csv_options opt = {.delim = ',', .quoting = true, .allow_ragged = false};
    out_path(out, "speed.csv", ".partial", path, sizeof path);
    struct ab_csv_table t;
    if (access(path, F_OK) == 0) {
        if ((st = ab_csv_read(path, &opt, &arena, &t, err)) != AB_OK)
            goto done;
        if (t.n_cols != NCOLS(speed_cols)) {
            st = ab_error_set(err, AB_EPARSE, "'%s': %zu columns, this archbench writes %zu (schema changed?)",
                              path, t.n_cols, NCOLS(speed_cols));
            goto done;
        }
        for (size_t r = 1; r < t.n_rows; r++) {
            char key[600];
            const char **row = t.cells + r * t.n_cols;
            item_key(row[3], row[5], row[6], key, sizeof key);
            if (!keyset_add(done, key)) {
                st = ab_error_set(err, AB_ENOMEM, "out of memory resuming");
                goto done;
            }
            if (r == 1)
                snprintf(run_id, run_id_bytes, "%s", row[0]);
        }
    }
    for (int f = 0; f < OUT_COUNT; f++) {
        out_path(out, out_names[f], ".partial", path, sizeof path);
        struct ab_atomic_file af;
        if ((st = ab_atomic_open(&af, path, err)) != AB_OK)
            goto done;
        struct ab_csv_writer w;
        ab_csv_begin(&w, af.fp, out_cols[f], out_ncols[f]);
        if (access(path, F_OK) == 0) {
            ab_arena_reset(&arena);
            if ((st = ab_csv_read(path, &opt, &arena, &t, err)) != AB_OK) {
                ab_atomic_abort(&af);
                goto done;
            }
            for (size_t r = 1; r < t.n_rows; r++) {
                const char **row = t.cells + r * t.n_cols;
                char key[600];
                item_key(row[3], row[5], row[6], key, sizeof key);
                if (!keyset_has(done, key))
                    continue;
                for (size_t c = 0; c < t.n_cols; c++)
                    ab_csv_str(&w, row[c]);
                ab_csv_end_row(&w);
            }
        }
        if (w.failed) {
            ab_atomic_abort(&af);
            st = ab_error_set(err, AB_EIO, "cannot rewrite '%s'", path);
            goto done;
        }
        if ((st = ab_atomic_commit(&af, err)) != AB_OK)
            goto done;
    }
done:
    ab_arena_release(&arena);
    return st;
}

static enum ab_status open_outputs(struct outputs *out, bool append, struct ab_error *err)
{
    char path[1200];
    for (int f = 0; f < OUT_COUNT; f++) {
        out_path(out, out_names[f], ".partial", path, sizeof path);
        out->fp[f] = fopen(path, append ? "a" : "w");
        if (!out->fp[f])
            return ab_error_set(err, AB_EIO, "cannot open '%s': %s", path, strerror(errno));
        if (append)
            ab_csv_attach(&out->w[f], out->fp[f], out_ncols[f]);
        else if (ab_csv_begin(&out->w[f], out->fp[f], out_cols[f], out_ncols[f]) != AB_OK)
            return ab_error_set(err, AB_EIO, "cannot write '%s'", path);
    }
    return AB_OK;
}

static void close_outputs(struct outputs *out)
{
    for (int f = 0; f < OUT_COUNT; f++) {
        if (out->fp[f])
            fclose(out->fp[f]);
        out->fp[f] = NULL;
    }
}

/* Rename every partial file into place (each rename is atomic). */
static enum ab_status finalize_outputs(struct outputs *out, struct ab_error *err)
{
    char from[1200], to[1200];
    for (int f = 0; f < OUT_COUNT; f++) {
        out_path(out, out_names[f], ".partial", from, sizeof from);
        out_path(out, out_names[f], "", to, sizeof to);
        if (rename(from, to) != 0)
            return ab_error_set(err, AB_EIO, "cannot rename '%s' to '%s': %s", from, to, strerror(errno));
    }
    return AB_OK;
}

/* ---- the run context ----------------------------------------------------------------------- */

struct peaks {
    double fp32_gflops[AB_RUN_MAX_THREADS];   /* by thread-count index; NaN = not measured */
    double int8_gops[AB_RUN_MAX_THREADS];
    double read_gbs[AB_RUN_MAX_THREADS];
    double triad_gbs[AB_RUN_MAX_THREADS];
};

struct runner {
    const struct ab_run_options *o;
    struct outputs out;
    struct ab_sysinfo si;
    char machine_id[128];
    char run_id[64];
    struct ab_counters *counters;             /* the calling thread's set (thread 0) */
    struct ab_counters *worker_counters[AB_RUN_MAX_POOL]; /* OpenMP thread t's set, t >= 1 */
    struct ab_energy *energy;
    double timer_overhead_ns;
    double counter_overhead_ns;
    struct peaks peaks;
    double ref_median_ns;         /* of the current (case, threads) group; NaN if none */
    int64_t t_start_ns;
    cJSON *warnings;
};

static void warn(struct runner *r, const char *fmt, ...) AB_PRINTF(2, 3);
static void warn(struct runner *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(r->warnings, cJSON_CreateString(msg));
    if (r->o->on_warning)
        r->o->on_warning(r->o->user, msg);
}

static void environment_warnings(struct runner *r)
{
    const struct ab_sysinfo *si = &r->si;
    if (si->is_vm)
        warn(r, "running in a virtual machine (%s): timings include hypervisor noise and hardware counters "
                "are usually absent", si->hypervisor);
    if (strcmp(si->governor, "NA") != 0 && strcmp(si->governor, "performance") != 0)
        warn(r, "CPU frequency governor is '%s', not 'performance'", si->governor);
    if (si->boost == 1)
        warn(r, "CPU boost/turbo is on: frequency depends on temperature and load");
    if (si->load_avg_1min > 0.5 * (double)(si->n_cpus_online > 0 ? si->n_cpus_online : 1))
        warn(r, "load average %.2f: other work competes for the CPUs", si->load_avg_1min);
    if (strcmp(AB_BUILD_TYPE, "release") != 0)
        warn(r, "archbench was built as '%s', not release", AB_BUILD_TYPE);
    if (si->perf_event_paranoid > 2)
        warn(r, "perf_event_paranoid is %d: PAPI cannot count (needs <= 2)", si->perf_event_paranoid);
    if (si->aslr > 0)
        warn(r, "ASLR is on: code and data placement varies between runs");
}

static void pin_threads(const struct runner *r, int n_threads)
{
#ifdef __linux__
    if (!r->o->pin || r->si.n_cpus_online <= 0)
        return;
    int ncpu = r->si.n_cpus_online;
#pragma omp parallel num_threads(n_threads)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(t % ncpu, &set);
        (void)sched_setaffinity(0, sizeof set, &set);
    }
#else
    (void)r;
    (void)n_threads;
#endif
}

static double counters_overhead_ns(struct ab_counters *c)
{
    if (ab_counters_n_active(c) == 0)
        return NA_F64;
    enum { N = 201 };
    double d[N];
    int64_t vals[AB_COUNTERS_MAX];
    for (int i = 0; i < N; i++) {
        int64_t t0 = ab_now_ns();
        ab_counters_start(c);
        ab_counters_stop(c, vals);
        d[i] = (double)(ab_now_ns() - t0);
    }
    return ab_stats_median_inplace(d, N);
}

/*
 * Counting every thread of a team: a PAPI event set counts the thread that started it,
 * so each OpenMP thread t of an n-thread team gets its own set (created by that thread),
 * started and stopped in parallel regions just outside the timed interval. libgomp
 * hands team slot t to the same pool thread in every region of the same size, so the
 * sets follow the threads that run the kernel's own regions. Threads the kernel does
 * not start itself (OpenBLAS's pool) are not counted; context.json says so.
 */
static void counters_start_team(struct runner *r, int n_threads)
{
    if (ab_counters_n_active(r->counters) == 0)
        return;
    if (n_threads <= 1 || n_threads > AB_RUN_MAX_POOL) {
        ab_counters_start(r->counters);
        return;
    }
#pragma omp parallel num_threads(n_threads)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        if (t == 0) {
            ab_counters_start(r->counters);
        } else {
            if (!r->worker_counters[t])
                (void)ab_counters_new(r->o->events, r->o->multiplex, &r->worker_counters[t], NULL);
            if (r->worker_counters[t])
                ab_counters_start(r->worker_counters[t]);
        }
    }
}

/* Stop every set of the team and write the per-event sums (NA if any thread has NA). */
static void counters_stop_team(struct runner *r, int n_threads, int64_t *out_values)
{
    size_t n_ev = ab_counters_count(r->counters);
    if (ab_counters_n_active(r->counters) == 0 || n_threads <= 1 || n_threads > AB_RUN_MAX_POOL) {
        ab_counters_stop(r->counters, out_values);
        return;
    }
    int64_t per_thread[AB_RUN_MAX_POOL][AB_COUNTERS_MAX];
#pragma omp parallel num_threads(n_threads)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        struct ab_counters *set = t == 0 ? r->counters : r->worker_counters[t];
        if (set) {
            ab_counters_stop(set, per_thread[t]);
        } else {
            for (size_t e = 0; e < AB_COUNTERS_MAX; e++)
                per_thread[t][e] = AB_COUNT_NA;
        }
    }
    for (size_t e = 0; e < n_ev; e++) {
        int64_t sum = 0;
        for (int t = 0; t < n_threads && sum != AB_COUNT_NA; t++)
            sum = per_thread[t][e] == AB_COUNT_NA ? AB_COUNT_NA : sum + per_thread[t][e];
        out_values[e] = sum;
    }
}

/* ---- one item ------------------------------------------------------------------------------ */

struct measured {
    bool verified;
    bool timed;
    struct ab_check check;
    char note[256];
    int reps;
    int64_t iters;
    double samples_ns[256];
    int64_t counts[256][AB_COUNTERS_MAX];
    struct ab_stats stats;
    size_t workspace_bytes;
    uint64_t shim_peak;
    int64_t rss_before, rss_peak;
    enum ab_energy_source energy_source;
    double energy_j;   /* per call */
    double region_s;
    char energy_note[256];
};

static void key_fields(struct ab_csv_writer *w, const struct runner *r, const struct item *it,
                       const struct plan_case *pc)
{
    ab_csv_str(w, r->run_id);
    ab_csv_str(w, r->machine_id);
    ab_csv_str(w, pc->family->name);
    ab_csv_str(w, it->kernel->name);
    ab_csv_str(w, it->kernel->variant);
    ab_csv_str(w, pc->shape_text);
    ab_csv_i64(w, it->threads);
}

static enum ab_status run_calls(struct ab_case *c, const struct ab_kernel *k, const struct ab_exec *exec,
                                int64_t iters)
{
    for (int64_t i = 0; i < iters; i++) {
        enum ab_status st = c->family->case_run(c, k, exec, AB_SLOT_TEST);
        if (st != AB_OK)
            return st;
    }
    return AB_OK;
}

/*
 * ref_call_ns: duration of the reference call that filled AB_SLOT_REF for this case
 * (NaN if unknown). The reference is not re-verified against itself, and when one of
 * its calls already lasts min_time that call was its warm-up and calibration.
 */
static void measure_item(struct runner *r, const struct item *it, struct ab_case *c, double ref_call_ns,
                         struct measured *m)
{
    const struct ab_run_options *o = r->o;
    const struct ab_kernel *k = it->kernel;
    memset(m, 0, sizeof *m);
    m->energy_j = NA_F64;
    m->region_s = NA_F64;
    m->rss_before = m->rss_peak = -1;
    m->workspace_bytes = k->workspace_bytes(&c->shape, it->threads);
    struct ab_exec exec = {.n_threads = it->threads, .workspace = NULL, .workspace_bytes = m->workspace_bytes};

    ab_alloc_reset_peak();
    struct ab_alloc_stats before;
    ab_alloc_get_stats(&before);
    if (m->workspace_bytes) {
        exec.workspace = ab_aligned_alloc(AB_ALIGN_BYTES, m->workspace_bytes);
        if (!exec.workspace) {
            snprintf(m->note, sizeof m->note, "cannot allocate %zu workspace bytes", m->workspace_bytes);
            return;
        }
    }
    /* Verify on this very shape and thread count before any timing. */
    enum ab_status st = AB_OK;
    if (k->is_ref) {
        m->verified = true;
    } else {
        /* Poisoned outputs, guard zones and input hashes: a variant that writes nothing
         * must not inherit the right answer an earlier call left in the TEST slot. */
        st = ab_case_verify(c, k, &exec, &m->check);
        if (st != AB_OK) {
            snprintf(m->note, sizeof m->note, "kernel returned %s (seed %" PRIu64 ")", ab_status_name(st), c->seed);
            goto done;
        }
        m->verified = m->check.ok;
        if (!m->verified) {
            snprintf(m->note, sizeof m->note, "failed verification: %s", m->check.detail);
            goto done;
        }
    }
    /* Warm-up and calibration, Google Benchmark style: grow the batch until one batch
     * lasts min_time (a single first call is a poor guide: cold caches, thread start). */
    m->iters = 1;
    double batch_ns = 0.0, best_call_ns = INFINITY;
    /* A reference so slow that one call takes a quarter of the item budget is timed by
     * the one call that produced the reference output: a single sample, no counters. */
    if (k->is_ref && ref_call_ns * 4e-9 > o->max_item_s) {
        m->iters = 1;
        m->reps = 1;
        m->samples_ns[0] = ref_call_ns;
        for (size_t e = 0; e < AB_COUNTERS_MAX; e++)
            m->counts[0][e] = AB_COUNT_NA;
        snprintf(m->note, sizeof m->note,
                 "one call (%.3g s) exceeds a quarter of the %.0f s item budget: timed by the call that produced the "
                 "reference output; counters, memory and energy not measured",
                 ref_call_ns * 1e-9, o->max_item_s);
        snprintf(m->energy_note, sizeof m->energy_note, "not measured (single untimed-region sample)");
        m->timed = ab_stats_compute(m->samples_ns, 1, &m->stats) == AB_OK;
        goto done;
    }
    bool slow_ref = k->is_ref && ref_call_ns >= o->min_time_s * 1e9;
    if (slow_ref)
        best_call_ns = ref_call_ns;
    while (!slow_ref) {
        int64_t t0 = ab_now_ns();
        if ((st = run_calls(c, k, &exec, m->iters)) != AB_OK)
            goto kernel_error;
        batch_ns = (double)(ab_now_ns() - t0);
        if (batch_ns / (double)m->iters < best_call_ns)
            best_call_ns = batch_ns / (double)m->iters;
        if (batch_ns >= o->min_time_s * 1e9 || m->iters >= (INT64_C(1) << 40))
            break;
        double grow_by = batch_ns > 0.0 ? 1.4 * o->min_time_s * 1e9 / batch_ns : 10.0;
        grow_by = grow_by < 2.0 ? 2.0 : grow_by > 10.0 ? 10.0 : grow_by;
        m->iters = (int64_t)ceil((double)m->iters * grow_by);
    }
    /* A batch slowed by preemption would make later repetitions too short: size the
     * repetition by the fastest call seen, so a typical repetition lasts min_time. */
    int64_t by_best = best_call_ns > 0.0 ? (int64_t)ceil(o->min_time_s * 1e9 / best_call_ns) : 1;
    if (by_best > m->iters)
        m->iters = by_best;
    double one_ns = best_call_ns;
    double rep_s = one_ns * (double)m->iters * 1e-9;
    m->reps = o->repetitions;
    if (rep_s * m->reps > o->max_item_s) {
        /* As many repetitions as fit the budget, at least 1: a row with fewer than 6
         * has no 95% interval of its median (NA) and says why in its note. */
        int fit = (int)(o->max_item_s / rep_s);
        m->reps = fit > 1 ? fit : 1;
        snprintf(m->note, sizeof m->note, "repetitions reduced to %d to fit the %.0f s item budget (one call %.3g s)",
                 m->reps, o->max_item_s, rep_s);
    }
    if (m->reps > (int)(sizeof m->samples_ns / sizeof m->samples_ns[0]))
        m->reps = (int)(sizeof m->samples_ns / sizeof m->samples_ns[0]);

    bool rss_ok = ab_mem_peak_reset();
    m->rss_before = ab_mem_rss_bytes();
    bool energy_on = ab_energy_source(r->energy) != AB_ENERGY_NONE && ab_energy_begin(r->energy) == AB_OK;
    int64_t region_start = ab_now_ns();
    for (int rep = 0; rep < m->reps; rep++) {
        counters_start_team(r, it->threads);
        int64_t a = ab_now_ns();
        st = run_calls(c, k, &exec, m->iters);
        int64_t b = ab_now_ns();
        counters_stop_team(r, it->threads, m->counts[rep]);
        if (st != AB_OK)
            goto kernel_error;
        /* One timer read pair brackets the repetition: its cost is subtracted once. */
        double total = (double)(b - a) - r->timer_overhead_ns;
        m->samples_ns[rep] = (total > 0.0 ? total : 0.0) / (double)m->iters;
    }
    m->region_s = (double)(ab_now_ns() - region_start) * 1e-9;
    m->rss_peak = rss_ok ? ab_mem_peak_rss_bytes() : -1;
    if (energy_on) {
        double joules = NA_F64;
        int64_t calls = (int64_t)m->reps * m->iters;
        enum ab_status est = ab_energy_end(r->energy, m->region_s, &joules);
        /* A region shorter than the counter's update interval is lengthened with more
         * calls (not timed) until it is long enough, then measured; never reported short. */
        while (est == AB_EINVAL && m->region_s < ab_energy_min_region_s(r->energy) && m->region_s < o->max_item_s) {
            if ((st = run_calls(c, k, &exec, m->iters)) != AB_OK)
                goto kernel_error;
            calls += m->iters;
            m->region_s = (double)(ab_now_ns() - region_start) * 1e-9;
            if (m->region_s >= ab_energy_min_region_s(r->energy))
                est = ab_energy_end(r->energy, m->region_s, &joules);
        }
        if (est == AB_OK) {
            m->energy_j = joules / (double)calls;
            m->energy_source = ab_energy_source(r->energy);
        } else {
            snprintf(m->energy_note, sizeof m->energy_note, "region of %.3f s refused (%s; needs >= %.3f s)",
                     m->region_s, ab_status_message(est), ab_energy_min_region_s(r->energy));
        }
    } else {
        snprintf(m->energy_note, sizeof m->energy_note, "%s", ab_energy_reason(r->energy));
    }
    if (ab_stats_compute(m->samples_ns, (size_t)m->reps, &m->stats) == AB_OK)
        m->timed = true;
    goto done;
kernel_error:
    snprintf(m->note, sizeof m->note, "kernel returned %s", ab_status_name(st));
    m->verified = false;
done:
    ab_free(exec.workspace);
    struct ab_alloc_stats after;
    ab_alloc_get_stats(&after);
    m->shim_peak = after.bytes_peak;
    (void)before;
}

/* Index of the thread count in the options, for the peaks table. */
static size_t thread_index(const struct ab_run_options *o, int threads)
{
    for (size_t i = 0; i < o->n_threads; i++)
        if (o->threads[i] == threads)
            return i;
    return 0;
}

static void record_peak(struct runner *r, const struct item *it, const struct plan_case *pc, double median_ns)
{
    size_t ti = thread_index(r->o, it->threads);
    double flops = it->kernel->flops(&pc->shape), bytes = it->kernel->bytes(&pc->shape);
    switch ((enum ab_probe_kind)pc->shape.v[0]) {
    case AB_PROBE_FP32_FMA:
        r->peaks.fp32_gflops[ti] = flops / median_ns;
        break;
    case AB_PROBE_INT8_DOT:
        r->peaks.int8_gops[ti] = flops / median_ns;
        break;
    case AB_PROBE_MEM_READ:
        r->peaks.read_gbs[ti] = bytes / median_ns;
        break;
    case AB_PROBE_MEM_TRIAD:
        r->peaks.triad_gbs[ti] = bytes / median_ns;
        break;
    case AB_PROBE_KIND_COUNT:
        break;
    }
}

/* Index of a named event in the counter set, or -1. */
static int event_index(const struct ab_counters *c, const char *name)
{
    for (size_t i = 0; i < ab_counters_count(c); i++)
        if (strcmp(ab_counters_info(c, i)->name, name) == 0)
            return (int)i;
    return -1;
}

/* Derived figures (throughput, intensity, % of peak, IPC) from raw numbers, in one place. */
static void write_rows(struct runner *r, const struct item *it, const struct plan_case *pc, const struct measured *m)
{
    const struct ab_kernel *k = it->kernel;
    const struct ab_family *fam = pc->family;
    size_t ti = thread_index(r->o, it->threads);
    double med = m->timed ? m->stats.median : NA_F64;
    double flops = k->flops(&pc->shape), bytes = k->bytes(&pc->shape);
    double tokens = fam->tokens ? fam->tokens(&pc->shape) : NA_F64;
    if (!(tokens > 0.0))
        tokens = NA_F64;
    double peak_c = fam->compute_peak == AB_PEAK_INT8 ? r->peaks.int8_gops[ti] : r->peaks.fp32_gflops[ti];
    double peak_bw = r->peaks.triad_gbs[ti];
    if (fam->is_probe)
        peak_c = peak_bw = NA_F64;
    double ipc = NA_F64;
    int icyc = event_index(r->counters, "PAPI_TOT_CYC"), iins = event_index(r->counters, "PAPI_TOT_INS");
    if (m->timed && icyc >= 0 && iins >= 0) {
        double cyc = 0, ins = 0;
        bool ok = true;
        for (int rep = 0; rep < m->reps; rep++) {
            ok &= m->counts[rep][icyc] != AB_COUNT_NA && m->counts[rep][iins] != AB_COUNT_NA;
            cyc += (double)m->counts[rep][icyc];
            ins += (double)m->counts[rep][iins];
        }
        if (ok && cyc > 0)
            ipc = ins / cyc;
    }

    /* samples.csv and counters.csv: one row per repetition */
    for (int rep = 0; m->timed && rep < m->reps; rep++) {
        struct ab_csv_writer *w = &r->out.w[OUT_SAMPLES];
        key_fields(w, r, it, pc);
        ab_csv_i64(w, rep);
        ab_csv_i64(w, m->iters);
        ab_csv_f64(w, m->samples_ns[rep]);
        ab_csv_f64(w, m->samples_ns[rep] * (double)m->iters);
        ab_csv_bool(w, ab_stats_is_outlier(&m->stats, m->samples_ns[rep]));
        ab_csv_end_row(w);
        for (size_t e = 0; e < ab_counters_count(r->counters); e++) {
            struct ab_csv_writer *wc = &r->out.w[OUT_COUNTERS];
            int64_t v = m->counts[rep][e];
            key_fields(wc, r, it, pc);
            ab_csv_i64(wc, rep);
            ab_csv_str(wc, ab_counters_info(r->counters, e)->name);
            if (v == AB_COUNT_NA) {
                ab_csv_na(wc);
                ab_csv_na(wc);
            } else {
                ab_csv_i64(wc, v);
                ab_csv_f64(wc, (double)v / (double)m->iters);
            }
            ab_csv_bool(wc, ab_counters_multiplexed(r->counters));
            ab_csv_end_row(wc);
        }
    }

    struct ab_csv_writer *w = &r->out.w[OUT_SPEED];
    key_fields(w, r, it, pc);
    ab_csv_str(w, k->is_ref ? "reference" : m->verified ? "pass" : "fail");
    ab_csv_f64(w, k->is_ref ? NA_F64 : m->check.err);
    ab_csv_f64(w, k->is_ref ? NA_F64 : m->check.tol);
    if (m->timed) {
        ab_csv_i64(w, m->reps);
        ab_csv_i64(w, m->iters);
        ab_csv_f64(w, m->stats.median);
        ab_csv_f64(w, m->stats.min);
        ab_csv_f64(w, m->stats.mad);
        ab_csv_f64(w, m->stats.cv);
        ab_csv_f64(w, m->stats.ci_low);
        ab_csv_f64(w, m->stats.ci_high);
        ab_csv_u64(w, m->stats.n_outliers);
        ab_csv_bool(w, m->stats.noisy);
    } else {
        for (int i = 0; i < 10; i++)
            ab_csv_na(w);
    }
    ab_csv_f64(w, flops / med);
    ab_csv_f64(w, bytes / med);
    ab_csv_f64(w, tokens / (med * 1e-9));
    ab_csv_f64(w, bytes > 0 ? flops / bytes : NA_F64);
    ab_csv_f64(w, peak_c);
    ab_csv_f64(w, 100.0 * (flops / med) / peak_c);
    ab_csv_f64(w, peak_bw);
    ab_csv_f64(w, 100.0 * (bytes / med) / peak_bw);
    ab_csv_f64(w, k->is_ref ? NA_F64 : r->ref_median_ns / med);
    ab_csv_f64(w, ipc);
    ab_csv_f64(w, r->timer_overhead_ns);
    ab_csv_str(w, m->note[0] ? m->note : "");
    ab_csv_end_row(w);

    w = &r->out.w[OUT_MEMORY];
    key_fields(w, r, it, pc);
    ab_csv_u64(w, m->workspace_bytes);
    ab_csv_u64(w, fam->io_bytes(&pc->shape));
    ab_csv_u64(w, m->shim_peak);
    if (m->rss_before >= 0)
        ab_csv_i64(w, m->rss_before);
    else
        ab_csv_na(w);
    if (m->rss_peak >= 0)
        ab_csv_i64(w, m->rss_peak);
    else
        ab_csv_na(w);
    ab_csv_str(w, m->rss_peak >= 0 ? "shim peak covers case inputs, outputs and workspace"
                                    : "peak RSS unavailable (no /proc/self/clear_refs)");
    ab_csv_end_row(w);

    w = &r->out.w[OUT_ENERGY];
    key_fields(w, r, it, pc);
    bool have_e = !isnan(m->energy_j);
    ab_csv_str(w, have_e ? ab_energy_source_name(m->energy_source) : "NA");
    ab_csv_f64(w, m->energy_j);
    ab_csv_f64(w, m->region_s);
    ab_csv_f64(w, have_e ? flops / m->energy_j : NA_F64);
    ab_csv_f64(w, have_e ? tokens / m->energy_j : NA_F64);
    const char *model = ab_energy_model(r->energy);
    ab_csv_str(w, have_e ? (model ? model : "") : m->energy_note);
    ab_csv_end_row(w);
}

static void write_metrics(struct runner *r, const struct item *it, const struct plan_case *pc, struct ab_case *c)
{
    if (!pc->family->case_metrics)
        return;
    struct ab_metric metrics[AB_METRICS_MAX];
    size_t n = pc->family->case_metrics(c, metrics);
    for (size_t i = 0; i < n && i < AB_METRICS_MAX; i++) {
        struct ab_csv_writer *w = &r->out.w[OUT_METRICS];
        key_fields(w, r, it, pc);
        ab_csv_str(w, metrics[i].name);
        ab_csv_f64(w, metrics[i].value);
        ab_csv_str(w, metrics[i].unit);
        ab_csv_end_row(w);
    }
}

/* ---- context.json ------------------------------------------------------------------------- */

static cJSON *peaks_json(const struct runner *r)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t t = 0; t < r->o->n_threads; t++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "threads", r->o->threads[t]);
        double v[4] = {r->peaks.fp32_gflops[t], r->peaks.int8_gops[t], r->peaks.read_gbs[t], r->peaks.triad_gbs[t]};
        const char *names[4] = {"fp32_fma_gflops", "int8_dot_gops", "mem_read_gbytes_per_s", "mem_triad_gbytes_per_s"};
        for (int i = 0; i < 4; i++) {
            if (isnan(v[i]))
                cJSON_AddStringToObject(p, names[i], "NA");
            else
                cJSON_AddNumberToObject(p, names[i], v[i]);
        }
        cJSON_AddItemToArray(arr, p);
    }
    return arr;
}

static enum ab_status write_context(struct runner *r, const struct ab_run_result *res, bool final,
                                    struct ab_error *err)
{
    ab_json_use_shim();
    const struct ab_sysinfo *si = &r->si;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "schema_version", AB_RUN_SCHEMA_VERSION);
    cJSON_AddStringToObject(root, "run_id", r->run_id);
    cJSON_AddStringToObject(root, "machine_id", r->machine_id);
    cJSON_AddStringToObject(root, "command", r->o->command_line ? r->o->command_line : "");
    cJSON_AddStringToObject(root, "archbench_version", AB_VERSION);
    cJSON_AddStringToObject(root, "git_commit", AB_GIT_COMMIT);
    cJSON_AddStringToObject(root, "build_type", AB_BUILD_TYPE);
    cJSON_AddStringToObject(root, "compiler", AB_COMPILER);
    cJSON_AddNumberToObject(root, "seed", (double)r->o->seed);
    cJSON_AddBoolToObject(root, "quick", r->o->quick);
    cJSON_AddBoolToObject(root, "complete", final && !res->interrupted);
    cJSON_AddBoolToObject(root, "interrupted", res->interrupted);

    cJSON *m = cJSON_AddObjectToObject(root, "machine");
    cJSON_AddStringToObject(m, "cpu_model", si->cpu_model);
    cJSON_AddStringToObject(m, "cpu_vendor", si->cpu_vendor);
    cJSON_AddNumberToObject(m, "cpus_online", si->n_cpus_online);
    cJSON_AddNumberToObject(m, "cpus_allowed", si->n_cpus_allowed);
    char buf[256];
    ab_cpu_format(si->cpu_detected, buf, sizeof buf);
    cJSON_AddStringToObject(m, "features_detected", buf);
    ab_cpu_format(si->cpu_usable, buf, sizeof buf);
    cJSON_AddStringToObject(m, "features_used", buf);
    cJSON *caches = cJSON_AddArrayToObject(m, "caches");
    for (size_t i = 0; i < si->n_caches; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "level", si->caches[i].level);
        cJSON_AddStringToObject(c, "type", si->caches[i].type);
        cJSON_AddNumberToObject(c, "size_bytes", (double)si->caches[i].size_bytes);
        cJSON_AddNumberToObject(c, "num_sharing", si->caches[i].n_sharing_cpus);
        cJSON_AddItemToArray(caches, c);
    }
    cJSON_AddNumberToObject(m, "mem_total_bytes", (double)si->mem_total_bytes);
    cJSON_AddBoolToObject(m, "virtual_machine", si->is_vm);
    cJSON_AddStringToObject(m, "hypervisor", si->hypervisor);
    cJSON_AddStringToObject(m, "kernel", si->kernel);
    cJSON_AddStringToObject(m, "governor", si->governor);
    cJSON_AddNumberToObject(m, "boost", si->boost);
    cJSON_AddNumberToObject(m, "aslr", si->aslr);
    cJSON_AddNumberToObject(m, "load_avg_1min", si->load_avg_1min);
    cJSON_AddNumberToObject(m, "perf_event_paranoid", si->perf_event_paranoid);

    cJSON *run = cJSON_AddObjectToObject(root, "run");
    cJSON *th = cJSON_AddArrayToObject(run, "threads");
    for (size_t i = 0; i < r->o->n_threads; i++)
        cJSON_AddItemToArray(th, cJSON_CreateNumber(r->o->threads[i]));
    cJSON_AddBoolToObject(run, "pinned", r->o->pin);
    cJSON_AddStringToObject(run, "pinning", r->o->pin ? "OpenMP thread t on CPU t mod cpus_online" : "none");
    cJSON_AddNumberToObject(run, "repetitions", r->o->repetitions);
    cJSON_AddNumberToObject(run, "min_time_s", r->o->min_time_s);
    cJSON_AddNumberToObject(run, "max_item_s", r->o->max_item_s);
    cJSON_AddNumberToObject(run, "timer_overhead_ns", r->timer_overhead_ns);
    if (isnan(r->counter_overhead_ns))
        cJSON_AddStringToObject(run, "counter_read_overhead_ns", "NA (no counter counts here)");
    else
        cJSON_AddNumberToObject(run, "counter_read_overhead_ns", r->counter_overhead_ns);
    cJSON_AddStringToObject(run, "flops_convention", "per family: see `archbench list --families`");
    cJSON_AddNumberToObject(run, "items_planned", (double)res->n_items);
    cJSON_AddNumberToObject(run, "items_done", (double)(res->n_done + res->n_resumed));
    cJSON_AddNumberToObject(run, "items_failed", (double)res->n_failed);

    cJSON *ctr = cJSON_AddObjectToObject(root, "counters");
    ab_counters_version(buf, sizeof buf);
    cJSON_AddStringToObject(ctr, "papi_version", buf);
    cJSON_AddBoolToObject(ctr, "multiplexed", ab_counters_multiplexed(r->counters));
    cJSON_AddStringToObject(ctr, "scope", "every thread of the OpenMP team, summed (one event set per thread); "
                                          "threads of OpenBLAS's own pool are not counted");
    cJSON *evs = cJSON_AddArrayToObject(ctr, "events");
    for (size_t i = 0; i < ab_counters_count(r->counters); i++) {
        const struct ab_counter_info *ci = ab_counters_info(r->counters, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", ci->name);
        cJSON_AddBoolToObject(e, "available", ci->available);
        if (!ci->available)
            cJSON_AddStringToObject(e, "reason", ci->reason);
        cJSON_AddItemToArray(evs, e);
    }
    cJSON *en = cJSON_AddObjectToObject(root, "energy");
    cJSON_AddStringToObject(en, "source", ab_energy_source_name(ab_energy_source(r->energy)));
    const char *reason = ab_energy_reason(r->energy);
    cJSON_AddStringToObject(en, "reason", reason ? reason : "");
    const char *model = ab_energy_model(r->energy);
    if (model)
        cJSON_AddStringToObject(en, "model", model);
    cJSON_AddNumberToObject(en, "min_region_s", ab_energy_min_region_s(r->energy));
    cJSON_AddItemToObject(root, "peaks", peaks_json(r));
    cJSON_AddStringToObject(root, "peaks_source", r->o->peaks_from ? r->o->peaks_from
                                                  : r->o->probes      ? "measured in this run"
                                                                      : "none (probes skipped)");
    cJSON_AddItemReferenceToObject(root, "warnings", r->warnings);

    char path[1200];
    out_path(&r->out, "context.json", "", path, sizeof path);
    enum ab_status st = ab_json_write_file(path, root, err);
    cJSON_Delete(root);
    return st;
}

/* ---- Google Benchmark JSON ---------------------------------------------------------------------- */

/*
 * gbench.json follows Google Benchmark's JSON reporter (json_schema_version 1): a
 * "context" object and a "benchmarks" array with one "iteration" entry per repetition
 * (name, run_name, run_type, repetitions, repetition_index, threads, iterations,
 * real_time, cpu_time, time_unit "ns") and a "median" aggregate per item
 * (run_type "aggregate", aggregate_name "median", aggregate_unit "time"). These are the
 * fields tools/compare.py reads (it runs its U test on the iteration entries). cpu_time
 * is the wall time: archbench does not measure CPU time separately.
 * The file is built from samples.csv so resumed runs are complete.
 */
static enum ab_status write_gbench(struct runner *r, struct ab_error *err)
{
    char path[1200];
    out_path(&r->out, "samples.csv", "", path, sizeof path);
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    struct ab_csv_options opt = {.delim = ',', .quoting = true};
    enum ab_status st = ab_csv_read(path, &opt, &arena, &t, err);
    if (st != AB_OK) {
        ab_arena_release(&arena);
        return st;
    }
    ab_json_use_shim();
    cJSON *root = cJSON_CreateObject();
    cJSON *ctx = cJSON_AddObjectToObject(root, "context");
    char date[64];
    time_t now = time(NULL);
    struct tm tmv;
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tmv));
    cJSON_AddStringToObject(ctx, "date", date);
    cJSON_AddStringToObject(ctx, "host_name", r->si.hostname);
    cJSON_AddStringToObject(ctx, "executable", "archbench");
    cJSON_AddNumberToObject(ctx, "num_cpus", r->si.n_cpus_online);
    cJSON_AddNumberToObject(ctx, "mhz_per_cpu", 0);
    cJSON_AddBoolToObject(ctx, "cpu_scaling_enabled", strcmp(r->si.governor, "performance") != 0);
    cJSON *caches = cJSON_AddArrayToObject(ctx, "caches");
    for (size_t i = 0; i < r->si.n_caches; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "type", r->si.caches[i].type);
        cJSON_AddNumberToObject(c, "level", r->si.caches[i].level);
        cJSON_AddNumberToObject(c, "size", (double)r->si.caches[i].size_bytes);
        cJSON_AddNumberToObject(c, "num_sharing", r->si.caches[i].n_sharing_cpus);
        cJSON_AddItemToArray(caches, c);
    }
    cJSON *la = cJSON_AddArrayToObject(ctx, "load_avg");
    cJSON_AddItemToArray(la, cJSON_CreateNumber(r->si.load_avg_1min));
    cJSON_AddStringToObject(ctx, "library_build_type", strcmp(AB_BUILD_TYPE, "release") == 0 ? "release" : "debug");
    cJSON_AddNumberToObject(ctx, "json_schema_version", 1);
    cJSON *benches = cJSON_AddArrayToObject(root, "benchmarks");
    size_t family_index = 0;
    for (size_t row = 1; row < t.n_rows;) {
        const char **first = t.cells + row * t.n_cols;
        size_t end = row;
        while (end < t.n_rows && strcmp(t.cells[end * t.n_cols + 3], first[3]) == 0 &&
               strcmp(t.cells[end * t.n_cols + 5], first[5]) == 0 && strcmp(t.cells[end * t.n_cols + 6], first[6]) == 0)
            end++;
        char name[600];
        snprintf(name, sizeof name, "%s/%s/threads:%s", first[3], first[5], first[6]);
        double times[256];
        size_t n = 0;
        for (size_t i = row; i < end; i++) {
            const char **c = t.cells + i * t.n_cols;
            cJSON *b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "name", name);
            cJSON_AddNumberToObject(b, "family_index", (double)family_index);
            cJSON_AddNumberToObject(b, "per_family_instance_index", 0);
            cJSON_AddStringToObject(b, "run_name", name);
            cJSON_AddStringToObject(b, "run_type", "iteration");
            cJSON_AddNumberToObject(b, "repetitions", (double)(end - row));
            cJSON_AddNumberToObject(b, "repetition_index", strtod(c[7], NULL));
            cJSON_AddNumberToObject(b, "threads", strtod(c[6], NULL));
            cJSON_AddNumberToObject(b, "iterations", strtod(c[8], NULL));
            double ns = strtod(c[9], NULL);
            cJSON_AddNumberToObject(b, "real_time", ns);
            cJSON_AddNumberToObject(b, "cpu_time", ns);
            cJSON_AddStringToObject(b, "time_unit", "ns");
            cJSON_AddItemToArray(benches, b);
            if (n < 256)
                times[n++] = ns;
        }
        cJSON *agg = cJSON_CreateObject();
        char agg_name[640];
        snprintf(agg_name, sizeof agg_name, "%s_median", name);
        cJSON_AddStringToObject(agg, "name", agg_name);
        cJSON_AddNumberToObject(agg, "family_index", (double)family_index);
        cJSON_AddNumberToObject(agg, "per_family_instance_index", 0);
        cJSON_AddStringToObject(agg, "run_name", name);
        cJSON_AddStringToObject(agg, "run_type", "aggregate");
        cJSON_AddNumberToObject(agg, "repetitions", (double)(end - row));
        cJSON_AddNumberToObject(agg, "threads", strtod(first[6], NULL));
        cJSON_AddStringToObject(agg, "aggregate_name", "median");
        cJSON_AddStringToObject(agg, "aggregate_unit", "time");
        double med = ab_stats_median_inplace(times, n);
        cJSON_AddNumberToObject(agg, "real_time", med);
        cJSON_AddNumberToObject(agg, "cpu_time", med);
        cJSON_AddStringToObject(agg, "time_unit", "ns");
        cJSON_AddItemToArray(benches, agg);
        family_index++;
        row = end;
    }
    out_path(&r->out, "gbench.json", "", path, sizeof path);
    st = ab_json_write_file(path, root, err);
    cJSON_Delete(root);
    ab_arena_release(&arena);
    return st;
}

/* Peaks from an earlier run's context.json ("peaks": [{threads, fp32_fma_gflops, ...}]). */
static enum ab_status load_peaks(struct runner *r, const char *path, struct ab_error *err)
{
    cJSON *root = NULL;
    enum ab_status st = ab_json_read_file(path, &root, err);
    if (st != AB_OK)
        return st;
    const cJSON *peaks = cJSON_GetObjectItemCaseSensitive(root, "peaks");
    if (!cJSON_IsArray(peaks)) {
        cJSON_Delete(root);
        return ab_error_set(err, AB_EPARSE, "'%s': no \"peaks\" array (not an archbench context.json?)", path);
    }
    static const char *const names[4] = {"fp32_fma_gflops", "int8_dot_gops", "mem_read_gbytes_per_s",
                                          "mem_triad_gbytes_per_s"};
    const cJSON *p;
    cJSON_ArrayForEach(p, peaks)
    {
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(p, "threads");
        if (!cJSON_IsNumber(th))
            continue;
        for (size_t t = 0; t < r->o->n_threads; t++) {
            if (r->o->threads[t] != (int)th->valuedouble)
                continue;
            double *dst[4] = {&r->peaks.fp32_gflops[t], &r->peaks.int8_gops[t], &r->peaks.read_gbs[t],
                              &r->peaks.triad_gbs[t]};
            for (int i = 0; i < 4; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, names[i]);
                if (cJSON_IsNumber(v))  /* "NA" strings stay NaN */
                    *dst[i] = v->valuedouble;
            }
        }
    }
    cJSON_Delete(root);
    return AB_OK;
}

/* ---- the run ---------------------------------------------------------------------------------- */

void ab_run_options_init(struct ab_run_options *o)
{
    memset(o, 0, sizeof *o);
    o->threads[0] = 1;
    o->n_threads = 1;
    o->repetitions = 10;
    o->min_time_s = 0.1;
    o->max_item_s = 30.0;
    o->events = AB_COUNTERS_DEFAULT;
    o->out_dir = "archbench-results";
    o->seed = 1;
    o->pin = true;
    o->probes = true;
}

enum ab_status ab_run(const struct ab_run_options *o, struct ab_run_result *out_result, struct ab_error *err)
{
    struct ab_run_result res = {0};
    struct plan pl = {0};
    struct ab_filter *filter = NULL;
    struct keyset done = {0};
    struct runner r = {.o = o};
    enum ab_status st;
    struct ab_case *c = NULL;
    size_t c_index = SIZE_MAX;
    double ref_call_ns = NA_F64;
    for (size_t t = 0; t < AB_RUN_MAX_THREADS; t++)
        r.peaks.fp32_gflops[t] = r.peaks.int8_gops[t] = r.peaks.read_gbs[t] = r.peaks.triad_gbs[t] = NA_F64;
    r.ref_median_ns = NA_F64;
    /* Before the first cJSON allocation: hooks must not change under live objects. */
    ab_json_use_shim();
    r.warnings = cJSON_CreateArray();

    if (o->n_threads == 0 || o->repetitions < 1 || !(o->min_time_s >= 0.0) || !o->out_dir) {
        st = ab_error_set(err, AB_EINVAL, "invalid run options");
        goto done;
    }
    if ((st = ab_filter_new(o->filter, &filter, err)) != AB_OK)
        goto done;
    if ((st = build_plan(&pl, o, filter, err)) != AB_OK)
        goto done;
    res.n_items = pl.n_items;

    snprintf(r.out.dir, sizeof r.out.dir, "%s", o->out_dir);
    if (mkdir(o->out_dir, 0755) != 0 && errno != EEXIST) {
        st = ab_error_set(err, AB_EIO, "cannot create '%s': %s", o->out_dir, strerror(errno));
        goto done;
    }
    ab_sysinfo_collect(&r.si);
    ab_sysinfo_machine_id(&r.si, r.machine_id, sizeof r.machine_id);
    snprintf(r.run_id, sizeof r.run_id, "%lld-%d", (long long)time(NULL), (int)getpid());
    if (o->resume && (st = resume_outputs(&r.out, &done, r.run_id, sizeof r.run_id, err)) != AB_OK)
        goto done;
    if ((st = open_outputs(&r.out, o->resume, err)) != AB_OK)
        goto done;

    if ((st = ab_counters_new(o->events, o->multiplex, &r.counters, err)) != AB_OK)
        goto done;
    struct ab_energy_options eo = {.powercap_root = NULL, .tdp_w = o->tdp_w, .try_papi = true};
    if ((st = ab_energy_new(&eo, &r.energy, err)) != AB_OK)
        goto done;
    environment_warnings(&r);
    if (o->peaks_from && (st = load_peaks(&r, o->peaks_from, err)) != AB_OK)
        goto done;
    if (!o->probes && !o->peaks_from)
        warn(&r, "peak probes skipped: %% of peak is NA");
    r.timer_overhead_ns = ab_timer_overhead_ns(2001);
    r.counter_overhead_ns = counters_overhead_ns(r.counters);
    if ((st = write_context(&r, &res, false, err)) != AB_OK)
        goto done;

#ifdef __linux__
    if (o->pin) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        (void)sched_setaffinity(0, sizeof set, &set);
    }
#endif
    r.t_start_ns = ab_now_ns();
    int pinned_for = 0;
    double ref_for_group_key = -1;
    for (size_t i = 0; i < pl.n_items; i++) {
        if (o->stop && *o->stop) {
            res.interrupted = true;
            break;
        }
        const struct item *it = &pl.items[i];
        const struct plan_case *pc = &pl.cases[it->case_index];
        char key[600], threads_text[16];
        snprintf(threads_text, sizeof threads_text, "%d", it->threads);
        item_key(it->kernel->name, pc->shape_text, threads_text, key, sizeof key);
        if (o->on_progress) {
            double el = (double)(ab_now_ns() - r.t_start_ns) * 1e-9;
            size_t measured = res.n_done;
            struct ab_run_progress p = {it->kernel->name, pc->shape_text, it->threads, i + 1, pl.n_items, el,
                                        measured ? el / (double)measured * (double)(pl.n_items - i) : NA_F64};
            o->on_progress(o->user, &p);
        }
        bool resumed = keyset_has(&done, key);
        if (resumed && !pc->family->is_probe && !it->kernel->is_ref) {
            res.n_resumed++;
            continue;
        }
        if (it->case_index != c_index) {
            if (c)
                c->family->case_free(c);
            c = NULL;
            c_index = it->case_index;
            r.ref_median_ns = NA_F64;
            ref_for_group_key = -1;
            if ((st = pc->family->case_new(&pc->shape, o->seed + it->case_index, &c, err)) != AB_OK)
                goto done;
            /* The reference output every variant of this case is checked against. */
            const struct ab_kernel *ref = ab_kernel_ref(pc->family);
            size_t ws = ref->workspace_bytes(&pc->shape, 1);
            struct ab_exec exec = {.n_threads = 1, .workspace = ws ? ab_aligned_alloc(AB_ALIGN_BYTES, ws) : NULL,
                                   .workspace_bytes = ws};
            if (ws && !exec.workspace) {
                st = ab_error_set(err, AB_ENOMEM, "out of memory for the reference workspace");
                goto done;
            }
            int64_t ref_t0 = ab_now_ns();
            enum ab_status rst = pc->family->case_run(c, ref, &exec, AB_SLOT_REF);
            ref_call_ns = (double)(ab_now_ns() - ref_t0);
            ab_free(exec.workspace);
            if (rst != AB_OK) {
                st = ab_error_set(err, rst, "reference %s failed on %s", ref->name, pc->shape_text);
                goto done;
            }
            struct item mi = {ref, it->case_index, 1};
            if (!resumed)
                write_metrics(&r, &mi, pc, c);
        }
        if (it->threads != pinned_for) {
            pin_threads(&r, it->threads);
            pinned_for = it->threads;
        }
        if (ref_for_group_key != it->threads && !it->kernel->is_ref && isnan(r.ref_median_ns))
            ref_for_group_key = it->threads;
        static struct measured m;  /* large (counter table): kept off the stack */
        measure_item(&r, it, c, ref_call_ns, &m);
        if (!m.verified && !it->kernel->is_ref)
            res.n_failed++;
        if (it->kernel->is_ref && m.timed)
            r.ref_median_ns = m.stats.median;
        if (pc->family->is_probe && m.timed && m.verified)
            record_peak(&r, it, pc, m.stats.median);
        if (resumed) {
            /* Probes and references are re-measured (they feed % of peak and speed-ups)
             * but their rows already exist. */
            continue;
        }
        write_rows(&r, it, pc, &m);
        res.n_done++;
    }
    close_outputs(&r.out);
    if ((st = finalize_outputs(&r.out, err)) != AB_OK)
        goto done;
    if ((st = write_gbench(&r, err)) != AB_OK)
        goto done;
    st = write_context(&r, &res, true, err);
    if (st == AB_OK && res.interrupted)
        st = ab_error_set(err, AB_EINTERRUPTED, "interrupted after %zu of %zu items; rows so far are kept",
                          res.n_done + res.n_resumed, res.n_items);
done:
    close_outputs(&r.out);
    if (c)
        c->family->case_free(c);
    ab_counters_free(r.counters);
    for (size_t t = 0; t < AB_RUN_MAX_POOL; t++)
        ab_counters_free(r.worker_counters[t]);
    ab_energy_free(r.energy);
    cJSON_Delete(r.warnings);
    keyset_release(&done);
    plan_release(&pl);
    ab_filter_free(filter);
    *out_result = res;
    return st;
}
