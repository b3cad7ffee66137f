/*
 * moe_ffn_avx512.c - MoE layer body with one fused expert kernel (AVX-512), for the
 * shapes where moe_ffn_grouped loses time: many experts with few tokens each.
 *
 * Why not one GEMM call per expert block (moe_ffn_grouped): each call packs the
 * expert's weights (a transpose of 23 MB at d_model 1024, d_ff 2816) for only ~64
 * rows of work, and the activation runs afterwards with scalar expf. Here:
 *   1. dispatch (moe_dispatch.c), then the kept rows are cut into work units of at
 *      most 128 rows of one expert (two panels of NT = 64 token lanes); ONE OpenMP
 *      loop (dynamic) runs every unit of every expert, so there is no per-expert call,
 *      barrier or packing of weights. Units of 128 rather than 64 rows: at 64 tokens per
 *      expert on average about half of the experts get 65..90 rows, and a second
 *      64-row unit with a handful of rows would stream the whole expert again for
 *      little work (measured with 64-row units, 1 thread: 58 GFLOP/s at E = 128 vs
 *      70 at E = 8; with 128-row units both about 92);
 *   2. per panel, the token rows are gathered transposed into Xt [d_model][64]
 *      (256 KB at d_model 1024, stays in L2). The weights are the BROADCAST operand,
 *      read in place as stored (out x in, contiguous along the reduction): a register
 *      tile is 6 weight rows x 64 tokens (24 zmm accumulators; per reduction step 6
 *      broadcasts from 6 weight rows, 4 loads of Xt, 24 FMAs), so a weight is read
 *      once per unit (from cache for its second panel) and never repacked; the
 *      weight rows stream from memory with a software prefetch (32 FLOPs per weight
 *      byte at 64 tokens: ~3.6 GB/s per core at 115 GFLOP/s);
 *   3. H = Xt-GEMM with W13: a SwiGLU tile takes 3 rows of W1 and the 3 matching rows
 *      of W3, so the epilogue applies silu(a) * b (vector exp) in registers and writes
 *      G feature-major [d_ff][64]; GELU tiles take 6 rows of W1 (vector erf). H is
 *      never stored;
 *   4. Yp = G-GEMM with W2: G [d_ff][64] is already in the layout step 2 wants, the
 *      6 x 64 result tile is scattered into the unit's rows of Yp (row-major);
 *   5. combine (moe_dispatch.c), a gather per token.
 * Panels with fewer than 64 rows run with 16, 32 or 48 token lanes. Every output element
 * is summed by one thread in one order, so results do not depend on the thread count.
 * With one unit only (one expert, <= 128 rows) the second thread idles. The dense
 * comparison in issue 5 is gemm_f32_avx512 at m = tokens, n = d_ff or 2 d_ff, k = d_model.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/cpu.h"
#include "archbench/moe.h"

#include "moe_act_avx512.h"
#include "moe_impl.h"

#define MR 6   /* weight rows per register tile */
#define NV 4   /* token vectors per register tile */
#define NT 64  /* tokens per panel (= 16 * NV) */
#define NP 2   /* panels per unit: a unit is at most NP * NT rows of one expert */
#define PF 256 /* prefetch distance along a weight row, floats (E = 128: 96 -> 256 gave ~85 -> 92% of dense) */

struct unit {
    uint32_t e, r0, n;  /* expert, first dispatched row, rows (1..NP * NT) */
};

struct layout {
    size_t off, rows, slot_row, units, yp, thread, per_thread, total;
};

static struct layout plan_layout(size_t n_t, size_t d, size_t f, size_t n_e, size_t k, int nth)
{
    struct layout l;
    size_t r = n_t * k, max_units = r / (NP * NT) + n_e;
    l.off = 0;
    l.rows = l.off + AB__MOE_ALIGN_UP((n_e + 1) * sizeof(size_t), AB_ALIGN_BYTES);
    l.slot_row = l.rows + AB__MOE_ALIGN_UP(r * sizeof(int32_t), AB_ALIGN_BYTES);
    l.units = l.slot_row + AB__MOE_ALIGN_UP(r * sizeof(int32_t), AB_ALIGN_BYTES);
    l.yp = l.units + AB__MOE_ALIGN_UP(max_units * sizeof(struct unit), AB_ALIGN_BYTES);
    l.thread = l.yp + AB__MOE_ALIGN_UP(r * d * sizeof(float), AB_ALIGN_BYTES);
    l.per_thread = AB__MOE_ALIGN_UP(NP * d * NT * sizeof(float), AB_ALIGN_BYTES) +
                   AB__MOE_ALIGN_UP(NP * f * NT * sizeof(float), AB_ALIGN_BYTES);
    l.total = l.thread + l.per_thread * (size_t)nth;
    return l;
}

static size_t avx512_workspace(const struct ab_shape *s, int n_threads)
{
    return plan_layout((size_t)s->v[AB__FF_TOKENS], (size_t)s->v[AB__FF_D_MODEL], (size_t)s->v[AB__FF_D_FF],
                       (size_t)s->v[AB__FF_EXPERTS], (size_t)s->v[AB__FF_K], n_threads < 1 ? 1 : n_threads)
        .total;
}

static inline __mmask16 lane_mask(size_t n)
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

enum epilogue { EP_SWIGLU, EP_GELU, EP_SCATTER };

struct tile_out {
    float *g;      /* EP_SWIGLU / EP_GELU: G rows of the tile, [row][NT] */
    float *y;      /* EP_SCATTER: Yp + r0 * ldy + first output channel */
    size_t ldy;
    size_t n_tok;  /* EP_SCATTER: valid token lanes */
};

/*
 * acc[i][v] = sum_p wr[i][p] * bt[p * NT + 16 v + lane], p < kd, then the epilogue.
 * Always inlined with constant mr, nv, ep, so the accumulators stay in registers.
 */
static inline __attribute__((always_inline)) void tile(int mr, int nv, enum epilogue ep, size_t kd,
                                                       const float *const *wr, const float *restrict bt,
                                                       const struct tile_out *o)
{
    __m512 acc[MR][NV];
    const float *w[MR];
    for (int i = 0; i < mr; i++) {
        w[i] = wr[i];
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm512_setzero_ps();
    }
    for (size_t p0 = 0; p0 < kd; p0 += 16) {
        if (p0 + PF < kd)
            for (int i = 0; i < mr; i++)
                _mm_prefetch((const char *)(w[i] + p0 + PF), _MM_HINT_T0);
        size_t pe = kd - p0 < 16 ? kd : p0 + 16;
        for (size_t p = p0; p < pe; p++) {
            __m512 b[NV];
            for (int v = 0; v < nv; v++)
                b[v] = _mm512_load_ps(bt + p * NT + 16 * v);
            for (int i = 0; i < mr; i++) {
                __m512 av = _mm512_set1_ps(w[i][p]);
                for (int v = 0; v < nv; v++)
                    acc[i][v] = _mm512_fmadd_ps(av, b[v], acc[i][v]);
            }
        }
    }
    if (ep == EP_SWIGLU) {
        int h = mr / 2;
        for (int i = 0; i < h; i++)
            for (int v = 0; v < nv; v++)
                _mm512_store_ps(o->g + (size_t)i * NT + 16 * v, _mm512_mul_ps(ab__silu_ps(acc[i][v]), acc[h + i][v]));
    } else if (ep == EP_GELU) {
        for (int i = 0; i < mr; i++)
            for (int v = 0; v < nv; v++)
                _mm512_store_ps(o->g + (size_t)i * NT + 16 * v, ab__gelu_ps(acc[i][v]));
    } else {
        const __m512i vidx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                                _mm512_set1_epi32((int)o->ldy));
        for (int v = 0; v < nv; v++) {
            if (o->n_tok <= (size_t)16 * v)
                break;
            __mmask16 m = lane_mask(o->n_tok - (size_t)16 * v);
            float *base = o->y + (size_t)16 * v * o->ldy;
            for (int i = 0; i < mr; i++)
                _mm512_mask_i32scatter_ps(base + i, m, vidx, acc[i][v], 4);
        }
    }
}

static void tile_any(int mr, int nv, enum epilogue ep, size_t kd, const float *const *wr, const float *bt,
                     const struct tile_out *o)
{
    switch ((int)ep * 64 + mr * 8 + nv) {
#define TILE_CASE(e, r, v) \
    case (int)(e) * 64 + (r) * 8 + (v): tile((r), (v), (e), kd, wr, bt, o); break;
#define TILE_ROW(e, r) TILE_CASE(e, r, 1) TILE_CASE(e, r, 2) TILE_CASE(e, r, 3) TILE_CASE(e, r, 4)
        TILE_ROW(EP_SWIGLU, 2) TILE_ROW(EP_SWIGLU, 4) TILE_ROW(EP_SWIGLU, 6)
        TILE_ROW(EP_GELU, 1) TILE_ROW(EP_GELU, 2) TILE_ROW(EP_GELU, 3) TILE_ROW(EP_GELU, 4) TILE_ROW(EP_GELU, 5)
        TILE_ROW(EP_GELU, 6)
        TILE_ROW(EP_SCATTER, 1) TILE_ROW(EP_SCATTER, 2) TILE_ROW(EP_SCATTER, 3) TILE_ROW(EP_SCATTER, 4)
        TILE_ROW(EP_SCATTER, 5) TILE_ROW(EP_SCATTER, 6)
#undef TILE_ROW
#undef TILE_CASE
    default: break;
    }
}

/* Xt[p][t] = x[token of row r0 + t][p], t < n; lanes n .. 16 * nv set to zero. */
static void pack_x(const float *restrict x, size_t d, const int32_t *rows, size_t n, int nv, float *restrict xt)
{
    size_t lanes = (size_t)16 * nv;
    for (size_t t = 0; t < lanes; t++) {
        if (t < n) {
            const float *src = x + (size_t)rows[t] * d;
            for (size_t p = 0; p < d; p++)
                xt[p * NT + t] = src[p];
        } else {
            for (size_t p = 0; p < d; p++)
                xt[p * NT + t] = 0.0f;
        }
    }
}

/*
 * One unit: n rows of expert e, as up to NP panels of NT token lanes. Every weight
 * tile runs over all panels of the unit before moving on, so the weight rows come
 * from memory once per unit and from cache for the second panel.
 */
static void run_unit(const struct ab_moe_ffn_args *a, const struct unit *u, const int32_t *rows, float *yp,
                     float *xt, float *gt)
{
    size_t d = a->d_model, f = a->d_ff;
    bool swiglu = a->act == AB_MOE_ACT_SWIGLU;
    size_t hc = swiglu ? 2 * f : f;
    size_t np = (u->n + NT - 1) / NT, pn[NP];
    int nv[NP];
    for (size_t b = 0; b < np; b++) {
        pn[b] = u->n - b * NT < NT ? u->n - b * NT : NT;
        nv[b] = (int)((pn[b] + 15) / 16);
        pack_x(a->x, d, rows + u->r0 + b * NT, pn[b], nv[b], xt + b * d * NT);
    }
    const float *w13 = a->w13 + (size_t)u->e * hc * d, *w2 = a->w2 + (size_t)u->e * d * f;
    const float *wr[MR];
    if (swiglu) {
        for (size_t j = 0; j < f; j += MR / 2) {
            int h = (int)(f - j < MR / 2 ? f - j : MR / 2);
            for (int i = 0; i < h; i++) {
                wr[i] = w13 + (j + (size_t)i) * d;
                wr[h + i] = w13 + (f + j + (size_t)i) * d;
            }
            for (size_t b = 0; b < np; b++) {
                struct tile_out o = {.g = gt + b * f * NT + j * NT};
                tile_any(2 * h, nv[b], EP_SWIGLU, d, wr, xt + b * d * NT, &o);
            }
        }
    } else {
        for (size_t j = 0; j < f; j += MR) {
            int m = (int)(f - j < MR ? f - j : MR);
            for (int i = 0; i < m; i++)
                wr[i] = w13 + (j + (size_t)i) * d;
            for (size_t b = 0; b < np; b++) {
                struct tile_out o = {.g = gt + b * f * NT + j * NT};
                tile_any(m, nv[b], EP_GELU, d, wr, xt + b * d * NT, &o);
            }
        }
    }
    for (size_t c = 0; c < d; c += MR) {
        int m = (int)(d - c < MR ? d - c : MR);
        for (int i = 0; i < m; i++)
            wr[i] = w2 + (c + (size_t)i) * f;
        for (size_t b = 0; b < np; b++) {
            struct tile_out o = {.y = yp + ((size_t)u->r0 + b * NT) * d + c, .ldy = d, .n_tok = pn[b]};
            tile_any(m, nv[b], EP_SCATTER, f, wr, gt + b * f * NT, &o);
        }
    }
}

static enum ab_status moe_ffn_avx512(const struct ab_moe_ffn_args *a, const struct ab_exec *exec)
{
    if (!a || !exec || exec->n_threads < 1 || !a->x || !a->w13 || !a->w2 || !a->y || !a->route.expert ||
        !a->route.keep || !a->route.weight || a->route.k < 1 || a->route.n_tokens != a->n_tokens ||
        a->n_experts < 1 || a->d_model < 1 || a->d_ff < 1)
        return AB_EINVAL;
    size_t n_t = a->n_tokens, d = a->d_model, f = a->d_ff, n_e = a->n_experts, k = (size_t)a->route.k;
    /* scatter offsets are int32 (16 rows of d floats) */
    if (d > (size_t)INT32_MAX / (16 * sizeof(float)) || n_t * k > UINT32_MAX)
        return AB_EINVAL;
    int nth = exec->n_threads;
    struct layout l = plan_layout(n_t, d, f, n_e, k, nth);
    if (!exec->workspace || exec->workspace_bytes < l.total || (uintptr_t)exec->workspace % AB_ALIGN_BYTES != 0)
        return AB_EINVAL;
    char *ws = exec->workspace;
    size_t *off = (size_t *)(void *)(ws + l.off);
    int32_t *rows = (int32_t *)(void *)(ws + l.rows), *slot_row = (int32_t *)(void *)(ws + l.slot_row);
    struct unit *units = (struct unit *)(void *)(ws + l.units);
    float *yp = (float *)(void *)(ws + l.yp);

    enum ab_status st = ab__moe_dispatch(&a->route, n_e, off, rows, slot_row);
    if (st != AB_OK)
        return st;
    size_t n_units = 0;
    for (size_t e = 0; e < n_e; e++)
        for (size_t r0 = off[e]; r0 < off[e + 1]; r0 += NP * NT)
            units[n_units++] = (struct unit){(uint32_t)e, (uint32_t)r0,
                                             (uint32_t)(off[e + 1] - r0 < NP * NT ? off[e + 1] - r0 : NP * NT)};

    size_t xt_bytes = AB__MOE_ALIGN_UP(NP * d * NT * sizeof(float), AB_ALIGN_BYTES);
#pragma omp parallel num_threads(nth)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        char *mine = ws + l.thread + (size_t)tid * l.per_thread;
        float *xt = (float *)(void *)mine, *gt = (float *)(void *)(mine + xt_bytes);
#pragma omp for schedule(dynamic, 1)
        for (size_t u = 0; u < n_units; u++)
            run_unit(a, &units[u], rows, yp, xt, gt);
    }
    ab__moe_combine(&a->route, slot_row, yp, d, a->y, nth);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_ffn_avx512;
const struct ab_kernel ab__kernel_moe_ffn_avx512 = {
    .name = "moe_ffn_avx512",
    .family = &ab_family_moe_ffn,
    .variant = "avx512",
    .doc = "one OpenMP loop over 64-row units of all experts, weights broadcast in place, fused SiLU/GELU",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.moe_ffn = moe_ffn_avx512,
    .supports = NULL,
    .workspace_bytes = avx512_workspace,
    .flops = ab__moe_ffn_flops,
    .bytes = ab__moe_ffn_bytes,
    .tol = AB__FFN_TOL,
};
