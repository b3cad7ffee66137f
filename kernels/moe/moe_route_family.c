/*
 * moe_route_family.c - the moe_route family (gate semantics in moe.h): parameters,
 * sweeps, seeded cases, the set comparison, routing statistics and metrics, and the
 * capacity pass every variant shares.
 *
 * Hard cases in the test sweep: one token, E = 1, k = E (up to 256), exact logit ties
 * (duplicated gate rows: the lower index must win everywhere), all-zero gate (every
 * probability 1/E: tau above all of them, argmax fallback on a full tie), every token
 * to one expert with capacity overflow, top-p with k caps, sigmoid with bias, and exact
 * peaked logits (one 9, seven 0, the rest -3: the top weight is a sum of 1 and many
 * tiny terms, where a float running sum over 128 experts drifts by ~6e-6).
 *
 * Comparison: per token, the sets of selected experts and their keep flags must match
 * the reference's; a row may differ only on a near tie (two of the best k+1 keys within
 * 1e-5, a probability within 1e-5 of tau, or a cumulative sum within 1e-5 of top_p),
 * where float and double legitimately disagree; with capacity on, comparison stops at
 * the first such row (later grants depend on it). Weights of matched slots by relative
 * Frobenius error.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/moe.h"
#include "archbench/rng.h"

#include "moe_impl.h"

enum {
    P_T = AB__RT_TOKENS, P_D = AB__RT_D_MODEL, P_E = AB__RT_EXPERTS, P_K = AB__RT_K, P_GATE = AB__RT_GATE,
    P_RENORM = AB__RT_RENORM, P_TAU = AB__RT_TAU_PCT, P_TOPP = AB__RT_TOP_P_PCT, P_CAP = AB__RT_CAP_PCT,
    P_DIST = AB__RT_DIST, P_SPREAD = AB__RT_SPREAD
};

static const char *const bool_names[] = {"0", "1"};
static const char *const gate_names[] = {"softmax_topk", "threshold", "top_p", "sigmoid_bias"};
static const char *const dist_names[] = {"normal", "ties", "one_expert", "peaked"};
_Static_assert(sizeof gate_names / sizeof gate_names[0] == AB_MOE_GATE_COUNT, "a name per gate");
_Static_assert(sizeof dist_names / sizeof dist_names[0] == AB__RT_DIST_COUNT, "a name per distribution");

static const struct ab_param route_params[] = {
    [P_T] = {"tokens", "tokens routed in one call", 4096, 1, INT64_C(1) << 22, NULL, 0},
    [P_D] = {"d_model", "model width (gate GEMM reduction length)", 1024, 1, 65536, NULL, 0},
    [P_E] = {"experts", "routed experts", 8, 1, AB_MOE_MAX_EXPERTS, NULL, 0},
    [P_K] = {"k", "experts per token (top-k), or the cap (threshold, top-p)", 2, 1, AB_MOE_MAX_EXPERTS, NULL, 0},
    [P_GATE] = {"gate", "softmax_topk, threshold, top_p, sigmoid_bias", 0, 0, AB_MOE_GATE_COUNT - 1, gate_names,
                AB_MOE_GATE_COUNT},
    [P_RENORM] = {"renorm", "1: divide weights by their sum (top-k, top-p, sigmoid)", 0, 0, 1, bool_names, 2},
    [P_TAU] = {"tau_pct", "threshold gate: tau in percent", 30, 0, 100, NULL, 0},
    [P_TOPP] = {"top_p_pct", "top-p gate: cumulative probability in percent", 50, 0, 100, NULL, 0},
    [P_CAP] = {"cap_pct", "capacity factor in percent, 0 = no capacity", 0, 0, 100000, NULL, 0},
    [P_DIST] = {"dist",
                "normal, ties (duplicated gate rows), one_expert (all tokens prefer expert 0), peaked (exact "
                "logits 9, 0 x7, -3 for the rest)",
                0, 0,
                AB__RT_DIST_COUNT - 1, dist_names, AB__RT_DIST_COUNT},
    [P_SPREAD] = {"spread", "standard deviation of the logits, in tenths (0: all logits equal)", 10, 0, 1000, NULL,
                  0},
};

#define SHAPE(t, d, e, k, gate, renorm, tau, topp, cap, dist, spread) \
    {{t, d, e, k, gate, renorm, tau, topp, cap, dist, spread}}
#define TOPK AB_MOE_GATE_SOFTMAX_TOPK
#define THR AB_MOE_GATE_THRESHOLD
#define TOPP AB_MOE_GATE_TOP_P
#define SIG AB_MOE_GATE_SIGMOID_BIAS
#define NORMAL AB__RT_DIST_NORMAL
#define TIES AB__RT_DIST_TIES
#define ONE AB__RT_DIST_ONE
#define PEAKED AB__RT_DIST_PEAKED

static const struct ab_shape sweep_default[] = {
    SHAPE(4096, 1024, 8, 2, TOPK, 0, 30, 50, 0, NORMAL, 10),   /* article A V3: 8 experts top-2, no renorm */
    SHAPE(4096, 1024, 8, 2, TOPK, 1, 30, 50, 0, NORMAL, 10),   /* Mixtral */
    SHAPE(4096, 1024, 128, 2, TOPK, 1, 30, 50, 0, NORMAL, 10), /* article B R1: 128 experts top-2 */
    SHAPE(4096, 1024, 4, 4, THR, 0, 30, 50, 0, NORMAL, 10),    /* article A R1: 4 experts, tau 0.3 */
    SHAPE(4096, 1024, 8, 8, THR, 0, 30, 50, 0, NORMAL, 10),
    SHAPE(4096, 1024, 8, 8, TOPP, 0, 30, 40, 0, NORMAL, 10),   /* Dynamic-MoE p = 0.4 */
    SHAPE(4096, 1024, 256, 8, SIG, 1, 30, 50, 0, NORMAL, 10),  /* DeepSeek-V3-like sigmoid gate */
    SHAPE(4096, 1024, 8, 1, TOPK, 0, 30, 50, 125, NORMAL, 10), /* Switch top-1, capacity 1.25 */
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(4096, 1024, 8, 2, TOPK, 0, 30, 50, 0, NORMAL, 10),
    SHAPE(4096, 1024, 128, 2, TOPK, 1, 30, 50, 0, NORMAL, 10),
    SHAPE(4096, 1024, 4, 4, THR, 0, 30, 50, 0, NORMAL, 10),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 16, 1, 1, TOPK, 0, 30, 50, 0, NORMAL, 10),      SHAPE(1, 7, 8, 2, TOPK, 1, 30, 50, 0, NORMAL, 10),
    SHAPE(33, 17, 8, 8, TOPK, 0, 30, 50, 0, NORMAL, 10),     SHAPE(20, 64, 256, 256, TOPK, 1, 30, 50, 0, NORMAL, 10),
    SHAPE(65, 33, 16, 3, TOPK, 0, 30, 50, 0, TIES, 10),      SHAPE(65, 33, 16, 4, SIG, 1, 30, 50, 0, TIES, 10),
    SHAPE(50, 40, 8, 4, THR, 0, 30, 50, 0, NORMAL, 0),       SHAPE(50, 40, 8, 8, THR, 0, 30, 50, 0, NORMAL, 30),
    SHAPE(77, 40, 4, 4, THR, 0, 30, 50, 0, NORMAL, 10),      SHAPE(50, 40, 8, 8, THR, 0, 99, 50, 0, TIES, 10),
    SHAPE(64, 64, 8, 2, TOPK, 1, 30, 50, 100, ONE, 10),      SHAPE(64, 64, 8, 1, TOPK, 0, 30, 50, 125, NORMAL, 10),
    SHAPE(99, 31, 8, 8, TOPP, 0, 30, 40, 0, NORMAL, 10),     SHAPE(99, 31, 8, 3, TOPP, 1, 30, 90, 0, NORMAL, 10),
    SHAPE(99, 31, 8, 8, TOPP, 0, 30, 100, 0, NORMAL, 10),    SHAPE(130, 100, 128, 2, TOPK, 1, 30, 50, 200, ONE, 10),
    SHAPE(300, 129, 256, 8, SIG, 1, 30, 50, 0, NORMAL, 10),  SHAPE(300, 129, 64, 6, SIG, 0, 30, 50, 150, NORMAL, 10),
    SHAPE(1000, 256, 32, 2, TOPK, 0, 30, 50, 0, NORMAL, 10), SHAPE(40, 24, 1, 1, THR, 0, 30, 50, 100, NORMAL, 10),
    /* token 0 sees logits [9, 0 x7, -3 x120]: softmax top-2 without renormalisation */
    SHAPE(1, 16, 128, 2, TOPK, 0, 30, 50, 0, PEAKED, 10),    SHAPE(37, 16, 256, 8, TOPK, 0, 30, 50, 0, PEAKED, 10),
    SHAPE(37, 16, 128, 4, TOPP, 0, 30, 50, 0, PEAKED, 10),   SHAPE(37, 16, 128, 4, THR, 0, 30, 50, 0, PEAKED, 10),
};

double ab__moe_route_flops(const struct ab_shape *s)
{
    return 2.0 * (double)s->v[P_T] * (double)s->v[P_D] * (double)s->v[P_E];
}

double ab__moe_route_bytes(const struct ab_shape *s)
{
    double t = (double)s->v[P_T], d = (double)s->v[P_D], e = (double)s->v[P_E], k = (double)s->v[P_K];
    return 4.0 * (t * d + e * d) + t * k * 9.0;
}

static uint64_t route_io_bytes(const struct ab_shape *s)
{
    return (uint64_t)ab__moe_route_bytes(s);
}

static double route_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_T];
}

enum ab_status ab__moe_route_check(const struct ab_moe_route_args *a, const struct ab_exec *exec)
{
    if (!a || !exec || exec->n_threads < 1 || !a->x || !a->w_gate || !a->expert || !a->weight || !a->keep)
        return AB_EINVAL;
    if (a->n_experts < 1 || a->n_experts > AB_MOE_MAX_EXPERTS || a->k < 1 || (size_t)a->k > a->n_experts ||
        a->d_model < 1 || (unsigned)a->gate >= AB_MOE_GATE_COUNT)
        return AB_EINVAL;
    return AB_OK;
}

size_t ab_moe_capacity(size_t n_tokens, int k, size_t n_experts, float capacity_factor)
{
    if (!(capacity_factor > 0.0f) || n_experts == 0)
        return 0;
    return (size_t)ceil((double)capacity_factor * (double)n_tokens * (double)k / (double)n_experts);
}

void ab__moe_apply_capacity(const struct ab_moe_route_args *a, size_t *counts)
{
    size_t cap = ab_moe_capacity(a->n_tokens, a->k, a->n_experts, a->capacity_factor);
    if (cap == 0)
        return;
    for (size_t e = 0; e < a->n_experts; e++)
        counts[e] = 0;
    size_t k = (size_t)a->k;
    for (size_t i = 0; i < a->n_tokens * k; i++) {
        int32_t e = a->expert[i];
        if (e < 0 || !a->keep[i])
            continue;
        if (counts[e] < cap) {
            counts[e]++;
        } else {
            a->keep[i] = 0;
            a->weight[i] = 0.0f;
        }
    }
}

void ab_moe_route_stats(const struct ab_moe_routing *r, size_t n_experts, const float *probs,
                        struct ab_moe_route_stats *out)
{
    memset(out, 0, sizeof *out);
    size_t load[AB_MOE_MAX_EXPERTS] = {0};
    double p_mean[AB_MOE_MAX_EXPERTS] = {0};
    size_t k = (size_t)r->k, n_sel = 0, n_kept = 0;
    for (size_t t = 0; t < r->n_tokens; t++) {
        size_t kept = 0;
        for (size_t s = 0; s < k; s++) {
            int32_t e = r->expert[t * k + s];
            if (e < 0 || (size_t)e >= n_experts)
                continue;
            n_sel++;
            load[e]++;
            if (r->keep[t * k + s])
                kept++;
            else
                out->dropped_slots += 1.0;
        }
        n_kept += kept;
        out->tokens_with_n[kept < 4 ? kept : 4] += 1.0;
        if (kept == 0)
            out->dropped_tokens += 1.0;
        if (probs)
            for (size_t e = 0; e < n_experts; e++)
                p_mean[e] += (double)probs[t * n_experts + e];
    }
    double n_t = (double)r->n_tokens;
    if (n_t > 0.0) {
        out->experts_per_token_mean = (double)n_kept / n_t;
        out->selected_per_token_mean = (double)n_sel / n_t;
        for (int i = 0; i < 5; i++)
            out->tokens_with_n[i] /= n_t;
    }
    double mean = (double)n_sel / (double)n_experts, var = 0.0, mx = 0.0, aux = 0.0;
    for (size_t e = 0; e < n_experts; e++) {
        double dl = (double)load[e] - mean;
        var += dl * dl;
        mx = (double)load[e] > mx ? (double)load[e] : mx;
        if (n_sel && n_t > 0.0)
            aux += ((double)load[e] / (double)n_sel) * (p_mean[e] / n_t);
    }
    var /= (double)n_experts;
    out->load_cv = mean > 0.0 ? sqrt(var) / mean : 0.0;
    out->load_max_over_mean = mean > 0.0 ? mx / mean : 0.0;
    out->aux_loss = probs ? (double)n_experts * aux : (double)NAN;
}

/* ---- cases ------------------------------------------------------------------------- */

struct route_case {
    struct ab_case base;  /* first member: see kernel.h */
    struct ab_moe_route_args args;
    float *x, *wg, *bias;
    int32_t *expert[AB_SLOT_COUNT];
    float *weight[AB_SLOT_COUNT];
    uint8_t *keep[AB_SLOT_COUNT];
};

/* Seeded router inputs; shared with the layer families through moe_impl.h. */
void ab__moe_fill_router(struct ab_rng *rng, int64_t dist, int64_t spread, size_t n_t, size_t d, size_t n_e,
                         float *x, float *wg)
{
    ab_rng_fill_normal_f32(rng, x, n_t * d, 0.0f, 1.0f);
    float sd = (float)((double)spread / 10.0 / sqrt((double)d));
    if (spread == 0)
        for (size_t i = 0; i < n_e * d; i++)
            wg[i] = 0.0f;
    else
        ab_rng_fill_normal_f32(rng, wg, n_e * d, 0.0f, sd);
    if (dist == AB__RT_DIST_TIES)
        for (size_t e = 1; e < n_e; e += 2)
            memcpy(wg + e * d, wg + (e - 1) * d, d * sizeof(float));
    if (dist == AB__RT_DIST_PEAKED) {
        /* x_t is the unit vector j = t % d, so logit(t, e) = wg[e d + j] exactly (every
         * other product is 0, in float and double alike); column j gives 9 to expert
         * j % E, 0 to the 7 after it and -3 to the rest. */
        memset(x, 0, n_t * d * sizeof(float));
        for (size_t t = 0; t < n_t; t++)
            x[t * d + t % d] = 1.0f;
        for (size_t e = 0; e < n_e; e++)
            for (size_t j = 0; j < d; j++) {
                size_t r = (e + n_e - j % n_e) % n_e;
                wg[e * d + j] = r == 0 ? 9.0f : r <= 7 ? 0.0f : -3.0f;
            }
    }
    if (dist == AB__RT_DIST_ONE) {
        /* a constant feature that only expert 0 listens to: +8 on its logit */
        for (size_t t = 0; t < n_t; t++)
            x[t * d] = 2.0f;
        for (size_t e = 0; e < n_e; e++)
            wg[e * d] = e == 0 ? 4.0f : 0.0f;
    }
}

/*
 * Route a layer case (moe_ffn, moe_ffn_i8, moe_dispatch) with the reference router,
 * untimed: seeded router inputs, the router's own x copied to `x` (so dist = one_expert
 * also shapes the layer input), and the chosen experts, weights and keep flags.
 * Renormalised top-k / threshold with tau 0.3, as the layer families document.
 */
enum ab_status ab__moe_route_case(struct ab_rng *rng, size_t n_t, size_t d, size_t n_e, enum ab_moe_gate gate, int k,
                                  int64_t cap_pct, int64_t dist, float *x, int32_t *expert, float *weight,
                                  uint8_t *keep)
{
    float *wg = ab_aligned_alloc(AB_ALIGN_BYTES, n_e * d * sizeof(float));
    float *xr = ab_aligned_alloc(AB_ALIGN_BYTES, n_t * d * sizeof(float));
    const struct ab_kernel *ref = ab_kernel_ref(&ab_family_moe_route);
    struct ab_shape rs;
    ab_shape_default(&ab_family_moe_route, &rs);
    rs.v[AB__RT_TOKENS] = (int64_t)n_t;
    rs.v[AB__RT_D_MODEL] = (int64_t)d;
    rs.v[AB__RT_EXPERTS] = (int64_t)n_e;
    size_t wsb = ref->workspace_bytes(&rs, 1);
    void *ws = ab_aligned_alloc(AB_ALIGN_BYTES, wsb ? wsb : 1);
    enum ab_status st = AB_ENOMEM;
    if (wg && xr && ws) {
        ab__moe_fill_router(rng, dist, 10, n_t, d, n_e, xr, wg);
        memcpy(x, xr, n_t * d * sizeof(float));
        struct ab_moe_route_args ra = {
            .n_tokens = n_t, .d_model = d, .n_experts = n_e, .x = xr, .w_gate = wg, .sel_bias = NULL,
            .gate = gate, .k = k, .renormalize = true, .tau = 0.3f, .top_p = 0.5f, .route_scale = 1.0f,
            .capacity_factor = (float)cap_pct / 100.0f, .expert = expert, .weight = weight, .keep = keep,
        };
        struct ab_exec ex = {.n_threads = 1, .workspace = ws, .workspace_bytes = wsb};
        st = ref->fn.moe_route(&ra, &ex);
    }
    ab_free(wg);
    ab_free(xr);
    ab_free(ws);
    return st;
}

static enum ab_status route_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                     struct ab_error *err)
{
    if (!ab_shape_valid(&ab_family_moe_route, shape) || shape->v[P_K] > shape->v[P_E])
        return ab_error_set(err, AB_EINVAL, "moe_route: shape outside parameter ranges (k <= experts)");
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_moe_route, shape, seed, sizeof(struct route_case), &base, err);
    if (st != AB_OK)
        return st;
    struct route_case *g = (struct route_case *)base;
    size_t n_t = (size_t)shape->v[P_T], d = (size_t)shape->v[P_D], n_e = (size_t)shape->v[P_E];
    size_t k = (size_t)shape->v[P_K];
    g->x = ab_case_alloc(base, n_t * d * sizeof(float));
    g->wg = ab_case_alloc(base, n_e * d * sizeof(float));
    g->bias = ab_case_alloc(base, n_e * sizeof(float));
    bool ok = g->x && g->wg && g->bias && ab_case_input(base, "x", g->x, n_t * d * sizeof(float)) &&
              ab_case_input(base, "w_gate", g->wg, n_e * d * sizeof(float)) &&
              ab_case_input(base, "sel_bias", g->bias, n_e * sizeof(float));
    for (int s = 0; s < AB_SLOT_COUNT && ok; s++) {
        enum ab_slot slot = (enum ab_slot)s;
        g->expert[s] = ab_case_alloc(base, n_t * k * sizeof(int32_t));
        g->weight[s] = ab_case_alloc(base, n_t * k * sizeof(float));
        g->keep[s] = ab_case_alloc(base, n_t * k);
        ok = g->expert[s] && g->weight[s] && g->keep[s] &&
             ab_case_output(base, slot, "expert", g->expert[s], AB_ELEM_I32, n_t, k, k) &&
             ab_case_output(base, slot, "weight", g->weight[s], AB_ELEM_F32, n_t, k, k) &&
             ab_case_output(base, slot, "keep", g->keep[s], AB_ELEM_U8, n_t, k, k);
    }
    if (!ok) {
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "moe_route: out of memory for %zu tokens x %zu experts", n_t, n_e);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    ab__moe_fill_router(&rng, shape->v[P_DIST], shape->v[P_SPREAD], n_t, d, n_e, g->x, g->wg);
    /* selection bias as an aux-loss-free balancer would leave it: small, per expert */
    ab_rng_fill_uniform_f32(&rng, g->bias, n_e, -0.05f, 0.05f);
    struct ab_moe_route_args *a = &g->args;
    a->n_tokens = n_t;
    a->d_model = d;
    a->n_experts = n_e;
    a->x = g->x;
    a->w_gate = g->wg;
    a->sel_bias = g->bias;
    a->gate = (enum ab_moe_gate)shape->v[P_GATE];
    a->k = (int)k;
    a->renormalize = shape->v[P_RENORM] != 0;
    a->tau = (float)shape->v[P_TAU] / 100.0f;
    a->top_p = (float)shape->v[P_TOPP] / 100.0f;
    a->route_scale = a->gate == AB_MOE_GATE_SIGMOID_BIAS ? 2.5f : 1.0f;
    a->capacity_factor = (float)shape->v[P_CAP] / 100.0f;
    *out_case = &g->base;
    return AB_OK;
}

static enum ab_status route_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                     enum ab_slot slot)
{
    struct route_case *g = (struct route_case *)c;
    struct ab_moe_route_args args = g->args;
    args.expert = g->expert[slot];
    args.weight = g->weight[slot];
    args.keep = g->keep[slot];
    return kernel->fn.moe_route(&args, exec);
}

/* Normalised scores of token t in double (softmax p, or sigmoid s / sum s when
 * normalise; raw sigmoid + bias keys when `keys`). */
static void token_scores(const struct ab_moe_route_args *a, size_t t, bool keys, double *out)
{
    size_t n_e = a->n_experts, d = a->d_model;
    double mx = -INFINITY, sum = 0.0;
    for (size_t e = 0; e < n_e; e++) {
        double s = 0.0;
        for (size_t p = 0; p < d; p++)
            s += (double)a->x[t * d + p] * (double)a->w_gate[e * d + p];
        out[e] = s;
        mx = s > mx ? s : mx;
    }
    for (size_t e = 0; e < n_e; e++) {
        if (a->gate == AB_MOE_GATE_SIGMOID_BIAS) {
            out[e] = 1.0 / (1.0 + exp(-out[e]));
            if (keys)
                out[e] += a->sel_bias ? (double)a->sel_bias[e] : 0.0;
        } else {
            out[e] = exp(out[e] - mx);
        }
        sum += out[e];
    }
    if (!(keys && a->gate == AB_MOE_GATE_SIGMOID_BIAS))
        for (size_t e = 0; e < n_e; e++)
            out[e] /= sum;
}

static bool near_tie(const struct ab_moe_route_args *a, size_t t)
{
    double key[AB_MOE_MAX_EXPERTS];
    token_scores(a, t, true, key);
    size_t n_e = a->n_experts, lim = (size_t)a->k + 1 < n_e ? (size_t)a->k + 1 : n_e;
    const double eps = 1e-5;
    /* the k+1 largest keys, naive selection */
    double best[AB_MOE_MAX_EXPERTS];
    bool used[AB_MOE_MAX_EXPERTS] = {false};
    for (size_t i = 0; i < lim; i++) {
        size_t arg = 0;
        double v = -INFINITY;
        for (size_t e = 0; e < n_e; e++)
            if (!used[e] && key[e] > v) {
                v = key[e];
                arg = e;
            }
        used[arg] = true;
        best[i] = v;
    }
    for (size_t i = 0; i + 1 < lim; i++)
        if (best[i] - best[i + 1] < eps)
            return true;
    double cum = 0.0;
    for (size_t i = 0; i < lim; i++) {
        cum += best[i];
        if (a->gate == AB_MOE_GATE_THRESHOLD && fabs(best[i] - (double)a->tau) < eps)
            return true;
        if (a->gate == AB_MOE_GATE_TOP_P && fabs(cum - (double)a->top_p) < eps)
            return true;
    }
    return false;
}

static void route_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct route_case *g = (const struct route_case *)c;
    const struct ab_moe_route_args *a = &g->args;
    memset(out, 0, sizeof *out);
    out->cmp = AB_CMP_SETS;
    out->tol = ab_kernel_tolerance(kernel, &c->shape);
    out->cosine = 1.0;
    size_t k = (size_t)a->k;
    double diff2 = 0.0, ref2 = 0.0;
    int64_t n_ties = 0, first_bad = -1;
    bool capacity = a->capacity_factor > 0.0f;
    for (size_t t = 0; t < a->n_tokens; t++) {
        const int32_t *re = g->expert[AB_SLOT_REF] + t * k, *te = g->expert[AB_SLOT_TEST] + t * k;
        const float *rw = g->weight[AB_SLOT_REF] + t * k, *tw = g->weight[AB_SLOT_TEST] + t * k;
        const uint8_t *rk = g->keep[AB_SLOT_REF] + t * k, *tk = g->keep[AB_SLOT_TEST] + t * k;
        bool same = true;
        size_t n_ref = 0, n_test = 0;
        for (size_t s = 0; s < k; s++) {
            n_ref += re[s] >= 0;
            n_test += te[s] >= 0;
        }
        same = n_ref == n_test;
        for (size_t s = 0; s < k && same; s++) {
            if (re[s] < 0)
                continue;
            size_t u = 0;
            while (u < k && te[u] != re[s])
                u++;
            if (u == k || rk[s] != tk[u]) {
                same = false;
                break;
            }
            double dw = (double)tw[u] - (double)rw[s];
            diff2 += dw * dw;
            ref2 += (double)rw[s] * (double)rw[s];
            out->max_abs_err = fabs(dw) > out->max_abs_err ? fabs(dw) : out->max_abs_err;
        }
        if (same)
            continue;
        if (near_tie(a, t)) {
            n_ties++;
            if (capacity)
                break;
            continue;
        }
        out->n_mismatch++;
        if (first_bad < 0)
            first_bad = (int64_t)t;
    }
    out->err = ref2 > 0.0 ? sqrt(diff2 / ref2) : sqrt(diff2);
    out->ok = out->n_mismatch == 0 && out->err <= out->tol;
    if (first_bad >= 0) {
        size_t t = (size_t)first_bad;
        snprintf(out->detail, sizeof out->detail,
                 "%lld token(s) with other experts, first %zu: ref [%d %d ...] test [%d %d ...] (%lld near ties)",
                 (long long)out->n_mismatch, t, g->expert[AB_SLOT_REF][t * k],
                 k > 1 ? g->expert[AB_SLOT_REF][t * k + 1] : -1, g->expert[AB_SLOT_TEST][t * k],
                 k > 1 ? g->expert[AB_SLOT_TEST][t * k + 1] : -1, (long long)n_ties);
    } else {
        snprintf(out->detail, sizeof out->detail, "weights rel_fro %.3g (tol %.3g), %lld near-tie token(s)",
                 out->err, out->tol, (long long)n_ties);
    }
}

static size_t route_case_metrics(struct ab_case *c, struct ab_metric *out)
{
    struct route_case *g = (struct route_case *)c;
    const struct ab_moe_route_args *a = &g->args;
    float *probs = ab_malloc(a->n_tokens * a->n_experts * sizeof(float));
    if (probs) {
        double row[AB_MOE_MAX_EXPERTS];
        for (size_t t = 0; t < a->n_tokens; t++) {
            token_scores(a, t, false, row);
            for (size_t e = 0; e < a->n_experts; e++)
                probs[t * a->n_experts + e] = (float)row[e];
        }
    }
    struct ab_moe_routing r = {a->n_tokens, a->k, g->expert[AB_SLOT_REF], g->weight[AB_SLOT_REF],
                               g->keep[AB_SLOT_REF]};
    struct ab_moe_route_stats st;
    ab_moe_route_stats(&r, a->n_experts, probs, &st);
    ab_free(probs);
    size_t n = 0;
    out[n++] = (struct ab_metric){"experts_per_token_mean", st.experts_per_token_mean, "experts"};
    out[n++] = (struct ab_metric){"selected_per_token_mean", st.selected_per_token_mean, "experts"};
    out[n++] = (struct ab_metric){"tokens_with_0_experts", st.tokens_with_n[0], "ratio"};
    out[n++] = (struct ab_metric){"tokens_with_1_expert", st.tokens_with_n[1], "ratio"};
    out[n++] = (struct ab_metric){"tokens_with_2_experts", st.tokens_with_n[2], "ratio"};
    out[n++] = (struct ab_metric){"tokens_with_3_experts", st.tokens_with_n[3], "ratio"};
    out[n++] = (struct ab_metric){"tokens_with_4plus_experts", st.tokens_with_n[4], "ratio"};
    out[n++] = (struct ab_metric){"load_cv", st.load_cv, "ratio"};
    out[n++] = (struct ab_metric){"load_max_over_mean", st.load_max_over_mean, "ratio"};
    out[n++] = (struct ab_metric){"dropped_slots", st.dropped_slots, "slots"};
    out[n++] = (struct ab_metric){"dropped_tokens", st.dropped_tokens, "tokens"};
    out[n++] = (struct ab_metric){"aux_loss_switch", st.aux_loss, "ratio"};
    return n;
}

const struct ab_family ab_family_moe_route = {
    .name = "moe_route",
    .doc = "MoE gate: logits GEMM + softmax top-k / threshold / top-p / sigmoid-bias, optional capacity",
    .flops_doc = "2*tokens*d_model*experts (the gate GEMM; softmax and selection not counted)",
    .params = route_params,
    .n_params = sizeof route_params / sizeof route_params[0],
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = route_tokens,
    .io_bytes = route_io_bytes,
    .case_new = route_case_new,
    .case_free = ab_case_free,
    .case_run = route_case_run,
    .case_compare = route_case_compare,
    .case_metrics = route_case_metrics,
};
