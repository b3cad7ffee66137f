/*
 * eval_join.c - match each gold item with its prediction by index (never by line
 * order), refusing duplicates on either side, predictions for unknown indexes and gold
 * examples without a prediction, each with the file and line.
 */
#include <inttypes.h>
#include <stdio.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "eval_internal.h"

/* ---- the join ----------------------------------------------------------------------------------- */

static void describe_key(const struct ab_eval_task_info *info, uint64_t key, char *buf, size_t cap)
{
    if (info->kind == AB_EVAL_KIND_MULTIRC)
        snprintf(buf, cap, "paragraph %" PRIu64 " question %" PRIu64 " answer %" PRIu64, key >> (2 * AB__EVAL_MRC_BITS),
                 (key >> AB__EVAL_MRC_BITS) & (AB__EVAL_MRC_LIMIT - 1), key & (AB__EVAL_MRC_LIMIT - 1));
    else
        snprintf(buf, cap, "%" PRIu64, key);
}

/*
 * For each gold item, the position of its prediction in `pred` (out_match). Errors:
 * duplicate gold index, prediction for an unknown index, duplicate prediction, and gold
 * examples without a prediction.
 */
enum ab_status ab__eval_join(const struct ab_eval_task_info *info, const char *gold_path,
                             const struct ab__eval_items *gold, const char *pred_path,
                             const struct ab__eval_items *pred, struct ab_arena *arena, uint32_t **out_match,
                             struct ab_error *err)
{
    const char *gold_field = info->suite == AB_EVAL_SUITE_GLUE ? "index" : "idx";
    char key_text[96];
    if (gold->n >= UINT32_MAX || pred->n >= UINT32_MAX)
        return ab_error_set(err, AB_EOVERFLOW, "'%s': too many examples", gold_path);
    struct ab__eval_map map;
    enum ab_status st = ab__eval_map_init(&map, gold->n, arena);
    if (st != AB_OK)
        return ab_error_set(err, st, "out of memory joining '%s'", pred_path);
    uint32_t *match = ab_arena_alloc(arena, (gold->n ? gold->n : 1) * sizeof *match, sizeof *match);
    if (match == NULL)
        return ab_error_set(err, AB_ENOMEM, "out of memory joining '%s'", pred_path);
    for (size_t i = 0; i < gold->n; i++) {
        uint32_t old;
        match[i] = UINT32_MAX;
        if (ab__eval_map_put(&map, gold->v[i].key, (uint32_t)i, &old)) {
            describe_key(info, gold->v[i].key, key_text, sizeof key_text);
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': duplicate index %s (first on line %zu)",
                                gold_path, gold->v[i].line, gold_field, key_text, gold->v[old].line);
        }
    }
    const char *pred_field = info->suite == AB_EVAL_SUITE_GLUE ? "index" : "idx";
    for (size_t j = 0; j < pred->n; j++) {
        uint32_t pos;
        describe_key(info, pred->v[j].key, key_text, sizeof key_text);
        if (!ab__eval_map_get(&map, pred->v[j].key, &pos))
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': index %s is not in the gold file '%s'",
                                pred_path, pred->v[j].line, pred_field, key_text, gold_path);
        if (match[pos] != UINT32_MAX)
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': duplicate index %s (first on line %zu)",
                                pred_path, pred->v[j].line, pred_field, key_text, pred->v[match[pos]].line);
        match[pos] = (uint32_t)j;
    }
    size_t n_missing = 0, first_missing = 0;
    for (size_t i = 0; i < gold->n; i++)
        if (match[i] == UINT32_MAX && n_missing++ == 0)
            first_missing = i;
    if (n_missing > 0) {
        describe_key(info, gold->v[first_missing].key, key_text, sizeof key_text);
        return ab_error_set(err, AB_EPARSE,
                            "'%s': missing index: no prediction for index %s ('%s' line %zu); %zu of %zu gold "
                            "examples have none",
                            pred_path, key_text, gold_path, gold->v[first_missing].line, n_missing, gold->n);
    }
    *out_match = match;
    return AB_OK;
}
