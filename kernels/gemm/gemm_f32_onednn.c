/*
 * gemm_f32_onednn.c - oneDNN's dnnl_sgemm as a measured baseline variant (built only
 * with the onednn feature): the vendor library a user would otherwise call, verified
 * against the reference like any variant. oneDNN parallelises with the caller's OpenMP
 * settings, so the call sets the team size it was given and restores the caller's.
 */
#include <omp.h>
#include <stdio.h>

#include <oneapi/dnnl/dnnl.h>

#include "archbench/gemm.h"

#include "gemm_impl.h"

static enum ab_status gemm_f32_onednn(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    if (!args || !exec || exec->n_threads < 1)
        return AB_EINVAL;
    if (args->m == 0 || args->n == 0)
        return AB_OK;
    int saved = omp_get_max_threads();
    omp_set_num_threads(exec->n_threads);
    dnnl_status_t st = dnnl_sgemm('N', args->trans_b ? 'T' : 'N', (dnnl_dim_t)args->m, (dnnl_dim_t)args->n,
                                  (dnnl_dim_t)args->k, args->alpha, args->a, (dnnl_dim_t)args->lda, args->b,
                                  (dnnl_dim_t)args->ldb, args->beta, args->c, (dnnl_dim_t)args->ldc);
    omp_set_num_threads(saved);
    return st == dnnl_success ? AB_OK : AB_EINVAL;
}

extern const struct ab_kernel ab__kernel_gemm_f32_onednn;
const struct ab_kernel ab__kernel_gemm_f32_onednn = {
    .name = "gemm_f32_onednn",
    .family = &ab_family_gemm_f32,
    .variant = "onednn",
    .doc = "oneDNN dnnl_sgemm, the vendor-library baseline",
    .isa_needs = 0,
    .is_ref = false,
    .fn.gemm_f32 = gemm_f32_onednn,
    .supports = NULL,
    .workspace_bytes = ab__gemm_f32_no_workspace,
    .flops = ab__gemm_f32_flops,
    .bytes = ab__gemm_f32_bytes,
    .tol = AB__GEMM_F32_TOL,
};

/* The oneDNN build measured, for context.json. */
bool ab_onednn_baseline(char *buf, size_t buf_bytes)
{
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, buf_bytes, "oneDNN %d.%d.%d (%s; cpu runtime %u)", v->major, v->minor, v->patch,
             v->hash ? v->hash : "?", v->cpu_runtime);
    return true;
}
