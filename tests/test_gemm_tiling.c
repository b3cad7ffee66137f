/*
 * test_gemm_tiling.c - how the packed GEMMs cut C over threads (kernels/gemm/gemm_tiling.h):
 * every element of C in exactly one task, tasks of whole panels, the row split whenever
 * every thread gets ROW_SPLIT_PANELS row panels (each thread then owns whole rows), the
 * column split below it; and, through the FP32 kernel, the same bits of C at 1, 2 and 3
 * threads on shapes cut either way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/kernel.h"

#include "gemm/gemm_tiling.h"

enum { MR_T = 6, NR_T = 64, NC_T = 512 };

/* Checks one (m, n, threads): coverage, panel alignment, contiguous rows per thread under
 * the row split. */
static void check_tiling(size_t m, size_t n, int th)
{
    struct gemm_tiling t = gemm_tiling_make(m, n, MR_T, NR_T, NC_T, th);
    unsigned char *seen = calloc(m * n, 1);
    cr_assert_not_null(seen);
    bool row_split = th > 1 && t.pm >= (size_t)th * ROW_SPLIT_PANELS;
    if (row_split)
        cr_assert_eq(t.gm, (size_t)th, "m=%zu n=%zu th=%d: rows enough for every thread, split by rows", m, n, th);
    else if (th > 1 && (t.pn + NC_T / NR_T - 1) / (NC_T / NR_T) % (size_t)th == 0)
        cr_assert_eq(t.gm, 1, "m=%zu n=%zu th=%d: too few rows, and the B blocks divide among the threads: by "
                              "columns, B packed once", m, n, th);
    for (size_t tid = 0; tid < (size_t)th; tid++) {
        size_t first, end, row_lo = m, row_hi = 0, cells = 0;
        gemm_tiling_range(&t, tid, (size_t)th, &first, &end);
        for (size_t task = first; task < end; task++) {
            size_t i0, i1, j0, j1;
            if (!gemm_tiling_task(&t, task, m, n, &i0, &i1, &j0, &j1))
                continue;
            cr_assert(i0 % MR_T == 0 && j0 % NR_T == 0, "task %zu starts inside a panel", task);
            cr_assert(i1 == m || i1 % MR_T == 0, "task %zu ends inside a row panel", task);
            cr_assert(j1 == n || j1 % NR_T == 0, "task %zu ends inside a column panel", task);
            cr_assert_leq(j1 - j0, (size_t)NC_T, "task %zu wider than a B block", task);
            for (size_t i = i0; i < i1; i++)
                for (size_t j = j0; j < j1; j++)
                    seen[i * n + j]++;
            row_lo = i0 < row_lo ? i0 : row_lo;
            row_hi = i1 > row_hi ? i1 : row_hi;
            cells += (j1 - j0) * (i1 - i0);
        }
        if (row_split) /* one block of whole rows: its tasks fill rows [row_lo, row_hi) */
            cr_assert_eq(cells, (row_hi - row_lo) * n, "m=%zu n=%zu th=%d: thread %zu does not own whole rows", m, n,
                         th, tid);
    }
    for (size_t e = 0; e < m * n; e++)
        cr_assert_eq(seen[e], 1, "m=%zu n=%zu th=%d: C[%zu][%zu] computed %d times", m, n, th, e / n, e % n, seen[e]);
    free(seen);
}

Test(gemm_tiling, every_element_once_and_rows_first)
{
    static const size_t ms[] = {1, 5, 6, 7, 95, 96, 191, 192, 193, 289, 500, 1024};
    static const size_t ns[] = {1, 63, 64, 65, 511, 512, 513, 1024, 2048};
    for (size_t a = 0; a < sizeof ms / sizeof ms[0]; a++)
        for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
            for (int th = 1; th <= 5; th++)
                check_tiling(ms[a], ns[b], th);
    /* the two sides of the rule at 2 threads */
    cr_assert_eq(gemm_tiling_make(192, 1024, MR_T, NR_T, NC_T, 2).gm, 2, "32 row panels: by rows");
    struct gemm_tiling narrow = gemm_tiling_make(186, 1024, MR_T, NR_T, NC_T, 2);
    cr_assert_eq(narrow.gm, 1, "31 row panels: by columns, B packed once");
    cr_assert_eq(narrow.gn, 2);
}

static float *random_matrix(size_t n, unsigned seed)
{
    float *x = ab_aligned_alloc(AB_ALIGN_BYTES, n * sizeof *x);
    cr_assert_not_null(x);
    srand(seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return x;
}

/* C of gemm_f32_avx512 at `threads`, into c (poisoned first). */
static void product(const struct ab_kernel *k, size_t m, size_t n, size_t kk, const float *a, const float *b,
                    float *c, int threads)
{
    for (size_t i = 0; i < m * n; i++)
        c[i] = __builtin_nanf("");
    char text[96];
    snprintf(text, sizeof text, "m=%zu,n=%zu,k=%zu", m, n, kk);
    struct ab_shape shape;
    cr_assert_eq(ab_shape_parse(&ab_family_gemm_f32, text, &shape, NULL), AB_OK);
    size_t ws = k->workspace_bytes(&shape, threads);
    struct ab_exec exec = {.n_threads = threads, .workspace = ab_aligned_alloc(AB_ALIGN_BYTES, ws), .workspace_bytes = ws};
    struct ab_gemm_f32_args g = {.m = m, .n = n, .k = kk, .a = a, .lda = kk, .b = b, .ldb = n, .c = c, .ldc = n,
                                 .alpha = 1.0f, .beta = 0.0f};
    cr_assert_eq(k->fn.gemm_f32(&g, &exec), AB_OK);
    ab_free(exec.workspace);
}

Test(gemm_tiling, fp32_bits_do_not_depend_on_the_thread_count)
{
    const struct ab_kernel *k = ab_kernel_find("gemm_f32_avx512");
    if (!k)
        cr_skip_test("gemm_f32_avx512 not built");
    const char *why = NULL;
    if (!ab_kernel_runnable(k, ab_cpu_features(), NULL, &why))
        cr_skip_test("gemm_f32_avx512 cannot run here: %s", why);
    /* 301 rows: split by rows at 2 and 3 threads (a partial panel in the last block);
     * 97 rows: by columns */
    static const size_t shapes[][3] = {{301, 200, 600}, {97, 700, 300}};
    for (size_t s = 0; s < 2; s++) {
        size_t m = shapes[s][0], n = shapes[s][1], kk = shapes[s][2];
        float *a = random_matrix(m * kk, 1), *b = random_matrix(kk * n, 2);
        float *c1 = ab_aligned_alloc(AB_ALIGN_BYTES, m * n * sizeof *c1);
        float *cx = ab_aligned_alloc(AB_ALIGN_BYTES, m * n * sizeof *cx);
        cr_assert(c1 && cx);
        product(k, m, n, kk, a, b, c1, 1);
        for (int th = 2; th <= 3; th++) {
            product(k, m, n, kk, a, b, cx, th);
            cr_assert_eq(memcmp(c1, cx, m * n * sizeof *c1), 0, "m=%zu: 1 and %d threads differ", m, th);
        }
        ab_free(a);
        ab_free(b);
        ab_free(c1);
        ab_free(cx);
    }
}
