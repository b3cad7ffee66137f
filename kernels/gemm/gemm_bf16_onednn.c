/*
 * gemm_bf16_onednn.c - oneDNN's matmul primitive with bf16 inputs and f32 output as the
 * gemm_bf16 baseline (built only with the onednn feature), verified against the
 * reference like any variant. The call itself, its costs and its threading are
 * gemm_onednn_matmul.c's, shared with gemm_f16_onednn.
 */
#include "archbench/cpu.h"
#include "archbench/gemm_bf16.h"

#include "gemm_bf16_impl.h"
#include "gemm_onednn_impl.h"

static enum ab_status gemm_bf16_onednn(const struct ab_gemm_bf16_args *args, const struct ab_exec *exec)
{
    if (!args || !exec || exec->n_threads < 1)
        return AB_EINVAL;
    if (args->m == 0 || args->n == 0)
        return AB_OK;
    if (!args->a || !args->b || !args->c || args->k == 0)
        return AB_EINVAL;
    struct ab__onednn_matmul mm = {.in = dnnl_bf16, .m = args->m, .n = args->n, .k = args->k, .a = args->a,
                                   .lda = args->lda, .b = args->b, .ldb = args->ldb, .trans_b = args->trans_b,
                                   .c = args->c, .ldc = args->ldc, .alpha = args->alpha, .beta = args->beta};
    return ab__onednn_matmul_run(&mm, exec->n_threads) == dnnl_success ? AB_OK : AB_EINVAL;
}

extern const struct ab_kernel ab__kernel_gemm_bf16_onednn;
const struct ab_kernel ab__kernel_gemm_bf16_onednn = {
    .name = "gemm_bf16_onednn",
    .family = &ab_family_gemm_bf16,
    .variant = "onednn",
    .doc = "oneDNN matmul primitive, bf16 inputs, f32 output (primitive from oneDNN's cache after the first call)",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.gemm_bf16 = gemm_bf16_onednn,
    .supports = NULL,
    .workspace_bytes = ab__gemm_half_no_workspace,
    .flops = ab__gemm_half_flops,
    .bytes = ab__gemm_half_bytes,
    .tol = AB__GEMM_BF16_TOL,
};
