/*
 * test_layer.c - the layer family's properties that equivalence alone does not show:
 * the threshold gate falls back to the argmax when no expert passes (and only then),
 * article A's top-k weights are left unrenormalised, and the FLOPs are the stated sum.
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/kernel.h"
#include "archbench/layer.h"

enum { SEED = 77 };

static void set(struct ab_shape *s, const char *name, const char *text)
{
    const struct ab_family *fam = &ab_family_layer;
    int i = ab_param_index(fam, name);
    cr_assert_geq(i, 0, "no parameter '%s'", name);
    struct ab_error err;
    cr_assert_eq(ab_param_parse(&fam->params[i], text, &s->v[i], &err), AB_OK, "%s", err.msg);
}

/* A small block: 77 tokens, width 48, 2 heads of 32, linear attention, 4 experts. */
static struct ab_shape small_shape(const char *ffn, const char *threshold_pct)
{
    struct ab_shape s;
    ab_shape_default(&ab_family_layer, &s);
    set(&s, "n", "77");
    set(&s, "d_model", "48");
    set(&s, "heads", "2");
    set(&s, "head_dim", "32");
    set(&s, "attn", "linear");
    set(&s, "rope", "1");
    set(&s, "ffn", ffn);
    set(&s, "experts", "4");
    set(&s, "k", "4");
    set(&s, "threshold_pct", threshold_pct);
    set(&s, "d_ff", "40");
    return s;
}

static enum ab_status run(struct ab_case *c, const struct ab_kernel *k, int n_threads, enum ab_slot slot)
{
    size_t ws = k->workspace_bytes(&c->shape, n_threads);
    struct ab_exec exec = {.n_threads = n_threads, .workspace = ws ? ab_aligned_alloc(AB_ALIGN_BYTES, ws) : NULL,
                           .workspace_bytes = ws};
    cr_assert(!ws || exec.workspace);
    enum ab_status st = c->family->case_run(c, k, &exec, slot);
    ab_free(exec.workspace);
    return st;
}

static double metric(struct ab_case *c, const char *name)
{
    struct ab_metric m[AB_METRICS_MAX];
    size_t n = c->family->case_metrics(c, m);
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, name) == 0)
            return m[i].value;
    cr_assert_fail("no metric '%s'", name);
    return NAN;
}

/* Routing metrics of the reference on a shape, and the best variant checked on it. */
static void routing_of(const struct ab_shape *s, double *out_experts, double *out_fallback)
{
    const struct ab_family *fam = &ab_family_layer;
    struct ab_case *c = NULL;
    struct ab_error err;
    cr_assert_eq(fam->case_new(s, SEED, &c, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(run(c, ab_kernel_ref(fam), 1, AB_SLOT_REF), AB_OK);
    *out_experts = metric(c, "experts_per_token_mean");
    *out_fallback = metric(c, "fallback_token_share");
    const struct ab_kernel *best = ab_kernel_find("layer_best");
    size_t ws = best->workspace_bytes(s, 2);
    struct ab_exec exec = {.n_threads = 2, .workspace = ab_aligned_alloc(AB_ALIGN_BYTES, ws), .workspace_bytes = ws};
    struct ab_check chk;
    cr_assert_eq(ab_case_verify(c, best, &exec, &chk), AB_OK);
    cr_expect(chk.ok, "layer_best: %s", chk.detail);
    ab_free(exec.workspace);
    fam->case_free(c);
}

Test(layer, threshold_gate_falls_back_to_the_argmax)
{
    /* tau 0.99: no softmax probability of 4 experts with unit logit spread passes, so
     * every token gets exactly its argmax expert */
    struct ab_shape s = small_shape("threshold", "99");
    double experts, fallback;
    routing_of(&s, &experts, &fallback);
    cr_expect_eq(fallback, 1.0, "every token falls back: share %g", fallback);
    cr_expect_eq(experts, 1.0, "one expert per token: %g", experts);
    /* tau 0.3 on the same inputs: some tokens pass with one or more experts, some fall back */
    s = small_shape("threshold", "30");
    routing_of(&s, &experts, &fallback);
    cr_expect_lt(fallback, 1.0, "the fallback is not the rule at tau 0.3: share %g", fallback);
    cr_expect_gt(experts, 1.0, "some tokens use more than one expert at tau 0.3: %g", experts);
}

Test(layer, flops_are_the_stated_sum)
{
    /* 100 tokens, width 64, 2 x 32 exact non-causal heads, dense SwiGLU FFN of 96 */
    struct ab_shape s = small_shape("dense", "30");
    set(&s, "n", "100");
    set(&s, "d_model", "64");
    set(&s, "attn", "mha");
    set(&s, "causal", "0");
    set(&s, "rope", "0");
    set(&s, "d_ff", "96");
    double n = 100, d = 64, da = 64, f = 96;
    double want = 3 * 2 * n * d * da       /* Q, K, V */
                  + 4 * 32 * n * n * 2     /* attention: 4 hd per pair and head */
                  + 2 * n * da * d         /* Wo */
                  + 2 * n * (2 * f * d + d * f); /* SwiGLU: W1, W3, W2 */
    cr_expect_float_eq(ab_kernel_ref(&ab_family_layer)->flops(&s), want, 1e-12);
    /* a router adds its gate GEMM and k = 2 experts per token double the FFN */
    set(&s, "ffn", "topk");
    set(&s, "experts", "8");
    set(&s, "k", "2");
    want += 2 * n * d * 8 + 2 * n * (2 * f * d + d * f);
    cr_expect_float_eq(ab_kernel_ref(&ab_family_layer)->flops(&s), want, 1e-12);
    /* RoPE: 3 FLOPs per rotated element of Q and K */
    set(&s, "rope", "1");
    want += 2 * 3 * n * da;
    cr_expect_float_eq(ab_kernel_find("layer_best")->flops(&s), want, 1e-12);
}
