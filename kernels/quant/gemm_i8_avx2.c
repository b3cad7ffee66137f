/*
 * gemm_i8_avx2.c - W8A8 GEMM for CPUs without VNNI (AVX2), per quant.h.
 *
 * Not vpmaddubsw: its u8 x s8 pair sums saturate in int16 (2 * 255 * 127 > 32767, the
 * reason fbgemm/PyTorch fall back to 7-bit activations). Both operands are widened to
 * int16 instead and multiplied with vpmaddwd, whose pair sums land in int32 exactly for
 * the whole int8 range (-128 included). Activations are quantised (timed) to int16 rows
 * in the workspace; weights are read from the same VNNI-4 layout as the VNNI variant
 * (16 channels x 4 k per 64 bytes) and sign-extended on load.
 *
 * Micro-kernel: 6 rows x 8 channels. A ymm of widened weights holds 4 channels x 4 k;
 * vpmaddwd against the broadcast 4 activations gives 2 partial sums per channel, folded
 * with vphaddd in the epilogue. 12 accumulators + 2 weight registers + 1 broadcast.
 * Threads as in the VNNI variant (contiguous channel ranges, else row ranges).
 */
#include <immintrin.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/cpu.h"
#include "archbench/quant.h"

#include "quant_impl.h"

#define MR 6

struct plan {
    const struct ab_gemm_i8_args *a;
    const int16_t *xw;  /* m x lda int16 */
    const float *sx;
    size_t lda;         /* k_pad */
    size_t k4;
    float inv_out;
};

static size_t ws_x_bytes(size_t m, size_t k)
{
    return AB__ALIGN_UP(m * AB__ALIGN_UP(k, 4) * sizeof(int16_t), AB_ALIGN_BYTES);
}

static size_t avx2_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    size_t m = (size_t)s->v[AB__I8_M], k = (size_t)s->v[AB__I8_K];
    return ws_x_bytes(m, k) + AB__ALIGN_UP(m * sizeof(float), AB_ALIGN_BYTES);
}

static void quantize_row(const struct ab_gemm_i8_args *a, size_t i, int16_t *restrict dst, size_t lda,
                         float *restrict out_sx)
{
    size_t k = a->k, p = 0;
    if (!a->x) {
        const int8_t *src = a->x_q + i * a->ldx;
        for (; p + 16 <= k; p += 16)
            _mm256_storeu_si256((__m256i *)(void *)(dst + p),
                                _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(src + p))));
        for (; p < k; p++)
            dst[p] = src[p];
        *out_sx = a->x_scale[i];
    } else {
        const float *x = a->x + i * a->ldx;
        const __m256 sign = _mm256_set1_ps(-0.0f);
        __m256 vmax = _mm256_setzero_ps();
        for (; p + 8 <= k; p += 8)
            vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + p)));
        float lanes[8];
        _mm256_storeu_ps(lanes, vmax);
        float amax = 0.0f;
        for (int l = 0; l < 8; l++)
            amax = lanes[l] > amax ? lanes[l] : amax;
        for (size_t q = p; q < k; q++) {
            float v = x[q] < 0.0f ? -x[q] : x[q];
            amax = v > amax ? v : amax;
        }
        float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        *out_sx = amax / 127.0f;
        const __m256 vinv = _mm256_set1_ps(inv), lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
        for (p = 0; p + 8 <= k; p += 8) {
            __m256 v = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_loadu_ps(x + p), vinv), lo), hi);
            __m256i q32 = _mm256_cvtps_epi32(v);
            __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q32), _mm256_extracti128_si256(q32, 1));
            _mm_storeu_si128((__m128i *)(void *)(dst + p), q16);
        }
        for (; p < k; p++) {
            __m128 v = _mm_set_ss(x[p] * inv);
            v = _mm_min_ss(_mm_max_ss(v, _mm_set_ss(-127.0f)), _mm_set_ss(127.0f));
            dst[p] = (int16_t)_mm_cvtss_si32(v);
        }
    }
    for (p = k; p < lda; p++)
        dst[p] = 0;
}

/* Store 8 channels [j0, j0 + cols) of row i from the folded int32 sums. */
static void store8(const struct plan *pl, __m256i acc, size_t i, size_t j0, size_t cols)
{
    const struct ab_gemm_i8_args *a = pl->a;
    size_t at = i * a->ldy + j0;
    if (a->out == AB_I8_OUT_S32) {
        if (cols >= 8) {
            _mm256_storeu_si256((__m256i *)(void *)((int32_t *)a->y + at), acc);
        } else {
            int32_t tmp[8];
            _mm256_storeu_si256((__m256i *)(void *)tmp, acc);
            memcpy((int32_t *)a->y + at, tmp, cols * sizeof(int32_t));
        }
        return;
    }
    float sw[8] = {0}, bias[8] = {0};
    memcpy(sw, a->w->scale + j0, (cols < 8 ? cols : 8) * sizeof(float));
    if (a->bias)
        memcpy(bias, a->bias + j0, (cols < 8 ? cols : 8) * sizeof(float));
    __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_set1_ps(pl->sx[i]));
    y = _mm256_mul_ps(y, _mm256_loadu_ps(sw));
    if (a->bias)
        y = _mm256_add_ps(y, _mm256_loadu_ps(bias));
    if (a->out == AB_I8_OUT_F32) {
        if (cols >= 8) {
            _mm256_storeu_ps((float *)a->y + at, y);
        } else {
            float tmp[8];
            _mm256_storeu_ps(tmp, y);
            memcpy((float *)a->y + at, tmp, cols * sizeof(float));
        }
        return;
    }
    y = _mm256_mul_ps(y, _mm256_set1_ps(pl->inv_out));
    y = _mm256_min_ps(_mm256_max_ps(y, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
    int32_t q[8];
    _mm256_storeu_si256((__m256i *)(void *)q, _mm256_cvtps_epi32(y));
    int8_t *dst = (int8_t *)a->y + at;
    for (size_t c = 0; c < cols && c < 8; c++)
        dst[c] = (int8_t)q[c];
}

/* Rows [i, i + mr) x 8 channels starting at j0 (j0 % 8 == 0). */
static inline __attribute__((always_inline)) void tile(const struct plan *pl, int mr, size_t i, size_t j0)
{
    const struct ab_gemm_i8_args *a = pl->a;
    size_t k4 = pl->k4, lda = pl->lda;
    const int8_t *bp = a->w->packed + (j0 / 16) * k4 * 64 + (j0 % 16) * 4;
    const int16_t *ap = pl->xw + i * lda;
    __m256i acc[MR][2];
    for (int r = 0; r < mr; r++)
        acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (size_t t = 0; t < k4; t++) {
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(bp + t * 64)));
        __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(bp + t * 64 + 16)));
        for (int r = 0; r < mr; r++) {
            int64_t word;
            memcpy(&word, ap + (size_t)r * lda + 4 * t, sizeof word);
            __m256i av = _mm256_set1_epi64x(word);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(b0, av));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(b1, av));
        }
    }
    size_t n = a->n, cols = n - j0 < 8 ? n - j0 : 8;
    for (int r = 0; r < mr; r++) {
        /* hadd: [c0 c1 c4 c5 | c2 c3 c6 c7] -> reorder 64-bit quads to c0..c7 */
        __m256i h = _mm256_hadd_epi32(acc[r][0], acc[r][1]);
        h = _mm256_permute4x64_epi64(h, 0xD8);
        store8(pl, h, i + (size_t)r, j0, cols);
    }
}

static void tile_any(const struct plan *pl, int mr, size_t i, size_t j0)
{
    switch (mr) {
    case 1: tile(pl, 1, i, j0); break;
    case 2: tile(pl, 2, i, j0); break;
    case 3: tile(pl, 3, i, j0); break;
    case 4: tile(pl, 4, i, j0); break;
    case 5: tile(pl, 5, i, j0); break;
    default: tile(pl, MR, i, j0); break;
    }
}

/* Channel groups of 8 [g0, g1) x row tiles [r0, r1). */
static void run_range(const struct plan *pl, size_t g0, size_t g1, size_t r0, size_t r1)
{
    size_t m = pl->a->m;
    for (size_t g = g0; g < g1; g++) {
        if (g * 8 >= pl->a->n)
            break;
        for (size_t rt = r0; rt < r1; rt++) {
            size_t i = rt * MR;
            tile_any(pl, (int)(m - i < MR ? m - i : MR), i, g * 8);
        }
    }
}

static void run_thread(const struct plan *pl, size_t tid, size_t nth)
{
    size_t n_groups = (pl->a->n + 7) / 8, n_tiles = (pl->a->m + MR - 1) / MR;
    if (nth == 1 || n_groups % nth == 0 || n_groups >= 8 * nth || n_tiles < nth)
        run_range(pl, tid * n_groups / nth, (tid + 1) * n_groups / nth, 0, n_tiles);
    else
        run_range(pl, 0, n_groups, tid * n_tiles / nth, (tid + 1) * n_tiles / nth);
}

static enum ab_status gemm_i8_avx2(const struct ab_gemm_i8_args *a, const struct ab_exec *exec)
{
    enum ab_status st = ab__gemm_i8_check_args(a, exec);
    if (st != AB_OK)
        return st;
    if (a->m == 0 || a->n == 0)
        return AB_OK;
    size_t xb = ws_x_bytes(a->m, a->k);
    if (!exec->workspace || exec->workspace_bytes < xb + a->m * sizeof(float))
        return AB_EINVAL;
    int16_t *xw = exec->workspace;
    float *sx = (float *)(void *)((char *)exec->workspace + xb);
    struct plan pl = {
        .a = a, .xw = xw, .sx = sx, .lda = a->w->k_pad, .k4 = a->w->k_pad / 4,
        .inv_out = a->out == AB_I8_OUT_S8 ? 1.0f / a->out_scale : 0.0f,
    };
    int nth = exec->n_threads;
#ifdef _OPENMP
    if (nth > 1) {
#pragma omp parallel num_threads(nth)
        {
#pragma omp for schedule(static)
            for (size_t i = 0; i < a->m; i++)
                quantize_row(a, i, xw + i * pl.lda, pl.lda, sx + i);
            run_thread(&pl, (size_t)omp_get_thread_num(), (size_t)omp_get_num_threads());
        }
        return AB_OK;
    }
#endif
    for (size_t i = 0; i < a->m; i++)
        quantize_row(a, i, xw + i * pl.lda, pl.lda, sx + i);
    run_thread(&pl, 0, 1);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_gemm_i8_avx2;
const struct ab_kernel ab__kernel_gemm_i8_avx2 = {
    .name = "gemm_i8_avx2",
    .family = &ab_family_gemm_i8,
    .variant = "avx2",
    .doc = "int8 widened to int16, vpmaddwd (exact, no int16 saturation), 6x8 ymm tile",
    .isa_needs = AB_ISA_AVX2_FMA,
    .is_ref = false,
    .fn.gemm_i8 = gemm_i8_avx2,
    .supports = NULL,
    .workspace_bytes = avx2_workspace,
    .flops = ab__gemm_i8_flops,
    .bytes = ab__gemm_i8_bytes,
    .tol = AB__I8_TOL,
};
