/*
 * gemm_f16_ref.c - the reference FP16 GEMM: the exact FP16 values widened to double,
 * plain loops, double accumulation, deterministic. The oracle of the gemm_f16 family.
 *
 * Same loop order as gemm_f32_ref (a double row buffer from the workspace, k outer and
 * j inner without transpose; contiguous dot products with it). Products of two FP16
 * values are exact in double, so the only rounding is the double sum and the final
 * conversion to FP32. Single threaded: the result must not depend on the thread count.
 */
#include "archbench/gemm_f16.h"

#include "gemm_f16_impl.h"

static size_t ref_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)n_threads;
    return (size_t)shape->v[AB__F16_N] * sizeof(double);
}

static enum ab_status gemm_f16_ref(const struct ab_gemm_f16_args *args, const struct ab_exec *exec)
{
    if (!args || !exec)
        return AB_EINVAL;
    size_t m = args->m, n = args->n, k = args->k;
    if (exec->workspace_bytes < n * sizeof(double) || (n && !exec->workspace))
        return AB_EINVAL;
    double *acc = exec->workspace;
    for (size_t i = 0; i < m; i++) {
        const uint16_t *a_row = args->a + i * args->lda;
        if (args->trans_b) {
            for (size_t j = 0; j < n; j++) {
                const uint16_t *b_row = args->b + j * args->ldb;
                double s = 0.0;
                for (size_t p = 0; p < k; p++)
                    s += (double)ab__f16_to_f32(a_row[p]) * (double)ab__f16_to_f32(b_row[p]);
                acc[j] = s;
            }
        } else {
            for (size_t j = 0; j < n; j++)
                acc[j] = 0.0;
            for (size_t p = 0; p < k; p++) {
                double a = (double)ab__f16_to_f32(a_row[p]);
                const uint16_t *b_row = args->b + p * args->ldb;
                for (size_t j = 0; j < n; j++)
                    acc[j] += a * (double)ab__f16_to_f32(b_row[j]);
            }
        }
        float *c_row = args->c + i * args->ldc;
        double alpha = (double)args->alpha, beta = (double)args->beta;
        for (size_t j = 0; j < n; j++)
            c_row[j] = (float)(beta != 0.0 ? alpha * acc[j] + beta * (double)c_row[j] : alpha * acc[j]);
    }
    return AB_OK;
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
    .workspace_bytes = ref_workspace,
    .flops = ab__gemm_f16_flops,
    .bytes = ab__gemm_f16_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
