/*
 * mha_family.c - the mha family (exact multi-head attention): shape parameters,
 * sweeps, FLOP and byte models, and the harness-side case functions.
 *
 * Inputs are seeded N(0, 1) Q, K, V, so scale * q.k is about N(0, 1); logits=huge
 * multiplies Q by 1e4 (logits of magnitude 1e4: the softmax must subtract the row max
 * and never overflow). mask=padding gives batch element b the first
 * n_kv - floor(b * n_kv / (batch - 1)) keys, so with batch > 1 the last element has no
 * key at all (fully masked rows); mask=random drops each key with probability 1/2.
 * causal with n_q > n_kv also gives fully masked rows (bottom-right alignment).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "archbench/attention.h"
#include "archbench/check.h"
#include "archbench/rng.h"

#include "attention_impl.h"

enum {
    P_BATCH = AB__MHA_BATCH,
    P_HQ = AB__MHA_HEADS_Q,
    P_HKV = AB__MHA_HEADS_KV,
    P_NQ = AB__MHA_N_Q,
    P_NKV = AB__MHA_N_KV,
    P_D = AB__MHA_D,
    P_CAUSAL = AB__MHA_CAUSAL,
    P_MASK = AB__MHA_MASK,
    P_LOGITS = AB__MHA_LOGITS,
};

static const char *const bool_names[] = {"0", "1"};
static const char *const mask_names[] = {"none", "padding", "random"};
static const char *const logit_names[] = {"normal", "huge"};

static const struct ab_param mha_params[] = {
    [P_BATCH] = {"batch", "batch elements", 1, 1, 4096, NULL, 0},
    [P_HQ] = {"heads_q", "query heads", 16, 1, 1024, NULL, 0},
    [P_HKV] = {"heads_kv", "key/value heads (divides heads_q; < heads_q is GQA)", 16, 1, 1024, NULL, 0},
    [P_NQ] = {"n_q", "query rows per head", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_NKV] = {"n_kv", "key/value rows per head", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_D] = {"d", "head dimension", 64, 1, 512, NULL, 0},
    [P_CAUSAL] = {"causal", "1: causal mask, bottom-right aligned", 0, 0, 1, bool_names, 2},
    [P_MASK] = {"mask", "key padding mask: none, padding (last batch fully masked), random", 0, 0, 2, mask_names, 3},
    [P_LOGITS] = {"logits", "normal: scores ~N(0,1); huge: scores ~1e4", 0, 0, 1, logit_names, 2},
};
_Static_assert(sizeof mha_params / sizeof mha_params[0] == AB__MHA_PARAM_COUNT, "one entry per parameter");
_Static_assert(AB__MHA_PARAM_COUNT <= AB_SHAPE_MAX_PARAMS, "params fit a shape");

#define SHAPE(b, hq, hkv, nq, nkv, d, causal, mask, logits) {{b, hq, hkv, nq, nkv, d, causal, mask, logits}}

static const struct ab_shape sweep_default[] = {
    SHAPE(1, 16, 16, 256, 256, 64, 0, 0, 0),    SHAPE(1, 16, 16, 1024, 1024, 64, 0, 0, 0),
    SHAPE(1, 16, 16, 1024, 1024, 64, 1, 0, 0),  SHAPE(1, 16, 16, 2048, 2048, 64, 0, 0, 0),
    SHAPE(1, 16, 16, 4096, 4096, 64, 0, 0, 0),  SHAPE(1, 16, 16, 4096, 4096, 64, 1, 0, 0),
    SHAPE(1, 16, 16, 1024, 1024, 128, 0, 0, 0), SHAPE(1, 16, 16, 1024, 1024, 80, 0, 0, 0),
    SHAPE(1, 32, 8, 1024, 1024, 128, 1, 0, 0),
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(1, 16, 16, 1024, 1024, 64, 0, 0, 0),
    SHAPE(1, 16, 16, 1024, 1024, 64, 1, 0, 0),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 1, 1, 1, 1, 64, 0, 0, 0),       /* one query, one key: O = V */
    SHAPE(1, 2, 1, 1, 37, 64, 1, 0, 0),      /* decode row, GQA */
    SHAPE(2, 4, 2, 17, 17, 80, 1, 1, 0),     /* d = 80, padding, batch 1 fully masked */
    SHAPE(1, 2, 2, 100, 100, 64, 0, 0, 0),
    SHAPE(1, 2, 2, 100, 100, 64, 1, 0, 0),
    SHAPE(1, 2, 1, 33, 130, 128, 1, 0, 0),   /* n_q < n_kv causal: KV-cache prefix */
    SHAPE(1, 2, 2, 130, 33, 64, 1, 0, 0),    /* n_q > n_kv causal: first rows fully masked */
    SHAPE(2, 2, 2, 70, 150, 80, 0, 2, 0),    /* random key mask */
    SHAPE(3, 2, 2, 65, 65, 64, 0, 1, 0),     /* padding, batch 2 fully masked */
    SHAPE(1, 2, 2, 64, 200, 64, 0, 0, 1),    /* logits ~1e4 */
    SHAPE(1, 4, 1, 129, 257, 64, 1, 1, 1),   /* MQA, causal, huge logits */
    SHAPE(1, 1, 1, 300, 300, 128, 1, 2, 0),
    SHAPE(1, 2, 2, 1, 1000, 64, 0, 0, 0),
    SHAPE(2, 6, 3, 200, 131, 80, 1, 0, 0),
    SHAPE(1, 1, 1, 5, 7, 8, 0, 0, 0),        /* d not a multiple of 16 (reference, BLAS) */
};

size_t ab__mha_causal_limit(size_t i, size_t n_q, size_t n_kv)
{
    int64_t lim = (int64_t)i + 1 + (int64_t)n_kv - (int64_t)n_q;
    if (lim < 0)
        return 0;
    return lim > (int64_t)n_kv ? n_kv : (size_t)lim;
}

/* Allowed (query, key) pairs of one head under the causal rule. */
static double causal_pairs(const struct ab_shape *s)
{
    size_t n_q = (size_t)s->v[P_NQ], n_kv = (size_t)s->v[P_NKV];
    if (!s->v[P_CAUSAL])
        return (double)n_q * (double)n_kv;
    double pairs = 0.0;
    for (size_t i = 0; i < n_q; i++)
        pairs += (double)ab__mha_causal_limit(i, n_q, n_kv);
    return pairs;
}

double ab__mha_flops(const struct ab_shape *s)
{
    return 4.0 * (double)s->v[P_D] * causal_pairs(s) * (double)s->v[P_BATCH] * (double)s->v[P_HQ];
}

static uint64_t mha_io_bytes(const struct ab_shape *s)
{
    uint64_t b = (uint64_t)s->v[P_BATCH], d = (uint64_t)s->v[P_D];
    uint64_t q = b * (uint64_t)s->v[P_HQ] * (uint64_t)s->v[P_NQ] * d;
    uint64_t kv = b * (uint64_t)s->v[P_HKV] * (uint64_t)s->v[P_NKV] * d;
    uint64_t mask = s->v[P_MASK] ? b * (uint64_t)s->v[P_NKV] : 0;
    return 4u * (2u * q + 2u * kv) + mask;
}

double ab__mha_bytes(const struct ab_shape *s)
{
    return (double)mha_io_bytes(s);
}

static double mha_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_BATCH] * (double)s->v[P_NQ];
}

struct mha_case {
    struct ab_case base;        /* first member: see kernel.h */
    struct ab_mha_args args;    /* sizes and inputs; out is set per slot */
};

static enum ab_status mha_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                   struct ab_error *err)
{
    /* heads_kv is a divisor only once the ranges hold (ab_case_new checks them too) */
    if (ab_shape_valid(&ab_family_mha, shape) && shape->v[P_HQ] % shape->v[P_HKV] != 0)
        return ab_error_set(err, AB_EINVAL, "mha: heads_kv (%lld) must divide heads_q (%lld)",
                            (long long)shape->v[P_HKV], (long long)shape->v[P_HQ]);
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_mha, shape, seed, sizeof(struct mha_case), &base, err);
    if (st != AB_OK)
        return st;
    struct mha_case *m = (struct mha_case *)base;

    struct ab_mha_args *a = &m->args;
    a->batch = (size_t)shape->v[P_BATCH];
    a->heads_q = (size_t)shape->v[P_HQ];
    a->heads_kv = (size_t)shape->v[P_HKV];
    a->n_q = (size_t)shape->v[P_NQ];
    a->n_kv = (size_t)shape->v[P_NKV];
    a->d = (size_t)shape->v[P_D];
    a->causal = shape->v[P_CAUSAL] != 0;
    a->scale = (float)(1.0 / sqrt((double)a->d));

    size_t q_elems = a->batch * a->heads_q * a->n_q * a->d;
    size_t kv_elems = a->batch * a->heads_kv * a->n_kv * a->d;
    float *q = ab_case_alloc(base, q_elems * sizeof(float));
    float *k = ab_case_alloc(base, kv_elems * sizeof(float));
    float *v = ab_case_alloc(base, kv_elems * sizeof(float));
    bool outs = ab_case_outputs_f32(base, q_elems); /* NaN-filled: an unwritten row is caught */
    uint8_t *key_mask = shape->v[P_MASK] ? ab_case_alloc(base, a->batch * a->n_kv) : NULL;
    if (!q || !k || !v || !outs || (shape->v[P_MASK] && !key_mask)) {
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "mha: out of memory for inputs of %zu + 2 x %zu floats", q_elems,
                            kv_elems);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    float q_std = shape->v[P_LOGITS] ? 1e4f : 1.0f;
    ab_rng_fill_normal_f32(&rng, q, q_elems, 0.0f, q_std);
    ab_rng_fill_normal_f32(&rng, k, kv_elems, 0.0f, 1.0f);
    ab_rng_fill_normal_f32(&rng, v, kv_elems, 0.0f, 1.0f);
    if (shape->v[P_MASK] == 1) {
        for (size_t b = 0; b < a->batch; b++) {
            size_t drop = a->batch > 1 ? b * a->n_kv / (a->batch - 1) : 0;
            for (size_t j = 0; j < a->n_kv; j++)
                key_mask[b * a->n_kv + j] = j < a->n_kv - drop;
        }
    } else if (shape->v[P_MASK] == 2) {
        for (size_t i = 0; i < a->batch * a->n_kv; i++)
            key_mask[i] = (uint8_t)(ab_rng_u64(&rng) >> 63);
    }
    /* owned buffers: the names only make ab_case_verify's messages readable */
    ab_case_input(base, "q", q, q_elems * sizeof(float));
    ab_case_input(base, "k", k, kv_elems * sizeof(float));
    ab_case_input(base, "v", v, kv_elems * sizeof(float));
    if (key_mask)
        ab_case_input(base, "key_mask", key_mask, a->batch * a->n_kv);
    a->q = q;
    a->k = k;
    a->v = v;
    a->key_mask = key_mask;
    *out_case = base;
    return AB_OK;
}

static enum ab_status mha_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                   enum ab_slot slot)
{
    struct mha_case *m = (struct mha_case *)c;
    struct ab_mha_args args = m->args;
    args.out = c->out_f32[slot];
    return kernel->fn.mha(&args, exec);
}

const struct ab_family ab_family_mha = {
    .name = "mha",
    .doc = "exact multi-head attention softmax(scale Q K^T + mask) V, GQA, causal (bottom-right), key padding",
    .flops_doc = "4*d per (query, key) pair allowed by the causal mask, times batch*heads_q; softmax not counted",
    .params = mha_params,
    .n_params = AB__MHA_PARAM_COUNT,
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = mha_tokens,
    .io_bytes = mha_io_bytes,
    .case_new = mha_case_new,
    .case_free = ab_case_free,
    .case_run = mha_case_run,
    .case_compare = ab_case_compare_f32,
    .case_metrics = NULL,
};
