/*
 * moe_ffn_i8_family.c - the moe_ffn_i8 family: the MoE layer body with INT8 experts
 * (semantics at the top of moe.h).
 *
 * Why a family of its own rather than a variant of moe_ffn: moe_ffn's arguments carry
 * float weights, so an INT8 variant there would either quantise the weights inside the
 * timed call (a deployed INT8 model stores them quantised) or hide pre-quantised copies
 * behind the float pointers; and it could only be checked against the FP32 double
 * reference at the ~1% quantisation error, which would not catch a wrong expert row.
 * Here the weights arrive quantised and packed, and the reference computes the SAME
 * quantised integers exactly (int64 sums), so variants are checked to a tight tolerance,
 * while the quantisation error against the FP32 layer is a metric of the case.
 *
 * Cases: the moe_ffn case of the same shape and seed (identical x, routing and float
 * weights, so speed.csv rows of the two families compare directly), whose weights are
 * then quantised per output channel, untimed.
 *
 * Tolerance: the integer products and the dequantised h are bit-identical in every
 * variant; the activation (vector exp / erf vs libm in double, <= a few ulp) can move a
 * g value across a rounding boundary of the second quantisation, which changes that
 * element by one quantum, and the weighted sum is float vs double. Measured: ~1e-7 on
 * the test shapes, 5.3e-5 at 4096 tokens, d_model 1024, d_ff 2816, E = 8 (SwiGLU's
 * heavy-tailed g leaves most quantised g small, so a one-quantum move is a large
 * relative change of that element). Allowed 1e-3: still 25x below the ~2.7%
 * quantisation error, and below one wrong token row (~1e-2 at 4096 tokens x top-2).
 */
#include <math.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/cpu.h"
#include "archbench/moe.h"

#include "moe_impl.h"

enum {
    P_T = AB__FF_TOKENS, P_D = AB__FF_D_MODEL, P_F = AB__FF_D_FF, P_E = AB__FF_EXPERTS, P_K = AB__FF_K,
    P_ACT = AB__FF_ACT
};

#define SHAPE(t, d, f, e, k, act, gate, cap, dist) {{t, d, f, e, k, act, gate, cap, dist}}
#define SW AB_MOE_ACT_SWIGLU
#define GE AB_MOE_ACT_GELU
#define TOPK AB_MOE_GATE_SOFTMAX_TOPK
#define THR AB_MOE_GATE_THRESHOLD

static const struct ab_shape sweep_default[] = {
    SHAPE(4096, 1024, 2816, 8, 2, SW, TOPK, 0, 0),   /* as moe_ffn: E = 8 top-2 */
    SHAPE(4096, 1024, 2816, 128, 2, SW, TOPK, 0, 0), /* E = 128 top-2 */
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(512, 1024, 2816, 8, 2, SW, TOPK, 0, 0),
};
/* one token, E = 1, k = E, every token to one expert (with capacity drops), odd sizes */
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

/* int8 weights (+ a float scale per channel) once, float activations in and out */
double ab__moe_ffn_i8_bytes(const struct ab_shape *s)
{
    double t = (double)s->v[P_T], d = (double)s->v[P_D], f = (double)s->v[P_F], e = (double)s->v[P_E];
    return 4.0 * 2.0 * t * d + e * (hidden_cols(s) * d + d * f + 4.0 * (hidden_cols(s) + d));
}

static uint64_t i8_io_bytes(const struct ab_shape *s)
{
    return (uint64_t)ab__moe_ffn_i8_bytes(s);
}

static double i8_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_T];
}

struct i8_case {
    struct ab_case base;      /* first member: see kernel.h */
    struct ffn_case *fp;      /* the moe_ffn case: x, routing, float weights */
    struct ab_i8_weights **w13, **w2;
    struct ab_moe_ffn_i8_args args;
    float *y[AB_SLOT_COUNT];
};

static void i8_case_free(struct ab_case *c)
{
    if (!c)
        return;
    struct i8_case *g = (struct i8_case *)c;
    size_t n_e = g->args.n_experts;
    for (size_t e = 0; e < n_e; e++) {
        if (g->w13)
            ab_i8_weights_free(g->w13[e]);
        if (g->w2)
            ab_i8_weights_free(g->w2[e]);
    }
    ab_free(g->w13);
    ab_free(g->w2);
    if (g->fp)
        ab_family_moe_ffn.case_free(&g->fp->base);
    ab_case_free(c);
}

static enum ab_status i8_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                  struct ab_error *err)
{
    if (!ab_shape_valid(&ab_family_moe_ffn_i8, shape) || shape->v[P_K] > shape->v[P_E])
        return ab_error_set(err, AB_EINVAL, "moe_ffn_i8: shape outside parameter ranges (k <= experts)");
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_moe_ffn_i8, shape, seed, sizeof(struct i8_case), &base, err);
    if (st != AB_OK)
        return st;
    struct i8_case *g = (struct i8_case *)base;
    struct ab_case *fc = NULL;
    if ((st = ab_family_moe_ffn.case_new(shape, seed, &fc, err)) != AB_OK) {
        ab_case_free(base);
        return st;
    }
    g->fp = (struct ffn_case *)fc;
    const struct ab_moe_ffn_args *fa = &g->fp->args;
    size_t n_e = fa->n_experts, d = fa->d_model, f = fa->d_ff, hc = (size_t)hidden_cols(shape);
    g->args.n_experts = n_e; /* for i8_case_free */
    st = AB_ENOMEM;
    g->w13 = ab_calloc(n_e, sizeof *g->w13);
    g->w2 = ab_calloc(n_e, sizeof *g->w2);
    bool ok = g->w13 && g->w2;
    for (int s = 0; s < AB_SLOT_COUNT && ok; s++)
        ok = (g->y[s] = ab_case_alloc(base, fa->n_tokens * d * sizeof(float))) != NULL &&
             ab_case_output(base, (enum ab_slot)s, "y", g->y[s], AB_ELEM_F32, fa->n_tokens, d, d);
    /* The inputs live in the float case: hashed here, their guard zones unchecked.
     * The per-expert int8 weights (2 x n_experts objects) exceed the input table and
     * go unhashed. */
    size_t slots = fa->n_tokens * (size_t)fa->route.k;
    ok = ok && ab_case_input(base, "x", fa->x, fa->n_tokens * d * sizeof(float)) &&
         ab_case_input(base, "expert", fa->route.expert, slots * sizeof(int32_t)) &&
         ab_case_input(base, "weight", fa->route.weight, slots * sizeof(float)) &&
         ab_case_input(base, "keep", fa->route.keep, slots);
    if (!ok)
        goto fail;
    for (size_t e = 0; e < n_e; e++) {
        if ((st = ab_i8_weights_new(hc, d, &g->w13[e])) != AB_OK || (st = ab_i8_weights_new(d, f, &g->w2[e])) != AB_OK)
            goto fail;
        ab_i8_weights_quantize(g->w13[e], fa->w13 + e * hc * d, d);
        ab_i8_weights_quantize(g->w2[e], fa->w2 + e * d * f, f);
    }
    g->args = (struct ab_moe_ffn_i8_args){
        .n_tokens = fa->n_tokens, .d_model = d, .d_ff = f, .n_experts = n_e, .act = fa->act, .x = fa->x,
        .w13 = (const struct ab_i8_weights *const *)g->w13, .w2 = (const struct ab_i8_weights *const *)g->w2,
        .route = fa->route, .y = NULL,
    };
    *out_case = &g->base;
    return AB_OK;
fail:
    i8_case_free(&g->base);
    return ab_error_set(err, st, "moe_ffn_i8: cannot quantise %zu experts of %zu x %zu", n_e, d, f);
}

static enum ab_status i8_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                  enum ab_slot slot)
{
    struct i8_case *g = (struct i8_case *)c;
    struct ab_moe_ffn_i8_args args = g->args;
    args.y = g->y[slot];
    return kernel->fn.moe_ffn_i8(&args, exec);
}

static void i8_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct i8_case *g = (const struct i8_case *)c;
    ab_check_f32(g->y[AB_SLOT_REF], g->y[AB_SLOT_TEST], g->args.n_tokens * g->args.d_model,
                 ab_kernel_tolerance(kernel, &c->shape), out);
}

/*
 * Quantisation error of the INT8 layer (the reference's output) against the FP32 layer
 * on the same inputs and routing, computed by the best moe_ffn variant (itself within
 * 1e-5 of the double reference): relative Frobenius error and cosine over the whole
 * output; plus the experts' weight bytes, FP32 vs INT8 as stored.
 */
static size_t i8_case_metrics(struct ab_case *c, struct ab_metric *out)
{
    struct i8_case *g = (struct i8_case *)c;
    const struct ab_moe_ffn_args *fa = &g->fp->args;
    size_t n = 0, n_e = fa->n_experts, d = fa->d_model, f = fa->d_ff, hc = (size_t)hidden_cols(&c->shape);
    double f32_bytes = 4.0 * (double)n_e * (double)(hc * d + d * f);
    double i8_bytes = (double)n_e * (double)(ab_i8_weights_storage_bytes(hc, d) + ab_i8_weights_storage_bytes(d, f));
    out[n++] = (struct ab_metric){"expert_weight_bytes_f32", f32_bytes, "bytes"};
    out[n++] = (struct ab_metric){"expert_weight_bytes_i8", i8_bytes, "bytes"};
    out[n++] = (struct ab_metric){"size_ratio_f32_to_i8", f32_bytes / i8_bytes, "ratio"};

    const struct ab_kernel *k = ab_kernel_best(&ab_family_moe_ffn, &c->shape, ab_cpu_features());
    size_t wsb = k->workspace_bytes(&c->shape, 1);
    struct ab_exec ex = {.n_threads = 1, .workspace = wsb ? ab_aligned_alloc(AB_ALIGN_BYTES, wsb) : NULL,
                         .workspace_bytes = wsb};
    double rel = (double)NAN, cosine = (double)NAN;
    if (!wsb || ex.workspace) {
        if (ab_family_moe_ffn.case_run(&g->fp->base, k, &ex, AB_SLOT_TEST) == AB_OK) {
            const float *yf = g->fp->y[AB_SLOT_TEST], *yq = g->y[AB_SLOT_REF];
            double diff2 = 0.0, ref2 = 0.0, test2 = 0.0, dot = 0.0;
            for (size_t i = 0; i < fa->n_tokens * d; i++) {
                double a = (double)yf[i], b = (double)yq[i];
                diff2 += (b - a) * (b - a);
                ref2 += a * a;
                test2 += b * b;
                dot += a * b;
            }
            rel = ref2 > 0.0 ? sqrt(diff2 / ref2) : (double)NAN;
            cosine = ref2 > 0.0 && test2 > 0.0 ? dot / (sqrt(ref2) * sqrt(test2)) : (double)NAN;
        }
    }
    ab_free(ex.workspace);
    out[n++] = (struct ab_metric){"qerr_rel_fro_vs_f32_layer", rel, "ratio"};
    out[n++] = (struct ab_metric){"qerr_cosine_vs_f32_layer", cosine, "ratio"};
    return n;
}

const struct ab_family ab_family_moe_ffn_i8 = {
    .name = "moe_ffn_i8",
    .doc = "MoE layer body with INT8 experts: W8A8 per-channel weights, per-token activations, both projections",
    .flops_doc = "as moe_ffn: 2*tokens*k*(h*d_model + d_model*d_ff) integer ops, h = 2*d_ff (SwiGLU) or d_ff",
    .params = ab__moe_ffn_params,
    .n_params = AB__FF_PARAM_COUNT,
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = i8_tokens,
    .io_bytes = i8_io_bytes,
    .case_new = i8_case_new,
    .case_free = i8_case_free,
    .case_run = i8_case_run,
    .case_compare = i8_case_compare,
    .case_metrics = i8_case_metrics,
    .compute_peak = AB_PEAK_INT8,
};
