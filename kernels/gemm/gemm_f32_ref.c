/*
 * gemm_f32_ref.c - the reference FP32 GEMM: plain loops, double accumulation,
 * deterministic. It is the oracle every other gemm_f32 variant is tested against.
 *
 * Row i of C is accumulated in a double row buffer from the workspace (k outer, j
 * inner, so B is read along rows and the loop stays cache friendly without blocking);
 * for B transposed each element is a double dot product over contiguous rows.
 * Single threaded on purpose: the reference must not depend on the thread count.
 */
#include "archbench/gemm.h"

#include "gemm_impl.h"

static size_t ref_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)n_threads;
    return (size_t)shape->v[AB__GEMM_N] * sizeof(double);
}

static enum ab_status gemm_f32_ref(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    size_t m = args->m, n = args->n, k = args->k;
    if (exec->workspace_bytes < n * sizeof(double) || (n && !exec->workspace))
        return AB_EINVAL;
    double *acc = exec->workspace;
    for (size_t i = 0; i < m; i++) {
        const float *a_row = args->a + i * args->lda;
        if (args->trans_b) {
            for (size_t j = 0; j < n; j++) {
                const float *b_row = args->b + j * args->ldb;
                double s = 0.0;
                for (size_t p = 0; p < k; p++)
                    s += (double)a_row[p] * (double)b_row[p];
                acc[j] = s;
            }
        } else {
            for (size_t j = 0; j < n; j++)
                acc[j] = 0.0;
            for (size_t p = 0; p < k; p++) {
                double a = (double)a_row[p];
                const float *b_row = args->b + p * args->ldb;
                for (size_t j = 0; j < n; j++)
                    acc[j] += a * (double)b_row[j];
            }
        }
        float *c_row = args->c + i * args->ldc;
        double alpha = (double)args->alpha, beta = (double)args->beta;
        for (size_t j = 0; j < n; j++)
            c_row[j] = (float)(beta != 0.0 ? alpha * acc[j] + beta * (double)c_row[j] : alpha * acc[j]);
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_gemm_f32_ref;
const struct ab_kernel ab__kernel_gemm_f32_ref = {
    .name = "gemm_f32_ref",
    .family = &ab_family_gemm_f32,
    .variant = "ref",
    .doc = "plain loops, double accumulation (the oracle)",
    .isa_needs = 0,
    .is_ref = true,
    .fn.gemm_f32 = gemm_f32_ref,
    .supports = NULL,
    .workspace_bytes = ref_workspace,
    .flops = ab__gemm_f32_flops,
    .bytes = ab__gemm_f32_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
