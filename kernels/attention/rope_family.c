/*
 * rope_family.c - the rope family (rotary position embedding): shape parameters,
 * sweeps, FLOP/byte models, the case functions, and the reference variant.
 *
 * Reference: per token and pair, the angle p * theta^(-2i/d_rot) and its cos/sin in
 * double (libm), the rotation in double, rounded once to float. Inputs are N(0, 1).
 * The default sweep is sized beyond the 32 MB L3 (it is a bandwidth test): one call
 * reads and writes n_tokens * heads * d floats.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "archbench/attention.h"
#include "archbench/check.h"
#include "archbench/rng.h"

#include "attention_impl.h"

enum {
    P_N = AB__ROPE_N_TOKENS,
    P_H = AB__ROPE_HEADS,
    P_D = AB__ROPE_D,
    P_DROT = AB__ROPE_D_ROT,
    P_PAIR = AB__ROPE_PAIRING,
    P_THETA = AB__ROPE_THETA,
    P_POS = AB__ROPE_POS_OFFSET,
};

static const char *const pairing_names[] = {"interleaved", "half_split"};
_Static_assert(sizeof pairing_names / sizeof pairing_names[0] == AB_ROPE_PAIRING_COUNT, "one name per pairing");

static const struct ab_param rope_params[] = {
    [P_N] = {"n_tokens", "tokens (positions pos_offset ...)", 4096, 1, INT64_C(1) << 24, NULL, 0},
    [P_H] = {"heads", "heads per token", 32, 1, 4096, NULL, 0},
    [P_D] = {"d", "head dimension", 128, 2, 1024, NULL, 0},
    [P_DROT] = {"d_rot", "rotated dimensions (even, <= d; the rest is copied)", 128, 2, 1024, NULL, 0},
    [P_PAIR] = {"pairing", "interleaved (x[2i], x[2i+1]) or half_split (x[i], x[i+d_rot/2])", 0, 0, 1,
                pairing_names, 2},
    [P_THETA] = {"theta", "frequency base", 10000, 2, INT64_C(1) << 30, NULL, 0},
    [P_POS] = {"pos_offset", "position of token 0", 0, -(INT64_C(1) << 40), INT64_C(1) << 40, NULL, 0},
};
_Static_assert(sizeof rope_params / sizeof rope_params[0] == AB__ROPE_PARAM_COUNT, "one entry per parameter");

#define SHAPE(n, h, d, drot, pair, theta, pos) {{n, h, d, drot, pair, theta, pos}}

static const struct ab_shape sweep_default[] = {
    SHAPE(4096, 32, 128, 128, 0, 10000, 0),
    SHAPE(4096, 32, 128, 128, 1, 10000, 0),
    SHAPE(16384, 8, 128, 128, 1, 500000, 0),
    SHAPE(4096, 32, 128, 64, 1, 10000, 0),
    SHAPE(512, 32, 128, 128, 1, 10000, 0),
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(4096, 32, 128, 128, 0, 10000, 0),
    SHAPE(4096, 32, 128, 128, 1, 10000, 0),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 1, 64, 64, 0, 10000, 0),       SHAPE(1, 1, 64, 64, 1, 10000, 0),
    SHAPE(7, 3, 80, 80, 0, 10000, 5),       SHAPE(7, 3, 80, 80, 1, 10000, 5),   /* d_rot/2 = 40 */
    SHAPE(33, 2, 128, 32, 0, 500000, 0),    SHAPE(33, 2, 128, 32, 1, 500000, 0), /* partial */
    SHAPE(5, 2, 6, 2, 0, 10000, 3),         SHAPE(5, 2, 6, 2, 1, 10000, 3),
    SHAPE(65, 4, 64, 64, 0, 10000, 100000), SHAPE(65, 4, 64, 64, 1, 10000, 100000),
    SHAPE(17, 5, 96, 90, 1, 10000, -40),    SHAPE(17, 5, 96, 90, 0, 10000, -40),
    SHAPE(300, 8, 128, 128, 1, 10000, 32000),
};

double ab__rope_flops(const struct ab_shape *s)
{
    return 3.0 * (double)s->v[P_N] * (double)s->v[P_H] * (double)s->v[P_DROT];
}

static uint64_t rope_io_bytes(const struct ab_shape *s)
{
    return 8u * (uint64_t)s->v[P_N] * (uint64_t)s->v[P_H] * (uint64_t)s->v[P_D];
}

double ab__rope_bytes(const struct ab_shape *s)
{
    return (double)rope_io_bytes(s);
}

size_t ab__attn_no_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)shape;
    (void)n_threads;
    return 0;
}

static double rope_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_N];
}

struct rope_case {
    struct ab_case base;        /* first member: see kernel.h */
    struct ab_rope_args args;
};

static enum ab_status rope_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                    struct ab_error *err)
{
    /* only for an in-range shape: an out-of-range one gets ab_case_new's message, as before */
    if (ab_shape_valid(&ab_family_rope, shape) && (shape->v[P_DROT] > shape->v[P_D] || shape->v[P_DROT] % 2))
        return ab_error_set(err, AB_EINVAL, "rope: d_rot (%lld) must be even and <= d (%lld)",
                            (long long)shape->v[P_DROT], (long long)shape->v[P_D]);
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_rope, shape, seed, sizeof(struct rope_case), &base, err);
    if (st != AB_OK)
        return st;
    struct rope_case *r = (struct rope_case *)base;
    struct ab_rope_args *a = &r->args;
    a->n_tokens = (size_t)shape->v[P_N];
    a->heads = (size_t)shape->v[P_H];
    a->d = (size_t)shape->v[P_D];
    a->d_rot = (size_t)shape->v[P_DROT];
    a->pairing = (enum ab_rope_pairing)shape->v[P_PAIR];
    a->theta_base = (double)shape->v[P_THETA];
    a->pos_offset = shape->v[P_POS];
    a->inverse = false;
    size_t elems = a->n_tokens * a->heads * a->d;
    float *x = ab_case_alloc(base, elems * sizeof(float));
    if (!x || !ab_case_outputs_f32(base, elems)) {
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "rope: out of memory for 3 x %zu floats", elems);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    ab_rng_fill_normal_f32(&rng, x, elems, 0.0f, 1.0f);
    ab_case_input(base, "x", x, elems * sizeof(float)); /* a name for ab_case_verify's messages */
    a->x = x;
    *out_case = base;
    return AB_OK;
}

static enum ab_status rope_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                    enum ab_slot slot)
{
    struct rope_case *r = (struct rope_case *)c;
    struct ab_rope_args args = r->args;
    args.y = c->out_f32[slot];
    return kernel->fn.rope(&args, exec);
}

const struct ab_family ab_family_rope = {
    .name = "rope",
    .doc = "rotary position embedding, interleaved or half-split pairs, partial rotary dims, position offset",
    .flops_doc = "6 per rotated pair (4 mul, 2 add): 3*n_tokens*heads*d_rot; angles not counted",
    .params = rope_params,
    .n_params = AB__ROPE_PARAM_COUNT,
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = rope_tokens,
    .io_bytes = rope_io_bytes,
    .case_new = rope_case_new,
    .case_free = ab_case_free,
    .case_run = rope_case_run,
    .case_compare = ab_case_compare_f32,
    .case_metrics = NULL,
};

/* ---- reference ---------------------------------------------------------------------- */

static enum ab_status rope_ref(const struct ab_rope_args *a, const struct ab_exec *exec)
{
    (void)exec;
    if (a->d_rot > a->d || a->d_rot % 2 || a->pairing >= AB_ROPE_PAIRING_COUNT)
        return AB_EINVAL;
    size_t half = a->d_rot / 2;
    for (size_t t = 0; t < a->n_tokens; t++) {
        double pos = (double)(a->pos_offset + (int64_t)t);
        for (size_t h = 0; h < a->heads; h++) {
            const float *x = a->x + (t * a->heads + h) * a->d;
            float *y = a->y + (t * a->heads + h) * a->d;
            for (size_t i = 0; i < half; i++) {
                double angle = pos * pow(a->theta_base, -2.0 * (double)i / (double)a->d_rot);
                double c = cos(angle), s = a->inverse ? -sin(angle) : sin(angle);
                size_t i0 = a->pairing == AB_ROPE_INTERLEAVED ? 2 * i : i;
                size_t i1 = a->pairing == AB_ROPE_INTERLEAVED ? 2 * i + 1 : i + half;
                double x0 = (double)x[i0], x1 = (double)x[i1];
                y[i0] = (float)(x0 * c - x1 * s);
                y[i1] = (float)(x0 * s + x1 * c);
            }
            for (size_t i = a->d_rot; i < a->d; i++)
                y[i] = x[i];
        }
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_rope_ref;
const struct ab_kernel ab__kernel_rope_ref = {
    .name = "rope_ref",
    .family = &ab_family_rope,
    .variant = "ref",
    .doc = "angles, cos/sin and rotation in double per element (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.rope = rope_ref,
    .supports = NULL,
    .workspace_bytes = ab__attn_no_workspace,
    .flops = ab__rope_flops,
    .bytes = ab__rope_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
