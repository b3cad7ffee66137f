/*
 * mha_ref.c - the reference exact attention: plain loops in double, one query row at a
 * time, the row of scores materialised (n_kv doubles) - the oracle of the mha family.
 *
 * Per row: scores s_j = scale * q.k_j in double for the allowed keys only (masked keys
 * are skipped, never read), m = max s_j (NaN propagates), p_j = exp(s_j - m),
 * O = sum p_j v_j / sum p_j. A row with no allowed key is written as zeros. Single
 * threaded on purpose: the oracle must not depend on the thread count.
 */
#include <math.h>

#include "archbench/attention.h"

#include "attention_impl.h"

static size_t ref_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)n_threads;
    return ((size_t)shape->v[AB__MHA_N_KV] + (size_t)shape->v[AB__MHA_D]) * sizeof(double);
}

static void ref_row(const struct ab_mha_args *a, size_t b, size_t h, size_t i, double *scores, double *acc)
{
    size_t d = a->d, g = h / (a->heads_q / a->heads_kv);
    const float *q = a->q + ((b * a->heads_q + h) * a->n_q + i) * d;
    const float *k = a->k + (b * a->heads_kv + g) * a->n_kv * d;
    const float *v = a->v + (b * a->heads_kv + g) * a->n_kv * d;
    const uint8_t *mask = a->key_mask ? a->key_mask + b * a->n_kv : NULL;
    size_t lim = a->causal ? ab__mha_causal_limit(i, a->n_q, a->n_kv) : a->n_kv;
    float *o = a->out + ((b * a->heads_q + h) * a->n_q + i) * d;

    double m = -INFINITY;
    size_t n_allowed = 0;
    for (size_t j = 0; j < lim; j++) {
        if (mask && !mask[j])
            continue;
        double s = 0.0;
        for (size_t p = 0; p < d; p++)
            s += (double)q[p] * (double)k[j * d + p];
        s *= (double)a->scale;
        scores[j] = s;
        n_allowed++;
        if (isnan(s) || s > m)
            m = isnan(m) ? m : s;
    }
    for (size_t p = 0; p < d; p++)
        acc[p] = 0.0;
    if (n_allowed == 0) {
        for (size_t p = 0; p < d; p++)
            o[p] = 0.0f;
        return;
    }
    double sum = 0.0;
    for (size_t j = 0; j < lim; j++) {
        if (mask && !mask[j])
            continue;
        double w = exp(scores[j] - m);
        sum += w;
        for (size_t p = 0; p < d; p++)
            acc[p] += w * (double)v[j * d + p];
    }
    for (size_t p = 0; p < d; p++)
        o[p] = (float)(acc[p] / sum);
}

static enum ab_status mha_ref(const struct ab_mha_args *a, const struct ab_exec *exec)
{
    if (a->heads_kv == 0 || a->heads_q % a->heads_kv != 0)
        return AB_EINVAL;
    if (exec->workspace_bytes < (a->n_kv + a->d) * sizeof(double) || !exec->workspace)
        return AB_EINVAL;
    double *scores = exec->workspace, *acc = scores + a->n_kv;
    for (size_t b = 0; b < a->batch; b++)
        for (size_t h = 0; h < a->heads_q; h++)
            for (size_t i = 0; i < a->n_q; i++)
                ref_row(a, b, h, i, scores, acc);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_mha_ref;
const struct ab_kernel ab__kernel_mha_ref = {
    .name = "mha_ref",
    .family = &ab_family_mha,
    .variant = "ref",
    .doc = "plain loops in double, scores materialised per row (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.mha = mha_ref,
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ab__mha_flops,
    .bytes = ab__mha_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
