/*
 * gemm_f32_openblas.c - OpenBLAS cblas_sgemm as a measured baseline variant (built only
 * with the openblas feature). It answers "what would a user get from a BLAS" beside
 * our own kernels; ab_kernel_best() never selects it.
 *
 * OpenBLAS keeps its thread count in global state: the variant sets it to
 * exec->n_threads on every call, which costs a few ns and keeps runs comparable.
 */
#include <cblas.h>

#include "archbench/gemm.h"

#include "gemm_impl.h"

static enum ab_status gemm_f32_openblas(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    openblas_set_num_threads(exec->n_threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, args->trans_b ? CblasTrans : CblasNoTrans, (blasint)args->m,
                (blasint)args->n, (blasint)args->k, args->alpha, args->a, (blasint)args->lda, args->b,
                (blasint)args->ldb, args->beta, args->c, (blasint)args->ldc);
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_gemm_f32_openblas;
const struct ab_kernel ab__kernel_gemm_f32_openblas = {
    .name = "gemm_f32_openblas",
    .family = &ab_family_gemm_f32,
    .variant = "openblas",
    .doc = "OpenBLAS cblas_sgemm, the baseline a user would otherwise call",
    .isa_needs = 0,
    .is_ref = false,
    .fn.gemm_f32 = gemm_f32_openblas,
    .supports = NULL,
    .workspace_bytes = ab__gemm_f32_no_workspace,
    .flops = ab__gemm_f32_flops,
    .bytes = ab__gemm_f32_bytes,
    .tol = AB__GEMM_F32_TOL,
};
