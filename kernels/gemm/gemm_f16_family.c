/*
 * gemm_f16_family.c - the gemm_f16 family (FP16 storage, FP32 compute): shape parameters
 * (gemm_f32's, so rows of the same shape compare), sweeps, FLOP and byte models, binary16
 * rounding, and the harness-side case functions (seeded inputs, run, compare).
 *
 * Inputs are drawn as FP32 uniform in [-1, 1] and rounded to binary16 (nearest even) by
 * the portable ab_f16_from_f32, which gives vcvtps2ph's results bit for bit (the tests
 * check it against F16C where the CPU has it), so the reference sees exactly the values
 * every variant sees. The draw includes binary16 subnormals (|x| < 2^-14), which every
 * variant must widen exactly. Hard cases in the test sweep: sizes 1 and not multiples of
 * 16 or of the 64-column panel, k = 1, k not a multiple of 16 and past a k block, B
 * transposed (the 16 x 16 transpose tails), padded leading dimensions (odd strides, so
 * rows of FP16 start off any vector boundary), beta = 1, and beta = 0 with C pre-filled
 * with NaN (beta = 0 must not read C).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/cpu.h"
#include "archbench/gemm_f16.h"
#include "archbench/rng.h"

#include "gemm_f16_impl.h"

enum { P_M = AB__F16_M, P_N = AB__F16_N, P_K = AB__F16_K, P_TRANS_B = AB__F16_TRANS_B, P_BETA = AB__F16_BETA,
       P_PAD = AB__F16_PAD };

static const char *const bool_names[] = {"0", "1"};

static const struct ab_param f16_params[] = {
    [P_M] = {"m", "rows of A and C", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_N] = {"n", "columns of op(B) and C", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_K] = {"k", "reduction length", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_TRANS_B] = {"trans_b", "1: B stored n x k (weights)", 0, 0, 1, bool_names, 2},
    [P_BETA] = {"beta", "1: C = 0.75 A op(B) + C; 0: C = A op(B), C not read", 0, 0, 1, bool_names, 2},
    [P_PAD] = {"pad", "extra elements on every leading dimension", 0, 0, 1024, NULL, 0},
};
_Static_assert(sizeof f16_params / sizeof f16_params[0] == AB__F16_PARAM_COUNT, "one param per index");

#define SHAPE(m, n, k, tb, beta, pad) {{m, n, k, tb, beta, pad}}

static const struct ab_shape sweep_default[] = {
    SHAPE(1024, 1024, 1024, 0, 0, 0), SHAPE(1024, 1024, 1024, 1, 0, 0), SHAPE(2048, 2048, 2048, 0, 0, 0),
    SHAPE(2048, 2048, 2048, 1, 0, 0), SHAPE(1000, 1000, 1001, 0, 0, 0), SHAPE(257, 1023, 777, 1, 0, 0),
    SHAPE(128, 4096, 4096, 1, 0, 0),
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(1024, 1024, 1024, 0, 0, 0),
    SHAPE(1000, 1000, 1001, 1, 0, 0),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 1, 1, 0, 0, 0),        SHAPE(1, 1, 1, 1, 1, 3),        SHAPE(1, 1, 2, 0, 0, 0),
    SHAPE(7, 7, 7, 0, 0, 0),        SHAPE(7, 7, 7, 1, 1, 1),        SHAPE(33, 33, 33, 0, 0, 0),
    SHAPE(33, 33, 33, 1, 0, 5),     SHAPE(63, 65, 64, 0, 1, 0),     SHAPE(65, 63, 65, 1, 0, 0),
    SHAPE(100, 100, 100, 0, 0, 1),  SHAPE(100, 100, 101, 1, 1, 0),  SHAPE(257, 257, 257, 0, 0, 0),
    SHAPE(257, 257, 257, 1, 0, 3),  SHAPE(1, 1000, 7, 0, 0, 0),     SHAPE(1000, 1, 65, 1, 0, 0),
    SHAPE(6, 64, 1025, 0, 0, 0),    SHAPE(7, 1000, 63, 1, 0, 0),    SHAPE(65, 7, 1, 0, 0, 0),
    SHAPE(17, 33, 129, 1, 1, 0),    SHAPE(100, 257, 31, 0, 0, 9),   SHAPE(257, 100, 1001, 1, 0, 0),
    SHAPE(1025, 17, 15, 0, 0, 0),   SHAPE(300, 600, 2049, 0, 1, 1), SHAPE(301, 129, 2047, 1, 0, 2),
};

uint16_t ab_f16_from_f32(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    uint32_t sign = (u >> 16) & 0x8000u, abs = u & 0x7FFFFFFFu;
    if (abs > 0x7F800000u) /* NaN: quiet it, keep the top of the payload, as vcvtps2ph does */
        return (uint16_t)(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));
    /* 65520 (0x477FF000) is the tie between 65504, the largest binary16, and 2^16: it and
     * everything above round to infinity (65504's last significand bit is odd). */
    if (abs >= 0x477FF000u)
        return (uint16_t)(sign | 0x7C00u);
    uint32_t exp = abs >> 23;
    if (exp >= 113u) {
        /* Normal result: rebias 127 -> 15 and drop 13 bits, ties to even; a carry out of
         * the significand moves to the next binade, which is right. */
        uint32_t h = (abs - (112u << 23)) >> 13, rem = abs & 0x1FFFu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
            h++;
        return (uint16_t)(sign | h);
    }
    /* Below 2^-14: a subnormal (or zero) result, in units of 2^-24. The value is
     * sig * 2^(exp - 150) with sig the 24-bit significand, so q = sig >> (126 - exp). */
    uint32_t shift = 126u - exp;
    if (exp == 0 || shift > 24u)
        return (uint16_t)sign; /* under half of 2^-24: to zero */
    uint32_t sig = (abs & 0x7FFFFFu) | 0x800000u, q = sig >> shift, rem = sig & ((1u << shift) - 1u),
             half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u)))
        q++; /* 0x3FF + 1 is 0x400, the smallest normal: right too */
    return (uint16_t)(sign | q);
}

float ab_f16_to_f32(uint16_t h)
{
    return ab__f16_to_f32(h);
}

double ab__gemm_f16_flops(const struct ab_shape *s)
{
    return 2.0 * (double)s->v[P_M] * (double)s->v[P_N] * (double)s->v[P_K];
}

double ab__gemm_f16_bytes(const struct ab_shape *s)
{
    double m = (double)s->v[P_M], n = (double)s->v[P_N], k = (double)s->v[P_K];
    double c_passes = s->v[P_BETA] ? 2.0 : 1.0;
    return 2.0 * (m * k + k * n) + 4.0 * c_passes * m * n;
}

size_t ab__gemm_f16_no_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)shape;
    (void)n_threads;
    return 0;
}

static uint64_t f16_io_bytes(const struct ab_shape *s)
{
    uint64_t m = (uint64_t)s->v[P_M], n = (uint64_t)s->v[P_N], k = (uint64_t)s->v[P_K], pad = (uint64_t)s->v[P_PAD];
    return 2u * (m * (k + pad) + (s->v[P_TRANS_B] ? n * (k + pad) : k * (n + pad))) + 4u * m * (n + pad);
}

struct f16_case {
    struct ab_case base;   /* first member: see kernel.h */
    struct ab_gemm_f16_args args;
    float *c_init;
    float *c[AB_SLOT_COUNT];
    size_t c_elems;
};

/* Uniform FP32 in [-1, 1], rounded to binary16. Scratch: the FP32 draw, in `tmp`. */
static void fill_f16(struct ab_rng *rng, uint16_t *out, float *tmp, size_t n)
{
    ab_rng_fill_uniform_f32(rng, tmp, n, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++)
        out[i] = ab_f16_from_f32(tmp[i]);
}

static enum ab_status f16_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                    struct ab_error *err)
{
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_gemm_f16, shape, seed, sizeof(struct f16_case), &base, err);
    if (st != AB_OK)
        return st;
    struct f16_case *g = (struct f16_case *)base;

    size_t m = (size_t)shape->v[P_M], n = (size_t)shape->v[P_N], k = (size_t)shape->v[P_K];
    size_t pad = (size_t)shape->v[P_PAD];
    bool trans_b = shape->v[P_TRANS_B] != 0;
    struct ab_gemm_f16_args *a = &g->args;
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
        ok = g->c[s] && ab_case_output(base, (enum ab_slot)s, "c", g->c[s], AB_ELEM_F32, m, n, a->ldc);
    if (!ok) {
        ab_free(tmp);
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "gemm_f16: out of memory for %zux%zux%zu inputs", m, n, k);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    fill_f16(&rng, a_buf, tmp, a_elems);
    fill_f16(&rng, b_buf, tmp, b_elems);
    ab_free(tmp);
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

static enum ab_status f16_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                    enum ab_slot slot)
{
    struct f16_case *g = (struct f16_case *)c;
    struct ab_gemm_f16_args args = g->args;
    /* As gemm_f32: beta != 0 accumulates into C, so every call starts from the same C
     * (the copy is in the timed call for beta = 1 shapes only, and bytes() counts it). */
    if (args.beta != 0.0f) {
        if (args.ldc == args.n)
            memcpy(g->c[slot], g->c_init, g->c_elems * sizeof(float));
        else
            for (size_t i = 0; i < args.m; i++)
                memcpy(g->c[slot] + i * args.ldc, g->c_init + i * args.ldc, args.n * sizeof(float));
    }
    args.c = g->c[slot];
    return kernel->fn.gemm_f16(&args, exec);
}

static void f16_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct f16_case *g = (const struct f16_case *)c;
    double tol = ab_kernel_tolerance(kernel, &c->shape);
    size_t m = g->args.m, n = g->args.n, ldc = g->args.ldc;
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

const struct ab_family ab_family_gemm_f16 = {
    .name = "gemm_f16",
    .doc = "FP16-storage GEMM, FP32 compute and accumulation, C = alpha A op(B) + beta C, row-major",
    .flops_doc = "2*m*n*k (as gemm_f32; the multiply-adds are FP32 FMAs, so % of the FP32 peak applies)",
    .params = f16_params,
    .n_params = sizeof f16_params / sizeof f16_params[0],
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = NULL,
    .io_bytes = f16_io_bytes,
    .case_new = f16_case_new,
    .case_free = ab_case_free,
    .case_run = f16_case_run,
    .case_compare = f16_case_compare,
    .case_metrics = NULL,
    .compute_peak = AB_PEAK_FP32,
};

static void shape_of(const struct ab_gemm_f16_args *args, struct ab_shape *out)
{
    ab_shape_default(&ab_family_gemm_f16, out);
    out->v[P_M] = (int64_t)args->m;
    out->v[P_N] = (int64_t)args->n;
    out->v[P_K] = (int64_t)args->k;
    out->v[P_TRANS_B] = args->trans_b;
    out->v[P_BETA] = args->beta != 0.0f;
}

enum ab_status ab_gemm_f16(const struct ab_gemm_f16_args *args, const struct ab_exec *exec)
{
    if (!args)
        return AB_EINVAL;
    struct ab_shape shape;
    shape_of(args, &shape);
    const struct ab_kernel *k = ab_kernel_best(&ab_family_gemm_f16, &shape, ab_cpu_features());
    return k->fn.gemm_f16(args, exec);
}

size_t ab_gemm_f16_workspace_bytes(size_t m, size_t n, size_t k, bool trans_b, int n_threads)
{
    struct ab_gemm_f16_args args = {.m = m, .n = n, .k = k, .trans_b = trans_b};
    struct ab_shape shape;
    shape_of(&args, &shape);
    const struct ab_kernel *kern = ab_kernel_best(&ab_family_gemm_f16, &shape, ab_cpu_features());
    return kern->workspace_bytes(&shape, n_threads);
}
