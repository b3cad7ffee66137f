/*
 * compare.h - the performance gate: judge a candidate run against a base run, item by
 * item, as data (what `archbench compare` and `archbench ab` print and write).
 *
 * Two designs, one set of verdicts:
 *   - unpaired (ab_compare_runs): one base run and one candidate run, judged from their
 *     repetitions. Repetitions of one run share whatever the machine did during that run,
 *     so this mode cannot see drift between the runs; it is for runs made elsewhere.
 *   - paired (ab_compare_blocks): B blocks, each one base run and one candidate run made
 *     back to back in ABBA order (`archbench ab`); the per-block log ratios of medians are
 *     judged, so drift and neighbours that hit both sides of a block cancel. The mode for CI.
 *
 * Verdicts use a threshold t (default 5%) on the ratio cand/base, log-symmetric:
 *   regression   the interval's lower end > 1 + t, and the test is significant after
 *                Benjamini-Hochberg across all compared items at alpha
 *   improvement  the interval's upper end < 1 / (1 + t), and significant
 *   no change    the whole interval inside [1 / (1 + t), 1 + t]
 *   undecided    anything else: too noisy to judge at t, never passed silently
 * plus failed verification (either side), and items present on one side only.
 *
 * Instructions per call (PAPI_TOT_INS / iterations) are deterministic where counted and
 * gated by their own threshold (default 1%) without a statistical test.
 * Libraries never print: the writers take a path and write atomically.
 */
#ifndef ARCHBENCH_COMPARE_H
#define ARCHBENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/results.h"
#include "archbench/status.h"

#define AB_COMPARE_VERDICT_LIST(X)                                  \
    X(AB_COMPARE_NO_CHANGE, "no change")                            \
    X(AB_COMPARE_IMPROVEMENT, "improvement")                        \
    X(AB_COMPARE_REGRESSION, "regression")                          \
    X(AB_COMPARE_UNDECIDED, "undecided (noisy)")                    \
    X(AB_COMPARE_FAILED, "failed verification")                     \
    X(AB_COMPARE_BASE_ONLY, "base only")                            \
    X(AB_COMPARE_CAND_ONLY, "candidate only")                       \
    X(AB_COMPARE_NA, "NA")

enum ab_compare_verdict {
#define AB_COMPARE_ENUM_(name, text) name,
    AB_COMPARE_VERDICT_LIST(AB_COMPARE_ENUM_)
#undef AB_COMPARE_ENUM_
    AB_COMPARE_VERDICT_COUNT
};

AB_API const char *ab_compare_verdict_name(enum ab_compare_verdict v);

/* Repetitions kept per side: the non-preempted ones, or all when fewer than this remain. */
#define AB_COMPARE_MIN_CLEAN 3
/* Smallest blocks for which a paired regression is possible at all (either test, 5%). */
#define AB_COMPARE_MIN_BLOCKS 6

/* One threshold override: items whose "family/kernel/shape/threads" the regex matches. */
struct ab_compare_rule {
    char pattern[256];
    double threshold;
    void *code;        /* compiled regex (owned by struct ab_compare_rules) */
};

struct ab_compare_rules {
    struct ab_compare_rule *rules;
    size_t n_rules;
};

/*
 * Load a thresholds file: one rule a line, "REGEX THRESHOLD" separated by white space,
 * THRESHOLD as "7%" or "0.07"; '#' starts a comment. The last matching rule wins, so a
 * general line can be refined by later ones. Errors name file and line.
 */
AB_API enum ab_status ab_compare_rules_load(const char *path, struct ab_compare_rules *out_rules,
                                            struct ab_error *err);
AB_API void ab_compare_rules_release(struct ab_compare_rules *rules); /* NULL-safe */

/* Parse "5%" or "0.05" into 0.05; false for anything else, negatives or >= 10 (1000%). */
AB_API bool ab_compare_parse_fraction(const char *text, double *out_value);

/* The rank test and interval of paired blocks (compare_stats.c says why the default). */
enum ab_compare_paired_test {
    AB_COMPARE_SIGN,        /* sign test, order-statistic interval of the median: no symmetry assumed */
    AB_COMPARE_SIGNED_RANK, /* Wilcoxon signed-rank, Hodges-Lehmann interval: symmetric log ratios (ABBA) */
};

AB_API const char *ab_compare_paired_test_name(enum ab_compare_paired_test t); /* "signed-rank", "sign" */

struct ab_compare_options {
    double threshold;              /* 0.05 */
    double ins_threshold;          /* 0.01 */
    double alpha;                  /* 0.05: interval level 1 - alpha, BH level alpha */
    const struct ab_compare_rules *rules;  /* NULL: none */
    enum ab_compare_paired_test paired_test; /* AB_COMPARE_SIGN */
};

AB_API void ab_compare_options_init(struct ab_compare_options *o);

struct ab_compare_item {
    struct ab_result_key key;
    enum ab_compare_verdict verdict;
    char reason[192];
    double threshold;
    size_t n_base, n_cand;         /* repetitions used (unpaired) or blocks used (paired) */
    bool base_all, cand_all;       /* fewer than 3 clean: all repetitions used */
    double base_median_ns, cand_median_ns;
    double ratio;                  /* cand / base medians (unpaired) or median block ratio (paired) */
    double ratio_low, ratio_high;  /* its 1 - alpha interval; NaN when none */
    double p_value, q_value;       /* rank test and its BH-adjusted value; NaN when untested */
    bool significant;              /* q_value <= alpha */
    /* instructions per call */
    enum ab_compare_verdict ins_verdict;   /* no change / improvement / regression / NA */
    double base_ins, cand_ins, ins_ratio;
    char ins_reason[256];          /* why NA */
};

struct ab_compare {
    bool paired;
    enum ab_compare_paired_test paired_test; /* when paired */
    size_t n_blocks;
    double alpha, threshold, ins_threshold;
    struct ab_compare_item *items;
    size_t n_items;
    size_t counts[AB_COMPARE_VERDICT_COUNT];
    size_t n_ins_regressions;
    /* differences of context between the sides (machine, CPU, compiler, schema) */
    size_t n_warnings;
    char warnings[8][256];
};

AB_API void ab_compare_init(struct ab_compare *c);
AB_API void ab_compare_release(struct ab_compare *c); /* NULL-safe */

/* Unpaired: one base run and one candidate run. */
AB_API enum ab_status ab_compare_runs(const struct ab_results *base, const struct ab_results *cand,
                                      const struct ab_compare_options *o, struct ab_compare *out_cmp,
                                      struct ab_error *err);

/* Paired: base[b] and cand[b] were made in the same block b (0 <= b < n_blocks). */
AB_API enum ab_status ab_compare_blocks(const struct ab_results *base, const struct ab_results *cand,
                                        size_t n_blocks, const struct ab_compare_options *o,
                                        struct ab_compare *out_cmp, struct ab_error *err);

/* The test a comparison used: "signed-rank" or "sign" (paired), "Mann-Whitney" (unpaired). */
AB_API const char *ab_compare_test_name(const struct ab_compare *c);

/* Does the gate fail: a time or instruction regression, or the candidate failed verification. */
AB_API bool ab_compare_failed(const struct ab_compare *c);

/* "gemm_f32/gemm_f32_avx512/m=16,n=16/t1": the name rules match and documents show. */
AB_API void ab_compare_item_name(const struct ab_result_key *key, char *buf, size_t n);

/*
 * Two variants of one interleaved run (run --interleave): repetition i of each was timed
 * in the same round, side by side, so each pair shares whatever the host was doing. The
 * median of x_i / base_i over the pairs where neither repetition was preempted, the sign
 * test's interval of that median at level >= 1 - alpha (NaN ends with too few pairs) and
 * its p-value for "no difference". AB_EINVAL when the rows are not of one case and thread
 * count, either was not timed, or no clean pair exists. The caller knows the run was
 * interleaved (context.json options.interleave); rows of a sequential run are not pairs.
 */
struct ab_paired_ratio {
    double ratio, low, high, p_value;
    size_t n_pairs;
};
AB_API enum ab_status ab_compare_interleaved(const struct ab_result_row *x, const struct ab_result_row *base,
                                             double alpha, struct ab_paired_ratio *out);

/*
 * Every paired ratio an interleaved run holds: each verified variant that is not a vendor
 * baseline against each verified baseline (openblas, onednn) of the same family, shape and
 * thread count, in row order. st is AB_OK with pr filled, or AB_EINVAL when no clean pair
 * exists (shown as NA with that reason). A sequential run holds none: *out NULL, *out_n 0.
 * The array is the caller's (ab_free). AB_ENOMEM.
 */
struct ab_paired_row {
    size_t x, base; /* row indexes in res */
    enum ab_status st;
    struct ab_paired_ratio pr;
};
AB_API enum ab_status ab_compare_interleaved_run(const struct ab_results *res, double alpha,
                                                 struct ab_paired_row **out, size_t *out_n);

/* ---- documents (written atomically) ------------------------------------------------------ */
AB_API enum ab_status ab_compare_write_markdown(const char *path, const struct ab_compare *c, struct ab_error *err);
AB_API enum ab_status ab_compare_write_junit(const char *path, const struct ab_compare *c, struct ab_error *err);
AB_API enum ab_status ab_compare_write_json(const char *path, const struct ab_compare *c, struct ab_error *err);

/* ---- the statistics, exposed for tests ---------------------------------------------------- */

/*
 * Two-sided Mann-Whitney U p-value of x[0..n) against y[0..m): exact (the null
 * distribution of U counted) when there are no ties and n * m <= 400, else the normal
 * approximation with tie correction and continuity correction. NaN when n or m is 0.
 */
AB_API double ab_compare_mann_whitney_p(const double *x, size_t n, const double *y, size_t m);

/*
 * Hodges-Lehmann shift of y against x (median of all y_j - x_i) and its distribution-free
 * interval of level >= 1 - alpha from the U distribution. AB_EINVAL when n or m is 0 and
 * AB_ENOTSUP when no interval of that level exists for these sizes (outs then NaN).
 */
AB_API enum ab_status ab_compare_hodges_lehmann(const double *x, size_t n, const double *y, size_t m,
                                                double alpha, double *out_shift, double *out_low,
                                                double *out_high);

/*
 * Sign test on d[0..n) (paired differences): two-sided exact p-value of "median 0" (zeros
 * dropped), the median, and the order-statistic interval of the median of level >= 1 - alpha
 * (NaN ends when n is too small for it).
 */
AB_API void ab_compare_sign_test(const double *d, size_t n, double alpha, double *out_p, double *out_median,
                                 double *out_low, double *out_high);

/*
 * Wilcoxon signed-rank test on d[0..n) (paired differences, symmetric about their centre):
 * two-sided p-value of "centre 0" (zeros dropped; exact without ties for n <= 60, else
 * normal with tie and continuity corrections), the Hodges-Lehmann centre (median of the
 * Walsh averages) and its interval of level >= 1 - alpha (NaN ends when n is too small).
 */
AB_API void ab_compare_signed_rank(const double *d, size_t n, double alpha, double *out_p, double *out_shift,
                                   double *out_low, double *out_high);

/* Benjamini-Hochberg adjusted p-values (q) of p[0..n); NaN entries are skipped and stay NaN. */
AB_API void ab_compare_bh(const double *p, size_t n, double *out_q);

#endif /* ARCHBENCH_COMPARE_H */
