/*
 * attn_simd.h - private AVX-512 helpers of the attention kernels: a vectorised exp and a
 * 16 x 16 in-register transpose.
 * Include only from files built with the avx512 flags.
 *
 * exp(x) = 2^n * p(r), n = round(x * log2 e), r = x - n ln 2 in two steps (Cody-Waite),
 * p a degree-6 polynomial (Cephes single-precision coefficients, rel. error about
 * 1e-7 on |r| <= ln2/2), 2^n applied with vscalefps. Contract used by the softmax:
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
    const __m512 lo = _mm512_set1_ps(-87.33654f), hi = _mm512_set1_ps(88.37626f);
    __m512 xc = _mm512_min_ps(hi, _mm512_max_ps(lo, x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 r2 = _mm512_mul_ps(r, r);
    p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512 y = _mm512_scalef_ps(p, n);
    __mmask16 keep = _mm512_cmp_ps_mask(x, lo, _CMP_NLT_UQ); /* x >= lo, or NaN */
    return _mm512_maskz_mov_ps(keep, y);
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
