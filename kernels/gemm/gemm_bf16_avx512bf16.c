/*
 * gemm_bf16_avx512bf16.c - BF16 GEMM through AVX512-BF16: C = alpha * A * op(B) + beta * C,
 * A and B bfloat16, products summed in FP32 by vdpbf16ps.
 *
 * vdpbf16ps (_mm512_dpbf16_ps) takes, in each of 16 FP32 lanes, one PAIR of BF16 values
 * from each source and adds a0*b0 + a1*b1 to the lane. Both operands must therefore be
 * arranged by pairs of consecutive k, and that is what the packing does:
 *   - B (the streamed operand) is packed into panels of NR = 64 columns, one 32-bit word
 *     per (k pair, column): low half op(B)[2q][j], high half op(B)[2q+1][j], layout
 *     [panel][q][NR]. Without trans_b two rows of B are zero-extended to 32 bits and
 *     merged (lo | hi << 16); with trans_b (B is n x k) the pair is already two
 *     consecutive elements of a row of B, so 16 columns are fetched with one gather.
 *     An odd k leaves a last pair whose high half is zero.
 *   - A is copied MR = 6 rows at a time, kc elements (rounded up to even, the pad zero)
 *     at a fixed row stride; a row's pair q is one 32-bit word, broadcast to all lanes.
 *     Zero times zero in the pad keeps the tail exact (no garbage, no NaN).
 *   - Micro-kernel: a 6 x 64 tile of C in 24 zmm accumulators; per k pair 4 loads of B,
 *     6 broadcasts of A, 24 vdpbf16ps (each 16 lanes x 2 multiply-adds: twice an FP32
 *     FMA's work per instruction) on 24 independent chains to cover their latency.
 *     Edges use instantiations for 1..6 rows x 1..4 vectors, masked C loads/stores.
 *   - Cache blocking read from the CPU (cpu.h), never hard-coded: kc so that the A panel
 *     (MR x kc BF16) takes about 3/16 of L1d and stays there while B streams past it
 *     (L1d / 64, 512 for 32 KiB, 768 for 48 KiB, clamped to [256, 1024]); nc so that the
 *     packed B block (kc x nc BF16) takes half of L2. Fallbacks when CPUID says nothing:
 *     32 KiB and 1 MiB. k blocks of equal depth instead (k = 1024 as 512 + 512 rather than
 *     768 + 256) measured the same: archbench ab, 10 blocks, 2026-12-02, new / old time
 *     0.999 [0.956, 1.008] and 0.999 [0.986, 1.000] at 1024^3 and 2048^3, 1 thread; 0.995
 *     and 0.999 at 2.
 *
 *   - Prefetch (gemm_prefetch.h): the next row panel's A source lines, a share before each
 *     micro-kernel call, and the next C tile's lines spread over each call's k loop.
 *     archbench ab against the code without them (quiet, 12 blocks, new / old time):
 *     A alone 0.964 [0.944, 0.977] at 2048^3 1 thread, 0.99 at 2 threads, no change at
 *     1024^3; with C too 0.965 and 0.987 at 2048^3, 0.985 and 0.992 at 1024^3.
 *
 * Threads: C is cut into tiles by gemm_tiling.h (row blocks when every thread gets enough
 * rows, else column blocks), each running the whole k loop with its own packing buffers.
 * Every element of C is summed in the same order whatever the tiling, so results do not
 * depend on the thread count.
 *
 * Numerics: products of two BF16 are exact in FP32; vdpbf16ps rounds (RNE) and flushes
 * BF16 denormal inputs and FP32 denormal results to zero, which the reference does not:
 * the family's tolerance covers the rounding, and its inputs have no denormals.
 *
 * Workspace per thread: MR rows of kc + 32 BF16 for A, plus ceil(kc / 2) x min(n rounded up
 * to NR, nc) 32-bit words for B, each rounded up to 64 bytes; times n_threads.
 * Assumes: A, B and C do not overlap. beta == 0 means C is never read.
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/cpu.h"
#include "archbench/gemm_bf16.h"
#include "archbench/kernel.h"
#include "gemm_bf16_impl.h"
#include "gemm_prefetch.h"
#include "gemm_tiling.h"

extern const struct ab_kernel ab__kernel_gemm_bf16_avx512bf16;

/* Register tile: MR rows x NV zmm vectors (NR columns) of C. */
#define MR 6
#define NV 4
#define NR (16 * NV)

#define ALIGN_UP(x, a) (((x) + (a) - 1) / (a) * (a))

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }
static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* Block sizes of this machine (see the top of the file). */
struct blocking {
    size_t kc;        /* k block, even */
    size_t nc;        /* column block, a multiple of NR */
    size_t a_stride;  /* BF16 elements between packed A rows: kc plus one cache line */
};

static struct blocking blocking_of(void)
{
    int64_t l1 = ab_cpu_cache_bytes(1), l2 = ab_cpu_cache_bytes(2);
    size_t l1_bytes = l1 > 0 ? (size_t)l1 : (size_t)32 << 10;
    size_t l2_bytes = l2 > 0 ? (size_t)l2 : (size_t)1 << 20;
    struct blocking b;
    b.kc = min_size(max_size(l1_bytes / 64, 256), 1024) / 16 * 16;
    b.nc = min_size(max_size((l2_bytes / 2) / (b.kc * sizeof(uint16_t)) / NR * NR, NR), 4096);
    b.a_stride = b.kc + 32;
    return b;
}

/* Bytes of one thread's packing buffers for n columns and depth k. */
static size_t per_thread_bytes(const struct blocking *bl, size_t n, size_t k)
{
    size_t kc = min_size(k, bl->kc);
    size_t nc = min_size(ALIGN_UP(n, NR), bl->nc);
    size_t a_bytes = ALIGN_UP((size_t)MR * bl->a_stride * sizeof(uint16_t), AB_ALIGN_BYTES);
    size_t b_bytes = ALIGN_UP((kc + 1) / 2 * nc * sizeof(uint32_t), AB_ALIGN_BYTES);
    return a_bytes + b_bytes;
}

static size_t gemm_bf16_avx512bf16_workspace(const struct ab_shape *shape, int n_threads)
{
    int64_t n = shape->v[AB__HALF_N], k = shape->v[AB__HALF_K];
    if (n < 1 || k < 1)
        return 0;
    struct blocking bl = blocking_of();
    return per_thread_bytes(&bl, (size_t)n, (size_t)k) * (size_t)(n_threads < 1 ? 1 : n_threads);
}

/* Mask of the first `cols` lanes (0..16). */
static inline __mmask16 lane_mask(size_t cols)
{
    return cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1u);
}

/* ---- packing ---------------------------------------------------------------------- */

/* Rows [0, mr) x cols [0, kc) of A into ap (row stride a_stride), an odd kc padded with a
 * zero so the last pair is whole. */
static void pack_a(size_t mr, size_t kc, const uint16_t *restrict a, size_t lda, uint16_t *restrict ap,
                   size_t a_stride)
{
    for (size_t i = 0; i < mr; ++i) {
        memcpy(ap + i * a_stride, a + i * lda, kc * sizeof(uint16_t));
        if (kc % 2)
            ap[i * a_stride + kc] = 0;
    }
}

/*
 * op(B) = B (k x n, row stride ldb): rows [0, kc) x cols [0, nc) into pair panels
 * [panel][q][NR] of 32-bit words (low half row 2q, high half row 2q + 1); columns past nc
 * and the missing row of an odd last pair are zero.
 */
static void pack_b_n(size_t kc, size_t nc, const uint16_t *restrict b, size_t ldb, uint32_t *restrict bp)
{
    size_t nq = (kc + 1) / 2;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        uint32_t *panel = bp + (j0 / NR) * nq * NR;
        size_t cols = min_size(NR, nc - j0);
        __mmask16 m[NV];
        for (int v = 0; v < NV; ++v)
            m[v] = lane_mask(cols > (size_t)16 * v ? cols - (size_t)16 * v : 0);
        for (size_t q = 0; q < nq; ++q) {
            const uint16_t *r0 = b + 2 * q * ldb + j0;
            const uint16_t *r1 = r0 + ldb;
            bool has_r1 = 2 * q + 1 < kc;
            for (int v = 0; v < NV; ++v) {
                __m512i lo = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m[v], r0 + 16 * v));
                __m512i hi = has_r1 ? _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m[v], r1 + 16 * v))
                                    : _mm512_setzero_si512();
                _mm512_store_si512(panel + q * NR + 16 * v, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
            }
        }
    }
}

/*
 * op(B) = B^T (B is n x k, row stride ldb): B rows [0, nc) x B columns [0, kc) into the
 * same pair panels. The pair (2q, 2q + 1) of column j is one 32-bit word of B's row j, so
 * 16 columns come in one gather (rows past nc masked to zero). The last element of an odd
 * kc is read alone: a 32-bit read there would pass the end of the row (and of B).
 */
static void pack_b_t(size_t kc, size_t nc, const uint16_t *restrict b, size_t ldb, uint32_t *restrict bp)
{
    size_t nq = (kc + 1) / 2, full_q = kc / 2;
    __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                      _mm512_set1_epi32((int)ldb));
    for (size_t j0 = 0; j0 < nc; j0 += 16) {
        uint32_t *dst = bp + (j0 / NR) * nq * NR + (j0 % NR);
        size_t n_rows = min_size(16, nc - j0);
        __mmask16 m = lane_mask(n_rows);
        const uint16_t *src = b + j0 * ldb;
        for (size_t q = 0; q < full_q; ++q) {
            __m512i w = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, rows, src + 2 * q, 2);
            _mm512_store_si512(dst + q * NR, w);
        }
        if (kc % 2) {
            uint32_t *last = dst + full_q * NR;
            for (size_t i = 0; i < 16; ++i)
                last[i] = i < n_rows ? (uint32_t)src[i * ldb + kc - 1] : 0u;
        }
    }
}

/* ---- micro-kernel ------------------------------------------------------------------ */

/* How a k block's product is merged into C: the first block applies beta (or, when
 * beta == 0, never reads C); later blocks add to C. */
struct merge {
    __m512 alpha;
    __m512 cscale;  /* beta on the first block, 1 after */
    bool read_c;
};

/* A row's pair q as one 32-bit word broadcast to every lane (memcpy: no aliasing games). */
static inline __m512bh broadcast_pair(const uint16_t *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return (__m512bh)_mm512_set1_epi32((int)w);
}

/*
 * C[0..mr) x [0..cols) (+)= alpha * Ap * Bp over nq k pairs, mr <= MR rows and
 * nv = ceil(cols / 16) <= NV vectors. Always inlined with constant mr and nv, so the
 * accumulators stay in registers.
 */
static inline __attribute__((always_inline)) void micro_kernel(int mr, int nv, size_t nq, const uint16_t *restrict ap,
                                                               size_t a_stride, const uint32_t *restrict bp,
                                                               float *restrict c, size_t ldc, size_t cols,
                                                               const struct merge *mg, bool fetch_c,
                                                               struct c_prefetch cp)
{
    __mmask16 last = lane_mask(cols - (size_t)16 * (nv - 1));
    /* C, unless the previous call fetched it; cp: the next tile's lines (gemm_prefetch.h) */
    if (mg->read_c && fetch_c)
        for (int i = 0; i < mr; ++i)
            for (int v = 0; v < nv; ++v)
                _mm_prefetch((const char *)(c + (size_t)i * ldc + 16 * v), _MM_HINT_T0);

    __m512 acc[MR][NV];
    for (int i = 0; i < mr; ++i)
        for (int v = 0; v < nv; ++v)
            acc[i][v] = _mm512_setzero_ps();

    for (size_t q = 0; q < nq; ++q) {
        __m512bh bv[NV];
        c_prefetch_step(&cp, q);
        for (int v = 0; v < nv; ++v)
            bv[v] = (__m512bh)_mm512_load_si512(bp + q * NR + 16 * v);
        for (int i = 0; i < mr; ++i) {
            __m512bh av = broadcast_pair(ap + (size_t)i * a_stride + 2 * q);
            for (int v = 0; v < nv; ++v)
                acc[i][v] = _mm512_dpbf16_ps(acc[i][v], av, bv[v]);
        }
    }

    c_prefetch_rest(&cp);
    for (int i = 0; i < mr; ++i) {
        float *cr = c + (size_t)i * ldc;
        for (int v = 0; v < nv; ++v) {
            __mmask16 m = v == nv - 1 ? last : (__mmask16)0xFFFF;
            __m512 r;
            if (mg->read_c)
                r = _mm512_fmadd_ps(acc[i][v], mg->alpha,
                                    _mm512_mul_ps(mg->cscale, _mm512_maskz_loadu_ps(m, cr + 16 * v)));
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
static void micro_kernel_full(size_t nq, const uint16_t *restrict ap, size_t a_stride, const uint32_t *restrict bp,
                              float *restrict c, size_t ldc, const struct merge *mg, bool fetch_c,
                              struct c_prefetch cp)
{
    micro_kernel(MR, NV, nq, ap, a_stride, bp, c, ldc, NR, mg, fetch_c, cp);
}

/* Edges: one instantiation per (rows, vectors) keeps every accumulator in a register. */
static void micro_kernel_edge(size_t mr, size_t cols, size_t nq, const uint16_t *restrict ap, size_t a_stride,
                              const uint32_t *restrict bp, float *restrict c, size_t ldc, const struct merge *mg)
{
    int nv = (int)((cols + 15) / 16);
    switch ((int)mr * 8 + nv) {
#define EDGE_CASE(r, v) \
    case (r) * 8 + (v): micro_kernel((r), (v), nq, ap, a_stride, bp, c, ldc, cols, mg, true, NO_C_PREFETCH); break;
#define EDGE_ROW(r) EDGE_CASE(r, 1) EDGE_CASE(r, 2) EDGE_CASE(r, 3) EDGE_CASE(r, 4)
        EDGE_ROW(1) EDGE_ROW(2) EDGE_ROW(3) EDGE_ROW(4) EDGE_ROW(5) EDGE_ROW(6)
#undef EDGE_ROW
#undef EDGE_CASE
    default: break;
    }
}

/* ---- driver ------------------------------------------------------------------------- */

/* One rectangular tile of C: rows [i0, i1), columns [j0, j1), j1 - j0 <= nc. */
static void run_tile(const struct ab_gemm_bf16_args *g, const struct blocking *bl, size_t i0, size_t i1, size_t j0,
                     size_t j1, void *ws)
{
    uint16_t *ap = ws;
    uint32_t *bp = (uint32_t *)(void *)((char *)ws +
                                        ALIGN_UP((size_t)MR * bl->a_stride * sizeof(uint16_t), AB_ALIGN_BYTES));
    size_t nc = j1 - j0;
    for (size_t p0 = 0; p0 < g->k; p0 += bl->kc) {
        size_t kc = min_size(bl->kc, g->k - p0), nq = (kc + 1) / 2;
        if (g->trans_b)
            pack_b_t(kc, nc, g->b + j0 * g->ldb + p0, g->ldb, bp);
        else
            pack_b_n(kc, nc, g->b + p0 * g->ldb + j0, g->ldb, bp);

        struct merge mg = {
            .alpha = _mm512_set1_ps(g->alpha),
            .cscale = _mm512_set1_ps(p0 == 0 ? g->beta : 1.0f),
            .read_c = p0 != 0 || g->beta != 0.0f,
        };
        for (size_t i = i0; i < i1; i += MR) {
            size_t mr = min_size(MR, i1 - i);
            pack_a(mr, kc, g->a + i * g->lda + p0, g->lda, ap, bl->a_stride);
            float *crow = g->c + i * g->ldc + j0;
            /* the next row panel's source lines, a share before each call (gemm_prefetch.h) */
            size_t next_mr = i + MR < i1 ? min_size(MR, i1 - i - MR) : 0;
            struct a_prefetch pf = a_prefetch_plan(next_mr ? g->a + (i + MR) * g->lda + p0 : g->a, next_mr,
                                                   g->lda * sizeof(uint16_t), kc * sizeof(uint16_t),
                                                   (nc + NR - 1) / NR);
            for (size_t j = 0; j < nc; j += NR) {
                const uint32_t *panel = bp + (j / NR) * nq * NR;
                size_t cols = min_size(NR, nc - j);
                a_prefetch_some(&pf);
                /* each full tile fetches the next one's C: the next in this panel, or the next
                 * panel's first (which the last tile of the panel before then fetched) */
                struct c_prefetch cp =
                    c_prefetch_after(crow, j, NR, nc, g->ldc, MR, next_mr ? crow + MR * g->ldc : NULL, next_mr, nq);
                if (mr == MR && cols == NR)
                    micro_kernel_full(nq, ap, bl->a_stride, panel, crow + j, g->ldc, &mg,
                                      j == 0 && (i == i0 || nc % NR != 0), cp);
                else
                    micro_kernel_edge(mr, cols, nq, ap, bl->a_stride, panel, crow + j, g->ldc, &mg);
            }
        }
    }
}

/* The tile of C that task `task` covers (gemm_tiling.h), if any. */
static void run_task(const struct ab_gemm_bf16_args *g, const struct blocking *bl, const struct gemm_tiling *t,
                     size_t task, void *ws)
{
    size_t i0, i1, j0, j1;
    if (gemm_tiling_task(t, task, g->m, g->n, &i0, &i1, &j0, &j1))
        run_tile(g, bl, i0, i1, j0, j1, ws);
}

/* k == 0: C = beta * C (or zero), the product being empty. */
static void scale_c(const struct ab_gemm_bf16_args *g)
{
    for (size_t i = 0; i < g->m; ++i) {
        float *cr = g->c + i * g->ldc;
        for (size_t j = 0; j < g->n; ++j)
            cr[j] = g->beta == 0.0f ? 0.0f : g->beta * cr[j];
    }
}

static enum ab_status gemm_bf16_avx512bf16(const struct ab_gemm_bf16_args *args, const struct ab_exec *exec)
{
    if (!args || !exec || exec->n_threads < 1)
        return AB_EINVAL;
    const struct ab_gemm_bf16_args *g = args;
    if (g->m == 0 || g->n == 0)
        return AB_OK;
    if (!g->c || g->ldc < g->n)
        return AB_EINVAL;
    if (g->k == 0) {
        scale_c(g);
        return AB_OK;
    }
    /* The gather of pack_b_t indexes rows with 32-bit offsets. */
    if (!g->a || !g->b || g->lda < g->k || g->ldb < (g->trans_b ? g->k : g->n) || (g->trans_b && g->ldb > INT32_MAX / 16))
        return AB_EINVAL;

    struct blocking bl = blocking_of();
    int n_threads = exec->n_threads;
    size_t per_thread = per_thread_bytes(&bl, g->n, g->k);
    if (!exec->workspace || exec->workspace_bytes < per_thread * (size_t)n_threads ||
        (uintptr_t)exec->workspace % AB_ALIGN_BYTES != 0)
        return AB_EINVAL;

    struct gemm_tiling t = gemm_tiling_make(g->m, g->n, MR, NR, bl.nc, n_threads);
    size_t n_tasks = gemm_tiling_tasks(&t);
    char *ws = exec->workspace;

#ifdef _OPENMP
    if (n_threads > 1 && n_tasks > 1) {
#pragma omp parallel num_threads(n_threads)
        {
            size_t tid = (size_t)omp_get_thread_num(), first, end;
            gemm_tiling_range(&t, tid, (size_t)omp_get_num_threads(), &first, &end);
            for (size_t task = first; task < end; ++task)
                run_task(g, &bl, &t, task, ws + tid * per_thread);
        }
        return AB_OK;
    }
#endif
    for (size_t task = 0; task < n_tasks; ++task)
        run_task(g, &bl, &t, task, ws);
    return AB_OK;
}

const struct ab_kernel ab__kernel_gemm_bf16_avx512bf16 = {
    .name = "gemm_bf16_avx512bf16",
    .family = &ab_family_gemm_bf16,
    .variant = "avx512bf16",
    .doc = "vdpbf16ps 6x64 micro-kernel on k-pair packed B panels and A row panels, blocks from cpu.h, OpenMP",
    .isa_needs = AB_ISA_AVX512BF16,
    .is_ref = false,
    .fn.gemm_bf16 = gemm_bf16_avx512bf16,
    .supports = NULL,
    .workspace_bytes = gemm_bf16_avx512bf16_workspace,
    .flops = ab__gemm_half_flops,
    .bytes = ab__gemm_half_bytes,
    .tol = AB__GEMM_BF16_TOL,
};
