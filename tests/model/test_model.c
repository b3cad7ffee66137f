/*
 * test_model.c - model configurations and the analytic model (model.h): the published
 * totals of Mixtral 8x7B and DeepSeek-V3 from their files in datasets/models, the
 * articles' totals that fixed each free dimension, FLOPs and KV cache on hand-worked
 * cases, and the loader's errors on the fixtures in tests/data/models-bad.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/model.h"

static void dataset_path(char *buf, size_t size, const char *name)
{
    const char *d = getenv("ARCHBENCH_DATASETS");
    cr_assert_not_null(d, "ARCHBENCH_DATASETS not set (run through meson test)");
    snprintf(buf, size, "%s/models%s%s", d, name[0] ? "/" : "", name);
}

static void load(const char *file, struct ab_model *m)
{
    char path[1024];
    struct ab_error err = {0};
    dataset_path(path, sizeof path, file);
    cr_assert_eq(ab_model_load(path, m, &err), AB_OK, "%s: %s", file, err.msg);
}

static void analyse(const char *file, double n, struct ab_model *m, struct ab_model_figures *f)
{
    load(file, m);
    ab_model_analyse(m, n, f);
}

/* |x / want - 1| <= 1% */
#define expect_within_1pct(x, want, what)                                                                    \
    cr_expect(fabs((x) / (want) - 1.0) <= 0.01, "%s: %.4g, expected %.4g (%.2f%% off)", what, (double)(x), \
              (double)(want), 100.0 * ((x) / (want) - 1.0))

/* ---- published anchors ---------------------------------------------------------------- */

Test(model_anchors, mixtral_8x7b)
{
    struct ab_model m;
    struct ab_model_figures f;
    analyse("mixtral-8x7b.json", 1, &m, &f);
    /* arXiv:2401.04088: 46.7B total, 12.9B active (the input embedding counted) */
    expect_within_1pct(f.params_total, 46.7e9, "Mixtral total");
    expect_within_1pct(f.params_active, 12.9e9, "Mixtral active");
}

Test(model_anchors, deepseek_v3)
{
    struct ab_model m;
    struct ab_model_figures f;
    analyse("deepseek-v3.json", 1, &m, &f);
    /* arXiv:2412.19437: 671B total (main model, without the 14B MTP module), 37B active;
     * README_WEIGHTS.md gives the active count precisely, 36.6B "including 0.9B for the
     * output head": DeepSeek leaves the input embedding (a lookup) out. */
    expect_within_1pct(f.params_total, 671e9, "DeepSeek-V3 total");
    double active = f.params_active - f.params_embedding_input;
    expect_within_1pct(active, 36.6e9, "DeepSeek-V3 active vs README_WEIGHTS.md");
    /* The report's headline "37B" is rounded to the billion: 36.6B lands on it, 37.55B
     * (the input embedding counted, Mixtral's convention) would not. */
    cr_expect(active >= 36.5e9 && active < 37.5e9, "DeepSeek-V3 active %.4g does not round to 37B", active);
    cr_expect(f.params_active >= 37.5e9, "the input embedding is in params_active: %.4g", f.params_active);
    /* the parts the 671B rests on: 58 MoE layers of 256 routed experts of 3 x 7168 x 2048 */
    expect_within_1pct(f.params_expert_total, 58.0 * 256 * 3 * 7168 * 2048, "routed experts");
    cr_expect_eq(m.n_dense_layers, 3);
}

/* ---- the articles' totals: each file's free dimension was solved for them --------------- */

Test(model_articles, totals_are_the_claimed_ones)
{
    static const struct {
        const char *file;
        double claimed_total;
    } cases[] = {
        {"a-v3.json", 13e9},      /* A1 */
        {"a-r1.json", 3.5e9},     /* A1 */
        {"b-v3-7b.json", 7e9},    /* B1 */
        {"b-r1-175b.json", 175e9} /* B4 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ab_model m;
        struct ab_model_figures f;
        analyse(cases[i].file, 1, &m, &f);
        expect_within_1pct(f.params_total, cases[i].claimed_total, cases[i].file);
        /* the solved dimension is marked assumed, with the reason */
        bool found = false;
        for (size_t j = 0; j < m.n_fields; j++)
            if (strcmp(m.fields[j].name, "d_ff") == 0) {
                found = true;
                cr_expect(m.fields[j].assumed, "%s: d_ff", cases[i].file);
                cr_expect_not_null(strstr(m.fields[j].why, "solved"), "%s: %s", cases[i].file, m.fields[j].why);
            }
        cr_expect(found, "%s: no d_ff field", cases[i].file);
    }
}

Test(model_articles, the_configured_gates)
{
    struct ab_model v3, r1;
    load("a-v3.json", &v3);
    load("a-r1.json", &r1);
    cr_expect_eq(v3.router, AB_MODEL_ROUTER_SOFTMAX_TOPK);
    cr_expect(!v3.renormalise, "A4: top-2 probabilities are not renormalised");
    cr_expect_eq(v3.experts_per_token, 2.0);
    cr_expect_eq(r1.router, AB_MODEL_ROUTER_THRESHOLD);
    cr_expect_float_eq(r1.threshold, 0.3, 1e-12);
    cr_expect(r1.renormalise);
    cr_expect(r1.offload_inactive_experts);
    cr_expect_eq(r1.attn, AB_MODEL_ATTN_LINEAR_ELU1);
    cr_expect_eq(r1.weight_bytes_per_param, 1.0);
    cr_expect_eq(v3.weight_bytes_per_param, 2.0);
}

/* ---- hand-worked cases ------------------------------------------------------------------ */

/* 2 layers, d 8, 2 heads x 4, dense SwiGLU FFN of 16, vocab 10 untied, fp16. */
static struct ab_model tiny_mha(void)
{
    return (struct ab_model){.n_layers = 2, .d_model = 8, .n_heads = 2, .head_dim = 4, .n_kv_heads = 2,
                             .attn = AB_MODEL_ATTN_MHA, .d_ff = 16, .act = AB_MOE_ACT_SWIGLU, .n_experts = 1,
                             .router = AB_MODEL_ROUTER_DENSE, .experts_per_token = 1, .vocab = 10,
                             .untied_head = true, .weight_bytes_per_param = 2, .kv_bytes_per_elem = 2,
                             .act_bytes_per_elem = 2};
}

Test(model_hand, flops_decode_is_2x_active_plus_attention)
{
    struct ab_model m = tiny_mha();
    struct ab_model_figures f;
    ab_model_analyse(&m, 5, &f);
    /* embeddings 2 x 10 x 8 = 160; per layer q k v o 4 x 8 x 8 = 256, norms 16, FFN
     * 3 x 8 x 16 = 384: 656; 2 layers 1312; final norm 8: 1480 */
    cr_expect_eq(f.params_total, 1480.0);
    cr_expect_eq(f.params_active, 1480.0);
    cr_expect_eq(f.params_embedding_input, 80.0);
    /* 2 x (1480 - 80) = 2800; attention with 5 in the cache: 6 keys, per layer 2 heads x 4
     * x 6 MACs for q k^T and as many for p v = 96 MACs, x 2 layers x 2 FLOPs = 384 */
    cr_expect_eq(f.flops_per_token_decode, 2800.0 + 384.0, "%.1f", f.flops_per_token_decode);
    /* prefill of 5, causal: the mean query sees 3 keys: 192 */
    cr_expect_eq(f.flops_per_token_prefill, 2800.0 + 192.0, "%.1f", f.flops_per_token_prefill);
    /* KV: 2 (k and v) x 2 layers x 2 kv heads x 4 x 5 tokens x 2 bytes */
    cr_expect_eq(f.kv_cache_bytes, 320.0);
    cr_expect_eq(f.a2a_bytes_per_token, 0.0);
    cr_expect_eq(f.weight_bytes, 2960.0);
    cr_expect_eq(f.memory_bytes, f.weight_bytes_resident + f.kv_cache_bytes + f.activation_bytes);
}

Test(model_hand, flops_count_only_the_selected_experts)
{
    struct ab_model m = tiny_mha();
    m.n_experts = 4;
    m.router = AB_MODEL_ROUTER_SOFTMAX_TOPK;
    m.experts_per_token = 2;
    struct ab_model_figures f;
    ab_model_analyse(&m, 5, &f);
    /* per layer: 4 experts of 384 and a router of 8 x 4: total 1480 + 2 x (3 x 384 + 32) */
    cr_expect_eq(f.params_total, 1480.0 + 2.0 * (3.0 * 384.0 + 32.0));
    cr_expect_eq(f.params_expert_total, 2.0 * 4.0 * 384.0);
    cr_expect_eq(f.params_expert_active, 2.0 * 2.0 * 384.0);
    double active = 1480.0 + 2.0 * (384.0 + 32.0);
    cr_expect_eq(f.params_active, active);
    cr_expect_eq(f.flops_per_token_decode, 2.0 * (active - 80.0) + 384.0);
    /* dispatch + combine: 2 layers x 2 experts x 2 directions x 8 x 2 bytes */
    cr_expect_eq(f.a2a_bytes_per_token, 128.0);
}

Test(model_hand, flops_decode_of_article_a_v3)
{
    struct ab_model m;
    struct ab_model_figures f;
    analyse("a-v3.json", 4095, &m, &f);
    /* MHA 16 x 64 over 16 layers, 4096 keys: 16 layers x 2 x (2 x 16 x 64 x 4096) */
    double attn = 16.0 * 2.0 * (2.0 * 16 * 64 * 4096);
    cr_expect(fabs(f.flops_per_token_decode - (2.0 * (f.params_active - f.params_embedding_input) + attn)) < 1.0,
              "decode %.6g", f.flops_per_token_decode);
}

Test(model_hand, kv_cache_by_attention_kind)
{
    struct ab_model m;
    struct ab_model_figures f;
    /* Mixtral, GQA: 2 x 32 layers x 8 kv heads x 128 x 16384 x 2 bytes */
    analyse("mixtral-8x7b.json", 16384, &m, &f);
    cr_expect_eq(f.kv_cache_bytes, 2.0 * 32 * 8 * 128 * 16384 * 2);
    /* DeepSeek-V3, MLA: 61 layers x (512 + 64) x N x 2 bytes (bf16) */
    analyse("deepseek-v3.json", 1000, &m, &f);
    cr_expect_eq(f.kv_cache_bytes, 61.0 * (512 + 64) * 1000 * 2);
    /* article A R1, linear attention: its state, the same at any length */
    struct ab_model_figures f1, f2;
    analyse("a-r1.json", 1, &m, &f1);
    ab_model_analyse(&m, 1e6, &f2);
    cr_expect_eq(f1.kv_cache_bytes, f2.kv_cache_bytes);
    cr_expect_eq(f1.kv_cache_bytes, 16.0 * 16 * (64 * 64 + 64) * 2);
    cr_expect_eq(f1.flops_per_token_decode, f2.flops_per_token_decode, "linear attention: O(1) per token");
    /* article B R1, LSH: KV kept as MHA */
    analyse("b-r1-175b.json", 16384, &m, &f);
    cr_expect_eq(f.kv_cache_bytes, 2.0 * 32 * 32 * 128 * 16384 * 2);
}

Test(model_hand, offloaded_experts_leave_residence)
{
    struct ab_model m;
    struct ab_model_figures f;
    analyse("a-r1.json", 16384, &m, &f);
    /* INT8: 1 byte a parameter; 3 of 4 experts of every layer in host memory */
    cr_expect(fabs(f.offloaded_bytes - 0.75 * f.params_expert_total) < 1.0);
    cr_expect_eq(f.weight_bytes_resident, f.weight_bytes - f.offloaded_bytes);
    cr_expect_eq(f.memory_bytes, f.weight_bytes_resident + f.kv_cache_bytes + f.activation_bytes);
    analyse("a-v3.json", 16384, &m, &f);
    cr_expect_eq(f.offloaded_bytes, 0.0);
}

/* ---- loader ------------------------------------------------------------------------------ */

Test(model_load, every_file_of_the_folder_sorted_by_id)
{
    char dir[1024];
    dataset_path(dir, sizeof dir, "");
    struct ab_model *ms = NULL;
    size_t n = 0;
    struct ab_error err = {0};
    cr_assert_eq(ab_model_load_dir(dir, &ms, &n, &err), AB_OK, "%s", err.msg);
    static const char *const ids[] = {"a-r1", "a-v3", "b-r1-175b", "b-v3-7b", "deepseek-v3", "mixtral-8x7b"};
    cr_assert_eq(n, sizeof ids / sizeof ids[0]);
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(ms[i].id, ids[i]);
        cr_expect_gt(ms[i].n_fields, 15);
        for (size_t j = 0; j < ms[i].n_fields; j++)
            cr_expect_gt(strlen(ms[i].fields[j].why), 0, "%s: %s", ms[i].id, ms[i].fields[j].name);
    }
    /* file order kept: the first value of every file is "layers" */
    cr_expect_str_eq(ms[0].fields[0].name, "layers");
    ab_free(ms);
}

Test(model_load, errors_name_file_and_field)
{
    static const struct {
        const char *file, *field;
    } cases[] = {
        {"missing-field.json", "\"d_model\": missing"},
        {"wrong-type.json", "\"layers\""},
        {"unknown-field.json", "\"layer\": unknown field"},
        {"out-of-range.json", "\"experts_per_token\""},
        {"unmarked.json", "\"vocab\": neither"},
        {"bad-enum.json", "\"precision.kv_cache\""},
        {"inapplicable.json", "\"mla.kv_lora_rank\": does not apply"},
        {"unknown-key-in-value.json", "\"rope.note\": unknown field"},
        {"missing-conditional.json", "\"threshold\": missing"},
        {"not-json.json", "invalid JSON"},
    };
    const char *data = getenv("ARCHBENCH_TEST_DATA");
    cr_assert_not_null(data);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/models-bad/%s", data, cases[i].file);
        struct ab_model m;
        memset(&m, 0x5a, sizeof m);
        struct ab_error err = {0};
        cr_expect_eq(ab_model_load(path, &m, &err), AB_EPARSE, "%s", cases[i].file);
        cr_expect_not_null(strstr(err.msg, cases[i].file), "message does not name the file: %s", err.msg);
        cr_expect_not_null(strstr(err.msg, cases[i].field), "want %s in: %s", cases[i].field, err.msg);
        cr_expect_eq(m.n_layers, 0x5a5a5a5a5a5a5a5a, "%s: written on failure", cases[i].file);
    }
    /* a folder holding one bad file fails as that file does */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/models-bad", data);
    struct ab_model *ms = NULL;
    size_t n = 0;
    struct ab_error err = {0};
    cr_expect_neq(ab_model_load_dir(dir, &ms, &n, &err), AB_OK);
    cr_expect_null(ms);
    snprintf(dir, sizeof dir, "%s/procstat", data);
    cr_expect_eq(ab_model_load_dir(dir, &ms, &n, &err), AB_ENOTFOUND, "%s", err.msg);
}

Test(model_load, allocation_failures_fail_cleanly)
{
    char dir[1024];
    dataset_path(dir, sizeof dir, "");
    struct ab_alloc_stats before, after;
    bool succeeded = false;
    for (uint64_t at = 1; at < 5000 && !succeeded; at++) {
        ab_alloc_get_stats(&before);
        ab_alloc_fail_at(at, 0);
        struct ab_model *ms = NULL;
        size_t n = 0;
        struct ab_error err = {0};
        enum ab_status st = ab_model_load_dir(dir, &ms, &n, &err);
        ab_alloc_fail_at(0, 0);
        if (st == AB_OK) {
            succeeded = true;
            ab_free(ms);
        } else {
            /* ab_json_read_file reports cJSON's allocation failures as unparsable input */
            cr_expect(st == AB_ENOMEM || (st == AB_EPARSE && strstr(err.msg, "invalid JSON")),
                      "failure at allocation %llu: %s", (unsigned long long)at, err.msg);
        }
        ab_alloc_get_stats(&after);
        cr_expect_eq(after.bytes_live, before.bytes_live, "leak after failure at allocation %llu",
                     (unsigned long long)at);
    }
    cr_expect(succeeded);
}
