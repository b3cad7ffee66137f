/*
 * rope_avx512.c - RoPE with AVX-512. A bandwidth-bound kernel: per token the cos/sin of
 * the d_rot/2 angles are computed once (8 lanes of double: angle = p * theta_i,
 * reduction by pi/2 in double, Taylor polynomials on |r| <= pi/4, quadrant fix-up,
 * then rounded to float), expanded into per-lane tables, and applied to every head
 * of the token:
 *   interleaved: y = x * C + swap_pairs(x) * S, with C = (c0, c0, c1, c1, ...),
 *                S = (-s0, s0, -s1, s1, ...), swap_pairs one in-lane vpermilps;
 *   half_split:  y_lo = x_lo c - x_hi s, y_hi = x_lo s + x_hi c on two half vectors.
 * Tails (d_rot/2 or d not a multiple of 16) use masked loads and stores. Tokens are
 * split statically among threads. In place (y == x) is allowed.
 *
 * The angles are formed exactly as in the reference (p * pow(theta, -2i/d_rot) in
 * double), so the only differences are the polynomial (~1e-16 relative in double)
 * and the float rotation: results are within a few ulp of the reference at any
 * position.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/attention.h"
#include "archbench/cpu.h"

#include "attention_impl.h"

static size_t align64(size_t x)
{
    return (x + 63) & ~(size_t)63;
}

/* Per-thread tables: C and S expanded to d_rot floats each (interleaved) or d_rot/2. */
static size_t thread_bytes(size_t d_rot)
{
    return 2 * align64((d_rot + 16) * sizeof(float));
}

static size_t shared_bytes(size_t d_rot)
{
    return align64((d_rot / 2 + 8) * sizeof(double));
}

static size_t rope_workspace(const struct ab_shape *shape, int n_threads)
{
    size_t d_rot = (size_t)shape->v[AB__ROPE_D_ROT];
    return shared_bytes(d_rot) + thread_bytes(d_rot) * (size_t)(n_threads < 1 ? 1 : n_threads);
}

static __mmask16 lanes(size_t n)
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

/* sin and cos of 8 angles (|angle| well below 2^50). */
static inline void sincos_pd(__m512d angle, __m512d *out_s, __m512d *out_c)
{
    __m512d q = _mm512_roundscale_pd(_mm512_mul_pd(angle, _mm512_set1_pd(0.63661977236758134308)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512d r = _mm512_fnmadd_pd(q, _mm512_set1_pd(1.5707963267948966), angle);
    r = _mm512_fnmadd_pd(q, _mm512_set1_pd(6.123233995736766e-17), r);
    __m512d r2 = _mm512_mul_pd(r, r);
    __m512d ps = _mm512_set1_pd(-1.0 / 39916800.0);
    ps = _mm512_fmadd_pd(ps, r2, _mm512_set1_pd(1.0 / 362880.0));
    ps = _mm512_fmadd_pd(ps, r2, _mm512_set1_pd(-1.0 / 5040.0));
    ps = _mm512_fmadd_pd(ps, r2, _mm512_set1_pd(1.0 / 120.0));
    ps = _mm512_fmadd_pd(ps, r2, _mm512_set1_pd(-1.0 / 6.0));
    __m512d sin_r = _mm512_fmadd_pd(_mm512_mul_pd(ps, r2), r, r);
    __m512d pc = _mm512_set1_pd(-1.0 / 3628800.0);
    pc = _mm512_fmadd_pd(pc, r2, _mm512_set1_pd(1.0 / 40320.0));
    pc = _mm512_fmadd_pd(pc, r2, _mm512_set1_pd(-1.0 / 720.0));
    pc = _mm512_fmadd_pd(pc, r2, _mm512_set1_pd(1.0 / 24.0));
    pc = _mm512_fmadd_pd(pc, r2, _mm512_set1_pd(-0.5));
    __m512d cos_r = _mm512_fmadd_pd(pc, r2, _mm512_set1_pd(1.0));
    /* angle = q pi/2 + r: quadrant q mod 4 picks (sin, cos) among (s, c), (c, -s), (-s, -c), (-c, s). */
    __m512i qi = _mm512_cvtpd_epi64(q);
    __mmask8 swap = _mm512_test_epi64_mask(qi, _mm512_set1_epi64(1));
    __mmask8 neg_s = _mm512_test_epi64_mask(qi, _mm512_set1_epi64(2));
    __mmask8 neg_c = _mm512_test_epi64_mask(_mm512_add_epi64(qi, _mm512_set1_epi64(1)), _mm512_set1_epi64(2));
    __m512d s = _mm512_mask_blend_pd(swap, sin_r, cos_r);
    __m512d c = _mm512_mask_blend_pd(swap, cos_r, sin_r);
    __m512d zero = _mm512_setzero_pd();
    *out_s = _mm512_mask_sub_pd(s, neg_s, zero, s);
    *out_c = _mm512_mask_sub_pd(c, neg_c, zero, c);
}

static void token(const struct ab_rope_args *a, size_t t, const double *inv_freq, float *ct, float *st)
{
    size_t half = a->d_rot / 2, d = a->d, d_rot = a->d_rot;
    __m512d pos = _mm512_set1_pd((double)(a->pos_offset + (int64_t)t));
    bool il = a->pairing == AB_ROPE_INTERLEAVED;
    /* cos/sin of the half angles into ct/st[0..half) (interleaved: expanded below). */
    for (size_t i = 0; i < half; i += 8) {
        __m512d s, c;
        sincos_pd(_mm512_mul_pd(pos, _mm512_loadu_pd(inv_freq + i)), &s, &c);
        if (a->inverse)
            s = _mm512_sub_pd(_mm512_setzero_pd(), s);
        __mmask8 m = (__mmask8)(half - i >= 8 ? 0xFF : (1u << (half - i)) - 1u);
        if (il) {
            /* expand: C[2i] = C[2i+1] = c_i, S[2i] = -s_i, S[2i+1] = s_i */
            __m512 cf = _mm512_castps256_ps512(_mm512_cvtpd_ps(c));
            __m512 sf = _mm512_castps256_ps512(_mm512_cvtpd_ps(s));
            const __m512i dup = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
            __m512 cx = _mm512_permutexvar_ps(dup, cf);
            __m512 sx = _mm512_permutexvar_ps(dup, sf);
            sx = _mm512_mask_sub_ps(sx, (__mmask16)0x5555, _mm512_setzero_ps(), sx);
            __mmask16 m2 = lanes(2 * (half - i));
            _mm512_mask_storeu_ps(ct + 2 * i, m2, cx);
            _mm512_mask_storeu_ps(st + 2 * i, m2, sx);
        } else {
            _mm256_mask_storeu_ps(ct + i, m, _mm512_cvtpd_ps(c));
            _mm256_mask_storeu_ps(st + i, m, _mm512_cvtpd_ps(s));
        }
    }
    for (size_t h = 0; h < a->heads; h++) {
        const float *x = a->x + (t * a->heads + h) * d;
        float *y = a->y + (t * a->heads + h) * d;
        if (il) {
            for (size_t j = 0; j < d_rot; j += 16) {
                __mmask16 m = lanes(d_rot - j);
                __m512 xv = _mm512_maskz_loadu_ps(m, x + j);
                __m512 sw = _mm512_permute_ps(xv, 0xB1);
                __m512 yv = _mm512_fmadd_ps(xv, _mm512_maskz_loadu_ps(m, ct + j),
                                            _mm512_mul_ps(sw, _mm512_maskz_loadu_ps(m, st + j)));
                _mm512_mask_storeu_ps(y + j, m, yv);
            }
        } else {
            for (size_t i = 0; i < half; i += 16) {
                __mmask16 m = lanes(half - i);
                __m512 lo = _mm512_maskz_loadu_ps(m, x + i), hi = _mm512_maskz_loadu_ps(m, x + half + i);
                __m512 c = _mm512_maskz_loadu_ps(m, ct + i), s = _mm512_maskz_loadu_ps(m, st + i);
                __m512 ylo = _mm512_fmsub_ps(lo, c, _mm512_mul_ps(hi, s));
                __m512 yhi = _mm512_fmadd_ps(lo, s, _mm512_mul_ps(hi, c));
                _mm512_mask_storeu_ps(y + i, m, ylo);
                _mm512_mask_storeu_ps(y + half + i, m, yhi);
            }
        }
        if (y != x)
            for (size_t j = d_rot; j < d; j += 16) {
                __mmask16 m = lanes(d - j);
                _mm512_mask_storeu_ps(y + j, m, _mm512_maskz_loadu_ps(m, x + j));
            }
    }
}

static enum ab_status rope_avx512(const struct ab_rope_args *a, const struct ab_exec *exec)
{
    if (a->d_rot > a->d || a->d_rot % 2 || a->d_rot == 0 || a->pairing >= AB_ROPE_PAIRING_COUNT)
        return AB_EINVAL;
    int n_threads = exec->n_threads < 1 ? 1 : exec->n_threads;
    size_t shared = shared_bytes(a->d_rot), per = thread_bytes(a->d_rot);
    if (exec->workspace_bytes < shared + per * (size_t)n_threads || !exec->workspace)
        return AB_EINVAL;
    char *ws = exec->workspace;
    double *inv_freq = (double *)(void *)ws;
    size_t half = a->d_rot / 2;
    for (size_t i = 0; i < half + 8; i++)
        inv_freq[i] = i < half ? pow(a->theta_base, -2.0 * (double)i / (double)a->d_rot) : 0.0;
#pragma omp parallel num_threads(n_threads)
    {
#ifdef _OPENMP
        size_t tid = (size_t)omp_get_thread_num();
#else
        size_t tid = 0;
#endif
        float *ct = (float *)(void *)(ws + shared + tid * per);
        float *st = ct + align64((a->d_rot + 16) * sizeof(float)) / sizeof(float);
#pragma omp for schedule(static)
        for (int64_t t = 0; t < (int64_t)a->n_tokens; t++)
            token(a, (size_t)t, inv_freq, ct, st);
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_rope_avx512;
const struct ab_kernel ab__kernel_rope_avx512 = {
    .name = "rope_avx512",
    .family = &ab_family_rope,
    .variant = "avx512",
    .doc = "per-token vector sincos in double, pair swap by vpermilps, masked tails",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.rope = rope_avx512,
    .supports = NULL,
    .workspace_bytes = rope_workspace,
    .flops = ab__rope_flops,
    .bytes = ab__rope_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-6, .scale_param = -1, .scale_ref = 0.0},
};
