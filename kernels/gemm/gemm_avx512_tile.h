/*
 * gemm_avx512_tile.h - private to kernels/gemm: the register-blocked FP32 core of the
 * AVX-512 GEMMs whose operands are packed to FP32 (gemm_f32_avx512, and gemm_f16_f16c,
 * which widens FP16 while packing): block sizes, packed-panel layout, the 6 x 64 FMA
 * micro-kernel, the tiling of C over threads and the OpenMP task loop. One copy, so a
 * retuning of the FP32 kernel reaches the FP16 one (see gemm_f32_avx512.c for the design
 * and the measurements behind the constants).
 *
 * Panel layout the micro-kernel reads: A as MR rows of kc floats at stride A_STRIDE;
 * op(B) as panels of NR columns, [panel][kk][NR], zero past the last column, 64-byte
 * aligned. Everything here is static (inline): include it only from translation units
 * built with the avx512 flags.
 */
#ifndef ARCHBENCH_GEMM_AVX512_TILE_H
#define ARCHBENCH_GEMM_AVX512_TILE_H

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/alloc.h"
#include "archbench/kernel.h"
#include "gemm_prefetch.h"
#include "gemm_tiling.h"

/* Register tile: MR rows x NV zmm vectors (NR floats) of C. */
#define MR 6
#define NV 4
#define NR (16 * NV)
/*
 * k block: A panel (MR x KC) in L1, B block (KC x NC) in half of L2. Re-measured on
 * Zen 5 (48 KB L1d, 1 MB L2; 2026-12-01, CPU time per call so preemption by other
 * builds does not count, against oneDNN in the same process): every other split of
 * the same L2 half was slower at 2048^3, by 1-8% at 1 thread - kc 512 / nc 256 (less
 * C traffic, more A traffic), kc 384 / nc 320, kc 256 / nc 384 or 768, kc 192 or 128 /
 * nc 1024 - so the constants stay, and a block size read from CPUID would have to
 * be shown to beat them first.
 */
#define KC 256
#define NC 512
/* Row stride of a packed A panel: KC plus one cache line, so the MR rows do not all
 * fall into the same L1 set. */
#define A_STRIDE (KC + 16)
/* Software prefetch distances, set by measurement: rows of B ahead when B is read in
 * place (m <= MR), floats along a row of B when packing B^T. */
#define DIRECT_PF 16
#define PACK_PF 64

#define ALIGN_UP(x, a) (((x) + (a) - 1) / (a) * (a))

static inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* Bytes of one thread's packing buffers for a problem of n columns and depth k. */
static size_t per_thread_bytes(size_t n, size_t k)
{
    size_t kc = min_size(k, KC);
    size_t nc = min_size(ALIGN_UP(n, NR), NC);
    size_t a_bytes = ALIGN_UP((size_t)MR * A_STRIDE * sizeof(float), AB_ALIGN_BYTES);
    size_t b_bytes = ALIGN_UP(kc * nc * sizeof(float), AB_ALIGN_BYTES);
    return a_bytes + b_bytes;
}

/* Mask of the first `cols` lanes (0..16). */
static inline __mmask16 lane_mask(size_t cols)
{
    return cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1u);
}

/* In-place transpose of a 16 x 16 block held in r[0..15] (r[i] = row i). */
static inline void transpose16(__m512 r[16])
{
    __m512 t[16], u[16], v[16];
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    /* u[4q + c] holds rows 4q..4q+3 of columns c, c+4, c+8, c+12 (one per 128-bit lane). */
    for (int q = 0; q < 4; ++q) {
        __m512d lo0 = _mm512_castps_pd(t[4 * q]), hi0 = _mm512_castps_pd(t[4 * q + 1]);
        __m512d lo1 = _mm512_castps_pd(t[4 * q + 2]), hi1 = _mm512_castps_pd(t[4 * q + 3]);
        u[4 * q + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo0, lo1));
        u[4 * q + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo0, lo1));
        u[4 * q + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(hi0, hi1));
        u[4 * q + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(hi0, hi1));
    }
    /* Gather the 128-bit lanes: first rows 0-7 / 8-15 pairs, then whole columns. */
    for (int c = 0; c < 4; ++c) {
        v[4 * c + 0] = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
        v[4 * c + 1] = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
        v[4 * c + 2] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
        v[4 * c + 3] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
    }
    for (int c = 0; c < 4; ++c) {
        r[c] = _mm512_shuffle_f32x4(v[4 * c + 0], v[4 * c + 2], 0x88);
        r[c + 8] = _mm512_shuffle_f32x4(v[4 * c + 0], v[4 * c + 2], 0xDD);
        r[c + 4] = _mm512_shuffle_f32x4(v[4 * c + 1], v[4 * c + 3], 0x88);
        r[c + 12] = _mm512_shuffle_f32x4(v[4 * c + 1], v[4 * c + 3], 0xDD);
    }
}

/* ---- micro-kernel ------------------------------------------------------------------ */

/*
 * How a k block's product is merged into C: the first k block applies beta (or, when
 * beta == 0, never reads C); later blocks add to C.
 */
struct merge {
    __m512 alpha;
    __m512 cscale;  /* beta on the first block, 1 after */
    bool read_c;
};

/*
 * C[0..mr) x [0..cols) (+)= alpha * Ap * Bp over kc, with mr <= MR rows and
 * nv = ceil(cols / 16) <= NV vectors. Ap rows at stride A_STRIDE, Bp one NR-wide
 * panel. Always inlined with constant mr and nv, so the accumulators live in
 * registers and narrow edges do not pay for the full NR width.
 */
static inline __attribute__((always_inline)) void micro_kernel(int mr, int nv, bool direct, size_t kc,
                                                               const float *restrict ap, const float *restrict bp,
                                                               size_t ldbp, float *restrict c, size_t ldc,
                                                               size_t cols, const struct merge *mg, bool fetch_c,
                                                               struct c_prefetch cp)
{
    /* Only the last vector of a row can be partial. */
    __mmask16 last = lane_mask(cols - (size_t)16 * (nv - 1));

    /* C comes from L2/L3 at best; unless the previous call fetched it (fetch_c false),
     * start fetching it now so the merge below does not stall (a k block is hundreds of
     * cycles long). cp: the next tile's lines, spread over this call's k loop. */
    if (mg->read_c && fetch_c)
        for (int i = 0; i < mr; ++i)
            for (int v = 0; v < nv; ++v)
                _mm_prefetch((const char *)(c + (size_t)i * ldc + 16 * v), _MM_HINT_T0);

    __m512 acc[MR][NV];
    for (int i = 0; i < mr; ++i)
        for (int v = 0; v < nv; ++v)
            acc[i][v] = _mm512_setzero_ps();

    for (size_t kk = 0; kk < kc; ++kk) {
        __m512 bv[NV];
        c_prefetch_step(&cp, kk);
        if (direct && kk + DIRECT_PF < kc)
            for (int v = 0; v < nv; ++v)
                _mm_prefetch((const char *)(bp + (kk + DIRECT_PF) * ldbp + 16 * v), _MM_HINT_T0);
        for (int v = 0; v < nv; ++v) {
            const float *src = bp + kk * ldbp + 16 * v;
            if (!direct)
                bv[v] = _mm512_load_ps(src);
            else if (v == nv - 1)
                bv[v] = _mm512_maskz_loadu_ps(last, src);
            else
                bv[v] = _mm512_loadu_ps(src);
        }
        for (int i = 0; i < mr; ++i) {
            __m512 av = _mm512_set1_ps(ap[(size_t)i * A_STRIDE + kk]);
            for (int v = 0; v < nv; ++v)
                acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }

    c_prefetch_rest(&cp);
    for (int i = 0; i < mr; ++i) {
        float *cr = c + (size_t)i * ldc;
        for (int v = 0; v < nv; ++v) {
            __mmask16 m = v == nv - 1 ? last : (__mmask16)0xFFFF;
            __m512 r;
            if (mg->read_c)
                r = _mm512_fmadd_ps(acc[i][v], mg->alpha, _mm512_mul_ps(mg->cscale, _mm512_maskz_loadu_ps(m, cr + 16 * v)));
            else
                r = _mm512_mul_ps(acc[i][v], mg->alpha);
            if (m == 0xFFFF)
                _mm512_storeu_ps(cr + 16 * v, r);
            else
                _mm512_mask_storeu_ps(cr + 16 * v, m, r);
        }
    }
}

/* The hot case: a whole MR x NR tile. */
static void micro_kernel_full(size_t kc, const float *restrict ap, const float *restrict bp, float *restrict c,
                              size_t ldc, const struct merge *mg, bool fetch_c, struct c_prefetch cp)
{
    micro_kernel(MR, NV, false, kc, ap, bp, NR, c, ldc, NR, mg, fetch_c, cp);
}

/* Edges: one instantiation per (rows, vectors) keeps every accumulator in a register. */
static void micro_kernel_edge(size_t mr, size_t cols, size_t kc, const float *restrict ap, const float *restrict bp,
                              float *restrict c, size_t ldc, const struct merge *mg)
{
    int nv = (int)((cols + 15) / 16);
    switch ((int)mr * 8 + nv) {
#define EDGE_CASE(r, v) \
    case (r) * 8 + (v): micro_kernel((r), (v), false, kc, ap, bp, NR, c, ldc, cols, mg, true, NO_C_PREFETCH); break;
#define EDGE_ROW(r) EDGE_CASE(r, 1) EDGE_CASE(r, 2) EDGE_CASE(r, 3) EDGE_CASE(r, 4)
        EDGE_ROW(1) EDGE_ROW(2) EDGE_ROW(3) EDGE_ROW(4) EDGE_ROW(5) EDGE_ROW(6)
#undef EDGE_ROW
#undef EDGE_CASE
    default: break;
    }
}

/* The merge of the k block starting at p0 (see struct merge). */
static inline struct merge merge_for(size_t p0, float alpha, float beta)
{
    return (struct merge){
        .alpha = _mm512_set1_ps(alpha),
        .cscale = _mm512_set1_ps(p0 == 0 ? beta : 1.0f),
        .read_c = p0 != 0 || beta != 0.0f,
    };
}

/*
 * One packed A row panel (mr rows) times a packed B block (kc x nc, NR-wide panels):
 * C rows [0, mr) x columns [0, nc) from crow (+)= alpha * Ap * Bp, the full micro-kernel
 * on whole MR x NR tiles and the edge instantiations elsewhere.
 */
/* One packed row panel of A times the packed B block; pf (may be NULL) prefetches the
 * next row panel's source meanwhile. Each full tile's call prefetches the next tile of C:
 * the next one in this panel, or the first tile of the next row panel (cnext_panel,
 * next_mr rows; NULL: none). first_fetched: the previous panel's last call fetched this
 * panel's first tile. */
static inline void row_panel_times_block(size_t mr, size_t nc, size_t kc, const float *restrict ap,
                                         const float *restrict bp, float *restrict crow, size_t ldc,
                                         const struct merge *mg, struct a_prefetch *pf, bool first_fetched,
                                         const float *cnext_panel, size_t next_mr)
{
    for (size_t j = 0; j < nc; j += NR) {
        const float *panel = bp + (j / NR) * kc * NR;
        size_t cols = min_size(NR, nc - j);
        if (pf)
            a_prefetch_some(pf);
        if (mr == MR && cols == NR)
            micro_kernel_full(kc, ap, panel, crow + j, ldc, mg, j == 0 && !first_fetched,
                              c_prefetch_after(crow, j, NR, nc, ldc, MR, cnext_panel, next_mr, kc));
        else
            micro_kernel_edge(mr, cols, kc, ap, panel, crow + j, ldc, mg);
    }
}

/* C = beta * C (or zero): what a product with k == 0 leaves. */
static inline void scale_c(size_t m, size_t n, float *restrict c, size_t ldc, float beta)
{
    for (size_t i = 0; i < m; ++i) {
        float *cr = c + i * ldc;
        for (size_t j = 0; j < n; ++j)
            cr[j] = beta == 0.0f ? 0.0f : beta * cr[j];
    }
}

/*
 * The argument checks both drivers make before any work, for C = alpha A op(B) + beta C
 * of m x n x k: AB_EINVAL for bad arguments or workspace; otherwise AB_OK, with
 * *out_done set when nothing is left to compute (an empty C, or k == 0, where C has been
 * scaled by beta).
 */
static inline enum ab_status check_call(size_t m, size_t n, size_t k, const void *a, size_t lda, const void *b,
                                        size_t ldb, bool trans_b, float *c, size_t ldc, float beta,
                                        const struct ab_exec *exec, bool *out_done)
{
    *out_done = true;
    if (!exec || exec->n_threads < 1)
        return AB_EINVAL;
    if (m == 0 || n == 0)
        return AB_OK;
    if (!c || ldc < n)
        return AB_EINVAL;
    if (k == 0) {
        scale_c(m, n, c, ldc, beta);
        return AB_OK;
    }
    if (!a || !b || lda < k || ldb < (trans_b ? k : n))
        return AB_EINVAL;
    *out_done = false;
    return AB_OK;
}

/* The caller's workspace holds n_threads packing buffers of per_thread bytes, aligned. */
static inline bool workspace_ok(const struct ab_exec *exec, size_t per_thread)
{
    return exec->workspace && exec->workspace_bytes >= per_thread * (size_t)exec->n_threads &&
           (uintptr_t)exec->workspace % AB_ALIGN_BYTES == 0;
}

/* One C tile [i0, i1) x [j0, j1) of a kernel's call, on a thread's packing buffers `ws`. */
typedef void tile_fn(const void *ctx, size_t i0, size_t i1, size_t j0, size_t j1, float *ws);

/*
 * A call of an m x n x k kernel that packs into these panels: arguments and workspace
 * checked, C split into tiles, each run by `fn` (the kernel's packing of A and B is all
 * that differs between gemm_f32_avx512 and gemm_f16_f16c). Tasks run on n_threads
 * OpenMP threads when there are several, each thread with its own slice of the
 * workspace (a contiguous range of tasks per thread; tasks never share C, so no
 * synchronisation beyond the team's end; the cut is gemm_tiling.h's).
 */
static inline enum ab_status run_gemm(size_t m, size_t n, size_t k, const void *a, size_t lda, const void *b,
                                      size_t ldb, bool trans_b, float *c, size_t ldc, float beta,
                                      const struct ab_exec *exec, tile_fn *fn, const void *ctx)
{
    bool done;
    enum ab_status st = check_call(m, n, k, a, lda, b, ldb, trans_b, c, ldc, beta, exec, &done);
    if (st != AB_OK || done)
        return st;
    int n_threads = exec->n_threads;
    size_t per_thread = per_thread_bytes(n, k);
    if (!workspace_ok(exec, per_thread))
        return AB_EINVAL;
    struct gemm_tiling t = gemm_tiling_make(m, n, MR, NR, NC, n_threads);
    char *ws = exec->workspace;
    size_t i0, i1, j0, j1;
#ifdef _OPENMP
    if (n_threads > 1 && gemm_tiling_tasks(&t) > 1) {
#pragma omp parallel num_threads(n_threads) private(i0, i1, j0, j1)
        {
            size_t tid = (size_t)omp_get_thread_num(), first, end;
            float *my_ws = (float *)(void *)(ws + tid * per_thread);
            gemm_tiling_range(&t, tid, (size_t)omp_get_num_threads(), &first, &end);
            for (size_t task = first; task < end; ++task)
                if (gemm_tiling_task(&t, task, m, n, &i0, &i1, &j0, &j1))
                    fn(ctx, i0, i1, j0, j1, my_ws);
        }
        return AB_OK;
    }
#endif
    for (size_t task = 0; task < gemm_tiling_tasks(&t); ++task)
        if (gemm_tiling_task(&t, task, m, n, &i0, &i1, &j0, &j1))
            fn(ctx, i0, i1, j0, j1, (float *)(void *)ws);
    return AB_OK;
}

#endif /* ARCHBENCH_GEMM_AVX512_TILE_H */
