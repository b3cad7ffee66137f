/*
 * linear_family.c - the linear_attn family (phi(x) = elu(x) + 1, Katharopoulos et al.
 * 2020): shape parameters, sweeps, FLOP/byte models, the case functions with the
 * fidelity metrics against exact softmax attention, and the reference variant.
 *
 * Reference: the quadratic phi form in double, A_ij = phi(q_i) . phi(k_j) (j <= i when
 * causal, diagonal included), O_i = sum_j A_ij v_j / (sum_j A_ij + eps). It is O(n^2)
 * on purpose: it checks the O(n d^2) and chunked algorithms against the definition.
 *
 * Fidelity (case_metrics), on batch 0 / head 0, at most 256 query rows spread evenly
 * over the sequence, all in double, against exact softmax attention softmax(q k^T /
 * sqrt(d)) V on the same Q, K, V (causal when the shape is causal):
 *   rel_err_vs_exact   ||O_lin - O_exact||_F / ||O_exact||_F over the sampled rows
 *   cosine_vs_exact    mean over sampled rows of cos(O_lin_i, O_exact_i)
 *   attn_mass_overlap  mean over rows of sum_j min(w_ij, p_ij), where w_ij =
 *                      A_ij / sum_j A_ij are the weights linear attention puts on key
 *                      j and p_ij the exact softmax weights: the attention mass both
 *                      agree on (1 - total variation distance; 1 = same distribution)
 *   exact_top1_mass    mean over rows of max_j p_ij: how peaked exact attention is
 *                      (gaussian inputs: nearly uniform; clustered: peaked)
 * O_lin is the reference's output (slot REF), so the figures do not depend on the
 * variant timed (every variant matches the reference within 1e-5).
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
    P_B = AB__LIN_BATCH,
    P_H = AB__LIN_HEADS,
    P_N = AB__LIN_N,
    P_D = AB__LIN_D,
    P_DV = AB__LIN_DV,
    P_CAUSAL = AB__LIN_CAUSAL,
    P_DIST = AB__LIN_DIST,
};

static const char *const bool_names[] = {"0", "1"};
static const char *const dist_names[] = {"gaussian", "clustered"};
_Static_assert(sizeof dist_names / sizeof dist_names[0] == AB__DIST_COUNT, "one name per distribution");

static const struct ab_param lin_params[] = {
    [P_B] = {"batch", "batch elements", 1, 1, 4096, NULL, 0},
    [P_H] = {"heads", "heads", 16, 1, 1024, NULL, 0},
    [P_N] = {"n", "sequence length", 1024, 1, INT64_C(1) << 22, NULL, 0},
    [P_D] = {"d", "query/key dimension", 64, 1, 512, NULL, 0},
    [P_DV] = {"dv", "value dimension", 64, 1, 512, NULL, 0},
    [P_CAUSAL] = {"causal", "1: state includes tokens j <= i", 0, 0, 1, bool_names, 2},
    [P_DIST] = {"dist", "inputs: gaussian, or clustered keys (peaked attention)", 0, 0, 1, dist_names, 2},
};
_Static_assert(sizeof lin_params / sizeof lin_params[0] == AB__LIN_PARAM_COUNT, "one entry per parameter");

#define SHAPE(b, h, n, d, dv, causal, dist) {{b, h, n, d, dv, causal, dist}}

static const struct ab_shape sweep_default[] = {
    SHAPE(1, 16, 256, 64, 64, 0, 0),  SHAPE(1, 16, 1024, 64, 64, 0, 0), SHAPE(1, 16, 4096, 64, 64, 0, 0),
    SHAPE(1, 16, 256, 64, 64, 1, 0),  SHAPE(1, 16, 1024, 64, 64, 1, 0), SHAPE(1, 16, 4096, 64, 64, 1, 0),
    SHAPE(1, 16, 1024, 64, 64, 0, 1), SHAPE(1, 16, 4096, 64, 64, 0, 1), SHAPE(1, 16, 1024, 64, 64, 1, 1),
    SHAPE(1, 16, 4096, 64, 64, 1, 1),
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(1, 16, 1024, 64, 64, 0, 0),
    SHAPE(1, 16, 1024, 64, 64, 1, 0),
    SHAPE(1, 16, 1024, 64, 64, 0, 1),
    SHAPE(1, 16, 1024, 64, 64, 1, 1),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 1, 1, 64, 64, 0, 0),    SHAPE(1, 1, 1, 64, 64, 1, 0),    SHAPE(1, 2, 7, 16, 16, 1, 0),
    SHAPE(2, 2, 100, 64, 64, 0, 0),  SHAPE(2, 2, 100, 64, 64, 1, 0),  SHAPE(1, 2, 129, 80, 48, 1, 1),
    SHAPE(1, 2, 129, 80, 48, 0, 1),  SHAPE(1, 1, 300, 128, 128, 1, 0), SHAPE(1, 3, 65, 5, 16, 1, 0),
    SHAPE(1, 1, 1000, 64, 64, 1, 1),
};

/* 2 n d dv to build the state, 2 n d dv to read it out, per (batch, head). */
double ab__lin_flops(const struct ab_shape *s)
{
    return 4.0 * (double)s->v[P_B] * (double)s->v[P_H] * (double)s->v[P_N] * (double)s->v[P_D] *
           (double)s->v[P_DV];
}

static uint64_t lin_io_bytes(const struct ab_shape *s)
{
    uint64_t rows = (uint64_t)s->v[P_B] * (uint64_t)s->v[P_H] * (uint64_t)s->v[P_N];
    return 4u * rows * (2u * (uint64_t)s->v[P_D] + 2u * (uint64_t)s->v[P_DV]);
}

double ab__lin_bytes(const struct ab_shape *s)
{
    return (double)lin_io_bytes(s);
}

static double lin_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_B] * (double)s->v[P_N];
}

struct lin_case {
    struct ab_case base;        /* first member: see kernel.h */
    struct ab_linear_attn_args args;
};

static enum ab_status lin_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                   struct ab_error *err)
{
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_linear_attn, shape, seed, sizeof(struct lin_case), &base, err);
    if (st != AB_OK)
        return st;
    struct lin_case *l = (struct lin_case *)base;
    struct ab_linear_attn_args *a = &l->args;
    a->batch = (size_t)shape->v[P_B];
    a->heads = (size_t)shape->v[P_H];
    a->n = (size_t)shape->v[P_N];
    a->d = (size_t)shape->v[P_D];
    a->dv = (size_t)shape->v[P_DV];
    a->causal = shape->v[P_CAUSAL] != 0;
    a->eps = 1e-6f;
    size_t bh = a->batch * a->heads, qk = bh * a->n * a->d;
    size_t out_elems = bh * a->n * a->dv;
    float *q = ab_case_alloc(base, qk * sizeof(float));
    float *k = ab_case_alloc(base, qk * sizeof(float));
    float *v = ab_case_alloc(base, out_elems * sizeof(float));
    if (!q || !k || !v || !ab_case_outputs_f32(base, out_elems)) {
        size_t n = a->n; /* a goes with the case */
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "linear_attn: out of memory for inputs (n = %zu)", n);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    ab__attn_fill(&rng, (enum ab__attn_dist)shape->v[P_DIST], bh, a->n, a->d, a->dv, q, k, v);
    /* owned buffers: the names only make ab_case_verify's messages readable */
    ab_case_input(base, "q", q, qk * sizeof(float));
    ab_case_input(base, "k", k, qk * sizeof(float));
    ab_case_input(base, "v", v, out_elems * sizeof(float));
    a->q = q;
    a->k = k;
    a->v = v;
    *out_case = base;
    return AB_OK;
}

static enum ab_status lin_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                   enum ab_slot slot)
{
    struct lin_case *l = (struct lin_case *)c;
    struct ab_linear_attn_args args = l->args;
    args.out = c->out_f32[slot];
    return kernel->fn.linear_attn(&args, exec);
}

static double phi(double x)
{
    return x > 0.0 ? x + 1.0 : exp(x);
}

#define METRIC_ROWS 256

static size_t lin_case_metrics(struct ab_case *c, struct ab_metric *out)
{
    struct lin_case *l = (struct lin_case *)c;
    const struct ab_linear_attn_args *a = &l->args;
    size_t n = a->n, d = a->d, dv = a->dv;
    size_t n_rows = n < METRIC_ROWS ? n : METRIC_ROWS;
    size_t *rows = ab_malloc(n_rows * sizeof *rows);
    double *p = ab_malloc(n_rows * n * sizeof *p);
    double *o = ab_malloc(n_rows * dv * sizeof *o);
    double *w = ab_malloc(n * sizeof *w);
    size_t k = 0;
    struct ab__fidelity fid = {0};
    if (!rows || !p || !o || !w)
        goto done;
    for (size_t r = 0; r < n_rows; r++)
        rows[r] = r * n / n_rows + (n / n_rows) / 2;
    ab__attn_exact_rows(a->q, a->k, a->v, n, d, dv, (float)(1.0 / sqrt((double)d)), a->causal, false, false, rows,
                        n_rows, p, o);
    for (size_t r = 0; r < n_rows; r++) {
        size_t i = rows[r], lim = a->causal ? i + 1 : n;
        double sum = 0.0;
        for (size_t j = 0; j < lim; j++) {
            double s = 0.0;
            for (size_t t = 0; t < d; t++)
                s += phi((double)a->q[i * d + t]) * phi((double)a->k[j * d + t]);
            w[j] = s;
            sum += s;
        }
        double ov = 0.0, mx = 0.0;
        for (size_t j = 0; j < lim; j++) {
            double wj = w[j] / sum, pj = p[r * n + j];
            ov += wj < pj ? wj : pj;
            mx = pj > mx ? pj : mx;
        }
        fid.overlap += ov;
        fid.top1 += mx;
        ab__fidelity_add_row(&fid, l->base.out_f32[AB_SLOT_REF] + i * dv, o + r * dv, dv);
    }
    k += ab__fidelity_emit(&fid, out + k);
done:
    ab_free(rows);
    ab_free(p);
    ab_free(o);
    ab_free(w);
    return k;
}

const struct ab_family ab_family_linear_attn = {
    .name = "linear_attn",
    .doc = "linear attention phi(Q) (phi(K)^T V) / (phi(Q) . sum phi(K) + eps), phi = elu + 1; causal state incl. i",
    .flops_doc = "4*n*d*dv per (batch, head) (state build + read-out), causal counted the same",
    .params = lin_params,
    .n_params = AB__LIN_PARAM_COUNT,
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = lin_tokens,
    .io_bytes = lin_io_bytes,
    .case_new = lin_case_new,
    .case_free = ab_case_free,
    .case_run = lin_case_run,
    .case_compare = ab_case_compare_f32,
    .case_metrics = lin_case_metrics,
};

/* ---- reference: the quadratic phi form in double -------------------------------------- */

static size_t lin_ref_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    return ((size_t)s->v[P_N] * (size_t)s->v[P_D] + (size_t)s->v[P_D] + (size_t)s->v[P_DV]) * sizeof(double);
}

static enum ab_status lin_ref(const struct ab_linear_attn_args *a, const struct ab_exec *exec)
{
    size_t n = a->n, d = a->d, dv = a->dv;
    if (exec->workspace_bytes < (n * d + d + dv) * sizeof(double) || !exec->workspace)
        return AB_EINVAL;
    double *pk = exec->workspace, *pq = pk + n * d, *acc = pq + d;
    for (size_t s = 0; s < a->batch * a->heads; s++) {
        const float *q = a->q + s * n * d, *k = a->k + s * n * d, *v = a->v + s * n * dv;
        float *o = a->out + s * n * dv;
        for (size_t i = 0; i < n * d; i++)
            pk[i] = phi((double)k[i]);
        for (size_t i = 0; i < n; i++) {
            for (size_t t = 0; t < d; t++)
                pq[t] = phi((double)q[i * d + t]);
            for (size_t e = 0; e < dv; e++)
                acc[e] = 0.0;
            double den = 0.0;
            size_t lim = a->causal ? i + 1 : n;
            for (size_t j = 0; j < lim; j++) {
                double w = 0.0;
                for (size_t t = 0; t < d; t++)
                    w += pq[t] * pk[j * d + t];
                den += w;
                for (size_t e = 0; e < dv; e++)
                    acc[e] += w * (double)v[j * dv + e];
            }
            den += (double)a->eps;
            for (size_t e = 0; e < dv; e++)
                o[i * dv + e] = (float)(acc[e] / den);
        }
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_linear_attn_ref;
const struct ab_kernel ab__kernel_linear_attn_ref = {
    .name = "linear_attn_ref",
    .family = &ab_family_linear_attn,
    .variant = "ref",
    .doc = "quadratic phi form in double, O(n^2 d) (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.linear_attn = lin_ref,
    .supports = NULL,
    .workspace_bytes = lin_ref_workspace,
    .flops = ab__lin_flops,
    .bytes = ab__lin_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
