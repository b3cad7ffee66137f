/*
 * layer_compose.c - the transformer block of layer.h as a sequence of sub-kernel calls,
 * shared by both variants: which sub-kernels run (the families' references, or the
 * registry's best runnable non-baseline variant for this CPU and sub-shape) and how the
 * glue is done (norms and residuals) is all that differs.
 *
 *   reference glue  one thread everywhere; RMSNorm with a double sum of squares and the
 *                   scaling in double; each residual a separate pass in double.
 *   best glue       the caller's threads for every sub-kernel; RMSNorm in float (OpenMP
 *                   over rows, SIMD reduction); the first residual fused into the output
 *                   projection (x copied into h, GEMM with beta = 1), the second a float
 *                   add.
 * Sub-kernels are looked up by shape on every call (a registry walk, microseconds next
 * to a layer) so the workspace the caller sized with workspace_bytes and the kernels run
 * always agree. Nothing is allocated: every intermediate lives in the workspace.
 *
 * Workspace (64-byte aligned blocks): xn (n x d, reused for hn), qkv token-major blocks
 * (3 or 2 of n x da; block 0 reused for the merged attention output), head-major q, k,
 * v (same size), o (n x da), h (n x d), routing (n x k ints, floats, bytes), then the
 * largest sub-kernel workspace (the calls run one after another).
 */
#include <math.h>
#include <string.h>

#include "archbench/attention.h"
#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/moe.h"

#include "layer_impl.h"

#define ALIGN_UP(x) (((x) + AB_ALIGN_BYTES - 1) / AB_ALIGN_BYTES * AB_ALIGN_BYTES)
#define RMS_EPS 1e-6

/* ---- sub-shapes ---------------------------------------------------------------------- */

static void set(const struct ab_family *fam, struct ab_shape *s, const char *name, int64_t v)
{
    int i = ab_param_index(fam, name);
    if (i >= 0)
        s->v[i] = v;
}

static void gemm_shape(struct ab_shape *s, int64_t m, int64_t n, int64_t k, bool beta)
{
    const struct ab_family *f = &ab_family_gemm_f32;
    ab_shape_default(f, s);
    set(f, s, "m", m);
    set(f, s, "n", n);
    set(f, s, "k", k);
    set(f, s, "trans_b", 1);
    set(f, s, "beta", beta);
    set(f, s, "pad", 0);
}

void ab__layer_shapes(const struct ab_shape *ly, struct ab__layer_shapes *out)
{
    const int64_t *v = ly->v;
    int64_t n = v[AB__LY_N], d = v[AB__LY_D_MODEL], h = v[AB__LY_HEADS], hd = v[AB__LY_HEAD_DIM];
    int64_t da = h * hd;
    bool lsh = v[AB__LY_ATTN] == AB_LAYER_ATTN_LSH;
    out->moe = v[AB__LY_FFN] != AB_LAYER_FFN_DENSE;
    out->n_qkv_blocks = lsh ? 2 : 3;
    /* the best variant adds the residual inside this GEMM: its shape says beta = 1 */
    gemm_shape(&out->qkv, n, da, d, false);
    gemm_shape(&out->out, n, d, da, true);

    const struct ab_family *f = &ab_family_rope;
    ab_shape_default(f, &out->rope);
    set(f, &out->rope, "n_tokens", n);
    set(f, &out->rope, "heads", h);
    set(f, &out->rope, "d", hd);
    set(f, &out->rope, "d_rot", hd);
    set(f, &out->rope, "pairing", AB_ROPE_HALF_SPLIT);
    set(f, &out->rope, "theta", 10000);
    set(f, &out->rope, "pos_offset", 0);

    f = v[AB__LY_ATTN] == AB_LAYER_ATTN_MHA ? &ab_family_mha
        : lsh                               ? &ab_family_lsh_attn
                                            : &ab_family_linear_attn;
    out->attn_family = f;
    struct ab_shape *a = &out->attn;
    ab_shape_default(f, a);
    set(f, a, "batch", 1);
    set(f, a, "causal", v[AB__LY_CAUSAL]);
    set(f, a, "dist", 0);
    if (f == &ab_family_mha) {
        set(f, a, "heads_q", h);
        set(f, a, "heads_kv", h);
        set(f, a, "n_q", n);
        set(f, a, "n_kv", n);
        set(f, a, "d", hd);
        set(f, a, "mask", 0);
        set(f, a, "logits", 0);
    } else {
        set(f, a, "heads", h);
        set(f, a, "n", n);
        set(f, a, "d", hd);
        set(f, a, "dv", hd);
        set(f, a, "n_rounds", v[AB__LY_LSH_ROUNDS]);
        set(f, a, "n_buckets", v[AB__LY_LSH_BUCKETS]);
        set(f, a, "chunk", v[AB__LY_LSH_CHUNK]);
        set(f, a, "dedup", 0);
    }

    int64_t e = out->moe ? v[AB__LY_EXPERTS] : 1, k = out->moe ? v[AB__LY_K] : 1;
    int64_t gate = v[AB__LY_FFN] == AB_LAYER_FFN_THRESHOLD ? AB_MOE_GATE_THRESHOLD : AB_MOE_GATE_SOFTMAX_TOPK;
    f = &ab_family_moe_route;
    ab_shape_default(f, &out->route);
    set(f, &out->route, "tokens", n);
    set(f, &out->route, "d_model", d);
    set(f, &out->route, "experts", e);
    set(f, &out->route, "k", k);
    set(f, &out->route, "gate", gate);
    set(f, &out->route, "renorm", 0);
    set(f, &out->route, "tau_pct", v[AB__LY_THRESHOLD_PCT]);
    set(f, &out->route, "cap_pct", 0);
    f = &ab_family_moe_ffn;
    ab_shape_default(f, &out->ffn);
    set(f, &out->ffn, "tokens", n);
    set(f, &out->ffn, "d_model", d);
    set(f, &out->ffn, "d_ff", v[AB__LY_D_FF]);
    set(f, &out->ffn, "experts", e);
    set(f, &out->ffn, "k", k);
    set(f, &out->ffn, "act", AB_MOE_ACT_SWIGLU);
    set(f, &out->ffn, "gate", gate);
    set(f, &out->ffn, "cap_pct", 0);
}

void ab__layer_shape_of(const struct ab_layer_args *a, struct ab_shape *out)
{
    ab_shape_default(&ab_family_layer, out);
    int64_t *v = out->v;
    v[AB__LY_N] = (int64_t)a->n_tokens;
    v[AB__LY_D_MODEL] = (int64_t)a->d_model;
    v[AB__LY_HEADS] = (int64_t)a->heads;
    v[AB__LY_HEAD_DIM] = (int64_t)a->head_dim;
    v[AB__LY_ATTN] = a->attn;
    v[AB__LY_CAUSAL] = a->causal;
    v[AB__LY_ROPE] = a->rope;
    v[AB__LY_FFN] = a->ffn;
    v[AB__LY_EXPERTS] = (int64_t)a->n_experts;
    v[AB__LY_K] = a->k;
    v[AB__LY_THRESHOLD_PCT] = (int64_t)lrintf(a->tau * 100.0f);
    v[AB__LY_D_FF] = (int64_t)a->d_ff;
    v[AB__LY_LSH_ROUNDS] = (int64_t)a->lsh_rounds;
    v[AB__LY_LSH_BUCKETS] = (int64_t)a->lsh_buckets;
    v[AB__LY_LSH_CHUNK] = (int64_t)a->lsh_chunk;
}

/* ---- the sub-kernels of each variant ---------------------------------------------------- */

void ab__layer_parts_ref(const struct ab__layer_shapes *sh, struct ab__layer_parts *out)
{
    out->qkv = out->out = ab_kernel_ref(&ab_family_gemm_f32);
    out->rope = ab_kernel_ref(&ab_family_rope);
    out->attn = ab_kernel_ref(sh->attn_family);
    out->route = ab_kernel_ref(&ab_family_moe_route);
    out->ffn = ab_kernel_ref(&ab_family_moe_ffn);
    out->plain = true;
}

void ab__layer_parts_best(const struct ab__layer_shapes *sh, struct ab__layer_parts *out)
{
    uint64_t cpu = ab_cpu_features();
    out->qkv = ab_kernel_best(&ab_family_gemm_f32, &sh->qkv, cpu);
    out->out = ab_kernel_best(&ab_family_gemm_f32, &sh->out, cpu);
    out->rope = ab_kernel_best(&ab_family_rope, &sh->rope, cpu);
    out->attn = ab_kernel_best(sh->attn_family, &sh->attn, cpu);
    out->route = ab_kernel_best(&ab_family_moe_route, &sh->route, cpu);
    out->ffn = ab_kernel_best(&ab_family_moe_ffn, &sh->ffn, cpu);
    out->plain = false;
}

/* ---- FLOPs and bytes ------------------------------------------------------------------- */

void ab__layer_phase_flops(const struct ab_shape *ly, double out[AB__LY_PHASE_COUNT])
{
    struct ab__layer_shapes sh;
    ab__layer_shapes(ly, &sh);
    struct ab__layer_parts p;
    ab__layer_parts_ref(&sh, &p);
    out[AB__LY_PHASE_QKV] = (double)sh.n_qkv_blocks * p.qkv->flops(&sh.qkv);
    /* RoPE on Q and K, or on the shared QK only */
    out[AB__LY_PHASE_ROPE] = ly->v[AB__LY_ROPE] ? (double)(sh.n_qkv_blocks - 1) * p.rope->flops(&sh.rope) : 0.0;
    out[AB__LY_PHASE_ATTN] = p.attn->flops(&sh.attn);
    out[AB__LY_PHASE_OUT] = p.out->flops(&sh.out);
    out[AB__LY_PHASE_ROUTE] = sh.moe ? p.route->flops(&sh.route) : 0.0;
    out[AB__LY_PHASE_FFN] = p.ffn->flops(&sh.ffn);
    /* moe_ffn counts its k nominal slots. A threshold gate fills a data-dependent number
     * of them, at least one (the argmax fallback): count that floor, so the rate is a
     * lower bound and never above the roofline; experts_per_token_mean scales it up. */
    if (ly->v[AB__LY_FFN] == AB_LAYER_FFN_THRESHOLD && ly->v[AB__LY_K] > 0)
        out[AB__LY_PHASE_FFN] /= (double)ly->v[AB__LY_K];
}

double ab__layer_flops(const struct ab_shape *ly)
{
    double ph[AB__LY_PHASE_COUNT], sum = 0.0;
    ab__layer_phase_flops(ly, ph);
    for (int i = 0; i < AB__LY_PHASE_COUNT; i++)
        sum += ph[i];
    return sum;
}

/* x read and y written once, every weight read once (all experts, as moe_ffn counts);
 * intermediates assumed to stay in cache: a lower bound on the traffic. */
double ab__layer_bytes(const struct ab_shape *ly)
{
    const int64_t *v = ly->v;
    double n = (double)v[AB__LY_N], d = (double)v[AB__LY_D_MODEL], f = (double)v[AB__LY_D_FF];
    double da = (double)v[AB__LY_HEADS] * (double)v[AB__LY_HEAD_DIM];
    bool moe = v[AB__LY_FFN] != AB_LAYER_FFN_DENSE, lsh = v[AB__LY_ATTN] == AB_LAYER_ATTN_LSH;
    double e = moe ? (double)v[AB__LY_EXPERTS] : 1.0;
    double weights = (lsh ? 2.0 : 3.0) * da * d + d * da + 2.0 * d + (moe ? e * d : 0.0) + e * 3.0 * f * d;
    double rot = lsh ? (double)v[AB__LY_LSH_ROUNDS] * (double)v[AB__LY_HEAD_DIM] * (double)(v[AB__LY_LSH_BUCKETS] / 2)
                     : 0.0;
    return 4.0 * (2.0 * n * d + weights + rot);
}

/* ---- workspace ------------------------------------------------------------------------- */

struct layout {
    size_t xn, qkv, heads, o, h, expert, weight, keep, sub, total, sub_bytes;
};

static size_t max_sz(size_t a, size_t b)
{
    return a > b ? a : b;
}

static struct layout plan(const struct ab__layer_shapes *sh, const struct ab__layer_parts *p, int nth)
{
    const int64_t *r = sh->route.v;
    size_t n = (size_t)sh->qkv.v[ab_param_index(&ab_family_gemm_f32, "m")];
    size_t da = (size_t)sh->qkv.v[ab_param_index(&ab_family_gemm_f32, "n")];
    size_t d = (size_t)sh->qkv.v[ab_param_index(&ab_family_gemm_f32, "k")];
    size_t k = (size_t)r[ab_param_index(&ab_family_moe_route, "k")];
    int t = p->plain ? 1 : nth;
    size_t sub = p->qkv->workspace_bytes(&sh->qkv, t);
    sub = max_sz(sub, p->out->workspace_bytes(&sh->out, t));
    sub = max_sz(sub, p->rope->workspace_bytes(&sh->rope, t));
    sub = max_sz(sub, p->attn->workspace_bytes(&sh->attn, t));
    if (sh->moe)
        sub = max_sz(sub, p->route->workspace_bytes(&sh->route, t));
    sub = max_sz(sub, p->ffn->workspace_bytes(&sh->ffn, t));
    struct layout l;
    l.xn = 0;
    l.qkv = l.xn + ALIGN_UP(n * d * sizeof(float));
    l.heads = l.qkv + ALIGN_UP(sh->n_qkv_blocks * n * da * sizeof(float));
    l.o = l.heads + ALIGN_UP(sh->n_qkv_blocks * n * da * sizeof(float));
    l.h = l.o + ALIGN_UP(n * da * sizeof(float));
    l.expert = l.h + ALIGN_UP(n * d * sizeof(float));
    l.weight = l.expert + ALIGN_UP(n * k * sizeof(int32_t));
    l.keep = l.weight + ALIGN_UP(n * k * sizeof(float));
    l.sub = l.keep + ALIGN_UP(n * k);
    l.sub_bytes = sub;
    l.total = l.sub + ALIGN_UP(sub);
    return l;
}

size_t ab__layer_workspace(const struct ab__layer_shapes *sh, const struct ab__layer_parts *p, int n_threads)
{
    return plan(sh, p, n_threads).total;
}

/* ---- glue ---------------------------------------------------------------------------- */

/* y = x / sqrt(mean(x^2) + eps) * g, row by row: the reference's, in double (also the
 * metrics' recomputation of the router input). */
void ab__layer_rmsnorm_ref(const float *x, const float *g, float *y, size_t n, size_t d)
{
    for (size_t t = 0; t < n; t++) {
        const float *xt = x + t * d;
        double ss = 0.0;
        for (size_t i = 0; i < d; i++)
            ss += (double)xt[i] * (double)xt[i];
        double inv = 1.0 / sqrt(ss / (double)d + RMS_EPS);
        for (size_t i = 0; i < d; i++)
            y[t * d + i] = (float)((double)xt[i] * inv * (double)g[i]);
    }
}

/* The same in float, rows across threads. */
static void rmsnorm_fast(const float *x, const float *g, float *y, size_t n, size_t d, int nth)
{
#pragma omp parallel for num_threads(nth) schedule(static)
    for (size_t t = 0; t < n; t++) {
        const float *xt = x + t * d;
        float *yt = y + t * d;
        float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
        for (size_t i = 0; i < d; i++)
            ss += xt[i] * xt[i];
        float inv = 1.0f / sqrtf(ss / (float)d + (float)RMS_EPS);
#pragma omp simd
        for (size_t i = 0; i < d; i++)
            yt[i] = xt[i] * inv * g[i];
    }
}

/* acc = a + acc over n elements: the reference's residual, each sum rounded once. */
static void residual_plain(const float *a, float *acc, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] = (float)((double)a[i] + (double)acc[i]);
}

static void residual_fast(const float *a, float *acc, size_t n, int nth)
{
#pragma omp parallel for simd num_threads(nth) schedule(static)
    for (size_t i = 0; i < n; i++)
        acc[i] += a[i];
}

/* Token-major [n][heads][hd] block -> head-major [heads][n][hd], and back. */
static void split_heads(const float *tok, float *hm, size_t n, size_t heads, size_t hd, int nth)
{
#pragma omp parallel for num_threads(nth) schedule(static)
    for (size_t t = 0; t < n; t++)
        for (size_t h = 0; h < heads; h++)
            memcpy(hm + (h * n + t) * hd, tok + (t * heads + h) * hd, hd * sizeof(float));
}

static void merge_heads(const float *hm, float *tok, size_t n, size_t heads, size_t hd, int nth)
{
#pragma omp parallel for num_threads(nth) schedule(static)
    for (size_t t = 0; t < n; t++)
        for (size_t h = 0; h < heads; h++)
            memcpy(tok + (t * heads + h) * hd, hm + (h * n + t) * hd, hd * sizeof(float));
}

static bool args_ok(const struct ab_layer_args *a)
{
    bool moe = a->ffn != AB_LAYER_FFN_DENSE;
    return a->x && a->y && a->norm1 && a->norm2 && a->w_qkv && a->w_o && a->w13 && a->w2 && a->n_tokens >= 1 &&
           a->d_model >= 1 && a->heads >= 1 && a->head_dim >= 1 && a->d_ff >= 1 &&
           (unsigned)a->attn < AB_LAYER_ATTN_COUNT && (unsigned)a->ffn < AB_LAYER_FFN_COUNT &&
           (a->attn != AB_LAYER_ATTN_LSH || a->lsh_rotations || a->lsh_buckets < 2) &&
           (!moe || (a->w_gate && a->n_experts >= 1 && a->k >= 1 && (size_t)a->k <= a->n_experts)) &&
           (moe || (a->n_experts == 1 && a->k == 1));
}

enum ab_status ab__layer_run(const struct ab_layer_args *a, const struct ab_exec *exec, bool best)
{
    if (!a || !exec || exec->n_threads < 1 || !args_ok(a))
        return AB_EINVAL;
    struct ab_shape ly;
    ab__layer_shape_of(a, &ly);
    if (!ab_shape_valid(&ab_family_layer, &ly))
        return AB_EINVAL;
    struct ab__layer_shapes sh;
    ab__layer_shapes(&ly, &sh);
    struct ab__layer_parts p;
    if (best)
        ab__layer_parts_best(&sh, &p);
    else
        ab__layer_parts_ref(&sh, &p);
    int nth = p.plain ? 1 : exec->n_threads;
    struct layout l = plan(&sh, &p, nth);
    if (!exec->workspace || exec->workspace_bytes < l.total)
        return AB_EINVAL;

    size_t n = a->n_tokens, d = a->d_model, H = a->heads, hd = a->head_dim, da = H * hd;
    size_t k = (size_t)a->k, nb = sh.n_qkv_blocks, blk = n * da;
    char *ws = exec->workspace;
    float *xn = (float *)(void *)(ws + l.xn), *qkv = (float *)(void *)(ws + l.qkv);
    float *hm = (float *)(void *)(ws + l.heads), *o = (float *)(void *)(ws + l.o), *h = (float *)(void *)(ws + l.h);
    int32_t *expert = (int32_t *)(void *)(ws + l.expert);
    float *weight = (float *)(void *)(ws + l.weight);
    uint8_t *keep = (uint8_t *)(ws + l.keep);
    struct ab_exec sub = {.n_threads = nth, .workspace = l.sub_bytes ? ws + l.sub : NULL,
                          .workspace_bytes = l.sub_bytes};
    enum ab_status st;

    /* attention block */
    if (p.plain)
        ab__layer_rmsnorm_ref(a->x, a->norm1, xn, n, d);
    else
        rmsnorm_fast(a->x, a->norm1, xn, n, d, nth);
    for (size_t b = 0; b < nb; b++) {
        struct ab_gemm_f32_args g = {.m = n, .n = da, .k = d, .a = xn, .lda = d, .b = a->w_qkv + b * da * d,
                                     .ldb = d, .trans_b = true, .c = qkv + b * blk, .ldc = da, .alpha = 1.0f,
                                     .beta = 0.0f};
        if ((st = p.qkv->fn.gemm_f32(&g, &sub)) != AB_OK)
            return st;
    }
    if (a->rope)
        for (size_t b = 0; b + 1 < nb; b++) {
            struct ab_rope_args r = {.n_tokens = n, .heads = H, .d = hd, .d_rot = hd, .pairing = AB_ROPE_HALF_SPLIT,
                                     .theta_base = 10000.0, .pos_offset = 0, .inverse = false, .x = qkv + b * blk,
                                     .y = qkv + b * blk};
            if ((st = p.rope->fn.rope(&r, &sub)) != AB_OK)
                return st;
        }
    for (size_t b = 0; b < nb; b++)
        split_heads(qkv + b * blk, hm + b * blk, n, H, hd, nth);
    if (a->attn == AB_LAYER_ATTN_MHA) {
        struct ab_mha_args m = {.batch = 1, .heads_q = H, .heads_kv = H, .n_q = n, .n_kv = n, .d = hd, .q = hm,
                                .k = hm + blk, .v = hm + 2 * blk, .key_mask = NULL, .causal = a->causal,
                                .scale = (float)(1.0 / sqrt((double)hd)), .out = o};
        st = p.attn->fn.mha(&m, &sub);
    } else if (a->attn == AB_LAYER_ATTN_LINEAR) {
        struct ab_linear_attn_args m = {.batch = 1, .heads = H, .n = n, .d = hd, .dv = hd, .causal = a->causal,
                                        .eps = 1e-6f, .q = hm, .k = hm + blk, .v = hm + 2 * blk, .out = o};
        st = p.attn->fn.linear_attn(&m, &sub);
    } else {
        struct ab_lsh_attn_args m = {.batch = 1, .heads = H, .n = n, .d = hd, .n_rounds = a->lsh_rounds,
                                     .n_buckets = a->lsh_buckets, .chunk_len = a->lsh_chunk, .causal = a->causal,
                                     .dedup = false, .scale = 1.0f, .qk = hm, .v = hm + blk,
                                     .rotations = a->lsh_rotations, .out = o};
        st = p.attn->fn.lsh_attn(&m, &sub);
    }
    if (st != AB_OK)
        return st;
    merge_heads(o, qkv, n, H, hd, nth);
    struct ab_gemm_f32_args g = {.m = n, .n = d, .k = da, .a = qkv, .lda = da, .b = a->w_o, .ldb = da,
                                 .trans_b = true, .c = h, .ldc = d, .alpha = 1.0f, .beta = p.plain ? 0.0f : 1.0f};
    if (!p.plain)
        memcpy(h, a->x, n * d * sizeof(float)); /* h = x + O Wo^T in one GEMM */
    if ((st = p.out->fn.gemm_f32(&g, &sub)) != AB_OK)
        return st;
    if (p.plain)
        residual_plain(a->x, h, n * d);

    /* FFN block */
    if (p.plain)
        ab__layer_rmsnorm_ref(h, a->norm2, xn, n, d);
    else
        rmsnorm_fast(h, a->norm2, xn, n, d, nth);
    if (sh.moe) {
        bool thr = a->ffn == AB_LAYER_FFN_THRESHOLD;
        struct ab_moe_route_args r = {
            .n_tokens = n, .d_model = d, .n_experts = a->n_experts, .x = xn, .w_gate = a->w_gate, .sel_bias = NULL,
            .gate = thr ? AB_MOE_GATE_THRESHOLD : AB_MOE_GATE_SOFTMAX_TOPK, .k = a->k, .renormalize = false,
            .tau = a->tau, .top_p = 0.5f, .route_scale = 1.0f, .capacity_factor = 0.0f, .expert = expert,
            .weight = weight, .keep = keep,
        };
        if ((st = p.route->fn.moe_route(&r, &sub)) != AB_OK)
            return st;
    } else {
        for (size_t t = 0; t < n; t++) {
            expert[t] = 0;
            weight[t] = 1.0f;
            keep[t] = 1;
        }
    }
    struct ab_moe_ffn_args f = {.n_tokens = n, .d_model = d, .d_ff = a->d_ff, .n_experts = a->n_experts,
                                .act = AB_MOE_ACT_SWIGLU, .x = xn, .w13 = a->w13, .w2 = a->w2,
                                .route = {n, a->k, expert, weight, keep}, .y = a->y};
    if ((st = p.ffn->fn.moe_ffn(&f, &sub)) != AB_OK)
        return st;
    if (p.plain)
        residual_plain(h, a->y, n * d);
    else
        residual_fast(h, a->y, n * d, nth);

    struct ab_layer_trace *tr = a->trace;
    if (tr) {
        if (tr->h)
            memcpy(tr->h, h, n * d * sizeof(float));
        if (tr->expert)
            memcpy(tr->expert, expert, n * k * sizeof(int32_t));
        if (tr->weight)
            memcpy(tr->weight, weight, n * k * sizeof(float));
        if (tr->keep)
            memcpy(tr->keep, keep, n * k);
    }
    return AB_OK;
}
