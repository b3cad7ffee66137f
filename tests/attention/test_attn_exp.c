/*
 * test_attn_exp.c - the vectorised exp every attention kernel shares (attn_simd.h):
 * accuracy against the C library's double exp over the whole range it serves, and the
 * contract the softmax relies on (exact 0 below -87.33 and at -inf, NaN kept, exp(0) =
 * 1, clamped above 88.37, monotone). The equivalence sweeps see the exp only through
 * kernel outputs at a 1e-5 tolerance; an exp 100x less accurate would pass them, and
 * would not pass this. The same for the base-2 exp of the flash softmax (ab__exp2_ps).
 * Built with the avx512 flags, skipped on CPUs without AVX-512.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/cpu.h"

#include "attention/attn_simd.h"

static void exp16(const float *x, float *y)
{
    _mm512_storeu_ps(y, ab__exp_ps(_mm512_loadu_ps(x)));
}

static float exp1(float x)
{
    float in[16], out[16];
    for (int i = 0; i < 16; i++)
        in[i] = x;
    exp16(in, out);
    return out[0];
}

static float exp2_1(float x)
{
    float in[16], out[16];
    for (int i = 0; i < 16; i++)
        in[i] = x;
    _mm512_storeu_ps(out, ab__exp2_ps(_mm512_loadu_ps(in)));
    return out[0];
}

static void need_avx512(void)
{
    if ((ab_cpu_features() & AB_ISA_AVX512) != AB_ISA_AVX512)
        cr_skip_test("this CPU has no AVX-512");
}

Test(attn_exp, within_1_5e_7_relative_and_monotone_over_its_range)
{
    need_avx512();
    /* 2^22 points evenly over [-87.33, 88.37], plus every float in [-1/64, 1/64] around 0
     * (where the table index changes sign) sampled by bit pattern */
    const int n = 1 << 22;
    double worst = 0, at = 0;
    float prev = 0;
    for (int i = 0; i < n; i += 16) {
        float x[16], y[16];
        for (int j = 0; j < 16; j++)
            x[j] = (float)(-87.33 + (88.37 + 87.33) * (double)(i + j) / n);
        exp16(x, y);
        for (int j = 0; j < 16; j++) {
            double e = exp((double)x[j]), rel = fabs((double)y[j] - e) / e;
            if (rel > worst) {
                worst = rel;
                at = x[j];
            }
            cr_assert(y[j] >= prev, "exp not monotone at x = %.9g: %.9g after %.9g", (double)x[j], (double)y[j],
                      (double)prev);
            prev = y[j];
        }
    }
    for (uint32_t b = 0; b < 0x3c800000u; b += 4099) { /* |x| < 2^-6, both signs */
        for (int s = 0; s < 2; s++) {
            uint32_t bits = b | (s ? 0x80000000u : 0);
            float x;
            memcpy(&x, &bits, sizeof x);
            double e = exp((double)x), rel = fabs((double)exp1(x) - e) / e;
            if (rel > worst) {
                worst = rel;
                at = x;
            }
        }
    }
    cr_assert(worst <= 1.5e-7, "max relative error %.3g at x = %.9g (bound 1.5e-7, 2.5 float ulps)", worst, at);
}

Test(attn_exp, contract_of_the_softmax)
{
    need_avx512();
    cr_assert(exp1(0.0f) == 1.0f && exp1(-0.0f) == 1.0f, "exp(0) = %.9g", (double)exp1(0.0f));
    cr_assert(exp1(-INFINITY) == 0.0f, "exp(-inf) must be exactly 0");
    cr_assert(exp1(-87.34f) == 0.0f && exp1(-88.0f) == 0.0f && exp1(-1e30f) == 0.0f,
              "below -87.33 must be exactly 0 (no denormals reach P V)");
    cr_assert(exp1(-87.3f) > 0.0f && isnormal(exp1(-87.3f)), "exp(-87.3) = %g: normal and positive",
              (double)exp1(-87.3f));
    cr_assert(isnan(exp1(NAN)), "NaN must stay NaN");
    cr_assert(isfinite(exp1(88.37f)) && isfinite(exp1(INFINITY)) && isfinite(exp1(1e30f)),
              "inputs above 88.37 are clamped: finite");
    cr_assert(fabs((double)exp1(1.0f) - M_E) / M_E < 1.5e-7, "exp(1) = %.9g", (double)exp1(1.0f));
}

Test(attn_exp, exp2_within_2_5e_7_relative_and_its_softmax_contract)
{
    need_avx512();
    /* the softmax feeds x = s - max <= 0; 2^22 points over [-126, 0] (normal results),
     * monotone across the rint boundaries at half-integers */
    const int n = 1 << 22;
    double worst = 0, at = 0;
    float prev = 0;
    for (int i = 0; i <= n; i += 16) {
        float x[16], y[16];
        for (int j = 0; j < 16; j++)
            x[j] = (float)(-126.0 + 126.0 * (double)(i + j < n ? i + j : n) / n);
        _mm512_storeu_ps(y, ab__exp2_ps(_mm512_loadu_ps(x)));
        for (int j = 0; j < 16; j++) {
            double e = exp2((double)x[j]), rel = fabs((double)y[j] - e) / e;
            if (rel > worst) {
                worst = rel;
                at = x[j];
            }
            cr_assert(y[j] >= prev, "2^x not monotone at x = %.9g", (double)x[j]);
            prev = y[j];
        }
    }
    cr_assert(worst <= 2.5e-7, "max relative error %.3g at x = %.9g (bound 2.5e-7)", worst, at);
    cr_assert(exp2_1(0.0f) == 1.0f && exp2_1(-1.0f) == 0.5f, "2^0 = %.9g, 2^-1 = %.9g", (double)exp2_1(0.0f),
              (double)exp2_1(-1.0f));
    cr_assert(exp2_1(-INFINITY) == 0.0f && exp2_1(-1e30f) == 0.0f, "masked scores must give exactly 0");
    cr_assert(isnan(exp2_1(NAN)), "NaN must stay NaN");
}
