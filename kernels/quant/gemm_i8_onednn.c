/*
 * gemm_i8_onednn.c - oneDNN's integer GEMM as the INT8 baseline: activations quantised
 * per token with the family's scalar quantiser (so the integer products are the
 * reference's) and shifted to u8, the product by dnnl_gemm_u8s8s32 with the shift given
 * back as the A offset (ao = 128: (x + 128 - 128) . w, exact), then the family's epilogue
 * (dequantise with per-token and per-channel scales, bias, optional requantisation).
 * u8s8s32, not s8s8s32: with the weights as stored (n x k, so B transposed) oneDNN 2.6's
 * s8s8s32 runs at ~465 GOP/s here against ~800 for u8s8s32 in either layout (1024^3, one
 * thread). The quantiser and epilogue are plain C and part of the measured time, as the
 * same steps are in archbench's own variants: this row is "oneDNN's GEMM plus the glue a
 * user writes", not oneDNN's GEMM alone.
 */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>

#include "archbench/cpu.h"
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
    uint8_t *xu = exec->workspace;
    float *sx = (float *)((char *)exec->workspace + xq_bytes);
    int32_t *acc = (int32_t *)((char *)exec->workspace + xq_bytes + sx_bytes);
    const float *x_scale = a->x ? sx : a->x_scale;
    int nt = exec->n_threads;
    /* The glue, row-parallel on the team and written so that the compiler vectorises it
     * (this file is built with the AVX-512 flags): the same arithmetic as
     * ab_i8_quantize_row and ab__i8_dequant, bit for bit (x > y ? x : y is fmaxf for
     * numbers; rintf is rintf). */
#pragma omp parallel for num_threads(nt) schedule(static)
    for (size_t i = 0; i < m; i++) {
        uint8_t *row = xu + i * k;
        if (a->x) {
            const float *x = a->x + i * a->ldx;
            float amax = 0.0f;
            for (size_t p = 0; p < k; p++) {
                float v = fabsf(x[p]);
                amax = v > amax ? v : amax;
            }
            float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
            for (size_t p = 0; p < k; p++) {
                float v = x[p] * inv;
                v = v > -127.0f ? v : -127.0f;
                v = v < 127.0f ? v : 127.0f;
                row[p] = (uint8_t)((int)rintf(v) + 128);
            }
            sx[i] = amax / 127.0f;
        } else {
            const int8_t *q = a->x_q + i * a->ldx;
            for (size_t p = 0; p < k; p++)
                row[p] = (uint8_t)(q[p] + 128);
        }
    }
    int saved = omp_get_max_threads();
    omp_set_num_threads(nt);
    const int32_t zero = 0;
    dnnl_status_t ds = dnnl_gemm_u8s8s32('N', 'T', 'F', (dnnl_dim_t)m, (dnnl_dim_t)n, (dnnl_dim_t)k, 1.0f, xu,
                                         (dnnl_dim_t)k, 128, a->w->q, (dnnl_dim_t)k, 0, 0.0f, acc, (dnnl_dim_t)n, &zero);
    omp_set_num_threads(saved);
    if (ds != dnnl_success)
        return AB_EINVAL;
    float inv_out = a->out == AB_I8_OUT_S8 ? 1.0f / a->out_scale : 0.0f;
    const float *ws = a->w->scale, *bias = a->bias;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (size_t i = 0; i < m; i++) {
        const int32_t *in = acc + i * n;
        float s = x_scale[i];
        switch (a->out) {
        case AB_I8_OUT_F32: {
            float *y = (float *)a->y + i * a->ldy;
            if (bias)
                for (size_t j = 0; j < n; j++)
                    y[j] = ((float)in[j] * s) * ws[j] + bias[j];
            else
                for (size_t j = 0; j < n; j++)
                    y[j] = ((float)in[j] * s) * ws[j];
            break;
        }
        case AB_I8_OUT_S8: {
            int8_t *y = (int8_t *)a->y + i * a->ldy;
            for (size_t j = 0; j < n; j++) {
                float v = ab__i8_dequant(in[j], s, ws[j], bias, j) * inv_out;
                v = v > -127.0f ? v : -127.0f;
                v = v < 127.0f ? v : 127.0f;
                y[j] = (int8_t)rintf(v);
            }
            break;
        }
        case AB_I8_OUT_S32:
        case AB_I8_OUT_COUNT:
        default:
            memcpy((int32_t *)a->y + i * a->ldy, in, n * sizeof *in);
            break;
        }
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_gemm_i8_onednn;
const struct ab_kernel ab__kernel_gemm_i8_onednn = {
    .name = "gemm_i8_onednn",
    .family = &ab_family_gemm_i8,
    .variant = "onednn",
    .doc = "oneDNN dnnl_gemm_u8s8s32 (A offset 128) with the family's scalar quantiser and epilogue",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.gemm_i8 = gemm_i8_onednn,
    .supports = NULL,
    .workspace_bytes = onednn_workspace,
    .flops = ab__gemm_i8_flops,
    .bytes = ab__gemm_i8_bytes,
    .tol = AB__I8_TOL,
};
