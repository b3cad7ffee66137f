/*
 * report_run.c - `archbench report RUN_DIR`: one run folder as report.md, a
 * self-contained report.html and SVG plots in plots/ (see report_run.h for what it shows).
 *
 * Everything comes from the results model: rows, their derived figures (rate, % of
 * bound, verdict, noisy, implausible) and the context (peaks with spreads, warnings,
 * machine). Nothing is recomputed here except what to draw. The Markdown references the
 * SVG files by relative path (plots/...); the HTML inlines the same SVG text so it can be
 * mailed or attached as one file. Both documents are written with the same table code,
 * so they cannot disagree.
 *
 * What is plotted: rows whose verification passed (and the references), timed, with a
 * rate. Failed, crashed, timed-out and untimed rows are listed in the tables and named
 * under the plots as not plotted. Probe rows (family "peak") are the ceilings, not
 * points.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archbench/alloc.h"
#include "archbench/compare.h"
#include "archbench/plot.h"
#include "archbench/report.h"
#include "archbench/report_run.h"
#include "archbench/results.h"
#include "doc_internal.h"

#define PATH_BYTES 4096
#define MAX_TOKENS 32

/* ---- the two documents ------------------------------------------------------------------ */

struct docs {
    struct ab__doc doc;   /* report.md and report.html (doc_internal.h) */
    const char *out_dir;
    struct ab_report_summary *sum;
    size_t n_figure;
};

/* ---- values --------------------------------------------------------------------------- */

/* v with `decimals` decimals and a suffix, or NA. */
static void fmt(char *buf, size_t n, int decimals, double v, const char *suffix)
{
    if (isfinite(v))
        snprintf(buf, n, "%.*f%s", decimals, v, suffix);
    else
        snprintf(buf, n, "NA");
}

/* A context.json value as text, NA when absent. */
static void json_text(const cJSON *obj, const char *key, char *buf, size_t n)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (cJSON_IsString(v) && v->valuestring[0])
        snprintf(buf, n, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(buf, n, "%.15g", v->valuedouble);
    else if (cJSON_IsBool(v))
        snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    else
        snprintf(buf, n, "NA");
}

static bool verified(const struct ab_result_row *r)
{
    return r->verdict == AB_VERDICT_PASS || r->verdict == AB_VERDICT_REFERENCE;
}

static bool is_probe(const struct ab_result_row *r)
{
    return strcmp(r->key.family, "peak") == 0;
}

/* The rate a row is judged by, in the unit of its family's plots. */
enum rate_unit { RATE_GFLOPS, RATE_GOPS, RATE_GBYTES };
static const char *const rate_unit_name[] = {"GFLOP/s", "GOP/s", "GB/s"};

static enum rate_unit unit_of(const struct ab_result_row *r)
{
    /* A probe row names what it measures in its shape (kind=mem_triad, kind=int8_dot). */
    if (is_probe(r)) {
        /* memmem with the length: GCC 12 with sanitizers misreads strstr on the array. */
        size_t len = strnlen(r->key.shape, sizeof r->key.shape);
        if (memmem(r->key.shape, len, "kind=mem_", 9))
            return RATE_GBYTES;
        if (memmem(r->key.shape, len, "kind=int8", 9))
            return RATE_GOPS;
    }
    if (r->flops > 0.0)
        return r->compute_kind == AB_COMPUTE_INT8 ? RATE_GOPS : RATE_GFLOPS;
    return RATE_GBYTES;
}

static double rate_of(const struct ab_result_row *r, enum rate_unit u)
{
    if (u == RATE_GOPS)
        return isfinite(r->gops) ? r->gops : r->gflops;  /* probes count integer operations as gflops */
    return u == RATE_GFLOPS ? r->gflops : r->gbytes_per_s;
}

static bool plottable(const struct ab_result_row *r)
{
    return !is_probe(r) && verified(r) && r->timed && isfinite(rate_of(r, unit_of(r)));
}

/* ---- shapes: the parameters every row of a family shares go in its heading ------------- */

struct tokens {
    size_t n;
    char t[MAX_TOKENS][64];
};

static void split_shape(const char *shape, struct tokens *out)
{
    out->n = 0;
    const char *p = shape;
    while (*p && out->n < MAX_TOKENS) {
        size_t len = strcspn(p, ",");
        snprintf(out->t[out->n++], sizeof out->t[0], "%.*s", (int)len, p);
        p += len + (p[len] == ',');
    }
}

static bool has_token(const struct tokens *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->t[i], s) == 0)
            return true;
    return false;
}

/* The tokens of every row of `family` (rows [first, n) are searched). */
static void common_tokens(const struct ab_results *res, const char *family, struct tokens *common)
{
    common->n = 0;
    bool first = true;
    struct tokens t;
    for (size_t i = 0; i < res->n_rows; i++) {
        if (strcmp(res->rows[i].key.family, family) != 0)
            continue;
        split_shape(res->rows[i].key.shape, &t);
        if (first) {
            *common = t;
            first = false;
            continue;
        }
        size_t k = 0;
        for (size_t j = 0; j < common->n; j++)
            if (has_token(&t, common->t[j]))
                memmove(common->t[k++], common->t[j], sizeof common->t[0]);
        common->n = k;
    }
}

static void short_shape(const char *shape, const struct tokens *common, char *buf, size_t n)
{
    struct tokens t;
    split_shape(shape, &t);
    buf[0] = '\0';
    for (size_t i = 0; i < t.n; i++) {
        if (has_token(common, t.t[i]))
            continue;
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", len ? "," : "", t.t[i]);
    }
    if (!buf[0])
        snprintf(buf, n, "-");
}

static void join_tokens(const struct tokens *t, char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < t->n; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? "," : "", t->t[i]);
    }
}

/* ---- figures ---------------------------------------------------------------------------- */

/* After a plot call: the figure (inlined SVG in HTML, a link in Markdown) or a note
 * saying why there is none. Only a failure to write is an error of the report. */
static enum ab_status figure(struct docs *d, enum ab_status st, const char *file, const char *caption,
                             const struct ab_error *perr, struct ab_error *err)
{
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/plots/%s", d->out_dir, file);
    if (st == AB_ENOTSUP || st == AB_EINVAL) {
        char note[AB_ERROR_MSG_BYTES + 64];
        snprintf(note, sizeof note, "plot NA (%s): %s", caption, perr->msg);
        ab__doc_paragraph(&d->doc, note);
        d->sum->n_plots_missing++;
        if (!d->sum->plot_note[0])
            snprintf(d->sum->plot_note, sizeof d->sum->plot_note, "%s", perr->msg);
        return AB_OK;
    }
    if (st != AB_OK)
        return ab_error_set(err, st, "%s", perr->msg);
    d->sum->n_plots++;
    d->n_figure++;
    char link[PATH_BYTES];
    snprintf(link, sizeof link, "plots/%s", file);
    return ab__doc_svg(&d->doc, path, link, caption, err);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Throughput vs threads, one plot per shape of the family, one line per kernel. */
static enum ab_status threads_plots(struct docs *d, const struct ab_results *res, const char *family,
                                    const struct tokens *common, size_t *plot_index, struct ab_error *err)
{
    int threads[AB_RESULTS_MAX_THREADS];
    size_t n_threads = 0;
    for (size_t i = 0; i < res->n_rows; i++) {
        const struct ab_result_row *r = &res->rows[i];
        if (strcmp(r->key.family, family) != 0)
            continue;
        bool seen = false;
        for (size_t t = 0; t < n_threads; t++)
            seen |= threads[t] == r->key.threads;
        if (!seen && n_threads < AB_RESULTS_MAX_THREADS)
            threads[n_threads++] = r->key.threads;
    }
    if (n_threads < 2) {
        ab__doc_paragraph(&d->doc, "One thread count in this run: no throughput-vs-threads plot.");
        return AB_OK;
    }
    qsort(threads, n_threads, sizeof threads[0], cmp_int);
    double x[AB_RESULTS_MAX_THREADS];
    for (size_t t = 0; t < n_threads; t++)
        x[t] = threads[t];

    size_t n = res->n_rows;
    struct ab_plot_series *series = ab_calloc(n, sizeof *series);
    double *y = ab_malloc(n * n_threads * sizeof *y);
    bool *shape_done = ab_calloc(n, sizeof *shape_done);
    enum ab_status st = AB_OK;
    if (!series || !y || !shape_done) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory writing the report");
        goto done;
    }
    for (size_t s = 0; s < n && st == AB_OK; s++) {
        const struct ab_result_row *r0 = &res->rows[s];
        if (shape_done[s] || strcmp(r0->key.family, family) != 0)
            continue;
        enum rate_unit unit = unit_of(r0);
        size_t n_series = 0, n_unplotted = 0;
        char unplotted[1024] = "";
        /* Each kernel of this shape once, in run order. */
        for (size_t i = s; i < n; i++) {
            const struct ab_result_row *r = &res->rows[i];
            if (strcmp(r->key.family, family) != 0 || strcmp(r->key.shape, r0->key.shape) != 0)
                continue;
            shape_done[i] = true;
            bool first = true;
            for (size_t k = 0; k < n_series; k++)
                first &= strcmp(series[k].label, r->key.kernel) != 0;
            if (!first)
                continue;
            double *yk = y + n_series * n_threads;
            bool any = false;
            for (size_t t = 0; t < n_threads; t++) {
                struct ab_result_key key = r->key;
                key.threads = threads[t];
                const struct ab_result_row *rt = ab_results_find(res, &key);
                yk[t] = rt && plottable(rt) ? rate_of(rt, unit) : (double)NAN;
                any |= isfinite(yk[t]);
            }
            if (!any) {
                size_t len = strlen(unplotted);
                snprintf(unplotted + len, sizeof unplotted - len, "%s%s", len ? ", " : "", r->key.kernel);
                n_unplotted++;
                continue;
            }
            series[n_series++] = (struct ab_plot_series){
                .label = r->key.kernel, .x = x, .y = yk, .n = n_threads,
                .dashed = r->verdict == AB_VERDICT_REFERENCE};
        }
        char shape[256], title[384], y_label[64], file[128], note[1200];
        short_shape(r0->key.shape, common, shape, sizeof shape);
        snprintf(title, sizeof title, "%s %s: throughput vs threads", family, shape);
        snprintf(y_label, sizeof y_label, "throughput (%s)", rate_unit_name[unit]);
        snprintf(file, sizeof file, "threads_%s_%zu.svg", family, ++*plot_index);
        if (n_unplotted)
            snprintf(note, sizeof note, "not verified or not timed, not plotted: %s", unplotted);
        else
            snprintf(note, sizeof note, "median of each item; the reference dashed; a gap = not verified or not timed");
        struct ab_plot plot = {.title = title, .x_label = "threads", .y_label = y_label, .series = series,
                               .n_series = n_series, .note = note};
        char path[PATH_BYTES];
        snprintf(path, sizeof path, "%s/plots/%s", d->out_dir, file);
        struct ab_error perr = {0};
        enum ab_status pst = n_series ? ab_plot_svg(&plot, path, &perr)
                                      : ab_error_set(&perr, AB_EINVAL, "no verified, timed kernel for %s", shape);
        st = figure(d, pst, file, title, &perr, err);
    }
done:
    ab_free(series);
    ab_free(y);
    ab_free(shape_done);
    return st;
}

/* One roofline per compute kind and thread count with peaks measured in the run. */
static enum ab_status rooflines(struct docs *d, const struct ab_results *res, struct ab_error *err)
{
    ab__doc_heading(&d->doc, 2, "Roofline of the run");
    ab__doc_paragraph(&d->doc, "Each verified, timed row at its arithmetic intensity (the kernel's FLOPs / bytes) and "
                 "measured rate, under the compute peak and the triad bandwidth measured in this run at the "
                 "same thread count. Rows that did not verify are never plotted.");
    size_t n = res->n_rows;
    const char **labels = ab_calloc(n ? n : 1, sizeof *labels);
    char(*label_buf)[160] = ab_calloc(n ? n : 1, sizeof *label_buf);
    double *ix = ab_malloc((n ? n : 1) * sizeof *ix), *iy = ab_malloc((n ? n : 1) * sizeof *iy);
    enum ab_status st = AB_OK;
    if (!labels || !label_buf || !ix || !iy) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory writing the report");
        goto done;
    }
    size_t drawn = 0;
    for (int kind = 0; kind < AB_COMPUTE_KIND_COUNT && st == AB_OK; kind++) {
        for (size_t p = 0; p < res->ctx.n_peaks && st == AB_OK; p++) {
            const struct ab_result_peak *peak = &res->ctx.peaks[p];
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                const struct ab_result_row *r = &res->rows[i];
                if (r->key.threads != peak->threads || (int)r->compute_kind != kind || !plottable(r) ||
                    !(r->flops_per_byte > 0.0) || unit_of(r) == RATE_GBYTES)
                    continue;
                struct tokens common;
                char shape[96];
                common_tokens(res, r->key.family, &common);
                short_shape(r->key.shape, &common, shape, sizeof shape);
                snprintf(label_buf[k], sizeof label_buf[k], "%.63s %.95s", r->key.kernel, shape);
                labels[k] = label_buf[k];
                ix[k] = r->flops_per_byte;
                iy[k] = rate_of(r, unit_of(r)) * 1e9;
                k++;
            }
            if (k == 0)
                continue;
            bool int8 = kind == AB_COMPUTE_INT8, bf16 = kind == AB_COMPUTE_BF16;
            /* BF16 rows: their own plot, under the derived BF16 ceiling (results.h). */
            double peak_g = int8 ? peak->int8_gops : bf16 ? AB_BF16_PER_FP32 * peak->fp32_gflops : peak->fp32_gflops;
            const char *kind_name = int8 ? "INT8" : bf16 ? "BF16 (2x FP32 probe)" : "FP32";
            char title[160], file[64];
            snprintf(title, sizeof title, "roofline, %s, %d thread%s", kind_name, peak->threads,
                     peak->threads == 1 ? "" : "s");
            snprintf(file, sizeof file, "roofline_%s_%dt.svg", int8 ? "int8" : bf16 ? "bf16" : "fp32", peak->threads);
            char path[PATH_BYTES];
            snprintf(path, sizeof path, "%s/plots/%s", d->out_dir, file);
            struct ab_error perr = {0};
            enum ab_status pst =
                ab_plot_roofline_ops_svg(title, int8 ? "OP" : "FLOP", peak_g * 1e9, peak->triad_gbytes_per_s * 1e9,
                                         labels, ix, iy, k, path, &perr);
            if (pst == AB_EINVAL && !(peak_g > 0.0 && peak->triad_gbytes_per_s > 0.0))
                ab_error_set(&perr, AB_EINVAL, "no %s peak or triad bandwidth measured at %d threads in this run",
                             int8 ? "INT8" : "FP32", peak->threads);
            st = figure(d, pst, file, title, &perr, err);
            drawn++;
        }
    }
    if (st == AB_OK && drawn == 0)
        ab__doc_paragraph(&d->doc, res->ctx.n_peaks ? "No verified, timed row with a work model: no roofline."
                                      : "Roofline NA: no peaks were measured in this run (run without --no-probes).");
    /* What is not on any plot, and why. */
    if (st == AB_OK) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            const struct ab_result_row *r = &res->rows[i];
            if (is_probe(r) || (verified(r) && r->timed))
                continue;
            if (!any) {
                ab__doc_heading(&d->doc, 3, "Not plotted");
                ab__doc_list_begin(&d->doc);
                any = true;
            }
            char line[512];
            snprintf(line, sizeof line, "%s %s, %d thread%s: %s", r->key.kernel, r->key.shape, r->key.threads,
                     r->key.threads == 1 ? "" : "s", verified(r) ? "not timed" : ab_verdict_name(r->verdict));
            ab__doc_list_item(&d->doc, line);
            d->sum->n_not_verified++;
        }
        if (any)
            ab__doc_list_end(&d->doc);
    }
done:
    ab_free((void *)labels);
    ab_free(label_buf);
    ab_free(ix);
    ab_free(iy);
    return st;
}

/* ---- sections --------------------------------------------------------------------------- */

static void context_section(struct docs *d, const struct ab_results *res)
{
    const cJSON *root = res->ctx.json;
    const cJSON *machine = root ? cJSON_GetObjectItemCaseSensitive(root, "machine") : NULL;
    const cJSON *run = root ? cJSON_GetObjectItemCaseSensitive(root, "run") : NULL;
    const cJSON *energy = root ? cJSON_GetObjectItemCaseSensitive(root, "energy") : NULL;
    ab__doc_heading(&d->doc, 2, "Context");
    char cells[2][160];
    static const char *const kv_head[] = {"what", "value"};
    ab__doc_table_begin(&d->doc, kv_head, 2);
    struct {
        const char *label;
        const cJSON *obj;
        const char *key;
    } items[] = {
        {"run id", root, "run_id"},          {"machine id", root, "machine_id"},
        {"date", root, "date"},              {"command", root, "command"},
        {"complete", root, "complete"},      {"archbench", root, "archbench_version"},
        {"git commit", root, "git_commit"},  {"build", root, "build_type"},
        {"compiler", root, "compiler"},      {"CPU", machine, "cpu_model"},
        {"CPUs online", machine, "cpus_online"}, {"CPUs allowed", machine, "cpus_allowed"},
        {"memory (bytes)", machine, "mem_total_bytes"}, {"virtual machine", machine, "virtual_machine"},
        {"hypervisor", machine, "hypervisor"}, {"kernel", machine, "kernel"},
        {"frequency governor", machine, "governor"}, {"pinning", run, "pinning"},
        {"items done", run, "items_done"},   {"items failed", run, "items_failed"},
        {"energy source", energy, "source"},
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        snprintf(cells[0], sizeof cells[0], "%s", items[i].label);
        json_text(items[i].obj, items[i].key, cells[1], sizeof cells[1]);
        ab__doc_table_row(&d->doc, cells[0], sizeof cells[0], 2);
    }
    ab__doc_table_end(&d->doc);

    ab__doc_heading(&d->doc, 3, "Peaks measured in this run");
    char src[512];
    snprintf(src, sizeof src, "Source: %s. Each figure is the best repetition of its probe; in brackets the "
                              "spread, (median - best) / best of the probe's repetitions.",
             res->ctx.peaks_source[0] ? res->ctx.peaks_source : "NA");
    ab__doc_paragraph(&d->doc, src);
    if (res->ctx.n_peaks == 0) {
        ab__doc_paragraph(&d->doc, "No peaks: NA (the run was made without probes).");
    } else {
        static const char *const ph[] = {"threads", "FP32 FMA (GFLOP/s)", "INT8 dot (GOP/s)", "read (GB/s)",
                                         "triad (GB/s)"};
        char pc[5][160];
        ab__doc_table_begin(&d->doc, ph, 5);
        for (size_t p = 0; p < res->ctx.n_peaks; p++) {
            const struct ab_result_peak *pk = &res->ctx.peaks[p];
            const double v[4] = {pk->fp32_gflops, pk->int8_gops, pk->read_gbytes_per_s, pk->triad_gbytes_per_s};
            const double s[4] = {pk->fp32_spread, pk->int8_spread, pk->read_spread, pk->triad_spread};
            snprintf(pc[0], sizeof pc[0], "%d%s", pk->threads, pk->remeasured ? " (re-measured)" : "");
            for (int c = 0; c < 4; c++) {
                char a[32], b[32];
                fmt(a, sizeof a, 1, v[c], "");
                fmt(b, sizeof b, 1, 100.0 * s[c], "%");
                snprintf(pc[c + 1], sizeof pc[c + 1], "%s (%s)", a, b);
            }
            ab__doc_table_row(&d->doc, pc[0], sizeof pc[0], 5);
        }
        ab__doc_table_end(&d->doc);
    }

    ab__doc_heading(&d->doc, 3, "Warnings of the run");
    const cJSON *warnings = root ? cJSON_GetObjectItemCaseSensitive(root, "warnings") : NULL;
    if (!cJSON_IsArray(warnings) || cJSON_GetArraySize(warnings) == 0) {
        ab__doc_paragraph(&d->doc, "none");
        return;
    }
    ab__doc_list_begin(&d->doc);
    const cJSON *w;
    cJSON_ArrayForEach(w, warnings)
        ab__doc_list_item(&d->doc, cJSON_IsString(w) ? w->valuestring : "NA");
    ab__doc_list_end(&d->doc);
}

static void verdict_text(const struct ab_result_row *r, char *buf, size_t n)
{
    snprintf(buf, n, "%s", ab_verdict_name(r->verdict));
    size_t len = strlen(buf);
    if (!r->timed)
        len += (size_t)snprintf(buf + len, n - len, ", not timed");
    else if (r->noisy && len < n)
        len += (size_t)snprintf(buf + len, n - len, ", noisy (%d/%d clean)", r->clean_repetitions, r->repetitions);
    if (r->implausible && len < n)
        snprintf(buf + len, n - len, ", implausible: above the bound");
}

static enum ab_status family_sections(struct docs *d, const struct ab_results *res, struct ab_error *err)
{
    static const char *const head[] = {"kernel", "shape", "threads", "median (us)", "interval (us)", "rate",
                                       "% of bound", "verdict"};
    enum { N_COLS = 8 };
    size_t n = res->n_rows, plot_index = 0;
    bool *done = ab_calloc(n ? n : 1, sizeof *done);
    if (!done)
        return ab_error_set(err, AB_ENOMEM, "out of memory writing the report");
    enum ab_status st = AB_OK;
    for (size_t f = 0; f < n && st == AB_OK; f++) {
        if (done[f])
            continue;
        const char *family = res->rows[f].key.family;
        struct tokens common;
        common_tokens(res, family, &common);
        char title[160], shared[512];
        snprintf(title, sizeof title, "%s%s", family, strcmp(family, "peak") == 0 ? " (probes: the ceilings)" : "");
        ab__doc_heading(&d->doc, 2, title);
        if (common.n) {
            char text[600];
            join_tokens(&common, shared, sizeof shared);
            snprintf(text, sizeof text, "All rows: %s.", shared);
            ab__doc_paragraph(&d->doc, text);
        }
        ab__doc_table_begin(&d->doc, head, N_COLS);
        for (size_t i = f; i < n; i++) {
            const struct ab_result_row *r = &res->rows[i];
            if (strcmp(r->key.family, family) != 0)
                continue;
            done[i] = true;
            char cells[N_COLS][160], a[48], b[48];
            snprintf(cells[0], sizeof cells[0], "%s", r->key.kernel);
            short_shape(r->key.shape, &common, cells[1], sizeof cells[1]);
            snprintf(cells[2], sizeof cells[2], "%d", r->key.threads);
            bool timed = r->timed;
            fmt(cells[3], sizeof cells[3], 1, timed ? r->median_ns * 1e-3 : (double)NAN, "");
            fmt(a, sizeof a, 1, timed ? r->ci_low_ns * 1e-3 : (double)NAN, "");
            fmt(b, sizeof b, 1, timed ? r->ci_high_ns * 1e-3 : (double)NAN, "");
            if (strcmp(a, "NA") == 0 && strcmp(b, "NA") == 0)
                snprintf(cells[4], sizeof cells[4], "NA");
            else
                snprintf(cells[4], sizeof cells[4], "%s - %s", a, b);
            enum rate_unit u = unit_of(r);
            double rate = timed ? rate_of(r, u) : (double)NAN;
            fmt(a, sizeof a, 1, rate, "");
            snprintf(cells[5], sizeof cells[5], "%s%s%s", a, isfinite(rate) ? " " : "",
                     isfinite(rate) ? rate_unit_name[u] : "");
            fmt(a, sizeof a, 0, timed ? r->pct_bound : (double)NAN, "%");
            snprintf(cells[6], sizeof cells[6], "%s%s", a,
                     !timed || !isfinite(r->pct_bound) ? ""
                     : r->bound == AB_BOUND_COMPUTE   ? " (compute)"
                     : r->bound == AB_BOUND_MEMORY    ? " (memory)"
                                                      : "");
            verdict_text(r, cells[7], sizeof cells[7]);
            ab__doc_table_row(&d->doc, cells[0], sizeof cells[0], N_COLS);
        }
        ab__doc_table_end(&d->doc);
        if (!is_probe(&res->rows[f]))
            st = threads_plots(d, res, family, &common, &plot_index, err);
    }
    ab_free(done);
    return st;
}

/*
 * An interleaved run: each of our variants against each vendor baseline of the same case,
 * by pairs of repetitions timed in the same round (ab_compare_interleaved_run). The
 * family tables' medians were taken over the same repetitions, but their ratio carries
 * whatever the host did between rounds; the pairs do not.
 */
static enum ab_status paired_section(struct docs *d, const struct ab_results *res, struct ab_error *err)
{
    struct ab_paired_row *pairs;
    size_t n;
    if (ab_compare_interleaved_run(res, 0.05, &pairs, &n) != AB_OK)
        return ab_error_set(err, AB_ENOMEM, "out of memory pairing the interleaved repetitions");
    if (n == 0)
        return AB_OK;
    ab__doc_heading(&d->doc, 2, "Against the vendor baselines, by pairs of repetitions");
    ab__doc_paragraph(&d->doc, "The run was interleaved (--interleave): repetition i of every variant of a case was "
                               "timed in the same round, so each pair shares whatever the host was doing. Time "
                               "ratio = median over the pairs where neither repetition was preempted of "
                               "variant / baseline (< 1: faster than the baseline), with the sign test's 95% "
                               "interval; speed-up = 1 / time ratio.");
    static const char *const head[] = {"kernel", "baseline", "shape", "threads", "time ratio", "95% interval",
                                       "speed-up", "clean pairs"};
    enum { N_COLS = 8 };
    ab__doc_table_begin(&d->doc, head, N_COLS);
    for (size_t i = 0; i < n; i++) {
        const struct ab_result_row *x = &res->rows[pairs[i].x], *b = &res->rows[pairs[i].base];
        const struct ab_paired_ratio *pr = &pairs[i].pr;
        char cells[N_COLS][sizeof x->key.shape];
        snprintf(cells[0], sizeof cells[0], "%s", x->key.kernel);
        snprintf(cells[1], sizeof cells[1], "%s", b->key.kernel);
        snprintf(cells[2], sizeof cells[2], "%s", x->key.shape);
        snprintf(cells[3], sizeof cells[3], "%d", x->key.threads);
        bool ok = pairs[i].st == AB_OK;
        if (!ok) {
            snprintf(cells[4], sizeof cells[4], "NA: no pair where neither repetition was preempted");
            snprintf(cells[5], sizeof cells[5], "NA");
            snprintf(cells[6], sizeof cells[6], "NA");
        } else {
            fmt(cells[4], sizeof cells[4], 3, pr->ratio, "");
            if (isnan(pr->low)) {
                snprintf(cells[5], sizeof cells[5], "NA (too few pairs)");
            } else {
                char lo[32], hi[32];
                fmt(lo, sizeof lo, 3, pr->low, "");
                fmt(hi, sizeof hi, 3, pr->high, "");
                snprintf(cells[5], sizeof cells[5], "%s - %s", lo, hi);
            }
            fmt(cells[6], sizeof cells[6], 2, 1.0 / pr->ratio, "x");
        }
        snprintf(cells[7], sizeof cells[7], "%zu", ok ? pr->n_pairs : (size_t)0);
        ab__doc_table_row(&d->doc, cells[0], sizeof cells[0], N_COLS);
    }
    ab__doc_table_end(&d->doc);
    ab_free(pairs);
    return AB_OK;
}

/* ---- the whole report ------------------------------------------------------------------- */




enum ab_status ab_report_run(const char *run_dir, const char *out_dir, struct ab_report_summary *out_summary,
                             struct ab_error *err)
{
    if (!run_dir || !run_dir[0])
        return ab_error_set(err, AB_EINVAL, "ab_report_run needs a run folder");
    if (!out_dir || !out_dir[0])
        out_dir = run_dir;
    struct ab_report_summary sum = {0};
    struct ab_results res;
    ab_results_init(&res);
    struct ab_atomic_file md_file = {0}, html_file = {0};
    char path[PATH_BYTES];
    enum ab_status st = ab_results_read(run_dir, false, &res, err);
    if (st != AB_OK)
        goto done;
    sum.n_rows = res.n_rows;
    snprintf(path, sizeof path, "%s/plots", out_dir);
    if ((st = ab__make_dir(out_dir, err)) != AB_OK || (st = ab__make_dir(path, err)) != AB_OK)
        goto done;
    snprintf(path, sizeof path, "%s/report.md", out_dir);
    if ((st = ab_atomic_open(&md_file, path, err)) != AB_OK)
        goto done;
    snprintf(path, sizeof path, "%s/report.html", out_dir);
    if ((st = ab_atomic_open(&html_file, path, err)) != AB_OK)
        goto done;

    struct docs d = {.doc = {.md = md_file.fp, .html = html_file.fp}, .out_dir = out_dir, .sum = &sum};
    char title[200];
    snprintf(title, sizeof title, "archbench report: run %s", res.ctx.run_id);
    ab__doc_begin(&d.doc, title);
    char intro[PATH_BYTES + 200];
    snprintf(intro, sizeof intro, "Run folder %s, machine %s. Read through the results model; NA = not measured.",
             run_dir, res.ctx.machine_id);
    ab__doc_paragraph(&d.doc, intro);
    const char *why = NULL;
    if (!ab_plot_available(&why)) {
        char note[300];
        snprintf(note, sizeof note, "Plots NA: %s.", why);
        ab__doc_paragraph(&d.doc, note);
    }
    context_section(&d, &res);
    if ((st = family_sections(&d, &res, err)) != AB_OK)
        goto done;
    if ((st = paired_section(&d, &res, err)) != AB_OK)
        goto done;
    if ((st = rooflines(&d, &res, err)) != AB_OK)
        goto done;
    ab__doc_end(&d.doc);
    /* The HTML first: report.md names plots that are then complete on disk. */
    if ((st = ab_atomic_commit(&html_file, err)) != AB_OK)
        goto done;
    if ((st = ab_atomic_commit(&md_file, err)) != AB_OK)
        goto done;
    if (out_summary)
        *out_summary = sum;
done:
    ab_atomic_abort(&md_file);
    ab_atomic_abort(&html_file);
    ab_results_release(&res);
    return st;
}
