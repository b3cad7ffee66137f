/*
 * gemm_f16_mutants.c - a wrong gemm_f16 variant (see mutants.h): the classic bug of a
 * kernel that widens FP16 16 elements at a time, a k tail shorter than a vector left out
 * of the sum instead of loaded under a mask. Right whenever k is a multiple of 16, so
 * only shapes with other k catch it.
 */
#include "archbench/gemm_f16.h"

#include "mutants.h"

static enum ab_status drops_k_tail(const struct ab_gemm_f16_args *args, const struct ab_exec *exec)
{
    struct ab_gemm_f16_args part = *args;
    part.k -= part.k % 16; /* same strides: the sum simply stops at the last whole vector */
    return ab_kernel_ref(&ab_family_gemm_f16)->fn.gemm_f16(&part, exec);
}

static size_t ref_workspace(const struct ab_shape *shape, int n_threads)
{
    return ab_kernel_ref(&ab_family_gemm_f16)->workspace_bytes(shape, n_threads);
}

static double ref_flops(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_f16)->flops(shape);
}

static double ref_bytes(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_f16)->bytes(shape);
}

extern const struct ab_kernel ab__mutant_gemm_f16_drops_k_tail;
const struct ab_kernel ab__mutant_gemm_f16_drops_k_tail = {
    .name = "mutant_gemm_f16_drops_k_tail",
    .family = &ab_family_gemm_f16,
    .variant = "mutant",
    .doc = "leaves the last k % 16 elements out of every sum (no masked tail load)",
    .isa_needs = 0,
    .is_ref = false,
    .fn = {.gemm_f16 = drops_k_tail},
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ref_flops,
    .bytes = ref_bytes,
    /* The optimized variant's rule (k is parameter 2): the mutant must fail where it would pass. */
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-6, .scale_param = 2, .scale_ref = 256.0},
};
