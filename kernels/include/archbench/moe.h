/*
 * moe.h - Mixture-of-Experts: routing (moe_route), expert dispatch / FFN / combine
 * (moe_ffn), dispatch + combine alone (moe_dispatch), and parameter accounting.
 *
 * Routing. Gate logits L = X Wg^T (tokens x experts, Wg stored experts x d_model, fp32),
 * then one of the gates below. Selected experts of a token are listed by descending
 * selection score, ties broken by the lower expert index (deterministic).
 *   SOFTMAX_TOPK   p = softmax(L); the k largest p; weight p (article A's V3 gate, A4) or
 *                  p / sum of the k (renormalize, Mixtral).
 *   THRESHOLD      p = softmax(L); every expert with p > tau; the argmax when none is;
 *                  weights p / sum over the active set (article A's R1 gate, A5). At
 *                  most k are kept (the k largest; k >= floor(1/tau) never truncates).
 *                  Article A's pseudo-code leaves open whether "gate value" is the
 *                  softmax probability or the raw logit, whether the comparison is > or
 *                  >=, and whether "sum of gates" runs over the active set or over all
 *                  experts (for softmax the latter is 1, which makes its renormalisation
 *                  a no-op). This implementation: softmax probability, strict >, sum
 *                  over the active set, so the weights of a token sum to 1.
 *   TOP_P          p = softmax(L) sorted descending; the shortest prefix whose
 *                  cumulative sum exceeds top_p (strictly); weights p (not renormalised
 *                  unless renormalize); if no prefix exceeds top_p, all experts (capped
 *                  at k), as the Dynamic-MoE reference code does.
 *   SIGMOID_BIAS   s = sigmoid(L); the k largest s + bias (bias only for selection,
 *                  DeepSeek-V3); weight s (unbiased), / sum if renormalize, * route_scale.
 *                  Group-limited routing is not implemented.
 * Capacity (optional, Switch style): C = ceil(capacity_factor * T * k / E) slots per
 * expert; slots are granted in token order (token 0 first, its slots by score order);
 * a slot beyond C is dropped: keep = 0, weight 0, the other slots of the token keep
 * their weights (normalisation happens before dropping, as in Mesh-TF GShard).
 *
 * Auxiliary load-balancing loss, the convention reported by the moe_route metrics:
 *   aux = E * sum_e f_e * P_e, f_e = share of all selected slots (before capacity) that
 *   went to e, P_e = mean over tokens of the normalised score (softmax p; for the
 *   sigmoid gate s / sum s). Perfect balance gives 1 (Switch convention; multiply by
 *   alpha = 0.01 for the training loss). Mixtral's HF form equals k times this.
 *
 * Expert FFN (per expert e, x a token row): SwiGLU  W2 (silu(W1 x) * (W3 x)), or GELU
 * W2 gelu(W1 x) (tanh-free erf form). Weights are stored out x in (row per output unit):
 * w13 is E x (2 d_ff) x d_model (rows [0, d_ff) are W1, [d_ff, 2 d_ff) are W3; for GELU
 * only the first d_ff rows exist, E x d_ff x d_model), w2 is E x d_model x d_ff.
 * Output y_t = sum over kept slots s of weight[t,s] * Expert_{expert[t,s]}(x_t).
 *
 * INT8 expert FFN (moe_ffn_i8), the W8A8 scheme of quant.h applied to both projections:
 * the experts' weights are quantised per output channel once, outside the call
 * (struct ab_i8_weights per expert and projection, as a deployed model stores them);
 * inside the call, per token: xq, s_x = ab_i8_quantize_row(x_t); h = dequantised
 * int32 x int8 products with quant.h's float formula ((float)acc * s_x) * s_w[j]; the
 * activation in FP32 (g = silu(h1) * h3, or gelu(h)); g is quantised per token the
 * same way and the second projection is again int8 x int8 -> int32 -> float;
 * y_t = sum over kept slots of weight * that. The integers are exact; the activation
 * and the weighted sum are float, so variants agree to a relative error (stated by the
 * family), not bit for bit. The quantised activations depend on each token only, not
 * on the expert or the block it is computed in.
 */
#ifndef ARCHBENCH_MOE_H
#define ARCHBENCH_MOE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/kernel.h"
#include "archbench/quant.h"

enum ab_moe_gate {
    AB_MOE_GATE_SOFTMAX_TOPK,
    AB_MOE_GATE_THRESHOLD,
    AB_MOE_GATE_TOP_P,
    AB_MOE_GATE_SIGMOID_BIAS,
    AB_MOE_GATE_COUNT
};

enum ab_moe_act {
    AB_MOE_ACT_SWIGLU,
    AB_MOE_ACT_GELU,
    AB_MOE_ACT_COUNT
};

/* Largest expert count the families accept. */
#define AB_MOE_MAX_EXPERTS 256

struct ab_moe_route_args {
    size_t n_tokens, d_model, n_experts;
    const float *x;           /* n_tokens x d_model */
    const float *w_gate;      /* n_experts x d_model */
    const float *sel_bias;    /* n_experts, SIGMOID_BIAS only (NULL: zeros) */
    enum ab_moe_gate gate;
    int k;                    /* experts per token (top-k), or the cap (threshold, top-p) */
    bool renormalize;
    float tau;                /* THRESHOLD */
    float top_p;              /* TOP_P */
    float route_scale;        /* SIGMOID_BIAS; 1 elsewhere */
    float capacity_factor;    /* <= 0: no capacity, nothing dropped */
    /* outputs, n_tokens x k each; unused slots: expert -1, weight 0, keep 0 */
    int32_t *expert;
    float *weight;
    uint8_t *keep;
};

/* A routing result as the FFN consumes it (the outputs above, read only). */
struct ab_moe_routing {
    size_t n_tokens;
    int k;
    const int32_t *expert;
    const float *weight;
    const uint8_t *keep;
};

struct ab_moe_ffn_args {
    size_t n_tokens, d_model, d_ff, n_experts;
    enum ab_moe_act act;
    const float *x;            /* n_tokens x d_model */
    const float *w13;          /* see the top of this file */
    const float *w2;           /* n_experts x d_model x d_ff */
    struct ab_moe_routing route;
    float *y;                  /* n_tokens x d_model */
};

/*
 * Dispatch + combine of an MoE layer alone (moe_dispatch): what the layer does around
 * its expert GEMMs. Rows of Xp (and of Yp) are the kept (token, slot) pairs ordered by
 * expert, then by token (then slot) order; n_rows = kept slots.
 *   xp[r] = x[token of row r]                 (gather, the grouped GEMM's input layout)
 *   y_t   = sum over kept slots s of t, in slot order, of weight[t,s] * yp[row of (t,s)]
 */
struct ab_moe_dispatch_args {
    size_t n_tokens, d_model, n_experts;
    const float *x;            /* n_tokens x d_model */
    const float *yp;           /* expert outputs, (n_tokens * k) x d_model; first n_rows read */
    struct ab_moe_routing route;
    float *xp;                 /* out: (n_tokens * k) x d_model; first n_rows written */
    float *y;                  /* out: n_tokens x d_model */
};

/* The INT8 expert FFN (see the top of this file); everything else as ab_moe_ffn_args. */
struct ab_moe_ffn_i8_args {
    size_t n_tokens, d_model, d_ff, n_experts;
    enum ab_moe_act act;
    const float *x;                           /* n_tokens x d_model */
    const struct ab_i8_weights *const *w13;   /* n_experts of (2 d_ff or d_ff) x d_model */
    const struct ab_i8_weights *const *w2;    /* n_experts of d_model x d_ff */
    struct ab_moe_routing route;
    float *y;                                 /* n_tokens x d_model */
};

AB_API extern const struct ab_family ab_family_moe_route;
AB_API extern const struct ab_family ab_family_moe_ffn;
AB_API extern const struct ab_family ab_family_moe_ffn_i8;
AB_API extern const struct ab_family ab_family_moe_dispatch;

/* Capacity per expert for the rule above (0 = unlimited when capacity_factor <= 0). */
AB_API size_t ab_moe_capacity(size_t n_tokens, int k, size_t n_experts, float capacity_factor);

/* Routing statistics of one result (what the moe_route metrics report). */
struct ab_moe_route_stats {
    double experts_per_token_mean;     /* kept slots per token */
    double selected_per_token_mean;    /* selected slots per token, before capacity */
    double tokens_with_n[5];           /* share of tokens with 0, 1, 2, 3, >= 4 kept experts */
    double load_cv;                    /* std / mean of selected slots per expert */
    double load_max_over_mean;
    double dropped_slots;              /* selected but beyond capacity */
    double dropped_tokens;             /* tokens left with no kept expert */
    double aux_loss;                   /* convention at the top of this file; 1 = balanced */
};

/*
 * Statistics of a routing result. probs: n_tokens x n_experts normalised scores (softmax
 * p, or s / sum s for the sigmoid gate) for the aux loss; NULL leaves aux_loss NaN.
 */
AB_API void ab_moe_route_stats(const struct ab_moe_routing *route, size_t n_experts, const float *probs,
                               struct ab_moe_route_stats *out_stats);

/* ---- parameter accounting ------------------------------------------------------------ */

/* A decoder-only MoE transformer, as far as parameter counts go. */
struct ab_moe_config {
    int64_t n_layers;
    int64_t d_model;
    int64_t vocab;              /* embedding rows; output head tied unless untied_head */
    bool untied_head;
    int64_t d_attn;             /* n_heads * head_dim (q and o are d_model x d_attn) */
    int64_t d_kv;               /* n_kv_heads * head_dim (k and v); 0 = d_attn (no GQA) */
    int64_t d_ff;               /* hidden size of one expert */
    enum ab_moe_act act;        /* SwiGLU: 3 matrices per expert, GELU: 2 */
    int64_t n_experts;          /* routed experts per MoE layer (1 = dense FFN) */
    int64_t n_shared_experts;   /* always-active experts (DeepSeek) */
    double experts_per_token;   /* k, or the measured mean for dynamic routing */
    /* The first n_dense_layers layers have one dense FFN of dense_d_ff (same act) and no
     * router or experts (DeepSeek-V3: 3 of 61, d_ff 18432); 0: every layer as above. */
    int64_t n_dense_layers;
    int64_t dense_d_ff;
    /* Multi-head latent attention (DeepSeek-V2/V3) when mla.n_heads > 0; it replaces q, k,
     * v, o (d_attn and d_kv unused): q = W_uq norm(W_dq x) (W_dq absent when q_lora_rank
     * is 0), latent c = W_dkv x with a shared RoPE key of qk_rope_dim, k_nope and v from
     * W_ukv norm(c), o from n_heads * v_head_dim. */
    struct ab_moe_mla {
        int64_t n_heads, q_lora_rank, kv_lora_rank, qk_nope_dim, qk_rope_dim, v_head_dim;
    } mla;
};

struct ab_moe_param_count {
    double total;          /* every parameter */
    double active;         /* parameters touched by one token */
    double expert_total;   /* routed expert parameters */
    double expert_active;  /* routed expert parameters one token touches */
    double dense;          /* everything else: embeddings, attention, norms, router, shared experts */
};

/* Counts (biases ignored; two norms of d_model per layer plus a final one). */
AB_API void ab_moe_count_params(const struct ab_moe_config *cfg, struct ab_moe_param_count *out_count);

#endif /* ARCHBENCH_MOE_H */
