/*
 * quant_impl.h - private to kernels/quant: shape parameters of the gemm_i8 family and
 * what its variants share (defined in gemm_i8_family.c and quant_weights.c).
 */
#ifndef ARCHBENCH_QUANT_IMPL_H
#define ARCHBENCH_QUANT_IMPL_H

#include "archbench/quant.h"

enum ab__i8_param { AB__I8_M, AB__I8_N, AB__I8_K, AB__I8_DIST, AB__I8_OUT, AB__I8_BIAS, AB__I8_PARAM_COUNT };

/* Input distributions of the family's cases. */
enum ab__i8_dist {
    AB__I8_DIST_GAUSSIAN,  /* X ~ N(0,1), W ~ N(0, 0.02^2) */
    AB__I8_DIST_OUTLIER,   /* as gaussian, 4 input channels of X scaled by 20 */
    AB__I8_DIST_EXTREME,   /* pre-quantised X and W drawn from {-128, -127, 127, random} */
    AB__I8_DIST_COUNT
};

/* k up to this keeps every exact int8 dot product inside int32 (131071 * 128 * 128 < 2^31). */
#define AB__I8_K_MAX 131071

double ab__gemm_i8_flops(const struct ab_shape *shape);
double ab__gemm_i8_bytes(const struct ab_shape *shape);

/* Argument checks shared by every variant (AB_OK or AB_EINVAL). */
enum ab_status ab__gemm_i8_check_args(const struct ab_gemm_i8_args *args, const struct ab_exec *exec);

/* Dequantise / requantise one accumulator exactly as the family defines it. */
static inline float ab__i8_dequant(int32_t acc, float sx, float sw, const float *bias, size_t j)
{
    float y = ((float)acc * sx) * sw;
    return bias ? y + bias[j] : y;
}

#define AB__I8_TOL { .cmp = AB_CMP_EXACT, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0 }

#define AB__ALIGN_UP(x, a) (((x) + (a) - 1) / (a) * (a))

#endif /* ARCHBENCH_QUANT_IMPL_H */
