/*
 * moe_route_fast.c - optimized router: gate logits with the project's best FP32 GEMM
 * (X Wg^T, Wg as stored, trans_b), then per token in parallel (OpenMP over tokens):
 * float softmax/sigmoid (sums in double) and a partial selection of the k best (score desc, index asc)
 * by insertion, O(E) per token for small k, since every gate needs at most the k best
 * in order. The capacity pass is sequential (token order is the rule), O(T k).
 * Ordering key for the softmax gates is the logit (monotone in p, and exact logit ties
 * stay exact ties).
 */
#include <math.h>

#include "archbench/gemm.h"
#include "archbench/moe.h"

#include "moe_impl.h"

static size_t logits_bytes(size_t t, size_t e)
{
    return AB__MOE_ALIGN_UP(t * e * sizeof(float), AB_ALIGN_BYTES);
}

static size_t fast_workspace(const struct ab_shape *s, int n_threads)
{
    size_t t = (size_t)s->v[AB__RT_TOKENS], d = (size_t)s->v[AB__RT_D_MODEL], e = (size_t)s->v[AB__RT_EXPERTS];
    return logits_bytes(t, e) + AB__MOE_ALIGN_UP(e * sizeof(size_t), AB_ALIGN_BYTES) +
           ab_gemm_f32_workspace_bytes(t, e, d, true, n_threads);
}

static void route_token(const struct ab_moe_route_args *a, size_t t, const float *logit)
{
    size_t n_e = a->n_experts, k = (size_t)a->k;
    float score[AB_MOE_MAX_EXPERTS], key[AB_MOE_MAX_EXPERTS];
    if (a->gate == AB_MOE_GATE_SIGMOID_BIAS) {
        for (size_t e = 0; e < n_e; e++) {
            score[e] = 1.0f / (1.0f + expf(-logit[e]));
            key[e] = score[e] + (a->sel_bias ? a->sel_bias[e] : 0.0f);
        }
    } else {
        /* exp in float, their sum in double: a float running sum of up to 256 terms
         * next to a dominant 1 loses the small ones (logits [9, 0 x7, -3 x120] gave a
         * top weight off by 6.4e-6); one double add per expert costs nothing here. */
        float mx = logit[0];
        double sum = 0.0;
        for (size_t e = 1; e < n_e; e++)
            mx = logit[e] > mx ? logit[e] : mx;
        for (size_t e = 0; e < n_e; e++) {
            score[e] = expf(logit[e] - mx);
            sum += (double)score[e];
        }
        float inv = (float)(1.0 / sum);
        for (size_t e = 0; e < n_e; e++) {
            score[e] *= inv;
            key[e] = logit[e];
        }
    }
    /* the k best, in order: insert e when it beats the current last (strictly, so an
     * equal key keeps the lower index first) */
    int32_t top[AB_MOE_MAX_EXPERTS];
    size_t n_top = 0, cap = k < n_e ? k : n_e;
    for (size_t e = 0; e < n_e; e++) {
        if (n_top == cap && !(key[e] > key[top[n_top - 1]]))
            continue;
        size_t j = n_top < cap ? n_top++ : cap - 1;
        while (j > 0 && key[top[j - 1]] < key[e]) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = (int32_t)e;
    }
    size_t count = n_top;
    bool renorm = a->renormalize;
    if (a->gate == AB_MOE_GATE_THRESHOLD) {
        count = 0;
        while (count < n_top && score[top[count]] > a->tau)
            count++;
        count = count ? count : 1;
        renorm = true;
    } else if (a->gate == AB_MOE_GATE_TOP_P) {
        /* double for the same reason as the softmax sum: up to 256 terms */
        double cum = 0.0;
        for (size_t i = 0; i < n_top; i++) {
            cum += (double)score[top[i]];
            if (cum > (double)a->top_p) {
                count = i + 1;
                break;
            }
        }
    }
    double sum = 0.0;
    for (size_t s = 0; s < count; s++)
        sum += (double)score[top[s]];
    float inv = renorm && sum > 0.0 ? (float)(1.0 / sum) : 1.0f;
    float scale = a->gate == AB_MOE_GATE_SIGMOID_BIAS ? a->route_scale : 1.0f;
    for (size_t s = 0; s < k; s++) {
        size_t at = t * k + s;
        bool on = s < count;
        a->expert[at] = on ? top[s] : -1;
        a->weight[at] = on ? score[top[s]] * inv * scale : 0.0f;
        a->keep[at] = on;
    }
}

static enum ab_status moe_route_fast(const struct ab_moe_route_args *a, const struct ab_exec *exec)
{
    enum ab_status st = ab__moe_route_check(a, exec);
    if (st != AB_OK)
        return st;
    size_t n_t = a->n_tokens, n_e = a->n_experts, d = a->d_model;
    size_t lb = logits_bytes(n_t, n_e), cb = AB__MOE_ALIGN_UP(n_e * sizeof(size_t), AB_ALIGN_BYTES);
    size_t gb = ab_gemm_f32_workspace_bytes(n_t, n_e, d, true, exec->n_threads);
    if (!exec->workspace || exec->workspace_bytes < lb + cb + gb)
        return AB_EINVAL;
    float *logits = exec->workspace;
    size_t *counts = (size_t *)(void *)((char *)exec->workspace + lb);
    struct ab_exec gexec = {.n_threads = exec->n_threads,
                            .workspace = gb ? (char *)exec->workspace + lb + cb : NULL,
                            .workspace_bytes = gb};
    struct ab_gemm_f32_args g = {
        .m = n_t, .n = n_e, .k = d, .a = a->x, .lda = d, .b = a->w_gate, .ldb = d, .trans_b = true,
        .c = logits, .ldc = n_e, .alpha = 1.0f, .beta = 0.0f,
    };
    st = ab_gemm_f32(&g, &gexec);
    if (st != AB_OK)
        return st;
#pragma omp parallel for num_threads(exec->n_threads) schedule(static)
    for (size_t t = 0; t < n_t; t++)
        route_token(a, t, logits + t * n_e);
    ab__moe_apply_capacity(a, counts);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_route_fast;
const struct ab_kernel ab__kernel_moe_route_fast = {
    .name = "moe_route_fast",
    .family = &ab_family_moe_route,
    .variant = "gemm",
    .doc = "logits by the best FP32 GEMM, float softmax, O(E) partial top-k per token, OpenMP over tokens",
    .isa_needs = 0,
    .is_ref = false,
    .fn.moe_route = moe_route_fast,
    .supports = NULL,
    .workspace_bytes = fast_workspace,
    .flops = ab__moe_route_flops,
    .bytes = ab__moe_route_bytes,
    .tol = AB__ROUTE_TOL,
};
