/*
 * moe_dispatch_ref.c - reference of moe_dispatch: written independently of
 * moe_dispatch.c, one token at a time.
 *   row of a kept slot = (kept slots of lower experts) + (kept slots of the same expert
 *     earlier in (token, slot) order): a histogram, its exclusive prefix sum, and a
 *     running counter per expert while walking the slots in order;
 *   xp[row] = x[token]; y_t = 0, then += weight * yp[row] for the kept slots in slot
 *     order (the same float operations in the same order as the combine, so the result
 *     is bit-identical).
 * Workspace: 2 * n_experts counters.
 */
#include <string.h>

#include "archbench/moe.h"

#include "moe_dispatch_impl.h"
#include "moe_impl.h"

static size_t ref_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    return 2 * (size_t)s->v[AB__DP_EXPERTS] * sizeof(size_t);
}

static enum ab_status moe_dispatch_ref(const struct ab_moe_dispatch_args *a, const struct ab_exec *exec)
{
    enum ab_status st = ab__moe_dispatch_check(a);
    if (st != AB_OK)
        return st;
    size_t n_t = a->n_tokens, d = a->d_model, n_e = a->n_experts, k = (size_t)a->route.k;
    if (!exec->workspace || exec->workspace_bytes < 2 * n_e * sizeof(size_t))
        return AB_EINVAL;
    size_t *count = exec->workspace, *next = count + n_e;
    const int32_t *expert = a->route.expert;
    const uint8_t *keep = a->route.keep;
    const float *weight = a->route.weight;

    for (size_t e = 0; e < n_e; e++)
        count[e] = 0;
    for (size_t t = 0; t < n_t; t++)
        for (size_t s = 0; s < k; s++) {
            int32_t e = expert[t * k + s];
            if (e < 0 || !keep[t * k + s])
                continue;
            if ((size_t)e >= n_e)
                return AB_EINVAL;
            count[e]++;
        }
    size_t start = 0;
    for (size_t e = 0; e < n_e; e++) {
        next[e] = start;
        start += count[e];
    }
    for (size_t t = 0; t < n_t; t++) {
        float *yt = a->y + t * d;
        for (size_t c = 0; c < d; c++)
            yt[c] = 0.0f;
        for (size_t s = 0; s < k; s++) {
            int32_t e = expert[t * k + s];
            if (e < 0 || !keep[t * k + s])
                continue;
            size_t row = next[e]++;
            memcpy(a->xp + row * d, a->x + t * d, d * sizeof(float));
            float w = weight[t * k + s];
            const float *src = a->yp + row * d;
            for (size_t c = 0; c < d; c++)
                yt[c] += w * src[c];
        }
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_dispatch_ref;
const struct ab_kernel ab__kernel_moe_dispatch_ref = {
    .name = "moe_dispatch_ref",
    .family = &ab_family_moe_dispatch,
    .variant = "ref",
    .doc = "per-token loop, row of a slot from per-expert prefix counts, scalar weighted sum",
    .isa_needs = 0,
    .is_ref = true,
    .fn.moe_dispatch = moe_dispatch_ref,
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ab__moe_dispatch_flops,
    .bytes = ab__moe_dispatch_bytes,
    .tol = AB__DISPATCH_TOL,
};
