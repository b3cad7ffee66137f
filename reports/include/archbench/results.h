/*
 * results.h - the results model of a run: rows + context, as data.
 *
 * `archbench run` fills an ab_results and writes it once (ab_results_write); resume,
 * the summary, gbench.json and every verb that reads earlier runs (compare, merge,
 * reproduce) read it back through ab_results_read, never by parsing CSV by hand.
 *
 * One row per item (kernel x shape x threads) holds everything measured for it: the
 * verdict of its verification, every repetition (time, CPU share, involuntary context
 * switches, preemption flag, counters), the summary statistics, memory, energy and the
 * figures derived from them (throughput, roofline bound, % of bound, plausibility).
 * Metrics of a case (fidelity, routing load, quantisation error) are separate rows.
 *
 * On disk (schema AB_RESULTS_SCHEMA_VERSION, context.json "schema_version"):
 * samples.csv, counters.csv, speed.csv, memory.csv, energy.csv, metrics.csv and
 * context.json; the column lists live in results.c, one table per file, shared by the
 * writer and the reader. While a run is in progress each finished item is appended to
 * "<file>.partial" files, its speed row last, so an item counts as finished exactly when
 * its speed row exists (a crash between two files cannot lose or half-keep an item).
 *
 * Numbers that were not measured are NaN in memory (written NA); counter values use
 * AB_COUNT_NA (INT64_MIN). Libraries never print: errors go to struct ab_error, naming
 * the file, line and field.
 */
#ifndef ARCHBENCH_RESULTS_H
#define ARCHBENCH_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "archbench/api.h"
#include "archbench/status.h"

struct cJSON;

/* 2: steal share, bound, pct_bound, implausible, gops, clean repetitions, per-repetition CPU share,
 * involuntary context switches and preemption, seed; options and peak spreads in
 * context.json. */
#define AB_RESULTS_SCHEMA_VERSION 2

#define AB_RESULTS_MAX_EVENTS 32
#define AB_RESULTS_MAX_THREADS 8

enum ab_verdict {
    AB_VERDICT_PASS,       /* matched the reference on this shape and thread count */
    AB_VERDICT_FAIL,       /* did not (or the kernel returned an error): no time reported */
    AB_VERDICT_REFERENCE,  /* the family's reference itself */
    AB_VERDICT_CRASH,      /* its process died of a signal (run --isolate) */
    AB_VERDICT_TIMEOUT,    /* killed past the item timeout (run --isolate) */
    AB_VERDICT_COUNT
};

/* Roofline: which measured ceiling bounds the item (from its FLOPs and bytes). */
enum ab_bound {
    AB_BOUND_NA,       /* no peaks in this run, or no work model */
    AB_BOUND_COMPUTE,  /* FLOPs / bytes above the ridge point peak_compute / peak_bw */
    AB_BOUND_MEMORY,
    AB_BOUND_COUNT
};

/* Which compute peak a family is measured against (FP32 FMA, INT8 dot, or BF16 dot: GFLOP/s
 * against the FP32 probe, bounded by AB_BF16_PER_FP32 times it). */
enum ab_compute_kind { AB_COMPUTE_FP32, AB_COMPUTE_INT8, AB_COMPUTE_BF16, AB_COMPUTE_KIND_COUNT };

/* FLOPs of one BF16 dot-product instruction per FP32 FMA of the same width: vdpbf16ps does
 * two multiply-adds per FP32 lane. The BF16 roofline bound is this times the FP32 probe (an
 * upper bound: a CPU may issue it at a lower rate than its FMA). */
#define AB_BF16_PER_FP32 2.0

AB_API const char *ab_verdict_name(enum ab_verdict v);
AB_API const char *ab_bound_name(enum ab_bound b);

struct ab_result_key {
    char family[32];
    char kernel[64];
    char variant[32];
    char shape[256];
    int threads;
};

/* One repetition. */
struct ab_result_sample {
    int64_t iterations;
    double time_ns;        /* per call, timer overhead subtracted */
    double total_ns;       /* the repetition */
    bool outlier;          /* MAD rule over all repetitions */
    double cpu_share;      /* process CPU time / (wall time x threads); NaN when unknown */
    int64_t invol_switches;/* involuntary context switches of the process; -1 unknown */
    double steal_share;    /* time the hypervisor ran something else on the team's vCPUs /
                            * (wall x threads), from /proc/stat; NaN when not accounted */
    bool preempted;        /* threads lost the CPU: cpu_share, switches or steal past the limits */
};

struct ab_result_row {
    struct ab_result_key key;
    uint64_t seed;                 /* of the case's inputs: replays the verification */
    enum ab_verdict verdict;
    double check_err, check_tol;   /* NaN for the reference */
    bool timed;

    /* work of one call, from the kernel's declared models */
    double flops, bytes, tokens;   /* NaN when the notion does not apply */
    enum ab_compute_kind compute_kind;

    /* statistics of the per-call times, from clean repetitions when there are enough */
    int repetitions;               /* measured */
    int clean_repetitions;         /* not preempted */
    bool stats_from_clean;         /* median and interval from clean repetitions only */
    int64_t iterations;
    double median_ns, min_ns, mad_ns, cv, ci_low_ns, ci_high_ns;
    int64_t n_outliers;
    bool noisy;

    /* derived figures (ab_results_derive), NaN when an input is missing */
    double gflops;                 /* FP families */
    double gops;                   /* INT8 families: integer operations */
    double gbytes_per_s, tokens_per_s, flops_per_byte;
    double peak_compute;           /* GFLOP/s or GOP/s of the matching probe at these threads */
    double peak_bw_gbytes_per_s;
    double pct_peak_compute, pct_peak_bw;
    enum ab_bound bound;
    double bound_rate;             /* the roofline ceiling at this intensity, in the rate's unit */
    double pct_bound;
    bool implausible;              /* above the bound by more than the probe's spread */
    double speedup_vs_ref;
    double ipc;
    double timer_overhead_ns;
    char note[512];

    /* memory */
    int64_t workspace_bytes, io_bytes, shim_peak_bytes, rss_before_bytes, rss_peak_bytes; /* -1 = NA */
    char mem_note[160];

    /* energy */
    char energy_source[16];        /* papi, powercap, estimate, NA */
    double energy_j, region_s, flop_per_j, tokens_per_j;
    char energy_note[256];

    /* repetitions: samples[n_samples], counts[n_samples * n_events] (context's events) */
    size_t n_samples;
    struct ab_result_sample *samples;
    int64_t *counts;
};

struct ab_result_metric {
    struct ab_result_key key;
    char metric[64];
    double value;
    char unit[32];
};

/* Peaks of one thread count: best of the probe's repetitions, and their spread. */
struct ab_result_peak {
    int threads;
    double fp32_gflops, int8_gops, read_gbytes_per_s, triad_gbytes_per_s;
    /* (median - best) / best of the probe's repetitions: how far a figure may exceed the
     * bound before it is called implausible. */
    double fp32_spread, int8_spread, read_spread, triad_spread;
    bool remeasured;               /* came out below the 1-thread figure and was re-measured */
};

struct ab_results_context {
    int schema_version;
    char run_id[64];
    char machine_id[128];
    bool complete;
    char peaks_source[256];
    size_t n_peaks;
    struct ab_result_peak peaks[AB_RESULTS_MAX_THREADS];
    size_t n_events;
    char events[AB_RESULTS_MAX_EVENTS][64];
    bool multiplexed;
    struct cJSON *json;            /* the whole context.json (owned); NULL before it exists */
};

struct ab_results {
    struct ab_results_context ctx;
    struct ab_result_row *rows;
    size_t n_rows, cap_rows;
    struct ab_result_metric *metrics;
    size_t n_metrics, cap_metrics;
};

AB_API void ab_results_init(struct ab_results *res);
AB_API void ab_results_release(struct ab_results *res);  /* NULL-safe; frees rows and context */

/* Append a copy of `row` (its samples and counts are copied). AB_ENOMEM. */
AB_API enum ab_status ab_results_add_row(struct ab_results *res, const struct ab_result_row *row);
AB_API enum ab_status ab_results_add_metric(struct ab_results *res, const struct ab_result_metric *m);

/* Row with this key, or NULL. */
AB_API const struct ab_result_row *ab_results_find(const struct ab_results *res, const struct ab_result_key *key);
/* Was the run interleaved (`run --interleave`: context.json options.interleave true)? Its
 * variants' repetitions of one case were then timed in rounds, side by side. */
AB_API bool ab_results_interleaved(const struct ab_results *res);
AB_API bool ab_result_key_eq(const struct ab_result_key *a, const struct ab_result_key *b);

/*
 * context.json's "peaks": read (replacing ctx->peaks; every figure positive and finite,
 * spreads non-negative, thread counts integral, "NA" for not measured; errors name the
 * file and the entry) and written. One reader for a run's own context, --resume and
 * --peaks-from.
 */
AB_API enum ab_status ab_results_peaks_read(const struct cJSON *root, const char *path,
                                            struct ab_results_context *ctx, struct ab_error *err);
AB_API struct cJSON *ab_results_peaks_json(const struct ab_results_context *ctx);

/* The peaks of a thread count, or NULL. */
AB_API const struct ab_result_peak *ab_results_peak(const struct ab_results_context *ctx, int threads);

/*
 * Fill the derived figures of `row` from its raw numbers and the peaks (NULL: none),
 * and the reference's median of the same case (NaN: none). One place, one formula each:
 *   rate        = flops / median_ns (GFLOP/s, or GOP/s for INT8 families)
 *   intensity   = flops / bytes;  ridge = peak_compute / peak_bw
 *   bound       = compute if intensity >= ridge else memory
 *   bound_rate  = min(peak_compute, intensity x peak_bw)
 *   pct_bound   = 100 x rate / bound_rate (memory-bound rows: byte rate against peak_bw)
 *   implausible = rate > bound_rate x (1 + spread of the bounding probe + 2%)
 */
AB_API void ab_results_derive(struct ab_result_row *row, const struct ab_result_peak *peak, double ref_median_ns);

/* ---- files ---------------------------------------------------------------------------- */

/*
 * The journal of a run in progress: the six "<file>.partial" CSVs in dir, opened for
 * appending (headers written when new). ab_results_journal_append writes one finished
 * item: samples, counters, memory, energy, the metrics given, then its speed row, each
 * row flushed; any write error is returned (AB_EIO naming the file).
 */
struct ab_results_journal;
AB_API enum ab_status ab_results_journal_open(const char *dir, bool append, struct ab_results_journal **out_journal,
                                              struct ab_error *err);
AB_API enum ab_status ab_results_journal_append(struct ab_results_journal *j, const struct ab_results_context *ctx,
                                                const struct ab_result_row *row,
                                                const struct ab_result_metric *metrics, size_t n_metrics,
                                                struct ab_error *err);
/* Close; false if a buffered write failed. NULL-safe. */
AB_API bool ab_results_journal_close(struct ab_results_journal *j);
/* Remove the partial files (after the final files are in place). */
AB_API void ab_results_journal_remove(const char *dir);

/*
 * Write the final files of `res` into dir: the six CSVs and context.json, each to a
 * temporary file renamed into place only when complete (context.json last, so a folder
 * whose context says complete has all its files).
 */
AB_API enum ab_status ab_results_write(const char *dir, const struct ab_results *res, struct ab_error *err);

/* Google Benchmark JSON (json_schema_version 1) of the results, written atomically. */
AB_API enum ab_status ab_results_write_gbench(const char *path, const struct ab_results *res, struct ab_error *err);

/*
 * Read a run folder. journal = false: the final files; journal = true: the partial files
 * of an interrupted run (a last line without its line end is dropped: the crash cut it;
 * an item without its speed row is dropped with all its rows). Checks: context.json's
 * schema version equals this archbench's, every header is exactly the schema's, every row
 * carries the context's run_id, every field parses as its column's type. Errors name the
 * file, line and column. A missing optional file (metrics.csv, counters.csv) is empty.
 */
AB_API enum ab_status ab_results_read(const char *dir, bool journal, struct ab_results *out_res,
                                      struct ab_error *err);

#endif /* ARCHBENCH_RESULTS_H */
