/*
 * test_metrics.c - every evaluator metric against values worked out independently: the
 * vectors of ../shared/research/glue.md section 4 (scikit-learn 1.2.1 / SciPy 1.10.1 /
 * the SQuAD script) and hand arithmetic, plus the leaderboard aggregates (BERT-large's
 * published GLUE row must give 80.5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TOL 1e-12

static void expect_near(double got, double want, const char *what)
{
    cr_expect(fabs(got - want) <= TOL * (1.0 + fabs(want)), "%s: got %.17g, want %.17g", what, got, want);
}

/* ---- MCC ---------------------------------------------------------------------------------------- */

Test(eval_metrics, mcc_sklearn_doc_example_M1)
{
    /* y = [1,1,1,-1], yhat = [1,-1,1,1] with -1 as class 0. */
    int y[] = {1, 1, 1, 0}, p[] = {1, 0, 1, 1};
    expect_near(ab_eval_mcc(y, p, 4, 2), -1.0 / 3.0, "M1");
}

Test(eval_metrics, mcc_f1_acc_from_counts_M2)
{
    int y[] = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, p[] = {1, 1, 1, 1, 0, 0, 1, 0, 0, 0};
    expect_near(ab_eval_mcc(y, p, 10, 2), 10.0 / sqrt(600.0), "M2 mcc");
    expect_near(ab_eval_f1(y, p, 10, 1), 8.0 / 11.0, "M2 f1");
    expect_near(ab_eval_accuracy(y, p, 10), 0.7, "M2 acc");
}

Test(eval_metrics, mcc_zero_denominator_is_zero_M3_M4)
{
    int y[] = {0, 1, 1, 0}, p[] = {1, 1, 1, 1};
    cr_expect_eq(ab_eval_mcc(y, p, 4, 2), 0.0, "constant prediction");
    int y2[] = {0, 1}, p2[] = {1, 1};
    cr_expect_eq(ab_eval_mcc(y2, p2, 2, 2), 0.0, "HF README example");
    int y3[] = {1, 1, 1, 1};
    cr_expect_eq(ab_eval_mcc(y3, y3, 4, 2), 0.0, "perfect but single-class (scikit-learn <= 1.5)");
}

Test(eval_metrics, mcc_inverse_M5)
{
    int y[] = {0, 1, 0, 1}, p[] = {1, 0, 1, 0};
    expect_near(ab_eval_mcc(y, p, 4, 2), -1.0, "M5");
}

Test(eval_metrics, mcc_three_class_gorodkin_M6_M7)
{
    int y[] = {0, 0, 1, 1, 2, 2, 2, 0}, p[] = {0, 1, 1, 1, 2, 0, 2, 0};
    expect_near(ab_eval_mcc(y, p, 8, 3), 27.0 / 42.0, "M6");
    int y7[] = {0, 1, 2, 0, 1, 2}, p7[] = {0, 2, 1, 0, 0, 1};
    expect_near(ab_eval_mcc(y7, p7, 6, 3), 0.0, "M7");
}

Test(eval_metrics, mcc_axb_binary_M8)
{
    int y[] = {1, 0, 0, 1, 0, 1, 0, 0}, p[] = {1, 0, 1, 1, 0, 0, 0, 0};
    expect_near(ab_eval_mcc(y, p, 8, 2), 7.0 / 15.0, "M8");
    /* Symmetric in its arguments and invariant to swapping the two labels. */
    expect_near(ab_eval_mcc(p, y, 8, 2), 7.0 / 15.0, "M8 swapped");
}

Test(eval_metrics, mcc_class_out_of_range_is_nan)
{
    int y[] = {0, 3}, p[] = {0, 1};
    cr_expect(isnan(ab_eval_mcc(y, p, 2, 2)));
}

/* ---- F1 ----------------------------------------------------------------------------------------- */

Test(eval_metrics, f1_no_positives_is_zero_F1_F2)
{
    int y[] = {0, 0, 0}, p[] = {0, 0, 0};
    cr_expect_eq(ab_eval_f1(y, p, 3, 1), 0.0, "F1: 0/0 -> 0 (zero_division default)");
    int y2[] = {1, 0, 1}, p2[] = {0, 0, 0};
    cr_expect_eq(ab_eval_f1(y2, p2, 3, 1), 0.0, "F2: no predicted positives");
}

Test(eval_metrics, macro_f1_cb_F3)
{
    int y[] = {0, 0, 0, 1, 1, 2, 2, 2, 2, 1}, p[] = {0, 0, 1, 1, 2, 2, 2, 0, 2, 1};
    expect_near(ab_eval_macro_f1(y, p, 10, 3), (2.0 / 3.0 + 2.0 / 3.0 + 0.75) / 3.0, "F3 macro");
    expect_near(ab_eval_accuracy(y, p, 10), 0.7, "F3 acc");
}

Test(eval_metrics, macro_f1_absent_class_counts_zero_F4)
{
    int y[] = {0, 0, 1, 1};
    expect_near(ab_eval_macro_f1(y, y, 4, 3), 2.0 / 3.0, "F4 over all 3 CB classes");
    expect_near(ab_eval_macro_f1(y, y, 4, 2), 1.0, "F4 over the 2 classes present");
}

Test(eval_metrics, accuracy_empty_is_nan)
{
    cr_expect(isnan(ab_eval_accuracy(NULL, NULL, 0)));
}

/* ---- correlations ------------------------------------------------------------------------------- */

static double spearman(const double *x, const double *y, size_t n)
{
    double rho = -2.0;
    cr_assert_eq(ab_eval_spearman(x, y, n, &rho), AB_OK);
    return rho;
}

Test(eval_metrics, pearson_spearman_C1)
{
    double x[] = {1, 2, 3, 4, 5}, y[] = {2, 1, 4, 3, 5};
    expect_near(ab_eval_pearson(x, y, 5), 0.8, "C1 pearson");
    expect_near(spearman(x, y, 5), 0.8, "C1 spearman");
}

Test(eval_metrics, spearman_ties_average_ranks_C2)
{
    double x[] = {1, 2, 2, 3}, y[] = {1, 3, 2, 4};
    double rho = spearman(x, y, 4);
    expect_near(rho, 4.5 / sqrt(22.5), "C2");
    cr_expect(fabs(rho - 0.95) > 1e-3, "the textbook 1 - 6 sum d^2 formula is wrong with ties");
}

Test(eval_metrics, pearson_spearman_C3)
{
    double x[] = {1, 2, 3, 4}, y[] = {2, 4, 5, 4};
    expect_near(ab_eval_pearson(x, y, 4), 3.5 / sqrt(23.75), "C3 pearson");
    expect_near(spearman(x, y, 4), 3.0 / sqrt(22.5), "C3 spearman");
}

Test(eval_metrics, correlation_constant_input_is_nan_C4)
{
    double x[] = {1, 2, 3, 4}, c[] = {0.1, 0.1, 0.1, 0.1};
    cr_expect(isnan(ab_eval_pearson(x, c, 4)));
    cr_expect(isnan(spearman(x, c, 4)));
}

Test(eval_metrics, correlation_tiny_n_C5)
{
    double x[] = {1, 2}, y[] = {3, 1};
    expect_near(ab_eval_pearson(x, y, 2), -1.0, "n = 2");
    cr_expect(isnan(ab_eval_pearson(x, y, 1)), "n = 1 is undefined");
}

Test(eval_metrics, correlation_inverse_C6)
{
    double x[] = {0, 1, 2, 3, 4, 5}, y[] = {-10, -11, -12, -13, -14, -15};
    expect_near(ab_eval_pearson(x, y, 6), -1.0, "C6 pearson");
    expect_near(spearman(x, y, 6), -1.0, "C6 spearman");
}

Test(eval_metrics, stsb_like_C7)
{
    double g[] = {5.0, 4.75, 5.0, 2.4, 2.75, 2.615, 5.0, 2.333, 3.75};
    double p[] = {4.8, 4.1, 4.9, 3.0, 2.5, 3.1, 4.4, 2.0, 3.2};
    expect_near(ab_eval_pearson(g, p, 9), 0.9324396852068844, "C7 pearson (float64)");
    expect_near(spearman(g, p, 9), 0.9323373174786143, "C7 spearman (3-way tie)");
}

/* ---- MultiRC, parity, McNemar ------------------------------------------------------------------- */

Test(eval_metrics, multirc_f1a_em_R1)
{
    /* q0 y=[1,0,1] p=[1,0,0]; q1 y=[0,1] p=[0,1]; q2 y=[1,1,0,0] p=[1,0,1,0] (question keys 7, 9, 3). */
    int yy[] = {1, 0, 1, 0, 1, 1, 1, 0, 0};
    int pp[] = {1, 0, 0, 0, 1, 1, 0, 1, 0};
    uint64_t qq[] = {7, 7, 7, 9, 9, 3, 3, 3, 3};
    double f1a = -1, em = -1;
    cr_assert_eq(ab_eval_multirc(yy, pp, qq, 9, &f1a, &em), AB_OK);
    expect_near(f1a, 2.0 * 3 / (2.0 * 3 + 1 + 2), "R1 F1a: TP 3, FP 1, FN 2");
    expect_near(em, 1.0 / 3.0, "R1 EM");
    /* Order of answers does not matter: interleave the questions. */
    int yi[] = {1, 0, 1, 0, 1, 1, 1, 0, 0};
    int pi[] = {1, 0, 1, 0, 1, 0, 0, 1, 0};
    uint64_t qi[] = {7, 9, 3, 7, 9, 7, 3, 3, 3};
    cr_assert_eq(ab_eval_multirc(yi, pi, qi, 9, &f1a, &em), AB_OK);
    expect_near(f1a, 6.0 / 9.0, "R1 interleaved F1a");
    expect_near(em, 1.0 / 3.0, "R1 interleaved EM");
}

Test(eval_metrics, gender_parity_P1)
{
    int p[] = {1, 1, 0, 1, 0, 0, 1, 0};
    uint64_t pair[] = {5, 5, 6, 6, 7, 7, 8, 8};
    double parity = -1;
    cr_assert_eq(ab_eval_gender_parity(p, pair, 8, &parity), AB_OK);
    expect_near(parity, 0.5, "P1");
    /* Pairs found by id, not by position. */
    int p2[] = {1, 0, 0, 1, 1, 1, 0, 0};
    uint64_t pair2[] = {5, 6, 7, 8, 5, 6, 7, 8};
    cr_assert_eq(ab_eval_gender_parity(p2, pair2, 8, &parity), AB_OK);
    expect_near(parity, 0.5, "P1 shuffled");
    uint64_t bad[] = {5, 5, 6, 7, 7, 8, 8, 8};
    cr_expect_eq(ab_eval_gender_parity(p, bad, 8, &parity), AB_EINVAL, "a pair must have exactly 2 examples");
}

Test(eval_metrics, mcnemar_T1)
{
    double chi2 = 0;
    expect_near(ab_eval_mcnemar_exact(10, 2), 158.0 / 4096.0, "exact");
    expect_near(ab_eval_mcnemar_exact(2, 10), 158.0 / 4096.0, "exact, symmetric");
    cr_expect(fabs(ab_eval_mcnemar_chi2(10, 2, false, &chi2) - 0.020921335) < 1e-8);
    expect_near(chi2, 64.0 / 12.0, "chi2");
    cr_expect(fabs(ab_eval_mcnemar_chi2(10, 2, true, &chi2) - 0.043308143) < 1e-8);
    expect_near(chi2, 49.0 / 12.0, "chi2 corrected");
    cr_expect_eq(ab_eval_mcnemar_exact(0, 0), 1.0);
    cr_expect_eq(ab_eval_mcnemar_exact(3, 3), 1.0, "balanced discordance caps at 1");
}

/* ---- SQuAD normalisation and token F1 --------------------------------------------------------- */

static struct ab_eval_normalizer *nz_new(void)
{
    struct ab_eval_normalizer *nz = NULL;
    struct ab_error err = {0};
    cr_assert_eq(ab_eval_normalizer_new(&nz, &err), AB_OK, "%s", err.msg);
    return nz;
}

Test(eval_metrics, squad_normalize_S1)
{
    static const char *const cases[][2] = {
        {"The Cat!", "cat"},
        {"Theater", "theater"},
        {"an apple, a day", "apple day"},
        {"the-cat", "thecat"},
        {"(the)", ""},
        {"U.S.", "us"},
        {"don't", "dont"},
        {"1,000", "1000"},
        {"$5.00", "500"},
        {"e.g. the end", "eg end"},
        {"na\xc3\xafve\xe2\x80\x94test", "na\xc3\xafve\xe2\x80\x94test"},            /* naive-em-dash-test kept */
        {"\xc2\xabthe\xc2\xbb", "\xc2\xab \xc2\xbb"},                                    /* guillemets kept */
        {"Bob\xe2\x80\x99s", "bob\xe2\x80\x99s"},                                        /* curly apostrophe kept */
        {"The\xc2\xa0" "cat", "cat"},                                                    /* NBSP is whitespace */
        {"a\xe2\x80\x8b" "cat", "\xe2\x80\x8b" "cat"},                                   /* U+200B is not */
        {"x\x1cy", "x y"},                                                               /* U+001C is */
        {"\xc3\xa9the cat", "\xc3\xa9the cat"},                                          /* e-acute is a letter */
        {"e\xcc\x81the cat", "e\xcc\x81 cat"},                                           /* a combining mark is not */
        {"\xc3\x89" "COLE", "\xc3\xa9" "cole"},                                             /* Unicode lower case */
    };
    struct ab_eval_normalizer *nz = nz_new();
    for (size_t i = 0; i < N(cases); i++) {
        char *out = NULL;
        cr_assert_eq(ab_eval_normalize(nz, cases[i][0], strlen(cases[i][0]), &out), AB_OK);
        cr_expect_str_eq(out, cases[i][1], "case %zu: '%s'", i, cases[i][0]);
        ab_free(out);
    }
    ab_eval_normalizer_free(nz);
}

Test(eval_metrics, squad_f1_em_S2_to_S7)
{
    struct ab_eval_normalizer *nz = nz_new();
    double f1, em;
    cr_assert_eq(ab_eval_squad_f1_em(nz, "the cat sat", "a cat sat down", &f1, &em), AB_OK);
    expect_near(f1, 0.8, "S2 f1");
    cr_expect_eq(em, 0.0, "S2 em");
    ab_eval_squad_f1_em(nz, "Cat", "the cat", &f1, &em);
    cr_expect(f1 == 1.0 && em == 1.0, "S3");
    ab_eval_squad_f1_em(nz, "the", "a", &f1, &em);
    cr_expect(f1 == 0.0 && em == 1.0, "S4: both empty -> F1 0 (v1.1), EM 1");
    ab_eval_squad_f1_em(nz, "", "", &f1, &em);
    cr_expect(f1 == 0.0 && em == 1.0, "S4 empty strings");
    ab_eval_squad_f1_em(nz, "cat cat", "cat", &f1, &em);
    expect_near(f1, 2.0 / 3.0, "S5 multiset");
    ab_eval_squad_f1_em(nz, "cat", "cat cat", &f1, &em);
    expect_near(f1, 2.0 / 3.0, "S5 reversed");
    ab_eval_squad_f1_em(nz, "A B C", "C B A", &f1, &em);
    cr_expect(f1 == 1.0 && em == 0.0, "S6");
    /* S7: max over gold answers is the loader's job; each answer scored here. */
    double best = 0;
    const char *golds[] = {"Barack Obama", "Obama", "President Obama"};
    for (size_t i = 0; i < N(golds); i++) {
        ab_eval_squad_f1_em(nz, "obama", golds[i], &f1, &em);
        best = f1 > best ? f1 : best;
    }
    cr_expect_eq(best, 1.0, "S7");
    ab_eval_normalizer_free(nz);
}

/*
 * Python's str.lower(), which the official ReCoRD/SQuAD scripts call, is the full Unicode
 * lowercase mapping: U+0130 becomes two code points and capital sigma lowers to final
 * sigma at a word's end (Final_Sigma, decided on the text before punctuation goes).
 * Expected strings were computed with Python 3.11's normalize_answer (Unicode 14).
 */
Test(eval_metrics, squad_lower_is_pythons)
{
    static const char *const cases[][2] = {
        {"\xce\xa3\xce\x91\xce\xa3", "\xcf\x83\xce\xb1\xcf\x82"},                     /* ΣΑΣ -> σας */
        {"\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xa3\xce\x91\xce\xa3",                  /* ΟΔΟΣ ΣΑΣ */
         "\xce\xbf\xce\xb4\xce\xbf\xcf\x82 \xcf\x83\xce\xb1\xcf\x82"},
        {"\xce\xa3", "\xcf\x83"},                                                      /* Σ alone: no cased letter before */
        {"\xce\x91\xce\xa3'\xce\x91", "\xce\xb1\xcf\x83\xce\xb1"},                     /* ' is case-ignorable: not final */
        {"\xce\x91\xce\xa3.", "\xce\xb1\xcf\x82"},                                     /* . too, and the end follows */
        {"\xce\x91\xce\xa3-\xce\x92", "\xce\xb1\xcf\x82\xce\xb2"},                     /* - is neither: final, then dropped */
        {"\xce\x91\xce\xa3\xce\xa3", "\xce\xb1\xcf\x83\xcf\x82"},                      /* ΑΣΣ -> ασς */
        {"\xce\x91\xce\xa3\xcc\x81", "\xce\xb1\xcf\x82\xcc\x81"},                      /* a combining mark is skipped */
        {"\xce\x91\xce\xa3\xcc\x81\xce\x92", "\xce\xb1\xcf\x83\xcc\x81\xce\xb2"},
        {"\xcd\x85\xce\xa3", "\xcd\x85\xcf\x83"},                                      /* U+0345: ignorable, not cased */
        {"1\xce\xa3", "1\xcf\x83"},
        {"\xc4\xb0", "i\xcc\x87"},                                                     /* İ -> i + U+0307 */
        {"\xc4\xb0stanbul", "i\xcc\x87stanbul"},
        {"\xc7\x85" "emal", "\xc7\x86" "emal"},                                        /* titlecase ǅ */
        {"\xf0\x90\x90\x80", "\xf0\x90\x90\xa8"},                                      /* Deseret, beyond the BMP */
        {"\xe1\xba\x9e", "\xc3\x9f"},                                                  /* capital sharp s */
        {"\xe2\x84\xaa", "k"},                                                         /* Kelvin sign */
        {"\xe1\xbe\xbc", "\xe1\xbe\xb3"},                                              /* Greek with prosgegrammeni */
    };
    struct ab_eval_normalizer *nz = nz_new();
    for (size_t i = 0; i < N(cases); i++) {
        char *out = NULL;
        cr_assert_eq(ab_eval_normalize(nz, cases[i][0], strlen(cases[i][0]), &out), AB_OK);
        cr_expect_str_eq(out, cases[i][1], "case %zu: '%s' -> '%s'", i, cases[i][0], out);
        ab_free(out);
    }
    /* What the scores see: the two exactness reproducers. */
    double f1, em;
    cr_assert_eq(ab_eval_squad_f1_em(nz, "\xce\xa3\xce\x91\xce\xa3", "\xcf\x83\xce\xb1\xcf\x82", &f1, &em), AB_OK);
    cr_expect(f1 == 1.0 && em == 1.0, "ΣΑΣ vs σας: official 100, got F1 %g EM %g", f1, em);
    cr_assert_eq(ab_eval_squad_f1_em(nz, "\xc4\xb0", "i", &f1, &em), AB_OK);
    cr_expect(f1 == 0.0 && em == 0.0, "İ vs i: official 0, got F1 %g EM %g", f1, em);
    cr_assert_eq(ab_eval_squad_f1_em(nz, "\xc4\xb0", "i\xcc\x87", &f1, &em), AB_OK);
    cr_expect(f1 == 1.0 && em == 1.0, "İ vs i + U+0307: official 100");
    ab_eval_normalizer_free(nz);
}

Test(eval_metrics, squad_rejects_invalid_utf8)
{
    struct ab_eval_normalizer *nz = nz_new();
    char *out = NULL;
    cr_expect_eq(ab_eval_normalize(nz, "ab\xff", 3, &out), AB_EPARSE);
    cr_expect_eq(ab_eval_normalize(nz, "\xed\xa0\x80", 3, &out), AB_EPARSE, "a UTF-16 surrogate");
    cr_expect_eq(ab_eval_normalize(nz, "\xc0\xaf", 2, &out), AB_EPARSE, "an overlong encoding");
    /* A NUL inside the text: the C string result would silently end there (found by
     * fuzz_normalize). */
    cr_expect_eq(ab_eval_normalize(nz, "ab\0cd", 5, &out), AB_EPARSE, "a NUL byte");
    ab_eval_normalizer_free(nz);
}

/* ---- aggregates --------------------------------------------------------------------------------- */

static void set(double *v, enum ab_eval_task t, double m0, double m1)
{
    v[t * AB_EVAL_MAX_METRICS] = m0;
    v[t * AB_EVAL_MAX_METRICS + 1] = m1;
}

static void glue_row(double *v, const double *cells)
{
    for (size_t i = 0; i < AB_EVAL_TASK_COUNT * AB_EVAL_MAX_METRICS; i++)
        v[i] = (double)NAN;
    set(v, AB_EVAL_TASK_COLA, cells[0], 0);
    set(v, AB_EVAL_TASK_SST2, cells[1], 0);
    set(v, AB_EVAL_TASK_MRPC, cells[2], cells[3]);
    set(v, AB_EVAL_TASK_STSB, cells[4], cells[5]);
    set(v, AB_EVAL_TASK_QQP, cells[6], cells[7]);
    set(v, AB_EVAL_TASK_MNLI_M, cells[8], 0);
    set(v, AB_EVAL_TASK_MNLI_MM, cells[9], 0);
    set(v, AB_EVAL_TASK_QNLI, cells[10], 0);
    set(v, AB_EVAL_TASK_RTE, cells[11], 0);
    set(v, AB_EVAL_TASK_WNLI, cells[12], 0);
}

Test(eval_metrics, glue_score_bert_large_is_80_5_G1)
{
    /* CoLA 60.5, SST-2 94.9, MRPC 89.3/85.4, STS-B 87.6/86.5, QQP 72.1/89.3, MNLI 86.7/85.9,
     * QNLI 92.7, RTE 70.1, WNLI 65.1; AX 39.6 must not count. */
    const double row[] = {60.5, 94.9, 89.3, 85.4, 87.6, 86.5, 72.1, 89.3, 86.7, 85.9, 92.7, 70.1, 65.1};
    double v[AB_EVAL_TASK_COUNT * AB_EVAL_MAX_METRICS];
    glue_row(v, row);
    set(v, AB_EVAL_TASK_AX, 39.6, 0);
    double score = ab_eval_suite_score(AB_EVAL_SUITE_GLUE, v);
    expect_near(score, 724.7 / 9.0, "G1");
    char shown[16];
    snprintf(shown, sizeof shown, "%.1f", score);
    cr_expect_str_eq(shown, "80.5");
    set(v, AB_EVAL_TASK_AX, 0.0, 0);
    expect_near(ab_eval_suite_score(AB_EVAL_SUITE_GLUE, v), 724.7 / 9.0, "AX excluded");
}

Test(eval_metrics, glue_score_human_baseline_G2)
{
    const double row[] = {66.4, 97.8, 86.3, 80.8, 92.7, 92.6, 59.5, 80.4, 92.0, 92.8, 91.2, 93.6, 95.9};
    double v[AB_EVAL_TASK_COUNT * AB_EVAL_MAX_METRICS];
    glue_row(v, row);
    double score = ab_eval_suite_score(AB_EVAL_SUITE_GLUE, v);
    expect_near(score, 87.05, "G2");
}

Test(eval_metrics, superglue_score_human_baseline_G3)
{
    double v[AB_EVAL_TASK_COUNT * AB_EVAL_MAX_METRICS];
    for (size_t i = 0; i < N(v); i++)
        v[i] = (double)NAN;
    set(v, AB_EVAL_TASK_BOOLQ, 89.0, 0);
    set(v, AB_EVAL_TASK_CB, 95.8, 98.9);
    set(v, AB_EVAL_TASK_COPA, 100.0, 0);
    set(v, AB_EVAL_TASK_MULTIRC, 81.8, 51.9);
    set(v, AB_EVAL_TASK_RECORD, 91.7, 91.3);
    set(v, AB_EVAL_TASK_SG_RTE, 93.6, 0);
    set(v, AB_EVAL_TASK_WIC, 80.0, 0);
    set(v, AB_EVAL_TASK_WSC, 100.0, 0);
    expect_near(ab_eval_suite_score(AB_EVAL_SUITE_SUPERGLUE, v), 89.7875, "G3");
    set(v, AB_EVAL_TASK_WSC, (double)NAN, 0);
    cr_expect(isnan(ab_eval_suite_score(AB_EVAL_SUITE_SUPERGLUE, v)), "a missing task makes the score NA");
}

/* ---- the task table ----------------------------------------------------------------------------- */

Test(eval_metrics, task_lookup)
{
    enum ab_eval_task t;
    cr_expect_eq(ab_eval_task_find("sst2", AB_EVAL_SUITE_COUNT, &t), AB_OK);
    cr_expect_eq(t, AB_EVAL_TASK_SST2);
    cr_expect_eq(ab_eval_task_find("mnli-mm", AB_EVAL_SUITE_COUNT, &t), AB_OK);
    cr_expect_eq(t, AB_EVAL_TASK_MNLI_MM);
    cr_expect_eq(ab_eval_task_find("RTE", AB_EVAL_SUITE_COUNT, &t), AB_EINVAL, "RTE is in both suites");
    cr_expect_eq(ab_eval_task_find("superglue:rte", AB_EVAL_SUITE_COUNT, &t), AB_OK);
    cr_expect_eq(t, AB_EVAL_TASK_SG_RTE);
    cr_expect_eq(ab_eval_task_find("nope", AB_EVAL_SUITE_COUNT, &t), AB_ENOTFOUND);
    size_t n_glue = 0, n_sg = 0;
    for (size_t i = 0; i < AB_EVAL_TASK_COUNT; i++) {
        const struct ab_eval_task_info *info = ab_eval_task_info((enum ab_eval_task)i);
        cr_expect_eq(info->id, (enum ab_eval_task)i);
        if (info->in_score && info->suite == AB_EVAL_SUITE_GLUE)
            n_glue++;
        if (info->in_score && info->suite == AB_EVAL_SUITE_SUPERGLUE)
            n_sg++;
    }
    cr_expect_eq(n_glue, 10, "GLUE: 10 scored tasks (MNLI-m and -mm form one group of the 9)");
    cr_expect_eq(n_sg, 8);
}
