/*
 * gemm_bf16_impl.h - private to kernels/gemm: what the variants of the BF16 GEMM
 * family share (descriptor helpers defined in gemm_bf16_family.c).
 */
#ifndef ARCHBENCH_GEMM_BF16_IMPL_H
#define ARCHBENCH_GEMM_BF16_IMPL_H

#include <stdint.h>
#include <string.h>

#include "archbench/gemm_bf16.h"

/* Shape parameter indexes: the same order as gemm_f32's, so shape strings match. */
enum ab__gemm_bf16_param {
    AB__BF16_M,
    AB__BF16_N,
    AB__BF16_K,
    AB__BF16_TRANS_B,
    AB__BF16_BETA,
    AB__BF16_PAD,
    AB__BF16_PARAM_COUNT
};

/* 2*m*n*k, the gemm_f32 convention. */
double ab__gemm_bf16_flops(const struct ab_shape *shape);
/* Compulsory traffic: A and B once (2 bytes each), C written once (and read when beta). */
double ab__gemm_bf16_bytes(const struct ab_shape *shape);
size_t ab__gemm_bf16_no_workspace(const struct ab_shape *shape, int n_threads);

/*
 * Tolerance of the FP32-accumulating variants against the double reference over the same
 * BF16 values: only the FP32 summation differs, so this is gemm_f32's rule with room for
 * vdpbf16ps rounding twice per pair and flushing denormals (2e-6 * sqrt(k / 256), floor 2e-6).
 */
#define AB__GEMM_BF16_TOL { .cmp = AB_CMP_REL_FRO, .rel = 2e-6, .scale_param = AB__BF16_K, .scale_ref = 256.0 }

/* Exact widening: a bfloat16 is the upper half of a binary32. */
static inline float ab__bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#endif /* ARCHBENCH_GEMM_BF16_IMPL_H */
