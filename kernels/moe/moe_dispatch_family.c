/*
 * moe_dispatch_family.c - the moe_dispatch family: the MoE layer's work around its
 * expert GEMMs, timed alone (semantics in moe.h, struct ab_moe_dispatch_args):
 * counting sort of the kept (token, slot) pairs by expert, gather of the token rows
 * into expert-contiguous Xp, weighted combine of the expert output rows Yp back to
 * tokens. Parameters follow moe_ffn (same names, defaults and router): the routing of
 * a case is made once, untimed, by the reference router on the case's own x, so the
 * expert loads are those the layer sees. Yp is a random input (the expert outputs).
 *
 * FLOPs: 2*tokens*k*d_model, the combine's multiply-adds (nominal k slots).
 * Bytes: gather (read an X row, write an Xp row) and combine (read a Yp row) per slot,
 * write y once per token, plus the routing arrays (expert, weight, keep: 9 bytes per
 * slot read; rows, slot_row: 8 bytes per slot written).
 *
 * Hard cases in the test sweep: one token, E = 1, k = E, every token to one expert,
 * capacity drops (slots and whole tokens without an expert: y row 0), odd d_model,
 * threshold routing (unused slots, expert -1).
 */
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/moe.h"
#include "archbench/rng.h"

#include "moe_dispatch_impl.h"
#include "moe_impl.h"

enum {
    P_T = AB__DP_TOKENS, P_D = AB__DP_D_MODEL, P_E = AB__DP_EXPERTS, P_K = AB__DP_K, P_GATE = AB__DP_GATE,
    P_CAP = AB__DP_CAP_PCT, P_DIST = AB__DP_DIST
};

static const char *const gate_names[] = {"softmax_topk", "threshold", "top_p", "sigmoid_bias"};
static const char *const dist_names[] = {"normal", "ties", "one_expert", "peaked"};
_Static_assert(sizeof dist_names / sizeof dist_names[0] == AB__RT_DIST_COUNT, "a name per distribution");

static const struct ab_param disp_params[AB__DP_PARAM_COUNT] = {
    [P_T] = {"tokens", "tokens in the layer call", 4096, 1, INT64_C(1) << 20, NULL, 0},
    [P_D] = {"d_model", "model width", 1024, 1, 65536, NULL, 0},
    [P_E] = {"experts", "routed experts", 8, 1, AB_MOE_MAX_EXPERTS, NULL, 0},
    [P_K] = {"k", "experts per token (cap for threshold / top-p)", 2, 1, AB_MOE_MAX_EXPERTS, NULL, 0},
    [P_GATE] = {"gate", "router of the case (renormalised top-k by default; threshold tau 0.3)", 0, 0,
                AB_MOE_GATE_COUNT - 1, gate_names, AB_MOE_GATE_COUNT},
    [P_CAP] = {"cap_pct", "capacity factor in percent, 0 = dropless", 0, 0, 100000, NULL, 0},
    [P_DIST] = {"dist", "router inputs: normal, ties, one_expert, peaked", 0, 0, AB__RT_DIST_COUNT - 1, dist_names,
                AB__RT_DIST_COUNT},
};
_Static_assert(AB__DP_PARAM_COUNT <= AB_SHAPE_MAX_PARAMS, "params fit a shape");

#define SHAPE(t, d, e, k, gate, cap, dist) {{t, d, e, k, gate, cap, dist}}
#define TOPK AB_MOE_GATE_SOFTMAX_TOPK
#define THR AB_MOE_GATE_THRESHOLD

static const struct ab_shape sweep_default[] = {
    SHAPE(4096, 1024, 8, 2, TOPK, 0, 0),   /* issue 5: E = 8 top-2, as moe_ffn's first shape */
    SHAPE(4096, 1024, 128, 2, TOPK, 0, 0), /* issue 5: E = 128 top-2 */
};
/* the same shapes: the reference is O(tokens * k * d_model) */
static const struct ab_shape sweep_quick[] = {
    SHAPE(4096, 1024, 8, 2, TOPK, 0, 0),
    SHAPE(4096, 1024, 128, 2, TOPK, 0, 0),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 16, 1, 1, TOPK, 0, 0),      /* one token, one expert */
    SHAPE(1, 17, 4, 4, TOPK, 0, 0),      /* one token, k = E */
    SHAPE(33, 40, 1, 1, TOPK, 0, 0),     /* E = 1: a dense layer */
    SHAPE(70, 64, 8, 8, TOPK, 0, 0),     /* k = E */
    SHAPE(100, 48, 8, 2, TOPK, 0, 2),    /* every token to expert 0, dropless */
    SHAPE(100, 48, 8, 2, TOPK, 100, 2),  /* every token to expert 0, capacity drops */
    SHAPE(129, 65, 16, 2, TOPK, 50, 0),  /* capacity drops, odd d_model */
    SHAPE(300, 31, 128, 2, TOPK, 0, 1),  /* E = 128, ties, odd d_model */
    SHAPE(77, 31, 4, 4, THR, 0, 0),      /* threshold: unused slots (expert -1) */
    SHAPE(600, 128, 32, 3, TOPK, 0, 0),
};

double ab__moe_dispatch_flops(const struct ab_shape *s)
{
    return 2.0 * (double)s->v[P_T] * (double)s->v[P_K] * (double)s->v[P_D];
}

double ab__moe_dispatch_bytes(const struct ab_shape *s)
{
    double t = (double)s->v[P_T], d = (double)s->v[P_D], slots = t * (double)s->v[P_K];
    return 4.0 * (3.0 * slots * d + t * d) + 17.0 * slots;
}

static uint64_t disp_io_bytes(const struct ab_shape *s)
{
    uint64_t t = (uint64_t)s->v[P_T], d = (uint64_t)s->v[P_D], slots = t * (uint64_t)s->v[P_K];
    /* x, Yp, routing in; Xp, y out */
    return 4u * (t * d + slots * d) + 9u * slots + 4u * (slots * d + t * d);
}

static double disp_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_T];
}

struct ab__disp_layout ab__moe_dispatch_layout(size_t n_t, size_t k, size_t n_e)
{
    struct ab__disp_layout l;
    size_t n = n_t * k;
    l.off = 0;
    l.rows = l.off + AB__MOE_ALIGN_UP((n_e + 1) * sizeof(size_t), AB_ALIGN_BYTES);
    l.slot_row = l.rows + AB__MOE_ALIGN_UP(n * sizeof(int32_t), AB_ALIGN_BYTES);
    l.total = l.slot_row + AB__MOE_ALIGN_UP(n * sizeof(int32_t), AB_ALIGN_BYTES);
    return l;
}

size_t ab__moe_dispatch_workspace(const struct ab_shape *s, int n_threads)
{
    (void)n_threads;
    return ab__moe_dispatch_layout((size_t)s->v[P_T], (size_t)s->v[P_K], (size_t)s->v[P_E]).total;
}

enum ab_status ab__moe_dispatch_check(const struct ab_moe_dispatch_args *a)
{
    if (!a || !a->x || !a->yp || !a->xp || !a->y || !a->route.expert || !a->route.weight || !a->route.keep)
        return AB_EINVAL;
    if (a->route.k < 1 || a->route.n_tokens != a->n_tokens || a->n_experts < 1 || a->d_model < 1)
        return AB_EINVAL;
    return AB_OK;
}

struct disp_case {
    struct ab_case base;  /* first member: see kernel.h */
    struct ab_moe_dispatch_args args;
    float *xp[AB_SLOT_COUNT], *y[AB_SLOT_COUNT];
    size_t y_elems, xp_elems;  /* xp_elems: kept rows * d_model, the part written */
};

static enum ab_status disp_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                    struct ab_error *err)
{
    if (shape->v[P_K] > shape->v[P_E])
        return ab_error_set(err, AB_EINVAL, "moe_dispatch: k must be <= experts");
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_moe_dispatch, shape, seed, sizeof(struct disp_case), &base, err);
    if (st != AB_OK)
        return st;
    struct disp_case *g = (struct disp_case *)base;
    size_t n_t = (size_t)shape->v[P_T], d = (size_t)shape->v[P_D], n_e = (size_t)shape->v[P_E];
    size_t k = (size_t)shape->v[P_K], slots = n_t * k;
    g->y_elems = n_t * d;
    float *x = ab_case_alloc(base, n_t * d * sizeof(float));
    float *yp = ab_case_alloc(base, slots * d * sizeof(float));
    int32_t *expert = ab_case_alloc(base, slots * sizeof(int32_t));
    float *weight = ab_case_alloc(base, slots * sizeof(float));
    uint8_t *keep = ab_case_alloc(base, slots);
    bool ok = x && yp && expert && weight && keep;
    for (int s = 0; s < AB_SLOT_COUNT; s++) {
        g->xp[s] = ab_case_alloc(base, slots * d * sizeof(float));
        g->y[s] = ab_case_alloc(base, g->y_elems * sizeof(float));
        /* Xp has a row per routing slot; only the kept rows are written and compared */
        ok = ok && g->xp[s] && g->y[s] &&
             ab_case_output(base, (enum ab_slot)s, "xp", g->xp[s], AB_ELEM_F32, slots, d, d) &&
             ab_case_output(base, (enum ab_slot)s, "y", g->y[s], AB_ELEM_F32, n_t, d, d);
    }
    if (!ok) {
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "moe_dispatch: out of memory for %zu tokens x %zu", n_t, d);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    st = ab__moe_route_case(&rng, n_t, d, (size_t)shape->v[P_E], (enum ab_moe_gate)shape->v[P_GATE],
                            (int)shape->v[P_K], shape->v[P_CAP], shape->v[P_DIST], x, expert, weight, keep);
    if (st != AB_OK) {
        ab_case_free(base);
        return ab_error_set(err, st, "moe_dispatch: routing the case failed");
    }
    ab_rng_fill_uniform_f32(&rng, yp, slots * d, -1.0f, 1.0f);
    /* owned buffers: the names only make ab_case_verify's messages readable */
    ab_case_input(base, "x", x, n_t * d * sizeof(float));
    ab_case_input(base, "yp", yp, slots * d * sizeof(float));
    ab_case_input(base, "expert", expert, slots * sizeof(int32_t));
    ab_case_input(base, "weight", weight, slots * sizeof(float));
    ab_case_input(base, "keep", keep, slots);
    size_t kept = 0;
    for (size_t i = 0; i < slots; i++)
        kept += expert[i] >= 0 && keep[i];
    g->xp_elems = kept * d;
    struct ab_moe_dispatch_args *a = &g->args;
    a->n_tokens = n_t;
    a->d_model = d;
    a->n_experts = n_e;
    a->x = x;
    a->yp = yp;
    a->route = (struct ab_moe_routing){n_t, (int)k, expert, weight, keep};
    *out_case = base;
    return AB_OK;
}

static enum ab_status disp_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                    enum ab_slot slot)
{
    struct disp_case *g = (struct disp_case *)c;
    struct ab_moe_dispatch_args args = g->args;
    args.xp = g->xp[slot];
    args.y = g->y[slot];
    return kernel->fn.moe_dispatch(&args, exec);
}

/* y and the written part of Xp, both exactly; the report is y's unless Xp is worse. */
static void disp_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct disp_case *g = (const struct disp_case *)c;
    double tol = ab_kernel_tolerance(kernel, &c->shape);
    struct ab_check xc;
    ab_check_f32(g->y[AB_SLOT_REF], g->y[AB_SLOT_TEST], g->y_elems, tol, out);
    ab_check_f32(g->xp[AB_SLOT_REF], g->xp[AB_SLOT_TEST], g->xp_elems, tol, &xc);
    if (!xc.ok && out->ok) {
        *out = xc;
        char detail[sizeof out->detail];
        snprintf(detail, sizeof detail, "Xp: %.150s", xc.detail);
        memcpy(out->detail, detail, sizeof detail);
    }
}

/* Routing figures of the case (how the rows spread over the experts). */
static size_t disp_case_metrics(struct ab_case *c, struct ab_metric *out)
{
    struct disp_case *g = (struct disp_case *)c;
    struct ab_moe_route_stats st;
    ab_moe_route_stats(&g->args.route, g->args.n_experts, NULL, &st);
    size_t n = 0;
    out[n++] = (struct ab_metric){"experts_per_token_mean", st.experts_per_token_mean, "experts"};
    out[n++] = (struct ab_metric){"load_cv", st.load_cv, "ratio"};
    out[n++] = (struct ab_metric){"dropped_slots", st.dropped_slots, "slots"};
    return n;
}

const struct ab_family ab_family_moe_dispatch = {
    .name = "moe_dispatch",
    .doc = "dispatch + combine of an MoE layer: counting sort of (token, slot) pairs by expert, gather of token "
           "rows into expert-contiguous blocks, weighted combine of expert output rows back to tokens",
    .flops_doc = "2*tokens*k*d_model (the combine's multiply-adds; nominal k slots)",
    .params = disp_params,
    .n_params = AB__DP_PARAM_COUNT,
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = disp_tokens,
    .io_bytes = disp_io_bytes,
    .case_new = disp_case_new,
    .case_free = ab_case_free,
    .case_run = disp_case_run,
    .case_compare = disp_case_compare,
    .case_metrics = disp_case_metrics,
};
