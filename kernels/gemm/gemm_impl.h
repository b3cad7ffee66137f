/*
 * gemm_impl.h - private to kernels/gemm: what the variants of the FP32 GEMM family
 * share (descriptor helpers defined in gemm_family.c).
 */
#ifndef ARCHBENCH_GEMM_IMPL_H
#define ARCHBENCH_GEMM_IMPL_H

#include "archbench/gemm.h"

/* Shape parameter indexes of the gemm_f32 family. */
enum ab__gemm_param { AB__GEMM_M, AB__GEMM_N, AB__GEMM_K, AB__GEMM_TRANS_B, AB__GEMM_PARAM_COUNT };

/* 2*m*n*k. */
double ab__gemm_f32_flops(const struct ab_shape *shape);
/* Compulsory traffic: read A and B once, read and write C once (4 bytes each). */
double ab__gemm_f32_bytes(const struct ab_shape *shape);
/* Workspace of variants that need none. */
size_t ab__gemm_f32_no_workspace(const struct ab_shape *shape, int n_threads);

/* Tolerance shared by FP32 variants: rel. Frobenius 1e-6 * sqrt(k / 256), floor 1e-6. */
#define AB__GEMM_F32_TOL { .cmp = AB_CMP_REL_FRO, .rel = 1e-6, .scale_param = AB__GEMM_K, .scale_ref = 256.0 }

#endif /* ARCHBENCH_GEMM_IMPL_H */
