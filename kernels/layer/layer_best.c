/*
 * layer_best.c - the layer composed of the best runnable variant of every sub-family
 * for this CPU and sub-shape (ab_kernel_best: the first runnable row, vendor-library
 * baselines excluded), so it runs the AVX-512 kernels where they exist and falls back
 * to the portable variants, or the references, elsewhere. All threads go to every
 * sub-kernel in turn; the glue (float norms, residual fused into the output GEMM) is in
 * layer_compose.c. Built without ISA flags: the sub-kernels carry their own.
 */
#include "layer_impl.h"

static size_t best_workspace(const struct ab_shape *s, int n_threads)
{
    struct ab__layer_shapes sh;
    ab__layer_shapes(s, &sh);
    struct ab__layer_parts p;
    ab__layer_parts_best(&sh, &p);
    return ab__layer_workspace(&sh, &p, n_threads);
}

static enum ab_status layer_best(const struct ab_layer_args *a, const struct ab_exec *exec)
{
    return ab__layer_run(a, exec, true);
}

extern const struct ab_kernel ab__kernel_layer_best;
const struct ab_kernel ab__kernel_layer_best = {
    .name = "layer_best",
    .family = &ab_family_layer,
    .variant = "best",
    .doc = "each sub-family's best runnable variant for this CPU (no BLAS baseline), all threads, fused residual",
    .isa_needs = 0,
    .is_ref = false,
    .fn.layer = layer_best,
    .supports = NULL,
    .workspace_bytes = best_workspace,
    .flops = ab__layer_flops,
    .bytes = ab__layer_bytes,
    .tol = AB__LAYER_TOL,
};
