/*
 * stats.h - summary statistics of repeated measurements (times, counts, joules).
 *
 * Robust first: the median, the MAD and an order-statistic interval of the median are
 * what archbench reports, because timings are skewed to the right and a few repetitions
 * disturbed by the machine must not move the figure. Mean, standard deviation and CV are
 * kept for tools that expect them. Outliers are counted and can be marked, never dropped.
 * No state, no printing; the only allocations go through the archbench shim.
 */
#ifndef ARCHBENCH_STATS_H
#define ARCHBENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/status.h"

/* Scale that makes the MAD a consistent estimator of the standard deviation of a normal. */
#define AB_STATS_MAD_SCALE 1.4826
/* |x - median| > AB_STATS_OUTLIER_K * AB_STATS_MAD_SCALE * MAD marks an outlier. */
#define AB_STATS_OUTLIER_K 3.0
/* Noisy rule thresholds (see struct ab_stats). */
#define AB_STATS_NOISY_ROBUST_CV 0.05
#define AB_STATS_NOISY_CI_WIDTH 0.10
/* Smallest n with a 95% order-statistic interval of the median: 2 * 0.5^6 = 0.03125 <= 0.05. */
#define AB_STATS_CI_MIN_N 6

struct ab_stats {
    size_t n;
    double median, min, max, mean;
    double stddev;          /* sample (n-1); NaN for n < 2 */
    double mad;             /* median absolute deviation from the median, raw (not scaled) */
    double cv;              /* stddev / mean; NaN for n < 2 or mean == 0 */
    /*
     * 95% interval of the median from order statistics (distribution free): with the
     * sample sorted x(1) <= ... <= x(n), the interval is [x(k), x(n-k+1)] for the largest
     * k with P(Bin(n, 1/2) <= k-1) <= 0.025, so its coverage is at least 95%.
     * NaN for n < AB_STATS_CI_MIN_N (6): below that even [min, max] covers less than 95%.
     */
    double ci_low, ci_high;
    size_t n_outliers;      /* number of x with ab_stats_is_outlier(x) */
    /*
     * noisy: the spread is too wide to trust the median at the 5% level. True when
     *   AB_STATS_MAD_SCALE * mad / |median| > 0.05   (robust CV above 5%), or
     *   (ci_high - ci_low) / |median| > 0.10          (interval wider than +-5%, when it exists).
     * With median == 0 it is true when mad > 0 or the interval has any width.
     */
    bool noisy;
};

/*
 * Summarise x[0..n). AB_EINVAL for n == 0, NULL pointers or a non-finite value;
 * AB_ENOMEM when the sorted working copy cannot be allocated. out_stats is written
 * only on success.
 */
AB_API enum ab_status ab_stats_compute(const double *x, size_t n, struct ab_stats *out_stats);

/*
 * Is x an outlier for these statistics: |x - median| > 3 * 1.4826 * MAD. With MAD == 0
 * (more than half the values equal) every value different from the median is one.
 */
AB_API bool ab_stats_is_outlier(const struct ab_stats *stats, double x);

/*
 * Least-squares fit of log(y) = a + b log(x): out_exponent is the growth exponent b
 * (e.g. 2 for time ~ n^2), out_r2 (may be NULL) the coefficient of determination of the
 * fit in log space (1 when log y is constant and fitted exactly). AB_EINVAL for n < 2,
 * NULL pointers, x or y not finite and > 0, or all x equal.
 */
AB_API enum ab_status ab_stats_fit_power(const double *x, const double *y, size_t n, double *out_exponent,
                                         double *out_r2);

/*
 * Percentile bootstrap 95% interval of the median: n_resamples resamples of size n drawn
 * with replacement by archbench/rng.h seeded with `seed` (same seed, same interval), the
 * median of each, and the order statistics at ranks floor(0.025 B) and ceil(0.975 B) - 1
 * (0-based) of the B sorted medians. AB_EINVAL for n == 0, n_resamples == 0, NULL
 * pointers or non-finite x; AB_ENOMEM from the shim.
 */
AB_API enum ab_status ab_stats_bootstrap_median_ci(const double *x, size_t n, size_t n_resamples, uint64_t seed,
                                                   double *out_low, double *out_high);

/* Median of x[0..n) (sorts x in place); NaN for n == 0. Exposed for callers with scratch. */
AB_API double ab_stats_median_inplace(double *x, size_t n);

/*
 * 1-based rank k of the lower end of the 95% order-statistic interval of the median for
 * a sample of n (the upper end is n - k + 1); 0 when n < AB_STATS_CI_MIN_N.
 */
AB_API size_t ab_stats_median_ci_rank(size_t n);

#endif /* ARCHBENCH_STATS_H */
