/*
 * gemm_i8_ref.c - the reference W8A8 GEMM: quantise each activation row with the
 * scalar quantiser, exact int64 dot products against the row-major int8 weights, then
 * the family's dequantisation / requantisation formula (quant.h). Single threaded and
 * independent of the packed layout, so it checks the packing too.
 */
#include <math.h>

#include "archbench/quant.h"

#include "quant_impl.h"

static size_t ref_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)n_threads;
    return AB__ALIGN_UP((size_t)shape->v[AB__I8_K], AB_ALIGN_BYTES);
}

static enum ab_status gemm_i8_ref(const struct ab_gemm_i8_args *a, const struct ab_exec *exec)
{
    enum ab_status st = ab__gemm_i8_check_args(a, exec);
    if (st != AB_OK)
        return st;
    if (a->x && (!exec->workspace || exec->workspace_bytes < a->k))
        return AB_EINVAL;
    int8_t *row_q = exec->workspace;
    float inv_out = a->out == AB_I8_OUT_S8 ? 1.0f / a->out_scale : 0.0f;
    for (size_t i = 0; i < a->m; i++) {
        const int8_t *xq;
        float sx;
        if (a->x) {
            sx = ab_i8_quantize_row(a->x + i * a->ldx, a->k, row_q);
            xq = row_q;
        } else {
            xq = a->x_q + i * a->ldx;
            sx = a->x_scale[i];
        }
        for (size_t j = 0; j < a->n; j++) {
            const int8_t *wq = a->w->q + j * a->k;
            int64_t acc = 0;
            for (size_t p = 0; p < a->k; p++)
                acc += (int64_t)xq[p] * (int64_t)wq[p];
            int32_t acc32 = (int32_t)acc; /* exact: |acc| < 2^31 for k <= AB__I8_K_MAX */
            size_t at = i * a->ldy + j;
            switch (a->out) {
            case AB_I8_OUT_F32:
                ((float *)a->y)[at] = ab__i8_dequant(acc32, sx, a->w->scale[j], a->bias, j);
                break;
            case AB_I8_OUT_S8: {
                float y = ab__i8_dequant(acc32, sx, a->w->scale[j], a->bias, j);
                ((int8_t *)a->y)[at] = (int8_t)rintf(fminf(fmaxf(y * inv_out, -127.0f), 127.0f));
                break;
            }
            case AB_I8_OUT_S32:
            case AB_I8_OUT_COUNT:
            default:
                ((int32_t *)a->y)[at] = acc32;
                break;
            }
        }
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_gemm_i8_ref;
const struct ab_kernel ab__kernel_gemm_i8_ref = {
    .name = "gemm_i8_ref",
    .family = &ab_family_gemm_i8,
    .variant = "ref",
    .doc = "scalar quantiser, exact int64 dot products on row-major int8 weights (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.gemm_i8 = gemm_i8_ref,
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ab__gemm_i8_flops,
    .bytes = ab__gemm_i8_bytes,
    .tol = AB__I8_TOL,
};
