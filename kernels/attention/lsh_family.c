/*
 * lsh_family.c - the lsh_attn family (Reformer-style LSH attention, shared QK; the
 * semantics are in attention.h): shape parameters, sweeps, FLOP/byte models, the case
 * functions with the fidelity metrics against full shared-QK attention, and the
 * reference variant.
 *
 * Reference (the oracle of the optimized variants): exact attention restricted to the
 * same buckets and chunks, written plainly in double: hash every token per round (the
 * FP32 projection order of attention.h, so buckets are bit-identical to any variant's),
 * counting sort by (bucket, position), then for every query of every chunk the logits
 * against its chunk and the previous one, masks, softmax, and the rounds merged by a
 * running logsumexp. O(rounds * n * 2 C * d): affordable on every timed shape.
 *
 * Fidelity (case_metrics), on batch 0 / head 0, at most 256 query rows spread evenly
 * over the sequence, in double, against FULL shared-QK softmax attention on the same
 * inputs (normalised keys, same scale, same finite self-mask, causal when the shape is;
 * lucidrains' FullQKAttention): the metric names and definitions are linear_attn's,
 *   rel_err_vs_exact   ||O_lsh - O_full||_F / ||O_full||_F over the sampled rows
 *   cosine_vs_exact    mean over sampled rows of cos(O_lsh_i, O_full_i)
 *   attn_mass_overlap  mean over rows of sum_j min(w_ij, p_ij): w_ij the weight LSH
 *                      attention puts on key j (rounds combined, duplicates and dedup
 *                      included), p_ij the full softmax weight (1 - total variation)
 *   exact_top1_mass    mean over rows of max_j p_ij (how peaked full attention is)
 *   metric_rows        rows sampled
 * plus two LSH-only figures:
 *   attn_mass_recall   mean over rows of sum_{j in U_i} p_ij, U_i the union over rounds
 *                      of the candidate keys of i (the mass LSH could see at all)
 *   keys_evaluated     mean over rows of |U_i| / (keys allowed: n, or i + 1 causal)
 * O_lsh is the reference's output (slot REF); w_ij is recomputed in double from the same
 * buckets, so the figures do not depend on the variant timed.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/attention.h"
#include "archbench/check.h"
#include "archbench/rng.h"

#include "attention_impl.h"

enum {
    P_B = AB__LSH_BATCH,
    P_H = AB__LSH_HEADS,
    P_N = AB__LSH_N,
    P_D = AB__LSH_D,
    P_R = AB__LSH_ROUNDS,
    P_NB = AB__LSH_BUCKETS,
    P_C = AB__LSH_CHUNK,
    P_CAUSAL = AB__LSH_CAUSAL,
    P_DEDUP = AB__LSH_DEDUP,
    P_DIST = AB__LSH_DIST,
};

enum { DIST_REPEAT5 = AB__DIST_COUNT, DIST_SAME, DIST_COUNT_LSH };

static const char *const bool_names[] = {"0", "1"};
static const char *const dist_names[] = {"gaussian", "clustered", "repeat5", "same"};
_Static_assert(sizeof dist_names / sizeof dist_names[0] == DIST_COUNT_LSH, "one name per distribution");

static const struct ab_param lsh_params[] = {
    [P_B] = {"batch", "batch elements", 1, 1, 4096, NULL, 0},
    [P_H] = {"heads", "heads", 16, 1, 1024, NULL, 0},
    [P_N] = {"n", "sequence length", 4096, 1, INT64_C(1) << 22, NULL, 0},
    [P_D] = {"d", "head dimension (shared QK and V)", 64, 1, 512, NULL, 0},
    [P_R] = {"n_rounds", "hash rounds", 4, 1, AB__LSH_MAX_ROUNDS, NULL, 0},
    [P_NB] = {"n_buckets", "buckets per round (1, or even; fixed, so hashing stays O(n))", 64, 1, 4096, NULL, 0},
    [P_C] = {"chunk", "chunk length (a chunk attends itself and the previous chunk)", 64, 1, 4096, NULL, 0},
    [P_CAUSAL] = {"causal", "1: keys after the query dropped", 0, 0, 1, bool_names, 2},
    [P_DEDUP] = {"dedup", "1: logit -= log(rounds sharing the pair)", 0, 0, 1, bool_names, 2},
    [P_DIST] = {"dist", "inputs: gaussian, clustered (peaked), repeat5 (5 distinct rows), same (1 row)", 0, 0, 3,
                dist_names, 4},
};
_Static_assert(sizeof lsh_params / sizeof lsh_params[0] == AB__LSH_PARAM_COUNT, "one entry per parameter");

#define SHAPE(b, h, n, d, r, nb, c, causal, dedup, dist) {{b, h, n, d, r, nb, c, causal, dedup, dist}}

static const struct ab_shape sweep_default[] = {
    SHAPE(1, 16, 1024, 64, 4, 64, 64, 0, 0, 0), SHAPE(1, 16, 4096, 64, 4, 64, 64, 0, 0, 0),
    SHAPE(1, 16, 8192, 64, 4, 64, 64, 0, 0, 0), SHAPE(1, 16, 1024, 64, 4, 64, 64, 0, 0, 1),
    SHAPE(1, 16, 4096, 64, 4, 64, 64, 0, 0, 1), SHAPE(1, 16, 4096, 64, 4, 64, 64, 0, 1, 1),
    SHAPE(1, 16, 4096, 64, 4, 64, 64, 1, 0, 0),
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(1, 16, 1024, 64, 4, 64, 64, 0, 0, 0),
    SHAPE(1, 16, 1024, 64, 4, 64, 64, 0, 0, 1),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 1, 1, 64, 1, 2, 64, 0, 0, 0),       /* n = 1: the token attends itself */
    SHAPE(1, 1, 1, 64, 4, 8, 64, 1, 1, 0),
    SHAPE(1, 2, 100, 64, 4, 4, 32, 0, 1, 0),     /* n not a multiple of the chunk */
    SHAPE(2, 1, 100, 64, 4, 1, 32, 0, 0, 1),     /* one bucket */
    SHAPE(1, 2, 64, 64, 2, 8, 64, 0, 0, 1),      /* one chunk: attends itself once */
    SHAPE(1, 2, 90, 64, 3, 8, 45, 1, 0, 0),      /* two chunks, causal, C % 16 != 0 */
    SHAPE(1, 1, 300, 128, 4, 16, 64, 1, 1, 1),   /* d = 128, causal, dedup */
    SHAPE(1, 2, 250, 128, 1, 6, 20, 0, 0, 0),    /* one round, n_buckets/2 odd */
    SHAPE(1, 2, 200, 64, 4, 8, 16, 0, 1, 2),     /* identical keys (5 distinct rows) */
    SHAPE(1, 1, 150, 64, 4, 64, 32, 1, 1, 3),    /* every token in one bucket, all equal */
    SHAPE(1, 1, 129, 16, 2, 40, 7, 0, 1, 0),     /* small d, chunk 7, nb/2 > 16 */
    SHAPE(1, 2, 1000, 64, 4, 64, 64, 0, 0, 1),
};

double ab__lsh_pairs(size_t n, size_t c)
{
    size_t n_chunks = (n + c - 1) / c;
    if (n_chunks <= 1)
        return (double)n * (double)n;
    /* every full chunk sees 2C keys except chunk 0 (previous = the last, short, one)
     * and the last chunk (its previous chunk is full) */
    size_t last = n - (n_chunks - 1) * c;
    double full = (double)(n_chunks - 1);
    return (full - 1.0) * (double)c * (2.0 * (double)c) + (double)c * (double)(c + last) +
           (double)last * (double)(last + c);
}

/* 4 d per evaluated pair and round (QK^T and PV), d * n_buckets per token and round
 * (the hash projection: n_buckets/2 dot products of length d). */
double ab__lsh_flops(const struct ab_shape *s)
{
    size_t n = (size_t)s->v[P_N], c = (size_t)s->v[P_C];
    double d = (double)s->v[P_D], nb = s->v[P_NB] > 1 ? (double)s->v[P_NB] : 0.0;
    double per_round = 4.0 * d * ab__lsh_pairs(n, c) + d * nb * (double)n;
    return (double)s->v[P_B] * (double)s->v[P_H] * (double)s->v[P_R] * per_round;
}

static uint64_t lsh_io_bytes(const struct ab_shape *s)
{
    uint64_t rows = (uint64_t)s->v[P_B] * (uint64_t)s->v[P_H] * (uint64_t)s->v[P_N];
    uint64_t rot = (uint64_t)s->v[P_R] * (uint64_t)s->v[P_D] * (uint64_t)(s->v[P_NB] / 2);
    return 4u * (rows * 3u * (uint64_t)s->v[P_D] + rot);
}

double ab__lsh_bytes(const struct ab_shape *s)
{
    return (double)lsh_io_bytes(s);
}

static double lsh_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_B] * (double)s->v[P_N];
}

struct lsh_case {
    struct ab_case base;        /* first member: see kernel.h */
    struct ab_lsh_attn_args args;
};

static enum ab_status lsh_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                   struct ab_error *err)
{
    /* only for an in-range shape: an out-of-range one gets ab_case_new's message, as before */
    if (ab_shape_valid(&ab_family_lsh_attn, shape) && shape->v[P_NB] > 1 && shape->v[P_NB] % 2 != 0)
        return ab_error_set(err, AB_EINVAL, "lsh_attn: n_buckets must be 1 or even");
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_lsh_attn, shape, seed, sizeof(struct lsh_case), &base, err);
    if (st != AB_OK)
        return st;
    struct lsh_case *l = (struct lsh_case *)base;
    struct ab_lsh_attn_args *a = &l->args;
    a->batch = (size_t)shape->v[P_B];
    a->heads = (size_t)shape->v[P_H];
    a->n = (size_t)shape->v[P_N];
    a->d = (size_t)shape->v[P_D];
    a->n_rounds = (size_t)shape->v[P_R];
    a->n_buckets = (size_t)shape->v[P_NB];
    a->chunk_len = (size_t)shape->v[P_C];
    a->causal = shape->v[P_CAUSAL] != 0;
    a->dedup = shape->v[P_DEDUP] != 0;
    a->scale = 1.0f; /* trax/HF: unit keys, no 1/sqrt(d) */
    size_t bh = a->batch * a->heads, n_rot = a->n_rounds * a->d * (a->n_buckets / 2);
    size_t out_elems = bh * a->n * a->d;
    float *qk = ab_case_alloc(base, out_elems * sizeof(float));
    float *v = ab_case_alloc(base, out_elems * sizeof(float));
    float *rot = ab_case_alloc(base, n_rot * sizeof(float)); /* n_rot = 0 with one bucket: never read */
    if (!qk || !v || !rot || !ab_case_outputs_f32(base, out_elems)) {
        size_t n = a->n; /* a goes with the case */
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "lsh_attn: out of memory for inputs (n = %zu)", n);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    int64_t dist = shape->v[P_DIST];
    ab__attn_fill(&rng, dist == AB__DIST_CLUSTERED ? AB__DIST_CLUSTERED : AB__DIST_GAUSSIAN, bh, a->n, a->d, a->d,
                  qk, qk, v);
    if (dist == DIST_REPEAT5 || dist == DIST_SAME) {
        size_t period = dist == DIST_SAME ? 1 : 5;
        for (size_t s = 0; s < bh; s++)
            for (size_t i = period; i < a->n; i++)
                memcpy(qk + (s * a->n + i) * a->d, qk + (s * a->n + i % period) * a->d, a->d * sizeof(float));
    }
    /* the rotations are drawn after the inputs from the same seeded stream */
    ab_rng_fill_normal_f32(&rng, rot, n_rot, 0.0f, 1.0f);
    /* owned buffers: the names only make ab_case_verify's messages readable */
    ab_case_input(base, "qk", qk, out_elems * sizeof(float));
    ab_case_input(base, "v", v, out_elems * sizeof(float));
    ab_case_input(base, "rotations", rot, n_rot * sizeof(float));
    a->qk = qk;
    a->v = v;
    a->rotations = rot;
    *out_case = base;
    return AB_OK;
}

static enum ab_status lsh_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                   enum ab_slot slot)
{
    struct lsh_case *l = (struct lsh_case *)c;
    struct ab_lsh_attn_args args = l->args;
    args.out = c->out_f32[slot];
    return kernel->fn.lsh_attn(&args, exec);
}

/* ---- plain building blocks of the reference and the metrics --------------------------- */

/* Bucket of one row (attention.h: FP32 projection, products and sums rounded one by one,
 * t in order; argmax over [p, -p], first index on ties). proj: n_buckets/2 floats. */
static size_t hash_row(const float *x, size_t d, const float *rot, size_t n_buckets, float *proj)
{
    if (n_buckets < 2)
        return 0;
    size_t half = n_buckets / 2;
    for (size_t b = 0; b < half; b++) {
        float acc = 0.0f;
        for (size_t t = 0; t < d; t++) {
            float prod = x[t] * rot[t * half + b];
            acc = acc + prod;
        }
        proj[b] = acc;
    }
    size_t best_i = 0;
    float best = proj[0];
    for (size_t k = 1; k < n_buckets; k++) {
        float val = k < half ? proj[k] : -proj[k - half];
        if (val > best) {
            best = val;
            best_i = k;
        }
    }
    return best_i;
}

/* One round of one slice: perm[s] = position of the s-th token in (bucket, position)
 * order (counting sort, stable), chunk_of[i] = chunk of token i. count: n_buckets + 1. */
static void hash_sort_round(const float *qk, size_t n, size_t d, const float *rot, size_t n_buckets, size_t c,
                            float *proj, size_t *bucket, size_t *count, size_t *perm, size_t *chunk_of)
{
    for (size_t b = 0; b <= n_buckets; b++)
        count[b] = 0;
    for (size_t i = 0; i < n; i++) {
        bucket[i] = hash_row(qk + i * d, d, rot, n_buckets, proj);
        count[bucket[i] + 1]++;
    }
    for (size_t b = 0; b < n_buckets; b++)
        count[b + 1] += count[b];
    for (size_t i = 0; i < n; i++)
        perm[count[bucket[i]]++] = i;
    for (size_t s = 0; s < n; s++)
        chunk_of[perm[s]] = s / c;
}

/* Whether key j is a candidate of query i in the round with chunk map chunk_of. */
static bool in_set(const size_t *chunk_of, size_t n_chunks, size_t i, size_t j)
{
    size_t ci = chunk_of[i], cj = chunk_of[j];
    return cj == ci || (n_chunks > 1 && cj == (ci + n_chunks - 1) % n_chunks);
}

/* Candidates of the queries of chunk t in a round, as ranges [out_ranges[2g],
 * out_ranges[2g+1]) of sorted indexes: the previous chunk (when there are >= 2 chunks),
 * then chunk t. Returns the number of ranges. */
static size_t chunk_keys(size_t n, size_t c, size_t t, size_t *out_ranges)
{
    size_t n_chunks = (n + c - 1) / c;
    size_t k = 0;
    if (n_chunks > 1) {
        size_t p = (t + n_chunks - 1) % n_chunks;
        out_ranges[k++] = p * c;
        out_ranges[k++] = (p + 1) * c < n ? (p + 1) * c : n;
    }
    out_ranges[k++] = t * c;
    out_ranges[k++] = (t + 1) * c < n ? (t + 1) * c : n;
    return k / 2;
}

/* Logit of (i, j) in a round, in double, or -inf when dropped (causal). */
static double logit(const struct ab_lsh_attn_args *a, const float *qk, const double *khat, size_t *const *chunk_of,
                    size_t n_chunks, size_t i, size_t j)
{
    size_t d = a->d;
    if (a->causal && j > i)
        return -INFINITY;
    double s;
    if (j == i) {
        s = AB__LSH_SELF_LOGIT;
    } else {
        s = 0.0;
        for (size_t t = 0; t < d; t++)
            s += (double)qk[i * d + t] * khat[j * d + t];
        s *= (double)a->scale;
    }
    if (a->dedup) {
        size_t cnt = 0;
        for (size_t r = 0; r < a->n_rounds; r++)
            cnt += in_set(chunk_of[r], n_chunks, i, j);
        s -= log((double)cnt);
    }
    return s;
}

static void normalise_keys(const float *qk, size_t n, size_t d, double *khat)
{
    for (size_t j = 0; j < n; j++) {
        double kk = 0.0;
        for (size_t t = 0; t < d; t++)
            kk += (double)qk[j * d + t] * (double)qk[j * d + t];
        double inv = kk > 0.0 ? 1.0 / sqrt(kk) : 0.0;
        for (size_t t = 0; t < d; t++)
            khat[j * d + t] = (double)qk[j * d + t] * inv;
    }
}

/* Workspace of the plain code, one slice at a time. */
struct ref_ws {
    size_t *perm[AB__LSH_MAX_ROUNDS], *chunk_of[AB__LSH_MAX_ROUNDS];
    size_t *bucket, *count;
    float *proj;
    double *khat, *acc, *mx, *wsum, *lg; /* lg: one query's logits, <= min(2C, n) <= n */
};

static size_t ref_bytes(size_t n, size_t d, size_t r, size_t nb)
{
    return (2 * n * d + 3 * n) * sizeof(double) + (2 * r * n + n + nb + 1) * sizeof(size_t) +
           (nb / 2 + 1) * sizeof(float);
}

static void ref_layout(void *ws, size_t n, size_t d, size_t r, size_t nb, struct ref_ws *w)
{
    double *dp = ws;
    w->khat = dp;
    w->acc = w->khat + n * d;
    w->mx = w->acc + n * d;
    w->wsum = w->mx + n;
    w->lg = w->wsum + n;
    size_t *sp = (size_t *)(void *)(w->lg + n);
    for (size_t k = 0; k < r; k++) {
        w->perm[k] = sp;
        sp += n;
        w->chunk_of[k] = sp;
        sp += n;
    }
    w->bucket = sp;
    sp += n;
    w->count = sp;
    sp += nb + 1;
    w->proj = (float *)(void *)sp;
}

static size_t lsh_ref_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    return ref_bytes((size_t)s->v[P_N], (size_t)s->v[P_D], (size_t)s->v[P_R], (size_t)s->v[P_NB]);
}

static void hash_all_rounds(const struct ab_lsh_attn_args *a, const float *qk, struct ref_ws *w)
{
    size_t n = a->n, d = a->d, half = a->n_buckets / 2;
    for (size_t r = 0; r < a->n_rounds; r++)
        hash_sort_round(qk, n, d, a->rotations + r * d * half, a->n_buckets, a->chunk_len, w->proj, w->bucket,
                        w->count, w->perm[r], w->chunk_of[r]);
}

/* ---- reference -------------------------------------------------------------------------- */

static enum ab_status lsh_ref(const struct ab_lsh_attn_args *a, const struct ab_exec *exec)
{
    size_t n = a->n, d = a->d, c = a->chunk_len, R = a->n_rounds;
    if (R < 1 || R > AB__LSH_MAX_ROUNDS || c < 1 || (a->n_buckets > 1 && a->n_buckets % 2) || a->n_buckets < 1)
        return AB_EINVAL;
    if (!exec->workspace || exec->workspace_bytes < ref_bytes(n, d, R, a->n_buckets))
        return AB_EINVAL;
    struct ref_ws w;
    ref_layout(exec->workspace, n, d, R, a->n_buckets, &w);
    size_t n_chunks = (n + c - 1) / c;
    for (size_t sl = 0; sl < a->batch * a->heads; sl++) {
        const float *qk = a->qk + sl * n * d, *v = a->v + sl * n * d;
        float *out = a->out + sl * n * d;
        normalise_keys(qk, n, d, w.khat);
        hash_all_rounds(a, qk, &w);
        for (size_t i = 0; i < n; i++) {
            w.mx[i] = -INFINITY;
            w.wsum[i] = 0.0;
            for (size_t e = 0; e < d; e++)
                w.acc[i * d + e] = 0.0;
        }
        for (size_t r = 0; r < R; r++) {
            for (size_t t = 0; t < n_chunks; t++) {
                size_t rg[4];
                size_t n_rg = chunk_keys(n, c, t, rg);
                size_t q_end = (t + 1) * c < n ? (t + 1) * c : n;
                for (size_t sq = t * c; sq < q_end; sq++) {
                    size_t i = w.perm[r][sq], nk = 0;
                    double m = -INFINITY;
                    for (size_t g = 0; g < n_rg; g++)
                        for (size_t sk = rg[2 * g]; sk < rg[2 * g + 1]; sk++) {
                            double s = logit(a, qk, w.khat, w.chunk_of, n_chunks, i, w.perm[r][sk]);
                            w.lg[nk++] = s;
                            m = s > m ? s : m;
                        }
                    /* this round: o_r = sum_j e^(s_j - m) v_j / l, lse = m + log l; merged
                     * into the running (mx, wsum, acc) of token i */
                    double l = 0.0;
                    for (size_t k = 0; k < nk; k++)
                        l += exp(w.lg[k] - m);
                    double lse = m + log(l);
                    double new_mx = lse > w.mx[i] ? lse : w.mx[i];
                    double old_f = exp(w.mx[i] - new_mx), f = exp(lse - new_mx);
                    double *acc = w.acc + i * d;
                    for (size_t e = 0; e < d; e++)
                        acc[e] *= old_f;
                    w.wsum[i] = w.wsum[i] * old_f + f;
                    w.mx[i] = new_mx;
                    nk = 0;
                    for (size_t g = 0; g < n_rg; g++)
                        for (size_t sk = rg[2 * g]; sk < rg[2 * g + 1]; sk++) {
                            double p = f * exp(w.lg[nk++] - m) / l;
                            const float *vj = v + w.perm[r][sk] * d;
                            for (size_t e = 0; e < d; e++)
                                acc[e] += p * (double)vj[e];
                        }
                }
            }
        }
        for (size_t i = 0; i < n; i++)
            for (size_t e = 0; e < d; e++)
                out[i * d + e] = (float)(w.acc[i * d + e] / w.wsum[i]);
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_lsh_attn_ref;
const struct ab_kernel ab__kernel_lsh_attn_ref = {
    .name = "lsh_attn_ref",
    .family = &ab_family_lsh_attn,
    .variant = "ref",
    .doc = "attention restricted to the same buckets and chunks, plain loops in double (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.lsh_attn = lsh_ref,
    .supports = NULL,
    .workspace_bytes = lsh_ref_workspace,
    .flops = ab__lsh_flops,
    .bytes = ab__lsh_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};

/* ---- fidelity against full shared-QK attention ---------------------------------------- */

#define METRIC_ROWS 256

static size_t lsh_case_metrics(struct ab_case *c, struct ab_metric *out)
{
    struct lsh_case *l = (struct lsh_case *)c;
    const struct ab_lsh_attn_args *a = &l->args;
    size_t n = a->n, d = a->d, R = a->n_rounds, ch = a->chunk_len;
    size_t n_rows = n < METRIC_ROWS ? n : METRIC_ROWS, n_chunks = (n + ch - 1) / ch;
    size_t *rows = ab_malloc(n_rows * sizeof *rows);
    double *p = ab_malloc(n_rows * n * sizeof *p);
    double *o = ab_malloc(n_rows * d * sizeof *o);
    double *wt = ab_malloc(n * sizeof *wt);
    double *lse = ab_malloc(R * sizeof *lse);
    void *ws = ab_aligned_alloc(64, ref_bytes(n, d, R, a->n_buckets));
    size_t k = 0;
    struct ab__fidelity fid = {0};
    double recall = 0.0, evaluated = 0.0;
    if (!rows || !p || !o || !wt || !lse || !ws)
        goto done;
    struct ref_ws w;
    ref_layout(ws, n, d, R, a->n_buckets, &w);
    normalise_keys(a->qk, n, d, w.khat);
    hash_all_rounds(a, a->qk, &w);
    for (size_t r = 0; r < n_rows; r++)
        rows[r] = r * n / n_rows + (n / n_rows) / 2;
    ab__attn_exact_rows(a->qk, a->qk, a->v, n, d, d, a->scale, a->causal, true, true, rows, n_rows, p, o);
    for (size_t r = 0; r < n_rows; r++) {
        size_t i = rows[r];
        /* LSH weights of row i: per round, softmax over its candidates (a key found in
         * both chunks is impossible; across rounds the weights add up) */
        for (size_t j = 0; j < n; j++)
            wt[j] = 0.0;
        double big = -INFINITY;
        for (size_t h = 0; h < R; h++) {
            size_t t = w.chunk_of[h][i], rg[4], n_rg = chunk_keys(n, ch, t, rg);
            double m = -INFINITY, s = 0.0;
            for (size_t g = 0; g < n_rg; g++)
                for (size_t sk = rg[2 * g]; sk < rg[2 * g + 1]; sk++) {
                    double x = logit(a, a->qk, w.khat, w.chunk_of, n_chunks, i, w.perm[h][sk]);
                    m = x > m ? x : m;
                }
            for (size_t g = 0; g < n_rg; g++)
                for (size_t sk = rg[2 * g]; sk < rg[2 * g + 1]; sk++)
                    s += exp(logit(a, a->qk, w.khat, w.chunk_of, n_chunks, i, w.perm[h][sk]) - m);
            lse[h] = m + log(s);
            big = lse[h] > big ? lse[h] : big;
        }
        double z = 0.0;
        for (size_t h = 0; h < R; h++)
            z += exp(lse[h] - big);
        for (size_t h = 0; h < R; h++) {
            size_t t = w.chunk_of[h][i], rg[4], n_rg = chunk_keys(n, ch, t, rg);
            double f = exp(lse[h] - big) / z;
            for (size_t g = 0; g < n_rg; g++)
                for (size_t sk = rg[2 * g]; sk < rg[2 * g + 1]; sk++) {
                    size_t j = w.perm[h][sk];
                    wt[j] += f * exp(logit(a, a->qk, w.khat, w.chunk_of, n_chunks, i, j) - lse[h]);
                }
        }
        size_t lim = a->causal ? i + 1 : n, n_union = 0;
        double ov = 0.0, mx = 0.0, rc = 0.0;
        for (size_t j = 0; j < lim; j++) {
            bool cand = false;
            for (size_t h = 0; h < R && !cand; h++)
                cand = in_set(w.chunk_of[h], n_chunks, i, j);
            double pj = p[r * n + j];
            if (cand) {
                n_union++;
                rc += pj;
            }
            ov += wt[j] < pj ? wt[j] : pj;
            mx = pj > mx ? pj : mx;
        }
        fid.overlap += ov;
        fid.top1 += mx;
        recall += rc;
        evaluated += (double)n_union / (double)lim;
        ab__fidelity_add_row(&fid, l->base.out_f32[AB_SLOT_REF] + i * d, o + r * d, d);
    }
    k += ab__fidelity_emit(&fid, out + k);
    out[k++] = (struct ab_metric){"attn_mass_recall", recall / (double)n_rows, "ratio"};
    out[k++] = (struct ab_metric){"keys_evaluated", evaluated / (double)n_rows, "ratio"};
done:
    ab_free(rows);
    ab_free(p);
    ab_free(o);
    ab_free(wt);
    ab_free(lse);
    ab_free(ws);
    return k;
}

const struct ab_family ab_family_lsh_attn = {
    .name = "lsh_attn",
    .doc = "Reformer LSH attention: shared QK, unit keys, rounds x buckets, chunk + previous chunk, self-mask -1e5",
    .flops_doc = "4*d per evaluated (query, key, round) + d*n_buckets per (token, round) for the hash",
    .params = lsh_params,
    .n_params = AB__LSH_PARAM_COUNT,
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = lsh_tokens,
    .io_bytes = lsh_io_bytes,
    .case_new = lsh_case_new,
    .case_free = ab_case_free,
    .case_run = lsh_case_run,
    .case_compare = ab_case_compare_f32,
    .case_metrics = lsh_case_metrics,
};
