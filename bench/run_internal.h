/*
 * run_internal.h - what the files of the runner share, along the flow of a run:
 *   run_plan.c     options -> items (families x shapes x threads x variants)
 *   run_team.c     threads: pinning within the process's affinity mask, counters per thread
 *   run_verify.c   a variant against its family's reference on the very shape
 *   run_measure.c  calibrate, time, count, meter energy, watch for preemption -> a row
 *   run_peaks.c    the probes' rows -> peaks (best burst and spread), peaks from a file
 *   run_context.c  the machine, the options, the baseline libraries -> context.json
 *   run.c          ab_run: the loop over items, the journal, resume, the final files
 * Nothing here is exported from libarchbench.
 */
#ifndef ARCHBENCH_RUN_INTERNAL_H
#define ARCHBENCH_RUN_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "archbench/counters.h"
#include "archbench/energy.h"
#include "archbench/kernel.h"
#include "archbench/parallel.h"
#include "archbench/results.h"
#include "archbench/run.h"
#include "archbench/sysinfo.h"

#define NA_F64 ((double)NAN)

/* Largest OpenMP team whose threads get their own counter sets. */
#define AB_RUN_MAX_POOL 64

/* ---- plan ------------------------------------------------------------------------------ */

struct ab__item {
    const struct ab_kernel *kernel;
    size_t case_index;   /* into plan.cases */
    int threads;
};

struct ab__plan_case {
    const struct ab_family *family;
    struct ab_shape shape;
    char shape_text[256];
};

struct ab__plan {
    struct ab__plan_case *cases;
    size_t n_cases, cap_cases;
    struct ab__item *items;
    size_t n_items, cap_items;
};

/* Warnings go through the runner's warn callback; the plan has none of its own. */
typedef void ab__warn_fn(void *ctx, const char *msg);

enum ab_status ab__plan_build(struct ab__plan *pl, const struct ab_run_options *o, const struct ab_filter *filter,
                              ab__warn_fn *warn, void *warn_ctx, struct ab_error *err);
void ab__plan_release(struct ab__plan *pl);
/* "FAMILY:P=V,P=V" -> family and shape (defaults for unnamed parameters). */
enum ab_status ab__shape_spec_parse(const char *spec, const struct ab_family **out_family, struct ab_shape *out_shape,
                                    struct ab_error *err);
/* Refuse, before any allocation, a case whose inputs, outputs and largest workspace
 * exceed avail_bytes (MemAvailable; < 0: unknown, no check). */
enum ab_status ab__plan_check_memory(const struct ab__plan *pl, int64_t avail_bytes, struct ab_error *err);
bool ab__grow(void *pp, size_t *cap, size_t n, size_t elem);

/* ---- team ------------------------------------------------------------------------------- */

struct ab__team {
    bool pin;
    int cpus[AB_RUN_MAX_POOL];       /* CPUs of the process's affinity mask, in order */
    int n_cpus;
    bool have_saved;                 /* the caller's mask, restored by ab__team_release */
    unsigned char saved_mask[128];
    char pin_report[256];            /* what pinning did, or why not */
    int pinned_for;                  /* team size the pool is pinned for (0: none) */
    struct ab_counters *counters;    /* thread 0's set (the caller's) */
    struct ab_counters *worker[AB_RUN_MAX_POOL];
    const char *events;
    bool multiplex;
};

enum ab_status ab__team_init(struct ab__team *t, bool pin, const char *events, bool multiplex, struct ab_error *err);
void ab__team_release(struct ab__team *t);
/* Pin OpenMP thread i of an n-thread team to the i-th allowed CPU; false (with the
 * reason in pin_report) when a CPU refused. */
bool ab__team_pin(struct ab__team *t, int n_threads);
void ab__team_counters_start(struct ab__team *t, int n_threads);
void ab__team_counters_stop(struct ab__team *t, int n_threads, int64_t *out_values);
double ab__team_counters_overhead_ns(struct ab__team *t);

/* ---- the runner's state ------------------------------------------------------------------ */

struct ab__runner {
    const struct ab_run_options *o;
    struct ab_results res;           /* rows and context as they are made */
    struct ab_results_journal *journal;
    struct ab_sysinfo si;
    struct ab__team team;
    struct ab_energy *energy;
    double timer_overhead_ns;
    double counter_overhead_ns;
    int64_t t_start_ns;
    cJSON *warnings;
};

void ab__warn(struct ab__runner *r, const char *fmt, ...) AB_PRINTF(2, 3);

/* ---- verify, measure, peaks, context ------------------------------------------------------- */

/* Verify `k` on case c with exec (poisoned, guarded) into row->verdict/check/note. */
bool ab__verify(struct ab__runner *r, struct ab_case *c, const struct ab_kernel *k, const struct ab_exec *exec,
                struct ab_result_row *row);

/* Verify (non-references), then time item `it` on case c; fills every measured field of
 * row (which owns its samples/counts afterwards: ab__row_release). ref_call_ns: the
 * duration of the reference call that produced AB_SLOT_REF (NaN if unknown). */
void ab__measure_item(struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc,
                      struct ab_case *c, double ref_call_ns, struct ab_result_row *row);
/* The same in phases, so the repetitions of several items can take turns (run
 * --interleave): begin verifies and calibrates, each rep call takes one repetition while
 * the item wants more (false once it is done or failed), end verifies again and
 * summarises. The caller fills the first block; a failure in any phase completes the
 * row there, and end is then a no-op. */
struct ab__meas {
    const struct ab__item *it;
    const struct ab__plan_case *pc;
    struct ab_case *c;
    struct ab_result_row *row;
    double ref_call_ns;
    bool interleaved;        /* its repetitions take turns with other items' */
    int64_t shim_base;       /* interleaved: shim bytes live before the group's first item */
    /* the phases' state */
    bool active, finished, shim_open, rss_ok, energy_on;
    struct ab_exec exec;
    size_t n_ev, cap, rep;
    int reps, clean;
    int64_t iters, region_start, shim_held, own_bytes, shim_peak;
    double rep_s, own_ns;    /* one repetition's planned length; this item's time so far */
};
void ab__measure_begin(struct ab__runner *r, struct ab__meas *m);
bool ab__measure_rep(struct ab__runner *r, struct ab__meas *m);
void ab__measure_end(struct ab__runner *r, struct ab__meas *m);
void ab__row_release(struct ab_result_row *row);
/* Median, interval and spread of row's samples (clean ones when enough); notes appended. */
bool ab__row_summarise(struct ab_result_row *row);
int64_t ab__proc_steal_ticks(const char *path, const int *cpus, int n_cpus);
void ab__row_init(const struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc, uint64_t seed,
                  struct ab_result_row *row);

/* run --isolate: the item in a child archbench process; crash and timeout rows.
 * Metrics of the case computed by the child come back in out_metrics (at most
 * AB_METRICS_MAX). */
void ab__isolate_item(struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc, uint64_t seed,
                      struct ab_result_row *row, struct ab_result_metric *out_metrics, size_t *out_n_metrics);

/* A probe's row -> the peak of its thread count (best repetition, spread). */
void ab__peaks_record(struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc,
                      const struct ab_result_row *row);
/* After the probes: a multi-thread peak below the 1-thread one is flagged (warned) and
 * reported remeasured when re-measurement brought it up. */
struct ab_result_peak *ab__peaks_slot(struct ab__runner *r, int threads);
enum ab_status ab__peaks_load(struct ab__runner *r, const char *path, struct ab_error *err);

/* ---- collective items under MPI (run_mpi.c) --------------------------------------------------- */

/* Metrics one collective item adds beside its case's: per rank (at most
 * AB__MPI_RANKS_DETAILED ranks in detail) and over all ranks. */
#define AB__MPI_RANKS_DETAILED 16
#define AB__MPI_MAX_METRICS (8 + AB__MPI_RANKS_DETAILED * (AB_PHASES_MAX + 4))
/* Most items one --interleave group holds (the variants of a case and thread count). */
#define AB__RUN_MAX_GROUP 32
#define AB__RUN_MAX_ITEM_METRICS (AB_METRICS_MAX + AB__MPI_MAX_METRICS)

/* Under mpirun with more than one rank only collective families are run (the others
 * would share the CPUs with ranks waiting for them): drops the other items, warns. */
void ab__mpi_plan_restrict(struct ab__runner *r, struct ab__plan *pl);
/* Rank 0: measure a collective variant with every rank (lockstep protocol in run_mpi.c):
 * fills row like ab__measure_item and appends the per-rank metrics. */
void ab__mpi_measure_item(struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc,
                          struct ab_case *c, struct ab_result_row *row, struct ab_result_metric *metrics,
                          size_t max_metrics, size_t *out_n_metrics);
/* Rank 0: tell the other ranks the run is over (once; every exit of ab_run). */
void ab__mpi_release_workers(void);
/* Ranks > 0: take part in rank 0's collective items until it releases them. */
enum ab_status ab__mpi_worker(const struct ab_run_options *o, struct ab_error *err);

/* context.json as data (complete = false until the end). */
cJSON *ab__context_build(struct ab__runner *r, const struct ab_run_result *res, bool final);
void ab__environment_warnings(struct ab__runner *r);

#endif /* ARCHBENCH_RUN_INTERNAL_H */
