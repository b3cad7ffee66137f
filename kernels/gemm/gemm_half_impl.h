/*
 * gemm_half_impl.h - private to kernels/gemm: what the two half-precision-storage GEMM
 * families (gemm_bf16, gemm_f16) share, defined in gemm_half_case.c. They differ only in
 * how an FP32 value is rounded to 16 bits and widened back; the shape parameters (gemm_f32's,
 * so rows of one shape compare across the three families), sweeps, FLOP and byte models and
 * the harness-side case (seeded inputs, C per slot, comparison) are one piece of code.
 */
#ifndef ARCHBENCH_GEMM_HALF_IMPL_H
#define ARCHBENCH_GEMM_HALF_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/kernel.h"

/* Shape parameter indexes: the same order as gemm_f32's, so shape strings match. */
enum ab__gemm_half_param {
    AB__HALF_M,
    AB__HALF_N,
    AB__HALF_K,
    AB__HALF_TRANS_B,
    AB__HALF_BETA,
    AB__HALF_PAD,
    AB__HALF_PARAM_COUNT
};

extern const struct ab_param ab__gemm_half_params[AB__HALF_PARAM_COUNT];
/* Sweeps (sizes fixed so a family's AB_SWEEPS can count them). The test sweep's hard
 * cases: sizes 1 and not multiples of 16 or of the 64-column panel, odd k (the pair layout
 * of vdpbf16ps), k = 1, k not a multiple of 16 past a k block, B transposed, padded leading
 * dimensions (odd strides), beta = 1, and beta = 0 with C pre-filled with NaN. */
extern const struct ab_shape ab__gemm_half_sweep_default[7];
extern const struct ab_shape ab__gemm_half_sweep_quick[2];
extern const struct ab_shape ab__gemm_half_sweep_test[24];

/* 2*m*n*k, the gemm_f32 convention. */
double ab__gemm_half_flops(const struct ab_shape *shape);
/* Compulsory traffic: A and B once (2 bytes each), C written once (and read when beta). */
double ab__gemm_half_bytes(const struct ab_shape *shape);
size_t ab__gemm_half_no_workspace(const struct ab_shape *shape, int n_threads);
/* Bytes of inputs plus outputs of one call, padding included (memory.csv). */
uint64_t ab__gemm_half_io_bytes(const struct ab_shape *shape);

/* The shape of a call, for picking the best variant (pad 0). */
void ab__gemm_half_shape(const struct ab_family *family, size_t m, size_t n, size_t k, bool trans_b, bool beta,
                         struct ab_shape *out_shape);
/* The reference's workspace: one row of double accumulators. */
size_t ab__gemm_half_ref_workspace(const struct ab_shape *shape, int n_threads);

/* A case of either family; the family's case_run builds its typed args from it. */
struct ab__gemm_half_case {
    struct ab_case base;   /* first member: see kernel.h */
    size_t m, n, k, lda, ldb, ldc;
    bool trans_b;
    float alpha, beta;     /* beta = 1 shapes: alpha 0.75, C accumulated into */
    const uint16_t *a, *b; /* 16-bit patterns of the family's format */
    float *c_init;         /* C before every call: random for beta = 1, NaN for beta = 0 */
    float *c[AB_SLOT_COUNT];
    size_t c_elems;
};

typedef uint16_t ab__half_round_fn(float x);

/* Inputs drawn as FP32 uniform in [-1, 1] and rounded by `round` (the family's nearest-even
 * rounding), so the reference sees exactly the values every variant sees. */
enum ab_status ab__gemm_half_case_new(const struct ab_family *family, ab__half_round_fn *round,
                                      const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                      struct ab_error *err);
/* The slot's C, ready for a call: a fresh copy of c_init when beta != 0 (the copy is in
 * the timed call for beta = 1 shapes only, and bytes() counts it). */
float *ab__gemm_half_case_c(struct ab__gemm_half_case *g, enum ab_slot slot);
/* TEST against REF over the m x n part of C, under the kernel's tolerance rule. */
void ab__gemm_half_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out_check);

/*
 * The reference of both families: the exact 16-bit values widened to double by `widen`
 * (always inlined with the family's own function), plain loops, double accumulation,
 * deterministic; C = alpha * A op(B) + beta * C. Same loop order as gemm_f32_ref (a
 * double row buffer from the workspace, k outer and j inner without transpose; contiguous
 * dot products with it). Products of two BF16 or two binary16 values are exact in double,
 * so the only rounding is the double sum and the final conversion to FP32. Single
 * threaded: the result must not depend on the thread count.
 */
static inline __attribute__((always_inline)) enum ab_status
ab__gemm_half_ref(size_t m, size_t n, size_t k, const uint16_t *restrict a_mat, size_t lda,
                  const uint16_t *restrict b_mat, size_t ldb, bool trans_b, float *restrict c, size_t ldc, float alpha,
                  float beta, const struct ab_exec *exec, float (*widen)(uint16_t))
{
    if (exec->workspace_bytes < n * sizeof(double) || (n && !exec->workspace))
        return AB_EINVAL;
    double *acc = exec->workspace;
    for (size_t i = 0; i < m; i++) {
        const uint16_t *a_row = a_mat + i * lda;
        if (trans_b) {
            for (size_t j = 0; j < n; j++) {
                const uint16_t *b_row = b_mat + j * ldb;
                double s = 0.0;
                for (size_t p = 0; p < k; p++)
                    s += (double)widen(a_row[p]) * (double)widen(b_row[p]);
                acc[j] = s;
            }
        } else {
            for (size_t j = 0; j < n; j++)
                acc[j] = 0.0;
            for (size_t p = 0; p < k; p++) {
                double a = (double)widen(a_row[p]);
                const uint16_t *b_row = b_mat + p * ldb;
                for (size_t j = 0; j < n; j++)
                    acc[j] += a * (double)widen(b_row[j]);
            }
        }
        float *c_row = c + i * ldc;
        for (size_t j = 0; j < n; j++)
            c_row[j] = (float)(beta != 0.0f ? (double)alpha * acc[j] + (double)beta * (double)c_row[j]
                                            : (double)alpha * acc[j]);
    }
    return AB_OK;
}

#endif /* ARCHBENCH_GEMM_HALF_IMPL_H */
