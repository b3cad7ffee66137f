/*
 * gemm_onednn_impl.h - private to kernels/gemm (built only with the onednn feature): the
 * oneDNN matmul call that the half-precision GEMM baselines share (gemm_bf16_onednn,
 * gemm_f16_onednn), defined in gemm_onednn_matmul.c. They differ only in the data type
 * of A and B, so the descriptors, attributes and the one engine live in one place.
 */
#ifndef ARCHBENCH_GEMM_ONEDNN_IMPL_H
#define ARCHBENCH_GEMM_ONEDNN_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <oneapi/dnnl/dnnl.h>

/* C = alpha * A * op(B) + beta * C, row-major, A and B of type `in` (bf16 or f16), C f32;
 * the fields mean what they mean in ab_gemm_bf16_args. */
struct ab__onednn_matmul {
    dnnl_data_type_t in;
    size_t m, n, k;
    const void *a;
    size_t lda;
    const void *b;
    size_t ldb;
    bool trans_b;
    float *c;
    size_t ldc;
    float alpha;
    float beta;
};

/*
 * Run it on oneDNN's CPU engine with n_threads OpenMP threads (the caller's setting is
 * restored). dnnl_unimplemented when oneDNN has no implementation for this data type
 * on this CPU.
 */
dnnl_status_t ab__onednn_matmul_run(const struct ab__onednn_matmul *mm, int n_threads);

/* Whether oneDNN can create the matmul for inputs of type `in` (a 16 x 16 x 16 probe, no
 * execution): dnnl_success, or why not (dnnl_unimplemented on CPUs it does not cover). */
dnnl_status_t ab__onednn_matmul_probe(dnnl_data_type_t in);

#endif /* ARCHBENCH_GEMM_ONEDNN_IMPL_H */
