/*
 * eval_metric.c - the metrics: pure functions over arrays, their confusion-matrix and
 * weighted forms, and the per-unit scorer the bootstrap calls thousands of times.
 *
 * Edge cases follow scikit-learn 1.2 / SciPy 1.10 (see eval.h and glue.md section 3).
 * Weighted forms take an integer multiplicity per unit: a bootstrap resample is exactly
 * the original units with multiplicities, so no resampled copy is ever built.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "eval_internal.h"

/* ---- confusion-matrix metrics ----------------------------------------------------------------- */

static double accuracy_confusion(const uint64_t *conf, size_t k)
{
    uint64_t right = 0, total = 0;
    for (size_t g = 0; g < k; g++)
        for (size_t p = 0; p < k; p++) {
            total += conf[g * k + p];
            if (g == p)
                right += conf[g * k + p];
        }
    return total ? (double)right / (double)total : (double)NAN;
}

/* F1 of one class from counts; 0/0 is 0.0 (scikit-learn zero_division default). */
static double f1_counts(uint64_t tp, uint64_t fp, uint64_t fn)
{
    uint64_t denom = 2 * tp + fp + fn;
    return denom ? (double)(2 * tp) / (double)denom : 0.0;
}

static double f1_class_confusion(const uint64_t *conf, size_t k, size_t cls)
{
    uint64_t tp = conf[cls * k + cls], fp = 0, fn = 0;
    for (size_t o = 0; o < k; o++) {
        if (o == cls)
            continue;
        fp += conf[o * k + cls];
        fn += conf[cls * k + o];
    }
    return f1_counts(tp, fp, fn);
}

double ab_eval_mcc_confusion(const uint64_t *conf, size_t k)
{
    /* Integer covariances as scikit-learn computes them (int64), then one sqrt. */
    int64_t s = 0, c = 0, tp_dot = 0, pp_dot = 0, tt_dot = 0;
    for (size_t i = 0; i < k; i++) {
        int64_t t = 0, p = 0;
        for (size_t j = 0; j < k; j++) {
            t += (int64_t)conf[i * k + j];
            p += (int64_t)conf[j * k + i];
        }
        c += (int64_t)conf[i * k + i];
        s += t;
        tp_dot += t * p;
        pp_dot += p * p;
        tt_dot += t * t;
    }
    double cov_ytyp = (double)(c * s - tp_dot);
    double cov_ypyp = (double)(s * s - pp_dot);
    double cov_ytyt = (double)(s * s - tt_dot);
    double denom = cov_ytyt * cov_ypyp;
    if (denom == 0.0)
        return 0.0;
    return cov_ytyp / sqrt(denom);
}

double ab_eval_macro_f1_confusion(const uint64_t *conf, size_t k)
{
    if (k == 0)
        return (double)NAN;
    double sum = 0.0;
    for (size_t cls = 0; cls < k; cls++)
        sum += f1_class_confusion(conf, k, cls);
    return sum / (double)k;
}

/* Fill conf (k*k) from class-id arrays; false if an id is out of range or k too big. */
static bool confusion_from_arrays(const int *gold, const int *pred, size_t n, size_t k, uint64_t *conf)
{
    if (k == 0 || k > 64)
        return false;
    memset(conf, 0, k * k * sizeof conf[0]);
    for (size_t i = 0; i < n; i++) {
        if (gold[i] < 0 || pred[i] < 0 || (size_t)gold[i] >= k || (size_t)pred[i] >= k)
            return false;
        conf[(size_t)gold[i] * k + (size_t)pred[i]]++;
    }
    return true;
}

/* Classes needed to hold every id in gold and pred (ids may be negative: then 0). */
static size_t classes_spanned(const int *gold, const int *pred, size_t n)
{
    int max_id = -1;
    for (size_t i = 0; i < n; i++) {
        if (gold[i] < 0 || pred[i] < 0)
            return 0;
        if (gold[i] > max_id)
            max_id = gold[i];
        if (pred[i] > max_id)
            max_id = pred[i];
    }
    return (size_t)(max_id + 1);
}

double ab_eval_accuracy(const int *gold, const int *pred, size_t n)
{
    if (n == 0)
        return (double)NAN;
    size_t right = 0;
    for (size_t i = 0; i < n; i++)
        right += (gold[i] == pred[i]);
    return (double)right / (double)n;
}

double ab_eval_f1(const int *gold, const int *pred, size_t n, int positive)
{
    uint64_t tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        bool g = gold[i] == positive, p = pred[i] == positive;
        tp += g && p;
        fp += !g && p;
        fn += g && !p;
    }
    return f1_counts(tp, fp, fn);
}

double ab_eval_mcc(const int *gold, const int *pred, size_t n, size_t n_classes)
{
    uint64_t conf[64 * 64];
    if (n_classes == 0)
        n_classes = classes_spanned(gold, pred, n);
    if (!confusion_from_arrays(gold, pred, n, n_classes, conf))
        return n == 0 ? 0.0 : (double)NAN;
    return ab_eval_mcc_confusion(conf, n_classes);
}

double ab_eval_macro_f1(const int *gold, const int *pred, size_t n, size_t n_classes)
{
    uint64_t conf[64 * 64];
    if (!confusion_from_arrays(gold, pred, n, n_classes, conf))
        return (double)NAN;
    return ab_eval_macro_f1_confusion(conf, n_classes);
}

/* ---- correlations ------------------------------------------------------------------------------- */

double ab__eval_pearson_weighted(const double *x, const double *y, const uint32_t *w, size_t n)
{
    double sw = 0.0, sx = 0.0, sy = 0.0;
    bool x_const = true, y_const = true, have_first = false;
    double x0 = 0.0, y0 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? (double)w[i] : 1.0;
        if (wi == 0.0)
            continue;
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return (double)NAN;
        if (!have_first) {
            x0 = x[i];
            y0 = y[i];
            have_first = true;
        }
        x_const = x_const && x[i] == x0;
        y_const = y_const && y[i] == y0;
        sw += wi;
        sx += wi * x[i];
        sy += wi * y[i];
    }
    /* SciPy: NaN for constant input, and n < 2 is an error there; both NaN here. */
    if (sw < 2.0 || x_const || y_const)
        return (double)NAN;
    double mx = sx / sw, my = sy / sw;
    double sxx = 0.0, syy = 0.0, sxy = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? (double)w[i] : 1.0;
        if (wi == 0.0)
            continue;
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += wi * dx * dx;
        syy += wi * dy * dy;
        sxy += wi * dx * dy;
    }
    if (sxx == 0.0 || syy == 0.0)
        return (double)NAN;
    double r = sxy / (sqrt(sxx) * sqrt(syy));
    /* Rounding can push |r| a hair past 1; SciPy clips the same way. */
    return r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r);
}

double ab_eval_pearson(const double *x, const double *y, size_t n)
{
    return ab__eval_pearson_weighted(x, y, NULL, n);
}

/* Average ranks (1-based) of units with multiplicity w, walking units in value order. */
static void average_ranks(const double *v, const uint32_t *order, const uint32_t *w, size_t n, double *out_rank)
{
    double before = 0.0;   /* total multiplicity of smaller values */
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        double group = 0.0;
        while (j < n && v[order[j]] == v[order[i]]) {
            group += w ? (double)w[order[j]] : 1.0;
            j++;
        }
        /* Ranks before+1 .. before+group share their mean. */
        double rank = before + (group + 1.0) / 2.0;
        for (size_t t = i; t < j; t++)
            out_rank[order[t]] = rank;
        before += group;
        i = j;
    }
}

double ab__eval_spearman_weighted(const double *x, const double *y, const uint32_t *order_x,
                                  const uint32_t *order_y, const uint32_t *w, size_t n, double *rank_x,
                                  double *rank_y)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]) || isnan(y[i]))
            return (double)NAN;   /* SciPy nan_policy='propagate' */
    average_ranks(x, order_x, w, n, rank_x);
    average_ranks(y, order_y, w, n, rank_y);
    return ab__eval_pearson_weighted(rank_x, rank_y, w, n);
}

struct sort_item {
    double v;
    uint32_t i;
};

static int cmp_sort_item(const void *pa, const void *pb)
{
    const struct sort_item *a = pa, *b = pb;
    if (a->v < b->v)
        return -1;
    if (a->v > b->v)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

void ab__eval_argsort(const double *v, size_t n, uint32_t *out_order)
{
    /* Small helper arrays: sort (value, id) pairs so the order is total and stable. */
    struct sort_item *items = ab_malloc(n ? n * sizeof *items : 1);
    if (items == NULL) {
        /* Insertion sort fallback: slow but correct, and needs no memory. */
        for (size_t i = 0; i < n; i++)
            out_order[i] = (uint32_t)i;
        for (size_t i = 1; i < n; i++) {
            uint32_t key = out_order[i];
            size_t j = i;
            while (j > 0 && v[out_order[j - 1]] > v[key]) {
                out_order[j] = out_order[j - 1];
                j--;
            }
            out_order[j] = key;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        items[i].v = v[i];
        items[i].i = (uint32_t)i;
    }
    qsort(items, n, sizeof *items, cmp_sort_item);
    for (size_t i = 0; i < n; i++)
        out_order[i] = items[i].i;
    ab_free(items);
}

enum ab_status ab_eval_spearman(const double *x, const double *y, size_t n, double *out_rho)
{
    enum ab_status st = AB_OK;
    uint32_t *order = ab_malloc((n ? n : 1) * 2 * sizeof *order);
    double *rank = ab_malloc((n ? n : 1) * 2 * sizeof *rank);
    if (order == NULL || rank == NULL) {
        st = AB_ENOMEM;
        goto cleanup;
    }
    ab__eval_argsort(x, n, order);
    ab__eval_argsort(y, n, order + n);
    *out_rho = ab__eval_spearman_weighted(x, y, order, order + n, NULL, n, rank, rank + n);
cleanup:
    ab_free(order);
    ab_free(rank);
    return st;
}

/* ---- MultiRC and gender parity over arrays ------------------------------------------------------ */

enum ab_status ab_eval_multirc(const int *gold, const int *pred, const uint64_t *question, size_t n,
                               double *out_f1a, double *out_em)
{
    enum ab_status st = AB_OK;
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab__eval_map map;
    uint8_t *wrong = NULL;
    uint64_t tp = 0, fp = 0, fn = 0;
    size_t n_questions = 0;
    if (n > UINT32_MAX) {
        st = AB_EOVERFLOW;
        goto cleanup;
    }
    st = ab__eval_map_init(&map, n, &arena);
    if (st != AB_OK)
        goto cleanup;
    wrong = ab_arena_calloc(&arena, n ? n : 1, 1, 1);
    if (wrong == NULL) {
        st = AB_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t q;
        if (!ab__eval_map_put(&map, question[i], (uint32_t)n_questions, &q))
            q = (uint32_t)n_questions++;
        bool g = gold[i] == 1, p = pred[i] == 1;
        tp += g && p;
        fp += !g && p;
        fn += g && !p;
        if (gold[i] != pred[i])
            wrong[q] = 1;
    }
    size_t n_right = 0;
    for (size_t q = 0; q < n_questions; q++)
        n_right += !wrong[q];
    *out_f1a = f1_counts(tp, fp, fn);
    *out_em = n_questions ? (double)n_right / (double)n_questions : (double)NAN;
cleanup:
    ab_arena_release(&arena);
    return st;
}

enum ab_status ab_eval_gender_parity(const int *pred, const uint64_t *pair_id, size_t n, double *out_parity)
{
    enum ab_status st = AB_OK;
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab__eval_map map;
    uint32_t *first = NULL, *count = NULL;
    uint8_t *same = NULL;
    size_t n_pairs = 0;
    if (n > UINT32_MAX) {
        st = AB_EOVERFLOW;
        goto cleanup;
    }
    st = ab__eval_map_init(&map, n, &arena);
    if (st != AB_OK)
        goto cleanup;
    first = ab_arena_calloc(&arena, n ? n : 1, sizeof *first, sizeof *first);
    count = ab_arena_calloc(&arena, n ? n : 1, sizeof *count, sizeof *count);
    same = ab_arena_calloc(&arena, n ? n : 1, 1, 1);
    if (first == NULL || count == NULL || same == NULL) {
        st = AB_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t p;
        if (!ab__eval_map_put(&map, pair_id[i], (uint32_t)n_pairs, &p)) {
            p = (uint32_t)n_pairs++;
            first[p] = (uint32_t)i;
        } else {
            same[p] = pred[first[p]] == pred[i];
        }
        count[p]++;
    }
    size_t n_same = 0;
    for (size_t p = 0; p < n_pairs; p++) {
        if (count[p] != 2) {
            st = AB_EINVAL;
            goto cleanup;
        }
        n_same += same[p];
    }
    *out_parity = n_pairs ? (double)n_same / (double)n_pairs : (double)NAN;
cleanup:
    ab_arena_release(&arena);
    return st;
}

/* ---- McNemar ---------------------------------------------------------------------------------------- */

double ab_eval_mcnemar_exact(uint64_t b, uint64_t c)
{
    uint64_t n = b + c;
    if (n == 0)
        return 1.0;
    uint64_t k = b < c ? b : c;
    /* P[X <= k] for Bin(n, 1/2), summed in log space so large n cannot overflow. */
    double log_half_n = (double)n * log(0.5);
    double tail = 0.0;
    for (uint64_t i = 0; i <= k; i++) {
        double log_choose = lgamma((double)n + 1.0) - lgamma((double)i + 1.0) - lgamma((double)(n - i) + 1.0);
        tail += exp(log_choose + log_half_n);
    }
    double p = 2.0 * tail;
    return p > 1.0 ? 1.0 : p;
}

double ab_eval_mcnemar_chi2(uint64_t b, uint64_t c, bool continuity, double *out_chi2)
{
    uint64_t n = b + c;
    if (n == 0) {
        if (out_chi2)
            *out_chi2 = 0.0;
        return 1.0;
    }
    double diff = fabs((double)b - (double)c);
    if (continuity)
        diff = diff > 1.0 ? diff - 1.0 : 0.0;
    double chi2 = diff * diff / (double)n;
    if (out_chi2)
        *out_chi2 = chi2;
    /* Survival function of chi-square with 1 df: P[Z^2 > x] = erfc(sqrt(x / 2)). */
    return erfc(sqrt(chi2 / 2.0));
}

/* ---- the per-unit scorer ---------------------------------------------------------------------------- */

size_t ab__eval_work_bytes(const struct ab_eval_data *data)
{
    if (data->info->kind != AB_EVAL_KIND_REGRESS)
        return 16;
    /* rank_x, rank_y, mixed predictions (doubles) and a mixed order (uint32). */
    return data->n_units * (3 * sizeof(double) + sizeof(uint32_t)) + 64;
}

static double class_metric(enum ab_eval_metric metric, const uint64_t *conf, size_t k)
{
    switch (metric) {
    case AB_EVAL_METRIC_ACC:
        return accuracy_confusion(conf, k);
    case AB_EVAL_METRIC_F1:
        return f1_class_confusion(conf, k, 1);
    case AB_EVAL_METRIC_MCC:
        return ab_eval_mcc_confusion(conf, k);
    case AB_EVAL_METRIC_MACRO_F1:
        return ab_eval_macro_f1_confusion(conf, k);
    default:
        return (double)NAN;
    }
}

void ab__eval_class_metrics(const struct ab_eval_data *data, const uint64_t *conf,
                            double out_value[AB_EVAL_MAX_METRICS])
{
    out_value[0] = out_value[1] = (double)NAN;
    for (size_t m = 0; m < data->info->n_metrics; m++)
        out_value[m] = class_metric(data->info->metric[m], conf, data->n_classes);
}

#define UNIT_W(i) (w ? (uint64_t)w[i] : 1u)
#define FROM_B(i) (pick && pick[i])

static void metrics_class(const struct ab_eval_data *a, const struct ab_eval_data *b, const uint32_t *w,
                          const uint8_t *pick, double *out)
{
    size_t k = a->n_classes;
    uint64_t conf[AB__EVAL_MAX_CLASSES * AB__EVAL_MAX_CLASSES] = {0};
    if (w == NULL && pick == NULL) {
        memcpy(conf, a->conf, sizeof conf);
    } else {
        for (size_t i = 0; i < a->n_units; i++) {
            uint8_t cell = FROM_B(i) ? b->cell[i] : a->cell[i];
            conf[cell] += UNIT_W(i);
        }
    }
    for (size_t m = 0; m < a->info->n_metrics; m++)
        out[m] = class_metric(a->info->metric[m], conf, k);
}

static void metrics_regress(const struct ab_eval_data *a, const struct ab_eval_data *b, const uint32_t *w,
                            const uint8_t *pick, void *work, double *out)
{
    size_t n = a->n_units;
    double *rank_x = work;
    double *rank_y = rank_x + n;
    const double *pred = a->pred_f;
    const uint32_t *pred_order = a->pred_order;
    if (pick != NULL) {
        double *mixed = rank_y + n;
        uint32_t *order = (uint32_t *)(mixed + n);
        for (size_t i = 0; i < n; i++)
            mixed[i] = pick[i] ? b->pred_f[i] : a->pred_f[i];
        ab__eval_argsort(mixed, n, order);
        pred = mixed;
        pred_order = order;
    }
    for (size_t m = 0; m < a->info->n_metrics; m++) {
        if (a->info->metric[m] == AB_EVAL_METRIC_PEARSON)
            out[m] = ab__eval_pearson_weighted(a->gold_f, pred, w, n);
        else
            out[m] = ab__eval_spearman_weighted(a->gold_f, pred, a->gold_order, pred_order, w, n, rank_x, rank_y);
    }
}

static void metrics_multirc(const struct ab_eval_data *a, const struct ab_eval_data *b, const uint32_t *w,
                            const uint8_t *pick, double *out)
{
    uint64_t tp = 0, fp = 0, fn = 0, right = 0, total = 0;
    for (size_t i = 0; i < a->n_units; i++) {
        const struct ab__eval_mrc_unit *u = FROM_B(i) ? &b->mrc[i] : &a->mrc[i];
        uint64_t wi = UNIT_W(i);
        tp += wi * u->tp;
        fp += wi * u->fp;
        fn += wi * u->fn;
        right += wi * u->all_right;
        total += wi;
    }
    for (size_t m = 0; m < a->info->n_metrics; m++)
        out[m] = a->info->metric[m] == AB_EVAL_METRIC_F1A ? f1_counts(tp, fp, fn)
                                                         : (total ? (double)right / (double)total : (double)NAN);
}

static void metrics_record(const struct ab_eval_data *a, const struct ab_eval_data *b, const uint32_t *w,
                           const uint8_t *pick, double *out)
{
    double f1 = 0.0, em = 0.0, total = 0.0;
    for (size_t i = 0; i < a->n_units; i++) {
        const struct ab_eval_data *src = FROM_B(i) ? b : a;
        double wi = (double)UNIT_W(i);
        f1 += wi * src->rec_f1[i];
        em += wi * src->rec_em[i];
        total += wi;
    }
    for (size_t m = 0; m < a->info->n_metrics; m++)
        out[m] = total > 0.0 ? (a->info->metric[m] == AB_EVAL_METRIC_EM ? em : f1) / total : (double)NAN;
}

static void metrics_pairs(const struct ab_eval_data *a, const struct ab_eval_data *b, const uint32_t *w,
                          const uint8_t *pick, double *out)
{
    uint64_t right = 0, same = 0, total = 0;
    for (size_t i = 0; i < a->n_units; i++) {
        const struct ab__eval_pair_unit *u = FROM_B(i) ? &b->pair[i] : &a->pair[i];
        uint64_t wi = UNIT_W(i);
        right += wi * u->n_right;
        same += wi * u->same;
        total += wi;
    }
    for (size_t m = 0; m < a->info->n_metrics; m++) {
        if (total == 0)
            out[m] = (double)NAN;
        else if (a->info->metric[m] == AB_EVAL_METRIC_PARITY)
            out[m] = (double)same / (double)total;
        else
            out[m] = (double)right / (2.0 * (double)total);
    }
}

void ab__eval_metrics(const struct ab_eval_data *a, const struct ab_eval_data *b, const uint32_t *w,
                      const uint8_t *pick, void *work, double out_value[AB_EVAL_MAX_METRICS])
{
    if (b == NULL)
        pick = NULL;
    out_value[0] = out_value[1] = (double)NAN;
    switch (a->info->kind) {
    case AB_EVAL_KIND_CLASS:
        metrics_class(a, b, w, pick, out_value);
        break;
    case AB_EVAL_KIND_REGRESS:
        metrics_regress(a, b, w, pick, work, out_value);
        break;
    case AB_EVAL_KIND_MULTIRC:
        metrics_multirc(a, b, w, pick, out_value);
        break;
    case AB_EVAL_KIND_RECORD:
        metrics_record(a, b, w, pick, out_value);
        break;
    case AB_EVAL_KIND_PAIRS:
        metrics_pairs(a, b, w, pick, out_value);
        break;
    default:
        break;
    }
}

/* ---- small shared helpers ----------------------------------------------------------------------- */

uint64_t ab__eval_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

size_t ab__eval_utf8_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n_cont;
        uint32_t min, cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n_cont = 1;
            min = 0x80;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n_cont = 2;
            min = 0x800;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n_cont = 3;
            min = 0x10000;
            cp = c & 0x07u;
        } else {
            return i;
        }
        if (i + n_cont >= len)
            return i;   /* truncated sequence */
        for (size_t j = 1; j <= n_cont; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + j] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n_cont + 1;
    }
    return len;
}

enum ab_status ab__eval_map_init(struct ab__eval_map *map, size_t n_expected, struct ab_arena *arena)
{
    size_t cap = 16;
    while (cap < 2 * n_expected + 1) {
        if (cap > SIZE_MAX / 4)
            return AB_EOVERFLOW;
        cap *= 2;
    }
    map->keys = ab_arena_alloc(arena, cap * sizeof *map->keys, sizeof *map->keys);
    map->vals = ab_arena_alloc(arena, cap * sizeof *map->vals, sizeof *map->vals);
    if (map->keys == NULL || map->vals == NULL)
        return AB_ENOMEM;
    /* Slot empty <=> val == UINT32_MAX; values are positions < UINT32_MAX. */
    memset(map->vals, 0xFF, cap * sizeof *map->vals);
    map->cap = cap;
    map->n = 0;
    return AB_OK;
}

bool ab__eval_map_put(struct ab__eval_map *map, uint64_t key, uint32_t val, uint32_t *out_old)
{
    size_t mask = map->cap - 1;
    for (size_t h = (size_t)ab__eval_mix64(key) & mask;; h = (h + 1) & mask) {
        if (map->vals[h] == UINT32_MAX) {
            map->keys[h] = key;
            map->vals[h] = val;
            map->n++;
            return false;
        }
        if (map->keys[h] == key) {
            *out_old = map->vals[h];
            return true;
        }
    }
}

bool ab__eval_map_get(const struct ab__eval_map *map, uint64_t key, uint32_t *out_val)
{
    size_t mask = map->cap - 1;
    for (size_t h = (size_t)ab__eval_mix64(key) & mask;; h = (h + 1) & mask) {
        if (map->vals[h] == UINT32_MAX)
            return false;
        if (map->keys[h] == key) {
            *out_val = map->vals[h];
            return true;
        }
    }
}
