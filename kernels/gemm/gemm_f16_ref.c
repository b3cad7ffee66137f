/*
 * gemm_f16_ref.c - the reference FP16 GEMM, the oracle of the gemm_f16 family: the
 * exact FP16 values widened to double, plain loops, double accumulation, deterministic
 * (ab__gemm_half_ref in gemm_half_impl.h, shared with gemm_bf16's reference).
 */
#include "archbench/gemm_f16.h"

#include "gemm_half_impl.h"
#include "gemm_f16_impl.h"

static enum ab_status gemm_f16_ref(const struct ab_gemm_f16_args *args, const struct ab_exec *exec)
{
    if (!args || !exec)
        return AB_EINVAL;
    return ab__gemm_half_ref(args->m, args->n, args->k, args->a, args->lda, args->b, args->ldb, args->trans_b, args->c,
                             args->ldc, args->alpha, args->beta, exec, ab__f16_to_f32);
}

extern const struct ab_kernel ab__kernel_gemm_f16_ref;
const struct ab_kernel ab__kernel_gemm_f16_ref = {
    .name = "gemm_f16_ref",
    .family = &ab_family_gemm_f16,
    .variant = "ref",
    .doc = "plain loops over the exact FP16 values, double accumulation (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.gemm_f16 = gemm_f16_ref,
    .supports = NULL,
    .workspace_bytes = ab__gemm_half_ref_workspace,
    .flops = ab__gemm_half_flops,
    .bytes = ab__gemm_half_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
