/*
 * test_rng.c - the seeded generator: reproducible from the seed, different seeds
 * differ, ab_rng_below stays in range and is unbiased (chi-square on a bound that is
 * not a power of two), uniform and normal deviates have the right moments.
 */
#include <math.h>

#include <criterion/criterion.h>

#include "archbench/rng.h"

Test(rng, reproducible_from_the_seed)
{
    struct ab_rng a, b, c;
    ab_rng_seed(&a, 42);
    ab_rng_seed(&b, 42);
    ab_rng_seed(&c, 43);
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = ab_rng_u64(&a);
        cr_assert_eq(x, ab_rng_u64(&b));
        same_c += x == ab_rng_u64(&c);
    }
    cr_assert_lt(same_c, 2, "another seed gives another stream");
}

Test(rng, below_is_in_range_and_unbiased)
{
    struct ab_rng r;
    ab_rng_seed(&r, 7);
    enum { BOUND = 7, N = 700000 };
    long count[BOUND] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t v = ab_rng_below(&r, BOUND);
        cr_assert_lt(v, BOUND);
        count[v]++;
    }
    double chi2 = 0.0, expect = (double)N / BOUND;
    for (int k = 0; k < BOUND; k++)
        chi2 += ((double)count[k] - expect) * ((double)count[k] - expect) / expect;
    /* 6 degrees of freedom: P(chi2 > 22.46) = 0.001. */
    cr_assert_lt(chi2, 22.46, "chi-square %.2f", chi2);
    cr_assert_eq(ab_rng_below(&r, 0), 0);
    cr_assert_eq(ab_rng_below(&r, 1), 0);
    /* A bound near 2^64 exercises the rejection path. */
    uint64_t big = UINT64_MAX - 5;
    for (int i = 0; i < 1000; i++)
        cr_assert_lt(ab_rng_below(&r, big), big);
}

Test(rng, uniform_and_normal_moments)
{
    struct ab_rng r;
    ab_rng_seed(&r, 11);
    enum { N = 200000 };
    double su = 0, sn = 0, sn2 = 0;
    for (int i = 0; i < N; i++) {
        double u = ab_rng_uniform(&r);
        cr_assert(u >= 0.0 && u < 1.0);
        su += u;
        double z = ab_rng_normal(&r);
        sn += z;
        sn2 += z * z;
    }
    cr_assert_float_eq(su / N, 0.5, 0.005);
    cr_assert_float_eq(sn / N, 0.0, 0.01);
    cr_assert_float_eq(sn2 / N, 1.0, 0.02);
}
