/*
 * attention.h - attention kernel families: exact multi-head attention (mha), linear
 * attention (linear_attn), Reformer-style LSH attention (lsh_attn) and rotary position
 * embedding (rope). Typed argument structs and family descriptors.
 *
 * Layout conventions (all FP32, row-major, contiguous, no padding):
 *   mha / linear_attn: Q, K, V and O are [batch][heads][n][d] (head-major, as produced
 *     by a transpose of the projection output); K and V have heads_kv heads.
 *   rope: X and Y are [n_tokens][heads][d] (token-major, as produced by a projection).
 *
 * Exact attention semantics (mha), the contract every variant meets:
 *   O[b,h,i,:] = sum_j softmax_j(scale * Q[b,h,i,:] . K[b,g,j,:] + M[b,i,j]) V[b,g,j,:]
 *   - g = h / (heads_q / heads_kv) (grouped-query attention; heads_q % heads_kv == 0).
 *   - M is -inf where a key is masked, 0 elsewhere. A key j is masked for query i when
 *     key_mask is given and key_mask[b * n_kv + j] == 0 (key padding), or when causal
 *     and j > i + (n_kv - n_q): the causal mask is aligned BOTTOM-RIGHT, so the last
 *     query sees every key (prefill after a KV-cache prefix of n_kv - n_q tokens, as in
 *     FlashAttention >= 2.1; PyTorch's is_causal is top-left and differs when
 *     n_q != n_kv). With n_q > n_kv the first n_q - n_kv query rows see no key.
 *   - A FULLY MASKED ROW (no key allowed) gives an output row of exact zeros, never NaN
 *     (the convention PyTorch adopted for all SDPA backends).
 *   - Non-finite inputs: a NaN or +-Inf in Q row i, or in a K or V row that query i
 *     attends, makes output row i NaN (it is never silently dropped, and never
 *     crashes). Masked keys are skipped, not multiplied by zero, where a variant can
 *     (reference: always; flash: key padding and whole causal tiles); inside a tile
 *     straddling the causal diagonal the flash variant multiplies masked V rows by 0,
 *     so a NaN V row of a key allowed for later rows of the same query block can also
 *     turn earlier rows of that block NaN. The unfused BLAS variant multiplies every
 *     masked V row by 0 (what a user's sgemm-softmax-sgemm code does).
 *   - FLOPs: 4 * d per (query, key) pair allowed by the causal mask (2*d for Q K^T,
 *     2*d for P V), key padding not subtracted; softmax not counted.
 */
#ifndef ARCHBENCH_ATTENTION_H
#define ARCHBENCH_ATTENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/kernel.h"
#include "archbench/status.h"

/* ---- exact multi-head attention ------------------------------------------------------ */

struct ab_mha_args {
    size_t batch;
    size_t heads_q, heads_kv;    /* heads_q % heads_kv == 0 */
    size_t n_q, n_kv;            /* query rows and key/value rows per head */
    size_t d;                    /* head dimension (Q, K and V) */
    const float *q;              /* [batch][heads_q][n_q][d] */
    const float *k;              /* [batch][heads_kv][n_kv][d] */
    const float *v;              /* [batch][heads_kv][n_kv][d] */
    const uint8_t *key_mask;     /* NULL, or [batch][n_kv]: 1 attend, 0 masked (padding) */
    bool causal;                 /* bottom-right aligned, see above */
    float scale;                 /* usually 1 / sqrt(d) */
    float *out;                  /* [batch][heads_q][n_q][d] */
};

AB_API extern const struct ab_family ab_family_mha;

/* ---- rotary position embedding -------------------------------------------------------- */

enum ab_rope_pairing {
    AB_ROPE_INTERLEAVED, /* pairs (x[2i], x[2i+1]): GPT-J, Meta Llama reference, ggml NORMAL */
    AB_ROPE_HALF_SPLIT,  /* pairs (x[i], x[i + d_rot/2]): GPT-NeoX, HF rotate_half, ggml NEOX */
    AB_ROPE_PAIRING_COUNT
};

/*
 * Y = RoPE(X): for token t at position p = pos_offset + t and pair i < d_rot/2,
 * angle = p * theta_base^(-2i/d_rot), the pair (a, b) becomes
 * (a cos - b sin, a sin + b cos). Dimensions d_rot..d-1 are copied unchanged.
 * d_rot is even and <= d. Y may equal X (in place); otherwise they do not overlap.
 * Angles are formed in double (p * theta_i), so long positions keep their precision.
 */
struct ab_rope_args {
    size_t n_tokens, heads, d, d_rot;
    enum ab_rope_pairing pairing;
    double theta_base;           /* 10000 (Llama 2), 500000 (Llama 3) */
    int64_t pos_offset;          /* position of token 0; may be negative (inverse tests) */
    bool inverse;                /* rotate by -angle (undo a rotation) */
    const float *x;              /* [n_tokens][heads][d] */
    float *y;                    /* [n_tokens][heads][d] */
};

AB_API extern const struct ab_family ab_family_rope;

/* ---- linear attention ------------------------------------------------------------------ */

/*
 * phi(x) = elu(x) + 1 (x + 1 for x > 0, exp(x) otherwise), applied to Q and K, no 1/sqrt(d).
 * Non-causal: O_i = phi(q_i)^T (sum_j phi(k_j) v_j^T) / (phi(q_i) . sum_j phi(k_j) + eps).
 * Causal: the sums run over j <= i (the state INCLUDES the current token); n_q == n_kv.
 * heads_q == heads_kv here (no GQA). FLOPs: non-causal 4*n*d*dv + 2*n*d (the z terms),
 * counted per (b,h) on n = max(n_q, n_kv) rows; causal the same formula (the chunked
 * kernel's extra intra-chunk work is not counted, so GFLOP/s compare with non-causal).
 */
struct ab_linear_attn_args {
    size_t batch, heads, n, d, dv;
    bool causal;
    float eps;                   /* 1e-6 */
    const float *q;              /* [batch][heads][n][d] */
    const float *k;              /* [batch][heads][n][d] */
    const float *v;              /* [batch][heads][n][dv] */
    float *out;                  /* [batch][heads][n][dv] */
};

AB_API extern const struct ab_family ab_family_linear_attn;

/* ---- LSH attention ---------------------------------------------------------------------- */

/*
 * Reformer-style LSH attention with shared QK (Kitaev et al. 2020; trax/HF conventions),
 * per (batch, head), C = chunk_len, n_chunks = ceil(n / C):
 *   - keys k_j = qk_j / ||qk_j|| (a zero row stays zero); queries q_i = qk_i are NOT
 *     normalised; logit(i, j) = scale * q_i . k_j (trax/HF use scale = 1).
 *   - hashing, round r: p = qk_i R_r with R_r = rotations[r] (d x n_buckets/2). The
 *     projection is part of the definition, so that every variant gets bit-identical
 *     buckets: p[b] accumulated in FP32 over t = 0..d-1 in order, each product and each
 *     sum rounded separately (no FMA). bucket = argmax over the n_buckets values
 *     [p[0..nb/2), -p[0..nb/2)], the first index on ties (a NaN p[0] gives bucket 0).
 *     n_buckets == 1: every token is in bucket 0 (no hashing).
 *   - tokens are sorted by (bucket, position) within the round and cut into chunks of C
 *     (the last one shorter when C does not divide n); a query attends the keys of its
 *     own chunk and of the previous chunk of the same round (chunk 0 looks at the last
 *     chunk: wrap-around); with a single chunk it attends that chunk once.
 *   - masks, on ORIGINAL positions: the key at the query's own position gets the finite
 *     logit -1e5 (a token attends to itself only when nothing else is allowed, as trax
 *     and HF do in FP32); causal: keys j > i are dropped (probability exactly 0). No row
 *     is ever empty (its own key is always in its chunk).
 *   - dedup: logit(i, j) -= log N_ij, N_ij = number of rounds whose candidate set of i
 *     contains j (paper eq. 16); without dedup a key reached in several rounds is
 *     counted as often as it occurs (trax and HF).
 *   - per round: lse_r(i) = logsumexp of the logits, o_r(i) = softmax-weighted sum of v;
 *     rounds combined: out(i) = sum_r exp(lse_r(i) - logsumexp_r lse_r(i)) o_r(i), i.e. one
 *     softmax over the union (multiset) of the rounds' candidates.
 * Rotations are an input so that every variant and both references hash identically.
 * FLOPs: 4*d per evaluated (query, key, round) + d*n_buckets per (token, round) (hash).
 */
struct ab_lsh_attn_args {
    size_t batch, heads, n, d;   /* v and out have d columns too */
    size_t n_rounds, n_buckets, chunk_len;   /* n_buckets 1 or even; n_rounds <= 16 */
    bool causal, dedup;
    float scale;
    const float *qk;             /* [batch][heads][n][d] */
    const float *v;              /* [batch][heads][n][d] */
    const float *rotations;      /* [n_rounds][d][n_buckets/2], shared by all heads */
    float *out;                  /* [batch][heads][n][d] */
};

AB_API extern const struct ab_family ab_family_lsh_attn;

#endif /* ARCHBENCH_ATTENTION_H */
