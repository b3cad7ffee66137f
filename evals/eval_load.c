/*
 * eval_load.c - ab_eval_load: read a task's gold file and a prediction file through the
 * suite's reader (eval_load_tsv.c for GLUE, eval_load_jsonl.c for SuperGLUE), join them
 * by index (eval_join.c) and build the per-unit form of eval_internal.h (eval_units.c);
 * and what the readers share: the item list, labels, test-split refusals.
 *
 * Nothing is silently dropped or guessed: a BOM is stripped, but invalid UTF-8, ragged
 * rows, unknown labels, bad or duplicate indexes, predictions for unknown examples and
 * examples without a prediction are each an error naming the file, the line and the
 * field. Joining is by the index, never by line order; a gold file without an index
 * column (CoLA, SST-2, MRPC, QQP, AX) is indexed by data row, 0-based, as the submission
 * files are.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "eval_internal.h"

struct ab__eval_item *ab__eval_items_push(struct ab__eval_items *it)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? 2 * it->cap : 256;
        struct ab__eval_item *v = ab_realloc(it->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        it->v = v;
        it->cap = cap;
    }
    struct ab__eval_item *x = &it->v[it->n++];
    memset(x, 0, sizeof *x);
    return x;
}

void ab__eval_items_free(struct ab__eval_items *it)
{
    ab_free(it->v);
    it->v = NULL;
    it->n = it->cap = 0;
}

/* ---- labels ------------------------------------------------------------------------------------- */

/* Class id of s among the task's spellings ("a|A,b|B"); -1 if none matches. */
int ab__eval_label_lookup(const char *spec, const char *s)
{
    size_t len = strlen(s);
    int cls = 0;
    const char *p = spec;
    while (*p) {
        size_t n = strcspn(p, ",|");
        if (n == len && memcmp(p, s, len) == 0)
            return cls;
        p += n;
        if (*p == ',')
            cls++;
        if (*p)
            p++;
    }
    return -1;
}

/* "entailment, neutral, contradiction" from the first spelling of each class. */
static const char *labels_display(const char *spec, char *buf, size_t cap)
{
    size_t at = 0;
    bool first_spelling = true;
    for (const char *p = spec; *p && at + 3 < cap; p++) {
        if (*p == ',') {
            buf[at++] = ',';
            buf[at++] = ' ';
            first_spelling = true;
        } else if (*p == '|') {
            first_spelling = false;
        } else if (first_spelling) {
            buf[at++] = *p;
        }
    }
    buf[at] = '\0';
    return buf;
}

enum ab_status ab__eval_label_error(struct ab_error *err, const struct ab_eval_task_info *info, const char *path,
                                    size_t line, const char *field, const char *value, bool gold)
{
    char shown[128];
    labels_display(info->labels, shown, sizeof shown);
    if (gold && strcmp(value, "-1") == 0)
        return ab_error_set(err, AB_EINVAL,
                            "'%s' line %zu field '%s': gold label '-1' marks an unlabelled test example; "
                            "test labels are private, score the dev split",
                            path, line, field);
    if (value[0] == '\0')
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': empty %s label (expected one of %s)", path,
                            line, field, gold ? "gold" : "predicted", shown);
    return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': unknown label '%.64s' for %s (expected one of %s)",
                        path, line, field, value, info->name, shown);
}

/* ---- files -------------------------------------------------------------------------------------- */

enum ab_status ab__eval_check_nonempty(const char *path, struct ab_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ab_error_set(err, AB_EIO, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return ab_error_set(err, AB_EIO, "cannot read '%s': it is a directory", path);
    if (sb.st_size == 0)
        return ab_error_set(err, AB_EPARSE, "'%s': empty file", path);
    return AB_OK;
}

enum ab_status ab__eval_refuse_test_split(struct ab_error *err, const char *path, const char *column)
{
    return ab_error_set(err, AB_EINVAL,
                        "'%s' has no gold label column '%s': it looks like a test split, whose labels are "
                        "private; score the labelled dev split instead",
                        path, column);
}


/* ---- public -------------------------------------------------------------------------------------- */

static enum ab_status load_side(struct ab_eval_data *d, const char *path, bool gold, struct ab__eval_items *out,
                                struct ab_error *err)
{
    if (d->info->suite == AB_EVAL_SUITE_GLUE)
        return ab__eval_load_glue(d->info, path, gold, &d->arena, out, err);
    return ab__eval_load_superglue(d->info, path, gold, &d->arena, out, err);
}

enum ab_status ab_eval_load(enum ab_eval_task task, const char *gold_path, const char *pred_path,
                            struct ab_eval_data **out_data, struct ab_error *err)
{
    const struct ab_eval_task_info *info = ab_eval_task_info(task);
    if (info == NULL || gold_path == NULL || pred_path == NULL || out_data == NULL)
        return ab_error_set(err, AB_EINVAL, "ab_eval_load: bad arguments");
    enum ab_status st;
    struct ab__eval_items gold = {0}, pred = {0};
    struct ab_eval_data *d = ab_calloc(1, sizeof *d);
    if (d == NULL)
        return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", gold_path);
    ab_arena_init(&d->arena, 0);
    d->task = task;
    d->info = info;
    d->n_classes = info->n_classes;
    d->gold_path = ab_arena_strndup(&d->arena, gold_path, strlen(gold_path));
    d->pred_path = ab_arena_strndup(&d->arena, pred_path, strlen(pred_path));
    if (d->gold_path == NULL || d->pred_path == NULL) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", gold_path);
        goto cleanup;
    }
    st = load_side(d, gold_path, true, &gold, err);
    if (st != AB_OK)
        goto cleanup;
    st = load_side(d, pred_path, false, &pred, err);
    if (st != AB_OK)
        goto cleanup;
    if (gold.n == 0) {
        st = ab_error_set(err, AB_EPARSE, "'%s': no examples", gold_path);
        goto cleanup;
    }
    uint32_t *match = NULL;
    st = ab__eval_join(info, gold_path, &gold, pred_path, &pred, &d->arena, &match, err);
    if (st != AB_OK)
        goto cleanup;
    st = ab__eval_build_units(d, &gold, &pred, match, err);
    if (st != AB_OK)
        goto cleanup;
    ab__eval_items_free(&gold);
    ab__eval_items_free(&pred);
    *out_data = d;
    return AB_OK;
cleanup:
    ab__eval_items_free(&gold);
    ab__eval_items_free(&pred);
    ab_eval_data_free(d);
    return st;
}

void ab_eval_data_free(struct ab_eval_data *data)
{
    if (data == NULL)
        return;
    ab_arena_release(&data->arena);
    ab_free(data);
}

enum ab_eval_task ab_eval_data_task(const struct ab_eval_data *data)
{
    return data->task;
}

size_t ab_eval_data_n(const struct ab_eval_data *data)
{
    return data->n_items;
}

const uint64_t *ab_eval_data_confusion(const struct ab_eval_data *data, size_t *out_k)
{
    if (data->n_classes == 0)
        return NULL;
    *out_k = data->n_classes;
    return data->conf;
}
