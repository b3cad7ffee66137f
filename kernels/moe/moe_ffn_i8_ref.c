/*
 * moe_ffn_i8_ref.c - reference INT8 MoE layer body (semantics in moe.h): per token,
 * quantise x with the scalar quantiser (quant.h); per kept slot, exact int64 dot
 * products against the expert's row-major int8 weights, quant.h's float
 * dequantisation, the activation in double rounded to float, the scalar quantiser on
 * g, the second exact product, and the weighted sum in double. Single threaded and
 * independent of the packed layout.
 */
#include <math.h>

#include "archbench/moe.h"
#include "archbench/quant.h"

#include "../quant/quant_impl.h"
#include "moe_impl.h"

static size_t ref_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    size_t d = (size_t)s->v[AB__FF_D_MODEL], f = (size_t)s->v[AB__FF_D_FF];
    return d * sizeof(double) + 2 * f * sizeof(float) + f + d;
}

static double act(enum ab_moe_act kind, double v)
{
    if (kind == AB_MOE_ACT_GELU)
        return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    return v / (1.0 + exp(-v));
}

/* (float)(((float)acc * sx) * sw) of row j: exact int64 sum, quant.h's formula */
static float qdot(const int8_t *xq, const struct ab_i8_weights *w, size_t j, float sx)
{
    const int8_t *row = w->q + j * w->k;
    int64_t acc = 0;
    for (size_t p = 0; p < w->k; p++)
        acc += (int64_t)xq[p] * (int64_t)row[p];
    return ab__i8_dequant((int32_t)acc, sx, w->scale[j], NULL, 0);
}

static enum ab_status moe_ffn_i8_ref(const struct ab_moe_ffn_i8_args *a, const struct ab_exec *exec)
{
    if (!a || !exec || !a->x || !a->w13 || !a->w2 || !a->y || !a->route.expert || !a->route.keep ||
        !a->route.weight || a->route.k < 1 || a->route.n_tokens != a->n_tokens || a->n_experts < 1)
        return AB_EINVAL;
    size_t d = a->d_model, f = a->d_ff, k = (size_t)a->route.k;
    bool swiglu = a->act == AB_MOE_ACT_SWIGLU;
    size_t hc = swiglu ? 2 * f : f;
    if (!exec->workspace || exec->workspace_bytes < d * sizeof(double) + 2 * f * sizeof(float) + f + d)
        return AB_EINVAL;
    for (size_t e = 0; e < a->n_experts; e++)
        if (!a->w13[e] || !a->w2[e] || a->w13[e]->n != hc || a->w13[e]->k != d || a->w2[e]->n != d ||
            a->w2[e]->k != f)
            return AB_EINVAL;
    double *yacc = exec->workspace;
    float *h = (float *)(yacc + d);
    int8_t *gq = (int8_t *)(h + 2 * f), *xq = gq + f;
    for (size_t t = 0; t < a->n_tokens; t++) {
        float sx = ab_i8_quantize_row(a->x + t * d, d, xq);
        for (size_t c = 0; c < d; c++)
            yacc[c] = 0.0;
        for (size_t s = 0; s < k; s++) {
            size_t at = t * k + s;
            int32_t e = a->route.expert[at];
            if (e < 0 || !a->route.keep[at])
                continue;
            if ((size_t)e >= a->n_experts)
                return AB_EINVAL;
            const struct ab_i8_weights *w13 = a->w13[e], *w2 = a->w2[e];
            for (size_t j = 0; j < hc; j++)
                h[j] = qdot(xq, w13, j, sx);
            for (size_t j = 0; j < f; j++)
                h[j] = (float)(swiglu ? act(a->act, (double)h[j]) * (double)h[f + j] : act(a->act, (double)h[j]));
            float sg = ab_i8_quantize_row(h, f, gq);
            double wt = (double)a->route.weight[at];
            for (size_t c = 0; c < d; c++)
                yacc[c] += wt * (double)qdot(gq, w2, c, sg);
        }
        for (size_t c = 0; c < d; c++)
            a->y[t * d + c] = (float)yacc[c];
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_ffn_i8_ref;
const struct ab_kernel ab__kernel_moe_ffn_i8_ref = {
    .name = "moe_ffn_i8_ref",
    .family = &ab_family_moe_ffn_i8,
    .variant = "ref",
    .doc = "per token, per kept slot: exact int64 products, double activation and weighted sum (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.moe_ffn_i8 = moe_ffn_i8_ref,
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ab__moe_ffn_flops,
    .bytes = ab__moe_ffn_i8_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
