/*
 * eval_report.c - the evaluator's reports: CSV (full precision, NA for NaN) and a
 * markdown table, written side by side and atomically so that a failure leaves
 * neither half a file nor a CSV without its table.
 *
 * Display rounding is printf's "%.1f" of the full-precision value (the nearest
 * representable decimal); values recomputed from already-rounded leaderboard cells can
 * sit on .x5 and round differently from the leaderboard, which is why the CSV keeps
 * every digit.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "archbench/report.h"
#include "eval_internal.h"

static void fmt1(char *buf, size_t cap, double v)
{
    if (isnan(v))
        snprintf(buf, cap, "NA");
    else
        snprintf(buf, cap, "%.1f", v);
}

static void fmt_ci(char *buf, size_t cap, double lo, double hi)
{
    if (isnan(lo) || isnan(hi))
        snprintf(buf, cap, "NA");
    else
        snprintf(buf, cap, "[%.1f, %.1f]", lo, hi);
}

static void fmt_p(char *buf, size_t cap, double p)
{
    if (isnan(p))
        snprintf(buf, cap, "NA");
    else if (p < 0.001)
        snprintf(buf, cap, "<0.001");
    else
        snprintf(buf, cap, "%.3f", p);
}

void ab_eval_report_markdown(const struct ab_eval_report *report, FILE *fp)
{
    fprintf(fp, "| Task | Metric | Value | %.0f%% CI | n |\n|---|---|---:|---|---:|\n", 100.0 * report->opts.ci_level);
    for (size_t i = 0; i < report->n_rows; i++) {
        const struct ab_eval_row *r = &report->rows[i];
        char v[32], ci[64];
        fmt1(v, sizeof v, r->value);
        fmt_ci(ci, sizeof ci, r->ci_low, r->ci_high);
        bool suite = r->gold_path == NULL && report->has_suite && i + 1 == report->n_rows;
        if (suite)
            fprintf(fp, "| **%s** | **%s** | **%s** | %s | %zu |\n", r->task, r->metric, v, ci, r->n);
        else
            fprintf(fp, "| %s | %s | %s | %s | %zu |\n", r->task, r->metric, v, ci, r->n);
    }
    fprintf(fp,
            "\nValues on the leaderboard's 0-100 scale, shown rounded to 0.1 (the CSV has full precision). "
            "Intervals: percentile bootstrap, %zu resamples within each task, seed %" PRIu64 ".",
            report->opts.n_boot, report->opts.seed);
    if (report->has_suite)
        fprintf(fp, " %s score: %s.", ab_eval_suite_name(report->suite),
                report->suite == AB_EVAL_SUITE_GLUE
                    ? "mean of 9 tasks; MRPC, QQP, STS-B averaged over their two metrics first; MNLI-m and "
                      "MNLI-mm averaged into one task; AX not included"
                    : "mean of 8 tasks; CB, MultiRC, ReCoRD averaged over their two metrics first; AX-b and "
                      "AX-g not included");
    fprintf(fp, "\n");
}

void ab_eval_cmp_report_markdown(const struct ab_eval_cmp_report *report, FILE *fp)
{
    fprintf(fp,
            "| Task | Metric | A | B | A - B | %.0f%% CI | p (bootstrap) | p (randomisation) | McNemar b/c | "
            "p (McNemar) |\n|---|---|---:|---:|---:|---|---:|---:|---:|---:|\n",
            100.0 * report->opts.ci_level);
    for (size_t i = 0; i < report->n_rows; i++) {
        const struct ab_eval_cmp_row *r = &report->rows[i];
        char va[32], vb[32], d[32], ci[64], pb[16], pp[16], pm[32], bc[48];
        fmt1(va, sizeof va, r->value_a);
        fmt1(vb, sizeof vb, r->value_b);
        if (isnan(r->diff))
            snprintf(d, sizeof d, "NA");
        else
            snprintf(d, sizeof d, "%+.2f", r->diff);
        if (isnan(r->ci_low))
            snprintf(ci, sizeof ci, "NA");
        else
            snprintf(ci, sizeof ci, "[%+.2f, %+.2f]", r->ci_low, r->ci_high);
        fmt_p(pb, sizeof pb, r->p_boot);
        fmt_p(pp, sizeof pp, r->p_perm);
        if (r->mcnemar_method) {
            char p[16];
            fmt_p(p, sizeof p, r->p_mcnemar);
            snprintf(pm, sizeof pm, "%s (%s)", p, r->mcnemar_method);
            snprintf(bc, sizeof bc, "%" PRId64 "/%" PRId64, r->mcnemar_b, r->mcnemar_c);
        } else {
            pm[0] = '\0';
            bc[0] = '\0';
        }
        fprintf(fp, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r->task, r->metric, va, vb, d, ci, pb, pp,
                bc, pm);
    }
    fprintf(fp,
            "\nA - B in points (0-100 scale). Paired bootstrap: %zu joint resamples of the same examples for A and "
            "B, two-sided p = (1 + #|d* - d| >= |d|) / (B + 1); approximate randomisation: %zu rounds swapping A's "
            "and B's output per example, p = (1 + #|d_perm| >= |d|) / (R + 1); McNemar on per-example correctness, "
            "exact binomial below %d discordant examples, else chi-square with continuity correction. "
            "Seed %" PRIu64 ".\n",
            report->opts.n_boot, report->opts.n_boot, AB_EVAL_MCNEMAR_EXACT_BELOW, report->opts.seed);
}

/* "<dir>/<stem><ext>" in buf. */
static enum ab_status join_path(char *buf, size_t cap, const char *dir, const char *stem, const char *ext,
                                struct ab_error *err)
{
    int n = snprintf(buf, cap, "%s/%s%s", dir, stem, ext);
    if (n < 0 || (size_t)n >= cap)
        return ab_error_set(err, AB_EINVAL, "output path '%s/%s%s' is too long", dir, stem, ext);
    return AB_OK;
}

static void csv_opt_str(struct ab_csv_writer *w, const char *s)
{
    ab_csv_str(w, s ? s : "NA");
}

static enum ab_status write_score_csv(const struct ab_eval_report *report, FILE *fp)
{
    static const char *const header[] = {"task", "metric", "value", "ci_low", "ci_high", "n",
                                         "gold_file", "pred_file", "n_boot", "seed"};
    struct ab_csv_writer w;
    enum ab_status st = ab_csv_begin(&w, fp, header, sizeof header / sizeof header[0]);
    for (size_t i = 0; i < report->n_rows && st == AB_OK; i++) {
        const struct ab_eval_row *r = &report->rows[i];
        ab_csv_str(&w, r->task);
        ab_csv_str(&w, r->metric);
        ab_csv_f64(&w, r->value);
        ab_csv_f64(&w, r->ci_low);
        ab_csv_f64(&w, r->ci_high);
        ab_csv_u64(&w, r->n);
        csv_opt_str(&w, r->gold_path);
        csv_opt_str(&w, r->pred_path);
        ab_csv_u64(&w, report->opts.n_boot);
        ab_csv_u64(&w, report->opts.seed);
        st = ab_csv_end_row(&w);
    }
    return st;
}

static enum ab_status write_cmp_csv(const struct ab_eval_cmp_report *report, FILE *fp)
{
    static const char *const header[] = {"task",   "metric", "n",         "value_a",   "value_b",   "diff",
                                         "ci_low", "ci_high", "p_boot",   "p_perm",    "mcnemar_b", "mcnemar_c",
                                         "p_mcnemar", "mcnemar_method", "n_boot", "seed"};
    struct ab_csv_writer w;
    enum ab_status st = ab_csv_begin(&w, fp, header, sizeof header / sizeof header[0]);
    for (size_t i = 0; i < report->n_rows && st == AB_OK; i++) {
        const struct ab_eval_cmp_row *r = &report->rows[i];
        ab_csv_str(&w, r->task);
        ab_csv_str(&w, r->metric);
        ab_csv_u64(&w, r->n);
        ab_csv_f64(&w, r->value_a);
        ab_csv_f64(&w, r->value_b);
        ab_csv_f64(&w, r->diff);
        ab_csv_f64(&w, r->ci_low);
        ab_csv_f64(&w, r->ci_high);
        ab_csv_f64(&w, r->p_boot);
        ab_csv_f64(&w, r->p_perm);
        if (r->mcnemar_method) {
            ab_csv_i64(&w, r->mcnemar_b);
            ab_csv_i64(&w, r->mcnemar_c);
        } else {
            ab_csv_na(&w);
            ab_csv_na(&w);
        }
        ab_csv_f64(&w, r->p_mcnemar);
        csv_opt_str(&w, r->mcnemar_method);
        ab_csv_u64(&w, report->opts.n_boot);
        ab_csv_u64(&w, report->opts.seed);
        st = ab_csv_end_row(&w);
    }
    return st;
}

/* Both files are complete in their temporaries before either is renamed into place. */
static enum ab_status write_pair(const char *dir, const char *stem, const void *report,
                                 enum ab_status (*csv)(const void *, FILE *), void (*md)(const void *, FILE *),
                                 struct ab_error *err)
{
    char csv_path[4096], md_path[4096];
    struct ab_atomic_file fc = {0}, fm = {0};
    bool open_c = false, open_m = false;
    enum ab_status st = join_path(csv_path, sizeof csv_path, dir, stem, ".csv", err);
    if (st == AB_OK)
        st = join_path(md_path, sizeof md_path, dir, stem, ".md", err);
    if (st != AB_OK)
        return st;
    st = ab_atomic_open(&fc, csv_path, err);
    if (st != AB_OK)
        goto cleanup;
    open_c = true;
    st = ab_atomic_open(&fm, md_path, err);
    if (st != AB_OK)
        goto cleanup;
    open_m = true;
    st = csv(report, fc.fp);
    if (st != AB_OK) {
        st = ab_error_set(err, st, "cannot write '%s'", csv_path);
        goto cleanup;
    }
    md(report, fm.fp);
    if (ferror(fm.fp)) {
        st = ab_error_set(err, AB_EIO, "cannot write '%s'", md_path);
        goto cleanup;
    }
    open_c = false;
    st = ab_atomic_commit(&fc, err);
    if (st != AB_OK)
        goto cleanup;
    open_m = false;
    st = ab_atomic_commit(&fm, err);
cleanup:
    if (open_c)
        ab_atomic_abort(&fc);
    if (open_m)
        ab_atomic_abort(&fm);
    return st;
}

static enum ab_status score_csv_thunk(const void *r, FILE *fp)
{
    return write_score_csv(r, fp);
}
static void score_md_thunk(const void *r, FILE *fp)
{
    ab_eval_report_markdown(r, fp);
}
static enum ab_status cmp_csv_thunk(const void *r, FILE *fp)
{
    return write_cmp_csv(r, fp);
}
static void cmp_md_thunk(const void *r, FILE *fp)
{
    ab_eval_cmp_report_markdown(r, fp);
}

enum ab_status ab_eval_report_write(const struct ab_eval_report *report, const char *dir, const char *stem,
                                    struct ab_error *err)
{
    return write_pair(dir, stem, report, score_csv_thunk, score_md_thunk, err);
}

enum ab_status ab_eval_cmp_report_write(const struct ab_eval_cmp_report *report, const char *dir, const char *stem,
                                        struct ab_error *err)
{
    return write_pair(dir, stem, report, cmp_csv_thunk, cmp_md_thunk, err);
}
