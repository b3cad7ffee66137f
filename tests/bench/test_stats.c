/*
 * test_stats.c - summary statistics against values worked out by hand, the
 * order-statistic interval of the median, the power-law fit and the seeded bootstrap.
 */
#include <math.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/rng.h"
#include "archbench/stats.h"

#define NEAR(a, b, tol) cr_assert(fabs((a) - (b)) <= (tol), "%s = %.17g, expected %.17g", #a, (a), (b))

Test(stats, five_values_with_one_outlier)
{
    /*
     * x = {1, 2, 3, 4, 100}: sorted the same; median 3; |x - 3| = {2, 1, 0, 1, 97},
     * sorted {0, 1, 1, 2, 97}, so MAD = 1. mean = 110 / 5 = 22. Deviations from the mean
     * {-21, -20, -19, -18, 78}: squares sum to 441 + 400 + 361 + 324 + 6084 = 7610, so the
     * sample variance is 7610 / 4 = 1902.5. Outlier threshold 3 * 1.4826 * 1 = 4.4478:
     * only 100 (|100 - 3| = 97) is beyond it. n = 5 < 6: no 95% interval.
     */
    const double x[] = {4, 1, 100, 3, 2};
    struct ab_stats st;
    cr_assert_eq(ab_stats_compute(x, 5, &st), AB_OK);
    cr_assert_eq(st.n, 5);
    NEAR(st.median, 3.0, 0.0);
    NEAR(st.min, 1.0, 0.0);
    NEAR(st.max, 100.0, 0.0);
    NEAR(st.mean, 22.0, 1e-12);
    NEAR(st.mad, 1.0, 0.0);
    NEAR(st.stddev, sqrt(1902.5), 1e-12);
    NEAR(st.cv, sqrt(1902.5) / 22.0, 1e-12);
    cr_assert_eq(st.n_outliers, 1);
    cr_assert(ab_stats_is_outlier(&st, 100.0));
    cr_assert(!ab_stats_is_outlier(&st, 1.0));
    cr_assert(!ab_stats_is_outlier(&st, 7.4));   /* 4.4 <= 4.4478 */
    cr_assert(ab_stats_is_outlier(&st, 7.5));    /* 4.5 > 4.4478 */
    cr_assert(isnan(st.ci_low) && isnan(st.ci_high));
    /* 1.4826 * 1 / 3 = 0.49 > 0.05 */
    cr_assert(st.noisy);
}

Test(stats, even_n_median_is_mean_of_middle_pair)
{
    /* {1, 2, 3, 4}: median (2 + 3) / 2 = 2.5; |x - 2.5| = {1.5, 0.5, 0.5, 1.5}, MAD = 1. */
    const double x[] = {4, 1, 3, 2};
    struct ab_stats st;
    cr_assert_eq(ab_stats_compute(x, 4, &st), AB_OK);
    NEAR(st.median, 2.5, 0.0);
    NEAR(st.mad, 1.0, 0.0);
    NEAR(st.mean, 2.5, 0.0);
    /* variance (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5 / 3 */
    NEAR(st.stddev, sqrt(5.0 / 3.0), 1e-12);
    cr_assert_eq(st.n_outliers, 0);
}

Test(stats, single_value)
{
    const double x[] = {7.5};
    struct ab_stats st;
    cr_assert_eq(ab_stats_compute(x, 1, &st), AB_OK);
    NEAR(st.median, 7.5, 0.0);
    NEAR(st.mad, 0.0, 0.0);
    cr_assert(isnan(st.stddev));
    cr_assert(isnan(st.cv));
    cr_assert(isnan(st.ci_low));
    cr_assert_eq(st.n_outliers, 0);
    cr_assert(!st.noisy);
}

Test(stats, ci_ranks_from_the_binomial)
{
    /*
     * The interval [x(k), x(n-k+1)] covers the median with probability
     * 1 - 2 P(B <= k-1), B ~ Bin(n, 1/2); k is the largest with P(B <= k-1) <= 0.025.
     * n = 5:  P(B <= 0) = 1/32 = 0.03125 > 0.025            -> no interval (k = 0)
     * n = 6:  P(B <= 0) = 1/64 = 0.0156, P(B <= 1) = 7/64 = 0.109 -> k = 1, [x(1), x(6)]
     * n = 10: P(B <= 1) = 11/1024 = 0.0107, P(B <= 2) = 56/1024 = 0.0547 -> k = 2, [x(2), x(9)]
     * n = 30: P(B <= 9) = 0.0214, P(B <= 10) = 0.0494       -> k = 10, [x(10), x(21)]
     */
    cr_assert_eq(ab_stats_median_ci_rank(0), 0);
    cr_assert_eq(ab_stats_median_ci_rank(5), 0);
    cr_assert_eq(ab_stats_median_ci_rank(6), 1);
    cr_assert_eq(ab_stats_median_ci_rank(10), 2);
    cr_assert_eq(ab_stats_median_ci_rank(30), 10);
    /* Large n (0.5^n underflows): normal approximation n/2 - 0.98 sqrt(n) ~ 956 for n = 2000. */
    size_t k = ab_stats_median_ci_rank(2000);
    cr_assert(k >= 950 && k <= 960, "k = %zu", k);
}

Test(stats, ci_for_n_10_and_30)
{
    /* Values 1..n in a scrambled order: x(k) = k. */
    double x[30];
    for (size_t i = 0; i < 10; i++)
        x[i] = (double)((i * 7) % 10 + 1);
    struct ab_stats st;
    cr_assert_eq(ab_stats_compute(x, 10, &st), AB_OK);
    NEAR(st.ci_low, 2.0, 0.0);
    NEAR(st.ci_high, 9.0, 0.0);
    NEAR(st.median, 5.5, 0.0);

    for (size_t i = 0; i < 30; i++)
        x[i] = (double)((i * 7) % 30 + 1);
    cr_assert_eq(ab_stats_compute(x, 30, &st), AB_OK);
    NEAR(st.ci_low, 10.0, 0.0);
    NEAR(st.ci_high, 21.0, 0.0);

    const double six[] = {6, 5, 4, 3, 2, 1};
    cr_assert_eq(ab_stats_compute(six, 6, &st), AB_OK);
    NEAR(st.ci_low, 1.0, 0.0);
    NEAR(st.ci_high, 6.0, 0.0);
}

Test(stats, noisy_rule)
{
    /*
     * 100..109: median 104.5, MAD 2.5, robust CV 1.4826 * 2.5 / 104.5 = 0.0355 <= 0.05;
     * interval [101, 108], width 7 / 104.5 = 0.067 <= 0.10: not noisy.
     */
    double x[10];
    for (size_t i = 0; i < 10; i++)
        x[i] = 100.0 + (double)i;
    struct ab_stats st;
    cr_assert_eq(ab_stats_compute(x, 10, &st), AB_OK);
    cr_assert(!st.noisy);
    cr_assert_eq(st.n_outliers, 0);

    /* 100, 102, ..., 118: MAD 5, robust CV 7.41 / 109 = 0.068 > 0.05: noisy. */
    for (size_t i = 0; i < 10; i++)
        x[i] = 100.0 + 2.0 * (double)i;
    cr_assert_eq(ab_stats_compute(x, 10, &st), AB_OK);
    cr_assert(st.noisy);

    /* Tight body, one wild tail value: MAD small, the interval [x(2), x(9)] stays tight. */
    const double y[] = {100, 100.5, 101, 101.5, 102, 102.5, 103, 103.5, 104, 500};
    cr_assert_eq(ab_stats_compute(y, 10, &st), AB_OK);
    cr_assert(!st.noisy);
    cr_assert_eq(st.n_outliers, 1);
}

Test(stats, invalid_input_and_out_of_memory)
{
    struct ab_stats st = {.n = 42};
    const double x[] = {1, 2, NAN};
    cr_assert_eq(ab_stats_compute(x, 0, &st), AB_EINVAL);
    cr_assert_eq(ab_stats_compute(x, 3, &st), AB_EINVAL);
    const double inf[] = {1, INFINITY};
    cr_assert_eq(ab_stats_compute(inf, 2, &st), AB_EINVAL);
    cr_assert_eq(ab_stats_compute(NULL, 2, &st), AB_EINVAL);
    cr_assert_eq(st.n, 42, "output untouched on failure");

    ab_alloc_fail_at(1, 0);
    cr_assert_eq(ab_stats_compute(x, 2, &st), AB_ENOMEM);
    ab_alloc_fail_at(1, 0);
    double lo = -1, hi = -1;
    cr_assert_eq(ab_stats_bootstrap_median_ci(x, 2, 100, 1, &lo, &hi), AB_ENOMEM);
    ab_alloc_fail_at(0, 0);
    cr_assert_eq(lo, -1.0);
}

Test(stats, fit_power_recovers_exponents)
{
    double x[8], y2[8], y1[8];
    for (size_t i = 0; i < 8; i++) {
        x[i] = (double)(16u << i);
        y2[i] = 3.0 * x[i] * x[i];
        y1[i] = 5.0 * x[i];
    }
    double b = 0, r2 = 0;
    cr_assert_eq(ab_stats_fit_power(x, y2, 8, &b, &r2), AB_OK);
    NEAR(b, 2.0, 1e-9);
    NEAR(r2, 1.0, 1e-9);
    cr_assert_eq(ab_stats_fit_power(x, y1, 8, &b, NULL), AB_OK);
    NEAR(b, 1.0, 1e-9);

    /* Not an exact power law: r2 below 1, exponent between. */
    const double xs[] = {1, 2, 4, 8};
    const double ys[] = {1, 3, 5, 20};
    cr_assert_eq(ab_stats_fit_power(xs, ys, 4, &b, &r2), AB_OK);
    cr_assert(b > 1.0 && b < 2.0, "b = %g", b);
    cr_assert(r2 > 0.8 && r2 < 1.0, "r2 = %g", r2);

    const double zero[] = {0, 1};
    const double same[] = {3, 3};
    b = -7;
    cr_assert_eq(ab_stats_fit_power(zero, ys, 2, &b, NULL), AB_EINVAL);
    cr_assert_eq(ab_stats_fit_power(xs, zero, 2, &b, NULL), AB_EINVAL);
    cr_assert_eq(ab_stats_fit_power(same, ys, 2, &b, NULL), AB_EINVAL);
    cr_assert_eq(ab_stats_fit_power(xs, ys, 1, &b, NULL), AB_EINVAL);
    cr_assert_eq(b, -7.0);
}

Test(stats, bootstrap_is_reproducible_and_contains_the_median)
{
    double x[51];
    struct ab_rng rng;
    ab_rng_seed(&rng, 2024);
    for (size_t i = 0; i < 51; i++)
        x[i] = 10.0 + ab_rng_normal(&rng);
    struct ab_stats st;
    cr_assert_eq(ab_stats_compute(x, 51, &st), AB_OK);

    double lo1, hi1, lo2, hi2;
    cr_assert_eq(ab_stats_bootstrap_median_ci(x, 51, 2000, 99, &lo1, &hi1), AB_OK);
    cr_assert_eq(ab_stats_bootstrap_median_ci(x, 51, 2000, 99, &lo2, &hi2), AB_OK);
    cr_assert_eq(lo1, lo2);
    cr_assert_eq(hi1, hi2);
    cr_assert(lo1 <= st.median && st.median <= hi1, "[%g, %g] vs %g", lo1, hi1, st.median);
    cr_assert(lo1 < hi1);
    /* Both ends are sample values (medians of odd-sized resamples). */
    cr_assert(lo1 >= st.min && hi1 <= st.max);

    double b_lo, b_hi;
    cr_assert_eq(ab_stats_bootstrap_median_ci(x, 51, 1, 5, &b_lo, &b_hi), AB_OK);
    cr_assert_eq(b_lo, b_hi);
    cr_assert_eq(ab_stats_bootstrap_median_ci(x, 51, 0, 5, &b_lo, &b_hi), AB_EINVAL);
    cr_assert_eq(ab_stats_bootstrap_median_ci(x, 0, 10, 5, &b_lo, &b_hi), AB_EINVAL);
}
