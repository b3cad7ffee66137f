/*
 * moe_params.c - parameter accounting of an MoE transformer from its shapes (claims
 * A1, A4, A5, B4 rest on these counts; the analytic model of reports/model_analytic.c
 * builds on them). Biases are ignored; every count is a double so fractional mean
 * experts per token (dynamic routing) carry through.
 */
#include "archbench/moe.h"

/* Attention weights of one layer, with the norms MLA adds on its two latents. */
static double attn_params(const struct ab_moe_config *cfg)
{
    double d = (double)cfg->d_model;
    const struct ab_moe_mla *m = &cfg->mla;
    if (m->n_heads <= 0) {
        double d_kv = cfg->d_kv > 0 ? (double)cfg->d_kv : (double)cfg->d_attn;
        return 2.0 * d * (double)cfg->d_attn + 2.0 * d * d_kv; /* q, o and k, v */
    }
    double h = (double)m->n_heads, qr = (double)m->q_lora_rank, kvr = (double)m->kv_lora_rank;
    double qk_head = (double)(m->qk_nope_dim + m->qk_rope_dim);
    double q = m->q_lora_rank > 0 ? d * qr + qr + qr * h * qk_head : d * h * qk_head;
    double kv = d * (kvr + (double)m->qk_rope_dim) + kvr + kvr * h * (double)(m->qk_nope_dim + m->v_head_dim);
    double o = h * (double)m->v_head_dim * d;
    return q + kv + o;
}

void ab_moe_count_params(const struct ab_moe_config *cfg, struct ab_moe_param_count *out)
{
    double layers = (double)cfg->n_layers, d = (double)cfg->d_model, dff = (double)cfg->d_ff;
    double dense_layers = (double)cfg->n_dense_layers, moe_layers = layers - dense_layers;
    double mats = cfg->act == AB_MOE_ACT_SWIGLU ? 3.0 : 2.0;
    double expert = mats * d * dff;                      /* one expert */
    double dense_ffn = mats * d * (double)cfg->dense_d_ff;
    double attn = attn_params(cfg);
    double norms = 2.0 * d;
    double router = cfg->n_experts > 1 ? d * (double)cfg->n_experts : 0.0;
    double shared = (double)cfg->n_shared_experts * expert;
    double embed = (double)cfg->vocab * d * (cfg->untied_head ? 2.0 : 1.0);
    double k = cfg->experts_per_token;
    if (k > (double)cfg->n_experts)
        k = (double)cfg->n_experts;
    out->expert_total = moe_layers * (double)cfg->n_experts * expert;
    out->expert_active = moe_layers * k * expert;
    out->dense = embed + d + layers * (attn + norms) + moe_layers * (router + shared) + dense_layers * dense_ffn;
    out->total = out->dense + out->expert_total;
    out->active = out->dense + out->expert_active;
}
