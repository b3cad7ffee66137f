/*
 * merge.c - `archbench merge`: runs of several machines as one comparison.
 *
 * Runs are read through the results model. A machine is its machine_id: when several
 * runs share one, the newest (context.json "date", then run_id) is the machine's and the
 * others are named as superseded, never averaged in (runs made days apart on the same
 * machine need not agree, and pooling them would hide that). Per item (family, kernel,
 * variant, shape, threads) and machine: the measured throughput, % of that machine's own
 * roofline bound (its own peaks, from its own run), FLOP per joule with the run's energy
 * source, and, when the machine is matched to a catalogue device (--machine-device),
 * throughput per watt of the device's TDP and per dollar of its price. TDP is a rating,
 * not a measured power: "per TDP watt" says so in its name. Beside those whole-device
 * figures, never instead of them, a core-scaled estimate charges the run only the share of
 * the device its threads occupied: share = min(threads, cores) / cores, assuming one thread
 * per physical core (the runner pins thread i to the i-th CPU it may use, and Linux numbers
 * CPUs core by core before SMT siblings on the usual x86 servers; a run with more threads
 * than the device has cores is charged the whole device). NA where the catalogue states no
 * cores (GPUs, SoCs). Every NA carries its reason in the row's note. procurement.md and a
 * self-contained report.html are written by the same calls (doc_internal.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archbench/alloc.h"
#include "archbench/plot.h"
#include "archbench/procure.h"
#include "archbench/report.h"
#include "archbench/results.h"
#include "doc_internal.h"

#define PATH_BYTES 4096
#define CELL_BYTES 512

struct run_info {
    const char *dir;
    struct ab_results res;
    const char *cpu_model, *hostname, *date;  /* in res.ctx.json; "NA" when absent */
    int superseded_by;                         /* index of the newer run, -1: kept */
    const struct ab_device *device;            /* matched by --machine-device, or NULL */
};

static const char *json_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : "NA";
}

/* Whether run a is newer than run b (ties on date and run_id: the later on the command line). */
static bool newer(const struct run_info *a, size_t ia, const struct run_info *b, size_t ib)
{
    int d = strcmp(a->date, b->date);
    if (d)
        return d > 0;
    d = strcmp(a->res.ctx.run_id, b->res.ctx.run_id);
    if (d)
        return d > 0;
    return ia > ib;
}

static double rate_of(const struct ab_result_row *row)
{
    return row->compute_kind == AB_COMPUTE_INT8 ? row->gops : row->gflops;
}

static const char *const csv_header[] = {
    "run_id", "machine_id", "cpu_model", "device", "family", "kernel", "variant", "shape", "threads", "verified",
    "measured_median_ns", "measured_rate", "measured_rate_unit", "measured_tokens_per_s", "measured_bound",
    "measured_pct_bound", "energy_source", "flop_per_j", "energy_note", "device_tdp_w", "rate_per_tdp_w", "device_price_usd",
    "rate_per_usd", "device_cores", "core_share_estimate", "rate_per_core_scaled_tdp_w_estimate",
    "rate_per_core_scaled_usd_estimate", "catalogue_source", "note",
};
#define N_COLS (sizeof csv_header / sizeof csv_header[0])

/* Per-watt and per-dollar figures of a row: over the whole device, and the core-scaled
 * estimates over the share of it the row's threads occupied (see the top of the file). */
struct per_device {
    double per_w, per_usd;             /* whole device */
    double share, per_w_core, per_usd_core; /* core-scaled estimate */
};

static void per_device(const struct run_info *r, double rate, int threads, struct per_device *out, char *note,
                       size_t note_bytes)
{
    const double na = (double)NAN;
    *out = (struct per_device){na, na, na, na, na};
    note[0] = '\0';
    if (isnan(rate)) {
        snprintf(note, note_bytes, "no throughput: not verified or not timed");
        return;
    }
    if (!r->device) {
        snprintf(note, note_bytes, "per watt and per dollar NA: machine '%s' not matched to a catalogue device "
                                   "(--machine-device %s=DEVICE)",
                 r->res.ctx.machine_id, r->res.ctx.machine_id);
        return;
    }
    const struct ab_device *dev = r->device;
    out->per_w = rate / dev->tdp_w;
    out->per_usd = rate / dev->price_usd;
    if (dev->n_cores >= 1.0 && threads >= 1) {
        out->share = fmin((double)threads, dev->n_cores) / dev->n_cores;
        out->per_w_core = rate / (dev->tdp_w * out->share);
        out->per_usd_core = rate / (dev->price_usd * out->share);
    }
    size_t len = 0;
    if (isnan(out->per_w) || isnan(out->per_usd))
        len = (size_t)snprintf(note, note_bytes, "%s%s%sNA: the catalogue has no figure for '%s'",
                               isnan(out->per_w) ? "per watt " : "", isnan(out->per_w) && isnan(out->per_usd) ? "and " : "",
                               isnan(out->per_usd) ? "per dollar " : "", dev->name);
    if (isnan(out->share) && len < note_bytes)
        snprintf(note + len, note_bytes - len, "%score-scaled estimates NA: the catalogue states no cores for '%s'",
                 len ? "; " : "", dev->name);
}

/* v with `digits` significant digits and a unit suffix, or NA. */
static void fmt(char *out, size_t n, double v, int digits, const char *suffix)
{
    if (isnan(v))
        snprintf(out, n, "NA");
    else
        snprintf(out, n, "%.*g%s", digits, v, suffix);
}

/* ---- plots ---------------------------------------------------------------------------------- */

#define MAX_GROUPS 64

struct group {
    char family[32];
    int threads;
};

/* A figure in both documents (the link, the inlined SVG), or a note saying why it is not
 * there. Only failing to read back a drawn plot is an error. */
static enum ab_status figure_line(struct ab__doc *d, enum ab_status pst, const char *out_dir, const char *file,
                                  const char *title, const struct ab_error *perr, struct ab_merge_summary *sum,
                                  struct ab_error *err)
{
    if (pst == AB_OK) {
        char path[PATH_BYTES], link[PATH_BYTES];
        snprintf(path, sizeof path, "%s/plots/%s", out_dir, file);
        snprintf(link, sizeof link, "plots/%s", file);
        sum->n_plots++;
        return ab__doc_svg(d, path, link, title, err);
    }
    char note[AB_ERROR_MSG_BYTES + 300]; /* a title is at most 256 bytes */
    snprintf(note, sizeof note, "%s: plot NA (%s)", title, perr->msg);
    ab__doc_paragraph(d, note);
    if (!sum->plot_note[0])
        snprintf(sum->plot_note, sizeof sum->plot_note, "%s", perr->msg);
    return AB_OK;
}

/*
 * Throughput by machine, one plot per (family, threads): x is the machine's number in the
 * table above, a line per item joining its rate on each machine; and a roofline per
 * machine, compute kind and thread count against that machine's own measured peaks.
 * Plot failures are figures NA with the reason, not errors: the tables are the result.
 */
/* A legend label: the kernel and the first three shape parameters ("..." when cut), as the
 * plot's legend has room for about 50 characters; the tables have the full shape. */
static void item_label(char *out, size_t n, const struct ab_result_key *key)
{
    size_t cut = 0, commas = 0;
    while (key->shape[cut] && !(key->shape[cut] == ',' && ++commas == 3))
        cut++;
    snprintf(out, n, "%s %.*s%s", key->kernel, (int)cut, key->shape, key->shape[cut] ? ",..." : "");
}

static enum ab_status merge_plots(struct ab__doc *m, const struct run_info *runs, size_t n, const char *out_dir,
                                  struct ab_merge_summary *sum, struct ab_error *err)
{
    enum ab_status st = AB_OK;
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/plots", out_dir);
    if ((st = ab__make_dir(path, err)) != AB_OK)
        return st;
    const char *why = NULL;
    if (!ab_plot_available(&why)) {
        char note[300];
        snprintf(note, sizeof note, "Plots NA: %s.", why);
        ab__doc_paragraph(m, note);
        snprintf(sum->plot_note, sizeof sum->plot_note, "%s", why);
        return AB_OK;
    }
    size_t *kept = ab_calloc(n, sizeof *kept);
    double *x = ab_calloc(n, sizeof *x);
    struct group *groups = ab_calloc(MAX_GROUPS, sizeof *groups);
    size_t n_kept = 0, n_groups = 0, n_items_max = 0;
    for (size_t i = 0; i < n; i++)
        if (runs[i].superseded_by < 0)
            n_items_max += runs[i].res.n_rows;
    struct ab_plot_series *series = ab_calloc(n_items_max + 1, sizeof *series);
    double *y = ab_calloc((n_items_max + 1) * (n ? n : 1), sizeof *y);
    char (*labels)[384] = ab_calloc(n_items_max + 1, sizeof *labels);
    const char **point_labels = ab_calloc(n_items_max + 1, sizeof *point_labels);
    double *ix = ab_calloc(n_items_max + 1, sizeof *ix), *iy = ab_calloc(n_items_max + 1, sizeof *iy);
    if (!kept || !x || !groups || !series || !y || !labels || !point_labels || !ix || !iy) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory drawing the plots");
        goto done;
    }
    char mapping[1024] = "machines: ";
    for (size_t i = 0; i < n; i++) {
        if (runs[i].superseded_by >= 0)
            continue;
        x[n_kept] = (double)(n_kept + 1);
        size_t len = strlen(mapping);
        snprintf(mapping + len, sizeof mapping - len, "%s%zu = %s", n_kept ? ", " : "", n_kept + 1,
                 runs[i].res.ctx.machine_id);
        kept[n_kept++] = i;
        for (size_t k = 0; k < runs[i].res.n_rows && n_groups < MAX_GROUPS; k++) {
            const struct ab_result_key *key = &runs[i].res.rows[k].key;
            if (strcmp(key->family, "peak") == 0)
                continue;
            size_t g = 0;
            while (g < n_groups && !(strcmp(groups[g].family, key->family) == 0 && groups[g].threads == key->threads))
                g++;
            if (g == n_groups) {
                snprintf(groups[g].family, sizeof groups[g].family, "%s", key->family);
                groups[g].threads = key->threads;
                n_groups++;
            }
        }
    }
    ab__doc_heading(m, 2, "Plots");
    char intro[1200];
    snprintf(intro, sizeof intro, "Throughput by machine (%s); measured, median of each run.", mapping);
    ab__doc_paragraph(m, intro);
    for (size_t g = 0; g < n_groups && st == AB_OK; g++) {
        size_t n_series = 0;
        bool int8 = false;
        for (size_t q = 0; q < n_kept; q++) {
            const struct ab_results *res = &runs[kept[q]].res;
            for (size_t k = 0; k < res->n_rows; k++) {
                const struct ab_result_row *row = &res->rows[k];
                if (strcmp(row->key.family, groups[g].family) != 0 || row->key.threads != groups[g].threads)
                    continue;
                bool seen = false;
                for (size_t p = 0; p < q && !seen; p++)
                    seen = ab_results_find(&runs[kept[p]].res, &row->key) != NULL;
                if (seen)
                    continue;
                int8 = row->compute_kind == AB_COMPUTE_INT8;
                double *ys = &y[n_series * n_kept];
                for (size_t r = 0; r < n_kept; r++) {
                    const struct ab_result_row *o = ab_results_find(&runs[kept[r]].res, &row->key);
                    ys[r] = o && o->timed ? (int8 ? o->gops : o->gflops) : (double)NAN;
                }
                item_label(labels[n_series], sizeof labels[n_series], &row->key);
                series[n_series] = (struct ab_plot_series){
                    .label = labels[n_series], .x = x, .y = ys, .n = n_kept, .points_only = n_kept < 2};
                n_series++;
            }
        }
        char title[160], file[160];
        snprintf(title, sizeof title, "%s, %d thread%s: throughput by machine", groups[g].family, groups[g].threads,
                 groups[g].threads == 1 ? "" : "s");
        snprintf(file, sizeof file, "throughput_%s_t%d.svg", groups[g].family, groups[g].threads);
        struct ab_plot plot = {.title = title, .x_label = "machine (number in the table)",
                               .y_label = int8 ? "GOP/s (measured)" : "GFLOP/s (measured)", .log_y = true,
                               .series = series, .n_series = n_series, .note = mapping};
        snprintf(path, sizeof path, "%s/plots/%s", out_dir, file);
        struct ab_error perr = {0};
        enum ab_status pst = ab_plot_svg(&plot, path, &perr);
        st = figure_line(m, pst, out_dir, file, title, &perr, sum, err);
    }
    ab__doc_paragraph(m, "Roofline per machine, against that machine's own measured peaks (FP32 FMA or INT8 dot "
                         "probe, BF16 at 2x the FP32 probe, triad bandwidth) at the thread count.");
    for (size_t q = 0; q < n_kept && st == AB_OK; q++) {
        const struct ab_results *res = &runs[kept[q]].res;
        for (size_t pk = 0; pk < res->ctx.n_peaks; pk++) {
            const struct ab_result_peak *peak = &res->ctx.peaks[pk];
            for (int kind = 0; kind < AB_COMPUTE_KIND_COUNT; kind++) {
                size_t k_pts = 0;
                for (size_t k = 0; k < res->n_rows; k++) {
                    const struct ab_result_row *row = &res->rows[k];
                    if (strcmp(row->key.family, "peak") == 0 || row->key.threads != peak->threads ||
                        (int)row->compute_kind != kind || !row->timed ||
                        (row->verdict != AB_VERDICT_PASS && row->verdict != AB_VERDICT_REFERENCE))
                        continue;
                    double rate = kind == AB_COMPUTE_INT8 ? row->gops : row->gflops;
                    if (!(rate > 0.0) || !(row->flops_per_byte > 0.0))
                        continue;
                    item_label(labels[k_pts], sizeof labels[k_pts], &row->key);
                    point_labels[k_pts] = labels[k_pts];
                    ix[k_pts] = row->flops_per_byte;
                    iy[k_pts] = rate * 1e9;
                    k_pts++;
                }
                if (!k_pts)
                    continue;
                bool int8 = kind == AB_COMPUTE_INT8, bf16 = kind == AB_COMPUTE_BF16;
                /* BF16 rows under the derived BF16 ceiling, as the run's own report draws them (results.h). */
                double peak_g = int8 ? peak->int8_gops : bf16 ? AB_BF16_PER_FP32 * peak->fp32_gflops : peak->fp32_gflops;
                char title[256], file[256];
                snprintf(title, sizeof title, "roofline of %s, %s, %d thread%s", res->ctx.machine_id,
                         int8 ? "INT8" : bf16 ? "BF16 (2x FP32 probe)" : "FP32", peak->threads,
                         peak->threads == 1 ? "" : "s");
                snprintf(file, sizeof file, "roofline_%s_%s_t%d.svg", res->ctx.machine_id,
                         int8 ? "int8" : bf16 ? "bf16" : "fp32", peak->threads);
                for (char *c = file; *c; c++) /* machine ids come from other machines' files */
                    if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
                        *c = '_';
                snprintf(path, sizeof path, "%s/plots/%s", out_dir, file);
                struct ab_error perr = {0};
                enum ab_status pst = ab_plot_roofline_ops_svg(title, int8 ? "OP" : "FLOP", peak_g * 1e9,
                                                              peak->triad_gbytes_per_s * 1e9, point_labels, ix, iy,
                                                              k_pts, path, &perr);
                if ((st = figure_line(m, pst, out_dir, file, title, &perr, sum, err)) != AB_OK)
                    goto done;
            }
        }
    }
done:
    ab_free(kept);
    ab_free(x);
    ab_free(groups);
    ab_free(series);
    ab_free(y);
    ab_free(labels);
    ab_free(point_labels);
    ab_free(ix);
    ab_free(iy);
    return st;
}

/* A table's cells: rows of n_cols strings of CELL_BYTES. */
static char *cells_new(size_t n_cols)
{
    return ab_calloc(n_cols, CELL_BYTES);
}
#define CELL(c, i) ((c) + (size_t)(i) * CELL_BYTES)

/* Items in order of first appearance over the kept runs: whether row k of run i is the
 * first appearance of its key. */
static bool first_appearance(const struct run_info *runs, size_t i, const struct ab_result_row *row)
{
    if (strcmp(row->key.family, "peak") == 0)
        return false; /* the machine's ceilings: in % of bound, not items */
    for (size_t p = 0; p < i; p++)
        if (runs[p].superseded_by < 0 && ab_results_find(&runs[p].res, &row->key))
            return false;
    return true;
}

static enum ab_status write_documents(struct ab__doc *d, const struct ab_merge_options *opt,
                                      const struct run_info *runs, size_t n, struct ab_merge_summary *sum,
                                      struct ab_error *err)
{
    enum ab_status st = AB_OK;
    size_t n_kept = sum->n_machines, n_cols = 4 + n_kept;
    char *c = cells_new(n_cols > 10 ? n_cols : 10);
    const char **head = ab_calloc(n_cols, sizeof *head);
    if (!c || !head) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory writing procurement.md");
        goto done;
    }
    char text[2 * PATH_BYTES];
    snprintf(text, sizeof text, "Procurement: %zu machines from %zu runs", sum->n_machines, n);
    ab__doc_begin(d, text);
    ab__doc_paragraph(d, "A machine is its machine_id; of several runs of one machine the newest (context.json date, "
                         "then run_id) is used and the others are listed as superseded, not pooled. % of bound is "
                         "against each machine's own peaks, measured in its own run. Per TDP watt and per dollar "
                         "divide the measured throughput by the catalogue device the machine was matched to with "
                         "--machine-device; TDP is a rating, not measured power. They divide by the whole device's "
                         "TDP and price, whatever share of it the run's threads used: compare machines on them only "
                         "where each run used the whole device, or where the device row is itself a share (a per-core "
                         "row for a VM slice).");
    ab__doc_paragraph(d, "Core-scaled estimates (beside the whole-device figures, never instead of them): the run is "
                         "charged the share of the device its threads occupied, share = min(threads used, cores) / "
                         "cores, from the catalogue's cores column; per W (core-scaled estimate) = throughput / (TDP x "
                         "share), per $ (core-scaled estimate) = throughput / (price x share). The model assumes one "
                         "thread per physical core and that power and price divide evenly over the cores; it ignores "
                         "uncore, memory and I/O power, idle cores' draw and turbo at low occupancy, so it flatters "
                         "small runs. An estimate, not a measurement; NA where the catalogue states no cores (GPU, "
                         "SoC rows).");

    ab__doc_heading(d, 2, "Machines");
    static const char *const mh[] = {"machine_id", "host", "CPU model", "run_id", "date", "run folder",
                                     "catalogue device"};
    ab__doc_table_begin(d, mh, 7);
    for (size_t i = 0; i < n; i++) {
        const struct run_info *r = &runs[i];
        if (r->superseded_by >= 0)
            continue;
        const char *v[7] = {r->res.ctx.machine_id, r->hostname, r->cpu_model, r->res.ctx.run_id, r->date, r->dir,
                            r->device ? r->device->name : "none (per watt, per dollar NA)"};
        for (size_t k = 0; k < 7; k++)
            snprintf(CELL(c, k), CELL_BYTES, "%s", v[k]);
        ab__doc_table_row(d, c, CELL_BYTES, 7);
    }
    ab__doc_table_end(d);
    for (size_t i = 0; i < n; i++) {
        const struct run_info *r = &runs[i];
        if (r->superseded_by < 0)
            continue;
        snprintf(text, sizeof text, "Superseded: run %s (%s, %s) of machine %s, by the newer run %s.",
                 r->res.ctx.run_id, r->dir, r->date, r->res.ctx.machine_id, runs[r->superseded_by].res.ctx.run_id);
        ab__doc_paragraph(d, text);
    }
    for (size_t i = 0; i < n; i++) {
        const struct run_info *r = &runs[i];
        if (r->superseded_by >= 0 || !r->device)
            continue;
        char tdp[32], price[32], cores[32], threads[32];
        fmt(tdp, sizeof tdp, r->device->tdp_w, 6, "");
        fmt(price, sizeof price, r->device->price_usd, 6, "");
        fmt(cores, sizeof cores, r->device->n_cores, 6, "");
        fmt(threads, sizeof threads, r->device->n_threads, 6, "");
        snprintf(text, sizeof text, "Device of %s: %s (TDP %s W, price %s USD, %s cores, %s threads; source: %s; %s).",
                 r->res.ctx.machine_id, r->device->name, tdp, price, cores, threads, r->device->source,
                 r->device->note);
        ab__doc_paragraph(d, text);
    }

    ab__doc_heading(d, 2, "Throughput per machine");
    ab__doc_paragraph(d, "GFLOP/s (GOP/s for INT8 families), median; in brackets % of that machine's own roofline "
                         "bound; per TDP watt and per dollar of the whole device after the slash where a device is "
                         "matched. \"not run\": the machine's run has no such item.");
    static const char *const item_head[] = {"family", "kernel", "shape", "threads"};
    size_t h = 0;
    for (; h < 4; h++)
        head[h] = item_head[h];
    for (size_t i = 0; i < n; i++)
        if (runs[i].superseded_by < 0)
            head[h++] = runs[i].res.ctx.machine_id;
    ab__doc_table_begin(d, head, n_cols);
    for (size_t i = 0; i < n; i++) {
        if (runs[i].superseded_by >= 0)
            continue;
        for (size_t k = 0; k < runs[i].res.n_rows; k++) {
            const struct ab_result_row *row = &runs[i].res.rows[k];
            if (!first_appearance(runs, i, row))
                continue;
            snprintf(CELL(c, 0), CELL_BYTES, "%s", row->key.family);
            snprintf(CELL(c, 1), CELL_BYTES, "%s", row->key.kernel);
            snprintf(CELL(c, 2), CELL_BYTES, "%s", row->key.shape);
            snprintf(CELL(c, 3), CELL_BYTES, "%d", row->key.threads);
            size_t col = 4;
            for (size_t q = 0; q < n; q++) {
                if (runs[q].superseded_by >= 0)
                    continue;
                char *cell = CELL(c, col++);
                const struct ab_result_row *o = ab_results_find(&runs[q].res, &row->key);
                double rate = o && o->timed ? rate_of(o) : (double)NAN;
                if (!o) {
                    snprintf(cell, CELL_BYTES, "not run");
                } else if (isnan(rate)) {
                    snprintf(cell, CELL_BYTES, "NA (%s)", o->timed ? "no work model" : ab_verdict_name(o->verdict));
                } else {
                    char pct[32], pw[32], pu[32], note[512];
                    struct per_device pd;
                    per_device(&runs[q], rate, o->key.threads, &pd, note, sizeof note);
                    fmt(pct, sizeof pct, o->pct_bound, 3, "%");
                    fmt(pw, sizeof pw, pd.per_w, 3, "/W");
                    fmt(pu, sizeof pu, pd.per_usd, 3, "/$");
                    int len = snprintf(cell, CELL_BYTES, "%.3g (%s)", rate, pct);
                    if (runs[q].device)
                        snprintf(cell + len, CELL_BYTES - (size_t)len, " / %s / %s", pw, pu);
                }
            }
            ab__doc_table_row(d, c, CELL_BYTES, n_cols);
        }
    }
    ab__doc_table_end(d);

    /* Per watt and per dollar: whole device and core-scaled estimate side by side, for the
     * machines matched to a catalogue device. */
    bool any_device = false;
    for (size_t i = 0; i < n; i++)
        any_device |= runs[i].superseded_by < 0 && runs[i].device;
    ab__doc_heading(d, 2, "Per watt and per dollar");
    if (!any_device) {
        ab__doc_paragraph(d, "NA: no machine is matched to a catalogue device (--machine-device MACHINE_ID=DEVICE).");
    } else {
        static const char *const ph[] = {"machine_id", "kernel", "shape", "threads", "rate",
                                         "per TDP W (whole device)",
                                         "per W (core-scaled estimate: TDP x threads used / cores)",
                                         "per $ (whole device)",
                                         "per $ (core-scaled estimate: price x threads used / cores)", "note"};
        ab__doc_paragraph(d, "Rate in GFLOP/s (GOP/s for INT8 families) per W and per $; the core-scaled columns "
                             "are the estimate stated above, the whole-device columns divide by the device's "
                             "full TDP and price.");
        ab__doc_table_begin(d, ph, 10);
        for (size_t q = 0; q < n; q++) {
            const struct run_info *r = &runs[q];
            if (r->superseded_by >= 0 || !r->device)
                continue;
            for (size_t k = 0; k < r->res.n_rows; k++) {
                const struct ab_result_row *o = &r->res.rows[k];
                if (strcmp(o->key.family, "peak") == 0)
                    continue;
                double rate = o->timed ? rate_of(o) : (double)NAN;
                struct per_device pd;
                char note[512];
                per_device(r, rate, o->key.threads, &pd, note, sizeof note);
                snprintf(CELL(c, 0), CELL_BYTES, "%s", r->res.ctx.machine_id);
                snprintf(CELL(c, 1), CELL_BYTES, "%s", o->key.kernel);
                snprintf(CELL(c, 2), CELL_BYTES, "%s", o->key.shape);
                snprintf(CELL(c, 3), CELL_BYTES, "%d", o->key.threads);
                fmt(CELL(c, 4), CELL_BYTES, rate, 3, "");
                fmt(CELL(c, 5), CELL_BYTES, pd.per_w, 3, "");
                fmt(CELL(c, 6), CELL_BYTES, pd.per_w_core, 3, "");
                fmt(CELL(c, 7), CELL_BYTES, pd.per_usd, 3, "");
                fmt(CELL(c, 8), CELL_BYTES, pd.per_usd_core, 3, "");
                snprintf(CELL(c, 9), CELL_BYTES, "%s", note[0] ? note : "-");
                ab__doc_table_row(d, c, CELL_BYTES, 10);
            }
        }
        ab__doc_table_end(d);
    }

    ab__doc_heading(d, 2, "Energy");
    static const char *const eh[] = {"machine_id", "energy source", "why"};
    ab__doc_table_begin(d, eh, 3);
    for (size_t i = 0; i < n; i++) {
        const struct run_info *r = &runs[i];
        if (r->superseded_by >= 0)
            continue;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(r->res.ctx.json, "energy");
        snprintf(CELL(c, 0), CELL_BYTES, "%s", r->res.ctx.machine_id);
        snprintf(CELL(c, 1), CELL_BYTES, "%s", json_str(e, "source"));
        snprintf(CELL(c, 2), CELL_BYTES, "%s", json_str(e, "reason"));
        ab__doc_table_row(d, c, CELL_BYTES, 3);
    }
    ab__doc_table_end(d);
    ab__doc_paragraph(d, "FLOP (OP for INT8 families) per joule per item is in merged.csv (flop_per_j, with "
                         "energy_source and energy_note); NA where the machine had no energy counter and no "
                         "estimate was asked for.");
    if ((st = merge_plots(d, runs, n, opt->out_dir, sum, err)) != AB_OK)
        goto done;
    int len = snprintf(text, sizeof text, "archbench merge");
    for (size_t i = 0; i < n && len > 0 && (size_t)len < sizeof text; i++)
        len += snprintf(text + len, sizeof text - (size_t)len, " %s", runs[i].dir);
    for (size_t k = 0; k < opt->n_machine_devices && len > 0 && (size_t)len < sizeof text; k++)
        len += snprintf(text + len, sizeof text - (size_t)len, " --machine-device '%s=%s'",
                        opt->machine_devices[k].machine_id, opt->machine_devices[k].device);
    if (len > 0 && (size_t)len < sizeof text)
        snprintf(text + len, sizeof text - (size_t)len, " --out %s", opt->out_dir);
    ab__doc_md(d, "\nReproduce: `%s`.\n", text);
    ab__doc_html_raw(d, "<p>Reproduce: <code>");
    ab__doc_html_text(d, text);
    ab__doc_html_raw(d, "</code></p>\n");
    ab__doc_end(d);
done:
    ab_free(c);
    ab_free((void *)head);
    return st;
}

enum ab_status ab_merge_runs(const struct ab_merge_options *opt, struct ab_merge_summary *out_sum,
                             struct ab_error *err)
{
    struct ab_merge_summary sum = {0};
    struct ab_atomic_file csv = {0}, md = {0}, html = {0};
    bool csv_open = false, md_open = false, html_open = false;
    size_t n = opt->n_run_dirs, n_read = 0;
    char path[PATH_BYTES];
    enum ab_status st = AB_OK;
    struct run_info *runs = ab_calloc(n ? n : 1, sizeof *runs);
    if (!runs)
        return ab_error_set(err, AB_ENOMEM, "out of memory");
    for (; n_read < n; n_read++) {
        struct run_info *r = &runs[n_read];
        r->dir = opt->run_dirs[n_read];
        r->superseded_by = -1;
        ab_results_init(&r->res);
        if ((st = ab_results_read(r->dir, false, &r->res, err)) != AB_OK) {
            n_read++;
            goto done;
        }
        /* The reader refuses another schema than this build's; checked again across runs so
         * the message names both folders should the reader ever accept several. */
        if (r->res.ctx.schema_version != runs[0].res.ctx.schema_version) {
            st = ab_error_set(err, AB_EPARSE, "'%s' has schema version %d, '%s' has %d: runs of different schemas "
                                              "cannot be merged",
                              r->dir, r->res.ctx.schema_version, runs[0].dir, runs[0].res.ctx.schema_version);
            n_read++;
            goto done;
        }
        const cJSON *machine = cJSON_GetObjectItemCaseSensitive(r->res.ctx.json, "machine");
        r->cpu_model = json_str(machine, "cpu_model");
        r->hostname = json_str(machine, "hostname");
        r->date = json_str(r->res.ctx.json, "date");
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j && strcmp(runs[i].res.ctx.machine_id, runs[j].res.ctx.machine_id) == 0 &&
                newer(&runs[j], j, &runs[i], i) &&
                (runs[i].superseded_by < 0 || newer(&runs[j], j, &runs[runs[i].superseded_by], (size_t)runs[i].superseded_by)))
                runs[i].superseded_by = (int)j;
    for (size_t k = 0; k < opt->n_machine_devices; k++) {
        const struct ab_merge_machine_device *md_opt = &opt->machine_devices[k];
        const struct ab_device *dev = opt->catalogue ? ab_catalogue_find(opt->catalogue, md_opt->device) : NULL;
        if (!dev) {
            char near[2048] = "";
            if (opt->catalogue)
                ab_catalogue_near(opt->catalogue, md_opt->device, near, sizeof near);
            st = ab_error_set(err, AB_ENOTFOUND, "--machine-device: no device '%s' in the catalogue; near: %s",
                              md_opt->device, near);
            goto done;
        }
        bool found = false;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(runs[i].res.ctx.machine_id, md_opt->machine_id) == 0) {
                runs[i].device = dev;
                found = true;
            }
        }
        if (!found) {
            st = ab_error_set(err, AB_ENOTFOUND, "--machine-device: no run has machine_id '%s'", md_opt->machine_id);
            goto done;
        }
    }
    sum.n_runs = n;
    for (size_t i = 0; i < n; i++) {
        if (runs[i].superseded_by < 0)
            sum.n_machines++;
        else
            sum.n_runs_superseded++;
    }

    if ((st = ab__make_dir(opt->out_dir, err)) != AB_OK)
        goto done;
    snprintf(path, sizeof path, "%s/merged.csv", opt->out_dir);
    if ((st = ab_atomic_open(&csv, path, err)) != AB_OK)
        goto done;
    csv_open = true;
    snprintf(path, sizeof path, "%s/procurement.md", opt->out_dir);
    if ((st = ab_atomic_open(&md, path, err)) != AB_OK)
        goto done;
    md_open = true;
    snprintf(path, sizeof path, "%s/report.html", opt->out_dir);
    if ((st = ab_atomic_open(&html, path, err)) != AB_OK)
        goto done;
    html_open = true;
    struct ab_csv_writer w;
    if ((st = ab_csv_begin(&w, csv.fp, csv_header, N_COLS)) != AB_OK) {
        st = ab_error_set(err, st, "cannot write '%s/merged.csv'", opt->out_dir);
        goto done;
    }

    /* merged.csv: one row per item and machine, in run order. */
    for (size_t i = 0; i < n; i++) {
        const struct run_info *r = &runs[i];
        if (r->superseded_by >= 0)
            continue;
        for (size_t k = 0; k < r->res.n_rows; k++) {
            const struct ab_result_row *row = &r->res.rows[k];
            if (strcmp(row->key.family, "peak") == 0)
                continue; /* the machine's ceilings: in % of bound, not items */
            double rate = row->timed ? rate_of(row) : (double)NAN;
            struct per_device pd;
            char note[512];
            per_device(r, rate, row->key.threads, &pd, note, sizeof note);
            ab_csv_str(&w, r->res.ctx.run_id);
            ab_csv_str(&w, r->res.ctx.machine_id);
            ab_csv_str(&w, r->cpu_model);
            ab_csv_str(&w, r->device ? r->device->name : NULL);
            ab_csv_str(&w, row->key.family);
            ab_csv_str(&w, row->key.kernel);
            ab_csv_str(&w, row->key.variant);
            ab_csv_str(&w, row->key.shape);
            ab_csv_i64(&w, row->key.threads);
            ab_csv_str(&w, ab_verdict_name(row->verdict));
            ab_csv_f64(&w, row->timed ? row->median_ns : (double)NAN);
            ab_csv_f64(&w, rate);
            ab_csv_str(&w, row->compute_kind == AB_COMPUTE_INT8 ? "GOP/s" : "GFLOP/s");
            ab_csv_f64(&w, row->timed ? row->tokens_per_s : (double)NAN);
            ab_csv_str(&w, ab_bound_name(row->bound));
            ab_csv_f64(&w, row->pct_bound);
            ab_csv_str(&w, row->energy_source[0] ? row->energy_source : "NA");
            ab_csv_f64(&w, row->flop_per_j);
            ab_csv_str(&w, row->energy_note);
            ab_csv_f64(&w, r->device ? r->device->tdp_w : (double)NAN);
            ab_csv_f64(&w, pd.per_w);
            ab_csv_f64(&w, r->device ? r->device->price_usd : (double)NAN);
            ab_csv_f64(&w, pd.per_usd);
            ab_csv_f64(&w, r->device ? r->device->n_cores : (double)NAN);
            ab_csv_f64(&w, pd.share);
            ab_csv_f64(&w, pd.per_w_core);
            ab_csv_f64(&w, pd.per_usd_core);
            ab_csv_str(&w, r->device ? r->device->source : NULL);
            ab_csv_str(&w, note);
            if ((st = ab_csv_end_row(&w)) != AB_OK) {
                st = ab_error_set(err, st, "cannot write '%s/merged.csv'", opt->out_dir);
                goto done;
            }
            sum.n_rows++;
        }
    }

    /* procurement.md and report.html, written by the same calls */
    struct ab__doc doc = {.md = md.fp, .html = html.fp};
    if ((st = write_documents(&doc, opt, runs, n, &sum, err)) != AB_OK)
        goto done;
    if (ferror(md.fp) || ferror(html.fp)) {
        st = ab_error_set(err, AB_EIO, "cannot write '%s/procurement.md' or '%s/report.html'", opt->out_dir,
                          opt->out_dir);
        goto done;
    }
    csv_open = false;
    if ((st = ab_atomic_commit(&csv, err)) != AB_OK)
        goto done;
    /* report.html before procurement.md, as the run report does: the Markdown is the last
     * file to appear, once everything it names is complete. */
    html_open = false;
    if ((st = ab_atomic_commit(&html, err)) != AB_OK)
        goto done;
    md_open = false;
    if ((st = ab_atomic_commit(&md, err)) != AB_OK)
        goto done;
    if (out_sum)
        *out_sum = sum;
done:
    if (csv_open)
        ab_atomic_abort(&csv);
    if (md_open)
        ab_atomic_abort(&md);
    if (html_open)
        ab_atomic_abort(&html);
    for (size_t i = 0; i < n_read; i++)
        ab_results_release(&runs[i].res);
    ab_free(runs);
    return st;
}
