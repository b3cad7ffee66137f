/*
 * moe_ffn_family.c - the moe_ffn family: dispatch tokens to experts, run the expert
 * FFNs, combine with the gate weights (semantics in moe.h). The routing of a case is
 * made once, untimed, by the reference router (softmax top-k, renormalised, optional
 * capacity), so every variant consumes the same assignment.
 *
 * Hard cases in the test sweep: one token, E = 1 (a dense FFN), k = E, every token to
 * one expert (with and without capacity overflow: dropped slots and tokens with no
 * expert, whose output is 0), odd sizes, both activations.
 */
#include <math.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/moe.h"
#include "archbench/rng.h"

#include "moe_impl.h"

enum {
    P_T = AB__FF_TOKENS, P_D = AB__FF_D_MODEL, P_F = AB__FF_D_FF, P_E = AB__FF_EXPERTS, P_K = AB__FF_K,
    P_ACT = AB__FF_ACT, P_GATE = AB__FF_GATE, P_CAP = AB__FF_CAP_PCT, P_DIST = AB__FF_DIST
};

static const char *const act_names[] = {"swiglu", "gelu"};
static const char *const gate_names[] = {"softmax_topk", "threshold", "top_p", "sigmoid_bias"};
static const char *const dist_names[] = {"normal", "ties", "one_expert", "peaked"};
_Static_assert(sizeof dist_names / sizeof dist_names[0] == AB__RT_DIST_COUNT, "a name per distribution");
_Static_assert(sizeof act_names / sizeof act_names[0] == AB_MOE_ACT_COUNT, "a name per activation");

const struct ab_param ab__moe_ffn_params[AB__FF_PARAM_COUNT] = {
    [P_T] = {"tokens", "tokens in the layer call", 4096, 1, INT64_C(1) << 20, NULL, 0},
    [P_D] = {"d_model", "model width", 1024, 1, 65536, NULL, 0},
    [P_F] = {"d_ff", "hidden width of one expert", 2816, 1, 65536, NULL, 0},
    [P_E] = {"experts", "routed experts", 8, 1, AB_MOE_MAX_EXPERTS, NULL, 0},
    [P_K] = {"k", "experts per token (cap for threshold / top-p)", 2, 1, AB_MOE_MAX_EXPERTS, NULL, 0},
    [P_ACT] = {"act", "swiglu or gelu", 0, 0, AB_MOE_ACT_COUNT - 1, act_names, AB_MOE_ACT_COUNT},
    [P_GATE] = {"gate", "router of the case (renormalised top-k by default; threshold tau 0.3)", 0, 0,
                AB_MOE_GATE_COUNT - 1, gate_names, AB_MOE_GATE_COUNT},
    [P_CAP] = {"cap_pct", "capacity factor in percent, 0 = dropless", 0, 0, 100000, NULL, 0},
    [P_DIST] = {"dist", "router inputs: normal, ties, one_expert, peaked", 0, 0, AB__RT_DIST_COUNT - 1, dist_names,
                AB__RT_DIST_COUNT},
};

#define SHAPE(t, d, f, e, k, act, gate, cap, dist) {{t, d, f, e, k, act, gate, cap, dist}}
#define SW AB_MOE_ACT_SWIGLU
#define GE AB_MOE_ACT_GELU
#define TOPK AB_MOE_GATE_SOFTMAX_TOPK
#define THR AB_MOE_GATE_THRESHOLD

static const struct ab_shape sweep_default[] = {
    SHAPE(4096, 1024, 2816, 8, 2, SW, TOPK, 0, 0),   /* issue 5: E = 8 top-2 */
    SHAPE(4096, 1024, 2816, 128, 2, SW, TOPK, 0, 0), /* issue 5: E = 128 top-2 (64 tokens per expert) */
    SHAPE(4096, 1024, 2816, 4, 4, SW, THR, 0, 0),    /* article A R1: 4 experts, threshold routing */
    SHAPE(4096, 1024, 2816, 1, 1, SW, TOPK, 0, 0),   /* dense FFN of the same width */
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(512, 1024, 2816, 8, 2, SW, TOPK, 0, 0),
    SHAPE(512, 1024, 2816, 1, 1, SW, TOPK, 0, 0),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 16, 24, 1, 1, SW, TOPK, 0, 0),    SHAPE(1, 16, 24, 4, 2, GE, TOPK, 0, 0),
    SHAPE(33, 40, 56, 1, 1, GE, TOPK, 0, 0),   SHAPE(70, 64, 96, 8, 8, SW, TOPK, 0, 0),
    SHAPE(100, 48, 80, 8, 2, SW, TOPK, 0, 2),  SHAPE(100, 48, 80, 8, 2, GE, TOPK, 100, 2),
    SHAPE(129, 65, 33, 16, 2, SW, TOPK, 50, 0), SHAPE(300, 96, 130, 32, 3, SW, TOPK, 0, 1),
    SHAPE(77, 31, 17, 4, 4, SW, THR, 0, 0),    SHAPE(600, 128, 256, 8, 2, SW, TOPK, 0, 0),
};

static double hidden_cols(const struct ab_shape *s)
{
    return s->v[P_ACT] == AB_MOE_ACT_SWIGLU ? 2.0 * (double)s->v[P_F] : (double)s->v[P_F];
}

double ab__moe_ffn_flops(const struct ab_shape *s)
{
    double rows = (double)s->v[P_T] * (double)s->v[P_K], d = (double)s->v[P_D], f = (double)s->v[P_F];
    return 2.0 * rows * (hidden_cols(s) * d + d * f);
}

double ab__moe_ffn_bytes(const struct ab_shape *s)
{
    double t = (double)s->v[P_T], d = (double)s->v[P_D], f = (double)s->v[P_F], e = (double)s->v[P_E];
    return 4.0 * (2.0 * t * d + e * (hidden_cols(s) * d + d * f));
}

static uint64_t ffn_io_bytes(const struct ab_shape *s)
{
    return (uint64_t)ab__moe_ffn_bytes(s);
}

static double ffn_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_T];
}


static enum ab_status ffn_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                   struct ab_error *err)
{
    if (!ab_shape_valid(&ab_family_moe_ffn, shape) || shape->v[P_K] > shape->v[P_E])
        return ab_error_set(err, AB_EINVAL, "moe_ffn: shape outside parameter ranges (k <= experts)");
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_moe_ffn, shape, seed, sizeof(struct ffn_case), &base, err);
    if (st != AB_OK)
        return st;
    struct ffn_case *g = (struct ffn_case *)base;
    size_t n_t = (size_t)shape->v[P_T], d = (size_t)shape->v[P_D], f = (size_t)shape->v[P_F];
    size_t n_e = (size_t)shape->v[P_E], k = (size_t)shape->v[P_K];
    size_t h = (size_t)hidden_cols(shape);
    struct ab_moe_ffn_args *a = &g->args;
    a->n_tokens = n_t;
    a->d_model = d;
    a->d_ff = f;
    a->n_experts = n_e;
    a->act = (enum ab_moe_act)shape->v[P_ACT];
    g->y_elems = n_t * d;
    g->x = ab_case_alloc(base, n_t * d * sizeof(float));
    g->w13 = ab_case_alloc(base, n_e * h * d * sizeof(float));
    g->w2 = ab_case_alloc(base, n_e * d * f * sizeof(float));
    g->expert = ab_case_alloc(base, n_t * k * sizeof(int32_t));
    g->weight = ab_case_alloc(base, n_t * k * sizeof(float));
    g->keep = ab_case_alloc(base, n_t * k);
    bool ok = g->x && g->w13 && g->w2 && g->expert && g->weight && g->keep;
    for (int s = 0; s < AB_SLOT_COUNT && ok; s++)
        ok = (g->y[s] = ab_case_alloc(base, g->y_elems * sizeof(float))) != NULL &&
             ab_case_output(base, (enum ab_slot)s, "y", g->y[s], AB_ELEM_F32, n_t, d, d);
    if (!ok) {
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "moe_ffn: out of memory for %zu experts of %zu x %zu", n_e, d, f);
    }
    /* owned buffers: the names only make ab_case_verify's messages readable */
    ab_case_input(base, "x", g->x, n_t * d * sizeof(float));
    ab_case_input(base, "w13", g->w13, n_e * h * d * sizeof(float));
    ab_case_input(base, "w2", g->w2, n_e * d * f * sizeof(float));
    ab_case_input(base, "expert", g->expert, n_t * k * sizeof(int32_t));
    ab_case_input(base, "weight", g->weight, n_t * k * sizeof(float));
    ab_case_input(base, "keep", g->keep, n_t * k);
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    st = ab__moe_route_case(&rng, g->args.n_tokens, g->args.d_model, g->args.n_experts,
                                           (enum ab_moe_gate)shape->v[P_GATE], (int)shape->v[P_K], shape->v[P_CAP],
                                           shape->v[P_DIST], g->x, g->expert, g->weight, g->keep);
    if (st != AB_OK) {
        ab_case_free(base);
        return ab_error_set(err, st, "moe_ffn: routing the case failed");
    }
    /* uniform with the variance of N(0, 1/fan_in): fast to draw for GB-sized weights */
    float a13 = (float)sqrt(3.0 / (double)d), a2 = (float)sqrt(3.0 / (double)f);
    ab_rng_fill_uniform_f32(&rng, g->w13, n_e * h * d, -a13, a13);
    ab_rng_fill_uniform_f32(&rng, g->w2, n_e * d * f, -a2, a2);
    a->x = g->x;
    a->w13 = g->w13;
    a->w2 = g->w2;
    a->route = (struct ab_moe_routing){n_t, (int)k, g->expert, g->weight, g->keep};
    *out_case = base;
    return AB_OK;
}

static enum ab_status ffn_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                   enum ab_slot slot)
{
    struct ffn_case *g = (struct ffn_case *)c;
    struct ab_moe_ffn_args args = g->args;
    args.y = g->y[slot];
    return kernel->fn.moe_ffn(&args, exec);
}

static void ffn_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct ffn_case *g = (const struct ffn_case *)c;
    ab_check_f32(g->y[AB_SLOT_REF], g->y[AB_SLOT_TEST], g->y_elems, ab_kernel_tolerance(kernel, &c->shape), out);
}

/* Routing figures of the case: how many expert rows the FFN really computed. */
static size_t ffn_case_metrics(struct ab_case *c, struct ab_metric *out)
{
    struct ffn_case *g = (struct ffn_case *)c;
    struct ab_moe_route_stats st;
    ab_moe_route_stats(&g->args.route, g->args.n_experts, NULL, &st);
    size_t n = 0;
    out[n++] = (struct ab_metric){"experts_per_token_mean", st.experts_per_token_mean, "experts"};
    out[n++] = (struct ab_metric){"load_cv", st.load_cv, "ratio"};
    out[n++] = (struct ab_metric){"dropped_slots", st.dropped_slots, "slots"};
    out[n++] = (struct ab_metric){"tokens_per_expert_mean",
                                  st.experts_per_token_mean * (double)g->args.n_tokens / (double)g->args.n_experts,
                                  "tokens"};
    return n;
}

const struct ab_family ab_family_moe_ffn = {
    .name = "moe_ffn",
    .doc = "MoE layer body: dispatch by expert, expert FFNs (SwiGLU / GELU), weighted combine",
    .flops_doc = "2*tokens*k*(h*d_model + d_model*d_ff), h = 2*d_ff (SwiGLU) or d_ff (GELU); nominal k slots",
    .params = ab__moe_ffn_params,
    .n_params = AB__FF_PARAM_COUNT,
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = ffn_tokens,
    .io_bytes = ffn_io_bytes,
    .case_new = ffn_case_new,
    .case_free = ab_case_free,
    .case_run = ffn_case_run,
    .case_compare = ffn_case_compare,
    .case_metrics = ffn_case_metrics,
};
