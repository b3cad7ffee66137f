/*
 * layer_ref.c - the reference layer: the composition of layer_compose.c with every
 * sub-kernel its family's reference (gemm_f32_ref, rope_ref, mha_ref / linear_attn_ref /
 * lsh_attn_ref, moe_route_ref, moe_ffn_ref), one thread, norms and residuals in double.
 * The oracle of layer_best; never timed against the full-size model, only scaled ones.
 */
#include "layer_impl.h"

static size_t ref_workspace(const struct ab_shape *s, int n_threads)
{
    struct ab__layer_shapes sh;
    ab__layer_shapes(s, &sh);
    struct ab__layer_parts p;
    ab__layer_parts_ref(&sh, &p);
    return ab__layer_workspace(&sh, &p, n_threads);
}

static enum ab_status layer_ref(const struct ab_layer_args *a, const struct ab_exec *exec)
{
    return ab__layer_run(a, exec, false);
}

extern const struct ab_kernel ab__kernel_layer_ref;
const struct ab_kernel ab__kernel_layer_ref = {
    .name = "layer_ref",
    .family = &ab_family_layer,
    .variant = "ref",
    .doc = "every sub-kernel its family's reference, one thread, double norms and residuals (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.layer = layer_ref,
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ab__layer_flops,
    .bytes = ab__layer_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
