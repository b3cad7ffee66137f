/*
 * gemm_bf16_impl.h - private to kernels/gemm: what the variants of the BF16 GEMM
 * family share (with gemm_half_impl.h, what it shares with the other half-precision family).
 */
#ifndef ARCHBENCH_GEMM_BF16_IMPL_H
#define ARCHBENCH_GEMM_BF16_IMPL_H

#include <stdint.h>
#include <string.h>

#include "archbench/gemm_bf16.h"

#include "gemm_half_impl.h"

/*
 * Tolerance of the FP32-accumulating variants against the double reference over the same
 * BF16 values: only the FP32 summation differs, so this is gemm_f32's rule with room for
 * vdpbf16ps rounding twice per pair and flushing denormals (2e-6 * sqrt(k / 256), floor 2e-6).
 */
#define AB__GEMM_BF16_TOL { .cmp = AB_CMP_REL_FRO, .rel = 2e-6, .scale_param = AB__HALF_K, .scale_ref = 256.0 }

/* Exact widening: a bfloat16 is the upper half of a binary32. */
static inline float ab__bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#endif /* ARCHBENCH_GEMM_BF16_IMPL_H */
