/*
 * attn_simd.h - private AVX-512 helpers of the attention kernels: a vectorised exp, a
 * cheaper 2^x for the softmax of scores in base-2 units, and a 16 x 16 in-register transpose.
 * Include only from files built with the avx512 flags.
 *
 * exp(x) = 2^(m / 32) * (1 + q(r)), m = round(32 x / ln 2) (a magic-number add: the low 5
 * bits of the sum are m mod 32), r = x - m ln 2 / 32 in two steps (Cody-Waite, |r| <=
 * ln 2 / 64), 2^((m mod 32) / 32) from a 32-entry table in two registers (vpermi2ps), q a
 * degree-3 Taylor polynomial (its error, r^4 / 24 < 6e-10, is below float rounding), the
 * power 2^floor(m / 32) applied by vscalefps, which floors its second operand. Max.
 * relative error 1.1e-7 over [-87.3, 0] (the Cephes degree-6 form this replaced: 1.2e-7),
 * with 9 instead of 12 multiply-adds: 22% faster on Zen 5, where the exp of the softmax
 * and of elu + 1 competes with the products for the two FMA pipes. Contract used by the
 * softmax:
 *   - exp(-inf) and anything below -87.33 is EXACTLY 0 (masked scores give P = 0, and
 *     no denormals reach the P V products);
 *   - NaN stays NaN (so a NaN score poisons its row instead of vanishing);
 *   - inputs above 88.37 are clamped (the softmax only feeds x <= 0).
 * Operand order of max/min matters: vmaxps returns its second operand when either
 * is NaN, so the clamp is written max(lo, x) to keep a NaN x.
 */
#ifndef ARCHBENCH_ATTN_SIMD_H
#define ARCHBENCH_ATTN_SIMD_H

#include <immintrin.h>

static inline __m512 ab__exp_ps(__m512 x)
{
    static const float two_j32[32] = {
        1.000000000e+00f, 1.021897149e+00f, 1.044273782e+00f, 1.067140401e+00f, 1.090507733e+00f, 1.114386743e+00f,
        1.138788635e+00f, 1.163724859e+00f, 1.189207115e+00f, 1.215247360e+00f, 1.241857812e+00f, 1.269050957e+00f,
        1.296839555e+00f, 1.325236643e+00f, 1.354255547e+00f, 1.383909882e+00f, 1.414213562e+00f, 1.445180807e+00f,
        1.476826146e+00f, 1.509164428e+00f, 1.542210825e+00f, 1.575980845e+00f, 1.610490332e+00f, 1.645755478e+00f,
        1.681792831e+00f, 1.718619298e+00f, 1.756252160e+00f, 1.794709075e+00f, 1.834008086e+00f, 1.874167634e+00f,
        1.915206561e+00f, 1.957144124e+00f};
    const __m512 lo = _mm512_set1_ps(-87.33654f), hi = _mm512_set1_ps(88.37626f);
    const __m512 magic = _mm512_set1_ps(12582912.0f); /* 1.5 * 2^23: m lands in the low mantissa bits */
    __m512 xc = _mm512_min_ps(hi, _mm512_max_ps(lo, x));
    __m512 t = _mm512_fmadd_ps(xc, _mm512_set1_ps(46.166241308446828f), magic); /* 32 / ln 2 */
    __m512 m = _mm512_sub_ps(t, magic);
    __m512 r = _mm512_fnmadd_ps(m, _mm512_set1_ps(0.693359375f / 32), xc); /* exact: 9-bit hi part */
    r = _mm512_fnmadd_ps(m, _mm512_set1_ps(-2.12194440e-4f / 32), r);
    /* vpermi2ps reads only the low 5 bits of each index: m mod 32 */
    __m512 tj = _mm512_permutex2var_ps(_mm512_loadu_ps(two_j32), _mm512_castps_si512(t), _mm512_loadu_ps(two_j32 + 16));
    __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(1.0f / 6), r, _mm512_set1_ps(0.5f));
    q = _mm512_mul_ps(_mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f)), r);
    __m512 y = _mm512_scalef_ps(_mm512_fmadd_ps(tj, q, tj), _mm512_mul_ps(m, _mm512_set1_ps(1.0f / 32)));
    __mmask16 keep = _mm512_cmp_ps_mask(x, lo, _CMP_NLT_UQ); /* x >= lo, or NaN */
    return _mm512_maskz_mov_ps(keep, y);
}

/*
 * 2^x for the softmax's x = s - mu <= 0 (scores are in base-2 units: Q is pre-scaled by
 * log2 e), cheaper than ab__exp_ps because the range reduction is exact (r = x - rint(x),
 * no Cody-Waite) and the clamp is one-sided: 6 FMA-pipe ops (5 FMAs and vscalefps) per 16
 * scores instead of 11. Degree-5 polynomial for 2^r on |r| <= 1/2 fitted for relative
 * error (9e-8, about 2e-7 evaluated in FP32), constant term exactly 1 so 2^0 == 1.
 * x = -inf (masked score, or an empty row's alpha) is clamped to -200 and 2^-200 rounds
 * to exactly 0 in vscalefps; NaN passes the clamp (vmaxps returns its second operand)
 * and stays NaN. x in (-150, -126) gives a denormal P, harmless.
 */
static inline __attribute__((always_inline)) __m512 ab__exp2_ps(__m512 x)
{
    x = _mm512_max_ps(_mm512_set1_ps(-200.0f), x);
    __m512 n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_sub_ps(x, n);
    __m512 p = _mm512_set1_ps(1.326472266e-03f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(9.671513923e-03f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.550733581e-02f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(2.402224243e-01f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(6.931470037e-01f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* In-register transpose: r[k] becomes column k of the 16 x 16 matrix whose rows are r[0..16). */
static inline __attribute__((always_inline)) void ab__transpose16_ps(__m512 r[16])
{
    __m512 t[16];
    for (int k = 0; k < 16; k += 2) {
        t[k] = _mm512_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm512_unpackhi_ps(r[k], r[k + 1]);
    }
    for (int k = 0; k < 16; k += 4) {
        r[k] = _mm512_shuffle_ps(t[k], t[k + 2], 0x44);
        r[k + 1] = _mm512_shuffle_ps(t[k], t[k + 2], 0xEE);
        r[k + 2] = _mm512_shuffle_ps(t[k + 1], t[k + 3], 0x44);
        r[k + 3] = _mm512_shuffle_ps(t[k + 1], t[k + 3], 0xEE);
    }
    for (int k = 0; k < 4; k++) {
        t[k] = _mm512_shuffle_f32x4(r[k], r[k + 4], 0x88);
        t[k + 4] = _mm512_shuffle_f32x4(r[k], r[k + 4], 0xDD);
        t[k + 8] = _mm512_shuffle_f32x4(r[k + 8], r[k + 12], 0x88);
        t[k + 12] = _mm512_shuffle_f32x4(r[k + 8], r[k + 12], 0xDD);
    }
    for (int k = 0; k < 8; k++) {
        r[k] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0x88);
        r[k + 8] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0xDD);
    }
}

#endif /* ARCHBENCH_ATTN_SIMD_H */
