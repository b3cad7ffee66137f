/*
 * gemm_tiling.h - private to kernels/gemm: how the packed GEMMs (FP32 and FP16 through
 * gemm_avx512_tile.h, BF16) cut C into one task per thread. Header-only, no ISA.
 *
 * Each task is a block of whole MR-row and NR-column panels and runs the whole k loop
 * with its own packing buffers. The sum of every element of C is formed in the same order
 * whatever the tiling (k blocks in order, k ascending within a block), so results do not
 * depend on the thread count: only the time does.
 *
 * Rows first. With several threads, C is split by rows whenever every thread gets at least
 * ROW_SPLIT_PANELS row panels; each thread then owns whole rows of C and packs all of B for
 * them. Splitting by columns instead (each thread packing a disjoint part of B: the rule
 * before 2026-12-02) put the two threads' C tiles side by side in every row, and each
 * thread ran 10-20% slower than alone while the other ran (rdtsc per thread, FP32 1024^3,
 * 2 threads, Zen 5 VM); by rows, 1024^3 ran 336-340 GFLOP/s against 285-291 by columns,
 * 2048^3 and 512^3 3-8% faster (a standalone driver, alternated). archbench ab against
 * the column split (16 blocks, 2 threads, 2026-12-02 16:56 UTC), new / old time: FP32
 * 0.894 [0.865, 0.914] at 1024^3 and 0.989 [0.962, 1.012] at 2048^3; BF16 0.919 [0.901,
 * 0.941] and 0.945 [0.926, 0.977]. Packing all of B costs each thread 1 / (rows it owns) of a
 * k step per B element, under 1% at ROW_SPLIT_PANELS; below it (few rows, wide B) the
 * column split stays, so B is packed once.
 *
 * A thread takes a contiguous range of tasks: its row block's column blocks in order, or
 * neighbouring column blocks.
 */
#ifndef ARCHBENCH_GEMM_TILING_H
#define ARCHBENCH_GEMM_TILING_H

#include <stdbool.h>
#include <stddef.h>

/* Row panels a thread must get for C to be split by rows. */
#define ROW_SPLIT_PANELS 16

/* gn column blocks (each at most nc wide, whole nr panels) times gm row blocks (whole mr
 * panels) of an m x n C. */
struct gemm_tiling {
    size_t gm, gn;
    size_t pm, pn; /* row panels (mr) and column panels (nr) of the whole C */
    size_t mr, nr;
};

static inline size_t gemm_tiling_align_up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

static inline struct gemm_tiling gemm_tiling_make(size_t m, size_t n, size_t mr, size_t nr, size_t nc, int n_threads)
{
    struct gemm_tiling t = {.mr = mr, .nr = nr};
    size_t th = n_threads > 1 ? (size_t)n_threads : 1, per_block = nc / nr;
    t.pm = (m + mr - 1) / mr;
    t.pn = (n + nr - 1) / nr;
    t.gn = (t.pn + per_block - 1) / per_block;
    t.gm = 1;
    if (th == 1)
        return t;
    if (t.pm >= th * ROW_SPLIT_PANELS) {
        t.gm = th;
        return t;
    }
    if (t.gn % th != 0) {
        if (t.pn >= th * 2 && t.pn >= t.pm) {
            /* enough column panels: round the column blocks up to a multiple of th */
            t.gn = gemm_tiling_align_up(t.gn, th);
        } else {
            t.gm = t.pm < th ? t.pm : th;
            if (t.gm * t.gn < th && t.pn >= th)
                t.gn = gemm_tiling_align_up(t.gn, th);
        }
        if (t.gn > t.pn)
            t.gn = t.pn;
    }
    return t;
}

static inline size_t gemm_tiling_tasks(const struct gemm_tiling *t)
{
    return t->gm * t->gn;
}

/* Rows [i0, i1) and columns [j0, j1) of the m x n C that task `task` covers; false when
 * it covers nothing. */
static inline bool gemm_tiling_task(const struct gemm_tiling *t, size_t task, size_t m, size_t n, size_t *i0,
                                    size_t *i1, size_t *j0, size_t *j1)
{
    size_t bm = task / t->gn, bn = task % t->gn;
    *i0 = (bm * t->pm / t->gm) * t->mr;
    *i1 = ((bm + 1) * t->pm / t->gm) * t->mr;
    *j0 = (bn * t->pn / t->gn) * t->nr;
    *j1 = ((bn + 1) * t->pn / t->gn) * t->nr;
    if (*i1 > m)
        *i1 = m;
    if (*j1 > n)
        *j1 = n;
    return *i0 < *i1 && *j0 < *j1;
}

/* Tasks [*first, *end) of thread tid of nth. */
static inline void gemm_tiling_range(const struct gemm_tiling *t, size_t tid, size_t nth, size_t *first, size_t *end)
{
    size_t n_tasks = gemm_tiling_tasks(t);
    *first = tid * n_tasks / nth;
    *end = (tid + 1) * n_tasks / nth;
}

#endif /* ARCHBENCH_GEMM_TILING_H */
