/*
 * gemm_i8_family.c - the gemm_i8 family (W8A8 GEMM, see quant.h): parameters, sweeps,
 * op and byte models, seeded cases, comparison, and the quantisation-error metrics.
 *
 * Hard cases in the test sweep: sizes 1 and not multiples of 4/16/64, every output
 * type, bias, and the `extreme` distribution: pre-quantised inputs drawn from
 * {-128, -127, 127, anything}, with k = 3 (products that overflow 16-bit pair sums,
 * the vpmaddubsw trap) and k = 70000 (raw u8 x s8 accumulators that wrap int32 before
 * the +128 compensation is subtracted).
 */
#include <math.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/cpu.h"
#include "archbench/quant.h"
#include "archbench/rng.h"

#include "quant_impl.h"

enum { P_M = AB__I8_M, P_N = AB__I8_N, P_K = AB__I8_K, P_DIST = AB__I8_DIST, P_OUT = AB__I8_OUT, P_BIAS = AB__I8_BIAS };

static const char *const bool_names[] = {"0", "1"};
static const char *const dist_names[] = {"gaussian", "outlier", "extreme"};
static const char *const out_names[] = {"f32", "s8", "s32"};
_Static_assert(sizeof dist_names / sizeof dist_names[0] == AB__I8_DIST_COUNT, "a name per distribution");
_Static_assert(sizeof out_names / sizeof out_names[0] == AB_I8_OUT_COUNT, "a name per output type");

static const struct ab_param i8_params[] = {
    [P_M] = {"m", "tokens (rows of X and Y)", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_N] = {"n", "output channels", 1024, 1, INT64_C(1) << 20, NULL, 0},
    [P_K] = {"k", "input channels (reduction length)", 1024, 1, AB__I8_K_MAX, NULL, 0},
    [P_DIST] = {"dist", "inputs: gaussian, outlier (4 channels x20), extreme (pre-quantised, +-128/127)", 0, 0,
                AB__I8_DIST_COUNT - 1, dist_names, AB__I8_DIST_COUNT},
    [P_OUT] = {"out", "output: f32 dequantised, s8 requantised, s32 accumulators", 0, 0, AB_I8_OUT_COUNT - 1,
               out_names, AB_I8_OUT_COUNT},
    [P_BIAS] = {"bias", "1: add a float bias per channel", 0, 0, 1, bool_names, 2},
};

#define SHAPE(m, n, k, dist, out, bias) {{m, n, k, dist, out, bias}}
#define G AB__I8_DIST_GAUSSIAN
#define O AB__I8_DIST_OUTLIER
#define X AB__I8_DIST_EXTREME

static const struct ab_shape sweep_default[] = {
    SHAPE(256, 256, 256, G, 0, 0),    SHAPE(1024, 1024, 1024, G, 0, 0), SHAPE(1024, 1024, 1024, O, 0, 0),
    SHAPE(2048, 2048, 2048, G, 0, 0), SHAPE(128, 4096, 4096, G, 0, 0),  SHAPE(4096, 2816, 1024, G, 0, 0),
    SHAPE(1, 4096, 4096, G, 0, 0),
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(256, 256, 256, G, 0, 0),
    SHAPE(1024, 1024, 1024, G, 0, 0),
    SHAPE(1024, 1024, 1024, O, 0, 0),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 1, 1, G, 0, 0),      SHAPE(1, 1, 1, X, 2, 0),        SHAPE(7, 7, 7, G, 2, 1),
    SHAPE(7, 7, 7, X, 2, 0),      SHAPE(63, 65, 63, G, 0, 1),     SHAPE(65, 63, 65, O, 1, 1),
    SHAPE(13, 17, 3, X, 2, 0),    SHAPE(5, 33, 70000, X, 2, 0),   SHAPE(3, 16, 131071, X, 2, 0),
    SHAPE(100, 257, 31, G, 2, 0), SHAPE(257, 100, 300, O, 2, 1),  SHAPE(1000, 130, 129, G, 1, 0),
    SHAPE(1, 1000, 1000, G, 0, 0), SHAPE(129, 64, 1024, X, 2, 0), SHAPE(6, 64, 256, X, 0, 1),
    SHAPE(97, 193, 515, G, 0, 0), SHAPE(2, 7, 4097, O, 2, 0),
};

double ab__gemm_i8_flops(const struct ab_shape *s)
{
    return 2.0 * (double)s->v[P_M] * (double)s->v[P_N] * (double)s->v[P_K];
}

static double out_elem_bytes(int64_t out)
{
    return out == AB_I8_OUT_S8 ? 1.0 : 4.0;
}

double ab__gemm_i8_bytes(const struct ab_shape *s)
{
    double m = (double)s->v[P_M], n = (double)s->v[P_N], k = (double)s->v[P_K];
    double x_bytes = s->v[P_DIST] == AB__I8_DIST_EXTREME ? m * k : 4.0 * m * k;
    return x_bytes + n * k + 4.0 * n + m * n * out_elem_bytes(s->v[P_OUT]);
}

static uint64_t i8_io_bytes(const struct ab_shape *s)
{
    return (uint64_t)ab__gemm_i8_bytes(s);
}

enum ab_status ab__gemm_i8_check_args(const struct ab_gemm_i8_args *a, const struct ab_exec *exec)
{
    if (!a || !exec || exec->n_threads < 1 || !a->w || !a->y)
        return AB_EINVAL;
    if (a->w->n != a->n || a->w->k != a->k || a->k == 0 || a->k > AB__I8_K_MAX || a->ldy < a->n || a->ldx < a->k)
        return AB_EINVAL;
    if (!a->x && (!a->x_q || !a->x_scale))
        return AB_EINVAL;
    if ((unsigned)a->out >= AB_I8_OUT_COUNT || (a->out == AB_I8_OUT_S8 && !(a->out_scale > 0.0f)))
        return AB_EINVAL;
    return AB_OK;
}

struct i8_case {
    struct ab_case base;  /* first member: see kernel.h */
    struct ab_gemm_i8_args args;
    float *x;             /* float activations (gaussian/outlier), NULL for extreme */
    int8_t *xq;           /* pre-quantised activations (extreme) */
    float *xs;
    float *w_f32;         /* float weights (gaussian/outlier), NULL for extreme */
    float *bias;
    struct ab_i8_weights *w;  /* not from ab_case_alloc: its arrays are registered inputs */
    void *y[AB_SLOT_COUNT];
    size_t y_bytes;
};

static void i8_case_free(struct ab_case *c)
{
    if (!c)
        return;
    ab_i8_weights_free(((struct i8_case *)c)->w);
    ab_case_free(c);
}

/* An int8 value for the extreme distribution: half of them at the edges. */
static int8_t extreme_value(struct ab_rng *rng)
{
    static const int8_t edges[] = {-128, -127, 127, -128};
    uint64_t r = ab_rng_below(rng, 8);
    return r < 4 ? edges[r] : (int8_t)((int)ab_rng_below(rng, 256) - 128);
}

static const enum ab_elem out_elem[AB_I8_OUT_COUNT] = {
    [AB_I8_OUT_F32] = AB_ELEM_F32, [AB_I8_OUT_S8] = AB_ELEM_I8, [AB_I8_OUT_S32] = AB_ELEM_I32};

static enum ab_status i8_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                  struct ab_error *err)
{
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_gemm_i8, shape, seed, sizeof(struct i8_case), &base, err);
    if (st != AB_OK)
        return st;
    struct i8_case *g = (struct i8_case *)base;
    size_t m = (size_t)shape->v[P_M], n = (size_t)shape->v[P_N], k = (size_t)shape->v[P_K];
    int64_t dist = shape->v[P_DIST];
    enum ab_i8_out out = (enum ab_i8_out)shape->v[P_OUT];
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);

    if ((st = ab_i8_weights_new(n, k, &g->w)) != AB_OK)
        goto fail;
    st = AB_ENOMEM;
    g->y_bytes = m * n * (size_t)out_elem_bytes(out);
    for (int s = 0; s < AB_SLOT_COUNT; s++)
        if (!(g->y[s] = ab_case_alloc(base, g->y_bytes)) ||
            !ab_case_output(base, (enum ab_slot)s, "y", g->y[s], out_elem[out], m, n, n))
            goto fail;
    if (shape->v[P_BIAS]) {
        if (!(g->bias = ab_case_alloc(base, n * sizeof(float))) ||
            !ab_case_input(base, "bias", g->bias, n * sizeof(float)))
            goto fail;
        ab_rng_fill_uniform_f32(&rng, g->bias, n, -0.5f, 0.5f);
    }
    if (dist == AB__I8_DIST_EXTREME) {
        int8_t *wq = ab_malloc(n * k);
        float *ws = ab_malloc(n * sizeof(float));
        g->xq = ab_case_alloc(base, m * k);
        g->xs = ab_case_alloc(base, m * sizeof(float));
        if (!wq || !ws || !g->xq || !g->xs || !ab_case_input(base, "x_q", g->xq, m * k) ||
            !ab_case_input(base, "x_scale", g->xs, m * sizeof(float))) {
            ab_free(wq);
            ab_free(ws);
            goto fail;
        }
        for (size_t i = 0; i < n * k; i++)
            wq[i] = extreme_value(&rng);
        for (size_t i = 0; i < m * k; i++)
            g->xq[i] = extreme_value(&rng);
        ab_rng_fill_uniform_f32(&rng, ws, n, 1e-4f, 2e-4f);
        ab_rng_fill_uniform_f32(&rng, g->xs, m, 1e-3f, 1e-2f);
        ab_i8_weights_set(g->w, wq, k, ws);
        ab_free(wq);
        ab_free(ws);
    } else {
        g->x = ab_case_alloc(base, m * k * sizeof(float));
        g->w_f32 = ab_case_alloc(base, n * k * sizeof(float));
        if (!g->x || !g->w_f32 || !ab_case_input(base, "x", g->x, m * k * sizeof(float)) ||
            !ab_case_input(base, "w_f32", g->w_f32, n * k * sizeof(float)))
            goto fail;
        ab_rng_fill_normal_f32(&rng, g->x, m * k, 0.0f, 1.0f);
        ab_rng_fill_normal_f32(&rng, g->w_f32, n * k, 0.0f, 0.02f);
        if (dist == AB__I8_DIST_OUTLIER) {
            /* four fixed input channels carry 20x larger activations (LLM.int8-style outliers) */
            for (size_t o = 0; o < 4 && o < k; o++) {
                size_t ch = (o * 7919 + 13) % k;
                for (size_t i = 0; i < m; i++)
                    g->x[i * k + ch] *= 20.0f;
            }
        }
        ab_i8_weights_quantize(g->w, g->w_f32, k);
    }
    /* the weights object allocates its own arrays: hashed by ab_case_verify, not guarded */
    if (!ab_case_input(base, "w.q", g->w->q, n * k) || !ab_case_input(base, "w.scale", g->w->scale, n * sizeof(float)) ||
        !ab_case_input(base, "w.comp", g->w->comp, g->w->n_pad * sizeof(int32_t)) ||
        !ab_case_input(base, "w.packed", g->w->packed, g->w->n_pad * g->w->k_pad))
        goto fail;
    struct ab_gemm_i8_args *a = &g->args;
    a->m = m;
    a->n = n;
    a->k = k;
    a->x = g->x;
    a->x_q = g->xq;
    a->x_scale = g->xs;
    a->ldx = k;
    a->w = g->w;
    a->bias = g->bias;
    a->out = out;
    a->out_scale = 0.05f;
    a->ldy = n;
    *out_case = base;
    return AB_OK;
fail:
    i8_case_free(base);
    return ab_error_set(err, st, "gemm_i8: cannot build the %zux%zux%zu case", m, n, k);
}

static enum ab_status i8_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                  enum ab_slot slot)
{
    struct i8_case *g = (struct i8_case *)c;
    struct ab_gemm_i8_args args = g->args;
    args.y = g->y[slot];
    return kernel->fn.gemm_i8(&args, exec);
}

/* Integer outputs bit-exact; float outputs also bit-exact by construction (one formula,
 * no FMA), checked with the kernel's rel tolerance so a 1-ulp difference would show. */
static void i8_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct i8_case *g = (const struct i8_case *)c;
    size_t count = g->args.m * g->args.n;
    switch (g->args.out) {
    case AB_I8_OUT_F32:
        ab_check_f32(g->y[AB_SLOT_REF], g->y[AB_SLOT_TEST], count, ab_kernel_tolerance(kernel, &c->shape), out);
        out->cmp = AB_CMP_EXACT;
        break;
    case AB_I8_OUT_S32:
        ab_check_i32(g->y[AB_SLOT_REF], g->y[AB_SLOT_TEST], count, out);
        break;
    case AB_I8_OUT_S8:
    case AB_I8_OUT_COUNT:
    default: {
        /* widen to int32 and reuse the exact checker */
        int32_t *r = ab_malloc(count * sizeof(int32_t)), *t = ab_malloc(count * sizeof(int32_t));
        if (!r || !t) {
            ab_free(r);
            ab_free(t);
            memset(out, 0, sizeof *out);
            out->cmp = AB_CMP_EXACT;
            strcpy(out->detail, "out of memory in compare");
            return;
        }
        const int8_t *rr = g->y[AB_SLOT_REF], *tt = g->y[AB_SLOT_TEST];
        for (size_t i = 0; i < count; i++) {
            r[i] = rr[i];
            t[i] = tt[i];
        }
        ab_check_i32(r, t, count, out);
        ab_free(r);
        ab_free(t);
        break;
    }
    }
}

/*
 * Quantisation error of the whole pipeline (quantise X per token, int8 GEMM, dequantise)
 * against the FP32 product X W^T computed in double, on the first min(m, 64) rows (the
 * error is a per-row property; 64 rows keep the double GEMM cheap at every shape).
 * Float distributions only; the extreme one has no float original.
 */
static size_t i8_case_metrics(struct ab_case *c, struct ab_metric *out)
{
    struct i8_case *g = (struct i8_case *)c;
    size_t n = g->args.n, k = g->args.k;
    size_t nm = 0;
    uint64_t i8_bytes = ab_i8_weights_storage_bytes(n, k);
    out[nm++] = (struct ab_metric){"weight_bytes_f32", 4.0 * (double)n * (double)k, "bytes"};
    out[nm++] = (struct ab_metric){"weight_bytes_i8", (double)i8_bytes, "bytes"};
    out[nm++] = (struct ab_metric){"size_ratio_f32_to_i8", 4.0 * (double)n * (double)k / (double)i8_bytes, "ratio"};
    out[nm++] = (struct ab_metric){"size_ratio_f16_to_i8", 2.0 * (double)n * (double)k / (double)i8_bytes, "ratio"};
    if (!g->x)
        return nm;
    size_t rows = g->args.m < 64 ? g->args.m : 64;
    int8_t *xq = ab_malloc(k);
    if (!xq)
        return nm;
    double diff2 = 0.0, ref2 = 0.0, test2 = 0.0, dot = 0.0;
    for (size_t i = 0; i < rows; i++) {
        const float *xr = g->x + i * k;
        float sx = ab_i8_quantize_row(xr, k, xq);
        for (size_t j = 0; j < n; j++) {
            const float *wr = g->w_f32 + j * k;
            const int8_t *wq = g->w->q + j * k;
            double exact = 0.0;
            int64_t acc = 0;
            for (size_t p = 0; p < k; p++) {
                exact += (double)xr[p] * (double)wr[p];
                acc += (int64_t)xq[p] * wq[p];
            }
            double approx = (double)ab__i8_dequant((int32_t)acc, sx, g->w->scale[j], NULL, 0);
            diff2 += (approx - exact) * (approx - exact);
            ref2 += exact * exact;
            test2 += approx * approx;
            dot += approx * exact;
        }
    }
    ab_free(xq);
    out[nm++] = (struct ab_metric){"qerr_rel_fro_vs_f32", ref2 > 0.0 ? sqrt(diff2 / ref2) : (double)NAN, "ratio"};
    out[nm++] = (struct ab_metric){"qerr_cosine_vs_f32",
                                   ref2 > 0.0 && test2 > 0.0 ? dot / (sqrt(ref2) * sqrt(test2)) : (double)NAN, "ratio"};
    out[nm++] = (struct ab_metric){"qerr_rows_sampled", (double)rows, "rows"};
    return nm;
}

const struct ab_family ab_family_gemm_i8 = {
    .name = "gemm_i8",
    .doc = "W8A8 GEMM: per-channel int8 weights, per-token dynamic int8 activations, int32 accumulation",
    .flops_doc = "2*m*n*k integer ops (multiply + add), comparable with gemm_f32 FLOPs",
    .params = i8_params,
    .n_params = sizeof i8_params / sizeof i8_params[0],
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = NULL,
    .io_bytes = i8_io_bytes,
    .case_new = i8_case_new,
    .case_free = i8_case_free,
    .case_run = i8_case_run,
    .case_compare = i8_case_compare,
    .case_metrics = i8_case_metrics,
    .compute_peak = AB_PEAK_INT8,
};

static void shape_of(size_t m, size_t n, size_t k, struct ab_shape *out)
{
    ab_shape_default(&ab_family_gemm_i8, out);
    out->v[P_M] = (int64_t)m;
    out->v[P_N] = (int64_t)n;
    out->v[P_K] = (int64_t)k;
}

enum ab_status ab_gemm_i8(const struct ab_gemm_i8_args *args, const struct ab_exec *exec)
{
    if (!args)
        return AB_EINVAL;
    struct ab_shape shape;
    shape_of(args->m, args->n, args->k, &shape);
    const struct ab_kernel *k = ab_kernel_best(&ab_family_gemm_i8, &shape, ab_cpu_features());
    return k->fn.gemm_i8(args, exec);
}

size_t ab_gemm_i8_workspace_bytes(size_t m, size_t n, size_t k, int n_threads)
{
    struct ab_shape shape;
    shape_of(m, n, k, &shape);
    const struct ab_kernel *kern = ab_kernel_best(&ab_family_gemm_i8, &shape, ab_cpu_features());
    return kern->workspace_bytes(&shape, n_threads);
}
