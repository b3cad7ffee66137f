/*
 * eval_load.c - read a task's gold file and a prediction file, check them, and join
 * them by index into the per-unit form of eval_internal.h.
 *
 * GLUE files are TSV read with quoting off and no trimming (their quotes are literal
 * text), SuperGLUE files are JSON lines parsed with cJSON. Nothing is silently dropped
 * or guessed: a BOM is stripped, but invalid UTF-8, ragged rows, unknown labels, bad or
 * duplicate indexes, predictions for unknown examples and examples without a
 * prediction are each an error naming the file, the line and the field. Joining is by
 * the index, never by line order; a gold file without an index column (CoLA, SST-2,
 * MRPC, QQP, AX) is indexed by data row, 0-based, as the submission files are.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "archbench/report.h"
#include "eval_internal.h"

/* One gold or predicted example before the join. */
struct item {
    uint64_t key;      /* index / idx; MultiRC: packed (paragraph, question, answer) */
    uint64_t group;    /* AX-g pair_id; MultiRC: packed (paragraph, question) */
    double value;      /* STS-B score */
    size_t line;
    int cls;           /* class id */
    uint32_t n_text;   /* ReCoRD: number of texts (gold answers or the prediction) */
    const char **text; /* ReCoRD: arena-owned strings */
};

struct items {
    struct item *v;
    size_t n, cap;
};

static struct item *items_push(struct items *it)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? 2 * it->cap : 256;
        struct item *v = ab_realloc(it->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        it->v = v;
        it->cap = cap;
    }
    struct item *x = &it->v[it->n++];
    memset(x, 0, sizeof *x);
    return x;
}

static void items_free(struct items *it)
{
    ab_free(it->v);
    it->v = NULL;
    it->n = it->cap = 0;
}

/* ---- labels ------------------------------------------------------------------------------------- */

/* Class id of s among the task's spellings ("a|A,b|B"); -1 if none matches. */
static int label_lookup(const char *spec, const char *s)
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

static enum ab_status label_error(struct ab_error *err, const struct ab_eval_task_info *info, const char *path,
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

/* ---- files -------------------------------------------------------------------------------------- */

static enum ab_status check_nonempty(const char *path, struct ab_error *err)
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
    enum ab_status st = check_nonempty(path, err);
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

static enum ab_status refuse_test_split(struct ab_error *err, const char *path, const char *column)
{
    return ab_error_set(err, AB_EINVAL,
                        "'%s' has no gold label column '%s': it looks like a test split, whose labels are "
                        "private; score the labelled dev split instead",
                        path, column);
}

/* GLUE gold TSV -> items (class or score per example). */
static enum ab_status load_glue_gold(const struct ab_eval_task_info *info, const char *path, struct ab_arena *arena,
                                     struct items *out, struct ab_error *err)
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
            return refuse_test_split(err, path, "label");
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
            return refuse_test_split(err, path, info->gold_column);
        label_col = (size_t)c;
        index_col = tsv_find_col(&f, "index");
        n_expected = f.t.n_fields[0];
    }
    st = tsv_check(&f, first, n_expected, info->id == AB_EVAL_TASK_QQP, err);
    if (st != AB_OK)
        return st;
    for (size_t r = first; r < f.t.n_rows; r++) {
        struct item *x = items_push(out);
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
                return refuse_test_split(err, path, field);
            if (!parse_number(label, &x->value))
                return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': not a finite number '%.64s'", path,
                                    x->line, field, label);
        } else {
            x->cls = label_lookup(info->labels, label);
            if (x->cls < 0)
                return label_error(err, info, path, x->line, field, label, true);
        }
    }
    return AB_OK;
}

/* GLUE submission TSV: header with `index` and `prediction`. */
static enum ab_status load_glue_pred(const struct ab_eval_task_info *info, const char *path, struct ab_arena *arena,
                                     struct items *out, struct ab_error *err)
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
        struct item *x = items_push(out);
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
            x->cls = label_lookup(info->labels, pred);
            if (x->cls < 0)
                return label_error(err, info, path, x->line, "prediction", pred, false);
        }
    }
    return AB_OK;
}

/* ---- JSON lines ----------------------------------------------------------------------------------- */

typedef enum ab_status (*jsonl_row_fn)(void *ctx, const cJSON *obj, size_t line, struct ab_error *err);

static enum ab_status read_jsonl(const char *path, jsonl_row_fn fn, void *ctx, struct ab_error *err)
{
    enum ab_status st = check_nonempty(path, err);
    if (st != AB_OK)
        return st;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return ab_error_set(err, AB_EIO, "cannot open '%s': %s", path, strerror(errno));
    for (;;) {
        if (cap - n < 65536) {
            size_t new_cap = cap ? 2 * cap : 1u << 20;
            char *p = ab_realloc(buf, new_cap + 1);
            if (p == NULL) {
                st = ab_error_set(err, AB_ENOMEM, "out of memory reading '%s'", path);
                goto cleanup;
            }
            buf = p;
            cap = new_cap;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        st = ab_error_set(err, AB_EIO, "cannot read '%s': %s", path, strerror(errno));
        goto cleanup;
    }
    buf[n] = '\0';
    ab_json_use_shim();
    size_t at = (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    size_t line = 0, n_objects = 0;
    while (at < n) {
        line++;
        char *nl = memchr(buf + at, '\n', n - at);
        size_t len = nl ? (size_t)(nl - (buf + at)) : n - at;
        char *s = buf + at;
        at += len + (nl != NULL);
        if (len > 0 && s[len - 1] == '\r')
            len--;
        size_t blank = 0;
        while (blank < len && (s[blank] == ' ' || s[blank] == '\t'))
            blank++;
        if (blank == len)
            continue;   /* blank lines carry nothing; a trailing newline makes one */
        size_t bad = ab__eval_utf8_check(s, len);
        if (bad != len) {
            st = ab_error_set(err, AB_EPARSE, "'%s' line %zu: invalid UTF-8 at byte %zu", path, line, bad + 1);
            goto cleanup;
        }
        const char *end = NULL;
        cJSON *obj = cJSON_ParseWithLengthOpts(s, len, &end, false);
        if (obj == NULL) {
            size_t where = end ? (size_t)(end - s) + 1 : 0;
            const char *ep = cJSON_GetErrorPtr();
            if (!end && ep && ep >= s && ep <= s + len)
                where = (size_t)(ep - s) + 1;
            st = ab_error_set(err, AB_EPARSE, "'%s' line %zu: malformed JSON near byte %zu", path, line, where);
            goto cleanup;
        }
        if (!cJSON_IsObject(obj)) {
            cJSON_Delete(obj);
            st = ab_error_set(err, AB_EPARSE, "'%s' line %zu: expected a JSON object", path, line);
            goto cleanup;
        }
        st = fn(ctx, obj, line, err);
        cJSON_Delete(obj);
        if (st != AB_OK)
            goto cleanup;
        n_objects++;
    }
    if (n_objects == 0)
        st = ab_error_set(err, AB_EPARSE, "'%s': empty file (no JSON objects)", path);
cleanup:
    fclose(fp);
    ab_free(buf);
    return st;
}

/* Label as text: JSON true/false -> "true"/"false", integers -> decimal, strings as is. */
static bool json_label_text(const cJSON *v, char *buf, size_t cap, const char **out)
{
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v) ? "true" : "false";
        return true;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d != floor(d) || fabs(d) > 1e15)
            return false;
        snprintf(buf, cap, "%lld", (long long)d);
        *out = buf;
        return true;
    }
    if (cJSON_IsString(v) && v->valuestring) {
        *out = v->valuestring;
        return true;
    }
    return false;
}

static bool json_index(const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    if (d < 0.0 || d != floor(d) || d > 9007199254740992.0)
        return false;
    *out = (uint64_t)d;
    return true;
}

struct jctx {
    const struct ab_eval_task_info *info;
    const char *path;
    bool gold;
    struct items *out;
    struct ab_arena *arena;
};

static enum ab_status index_error(struct ab_error *err, const char *path, size_t line, const char *field,
                                  const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL)
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': missing", path, line, field);
    return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': not a non-negative integer", path, line, field);
}

static enum ab_status class_label(const struct jctx *c, const cJSON *obj, size_t line, const char *field,
                                  const char *key, int *out_cls, struct ab_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL) {
        if (c->gold)
            return refuse_test_split(err, c->path, field);
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': missing", c->path, line, field);
    }
    char buf[32];
    const char *text;
    if (!json_label_text(v, buf, sizeof buf, &text))
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': not a label (expected a string, number or "
                            "boolean)", c->path, line, field);
    int cls = label_lookup(c->info->labels, text);
    if (cls < 0)
        return label_error(err, c->info, c->path, line, field, text, c->gold);
    *out_cls = cls;
    return AB_OK;
}

/* SuperGLUE one-label-per-line tasks (gold and predictions). */
static enum ab_status sg_class_row(void *ctx, const cJSON *obj, size_t line, struct ab_error *err)
{
    struct jctx *c = ctx;
    struct item *x = items_push(c->out);
    if (x == NULL)
        return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
    x->line = line;
    if (!json_index(obj, "idx", &x->key))
        return index_error(err, c->path, line, "idx", obj, "idx");
    enum ab_status st = class_label(c, obj, line, "label", "label", &x->cls, err);
    if (st != AB_OK)
        return st;
    if (c->gold && c->info->kind == AB_EVAL_KIND_PAIRS && !json_index(obj, "pair_id", &x->group))
        return index_error(err, c->path, line, "pair_id", obj, "pair_id");
    return AB_OK;
}

#define MRC_BITS 21
#define MRC_LIMIT (UINT64_C(1) << MRC_BITS)

/* MultiRC: one paragraph per line, answers nested in questions (gold and predictions alike). */
static enum ab_status multirc_row(void *ctx, const cJSON *obj, size_t line, struct ab_error *err)
{
    struct jctx *c = ctx;
    uint64_t p, q, a;
    if (!json_index(obj, "idx", &p) || p >= MRC_LIMIT)
        return index_error(err, c->path, line, "idx", obj, "idx");
    const cJSON *passage = cJSON_GetObjectItemCaseSensitive(obj, "passage");
    const cJSON *questions = cJSON_GetObjectItemCaseSensitive(passage, "questions");
    if (!cJSON_IsArray(questions))
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'passage.questions': missing or not an array",
                            c->path, line);
    size_t qi = 0;
    for (const cJSON *qo = questions->child; qo; qo = qo->next, qi++) {
        char field[96];
        snprintf(field, sizeof field, "passage.questions[%zu].idx", qi);
        if (!json_index(qo, "idx", &q) || q >= MRC_LIMIT)
            return index_error(err, c->path, line, field, qo, "idx");
        const cJSON *answers = cJSON_GetObjectItemCaseSensitive(qo, "answers");
        if (!cJSON_IsArray(answers))
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'passage.questions[%zu].answers': missing or "
                                "not an array", c->path, line, qi);
        size_t ai = 0;
        for (const cJSON *ao = answers->child; ao; ao = ao->next, ai++) {
            snprintf(field, sizeof field, "passage.questions[%zu].answers[%zu].idx", qi, ai);
            if (!json_index(ao, "idx", &a) || a >= MRC_LIMIT)
                return index_error(err, c->path, line, field, ao, "idx");
            struct item *x = items_push(c->out);
            if (x == NULL)
                return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
            x->line = line;
            x->key = (p << (2 * MRC_BITS)) | (q << MRC_BITS) | a;
            x->group = (p << MRC_BITS) | q;
            snprintf(field, sizeof field, "passage.questions[%zu].answers[%zu].label", qi, ai);
            enum ab_status st = class_label(c, ao, line, field, "label", &x->cls, err);
            if (st != AB_OK)
                return st;
        }
    }
    return AB_OK;
}

/* ReCoRD gold: queries with their gold answer texts. */
static enum ab_status record_gold_row(void *ctx, const cJSON *obj, size_t line, struct ab_error *err)
{
    struct jctx *c = ctx;
    const cJSON *qas = cJSON_GetObjectItemCaseSensitive(obj, "qas");
    if (!cJSON_IsArray(qas))
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'qas': missing or not an array", c->path, line);
    size_t qi = 0;
    for (const cJSON *qo = qas->child; qo; qo = qo->next, qi++) {
        char field[64];
        snprintf(field, sizeof field, "qas[%zu].idx", qi);
        struct item *x = items_push(c->out);
        if (x == NULL)
            return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
        x->line = line;
        if (!json_index(qo, "idx", &x->key))
            return index_error(err, c->path, line, field, qo, "idx");
        const cJSON *answers = cJSON_GetObjectItemCaseSensitive(qo, "answers");
        if (answers == NULL)
            return refuse_test_split(err, c->path, "qas[].answers");
        int n_answers = cJSON_GetArraySize(answers);
        if (!cJSON_IsArray(answers) || n_answers == 0)
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'qas[%zu].answers': no gold answers", c->path,
                                line, qi);
        x->text = ab_arena_alloc(c->arena, (size_t)n_answers * sizeof *x->text, sizeof *x->text);
        if (x->text == NULL)
            return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
        size_t ai = 0;
        for (const cJSON *ao = answers->child; ao; ao = ao->next, ai++) {
            const cJSON *text = cJSON_GetObjectItemCaseSensitive(ao, "text");
            if (!cJSON_IsString(text) || text->valuestring == NULL)
                return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'qas[%zu].answers[%zu].text': missing or "
                                    "not a string", c->path, line, qi, ai);
            x->text[ai] = ab_arena_strndup(c->arena, text->valuestring, strlen(text->valuestring));
            if (x->text[ai] == NULL)
                return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
        }
        x->n_text = (uint32_t)n_answers;
    }
    return AB_OK;
}

/* ReCoRD prediction: {"idx": query, "label": "entity text"}. */
static enum ab_status record_pred_row(void *ctx, const cJSON *obj, size_t line, struct ab_error *err)
{
    struct jctx *c = ctx;
    struct item *x = items_push(c->out);
    if (x == NULL)
        return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
    x->line = line;
    if (!json_index(obj, "idx", &x->key))
        return index_error(err, c->path, line, "idx", obj, "idx");
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(obj, "label");
    if (!cJSON_IsString(label) || label->valuestring == NULL)
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'label': %s", c->path, line,
                            label ? "not a string (ReCoRD predicts an entity's text)" : "missing");
    x->text = ab_arena_alloc(c->arena, sizeof *x->text, sizeof *x->text);
    if (x->text == NULL)
        return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
    x->text[0] = ab_arena_strndup(c->arena, label->valuestring, strlen(label->valuestring));
    if (x->text[0] == NULL)
        return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
    x->n_text = 1;
    return AB_OK;
}

/* ---- the join ----------------------------------------------------------------------------------- */

static void describe_key(const struct ab_eval_task_info *info, uint64_t key, char *buf, size_t cap)
{
    if (info->kind == AB_EVAL_KIND_MULTIRC)
        snprintf(buf, cap, "paragraph %" PRIu64 " question %" PRIu64 " answer %" PRIu64, key >> (2 * MRC_BITS),
                 (key >> MRC_BITS) & (MRC_LIMIT - 1), key & (MRC_LIMIT - 1));
    else
        snprintf(buf, cap, "%" PRIu64, key);
}

/*
 * For each gold item, the position of its prediction in `pred` (out_match). Errors:
 * duplicate gold index, prediction for an unknown index, duplicate prediction, and gold
 * examples without a prediction.
 */
static enum ab_status join(const struct ab_eval_task_info *info, const char *gold_path, const struct items *gold,
                           const char *pred_path, const struct items *pred, struct ab_arena *arena,
                           uint32_t **out_match, struct ab_error *err)
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

/* ---- building units ------------------------------------------------------------------------------ */

static enum ab_status build_class(struct ab_eval_data *d, const struct items *gold, const struct items *pred,
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

static enum ab_status build_regress(struct ab_eval_data *d, const struct items *gold, const struct items *pred,
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

static enum ab_status build_pairs(struct ab_eval_data *d, const struct items *gold, const struct items *pred,
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

static enum ab_status build_multirc(struct ab_eval_data *d, const struct items *gold, const struct items *pred,
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

static enum ab_status build_record(struct ab_eval_data *d, const struct items *gold, const struct items *pred,
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
        const struct item *p = &pred->v[match[i]];
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

/* ---- public -------------------------------------------------------------------------------------- */

static enum ab_status load_side(struct ab_eval_data *d, const char *path, bool gold, struct items *out,
                                struct ab_error *err)
{
    const struct ab_eval_task_info *info = d->info;
    if (info->suite == AB_EVAL_SUITE_GLUE)
        return gold ? load_glue_gold(info, path, &d->arena, out, err) : load_glue_pred(info, path, &d->arena, out, err);
    struct jctx c = {.info = info, .path = path, .gold = gold, .out = out, .arena = &d->arena};
    jsonl_row_fn fn;
    switch (info->kind) {
    case AB_EVAL_KIND_MULTIRC:
        fn = multirc_row;
        break;
    case AB_EVAL_KIND_RECORD:
        fn = gold ? record_gold_row : record_pred_row;
        break;
    default:
        fn = sg_class_row;
        break;
    }
    return read_jsonl(path, fn, &c, err);
}

enum ab_status ab_eval_load(enum ab_eval_task task, const char *gold_path, const char *pred_path,
                            struct ab_eval_data **out_data, struct ab_error *err)
{
    const struct ab_eval_task_info *info = ab_eval_task_info(task);
    if (info == NULL || gold_path == NULL || pred_path == NULL || out_data == NULL)
        return ab_error_set(err, AB_EINVAL, "ab_eval_load: bad arguments");
    enum ab_status st;
    struct items gold = {0}, pred = {0};
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
    st = join(info, gold_path, &gold, pred_path, &pred, &d->arena, &match, err);
    if (st != AB_OK)
        goto cleanup;
    switch (info->kind) {
    case AB_EVAL_KIND_CLASS:
        st = build_class(d, &gold, &pred, match, err);
        break;
    case AB_EVAL_KIND_REGRESS:
        st = build_regress(d, &gold, &pred, match, err);
        break;
    case AB_EVAL_KIND_PAIRS:
        st = build_pairs(d, &gold, &pred, match, err);
        break;
    case AB_EVAL_KIND_MULTIRC:
        st = build_multirc(d, &gold, &pred, match, err);
        break;
    case AB_EVAL_KIND_RECORD:
        st = build_record(d, &gold, &pred, match, err);
        break;
    default:
        st = ab_error_set(err, AB_ENOTSUP, "task '%s': unknown kind", info->name);
        break;
    }
    if (st != AB_OK)
        goto cleanup;
    items_free(&gold);
    items_free(&pred);
    *out_data = d;
    return AB_OK;
cleanup:
    items_free(&gold);
    items_free(&pred);
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

/* ---- in-memory construction (simulations, tests) ------------------------------------------------ */

static enum ab_status from_arrays(enum ab_eval_task task, const int *gold_cls, const int *pred_cls, const double *gold_v,
                                  const double *pred_v, size_t n, struct ab_eval_data **out_data)
{
    const struct ab_eval_task_info *info = ab_eval_task_info(task);
    if (info == NULL || n == 0 || n >= UINT32_MAX ||
        (info->kind != AB_EVAL_KIND_CLASS && info->kind != AB_EVAL_KIND_REGRESS))
        return AB_EINVAL;
    enum ab_status st = AB_OK;
    struct items gold = {0}, pred = {0};
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
        struct item *g = items_push(&gold), *p = items_push(&pred);
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
    items_free(&gold);
    items_free(&pred);
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
