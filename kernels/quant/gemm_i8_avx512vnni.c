/*
 * gemm_i8_avx512vnni.c - W8A8 GEMM with AVX-512 VNNI (vpdpbusd), per quant.h.
 *
 * vpdpbusd multiplies UNSIGNED bytes by signed bytes. Activations are quantised
 * straight to u8 = xq + 128 (in the timed call, into the workspace), the weights stay
 * s8 in the VNNI-4 layout packed at load time, and the epilogue subtracts the packed
 * comp[j] = 128 * sum_k q[j,k]. All int32 arithmetic wraps (vpdpbusd, not the
 * saturating vpdpbusds), so even when the raw u8 x s8 sum wraps (k > 66311 at the
 * extremes) acc - comp is the exact s8 x s8 sum whenever that fits in int32.
 *
 * Micro-kernel: 6 rows x 64 channels = 24 zmm accumulators; per 4-deep k step 4 weight
 * loads, 6 broadcasts of 4 activation bytes, 24 vpdpbusd (Zen 4 issues about one per
 * cycle). No k blocking: a 64-channel weight panel is 64 * k bytes (256 KB at k = 4096)
 * and stays in L2 while every row tile of the activations streams past it.
 *
 * Threads: one parallel region; rows are quantised with an OpenMP for, then each
 * thread takes a contiguous range of row tiles when every thread gets at least
 * ROW_SPLIT_PANELS of them (gemm/gemm_tiling.h: it then owns whole rows of the output, and
 * the rows it quantised), else a contiguous range of 64-channel panels (or, when there
 * are too few panels to share evenly, row tiles).
 * Rows first, as for the FP32 and BF16 GEMMs (gemm/gemm_tiling.h says why): archbench ab
 * against panels first (12 blocks, 2 threads, 2026-12-02 17:02 UTC), new / old time
 * 0.923 [0.903, 0.968] and 0.967 [0.918, 1.012] at 1024^3 and 2048^3 (f32 out), 0.938
 * [0.915, 0.968] and 0.952 [0.931, 0.975] (s32 out). Each output element is computed by
 * one thread in one order, so results do not depend on the thread count.
 */
#include <immintrin.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/cpu.h"
#include "archbench/quant.h"

#include "quant_impl.h"
#include "../gemm/gemm_prefetch.h"
#include "../gemm/gemm_tiling.h"

#define MR 6
#define NV 4
#define NB (16 * NV)

struct plan {
    const struct ab_gemm_i8_args *a;
    const uint8_t *xu;  /* m x lda, u8 = xq + 128 */
    const float *sx;    /* m */
    size_t lda;         /* k_pad */
    size_t k4;
    float inv_out;
};

static size_t ws_x_bytes(size_t m, size_t k)
{
    return AB__ALIGN_UP(m * AB__ALIGN_UP(k, 4), AB_ALIGN_BYTES);
}

static size_t vnni_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    size_t m = (size_t)s->v[AB__I8_M], k = (size_t)s->v[AB__I8_K];
    return ws_x_bytes(m, k) + AB__ALIGN_UP(m * sizeof(float), AB_ALIGN_BYTES);
}

static inline __mmask16 lane_mask(size_t cols)
{
    return cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1u);
}

/* Quantise row i into u8 (xq + 128), padding to lda with 128 (= 0). */
static void quantize_row(const struct ab_gemm_i8_args *a, size_t i, uint8_t *restrict dst, size_t lda,
                         float *restrict out_sx)
{
    size_t k = a->k;
    if (!a->x) {
        const int8_t *src = a->x_q + i * a->ldx;
        const __m512i flip = _mm512_set1_epi8((char)0x80);
        size_t p = 0;
        for (; p + 64 <= k; p += 64)
            _mm512_storeu_si512(dst + p, _mm512_xor_si512(_mm512_loadu_si512(src + p), flip));
        for (; p < k; p++)
            dst[p] = (uint8_t)(src[p] ^ (int8_t)0x80);
        for (; p < lda; p++)
            dst[p] = 128;
        *out_sx = a->x_scale[i];
        return;
    }
    const float *x = a->x + i * a->ldx;
    __m512 vmax = _mm512_setzero_ps();
    size_t p = 0;
    for (; p + 16 <= k; p += 16)
        vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_loadu_ps(x + p)));
    if (p < k)
        vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_maskz_loadu_ps(lane_mask(k - p), x + p)));
    float amax = _mm512_reduce_max_ps(vmax);
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    *out_sx = amax / 127.0f;
    const __m512 vinv = _mm512_set1_ps(inv), lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
    const __m512i off = _mm512_set1_epi32(128);
    for (p = 0; p < k; p += 16) {
        __mmask16 msk = lane_mask(k - p);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(msk, x + p), vinv);
        v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
        __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), off);
        _mm512_mask_cvtepi32_storeu_epi8(dst + p, msk, q);
    }
    for (p = k; p < lda; p++)
        dst[p] = 128;
}

/* Dequantise / requantise 16 accumulators of row i, channels [j0, j0 + 16), masked. */
static void store16(const struct plan *pl, __m512i acc, size_t i, size_t j0, __mmask16 msk)
{
    const struct ab_gemm_i8_args *a = pl->a;
    acc = _mm512_sub_epi32(acc, _mm512_loadu_si512(a->w->comp + j0));
    size_t at = i * a->ldy + j0;
    if (a->out == AB_I8_OUT_S32) {
        _mm512_mask_storeu_epi32((int32_t *)a->y + at, msk, acc);
        return;
    }
    __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(pl->sx[i]));
    y = _mm512_mul_ps(y, _mm512_maskz_loadu_ps(msk, a->w->scale + j0));
    if (a->bias)
        y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(msk, a->bias + j0));
    if (a->out == AB_I8_OUT_F32) {
        _mm512_mask_storeu_ps((float *)a->y + at, msk, y);
        return;
    }
    y = _mm512_mul_ps(y, _mm512_set1_ps(pl->inv_out));
    y = _mm512_min_ps(_mm512_max_ps(y, _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
    _mm512_mask_cvtsepi32_storeu_epi8((int8_t *)a->y + at, msk, _mm512_cvtps_epi32(y));
}

/*
 * c += u8(a) . s8(b) per 4 bytes. Inline asm rather than _mm512_dpbusd_epi32, and named
 * accumulators rather than an array: with gcc 12 the intrinsic's result is not tied to
 * its accumulator and an accumulator array is not kept in registers, so every step
 * copied the 24 accumulators through the stack (about 200 instead of 400+ GOP/s).
 */
#if defined(__GNUC__) && !defined(__clang__)
#define DPBUSD(c, a, b) __asm__("vpdpbusd %2, %1, %0" : "+v"(c) : "v"(a), "v"(b))
#else
#define DPBUSD(c, a, b) ((c) = _mm512_dpbusd_epi32((c), (a), (b)))
#endif

/*
 * Rows [i, i + mr) x channels [j0, j0 + 16 * nv) (packed blocks starting at block j0/16),
 * mr <= MR, nv <= NV; always inlined with constants so the dead accumulators vanish.
 */
static inline __attribute__((always_inline)) void tile(const struct plan *pl, int mr, int nv, size_t i, size_t j0)
{
    const struct ab_gemm_i8_args *a = pl->a;
    size_t k4 = pl->k4, lda = pl->lda;
    const int8_t *bp = a->w->packed + (j0 / 16) * k4 * 64;
    const uint8_t *ap = pl->xu + i * lda;
    const size_t bs = k4 * 64;
#define ACC_ROW(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0, c##r##2 = c##r##0, c##r##3 = c##r##0;
    ACC_ROW(0) ACC_ROW(1) ACC_ROW(2) ACC_ROW(3) ACC_ROW(4) ACC_ROW(5)
#undef ACC_ROW
    /* The next row tile's output lines, spread over this tile's k loop (gemm_prefetch.h):
     * the output is written with no read, so each tile's 24 stores otherwise missed to
     * L3 or DRAM together (2048^3: 3-4% faster, archbench ab 2026-12-02). Prefetching the
     * next tile's activation rows the same way measured no better. */
    size_t m = a->m, next_mr = i + MR < m ? (m - i - MR < MR ? m - i - MR : MR) : 0;
    size_t esize = a->out == AB_I8_OUT_S8 ? 1 : 4;
    struct c_prefetch cp = NO_C_PREFETCH;
    if (next_mr)
        cp = c_prefetch_plan((const char *)a->y + ((i + MR) * a->ldy + j0) * esize, a->ldy * esize, next_mr,
                             ((size_t)nv * 16 * esize + 63) / 64, k4);
    for (size_t t = 0; t < k4; t++) {
        const int8_t *bt = bp + t * 64;
        c_prefetch_step(&cp, t);
        __m512i b0 = _mm512_load_si512(bt);
        __m512i b1 = nv > 1 ? _mm512_load_si512(bt + bs) : b0;
        __m512i b2 = nv > 2 ? _mm512_load_si512(bt + 2 * bs) : b0;
        __m512i b3 = nv > 3 ? _mm512_load_si512(bt + 3 * bs) : b0;
        const uint8_t *at = ap + 4 * t;
#define STEP_ROW(r)                                      \
    if (mr > (r)) {                                      \
        int32_t word;                                    \
        memcpy(&word, at + (size_t)(r) * lda, 4);        \
        __m512i av = _mm512_set1_epi32(word);            \
        DPBUSD(c##r##0, av, b0);                         \
        if (nv > 1)                                      \
            DPBUSD(c##r##1, av, b1);                     \
        if (nv > 2)                                      \
            DPBUSD(c##r##2, av, b2);                     \
        if (nv > 3)                                      \
            DPBUSD(c##r##3, av, b3);                     \
    }
        STEP_ROW(0) STEP_ROW(1) STEP_ROW(2) STEP_ROW(3) STEP_ROW(4) STEP_ROW(5)
#undef STEP_ROW
    }
    size_t n = a->n;
#define STORE_ROW(r)                                                                          \
    if (mr > (r)) {                                                                           \
        store16(pl, c##r##0, i + (r), j0, lane_mask(n - j0));                                 \
        if (nv > 1)                                                                           \
            store16(pl, c##r##1, i + (r), j0 + 16, lane_mask(n - j0 - 16));                   \
        if (nv > 2)                                                                           \
            store16(pl, c##r##2, i + (r), j0 + 32, lane_mask(n - j0 - 32));                   \
        if (nv > 3)                                                                           \
            store16(pl, c##r##3, i + (r), j0 + 48, lane_mask(n - j0 - 48));                   \
    }
    STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
#undef STORE_ROW
}

static void tile_full(const struct plan *pl, size_t i, size_t j0)
{
    tile(pl, MR, NV, i, j0);
}

static void tile_edge(const struct plan *pl, int mr, int nv, size_t i, size_t j0)
{
    switch (mr * 8 + nv) {
#define EDGE_CASE(r, v) \
    case (r) * 8 + (v): tile(pl, (r), (v), i, j0); break;
#define EDGE_ROW(r) EDGE_CASE(r, 1) EDGE_CASE(r, 2) EDGE_CASE(r, 3) EDGE_CASE(r, 4)
        EDGE_ROW(1) EDGE_ROW(2) EDGE_ROW(3) EDGE_ROW(4) EDGE_ROW(5) EDGE_ROW(6)
#undef EDGE_ROW
#undef EDGE_CASE
    default: break;
    }
}

/* Panels [p0, p1) x row tiles [r0, r1). */
static void run_range(const struct plan *pl, size_t p0, size_t p1, size_t r0, size_t r1)
{
    size_t m = pl->a->m, nblk = pl->a->w->n_pad / 16;
    for (size_t p = p0; p < p1; p++) {
        size_t j0 = p * NB;
        int nv = (int)(nblk - p * NV < NV ? nblk - p * NV : NV);
        for (size_t rt = r0; rt < r1; rt++) {
            size_t i = rt * MR;
            int mr = (int)(m - i < MR ? m - i : MR);
            if (mr == MR && nv == NV)
                tile_full(pl, i, j0);
            else
                tile_edge(pl, mr, nv, i, j0);
        }
    }
}

static void run_thread(const struct plan *pl, size_t tid, size_t nth)
{
    size_t nblk = pl->a->w->n_pad / 16;
    size_t n_panels = (nblk + NV - 1) / NV, n_tiles = (pl->a->m + MR - 1) / MR;
    if (nth > 1 && n_tiles >= ROW_SPLIT_PANELS * nth)
        run_range(pl, 0, n_panels, tid * n_tiles / nth, (tid + 1) * n_tiles / nth);
    else if (nth == 1 || n_panels % nth == 0 || n_panels >= 4 * nth || n_tiles < nth)
        run_range(pl, tid * n_panels / nth, (tid + 1) * n_panels / nth, 0, n_tiles);
    else
        run_range(pl, 0, n_panels, tid * n_tiles / nth, (tid + 1) * n_tiles / nth);
}

static enum ab_status gemm_i8_avx512vnni(const struct ab_gemm_i8_args *a, const struct ab_exec *exec)
{
    enum ab_status st = ab__gemm_i8_check_args(a, exec);
    if (st != AB_OK)
        return st;
    if (a->m == 0 || a->n == 0)
        return AB_OK;
    size_t xb = ws_x_bytes(a->m, a->k);
    if (!exec->workspace || exec->workspace_bytes < xb + a->m * sizeof(float) ||
        (uintptr_t)exec->workspace % AB_ALIGN_BYTES != 0)
        return AB_EINVAL;
    uint8_t *xu = exec->workspace;
    float *sx = (float *)(void *)(xu + xb);
    struct plan pl = {
        .a = a, .xu = xu, .sx = sx, .lda = a->w->k_pad, .k4 = a->w->k_pad / 4,
        .inv_out = a->out == AB_I8_OUT_S8 ? 1.0f / a->out_scale : 0.0f,
    };
    int nth = exec->n_threads;
#ifdef _OPENMP
    if (nth > 1) {
#pragma omp parallel num_threads(nth)
        {
#pragma omp for schedule(static)
            for (size_t i = 0; i < a->m; i++)
                quantize_row(a, i, xu + i * pl.lda, pl.lda, sx + i);
            run_thread(&pl, (size_t)omp_get_thread_num(), (size_t)omp_get_num_threads());
        }
        return AB_OK;
    }
#endif
    for (size_t i = 0; i < a->m; i++)
        quantize_row(a, i, xu + i * pl.lda, pl.lda, sx + i);
    run_thread(&pl, 0, 1);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_gemm_i8_avx512vnni;
const struct ab_kernel ab__kernel_gemm_i8_avx512vnni = {
    .name = "gemm_i8_avx512vnni",
    .family = &ab_family_gemm_i8,
    .variant = "avx512vnni",
    .doc = "vpdpbusd on u8 = xq+128 with packed-time compensation, 6x64 zmm tile, OpenMP over panels",
    .isa_needs = AB_ISA_AVX512VNNI,
    .is_ref = false,
    .fn.gemm_i8 = gemm_i8_avx512vnni,
    .supports = NULL,
    .workspace_bytes = vnni_workspace,
    .flops = ab__gemm_i8_flops,
    .bytes = ab__gemm_i8_bytes,
    .tol = AB__I8_TOL,
};
