/*
 * probe_ref.c - reference probes in plain C. fmaf() makes each FMA chain bit-identical
 * to the vector one; integer sums wrap through uint32_t as vpdpbusd/vpaddd do.
 */
#include <math.h>
#include <stdint.h>

#include "archbench/probe.h"

#include "probe_impl.h"

static enum ab_status probe_ref(const struct ab_probe_args *a, const struct ab_exec *exec)
{
    (void)exec;
    switch (a->kind) {
    case AB_PROBE_FP32_FMA:
        /* Every block starts from the same inputs: compute one, copy it to the others
         * (the optimized probe computes every block, and each is checked). */
        for (size_t l = 0; l < AB_PROBE_LANES; l++) {
            if (l >= AB_PROBE_BLOCK_LANES) {
                a->f_out[l] = a->f_out[l % AB_PROBE_BLOCK_LANES];
                continue;
            }
            float x = a->f_in[l];
            for (size_t r = 0; r < a->n; r++)
                x = fmaf(x, AB_PROBE_FMA_C, AB_PROBE_FMA_D);
            a->f_out[l] = x;
        }
        return AB_OK;
    case AB_PROBE_INT8_DOT:
        for (size_t l = 0; l < AB_PROBE_LANES; l++) {
            uint32_t dot = 0;
            size_t in = 4 * (l % AB_PROBE_DOT_INPUT_LANES);
            for (size_t t = 0; t < 4; t++)
                dot += (uint32_t)((int32_t)a->u8_in[in + t] * (int32_t)a->s8_in[in + t]);
            /* n rounds of acc += dot, wrapping like the int32 lanes of vpdpbusd. */
            a->i32_out[l] = (int32_t)(uint32_t)((uint64_t)dot * (uint64_t)a->n);
        }
        return AB_OK;
    case AB_PROBE_MEM_READ: {
        uint32_t s = 0;
        for (size_t i = 0; i < a->n; i++)
            s += (uint32_t)a->i32_in[i];
        *a->i32_out = (int32_t)s;
        return AB_OK;
    }
    case AB_PROBE_MEM_TRIAD:
        for (size_t i = 0; i < a->n; i++)
            a->f_out[i] = fmaf(AB_PROBE_TRIAD_S, a->f_in[i], a->f_in2[i]);
        return AB_OK;
    case AB_PROBE_KIND_COUNT:
        break;
    }
    return AB_EINVAL;
}

extern const struct ab_kernel ab__kernel_peak_ref;
const struct ab_kernel ab__kernel_peak_ref = {
    .name = "peak_ref",
    .family = &ab_family_peak,
    .variant = "ref",
    .doc = "plain C probes (the oracle; not a peak)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.probe = probe_ref,
    .supports = NULL,
    .workspace_bytes = ab__probe_no_workspace,
    .flops = ab__probe_flops,
    .bytes = ab__probe_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
