/*
 * results.c - the results model (results.h): rows in memory, their CSV files, the
 * journal of a run in progress, the reader every verb uses, and the derived figures.
 *
 * Each file's columns are one table of {name, type, offset} used by both the writer and
 * the reader, so the two cannot drift apart; the key columns (run_id, machine_id,
 * family, kernel, variant, shape, threads) start every file.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "archbench/alloc.h"
#include "archbench/arena.h"
#include "archbench/counters.h"
#include "archbench/report.h"
#include "archbench/results.h"

#define NA_F64 ((double)NAN)

static const char *const verdict_names[AB_VERDICT_COUNT] = {"pass", "fail", "reference", "crash", "timeout"};
static const char *const bound_names[AB_BOUND_COUNT] = {"NA", "compute", "memory"};
/* "GFLOP/s bf16": FLOP like FP32 rows, but bounded by AB_BF16_PER_FP32 x the FP32 probe. */
static const char *const compute_units[AB_COMPUTE_KIND_COUNT] = {"GFLOP/s", "GOP/s", "GFLOP/s bf16"};
_Static_assert(sizeof verdict_names / sizeof verdict_names[0] == AB_VERDICT_COUNT, "verdict names");

const char *ab_verdict_name(enum ab_verdict v)
{
    return (unsigned)v < AB_VERDICT_COUNT ? verdict_names[v] : "?";
}

const char *ab_bound_name(enum ab_bound b)
{
    return (unsigned)b < AB_BOUND_COUNT ? bound_names[b] : "?";
}

/* ---- column tables ------------------------------------------------------------------- */

enum col_type { T_STR, T_INT, T_I64, T_I64_NA, T_U64, T_F64, T_BOOL, T_VERDICT, T_BOUND, T_UNIT, T_COUNT };

struct col {
    const char *name;
    enum col_type type;
    size_t offset;
    size_t size;       /* T_STR: buffer bytes */
};

/* Enum columns are written by name; every such enum is int-sized (stored via memcpy). */
_Static_assert(sizeof(enum ab_verdict) == sizeof(int) && sizeof(enum ab_bound) == sizeof(int) &&
                   sizeof(enum ab_compute_kind) == sizeof(int),
               "enum columns are int-sized");
struct enum_names {
    const char *const *names;
    int count;
    const char *why;     /* the reader's message for a value not in the list */
};

static const struct enum_names *enum_names_of(enum col_type t)
{
    static const struct enum_names verdicts = {verdict_names, AB_VERDICT_COUNT,
                                               "not pass, fail, reference, crash or timeout"};
    static const struct enum_names bounds = {bound_names, AB_BOUND_COUNT, "not compute, memory or NA"};
    static const struct enum_names units = {compute_units, AB_COMPUTE_KIND_COUNT, "not GFLOP/s, GOP/s or GFLOP/s bf16"};
    return t == T_VERDICT ? &verdicts : t == T_BOUND ? &bounds : &units;
}

#define R(name, type, field) {name, type, offsetof(struct ab_result_row, field), sizeof(((struct ab_result_row *)0)->field)}
#define S(name, type, field) \
    {name, type, offsetof(struct ab_result_sample, field), sizeof(((struct ab_result_sample *)0)->field)}
#define M(name, type, field) \
    {name, type, offsetof(struct ab_result_metric, field), sizeof(((struct ab_result_metric *)0)->field)}

static const char *const key_cols[] = {"run_id", "machine_id", "family", "kernel", "variant", "shape", "threads"};
#define N_KEY 7

static const struct col speed_cols[] = {
    R("verified", T_VERDICT, verdict),
    R("seed", T_U64, seed),
    R("check_err", T_F64, check_err),
    R("check_tol", T_F64, check_tol),
    R("repetitions", T_INT, repetitions),
    R("clean_repetitions", T_INT, clean_repetitions),
    R("stats_from_clean", T_BOOL, stats_from_clean),
    R("iterations", T_I64, iterations),
    R("median_ns", T_F64, median_ns),
    R("min_ns", T_F64, min_ns),
    R("mad_ns", T_F64, mad_ns),
    R("cv", T_F64, cv),
    R("ci_low_ns", T_F64, ci_low_ns),
    R("ci_high_ns", T_F64, ci_high_ns),
    R("n_outliers", T_I64, n_outliers),
    R("noisy", T_BOOL, noisy),
    R("flops_per_call", T_F64, flops),
    R("bytes_per_call", T_F64, bytes),
    R("tokens_per_call", T_F64, tokens),
    R("compute_unit", T_UNIT, compute_kind),
    R("gflops", T_F64, gflops),
    R("gops", T_F64, gops),
    R("gbytes_per_s", T_F64, gbytes_per_s),
    R("tokens_per_s", T_F64, tokens_per_s),
    R("flops_per_byte", T_F64, flops_per_byte),
    R("peak_compute", T_F64, peak_compute),
    R("pct_peak_compute", T_F64, pct_peak_compute),
    R("peak_bw_gbytes_per_s", T_F64, peak_bw_gbytes_per_s),
    R("pct_peak_bw", T_F64, pct_peak_bw),
    R("bound", T_BOUND, bound),
    R("bound_rate", T_F64, bound_rate),
    R("pct_bound", T_F64, pct_bound),
    R("implausible", T_BOOL, implausible),
    R("speedup_vs_ref", T_F64, speedup_vs_ref),
    R("ipc", T_F64, ipc),
    R("timer_overhead_ns", T_F64, timer_overhead_ns),
    R("note", T_STR, note),
};
static const struct col memory_cols[] = {
    R("workspace_bytes", T_I64_NA, workspace_bytes), R("io_bytes", T_I64_NA, io_bytes),
    R("shim_peak_bytes", T_I64_NA, shim_peak_bytes), R("rss_before_bytes", T_I64_NA, rss_before_bytes),
    R("rss_peak_bytes", T_I64_NA, rss_peak_bytes),   R("note", T_STR, mem_note),
};
static const struct col energy_cols[] = {
    R("energy_source", T_STR, energy_source), R("energy_j", T_F64, energy_j),
    R("region_s", T_F64, region_s),           R("flop_per_j", T_F64, flop_per_j),
    R("tokens_per_j", T_F64, tokens_per_j),   R("note", T_STR, energy_note),
};
/* samples.csv: "repetition" (the index) comes first, then these. */
static const struct col sample_cols[] = {
    S("iterations", T_I64, iterations),         S("time_ns", T_F64, time_ns),
    S("total_ns", T_F64, total_ns),             S("outlier", T_BOOL, outlier),
    S("cpu_share", T_F64, cpu_share),           S("invol_ctx_switches", T_I64_NA, invol_switches),
    S("steal_share", T_F64, steal_share),
    S("preempted", T_BOOL, preempted),
};
static const struct col metric_cols[] = {
    M("metric", T_STR, metric),
    M("value", T_F64, value),
    M("unit", T_STR, unit),
};
static const char *const counter_cols[] = {"repetition", "event", "value", "value_per_call", "multiplexed"};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

enum file_id { F_SAMPLES, F_COUNTERS, F_MEMORY, F_ENERGY, F_METRICS, F_SPEED, F_COUNT };
/* Journal order: the speed row last, so its presence means the item is complete. */
static const char *const file_names[F_COUNT] = {"samples.csv", "counters.csv", "memory.csv",
                                                "energy.csv",  "metrics.csv",  "speed.csv"};

/* Header of a file: the key columns, then its own. */
static size_t header_of(enum file_id f, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < N_KEY; i++)
        out[n++] = key_cols[i];
    switch (f) {
    case F_SAMPLES:
        out[n++] = "repetition";
        for (size_t i = 0; i < NCOLS(sample_cols); i++)
            out[n++] = sample_cols[i].name;
        break;
    case F_COUNTERS:
        for (size_t i = 0; i < NCOLS(counter_cols); i++)
            out[n++] = counter_cols[i];
        break;
    case F_MEMORY:
        for (size_t i = 0; i < NCOLS(memory_cols); i++)
            out[n++] = memory_cols[i].name;
        break;
    case F_ENERGY:
        for (size_t i = 0; i < NCOLS(energy_cols); i++)
            out[n++] = energy_cols[i].name;
        break;
    case F_METRICS:
        for (size_t i = 0; i < NCOLS(metric_cols); i++)
            out[n++] = metric_cols[i].name;
        break;
    case F_SPEED:
        for (size_t i = 0; i < NCOLS(speed_cols); i++)
            out[n++] = speed_cols[i].name;
        break;
    case F_COUNT:
        break;
    }
    (void)cap;
    return n;
}

#define MAX_COLS 64

/* The per-item table of a one-row-per-item file. */
static const struct col *table_of(enum file_id f, size_t *out_n)
{
    switch (f) {
    case F_MEMORY:
        *out_n = NCOLS(memory_cols);
        return memory_cols;
    case F_ENERGY:
        *out_n = NCOLS(energy_cols);
        return energy_cols;
    default:
        *out_n = NCOLS(speed_cols);
        return speed_cols;
    }
}

/* ---- writing ----------------------------------------------------------------------------- */

static void put_field(struct ab_csv_writer *w, const struct col *c, const void *base)
{
    const char *p = (const char *)base + c->offset;
    switch (c->type) {
    case T_STR:
        ab_csv_str(w, p);
        break;
    case T_INT: {
        int v;
        memcpy(&v, p, sizeof v);
        ab_csv_i64(w, v);
        break;
    }
    case T_I64:
    case T_I64_NA: {
        int64_t v;
        memcpy(&v, p, sizeof v);
        if (c->type == T_I64_NA && v < 0)
            ab_csv_na(w);
        else
            ab_csv_i64(w, v);
        break;
    }
    case T_U64: {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        ab_csv_u64(w, v);
        break;
    }
    case T_F64: {
        double v;
        memcpy(&v, p, sizeof v);
        ab_csv_f64(w, v);
        break;
    }
    case T_BOOL: {
        bool v;
        memcpy(&v, p, sizeof v);
        ab_csv_bool(w, v);
        break;
    }
    case T_VERDICT:
    case T_BOUND:
    case T_UNIT: {
        const struct enum_names *en = enum_names_of(c->type);
        int v;
        memcpy(&v, p, sizeof v);
        ab_csv_str(w, v >= 0 && v < en->count ? en->names[v] : "?");
        break;
    }
    case T_COUNT:
        break;
    }
}

static void put_key(struct ab_csv_writer *w, const struct ab_results_context *ctx, const struct ab_result_key *k)
{
    ab_csv_str(w, ctx->run_id);
    ab_csv_str(w, ctx->machine_id);
    ab_csv_str(w, k->family);
    ab_csv_str(w, k->kernel);
    ab_csv_str(w, k->variant);
    ab_csv_str(w, k->shape);
    ab_csv_i64(w, k->threads);
}

/* The rows one file gets for one item; a failed write is reported by the caller. */
static enum ab_status put_item(struct ab_csv_writer *w, enum file_id f, const struct ab_results_context *ctx,
                               const struct ab_result_row *row, const struct ab_result_metric *metrics,
                               size_t n_metrics)
{
    enum ab_status st = AB_OK;
    switch (f) {
    case F_SAMPLES:
        for (size_t s = 0; s < row->n_samples; s++) {
            put_key(w, ctx, &row->key);
            ab_csv_i64(w, (int64_t)s);
            for (size_t i = 0; i < NCOLS(sample_cols); i++)
                put_field(w, &sample_cols[i], &row->samples[s]);
            if (ab_csv_end_row(w) != AB_OK)
                st = AB_EIO;
        }
        break;
    case F_COUNTERS:
        for (size_t s = 0; s < row->n_samples && row->counts; s++)
            for (size_t e = 0; e < ctx->n_events; e++) {
                int64_t v = row->counts[s * ctx->n_events + e];
                put_key(w, ctx, &row->key);
                ab_csv_i64(w, (int64_t)s);
                ab_csv_str(w, ctx->events[e]);
                if (v == AB_COUNT_NA) {
                    ab_csv_na(w);
                    ab_csv_na(w);
                } else {
                    ab_csv_i64(w, v);
                    ab_csv_f64(w, (double)v / (double)row->samples[s].iterations);
                }
                ab_csv_bool(w, ctx->multiplexed);
                if (ab_csv_end_row(w) != AB_OK)
                    st = AB_EIO;
            }
        break;
    case F_MEMORY:
    case F_ENERGY:
    case F_SPEED: {
        size_t n;
        const struct col *cols = table_of(f, &n);
        put_key(w, ctx, &row->key);
        for (size_t i = 0; i < n; i++)
            put_field(w, &cols[i], row);
        if (ab_csv_end_row(w) != AB_OK)
            st = AB_EIO;
        break;
    }
    case F_METRICS:
        for (size_t m = 0; m < n_metrics; m++) {
            put_key(w, ctx, &metrics[m].key);
            for (size_t i = 0; i < NCOLS(metric_cols); i++)
                put_field(w, &metric_cols[i], &metrics[m]);
            if (ab_csv_end_row(w) != AB_OK)
                st = AB_EIO;
        }
        break;
    case F_COUNT:
        break;
    }
    return st;
}

struct ab_results_journal {
    FILE *fp[F_COUNT];
    struct ab_csv_writer w[F_COUNT];
    char path[F_COUNT][1100];
};

static void path_of(char *buf, size_t n, const char *dir, const char *name, const char *suffix)
{
    snprintf(buf, n, "%s/%s%s", dir, name, suffix);
}

bool ab_results_journal_close(struct ab_results_journal *j)
{
    if (!j)
        return true;
    bool ok = true;
    for (int f = 0; f < F_COUNT; f++)
        if (j->fp[f])
            ok &= !ferror(j->fp[f]) && fclose(j->fp[f]) == 0;
    ab_free(j);
    return ok;
}

enum ab_status ab_results_journal_open(const char *dir, bool append, struct ab_results_journal **out_journal,
                                       struct ab_error *err)
{
    struct ab_results_journal *j = ab_calloc(1, sizeof *j);
    if (!j)
        return ab_error_set(err, AB_ENOMEM, "out of memory opening the journal");
    for (int f = 0; f < F_COUNT; f++) {
        path_of(j->path[f], sizeof j->path[f], dir, file_names[f], ".partial");
        bool exists = append && access(j->path[f], F_OK) == 0;
        j->fp[f] = fopen(j->path[f], exists ? "a" : "w");
        if (!j->fp[f]) {
            int e = errno;
            ab_results_journal_close(j);
            return ab_error_set(err, AB_EIO, "cannot open '%s': %s", dir, strerror(e));
        }
        const char *hdr[MAX_COLS];
        size_t n = header_of((enum file_id)f, hdr, MAX_COLS);
        if (exists) {
            ab_csv_attach(&j->w[f], j->fp[f], n);
        } else if (ab_csv_begin(&j->w[f], j->fp[f], hdr, n) != AB_OK) {
            ab_results_journal_close(j);
            return ab_error_set(err, AB_EIO, "cannot write '%s/%s.partial'", dir, file_names[f]);
        }
    }
    *out_journal = j;
    return AB_OK;
}

enum ab_status ab_results_journal_append(struct ab_results_journal *j, const struct ab_results_context *ctx,
                                         const struct ab_result_row *row, const struct ab_result_metric *metrics,
                                         size_t n_metrics, struct ab_error *err)
{
    for (int f = 0; f < F_COUNT; f++) {
        if (put_item(&j->w[f], (enum file_id)f, ctx, row, metrics, n_metrics) != AB_OK || j->w[f].failed)
            return ab_error_set(err, AB_EIO, "cannot write '%s': %s", j->path[f],
                                errno ? strerror(errno) : "write failed");
    }
    return AB_OK;
}

void ab_results_journal_remove(const char *dir)
{
    char p[1100];
    for (int f = 0; f < F_COUNT; f++) {
        path_of(p, sizeof p, dir, file_names[f], ".partial");
        (void)unlink(p);
    }
}

enum ab_status ab_results_write(const char *dir, const struct ab_results *res, struct ab_error *err)
{
    char path[1100];
    for (int f = 0; f < F_COUNT; f++) {
        path_of(path, sizeof path, dir, file_names[f], "");
        struct ab_atomic_file af;
        enum ab_status st = ab_atomic_open(&af, path, err);
        if (st != AB_OK)
            return st;
        const char *hdr[MAX_COLS];
        size_t n = header_of((enum file_id)f, hdr, MAX_COLS);
        struct ab_csv_writer w;
        st = ab_csv_begin(&w, af.fp, hdr, n);
        if (f == F_METRICS) {
            if (st == AB_OK && res->n_metrics)
                st = put_item(&w, F_METRICS, &res->ctx, NULL, res->metrics, res->n_metrics);
        } else {
            for (size_t r = 0; st == AB_OK && r < res->n_rows; r++)
                st = put_item(&w, (enum file_id)f, &res->ctx, &res->rows[r], NULL, 0);
        }
        if (st != AB_OK || w.failed) {
            int e = errno;
            ab_atomic_abort(&af);
            return ab_error_set(err, AB_EIO, "cannot write '%s': %s", path, e ? strerror(e) : "write failed");
        }
        if ((st = ab_atomic_commit(&af, err)) != AB_OK)
            return st;
    }
    if (res->ctx.json) {
        path_of(path, sizeof path, dir, "context.json", "");
        return ab_json_write_file(path, res->ctx.json, err);
    }
    return AB_OK;
}

/* ---- the model ---------------------------------------------------------------------------- */

void ab_results_init(struct ab_results *res)
{
    memset(res, 0, sizeof *res);
}

static void row_release(struct ab_result_row *row)
{
    ab_free(row->samples);
    ab_free(row->counts);
    row->samples = NULL;
    row->counts = NULL;
}

void ab_results_release(struct ab_results *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->n_rows; i++)
        row_release(&res->rows[i]);
    ab_free(res->rows);
    ab_free(res->metrics);
    cJSON_Delete(res->ctx.json);
    memset(res, 0, sizeof *res);
}

static bool grow(void *pp, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    void *p;
    memcpy(&p, pp, sizeof p);
    size_t c = *cap ? 2 * *cap : 16;
    void *q = ab_realloc(p, c * elem);
    if (!q)
        return false;
    memcpy(pp, &q, sizeof q);
    *cap = c;
    return true;
}

enum ab_status ab_results_add_row(struct ab_results *res, const struct ab_result_row *row)
{
    if (!grow(&res->rows, &res->cap_rows, res->n_rows, sizeof *res->rows))
        return AB_ENOMEM;
    struct ab_result_row copy = *row;
    copy.samples = NULL;
    copy.counts = NULL;
    if (row->n_samples) {
        copy.samples = ab_malloc(row->n_samples * sizeof *copy.samples);
        if (!copy.samples)
            return AB_ENOMEM;
        memcpy(copy.samples, row->samples, row->n_samples * sizeof *copy.samples);
        if (row->counts && res->ctx.n_events) {
            size_t n = row->n_samples * res->ctx.n_events;
            copy.counts = ab_malloc(n * sizeof *copy.counts);
            if (!copy.counts) {
                ab_free(copy.samples);
                return AB_ENOMEM;
            }
            memcpy(copy.counts, row->counts, n * sizeof *copy.counts);
        }
    }
    res->rows[res->n_rows++] = copy;
    return AB_OK;
}

enum ab_status ab_results_add_metric(struct ab_results *res, const struct ab_result_metric *m)
{
    if (!grow(&res->metrics, &res->cap_metrics, res->n_metrics, sizeof *res->metrics))
        return AB_ENOMEM;
    res->metrics[res->n_metrics++] = *m;
    return AB_OK;
}

bool ab_result_key_eq(const struct ab_result_key *a, const struct ab_result_key *b)
{
    return a->threads == b->threads && strcmp(a->kernel, b->kernel) == 0 && strcmp(a->shape, b->shape) == 0 &&
           strcmp(a->family, b->family) == 0;
}

bool ab_results_interleaved(const struct ab_results *res)
{
    const cJSON *opt = res->ctx.json ? cJSON_GetObjectItemCaseSensitive(res->ctx.json, "options") : NULL;
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opt, "interleave"));
}

const struct ab_result_row *ab_results_find(const struct ab_results *res, const struct ab_result_key *key)
{
    for (size_t i = 0; i < res->n_rows; i++)
        if (ab_result_key_eq(&res->rows[i].key, key))
            return &res->rows[i];
    return NULL;
}

const struct ab_result_peak *ab_results_peak(const struct ab_results_context *ctx, int threads)
{
    for (size_t i = 0; i < ctx->n_peaks; i++)
        if (ctx->peaks[i].threads == threads)
            return &ctx->peaks[i];
    return NULL;
}

/* ---- derived figures ---------------------------------------------------------------------- */

/* A figure may exceed its bound by the bounding probe's own spread plus this margin
 * (timer resolution, the probe's and the kernel's FLOP conventions rounding) before it
 * is called implausible. */
#define AB_PLAUSIBLE_MARGIN 0.02

void ab_results_derive(struct ab_result_row *row, const struct ab_result_peak *peak, double ref_median_ns)
{
    double med = row->timed ? row->median_ns : NA_F64;
    double flops = row->flops, bytes = row->bytes;
    bool int8 = row->compute_kind == AB_COMPUTE_INT8;
    double rate = flops > 0.0 ? flops / med : NA_F64;   /* G per second: per ns */
    row->gflops = int8 ? NA_F64 : rate;
    row->gops = int8 ? rate : NA_F64;
    row->gbytes_per_s = bytes > 0.0 ? bytes / med : NA_F64;
    row->tokens_per_s = row->tokens > 0.0 ? row->tokens / (med * 1e-9) : NA_F64;
    row->flops_per_byte = flops > 0.0 && bytes > 0.0 ? flops / bytes : NA_F64;
    row->speedup_vs_ref = row->verdict == AB_VERDICT_REFERENCE ? NA_F64 : ref_median_ns / med;

    row->peak_compute = row->peak_bw_gbytes_per_s = NA_F64;
    row->pct_peak_compute = row->pct_peak_bw = NA_F64;
    row->bound = AB_BOUND_NA;
    row->bound_rate = row->pct_bound = NA_F64;
    row->implausible = false;
    if (!peak)
        return;
    double pc = int8 ? peak->int8_gops : peak->fp32_gflops;
    double spread_c = int8 ? peak->int8_spread : peak->fp32_spread;
    double pbw = peak->triad_gbytes_per_s, spread_bw = peak->triad_spread;
    row->peak_compute = pc;
    row->peak_bw_gbytes_per_s = pbw;
    row->pct_peak_compute = 100.0 * rate / pc;
    row->pct_peak_bw = 100.0 * row->gbytes_per_s / pbw;
    /* BF16 rows keep % of the FP32 probe (comparable with FP32 rows, up to ~200%); their
     * roofline ceiling is the BF16 one. */
    if (row->compute_kind == AB_COMPUTE_BF16)
        pc *= AB_BF16_PER_FP32;
    double intensity = row->flops_per_byte;
    if (intensity > 0.0 && pc > 0.0 && pbw > 0.0) {
        double ridge = pc / pbw;
        row->bound = intensity >= ridge ? AB_BOUND_COMPUTE : AB_BOUND_MEMORY;
        row->bound_rate = intensity >= ridge ? pc : intensity * pbw;
        row->pct_bound = 100.0 * rate / row->bound_rate;
        double spread = row->bound == AB_BOUND_COMPUTE ? spread_c : spread_bw;
        if (!(spread >= 0.0))
            spread = 0.0;
        row->implausible = rate > row->bound_rate * (1.0 + spread + AB_PLAUSIBLE_MARGIN);
    } else if (!(flops > 0.0) && bytes > 0.0 && pbw > 0.0) {
        /* No arithmetic to speak of (data movement): the memory roof alone. */
        row->bound = AB_BOUND_MEMORY;
        row->pct_bound = row->pct_peak_bw;
        double spread = spread_bw >= 0.0 ? spread_bw : 0.0;
        row->implausible = row->gbytes_per_s > pbw * (1.0 + spread + AB_PLAUSIBLE_MARGIN);
    }
}

/* ---- reading ----------------------------------------------------------------------------- */

struct reader {
    const char *path;
    struct ab_csv_table t;
    size_t n_rows;          /* data rows usable (journal: torn last row dropped) */
    struct ab_error *err;
};

static enum ab_status field_err(const struct reader *rd, size_t r, size_t c, const char *why)
{
    return ab_error_set(rd->err, AB_EPARSE, "'%s' line %zu, field '%s': %s", rd->path, rd->t.line[r],
                        rd->t.cells[c], why);
}

static const char *cell(const struct reader *rd, size_t r, size_t c)
{
    return rd->t.cells[r * rd->t.n_cols + c];
}

static bool parse_f64(const char *s, double *out)
{
    if (strcmp(s, "NA") == 0) {
        *out = NA_F64;
        return true;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

static bool parse_i64(const char *s, int64_t *out, bool allow_na)
{
    if (allow_na && strcmp(s, "NA") == 0) {
        *out = -1;
        return true;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

static int name_index(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static enum ab_status get_field(const struct reader *rd, size_t r, size_t c, const struct col *col, void *base)
{
    const char *s = cell(rd, r, c);
    char *p = (char *)base + col->offset;
    switch (col->type) {
    case T_STR:
        if (strlen(s) >= col->size)
            return field_err(rd, r, c, "too long");
        memcpy(p, s, strlen(s) + 1);
        return AB_OK;
    case T_INT: {
        int64_t v;
        if (!parse_i64(s, &v, false) || v < INT32_MIN || v > INT32_MAX)
            return field_err(rd, r, c, "not an integer");
        int iv = (int)v;
        memcpy(p, &iv, sizeof iv);
        return AB_OK;
    }
    case T_I64:
    case T_I64_NA: {
        int64_t v;
        if (!parse_i64(s, &v, col->type == T_I64_NA || strcmp(s, "NA") == 0))
            return field_err(rd, r, c, "not an integer");
        memcpy(p, &v, sizeof v);
        return AB_OK;
    }
    case T_U64: {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s || *end || errno == ERANGE || s[0] == '-')
            return field_err(rd, r, c, "not an unsigned integer");
        uint64_t u = v;
        memcpy(p, &u, sizeof u);
        return AB_OK;
    }
    case T_F64: {
        double v;
        if (!parse_f64(s, &v))
            return field_err(rd, r, c, "not a number");
        memcpy(p, &v, sizeof v);
        return AB_OK;
    }
    case T_BOOL: {
        bool v;
        if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
            v = true;
        else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
            v = false;
        else
            return field_err(rd, r, c, "not true or false");
        memcpy(p, &v, sizeof v);
        return AB_OK;
    }
    case T_VERDICT:
    case T_BOUND:
    case T_UNIT: {
        const struct enum_names *en = enum_names_of(col->type);
        int i = name_index(s, en->names, en->count);
        if (i < 0)
            return field_err(rd, r, c, en->why);
        memcpy(p, &i, sizeof i);
        return AB_OK;
    }
    case T_COUNT:
        break;
    }
    return field_err(rd, r, c, "unknown column type");
}

/* The key columns of data row r: run_id must be the context's. */
static enum ab_status get_key(const struct reader *rd, size_t r, const struct ab_results_context *ctx,
                              struct ab_result_key *k)
{
    if (strcmp(cell(rd, r, 0), ctx->run_id) != 0)
        return field_err(rd, r, 0, "belongs to another run than context.json's run_id");
    static const size_t sizes[4] = {sizeof k->family, sizeof k->kernel, sizeof k->variant, sizeof k->shape};
    char *dst[4] = {k->family, k->kernel, k->variant, k->shape};
    for (size_t i = 0; i < 4; i++) {
        const char *s = cell(rd, r, 2 + i);
        if (strlen(s) >= sizes[i] || s[0] == '\0')
            return field_err(rd, r, 2 + i, s[0] ? "too long" : "empty");
        memcpy(dst[i], s, strlen(s) + 1);
    }
    int64_t th;
    if (!parse_i64(cell(rd, r, 6), &th, false) || th < 1 || th > 4096)
        return field_err(rd, r, 6, "not a thread count");
    k->threads = (int)th;
    return AB_OK;
}

/*
 * A journal file whose writer died mid-row ends without its line end: drop that tail
 * (the item it belonged to has no speed row yet and is measured again).
 */
static enum ab_status cut_torn_tail(const char *path, struct ab_error *err)
{
    FILE *fp = fopen(path, "r+b");
    if (!fp)
        return AB_OK;
    if (fseek(fp, 0, SEEK_END) != 0) {
        fclose(fp);
        return ab_error_set(err, AB_EIO, "cannot read '%s'", path);
    }
    long size = ftell(fp);
    long keep = size;
    /* Backwards a block at a time: a byte at a time (fseek then fgetc) refilled stdio's
     * whole buffer per byte, 4 KiB read per byte of a long torn tail. */
    char block[4096];
    bool found = false;
    while (keep > 0 && !found) {
        long at = keep > (long)sizeof block ? keep - (long)sizeof block : 0;
        size_t want = (size_t)(keep - at);
        if (fseek(fp, at, SEEK_SET) != 0 || fread(block, 1, want, fp) != want)
            break;
        for (size_t i = want; i-- > 0;) {
            if (block[i] == '\n') {
                found = true;
                break;
            }
            keep--;
        }
    }
    fclose(fp);
    if (keep < size && truncate(path, keep) != 0)
        return ab_error_set(err, AB_EIO, "cannot repair '%s': %s", path, strerror(errno));
    return AB_OK;
}

static enum ab_status open_table(struct reader *rd, const char *dir, enum file_id f, bool journal, bool optional,
                                 struct ab_arena *arena, char *path_buf, size_t path_bytes, bool *out_present)
{
    path_of(path_buf, path_bytes, dir, file_names[f], journal ? ".partial" : "");
    rd->path = path_buf;
    *out_present = false;
    if (access(path_buf, F_OK) != 0) {
        if (optional)
            return AB_OK;
        return ab_error_set(rd->err, AB_EIO, "cannot open '%s': %s", path_buf, strerror(errno));
    }
    if (journal) {
        enum ab_status st = cut_torn_tail(path_buf, rd->err);
        if (st != AB_OK)
            return st;
    }
    struct ab_csv_options o = {.delim = ',', .quoting = true, .allow_ragged = false};
    enum ab_status st = ab_csv_read(path_buf, &o, arena, &rd->t, rd->err);
    if (st != AB_OK)
        return st;
    const char *hdr[MAX_COLS];
    size_t n = header_of(f, hdr, MAX_COLS);
    if (rd->t.n_cols != n)
        return ab_error_set(rd->err, AB_EPARSE,
                            "'%s' line 1: %zu columns where schema %d has %zu (written by another archbench version?)",
                            path_buf, rd->t.n_cols, AB_RESULTS_SCHEMA_VERSION, n);
    for (size_t c = 0; c < n; c++)
        if (strcmp(rd->t.cells[c], hdr[c]) != 0)
            return ab_error_set(rd->err, AB_EPARSE, "'%s' line 1, column %zu: '%s' where the schema has '%s'",
                                path_buf, c + 1, rd->t.cells[c], hdr[c]);
    rd->n_rows = rd->t.n_rows;
    *out_present = true;
    return AB_OK;
}

/* The peak figures of context.json's "peaks" entries: names, and where they live. */
static const char *const peak_names[8] = {"fp32_fma_gflops", "int8_dot_gops",   "mem_read_gbytes_per_s",
                                          "mem_triad_gbytes_per_s", "fp32_fma_spread", "int8_dot_spread",
                                          "mem_read_spread", "mem_triad_spread"};

static void peak_fields(struct ab_result_peak *pk, double *out[8])
{
    double *f[8] = {&pk->fp32_gflops, &pk->int8_gops, &pk->read_gbytes_per_s, &pk->triad_gbytes_per_s,
                    &pk->fp32_spread, &pk->int8_spread, &pk->read_spread,       &pk->triad_spread};
    memcpy(out, f, sizeof f);
}

enum ab_status ab_results_peaks_read(const struct cJSON *root, const char *path, struct ab_results_context *ctx,
                                     struct ab_error *err)
{
    const cJSON *peaks = cJSON_GetObjectItemCaseSensitive(root, "peaks");
    if (!cJSON_IsArray(peaks))
        return ab_error_set(err, AB_EPARSE, "'%s': no \"peaks\" array (not an archbench context.json?)", path);
    ctx->n_peaks = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, peaks)
    {
        if (ctx->n_peaks == AB_RESULTS_MAX_THREADS)
            return ab_error_set(err, AB_EPARSE, "'%s': more than %d entries in \"peaks\"", path,
                                AB_RESULTS_MAX_THREADS);
        struct ab_result_peak *pk = &ctx->peaks[ctx->n_peaks];
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(p, "threads");
        if (!cJSON_IsNumber(th) || !(th->valuedouble >= 1.0 && th->valuedouble <= 4096.0) ||
            th->valuedouble != floor(th->valuedouble))
            return ab_error_set(err, AB_EPARSE, "'%s': peaks[%zu].threads is not a thread count", path, ctx->n_peaks);
        pk->threads = (int)th->valuedouble;
        double *f[8];
        peak_fields(pk, f);
        for (int i = 0; i < 8; i++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(p, peak_names[i]);
            *f[i] = NA_F64;
            if (cJSON_IsNumber(x)) {
                /* A peak is positive; a spread may be 0. Both finite. */
                if (!isfinite(x->valuedouble) || !(x->valuedouble > 0.0 || (i >= 4 && x->valuedouble == 0.0)))
                    return ab_error_set(err, AB_EPARSE, "'%s': peaks[%zu].%s = %g is not a %s figure", path,
                                        ctx->n_peaks, peak_names[i], x->valuedouble, i < 4 ? "positive" : "non-negative");
                *f[i] = x->valuedouble;
            } else if (x && !(cJSON_IsString(x) && strcmp(x->valuestring, "NA") == 0)) {
                return ab_error_set(err, AB_EPARSE, "'%s': peaks[%zu].%s is neither a number nor \"NA\"", path,
                                    ctx->n_peaks, peak_names[i]);
            }
        }
        pk->remeasured = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "remeasured"));
        ctx->n_peaks++;
    }
    return AB_OK;
}

/* A finite double as a JSON number that reads back bit for bit: cJSON's own printer
 * accepts a 15-digit form within a relative DBL_EPSILON, which lost the last bit of a
 * spread on a --resume/--peaks-from round trip (found by fuzz_peaks). %.17g is exact. */
static cJSON *exact_number(double v)
{
    char text[40];
    snprintf(text, sizeof text, "%.17g", v);
    return cJSON_CreateRaw(text);
}

struct cJSON *ab_results_peaks_json(const struct ab_results_context *ctx)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t t = 0; t < ctx->n_peaks; t++) {
        struct ab_result_peak pk = ctx->peaks[t];
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "threads", pk.threads);
        double *f[8];
        peak_fields(&pk, f);
        for (int i = 0; i < 8; i++) {
            if (isnan(*f[i]))
                cJSON_AddStringToObject(p, peak_names[i], "NA");
            else
                cJSON_AddItemToObject(p, peak_names[i], exact_number(*f[i]));
        }
        cJSON_AddBoolToObject(p, "remeasured", pk.remeasured);
        cJSON_AddItemToArray(arr, p);
    }
    return arr;
}

static enum ab_status read_context(const char *dir, struct ab_results_context *ctx, struct ab_error *err)
{
    char path[1100];
    path_of(path, sizeof path, dir, "context.json", "");
    cJSON *root = NULL;
    enum ab_status st = ab_json_read_file(path, &root, err);
    if (st != AB_OK)
        return st;
    ctx->json = root;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
    if (!cJSON_IsNumber(v))
        return ab_error_set(err, AB_EPARSE, "'%s': no \"schema_version\" (not an archbench run folder?)", path);
    if (v->valuedouble != (double)AB_RESULTS_SCHEMA_VERSION)
        return ab_error_set(err, AB_EPARSE, "'%s': schema version %g, this archbench reads %d", path, v->valuedouble,
                            AB_RESULTS_SCHEMA_VERSION);
    ctx->schema_version = AB_RESULTS_SCHEMA_VERSION;
    static const char *const names[2] = {"run_id", "machine_id"};
    char *dst[2] = {ctx->run_id, ctx->machine_id};
    size_t sizes[2] = {sizeof ctx->run_id, sizeof ctx->machine_id};
    for (int i = 0; i < 2; i++) {
        v = cJSON_GetObjectItemCaseSensitive(root, names[i]);
        if (!cJSON_IsString(v) || strlen(v->valuestring) >= sizes[i] || !v->valuestring[0])
            return ab_error_set(err, AB_EPARSE, "'%s': \"%s\" missing or not a short string", path, names[i]);
        memcpy(dst[i], v->valuestring, strlen(v->valuestring) + 1);
    }
    ctx->complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "complete"));
    v = cJSON_GetObjectItemCaseSensitive(root, "peaks_source");
    snprintf(ctx->peaks_source, sizeof ctx->peaks_source, "%s", cJSON_IsString(v) ? v->valuestring : "");
    if ((st = ab_results_peaks_read(root, path, ctx, err)) != AB_OK)
        return st;
    const cJSON *ctr = cJSON_GetObjectItemCaseSensitive(root, "counters");
    ctx->multiplexed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctr, "multiplexed"));
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(ctr, "events"))
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (!cJSON_IsString(nm) || strlen(nm->valuestring) >= sizeof ctx->events[0] ||
            ctx->n_events == AB_RESULTS_MAX_EVENTS)
            return ab_error_set(err, AB_EPARSE, "'%s': counters.events[%zu] is not a short name", path,
                                ctx->n_events);
        memcpy(ctx->events[ctx->n_events++], nm->valuestring, strlen(nm->valuestring) + 1);
    }
    return AB_OK;
}

static struct ab_result_row *find_row(struct ab_results *res, const struct ab_result_key *k)
{
    for (size_t i = res->n_rows; i-- > 0;)  /* rows come grouped: the latest is the likely one */
        if (ab_result_key_eq(&res->rows[i].key, k))
            return &res->rows[i];
    return NULL;
}

/* The item a data row of samples/counters/memory/energy belongs to. NULL (and AB_OK) in a
 * journal when its item never got its speed row: that item is measured again. */
static enum ab_status row_of(const struct reader *rd, size_t r, struct ab_results *res, bool journal,
                             struct ab_result_row **out_row)
{
    struct ab_result_key k;
    enum ab_status st = get_key(rd, r, &res->ctx, &k);
    if (st != AB_OK)
        return st;
    *out_row = find_row(res, &k);
    if (!*out_row && !journal)
        return field_err(rd, r, 3, "no speed.csv row for this kernel, shape and threads");
    return AB_OK;
}

enum ab_status ab_results_read(const char *dir, bool journal, struct ab_results *out_res, struct ab_error *err)
{
    struct ab_results res;
    ab_results_init(&res);
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    char path[1100];
    struct reader rd = {.err = err};
    bool present;
    enum ab_status st = read_context(dir, &res.ctx, err);
    if (st != AB_OK)
        goto fail;

    /* speed.csv defines the items; memory and energy complete them. */
    if ((st = open_table(&rd, dir, F_SPEED, journal, false, &arena, path, sizeof path, &present)) != AB_OK)
        goto fail;
    for (size_t r = 1; r < rd.n_rows; r++) {
        struct ab_result_row row;
        memset(&row, 0, sizeof row);
        if ((st = get_key(&rd, r, &res.ctx, &row.key)) != AB_OK)
            goto fail;
        if (find_row(&res, &row.key)) {
            st = field_err(&rd, r, 3, "a second row for the same kernel, shape and threads");
            goto fail;
        }
        for (size_t c = 0; c < NCOLS(speed_cols); c++)
            if ((st = get_field(&rd, r, N_KEY + c, &speed_cols[c], &row)) != AB_OK)
                goto fail;
        row.timed = !isnan(row.median_ns);
        row.workspace_bytes = row.io_bytes = row.shim_peak_bytes = row.rss_before_bytes = row.rss_peak_bytes = -1;
        row.energy_j = row.region_s = row.flop_per_j = row.tokens_per_j = NA_F64;
        snprintf(row.energy_source, sizeof row.energy_source, "NA");
        if (ab_results_add_row(&res, &row) != AB_OK) {
            st = ab_error_set(err, AB_ENOMEM, "out of memory reading '%s'", path);
            goto fail;
        }
    }
    for (enum file_id f = F_MEMORY; f <= F_ENERGY; f++) {
        ab_arena_reset(&arena);
        if ((st = open_table(&rd, dir, f, journal, journal, &arena, path, sizeof path, &present)) != AB_OK)
            goto fail;
        for (size_t r = 1; present && r < rd.n_rows; r++) {
            struct ab_result_row *row;
            if ((st = row_of(&rd, r, &res, journal, &row)) != AB_OK)
                goto fail;
            if (!row)
                continue;
            size_t n;
            const struct col *cols = table_of(f, &n);
            for (size_t c = 0; c < n; c++)
                if ((st = get_field(&rd, r, N_KEY + c, &cols[c], row)) != AB_OK)
                    goto fail;
        }
    }
    /* samples.csv: repetitions in order, per item. */
    ab_arena_reset(&arena);
    if ((st = open_table(&rd, dir, F_SAMPLES, journal, journal, &arena, path, sizeof path, &present)) != AB_OK)
        goto fail;
    for (size_t r = 1; present && r < rd.n_rows; r++) {
        struct ab_result_row *row;
        if ((st = row_of(&rd, r, &res, journal, &row)) != AB_OK)
            goto fail;
        if (!row)
            continue;
        int64_t rep;
        if (!parse_i64(cell(&rd, r, N_KEY), &rep, false) || rep < 0 || rep > 100000) {
            st = field_err(&rd, r, N_KEY, "not a repetition index");
            goto fail;
        }
        if ((size_t)rep != row->n_samples) {
            if (journal && rep == 0) {
                row->n_samples = 0;  /* an earlier, interrupted attempt of this item */
            } else {
                st = field_err(&rd, r, N_KEY, "repetitions out of order");
                goto fail;
            }
        }
        struct ab_result_sample s;
        memset(&s, 0, sizeof s);
        for (size_t c = 0; c < NCOLS(sample_cols); c++)
            if ((st = get_field(&rd, r, N_KEY + 1 + c, &sample_cols[c], &s)) != AB_OK)
                goto fail;
        struct ab_result_sample *q = ab_realloc(row->samples, (row->n_samples + 1) * sizeof *q);
        if (!q) {
            st = ab_error_set(err, AB_ENOMEM, "out of memory reading '%s'", path);
            goto fail;
        }
        row->samples = q;
        q[row->n_samples++] = s;
    }
    for (size_t i = 0; i < res.n_rows; i++) {
        const struct ab_result_row *row = &res.rows[i];
        if (row->timed && row->n_samples != (size_t)row->repetitions) {
            st = ab_error_set(err, AB_EPARSE, "'%s/samples.csv%s': %zu repetitions of %s %s threads=%d, speed.csv says %d",
                              dir, journal ? ".partial" : "", row->n_samples, row->key.kernel, row->key.shape,
                              row->key.threads, row->repetitions);
            goto fail;
        }
    }
    /* counters.csv: value per repetition and event of the context's list. */
    ab_arena_reset(&arena);
    if ((st = open_table(&rd, dir, F_COUNTERS, journal, true, &arena, path, sizeof path, &present)) != AB_OK)
        goto fail;
    for (size_t r = 1; present && r < rd.n_rows; r++) {
        struct ab_result_row *row;
        if ((st = row_of(&rd, r, &res, journal, &row)) != AB_OK)
            goto fail;
        if (!row)
            continue;
        int64_t rep;
        if (!parse_i64(cell(&rd, r, N_KEY), &rep, false) || rep < 0 || (size_t)rep >= row->n_samples) {
            st = field_err(&rd, r, N_KEY, "repetition with no sample");
            goto fail;
        }
        int e = -1;
        for (size_t i = 0; i < res.ctx.n_events; i++)
            if (strcmp(res.ctx.events[i], cell(&rd, r, N_KEY + 1)) == 0)
                e = (int)i;
        if (e < 0) {
            st = field_err(&rd, r, N_KEY + 1, "event not in context.json's counter list");
            goto fail;
        }
        if (!row->counts) {
            size_t n = row->n_samples * res.ctx.n_events;
            row->counts = ab_malloc(n * sizeof *row->counts);
            if (!row->counts) {
                st = ab_error_set(err, AB_ENOMEM, "out of memory reading '%s'", path);
                goto fail;
            }
            for (size_t i = 0; i < n; i++)
                row->counts[i] = AB_COUNT_NA;
        }
        int64_t v;
        const char *s = cell(&rd, r, N_KEY + 2);
        if (strcmp(s, "NA") == 0) {
            v = AB_COUNT_NA;
        } else if (!parse_i64(s, &v, false)) {
            st = field_err(&rd, r, N_KEY + 2, "not a count");
            goto fail;
        }
        row->counts[(size_t)rep * res.ctx.n_events + (size_t)e] = v;
    }
    /* metrics.csv */
    ab_arena_reset(&arena);
    if ((st = open_table(&rd, dir, F_METRICS, journal, true, &arena, path, sizeof path, &present)) != AB_OK)
        goto fail;
    for (size_t r = 1; present && r < rd.n_rows; r++) {
        struct ab_result_metric m;
        memset(&m, 0, sizeof m);
        if ((st = get_key(&rd, r, &res.ctx, &m.key)) != AB_OK)
            goto fail;
        for (size_t c = 0; c < NCOLS(metric_cols); c++)
            if ((st = get_field(&rd, r, N_KEY + c, &metric_cols[c], &m)) != AB_OK)
                goto fail;
        if (ab_results_add_metric(&res, &m) != AB_OK) {
            st = ab_error_set(err, AB_ENOMEM, "out of memory reading '%s'", path);
            goto fail;
        }
    }
    ab_arena_release(&arena);
    *out_res = res;
    return AB_OK;
fail:
    ab_arena_release(&arena);
    ab_results_release(&res);
    return st;
}

/* ---- Google Benchmark JSON ------------------------------------------------------------------ */

/*
 * gbench.json follows Google Benchmark's JSON reporter (json_schema_version 1): a
 * "context" object and a "benchmarks" array with one "iteration" entry per repetition
 * and a "median" aggregate per item: the fields tools/compare.py reads. cpu_time is the
 * wall time (archbench reports the team's CPU share separately, per repetition).
 * Failed items have no time and are left out.
 */
enum ab_status ab_results_write_gbench(const char *path, const struct ab_results *res, struct ab_error *err)
{
    ab_json_use_shim();
    cJSON *root = cJSON_CreateObject();
    cJSON *ctx = cJSON_AddObjectToObject(root, "context");
    const cJSON *j = res->ctx.json;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "machine");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "date");
    cJSON_AddStringToObject(ctx, "date", cJSON_IsString(v) ? v->valuestring : "");
    v = cJSON_GetObjectItemCaseSensitive(m, "hostname");
    cJSON_AddStringToObject(ctx, "host_name", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_AddStringToObject(ctx, "executable", "archbench");
    v = cJSON_GetObjectItemCaseSensitive(m, "cpus_online");
    cJSON_AddNumberToObject(ctx, "num_cpus", cJSON_IsNumber(v) ? v->valuedouble : 0);
    v = cJSON_GetObjectItemCaseSensitive(m, "governor");
    cJSON_AddBoolToObject(ctx, "cpu_scaling_enabled", !(cJSON_IsString(v) && strcmp(v->valuestring, "performance") == 0));
    v = cJSON_GetObjectItemCaseSensitive(m, "caches");
    cJSON_AddItemToObject(ctx, "caches", v ? cJSON_Duplicate(v, true) : cJSON_CreateArray());
    v = cJSON_GetObjectItemCaseSensitive(j, "build_type");
    bool release = cJSON_IsString(v) && strcmp(v->valuestring, "release") == 0;
    cJSON_AddStringToObject(ctx, "library_build_type", release ? "release" : "debug");
    cJSON_AddNumberToObject(ctx, "json_schema_version", 1);
    cJSON *benches = cJSON_AddArrayToObject(root, "benchmarks");
    for (size_t i = 0; i < res->n_rows; i++) {
        const struct ab_result_row *row = &res->rows[i];
        if (!row->timed)
            continue;
        char name[600];
        snprintf(name, sizeof name, "%s/%s/threads:%d", row->key.kernel, row->key.shape, row->key.threads);
        for (size_t s = 0; s < row->n_samples; s++) {
            cJSON *b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "name", name);
            cJSON_AddNumberToObject(b, "family_index", (double)i);
            cJSON_AddNumberToObject(b, "per_family_instance_index", 0);
            cJSON_AddStringToObject(b, "run_name", name);
            cJSON_AddStringToObject(b, "run_type", "iteration");
            cJSON_AddNumberToObject(b, "repetitions", (double)row->n_samples);
            cJSON_AddNumberToObject(b, "repetition_index", (double)s);
            cJSON_AddNumberToObject(b, "threads", row->key.threads);
            cJSON_AddNumberToObject(b, "iterations", (double)row->samples[s].iterations);
            cJSON_AddNumberToObject(b, "real_time", row->samples[s].time_ns);
            cJSON_AddNumberToObject(b, "cpu_time", row->samples[s].time_ns);
            cJSON_AddStringToObject(b, "time_unit", "ns");
            cJSON_AddItemToArray(benches, b);
        }
        cJSON *agg = cJSON_CreateObject();
        char agg_name[640];
        snprintf(agg_name, sizeof agg_name, "%s_median", name);
        cJSON_AddStringToObject(agg, "name", agg_name);
        cJSON_AddNumberToObject(agg, "family_index", (double)i);
        cJSON_AddNumberToObject(agg, "per_family_instance_index", 0);
        cJSON_AddStringToObject(agg, "run_name", name);
        cJSON_AddStringToObject(agg, "run_type", "aggregate");
        cJSON_AddNumberToObject(agg, "repetitions", (double)row->n_samples);
        cJSON_AddNumberToObject(agg, "threads", row->key.threads);
        cJSON_AddStringToObject(agg, "aggregate_name", "median");
        cJSON_AddStringToObject(agg, "aggregate_unit", "time");
        cJSON_AddNumberToObject(agg, "real_time", row->median_ns);
        cJSON_AddNumberToObject(agg, "cpu_time", row->median_ns);
        cJSON_AddStringToObject(agg, "time_unit", "ns");
        cJSON_AddItemToArray(benches, agg);
    }
    enum ab_status st = ab_json_write_file(path, root, err);
    cJSON_Delete(root);
    return st;
}
