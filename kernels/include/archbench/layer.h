/*
 * layer.h - the layer family: one pre-norm transformer block composed from the
 * project's kernel families, so a model configuration can be measured as tokens/s per
 * layer (issue 11). FP32 throughout (activations, weights and accumulators in float;
 * the reference accumulates in double); no INT8 path.
 *
 * One call, for a sequence of n tokens (batch 1), d = d_model, da = heads * head_dim:
 *   xn  = RMSNorm(x) * norm1                  RMSNorm(v) = v / sqrt(mean(v^2) + 1e-6)
 *   Q, K, V = xn Wq^T, xn Wk^T, xn Wv^T       gemm_f32; LSH: QK = xn Wqk^T shared, and V
 *   Q, K = RoPE(Q), RoPE(K)                   when rope: half_split, theta 10000, d_rot =
 *                                             head_dim, positions 0..n-1 (LSH: QK only)
 *   O   = Attention(Q, K, V)                  mha (scale 1/sqrt(head_dim)), linear_attn
 *                                             (elu+1, eps 1e-6) or lsh_attn (shared QK,
 *                                             scale 1, no dedup), causal or not
 *   h   = x + O Wo^T                          first residual
 *   hn  = RMSNorm(h) * norm2
 *   y   = h + FFN(hn)                         second residual; FFN is moe_ffn (SwiGLU):
 *     dense      one expert, weight 1 (w13, w2 of one expert)
 *     topk       moe_route softmax top-k WITHOUT renormalisation (article A's V3 gate)
 *     threshold  moe_route threshold tau: every expert with p > tau (at most k), the
 *                argmax when none passes, weights renormalised over the active set
 *                (article A's R1 gate)
 * RMSNorm rather than LayerNorm: what the MoE decoders measured here use; the two
 * differ by a mean subtraction, O(n d), far below the GEMMs in cost.
 *
 * Weight layouts are those of the families used: every projection is stored out x in
 * (a row per output unit, trans_b GEMMs); w_qkv stacks Wq, Wk, Wv (3 da x d; LSH: Wqk,
 * Wv, 2 da x d); w13 / w2 as moe.h (SwiGLU: E x 2 d_ff x d and E x d x d_ff).
 */
#ifndef ARCHBENCH_LAYER_H
#define ARCHBENCH_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/kernel.h"
#include "archbench/status.h"

enum ab_layer_attn {
    AB_LAYER_ATTN_MHA,
    AB_LAYER_ATTN_LINEAR,
    AB_LAYER_ATTN_LSH,
    AB_LAYER_ATTN_COUNT
};

enum ab_layer_ffn {
    AB_LAYER_FFN_DENSE,
    AB_LAYER_FFN_TOPK,
    AB_LAYER_FFN_THRESHOLD,
    AB_LAYER_FFN_COUNT
};

/*
 * What a call can report besides y (optional, for metrics and diagnosis; never timed):
 * h, the residual stream after attention, n x d_model, and the routing the FFN consumed,
 * n x k each (dense: expert 0, weight 1). A variant writes every non-NULL member.
 */
struct ab_layer_trace {
    float *h;
    int32_t *expert;
    float *weight;
    uint8_t *keep;
};

struct ab_layer_args {
    size_t n_tokens, d_model, heads, head_dim, d_ff;
    size_t n_experts;             /* dense: 1 */
    int k;                        /* top-k, or the threshold gate's cap; dense: 1 */
    enum ab_layer_attn attn;
    enum ab_layer_ffn ffn;
    bool causal, rope;
    float tau;                    /* threshold gate */
    size_t lsh_rounds, lsh_buckets, lsh_chunk;
    const float *x;               /* n x d_model */
    const float *norm1, *norm2;   /* d_model gains */
    const float *w_qkv;           /* (3 da or, LSH, 2 da) x d_model */
    const float *w_o;             /* d_model x da */
    const float *lsh_rotations;   /* LSH only: [rounds][head_dim][buckets / 2] */
    const float *w_gate;          /* MoE only: n_experts x d_model */
    const float *w13, *w2;        /* moe.h layouts, n_experts of them */
    struct ab_layer_trace *trace; /* NULL, or what to report (see above) */
    float *y;                     /* n x d_model */
};

AB_API extern const struct ab_family ab_family_layer;

#endif /* ARCHBENCH_LAYER_H */
