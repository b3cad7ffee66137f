/*
 * gemm_f32_avx512.c - AVX-512 FP32 GEMM: C = alpha * A * op(B) + beta * C, row-major.
 *
 * Design (Goto/BLIS-style, tuned on a Zen 4 core: 1 zmm FMA per cycle, latency 4,
 * L1d 32 KB, L2 1 MB):
 *   - k is cut into blocks of KC; for every k block a block of op(B) (kc x up to NC
 *     columns) is packed into panels of NR = 64 columns, [kk][NR], zero-padded, so the
 *     micro-kernel reads it with aligned full-width loads. It stays in L2 while every
 *     row panel of A streams past it.
 *   - A is packed MR = 6 rows at a time, each row kc floats long at a fixed stride: a
 *     plain copy (no transpose), small enough to stay in L1 while the micro-kernel
 *     walks the whole B block.
 *   - The micro-kernel keeps a 6 x 64 tile of C in 24 zmm accumulators: per k step
 *     4 loads of B, 6 broadcasts of A, 24 FMAs, enough independent chains to cover the
 *     FMA latency. Edges use kernels instantiated for 1..6 rows x 1..4 vectors, with
 *     __mmask16 loads and stores of C for the last partial vector.
 *   - trans_b (B stored n x k) is packed through 16 x 16 in-register transposes.
 *   - m <= MR (GEMV-like): B would be used once, so it is not packed. With trans_b
 *     each C element is a dot product over contiguous rows of A and B (16 partial
 *     sums reduced at the end); without, the same micro-kernel reads B in place.
 *
 * Workspace per thread: MR * (KC + 16) floats for A plus min(k, KC) * min(n rounded
 * up to NR, NC) floats for B, each rounded up to 64 bytes; times n_threads.
 *
 * Threads: C is cut into tiles (whole N blocks, or row ranges when N is too narrow to
 * share), each tile runs the whole k loop with its own packing buffers. Every element
 * of C is summed in the same order (k blocks in order, k ascending within a block)
 * whatever the tiling, so results do not depend on the thread count.
 *
 * Assumes: the caller's workspace is at least workspace_bytes(shape, n_threads) and
 * 64-byte aligned; A, B and C do not overlap. beta == 0 means C is never read.
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/kernel.h"
#include "gemm_impl.h"

extern const struct ab_kernel ab__kernel_gemm_f32_avx512;

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

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* Bytes of one thread's packing buffers for a problem of n columns and depth k. */
static size_t per_thread_bytes(size_t n, size_t k)
{
    size_t kc = min_size(k, KC);
    size_t nc = min_size(ALIGN_UP(n, NR), NC);
    size_t a_bytes = ALIGN_UP((size_t)MR * A_STRIDE * sizeof(float), AB_ALIGN_BYTES);
    size_t b_bytes = ALIGN_UP(kc * nc * sizeof(float), AB_ALIGN_BYTES);
    return a_bytes + b_bytes;
}

static size_t workspace_for(size_t n, size_t k, int n_threads)
{
    if (n_threads < 1)
        n_threads = 1;
    return per_thread_bytes(n, k) * (size_t)n_threads;
}

static size_t gemm_f32_avx512_workspace(const struct ab_shape *shape, int n_threads)
{
    int64_t n = shape->v[AB__GEMM_N], k = shape->v[AB__GEMM_K];
    if (n < 1 || k < 1)
        return 0;
    return workspace_for((size_t)n, (size_t)k, n_threads);
}

/* Mask of the first `cols` lanes (0..16). */
static inline __mmask16 lane_mask(size_t cols)
{
    return cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1u);
}

/* ---- packing ---------------------------------------------------------------------- */

/* Copy rows [0, mr) x cols [0, kc) of A into ap (row stride A_STRIDE). */
static void pack_a(size_t mr, size_t kc, const float *restrict a, size_t lda, float *restrict ap)
{
    __mmask16 tail = lane_mask(kc % 16);
    for (size_t i = 0; i < mr; ++i) {
        const float *src = a + i * lda;
        float *dst = ap + i * A_STRIDE;
        size_t kk = 0;
        for (; kk + 16 <= kc; kk += 16)
            _mm512_store_ps(dst + kk, _mm512_loadu_ps(src + kk));
        if (kk < kc)
            _mm512_mask_storeu_ps(dst + kk, tail, _mm512_maskz_loadu_ps(tail, src + kk));
    }
}

/*
 * op(B) = B (k x n, row stride ldb): rows [0, kc) x cols [0, nc) into panels of NR
 * columns, [panel][kk][NR], columns past nc set to zero.
 */
static void pack_b_n(size_t kc, size_t nc, const float *restrict b, size_t ldb, float *restrict bp)
{
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        float *panel = bp + (j0 / NR) * kc * NR;
        size_t cols = min_size(NR, nc - j0);
        if (cols == NR) {
            for (size_t kk = 0; kk < kc; ++kk) {
                const float *src = b + kk * ldb + j0;
                for (int v = 0; v < NV; ++v)
                    _mm512_store_ps(panel + kk * NR + 16 * v, _mm512_loadu_ps(src + 16 * v));
            }
        } else {
            __mmask16 m[NV];
            for (int v = 0; v < NV; ++v)
                m[v] = lane_mask(cols > (size_t)16 * v ? cols - (size_t)16 * v : 0);
            for (size_t kk = 0; kk < kc; ++kk) {
                const float *src = b + kk * ldb + j0;
                for (int v = 0; v < NV; ++v)
                    _mm512_store_ps(panel + kk * NR + 16 * v, _mm512_maskz_loadu_ps(m[v], src + 16 * v));
            }
        }
    }
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

/*
 * op(B) = B^T (B is n x k, row stride ldb): packs op(B) rows [0, kc) x cols [0, nc)
 * (i.e. B rows [0, nc), B columns [0, kc)) into the same panel layout as pack_b_n.
 */
static void pack_b_t(size_t kc, size_t nc, const float *restrict b, size_t ldb, float *restrict bp)
{
    size_t nc_pad = ALIGN_UP(nc, NR);
    for (size_t j0 = 0; j0 < nc_pad; j0 += 16) {
        float *dst = bp + (j0 / NR) * kc * NR + (j0 % NR);
        size_t rows = nc > j0 ? min_size(16, nc - j0) : 0;
        for (size_t k0 = 0; k0 < kc; k0 += 16) {
            size_t depth = min_size(16, kc - k0);
            __mmask16 km = lane_mask(depth);
            /* Sixteen interleaved short row streams defeat the hardware prefetcher
             * when B comes from DRAM: fetch PACK_PF floats ahead in each row, or the
             * start of the next 16 rows near the end of the block. */
            size_t pk = k0 + PACK_PF, prow = j0;
            if (pk >= kc) {
                pk -= kc;
                prow += 16;
            }
            for (size_t i = 0; i < 16 && prow + i < nc && pk < kc; ++i)
                _mm_prefetch((const char *)(b + (prow + i) * ldb + pk), _MM_HINT_T0);
            __m512 r[16];
            for (size_t i = 0; i < 16; ++i)
                r[i] = i < rows ? _mm512_maskz_loadu_ps(km, b + (j0 + i) * ldb + k0) : _mm512_setzero_ps();
            transpose16(r);
            for (size_t kk = 0; kk < depth; ++kk)
                _mm512_store_ps(dst + (k0 + kk) * NR, r[kk]);
        }
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
                                                               size_t cols, const struct merge *mg)
{
    /* Only the last vector of a row can be partial. */
    __mmask16 last = lane_mask(cols - (size_t)16 * (nv - 1));

    /* C comes from L2/L3 at best; start fetching it now so the merge below does not
     * stall (a k block is hundreds of cycles long). */
    if (mg->read_c)
        for (int i = 0; i < mr; ++i)
            for (int v = 0; v < nv; ++v)
                _mm_prefetch((const char *)(c + (size_t)i * ldc + 16 * v), _MM_HINT_T0);

    __m512 acc[MR][NV];
    for (int i = 0; i < mr; ++i)
        for (int v = 0; v < nv; ++v)
            acc[i][v] = _mm512_setzero_ps();

    for (size_t kk = 0; kk < kc; ++kk) {
        __m512 bv[NV];
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
                              size_t ldc, const struct merge *mg)
{
    micro_kernel(MR, NV, false, kc, ap, bp, NR, c, ldc, NR, mg);
}

/* Edges: one instantiation per (rows, vectors) keeps every accumulator in a register. */
static void micro_kernel_edge(size_t mr, size_t cols, size_t kc, const float *restrict ap, const float *restrict bp,
                              float *restrict c, size_t ldc, const struct merge *mg)
{
    int nv = (int)((cols + 15) / 16);
    switch ((int)mr * 8 + nv) {
#define EDGE_CASE(r, v) \
    case (r) * 8 + (v): micro_kernel((r), (v), false, kc, ap, bp, NR, c, ldc, cols, mg); break;
#define EDGE_ROW(r) EDGE_CASE(r, 1) EDGE_CASE(r, 2) EDGE_CASE(r, 3) EDGE_CASE(r, 4)
        EDGE_ROW(1) EDGE_ROW(2) EDGE_ROW(3) EDGE_ROW(4) EDGE_ROW(5) EDGE_ROW(6)
#undef EDGE_ROW
#undef EDGE_CASE
    default: break;
    }
}

/*
 * One row panel only (m <= MR): B is used once, so packing it would only add a pass
 * over memory. Reads op(B) = B in place (row stride ldb, masked at the n edge); the
 * sums are formed in the same order as with packed B.
 */
static void micro_kernel_direct(size_t mr, size_t cols, size_t kc, const float *restrict ap, const float *restrict b,
                                size_t ldb, float *restrict c, size_t ldc, const struct merge *mg)
{
    int nv = (int)((cols + 15) / 16);
    switch ((int)mr * 8 + nv) {
#define DIRECT_CASE(r, v) \
    case (r) * 8 + (v): micro_kernel((r), (v), true, kc, ap, b, ldb, c, ldc, cols, mg); break;
#define DIRECT_ROW(r) DIRECT_CASE(r, 1) DIRECT_CASE(r, 2) DIRECT_CASE(r, 3) DIRECT_CASE(r, 4)
        DIRECT_ROW(1) DIRECT_ROW(2) DIRECT_ROW(3) DIRECT_ROW(4) DIRECT_ROW(5) DIRECT_ROW(6)
#undef DIRECT_ROW
#undef DIRECT_CASE
    default: break;
    }
}

/*
 * C[0..mr) x [0..4) (+)= alpha * A * B^T over the whole k, for m <= MR with trans_b:
 * both operands are contiguous along k, so each of the MR x 4 dot products keeps a
 * zmm of 16 partial sums that is reduced at the end. B rows are streamed once. Rows
 * of B past `rows` alias row 0 and their results are dropped.
 */
static inline __attribute__((always_inline)) void dot_kernel(int mr, size_t k, const float *restrict a, size_t lda,
                                                             const float *restrict b, size_t ldb, size_t rows,
                                                             float *restrict c, size_t ldc, float alpha, float beta)
{
    const float *br[4];
    for (size_t j = 0; j < 4; ++j)
        br[j] = b + (j < rows ? j : 0) * ldb;
    __m512 acc[MR][4];
    for (int i = 0; i < mr; ++i)
        for (int j = 0; j < 4; ++j)
            acc[i][j] = _mm512_setzero_ps();
    for (size_t kk = 0; kk < k; kk += 16) {
        __mmask16 km = lane_mask(k - kk);
        __m512 bv[4];
        for (int j = 0; j < 4; ++j)
            bv[j] = _mm512_maskz_loadu_ps(km, br[j] + kk);
        for (int i = 0; i < mr; ++i) {
            __m512 av = _mm512_maskz_loadu_ps(km, a + (size_t)i * lda + kk);
            for (int j = 0; j < 4; ++j)
                acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < mr; ++i) {
        float *cr = c + (size_t)i * ldc;
        for (size_t j = 0; j < rows; ++j) {
            float dot = _mm512_reduce_add_ps(acc[i][j]);
            cr[j] = beta == 0.0f ? alpha * dot : alpha * dot + beta * cr[j];
        }
    }
}

static void dot_kernel_rows(size_t mr, size_t k, const float *restrict a, size_t lda, const float *restrict b,
                            size_t ldb, size_t rows, float *restrict c, size_t ldc, float alpha, float beta)
{
    switch (mr) {
    case 1: dot_kernel(1, k, a, lda, b, ldb, rows, c, ldc, alpha, beta); break;
    case 2: dot_kernel(2, k, a, lda, b, ldb, rows, c, ldc, alpha, beta); break;
    case 3: dot_kernel(3, k, a, lda, b, ldb, rows, c, ldc, alpha, beta); break;
    case 4: dot_kernel(4, k, a, lda, b, ldb, rows, c, ldc, alpha, beta); break;
    case 5: dot_kernel(5, k, a, lda, b, ldb, rows, c, ldc, alpha, beta); break;
    default: dot_kernel(6, k, a, lda, b, ldb, rows, c, ldc, alpha, beta); break;
    }
}

/* ---- driver ------------------------------------------------------------------------- */

/* One rectangular tile of C: rows [i0, i1), columns [j0, j1), j1 - j0 <= NC. */
static void run_tile(const struct ab_gemm_f32_args *g, size_t i0, size_t i1, size_t j0, size_t j1, float *ws)
{
    float *ap = ws;
    float *bp = ws + ALIGN_UP((size_t)MR * A_STRIDE, AB_ALIGN_BYTES / sizeof(float));
    size_t nc = j1 - j0;
    /* Chosen from m alone (never from the tiling), so results do not depend on the
     * thread count. */
    bool small_m = g->m <= MR;

    if (small_m && g->trans_b) {
        for (size_t j = j0; j < j1; j += 4)
            dot_kernel_rows(i1 - i0, g->k, g->a + i0 * g->lda, g->lda, g->b + j * g->ldb, g->ldb,
                            min_size(4, j1 - j), g->c + i0 * g->ldc + j, g->ldc, g->alpha, g->beta);
        return;
    }

    for (size_t p0 = 0; p0 < g->k; p0 += KC) {
        size_t kc = min_size(KC, g->k - p0);
        if (!small_m && g->trans_b)
            pack_b_t(kc, nc, g->b + j0 * g->ldb + p0, g->ldb, bp);
        else if (!small_m)
            pack_b_n(kc, nc, g->b + p0 * g->ldb + j0, g->ldb, bp);

        struct merge mg = {
            .alpha = _mm512_set1_ps(g->alpha),
            .cscale = _mm512_set1_ps(p0 == 0 ? g->beta : 1.0f),
            .read_c = p0 != 0 || g->beta != 0.0f,
        };
        for (size_t i = i0; i < i1; i += MR) {
            size_t mr = min_size(MR, i1 - i);
            pack_a(mr, kc, g->a + i * g->lda + p0, g->lda, ap);
            float *crow = g->c + i * g->ldc + j0;
            if (small_m) {
                for (size_t j = 0; j < nc; j += NR)
                    micro_kernel_direct(mr, min_size(NR, nc - j), kc, ap, g->b + p0 * g->ldb + j0 + j, g->ldb,
                                        crow + j, g->ldc, &mg);
                continue;
            }
            for (size_t j = 0; j < nc; j += NR) {
                const float *panel = bp + (j / NR) * kc * NR;
                size_t cols = min_size(NR, nc - j);
                if (mr == MR && cols == NR)
                    micro_kernel_full(kc, ap, panel, crow + j, g->ldc, &mg);
                else
                    micro_kernel_edge(mr, cols, kc, ap, panel, crow + j, g->ldc, &mg);
            }
        }
    }
}

/*
 * Tiling of C for n_threads: gn column blocks (each at most NC wide, in whole NR
 * panels) times gm row blocks (in whole MR panels). Wide problems share column blocks
 * so B is packed once; narrow ones share rows.
 */
struct tiling {
    size_t gm, gn;
    size_t pm, pn;  /* row panels (MR) and column panels (NR) of the whole C */
};

static struct tiling make_tiling(size_t m, size_t n, int n_threads)
{
    struct tiling t;
    size_t th = (size_t)n_threads;
    t.pm = (m + MR - 1) / MR;
    t.pn = (n + NR - 1) / NR;
    t.gn = (t.pn + NC / NR - 1) / (NC / NR);
    t.gm = 1;
    if (th > 1) {
        if (t.gn % th != 0 && t.pn >= th * 2 && t.pn >= t.pm) {
            /* Enough column panels: round the column blocks up to a multiple of th. */
            t.gn = ALIGN_UP(t.gn, th);
        } else if (t.gn % th != 0) {
            t.gm = min_size(th, t.pm);
            if (t.gm * t.gn < th && t.pn >= th)
                t.gn = ALIGN_UP(t.gn, th);
        }
        if (t.gn > t.pn)
            t.gn = t.pn;
    }
    return t;
}

static void run_task(const struct ab_gemm_f32_args *g, const struct tiling *t, size_t task, float *ws)
{
    size_t bm = task / t->gn, bn = task % t->gn;
    size_t i0 = (bm * t->pm / t->gm) * MR, i1 = min_size(((bm + 1) * t->pm / t->gm) * MR, g->m);
    size_t j0 = (bn * t->pn / t->gn) * NR, j1 = min_size(((bn + 1) * t->pn / t->gn) * NR, g->n);
    if (i0 < i1 && j0 < j1)
        run_tile(g, i0, i1, j0, j1, ws);
}

/* k == 0: C = beta * C (or zero), the product being empty. */
static void scale_c(const struct ab_gemm_f32_args *g)
{
    for (size_t i = 0; i < g->m; ++i) {
        float *cr = g->c + i * g->ldc;
        for (size_t j = 0; j < g->n; ++j)
            cr[j] = g->beta == 0.0f ? 0.0f : g->beta * cr[j];
    }
}

static enum ab_status gemm_f32_avx512(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    if (!args || !exec || exec->n_threads < 1)
        return AB_EINVAL;
    const struct ab_gemm_f32_args *g = args;
    if (g->m == 0 || g->n == 0)
        return AB_OK;
    if (!g->c || g->ldc < g->n)
        return AB_EINVAL;
    if (g->k == 0) {
        scale_c(g);
        return AB_OK;
    }
    if (!g->a || !g->b || g->lda < g->k || g->ldb < (g->trans_b ? g->k : g->n))
        return AB_EINVAL;

    int n_threads = exec->n_threads;
    size_t per_thread = per_thread_bytes(g->n, g->k);
    if (!exec->workspace || exec->workspace_bytes < per_thread * (size_t)n_threads ||
        (uintptr_t)exec->workspace % AB_ALIGN_BYTES != 0)
        return AB_EINVAL;

    struct tiling t = make_tiling(g->m, g->n, n_threads);
    size_t n_tasks = t.gm * t.gn;
    char *ws = exec->workspace;

#ifdef _OPENMP
    if (n_threads > 1 && n_tasks > 1) {
#pragma omp parallel num_threads(n_threads)
        {
            size_t tid = (size_t)omp_get_thread_num(), nth = (size_t)omp_get_num_threads();
            float *my_ws = (float *)(void *)(ws + tid * per_thread);
            for (size_t task = tid; task < n_tasks; task += nth)
                run_task(g, &t, task, my_ws);
        }
        return AB_OK;
    }
#endif
    for (size_t task = 0; task < n_tasks; ++task)
        run_task(g, &t, task, (float *)(void *)ws);
    return AB_OK;
}

const struct ab_kernel ab__kernel_gemm_f32_avx512 = {
    .name = "gemm_f32_avx512",
    .family = &ab_family_gemm_f32,
    .variant = "avx512",
    .doc = "packed B (KCx64 panels) and A (6-row panels), 6x64 zmm micro-kernel, OpenMP over C tiles",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.gemm_f32 = gemm_f32_avx512,
    .supports = NULL,
    .workspace_bytes = gemm_f32_avx512_workspace,
    .flops = ab__gemm_f32_flops,
    .bytes = ab__gemm_f32_bytes,
    .tol = AB__GEMM_F32_TOL,
};
