/*
 * gemm_f16_family.c - the gemm_f16 family (FP16 storage, FP32 compute): binary16
 * rounding and the family descriptor. Shape parameters (gemm_f32's, so rows of the same
 * shape compare), sweeps, FLOP and byte models and the case (seeded inputs, C per slot,
 * comparison) are gemm_half_case.c's, shared with gemm_bf16.
 *
 * Inputs are drawn as FP32 uniform in [-1, 1] and rounded to binary16 (nearest even) by
 * the portable ab_f16_from_f32, which gives vcvtps2ph's results bit for bit (the tests
 * check it against F16C where the CPU has it), so the reference sees exactly the values
 * every variant sees. The draw includes binary16 subnormals (|x| < 2^-14), which every
 * variant must widen exactly. Hard cases in the test sweep: sizes 1 and not multiples of
 * 16 or of the 64-column panel, k = 1, k not a multiple of 16 and past a k block, B
 * transposed (the 16 x 16 transpose tails), padded leading dimensions (odd strides, so
 * rows of FP16 start off any vector boundary), beta = 1, and beta = 0 with C pre-filled
 * with NaN (beta = 0 must not read C).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "archbench/cpu.h"
#include "archbench/gemm_f16.h"

#include "gemm_half_impl.h"
#include "gemm_f16_impl.h"

uint16_t ab_f16_from_f32(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    uint32_t sign = (u >> 16) & 0x8000u, abs = u & 0x7FFFFFFFu;
    if (abs > 0x7F800000u) /* NaN: quiet it, keep the top of the payload, as vcvtps2ph does */
        return (uint16_t)(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));
    /* 65520 (0x477FF000) is the tie between 65504, the largest binary16, and 2^16: it and
     * everything above round to infinity (65504's last significand bit is odd). */
    if (abs >= 0x477FF000u)
        return (uint16_t)(sign | 0x7C00u);
    uint32_t exp = abs >> 23;
    if (exp >= 113u) {
        /* Normal result: rebias 127 -> 15 and drop 13 bits, ties to even; a carry out of
         * the significand moves to the next binade, which is right. */
        uint32_t h = (abs - (112u << 23)) >> 13, rem = abs & 0x1FFFu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
            h++;
        return (uint16_t)(sign | h);
    }
    /* Below 2^-14: a subnormal (or zero) result, in units of 2^-24. The value is
     * sig * 2^(exp - 150) with sig the 24-bit significand, so q = sig >> (126 - exp). */
    uint32_t shift = 126u - exp;
    if (exp == 0 || shift > 24u)
        return (uint16_t)sign; /* under half of 2^-24: to zero */
    uint32_t sig = (abs & 0x7FFFFFu) | 0x800000u, q = sig >> shift, rem = sig & ((1u << shift) - 1u),
             half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u)))
        q++; /* 0x3FF + 1 is 0x400, the smallest normal: right too */
    return (uint16_t)(sign | q);
}

float ab_f16_to_f32(uint16_t h)
{
    return ab__f16_to_f32(h);
}

static enum ab_status f16_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                   struct ab_error *err)
{
    return ab__gemm_half_case_new(&ab_family_gemm_f16, ab_f16_from_f32, shape, seed, out_case, err);
}

static enum ab_status f16_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                   enum ab_slot slot)
{
    struct ab__gemm_half_case *g = (struct ab__gemm_half_case *)c;
    struct ab_gemm_f16_args args = {.m = g->m, .n = g->n, .k = g->k, .a = g->a, .lda = g->lda, .b = g->b,
                                    .ldb = g->ldb, .trans_b = g->trans_b, .c = ab__gemm_half_case_c(g, slot),
                                    .ldc = g->ldc, .alpha = g->alpha, .beta = g->beta};
    return kernel->fn.gemm_f16(&args, exec);
}

const struct ab_family ab_family_gemm_f16 = {
    .name = "gemm_f16",
    .doc = "FP16-storage GEMM, FP32 compute and accumulation, C = alpha A op(B) + beta C, row-major",
    .flops_doc = "2*m*n*k (as gemm_f32; the multiply-adds are FP32 FMAs, so % of the FP32 peak applies)",
    .params = ab__gemm_half_params,
    .n_params = AB__HALF_PARAM_COUNT,
    AB_SWEEPS(ab__gemm_half_sweep_default, ab__gemm_half_sweep_quick, ab__gemm_half_sweep_test),
    .tokens = NULL,
    .io_bytes = ab__gemm_half_io_bytes,
    .case_new = f16_case_new,
    .case_free = ab_case_free,
    .case_run = f16_case_run,
    .case_compare = ab__gemm_half_case_compare,
    .case_metrics = NULL,
    .compute_peak = AB_PEAK_FP32,
};

enum ab_status ab_gemm_f16(const struct ab_gemm_f16_args *args, const struct ab_exec *exec)
{
    if (!args)
        return AB_EINVAL;
    struct ab_shape shape;
    ab__gemm_half_shape(&ab_family_gemm_f16, args->m, args->n, args->k, args->trans_b, args->beta != 0.0f, &shape);
    const struct ab_kernel *k = ab_kernel_best(&ab_family_gemm_f16, &shape, ab_cpu_features());
    return k->fn.gemm_f16(args, exec);
}

size_t ab_gemm_f16_workspace_bytes(size_t m, size_t n, size_t k, bool trans_b, int n_threads)
{
    struct ab_shape shape;
    ab__gemm_half_shape(&ab_family_gemm_f16, m, n, k, trans_b, false, &shape);
    const struct ab_kernel *kern = ab_kernel_best(&ab_family_gemm_f16, &shape, ab_cpu_features());
    return kern->workspace_bytes(&shape, n_threads);
}
