/*
 * moe_ep_ref.c - the reference of moe_ep: the same MoE layer in one process, every
 * token and every expert (args->n_tokens = n_tokens_total, all experts' weights).
 * Route with the fast router, then the grouped expert kernel, which both are verified
 * against their plain-loop references in their own families (moe_route, moe_ffn): the
 * plain-loop FFN takes minutes at the layer sizes this family is about, while what is
 * checked here is the exchange, which any error in moves far beyond the tolerance.
 * Also the shared helpers of the expert-parallel variant: router and grouped-kernel
 * calls, and their workspaces.
 */
#include <stdint.h>
#include <string.h>

#include "archbench/moe.h"
#include "archbench/timer.h"

#include "../moe/moe_impl.h"
#include "parallel_impl.h"

extern const struct ab_kernel ab__kernel_moe_route_fast;
extern const struct ab_kernel ab__kernel_moe_ffn_grouped;

static void route_shape(size_t n_tokens, size_t d, size_t n_e, struct ab_shape *out)
{
    ab_shape_default(&ab_family_moe_route, out);
    out->v[AB__RT_TOKENS] = (int64_t)n_tokens;
    out->v[AB__RT_D_MODEL] = (int64_t)d;
    out->v[AB__RT_EXPERTS] = (int64_t)n_e;
}

size_t ab__moe_ep_route_workspace(size_t n_tokens, size_t d, size_t n_e, int n_threads)
{
    struct ab_shape s;
    route_shape(n_tokens, d, n_e, &s);
    return ab__kernel_moe_route_fast.workspace_bytes(&s, n_threads);
}

size_t ab__moe_ep_grouped_workspace(size_t n_rows, size_t d, size_t f, size_t n_e, size_t k, enum ab_moe_act act,
                                    int n_threads)
{
    struct ab_shape s;
    ab_shape_default(&ab_family_moe_ffn, &s);
    s.v[AB__FF_TOKENS] = (int64_t)n_rows;
    s.v[AB__FF_D_MODEL] = (int64_t)d;
    s.v[AB__FF_D_FF] = (int64_t)f;
    s.v[AB__FF_EXPERTS] = (int64_t)(n_e ? n_e : 1);
    s.v[AB__FF_K] = (int64_t)k;
    s.v[AB__FF_ACT] = act;
    return ab__kernel_moe_ffn_grouped.workspace_bytes(&s, n_threads);
}

enum ab_status ab__moe_ep_route(const float *x, const float *w_gate, size_t n_tokens, size_t d, size_t n_e, int k,
                                int32_t *expert, float *weight, uint8_t *keep, void *ws, size_t ws_bytes,
                                int n_threads)
{
    if (n_tokens == 0)
        return AB_OK;
    struct ab_moe_route_args ra = {
        .n_tokens = n_tokens, .d_model = d, .n_experts = n_e, .x = x, .w_gate = w_gate, .sel_bias = NULL,
        .gate = AB_MOE_GATE_SOFTMAX_TOPK, .k = k, .renormalize = true, .tau = 0.3f, .top_p = 0.5f,
        .route_scale = 1.0f, .capacity_factor = 0.0f, .expert = expert, .weight = weight, .keep = keep,
    };
    struct ab_exec ex = {.n_threads = n_threads, .workspace = ws, .workspace_bytes = ws_bytes};
    return ab__kernel_moe_route_fast.fn.moe_route(&ra, &ex);
}

/* Workspace: routing (expert, weight, keep), the router's, the grouped kernel's. */
struct ref_layout {
    size_t expert, weight, keep, route_ws, ffn_ws, total, route_bytes, ffn_bytes;
};

static struct ref_layout ref_plan(size_t t, size_t d, size_t f, size_t n_e, size_t k, enum ab_moe_act act, int nth)
{
    struct ref_layout l;
    l.route_bytes = ab__moe_ep_route_workspace(t, d, n_e, nth);
    l.ffn_bytes = ab__moe_ep_grouped_workspace(t, d, f, n_e, k, act, nth);
    l.expert = 0;
    l.weight = l.expert + AB__MOE_ALIGN_UP(t * k * sizeof(int32_t), AB_ALIGN_BYTES);
    l.keep = l.weight + AB__MOE_ALIGN_UP(t * k * sizeof(float), AB_ALIGN_BYTES);
    l.route_ws = l.keep + AB__MOE_ALIGN_UP(t * k, AB_ALIGN_BYTES);
    l.ffn_ws = l.route_ws + AB__MOE_ALIGN_UP(l.route_bytes, AB_ALIGN_BYTES);
    l.total = l.ffn_ws + AB__MOE_ALIGN_UP(l.ffn_bytes, AB_ALIGN_BYTES);
    return l;
}

static size_t ref_workspace(const struct ab_shape *s, int n_threads)
{
    return ref_plan((size_t)s->v[AB__EP_TOKENS], (size_t)s->v[AB__EP_D_MODEL], (size_t)s->v[AB__EP_D_FF],
                    (size_t)s->v[AB__EP_EXPERTS], (size_t)s->v[AB__EP_K], (enum ab_moe_act)s->v[AB__EP_ACT], n_threads)
        .total;
}

static enum ab_status moe_ep_ref(const struct ab_moe_ep_args *a, const struct ab_exec *exec)
{
    if (!a || !exec || exec->n_threads < 1 || !a->x || !a->w_gate || !a->w13 || !a->w2 || !a->y || a->k < 1 ||
        (size_t)a->k > a->n_experts || a->n_tokens != a->n_tokens_total)
        return AB_EINVAL;
    size_t t = a->n_tokens, d = a->d_model, k = (size_t)a->k;
    struct ref_layout l = ref_plan(t, d, a->d_ff, a->n_experts, k, a->act, exec->n_threads);
    if (!exec->workspace || exec->workspace_bytes < l.total)
        return AB_EINVAL;
    char *ws = exec->workspace;
    int32_t *expert = (int32_t *)(void *)(ws + l.expert);
    float *weight = (float *)(void *)(ws + l.weight);
    uint8_t *keep = (uint8_t *)(ws + l.keep);
    int64_t t0 = ab_now_ns();
    enum ab_status st = ab__moe_ep_route(a->x, a->w_gate, t, d, a->n_experts, a->k, expert, weight, keep,
                                         ws + l.route_ws, l.route_bytes, exec->n_threads);
    if (st != AB_OK)
        return st;
    int64_t t1 = ab_now_ns();
    struct ab_moe_ffn_args fa = {
        .n_tokens = t, .d_model = d, .d_ff = a->d_ff, .n_experts = a->n_experts, .act = a->act, .x = a->x,
        .w13 = a->w13, .w2 = a->w2, .route = {t, a->k, expert, weight, keep}, .y = a->y,
    };
    struct ab_exec fx = {.n_threads = exec->n_threads, .workspace = l.ffn_bytes ? ws + l.ffn_ws : NULL,
                         .workspace_bytes = l.ffn_bytes};
    if ((st = ab__kernel_moe_ffn_grouped.fn.moe_ffn(&fa, &fx)) != AB_OK)
        return st;
    if (a->acc) {
        /* One process: no exchange; dispatch and combine are inside the grouped kernel. */
        a->acc->phase_ns[AB__EP_ROUTE] += (double)(t1 - t0);
        a->acc->phase_ns[AB__EP_EXPERT] += (double)(ab_now_ns() - t1);
        a->acc->rows += (double)(t * k);
        a->acc->calls++;
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_ep_ref;
const struct ab_kernel ab__kernel_moe_ep_ref = {
    .name = "moe_ep_ref",
    .family = &ab_family_moe_ep,
    .variant = "ref",
    .doc = "the single-process layer on rank 0: fast router, grouped expert kernel over all tokens and experts",
    .isa_needs = 0,
    .is_ref = true,
    .fn.moe_ep = moe_ep_ref,
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ab__moe_ep_flops,
    .bytes = ab__moe_ep_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = -1, .scale_ref = 0.0},
};
