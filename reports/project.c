/*
 * project.c - `archbench project`: a run's kernels projected onto a catalogue device by
 * the roofline bound.
 *
 * Per verified, timed row with a work model: intensity = flops / bytes; the projected
 * time is max(flops / the device's peak of the row's precision, bytes / the device's
 * bandwidth), the least time the device's stated ceilings allow. That is a bound, not a
 * prediction: real kernels reach a fraction of it, which --efficiency measured carries
 * over from the run (the fraction of its own bound the row reached on the measured
 * machine). Every output row says "projection (roofline bound)"; the run's own figures are
 * in columns named measured_*, the projection's in projected_*.
 *
 * Assumes the row's threads ran on part of the measured machine while the projection is
 * for the whole device; the document says so.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "archbench/procure.h"
#include "archbench/report.h"
#include "archbench/results.h"

#define PATH_BYTES 4096
#define LABEL "projection (roofline bound)"

static enum ab_status make_dir(const char *path, struct ab_error *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ab_error_set(err, AB_EIO, "cannot create '%s': %s", path, strerror(errno));
    return AB_OK;
}

struct projection {
    bool projected;
    double peak;                /* the device peak used, FLOP/s or OP/s */
    const char *peak_column;
    double intensity;
    double compute_s, memory_s, time_s;
    const char *bound;          /* "compute" / "memory" on the device */
    double efficiency;          /* measured fraction of its own bound; NaN when not applied */
    double time_eff_s;
    char note[1024];
};

static void project_row(const struct ab_result_row *row, const struct ab_device *dev, bool want_eff,
                        struct projection *p)
{
    memset(p, 0, sizeof *p);
    p->intensity = p->compute_s = p->memory_s = p->time_s = p->efficiency = p->time_eff_s = NAN;
    p->bound = NULL;
    /* The device peak of the row's precision: FP32 families the FP32 peak, INT8 families
     * the dense INT8 peak, BF16 families the dense FP16/BF16 peak (never the FP32 one: on
     * GPUs the tensor-core figure is 16x it). */
    switch (row->compute_kind) {
    case AB_COMPUTE_INT8:
        p->peak = dev->peak_int8_op_per_s;
        p->peak_column = "peak_int8_op_per_s";
        break;
    case AB_COMPUTE_BF16:
        p->peak = dev->peak_fp16_bf16_flop_per_s;
        p->peak_column = "peak_fp16_bf16_flop_per_s";
        break;
    default:
        p->peak = dev->peak_fp32_flop_per_s;
        p->peak_column = "peak_fp32_flop_per_s";
        break;
    }
    if (row->verdict != AB_VERDICT_PASS && row->verdict != AB_VERDICT_REFERENCE) {
        snprintf(p->note, sizeof p->note, "not projected: verification %s", ab_verdict_name(row->verdict));
        return;
    }
    if (!row->timed) {
        snprintf(p->note, sizeof p->note, "not projected: not timed in the run");
        return;
    }
    if (!(row->flops > 0.0) || !(row->bytes > 0.0)) {
        snprintf(p->note, sizeof p->note, "not projected: the kernel declares no %s", !(row->flops > 0.0) ? "FLOPs" : "bytes");
        return;
    }
    p->intensity = row->flops / row->bytes;
    p->compute_s = row->flops / p->peak;        /* NaN when the peak is not public */
    p->memory_s = row->bytes / dev->mem_bw_bytes_per_s;
    if (isnan(p->compute_s) || isnan(p->memory_s)) {
        snprintf(p->note, sizeof p->note, "not projected: the catalogue has no %s for '%s' (%s)",
                 isnan(p->compute_s) ? p->peak_column : "mem_bw_bytes_per_s", dev->name, dev->note);
        return;
    }
    p->projected = true;
    p->time_s = fmax(p->compute_s, p->memory_s);
    p->bound = p->compute_s >= p->memory_s ? "compute" : "memory";
    if (!want_eff)
        return;
    if (isnan(row->pct_bound)) {
        snprintf(p->note, sizeof p->note, "efficiency not applied: the run has no %% of bound for this row (no peaks)");
    } else if (row->pct_bound > 100.0 || row->implausible) {
        snprintf(p->note, sizeof p->note, "efficiency not applied: the row measured %.1f%% of its bound (implausible)",
                 row->pct_bound);
    } else {
        p->efficiency = row->pct_bound / 100.0;
        p->time_eff_s = p->time_s / p->efficiency;
    }
}

static const char *const csv_header[] = {
    "label", "run_id", "machine_id", "family", "kernel", "variant", "shape", "threads", "verified", "device",
    "measured_median_ns", "measured_rate", "measured_rate_unit", "measured_bound", "measured_pct_bound",
    "flops_per_call", "bytes_per_call", "intensity_per_byte", "device_peak_column", "device_peak_per_s",
    "device_mem_bw_bytes_per_s", "projected_bound", "projected_compute_ns", "projected_memory_ns",
    "projected_time_ns", "projected_efficiency_applied", "projected_time_with_efficiency_ns", "note",
};
#define N_COLS (sizeof csv_header / sizeof csv_header[0])

static double rate_of(const struct ab_result_row *row)
{
    return row->compute_kind == AB_COMPUTE_INT8 ? row->gops : row->gflops;
}

static void fmt_ms(char *out, size_t n, double s)
{
    if (isnan(s))
        snprintf(out, n, "NA");
    else
        snprintf(out, n, "%.4g", s * 1e3);
}

enum ab_status ab_project_run(const struct ab_project_options *opt, struct ab_project_summary *out_sum,
                              struct ab_error *err)
{
    struct ab_results res;
    ab_results_init(&res);
    struct ab_atomic_file csv = {0}, md = {0};
    bool csv_open = false, md_open = false;
    struct ab_project_summary sum = {0};
    const struct ab_device *dev = opt->device;
    char path[PATH_BYTES];
    enum ab_status st = ab_results_read(opt->run_dir, false, &res, err);
    if (st != AB_OK)
        goto done;
    if ((st = make_dir(opt->out_dir, err)) != AB_OK)
        goto done;
    snprintf(path, sizeof path, "%s/projection.csv", opt->out_dir);
    if ((st = ab_atomic_open(&csv, path, err)) != AB_OK)
        goto done;
    csv_open = true;
    snprintf(path, sizeof path, "%s/projection.md", opt->out_dir);
    if ((st = ab_atomic_open(&md, path, err)) != AB_OK)
        goto done;
    md_open = true;

    struct ab_csv_writer w;
    if ((st = ab_csv_begin(&w, csv.fp, csv_header, N_COLS)) != AB_OK) {
        st = ab_error_set(err, st, "cannot write '%s/projection.csv'", opt->out_dir);
        goto done;
    }
    FILE *m = md.fp;
    fprintf(m, "# Projection (roofline bound) of run %s onto %s\n\n", res.ctx.run_id, dev->name);
    fprintf(m, "**Every figure under \"projected\" is a projection (roofline bound), not a measurement.** "
               "It is the least time the device's stated ceilings allow for the work the kernel declares: "
               "max(FLOPs / peak of the row's precision (FP32, dense FP16/BF16 for BF16 families, dense INT8), bytes / memory bandwidth). Real kernels reach a fraction "
               "of it. The measured figures come from machine `%s` at the thread count shown; the projection is for "
               "the whole device.\n\n",
            res.ctx.machine_id);
    fprintf(m, "Device figures (%s, from `%s`; source: %s):\n\n", ab_device_kind_name(dev->kind), dev->origin,
            dev->source);
    fprintf(m, "| figure | value |\n|---|---|\n");
    const struct { const char *name; double v; } figs[] = {
        {"peak_fp32_flop_per_s", dev->peak_fp32_flop_per_s},
        {"peak_fp16_bf16_flop_per_s", dev->peak_fp16_bf16_flop_per_s},
        {"peak_int8_op_per_s", dev->peak_int8_op_per_s},
        {"mem_bw_bytes_per_s", dev->mem_bw_bytes_per_s},
    };
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++) {
        if (isnan(figs[i].v))
            fprintf(m, "| %s | NA |\n", figs[i].name);
        else
            fprintf(m, "| %s | %.4g |\n", figs[i].name, figs[i].v);
    }
    fprintf(m, "\nNote on the device: %s\n\n", dev->note[0] ? dev->note : "none");
    if (opt->efficiency_measured)
        fprintf(m, "`--efficiency measured`: the last column divides the bound by the fraction of its own roofline "
                   "bound each row reached on the measured machine (measured %% of bound / 100), assuming the kernel "
                   "would reach the same fraction on the device. That assumption is not checked.\n\n");
    fprintf(m, "| kernel | shape | threads | measured median ms | measured %% of bound | intensity /B | "
               "projected bound | projected ms (roofline bound)%s | note |\n",
            opt->efficiency_measured ? " | projected ms at measured efficiency" : "");
    fprintf(m, "|---|---|---|---|---|---|---|---|%s---|\n", opt->efficiency_measured ? "---|" : "");

    for (size_t i = 0; i < res.n_rows; i++) {
        const struct ab_result_row *row = &res.rows[i];
        if (strcmp(row->key.family, "peak") == 0)
            continue; /* the run's own ceilings, not kernels */
        struct projection p;
        project_row(row, dev, opt->efficiency_measured, &p);
        sum.n_rows++;
        if (p.projected)
            sum.n_projected++;
        else
            sum.n_skipped++;
        ab_csv_str(&w, LABEL);
        ab_csv_str(&w, res.ctx.run_id);
        ab_csv_str(&w, res.ctx.machine_id);
        ab_csv_str(&w, row->key.family);
        ab_csv_str(&w, row->key.kernel);
        ab_csv_str(&w, row->key.variant);
        ab_csv_str(&w, row->key.shape);
        ab_csv_i64(&w, row->key.threads);
        ab_csv_str(&w, ab_verdict_name(row->verdict));
        ab_csv_str(&w, dev->name);
        ab_csv_f64(&w, row->timed ? row->median_ns : (double)NAN);
        ab_csv_f64(&w, row->timed ? rate_of(row) : (double)NAN);
        ab_csv_str(&w, row->compute_kind == AB_COMPUTE_INT8 ? "GOP/s" : "GFLOP/s");
        ab_csv_str(&w, ab_bound_name(row->bound));
        ab_csv_f64(&w, row->pct_bound);
        ab_csv_f64(&w, row->flops);
        ab_csv_f64(&w, row->bytes);
        ab_csv_f64(&w, p.intensity);
        ab_csv_str(&w, p.peak_column);
        ab_csv_f64(&w, p.peak);
        ab_csv_f64(&w, dev->mem_bw_bytes_per_s);
        ab_csv_str(&w, p.bound); /* NULL: NA */
        ab_csv_f64(&w, p.compute_s * 1e9);
        ab_csv_f64(&w, p.memory_s * 1e9);
        ab_csv_f64(&w, p.time_s * 1e9);
        ab_csv_f64(&w, p.efficiency);
        ab_csv_f64(&w, p.time_eff_s * 1e9);
        ab_csv_str(&w, p.note);
        if ((st = ab_csv_end_row(&w)) != AB_OK) {
            st = ab_error_set(err, st, "cannot write '%s/projection.csv'", opt->out_dir);
            goto done;
        }
        char med[32], proj[32], eff[32], pct[32], ai[32];
        fmt_ms(med, sizeof med, row->timed ? row->median_ns * 1e-9 : (double)NAN);
        fmt_ms(proj, sizeof proj, p.time_s);
        fmt_ms(eff, sizeof eff, p.time_eff_s);
        snprintf(pct, sizeof pct, isnan(row->pct_bound) ? "NA" : "%.1f", row->pct_bound);
        snprintf(ai, sizeof ai, isnan(p.intensity) ? "NA" : "%.3g", p.intensity);
        fprintf(m, "| %s | %s | %d | %s | %s | %s | %s | %s |", row->key.kernel, row->key.shape, row->key.threads,
                med, pct, ai, p.bound ? p.bound : "NA", proj);
        if (opt->efficiency_measured)
            fprintf(m, " %s |", eff);
        fprintf(m, " %s |\n", p.note);
    }
    fprintf(m, "\n%zu rows, %zu projected, %zu not projected (reason in the row). Reproduce: "
               "`archbench project %s --device '%s'%s`.\n",
            sum.n_rows, sum.n_projected, sum.n_skipped, opt->run_dir, dev->name,
            opt->efficiency_measured ? " --efficiency measured" : "");
    if (ferror(m)) {
        st = ab_error_set(err, AB_EIO, "cannot write '%s/projection.md'", opt->out_dir);
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
    ab_results_release(&res);
    return st;
}
