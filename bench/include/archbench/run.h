/*
 * run.h - the measurement engine behind `archbench run`.
 *
 * Plan: families x shapes (family sweep, overridden by --set as a cartesian product)
 * x thread counts x matching variants, peak probes first. For each item: verify the
 * variant against the family's reference on that very shape (failed -> row marked
 * failed, time not reported); warm up; calibrate iterations per repetition to
 * min_time; time R repetitions with the monotonic clock, reading PAPI counters, the
 * shim's peak bytes, the process's peak RSS and energy around the measured region.
 *
 * Output folder (schema in run.c's column lists; versioned by AB_RUN_SCHEMA_VERSION):
 * samples.csv, counters.csv (per repetition), speed.csv, memory.csv, energy.csv,
 * metrics.csv (per item), context.json, gbench.json (Google Benchmark format). Rows are
 * appended to "<name>.partial" files and flushed as they are made; at the end each is
 * renamed into place, so an interrupted run keeps every finished row and never
 * half-overwrites an earlier report. resume continues from the partial files.
 */
#ifndef ARCHBENCH_RUN_H
#define ARCHBENCH_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/results.h"
#include "archbench/status.h"

/* The output schema is the results model's (archbench/results.h). */
#define AB_RUN_SCHEMA_VERSION AB_RESULTS_SCHEMA_VERSION
#define AB_RUN_MAX_THREADS 8
#define AB_RUN_MAX_SETS 16
#define AB_RUN_MAX_VALUES 64
#define AB_RUN_MAX_SHAPES 128
#define AB_RUN_MAX_CASES 4096 /* shapes in one plan, all families (sweeps x --set lists) */

struct ab_run_set {
    const char *param;                     /* parameter name */
    const char *values[AB_RUN_MAX_VALUES]; /* textual values, parsed per family */
    size_t n_values;
};

struct ab_run_progress {
    const char *kernel;
    const char *shape;
    int threads;
    size_t index, total;       /* item index (1-based) of total */
    double elapsed_s;
    double remaining_s;        /* estimate from the mean item time so far; NaN early on */
};

/* Options a caller set explicitly (ab_run_options.given): with resume, these must agree
 * with the interrupted run's, the others are restored from its context.json. */
enum ab_run_option_bit {
    AB_RUN_GIVEN_FILTER = 1u << 0,
    AB_RUN_GIVEN_SETS = 1u << 1,
    AB_RUN_GIVEN_THREADS = 1u << 2,
    AB_RUN_GIVEN_REPETITIONS = 1u << 3,
    AB_RUN_GIVEN_MIN_TIME = 1u << 4,
    AB_RUN_GIVEN_MAX_ITEM = 1u << 5,
    AB_RUN_GIVEN_EVENTS = 1u << 6,
    AB_RUN_GIVEN_MULTIPLEX = 1u << 7,
    AB_RUN_GIVEN_QUICK = 1u << 8,
    AB_RUN_GIVEN_SEED = 1u << 9,
    AB_RUN_GIVEN_TDP = 1u << 10,
    AB_RUN_GIVEN_PIN = 1u << 11,
    AB_RUN_GIVEN_PROBES = 1u << 12,
    AB_RUN_GIVEN_PEAKS_FROM = 1u << 13,
    AB_RUN_GIVEN_ISOLATE = 1u << 14,
    AB_RUN_GIVEN_ITEM_TIMEOUT = 1u << 15,
    AB_RUN_GIVEN_SHAPES = 1u << 16,
    AB_RUN_GIVEN_INTERLEAVE = 1u << 17,
};

struct ab_run_options {
    const char *filter;                 /* PCRE2 over family/name; NULL = all */
    struct ab_run_set sets[AB_RUN_MAX_SETS];
    size_t n_sets;
    /* Explicit cases "FAMILY:P=V,P=V" (unnamed parameters take their defaults): when any
     * are given they replace the sweeps, and only families with a case are planned
     * (probes aside). --set still expands them. */
    const char *shapes[AB_RUN_MAX_SHAPES];
    size_t n_shapes;
    int threads[AB_RUN_MAX_THREADS];
    size_t n_threads;                   /* 0: {1} */
    int repetitions;                    /* R >= 1 */
    double min_time_s;                  /* per repetition */
    double max_item_s;                  /* budget per item: fewer repetitions (>= 3) beyond it */
    const char *events;                 /* PAPI event list */
    bool multiplex;
    const char *out_dir;
    bool quick;
    bool resume;                        /* continue the interrupted run in out_dir: its plan,
                                           options and peaks are restored from context.json */
    bool overwrite;                     /* replace a run already in out_dir (else refused) */
    bool isolate;                       /* each item in its own process: crashes and hangs become rows */
    double item_timeout_s;              /* isolate: kill an item after this long (0: 4 x max_item_s + 60) */
    bool interleave;                    /* the variants of a case and thread count take turns repetition by
                                           repetition (ABBA), so a slow phase of the host hits them all:
                                           their ratios hold on a noisy machine (energy is then not measured) */
    unsigned given;                     /* AB_RUN_GIVEN_* bits of options set explicitly */
    uint64_t seed;
    double tdp_w;                       /* energy estimate model; 0 = no estimate */
    bool pin;                           /* pin the calling thread and OpenMP threads to CPUs */
    bool probes;                        /* measure the peak probes first (default true) */
    const char *peaks_from;             /* context.json of an earlier run: take its peaks, skip probes */
    const char *command_line;           /* recorded in context.json */
    volatile sig_atomic_t *stop;        /* set asynchronously: 1 stops after the current item,
                                           2 abandons the current item (its rows are not kept) */
    void (*on_progress)(void *user, const struct ab_run_progress *p);
    void (*on_warning)(void *user, const char *message);
    /* Called before every timed repetition (NULL: never). A front end that takes turns
     * with another process on the same CPUs (archbench ab's interleaving) gives the
     * machine away here and returns when it is its turn again; the runner then makes
     * one untimed call, since the other process just ran in the same caches. */
    void (*on_yield)(void *user);
    void *user;
};

/* Defaults: R 10, min_time 0.1 s (quick: R 5, 0.03 s), threads {1}, default events, seed 1. */
AB_API void ab_run_options_init(struct ab_run_options *opts);

/*
 * The command line's list options as functions, so any front end (and the fuzzers)
 * parses them the same way. Both split `text` in place: it must outlive opts.
 * ab_run_options_add_set: one --set "P=V1,V2,..." or "FAMILY.P=V1,..." (empty values
 * skipped; at most AB_RUN_MAX_SETS sets of AB_RUN_MAX_VALUES values; a later --set of the
 * same NAME replaces the earlier one); the values are
 * parsed per family when the run is planned. ab_run_options_set_threads: --threads
 * "N[,M...]" replaces the thread counts (each 1..1024, at most AB_RUN_MAX_THREADS).
 * AB_EINVAL with the reason in err; opts is unchanged on failure.
 */
AB_API enum ab_status ab_run_options_add_set(struct ab_run_options *opts, char *text, struct ab_error *err);
AB_API enum ab_status ab_run_options_set_threads(struct ab_run_options *opts, char *text, struct ab_error *err);

struct ab_run_result {
    size_t n_items;          /* planned */
    size_t n_done;           /* measured now (resumed items not counted) */
    size_t n_resumed;        /* taken from an earlier partial run */
    size_t n_failed;         /* failed verification or errored */
    size_t n_implausible;    /* rows above their roofline bound by more than the probe spread */
    size_t n_preempted;      /* rows with at least one preempted repetition */
    bool interrupted;
};

/*
 * Plan and run everything; writes the output folder. AB_EINVAL/AB_EPARSE for bad
 * options (err says which), AB_EIO for output problems, AB_EINTERRUPTED when stopped
 * (rows so far are kept and the files finalised). Kernel failures are not errors: they
 * are counted in out_result->n_failed and marked in the reports.
 */
AB_API enum ab_status ab_run(const struct ab_run_options *opts, struct ab_run_result *out_result,
                             struct ab_error *err);

#endif /* ARCHBENCH_RUN_H */
