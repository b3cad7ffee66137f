/*
 * eval_units.c - joined items -> the units a bootstrap resamples (eval_internal.h): a
 * confusion cell per example, score pairs with their sort orders, per-pair and
 * per-question counts, per-query best F1/EM over ReCoRD's gold answers; and the same
 * units built from arrays, without files, for simulations and tests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "eval_internal.h"

/* ---- building units ------------------------------------------------------------------------------ */

static enum ab_status build_class(struct ab_eval_data *d, const struct ab__eval_items *gold, const struct ab__eval_items *pred,
                                  const uint32_t *match, struct ab_error *err)
{
    size_t n = gold->n, k = d->n_classes;
    d->cell = ab_arena_alloc(&d->arena, n, 1);
    if (d->cell == NULL)
        return ab_error_set(err, AB_ENOMEM, "out of memory scoring '%s'", d->pred_path);
    for (size_t i = 0; i < n; i++) {
        size_t cell = (size_t)gold->v[i].cls * k + (size_t)pred->v[match[i]].cls;
        d->cell[i] = (uint8_t)cell;
        d->conf[cell]++;
    }
    d->n_units = d->n_items = n;
    return AB_OK;
}

static enum ab_status build_regress(struct ab_eval_data *d, const struct ab__eval_items *gold, const struct ab__eval_items *pred,
                                    const uint32_t *match, struct ab_error *err)
{
    size_t n = gold->n;
    d->gold_f = ab_arena_alloc(&d->arena, n * sizeof(double), sizeof(double));
    d->pred_f = ab_arena_alloc(&d->arena, n * sizeof(double), sizeof(double));
    d->gold_order = ab_arena_alloc(&d->arena, n * sizeof(uint32_t), sizeof(uint32_t));
    d->pred_order = ab_arena_alloc(&d->arena, n * sizeof(uint32_t), sizeof(uint32_t));
    if (!d->gold_f || !d->pred_f || !d->gold_order || !d->pred_order)
        return ab_error_set(err, AB_ENOMEM, "out of memory scoring '%s'", d->pred_path);
    for (size_t i = 0; i < n; i++) {
        d->gold_f[i] = gold->v[i].value;
        d->pred_f[i] = pred->v[match[i]].value;
    }
    ab__eval_argsort(d->gold_f, n, d->gold_order);
    ab__eval_argsort(d->pred_f, n, d->pred_order);
    d->n_units = d->n_items = n;
    return AB_OK;
}

static enum ab_status build_pairs(struct ab_eval_data *d, const struct ab__eval_items *gold, const struct ab__eval_items *pred,
                                  const uint32_t *match, struct ab_error *err)
{
    size_t n = gold->n, k = d->n_classes;
    struct ab__eval_map map;
    enum ab_status st = ab__eval_map_init(&map, n, &d->arena);
    uint32_t *first = ab_arena_alloc(&d->arena, (n ? n : 1) * sizeof *first, sizeof *first);
    uint32_t *count = ab_arena_calloc(&d->arena, n ? n : 1, sizeof *count, sizeof *count);
    d->pair = ab_arena_calloc(&d->arena, n ? n : 1, sizeof *d->pair, 8);
    if (st != AB_OK || !first || !count || !d->pair)
        return ab_error_set(err, AB_ENOMEM, "out of memory scoring '%s'", d->pred_path);
    size_t n_pairs = 0;
    for (size_t i = 0; i < n; i++) {
        int g = gold->v[i].cls, p = pred->v[match[i]].cls;
        d->conf[(size_t)g * k + (size_t)p]++;
        uint32_t u;
        if (!ab__eval_map_put(&map, gold->v[i].group, (uint32_t)n_pairs, &u)) {
            u = (uint32_t)n_pairs++;
            first[u] = (uint32_t)i;
        } else if (count[u] == 1) {
            d->pair[u].same = pred->v[match[first[u]]].cls == p;
        }
        if (++count[u] > 2)
            return ab_error_set(err, AB_EPARSE,
                                "'%s' line %zu field 'pair_id': pair %" PRIu64
                                " has more than 2 examples; a minimal pair has exactly 2",
                                d->gold_path, gold->v[i].line, gold->v[i].group);
        d->pair[u].n_right = (uint8_t)(d->pair[u].n_right + (g == p));
    }
    for (size_t u = 0; u < n_pairs; u++)
        if (count[u] != 2)
            return ab_error_set(err, AB_EPARSE,
                                "'%s' line %zu field 'pair_id': pair %" PRIu64
                                " has 1 example; a minimal pair has exactly 2",
                                d->gold_path, gold->v[first[u]].line, gold->v[first[u]].group);
    d->n_units = n_pairs;
    d->n_items = n;
    return AB_OK;
}

static enum ab_status build_multirc(struct ab_eval_data *d, const struct ab__eval_items *gold, const struct ab__eval_items *pred,
                                    const uint32_t *match, struct ab_error *err)
{
    size_t n = gold->n, k = d->n_classes;
    struct ab__eval_map map;
    enum ab_status st = ab__eval_map_init(&map, n, &d->arena);
    d->mrc = ab_arena_calloc(&d->arena, n ? n : 1, sizeof *d->mrc, 8);
    if (st != AB_OK || d->mrc == NULL)
        return ab_error_set(err, AB_ENOMEM, "out of memory scoring '%s'", d->pred_path);
    size_t n_questions = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        if (!ab__eval_map_put(&map, gold->v[i].group, (uint32_t)n_questions, &u)) {
            u = (uint32_t)n_questions++;
            d->mrc[u].all_right = 1;
        }
        int g = gold->v[i].cls, p = pred->v[match[i]].cls;
        d->conf[(size_t)g * k + (size_t)p]++;
        d->mrc[u].tp += (g == 1 && p == 1);
        d->mrc[u].fp += (g != 1 && p == 1);
        d->mrc[u].fn += (g == 1 && p != 1);
        if (g != p)
            d->mrc[u].all_right = 0;
    }
    d->n_units = n_questions;
    d->n_items = n;
    return AB_OK;
}

static enum ab_status build_record(struct ab_eval_data *d, const struct ab__eval_items *gold, const struct ab__eval_items *pred,
                                   const uint32_t *match, struct ab_error *err)
{
    size_t n = gold->n;
    struct ab_eval_normalizer *nz = NULL;
    enum ab_status st = ab_eval_normalizer_new(&nz, err);
    if (st != AB_OK)
        return st;
    d->rec_f1 = ab_arena_alloc(&d->arena, (n ? n : 1) * sizeof(double), sizeof(double));
    d->rec_em = ab_arena_alloc(&d->arena, (n ? n : 1) * sizeof(double), sizeof(double));
    if (!d->rec_f1 || !d->rec_em) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory scoring '%s'", d->pred_path);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ab__eval_item *p = &pred->v[match[i]];
        double best_f1 = 0.0, best_em = 0.0;
        for (uint32_t a = 0; a < gold->v[i].n_text; a++) {
            double f1, em;
            st = ab_eval_squad_f1_em(nz, p->text[0], gold->v[i].text[a], &f1, &em);
            if (st == AB_EPARSE) {
                st = ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'label': invalid UTF-8 (or line %zu of '%s')",
                                  d->pred_path, p->line, gold->v[i].line, d->gold_path);
                goto cleanup;
            }
            if (st != AB_OK) {
                st = ab_error_set(err, st, "cannot normalise answers of '%s' line %zu", d->pred_path, p->line);
                goto cleanup;
            }
            best_f1 = f1 > best_f1 ? f1 : best_f1;
            best_em = em > best_em ? em : best_em;
        }
        d->rec_f1[i] = best_f1;
        d->rec_em[i] = best_em;
    }
    d->n_units = d->n_items = n;
cleanup:
    ab_eval_normalizer_free(nz);
    return st;
}

enum ab_status ab__eval_build_units(struct ab_eval_data *d, const struct ab__eval_items *gold,
                                    const struct ab__eval_items *pred, const uint32_t *match, struct ab_error *err)
{
    switch (d->info->kind) {
    case AB_EVAL_KIND_CLASS:
        return build_class(d, gold, pred, match, err);
    case AB_EVAL_KIND_REGRESS:
        return build_regress(d, gold, pred, match, err);
    case AB_EVAL_KIND_PAIRS:
        return build_pairs(d, gold, pred, match, err);
    case AB_EVAL_KIND_MULTIRC:
        return build_multirc(d, gold, pred, match, err);
    case AB_EVAL_KIND_RECORD:
        return build_record(d, gold, pred, match, err);
    default:
        return ab_error_set(err, AB_ENOTSUP, "task '%s': unknown kind", d->info->name);
    }
}

/* ---- in-memory construction (simulations, tests) ------------------------------------------------ */

static enum ab_status from_arrays(enum ab_eval_task task, const int *gold_cls, const int *pred_cls, const double *gold_v,
                                  const double *pred_v, size_t n, struct ab_eval_data **out_data)
{
    const struct ab_eval_task_info *info = ab_eval_task_info(task);
    if (info == NULL || n == 0 || n >= UINT32_MAX ||
        (info->kind != AB_EVAL_KIND_CLASS && info->kind != AB_EVAL_KIND_REGRESS))
        return AB_EINVAL;
    enum ab_status st = AB_OK;
    struct ab__eval_items gold = {0}, pred = {0};
    uint32_t *match = NULL;
    struct ab_eval_data *d = ab_calloc(1, sizeof *d);
    if (d == NULL)
        return AB_ENOMEM;
    ab_arena_init(&d->arena, 0);
    d->task = task;
    d->info = info;
    d->n_classes = info->n_classes;
    d->gold_path = d->pred_path = "(memory)";
    match = ab_malloc(n * sizeof *match);
    if (match == NULL) {
        st = AB_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        struct ab__eval_item *g = ab__eval_items_push(&gold), *p = ab__eval_items_push(&pred);
        if (g == NULL || p == NULL) {
            st = AB_ENOMEM;
            goto cleanup;
        }
        if (gold_cls) {
            if (gold_cls[i] < 0 || pred_cls[i] < 0 || (size_t)gold_cls[i] >= d->n_classes ||
                (size_t)pred_cls[i] >= d->n_classes) {
                st = AB_EINVAL;
                goto cleanup;
            }
            g->cls = gold_cls[i];
            p->cls = pred_cls[i];
        } else {
            g->value = gold_v[i];
            p->value = pred_v[i];
        }
        match[i] = (uint32_t)i;
    }
    st = gold_cls ? build_class(d, &gold, &pred, match, NULL) : build_regress(d, &gold, &pred, match, NULL);
cleanup:
    ab_free(match);
    ab__eval_items_free(&gold);
    ab__eval_items_free(&pred);
    if (st != AB_OK) {
        ab_eval_data_free(d);
        return st;
    }
    *out_data = d;
    return AB_OK;
}

enum ab_status ab__eval_data_from_labels(enum ab_eval_task task, const int *gold, const int *pred, size_t n,
                                         struct ab_eval_data **out_data)
{
    if (ab_eval_task_info(task) == NULL || ab_eval_task_info(task)->kind != AB_EVAL_KIND_CLASS)
        return AB_EINVAL;
    return from_arrays(task, gold, pred, NULL, NULL, n, out_data);
}

enum ab_status ab__eval_data_from_scores(const double *gold, const double *pred, size_t n,
                                         struct ab_eval_data **out_data)
{
    return from_arrays(AB_EVAL_TASK_STSB, NULL, NULL, gold, pred, n, out_data);
}
