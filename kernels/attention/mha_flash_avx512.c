/*
 * mha_flash_avx512.c - flash-style exact attention (FlashAttention-2 online softmax)
 * with AVX-512: tiled, no n x n buffer, workspace proportional to one tile per thread.
 *
 * Design (tuned on Zen 5: 2 zmm FMA pipes + 2 FADD pipes, L1d 48 KB, L2 1 MB):
 *   - Work item = (batch, head, block of BR = 64 query rows). The block's Q is packed
 *     once by 16 x 16 transposes, pre-scaled by scale * log2(e): qt[p][r] =
 *     scale log2(e) Q[i0 + r][p], so the 64 query rows of the block lie along the vector
 *     lanes (4 zmm) and scores are in base 2 (the softmax needs 2^x, not e^x).
 *   - Keys are taken BC = 128 at a time; with a key padding mask, masked keys are
 *     skipped while the tile is gathered (idx[] holds the key rows), so they are never
 *     read and never multiplied: a tile is BC *allowed* keys.
 *   - Scores are computed transposed, st[c][r] = k_c . qt[:, r], by a 6-key x 4-zmm
 *     register tile (24 accumulators, K rows broadcast straight from memory, no K
 *     packing). Consequence: the softmax statistics of the 64 rows are lane-wise
 *     ("vertical") max / exp / sum over the tile's rows - no horizontal reductions. The
 *     tile's epilogue applies the causal mask and takes the tile max from the registers.
 *   - Online softmax per lane: m_new = max(m, tile max); mu = m_new, or 0 when m_new is
 *     -inf (everything masked so far: avoids -inf - -inf); alpha = 2^(m - mu);
 *     P = 2^(S - mu) (exactly 0 for masked scores); l = alpha l + sum P. 2^x is
 *     ab__exp2_ps (attn_simd.h): 5 FMAs + vscalefps + 4 FADD-pipe ops per 16 scores.
 *   - acc[r][:] = alpha_r acc[r][:] + sum_c P[c][r] V[idx c][:] by a 6-row x 4-zmm
 *     register tile (P broadcast from st, V rows loaded along d), the rescale folded
 *     into the accumulator load and skipped when no row max rose in the tile (alpha is
 *     then exactly 1). Division by l once at the end (FA-2); l == 0 (no key allowed)
 *     writes exact zeros.
 *   - Causal (bottom-right): the key range of a block stops at the last row's limit,
 *     so tiles above the diagonal are never touched; on tiles straddling it the score
 *     epilogue sets -inf lanes (zmm of rows masked for a whole 6-key group are not
 *     computed), and each 6-row group of P V stops at its last allowed key.
 *   - Threads: items in (batch, head) order, query blocks inside a head in decreasing
 *     causal work, handed out dynamically one at a time: the blocks of a head share K/V
 *     in cache, and the list ends with the lightest items, which balances causal work.
 *     The tiling does not depend on the thread count, so results are identical for any
 *     number of threads.
 *
 * Where the time goes (heads 16, d 64, n 1024, 1 thread, Zen 5 VM, 2026-12-02): per 16
 * (query, key) pairs the ideal is 128 zmm FMAs = 64 cycles on 2 FMA pipes. Measured
 * quiet (06:30 UTC, same run as the probe): 83 / 82% of the FP32 peak non-causal,
 * 75 / 79% causal, n = 1024 / 2048. Removing one phase at a time: the score GEMM runs
 * at ~81% of the FMA peak (its 6x4 loop in isolation, data in L1: ~96%), P V at ~87%
 * (isolated: ~96%), the softmax pass (load, 2^x, store, sum) is ~6% of the time
 * (~1.3 ns per 16 scores; its FADD-pipe ops bound it as much as its FMAs, so moving
 * rint or 2^n to integer/FADD ops measured slower). BC = 64 or 96 and a software
 * prefetch of K measured no different. Causal loses a further ~5-8% at n = 1024: the
 * diagonal tiles' masked lanes inside computed zmm, and per-block costs over short
 * blocks (half the blocks see <= 512 keys). Tried and dropped (2026-12-02): P = 2^(S - m)
 * computed in the score epilogue against the running max of earlier tiles (no second
 * pass over st; a tile recomputed two-pass when a row max rose by more than 8 bits), to
 * hide the 2^x under the FMAs. Paired against this code (archbench ab, 12 blocks, quiet,
 * heads 16, d 64, 1 thread), new / old time: 1.007 [0.997, 1.015] and 1.005 at n = 1K and
 * 2K non-causal, 1.009 [1.001, 1.018] and 1.005 causal: the 2^x ops cost as much inside the
 * epilogue as in their own pass, so the FMA and FADD pipes, not st's loads and stores,
 * are what that pass costs. Also dropped (2026-12-02, branch mha-pf): a software prefetch
 * of the next tile's K rows (a share before each 6-key score group) and V rows (before
 * each P V row group), for n = 4K where a head's K and V no longer stay in L2: archbench
 * ab, 8 blocks, new / old time 1.084 [1.063, 1.139] at n = 1K, 1.112 [1.100, 1.209] at 4K
 * and 1.111 [1.077, 1.158] at 4K causal - a regression: the hardware prefetchers already
 * stream the contiguous K and V rows, and the bursts of software prefetches only compete
 * with the tile's own loads. Nor did a 48-row block (branch mha-br48: qt, st and acc a
 * quarter smaller, so st and a V tile come closer to fitting L1 together; archbench ab,
 * 8 blocks, 2026-12-02, new / old time 1.013 [1.000, 1.024] and 1.010 at n = 1K and 4K
 * non-causal, 1.007 and 1.008 causal): the L1 footprint is not what the tiles lose to.
 * Nor did fetching the next work item's Q rows and this block's output rows a share before
 * each key tile (cold lines at a block's start and end; 2026-12-02, archbench ab, 8 blocks,
 * new / old time 1.004 [0.966, 1.128] and 1.006 [0.984, 1.017] at n = 1K and 4K
 * non-causal, 0.979 [0.976, 1.002] and 0.991 causal at 1K and 2K).
 *
 * Assumes: d is a multiple of 16 (supports() checks it; d <= 512); 64-byte aligned
 * workspace of workspace_bytes(shape, n_threads).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "ab_config.h"
#include "archbench/attention.h"
#include "archbench/cpu.h"

#include "attention_impl.h"
#include "attn_simd.h"

#define BR 64   /* query rows per block: 4 zmm of lanes */
#define BC 128  /* allowed keys per tile */
#define MR 6    /* keys (scores) or query rows (P V) per register tile */
#define NVMAX 4 /* zmm per register tile row */

#define ALWAYS_INLINE inline __attribute__((always_inline))

static size_t align64(size_t x)
{
    return (x + 63) & ~(size_t)63;
}

static size_t per_thread_bytes(size_t d)
{
    return align64(d * BR * sizeof(float))      /* qt */
           + align64(BC * BR * sizeof(float))   /* st: scores, then probabilities */
           + align64(BR * d * sizeof(float))    /* acc */
           + 4 * align64(BR * sizeof(float))    /* m, l, alpha, mb */
           + align64(BC * sizeof(uint32_t));    /* idx */
}

static size_t flash_workspace(const struct ab_shape *shape, int n_threads)
{
    return per_thread_bytes((size_t)shape->v[AB__MHA_D]) * (size_t)(n_threads < 1 ? 1 : n_threads);
}

static bool flash_supports(const struct ab_shape *shape)
{
    return shape->v[AB__MHA_D] % 16 == 0 && shape->v[AB__MHA_HEADS_Q] % shape->v[AB__MHA_HEADS_KV] == 0 &&
           shape->v[AB__MHA_N_KV] < (INT64_C(1) << 31);
}

struct tile_ws {
    float *qt, *st, *acc, *m, *l, *alpha, *mb;
    uint32_t *idx;
    bool rescale; /* some row's max rose in this tile: acc must be multiplied by alpha */
};

/* Lanes r < t of a 16-lane group starting at row r0 (t relative to the block). */
static __mmask16 rows_below(int64_t t, int64_t r0)
{
    int64_t n = t - r0;
    if (n <= 0)
        return 0;
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

/*
 * st[c][0:16 nv] = K[idx c] . qt for c < mr (mr, nv compile-time after inlining), and the
 * tile max mb updated from the registers, which saves the softmax a pass over st. On a
 * tile straddling the causal diagonal (diag: key idx c is masked for rows r < idx c - diag_base)
 * the masked scores become -inf before the max: a masked score must never raise mu, or a
 * huge masked logit could underflow every allowed P of its row.
 */
static ALWAYS_INLINE void score_tile(int mr, int nv, size_t d, const float *restrict k, const uint32_t *idx,
                                     const float *restrict qt, float *restrict st, float *restrict mb, bool diag,
                                     int64_t diag_base)
{
    const float *kr[MR];
    __m512 c[MR][NVMAX];
    for (int i = 0; i < mr; i++) {
        kr[i] = k + (size_t)idx[i] * d;
        for (int v = 0; v < nv; v++)
            c[i][v] = _mm512_setzero_ps();
    }
    for (size_t p = 0; p < d; p++) {
        __m512 b[NVMAX];
        for (int v = 0; v < nv; v++)
            b[v] = _mm512_load_ps(qt + p * BR + 16 * v);
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(kr[i][p]);
            for (int v = 0; v < nv; v++)
                c[i][v] = _mm512_fmadd_ps(a, b[v], c[i][v]);
        }
    }
    if (diag) {
        const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
        for (int i = 0; i < mr; i++) {
            int64_t t = (int64_t)idx[i] - diag_base; /* rows r < t masked */
            for (int v = 0; v < nv; v++)
                c[i][v] = _mm512_mask_mov_ps(c[i][v], rows_below(t, 16 * v), neg_inf);
        }
    }
    for (int v = 0; v < nv; v++) {
        __m512 mx = _mm512_load_ps(mb + 16 * v);
        for (int i = 0; i < mr; i++)
            mx = _mm512_max_ps(c[i][v], mx); /* a NaN score is dropped here; its P is NaN */
        _mm512_store_ps(mb + 16 * v, mx);
    }
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++)
            _mm512_store_ps(st + (size_t)i * BR + 16 * v, c[i][v]);
}

/* acc[i][0:16 nv] = alpha_i acc[i] + sum_c st[c][i] V[idx c][col..] for rows i < mr. */
static ALWAYS_INLINE void pv_tile(int mr, int nv, size_t nc, size_t d, const float *restrict st,
                                  const uint32_t *idx, const float *restrict vcol, float *restrict acc,
                                  const float *restrict alpha, bool rescale)
{
    __m512 c[MR][NVMAX];
    for (int i = 0; i < mr; i++) {
        __m512 al = _mm512_set1_ps(alpha[i]);
        for (int v = 0; v < nv; v++) {
            c[i][v] = _mm512_load_ps(acc + (size_t)i * d + 16 * v);
            if (rescale)
                c[i][v] = _mm512_mul_ps(c[i][v], al);
        }
    }
    for (size_t cc = 0; cc < nc; cc++) {
        const float *vr = vcol + (size_t)idx[cc] * d;
        const float *pr = st + cc * BR;
        __m512 b[NVMAX];
        for (int v = 0; v < nv; v++)
            b[v] = _mm512_loadu_ps(vr + 16 * v);
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(pr[i]);
            for (int v = 0; v < nv; v++)
                c[i][v] = _mm512_fmadd_ps(a, b[v], c[i][v]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++)
            _mm512_store_ps(acc + (size_t)i * d + 16 * v, c[i][v]);
}

#define NV_CASES(F, MRV, ...)                                                                                 \
    case (MRV) * 8 + 1: F(MRV, 1, __VA_ARGS__); break;                                                        \
    case (MRV) * 8 + 2: F(MRV, 2, __VA_ARGS__); break;                                                        \
    case (MRV) * 8 + 3: F(MRV, 3, __VA_ARGS__); break;                                                        \
    case (MRV) * 8 + 4: F(MRV, 4, __VA_ARGS__); break;
#define ALL_CASES(F, ...)                                                                                     \
    NV_CASES(F, 1, __VA_ARGS__) NV_CASES(F, 2, __VA_ARGS__) NV_CASES(F, 3, __VA_ARGS__)                       \
    NV_CASES(F, 4, __VA_ARGS__) NV_CASES(F, 5, __VA_ARGS__) NV_CASES(F, 6, __VA_ARGS__)

#define CALL_SCORE(MRV, NVV, d, k, idx, qt, st, mb, diag, base)                                              \
    score_tile(MRV, NVV, d, k, idx, qt, st, mb, diag, base)
#define CALL_PV(MRV, NVV, nc, d, st, idx, vcol, acc, alpha, rs) pv_tile(MRV, NVV, nc, d, st, idx, vcol, acc, alpha, rs)

/*
 * Scores of the tile into st, its row max into mb; diag, diag_base: see score_tile. On a
 * diagonal tile, the first v0 zmm of rows are masked for every key of a 6-key group
 * (the group's first key, the smallest, already masks rows < 16 v0): they are set to
 * -inf without being computed, and the register tile covers the other nvq - v0.
 */
static void scores(size_t nc, int nvq, size_t d, const float *k, const struct tile_ws *w, bool diag,
                   int64_t diag_base)
{
    const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
    for (int v = 0; v < nvq; v++)
        _mm512_store_ps(w->mb + 16 * v, neg_inf);
    for (size_t c0 = 0; c0 < nc; c0 += MR) {
        int mr = (int)(nc - c0 < MR ? nc - c0 : MR);
        const uint32_t *idx = w->idx + c0;
        float *st = w->st + c0 * BR;
        int v0 = 0;
        if (diag) {
            int64_t t = (int64_t)idx[0] - diag_base;
            v0 = t <= 0 ? 0 : (int)(t / 16 < nvq ? t / 16 : nvq);
            for (int i = 0; i < mr; i++)
                for (int v = 0; v < v0; v++)
                    _mm512_store_ps(st + (size_t)i * BR + 16 * v, neg_inf);
        }
        switch (mr * 8 + (nvq - v0)) {
            ALL_CASES(CALL_SCORE, d, k, idx, w->qt + 16 * v0, st + 16 * v0, w->mb + 16 * v0, diag,
                      diag_base + 16 * v0)
        default: /* v0 == nvq: the whole group is masked */
            break;
        }
    }
}

/*
 * On a tile straddling the causal diagonal (diag), rows r0..r0+mr-1 see only the keys
 * idx[c] <= diag_base + r0 + mr - 1, a prefix of the tile since idx is increasing: P is
 * exactly 0 beyond it, so those keys are skipped (half the diagonal tile's P V work).
 */
static void pv(size_t nc, size_t nr, size_t d, const float *v, const struct tile_ws *w, bool diag,
               int64_t diag_base)
{
    for (size_t col = 0; col < d; col += 16 * NVMAX) {
        int nv = (int)((d - col) / 16 < NVMAX ? (d - col) / 16 : NVMAX);
        for (size_t r0 = 0; r0 < nr; r0 += MR) {
            int mr = (int)(nr - r0 < MR ? nr - r0 : MR);
            size_t ncr = nc;
            if (diag)
                while (ncr > 0 && (int64_t)w->idx[ncr - 1] - diag_base > (int64_t)(r0 + (size_t)mr - 1))
                    ncr--;
            const float *st = w->st + r0;
            float *acc = w->acc + r0 * d + col;
            const float *alpha = w->alpha + r0;
            switch (mr * 8 + nv) {
                ALL_CASES(CALL_PV, ncr, d, st, w->idx, v + col, acc, alpha, w->rescale)
            default:
                break;
            }
        }
    }
}

/* Online softmax update of the block over one tile of nc keys (see the file comment). */
static void softmax_update(size_t nc, int nvq, struct tile_ws *w)
{
    const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
    __m512 mu[NVMAX], sum[NVMAX];
    __mmask16 rose = 0;
    for (int v = 0; v < nvq; v++) {
        __m512 mo = _mm512_load_ps(w->m + 16 * v);
        __m512 mn = _mm512_max_ps(_mm512_load_ps(w->mb + 16 * v), mo);
        rose |= _mm512_cmp_ps_mask(mn, mo, _CMP_NEQ_UQ);
        mu[v] = _mm512_mask_mov_ps(mn, _mm512_cmp_ps_mask(mn, neg_inf, _CMP_EQ_OQ), _mm512_setzero_ps());
        __m512 al = ab__exp2_ps(_mm512_sub_ps(mo, mu[v]));
        _mm512_store_ps(w->m + 16 * v, mn);
        _mm512_store_ps(w->alpha + 16 * v, al);
        _mm512_store_ps(w->l + 16 * v, _mm512_mul_ps(al, _mm512_load_ps(w->l + 16 * v)));
        sum[v] = _mm512_setzero_ps();
    }
    for (size_t c = 0; c < nc; c++) {
        for (int v = 0; v < nvq; v++) {
            float *s = w->st + c * BR + 16 * v;
            __m512 p = ab__exp2_ps(_mm512_sub_ps(_mm512_load_ps(s), mu[v]));
            _mm512_store_ps(s, p);
            sum[v] = _mm512_add_ps(sum[v], p);
        }
    }
    for (int v = 0; v < nvq; v++)
        _mm512_store_ps(w->l + 16 * v, _mm512_add_ps(_mm512_load_ps(w->l + 16 * v), sum[v]));
    /* Unchanged maxima give alpha == 1 exactly: the P V pass then skips the multiply. */
    w->rescale = rose != 0;
}

static void block(const struct ab_mha_args *a, size_t b, size_t h, size_t qb, struct tile_ws *w)
{
    size_t d = a->d, n_q = a->n_q, n_kv = a->n_kv;
    size_t g = h / (a->heads_q / a->heads_kv);
    size_t i0 = qb * BR, nr = n_q - i0 < BR ? n_q - i0 : BR;
    int nvq = (int)((nr + 15) / 16);
    const float *q = a->q + ((b * a->heads_q + h) * n_q + i0) * d;
    const float *k = a->k + (b * a->heads_kv + g) * n_kv * d;
    const float *v = a->v + (b * a->heads_kv + g) * n_kv * d;
    const uint8_t *mask = a->key_mask ? a->key_mask + b * n_kv : NULL;
    float *out = a->out + ((b * a->heads_q + h) * n_q + i0) * d;

    /* Base-2 scores: exp(scale s) = 2^(scale log2(e) s), so the softmax needs exp2 only. */
    const float qscale = a->scale * 1.44269504088896341f;
    /* 16 x 16 transposes: a scalar strided loop here cost a few % of a short causal block. */
    const __m512 qs = _mm512_set1_ps(qscale);
    for (size_t r0 = 0; r0 < (size_t)nvq * 16; r0 += 16)
        for (size_t p0 = 0; p0 < d; p0 += 16) {
            __m512 t[16];
            for (size_t r = 0; r < 16; r++)
                t[r] = r0 + r < nr ? _mm512_mul_ps(qs, _mm512_loadu_ps(q + (r0 + r) * d + p0)) : _mm512_setzero_ps();
            ab__transpose16_ps(t);
            for (size_t p = 0; p < 16; p++)
                _mm512_store_ps(w->qt + (p0 + p) * BR + r0, t[p]);
        }
    for (size_t r = 0; r < BR; r++) {
        w->m[r] = -INFINITY;
        w->l[r] = 0.0f;
    }
    memset(w->acc, 0, nr * d * sizeof(float));

    /* Key j is allowed for block row r when j - i0 - off <= r (bottom-right causal). */
    int64_t off = (int64_t)n_kv - (int64_t)n_q;
    size_t kend = a->causal ? ab__mha_causal_limit(i0 + nr - 1, n_q, n_kv) : n_kv;
    size_t j = 0;
    while (j < kend) {
        size_t nc = 0;
        if (mask) {
            for (; nc < BC && j < kend; j++)
                if (mask[j])
                    w->idx[nc++] = (uint32_t)j;
        } else {
            for (; nc < BC && j < kend; j++)
                w->idx[nc++] = (uint32_t)j;
        }
        if (nc == 0)
            break;
        int64_t diag_base = (int64_t)i0 + off;
        bool diag = a->causal && (int64_t)w->idx[nc - 1] - diag_base > 0;
        scores(nc, nvq, d, k, w, diag, diag_base);
        softmax_update(nc, nvq, w);
        pv(nc, nr, d, v, w, diag, diag_base);
    }

    for (size_t r = 0; r < nr; r++) {
        float lr = w->l[r];
        float *o = out + r * d;
        const float *acc = w->acc + r * d;
        if (lr == 0.0f) {
            memset(o, 0, d * sizeof(float));
            continue;
        }
        __m512 inv = _mm512_set1_ps(1.0f / lr);
        for (size_t p = 0; p < d; p += 16)
            _mm512_storeu_ps(o + p, _mm512_mul_ps(_mm512_load_ps(acc + p), inv));
    }
}

/* Work item t: one (batch, head) pair's query block; causal runs take the longest
 * (last) blocks first so the dynamic schedule ends evenly. */
static void item(const struct ab_mha_args *a, int64_t t, size_t n_qb, bool causal, struct tile_ws *w)
{
    size_t bh = (size_t)t / n_qb, qi = (size_t)t % n_qb;
    size_t qb = causal ? n_qb - 1 - qi : qi;
    block(a, bh / a->heads_q, bh % a->heads_q, qb, w);
}

static enum ab_status mha_flash_avx512(const struct ab_mha_args *a, const struct ab_exec *exec)
{
    if (a->heads_kv == 0 || a->heads_q % a->heads_kv != 0 || a->d % 16 != 0 || a->d == 0 ||
        a->n_kv >= (UINT64_C(1) << 31))
        return AB_EINVAL;
    int n_threads = exec->n_threads < 1 ? 1 : exec->n_threads;
    size_t per = per_thread_bytes(a->d);
    if (exec->workspace_bytes < per * (size_t)n_threads || !exec->workspace)
        return AB_EINVAL;
    if (a->n_q == 0 || a->batch == 0 || a->heads_q == 0)
        return AB_OK;
    size_t n_qb = (a->n_q + BR - 1) / BR;
    int64_t n_items = (int64_t)(n_qb * a->batch * a->heads_q);
    bool causal = a->causal;
    char *ws = exec->workspace;

#pragma omp parallel num_threads(n_threads)
    {
#ifdef _OPENMP
        size_t tid = (size_t)omp_get_thread_num();
#else
        size_t tid = 0;
#endif
        char *p = ws + tid * per;
        struct tile_ws w;
        w.qt = (float *)p;
        p += align64(a->d * BR * sizeof(float));
        w.st = (float *)p;
        p += align64(BC * BR * sizeof(float));
        w.acc = (float *)p;
        p += align64(BR * a->d * sizeof(float));
        w.m = (float *)p;
        p += align64(BR * sizeof(float));
        w.l = (float *)p;
        p += align64(BR * sizeof(float));
        w.alpha = (float *)p;
        p += align64(BR * sizeof(float));
        w.mb = (float *)p;
        p += align64(BR * sizeof(float));
        w.rescale = false;
        w.idx = (uint32_t *)(void *)p;

#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < n_items; t++)
            item(a, t, n_qb, causal, &w);
#if AB_TEST_SLOWDOWN_PCT > 0
        /* Test-only build (-Dtest_slowdown_pct, 0 otherwise): redo the first pct% of the
         * items, writing the same outputs again, so the ab gate can be shown a build that
         * really is slower. After the loop's barrier: no two threads write one block at once. */
        int64_t n_redo = (n_items * AB_TEST_SLOWDOWN_PCT + 50) / 100;
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < n_redo; t++)
            item(a, t, n_qb, causal, &w);
#endif
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_mha_flash_avx512;
const struct ab_kernel ab__kernel_mha_flash_avx512 = {
    .name = "mha_flash_avx512",
    .family = &ab_family_mha,
    .variant = "avx512",
    .doc = "flash-style: 64-query x 128-key tiles, online softmax, vector exp, no n x n buffer",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.mha = mha_flash_avx512,
    .supports = flash_supports,
    .workspace_bytes = flash_workspace,
    .flops = ab__mha_flops,
    .bytes = ab__mha_bytes,
    .tol = AB__MHA_F32_TOL,
};
