/*
 * attention_impl.h - private to kernels/attention: shape parameter indexes of the
 * attention families and the descriptor helpers the variants share (defined in the
 * *_family.c files).
 */
#ifndef ARCHBENCH_ATTENTION_IMPL_H
#define ARCHBENCH_ATTENTION_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/attention.h"
#include "archbench/rng.h"

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

/* ---- linear_attn ------------------------------------------------------------------- */

enum ab__lin_param {
    AB__LIN_BATCH,
    AB__LIN_HEADS,
    AB__LIN_N,
    AB__LIN_D,
    AB__LIN_DV,
    AB__LIN_CAUSAL,
    AB__LIN_DIST,   /* gaussian, clustered */
    AB__LIN_PARAM_COUNT
};

double ab__lin_flops(const struct ab_shape *shape);
double ab__lin_bytes(const struct ab_shape *shape);

/* ---- lsh_attn ---------------------------------------------------------------------- */

enum ab__lsh_param {
    AB__LSH_BATCH,
    AB__LSH_HEADS,
    AB__LSH_N,
    AB__LSH_D,
    AB__LSH_ROUNDS,
    AB__LSH_BUCKETS,
    AB__LSH_CHUNK,
    AB__LSH_CAUSAL,
    AB__LSH_DEDUP,
    AB__LSH_DIST,   /* gaussian, clustered, repeat5, same */
    AB__LSH_PARAM_COUNT
};

/* The finite self-mask logit (trax and HF FP32 value, see attention.h). */
#define AB__LSH_SELF_LOGIT (-1e5)
/* Most rounds (the dedup counts index a 16-entry table in the AVX-512 kernel). */
#define AB__LSH_MAX_ROUNDS 16

/* Evaluated (query, key) pairs of one round of one (batch, head) slice: sum over chunks
 * of (chunk size) x (chunk size + previous chunk size), the previous chunk only when there
 * are at least two chunks; causal masking not subtracted. */
double ab__lsh_pairs(size_t n, size_t chunk_len);
double ab__lsh_flops(const struct ab_shape *shape);
double ab__lsh_bytes(const struct ab_shape *shape);

/* ---- inputs and fidelity shared by linear_attn and lsh_attn ----------------------------- */

/*
 * Running sums of the fidelity figures both approximate families report against exact
 * attention on sampled rows. Callers add attention-mass overlap and the exact top-1
 * mass themselves (their weights differ); ab__fidelity_add_row adds the output-row
 * part; ab__fidelity_emit writes rel_err_vs_exact, cosine_vs_exact (mean per row),
 * attn_mass_overlap, exact_top1_mass (means per row) and metric_rows.
 */
struct ab__fidelity {
    double diff2, ref2, cos_sum, overlap, top1;
    size_t n_rows;
};
void ab__fidelity_add_row(struct ab__fidelity *f, const float *approx, const double *exact, size_t n);
size_t ab__fidelity_emit(const struct ab__fidelity *f, struct ab_metric *out);

enum ab__attn_dist { AB__DIST_GAUSSIAN, AB__DIST_CLUSTERED, AB__DIST_COUNT };

/*
 * Fill q, k (may be the same pointer for shared QK: then only k is written) and v for
 * `bh` independent (batch, head) slices of n rows x d (v: dv). gaussian: N(0, 1);
 * clustered: n/32 centroids ~N(0, 1) per slice, every row of q and k = its centroid
 * (row i belongs to cluster (i * 7919) mod n_clusters, so clusters are spread over
 * positions) + 0.3 N(0, 1) noise: exact attention then concentrates on same-cluster
 * keys. v is N(0, 1) in both.
 */
void ab__attn_fill(struct ab_rng *rng, enum ab__attn_dist dist, size_t bh, size_t n, size_t d, size_t dv, float *q,
                   float *k, float *v);

/*
 * Exact softmax attention of query rows `rows[0..n_rows)` of one (batch, head) slice,
 * in double: p_ij = softmax_j(scale q_i . k_j) over all n keys, or j <= i when causal
 * (k normalised first when
 * norm_keys: the shared-QK convention of LSH attention; with self_mask the key j == i
 * gets logit -1e5, as in LSH). out_p: n_rows x n probabilities; out_o: n_rows x dv.
 */
void ab__attn_exact_rows(const float *q, const float *k, const float *v, size_t n, size_t d, size_t dv, float scale,
                         bool causal, bool norm_keys, bool self_mask, const size_t *rows, size_t n_rows, double *out_p,
                         double *out_o);

#endif /* ARCHBENCH_ATTENTION_IMPL_H */
