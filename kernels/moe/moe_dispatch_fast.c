/*
 * moe_dispatch_fast.c - the production dispatch + combine of the MoE layer, timed alone:
 *   1. ab__moe_dispatch (moe_dispatch.c): counting sort of the kept (token, slot) pairs
 *      by expert, serial;
 *   2. gather of the X rows into Xp, expert-contiguous, row-major: the grouped GEMM's
 *      input layout, exactly what moe_ffn_grouped does (one memcpy per row, OpenMP over
 *      rows). moe_ffn_avx512 does NOT build this buffer: it gathers the rows of a panel
 *      transposed into a per-thread Xt [d_model][64] inside its GEMM (pack_x), so for that
 *      variant the gather cost is part of its GEMM; it is timed here as the portable
 *      layout, an upper bound on the gather the layer pays;
 *   3. ab__moe_combine (moe_dispatch.c): per token, weighted sum of its Yp rows, OpenMP
 *      over tokens.
 * Workspace: expert offsets, rows, slot_row (as the layer's).
 */
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/moe.h"

#include "moe_dispatch_impl.h"
#include "moe_impl.h"

static enum ab_status moe_dispatch_fast(const struct ab_moe_dispatch_args *a, const struct ab_exec *exec)
{
    enum ab_status st = ab__moe_dispatch_check(a);
    if (st != AB_OK)
        return st;
    size_t n_t = a->n_tokens, d = a->d_model, n_e = a->n_experts, k = (size_t)a->route.k;
    struct ab__disp_layout l = ab__moe_dispatch_layout(n_t, k, n_e);
    if (!exec->workspace || exec->workspace_bytes < l.total)
        return AB_EINVAL;
    char *ws = exec->workspace;
    size_t *off = (size_t *)(void *)(ws + l.off);
    int32_t *rows = (int32_t *)(void *)(ws + l.rows), *slot_row = (int32_t *)(void *)(ws + l.slot_row);
    int nth = exec->n_threads > 0 ? exec->n_threads : 1;

    st = ab__moe_dispatch(&a->route, n_e, off, rows, slot_row);
    if (st != AB_OK)
        return st;
    size_t n_rows = off[n_e];
    const float *x = a->x;
    float *xp = a->xp;
#pragma omp parallel for num_threads(nth) schedule(static)
    for (size_t r = 0; r < n_rows; r++)
        memcpy(xp + r * d, x + (size_t)rows[r] * d, d * sizeof(float));
    ab__moe_combine(&a->route, slot_row, a->yp, d, a->y, nth);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_dispatch_fast;
const struct ab_kernel ab__kernel_moe_dispatch_fast = {
    .name = "moe_dispatch_fast",
    .family = &ab_family_moe_dispatch,
    .variant = "omp",
    .doc = "the layer's own functions: serial counting-sort dispatch, OpenMP row gather, OpenMP gather combine",
    .isa_needs = 0,
    .is_ref = false,
    .fn.moe_dispatch = moe_dispatch_fast,
    .supports = NULL,
    .workspace_bytes = ab__moe_dispatch_workspace,
    .flops = ab__moe_dispatch_flops,
    .bytes = ab__moe_dispatch_bytes,
    .tol = AB__DISPATCH_TOL,
};
