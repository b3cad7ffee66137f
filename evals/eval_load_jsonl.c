/*
 * eval_load_jsonl.c - SuperGLUE's JSON lines files (gold val splits and submissions)
 * into items, one cJSON object per line: one label per line for most tasks, MultiRC's
 * answers nested in questions in paragraphs, ReCoRD's queries with their answer texts.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "archbench/report.h"
#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "eval_internal.h"

/* ---- JSON lines ----------------------------------------------------------------------------------- */

typedef enum ab_status (*jsonl_row_fn)(void *ctx, const cJSON *obj, size_t line, struct ab_error *err);

/*
 * Offset of the first \u0000 escape in a line of JSON, or len. cJSON decodes it into a
 * NUL byte that ends the C string early, so "entailment\u0000junk" would be read as the
 * label "entailment": such a string is refused instead. Backslashes occur only inside
 * strings in valid JSON; an escaped character (an escaped backslash too) is skipped as
 * a pair, so "\\u0000" (a backslash, then text) is not taken for the escape.
 */
static size_t json_nul_escape(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
            return i;
        i++;
    }
    return len;
}

static enum ab_status read_jsonl(const char *path, jsonl_row_fn fn, void *ctx, struct ab_error *err)
{
    enum ab_status st = ab__eval_check_nonempty(path, err);
    if (st != AB_OK)
        return st;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return ab_error_set(err, AB_EIO, "cannot open '%s': %s", path, strerror(errno));
    /* Start at the file's size (small files are the common case; a fixed 1 MiB first
     * block made each load of a 2 KB file touch a megabyte), grow if it grew. */
    struct stat sb;
    size_t first_cap = fstat(fileno(fp), &sb) == 0 && sb.st_size > 0 && (uint64_t)sb.st_size < SIZE_MAX / 4
                           ? (size_t)sb.st_size + 4096
                           : 1u << 20;
    for (;;) {
        if (cap - n < 4096) {
            size_t new_cap = cap ? 2 * cap : first_cap;
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
        /* The object must be the whole line: "{...}," (a JSON array's element pasted
         * as a line) or two objects on one line are refused, not read as the first. */
        size_t tail = (size_t)(end - s);
        while (tail < len && (s[tail] == ' ' || s[tail] == '\t'))
            tail++;
        if (tail < len) {
            cJSON_Delete(obj);
            st = ab_error_set(err, AB_EPARSE, "'%s' line %zu: text after the JSON object at byte %zu", path, line,
                              tail + 1);
            goto cleanup;
        }
        size_t nul = json_nul_escape(s, len);
        if (nul < len) {
            cJSON_Delete(obj);
            st = ab_error_set(err, AB_EPARSE, "'%s' line %zu: a string holds a NUL character (\\u0000) at byte %zu",
                              path, line, nul + 1);
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
    struct ab__eval_items *out;
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
            return ab__eval_refuse_test_split(err, c->path, field);
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': missing", c->path, line, field);
    }
    char buf[32];
    const char *text;
    if (!json_label_text(v, buf, sizeof buf, &text))
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu field '%s': not a label (expected a string, number or "
                            "boolean)", c->path, line, field);
    int cls = ab__eval_label_lookup(c->info->labels, text);
    if (cls < 0)
        return ab__eval_label_error(err, c->info, c->path, line, field, text, c->gold);
    *out_cls = cls;
    return AB_OK;
}

/* SuperGLUE one-label-per-line tasks (gold and predictions). */
static enum ab_status sg_class_row(void *ctx, const cJSON *obj, size_t line, struct ab_error *err)
{
    struct jctx *c = ctx;
    struct ab__eval_item *x = ab__eval_items_push(c->out);
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


/* MultiRC: one paragraph per line, answers nested in questions (gold and predictions alike). */
static enum ab_status multirc_row(void *ctx, const cJSON *obj, size_t line, struct ab_error *err)
{
    struct jctx *c = ctx;
    uint64_t p, q, a;
    if (!json_index(obj, "idx", &p) || p >= AB__EVAL_MRC_LIMIT)
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
        if (!json_index(qo, "idx", &q) || q >= AB__EVAL_MRC_LIMIT)
            return index_error(err, c->path, line, field, qo, "idx");
        const cJSON *answers = cJSON_GetObjectItemCaseSensitive(qo, "answers");
        if (!cJSON_IsArray(answers))
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu field 'passage.questions[%zu].answers': missing or "
                                "not an array", c->path, line, qi);
        size_t ai = 0;
        for (const cJSON *ao = answers->child; ao; ao = ao->next, ai++) {
            snprintf(field, sizeof field, "passage.questions[%zu].answers[%zu].idx", qi, ai);
            if (!json_index(ao, "idx", &a) || a >= AB__EVAL_MRC_LIMIT)
                return index_error(err, c->path, line, field, ao, "idx");
            struct ab__eval_item *x = ab__eval_items_push(c->out);
            if (x == NULL)
                return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
            x->line = line;
            x->key = (p << (2 * AB__EVAL_MRC_BITS)) | (q << AB__EVAL_MRC_BITS) | a;
            x->group = (p << AB__EVAL_MRC_BITS) | q;
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
        struct ab__eval_item *x = ab__eval_items_push(c->out);
        if (x == NULL)
            return ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", c->path);
        x->line = line;
        if (!json_index(qo, "idx", &x->key))
            return index_error(err, c->path, line, field, qo, "idx");
        const cJSON *answers = cJSON_GetObjectItemCaseSensitive(qo, "answers");
        if (answers == NULL)
            return ab__eval_refuse_test_split(err, c->path, "qas[].answers");
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
    struct ab__eval_item *x = ab__eval_items_push(c->out);
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

enum ab_status ab__eval_load_superglue(const struct ab_eval_task_info *info, const char *path, bool gold,
                                       struct ab_arena *arena, struct ab__eval_items *out, struct ab_error *err)
{
    struct jctx c = {.info = info, .path = path, .gold = gold, .out = out, .arena = arena};
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
