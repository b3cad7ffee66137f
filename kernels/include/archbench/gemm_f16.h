/*
 * gemm_f16.h - FP16-storage GEMM family: C = alpha * A * op(B) + beta * C, row-major,
 * with A and B in IEEE binary16 (stored as uint16_t bit patterns) and C, the
 * accumulation and alpha/beta in FP32. The half-precision path for CPUs without BF16
 * compute: the inputs are widened to FP32 (F16C's vcvtph2ps) and multiplied in FP32.
 *
 * Shapes and strides follow gemm_f32 (gemm.h) and gemm_bf16: A is m x k (row stride
 * lda), op(B) is k x n: B itself (k x n, row stride ldb) or, with trans_b, B^T where B
 * is n x k (the layout of linear-layer weights). Strides count elements, not bytes.
 * beta == 0 means C is write-only, as in BLAS. The shape parameters are gemm_f32's, so
 * rows of the three families with the same shape compare directly; FLOPs are 2*m*n*k.
 */
#ifndef ARCHBENCH_GEMM_F16_H
#define ARCHBENCH_GEMM_F16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/kernel.h"

struct ab_gemm_f16_args {
    size_t m, n, k;
    const uint16_t *a;   /* binary16 bit patterns */
    size_t lda;
    const uint16_t *b;
    size_t ldb;
    bool trans_b;
    float *c;
    size_t ldc;
    float alpha;
    float beta;
};

/* The family descriptor (shape params: m, n, k, trans_b, beta, pad, as gemm_f32). */
AB_API extern const struct ab_family ab_family_gemm_f16;

/* FP32 -> binary16, round to nearest even (as vcvtps2ph with imm 0): subnormal results
 * are kept, overflow goes to infinity, NaN stays NaN (quiet). */
AB_API uint16_t ab_f16_from_f32(float x);
/* binary16 -> FP32: exact (subnormals included). */
AB_API float ab_f16_to_f32(uint16_t h);

/* Convenience: run the best variant for this CPU; workspace from the caller. */
AB_API enum ab_status ab_gemm_f16(const struct ab_gemm_f16_args *args, const struct ab_exec *exec);

/* Workspace the best variant needs for these sizes and thread count. */
AB_API size_t ab_gemm_f16_workspace_bytes(size_t m, size_t n, size_t k, bool trans_b, int n_threads);

#endif /* ARCHBENCH_GEMM_F16_H */
