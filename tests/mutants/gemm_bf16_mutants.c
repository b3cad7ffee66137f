/*
 * gemm_bf16_mutants.c - a wrong gemm_bf16 variant (see mutants.h): the classic bug of a
 * pair-packed kernel, a last k element that has no partner dropped instead of padded
 * with zero. Right for every even k, so only shapes with odd k catch it.
 */
#include "archbench/gemm_bf16.h"

#include "mutants.h"

static enum ab_status drops_last_odd_k(const struct ab_gemm_bf16_args *args, const struct ab_exec *exec)
{
    struct ab_gemm_bf16_args part = *args;
    part.k -= part.k % 2; /* same strides: the sum simply stops one element short */
    return ab_kernel_ref(&ab_family_gemm_bf16)->fn.gemm_bf16(&part, exec);
}

static size_t ref_workspace(const struct ab_shape *shape, int n_threads)
{
    return ab_kernel_ref(&ab_family_gemm_bf16)->workspace_bytes(shape, n_threads);
}

static double ref_flops(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_bf16)->flops(shape);
}

static double ref_bytes(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_bf16)->bytes(shape);
}

extern const struct ab_kernel ab__mutant_gemm_bf16_drops_last_odd_k;
const struct ab_kernel ab__mutant_gemm_bf16_drops_last_odd_k = {
    .name = "mutant_gemm_bf16_drops_last_odd_k",
    .family = &ab_family_gemm_bf16,
    .variant = "mutant",
    .doc = "drops the last k element when k is odd (no zero-padded last pair)",
    .isa_needs = 0,
    .is_ref = false,
    .fn = {.gemm_bf16 = drops_last_odd_k},
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ref_flops,
    .bytes = ref_bytes,
    /* The optimized variant's rule (k is parameter 2): the mutant must fail where it would pass. */
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 2e-6, .scale_param = 2, .scale_ref = 256.0},
};
