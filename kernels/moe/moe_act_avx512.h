/*
 * moe_act_avx512.h - private to kernels/moe, included only by files built with
 * AVX-512 flags: vector exp, SiLU and GELU (erf form) on 16 floats, for the expert FFN
 * epilogues. Scalar expf costs 3.4 ns an element here, more than the GEMM work per
 * hidden element at 64 tokens per expert; these cost a few instructions.
 *
 * exp: Cephes expf (range reduction by ln 2 in two parts, degree-6 polynomial),
 * scaled by 2^n with vscalefps, which also gives 0 and +inf past the float range
 * without a clamp; max relative error about 1.1e-7 (measured, research/kernels.md).
 * erf: Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7 absolute); GELU uses its erfc
 * form for negative inputs, so 1 + erf(v / sqrt 2) never cancels.
 */
#ifndef ARCHBENCH_MOE_ACT_AVX512_H
#define ARCHBENCH_MOE_ACT_AVX512_H

#include <immintrin.h>

static inline __m512 ab__exp_ps(__m512 x)
{
    /* beyond +-104 the result is 0 or inf anyway; the clamp keeps n an exact integer */
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(104.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

/* v * sigmoid(v) = v / (1 + exp(-v)) */
static inline __m512 ab__silu_ps(__m512 v)
{
    __m512 e = ab__exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), v));
    return _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

/* 0.5 v (1 + erf(v / sqrt 2)); q = erfc(|v| / sqrt 2), 1 + erf = 2 - q (v >= 0) or q */
static inline __m512 ab__gelu_ps(__m512 v)
{
    __m512 z = _mm512_mul_ps(_mm512_abs_ps(v), _mm512_set1_ps(0.70710678118654752f));
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(z, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f)));
    __m512 p = _mm512_set1_ps(1.061405429f);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
    p = _mm512_mul_ps(p, t);
    __m512 q = _mm512_mul_ps(p, ab__exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(z, z))));
    __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 one_plus_erf = _mm512_mask_blend_ps(neg, _mm512_sub_ps(_mm512_set1_ps(2.0f), q), q);
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), one_plus_erf);
}

#endif /* ARCHBENCH_MOE_ACT_AVX512_H */
