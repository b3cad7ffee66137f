/*
 * stats.c - summary statistics of repeated measurements (see archbench/stats.h).
 *
 * Assumes samples are few (repetitions, typically 5 to 1000): sorting copies is cheaper
 * than being clever. Sums are plain doubles in two passes (mean, then squared
 * deviations), which is exact enough for timings that differ by far less than 1e8x.
 */
#include <math.h>
#include <stdlib.h>

#include "archbench/alloc.h"
#include "archbench/rng.h"
#include "archbench/stats.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

/* Median of an already sorted array (n > 0): the mean of the two middle values for even n. */
static double sorted_median(const double *s, size_t n)
{
    if (n % 2 == 1)
        return s[n / 2];
    /* Halves first: the sum of two large finite values must not overflow. */
    return s[n / 2 - 1] / 2.0 + s[n / 2] / 2.0;
}

double ab_stats_median_inplace(double *x, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(x, n, sizeof *x, cmp_double);
    return sorted_median(x, n);
}

size_t ab_stats_median_ci_rank(size_t n)
{
    if (n < AB_STATS_CI_MIN_N)
        return 0;
    /*
     * Walk the Bin(n, 1/2) CDF from 0 in log space (0.5^n underflows beyond n = 1074):
     * log p(j+1) = log p(j) + log((n - j) / (j + 1)). Stop at the first j with
     * P(B <= j) > 0.025; then k - 1 = j - 1 is the last admissible lower tail, k = j.
     */
    double nd = (double)n;
    double log_p = -nd * log(2.0);
    double cdf = 0.0;
    size_t j = 0;
    for (; j <= n / 2; j++) {
        cdf += exp(log_p);
        if (cdf > 0.025)
            break;
        log_p += log((nd - (double)j) / ((double)j + 1.0));
    }
    return j;   /* >= 1 because P(B <= 0) = 0.5^n <= 0.025 for n >= 6 */
}

enum ab_status ab_stats_compute(const double *x, size_t n, struct ab_stats *out_stats)
{
    if (!x || n == 0 || !out_stats || !all_finite(x, n))
        return AB_EINVAL;
    if (n > SIZE_MAX / (2 * sizeof(double)))
        return AB_EOVERFLOW;
    double *sorted = ab_malloc(2 * n * sizeof *sorted);
    if (!sorted)
        return AB_ENOMEM;
    double *dev = sorted + n;

    struct ab_stats st = {.n = n};
    for (size_t i = 0; i < n; i++)
        sorted[i] = x[i];
    qsort(sorted, n, sizeof *sorted, cmp_double);
    st.min = sorted[0];
    st.max = sorted[n - 1];
    st.median = sorted_median(sorted, n);

    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(sorted[i] - st.median);
    st.mad = ab_stats_median_inplace(dev, n);

    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += sorted[i];
    st.mean = sum / (double)n;
    if (n >= 2) {
        double ss = 0.0;
        for (size_t i = 0; i < n; i++)
            ss += (sorted[i] - st.mean) * (sorted[i] - st.mean);
        st.stddev = sqrt(ss / (double)(n - 1));
        st.cv = st.mean != 0.0 ? st.stddev / st.mean : (double)NAN;
    } else {
        st.stddev = NAN;
        st.cv = NAN;
    }

    size_t k = ab_stats_median_ci_rank(n);
    if (k > 0) {
        st.ci_low = sorted[k - 1];
        st.ci_high = sorted[n - k];
    } else {
        st.ci_low = NAN;
        st.ci_high = NAN;
    }

    for (size_t i = 0; i < n; i++)
        if (ab_stats_is_outlier(&st, x[i]))
            st.n_outliers++;

    double ci_width = k > 0 ? st.ci_high - st.ci_low : 0.0;
    double scale = fabs(st.median);
    if (scale > 0.0)
        st.noisy = AB_STATS_MAD_SCALE * st.mad / scale > AB_STATS_NOISY_ROBUST_CV ||
                   ci_width / scale > AB_STATS_NOISY_CI_WIDTH;
    else
        st.noisy = st.mad > 0.0 || ci_width > 0.0;

    ab_free(sorted);
    *out_stats = st;
    return AB_OK;
}

bool ab_stats_is_outlier(const struct ab_stats *stats, double x)
{
    return fabs(x - stats->median) > AB_STATS_OUTLIER_K * AB_STATS_MAD_SCALE * stats->mad;
}

enum ab_status ab_stats_fit_power(const double *x, const double *y, size_t n, double *out_exponent,
                                  double *out_r2)
{
    if (!x || !y || !out_exponent || n < 2)
        return AB_EINVAL;
    double mx = 0.0, my = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || x[i] <= 0.0 || y[i] <= 0.0)
            return AB_EINVAL;
        mx += log(x[i]);
        my += log(y[i]);
    }
    mx /= (double)n;
    my /= (double)n;
    /* Centred sums: the logs of sequence lengths are close together, raw sums would cancel. */
    double sxx = 0.0, sxy = 0.0, syy = 0.0;
    for (size_t i = 0; i < n; i++) {
        double dx = log(x[i]) - mx, dy = log(y[i]) - my;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if (!(sxx > 0.0))
        return AB_EINVAL;
    double b = sxy / sxx;
    if (out_r2) {
        /* SS_res = syy - b * sxy for the least-squares line; clamp rounding below zero. */
        double ss_res = syy - b * sxy;
        if (ss_res < 0.0)
            ss_res = 0.0;
        *out_r2 = syy > 0.0 ? 1.0 - ss_res / syy : 1.0;
    }
    *out_exponent = b;
    return AB_OK;
}

enum ab_status ab_stats_bootstrap_median_ci(const double *x, size_t n, size_t n_resamples, uint64_t seed,
                                            double *out_low, double *out_high)
{
    if (!x || n == 0 || n_resamples == 0 || !out_low || !out_high || !all_finite(x, n))
        return AB_EINVAL;
    if (n_resamples > SIZE_MAX / sizeof(double) || n > SIZE_MAX / sizeof(double) - n_resamples)
        return AB_EOVERFLOW;
    double *buf = ab_malloc((n + n_resamples) * sizeof *buf);
    if (!buf)
        return AB_ENOMEM;
    double *resample = buf, *medians = buf + n;

    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    for (size_t b = 0; b < n_resamples; b++) {
        for (size_t i = 0; i < n; i++)
            resample[i] = x[ab_rng_below(&rng, n)];
        medians[b] = ab_stats_median_inplace(resample, n);
    }
    qsort(medians, n_resamples, sizeof *medians, cmp_double);
    double bd = (double)n_resamples;
    size_t lo = (size_t)floor(0.025 * bd);
    size_t hi = (size_t)ceil(0.975 * bd);
    hi = hi > 0 ? hi - 1 : 0;
    if (lo >= n_resamples)
        lo = n_resamples - 1;
    if (hi >= n_resamples)
        hi = n_resamples - 1;
    *out_low = medians[lo];
    *out_high = medians[hi];
    ab_free(buf);
    return AB_OK;
}
