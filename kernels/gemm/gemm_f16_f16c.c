/*
 * gemm_f16_f16c.c - FP16-storage GEMM on AVX-512: C = alpha * A * op(B) + beta * C, A and
 * B binary16, widened to FP32 while packing, multiplied and summed in FP32.
 *
 * The FP32 GEMM's design (gemm_f32_avx512.c), with its block sizes, panel layout,
 * 6 x 64 FMA micro-kernel and thread tiling taken from gemm_avx512_tile.h: only the
 * packing differs. Widening is O(k (m + n)) per k block against O(m n k) multiply-adds,
 * so at 1024^3 it is under 1% of the instructions and the variant should run at the
 * FP32 kernel's speed, while reading half the bytes of A and B from memory.
 *   - A: MR rows of kc FP16 per panel, 16 at a time through vcvtph2ps
 *     (_mm512_cvtph_ps, exact: every binary16 including subnormals is an FP32 normal),
 *     masked at the k tail.
 *   - op(B) = B: each row segment of 16 columns widened into the [panel][kk][NR] layout,
 *     columns past n zero.
 *   - op(B) = B^T: 16 rows x 16 k of B widened into zmm registers and put through the
 *     same 16 x 16 transpose as the FP32 kernel.
 *   - Unlike gemm_f32_avx512 there is no unpacked path for m <= MR: the FP32
 *     micro-kernel cannot read FP16 in place, and packing B costs one pass over it.
 *
 * Numerics: a product of two binary16 is exact in FP32, so the only rounding is the FP32
 * summation (k in order within a block, blocks in order), the same as gemm_f32's. The
 * tiling never changes the order, so results do not depend on the thread count.
 *
 * Workspace per thread: as gemm_f32_avx512 (FP32 panels), times n_threads.
 * Assumes: A, B and C do not overlap. beta == 0 means C is never read.
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/cpu.h"
#include "archbench/gemm_f16.h"
#include "archbench/kernel.h"
#include "gemm_avx512_tile.h"
#include "gemm_f16_impl.h"

extern const struct ab_kernel ab__kernel_gemm_f16_f16c;

static size_t gemm_f16_f16c_workspace(const struct ab_shape *shape, int n_threads)
{
    int64_t n = shape->v[AB__HALF_N], k = shape->v[AB__HALF_K];
    if (n < 1 || k < 1)
        return 0;
    return per_thread_bytes((size_t)n, (size_t)k) * (size_t)(n_threads < 1 ? 1 : n_threads);
}

/* 16 (or the first `m` lanes of 16) binary16 values widened to FP32; masked lanes are 0. */
static inline __m512 load_f16(const uint16_t *p, __mmask16 m)
{
    return _mm512_cvtph_ps(m == 0xFFFF ? _mm256_loadu_si256((const __m256i *)(const void *)p)
                                       : _mm256_maskz_loadu_epi16(m, p));
}

/* ---- packing ---------------------------------------------------------------------- */

/* Rows [0, mr) x cols [0, kc) of A, widened, into ap (row stride A_STRIDE). */
static void pack_a(size_t mr, size_t kc, const uint16_t *restrict a, size_t lda, float *restrict ap)
{
    __mmask16 tail = lane_mask(kc % 16);
    for (size_t i = 0; i < mr; ++i) {
        const uint16_t *src = a + i * lda;
        float *dst = ap + i * A_STRIDE;
        size_t kk = 0;
        for (; kk + 16 <= kc; kk += 16)
            _mm512_store_ps(dst + kk, load_f16(src + kk, 0xFFFF));
        if (kk < kc)
            _mm512_mask_storeu_ps(dst + kk, tail, load_f16(src + kk, tail));
    }
}

/*
 * op(B) = B (k x n, row stride ldb): rows [0, kc) x cols [0, nc), widened, into panels of
 * NR columns, [panel][kk][NR], columns past nc set to zero.
 */
static void pack_b_n(size_t kc, size_t nc, const uint16_t *restrict b, size_t ldb, float *restrict bp)
{
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        float *panel = bp + (j0 / NR) * kc * NR;
        size_t cols = min_size(NR, nc - j0);
        __mmask16 m[NV];
        for (int v = 0; v < NV; ++v)
            m[v] = lane_mask(cols > (size_t)16 * v ? cols - (size_t)16 * v : 0);
        for (size_t kk = 0; kk < kc; ++kk) {
            const uint16_t *src = b + kk * ldb + j0;
            for (int v = 0; v < NV; ++v)
                _mm512_store_ps(panel + kk * NR + 16 * v, load_f16(src + 16 * v, m[v]));
        }
    }
}

/*
 * op(B) = B^T (B is n x k, row stride ldb): B rows [0, nc) x B columns [0, kc), widened,
 * into the same panel layout, 16 x 16 blocks at a time through registers.
 */
static void pack_b_t(size_t kc, size_t nc, const uint16_t *restrict b, size_t ldb, float *restrict bp)
{
    size_t nc_pad = ALIGN_UP(nc, NR);
    for (size_t j0 = 0; j0 < nc_pad; j0 += 16) {
        float *dst = bp + (j0 / NR) * kc * NR + (j0 % NR);
        size_t rows = nc > j0 ? min_size(16, nc - j0) : 0;
        for (size_t k0 = 0; k0 < kc; k0 += 16) {
            size_t depth = min_size(16, kc - k0);
            __mmask16 km = lane_mask(depth);
            /* As in the FP32 kernel: sixteen short row streams defeat the hardware
             * prefetcher, so fetch ahead in each row (PACK_PF elements, half the bytes
             * of FP32's, which still lands a few cache lines ahead). */
            size_t pk = k0 + PACK_PF, prow = j0;
            if (pk >= kc) {
                pk -= kc;
                prow += 16;
            }
            for (size_t i = 0; i < 16 && prow + i < nc && pk < kc; ++i)
                _mm_prefetch((const char *)(b + (prow + i) * ldb + pk), _MM_HINT_T0);
            __m512 r[16];
            for (size_t i = 0; i < 16; ++i)
                r[i] = i < rows ? load_f16(b + (j0 + i) * ldb + k0, km) : _mm512_setzero_ps();
            transpose16(r);
            for (size_t kk = 0; kk < depth; ++kk)
                _mm512_store_ps(dst + (k0 + kk) * NR, r[kk]);
        }
    }
}

/* ---- driver ------------------------------------------------------------------------- */

/* One rectangular tile of C: rows [i0, i1), columns [j0, j1), j1 - j0 <= NC. */
static void run_tile(const struct ab_gemm_f16_args *g, size_t i0, size_t i1, size_t j0, size_t j1, float *ws)
{
    float *ap = ws;
    float *bp = ws + ALIGN_UP((size_t)MR * A_STRIDE, AB_ALIGN_BYTES / sizeof(float));
    size_t nc = j1 - j0;
    for (size_t p0 = 0; p0 < g->k; p0 += KC) {
        size_t kc = min_size(KC, g->k - p0);
        if (g->trans_b)
            pack_b_t(kc, nc, g->b + j0 * g->ldb + p0, g->ldb, bp);
        else
            pack_b_n(kc, nc, g->b + p0 * g->ldb + j0, g->ldb, bp);

        struct merge mg = merge_for(p0, g->alpha, g->beta);
        for (size_t i = i0; i < i1; i += MR) {
            size_t mr = min_size(MR, i1 - i);
            pack_a(mr, kc, g->a + i * g->lda + p0, g->lda, ap);
            float *crow = g->c + i * g->ldc + j0;
            /* A and next-panel C prefetch not measured for f16 */
            row_panel_times_block(mr, nc, kc, ap, bp, crow, g->ldc, &mg, NULL, false, NULL, 0);
        }
    }
}

static void run_task(const void *ctx, size_t i0, size_t i1, size_t j0, size_t j1, float *ws)
{
    run_tile(ctx, i0, i1, j0, j1, ws);
}

static enum ab_status gemm_f16_f16c(const struct ab_gemm_f16_args *args, const struct ab_exec *exec)
{
    if (!args)
        return AB_EINVAL;
    const struct ab_gemm_f16_args *g = args;
    return run_gemm(g->m, g->n, g->k, g->a, g->lda, g->b, g->ldb, g->trans_b, g->c, g->ldc, g->beta, exec, run_task,
                    g);
}

const struct ab_kernel ab__kernel_gemm_f16_f16c = {
    .name = "gemm_f16_f16c",
    .family = &ab_family_gemm_f16,
    .variant = "f16c",
    .doc = "FP16 widened by vcvtph2ps while packing into gemm_f32_avx512's FP32 panels, its 6x64 zmm FMA "
           "micro-kernel, OpenMP over C tiles",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.gemm_f16 = gemm_f16_f16c,
    .supports = NULL,
    .workspace_bytes = gemm_f16_f16c_workspace,
    .flops = ab__gemm_half_flops,
    .bytes = ab__gemm_half_bytes,
    .tol = AB__GEMM_F16_TOL,
};
