/*
 * test_boot.c - intervals and paired tests of the evaluator: reproducible from the
 * seed, independent of which other tasks are scored, covering the truth at about the
 * stated rate on simulated data, resampling by multiplicities equal to scoring the
 * expanded resample, and comparisons that say "no difference" for identical models
 * and "difference" for clearly different ones.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "archbench/rng.h"
#include "../../evals/eval_internal.h"

static struct ab_eval_data *labels(enum ab_eval_task task, const int *gold, const int *pred, size_t n)
{
    struct ab_eval_data *d = NULL;
    cr_assert_eq(ab__eval_data_from_labels(task, gold, pred, n, &d), AB_OK);
    return d;
}

/* Gold all 1; prediction right with probability p_right. */
static struct ab_eval_data *simulated_acc(struct ab_rng *rng, enum ab_eval_task task, size_t n, double p_right)
{
    int *g = malloc(n * sizeof *g), *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        g[i] = (int)(ab_rng_u64(rng) & 1u);
        p[i] = ab_rng_uniform(rng) < p_right ? g[i] : 1 - g[i];
    }
    struct ab_eval_data *d = labels(task, g, p, n);
    free(g);
    free(p);
    return d;
}

static struct ab_eval_report *score(struct ab_eval_data **d, size_t n, size_t n_boot, uint64_t seed, double level)
{
    struct ab_eval_options o = {.n_boot = n_boot, .seed = seed, .ci_level = level};
    struct ab_eval_report *r = NULL;
    struct ab_error err = {0};
    cr_assert_eq(ab_eval_score(d, n, &o, &r, &err), AB_OK, "%s", err.msg);
    return r;
}

Test(eval_boot, reproducible_from_the_seed)
{
    struct ab_rng rng;
    ab_rng_seed(&rng, 11);
    struct ab_eval_data *d = simulated_acc(&rng, AB_EVAL_TASK_SST2, 500, 0.8);
    struct ab_eval_report *a = score(&d, 1, 300, 5, 0.95), *b = score(&d, 1, 300, 5, 0.95),
                          *c = score(&d, 1, 300, 6, 0.95);
    cr_expect_eq(a->rows[0].ci_low, b->rows[0].ci_low, "same seed, same interval");
    cr_expect_eq(a->rows[0].ci_high, b->rows[0].ci_high);
    cr_expect(a->rows[0].ci_low != c->rows[0].ci_low || a->rows[0].ci_high != c->rows[0].ci_high,
              "another seed, another interval");
    cr_expect(a->rows[0].ci_low < a->rows[0].value && a->rows[0].value < a->rows[0].ci_high);
    ab_eval_report_free(a);
    ab_eval_report_free(b);
    ab_eval_report_free(c);
    ab_eval_data_free(d);
}

Test(eval_boot, task_interval_does_not_depend_on_other_tasks)
{
    struct ab_rng rng;
    ab_rng_seed(&rng, 12);
    struct ab_eval_data *d[2] = {simulated_acc(&rng, AB_EVAL_TASK_SST2, 400, 0.8),
                                 simulated_acc(&rng, AB_EVAL_TASK_COLA, 300, 0.7)};
    struct ab_eval_report *alone = score(&d[0], 1, 200, 9, 0.95), *both = score(d, 2, 200, 9, 0.95);
    const struct ab_eval_row *x = &alone->rows[0], *y = NULL;
    for (size_t i = 0; i < both->n_rows; i++)
        if (strcmp(both->rows[i].task, "SST-2") == 0)
            y = &both->rows[i];
    cr_assert_not_null(y);
    cr_expect_eq(x->ci_low, y->ci_low);
    cr_expect_eq(x->ci_high, y->ci_high);
    cr_expect_not(both->has_suite, "two tasks are not the GLUE score");
    ab_eval_report_free(alone);
    ab_eval_report_free(both);
    ab_eval_data_free(d[0]);
    ab_eval_data_free(d[1]);
}

Test(eval_boot, accuracy_interval_covers_the_truth)
{
    /* 200 simulated dev sets of 300 examples, true accuracy 0.7: a 95% interval should
     * miss about 10 times; the percentile bootstrap runs a little short at this n. */
    struct ab_rng rng;
    ab_rng_seed(&rng, 2024);
    size_t n_sims = 200, covered = 0;
    for (size_t s = 0; s < n_sims; s++) {
        struct ab_eval_data *d = simulated_acc(&rng, AB_EVAL_TASK_SST2, 300, 0.7);
        struct ab_eval_report *r = score(&d, 1, 300, 100 + s, 0.95);
        covered += r->rows[0].ci_low <= 70.0 && 70.0 <= r->rows[0].ci_high;
        ab_eval_report_free(r);
        ab_eval_data_free(d);
    }
    double rate = (double)covered / (double)n_sims;
    cr_expect(rate >= 0.89 && rate <= 0.99, "coverage %.3f (seed 2024)", rate);
}

Test(eval_boot, correlation_interval_covers_the_truth)
{
    /* Bivariate normal with rho 0.6, n 200: Pearson's 95% interval. */
    struct ab_rng rng;
    ab_rng_seed(&rng, 77);
    const double rho = 0.6;
    size_t n = 200, n_sims = 150, covered = 0;
    double *g = malloc(n * sizeof *g), *p = malloc(n * sizeof *p);
    for (size_t s = 0; s < n_sims; s++) {
        for (size_t i = 0; i < n; i++) {
            double z1 = ab_rng_normal(&rng), z2 = ab_rng_normal(&rng);
            g[i] = z1;
            p[i] = rho * z1 + sqrt(1.0 - rho * rho) * z2;
        }
        struct ab_eval_data *d = NULL;
        cr_assert_eq(ab__eval_data_from_scores(g, p, n, &d), AB_OK);
        struct ab_eval_report *r = score(&d, 1, 300, 500 + s, 0.95);
        covered += r->rows[0].ci_low <= 100.0 * rho && 100.0 * rho <= r->rows[0].ci_high;
        ab_eval_report_free(r);
        ab_eval_data_free(d);
    }
    free(g);
    free(p);
    double rate = (double)covered / (double)n_sims;
    cr_expect(rate >= 0.87 && rate <= 0.99, "coverage %.3f (seed 77)", rate);
}

Test(eval_boot, mcc_exact_bootstrap_distribution_T5)
{
    /* All 4^4 resamples of y=[1,1,0,0], yhat=[1,0,0,0] give MCC 0 (96), 1/3 (24), 0.577 (72),
     * 1 (64): the 10th percentile is 0 and the 90th is 1. */
    int y[] = {1, 1, 0, 0}, p[] = {1, 0, 0, 0};
    struct ab_eval_data *d = labels(AB_EVAL_TASK_COLA, y, p, 4);
    struct ab_eval_report *r = score(&d, 1, 4000, 1, 0.8);
    cr_expect(fabs(r->rows[0].value - 100.0 * 0.5773502691896258) < 1e-9);
    cr_expect_eq(r->rows[0].ci_low, 0.0);
    cr_expect_eq(r->rows[0].ci_high, 100.0);
    ab_eval_report_free(r);
    ab_eval_data_free(d);
}

Test(eval_boot, weighted_spearman_equals_the_expanded_resample)
{
    struct ab_rng rng;
    ab_rng_seed(&rng, 3);
    enum { N = 40 };
    double x[N], y[N], ex[N * 4], ey[N * 4], rx[N], ry[N];
    uint32_t w[N], ox[N], oy[N];
    for (int trial = 0; trial < 20; trial++) {
        size_t m = 0;
        for (size_t i = 0; i < N; i++) {
            x[i] = (double)ab_rng_below(&rng, 6);   /* many ties */
            y[i] = (double)ab_rng_below(&rng, 9) + 0.5 * x[i];
            w[i] = (uint32_t)ab_rng_below(&rng, 4);
            for (uint32_t k = 0; k < w[i]; k++) {
                ex[m] = x[i];
                ey[m] = y[i];
                m++;
            }
        }
        ab__eval_argsort(x, N, ox);
        ab__eval_argsort(y, N, oy);
        double got = ab__eval_spearman_weighted(x, y, ox, oy, w, N, rx, ry), want;
        cr_assert_eq(ab_eval_spearman(ex, ey, m, &want), AB_OK);
        cr_expect(fabs(got - want) < 1e-12, "trial %d: %.17g vs %.17g", trial, got, want);
        cr_expect(fabs(ab__eval_pearson_weighted(x, y, w, N) - ab_eval_pearson(ex, ey, m)) < 1e-12);
    }
}

static struct ab_eval_cmp_report *compare(struct ab_eval_data *a, struct ab_eval_data *b, size_t n_boot)
{
    struct ab_eval_options o = {.n_boot = n_boot, .seed = 4, .ci_level = 0.95};
    struct ab_eval_cmp_report *r = NULL;
    struct ab_error err = {0};
    cr_assert_eq(ab_eval_compare(&a, &b, 1, &o, &r, &err), AB_OK, "%s", err.msg);
    return r;
}

Test(eval_boot, compare_identical_models)
{
    struct ab_rng rng;
    ab_rng_seed(&rng, 21);
    struct ab_eval_data *a = simulated_acc(&rng, AB_EVAL_TASK_QQP, 300, 0.8);
    ab_rng_seed(&rng, 21);
    struct ab_eval_data *b = simulated_acc(&rng, AB_EVAL_TASK_QQP, 300, 0.8);
    struct ab_eval_cmp_report *r = compare(a, b, 200);
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct ab_eval_cmp_row *row = &r->rows[i];
        cr_expect_eq(row->diff, 0.0, "%s %s", row->task, row->metric);
        cr_expect_eq(row->ci_low, 0.0);
        cr_expect_eq(row->ci_high, 0.0);
        cr_expect_eq(row->p_boot, 1.0);
        cr_expect_eq(row->p_perm, 1.0);
    }
    cr_expect_eq(r->rows[0].mcnemar_b, 0);
    cr_expect_eq(r->rows[0].mcnemar_c, 0);
    cr_expect_eq(r->rows[0].p_mcnemar, 1.0);
    cr_expect_str_eq(r->rows[0].mcnemar_method, "exact");
    ab_eval_cmp_report_free(r);
    ab_eval_data_free(a);
    ab_eval_data_free(b);
}

Test(eval_boot, compare_clearly_different_models)
{
    /* Same gold; A right 90%, B right 60% of the time. */
    size_t n = 500;
    struct ab_rng rng;
    ab_rng_seed(&rng, 8);
    int *g = malloc(n * sizeof *g), *pa = malloc(n * sizeof *pa), *pb = malloc(n * sizeof *pb);
    for (size_t i = 0; i < n; i++) {
        g[i] = (int)(ab_rng_u64(&rng) & 1u);
        pa[i] = ab_rng_uniform(&rng) < 0.9 ? g[i] : 1 - g[i];
        pb[i] = ab_rng_uniform(&rng) < 0.6 ? g[i] : 1 - g[i];
    }
    struct ab_eval_data *a = labels(AB_EVAL_TASK_SST2, g, pa, n), *b = labels(AB_EVAL_TASK_SST2, g, pb, n);
    struct ab_eval_cmp_report *r = compare(a, b, 500);
    const struct ab_eval_cmp_row *row = &r->rows[0];
    cr_expect(row->diff > 20.0 && row->ci_low > 0.0, "diff %.2f [%.2f, %.2f]", row->diff, row->ci_low, row->ci_high);
    cr_expect(row->p_boot < 0.01, "p_boot %g", row->p_boot);
    cr_expect(row->p_perm < 0.01, "p_perm %g", row->p_perm);
    cr_expect_str_eq(row->mcnemar_method, "chi2_cc");
    cr_expect(row->p_mcnemar < 1e-6, "p_mcnemar %g", row->p_mcnemar);
    /* The McNemar counts are the discordant examples. */
    int64_t nb = 0, nc = 0;
    for (size_t i = 0; i < n; i++) {
        nb += pa[i] == g[i] && pb[i] != g[i];
        nc += pa[i] != g[i] && pb[i] == g[i];
    }
    cr_expect_eq(row->mcnemar_b, nb);
    cr_expect_eq(row->mcnemar_c, nc);
    ab_eval_cmp_report_free(r);
    /* A different gold is refused. */
    g[0] = 1 - g[0];
    struct ab_eval_data *c = labels(AB_EVAL_TASK_SST2, g, pb, n);
    struct ab_eval_options o = {.n_boot = 10, .seed = 1, .ci_level = 0.95};
    struct ab_eval_cmp_report *bad = NULL;
    struct ab_error err = {0};
    cr_expect_eq(ab_eval_compare(&a, &c, 1, &o, &bad, &err), AB_EINVAL);
    cr_expect_null(bad);
    ab_eval_data_free(a);
    ab_eval_data_free(b);
    ab_eval_data_free(c);
    free(g);
    free(pa);
    free(pb);
}
