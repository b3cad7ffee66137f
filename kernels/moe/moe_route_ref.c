/*
 * moe_route_ref.c - reference router: logits as double dot products, softmax or
 * sigmoid in double, experts ordered by a full insertion sort on (score desc, index
 * asc), then the gate rule of moe.h and the capacity pass. Single threaded.
 */
#include <math.h>

#include "archbench/moe.h"

#include "moe_impl.h"

static size_t ref_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    /* logits, scores, selection keys (double) + order (int) */
    return (size_t)s->v[AB__RT_EXPERTS] * (3 * sizeof(double) + sizeof(int32_t)) +
           (size_t)s->v[AB__RT_EXPERTS] * sizeof(size_t);
}

/* order[0..E) by key descending, index ascending. */
static void sort_desc(const double *key, int32_t *order, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int32_t e = (int32_t)i;
        size_t j = i;
        while (j > 0 && key[order[j - 1]] < key[e]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = e;
    }
}

static void route_token(const struct ab_moe_route_args *a, size_t t, double *logit, double *score, double *key,
                        int32_t *order)
{
    size_t n_e = a->n_experts, d = a->d_model;
    const float *xt = a->x + t * d;
    for (size_t e = 0; e < n_e; e++) {
        const float *we = a->w_gate + e * d;
        double s = 0.0;
        for (size_t p = 0; p < d; p++)
            s += (double)xt[p] * (double)we[p];
        logit[e] = s;
    }
    if (a->gate == AB_MOE_GATE_SIGMOID_BIAS) {
        for (size_t e = 0; e < n_e; e++) {
            score[e] = 1.0 / (1.0 + exp(-logit[e]));
            key[e] = score[e] + (a->sel_bias ? (double)a->sel_bias[e] : 0.0);
        }
    } else {
        double mx = logit[0], sum = 0.0;
        for (size_t e = 1; e < n_e; e++)
            mx = logit[e] > mx ? logit[e] : mx;
        for (size_t e = 0; e < n_e; e++)
            sum += score[e] = exp(logit[e] - mx);
        for (size_t e = 0; e < n_e; e++)
            key[e] = score[e] /= sum;
    }
    sort_desc(key, order, n_e);

    size_t k = (size_t)a->k, count = 0;
    bool renorm = a->renormalize;
    switch (a->gate) {
    case AB_MOE_GATE_THRESHOLD:
        while (count < n_e && count < k && score[order[count]] > (double)a->tau)
            count++;
        if (count == 0)
            count = 1; /* argmax fallback */
        renorm = true;
        break;
    case AB_MOE_GATE_TOP_P: {
        double cum = 0.0;
        count = n_e; /* nothing exceeds top_p: every expert */
        for (size_t i = 0; i < n_e; i++) {
            cum += score[order[i]];
            if (cum > (double)a->top_p) {
                count = i + 1;
                break;
            }
        }
        count = count < k ? count : k;
        break;
    }
    case AB_MOE_GATE_SOFTMAX_TOPK:
    case AB_MOE_GATE_SIGMOID_BIAS:
    case AB_MOE_GATE_COUNT:
    default:
        count = k < n_e ? k : n_e;
        break;
    }
    double sum = 0.0;
    for (size_t s = 0; s < count; s++)
        sum += score[order[s]];
    double scale = a->gate == AB_MOE_GATE_SIGMOID_BIAS ? (double)a->route_scale : 1.0;
    for (size_t s = 0; s < k; s++) {
        size_t at = t * k + s;
        if (s < count) {
            double w = score[order[s]];
            if (renorm && sum > 0.0)
                w /= sum;
            a->expert[at] = order[s];
            a->weight[at] = (float)(w * scale);
            a->keep[at] = 1;
        } else {
            a->expert[at] = -1;
            a->weight[at] = 0.0f;
            a->keep[at] = 0;
        }
    }
}

static enum ab_status moe_route_ref(const struct ab_moe_route_args *a, const struct ab_exec *exec)
{
    enum ab_status st = ab__moe_route_check(a, exec);
    if (st != AB_OK)
        return st;
    size_t n_e = a->n_experts;
    if (!exec->workspace || exec->workspace_bytes < n_e * (3 * sizeof(double) + sizeof(int32_t) + sizeof(size_t)))
        return AB_EINVAL;
    double *logit = exec->workspace, *score = logit + n_e, *key = score + n_e;
    size_t *counts = (size_t *)(void *)(key + n_e);
    int32_t *order = (int32_t *)(void *)(counts + n_e);
    for (size_t t = 0; t < a->n_tokens; t++)
        route_token(a, t, logit, score, key, order);
    ab__moe_apply_capacity(a, counts);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_route_ref;
const struct ab_kernel ab__kernel_moe_route_ref = {
    .name = "moe_route_ref",
    .family = &ab_family_moe_route,
    .variant = "ref",
    .doc = "double logits and softmax/sigmoid, full insertion sort (score desc, index asc), token-order capacity",
    .isa_needs = 0,
    .is_ref = true,
    .fn.moe_route = moe_route_ref,
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ab__moe_route_flops,
    .bytes = ab__moe_route_bytes,
    .tol = AB__ROUTE_TOL,
};
