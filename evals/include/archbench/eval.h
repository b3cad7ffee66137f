/*
 * eval.h - the GLUE / SuperGLUE evaluator: task table, metrics, loaders, aggregate
 * scores, bootstrap intervals and paired comparison of two models.
 *
 * Definitions follow the official leaderboards and the tools they were computed with
 * (scikit-learn, SciPy, the SQuAD/ReCoRD script); every edge case is stated beside the
 * function. Pure metric functions take class ids 0..n_classes-1 and return values on the
 * 0-1 scale; the report (rows, CSV, markdown) is on the leaderboard's 0-100 scale.
 * Nothing here prints or exits: failures come back as enum ab_status with the file,
 * line and field in struct ab_error.
 */
#ifndef ARCHBENCH_EVAL_H
#define ARCHBENCH_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "archbench/api.h"
#include "archbench/status.h"

/* ---- the task table ---------------------------------------------------------------------- */

enum ab_eval_suite { AB_EVAL_SUITE_GLUE, AB_EVAL_SUITE_SUPERGLUE, AB_EVAL_SUITE_COUNT };

/* How gold and predictions are compared, which also decides the resampling unit. */
enum ab_eval_kind {
    AB_EVAL_KIND_CLASS,     /* one label per example (unit: example) */
    AB_EVAL_KIND_REGRESS,   /* one float per example, STS-B (unit: example) */
    AB_EVAL_KIND_MULTIRC,   /* 0/1 per answer option, EM per question (unit: question) */
    AB_EVAL_KIND_RECORD,    /* entity string per query, max over gold answers (unit: query) */
    AB_EVAL_KIND_PAIRS,     /* label per example, parity over minimal pairs (unit: pair) */
    AB_EVAL_KIND_COUNT
};

#define AB_EVAL_METRIC_LIST(X)                                                                     \
    X(ACC, "acc")             /* share of exact label matches */                                   \
    X(F1, "f1")               /* binary F1 of class 1; ReCoRD: SQuAD token F1, max over answers */ \
    X(MCC, "mcc")             /* Matthews / Gorodkin R_K from the confusion matrix */              \
    X(PEARSON, "pearson")     /* product-moment r */                                               \
    X(SPEARMAN, "spearman")   /* Pearson on average ranks */                                       \
    X(MACRO_F1, "macro_f1")   /* mean per-class F1 over all the task's classes */                  \
    X(F1A, "f1a")             /* MultiRC: binary F1 over all answer options */                     \
    X(EM, "em")               /* MultiRC: questions all right; ReCoRD: normalised exact match */   \
    X(PARITY, "parity")       /* AX-g: share of minimal pairs predicted alike */

enum ab_eval_metric {
#define AB_EVAL_METRIC_ENUM_(id, name) AB_EVAL_METRIC_##id,
    AB_EVAL_METRIC_LIST(AB_EVAL_METRIC_ENUM_)
#undef AB_EVAL_METRIC_ENUM_
    AB_EVAL_METRIC_COUNT,
    AB_EVAL_METRIC_NONE = AB_EVAL_METRIC_COUNT   /* placeholder for a task's unused slot */
};

#define AB_EVAL_MAX_METRICS 2

/*
 * Every task. Columns: id, name, suite, kind, gold file under the suite's data folder
 * (the labelled dev/validation split), prediction file name (leaderboard submission
 * name), gold label column (TSV header name or JSON key), number of classes, class spellings (class id =
 * position; `|` separates spellings accepted for the same class, the first is how it is
 * written), the two metrics (the first is shown first on the leaderboard), the group the
 * task is averaged in, and whether the group enters the suite's score.
 */
#define AB_EVAL_TASK_LIST(X)                                                                                           \
    X(COLA, "CoLA", GLUE, CLASS, "CoLA/dev.tsv", "CoLA.tsv", "label", 2, "0,1", MCC, NONE, "CoLA", true)               \
    X(SST2, "SST-2", GLUE, CLASS, "SST-2/dev.tsv", "SST-2.tsv", "label", 2, "0,1", ACC, NONE, "SST-2", true)           \
    X(MRPC, "MRPC", GLUE, CLASS, "MRPC/dev.tsv", "MRPC.tsv", "Quality", 2, "0,1", F1, ACC, "MRPC", true)               \
    X(STSB, "STS-B", GLUE, REGRESS, "STS-B/dev.tsv", "STS-B.tsv", "score", 0, "", PEARSON, SPEARMAN, "STS-B", true)    \
    X(QQP, "QQP", GLUE, CLASS, "QQP/dev.tsv", "QQP.tsv", "is_duplicate", 2, "0,1", F1, ACC, "QQP", true)               \
    X(MNLI_M, "MNLI-m", GLUE, CLASS, "MNLI/dev_matched.tsv", "MNLI-m.tsv", "gold_label", 3,                            \
      "entailment,neutral,contradiction", ACC, NONE, "MNLI", true)                                                     \
    X(MNLI_MM, "MNLI-mm", GLUE, CLASS, "MNLI/dev_mismatched.tsv", "MNLI-mm.tsv", "gold_label", 3,                      \
      "entailment,neutral,contradiction", ACC, NONE, "MNLI", true)                                                     \
    X(QNLI, "QNLI", GLUE, CLASS, "QNLI/dev.tsv", "QNLI.tsv", "label", 2, "entailment,not_entailment", ACC, NONE,       \
      "QNLI", true)                                                                                                    \
    X(RTE, "RTE", GLUE, CLASS, "RTE/dev.tsv", "RTE.tsv", "label", 2, "entailment,not_entailment", ACC, NONE, "RTE",    \
      true)                                                                                                            \
    X(WNLI, "WNLI", GLUE, CLASS, "WNLI/dev.tsv", "WNLI.tsv", "label", 2, "0,1", ACC, NONE, "WNLI", true)               \
    X(AX, "AX", GLUE, CLASS, "diagnostic/diagnostic-full.tsv", "AX.tsv", "Label", 3,                                   \
      "entailment,neutral,contradiction", MCC, NONE, "AX", false)                                                      \
    X(BOOLQ, "BoolQ", SUPERGLUE, CLASS, "BoolQ/val.jsonl", "BoolQ.jsonl", "label", 2, "false|False,true|True", ACC,    \
      NONE, "BoolQ", true)                                                                                             \
    X(CB, "CB", SUPERGLUE, CLASS, "CB/val.jsonl", "CB.jsonl", "label", 3, "entailment,contradiction,neutral", ACC,     \
      MACRO_F1, "CB", true)                                                                                            \
    X(COPA, "COPA", SUPERGLUE, CLASS, "COPA/val.jsonl", "COPA.jsonl", "label", 2, "0,1", ACC, NONE, "COPA", true)      \
    X(MULTIRC, "MultiRC", SUPERGLUE, MULTIRC, "MultiRC/val.jsonl", "MultiRC.jsonl", "label", 2, "0,1", F1A, EM,        \
      "MultiRC", true)                                                                                                 \
    X(RECORD, "ReCoRD", SUPERGLUE, RECORD, "ReCoRD/val.jsonl", "ReCoRD.jsonl", "answers", 0, "", F1, EM, "ReCoRD",     \
      true)                                                                                                            \
    X(SG_RTE, "RTE", SUPERGLUE, CLASS, "RTE/val.jsonl", "RTE.jsonl", "label", 2, "entailment,not_entailment", ACC,     \
      NONE, "RTE", true)                                                                                               \
    X(WIC, "WiC", SUPERGLUE, CLASS, "WiC/val.jsonl", "WiC.jsonl", "label", 2, "false|False,true|True", ACC, NONE,      \
      "WiC", true)                                                                                                     \
    X(WSC, "WSC", SUPERGLUE, CLASS, "WSC/val.jsonl", "WSC.jsonl", "label", 2, "False|false,True|true", ACC, NONE,      \
      "WSC", true)                                                                                                     \
    X(AXB, "AX-b", SUPERGLUE, CLASS, "AX-b/AX-b.jsonl", "AX-b.jsonl", "label", 2, "entailment,not_entailment", MCC,    \
      NONE, "AX-b", false)                                                                                             \
    X(AXG, "AX-g", SUPERGLUE, PAIRS, "AX-g/AX-g.jsonl", "AX-g.jsonl", "label", 2, "entailment,not_entailment",         \
      PARITY, ACC, "AX-g", false)

enum ab_eval_task {
#define AB_EVAL_TASK_ENUM_(id, ...) AB_EVAL_TASK_##id,
    AB_EVAL_TASK_LIST(AB_EVAL_TASK_ENUM_)
#undef AB_EVAL_TASK_ENUM_
    AB_EVAL_TASK_COUNT
};

struct ab_eval_task_info {
    enum ab_eval_task id;
    const char *name;             /* "MNLI-m" */
    enum ab_eval_suite suite;
    enum ab_eval_kind kind;
    const char *gold_file;        /* relative to the gold folder */
    const char *pred_file;        /* relative to the prediction folder */
    const char *gold_column;      /* TSV header name / JSON key of the gold label */
    const char *labels;           /* class spellings, see AB_EVAL_TASK_LIST */
    size_t n_classes;             /* 0 for STS-B and ReCoRD */
    size_t n_metrics;
    enum ab_eval_metric metric[AB_EVAL_MAX_METRICS];
    const char *group;            /* tasks of one group are averaged first (MNLI-m, MNLI-mm) */
    bool in_score;                /* false for the diagnostics AX, AX-b, AX-g */
};

/* Table row of a task; NULL for an id outside the table. */
AB_API const struct ab_eval_task_info *ab_eval_task_info(enum ab_eval_task task);

/*
 * Find a task by name, case-insensitively ("cola", "MNLI-m", "sst2" also accepted without
 * the dash). "RTE" exists in both suites: `suite_hint` (AB_EVAL_SUITE_COUNT for none)
 * picks one, or the prefixes "glue:" / "superglue:" do. AB_ENOTFOUND if unknown,
 * AB_EINVAL if ambiguous.
 */
AB_API enum ab_status ab_eval_task_find(const char *name, enum ab_eval_suite suite_hint, enum ab_eval_task *out_task);

AB_API const char *ab_eval_metric_name(enum ab_eval_metric metric);
AB_API const char *ab_eval_suite_name(enum ab_eval_suite suite);   /* "GLUE", "SuperGLUE" */

/* ---- metrics: pure functions over arrays of class ids (0-1 scale) --------------------------- */

/* Share of gold[i] == pred[i]; NaN for n == 0. */
AB_API double ab_eval_accuracy(const int *gold, const int *pred, size_t n);

/*
 * Binary F1 of class `positive`: 2TP / (2TP + FP + FN). No positive in gold or
 * prediction (0/0) gives 0.0, scikit-learn's default zero_division.
 */
AB_API double ab_eval_f1(const int *gold, const int *pred, size_t n, int positive);

/*
 * Matthews correlation for any number of classes (Gorodkin's R_K; GLUE's AX "R3" with
 * 3 classes): (c*s - t.p) / sqrt((s^2 - p.p)(s^2 - t.t)) over the confusion matrix.
 * A zero denominator (all golds or all predictions in one class, including a perfect
 * single-class prediction) gives 0.0, as scikit-learn <= 1.5 and every GLUE-era tool.
 * NaN if a class id is outside [0, n_classes).
 */
AB_API double ab_eval_mcc(const int *gold, const int *pred, size_t n, size_t n_classes);

/*
 * Unweighted mean of the per-class F1 over *all* n_classes classes; a class absent from
 * gold and prediction counts as F1 = 0 (jiant, T5, lm-eval: the SuperGLUE CB metric;
 * scikit-learn without labels= averages only the classes present).
 */
AB_API double ab_eval_macro_f1(const int *gold, const int *pred, size_t n, size_t n_classes);

/* Same metrics from a row-major confusion matrix conf[gold * k + pred]. */
AB_API double ab_eval_mcc_confusion(const uint64_t *conf, size_t k);
AB_API double ab_eval_macro_f1_confusion(const uint64_t *conf, size_t k);

/* Pearson r; NaN for n < 2, constant input or non-finite values (SciPy: NaN + warning). */
AB_API double ab_eval_pearson(const double *x, const double *y, size_t n);

/*
 * Spearman rho = Pearson on ranks, ties given their average rank (SciPy spearmanr);
 * NaN where Pearson would be. AB_ENOMEM only if the rank workspace cannot be allocated.
 */
AB_API enum ab_status ab_eval_spearman(const double *x, const double *y, size_t n, double *out_rho);

/*
 * MultiRC: F1a = binary F1 of label 1 over every answer option; EM = share of questions
 * (answers grouped by `question` key, in any order) whose options are all right.
 */
AB_API enum ab_status ab_eval_multirc(const int *gold, const int *pred, const uint64_t *question, size_t n,
                                      double *out_f1a, double *out_em);

/*
 * AX-g gender parity: share of minimal pairs (examples sharing a pair_id) whose two
 * predictions are equal. AB_EINVAL if a pair_id does not occur exactly twice.
 */
AB_API enum ab_status ab_eval_gender_parity(const int *pred, const uint64_t *pair_id, size_t n, double *out_parity);

/*
 * McNemar's test from the discordant counts b (A right, B wrong) and c (A wrong, B
 * right). Exact: two-sided binomial p = min(1, 2 P[X <= min(b, c)]), X ~ Bin(b + c, 1/2).
 * Chi-square (1 df) with or without Edwards' continuity correction; out_chi2 may be NULL.
 * Both give p = 1 when b + c == 0.
 */
AB_API double ab_eval_mcnemar_exact(uint64_t b, uint64_t c);
AB_API double ab_eval_mcnemar_chi2(uint64_t b, uint64_t c, bool continuity, double *out_chi2);

/* Below this many discordant pairs the report uses the exact test, else chi-square (corrected). */
#define AB_EVAL_MCNEMAR_EXACT_BELOW 25

/* ---- SQuAD / ReCoRD text normalisation (PCRE2, UTF + UCP) ------------------------------------- */

struct ab_eval_normalizer;

/*
 * Compile the article pattern once. Normalisation is the SQuAD v1.1 pipeline: lower case
 * (exactly Python's str.lower(): full Unicode mapping, U+0130 -> "i" U+0307, final sigma
 * at a word's end), drop the 32 ASCII punctuation characters, replace the
 * words a/an/the by a space (word = letters, numbers, underscore, as Python 3's \b),
 * split on Python's str.split() whitespace and join with single spaces.
 */
AB_API enum ab_status ab_eval_normalizer_new(struct ab_eval_normalizer **out_nz, struct ab_error *err);
AB_API void ab_eval_normalizer_free(struct ab_eval_normalizer *nz);

/* Normalised text as a NUL-terminated string of ab_malloc (caller ab_free's it).
 * AB_EPARSE for invalid UTF-8 or a NUL byte (the result could not say where it ends). */
AB_API enum ab_status ab_eval_normalize(struct ab_eval_normalizer *nz, const char *text, size_t len,
                                        char **out_text);

/*
 * Token F1 and exact match of one prediction against one gold answer, SQuAD v1.1 /
 * official ReCoRD script: tokens are multisets; no common token gives F1 = 0 even when
 * both normalise to empty (then EM = 1).
 */
AB_API enum ab_status ab_eval_squad_f1_em(struct ab_eval_normalizer *nz, const char *pred, const char *gold,
                                          double *out_f1, double *out_em);

/* ---- aggregate scores ------------------------------------------------------------------------ */

/*
 * The leaderboard score of a suite from per-task metric values (any scale; `value` has
 * AB_EVAL_TASK_COUNT * AB_EVAL_MAX_METRICS entries, value[task * AB_EVAL_MAX_METRICS +
 * slot], slots in the order of the task's metrics; unused entries are ignored): each task's metrics are
 * averaged, the tasks of a group (MNLI-m, MNLI-mm) are averaged into one, and the
 * groups that enter the score are averaged (GLUE: 9, SuperGLUE: 8; diagnostics
 * excluded). NaN if a needed value is NaN. Full precision: round only for display.
 */
AB_API double ab_eval_suite_score(enum ab_eval_suite suite, const double *value);

/* ---- loading one task: gold and predictions aligned by index ---------------------------------- */

struct ab_eval_data;

/*
 * Load a task's gold file (official dev layout) and a prediction file (leaderboard
 * submission layout) and join them by index. Errors, each naming file, line and field:
 * empty file, invalid UTF-8, ragged row, malformed JSON, missing column or key, a label
 * outside the task's set, a non-numeric index or score, a duplicate index, an index
 * missing from the predictions or absent from the gold file; a gold file without labels
 * (a test split) is refused with AB_EINVAL. No report should be written after a failure.
 */
AB_API enum ab_status ab_eval_load(enum ab_eval_task task, const char *gold_path, const char *pred_path,
                                   struct ab_eval_data **out_data, struct ab_error *err);
AB_API void ab_eval_data_free(struct ab_eval_data *data);

AB_API enum ab_eval_task ab_eval_data_task(const struct ab_eval_data *data);
/* Scored examples (answer options for MultiRC, queries for ReCoRD). */
AB_API size_t ab_eval_data_n(const struct ab_eval_data *data);
/* Confusion matrix conf[gold * k + pred] of a label task (k = n_classes); NULL otherwise. */
AB_API const uint64_t *ab_eval_data_confusion(const struct ab_eval_data *data, size_t *out_k);

/* ---- scoring with intervals, and paired comparison ------------------------------------------ */

struct ab_eval_options {
    size_t n_boot;      /* bootstrap resamples (and randomisation rounds); 0 = no intervals */
    uint64_t seed;      /* everything random is replayable from it */
    double ci_level;    /* 0.95 */
};

/* n_boot 1000, seed 1, ci_level 0.95. */
AB_API void ab_eval_options_default(struct ab_eval_options *opts);

/* One row of a report: a metric of a task, a task's combined score, a group, or the suite. */
struct ab_eval_row {
    char task[16];            /* "CoLA", "MNLI" (group), "GLUE" (suite) */
    char metric[16];          /* "mcc", "score" */
    double value;             /* 0-100; NaN = NA */
    double ci_low, ci_high;   /* percentile bootstrap interval, 0-100; NaN if n_boot == 0 */
    size_t n;                 /* examples / answer options / queries / pairs behind it */
    const char *gold_path;    /* borrowed from the data; NULL for group and suite rows */
    const char *pred_path;
};

struct ab_eval_report {
    size_t n_rows;
    struct ab_eval_row *rows;
    bool has_suite;                /* every task of a suite's score was given */
    enum ab_eval_suite suite;
    struct ab_eval_options opts;
};

/*
 * Score every task, the groups and, when all of a suite's scored tasks are present, the
 * suite score. Intervals: percentile bootstrap, resampling units within each task
 * (stratified) with a stream seeded from (seed, task), so a task's interval is the same
 * whether it is scored alone or in its suite; the suite interval recomputes the whole
 * average on each joint resample.
 */
AB_API enum ab_status ab_eval_score(struct ab_eval_data *const *data, size_t n_data,
                                    const struct ab_eval_options *opts, struct ab_eval_report **out_report,
                                    struct ab_error *err);
AB_API void ab_eval_report_free(struct ab_eval_report *report);

struct ab_eval_cmp_row {
    char task[16];
    char metric[16];
    double value_a, value_b;       /* 0-100 */
    double diff;                   /* value_a - value_b */
    double ci_low, ci_high;        /* paired percentile bootstrap interval of diff */
    double p_boot;                 /* paired bootstrap, two-sided: (1 + #|d* - d| >= |d|) / (B + 1) */
    double p_perm;                 /* approximate randomisation: (1 + #|d_perm| >= |d|) / (R + 1) */
    int64_t mcnemar_b, mcnemar_c;  /* discordant counts; -1 where McNemar does not apply */
    double p_mcnemar;              /* NaN where it does not apply */
    const char *mcnemar_method;    /* "exact", "chi2_cc" or NULL */
    size_t n;
};

struct ab_eval_cmp_report {
    size_t n_rows;
    struct ab_eval_cmp_row *rows;
    bool has_suite;
    enum ab_eval_suite suite;
    struct ab_eval_options opts;
};

/*
 * Paired comparison of model A and B on the same gold: a[i] and b[i] must be the same
 * task loaded from the same gold file. Rows as ab_eval_score (metric, task score,
 * group, suite) with the difference, its interval and p-values.
 */
AB_API enum ab_status ab_eval_compare(struct ab_eval_data *const *a, struct ab_eval_data *const *b, size_t n_data,
                                      const struct ab_eval_options *opts, struct ab_eval_cmp_report **out_report,
                                      struct ab_error *err);
AB_API void ab_eval_cmp_report_free(struct ab_eval_cmp_report *report);

/* ---- writing reports ------------------------------------------------------------------------- */

/* Markdown table (values rounded to 1 decimal with printf's %.1f) to a caller's stream. */
AB_API void ab_eval_report_markdown(const struct ab_eval_report *report, FILE *fp);
AB_API void ab_eval_cmp_report_markdown(const struct ab_eval_cmp_report *report, FILE *fp);

/*
 * Write `<dir>/<stem>.csv` and `<dir>/<stem>.md` atomically (the directory must exist).
 * CSV columns: task, metric, value, ci_low, ci_high, n, gold_file, pred_file, n_boot,
 * seed (full precision, NA for NaN).
 */
AB_API enum ab_status ab_eval_report_write(const struct ab_eval_report *report, const char *dir, const char *stem,
                                           struct ab_error *err);
/* CSV columns: task, metric, n, value_a, value_b, diff, ci_low, ci_high, p_boot, p_perm,
 * mcnemar_b, mcnemar_c, p_mcnemar, mcnemar_method, n_boot, seed. */
AB_API enum ab_status ab_eval_cmp_report_write(const struct ab_eval_cmp_report *report, const char *dir,
                                               const char *stem, struct ab_error *err);

#endif /* ARCHBENCH_EVAL_H */
