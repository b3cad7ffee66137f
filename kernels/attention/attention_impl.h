/*
 * attention_impl.h - private to kernels/attention: shape parameter indexes of the
 * attention families and the descriptor helpers the variants share (defined in the
 * *_family.c files).
 */
#ifndef ARCHBENCH_ATTENTION_IMPL_H
#define ARCHBENCH_ATTENTION_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/attention.h"

/* ---- mha -------------------------------------------------------------------------- */

enum ab__mha_param {
    AB__MHA_BATCH,
    AB__MHA_HEADS_Q,
    AB__MHA_HEADS_KV,
    AB__MHA_N_Q,
    AB__MHA_N_KV,
    AB__MHA_D,
    AB__MHA_CAUSAL,
    AB__MHA_MASK,    /* none, padding, random */
    AB__MHA_LOGITS,  /* normal, huge */
    AB__MHA_PARAM_COUNT
};

/* 4 * d per (query, key) pair allowed by the causal mask, summed over batch and heads. */
double ab__mha_flops(const struct ab_shape *shape);
/* Compulsory traffic: Q, K, V, mask read once, O written once. */
double ab__mha_bytes(const struct ab_shape *shape);
/* Number of keys query row i may see under the causal rule (bottom-right), in [0, n_kv]. */
size_t ab__mha_causal_limit(size_t i, size_t n_q, size_t n_kv);

/* FP32 variants against the double reference: rel. Frobenius 1e-5, growing like
 * sqrt(n_kv / 4096) beyond 4096 keys (the softmax sum and P V reductions). */
#define AB__MHA_F32_TOL { .cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = AB__MHA_N_KV, .scale_ref = 4096.0 }

/* ---- rope --------------------------------------------------------------------------- */

enum ab__rope_param {
    AB__ROPE_N_TOKENS,
    AB__ROPE_HEADS,
    AB__ROPE_D,
    AB__ROPE_D_ROT,
    AB__ROPE_PAIRING,
    AB__ROPE_THETA,
    AB__ROPE_POS_OFFSET,
    AB__ROPE_PARAM_COUNT
};

double ab__rope_flops(const struct ab_shape *shape);
double ab__rope_bytes(const struct ab_shape *shape);
size_t ab__attn_no_workspace(const struct ab_shape *shape, int n_threads);

#endif /* ARCHBENCH_ATTENTION_IMPL_H */
