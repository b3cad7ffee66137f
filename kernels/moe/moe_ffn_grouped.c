/*
 * moe_ffn_grouped.c - MoE layer body as grouped GEMMs:
 *   1. dispatch (moe_dispatch.c): a counting sort of the kept (token, slot) pairs by
 *      expert gives every expert a contiguous block of rows; token rows are gathered
 *      into that order (Xp);
 *   2. per expert, per block of up to MB rows: H = Xp W13^T (one GEMM for gate and up
 *      projections), the activation in place, Yp = act(H) W2^T, each GEMM by the
 *      project's best FP32 GEMM with all threads (weights used as stored, trans_b);
 *   3. combine (moe_dispatch.c): y_t = sum over its kept slots, in slot order, of
 *      weight * Yp row, a gather per token (deterministic, no atomics).
 * Routing is an input (moe_route computes it); only dispatch, experts and combine are
 * timed here.
 */
#include <math.h>
#include <string.h>

#include "archbench/gemm.h"
#include "archbench/moe.h"

#include "moe_impl.h"

/* Rows per expert GEMM block: bounds H, keeps it in L2/L3. */
#define MB 256

struct layout {
    size_t counts, rows, slot_row, xp, yp, h, gemm, total, gemm_bytes;
};

static struct layout plan_layout(size_t n_t, size_t d, size_t f, size_t n_e, size_t k, bool swiglu, int nth)
{
    struct layout l;
    size_t r = n_t * k, hc = swiglu ? 2 * f : f;
    size_t g1 = ab_gemm_f32_workspace_bytes(MB, hc, d, true, nth), g2 = ab_gemm_f32_workspace_bytes(MB, d, f, true, nth);
    l.gemm_bytes = g1 > g2 ? g1 : g2;
    l.counts = 0;
    l.rows = l.counts + AB__MOE_ALIGN_UP((n_e + 1) * sizeof(size_t), AB_ALIGN_BYTES);
    l.slot_row = l.rows + AB__MOE_ALIGN_UP(r * sizeof(int32_t), AB_ALIGN_BYTES);
    l.xp = l.slot_row + AB__MOE_ALIGN_UP(r * sizeof(int32_t), AB_ALIGN_BYTES);
    l.yp = l.xp + AB__MOE_ALIGN_UP(r * d * sizeof(float), AB_ALIGN_BYTES);
    l.h = l.yp + AB__MOE_ALIGN_UP(r * d * sizeof(float), AB_ALIGN_BYTES);
    l.gemm = l.h + AB__MOE_ALIGN_UP((size_t)MB * hc * sizeof(float), AB_ALIGN_BYTES);
    l.total = l.gemm + l.gemm_bytes;
    return l;
}

static size_t grouped_workspace(const struct ab_shape *s, int n_threads)
{
    return plan_layout((size_t)s->v[AB__FF_TOKENS], (size_t)s->v[AB__FF_D_MODEL], (size_t)s->v[AB__FF_D_FF],
                       (size_t)s->v[AB__FF_EXPERTS], (size_t)s->v[AB__FF_K], s->v[AB__FF_ACT] == AB_MOE_ACT_SWIGLU,
                       n_threads)
        .total;
}

static float silu(float v)
{
    return v / (1.0f + expf(-v));
}

static float gelu(float v)
{
    return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
}

static enum ab_status moe_ffn_grouped(const struct ab_moe_ffn_args *a, const struct ab_exec *exec)
{
    if (!a || !exec || exec->n_threads < 1 || !a->x || !a->w13 || !a->w2 || !a->y || !a->route.expert ||
        a->route.k < 1 || a->route.n_tokens != a->n_tokens || a->n_experts < 1)
        return AB_EINVAL;
    size_t n_t = a->n_tokens, d = a->d_model, f = a->d_ff, n_e = a->n_experts, k = (size_t)a->route.k;
    bool swiglu = a->act == AB_MOE_ACT_SWIGLU;
    size_t hc = swiglu ? 2 * f : f;
    int nth = exec->n_threads;
    struct layout l = plan_layout(n_t, d, f, n_e, k, swiglu, nth);
    if (!exec->workspace || exec->workspace_bytes < l.total)
        return AB_EINVAL;
    char *ws = exec->workspace;
    size_t *off = (size_t *)(void *)(ws + l.counts);
    int32_t *rows = (int32_t *)(void *)(ws + l.rows), *slot_row = (int32_t *)(void *)(ws + l.slot_row);
    float *xp = (float *)(void *)(ws + l.xp), *yp = (float *)(void *)(ws + l.yp), *h = (float *)(void *)(ws + l.h);
    struct ab_exec gexec = {.n_threads = nth, .workspace = l.gemm_bytes ? ws + l.gemm : NULL,
                            .workspace_bytes = l.gemm_bytes};

    /* 1. dispatch */
    enum ab_status st = ab__moe_dispatch(&a->route, n_e, off, rows, slot_row);
    if (st != AB_OK)
        return st;
    size_t n_rows = off[n_e];
#pragma omp parallel for num_threads(nth) schedule(static)
    for (size_t r = 0; r < n_rows; r++)
        memcpy(xp + r * d, a->x + (size_t)rows[r] * d, d * sizeof(float));

    /* 2. experts */
    for (size_t e = 0; e < n_e; e++) {
        const float *w13 = a->w13 + e * hc * d, *w2 = a->w2 + e * d * f;
        for (size_t r0 = off[e]; r0 < off[e + 1]; r0 += MB) {
            size_t mb = off[e + 1] - r0 < MB ? off[e + 1] - r0 : MB;
            struct ab_gemm_f32_args g1 = {
                .m = mb, .n = hc, .k = d, .a = xp + r0 * d, .lda = d, .b = w13, .ldb = d, .trans_b = true,
                .c = h, .ldc = hc, .alpha = 1.0f, .beta = 0.0f,
            };
            st = ab_gemm_f32(&g1, &gexec);
            if (st != AB_OK)
                return st;
#pragma omp parallel for num_threads(nth) schedule(static)
            for (size_t i = 0; i < mb; i++) {
                float *hr = h + i * hc;
                if (swiglu)
                    for (size_t j = 0; j < f; j++)
                        hr[j] = silu(hr[j]) * hr[f + j];
                else
                    for (size_t j = 0; j < f; j++)
                        hr[j] = gelu(hr[j]);
            }
            struct ab_gemm_f32_args g2 = {
                .m = mb, .n = d, .k = f, .a = h, .lda = hc, .b = w2, .ldb = f, .trans_b = true,
                .c = yp + r0 * d, .ldc = d, .alpha = 1.0f, .beta = 0.0f,
            };
            st = ab_gemm_f32(&g2, &gexec);
            if (st != AB_OK)
                return st;
        }
    }

    /* 3. combine */
    ab__moe_combine(&a->route, slot_row, yp, d, a->y, nth);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_ffn_grouped;
const struct ab_kernel ab__kernel_moe_ffn_grouped = {
    .name = "moe_ffn_grouped",
    .family = &ab_family_moe_ffn,
    .variant = "grouped",
    .doc = "counting-sort dispatch, per-expert blocked GEMMs with the best FP32 GEMM, gather combine",
    .isa_needs = 0,
    .is_ref = false,
    .fn.moe_ffn = moe_ffn_grouped,
    .supports = NULL,
    .workspace_bytes = grouped_workspace,
    .flops = ab__moe_ffn_flops,
    .bytes = ab__moe_ffn_bytes,
    .tol = AB__FFN_TOL,
};
