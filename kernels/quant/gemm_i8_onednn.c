/*
 * gemm_i8_onednn.c - oneDNN's dnnl_gemm_s8s8s32 as the INT8 baseline: activations
 * quantised per token with the family's scalar quantiser (so the integer products are
 * the reference's), the s8 x s8 -> s32 product by oneDNN, then the family's epilogue
 * (dequantise with per-token and per-channel scales, bias, optional requantisation).
 * That is what a user of oneDNN's GEMM would have to write around it; the epilogue is
 * part of the measured time, as it is in archbench's own variants.
 */
#include <math.h>
#include <omp.h>
#include <stdint.h>

#include <oneapi/dnnl/dnnl.h>

#include "archbench/quant.h"

#include "quant_impl.h"

/* Workspace: quantised activations m x k, their scales m, the s32 product m x n. */
static size_t onednn_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    size_t m = (size_t)s->v[AB__I8_M], n = (size_t)s->v[AB__I8_N], k = (size_t)s->v[AB__I8_K];
    size_t xq = (m * k + 63) & ~(size_t)63;
    size_t sx = (m * sizeof(float) + 63) & ~(size_t)63;
    return xq + sx + m * n * sizeof(int32_t);
}

static enum ab_status gemm_i8_onednn(const struct ab_gemm_i8_args *a, const struct ab_exec *exec)
{
    enum ab_status st = ab__gemm_i8_check_args(a, exec);
    if (st != AB_OK)
        return st;
    size_t m = a->m, n = a->n, k = a->k;
    size_t xq_bytes = (m * k + 63) & ~(size_t)63, sx_bytes = (m * sizeof(float) + 63) & ~(size_t)63;
    if (!exec->workspace || exec->workspace_bytes < xq_bytes + sx_bytes + m * n * sizeof(int32_t))
        return AB_EINVAL;
    int8_t *xq = exec->workspace;
    float *sx = (float *)((char *)exec->workspace + xq_bytes);
    int32_t *acc = (int32_t *)((char *)exec->workspace + xq_bytes + sx_bytes);
    const int8_t *x_rows = a->x_q;
    size_t ldx = a->ldx;
    const float *x_scale = a->x_scale;
    if (a->x) {
        for (size_t i = 0; i < m; i++)
            sx[i] = ab_i8_quantize_row(a->x + i * a->ldx, k, xq + i * k);
        x_rows = xq;
        ldx = k;
        x_scale = sx;
    }
    int saved = omp_get_max_threads();
    omp_set_num_threads(exec->n_threads);
    const int32_t zero = 0;
    dnnl_status_t ds = dnnl_gemm_s8s8s32('N', 'T', 'F', (dnnl_dim_t)m, (dnnl_dim_t)n, (dnnl_dim_t)k, 1.0f, x_rows,
                                         (dnnl_dim_t)ldx, 0, a->w->q, (dnnl_dim_t)k, 0, 0.0f, acc, (dnnl_dim_t)n, &zero);
    omp_set_num_threads(saved);
    if (ds != dnnl_success)
        return AB_EINVAL;
    float inv_out = a->out == AB_I8_OUT_S8 ? 1.0f / a->out_scale : 0.0f;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            int32_t v = acc[i * n + j];
            size_t at = i * a->ldy + j;
            switch (a->out) {
            case AB_I8_OUT_F32:
                ((float *)a->y)[at] = ab__i8_dequant(v, x_scale[i], a->w->scale[j], a->bias, j);
                break;
            case AB_I8_OUT_S8: {
                float y = ab__i8_dequant(v, x_scale[i], a->w->scale[j], a->bias, j);
                ((int8_t *)a->y)[at] = (int8_t)rintf(fminf(fmaxf(y * inv_out, -127.0f), 127.0f));
                break;
            }
            case AB_I8_OUT_S32:
            case AB_I8_OUT_COUNT:
            default:
                ((int32_t *)a->y)[at] = v;
                break;
            }
        }
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_gemm_i8_onednn;
const struct ab_kernel ab__kernel_gemm_i8_onednn = {
    .name = "gemm_i8_onednn",
    .family = &ab_family_gemm_i8,
    .variant = "onednn",
    .doc = "oneDNN dnnl_gemm_s8s8s32 with the family's quantiser and epilogue, the vendor-library baseline",
    .isa_needs = 0,
    .is_ref = false,
    .fn.gemm_i8 = gemm_i8_onednn,
    .supports = NULL,
    .workspace_bytes = onednn_workspace,
    .flops = ab__gemm_i8_flops,
    .bytes = ab__gemm_i8_bytes,
    .tol = AB__I8_TOL,
};
