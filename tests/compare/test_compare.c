/*
 * test_compare.c - the performance gate's statistics and verdicts, and its calibration on
 * simulated samples (seeded, so every figure is the same on every machine; nothing is
 * timed here).
 *
 * Noise model (per repetition, multiplicative on a true time T):
 *   - log-normal jitter, sigma 0.03 (CodSpeed measures a CV of 2.66% on shared runners);
 *   - drift: a random walk of the machine's speed across the repetitions of a run
 *     (step sigma 0.01), so neighbouring repetitions are correlated;
 *   - heavy tail: 10% of repetitions slowed 2-5x, half of them caught as preempted;
 *   - paired designs only: a load factor per block shared by both sides (sigma 0.20,
 *     the 50-100% swings between invocations seen under load), a second-in-block effect
 *     of +1% (cancelled by ABBA), and a run-to-run jitter of 1% per side.
 * Under the null both sides are drawn from the same model. "False alarm" = a comparison
 * (8 items) in which any item is called a regression or an improvement.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <cjson/cJSON.h>

#include "archbench/alloc.h"
#include "archbench/compare.h"
#include "archbench/results.h"
#include "archbench/rng.h"

#define N_ITEMS 8
#define N_COMPARISONS 1000

/* ---- the statistics against hand-computed values ----------------------------------------- */

Test(compare_stats, mann_whitney_exact_and_normal)
{
    double x[] = {1, 2, 3}, y[] = {4, 5, 6};
    /* Complete separation of 3 vs 3: P(U = 0) = 1 / C(6, 3) = 1/20, two-sided 0.1. */
    cr_assert_float_eq(ab_compare_mann_whitney_p(x, 3, y, 3), 0.1, 1e-12);
    cr_assert_float_eq(ab_compare_mann_whitney_p(y, 3, x, 3), 0.1, 1e-12);
    double a[] = {1, 3, 5, 7, 9, 11}, b[] = {2, 4, 6, 8, 10, 12};
    /* U = 21 of 36 for 6 vs 6: P(U >= 21) = 0.3496 (tables), two-sided 0.699. */
    cr_assert_float_eq(ab_compare_mann_whitney_p(a, 6, b, 6), 0.6991, 1e-3);
    /* Ties force the normal approximation; all tied: p = 1. */
    double t[] = {5, 5, 5, 5};
    cr_assert_float_eq(ab_compare_mann_whitney_p(t, 4, t, 4), 1.0, 1e-12);
    cr_assert(isnan(ab_compare_mann_whitney_p(x, 0, y, 3)));
}

Test(compare_stats, hodges_lehmann_interval)
{
    double x[6], y[6];
    for (int i = 0; i < 6; i++) {
        x[i] = i;
        y[i] = i + 10.0;
    }
    double s, lo, hi;
    cr_assert_eq(ab_compare_hodges_lehmann(x, 6, y, 6, 0.05, &s, &lo, &hi), AB_OK);
    cr_assert_float_eq(s, 10.0, 1e-12);
    /* 6 vs 6 at 95%: k = 6 (P(U <= 5) = 0.0206 <= 0.025 < P(U <= 6)), interval [D(6), D(31)]
     * of the 36 sorted differences 5..15: D(6) = 7, D(31) = 13. */
    cr_assert_float_eq(lo, 7.0, 1e-12);
    cr_assert_float_eq(hi, 13.0, 1e-12);
    /* 3 vs 3 has no 95% interval: even [min, max] covers only 90%. */
    cr_assert_eq(ab_compare_hodges_lehmann(x, 3, y, 3, 0.05, &s, &lo, &hi), AB_ENOTSUP);
    cr_assert(isnan(lo));
}

Test(compare_stats, sign_test)
{
    double d[10] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
    double p, med, lo, hi;
    ab_compare_sign_test(d, 10, 0.05, &p, &med, &lo, &hi);
    cr_assert_float_eq(p, 2.0 / 1024.0, 1e-12);
    cr_assert_float_eq(med, 0.55, 1e-12);
    /* n = 10: P(Bin <= 1) = 11/1024 <= 0.025 < P(Bin <= 2): [x(2), x(9)]. */
    cr_assert_float_eq(lo, 0.2, 1e-12);
    cr_assert_float_eq(hi, 0.9, 1e-12);
    ab_compare_sign_test(d, 5, 0.05, &p, &med, &lo, &hi);
    cr_assert(isnan(lo), "5 blocks cannot give a 95%% interval");
}

Test(compare_stats, signed_rank_against_enumeration)
{
    /* Expected values from enumerating all 2^10 sign patterns (not from this code): W+ = 48,
     * P(W+ >= 48) = 19/1024, so p = 38/1024; HL = median of the 55 Walsh averages; the 95%
     * interval cuts k = 9 from each end (P(W+ <= 8) = 25/1024 <= 0.025 < P(W+ <= 9)). */
    double d[10] = {0.12, -0.05, 0.31, 0.07, 0.22, -0.18, 0.4, 0.15, 0.09, 0.27};
    double p, hl, lo, hi;
    ab_compare_signed_rank(d, 10, 0.05, &p, &hl, &lo, &hi);
    cr_assert_float_eq(p, 38.0 / 1024.0, 1e-12);
    cr_assert_float_eq(hl, 0.145, 1e-12);
    cr_assert_float_eq(lo, 0.02, 1e-12);
    cr_assert_float_eq(hi, 0.265, 1e-12);
    /* narrower than the sign test's on these well-behaved blocks (not on real ones: README) */
    double sp, smed, slo, shi;
    ab_compare_sign_test(d, 10, 0.05, &sp, &smed, &slo, &shi);
    cr_assert_lt(hi - lo, shi - slo);
    ab_compare_signed_rank(d, 5, 0.05, &p, &hl, &lo, &hi);
    cr_assert(isnan(lo), "5 blocks cannot give a 95%% interval (1/32 > 0.025)");
    ab_compare_signed_rank(d, 6, 0.05, &p, &hl, &lo, &hi);
    cr_assert(!isnan(lo), "6 blocks can (1/64 <= 0.025): AB_COMPARE_MIN_BLOCKS");
    double zeros[7] = {0};
    ab_compare_signed_rank(zeros, 7, 0.05, &p, &hl, &lo, &hi);
    cr_assert_float_eq(p, 1.0, 1e-12);
    cr_assert_float_eq(hl, 0.0, 1e-12);
}

/* Test and interval come from one distribution: without ties the exact interval excludes 0
 * exactly when p <= alpha, at every n, exact (n <= 60) and normal (n > 60) alike. */
Test(compare_stats, signed_rank_interval_agrees_with_test)
{
    struct ab_rng rng;
    ab_rng_seed(&rng, 42);
    double d[90];
    size_t checked = 0, rejected = 0;
    for (size_t trial = 0; trial < 3000; trial++) {
        size_t n = 6 + trial % 40 + (trial % 7 == 0 ? 45 : 0);
        double shift = 0.6 * ab_rng_uniform(&rng);
        for (size_t i = 0; i < n; i++)
            d[i] = shift + ab_rng_normal(&rng);
        double p, hl, lo, hi;
        ab_compare_signed_rank(d, n, 0.05, &p, &hl, &lo, &hi);
        cr_assert(lo <= hl && hl <= hi, "n %zu: HL %g outside [%g, %g]", n, hl, lo, hi);
        if (n > 60 && fabs(p - 0.05) < 0.01)
            continue; /* the normal interval and test round the boundary differently */
        bool excludes = lo > 0.0 || hi < 0.0;
        cr_assert_eq(excludes, p <= 0.05, "n %zu: p %g but interval [%g, %g]", n, p, lo, hi);
        checked++;
        rejected += excludes;
    }
    cr_assert_gt(rejected, checked / 10, "too few rejections (%zu of %zu) to test the agreement", rejected, checked);
}

Test(compare_stats, benjamini_hochberg)
{
    /* Worked example: p sorted 0.01 0.02 0.03 0.04 0.20, m = 5: q = 0.05 0.05 0.05 0.05 0.20. */
    double p[] = {0.04, 0.01, NAN, 0.20, 0.03, 0.02}, q[6];
    ab_compare_bh(p, 6, q);
    cr_assert_float_eq(q[1], 0.05, 1e-12);
    cr_assert_float_eq(q[0], 0.05, 1e-12);
    cr_assert_float_eq(q[3], 0.20, 1e-12);
    cr_assert(isnan(q[2]));
}

Test(compare_stats, fractions)
{
    double v;
    cr_assert(ab_compare_parse_fraction("5%", &v) && fabs(v - 0.05) < 1e-12);
    cr_assert(ab_compare_parse_fraction("0.07", &v) && fabs(v - 0.07) < 1e-12);
    cr_assert(!ab_compare_parse_fraction("5", &v), "bare 5 is ambiguous");
    cr_assert(!ab_compare_parse_fraction("-1%", &v));
    cr_assert(!ab_compare_parse_fraction("x", &v));
}

/* ---- simulated runs through the results model -------------------------------------------- */

struct noise {
    double jitter, walk, p_outlier, block_load, order_effect, side_jitter;
};

static const struct noise realistic = {0.03, 0.01, 0.10, 0.20, 0.01, 0.01};

static void key_of(struct ab_result_key *k, int item)
{
    memset(k, 0, sizeof *k);
    snprintf(k->family, sizeof k->family, "sim");
    snprintf(k->kernel, sizeof k->kernel, "sim_k%d", item);
    snprintf(k->variant, sizeof k->variant, "k%d", item);
    snprintf(k->shape, sizeof k->shape, "n=%d", 16 << item);
    k->threads = 1;
}

/* One run of n_items items, reps repetitions each; true times t[i] x level. */
static void sim_run(struct ab_results *res, struct ab_rng *rng, const double *t, size_t n_items, size_t reps,
                    double level, const struct noise *nz)
{
    ab_results_init(res);
    struct ab_result_sample samples[64];
    for (size_t i = 0; i < n_items; i++) {
        struct ab_result_row row;
        memset(&row, 0, sizeof row);
        key_of(&row.key, (int)i);
        row.verdict = AB_VERDICT_PASS;
        row.timed = true;
        double walk = 0.0;
        for (size_t r = 0; r < reps; r++) {
            walk += nz->walk * ab_rng_normal(rng);
            double x = t[i] * level * exp(walk + nz->jitter * ab_rng_normal(rng));
            bool preempted = false;
            if (ab_rng_uniform(rng) < nz->p_outlier) {
                x *= 2.0 + 3.0 * ab_rng_uniform(rng);
                preempted = ab_rng_uniform(rng) < 0.5;
            }
            samples[r] = (struct ab_result_sample){.iterations = 100, .time_ns = x, .total_ns = 100 * x,
                                                   .cpu_share = NAN, .invol_switches = -1, .preempted = preempted};
        }
        row.samples = samples;
        row.n_samples = reps;
        row.repetitions = (int)reps;
        cr_assert_eq(ab_results_add_row(res, &row), AB_OK);
    }
}

static double median_time(const struct ab_result_row *row)
{
    double x[64];
    for (size_t i = 0; i < row->n_samples; i++)
        x[i] = row->samples[i].time_ns;
    size_t n = row->n_samples;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double tmp = x[j];
            x[j] = x[j - 1];
            x[j - 1] = tmp;
        }
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

struct tally {
    size_t comparisons_alarmed;     /* any item regression or improvement */
    size_t naive_alarmed;           /* any item with ratio of medians > 1.05 */
    size_t shifted, caught, undecided, passed;  /* the shifted item's verdicts */
};

/*
 * n_comp comparisons of N_ITEMS items; item 0 of the candidate is slower by `shift`
 * (0: the null). paired: B blocks of r repetitions, else one run of reps per side.
 */
static struct tally simulate_with(uint64_t seed, size_t n_comp, double shift, bool paired, const struct noise *nz,
                                  const struct ab_compare_options *opt)
{
    struct tally t = {0};
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    enum { BLOCKS = 20, BLOCK_REPS = 3, REPS = 10 };
    struct ab_compare_options o = *opt;
    for (size_t c = 0; c < n_comp; c++) {
        double tb[N_ITEMS], tc[N_ITEMS];
        for (size_t i = 0; i < N_ITEMS; i++) {
            tb[i] = 1000.0 * exp(3.0 * ab_rng_uniform(&rng));
            tc[i] = tb[i] * (i == 0 ? 1.0 + shift : 1.0);
        }
        struct ab_compare cmp;
        struct ab_error err;
        bool naive = false;
        if (paired) {
            struct ab_results base[BLOCKS], cand[BLOCKS];
            for (size_t b = 0; b < BLOCKS; b++) {
                double load = exp(nz->block_load * ab_rng_normal(&rng));
                /* ABBA: base first in even blocks; the second run of a block is slower. */
                double lb = load * exp(nz->side_jitter * ab_rng_normal(&rng)) * (b % 2 ? 1.0 + nz->order_effect : 1.0);
                double lc = load * exp(nz->side_jitter * ab_rng_normal(&rng)) * (b % 2 ? 1.0 : 1.0 + nz->order_effect);
                sim_run(&base[b], &rng, tb, N_ITEMS, BLOCK_REPS, lb, nz);
                sim_run(&cand[b], &rng, tc, N_ITEMS, BLOCK_REPS, lc, nz);
            }
            cr_assert_eq(ab_compare_blocks(base, cand, BLOCKS, &o, &cmp, &err), AB_OK, "%s", err.msg);
            /* Naive gate on the same data: median of block medians, ratio > 1.05. */
            for (size_t i = 0; i < N_ITEMS; i++) {
                double mb[BLOCKS], mc[BLOCKS];
                for (size_t b = 0; b < BLOCKS; b++) {
                    mb[b] = median_time(&base[b].rows[i]);
                    mc[b] = median_time(&cand[b].rows[i]);
                }
                /* last block's medians only: what one pair of CI runs would compare */
                naive |= i > 0 && mc[BLOCKS - 1] / mb[BLOCKS - 1] > 1.05;
            }
            for (size_t b = 0; b < BLOCKS; b++) {
                ab_results_release(&base[b]);
                ab_results_release(&cand[b]);
            }
        } else {
            struct ab_results base, cand;
            sim_run(&base, &rng, tb, N_ITEMS, REPS, 1.0, nz);
            sim_run(&cand, &rng, tc, N_ITEMS, REPS, 1.0, nz);
            cr_assert_eq(ab_compare_runs(&base, &cand, &o, &cmp, &err), AB_OK, "%s", err.msg);
            for (size_t i = 1; i < N_ITEMS; i++)
                naive |= median_time(&cand.rows[i]) / median_time(&base.rows[i]) > 1.05;
            ab_results_release(&base);
            ab_results_release(&cand);
        }
        cr_assert_eq(cmp.n_items, N_ITEMS);
        bool alarm = false;
        for (size_t i = shift > 0.0 ? 1 : 0; i < N_ITEMS; i++)
            alarm |= cmp.items[i].verdict == AB_COMPARE_REGRESSION || cmp.items[i].verdict == AB_COMPARE_IMPROVEMENT;
        t.comparisons_alarmed += alarm;
        t.naive_alarmed += naive;
        if (shift > 0.0) {
            t.shifted++;
            t.caught += cmp.items[0].verdict == AB_COMPARE_REGRESSION;
            t.undecided += cmp.items[0].verdict == AB_COMPARE_UNDECIDED;
            t.passed += cmp.items[0].verdict == AB_COMPARE_NO_CHANGE || cmp.items[0].verdict == AB_COMPARE_IMPROVEMENT;
        }
        ab_compare_release(&cmp);
    }
    return t;
}

static struct tally simulate(uint64_t seed, size_t n_comp, double shift, bool paired, const struct noise *nz)
{
    struct ab_compare_options o;
    ab_compare_options_init(&o);
    return simulate_with(seed, n_comp, shift, paired, nz, &o);
}

/* Binomial bound: alpha + 3 standard deviations of a rate over n comparisons. */
static double alarm_bound(double alpha, size_t n)
{
    return alpha + 3.0 * sqrt(alpha * (1.0 - alpha) / (double)n);
}

Test(compare_calibration, null_unpaired_false_alarms_within_alpha, .timeout = 300)
{
    struct tally t = simulate(20261201, N_COMPARISONS, 0.0, false, &realistic);
    double rate = (double)t.comparisons_alarmed / N_COMPARISONS;
    double naive = (double)t.naive_alarmed / N_COMPARISONS;
    cr_log_info("unpaired null: false-alarm rate %.4f (bound %.4f), naive 5%% gate %.3f over %d comparisons of %d items",
                rate, alarm_bound(0.05, N_COMPARISONS), naive, N_COMPARISONS, N_ITEMS);
    fprintf(stderr, "CALIBRATION unpaired null: false alarms %.4f, naive gate %.3f\n", rate, naive);
    cr_assert_leq(rate, alarm_bound(0.05, N_COMPARISONS));
    /* The mutant: ratio of medians > 1.05 on the same null data cries wolf. Unpaired runs
     * cannot see the drift inside each run (its repetitions are correlated), so the gate is
     * only a few times better here; the paired test below is where it is clean. */
    cr_assert_geq(naive, 0.20, "naive gate flagged only %.3f of null comparisons", naive);
    cr_assert_lt(rate, naive / 4.0);
}

Test(compare_calibration, null_paired_false_alarms_within_alpha, .timeout = 300)
{
    struct tally t = simulate(20261202, N_COMPARISONS, 0.0, true, &realistic);
    double rate = (double)t.comparisons_alarmed / N_COMPARISONS;
    double naive = (double)t.naive_alarmed / N_COMPARISONS;
    fprintf(stderr, "CALIBRATION paired null: false alarms %.4f, naive gate %.3f\n", rate, naive);
    cr_assert_leq(rate, alarm_bound(0.05, N_COMPARISONS));
    cr_assert_geq(naive, 0.20, "naive gate flagged only %.3f of null comparisons", naive);
    cr_assert_lt(rate, naive / 10.0);
}

/*
 * The level itself. At a 5% threshold the threshold, not the test, keeps false alarms
 * away, so a test whose interval is far too narrow would still pass the calibration
 * above. At threshold 0 a verdict is the test alone: under the null, Benjamini-Hochberg
 * over 8 items bounds the share of comparisons with any alarm by alpha. Both paired tests
 * must hold it on ABBA blocks with skewed, heavy-tailed, drifting, order-dependent noise;
 * the mutant (the signed-rank interval at alpha 0.30, reported as if at 0.05) must not.
 */
static double null_alarm_rate_at_zero(enum ab_compare_paired_test test, double alpha)
{
    struct ab_compare_options o;
    ab_compare_options_init(&o);
    o.threshold = 0.0;
    o.paired_test = test;
    o.alpha = alpha;
    struct tally t = simulate_with(20261203, N_COMPARISONS, 0.0, true, &realistic, &o);
    return (double)t.comparisons_alarmed / N_COMPARISONS;
}

Test(compare_calibration, paired_tests_hold_their_level_at_threshold_zero, .timeout = 300)
{
    double sr = null_alarm_rate_at_zero(AB_COMPARE_SIGNED_RANK, 0.05);
    double sign = null_alarm_rate_at_zero(AB_COMPARE_SIGN, 0.05);
    double mutant = null_alarm_rate_at_zero(AB_COMPARE_SIGNED_RANK, 0.30);
    fprintf(stderr, "CALIBRATION paired null at threshold 0: signed-rank %.4f, sign %.4f, mutant (alpha 0.30) %.4f\n",
            sr, sign, mutant);
    cr_assert_leq(sr, alarm_bound(0.05, N_COMPARISONS));
    cr_assert_leq(sign, alarm_bound(0.05, N_COMPARISONS));
    cr_assert_gt(mutant, alarm_bound(0.05, N_COMPARISONS), "the level check cannot see a test 6x too liberal");
}

/*
 * Power. A regression is called only when the interval's lower end clears 1 + threshold,
 * so a true shift equal to the threshold is caught about half the time at best (the
 * interval is centred on it): at 5% the property asserted is that it is almost never
 * passed as "no change" (the rest is undecided, visible). At 10% (twice the threshold)
 * the floor is set well below the measured rate of this seeded simulation, so it
 * only fails if the gate loses power.
 */
static void power(bool paired, enum ab_compare_paired_test test, uint64_t seed, double floor10, double max_passed5)
{
    static const double shifts[] = {0.03, 0.05, 0.10};
    struct ab_compare_options o;
    ab_compare_options_init(&o);
    o.paired_test = test;
    for (size_t s = 0; s < 3; s++) {
        struct tally t = simulate_with(seed + s, 400, shifts[s], paired, &realistic, &o);
        double caught = (double)t.caught / (double)t.shifted;
        double passed = (double)t.passed / (double)t.shifted;
        double undecided = (double)t.undecided / (double)t.shifted;
        double alarms = (double)t.comparisons_alarmed / (double)t.shifted;
        fprintf(stderr, "CALIBRATION %s shift %.0f%%: caught %.3f, undecided %.3f, passed %.3f, false alarms on the other items %.3f\n",
                paired ? ab_compare_paired_test_name(test) : "unpaired", 100.0 * shifts[s], caught, undecided, passed,
                alarms);
        cr_assert_leq(alarms, alarm_bound(0.05, t.shifted));
        if (shifts[s] >= 0.05)
            cr_assert_leq(passed, max_passed5, "%.0f%% slower passed as no change in %.3f", 100.0 * shifts[s], passed);
        if (shifts[s] >= 0.10)
            cr_assert_geq(caught, floor10, "10%% shift caught in %.3f < %.3f", caught, floor10);
    }
}

Test(compare_calibration, power_unpaired, .timeout = 300)
{
    /* Unpaired: drift within the runs makes the interval too narrow now and then, so a
     * true 5% slowdown is passed as "no change" in about 10% of comparisons: the reason
     * `archbench ab` is the mode for CI. */
    power(false, AB_COMPARE_SIGNED_RANK, 777, 0.50, 0.15);
}

Test(compare_calibration, power_paired, .timeout = 300)
{
    power(true, AB_COMPARE_SIGNED_RANK, 888, 0.85, 0.05);
    power(true, AB_COMPARE_SIGN, 888, 0.85, 0.05);
}

/* ---- verdicts on constructed cases --------------------------------------------------------- */

static void fixed_run(struct ab_results *res, const double *times, size_t n, int item, enum ab_verdict v)
{
    struct ab_result_sample samples[64];
    struct ab_result_row row;
    memset(&row, 0, sizeof row);
    key_of(&row.key, item);
    row.verdict = v;
    row.timed = v != AB_VERDICT_FAIL;
    snprintf(row.note, sizeof row.note, "%s", v == AB_VERDICT_FAIL ? "max error 3 above tolerance" : "");
    for (size_t i = 0; i < n; i++)
        samples[i] = (struct ab_result_sample){.iterations = 10, .time_ns = times[i], .cpu_share = NAN,
                                               .invol_switches = -1};
    row.samples = samples;
    row.n_samples = v == AB_VERDICT_FAIL ? 0 : n;
    cr_assert_eq(ab_results_add_row(res, &row), AB_OK);
}

/* 3 clean repetitions a side have no 95% interval (3 vs 3: P(U = 0) = 1/20 > 0.025): the
 * preempted ones are then used too (flagged), so a busy machine cannot hide a 20x slowdown
 * as "undecided" (compare_cli once failed that way with 3 of 6 preempted). */
Test(compare_verdicts, too_few_clean_repetitions_use_the_preempted_ones)
{
    struct ab_results base, cand;
    ab_results_init(&base);
    ab_results_init(&cand);
    struct ab_result_sample sb[6], sc[6];
    for (size_t r = 0; r < 6; r++) {
        bool pre = r >= 3;
        double t = 100.0 + (double)r;
        sb[r] = (struct ab_result_sample){.iterations = 10, .time_ns = pre ? 3 * t : t, .cpu_share = NAN,
                                          .invol_switches = -1, .preempted = pre};
        sc[r] = sb[r];
        sc[r].time_ns *= 20.0;
    }
    struct ab_result_row row;
    memset(&row, 0, sizeof row);
    key_of(&row.key, 0);
    row.verdict = AB_VERDICT_PASS;
    row.timed = true;
    row.n_samples = 6;
    row.repetitions = 6;
    row.samples = sb;
    cr_assert_eq(ab_results_add_row(&base, &row), AB_OK);
    row.samples = sc;
    cr_assert_eq(ab_results_add_row(&cand, &row), AB_OK);
    struct ab_compare_options o;
    ab_compare_options_init(&o);
    struct ab_compare c;
    struct ab_error err;
    cr_assert_eq(ab_compare_runs(&base, &cand, &o, &c, &err), AB_OK);
    cr_assert_eq(c.items[0].verdict, AB_COMPARE_REGRESSION, "%s (%s)", ab_compare_verdict_name(c.items[0].verdict),
                 c.items[0].reason);
    cr_assert_eq(c.items[0].n_base, 6);
    cr_assert(c.items[0].base_all && c.items[0].cand_all, "the preempted repetitions are flagged as used");
    ab_compare_release(&c);
    ab_results_release(&base);
    ab_results_release(&cand);
}

Test(compare_verdicts, straddling_interval_is_undecided_and_one_side_items_listed)
{
    struct ab_results base, cand;
    ab_results_init(&base);
    ab_results_init(&cand);
    /* item 0: +5% centre with +-8% spread: interval straddles 1.05 -> undecided */
    double b0[] = {100, 92, 108, 96, 104, 100, 94, 106}, c0[] = {105, 97, 113, 101, 109, 105, 99, 111};
    fixed_run(&base, b0, 8, 0, AB_VERDICT_PASS);
    fixed_run(&cand, c0, 8, 0, AB_VERDICT_PASS);
    /* item 1: clean 30% slower -> regression */
    double b1[] = {100, 101, 99, 100, 102, 98, 100, 101}, c1[] = {130, 131, 129, 130, 132, 128, 130, 131};
    fixed_run(&base, b1, 8, 1, AB_VERDICT_PASS);
    fixed_run(&cand, c1, 8, 1, AB_VERDICT_PASS);
    /* item 2 base only, item 3 candidate only, item 4 candidate failed verification */
    fixed_run(&base, b1, 8, 2, AB_VERDICT_PASS);
    fixed_run(&cand, b1, 8, 3, AB_VERDICT_PASS);
    fixed_run(&base, b1, 8, 4, AB_VERDICT_PASS);
    fixed_run(&cand, b1, 8, 4, AB_VERDICT_FAIL);
    /* item 5: identical -> no change */
    fixed_run(&base, b1, 8, 5, AB_VERDICT_PASS);
    fixed_run(&cand, b1, 8, 5, AB_VERDICT_PASS);
    struct ab_compare_options o;
    ab_compare_options_init(&o);
    struct ab_compare c;
    struct ab_error err;
    cr_assert_eq(ab_compare_runs(&base, &cand, &o, &c, &err), AB_OK);
    cr_assert_eq(c.n_items, 6);
    enum ab_compare_verdict want[6] = {AB_COMPARE_UNDECIDED, AB_COMPARE_REGRESSION, AB_COMPARE_BASE_ONLY,
                                       AB_COMPARE_FAILED, AB_COMPARE_NO_CHANGE, AB_COMPARE_CAND_ONLY};
    const char *kern[6] = {"sim_k0", "sim_k1", "sim_k2", "sim_k4", "sim_k5", "sim_k3"};
    for (size_t i = 0; i < 6; i++) {
        cr_assert_str_eq(c.items[i].key.kernel, kern[i]);
        cr_assert_eq(c.items[i].verdict, want[i], "%s: %s (%s)", kern[i], ab_compare_verdict_name(c.items[i].verdict),
                     c.items[i].reason);
    }
    cr_assert(c.items[0].ratio_low < 1.05 && c.items[0].ratio_high > 1.05);
    cr_assert(strstr(c.items[0].reason, "straddles"));
    cr_assert(strstr(c.items[3].reason, "candidate failed verification"));
    cr_assert(ab_compare_failed(&c));
    cr_assert_eq(c.items[1].ins_verdict, AB_COMPARE_NA);
    cr_assert(strstr(c.items[1].ins_reason, "instructions not counted on this machine"));

    /* A per-kernel threshold of 40% turns the 30% slowdown into "no change"... not quite:
     * its interval [~1.28, ~1.32] lies inside 1.4 -> no change. */
    char path[] = "/tmp/ab_test_thresholds_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "# family, then one kernel\n^sim/ 10%%\nsim_k1 0.40\n");
    fclose(fp);
    struct ab_compare_rules rules;
    cr_assert_eq(ab_compare_rules_load(path, &rules, &err), AB_OK, "%s", err.msg);
    o.rules = &rules;
    struct ab_compare c2;
    cr_assert_eq(ab_compare_runs(&base, &cand, &o, &c2, &err), AB_OK);
    cr_assert_float_eq(c2.items[0].threshold, 0.10, 1e-12);
    cr_assert_float_eq(c2.items[1].threshold, 0.40, 1e-12);
    cr_assert_eq(c2.items[1].verdict, AB_COMPARE_NO_CHANGE);
    ab_compare_release(&c2);
    ab_compare_rules_release(&rules);
    fp = fopen(path, "w");
    fprintf(fp, "^sim/ 10%%\nbroken\n");
    fclose(fp);
    cr_assert_eq(ab_compare_rules_load(path, &rules, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "line 2"), "%s", err.msg);
    remove(path);

    ab_compare_release(&c);
    ab_results_release(&base);
    ab_results_release(&cand);
}

Test(compare_verdicts, instructions_gated_when_counted)
{
    struct ab_results base, cand;
    ab_results_init(&base);
    ab_results_init(&cand);
    base.ctx.n_events = cand.ctx.n_events = 1;
    snprintf(base.ctx.events[0], sizeof base.ctx.events[0], "PAPI_TOT_INS");
    snprintf(cand.ctx.events[0], sizeof cand.ctx.events[0], "PAPI_TOT_INS");
    double t[] = {100, 101, 99, 100, 102, 98};
    for (int side = 0; side < 2; side++) {
        struct ab_result_sample samples[6];
        int64_t counts[6];
        for (int i = 0; i < 6; i++) {
            samples[i] = (struct ab_result_sample){.iterations = 10, .time_ns = t[i], .cpu_share = NAN};
            counts[i] = side ? 10 * 1030 : 10 * 1000;   /* +3% instructions per call */
        }
        struct ab_result_row row;
        memset(&row, 0, sizeof row);
        key_of(&row.key, 0);
        row.verdict = AB_VERDICT_PASS;
        row.samples = samples;
        row.n_samples = 6;
        row.counts = counts;
        cr_assert_eq(ab_results_add_row(side ? &cand : &base, &row), AB_OK);
    }
    struct ab_compare_options o;
    ab_compare_options_init(&o);
    struct ab_compare c;
    struct ab_error err;
    cr_assert_eq(ab_compare_runs(&base, &cand, &o, &c, &err), AB_OK);
    cr_assert_eq(c.items[0].ins_verdict, AB_COMPARE_REGRESSION);
    cr_assert_float_eq(c.items[0].ins_ratio, 1.03, 1e-12);
    cr_assert(ab_compare_failed(&c), "a 3%% instruction increase fails the 1%% gate");
    ab_compare_release(&c);
    ab_results_release(&base);
    ab_results_release(&cand);
}

/* Paired repetitions of an interleaved run: x is 1.1x base in every round, while the
 * host's slow phase (time x2) covers rounds 2-6 of x but only 4-6 of base. The ratio of
 * the medians says 2.2 (220 / 100); the pairs say 1.1. A preempted repetition drops its pair. */
Test(compare_interleaved, pairs_by_round_and_drops_preempted_pairs)
{
    static const double base_t[] = {100, 100, 100, 100, 200, 200, 200, 100};
    static const double x_t[] = {110, 110, 220, 220, 220, 220, 220, 990};
    struct ab_result_sample sb[8] = {0}, sx[8] = {0};
    for (size_t i = 0; i < 8; i++) {
        sb[i].time_ns = base_t[i];
        sx[i].time_ns = x_t[i];
    }
    sx[7].preempted = true; /* 990: would pull the median up if kept */
    struct ab_result_row b = {0}, x = {0};
    snprintf(b.key.family, sizeof b.key.family, "gemm_f32");
    snprintf(b.key.shape, sizeof b.key.shape, "m=8");
    b.key.threads = 1;
    x.key = b.key;
    b.timed = x.timed = true;
    b.samples = sb;
    x.samples = sx;
    b.n_samples = x.n_samples = 8;
    struct ab_paired_ratio pr;
    cr_assert_eq(ab_compare_interleaved(&x, &b, 0.05, &pr), AB_OK);
    cr_assert_eq(pr.n_pairs, 7);
    /* pair ratios by round: 1.1, 1.1, 2.2, 2.2, 1.1, 1.1, 1.1 (round 7 dropped) */
    cr_assert_float_eq(pr.ratio, 1.1, 1e-12, "paired median %.6f", pr.ratio);
    cr_assert(pr.low <= pr.ratio && pr.ratio <= pr.high, "[%g, %g]", pr.low, pr.high);
    x.key.threads = 2;
    cr_assert_eq(ab_compare_interleaved(&x, &b, 0.05, &pr), AB_EINVAL, "another thread count is not a pair");
    x.key.threads = 1;
    x.timed = false;
    cr_assert_eq(ab_compare_interleaved(&x, &b, 0.05, &pr), AB_EINVAL);
}

/* A row of a fixture run: variant v of gemm_f32 at shape s, 1 thread, 4 repetitions of
 * t ns each (round 3 at 2t: a slow phase shared by every variant of the round). */
static void add_run_row(struct ab_results *res, const char *v, const char *s, enum ab_verdict verdict, double t)
{
    struct ab_result_sample smp[4] = {0};
    for (size_t i = 0; i < 4; i++)
        smp[i].time_ns = i == 2 ? 2 * t : t;
    struct ab_result_row r = {0};
    snprintf(r.key.family, sizeof r.key.family, "gemm_f32");
    snprintf(r.key.kernel, sizeof r.key.kernel, "gemm_f32_%s", v);
    snprintf(r.key.variant, sizeof r.key.variant, "%s", v);
    snprintf(r.key.shape, sizeof r.key.shape, "%s", s);
    r.key.threads = 1;
    r.verdict = verdict;
    r.timed = verdict == AB_VERDICT_PASS;
    r.samples = smp;
    r.n_samples = 4;
    cr_assert_eq(ab_results_add_row(res, &r), AB_OK);
}

/* Which rows pair: our verified variants against the verified vendor baselines of the same
 * case, never a baseline against ours or a failed row; a sequential run pairs nothing. */
Test(compare_interleaved, a_run_pairs_each_variant_with_each_baseline_of_its_case)
{
    struct ab_results res;
    ab_results_init(&res);
    add_run_row(&res, "avx512", "m=8", AB_VERDICT_PASS, 90);     /* 0 */
    add_run_row(&res, "onednn", "m=8", AB_VERDICT_PASS, 100);    /* 1 */
    add_run_row(&res, "openblas", "m=8", AB_VERDICT_FAIL, 50);   /* 2: failed, no pair */
    add_run_row(&res, "avx2", "m=8", AB_VERDICT_PASS, 120);      /* 3 */
    add_run_row(&res, "avx512", "m=16", AB_VERDICT_PASS, 200);   /* 4: no baseline of m=16 */
    add_run_row(&res, "ref", "m=8", AB_VERDICT_PASS, 1000);      /* 5 */
    struct ab_paired_row *p;
    size_t n;
    cr_assert_eq(ab_compare_interleaved_run(&res, 0.05, &p, &n), AB_OK);
    cr_assert_eq(n, 0, "no context.json: not an interleaved run");
    res.ctx.json = cJSON_Parse("{\"options\": {\"interleave\": false}}");
    cr_assert_eq(ab_compare_interleaved_run(&res, 0.05, &p, &n), AB_OK);
    cr_assert_eq(n, 0, "a sequential run");
    cJSON_Delete(res.ctx.json);
    res.ctx.json = cJSON_Parse("{\"options\": {\"interleave\": true}}");
    cr_assert(ab_results_interleaved(&res));
    cr_assert_eq(ab_compare_interleaved_run(&res, 0.05, &p, &n), AB_OK);
    cr_assert_eq(n, 3, "avx512, avx2 and ref against onednn");
    static const size_t want_x[] = {0, 3, 5};
    static const double want_ratio[] = {0.9, 1.2, 10.0};
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(p[i].x, want_x[i]);
        cr_assert_eq(p[i].base, 1);
        cr_assert_eq(p[i].st, AB_OK);
        cr_assert_eq(p[i].pr.n_pairs, 4);
        cr_assert_float_eq(p[i].pr.ratio, want_ratio[i], 1e-12, "pair %zu: %g", i, p[i].pr.ratio);
    }
    ab_free(p);
    ab_results_release(&res);
}
