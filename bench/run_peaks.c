/*
 * run_peaks.c - the ceilings every row is compared with: from the probes of this run
 * (peak = the best repetition, as a peak is what the machine can do, with the spread of
 * the repetitions recorded so a figure above the bound by less than that spread is not
 * called implausible), or from an earlier run's context.json (resume, --peaks-from).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "archbench/probe.h"
#include "archbench/report.h"

#include "run_internal.h"

struct ab_result_peak *ab__peaks_slot(struct ab__runner *r, int threads)
{
    struct ab_results_context *ctx = &r->res.ctx;
    for (size_t i = 0; i < ctx->n_peaks; i++)
        if (ctx->peaks[i].threads == threads)
            return &ctx->peaks[i];
    if (ctx->n_peaks == AB_RESULTS_MAX_THREADS)
        return NULL;
    struct ab_result_peak *p = &ctx->peaks[ctx->n_peaks++];
    *p = (struct ab_result_peak){threads, NA_F64, NA_F64, NA_F64, NA_F64, NA_F64, NA_F64, NA_F64, NA_F64, false};
    return p;
}

void ab__peaks_record(struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc,
                      const struct ab_result_row *row)
{
    if (!row->timed || row->verdict != AB_VERDICT_PASS || row->n_samples == 0)
        return;
    struct ab_result_peak *p = ab__peaks_slot(r, it->threads);
    if (!p)
        return;
    double best = INFINITY;
    for (size_t s = 0; s < row->n_samples; s++)
        if (row->samples[s].time_ns > 0.0 && row->samples[s].time_ns < best)
            best = row->samples[s].time_ns;
    if (!isfinite(best))
        return;
    double spread = (row->median_ns - best) / best;
    bool memory = false;
    double *dst = NULL, *dst_spread = NULL;
    switch ((enum ab_probe_kind)pc->shape.v[0]) {
    case AB_PROBE_FP32_FMA:
        dst = &p->fp32_gflops, dst_spread = &p->fp32_spread;
        break;
    case AB_PROBE_INT8_DOT:
        dst = &p->int8_gops, dst_spread = &p->int8_spread;
        break;
    case AB_PROBE_MEM_READ:
        dst = &p->read_gbytes_per_s, dst_spread = &p->read_spread, memory = true;
        break;
    case AB_PROBE_MEM_TRIAD:
        dst = &p->triad_gbytes_per_s, dst_spread = &p->triad_spread, memory = true;
        break;
    case AB_PROBE_KIND_COUNT:
        return;
    }
    double rate = (memory ? row->bytes : row->flops) / best;
    /* A re-measurement keeps the better figure: a peak is a best case. */
    if (isnan(*dst) || rate > *dst) {
        *dst = rate;
        *dst_spread = spread;
    }
}

/* Peaks from an earlier run's context.json, by the results model's rules. */
enum ab_status ab__peaks_load(struct ab__runner *r, const char *path, struct ab_error *err)
{
    cJSON *root = NULL;
    enum ab_status st = ab_json_read_file(path, &root, err);
    if (st == AB_OK)
        st = ab_results_peaks_read(root, path, &r->res.ctx, err);
    cJSON_Delete(root);
    return st;
}
