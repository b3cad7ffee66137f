/*
 * test_moe.c - properties of the MoE and INT8 kernels beyond reference equivalence:
 * routing statistics against hand-worked values, deterministic tie-breaking, every gate
 * on inputs whose probabilities are known exactly, capacity in token order, parameter
 * accounting (Mixtral 8x7B as a known anchor, then the articles' claims A4, A5, B4),
 * quantisation error on Gaussian vs outlier inputs, and the INT8 model-size ratio;
 * the INT8 expert FFN as the composition of two gemm_i8 products, its error against the
 * FP32 layer, and the vector SiLU / GELU of the AVX-512 FFN on saturating inputs.
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/cpu.h"
#include "archbench/kernel.h"
#include "archbench/moe.h"
#include "archbench/quant.h"
#include "archbench/rng.h"

/* ---- routing statistics ------------------------------------------------------------- */

Test(moe_stats, hand_worked_routing)
{
    /* 4 tokens, k = 2, 4 experts; token 2's second slot dropped, token 3 has one expert */
    const int32_t expert[] = {0, 1, 0, 2, 0, 3, 1, -1};
    const float weight[] = {0.6f, 0.4f, 0.5f, 0.5f, 1.0f, 0.0f, 1.0f, 0.0f};
    const uint8_t keep[] = {1, 1, 1, 1, 1, 0, 1, 0};
    struct ab_moe_routing r = {4, 2, expert, weight, keep};
    float probs[16];
    for (int t = 0; t < 4; t++) {
        probs[t * 4 + 0] = 0.4f;
        probs[t * 4 + 1] = 0.3f;
        probs[t * 4 + 2] = 0.2f;
        probs[t * 4 + 3] = 0.1f;
    }
    struct ab_moe_route_stats st;
    ab_moe_route_stats(&r, 4, probs, &st);
    cr_expect_float_eq(st.experts_per_token_mean, 1.5, 1e-12);
    cr_expect_float_eq(st.selected_per_token_mean, 1.75, 1e-12);
    cr_expect_float_eq(st.tokens_with_n[1], 0.5, 1e-12);
    cr_expect_float_eq(st.tokens_with_n[2], 0.5, 1e-12);
    /* loads 3, 2, 1, 1: mean 1.75, variance 0.6875 */
    cr_expect_float_eq(st.load_cv, sqrt(0.6875) / 1.75, 1e-12);
    cr_expect_float_eq(st.load_max_over_mean, 3.0 / 1.75, 1e-12);
    cr_expect_float_eq(st.dropped_slots, 1.0, 1e-12);
    cr_expect_float_eq(st.dropped_tokens, 0.0, 1e-12);
    /* aux = E sum f_e P_e = 4 (3/7 0.4 + 2/7 0.3 + 1/7 0.2 + 1/7 0.1) = 1.2 */
    cr_expect_float_eq(st.aux_loss, 1.2, 1e-6);
}

Test(moe_stats, aux_loss_is_one_at_balance)
{
    int32_t expert[8];
    float weight[8];
    uint8_t keep[8];
    float probs[32];
    for (int t = 0; t < 8; t++) {
        expert[t] = t % 4;
        weight[t] = 1.0f;
        keep[t] = 1;
        for (int e = 0; e < 4; e++)
            probs[t * 4 + e] = 0.25f;
    }
    struct ab_moe_routing r = {8, 1, expert, weight, keep};
    struct ab_moe_route_stats st;
    ab_moe_route_stats(&r, 4, probs, &st);
    cr_expect_float_eq(st.aux_loss, 1.0, 1e-9);
    cr_expect_float_eq(st.load_cv, 0.0, 1e-12);
}

/* ---- gates on exact inputs ------------------------------------------------------------ */

#define MAX_T 8
#define MAX_E 8

struct route_out {
    int32_t expert[MAX_T * MAX_E];
    float weight[MAX_T * MAX_E];
    uint8_t keep[MAX_T * MAX_E];
};

/* d_model = 1 and x = 1: the logits are the gate weights themselves. */
static void route(const char *kernel, struct ab_moe_route_args a, const float *logits, struct route_out *out)
{
    const struct ab_kernel *k = ab_kernel_find(kernel);
    cr_assert_not_null(k, "%s registered", kernel);
    float x[MAX_T];
    for (int t = 0; t < MAX_T; t++)
        x[t] = 1.0f;
    a.d_model = 1;
    a.x = x;
    a.w_gate = logits;
    a.expert = out->expert;
    a.weight = out->weight;
    a.keep = out->keep;
    struct ab_shape s;
    ab_shape_default(&ab_family_moe_route, &s);
    s.v[0] = (int64_t)a.n_tokens;
    s.v[1] = 1;
    s.v[2] = (int64_t)a.n_experts;
    s.v[3] = a.k;
    size_t wsb = k->workspace_bytes(&s, 2);
    struct ab_exec ex = {.n_threads = 2, .workspace = wsb ? ab_aligned_alloc(64, wsb) : NULL, .workspace_bytes = wsb};
    cr_assert_eq(k->fn.moe_route(&a, &ex), AB_OK, "%s runs", kernel);
    ab_free(ex.workspace);
}

static const char *const routers[] = {"moe_route_ref", "moe_route_fast"};

Test(moe_gates, ties_prefer_the_lower_index)
{
    const float logits[] = {1.0f, 2.0f, 2.0f, 1.0f};
    for (int v = 0; v < 2; v++) {
        struct route_out o;
        struct ab_moe_route_args a = {.n_tokens = 1, .n_experts = 4, .gate = AB_MOE_GATE_SOFTMAX_TOPK, .k = 3,
                                      .route_scale = 1.0f};
        route(routers[v], a, logits, &o);
        cr_expect_eq(o.expert[0], 1, "%s", routers[v]);
        cr_expect_eq(o.expert[1], 2, "%s", routers[v]);
        cr_expect_eq(o.expert[2], 0, "%s: of the tied 1.0 logits, expert 0 wins", routers[v]);
    }
}

Test(moe_gates, softmax_topk_with_and_without_renormalising)
{
    const float logits[] = {logf(0.5f), logf(0.35f), logf(0.15f)};
    for (int v = 0; v < 2; v++) {
        struct route_out o;
        struct ab_moe_route_args a = {.n_tokens = 1, .n_experts = 3, .gate = AB_MOE_GATE_SOFTMAX_TOPK, .k = 2,
                                      .route_scale = 1.0f};
        route(routers[v], a, logits, &o);
        cr_expect_float_eq(o.weight[0], 0.5f, 1e-6f, "%s: article A's V3 gate keeps p", routers[v]);
        cr_expect_float_eq(o.weight[1], 0.35f, 1e-6f);
        a.renormalize = true;
        route(routers[v], a, logits, &o);
        cr_expect_float_eq(o.weight[0], 0.5f / 0.85f, 1e-6f, "%s: Mixtral renormalises", routers[v]);
        cr_expect_float_eq(o.weight[1], 0.35f / 0.85f, 1e-6f);
    }
}

Test(moe_gates, threshold_active_set_and_argmax_fallback)
{
    const float logits[] = {logf(0.5f), logf(0.35f), logf(0.15f)};
    const float flat[] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int v = 0; v < 2; v++) {
        struct route_out o;
        struct ab_moe_route_args a = {.n_tokens = 1, .n_experts = 3, .gate = AB_MOE_GATE_THRESHOLD, .k = 3,
                                      .tau = 0.3f, .route_scale = 1.0f};
        route(routers[v], a, logits, &o);
        cr_expect_eq(o.expert[0], 0);
        cr_expect_eq(o.expert[1], 1);
        cr_expect_eq(o.expert[2], -1, "%s: 0.15 is below tau", routers[v]);
        cr_expect_float_eq(o.weight[0] + o.weight[1], 1.0f, 1e-6f, "renormalised over the active set");
        cr_expect_float_eq(o.weight[0], 0.5f / 0.85f, 1e-6f);
        /* every probability 0.25 < tau: argmax fallback, full tie -> expert 0, weight 1 */
        a.n_experts = 4;
        a.k = 4;
        route(routers[v], a, flat, &o);
        cr_expect_eq(o.expert[0], 0, "%s: argmax fallback", routers[v]);
        cr_expect_eq(o.expert[1], -1);
        cr_expect_float_eq(o.weight[0], 1.0f, 1e-6f);
    }
}

Test(moe_gates, top_p_and_sigmoid_bias)
{
    const float logits[] = {logf(0.5f), logf(0.35f), logf(0.15f)};
    const float zeros[] = {0.0f, 0.0f, 0.0f};
    const float bias[] = {0.0f, 0.1f, 0.2f};
    for (int v = 0; v < 2; v++) {
        struct route_out o;
        struct ab_moe_route_args a = {.n_tokens = 1, .n_experts = 3, .gate = AB_MOE_GATE_TOP_P, .k = 3,
                                      .top_p = 0.6f, .route_scale = 1.0f};
        route(routers[v], a, logits, &o);
        cr_expect_eq(o.expert[0], 0);
        cr_expect_eq(o.expert[1], 1, "%s: 0.5 + 0.35 is the first sum above 0.6", routers[v]);
        cr_expect_eq(o.expert[2], -1);
        cr_expect_float_eq(o.weight[1], 0.35f, 1e-6f, "top-p weights are raw p");
        struct ab_moe_route_args s = {.n_tokens = 1, .n_experts = 3, .gate = AB_MOE_GATE_SIGMOID_BIAS, .k = 2,
                                      .renormalize = true, .route_scale = 2.5f, .sel_bias = bias};
        route(routers[v], s, zeros, &o);
        cr_expect_eq(o.expert[0], 2, "%s: the bias decides the selection", routers[v]);
        cr_expect_eq(o.expert[1], 1);
        cr_expect_float_eq(o.weight[0], 1.25f, 1e-6f, "weights from unbiased sigmoid 0.5, renormalised, x2.5");
    }
}

Test(moe_gates, capacity_drops_in_token_order)
{
    const float logits[] = {3.0f, 0.0f};
    for (int v = 0; v < 2; v++) {
        struct route_out o;
        struct ab_moe_route_args a = {.n_tokens = 4, .n_experts = 2, .gate = AB_MOE_GATE_SOFTMAX_TOPK, .k = 1,
                                      .route_scale = 1.0f, .capacity_factor = 1.0f};
        /* every token wants expert 0; capacity ceil(1.0 * 4 * 1 / 2) = 2 */
        cr_expect_eq(ab_moe_capacity(4, 1, 2, 1.0f), 2u);
        route(routers[v], a, logits, &o);
        for (int t = 0; t < 4; t++) {
            cr_expect_eq(o.expert[t], 0);
            cr_expect_eq(o.keep[t], t < 2, "%s: token %d", routers[v], t);
            if (t >= 2)
                cr_expect_eq(o.weight[t], 0.0f);
        }
    }
}

/* ---- parameter accounting ------------------------------------------------------------- */

Test(moe_params, mixtral_8x7b_anchor)
{
    /* public configuration: 32 layers, d 4096, GQA 32 x 128 q / 8 x 128 kv, d_ff 14336,
     * 8 experts top-2, vocab 32000 untied; published 46.7B total, 12.9B active */
    struct ab_moe_config c = {.n_layers = 32, .d_model = 4096, .vocab = 32000, .untied_head = true,
                              .d_attn = 4096, .d_kv = 1024, .d_ff = 14336, .act = AB_MOE_ACT_SWIGLU,
                              .n_experts = 8, .n_shared_experts = 0, .experts_per_token = 2.0};
    struct ab_moe_param_count p;
    ab_moe_count_params(&c, &p);
    cr_expect(fabs(p.total / 1e9 - 46.70) < 0.05, "total %.3fB", p.total / 1e9);
    cr_expect(fabs(p.active / 1e9 - 12.88) < 0.05, "active %.3fB", p.active / 1e9);
}

Test(moe_params, article_claims_against_the_shapes)
{
    /* A4: 8 experts, top-2, "13B total, 2.6B active" = 20%. Active >= 2/8 of the expert
     * parameters plus every dense one, so active/total >= 25% for ANY shapes. */
    double best = 1.0;
    for (int64_t layers = 8; layers <= 64; layers *= 2)
        for (int64_t d = 1024; d <= 8192; d *= 2)
            for (int64_t ff = d; ff <= 8 * d; ff *= 2) {
                struct ab_moe_config c = {.n_layers = layers, .d_model = d, .vocab = 32000, .d_attn = d,
                                          .d_ff = ff, .act = AB_MOE_ACT_SWIGLU, .n_experts = 8,
                                          .experts_per_token = 2.0};
                struct ab_moe_param_count p;
                ab_moe_count_params(&c, &p);
                double frac = p.active / p.total;
                best = frac < best ? frac : best;
                cr_expect(frac > 0.25, "A4 shapes give active/total %.3f", frac);
            }
    cr_log_info("A4: lowest active share of an 8-expert top-2 model over the grid %.4f (claim: 2.6/13 = 0.200)",
                best);
    /* A5: 4 experts, 1 per token, 0.875B of 3.5B = exactly 25%: only with zero dense
     * parameters, and threshold routing averages more than 1 expert per token */
    struct ab_moe_config r1 = {.n_layers = 24, .d_model = 2048, .vocab = 32000, .d_attn = 2048, .d_ff = 5632,
                               .act = AB_MOE_ACT_SWIGLU, .n_experts = 4, .experts_per_token = 1.0};
    struct ab_moe_param_count p;
    ab_moe_count_params(&r1, &p);
    cr_expect(p.active / p.total > 0.25, "A5 shapes: %.3f", p.active / p.total);
    /* B4: 128 experts, top-2, 35B of 175B active: possible, with a dense share of
     * (0.2 - 2/128) / (1 - 2/128) = 18.7% of the parameters */
    double dense_share = (35.0 / 175.0 - 2.0 / 128.0) / (1.0 - 2.0 / 128.0);
    cr_expect(dense_share > 0.18 && dense_share < 0.19);
}

/* ---- INT8 ------------------------------------------------------------------------------ */

static double metric(const struct ab_metric *m, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, name) == 0)
            return m[i].value;
    return NAN;
}

static void qerr(int64_t dist, double *out_rel, double *out_cos)
{
    const struct ab_family *f = ab_family_find("gemm_i8");
    cr_assert_not_null(f);
    struct ab_shape s;
    ab_shape_default(f, &s);
    s.v[0] = 64;
    s.v[1] = 256;
    s.v[2] = 1024;
    s.v[3] = dist;
    struct ab_case *c = NULL;
    cr_assert_eq(f->case_new(&s, 7, &c, NULL), AB_OK);
    struct ab_metric m[AB_METRICS_MAX];
    size_t n = f->case_metrics(c, m);
    *out_rel = metric(m, n, "qerr_rel_fro_vs_f32");
    *out_cos = metric(m, n, "qerr_cosine_vs_f32");
    f->case_free(c);
}

Test(int8, quantisation_error_gaussian_vs_outliers)
{
    double rel_g, cos_g, rel_o, cos_o;
    qerr(0, &rel_g, &cos_g);
    qerr(1, &rel_o, &cos_o);
    cr_log_info("int8 W8A8 vs fp32, k=1024: gaussian rel %.4f cos %.6f; 4 outlier channels x20 rel %.4f cos %.6f",
                rel_g, cos_g, rel_o, cos_o);
    cr_expect(rel_g > 0.005 && rel_g < 0.02, "gaussian rel-Fro %.4f (expected ~1.1%%)", rel_g);
    cr_expect(cos_g > 0.9999, "gaussian cosine %.6f", cos_g);
    cr_expect(rel_o > 2.0 * rel_g, "outlier channels hurt per-token scales: %.4f vs %.4f", rel_o, rel_g);
}

Test(int8, model_size_ratio_from_bytes)
{
    /* a 4096 x 4096 layer: int8 weights padded as packed, plus one float scale per channel */
    size_t n = 4096, k = 4096;
    double i8 = (double)ab_i8_weights_storage_bytes(n, k);
    double from_f32 = 4.0 * (double)(n * k) / i8, from_f16 = 2.0 * (double)(n * k) / i8;
    cr_log_info("size ratio: fp32 -> int8 %.4f, fp16 -> int8 %.4f", from_f32, from_f16);
    cr_expect(from_f32 > 3.99 && from_f32 < 4.0, "fp32 -> int8 %.4f: article A's 4x is this one", from_f32);
    cr_expect(from_f16 > 1.99 && from_f16 < 2.0, "fp16 -> int8 %.4f", from_f16);
    /* the extremes of int8 survive the weight path (set, not quantised): -128 is kept */
    struct ab_i8_weights *w = NULL;
    cr_assert_eq(ab_i8_weights_new(1, 4, &w), AB_OK);
    const int8_t q[] = {-128, 127, -1, 0};
    const float sc[] = {1.0f};
    ab_i8_weights_set(w, q, 4, sc);
    cr_expect_eq(w->packed[0], -128);
    cr_expect_eq(w->comp[0], 128 * (-2));
    ab_i8_weights_free(w);
}

/*
 * Rounding of the quantisers is half to even (quant.h): with max |x| = 127 the scale is
 * exactly 1, so q = rint(x) and half-way values show the rule: 2.5 -> 2, 3.5 -> 4
 * (half away from zero would give 3 and 4). Checked for the scalar activation
 * quantiser, the weight quantiser and every runnable gemm_i8 variant's own (vector)
 * activation quantiser, read back through identity weights and int32 output.
 */
Test(int8, quantisers_round_half_to_even)
{
    enum { K = 13 };
    const float x[K] = {127.0f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, 1.5f, -0.5f, -1.5f, 126.5f, -126.5f, 125.5f, 4.5f};
    const int8_t want[K] = {127, 2, 4, -2, -4, 0, 2, 0, -2, 126, -126, 126, 4};
    int8_t q[K];
    cr_assert_eq(ab_i8_quantize_row(x, K, q), 1.0f, "scale 127 / 127");
    for (int p = 0; p < K; p++)
        cr_expect_eq(q[p], want[p], "activation %g -> %d, want %d", (double)x[p], q[p], want[p]);

    struct ab_i8_weights *w = NULL;
    cr_assert_eq(ab_i8_weights_new(1, K, &w), AB_OK);
    ab_i8_weights_quantize(w, x, K);
    for (int p = 0; p < K; p++)
        cr_expect_eq(w->q[p], want[p], "weight %g -> %d, want %d", (double)x[p], w->q[p], want[p]);
    ab_i8_weights_free(w);

    /* identity weights: acc[j] = xq[j] */
    int8_t eye[K * K] = {0};
    float one[K];
    for (int j = 0; j < K; j++) {
        eye[j * K + j] = 1;
        one[j] = 1.0f;
    }
    cr_assert_eq(ab_i8_weights_new(K, K, &w), AB_OK);
    ab_i8_weights_set(w, eye, K, one);
    struct ab_shape s;
    ab_shape_default(&ab_family_gemm_i8, &s);
    s.v[ab_param_index(&ab_family_gemm_i8, "m")] = 1;
    s.v[ab_param_index(&ab_family_gemm_i8, "n")] = K;
    s.v[ab_param_index(&ab_family_gemm_i8, "k")] = K;
    s.v[ab_param_index(&ab_family_gemm_i8, "out")] = AB_I8_OUT_S32;
    int n_checked = 0;
    for (size_t i = 0; i < ab_kernel_count(); i++) {
        const struct ab_kernel *k = ab_kernel_at(i);
        if (k->family != &ab_family_gemm_i8 || !ab_kernel_runnable(k, ab_cpu_features(), &s, NULL))
            continue;
        size_t wb = k->workspace_bytes(&s, 1);
        struct ab_exec ex = {.n_threads = 1, .workspace = wb ? ab_aligned_alloc(64, wb) : NULL, .workspace_bytes = wb};
        int32_t acc[K];
        struct ab_gemm_i8_args a = {.m = 1, .n = K, .k = K, .x = x, .ldx = K, .w = w, .out = AB_I8_OUT_S32,
                                    .y = acc, .ldy = K};
        cr_assert_eq(k->fn.gemm_i8(&a, &ex), AB_OK, "%s", k->name);
        for (int j = 0; j < K; j++)
            cr_expect_eq(acc[j], want[j], "%s: %g -> %d, want %d", k->name, (double)x[j], acc[j], want[j]);
        ab_free(ex.workspace);
        n_checked++;
    }
    cr_log_info("half-to-even checked in %d gemm_i8 variant(s)", n_checked);
    cr_assert_geq(n_checked, 1, "at least the reference");
    ab_i8_weights_free(w);
}

/* ---- expert FFN: INT8 and the vector activations ---------------------------------------- */

static void *workspace_for(const struct ab_kernel *k, const struct ab_shape *s, int nth, struct ab_exec *out_exec)
{
    size_t b = k->workspace_bytes(s, nth);
    *out_exec = (struct ab_exec){.n_threads = nth, .workspace = b ? ab_aligned_alloc(64, b) : NULL,
                                 .workspace_bytes = b};
    return out_exec->workspace;
}

static void ffn_shape(const char *family, size_t t, size_t d, size_t f, size_t e, int k, enum ab_moe_act act,
                      struct ab_shape *out)
{
    const struct ab_family *fam = ab_family_find(family);
    cr_assert_not_null(fam);
    ab_shape_default(fam, out);
    out->v[ab_param_index(fam, "tokens")] = (int64_t)t;
    out->v[ab_param_index(fam, "d_model")] = (int64_t)d;
    out->v[ab_param_index(fam, "d_ff")] = (int64_t)f;
    out->v[ab_param_index(fam, "experts")] = (int64_t)e;
    out->v[ab_param_index(fam, "k")] = k;
    out->v[ab_param_index(fam, "act")] = act;
}

static double act_d(enum ab_moe_act kind, double v)
{
    return kind == AB_MOE_ACT_GELU ? 0.5 * v * (1.0 + erf(v / sqrt(2.0))) : v / (1.0 + exp(-v));
}

/*
 * E = 1, k = 1, weight 1: the INT8 layer is gemm_i8(act(gemm_i8(x, W13)), W2), each
 * gemm_i8 by its reference with the F32 output. The moe_ffn_i8 reference must give the
 * same bits (same integers, same float formula, activation in double rounded to
 * float); the optimized variant agrees within its tolerance.
 */
static void i8_layer_is_two_gemms(enum ab_moe_act kind)
{
    const size_t t = 37, d = 70, f = 45, hc = kind == AB_MOE_ACT_SWIGLU ? 2 * f : f;
    struct ab_rng rng;
    ab_rng_seed(&rng, 11);
    float *x = ab_malloc(t * d * 4), *w13 = ab_malloc(hc * d * 4), *w2 = ab_malloc(d * f * 4);
    float *h = ab_malloc(t * hc * 4), *y_exp = ab_malloc(t * d * 4), *y = ab_malloc(t * d * 4);
    int32_t *expert = ab_malloc(t * 4);
    float *weight = ab_malloc(t * 4);
    uint8_t *keep = ab_malloc(t);
    cr_assert(x && w13 && w2 && h && y_exp && y && expert && weight && keep);
    ab_rng_fill_normal_f32(&rng, x, t * d, 0.0f, 1.0f);
    ab_rng_fill_uniform_f32(&rng, w13, hc * d, -0.2f, 0.2f);
    ab_rng_fill_uniform_f32(&rng, w2, d * f, -0.15f, 0.15f);
    x[5] = 0.0f; /* a zero and a large value in one row: per-token scale set by the outlier */
    x[6] = 25.0f;
    for (size_t i = 0; i < t; i++) {
        expert[i] = 0;
        weight[i] = 1.0f;
        keep[i] = 1;
    }
    struct ab_i8_weights *q13 = NULL, *q2 = NULL;
    cr_assert_eq(ab_i8_weights_new(hc, d, &q13), AB_OK);
    cr_assert_eq(ab_i8_weights_new(d, f, &q2), AB_OK);
    ab_i8_weights_quantize(q13, w13, d);
    ab_i8_weights_quantize(q2, w2, f);

    /* expected: two reference gemm_i8 calls around the activation */
    const struct ab_kernel *g8 = ab_kernel_find("gemm_i8_ref");
    cr_assert_not_null(g8);
    struct ab_shape gs;
    ab_shape_default(&ab_family_gemm_i8, &gs);
    gs.v[2] = (int64_t)(d > f ? d : f);
    struct ab_exec gx;
    workspace_for(g8, &gs, 1, &gx);
    struct ab_gemm_i8_args g1 = {.m = t, .n = hc, .k = d, .x = x, .ldx = d, .w = q13, .out = AB_I8_OUT_F32,
                                 .y = h, .ldy = hc};
    cr_assert_eq(g8->fn.gemm_i8(&g1, &gx), AB_OK);
    for (size_t i = 0; i < t; i++)
        for (size_t j = 0; j < f; j++) {
            float *r = h + i * hc;
            r[j] = (float)(kind == AB_MOE_ACT_SWIGLU ? act_d(kind, (double)r[j]) * (double)r[f + j]
                                                     : act_d(kind, (double)r[j]));
        }
    struct ab_gemm_i8_args g2 = {.m = t, .n = d, .k = f, .x = h, .ldx = hc, .w = q2, .out = AB_I8_OUT_F32,
                                 .y = y_exp, .ldy = d};
    cr_assert_eq(g8->fn.gemm_i8(&g2, &gx), AB_OK);
    ab_free(gx.workspace);

    const struct ab_i8_weights *w13s[1] = {q13}, *w2s[1] = {q2};
    struct ab_moe_ffn_i8_args a = {
        .n_tokens = t, .d_model = d, .d_ff = f, .n_experts = 1, .act = kind, .x = x, .w13 = w13s, .w2 = w2s,
        .route = {t, 1, expert, weight, keep}, .y = y,
    };
    struct ab_shape s;
    ffn_shape("moe_ffn_i8", t, d, f, 1, 1, kind, &s);
    for (size_t i = 0; i < ab_kernel_count(); i++) {
        const struct ab_kernel *k = ab_kernel_at(i);
        if (k->family != &ab_family_moe_ffn_i8 || !ab_kernel_runnable(k, ab_cpu_features(), &s, NULL))
            continue;
        for (int nth = 1; nth <= 2; nth++) {
            struct ab_exec ex;
            workspace_for(k, &s, nth, &ex);
            cr_assert_eq(k->fn.moe_ffn_i8(&a, &ex), AB_OK, "%s", k->name);
            ab_free(ex.workspace);
            struct ab_check chk;
            ab_check_f32(y_exp, y, t * d, k->is_ref ? 0.0 : ab_kernel_tolerance(k, &s), &chk);
            cr_expect(chk.ok, "%s (%s, %d threads) vs two gemm_i8: %s", k->name,
                      kind == AB_MOE_ACT_GELU ? "gelu" : "swiglu", nth, chk.detail);
            if (k->is_ref)
                cr_expect(memcmp(y, y_exp, t * d * 4) == 0, "moe_ffn_i8_ref is bit-identical to two gemm_i8");
        }
    }
    ab_i8_weights_free(q13);
    ab_i8_weights_free(q2);
    ab_free(x);
    ab_free(w13);
    ab_free(w2);
    ab_free(h);
    ab_free(y_exp);
    ab_free(y);
    ab_free(expert);
    ab_free(weight);
    ab_free(keep);
}

Test(moe_ffn_i8, one_expert_layer_is_two_gemm_i8)
{
    i8_layer_is_two_gemms(AB_MOE_ACT_SWIGLU);
    i8_layer_is_two_gemms(AB_MOE_ACT_GELU);
}

Test(moe_ffn_i8, quantisation_error_against_the_fp32_layer)
{
    struct ab_shape s;
    ffn_shape("moe_ffn_i8", 128, 256, 512, 4, 2, AB_MOE_ACT_SWIGLU, &s);
    struct ab_case *c = NULL;
    struct ab_error err;
    cr_assert_eq(ab_family_moe_ffn_i8.case_new(&s, 3, &c, &err), AB_OK, "%s", err.msg);
    const struct ab_kernel *ref = ab_kernel_ref(&ab_family_moe_ffn_i8);
    struct ab_exec ex;
    workspace_for(ref, &s, 1, &ex);
    cr_assert_eq(ab_family_moe_ffn_i8.case_run(c, ref, &ex, AB_SLOT_REF), AB_OK);
    ab_free(ex.workspace);
    struct ab_metric m[AB_METRICS_MAX];
    size_t n = ab_family_moe_ffn_i8.case_metrics(c, m);
    double rel = metric(m, n, "qerr_rel_fro_vs_f32_layer"), cosine = metric(m, n, "qerr_cosine_vs_f32_layer");
    double ratio = metric(m, n, "size_ratio_f32_to_i8");
    cr_log_info("int8 MoE layer vs fp32 layer (d 256, d_ff 512, E 4, top-2): rel %.4f cos %.6f, size ratio %.3f", rel,
                cosine, ratio);
    /* two chained W8A8 products of ~1.1% each (research/kernels.md 5.4) */
    cr_expect(rel > 0.005 && rel < 0.05, "rel-Fro %.4f", rel);
    cr_expect(cosine > 0.998, "cosine %.6f", cosine);
    cr_expect(ratio > 3.9 && ratio < 4.0, "fp32 -> int8 expert bytes %.3f", ratio);
    ab_family_moe_ffn_i8.case_free(c);
}

/*
 * Hidden values of +-several hundred: exp(-v) overflows to inf or underflows to 0 in
 * SiLU, erfc underflows in GELU. Every FP32 variant must stay finite and match the
 * double reference.
 */
Test(moe_ffn, activations_saturate_without_nan)
{
    const size_t t = 40, d = 20, f = 35, e = 3;
    const int k = 2;
    for (int kind = 0; kind < AB_MOE_ACT_COUNT; kind++) {
        size_t hc = kind == AB_MOE_ACT_SWIGLU ? 2 * f : f;
        struct ab_rng rng;
        ab_rng_seed(&rng, 5);
        float *x = ab_malloc(t * d * 4), *w13 = ab_malloc(e * hc * d * 4), *w2 = ab_malloc(e * d * f * 4);
        float *yr = ab_malloc(t * d * 4), *y = ab_malloc(t * d * 4), *weight = ab_malloc(t * 2 * 4);
        int32_t *expert = ab_malloc(t * 2 * 4);
        uint8_t *keep = ab_malloc(t * 2);
        cr_assert(x && w13 && w2 && yr && y && weight && expert && keep);
        ab_rng_fill_normal_f32(&rng, x, t * d, 0.0f, 200.0f);
        ab_rng_fill_uniform_f32(&rng, w13, e * hc * d, -0.4f, 0.4f);
        ab_rng_fill_uniform_f32(&rng, w2, e * d * f, -0.2f, 0.2f);
        for (size_t i = 0; i < t; i++) {
            expert[2 * i] = (int32_t)(i % e);
            expert[2 * i + 1] = (int32_t)((i + 1) % e);
            weight[2 * i] = 0.7f;
            weight[2 * i + 1] = 0.3f;
            keep[2 * i] = keep[2 * i + 1] = 1;
        }
        struct ab_moe_ffn_args a = {
            .n_tokens = t, .d_model = d, .d_ff = f, .n_experts = e, .act = (enum ab_moe_act)kind, .x = x,
            .w13 = w13, .w2 = w2, .route = {t, k, expert, weight, keep}, .y = yr,
        };
        struct ab_shape s;
        ffn_shape("moe_ffn", t, d, f, e, k, (enum ab_moe_act)kind, &s);
        const struct ab_kernel *ref = ab_kernel_ref(&ab_family_moe_ffn);
        struct ab_exec ex;
        workspace_for(ref, &s, 1, &ex);
        cr_assert_eq(ref->fn.moe_ffn(&a, &ex), AB_OK);
        ab_free(ex.workspace);
        a.y = y;
        for (size_t i = 0; i < ab_kernel_count(); i++) {
            const struct ab_kernel *kern = ab_kernel_at(i);
            if (kern->family != &ab_family_moe_ffn || kern->is_ref ||
                !ab_kernel_runnable(kern, ab_cpu_features(), &s, NULL))
                continue;
            workspace_for(kern, &s, 1, &ex);
            cr_assert_eq(kern->fn.moe_ffn(&a, &ex), AB_OK, "%s", kern->name);
            ab_free(ex.workspace);
            struct ab_check chk;
            ab_check_f32(yr, y, t * d, ab_kernel_tolerance(kern, &s), &chk);
            cr_expect(chk.ok, "%s on saturating %s inputs: %s", kern->name, kind ? "gelu" : "swiglu", chk.detail);
        }
        ab_free(x);
        ab_free(w13);
        ab_free(w2);
        ab_free(yr);
        ab_free(y);
        ab_free(weight);
        ab_free(expert);
        ab_free(keep);
    }
}
