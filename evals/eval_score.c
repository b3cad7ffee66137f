/*
 * eval_score.c - point scores, bootstrap percentile intervals, and the paired
 * comparison of two models (paired bootstrap, approximate randomisation, McNemar).
 *
 * Every row of a report (a metric, a task's mean, a group such as MNLI, the suite) is
 * a function of one table value[task][metric]. The bootstrap fills one such table per
 * replicate - each task resampled on its own stream seeded from (seed, task), so a
 * task's interval does not depend on which other tasks were scored - and every row is
 * evaluated on every table. Comparison uses the same resampled units for A and B.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "archbench/rng.h"
#include "eval_internal.h"

typedef double task_table[AB_EVAL_TASK_COUNT][AB_EVAL_MAX_METRICS];

enum row_type { ROW_METRIC, ROW_TASK, ROW_GROUP, ROW_SUITE };

struct row_spec {
    enum row_type type;
    enum ab_eval_task task;   /* ROW_GROUP: the group's last present task */
    size_t slot;              /* ROW_METRIC */
    enum ab_eval_suite suite; /* ROW_SUITE */
};

void ab_eval_options_default(struct ab_eval_options *opts)
{
    opts->n_boot = 1000;
    opts->seed = 1;
    opts->ci_level = 0.95;
}

/* Unbiased integer in [0, n) for n < 2^32 from 32 random bits (Lemire's multiply-shift);
 * the library's ab_rng_below divides twice per draw, too slow for 40M draws. */
struct draw {
    struct ab_rng rng;
    uint64_t bits;
    bool have_half;
};

static uint32_t draw_below(struct draw *d, uint32_t n, uint32_t threshold)
{
    for (;;) {
        uint32_t x;
        if (d->have_half) {
            x = (uint32_t)(d->bits >> 32);
            d->have_half = false;
        } else {
            d->bits = ab_rng_u64(&d->rng);
            x = (uint32_t)d->bits;
            d->have_half = true;
        }
        uint64_t m = (uint64_t)x * n;
        if ((uint32_t)m >= threshold)
            return (uint32_t)(m >> 32);
    }
}

static void draw_seed(struct draw *d, uint64_t seed, uint64_t salt, enum ab_eval_task task)
{
    ab_rng_seed(&d->rng, ab__eval_mix64(seed) ^ ab__eval_mix64(salt + (uint64_t)task));
    d->bits = 0;
    d->have_half = false;
}

static double task_mean(const struct ab_eval_task_info *info, const double *v)
{
    double sum = 0.0;
    for (size_t m = 0; m < info->n_metrics; m++)
        sum += v[m];
    return sum / (double)info->n_metrics;
}

static double row_value(const struct row_spec *rs, task_table tab, const bool *present)
{
    const struct ab_eval_task_info *info = ab_eval_task_info(rs->task);
    switch (rs->type) {
    case ROW_METRIC:
        return tab[rs->task][rs->slot];
    case ROW_TASK:
        return task_mean(info, tab[rs->task]);
    case ROW_GROUP: {
        double sum = 0.0;
        size_t n = 0;
        for (size_t t = 0; t < AB_EVAL_TASK_COUNT; t++) {
            const struct ab_eval_task_info *o = ab_eval_task_info((enum ab_eval_task)t);
            if (present[t] && o->suite == info->suite && strcmp(o->group, info->group) == 0) {
                sum += task_mean(o, tab[t]);
                n++;
            }
        }
        return sum / (double)n;
    }
    case ROW_SUITE:
        return ab_eval_suite_score(rs->suite, &tab[0][0]);
    }
    return (double)NAN;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Percentile interval (linear interpolation between order statistics, NumPy's default)
 * of the finite values in v[0..n); NaN bounds if none. Sorts v in place. */
static void percentile_ci(double *v, size_t n, double level, double *lo, double *hi)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[m++] = v[i];
    if (m == 0) {
        *lo = *hi = (double)NAN;
        return;
    }
    qsort(v, m, sizeof *v, cmp_double);
    double q[2] = {(1.0 - level) / 2.0, 1.0 - (1.0 - level) / 2.0};
    double out[2];
    for (int k = 0; k < 2; k++) {
        double h = (double)(m - 1) * q[k];
        size_t i = (size_t)floor(h);
        double frac = h - (double)i;
        out[k] = i + 1 < m ? v[i] + frac * (v[i + 1] - v[i]) : v[m - 1];
    }
    *lo = out[0];
    *hi = out[1];
}

/* ---- the engine shared by score and compare -------------------------------------------------- */

struct engine {
    const struct ab_eval_options *opts;
    struct ab_eval_data *const *a;
    struct ab_eval_data *const *b;   /* NULL for a plain score */
    size_t n_data;
    bool present[AB_EVAL_TASK_COUNT];
    size_t index[AB_EVAL_TASK_COUNT];   /* position of a task in a[] */
    task_table point_a, point_b;
    task_table *boot_a, *boot_b;        /* [n_boot] */
    task_table *perm_a, *perm_b;        /* [n_boot], compare only */
    struct row_spec *rows;
    size_t n_rows;
    bool has_suite;
    enum ab_eval_suite suite;
};

static void engine_release(struct engine *e)
{
    ab_free(e->boot_a);
    ab_free(e->boot_b);
    ab_free(e->perm_a);
    ab_free(e->perm_b);
    ab_free(e->rows);
}

static void fill_nan(task_table *t, size_t n)
{
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < AB_EVAL_TASK_COUNT; i++)
            t[r][i][0] = t[r][i][1] = (double)NAN;
}

/* Bootstrap (and for compare, randomisation) replicates of one task. */
static enum ab_status engine_task(struct engine *e, size_t i, struct ab_error *err)
{
    enum ab_status st = AB_OK;
    const struct ab_eval_data *a = e->a[i], *b = e->b ? e->b[i] : NULL;
    enum ab_eval_task t = a->task;
    size_t n = a->n_units, n_boot = e->opts->n_boot;
    uint32_t *w = ab_calloc(n ? n : 1, sizeof *w);
    uint8_t *pick = ab_malloc(n ? n : 1);
    void *work = ab_malloc(ab__eval_work_bytes(a));
    if (w == NULL || pick == NULL || work == NULL) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory resampling '%s'", a->pred_path);
        goto cleanup;
    }
    ab__eval_metrics(a, NULL, NULL, NULL, work, e->point_a[t]);
    if (b)
        ab__eval_metrics(b, NULL, NULL, NULL, work, e->point_b[t]);
    uint32_t n32 = (uint32_t)n, threshold = n32 ? (uint32_t)(-n32) % n32 : 0;
    struct draw d;
    draw_seed(&d, e->opts->seed, 0x100, t);
    for (size_t r = 0; r < n_boot; r++) {
        if (a->info->kind == AB_EVAL_KIND_CLASS) {
            /* Fast path: a resample of a label task is just a confusion matrix. */
            uint64_t conf_a[AB__EVAL_MAX_CLASSES * AB__EVAL_MAX_CLASSES] = {0};
            uint64_t conf_b[AB__EVAL_MAX_CLASSES * AB__EVAL_MAX_CLASSES] = {0};
            if (b) {
                for (size_t j = 0; j < n; j++) {
                    uint32_t u = draw_below(&d, n32, threshold);
                    conf_a[a->cell[u]]++;
                    conf_b[b->cell[u]]++;
                }
                ab__eval_class_metrics(b, conf_b, e->boot_b[r][t]);
            } else {
                for (size_t j = 0; j < n; j++)
                    conf_a[a->cell[draw_below(&d, n32, threshold)]]++;
            }
            ab__eval_class_metrics(a, conf_a, e->boot_a[r][t]);
        } else {
            memset(w, 0, n * sizeof *w);
            for (size_t j = 0; j < n; j++)
                w[draw_below(&d, n32, threshold)]++;
            ab__eval_metrics(a, NULL, w, NULL, work, e->boot_a[r][t]);
            if (b)
                ab__eval_metrics(b, NULL, w, NULL, work, e->boot_b[r][t]);
        }
    }
    if (b) {
        /* Approximate randomisation: swap A's and B's output unit by unit with p = 1/2. */
        struct draw pd;
        draw_seed(&pd, e->opts->seed, 0x200, t);
        for (size_t r = 0; r < n_boot; r++) {
            for (size_t j = 0; j < n; j += 64) {
                uint64_t bits = ab_rng_u64(&pd.rng);
                for (size_t q = 0; q < 64 && j + q < n; q++)
                    pick[j + q] = (uint8_t)((bits >> q) & 1u);
            }
            ab__eval_metrics(a, b, NULL, pick, work, e->perm_a[r][t]);
            ab__eval_metrics(b, a, NULL, pick, work, e->perm_b[r][t]);
        }
    }
cleanup:
    ab_free(w);
    ab_free(pick);
    ab_free(work);
    return st;
}

static enum ab_status add_row(struct engine *e, enum row_type type, enum ab_eval_task task, size_t slot)
{
    struct row_spec *p = ab_realloc(e->rows, (e->n_rows + 1) * sizeof *p);
    if (p == NULL)
        return AB_ENOMEM;
    e->rows = p;
    p[e->n_rows++] = (struct row_spec){.type = type, .task = task, .slot = slot, .suite = e->suite};
    return AB_OK;
}

static enum ab_status engine_run(struct engine *e, struct ab_error *err)
{
    enum ab_status st = AB_OK;
    size_t n_boot = e->opts->n_boot;
    if (e->n_data == 0)
        return ab_error_set(err, AB_EINVAL, "nothing to score");
    if (!(e->opts->ci_level > 0.0 && e->opts->ci_level < 1.0))
        return ab_error_set(err, AB_EINVAL, "confidence level %g is not between 0 and 1", e->opts->ci_level);
    for (size_t i = 0; i < e->n_data; i++) {
        enum ab_eval_task t = e->a[i]->task;
        if (e->present[t])
            return ab_error_set(err, AB_EINVAL, "task '%s' given twice", e->a[i]->info->name);
        if (e->a[i]->n_units >= UINT32_MAX)
            return ab_error_set(err, AB_EOVERFLOW, "'%s': too many examples to resample", e->a[i]->pred_path);
        e->present[t] = true;
        e->index[t] = i;
    }
    /* The suite score exists only when every task it averages is present. */
    e->suite = e->a[0]->info->suite;
    e->has_suite = true;
    for (size_t t = 0; t < AB_EVAL_TASK_COUNT; t++) {
        const struct ab_eval_task_info *info = ab_eval_task_info((enum ab_eval_task)t);
        if (e->present[t] && info->suite != e->suite)
            e->has_suite = false;
        if (info->suite == e->suite && info->in_score && !e->present[t])
            e->has_suite = false;
    }
    size_t n_tab = n_boot ? n_boot : 1;
    e->boot_a = ab_malloc(n_tab * sizeof *e->boot_a);
    e->boot_b = e->b ? ab_malloc(n_tab * sizeof *e->boot_b) : NULL;
    e->perm_a = e->b ? ab_malloc(n_tab * sizeof *e->perm_a) : NULL;
    e->perm_b = e->b ? ab_malloc(n_tab * sizeof *e->perm_b) : NULL;
    if (e->boot_a == NULL || (e->b && (!e->boot_b || !e->perm_a || !e->perm_b)))
        return ab_error_set(err, AB_ENOMEM, "out of memory for %zu resamples", n_boot);
    fill_nan(&e->point_a, 1);
    fill_nan(&e->point_b, 1);
    fill_nan(e->boot_a, n_tab);
    if (e->b) {
        fill_nan(e->boot_b, n_tab);
        fill_nan(e->perm_a, n_tab);
        fill_nan(e->perm_b, n_tab);
    }
    for (size_t i = 0; i < e->n_data; i++) {
        st = engine_task(e, i, err);
        if (st != AB_OK)
            return st;
    }
    /* Rows in table order: metrics, the task mean of two-metric tasks, then a group of
     * several tasks (MNLI) after its last task, then the suite. */
    for (size_t t = 0; t < AB_EVAL_TASK_COUNT; t++) {
        if (!e->present[t])
            continue;
        const struct ab_eval_task_info *info = ab_eval_task_info((enum ab_eval_task)t);
        for (size_t m = 0; m < info->n_metrics && st == AB_OK; m++)
            st = add_row(e, ROW_METRIC, (enum ab_eval_task)t, m);
        /* A diagnostic's two metrics (AX-g parity and accuracy) are not averaged anywhere. */
        if (info->n_metrics > 1 && info->in_score && st == AB_OK)
            st = add_row(e, ROW_TASK, (enum ab_eval_task)t, 0);
        size_t n_in_group = 0;
        bool later = false;
        for (size_t u = 0; u < AB_EVAL_TASK_COUNT; u++) {
            const struct ab_eval_task_info *o = ab_eval_task_info((enum ab_eval_task)u);
            if (!e->present[u] || o->suite != info->suite || strcmp(o->group, info->group) != 0)
                continue;
            n_in_group++;
            later = later || u > t;
        }
        if (n_in_group > 1 && !later && st == AB_OK)
            st = add_row(e, ROW_GROUP, (enum ab_eval_task)t, 0);
        if (st != AB_OK)
            return ab_error_set(err, st, "out of memory building the report");
    }
    if (e->has_suite && add_row(e, ROW_SUITE, AB_EVAL_TASK_COUNT, 0) != AB_OK)
        return ab_error_set(err, AB_ENOMEM, "out of memory building the report");
    return AB_OK;
}

/* Task / metric labels and n of a row. */
static void row_labels(const struct engine *e, const struct row_spec *rs, char *task, char *metric, size_t *n,
                       const char **gold, const char **pred)
{
    *gold = *pred = NULL;
    if (rs->type == ROW_SUITE) {
        snprintf(task, 16, "%s", ab_eval_suite_name(rs->suite));
        snprintf(metric, 16, "score");
        *n = 0;
        for (size_t t = 0; t < AB_EVAL_TASK_COUNT; t++)
            if (e->present[t] && ab_eval_task_info((enum ab_eval_task)t)->in_score &&
                ab_eval_task_info((enum ab_eval_task)t)->suite == rs->suite)
                *n += e->a[e->index[t]]->n_items;
        return;
    }
    const struct ab_eval_task_info *info = ab_eval_task_info(rs->task);
    const struct ab_eval_data *d = e->a[e->index[rs->task]];
    if (rs->type == ROW_GROUP) {
        snprintf(task, 16, "%s", info->group);
        snprintf(metric, 16, "score");
        *n = 0;
        for (size_t t = 0; t < AB_EVAL_TASK_COUNT; t++) {
            const struct ab_eval_task_info *o = ab_eval_task_info((enum ab_eval_task)t);
            if (e->present[t] && o->suite == info->suite && strcmp(o->group, info->group) == 0)
                *n += e->a[e->index[t]]->n_items;
        }
        return;
    }
    snprintf(task, 16, "%s", info->name);
    snprintf(metric, 16, "%s", rs->type == ROW_TASK ? "score" : ab_eval_metric_name(info->metric[rs->slot]));
    /* MultiRC's EM is over questions and AX-g's parity over pairs; the rest over items. */
    bool per_unit = rs->type == ROW_METRIC && ((info->kind == AB_EVAL_KIND_MULTIRC && info->metric[rs->slot] == AB_EVAL_METRIC_EM) ||
                                               info->metric[rs->slot] == AB_EVAL_METRIC_PARITY);
    *n = per_unit ? d->n_units : d->n_items;
    *gold = d->gold_path;
    *pred = d->pred_path;
}

/* ---- public: score ------------------------------------------------------------------------------ */

enum ab_status ab_eval_score(struct ab_eval_data *const *data, size_t n_data, const struct ab_eval_options *opts,
                             struct ab_eval_report **out_report, struct ab_error *err)
{
    struct ab_eval_options defaults;
    if (opts == NULL) {
        ab_eval_options_default(&defaults);
        opts = &defaults;
    }
    struct engine e = {.opts = opts, .a = data, .n_data = n_data};
    struct ab_eval_report *rep = NULL;
    double *tmp = NULL;
    enum ab_status st = engine_run(&e, err);
    if (st != AB_OK)
        goto cleanup;
    rep = ab_calloc(1, sizeof *rep);
    tmp = ab_malloc((opts->n_boot ? opts->n_boot : 1) * sizeof *tmp);
    if (rep == NULL || tmp == NULL || (rep->rows = ab_calloc(e.n_rows, sizeof *rep->rows)) == NULL) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory building the report");
        goto cleanup;
    }
    rep->n_rows = e.n_rows;
    rep->has_suite = e.has_suite;
    rep->suite = e.suite;
    rep->opts = *opts;
    for (size_t i = 0; i < e.n_rows; i++) {
        struct ab_eval_row *row = &rep->rows[i];
        const struct row_spec *rs = &e.rows[i];
        row_labels(&e, rs, row->task, row->metric, &row->n, &row->gold_path, &row->pred_path);
        row->value = 100.0 * row_value(rs, e.point_a, e.present);
        for (size_t r = 0; r < opts->n_boot; r++)
            tmp[r] = 100.0 * row_value(rs, e.boot_a[r], e.present);
        percentile_ci(tmp, opts->n_boot, opts->ci_level, &row->ci_low, &row->ci_high);
    }
    *out_report = rep;
    rep = NULL;
cleanup:
    ab_eval_report_free(rep);
    ab_free(tmp);
    engine_release(&e);
    return st;
}

void ab_eval_report_free(struct ab_eval_report *report)
{
    if (report == NULL)
        return;
    ab_free(report->rows);
    ab_free(report);
}

/* ---- public: compare ---------------------------------------------------------------------------- */

/* Same task, same gold units? (Loaded from the same gold file, the gold side is identical.) */
static bool same_gold(const struct ab_eval_data *a, const struct ab_eval_data *b)
{
    if (a->task != b->task || a->n_units != b->n_units || a->n_items != b->n_items)
        return false;
    switch (a->info->kind) {
    case AB_EVAL_KIND_CLASS:
        for (size_t i = 0; i < a->n_units; i++)
            if (a->cell[i] / a->n_classes != b->cell[i] / b->n_classes)
                return false;
        return true;
    case AB_EVAL_KIND_REGRESS:
        return memcmp(a->gold_f, b->gold_f, a->n_units * sizeof *a->gold_f) == 0;
    default:
        return strcmp(a->gold_path, b->gold_path) == 0;
    }
}

enum ab_status ab_eval_compare(struct ab_eval_data *const *a, struct ab_eval_data *const *b, size_t n_data,
                               const struct ab_eval_options *opts, struct ab_eval_cmp_report **out_report,
                               struct ab_error *err)
{
    struct ab_eval_options defaults;
    if (opts == NULL) {
        ab_eval_options_default(&defaults);
        opts = &defaults;
    }
    for (size_t i = 0; i < n_data; i++)
        if (!same_gold(a[i], b[i]))
            return ab_error_set(err, AB_EINVAL, "'%s' and '%s' are not scored against the same gold examples",
                                a[i]->pred_path, b[i]->pred_path);
    struct engine e = {.opts = opts, .a = a, .b = b, .n_data = n_data};
    struct ab_eval_cmp_report *rep = NULL;
    double *tmp = NULL;
    enum ab_status st = engine_run(&e, err);
    if (st != AB_OK)
        goto cleanup;
    rep = ab_calloc(1, sizeof *rep);
    tmp = ab_malloc((opts->n_boot ? opts->n_boot : 1) * sizeof *tmp);
    if (rep == NULL || tmp == NULL || (rep->rows = ab_calloc(e.n_rows, sizeof *rep->rows)) == NULL) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory building the report");
        goto cleanup;
    }
    rep->n_rows = e.n_rows;
    rep->has_suite = e.has_suite;
    rep->suite = e.suite;
    rep->opts = *opts;
    size_t n_boot = opts->n_boot;
    for (size_t i = 0; i < e.n_rows; i++) {
        struct ab_eval_cmp_row *row = &rep->rows[i];
        const struct row_spec *rs = &e.rows[i];
        const char *gold, *pred;
        row_labels(&e, rs, row->task, row->metric, &row->n, &gold, &pred);
        row->value_a = 100.0 * row_value(rs, e.point_a, e.present);
        row->value_b = 100.0 * row_value(rs, e.point_b, e.present);
        row->diff = row->value_a - row->value_b;
        /* Ties within rounding count as "at least as extreme" (identical models: p = 1). */
        double tol = 1e-9 * (1.0 + fabs(row->diff));
        size_t n_boot_ext = 0, n_perm_ext = 0, n_valid = 0, n_perm_valid = 0;
        for (size_t r = 0; r < n_boot; r++) {
            double d = 100.0 * (row_value(rs, e.boot_a[r], e.present) - row_value(rs, e.boot_b[r], e.present));
            tmp[r] = d;
            if (!isnan(d)) {
                n_valid++;
                n_boot_ext += fabs(d - row->diff) >= fabs(row->diff) - tol;
            }
            double dp = 100.0 * (row_value(rs, e.perm_a[r], e.present) - row_value(rs, e.perm_b[r], e.present));
            if (!isnan(dp)) {
                n_perm_valid++;
                n_perm_ext += fabs(dp) >= fabs(row->diff) - tol;
            }
        }
        percentile_ci(tmp, n_boot, opts->ci_level, &row->ci_low, &row->ci_high);
        bool defined = !isnan(row->diff);
        row->p_boot = (n_boot && defined) ? (1.0 + (double)n_boot_ext) / (1.0 + (double)n_valid) : (double)NAN;
        row->p_perm = (n_boot && defined) ? (1.0 + (double)n_perm_ext) / (1.0 + (double)n_perm_valid) : (double)NAN;
        row->mcnemar_b = row->mcnemar_c = -1;
        row->p_mcnemar = (double)NAN;
        row->mcnemar_method = NULL;
        if (rs->type == ROW_METRIC && ab_eval_task_info(rs->task)->kind == AB_EVAL_KIND_CLASS) {
            /* McNemar on per-example correctness: b = A right & B wrong, c = A wrong & B right. */
            const struct ab_eval_data *da = a[e.index[rs->task]], *db = b[e.index[rs->task]];
            size_t k = da->n_classes;
            uint64_t nb = 0, nc = 0;
            for (size_t u = 0; u < da->n_units; u++) {
                bool ra = da->cell[u] / k == da->cell[u] % k, rb = db->cell[u] / k == db->cell[u] % k;
                nb += ra && !rb;
                nc += !ra && rb;
            }
            row->mcnemar_b = (int64_t)nb;
            row->mcnemar_c = (int64_t)nc;
            if (nb + nc < AB_EVAL_MCNEMAR_EXACT_BELOW) {
                row->p_mcnemar = ab_eval_mcnemar_exact(nb, nc);
                row->mcnemar_method = "exact";
            } else {
                row->p_mcnemar = ab_eval_mcnemar_chi2(nb, nc, true, NULL);
                row->mcnemar_method = "chi2_cc";
            }
        }
    }
    *out_report = rep;
    rep = NULL;
cleanup:
    ab_eval_cmp_report_free(rep);
    ab_free(tmp);
    engine_release(&e);
    return st;
}

void ab_eval_cmp_report_free(struct ab_eval_cmp_report *report)
{
    if (report == NULL)
        return;
    ab_free(report->rows);
    ab_free(report);
}
