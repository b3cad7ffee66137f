/*
 * parallel.h - kernels that run on all MPI ranks together (collective families):
 * the expert-parallel MoE layer (moe_ep) and the tensor-parallel attention output
 * projection with its all-reduce (tp_allreduce).
 *
 * moe_ep, P ranks (rank r holds tokens [r T / P, (r+1) T / P) and experts
 * [r E / P, (r+1) E / P), integer division; every rank holds the gate):
 *   1. route    the rank's tokens with the softmax top-k gate, renormalised (moe.h),
 *               no capacity, by the project's fast router;
 *   2. dispatch count the kept slots per (destination rank, expert), exchange the counts
 *               (MPI_Alltoall), pack the token rows ordered by destination, expert,
 *               token, slot, and MPI_Alltoallv them to the experts' ranks;
 *   3. expert   the received rows through the local experts with the grouped expert
 *               kernel (moe_ffn_grouped, every row one slot of weight 1);
 *   4. combine  MPI_Alltoallv the expert outputs back (the reverse counts) and sum each
 *               token's slots in slot order with their gate weights.
 * The single-process layer (moe_ep_ref: the same router and the grouped kernel on all
 * tokens and experts) is the reference; the rows of every rank are gathered on rank 0
 * to be compared with it (untimed).
 *
 * tp_allreduce, P ranks: the attention output projection y = A Wo^T (A tokens x d_attn,
 * Wo d_model x d_attn) split by heads: rank r holds columns [r d_attn / P, ...) of A and
 * of Wo, computes its partial y_r = A_r Wo_r^T and MPI_Allreduce(SUM) makes y on every
 * rank (Megatron's row-parallel linear layer). Reference: the full GEMM in one process.
 *
 * Timing is per phase (struct ab_phase_acc), with the time inside MPI calls beside it,
 * so the runner reports the communication share and the bytes each rank sent to others.
 * A slow rank's lateness lands in the others' communication time: that is what the
 * layer pays for load imbalance, and it is reported as communication.
 */
#ifndef ARCHBENCH_PARALLEL_H
#define ARCHBENCH_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/kernel.h"
#include "archbench/moe.h"

#define AB_PHASES_MAX 4

/* struct ab_collective (a family's collective hooks) is in kernel.h. */

/* Sums over the calls of one rank; a kernel adds to it when given one. */
struct ab_phase_acc {
    double phase_ns[AB_PHASES_MAX]; /* per phase, in the family's phase order */
    double comm_ns;                 /* inside MPI exchange calls (included in the phases) */
    double bytes_remote;            /* payload this rank sent to other ranks */
    double rows;                    /* work units of this rank (expert rows computed, tokens) */
    int64_t calls;
};

struct ab_moe_ep_args {
    size_t n_tokens;          /* this rank's tokens */
    size_t d_model, d_ff;
    size_t n_experts;         /* all ranks' */
    size_t n_tokens_total;    /* all ranks' (sizes the receive buffers) */
    int k;                    /* experts per token */
    enum ab_moe_act act;
    const float *x;           /* n_tokens x d_model */
    const float *w_gate;      /* n_experts x d_model */
    const float *w13, *w2;    /* this rank's experts, layout of moe.h */
    float *y;                 /* out: n_tokens x d_model */
    struct ab_phase_acc *acc; /* NULL, or phases route, dispatch, expert, combine */
};

struct ab_tp_allreduce_args {
    size_t n_tokens, d_model;
    size_t d_attn_local;      /* this rank's columns of A and Wo */
    const float *a;           /* n_tokens x d_attn_local */
    const float *w_o;         /* d_model x d_attn_local */
    float *y;                 /* out: n_tokens x d_model, the full sum on every rank */
    struct ab_phase_acc *acc; /* NULL, or phases project, allreduce */
};

AB_API extern const struct ab_family ab_family_moe_ep;
AB_API extern const struct ab_family ab_family_tp_allreduce;

/* First of `n` items (tokens, experts, columns) held by `rank` of `n_ranks`. */
AB_API size_t ab_parallel_first(size_t n, int rank, int n_ranks);

#endif /* ARCHBENCH_PARALLEL_H */
