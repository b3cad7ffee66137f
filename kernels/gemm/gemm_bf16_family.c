/*
 * gemm_bf16_family.c - the gemm_bf16 family: BF16 rounding and the family descriptor.
 * Shape parameters (gemm_f32's, so rows of the same shape compare), sweeps, FLOP and byte
 * models and the case (seeded inputs, C per slot, comparison) are gemm_half_case.c's,
 * shared with gemm_f16.
 *
 * Inputs are drawn as FP32 uniform in [-1, 1] and rounded to BF16 (nearest even), so
 * the reference sees exactly the values every variant sees. Hard cases in the test
 * sweep for this family: odd k (the pair layout of vdpbf16ps needs a zero-padded last
 * pair) and padded leading dimensions (odd strides, so pairs straddle 4-byte boundaries).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "archbench/cpu.h"
#include "archbench/gemm_bf16.h"

#include "gemm_half_impl.h"
#include "gemm_bf16_impl.h"

uint16_t ab_bf16_from_f32(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if (isnan(x))
        return (uint16_t)((u >> 16) | 0x0040u); /* keep it a NaN after dropping the low bits */
    /* Round to nearest, ties to even: add 0x7FFF plus the lowest kept bit. Carries into
     * the exponent are right (they round up to the next binade, or to infinity). */
    uint32_t lsb = (u >> 16) & 1u;
    return (uint16_t)((u + 0x7FFFu + lsb) >> 16);
}

float ab_bf16_to_f32(uint16_t h)
{
    return ab__bf16_to_f32(h);
}

static enum ab_status bf16_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                    struct ab_error *err)
{
    return ab__gemm_half_case_new(&ab_family_gemm_bf16, ab_bf16_from_f32, shape, seed, out_case, err);
}

static enum ab_status bf16_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                    enum ab_slot slot)
{
    struct ab__gemm_half_case *g = (struct ab__gemm_half_case *)c;
    struct ab_gemm_bf16_args args = {.m = g->m, .n = g->n, .k = g->k, .a = g->a, .lda = g->lda, .b = g->b,
                                     .ldb = g->ldb, .trans_b = g->trans_b, .c = ab__gemm_half_case_c(g, slot),
                                     .ldc = g->ldc, .alpha = g->alpha, .beta = g->beta};
    return kernel->fn.gemm_bf16(&args, exec);
}

const struct ab_family ab_family_gemm_bf16 = {
    .name = "gemm_bf16",
    .doc = "BF16 GEMM with FP32 accumulation, C = alpha A op(B) + beta C, row-major",
    .flops_doc = "2*m*n*k (as gemm_f32; vdpbf16ps does 2 multiply-adds per FP32 lane, so % of the FP32 "
                 "peak can reach 200%)",
    .params = ab__gemm_half_params,
    .n_params = AB__HALF_PARAM_COUNT,
    AB_SWEEPS(ab__gemm_half_sweep_default, ab__gemm_half_sweep_quick, ab__gemm_half_sweep_test),
    .tokens = NULL,
    .io_bytes = ab__gemm_half_io_bytes,
    .case_new = bf16_case_new,
    .case_free = ab_case_free,
    .case_run = bf16_case_run,
    .case_compare = ab__gemm_half_case_compare,
    .case_metrics = NULL,
    .compute_peak = AB_PEAK_BF16,
};

enum ab_status ab_gemm_bf16(const struct ab_gemm_bf16_args *args, const struct ab_exec *exec)
{
    if (!args)
        return AB_EINVAL;
    struct ab_shape shape;
    ab__gemm_half_shape(&ab_family_gemm_bf16, args->m, args->n, args->k, args->trans_b, args->beta != 0.0f, &shape);
    const struct ab_kernel *k = ab_kernel_best(&ab_family_gemm_bf16, &shape, ab_cpu_features());
    return k->fn.gemm_bf16(args, exec);
}

size_t ab_gemm_bf16_workspace_bytes(size_t m, size_t n, size_t k, bool trans_b, int n_threads)
{
    struct ab_shape shape;
    ab__gemm_half_shape(&ab_family_gemm_bf16, m, n, k, trans_b, false, &shape);
    const struct ab_kernel *kern = ab_kernel_best(&ab_family_gemm_bf16, &shape, ab_cpu_features());
    return kern->workspace_bytes(&shape, n_threads);
}
