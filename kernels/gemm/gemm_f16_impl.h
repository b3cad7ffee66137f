/*
 * gemm_f16_impl.h - private to kernels/gemm: what the variants of the FP16-storage GEMM
 * family share (with gemm_half_impl.h, what it shares with the other half-precision family).
 */
#ifndef ARCHBENCH_GEMM_F16_IMPL_H
#define ARCHBENCH_GEMM_F16_IMPL_H

#include <stdint.h>
#include <string.h>

#include "archbench/gemm_f16.h"

#include "gemm_half_impl.h"

/*
 * Tolerance of the FP32-accumulating variants against the double reference over the same
 * FP16 values. A product of two binary16 values (11-bit significands) is exact in FP32,
 * so only the FP32 summation differs, as in gemm_f32: its rule, 1e-6 * sqrt(k / 256),
 * floor 1e-6 (gemm_bf16 needs twice that for vdpbf16ps's extra rounding; nothing here
 * rounds a product).
 */
#define AB__GEMM_F16_TOL { .cmp = AB_CMP_REL_FRO, .rel = 1e-6, .scale_param = AB__HALF_K, .scale_ref = 256.0 }

/* Exact widening of a binary16 (normal, subnormal, zero, infinity, NaN) to FP32. */
static inline float ab__f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu, u;
    if (exp == 0x1Fu) {
        u = sign | 0x7F800000u | (mant << 13); /* infinity, or NaN with its payload */
    } else if (exp != 0) {
        u = sign | ((exp + 112u) << 23) | (mant << 13); /* rebias 15 -> 127 */
    } else if (mant == 0) {
        u = sign;
    } else {
        /* Subnormal: mant * 2^-24, normal in FP32. Shift the leading 1 up to bit 10. */
        uint32_t e = 113u;
        while (!(mant & 0x400u)) {
            mant <<= 1;
            e--;
        }
        u = sign | (e << 23) | ((mant & 0x3FFu) << 13);
    }
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#endif /* ARCHBENCH_GEMM_F16_IMPL_H */
