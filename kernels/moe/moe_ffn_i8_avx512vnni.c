/*
 * moe_ffn_i8_avx512vnni.c - INT8 MoE layer body (moe.h) on the W8A8 VNNI GEMM:
 *   1. dispatch (moe_dispatch.c) and a gather of the dispatched token rows (Xp, float);
 *   2. per expert, per block of up to MB rows: H = ab_gemm_i8(Xp block, W13 of the
 *      expert), which quantises the rows per token inside the call (bit for bit the
 *      scalar quantiser) and dequantises to float with quant.h's formula; then
 *      G = silu(H1) * H3 or gelu(H) with the AVX-512 vector exp / erf (moe_act_avx512.h),
 *      in place; then Yp block = ab_gemm_i8(G, W2), G quantised per token in the call;
 *   3. combine (moe_dispatch.c).
 * The GEMMs are the gemm_i8 family's best variant (gemm_i8_avx512vnni here: vpdpbusd
 * with +128 compensation, weights packed once when the case is built), reused through
 * ab_gemm_i8 rather than copied. Unlike FP32 (moe_ffn_avx512), per-expert calls are
 * cheap here: INT8 weights are already packed, so a call only quantises its rows.
 * Quantising Xp per dispatched row rather than per token repeats the quantisation k
 * times (identical results); it is O(rows * d_model), next to O(rows * d_model * d_ff).
 */
#include <immintrin.h>
#include <string.h>

#include "archbench/cpu.h"
#include "archbench/moe.h"
#include "archbench/quant.h"

#include "moe_act_avx512.h"
#include "moe_impl.h"

/* Rows per expert block: bounds H (MB x 2 d_ff floats, 5.8 MB at d_ff 2816). */
#define MB 256

struct layout {
    size_t off, rows, slot_row, xp, yp, h, gemm, total, gemm_bytes;
};

static struct layout plan_layout(size_t n_t, size_t d, size_t f, size_t n_e, size_t k, bool swiglu, int nth)
{
    struct layout l;
    size_t r = n_t * k, hc = swiglu ? 2 * f : f;
    size_t g1 = ab_gemm_i8_workspace_bytes(MB, hc, d, nth), g2 = ab_gemm_i8_workspace_bytes(MB, d, f, nth);
    l.gemm_bytes = AB__MOE_ALIGN_UP(g1 > g2 ? g1 : g2, AB_ALIGN_BYTES);
    l.off = 0;
    l.rows = l.off + AB__MOE_ALIGN_UP((n_e + 1) * sizeof(size_t), AB_ALIGN_BYTES);
    l.slot_row = l.rows + AB__MOE_ALIGN_UP(r * sizeof(int32_t), AB_ALIGN_BYTES);
    l.xp = l.slot_row + AB__MOE_ALIGN_UP(r * sizeof(int32_t), AB_ALIGN_BYTES);
    l.yp = l.xp + AB__MOE_ALIGN_UP(r * d * sizeof(float), AB_ALIGN_BYTES);
    l.h = l.yp + AB__MOE_ALIGN_UP(r * d * sizeof(float), AB_ALIGN_BYTES);
    l.gemm = l.h + AB__MOE_ALIGN_UP((size_t)MB * hc * sizeof(float), AB_ALIGN_BYTES);
    l.total = l.gemm + l.gemm_bytes;
    return l;
}

static size_t vnni_workspace(const struct ab_shape *s, int n_threads)
{
    return plan_layout((size_t)s->v[AB__FF_TOKENS], (size_t)s->v[AB__FF_D_MODEL], (size_t)s->v[AB__FF_D_FF],
                       (size_t)s->v[AB__FF_EXPERTS], (size_t)s->v[AB__FF_K], s->v[AB__FF_ACT] == AB_MOE_ACT_SWIGLU,
                       n_threads < 1 ? 1 : n_threads)
        .total;
}

/* g[j] = act(h[j]) (* h[f + j]) for one row, vectorised, in place */
static void activate_row(float *h, size_t f, bool swiglu)
{
    for (size_t j = 0; j < f; j += 16) {
        __mmask16 m = f - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (f - j)) - 1u);
        __m512 v = _mm512_maskz_loadu_ps(m, h + j);
        __m512 g = swiglu ? _mm512_mul_ps(ab__silu_ps(v), _mm512_maskz_loadu_ps(m, h + f + j)) : ab__gelu_ps(v);
        _mm512_mask_storeu_ps(h + j, m, g);
    }
}

static enum ab_status moe_ffn_i8_vnni(const struct ab_moe_ffn_i8_args *a, const struct ab_exec *exec)
{
    if (!a || !exec || exec->n_threads < 1 || !a->x || !a->w13 || !a->w2 || !a->y || !a->route.expert ||
        !a->route.keep || !a->route.weight || a->route.k < 1 || a->route.n_tokens != a->n_tokens ||
        a->n_experts < 1 || a->d_model < 1 || a->d_ff < 1)
        return AB_EINVAL;
    size_t n_t = a->n_tokens, d = a->d_model, f = a->d_ff, n_e = a->n_experts, k = (size_t)a->route.k;
    bool swiglu = a->act == AB_MOE_ACT_SWIGLU;
    size_t hc = swiglu ? 2 * f : f;
    int nth = exec->n_threads;
    struct layout l = plan_layout(n_t, d, f, n_e, k, swiglu, nth);
    if (!exec->workspace || exec->workspace_bytes < l.total || (uintptr_t)exec->workspace % AB_ALIGN_BYTES != 0)
        return AB_EINVAL;
    for (size_t e = 0; e < n_e; e++)
        if (!a->w13[e] || !a->w2[e] || a->w13[e]->n != hc || a->w13[e]->k != d || a->w2[e]->n != d ||
            a->w2[e]->k != f)
            return AB_EINVAL;
    char *ws = exec->workspace;
    size_t *off = (size_t *)(void *)(ws + l.off);
    int32_t *rows = (int32_t *)(void *)(ws + l.rows), *slot_row = (int32_t *)(void *)(ws + l.slot_row);
    float *xp = (float *)(void *)(ws + l.xp), *yp = (float *)(void *)(ws + l.yp), *h = (float *)(void *)(ws + l.h);
    struct ab_exec gexec = {.n_threads = nth, .workspace = ws + l.gemm, .workspace_bytes = l.gemm_bytes};

    enum ab_status st = ab__moe_dispatch(&a->route, n_e, off, rows, slot_row);
    if (st != AB_OK)
        return st;
    size_t n_rows = off[n_e];
#pragma omp parallel for num_threads(nth) schedule(static)
    for (size_t r = 0; r < n_rows; r++)
        memcpy(xp + r * d, a->x + (size_t)rows[r] * d, d * sizeof(float));

    for (size_t e = 0; e < n_e; e++) {
        for (size_t r0 = off[e]; r0 < off[e + 1]; r0 += MB) {
            size_t mb = off[e + 1] - r0 < MB ? off[e + 1] - r0 : MB;
            struct ab_gemm_i8_args g1 = {
                .m = mb, .n = hc, .k = d, .x = xp + r0 * d, .ldx = d, .w = a->w13[e], .out = AB_I8_OUT_F32,
                .y = h, .ldy = hc,
            };
            if ((st = ab_gemm_i8(&g1, &gexec)) != AB_OK)
                return st;
#pragma omp parallel for num_threads(nth) schedule(static)
            for (size_t i = 0; i < mb; i++)
                activate_row(h + i * hc, f, swiglu);
            struct ab_gemm_i8_args g2 = {
                .m = mb, .n = d, .k = f, .x = h, .ldx = hc, .w = a->w2[e], .out = AB_I8_OUT_F32,
                .y = yp + r0 * d, .ldy = d,
            };
            if ((st = ab_gemm_i8(&g2, &gexec)) != AB_OK)
                return st;
        }
    }
    ab__moe_combine(&a->route, slot_row, yp, d, a->y, nth);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_ffn_i8_avx512vnni;
const struct ab_kernel ab__kernel_moe_ffn_i8_avx512vnni = {
    .name = "moe_ffn_i8_avx512vnni",
    .family = &ab_family_moe_ffn_i8,
    .variant = "avx512vnni",
    .doc = "dispatch, per-expert W8A8 VNNI GEMMs (quantise rows in the call), vector SiLU/GELU, gather combine",
    .isa_needs = AB_ISA_AVX512VNNI,
    .is_ref = false,
    .fn.moe_ffn_i8 = moe_ffn_i8_vnni,
    .supports = NULL,
    .workspace_bytes = vnni_workspace,
    .flops = ab__moe_ffn_flops,
    .bytes = ab__moe_ffn_i8_bytes,
    .tol = AB__FFN_I8_TOL,
};
