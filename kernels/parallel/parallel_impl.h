/*
 * parallel_impl.h - private to kernels/parallel: shape parameters of the collective
 * families and what their variants share.
 */
#ifndef ARCHBENCH_PARALLEL_IMPL_H
#define ARCHBENCH_PARALLEL_IMPL_H

#include <stdbool.h>

#include "archbench/parallel.h"

enum ab__ep_param {
    AB__EP_TOKENS, AB__EP_D_MODEL, AB__EP_D_FF, AB__EP_EXPERTS, AB__EP_K, AB__EP_ACT, AB__EP_DIST, AB__EP_RANKS,
    AB__EP_PARAM_COUNT
};
enum ab__ep_phase { AB__EP_ROUTE, AB__EP_DISPATCH, AB__EP_EXPERT, AB__EP_COMBINE, AB__EP_PHASE_COUNT };
_Static_assert(AB__EP_PHASE_COUNT <= AB_PHASES_MAX, "moe_ep phases fit ab_phase_acc");

enum ab__tp_param { AB__TP_TOKENS, AB__TP_D_MODEL, AB__TP_D_ATTN, AB__TP_RANKS, AB__TP_PARAM_COUNT };
enum ab__tp_phase { AB__TP_PROJECT, AB__TP_ALLREDUCE, AB__TP_PHASE_COUNT };

/* Why a collective family cannot run here: no MPI, or another rank count than the
 * shape's `ranks` (param index ranks_param). NULL when it can. */
const char *ab__parallel_unavailable(const struct ab_shape *shape, int ranks_param);

/* Workspace of the router and of the grouped expert kernel for these sizes. */
size_t ab__moe_ep_route_workspace(size_t n_tokens, size_t d, size_t n_e, int n_threads);
size_t ab__moe_ep_grouped_workspace(size_t n_rows, size_t d, size_t f, size_t n_e, size_t k, enum ab_moe_act act,
                                    int n_threads);
/* Route n_tokens rows of x: softmax top-k, renormalised, no capacity (the fast router). */
enum ab_status ab__moe_ep_route(const float *x, const float *w_gate, size_t n_tokens, size_t d, size_t n_e, int k,
                                int32_t *expert, float *weight, uint8_t *keep, void *ws, size_t ws_bytes,
                                int n_threads);

/* An MPI_Alltoallv of floats, as ab__mpi_alltoallv_f32. */
typedef enum ab_status (*ab__alltoallv_f32_fn)(const float *send, const int *send_counts, const int *send_displs,
                                               float *recv, const int *recv_counts, const int *recv_displs);

/*
 * The expert-parallel layer (moe_ep_alltoallv.c). combine_exchange is the exchange that
 * brings the expert outputs back: ab__mpi_alltoallv_f32 in the variant; the mutant of
 * tests/mpi passes one of its own (wrong receive displacements) that verification must
 * catch, so no wrong-on-purpose code lives in the library.
 */
enum ab_status ab__moe_ep_layer(const struct ab_moe_ep_args *a, const struct ab_exec *exec,
                                ab__alltoallv_f32_fn combine_exchange);
size_t ab__moe_ep_layer_workspace(const struct ab_shape *s, int n_threads);

double ab__moe_ep_flops(const struct ab_shape *s);
double ab__moe_ep_bytes(const struct ab_shape *s);

#endif /* ARCHBENCH_PARALLEL_IMPL_H */
