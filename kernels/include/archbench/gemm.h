/*
 * gemm.h - FP32 GEMM family: C = alpha * A * op(B) + beta * C, row-major.
 *
 * A is m x k (row stride lda), op(B) is k x n: B itself when trans_b is false
 * (k x n, row stride ldb), or B^T when trans_b is true (B is n x k, row stride ldb,
 * the layout of linear-layer weights and of K in Q K^T). C is m x n (row stride ldc).
 * beta == 0 means C is write-only (NaN in C is not propagated), as in BLAS.
 *
 * FLOPs are counted as 2*m*n*k (one multiply and one add per term); alpha/beta
 * scaling is not counted.
 */
#ifndef ARCHBENCH_GEMM_H
#define ARCHBENCH_GEMM_H

#include <stdbool.h>
#include <stddef.h>

#include "archbench/kernel.h"

struct ab_gemm_f32_args {
    size_t m, n, k;
    const float *a;
    size_t lda;
    const float *b;
    size_t ldb;
    bool trans_b;
    float *c;
    size_t ldc;
    float alpha;
    float beta;
};

/* The family descriptor (shape params: m, n, k, trans_b). */
AB_API extern const struct ab_family ab_family_gemm_f32;

/* Convenience: run the best variant for this CPU; workspace from the caller. */
AB_API enum ab_status ab_gemm_f32(const struct ab_gemm_f32_args *args, const struct ab_exec *exec);

/* Workspace the best variant needs for these sizes and thread count. */
AB_API size_t ab_gemm_f32_workspace_bytes(size_t m, size_t n, size_t k, bool trans_b, int n_threads);

/* The BLAS library measured as a baseline, as it dispatched on this machine. */
struct ab_blas_info {
    char library[32];    /* "OpenBLAS" */
    char core[64];       /* openblas_get_corename(): "Haswell", "SkylakeX", "Zen", ... */
    char config[256];    /* openblas_get_config() */
    int n_threads;       /* its own pool's size */
};

/* "oneDNN x.y.z (...)" into buf; false when built without the oneDNN baseline. */
AB_API bool ab_onednn_baseline(char *buf, size_t buf_bytes);

/* false (info zeroed) when archbench was built without a BLAS baseline. */
AB_API bool ab_blas_baseline(struct ab_blas_info *out_info);

#endif /* ARCHBENCH_GEMM_H */
