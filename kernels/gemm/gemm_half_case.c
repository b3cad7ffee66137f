/*
 * gemm_half_case.c - what the half-precision-storage GEMM families (gemm_bf16, gemm_f16)
 * share: shape parameters (gemm_f32's, so rows of the same shape compare), sweeps, FLOP and
 * byte models, and the harness-side case (seeded inputs rounded by the family's own
 * function, C per slot, comparison over the m x n part). See gemm_half_impl.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/rng.h"

#include "gemm_half_impl.h"

enum { P_M = AB__HALF_M, P_N = AB__HALF_N, P_K = AB__HALF_K, P_TRANS_B = AB__HALF_TRANS_B, P_BETA = AB__HALF_BETA,
       P_PAD = AB__HALF_PAD };

static const char *const bool_names[] = {"0", "1"};

const struct ab_param ab__gemm_half_params[AB__HALF_PARAM_COUNT] = {
    [P_M] = {"m", "rows of A and C", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_N] = {"n", "columns of op(B) and C", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_K] = {"k", "reduction length", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_TRANS_B] = {"trans_b", "1: B stored n x k (weights)", 0, 0, 1, bool_names, 2},
    [P_BETA] = {"beta", "1: C = 0.75 A op(B) + C; 0: C = A op(B), C not read", 0, 0, 1, bool_names, 2},
    [P_PAD] = {"pad", "extra elements on every leading dimension", 0, 0, 1024, NULL, 0},
};

#define SHAPE(m, n, k, tb, beta, pad) {{m, n, k, tb, beta, pad}}

const struct ab_shape ab__gemm_half_sweep_default[7] = {
    SHAPE(1024, 1024, 1024, 0, 0, 0), SHAPE(1024, 1024, 1024, 1, 0, 0), SHAPE(2048, 2048, 2048, 0, 0, 0),
    SHAPE(2048, 2048, 2048, 1, 0, 0), SHAPE(1000, 1000, 1001, 0, 0, 0), SHAPE(257, 1023, 777, 1, 0, 0),
    SHAPE(128, 4096, 4096, 1, 0, 0),
};
const struct ab_shape ab__gemm_half_sweep_quick[2] = {
    SHAPE(1024, 1024, 1024, 0, 0, 0),
    SHAPE(1000, 1000, 1001, 1, 0, 0),
};
const struct ab_shape ab__gemm_half_sweep_test[24] = {
    SHAPE(1, 1, 1, 0, 0, 0),        SHAPE(1, 1, 1, 1, 1, 3),        SHAPE(1, 1, 2, 0, 0, 0),
    SHAPE(7, 7, 7, 0, 0, 0),        SHAPE(7, 7, 7, 1, 1, 1),        SHAPE(33, 33, 33, 0, 0, 0),
    SHAPE(33, 33, 33, 1, 0, 5),     SHAPE(63, 65, 64, 0, 1, 0),     SHAPE(65, 63, 65, 1, 0, 0),
    SHAPE(100, 100, 100, 0, 0, 1),  SHAPE(100, 100, 101, 1, 1, 0),  SHAPE(257, 257, 257, 0, 0, 0),
    SHAPE(257, 257, 257, 1, 0, 3),  SHAPE(1, 1000, 7, 0, 0, 0),     SHAPE(1000, 1, 65, 1, 0, 0),
    SHAPE(6, 64, 1025, 0, 0, 0),    SHAPE(7, 1000, 63, 1, 0, 0),    SHAPE(65, 7, 1, 0, 0, 0),
    SHAPE(17, 33, 129, 1, 1, 0),    SHAPE(100, 257, 31, 0, 0, 9),   SHAPE(257, 100, 1001, 1, 0, 0),
    SHAPE(1025, 17, 15, 0, 0, 0),   SHAPE(300, 600, 2049, 0, 1, 1), SHAPE(301, 129, 2047, 1, 0, 2),
};

double ab__gemm_half_flops(const struct ab_shape *s)
{
    return 2.0 * (double)s->v[P_M] * (double)s->v[P_N] * (double)s->v[P_K];
}

double ab__gemm_half_bytes(const struct ab_shape *s)
{
    double m = (double)s->v[P_M], n = (double)s->v[P_N], k = (double)s->v[P_K];
    double c_passes = s->v[P_BETA] ? 2.0 : 1.0;
    return 2.0 * (m * k + k * n) + 4.0 * c_passes * m * n;
}

size_t ab__gemm_half_no_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)shape;
    (void)n_threads;
    return 0;
}

size_t ab__gemm_half_ref_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)n_threads;
    return (size_t)shape->v[P_N] * sizeof(double);
}

void ab__gemm_half_shape(const struct ab_family *family, size_t m, size_t n, size_t k, bool trans_b, bool beta,
                         struct ab_shape *out)
{
    ab_shape_default(family, out);
    out->v[P_M] = (int64_t)m;
    out->v[P_N] = (int64_t)n;
    out->v[P_K] = (int64_t)k;
    out->v[P_TRANS_B] = trans_b;
    out->v[P_BETA] = beta;
}

uint64_t ab__gemm_half_io_bytes(const struct ab_shape *s)
{
    uint64_t m = (uint64_t)s->v[P_M], n = (uint64_t)s->v[P_N], k = (uint64_t)s->v[P_K], pad = (uint64_t)s->v[P_PAD];
    return 2u * (m * (k + pad) + (s->v[P_TRANS_B] ? n * (k + pad) : k * (n + pad))) + 4u * m * (n + pad);
}

/* Uniform FP32 in [-1, 1], rounded by `round`. Scratch: the FP32 draw, in `tmp`. */
static void fill_half(struct ab_rng *rng, ab__half_round_fn *round, uint16_t *out, float *tmp, size_t n)
{
    ab_rng_fill_uniform_f32(rng, tmp, n, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++)
        out[i] = round(tmp[i]);
}

enum ab_status ab__gemm_half_case_new(const struct ab_family *family, ab__half_round_fn *round,
                                      const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                      struct ab_error *err)
{
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(family, shape, seed, sizeof(struct ab__gemm_half_case), &base, err);
    if (st != AB_OK)
        return st;
    struct ab__gemm_half_case *g = (struct ab__gemm_half_case *)base;

    size_t m = (size_t)shape->v[P_M], n = (size_t)shape->v[P_N], k = (size_t)shape->v[P_K];
    size_t pad = (size_t)shape->v[P_PAD];
    bool trans_b = shape->v[P_TRANS_B] != 0;
    g->m = m;
    g->n = n;
    g->k = k;
    g->lda = k + pad;
    g->trans_b = trans_b;
    g->ldb = (trans_b ? k : n) + pad;
    g->ldc = n + pad;
    g->beta = shape->v[P_BETA] ? 1.0f : 0.0f;
    g->alpha = shape->v[P_BETA] ? 0.75f : 1.0f;

    size_t a_elems = m * g->lda, b_elems = (trans_b ? n : k) * g->ldb;
    g->c_elems = m * g->ldc;
    size_t tmp_elems = a_elems > b_elems ? a_elems : b_elems;
    uint16_t *a_buf = ab_case_alloc(base, a_elems * sizeof(uint16_t));
    uint16_t *b_buf = ab_case_alloc(base, b_elems * sizeof(uint16_t));
    float *tmp = ab_malloc(tmp_elems * sizeof(float));
    g->c_init = ab_case_alloc(base, g->c_elems * sizeof(float));
    for (int s = 0; s < AB_SLOT_COUNT; s++)
        g->c[s] = ab_case_alloc(base, g->c_elems * sizeof(float));
    bool ok = a_buf && b_buf && tmp && g->c_init && ab_case_input(base, "a", a_buf, a_elems * sizeof(uint16_t)) &&
              ab_case_input(base, "b", b_buf, b_elems * sizeof(uint16_t)) &&
              ab_case_input(base, "c_init", g->c_init, g->c_elems * sizeof(float));
    for (int s = 0; s < AB_SLOT_COUNT && ok; s++)
        ok = g->c[s] && ab_case_output(base, (enum ab_slot)s, "c", g->c[s], AB_ELEM_F32, m, n, g->ldc);
    if (!ok) {
        ab_free(tmp);
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "%s: out of memory for %zux%zux%zu inputs", family->name, m, n,
                            k);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    fill_half(&rng, round, a_buf, tmp, a_elems);
    fill_half(&rng, round, b_buf, tmp, b_elems);
    ab_free(tmp);
    if (g->beta != 0.0f)
        ab_rng_fill_uniform_f32(&rng, g->c_init, g->c_elems, -1.0f, 1.0f);
    else
        for (size_t i = 0; i < g->c_elems; i++)
            g->c_init[i] = NAN; /* beta = 0 must never read C */
    g->a = a_buf;
    g->b = b_buf;
    *out_case = base;
    return AB_OK;
}

float *ab__gemm_half_case_c(struct ab__gemm_half_case *g, enum ab_slot slot)
{
    /* As gemm_f32: beta != 0 accumulates into C, so every call starts from the same C. */
    if (g->beta != 0.0f) {
        if (g->ldc == g->n)
            memcpy(g->c[slot], g->c_init, g->c_elems * sizeof(float));
        else
            for (size_t i = 0; i < g->m; i++)
                memcpy(g->c[slot] + i * g->ldc, g->c_init + i * g->ldc, g->n * sizeof(float));
    }
    return g->c[slot];
}

void ab__gemm_half_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct ab__gemm_half_case *g = (const struct ab__gemm_half_case *)c;
    double tol = ab_kernel_tolerance(kernel, &c->shape);
    size_t m = g->m, n = g->n, ldc = g->ldc;
    if (ldc == n) {
        ab_check_f32(g->c[AB_SLOT_REF], g->c[AB_SLOT_TEST], g->c_elems, tol, out);
        return;
    }
    /* Padding columns are checked by ab_case_verify; compare the m x n part only. */
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

