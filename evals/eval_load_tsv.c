/*
 * eval_load_tsv.c - GLUE's TSV files (gold dev splits and leaderboard submissions) into
 * items. Read with quoting off and no trimming: their quotes are literal text. CoLA's
 * train/dev files have no header; MNLI dev has 16 columns, so the label is found by its
 * header name; a test split (no label column, or -1 labels) is refused.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/report.h"
#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "eval_internal.h"

/* Non-negative decimal integer, digits only, below 2^53. */
static bool parse_index(const char *s, uint64_t *out)
{
    if (*s == '\0' || strlen(s) > 15)
        return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return true;
}

/* A finite decimal number, the whole field, C locale. */
static bool parse_number(const char *s, double *out)
{
    if (*s == '\0' || *s == ' ' || *s == '\t')
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static const char *strip_bom(const char *s)
{
    return (memcmp(s, "\xEF\xBB\xBF", 3) == 0) ? s + 3 : s;
}

/* A TSV file with quoting off; BOM stripped; every row width and every field's UTF-8 checked. */
struct tsv {
    struct ab_csv_table t;
    const char *path;
    const char *const *names;   /* field names for messages (header or schema) */
    size_t n_names;
};

static const char *tsv_cell(const struct tsv *f, size_t row, size_t col)
{
    return f->t.cells[row * f->t.n_cols + col];
}

static size_t tsv_line(const struct tsv *f, size_t row)
{
    return f->t.line ? f->t.line[row] : row + 1;
}

static enum ab_status tsv_read(struct tsv *f, const char *path, struct ab_arena *arena, struct ab_error *err)
{
    enum ab_status st = ab__eval_check_nonempty(path, err);
    if (st != AB_OK)
        return st;
    struct ab_csv_options opts = {.delim = '\t', .quoting = false, .allow_ragged = true};
    st = ab_csv_read(path, &opts, arena, &f->t, err);
    if (st != AB_OK)
        return st;
    f->path = path;
    if (f->t.n_rows == 0 || f->t.n_fields[0] == 0)
        return ab_error_set(err, AB_EPARSE, "'%s': empty file", path);
    f->t.cells[0] = strip_bom(f->t.cells[0]);
    return AB_OK;
}

/* Check widths and UTF-8 of rows [first, n_rows) against `expected` fields. */
static enum ab_status tsv_check(const struct tsv *f, size_t first, size_t expected, bool qqp_hint, struct ab_error *err)
{
    for (size_t r = 0; r < f->t.n_rows; r++) {
        if (r >= first && f->t.n_fields[r] != expected)
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu: ragged row: %zu fields, expected %zu%s", f->path,
                                tsv_line(f, r), f->t.n_fields[r], expected,
                                qqp_hint ? " (a tab or line break inside a question; QQP has such rows and "
                                           "other loaders drop them silently)"
                                         : "");
        for (size_t c = 0; c < f->t.n_fields[r]; c++) {
            const char *s = tsv_cell(f, r, c);
            size_t len = strlen(s);
            size_t bad = ab__eval_utf8_check(s, len);
            if (bad != len)
                return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': invalid UTF-8 at byte %zu", f->path,
                                    tsv_line(f, r), c < f->n_names ? f->names[c] : "?", bad + 1);
        }
    }
    if (f->t.n_rows <= first)
        return ab_error_set(err, AB_EPARSE, "'%s': no data rows after the header", f->path);
    return AB_OK;
}

static long tsv_find_col(const struct tsv *f, const char *name)
{
    for (size_t c = 0; c < f->t.n_fields[0]; c++)
        if (strcmp(tsv_cell(f, 0, c), name) == 0)
            return (long)c;
    return -1;
}

static const char cola_test_hint[] = "index";
static const char *const cola_names[] = {"source", "label", "judgment", "sentence"};

/* GLUE gold TSV -> items (class or score per example). */
static enum ab_status load_glue_gold(const struct ab_eval_task_info *info, const char *path, struct ab_arena *arena,
                                     struct ab__eval_items *out, struct ab_error *err)
{
    struct tsv f = {0};
    enum ab_status st = tsv_read(&f, path, arena, err);
    if (st != AB_OK)
        return st;
    size_t first = 1, label_col, n_expected;
    long index_col = -1;
    if (info->id == AB_EVAL_TASK_COLA) {
        /* CoLA train/dev have no header; its test split has "index\tsentence". */
        if (strcmp(tsv_cell(&f, 0, 0), cola_test_hint) == 0)
            return ab__eval_refuse_test_split(err, path, "label");
        first = 0;
        label_col = 1;
        n_expected = 4;
        f.names = cola_names;
        f.n_names = 4;
    } else {
        f.names = f.t.cells;
        f.n_names = f.t.n_fields[0];
        long c = tsv_find_col(&f, info->gold_column);
        if (c < 0)
            return ab__eval_refuse_test_split(err, path, info->gold_column);
        label_col = (size_t)c;
        index_col = tsv_find_col(&f, "index");
        n_expected = f.t.n_fields[0];
    }
    st = tsv_check(&f, first, n_expected, info->id == AB_EVAL_TASK_QQP, err);
    if (st != AB_OK)
        return st;
    for (size_t r = first; r < f.t.n_rows; r++) {
        struct ab__eval_item *x = ab__eval_items_push(out);
        if (x == NULL)
            return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", path);
        x->line = tsv_line(&f, r);
        x->key = (uint64_t)(r - first);
        if (index_col >= 0 && !parse_index(tsv_cell(&f, r, (size_t)index_col), &x->key))
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'index': not a non-negative integer '%.64s'",
                                path, x->line, tsv_cell(&f, r, (size_t)index_col));
        const char *label = tsv_cell(&f, r, label_col);
        const char *field = f.names[label_col];
        if (info->kind == AB_EVAL_KIND_REGRESS) {
            if (strcmp(label, "-1") == 0 || label[0] == '\0')
                return ab__eval_refuse_test_split(err, path, field);
            if (!parse_number(label, &x->value))
                return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': not a finite number '%.64s'", path,
                                    x->line, field, label);
        } else {
            x->cls = ab__eval_label_lookup(info->labels, label);
            if (x->cls < 0)
                return ab__eval_label_error(err, info, path, x->line, field, label, true);
        }
    }
    return AB_OK;
}

/* GLUE submission TSV: header with `index` and `prediction`. */
static enum ab_status load_glue_pred(const struct ab_eval_task_info *info, const char *path, struct ab_arena *arena,
                                     struct ab__eval_items *out, struct ab_error *err)
{
    struct tsv f = {0};
    enum ab_status st = tsv_read(&f, path, arena, err);
    if (st != AB_OK)
        return st;
    f.names = f.t.cells;
    f.n_names = f.t.n_fields[0];
    long index_col = tsv_find_col(&f, "index"), pred_col = tsv_find_col(&f, "prediction");
    if (index_col < 0 || pred_col < 0)
        return ab_error_set(err, AB_EPARSE,
                            "'%s' line %zu: the header must name the columns 'index' and 'prediction' "
                            "(the leaderboard submission layout)",
                            path, tsv_line(&f, 0));
    st = tsv_check(&f, 1, f.t.n_fields[0], false, err);
    if (st != AB_OK)
        return st;
    for (size_t r = 1; r < f.t.n_rows; r++) {
        struct ab__eval_item *x = ab__eval_items_push(out);
        if (x == NULL)
            return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", path);
        x->line = tsv_line(&f, r);
        const char *index = tsv_cell(&f, r, (size_t)index_col);
        if (!parse_index(index, &x->key))
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'index': not a non-negative integer '%.64s'",
                                path, x->line, index);
        const char *pred = tsv_cell(&f, r, (size_t)pred_col);
        if (info->kind == AB_EVAL_KIND_REGRESS) {
            if (!parse_number(pred, &x->value))
                return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'prediction': not a finite number '%.64s'",
                                    path, x->line, pred);
        } else {
            x->cls = ab__eval_label_lookup(info->labels, pred);
            if (x->cls < 0)
                return ab__eval_label_error(err, info, path, x->line, "prediction", pred, false);
        }
    }
    return AB_OK;
}
enum ab_status ab__eval_load_glue(const struct ab_eval_task_info *info, const char *path, bool gold,
                                  struct ab_arena *arena, struct ab__eval_items *out, struct ab_error *err)
{
    return gold ? load_glue_gold(info, path, arena, out, err) : load_glue_pred(info, path, arena, out, err);
}
