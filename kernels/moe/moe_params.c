/*
 * moe_params.c - parameter accounting of an MoE transformer from its shapes (claims
 * A1, A4, A5, B4 rest on these counts). Biases are ignored; every count is a double so
 * fractional mean experts per token (dynamic routing) carry through.
 */
#include "archbench/moe.h"

void ab_moe_count_params(const struct ab_moe_config *cfg, struct ab_moe_param_count *out)
{
    double layers = (double)cfg->n_layers, d = (double)cfg->d_model, dff = (double)cfg->d_ff;
    double mats = cfg->act == AB_MOE_ACT_SWIGLU ? 3.0 : 2.0;
    double expert = mats * d * dff;                      /* one expert */
    double d_kv = cfg->d_kv > 0 ? (double)cfg->d_kv : (double)cfg->d_attn;
    double attn = 2.0 * d * (double)cfg->d_attn + 2.0 * d * d_kv; /* q, o and k, v */
    double norms = 2.0 * d;
    double router = cfg->n_experts > 1 ? d * (double)cfg->n_experts : 0.0;
    double shared = (double)cfg->n_shared_experts * expert;
    double embed = (double)cfg->vocab * d * (cfg->untied_head ? 2.0 : 1.0);
    double k = cfg->experts_per_token;
    if (k > (double)cfg->n_experts)
        k = (double)cfg->n_experts;
    out->expert_total = layers * (double)cfg->n_experts * expert;
    out->expert_active = layers * k * expert;
    out->dense = embed + d + layers * (attn + norms + router + shared);
    out->total = out->dense + out->expert_total;
    out->active = out->dense + out->expert_active;
}
