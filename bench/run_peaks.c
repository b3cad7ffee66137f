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

/* Peaks from an earlier run's context.json, read through the results reader's rules
 * (numbers positive and finite, thread counts integral). */
enum ab_status ab__peaks_load(struct ab__runner *r, const char *path, struct ab_error *err)
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
    static const char *const names[8] = {"fp32_fma_gflops", "int8_dot_gops",   "mem_read_gbytes_per_s",
                                         "mem_triad_gbytes_per_s", "fp32_fma_spread", "int8_dot_spread",
                                         "mem_read_spread", "mem_triad_spread"};
    size_t index = 0;
    const cJSON *p;
    st = AB_OK;
    cJSON_ArrayForEach(p, peaks)
    {
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(p, "threads");
        if (!cJSON_IsNumber(th) || !(th->valuedouble >= 1.0 && th->valuedouble <= 4096.0) ||
            th->valuedouble != floor(th->valuedouble)) {
            st = ab_error_set(err, AB_EPARSE, "'%s': peaks[%zu].threads is not a thread count", path, index);
            break;
        }
        struct ab_result_peak *slot = ab__peaks_slot(r, (int)th->valuedouble);
        if (!slot) {
            st = ab_error_set(err, AB_EPARSE, "'%s': more than %d entries in \"peaks\"", path, AB_RESULTS_MAX_THREADS);
            break;
        }
        double *dst[8] = {&slot->fp32_gflops, &slot->int8_gops, &slot->read_gbytes_per_s, &slot->triad_gbytes_per_s,
                          &slot->fp32_spread, &slot->int8_spread, &slot->read_spread,       &slot->triad_spread};
        for (int i = 0; i < 8 && st == AB_OK; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, names[i]);
            if (cJSON_IsNumber(v)) {
                bool ok = isfinite(v->valuedouble) && (i < 4 ? v->valuedouble > 0.0 : v->valuedouble >= 0.0);
                if (!ok)
                    st = ab_error_set(err, AB_EPARSE, "'%s': peaks[%zu].%s = %g is not a %s figure", path, index,
                                      names[i], v->valuedouble, i < 4 ? "positive" : "non-negative");
                else
                    *dst[i] = v->valuedouble;
            } else if (v && !(cJSON_IsString(v) && strcmp(v->valuestring, "NA") == 0)) {
                st = ab_error_set(err, AB_EPARSE, "'%s': peaks[%zu].%s is neither a number nor \"NA\"", path, index,
                                  names[i]);
            }
        }
        if (st != AB_OK)
            break;
        index++;
    }
    cJSON_Delete(root);
    if (st == AB_OK)
        r->peaks_fixed = true;
    return st;
}
