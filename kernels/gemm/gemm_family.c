/*
 * gemm_family.c - the gemm_f32 family: shape parameters, sweeps, FLOP and byte
 * models, and the harness-side case functions (seeded inputs, run, compare).
 *
 * Hard cases exercised by the test sweep: sizes 1 and not multiples of 16, skinny
 * shapes both ways, B transposed, padded leading dimensions, and beta = 0 with C
 * pre-filled with NaN (beta = 0 must not read C, as in BLAS).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/rng.h"

#include "gemm_impl.h"

enum { P_M = AB__GEMM_M, P_N = AB__GEMM_N, P_K = AB__GEMM_K, P_TRANS_B = AB__GEMM_TRANS_B, P_BETA, P_PAD };

static const char *const bool_names[] = {"0", "1"};

static const struct ab_param gemm_params[] = {
    [P_M] = {"m", "rows of A and C", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_N] = {"n", "columns of op(B) and C", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_K] = {"k", "reduction length", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_TRANS_B] = {"trans_b", "1: B stored n x k (weights, K in Q K^T)", 0, 0, 1, bool_names, 2},
    [P_BETA] = {"beta", "1: C = 0.75 A op(B) + C; 0: C = A op(B), C not read", 0, 0, 1, bool_names, 2},
    [P_PAD] = {"pad", "extra elements on every leading dimension", 0, 0, 1024, NULL, 0},
};
_Static_assert(sizeof gemm_params / sizeof gemm_params[0] <= AB_SHAPE_MAX_PARAMS, "params fit a shape");

#define SHAPE(m, n, k, tb, beta, pad) {{m, n, k, tb, beta, pad}}

static const struct ab_shape sweep_default[] = {
    SHAPE(256, 256, 256, 0, 0, 0),    SHAPE(512, 512, 512, 0, 0, 0),   SHAPE(1024, 1024, 1024, 0, 0, 0),
    SHAPE(1024, 1024, 1024, 1, 0, 0), SHAPE(2048, 2048, 2048, 0, 0, 0), SHAPE(128, 4096, 4096, 1, 0, 0),
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(256, 256, 256, 0, 0, 0),
    SHAPE(1024, 1024, 1024, 0, 0, 0),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 1, 1, 0, 0, 0),        SHAPE(1, 1, 1, 1, 1, 3),        SHAPE(7, 7, 7, 0, 0, 0),
    SHAPE(7, 7, 7, 1, 1, 1),        SHAPE(63, 63, 63, 0, 0, 0),     SHAPE(63, 63, 63, 1, 0, 5),
    SHAPE(65, 65, 65, 0, 1, 0),     SHAPE(65, 65, 65, 1, 0, 0),     SHAPE(1000, 1000, 1000, 0, 0, 0),
    SHAPE(1000, 1000, 1000, 1, 1, 7), SHAPE(1, 1000, 7, 0, 0, 0),   SHAPE(1000, 1, 65, 1, 0, 0),
    SHAPE(63, 65, 1000, 0, 1, 2),   SHAPE(7, 1000, 63, 1, 0, 0),    SHAPE(65, 7, 1, 0, 0, 0),
    SHAPE(17, 33, 129, 1, 1, 0),    SHAPE(100, 257, 31, 0, 0, 9),   SHAPE(257, 100, 300, 1, 0, 0),
    SHAPE(1, 65, 1000, 1, 1, 0),    SHAPE(1025, 17, 15, 0, 0, 0),
};

double ab__gemm_f32_flops(const struct ab_shape *s)
{
    return 2.0 * (double)s->v[P_M] * (double)s->v[P_N] * (double)s->v[P_K];
}

double ab__gemm_f32_bytes(const struct ab_shape *s)
{
    double m = (double)s->v[P_M], n = (double)s->v[P_N], k = (double)s->v[P_K];
    double c_passes = s->v[P_BETA] ? 2.0 : 1.0;
    return 4.0 * (m * k + k * n + c_passes * m * n);
}

size_t ab__gemm_f32_no_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)shape;
    (void)n_threads;
    return 0;
}

static uint64_t gemm_io_bytes(const struct ab_shape *s)
{
    uint64_t m = (uint64_t)s->v[P_M], n = (uint64_t)s->v[P_N], k = (uint64_t)s->v[P_K], pad = (uint64_t)s->v[P_PAD];
    return 4u * (m * (k + pad) + (s->v[P_TRANS_B] ? n * (k + pad) : k * (n + pad)) + m * (n + pad));
}

struct gemm_case {
    struct ab_case base;   /* first member: see kernel.h */
    struct ab_gemm_f32_args args;  /* sizes, strides, alpha, beta, inputs */
    float *c_init;
    float *c[AB_SLOT_COUNT];
    size_t c_elems;
};

static enum ab_status gemm_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                    struct ab_error *err)
{
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_gemm_f32, shape, seed, sizeof(struct gemm_case), &base, err);
    if (st != AB_OK)
        return st;
    struct gemm_case *g = (struct gemm_case *)base;

    size_t m = (size_t)shape->v[P_M], n = (size_t)shape->v[P_N], k = (size_t)shape->v[P_K];
    size_t pad = (size_t)shape->v[P_PAD];
    bool trans_b = shape->v[P_TRANS_B] != 0;
    struct ab_gemm_f32_args *a = &g->args;
    a->m = m;
    a->n = n;
    a->k = k;
    a->lda = k + pad;
    a->trans_b = trans_b;
    a->ldb = (trans_b ? k : n) + pad;
    a->ldc = n + pad;
    a->beta = shape->v[P_BETA] ? 1.0f : 0.0f;
    a->alpha = shape->v[P_BETA] ? 0.75f : 1.0f;

    size_t a_elems = m * a->lda, b_elems = (trans_b ? n : k) * a->ldb;
    g->c_elems = m * a->ldc;
    float *a_buf = ab_case_alloc(base, a_elems * sizeof(float));
    float *b_buf = ab_case_alloc(base, b_elems * sizeof(float));
    g->c_init = ab_case_alloc(base, g->c_elems * sizeof(float));
    for (int s = 0; s < AB_SLOT_COUNT; s++)
        g->c[s] = ab_case_alloc(base, g->c_elems * sizeof(float));
    bool ok = a_buf && b_buf && g->c_init && ab_case_input(base, "a", a_buf, a_elems * sizeof(float)) &&
              ab_case_input(base, "b", b_buf, b_elems * sizeof(float)) &&
              ab_case_input(base, "c_init", g->c_init, g->c_elems * sizeof(float));
    for (int s = 0; s < AB_SLOT_COUNT && ok; s++)
        ok = g->c[s] && ab_case_output(base, (enum ab_slot)s, "c", g->c[s], AB_ELEM_F32, m, n, a->ldc);
    if (!ok) {
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "gemm_f32: out of memory for %zux%zux%zu inputs", m, n, k);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    ab_rng_fill_uniform_f32(&rng, a_buf, a_elems, -1.0f, 1.0f);
    ab_rng_fill_uniform_f32(&rng, b_buf, b_elems, -1.0f, 1.0f);
    if (a->beta != 0.0f)
        ab_rng_fill_uniform_f32(&rng, g->c_init, g->c_elems, -1.0f, 1.0f);
    else
        for (size_t i = 0; i < g->c_elems; i++)
            g->c_init[i] = NAN; /* beta = 0 must never read C */
    a->a = a_buf;
    a->b = b_buf;
    *out_case = base;
    return AB_OK;
}

static enum ab_status gemm_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                    enum ab_slot slot)
{
    struct gemm_case *g = (struct gemm_case *)c;
    struct ab_gemm_f32_args args = g->args;
    /* beta != 0 accumulates into C, so every call starts from the same C; the copy is
     * part of the timed call only for beta=1 shapes, and bytes() counts it as C read.
     * Only the m x n part is copied: the padding columns belong to nobody, and a checked
     * call verifies that the kernel leaves them as they were. */
    if (args.beta != 0.0f) {
        if (args.ldc == args.n)
            memcpy(g->c[slot], g->c_init, g->c_elems * sizeof(float));
        else
            for (size_t i = 0; i < args.m; i++)
                memcpy(g->c[slot] + i * args.ldc, g->c_init + i * args.ldc, args.n * sizeof(float));
    }
    args.c = g->c[slot];
    return kernel->fn.gemm_f32(&args, exec);
}

static void gemm_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct gemm_case *g = (const struct gemm_case *)c;
    double tol = ab_kernel_tolerance(kernel, &c->shape);
    size_t m = g->args.m, n = g->args.n, ldc = g->args.ldc;
    if (ldc == n) {
        ab_check_f32(g->c[AB_SLOT_REF], g->c[AB_SLOT_TEST], g->c_elems, tol, out);
        return;
    }
    /* Padding columns of C are never written: pack the m x n part of both slots and
     * compare that (harness code, never timed). */
    float *r = ab_malloc(m * n * sizeof(float)), *t = ab_malloc(m * n * sizeof(float));
    if (!r || !t) {
        *out = (struct ab_check){.ok = false, .cmp = AB_CMP_REL_FRO, .err = (double)NAN, .tol = tol};
        snprintf(out->detail, sizeof out->detail, "out of memory comparing %zu x %zu outputs", m, n);
    } else {
        for (size_t i = 0; i < m; i++) {
            memcpy(r + i * n, g->c[AB_SLOT_REF] + i * ldc, n * sizeof(float));
            memcpy(t + i * n, g->c[AB_SLOT_TEST] + i * ldc, n * sizeof(float));
        }
        ab_check_f32(r, t, m * n, tol, out);
    }
    ab_free(r);
    ab_free(t);
}

const struct ab_family ab_family_gemm_f32 = {
    .name = "gemm_f32",
    .doc = "FP32 GEMM, C = alpha A op(B) + beta C, row-major",
    .flops_doc = "2*m*n*k",
    .params = gemm_params,
    .n_params = sizeof gemm_params / sizeof gemm_params[0],
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = NULL,
    .io_bytes = gemm_io_bytes,
    .case_new = gemm_case_new,
    .case_free = ab_case_free,
    .case_run = gemm_case_run,
    .case_compare = gemm_case_compare,
    .case_metrics = NULL,
};

static void shape_of(const struct ab_gemm_f32_args *args, struct ab_shape *out)
{
    ab_shape_default(&ab_family_gemm_f32, out);
    out->v[P_M] = (int64_t)args->m;
    out->v[P_N] = (int64_t)args->n;
    out->v[P_K] = (int64_t)args->k;
    out->v[P_TRANS_B] = args->trans_b;
    out->v[P_BETA] = args->beta != 0.0f;
}

enum ab_status ab_gemm_f32(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    struct ab_shape shape;
    shape_of(args, &shape);
    const struct ab_kernel *k = ab_kernel_best(&ab_family_gemm_f32, &shape, ab_cpu_features());
    return k->fn.gemm_f32(args, exec);
}

size_t ab_gemm_f32_workspace_bytes(size_t m, size_t n, size_t k, bool trans_b, int n_threads)
{
    struct ab_gemm_f32_args args = {.m = m, .n = n, .k = k, .trans_b = trans_b};
    struct ab_shape shape;
    shape_of(&args, &shape);
    const struct ab_kernel *kern = ab_kernel_best(&ab_family_gemm_f32, &shape, ab_cpu_features());
    return kern->workspace_bytes(&shape, n_threads);
}
