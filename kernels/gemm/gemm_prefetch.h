/*
 * gemm_prefetch.h - private to the kernels: software prefetch for the register-tiled
 * GEMMs, spread over the work of the current tile so the misses overlap the FMAs instead
 * of stalling them:
 *   - a_prefetch: the next row panel of A, a share before each micro-kernel call
 *     (gemm_f32_avx512, gemm_bf16_avx512bf16);
 *   - c_prefetch: the next tile of the output, one line every few k steps of the current
 *     tile's loop (the FP32 and BF16 micro-kernels, gemm_i8_avx512vnni).
 * Header-only, static inline, no ISA needed (_mm_prefetch is SSE). A prefetch never
 * faults and never changes a result: only the time.
 */
#ifndef ARCHBENCH_GEMM_PREFETCH_H
#define ARCHBENCH_GEMM_PREFETCH_H

#include <stddef.h>

#include <xmmintrin.h>

/*
 * The next row panel of A comes from L3 or DRAM as MR short row streams (each in its own
 * page when lda is large) that the hardware prefetcher picks up too late: pack_a then
 * waited for them (3.7-5.8% of gemm_f32_avx512's time at 1024^3-2048^3). A caller can
 * have row_panel_times_block prefetch those lines, a share before each micro-kernel call
 * of the current panel: all at once, they would fill the miss buffers and stall the
 * micro-kernel instead.
 */
struct a_prefetch {
    const char *base;
    size_t stride_bytes, per_row, total, next, step; /* lines per row, in all, next, per call */
};

/* rows rows of row_bytes each, stride_bytes apart, spread over n_calls calls; rows == 0
 * prefetches nothing (base is then never offset, so it may be any valid pointer). */
static inline struct a_prefetch a_prefetch_plan(const void *base, size_t rows, size_t stride_bytes, size_t row_bytes,
                                                size_t n_calls)
{
    size_t per_row = (row_bytes + 63) / 64, total = rows * per_row;
    return (struct a_prefetch){(const char *)base, stride_bytes, per_row, total, 0,
                               n_calls ? (total + n_calls - 1) / n_calls : total};
}

static inline void a_prefetch_some(struct a_prefetch *pf)
{
    size_t end = (pf->next + pf->step < pf->total ? pf->next + pf->step : pf->total);
    for (; pf->next < end; ++pf->next)
        _mm_prefetch(pf->base + (pf->next / pf->per_row) * pf->stride_bytes + (pf->next % pf->per_row) * 64,
                     _MM_HINT_T0);
}

/*
 * The next output tile of a micro-kernel, fetched one line per `every` k steps while the
 * current tile is computed. FP32 and BF16 merge into C once per k block and C does not stay
 * in L2 between blocks; fetched all at once at the start of the call (as before
 * 2026-12-02), the tile's 24 misses to L3 or DRAM took the miss buffers the B stream from
 * L2 needs. Spread over the k loop, archbench ab against that code (quiet, 10-12 blocks,
 * new / old time): FP32 0.96-0.98 at 1024^3 and 0.94-0.99 at 2048^3 (1 and 2 threads);
 * every 4, 8 or kc / 24 steps measured alike.
 */
struct c_prefetch {
    const char *base;
    size_t stride_bytes, per_row, line, lines, every, next_at;
};

/* No next tile to fetch. */
#define NO_C_PREFETCH ((struct c_prefetch){0})

/* rows x per_row cache lines, rows stride_bytes apart, from base (NULL or no rows: none),
 * one line per steps / lines k steps. */
static inline struct c_prefetch c_prefetch_plan(const void *base, size_t stride_bytes, size_t rows, size_t per_row,
                                                size_t steps)
{
    size_t lines = base ? rows * per_row : 0;
    return (struct c_prefetch){base, stride_bytes, per_row ? per_row : 1, 0, lines,
                               lines && steps > lines ? steps / lines : 1, 0};
}

/*
 * The FP32 tile after the one at column j of a row panel (crow, mr rows, nc columns in
 * tiles of nr): the next tile of the panel, else the first tile of the next panel
 * (next_panel, next_mr rows; NULL: none).
 */
static inline struct c_prefetch c_prefetch_after(const float *crow, size_t j, size_t nr, size_t nc, size_t ldc,
                                                 size_t mr, const float *next_panel, size_t next_mr, size_t steps)
{
    size_t stride = ldc * sizeof(float);
    if (j + nr < nc) {
        size_t cols = nc - j - nr < nr ? nc - j - nr : nr;
        return c_prefetch_plan(crow + j + nr, stride, mr, (cols + 15) / 16, steps);
    }
    return c_prefetch_plan(next_panel, stride, next_mr, ((nc < nr ? nc : nr) + 15) / 16, steps);
}

/* The plan's next line (the caller checks line < lines). */
static inline void c_prefetch_one(struct c_prefetch *cp)
{
    _mm_prefetch(cp->base + (cp->line / cp->per_row) * cp->stride_bytes + 64 * (cp->line % cp->per_row),
                 _MM_HINT_T0);
    ++cp->line;
}

/* At k step kk: the next line, when its turn has come. */
static inline void c_prefetch_step(struct c_prefetch *cp, size_t kk)
{
    if (kk == cp->next_at && cp->line < cp->lines) {
        c_prefetch_one(cp);
        cp->next_at += cp->every;
    }
}

/* After the k loop: the lines a short loop (fewer steps than lines, e.g. the last k block
 * of k = 256 q + 6) had no turn for. The next call relies on its tile being fetched whole:
 * it then skips fetching its own C. */
static inline void c_prefetch_rest(struct c_prefetch *cp)
{
    while (cp->line < cp->lines)
        c_prefetch_one(cp);
}

#endif /* ARCHBENCH_GEMM_PREFETCH_H */
