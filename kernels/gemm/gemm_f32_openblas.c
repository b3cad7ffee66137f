/*
 * gemm_f32_openblas.c - OpenBLAS cblas_sgemm as a measured baseline variant (built only
 * with the openblas feature). It answers "what would a user get from a BLAS" beside
 * our own kernels; ab_kernel_best() never selects it.
 *
 * OpenBLAS keeps its thread count in global state: the variant sets it to
 * exec->n_threads on every call, which costs a few ns and keeps runs comparable.
 */
#include <stdio.h>
#include <string.h>

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

/* The baseline's identity for context.json: which OpenBLAS core it dispatched to (an
 * OPENBLAS_CORETYPE in the environment can force a lower ISA than the CPU has). */
bool ab_blas_baseline(struct ab_blas_info *out_info)
{
    memset(out_info, 0, sizeof *out_info);
    snprintf(out_info->library, sizeof out_info->library, "OpenBLAS");
    const char *core = openblas_get_corename();
    const char *config = openblas_get_config();
    snprintf(out_info->core, sizeof out_info->core, "%s", core ? core : "unknown");
    snprintf(out_info->config, sizeof out_info->config, "%s", config ? config : "unknown");
    out_info->n_threads = openblas_get_num_threads();
    return true;
}
