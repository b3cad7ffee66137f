/*
 * moe_dispatch_impl.h - private to kernels/moe: parameters of the moe_dispatch family
 * and the FLOP / byte models its variants share (moe_dispatch_family.c).
 */
#ifndef ARCHBENCH_MOE_DISPATCH_IMPL_H
#define ARCHBENCH_MOE_DISPATCH_IMPL_H

#include "archbench/moe.h"

enum ab__disp_param {
    AB__DP_TOKENS, AB__DP_D_MODEL, AB__DP_EXPERTS, AB__DP_K, AB__DP_GATE, AB__DP_CAP_PCT, AB__DP_DIST,
    AB__DP_PARAM_COUNT
};

double ab__moe_dispatch_flops(const struct ab_shape *shape);
double ab__moe_dispatch_bytes(const struct ab_shape *shape);

/* Workspace of the variants that use ab__moe_dispatch: expert offsets, rows, slot_row. */
struct ab__disp_layout {
    size_t off, rows, slot_row, total;  /* byte offsets in the workspace, and its size */
};
struct ab__disp_layout ab__moe_dispatch_layout(size_t n_tokens, size_t k, size_t n_experts);
size_t ab__moe_dispatch_workspace(const struct ab_shape *shape, int n_threads);

/* Argument checks shared by the variants (sizes, k, pointers). */
enum ab_status ab__moe_dispatch_check(const struct ab_moe_dispatch_args *args);

/* Pure data movement plus one multiply-add order: variants agree bit for bit (rel 1e-7: the registry wants a positive rule). */
#define AB__DISPATCH_TOL { .cmp = AB_CMP_REL_FRO, .rel = 1e-7, .scale_param = -1, .scale_ref = 0.0 }

#endif /* ARCHBENCH_MOE_DISPATCH_IMPL_H */
