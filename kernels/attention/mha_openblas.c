/*
 * mha_openblas.c - unfused exact attention on OpenBLAS: what a user would otherwise
 * write. Per (batch, head): S = scale Q K^T (cblas_sgemm, n_q x n_kv, materialised),
 * a row softmax in plain C with expf (masked keys get P = 0, a row with no allowed key
 * is all zeros), then O = P V (cblas_sgemm). Built only with the openblas feature;
 * ab_kernel_best() never selects it (variant "openblas").
 *
 * Memory: the n_q x n_kv score matrix of one head - grows with n^2, which is the point
 * of comparing it with the flash variant. sgemm runs on exec->n_threads OpenBLAS
 * threads; the softmax rows are shared among as many OpenMP threads. Masked keys are
 * multiplied by P = 0 in the second sgemm, so a NaN/Inf in a masked V row does reach
 * the output (the classic unfused-attention behaviour, documented in attention.h).
 */
#include <math.h>

#include <cblas.h>

#include "archbench/attention.h"

#include "attention_impl.h"

static size_t unfused_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)n_threads;
    return (size_t)shape->v[AB__MHA_N_Q] * (size_t)shape->v[AB__MHA_N_KV] * sizeof(float);
}

static void softmax_rows(const struct ab_mha_args *a, size_t b, float *s, int n_threads)
{
    size_t n_q = a->n_q, n_kv = a->n_kv;
    const uint8_t *mask = a->key_mask ? a->key_mask + b * n_kv : NULL;
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (int64_t ii = 0; ii < (int64_t)n_q; ii++) {
        size_t i = (size_t)ii;
        float *row = s + i * n_kv;
        size_t lim = a->causal ? ab__mha_causal_limit(i, n_q, n_kv) : n_kv;
        float m = -INFINITY;
        size_t n_allowed = 0;
        for (size_t j = 0; j < lim; j++) {
            if (mask && !mask[j])
                continue;
            n_allowed++;
            if (!(row[j] <= m))
                m = isnan(m) ? m : row[j];
        }
        float sum = 0.0f;
        for (size_t j = 0; j < n_kv; j++) {
            if (j >= lim || (mask && !mask[j]) || n_allowed == 0) {
                row[j] = 0.0f;
                continue;
            }
            row[j] = expf(row[j] - m);
            sum += row[j];
        }
        if (n_allowed) {
            float inv = 1.0f / sum;
            for (size_t j = 0; j < lim; j++)
                row[j] *= inv;
        }
    }
}

static enum ab_status mha_openblas(const struct ab_mha_args *a, const struct ab_exec *exec)
{
    if (a->heads_kv == 0 || a->heads_q % a->heads_kv != 0)
        return AB_EINVAL;
    if (exec->workspace_bytes < a->n_q * a->n_kv * sizeof(float) || !exec->workspace)
        return AB_EINVAL;
    int n_threads = exec->n_threads < 1 ? 1 : exec->n_threads;
    openblas_set_num_threads(n_threads);
    float *s = exec->workspace;
    size_t d = a->d, group = a->heads_q / a->heads_kv;
    for (size_t b = 0; b < a->batch; b++) {
        for (size_t h = 0; h < a->heads_q; h++) {
            size_t g = h / group;
            const float *q = a->q + (b * a->heads_q + h) * a->n_q * d;
            const float *k = a->k + (b * a->heads_kv + g) * a->n_kv * d;
            const float *v = a->v + (b * a->heads_kv + g) * a->n_kv * d;
            float *o = a->out + (b * a->heads_q + h) * a->n_q * d;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)a->n_q, (blasint)a->n_kv, (blasint)d,
                        a->scale, q, (blasint)d, k, (blasint)d, 0.0f, s, (blasint)a->n_kv);
            softmax_rows(a, b, s, n_threads);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)a->n_q, (blasint)d, (blasint)a->n_kv,
                        1.0f, s, (blasint)a->n_kv, v, (blasint)d, 0.0f, o, (blasint)d);
        }
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_mha_unfused_openblas;
const struct ab_kernel ab__kernel_mha_unfused_openblas = {
    .name = "mha_unfused_openblas",
    .family = &ab_family_mha,
    .variant = "openblas",
    .doc = "unfused baseline: sgemm Q K^T, expf row softmax, sgemm P V; n_q x n_kv scores",
    .isa_needs = 0,
    .is_ref = false,
    .fn.mha = mha_openblas,
    .supports = NULL,
    .workspace_bytes = unfused_workspace,
    .flops = ab__mha_flops,
    .bytes = ab__mha_bytes,
    .tol = AB__MHA_F32_TOL,
};
