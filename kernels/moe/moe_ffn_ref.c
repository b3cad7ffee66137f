/*
 * moe_ffn_ref.c - reference MoE layer body: for each token, for each of its kept
 * slots in slot order, the expert FFN in double (plain dot products), accumulated with
 * the gate weight into a double row. Single threaded, no dispatch: the oracle the
 * grouped variants are checked against.
 */
#include <math.h>

#include "archbench/moe.h"

#include "moe_impl.h"

static size_t ref_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    return (2 * (size_t)s->v[AB__FF_D_FF] + (size_t)s->v[AB__FF_D_MODEL]) * sizeof(double);
}

static double act(enum ab_moe_act kind, double v)
{
    if (kind == AB_MOE_ACT_GELU)
        return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    return v / (1.0 + exp(-v));
}

static enum ab_status moe_ffn_ref(const struct ab_moe_ffn_args *a, const struct ab_exec *exec)
{
    if (!a || !exec || !a->x || !a->w13 || !a->w2 || !a->y || !a->route.expert || a->route.k < 1 ||
        a->route.n_tokens != a->n_tokens || a->n_experts < 1)
        return AB_EINVAL;
    size_t d = a->d_model, f = a->d_ff, k = (size_t)a->route.k;
    if (!exec->workspace || exec->workspace_bytes < (2 * f + d) * sizeof(double))
        return AB_EINVAL;
    bool swiglu = a->act == AB_MOE_ACT_SWIGLU;
    size_t h_rows = swiglu ? 2 * f : f;
    double *h = exec->workspace, *yacc = h + 2 * f;
    for (size_t t = 0; t < a->n_tokens; t++) {
        const float *xt = a->x + t * d;
        for (size_t c = 0; c < d; c++)
            yacc[c] = 0.0;
        for (size_t s = 0; s < k; s++) {
            size_t at = t * k + s;
            int32_t e = a->route.expert[at];
            if (e < 0 || !a->route.keep[at])
                continue;
            if ((size_t)e >= a->n_experts)
                return AB_EINVAL;
            const float *w13 = a->w13 + (size_t)e * h_rows * d, *w2 = a->w2 + (size_t)e * d * f;
            for (size_t j = 0; j < h_rows; j++) {
                double sum = 0.0;
                for (size_t p = 0; p < d; p++)
                    sum += (double)w13[j * d + p] * (double)xt[p];
                h[j] = sum;
            }
            for (size_t j = 0; j < f; j++)
                h[j] = swiglu ? act(a->act, h[j]) * h[f + j] : act(a->act, h[j]);
            double w = (double)a->route.weight[at];
            for (size_t c = 0; c < d; c++) {
                double sum = 0.0;
                for (size_t j = 0; j < f; j++)
                    sum += (double)w2[c * f + j] * h[j];
                yacc[c] += w * sum;
            }
        }
        for (size_t c = 0; c < d; c++)
            a->y[t * d + c] = (float)yacc[c];
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_ffn_ref;
const struct ab_kernel ab__kernel_moe_ffn_ref = {
    .name = "moe_ffn_ref",
    .family = &ab_family_moe_ffn,
    .variant = "ref",
    .doc = "per token, per kept slot: expert FFN in double, weighted sum (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.moe_ffn = moe_ffn_ref,
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ab__moe_ffn_flops,
    .bytes = ab__moe_ffn_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
