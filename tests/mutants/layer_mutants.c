/*
 * layer_mutants.c - wrong layer variants (see mutants.h). Each runs layer_best with a
 * trace (the residual stream h after attention and the routing) and then rewrites y
 * into what a composition with its one defect would have produced:
 *   skips_second_residual  y = FFN(norm(h)): the residual around the FFN forgotten
 *   renormalises_topk      y = h + FFN / (sum of the token's gate weights): Mixtral's
 *                          renormalised top-k instead of article A's V3 gate
 * Their workspace is layer_best's plus the trace, placed first.
 */
#include <stdint.h>

#include "archbench/layer.h"

#include "mutants.h"

#define ALIGN_UP(x) (((x) + 63) / 64 * 64)

static size_t trace_bytes(size_t n, size_t d, size_t k)
{
    return ALIGN_UP(n * d * sizeof(float)) + ALIGN_UP(n * k * sizeof(float)) + ALIGN_UP(n * k * sizeof(int32_t)) +
           ALIGN_UP(n * k);
}

static const struct ab_kernel *best(void)
{
    return ab_kernel_find("layer_best");
}

static size_t mutant_workspace(const struct ab_shape *s, int n_threads)
{
    const struct ab_family *f = &ab_family_layer;
    size_t n = (size_t)s->v[ab_param_index(f, "n")], d = (size_t)s->v[ab_param_index(f, "d_model")];
    size_t k = (size_t)s->v[ab_param_index(f, "k")];
    return trace_bytes(n, d, k) + best()->workspace_bytes(s, n_threads);
}

/* layer_best into a->y with the trace in the front of the workspace; h and weight out. */
static enum ab_status run_traced(const struct ab_layer_args *a, const struct ab_exec *exec, float **out_h,
                                 float **out_weight)
{
    size_t n = a->n_tokens, d = a->d_model, k = (size_t)a->k, tb = trace_bytes(n, d, k);
    if (!exec->workspace || exec->workspace_bytes < tb)
        return AB_EINVAL;
    char *ws = exec->workspace;
    struct ab_layer_trace tr = {.h = (float *)(void *)ws};
    tr.weight = (float *)(void *)(ws + ALIGN_UP(n * d * sizeof(float)));
    tr.expert = (int32_t *)(void *)((char *)tr.weight + ALIGN_UP(n * k * sizeof(float)));
    tr.keep = (uint8_t *)tr.expert + ALIGN_UP(n * k * sizeof(int32_t));
    struct ab_layer_args args = *a;
    args.trace = &tr;
    struct ab_exec sub = {.n_threads = exec->n_threads, .workspace = ws + tb,
                          .workspace_bytes = exec->workspace_bytes - tb};
    enum ab_status st = best()->fn.layer(&args, &sub);
    *out_h = tr.h;
    *out_weight = tr.weight;
    return st;
}

static enum ab_status skips_second_residual(const struct ab_layer_args *a, const struct ab_exec *exec)
{
    float *h, *w;
    enum ab_status st = run_traced(a, exec, &h, &w);
    for (size_t i = 0; st == AB_OK && i < a->n_tokens * a->d_model; i++)
        a->y[i] -= h[i];
    return st;
}

static enum ab_status renormalises_topk(const struct ab_layer_args *a, const struct ab_exec *exec)
{
    float *h, *w;
    enum ab_status st = run_traced(a, exec, &h, &w);
    size_t d = a->d_model, k = (size_t)a->k;
    for (size_t t = 0; st == AB_OK && t < a->n_tokens; t++) {
        float sum = 0.0f;
        for (size_t s = 0; s < k; s++)
            sum += w[t * k + s];
        for (size_t c = 0; c < d && sum > 0.0f; c++)
            a->y[t * d + c] = h[t * d + c] + (a->y[t * d + c] - h[t * d + c]) / sum;
    }
    return st;
}

static double best_flops(const struct ab_shape *s)
{
    return best()->flops(s);
}

static double best_bytes(const struct ab_shape *s)
{
    return best()->bytes(s);
}

#define MUTANT(fn_, doc_)                                                                                       \
    const struct ab_kernel ab__mutant_layer_##fn_ = {                                                          \
        .name = "mutant_layer_" #fn_, .family = &ab_family_layer, .variant = "mutant", .doc = doc_,            \
        .isa_needs = 0, .is_ref = false, .fn = {.layer = fn_}, .supports = NULL,                               \
        .workspace_bytes = mutant_workspace, .flops = best_flops, .bytes = best_bytes,                         \
        .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = 1, .scale_ref = 1024.0},                    \
    };

extern const struct ab_kernel ab__mutant_layer_skips_second_residual, ab__mutant_layer_renormalises_topk;

MUTANT(skips_second_residual, "y = FFN(norm(h)): no residual around the FFN")
MUTANT(renormalises_topk, "top-k gate weights divided by their sum (Mixtral, not article A's V3)")
