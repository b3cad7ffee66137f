/*
 * model.h - model configurations as data (datasets/models/<id>.json) and the analytic model
 * computed from one: parameters total and active, FLOPs per token, memory at N tokens,
 * expert-parallel all-to-all bytes. `archbench model` prints these figures and
 * `archbench reproduce` tests the articles' parameter and memory claims with them.
 *
 * Every value of a configuration is marked in its file as `given` (with where: article
 * and section, paper or config) or `assumed` (with the reason), and keeps that mark in
 * ab_model.fields, so a report can show which figures rest on assumptions. The file
 * format is described in datasets/models/README.md.
 *
 * Conventions of the figures (all doubles, per sequence of batch 1):
 *   - parameters as ab_moe_count_params counts them (biases ignored, two norms per layer
 *     and a final one); params_active counts the whole input embedding table, as
 *     Mixtral's published 12.9B does; DeepSeek's 37B (36.6B in its README_WEIGHTS.md)
 *     leaves it out: params_active - params_embedding_input.
 *   - FLOPs: 2 per multiply-accumulate; every weight a token multiplies by costs 2 FLOPs
 *     (the input embedding is a lookup and costs none), plus the attention term of the
 *     configured kind (ab_model_attn_cost_text); softmax, norms and activations not
 *     counted. A decoded token attends to the n_tokens in the cache and itself.
 *   - bytes: weights at their precision (per-channel or block scales ignored), KV cache
 *     at its precision, activations at theirs (ab_model_memory_text).
 */
#ifndef ARCHBENCH_MODEL_H
#define ARCHBENCH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/moe.h"
#include "archbench/status.h"

enum ab_model_attn {
    AB_MODEL_ATTN_MHA,         /* softmax attention, multi-head or grouped-query ("mha") */
    AB_MODEL_ATTN_LINEAR_ELU1, /* phi(Q) (phi(K)^T V), phi = elu + 1, causal ("linear_elu1") */
    AB_MODEL_ATTN_LSH,         /* Reformer-style LSH buckets, attention within chunks ("lsh") */
    AB_MODEL_ATTN_MLA,         /* DeepSeek's multi-head latent attention ("mla") */
    AB_MODEL_ATTN_COUNT
};

enum ab_model_router {
    AB_MODEL_ROUTER_DENSE,         /* no experts: one FFN per layer ("dense") */
    AB_MODEL_ROUTER_SOFTMAX_TOPK,  /* softmax, the k largest ("softmax_topk") */
    AB_MODEL_ROUTER_THRESHOLD,     /* softmax, every p > threshold, argmax if none ("threshold") */
    AB_MODEL_ROUTER_SIGMOID_TOPK,  /* sigmoid affinities, the k largest ("sigmoid_topk") */
    AB_MODEL_ROUTER_COUNT
};

enum ab_model_norm {
    AB_MODEL_NORM_LAYERNORM,  /* "layernorm" */
    AB_MODEL_NORM_RMSNORM,    /* "rmsnorm" */
    AB_MODEL_NORM_COUNT
};

/* Most values a configuration may hold (the loader refuses more). */
#define AB_MODEL_MAX_FIELDS 64

/* One value as the file gives it, for the report. */
struct ab_model_field {
    char name[48];   /* JSON path: "layers", "mla.kv_lora_rank", "precision.weights" */
    char value[64];  /* as text: "16", "true", "softmax_topk", "0.3" */
    bool assumed;
    char why[256];   /* where it comes from if given, the reason if assumed */
};

struct ab_model {
    char id[48];       /* file stem, e.g. "a-v3" */
    char name[96];     /* "Article A V3" */
    char source[160];  /* where the configuration comes from */

    int64_t n_layers;
    int64_t d_model;
    int64_t n_heads;     /* query heads */
    int64_t head_dim;    /* not MLA: q, k and v head size */
    int64_t n_kv_heads;  /* not MLA: k/v heads (< n_heads: grouped-query attention) */
    enum ab_model_attn attn;
    int64_t d_ff;        /* hidden size of one routed expert, or of the FFN of a dense model */
    enum ab_moe_act act;
    int64_t n_dense_layers;  /* the first layers have a dense FFN of dense_d_ff instead */
    int64_t dense_d_ff;
    int64_t n_experts;        /* routed experts per MoE layer; 1 for a dense model */
    int64_t n_shared_experts; /* always active, of d_ff each */
    enum ab_model_router router;
    double experts_per_token; /* k, or the expected mean for threshold routing */
    double threshold;         /* THRESHOLD router only, else 0 */
    bool renormalise;         /* weights divided by their sum over the selected experts */
    int64_t vocab;
    bool untied_head;
    bool rope;                 /* false: absolute sinusoidal positions (no parameters) */
    enum ab_model_norm norm;
    struct {
        int64_t q_lora_rank, kv_lora_rank, qk_nope_dim, qk_rope_dim, v_head_dim;
    } mla;                     /* MLA only, else 0 */
    struct {
        int64_t bucket_size, n_rounds;
    } lsh;                     /* LSH only, else 0 */
    int64_t linear_feature_dim; /* LINEAR_ELU1 only: size of phi(k), else 0 */
    double weight_bytes_per_param;  /* precision.weights: fp32 4, fp16/bf16 2, fp8/int8 1 */
    double kv_bytes_per_elem;       /* precision.kv_cache */
    double act_bytes_per_elem;      /* precision.activations */
    bool offload_inactive_experts;  /* experts not selected for the current token live in host memory */

    struct ab_model_field fields[AB_MODEL_MAX_FIELDS]; /* every value, in file order */
    size_t n_fields;
};

/*
 * Read one configuration; id is the file's name without directory and ".json". A missing
 * required field, a wrong type, an unknown or inapplicable field, an out-of-range value or
 * a value without its given/assumed mark is AB_EPARSE, naming the file and the field's
 * JSON path. *out_model is written only on success.
 */
AB_API enum ab_status ab_model_load(const char *path, struct ab_model *out_model, struct ab_error *err);

/*
 * Every *.json in dir, sorted by id. *out_models comes from ab_malloc: release it with
 * ab_free. An empty folder is AB_ENOTFOUND. Written only on success.
 */
AB_API enum ab_status ab_model_load_dir(const char *dir, struct ab_model **out_models, size_t *out_n,
                                        struct ab_error *err);

struct ab_model_figures {
    double params_total, params_active, params_expert_total, params_expert_active, params_dense;
    double params_embedding_input;    /* vocab x d_model when the head is untied (a lookup), else 0 */
    double flops_per_token_prefill;   /* mean per token of a prompt of n_tokens, 2 FLOPs per MAC, attention included */
    double flops_per_token_decode;    /* the next token with n_tokens in the cache */
    double weight_bytes;              /* all weights at their precision */
    double weight_bytes_resident;     /* minus offloaded inactive experts */
    double offloaded_bytes;
    double kv_cache_bytes;            /* n_tokens, batch 1 (linear attention: its constant state; LSH: KV kept) */
    double activation_bytes;          /* peak activations of a prefill of n_tokens (ab_model_memory_text) */
    double memory_bytes;              /* resident weights + KV + activations */
    double a2a_bytes_per_token;       /* expert-parallel dispatch + combine bytes per token, all MoE layers */
};

/* The figures of model at n_tokens (>= 1) of context. */
AB_API void ab_model_analyse(const struct ab_model *model, double n_tokens, struct ab_model_figures *out);

/* The configuration's parameter shapes as ab_moe_count_params takes them. */
AB_API void ab_model_moe_config(const struct ab_model *model, struct ab_moe_config *out_config);

/* "mha", "linear_elu1", "lsh", "mla" (the file's spelling); "?" outside the enum. */
AB_API const char *ab_model_attn_name(enum ab_model_attn attn);
/* "dense", "softmax_topk", "threshold", "sigmoid_topk"; "?" outside the enum. */
AB_API const char *ab_model_router_name(enum ab_model_router router);

/* Text for the report: the cost model of one attention kind, one line. */
AB_API const char *ab_model_attn_cost_text(enum ab_model_attn attn);
/* Text for the report: the memory model (weights, KV, activations, all-to-all), one line. */
AB_API const char *ab_model_memory_text(void);

#endif /* ARCHBENCH_MODEL_H */
