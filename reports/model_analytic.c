/*
 * model_analytic.c - the analytic model of a configuration: parameters (through
 * ab_moe_count_params, the one place that counts them), FLOPs per token, memory at N
 * tokens and expert-parallel all-to-all bytes. The formulas are stated once, in the
 * texts that ab_model_attn_cost_text and ab_model_memory_text return for the report,
 * and the code below follows them term by term.
 */
#include <assert.h>
#include <math.h>

#include "archbench/model.h"

static const char *const attn_cost_texts[] = {
    "mha: per layer and token 2 x heads x head_dim x L FLOPs for q k^T and as many for p v, L = keys attended "
    "(decode: n_tokens + 1; prefill mean: (n_tokens + 1) / 2, causal); KV cache 2 x layers x kv_heads x head_dim "
    "x n_tokens elements",
    "linear_elu1: per layer and token 2 x heads x (2 x feature_dim x head_dim + feature_dim) FLOPs (update "
    "S += phi(k) v^T, read phi(q) S, normaliser phi(q) . z), the same at any length; state layers x heads x "
    "(feature_dim x head_dim + feature_dim) elements, constant in n_tokens",
    "lsh: per layer and token rounds x heads x 2 x (head_dim x n_buckets / 2 for the random-rotation hash + "
    "2 x head_dim x min(2 x bucket_size, L) for scores and values over the query's chunk and the one before), "
    "n_buckets = max(2, L / bucket_size); the sort by bucket (n log n comparisons) is not counted; KV kept as mha",
    "mla: per layer and token 2 x heads x (qk_nope + qk_rope + v_head) x L FLOPs on decompressed keys and values "
    "(L as mha; the latent projections are weights, in 2 x active params); KV cache layers x (kv_lora_rank + "
    "qk_rope) x n_tokens elements",
};
static_assert(sizeof attn_cost_texts / sizeof attn_cost_texts[0] == AB_MODEL_ATTN_COUNT, "one text per kind");

static const char *const memory_text =
    "memory = resident weights (params x weight bytes, less the inactive experts' when offloaded: all but "
    "experts_per_token per MoE layer) + KV cache at n_tokens (kv bytes) + peak activations of one layer of a "
    "prefill of n_tokens, batch 1, no autograd (activation bytes): residual n x d_model + the larger of the "
    "attention phase (normed input, q, attention output, MLA's decompressed k and v, one head's scores: n x n, "
    "lsh rounds x n x 2 x bucket_size, linear its state) and the FFN phase (normed input, hidden n x (k + shared) "
    "x d_ff x (2 SwiGLU, 1 GELU), dispatched inputs and outputs 2 x n x k x d_model), plus one row of logits; "
    "all-to-all = 2 x experts_per_token x d_model x activation bytes per MoE layer (dispatch and combine, "
    "every selected expert on another device: an upper bound)";

const char *ab_model_attn_cost_text(enum ab_model_attn attn)
{
    return (unsigned)attn < AB_MODEL_ATTN_COUNT ? attn_cost_texts[attn] : "?";
}

const char *ab_model_memory_text(void)
{
    return memory_text;
}

void ab_model_moe_config(const struct ab_model *m, struct ab_moe_config *out)
{
    bool moe = m->router != AB_MODEL_ROUTER_DENSE;
    *out = (struct ab_moe_config){
        .n_layers = m->n_layers,
        .d_model = m->d_model,
        .vocab = m->vocab,
        .untied_head = m->untied_head,
        .d_attn = m->n_heads * m->head_dim,
        .d_kv = m->n_kv_heads * m->head_dim,
        .d_ff = m->d_ff,
        .act = m->act,
        .n_experts = moe ? m->n_experts : 1,
        .n_shared_experts = m->n_shared_experts,
        .experts_per_token = moe ? m->experts_per_token : 1.0,
        .n_dense_layers = m->n_dense_layers,
        .dense_d_ff = m->dense_d_ff,
    };
    if (m->attn == AB_MODEL_ATTN_MLA)
        out->mla = (struct ab_moe_mla){
            .n_heads = m->n_heads,
            .q_lora_rank = m->mla.q_lora_rank,
            .kv_lora_rank = m->mla.kv_lora_rank,
            .qk_nope_dim = m->mla.qk_nope_dim,
            .qk_rope_dim = m->mla.qk_rope_dim,
            .v_head_dim = m->mla.v_head_dim,
        };
}

/* Multiply-accumulates of one layer's attention for one query over `keys` keys, `ctx`
 * tokens hashed (LSH), excluding the projections (they are weights). */
static double attn_macs(const struct ab_model *m, double keys, double ctx)
{
    double h = (double)m->n_heads, hd = (double)m->head_dim;
    switch (m->attn) {
    case AB_MODEL_ATTN_MHA:
        return 2.0 * h * hd * keys;
    case AB_MODEL_ATTN_LINEAR_ELU1: {
        double f = (double)m->linear_feature_dim;
        return h * (2.0 * f * hd + f);
    }
    case AB_MODEL_ATTN_LSH: {
        double bucket = (double)m->lsh.bucket_size;
        double n_buckets = fmax(2.0, ctx / bucket);
        return (double)m->lsh.n_rounds * h * (hd * n_buckets / 2.0 + 2.0 * hd * fmin(2.0 * bucket, keys));
    }
    case AB_MODEL_ATTN_MLA:
        return h * (double)(m->mla.qk_nope_dim + m->mla.qk_rope_dim + m->mla.v_head_dim) * keys;
    case AB_MODEL_ATTN_COUNT:
        break;
    }
    return NAN;
}

/* Elements of the KV cache (or of linear attention's state) at n tokens. */
static double kv_elems(const struct ab_model *m, double n)
{
    double layers = (double)m->n_layers;
    switch (m->attn) {
    case AB_MODEL_ATTN_MHA:
    case AB_MODEL_ATTN_LSH:
        return 2.0 * layers * (double)(m->n_kv_heads * m->head_dim) * n;
    case AB_MODEL_ATTN_LINEAR_ELU1: {
        double f = (double)m->linear_feature_dim;
        return layers * (double)m->n_heads * (f * (double)m->head_dim + f);
    }
    case AB_MODEL_ATTN_MLA:
        return layers * (double)(m->mla.kv_lora_rank + m->mla.qk_rope_dim) * n;
    case AB_MODEL_ATTN_COUNT:
        break;
    }
    return NAN;
}

/* Peak activation elements of a prefill of n tokens: one layer's live set (memory_text). */
static double activation_elems(const struct ab_model *m, double n)
{
    double d = (double)m->d_model, h = (double)m->n_heads;
    double attn;
    switch (m->attn) {
    case AB_MODEL_ATTN_MLA: {
        double qk = (double)(m->mla.qk_nope_dim + m->mla.qk_rope_dim), v = (double)m->mla.v_head_dim;
        attn = n * h * (2.0 * qk + 2.0 * v) + n * n; /* q, k, v decompressed, output; one head's scores */
        break;
    }
    case AB_MODEL_ATTN_LSH:
        attn = 2.0 * n * h * (double)m->head_dim + (double)m->lsh.n_rounds * n * 2.0 * (double)m->lsh.bucket_size;
        break;
    case AB_MODEL_ATTN_LINEAR_ELU1:
        attn = 2.0 * n * h * (double)m->head_dim +
               (double)m->linear_feature_dim * ((double)m->head_dim + 1.0); /* q, output; one head's state */
        break;
    case AB_MODEL_ATTN_MHA:
    default:
        attn = 2.0 * n * h * (double)m->head_dim + n * n; /* q, output; one head's scores */
        break;
    }
    double hidden_per_ff = m->act == AB_MOE_ACT_SWIGLU ? 2.0 : 1.0;
    double ffn;
    if (m->router == AB_MODEL_ROUTER_DENSE) {
        ffn = n * (double)m->d_ff * hidden_per_ff;
    } else {
        double k = m->experts_per_token;
        ffn = n * (k + (double)m->n_shared_experts) * (double)m->d_ff * hidden_per_ff + 2.0 * n * k * d;
        if (m->n_dense_layers > 0)
            ffn = fmax(ffn, n * (double)m->dense_d_ff * hidden_per_ff);
    }
    return n * d + fmax(n * d + attn, n * d + ffn) + (double)m->vocab;
}

void ab_model_analyse(const struct ab_model *m, double n_tokens, struct ab_model_figures *out)
{
    struct ab_moe_config cfg;
    struct ab_moe_param_count p;
    ab_model_moe_config(m, &cfg);
    ab_moe_count_params(&cfg, &p);
    bool moe = m->router != AB_MODEL_ROUTER_DENSE;
    double n = n_tokens, layers = (double)m->n_layers;
    struct ab_model_figures f = {
        .params_total = p.total,
        .params_active = p.active,
        /* a dense model's FFN is counted by ab_moe_count_params as one always-active expert */
        .params_expert_total = moe ? p.expert_total : 0.0,
        .params_expert_active = moe ? p.expert_active : 0.0,
        .params_dense = moe ? p.dense : p.total,
        .params_embedding_input = m->untied_head ? (double)m->vocab * (double)m->d_model : 0.0,
    };
    double matmul = 2.0 * (p.active - f.params_embedding_input);
    f.flops_per_token_decode = matmul + 2.0 * layers * attn_macs(m, n + 1.0, n + 1.0);
    f.flops_per_token_prefill = matmul + 2.0 * layers * attn_macs(m, (n + 1.0) / 2.0, n);
    f.weight_bytes = p.total * m->weight_bytes_per_param;
    f.offloaded_bytes =
        moe && m->offload_inactive_experts ? (p.expert_total - p.expert_active) * m->weight_bytes_per_param : 0.0;
    f.weight_bytes_resident = f.weight_bytes - f.offloaded_bytes;
    f.kv_cache_bytes = kv_elems(m, n) * m->kv_bytes_per_elem;
    f.activation_bytes = activation_elems(m, n) * m->act_bytes_per_elem;
    f.memory_bytes = f.weight_bytes_resident + f.kv_cache_bytes + f.activation_bytes;
    double moe_layers = layers - (double)m->n_dense_layers;
    f.a2a_bytes_per_token =
        moe ? moe_layers * 2.0 * m->experts_per_token * (double)m->d_model * m->act_bytes_per_elem : 0.0;
    *out = f;
}
