/*
 * gemm_f32_avx512.c - AVX-512 FP32 GEMM: C = alpha * A * op(B) + beta * C, row-major.
 *
 * Design (Goto/BLIS-style, first tuned on a Zen 4 core: 1 zmm FMA per cycle, latency 4,
 * L1d 32 KB, L2 1 MB; block sizes re-measured on Zen 5, see gemm_avx512_tile.h):
 *   - k is cut into blocks of KC; for every k block a block of op(B) (kc x up to NC
 *     columns) is packed into panels of NR = 64 columns, [kk][NR], zero-padded, so the
 *     micro-kernel reads it with aligned full-width loads. It stays in L2 while every
 *     row panel of A streams past it.
 *   - A is packed MR = 6 rows at a time, each row kc floats long at a fixed stride: a
 *     plain copy (no transpose), small enough to stay in L1 while the micro-kernel
 *     walks the whole B block. The source lines of the next row panel are prefetched
 *     a share before each micro-kernel call of the current one: six 1 KB row pieces,
 *     each in its own page when lda >= 1024, are not picked up by the hardware
 *     prefetcher, and pack_a waited on L3/DRAM for them.
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
 * Threads: C is cut into tiles by gemm_tiling.h (row blocks when every thread gets enough
 * rows, else whole N blocks; see there for why rows first), each tile runs the whole k loop with its own packing buffers. Every element
 * of C is summed in the same order (k blocks in order, k ascending within a block)
 * whatever the tiling, so results do not depend on the thread count.
 *
 * Where the time goes (Zen 5 VM, 2026-12-02, rdtsc around the phases of run_tile in a
 * temporary build; the machine was busy, so shares, not rates): at 1 thread about 95%
 * of a thread's time is in the micro-kernel, packing B 1.5-2.5% (a serial phase at the
 * start of every k block: 512 KB read from L3/DRAM with the FMA units idle), packing A
 * 1-1.7% (3.7-5.8% before the prefetch above). The micro-kernel's inner loop is 4
 * aligned loads, 6 broadcasts and 24 FMAs with no spills; its losses are the B panel
 * streamed from L2 (4 lines per 12 cycles) and the C merge once per KC steps. Against
 * oneDNN's sgemm in the same quiet run (06:27 UTC): 0.89 / 0.78 at 1024^3 and 0.90 /
 * 0.82 at 2048^3, 1 / 2 threads (2-thread ratios move 5-10% between runs). At 2
 * threads the per-thread rate falls further than oneDNN's (ours ~1.65x from 1 to 2
 * threads, oneDNN ~1.85x) with the same packing shares, so the loss is in
 * the micro-kernel's memory side - both cores streaming C (k / KC passes over C) and
 * A (n / NC passes) through the shared L3 and DRAM - not in the task split (two or
 * four equal tiles, no barrier inside the call). [Corrected later the same day: the split
 * was the larger part. Timed per thread (rdtsc in a standalone driver), each thread ran
 * 10-20% slower than alone while the other ran when the two tiles were column blocks
 * side by side in every row of C, whichever CPU or workspace slice it had; split by rows
 * (gemm_tiling.h), 1024^3 at 2 threads went from 0.82 to 0.97 of oneDNN (see below).] Not
 * closed here: packing B from the
 * next k block while computing needs a second B block, which does not fit beside the
 * first in L2; a larger KC halves the C passes but (at the same L2 footprint) doubles
 * the A passes and was slower at 1 thread. Sharing each packed B block between the
 * threads, row panels handed out from a counter (one barrier per k block, so a thread
 * slowed by the host cannot hold the other back), was slower too (0.71-0.79 of oneDNN
 * against 0.79-0.98 for the tiles, 2 threads): half of every B block then has to
 * cross from the other core's L2 while the micro-kernel streams it.
 * Other register tiles and the BLIS loop order did not pay either (2026-12-02,
 * 07:50-08:13 UTC, archbench median-time ratios to oneDNN in the same run, 1-6 runs
 * each alternated with this kernel; run-to-run spread +-0.05): with the same loop order,
 * 8 x 48, 12 x 32 and 14 x 32 tiles (fewer B lines from L2 per FMA) were no faster
 * at 1 thread (2048^3: 0.85-0.93 against 0.89-0.94), nor was a software prefetch of
 * B 8 or 16 rows ahead. The BLIS order (A_PANELS row panels of A packed into an
 * L2-resident block, each KC x NR B panel L1-resident against all of them, loop
 * jc/pc/ic/jr/ir; same sum order, so the same results) with 12 x 32, kc 192, 16 panels
 * lifted 1024^3 at 2 threads (0.89-0.99 against 0.76-0.92) and 2048^3 at 2 threads in
 * half the runs (0.81-0.91 against 0.84-0.94), but lost at 1 thread (1024^3 0.88-0.95
 * against 0.92-0.98; 2048^3 0.78-0.93 against 0.85-0.94); 14 x 32, 8 x 48 (kc 160),
 * 6 x 64 (kc 128, B panel 32 KB), 8 panels or kc 256 / 384, and prefetching the next
 * packed A panel from L2 were no better.
 *
 * What did pay (2026-12-02): each micro-kernel call prefetching the next C tile one line
 * every kc / 24 k steps instead of its own 24 lines at its start (gemm_prefetch.h):
 * archbench ab against the old code, new / old time 0.96-0.98 at 1024^3 and 0.94-0.99 at
 * 2048^3, 1 and 2 threads. Against oneDNN's sgemm after it (5 runs 11:52-12:07 UTC,
 * median and range of the per-run speed ratios): 0.98 (0.92-1.02) / 0.89 (0.82-0.98) at
 * 1024^3 and 0.96 (0.94-1.00) / 0.92 (0.90-0.96) at 2048^3, 1 / 2 threads; the 2-thread
 * gap is still the memory side described above. With the peers' repetitions taking turns
 * (`run --interleave`, 3 runs 14:29-14:41 UTC, a contended host: memory-read probe 7 GB/s,
 * FP32 probe 205 GFLOP/s): 0.96 (0.96-0.98) / 0.89 (0.79-0.95) at 1024^3 and 0.92
 * (0.89-0.92) / 0.92 (0.90-0.94) at 2048^3 - the 1-thread gap at 2048^3 is real, not noise.
 * A 384-deep k block (B block 768 KB of the 1 MB L2, a third fewer passes over C) was
 * slower: archbench ab, 8 blocks, 14:57-15:05 UTC, new / old time 1.040 [1.026, 1.078] and
 * 1.069 [1.038, 1.106] at 1024^3 and 2048^3, 1 thread; 1.016 and 1.060 (undecided) at 2.
 * C split by rows across threads (gemm_tiling.h, 2026-12-02 evening; archbench ab against
 * the column split, 2 threads: 0.894 [0.865, 0.914] at 1024^3, 0.989 at 2048^3). Against
 * oneDNN after it (`run --interleave`, 3 runs 17:35-17:49 UTC, quiet host: memory-read probe
 * 31 GB/s, FP32 probe 209 / 412 GFLOP/s at 1 / 2 threads; median and range of the per-run
 * paired ratios): 0.98 (0.93-0.99) / 0.97 (0.93-1.00) at 1024^3, 0.94 (0.86-0.96) / 0.94
 * (0.94-0.95) at 2048^3, 1 / 2 threads (the 2-thread figures were 0.82 / 0.91 in the
 * same day's run before the change). THP (transparent huge pages for every buffer) moved
 * the 1-thread 2048^3 ratio by 1.5%, within noise: TLB misses are not the gap either. Nor
 * is the loop's overhead: runs of k steps between two C prefetches (no prefetch test in the
 * hot loop), unrolled by 2, measured the same (archbench ab, 10 blocks, new / old time
 * 0.997 and 0.983 [0.970, 1.009] at 1024^3 and 2048^3, 1 thread; 0.996 and 0.993 at 2).
 *
 * The block sizes, the micro-kernel and the task loop live in gemm_avx512_tile.h, shared
 * with gemm_f16_f16c (FP16 widened to FP32 while packing into the same panels).
 *
 * Assumes: the caller's workspace is at least workspace_bytes(shape, n_threads) and
 * 64-byte aligned; A, B and C do not overlap. beta == 0 means C is never read.
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/kernel.h"
#include "gemm_avx512_tile.h"
#include "gemm_impl.h"

extern const struct ab_kernel ab__kernel_gemm_f32_avx512;

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
    case (r) * 8 + (v): micro_kernel((r), (v), true, kc, ap, b, ldb, c, ldc, cols, mg, true, NO_C_PREFETCH); break;
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

        struct merge mg = merge_for(p0, g->alpha, g->beta);
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
            size_t next_mr = i + MR < i1 ? min_size(MR, i1 - i - MR) : 0;
            struct a_prefetch pf = a_prefetch_plan(next_mr ? g->a + (i + MR) * g->lda + p0 : g->a, /* no pointer past A */
                                                   next_mr, g->lda * sizeof(float), kc * sizeof(float),
                                                   (nc + NR - 1) / NR);
            /* the previous panel's last tile (full when nc is whole NR panels) fetched this
             * panel's first C tile */
            row_panel_times_block(mr, nc, kc, ap, bp, crow, g->ldc, &mg, &pf, i > i0 && nc % NR == 0,
                                  next_mr ? crow + MR * g->ldc : NULL, next_mr);
        }
    }
}

static void run_task(const void *ctx, size_t i0, size_t i1, size_t j0, size_t j1, float *ws)
{
    run_tile(ctx, i0, i1, j0, j1, ws);
}

static enum ab_status gemm_f32_avx512(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    if (!args)
        return AB_EINVAL;
    const struct ab_gemm_f32_args *g = args;
    return run_gemm(g->m, g->n, g->k, g->a, g->lda, g->b, g->ldb, g->trans_b, g->c, g->ldc, g->beta, exec, run_task,
                    g);
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
