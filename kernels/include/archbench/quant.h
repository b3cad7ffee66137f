/*
 * quant.h - INT8 quantisation and the W8A8 GEMM family (gemm_i8).
 *
 * Scheme (the one article A's claim A12 describes):
 *   - weights W (n x k, out x in): static, per output channel, symmetric:
 *       scale[j] = max_k |W[j,k]| / 127,  q[j,k] = rint(clamp(W[j,k] * (127 / max), +-127)),
 *       the same rule as the activations below (W * (127 / max), not W / scale: the two
 *       can round differently);
 *   - activations X (m x k): dynamic, per token (row), symmetric, computed inside the
 *     timed call:  s_x[i] = max_k |X[i,k]| / 127,  xq[i,k] = rint(clamp(X[i,k] * (127 / max), +-127));
 *     a row of zeros gets s_x = 0 and xq = 0;
 *   - int32 accumulation  acc[i,j] = sum_k xq[i,k] * q[j,k]  (exact while
 *     k * 128 * 128 < 2^31, i.e. k <= 131071);
 *   - output: AB_I8_OUT_F32  y = ((float)acc * s_x[i]) * scale[j] (+ bias[j]), evaluated
 *     in float in exactly that order (no FMA), so every variant gives the same bits;
 *     AB_I8_OUT_S8 requantises that y with a static per-tensor scale:
 *       y_q = rint(clamp(y * (1 / out_scale), -127, 127));
 *     AB_I8_OUT_S32 stores acc itself (what the bit-exact tests compare).
 * Rounding is round-half-to-even everywhere, not half away from zero: rintf under the
 * default rounding mode in the scalar code, cvtps2dq under the default MXCSR in the
 * vector code, which agree bit for bit (2.5 -> 2, 3.5 -> 4, -2.5 -> -2).
 *
 * Weights are quantised and packed once, outside any timed call (a deployed model is
 * stored that way): struct ab_i8_weights keeps the row-major int8 matrix (reference),
 * the VNNI-4 packed copy [n_pad/16][k_pad/4][16][4] (AVX-512 VNNI and AVX2 variants) and
 * comp[j] = 128 * sum_k q[j,k], the correction for vpdpbusd's unsigned first operand
 * (xq + 128 is fed as u8; acc = dpbusd(xq + 128, q) - comp, exact in wrap-around int32
 * whenever the true sum fits). Quantising the activations IS part of the timed call.
 *
 * Ops are counted as 2*m*n*k (one multiply and one add per term), like gemm_f32, so
 * GOP/s of this family and GFLOP/s of gemm_f32 compare directly.
 */
#ifndef ARCHBENCH_QUANT_H
#define ARCHBENCH_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/kernel.h"

enum ab_i8_out {
    AB_I8_OUT_F32,  /* dequantised float */
    AB_I8_OUT_S8,   /* requantised int8, per-tensor out_scale */
    AB_I8_OUT_S32,  /* raw int32 accumulators */
    AB_I8_OUT_COUNT
};

/* Quantised, packed weights of one linear layer (see the top of this file). */
struct ab_i8_weights {
    size_t n, k;        /* output channels x input channels */
    size_t n_pad;       /* n rounded up to 16 */
    size_t k_pad;       /* k rounded up to 4 */
    int8_t *q;          /* n x k, row-major */
    float *scale;       /* n per-channel scales */
    int32_t *comp;      /* n_pad: 128 * sum_k q[j,k]; 0 on padding channels */
    int8_t *packed;     /* VNNI-4: [n_pad/16][k_pad/4][16][4], zero padding */
};

/* Allocate weights for an n x k layer (contents zero). AB_ENOMEM / AB_EINVAL. */
AB_API enum ab_status ab_i8_weights_new(size_t n, size_t k, struct ab_i8_weights **out_weights);
AB_API void ab_i8_weights_free(struct ab_i8_weights *weights);

/* Quantise float weights w (n x k, row stride ldw) per channel, then pack. */
AB_API void ab_i8_weights_quantize(struct ab_i8_weights *weights, const float *w, size_t ldw);

/* Take already quantised weights (any int8 value, -128 included) and scales, then pack. */
AB_API void ab_i8_weights_set(struct ab_i8_weights *weights, const int8_t *q, size_t ldq, const float *scale);

/*
 * Bytes a deployed INT8 layer occupies: one int8 copy of the weights (k padded to 4,
 * n padded to 16, as packed) plus the float scale per channel. comp is derivable and
 * not counted; ab_i8_weights_new allocates more (both layouts) for the harness.
 */
AB_API uint64_t ab_i8_weights_storage_bytes(size_t n, size_t k);

struct ab_gemm_i8_args {
    size_t m, n, k;
    /* Activations: either float x (m x k, stride ldx; quantised in the call) or, when
     * x is NULL, already quantised x_q (m x k, stride ldx) with per-row x_scale. */
    const float *x;
    const int8_t *x_q;
    const float *x_scale;
    size_t ldx;
    const struct ab_i8_weights *w;  /* w->n == n, w->k == k */
    const float *bias;              /* n, or NULL; used by the F32 and S8 outputs */
    enum ab_i8_out out;
    float out_scale;                /* AB_I8_OUT_S8 only: y_q = rint(y / out_scale) */
    void *y;                        /* float, int8_t or int32_t, m x n, stride ldy elements */
    size_t ldy;
};

/* The family descriptor (params: m, n, k, dist, out, bias). */
AB_API extern const struct ab_family ab_family_gemm_i8;

/* Run the best gemm_i8 variant for this CPU; workspace from the caller. */
AB_API enum ab_status ab_gemm_i8(const struct ab_gemm_i8_args *args, const struct ab_exec *exec);
AB_API size_t ab_gemm_i8_workspace_bytes(size_t m, size_t n, size_t k, int n_threads);

/*
 * Per-token activation quantisation of one row (the scalar definition every variant
 * reproduces bit for bit): writes q[0..k) and returns s_x.
 */
AB_API float ab_i8_quantize_row(const float *x, size_t k, int8_t *out_q);

#endif /* ARCHBENCH_QUANT_H */
