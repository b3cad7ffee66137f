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
 * not a measured power: "per TDP watt" says so in its name. Every NA carries its reason
 * in the row's note.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "archbench/alloc.h"
#include "archbench/plot.h"
#include "archbench/procure.h"
#include "archbench/report.h"
#include "archbench/results.h"

#define PATH_BYTES 4096

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

static enum ab_status make_dir(const char *path, struct ab_error *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ab_error_set(err, AB_EIO, "cannot create '%s': %s", path, strerror(errno));
    return AB_OK;
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
    "rate_per_usd", "catalogue_source", "note",
};
#define N_COLS (sizeof csv_header / sizeof csv_header[0])

/* Per-watt and per-dollar figures of a row, with the reason when NA. */
static void per_device(const struct run_info *r, double rate, double *per_w, double *per_usd, char *note,
                       size_t note_bytes)
{
    *per_w = *per_usd = NAN;
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
    *per_w = rate / r->device->tdp_w;
    *per_usd = rate / r->device->price_usd;
    if (isnan(*per_w) || isnan(*per_usd))
        snprintf(note, note_bytes, "%s%s%sNA: the catalogue has no figure for '%s'",
                 isnan(*per_w) ? "per watt " : "", isnan(*per_w) && isnan(*per_usd) ? "and " : "",
                 isnan(*per_usd) ? "per dollar " : "", r->device->name);
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

/* One line in procurement.md for a figure: the link, or why it is not there. */
static void figure_line(FILE *m, enum ab_status pst, const char *file, const char *title, const struct ab_error *perr,
                        struct ab_merge_summary *sum)
{
    if (pst == AB_OK) {
        fprintf(m, "![%s](plots/%s)\n\n", title, file);
        sum->n_plots++;
    } else {
        fprintf(m, "%s: plot NA (%s)\n\n", title, perr->msg);
        if (!sum->plot_note[0])
            snprintf(sum->plot_note, sizeof sum->plot_note, "%s", perr->msg);
    }
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

static enum ab_status merge_plots(FILE *m, const struct run_info *runs, size_t n, const char *out_dir,
                                  struct ab_merge_summary *sum, struct ab_error *err)
{
    enum ab_status st = AB_OK;
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/plots", out_dir);
    if ((st = make_dir(path, err)) != AB_OK)
        return st;
    const char *why = NULL;
    if (!ab_plot_available(&why)) {
        fprintf(m, "Plots NA: %s.\n\n", why);
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
    fprintf(m, "\n## Plots\n\nThroughput by machine (%s); measured, median of each run.\n\n", mapping);
    for (size_t g = 0; g < n_groups; g++) {
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
        figure_line(m, pst, file, title, &perr, sum);
    }
    fprintf(m, "Roofline per machine, against that machine's own measured peaks (FP32 FMA or INT8 dot probe, "
               "BF16 at 2x the FP32 probe, triad bandwidth) at the thread count.\n\n");
    for (size_t q = 0; q < n_kept; q++) {
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
                figure_line(m, pst, file, title, &perr, sum);
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

enum ab_status ab_merge_runs(const struct ab_merge_options *opt, struct ab_merge_summary *out_sum,
                             struct ab_error *err)
{
    struct ab_merge_summary sum = {0};
    struct ab_atomic_file csv = {0}, md = {0};
    bool csv_open = false, md_open = false;
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

    if ((st = make_dir(opt->out_dir, err)) != AB_OK)
        goto done;
    snprintf(path, sizeof path, "%s/merged.csv", opt->out_dir);
    if ((st = ab_atomic_open(&csv, path, err)) != AB_OK)
        goto done;
    csv_open = true;
    snprintf(path, sizeof path, "%s/procurement.md", opt->out_dir);
    if ((st = ab_atomic_open(&md, path, err)) != AB_OK)
        goto done;
    md_open = true;
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
            double per_w, per_usd;
            char note[512];
            per_device(r, rate, &per_w, &per_usd, note, sizeof note);
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
            ab_csv_f64(&w, per_w);
            ab_csv_f64(&w, r->device ? r->device->price_usd : (double)NAN);
            ab_csv_f64(&w, per_usd);
            ab_csv_str(&w, r->device ? r->device->source : NULL);
            ab_csv_str(&w, note);
            if ((st = ab_csv_end_row(&w)) != AB_OK) {
                st = ab_error_set(err, st, "cannot write '%s/merged.csv'", opt->out_dir);
                goto done;
            }
            sum.n_rows++;
        }
    }

    /* procurement.md */
    FILE *m = md.fp;
    fprintf(m, "# Procurement: %zu machines from %zu runs\n\n", sum.n_machines, n);
    fprintf(m, "A machine is its machine_id; of several runs of one machine the newest (context.json date, then "
               "run_id) is used and the others are listed as superseded, not pooled. %% of bound is against each "
               "machine's own peaks, measured in its own run. Per TDP watt and per dollar divide the measured "
               "throughput by the catalogue device the machine was matched to with --machine-device; TDP is a "
               "rating, not measured power. They divide by the whole device's TDP and price, whatever share of it "
               "the run's threads used: compare machines per watt and per dollar only where each run used the whole "
               "device, or where the device row is itself a share (a per-core row for a VM slice).\n\n");
    fprintf(m, "## Machines\n\n| machine_id | host | CPU model | run_id | date | run folder | catalogue device |\n"
               "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const struct run_info *r = &runs[i];
        if (r->superseded_by >= 0)
            continue;
        fprintf(m, "| %s | %s | %s | %s | %s | %s | %s |\n", r->res.ctx.machine_id, r->hostname, r->cpu_model,
                r->res.ctx.run_id, r->date, r->dir,
                r->device ? r->device->name : "none (per watt, per dollar NA)");
    }
    for (size_t i = 0; i < n; i++) {
        const struct run_info *r = &runs[i];
        if (r->superseded_by >= 0)
            fprintf(m, "\nSuperseded: run %s (%s, %s) of machine %s, by the newer run %s.\n", r->res.ctx.run_id,
                    r->dir, r->date, r->res.ctx.machine_id, runs[r->superseded_by].res.ctx.run_id);
    }
    for (size_t i = 0; i < n; i++) {
        const struct run_info *r = &runs[i];
        if (r->superseded_by >= 0 || !r->device)
            continue;
        char tdp[32], price[32];
        fmt(tdp, sizeof tdp, r->device->tdp_w, 6, "");
        fmt(price, sizeof price, r->device->price_usd, 6, "");
        fprintf(m, "\nDevice of %s: %s (TDP %s W, price %s USD; source: %s; %s).\n", r->res.ctx.machine_id,
                r->device->name, tdp, price, r->device->source, r->device->note);
    }

    fprintf(m, "\n## Throughput per machine\n\nGFLOP/s (GOP/s for INT8 families), median; in brackets %% of that "
               "machine's own roofline bound; per TDP watt and per dollar after the slash where a device is matched. "
               "\"not run\": the machine's run has no such item.\n\n| family | kernel | shape | threads |");
    for (size_t i = 0; i < n; i++)
        if (runs[i].superseded_by < 0)
            fprintf(m, " %s |", runs[i].res.ctx.machine_id);
    fprintf(m, "\n|---|---|---|---|");
    for (size_t i = 0; i < n; i++)
        if (runs[i].superseded_by < 0)
            fprintf(m, "---|");
    fprintf(m, "\n");
    /* Items in order of first appearance over the kept runs. */
    for (size_t i = 0; i < n; i++) {
        if (runs[i].superseded_by >= 0)
            continue;
        for (size_t k = 0; k < runs[i].res.n_rows; k++) {
            const struct ab_result_row *row = &runs[i].res.rows[k];
            if (strcmp(row->key.family, "peak") == 0)
                continue;
            bool seen = false;
            for (size_t p = 0; p < i && !seen; p++)
                seen = runs[p].superseded_by < 0 && ab_results_find(&runs[p].res, &row->key);
            if (seen)
                continue;
            fprintf(m, "| %s | %s | %s | %d |", row->key.family, row->key.kernel, row->key.shape, row->key.threads);
            for (size_t q = 0; q < n; q++) {
                if (runs[q].superseded_by >= 0)
                    continue;
                const struct ab_result_row *o = ab_results_find(&runs[q].res, &row->key);
                if (!o) {
                    fprintf(m, " not run |");
                    continue;
                }
                double rate = o->timed ? rate_of(o) : (double)NAN;
                if (isnan(rate)) {
                    fprintf(m, " NA (%s) |", o->timed ? "no work model" : ab_verdict_name(o->verdict));
                    continue;
                }
                char pct[32], pw[32], pu[32];
                double per_w, per_usd;
                char note[512];
                per_device(&runs[q], rate, &per_w, &per_usd, note, sizeof note);
                fmt(pct, sizeof pct, o->pct_bound, 3, "%");
                fmt(pw, sizeof pw, per_w, 3, "/W");
                fmt(pu, sizeof pu, per_usd, 3, "/$");
                fprintf(m, " %.3g (%s)", rate, pct);
                if (runs[q].device)
                    fprintf(m, " / %s / %s", pw, pu);
                fprintf(m, " |");
            }
            fprintf(m, "\n");
        }
    }

    fprintf(m, "\n## Energy\n\n| machine_id | energy source | why |\n|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const struct run_info *r = &runs[i];
        if (r->superseded_by >= 0)
            continue;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(r->res.ctx.json, "energy");
        fprintf(m, "| %s | %s | %s |\n", r->res.ctx.machine_id, json_str(e, "source"), json_str(e, "reason"));
    }
    fprintf(m, "\nFLOP (OP for INT8 families) per joule per item is in merged.csv (flop_per_j, with energy_source and energy_note); NA "
               "where the machine had no energy counter and no estimate was asked for.\n");
    if ((st = merge_plots(m, runs, n, opt->out_dir, &sum, err)) != AB_OK)
        goto done;
    fprintf(m, "\nReproduce: `archbench merge");
    for (size_t i = 0; i < n; i++)
        fprintf(m, " %s", runs[i].dir);
    for (size_t k = 0; k < opt->n_machine_devices; k++)
        fprintf(m, " --machine-device '%s=%s'", opt->machine_devices[k].machine_id, opt->machine_devices[k].device);
    fprintf(m, " --out %s`.\n", opt->out_dir);
    if (ferror(m)) {
        st = ab_error_set(err, AB_EIO, "cannot write '%s/procurement.md'", opt->out_dir);
        goto done;
    }
    csv_open = false;
    if ((st = ab_atomic_commit(&csv, err)) != AB_OK)
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
    for (size_t i = 0; i < n_read; i++)
        ab_results_release(&runs[i].res);
    ab_free(runs);
    return st;
}
