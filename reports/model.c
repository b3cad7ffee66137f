/*
 * model.c - loader of model configurations (datasets/models/<id>.json, format in its
 * README.md) into struct ab_model.
 *
 * One table lists every field: its JSON path, type and range. The file is walked in
 * its own order, so ab_model.fields keeps that order for the report; which fields a
 * configuration needs depends on others (MLA dims only with MLA attention, the
 * threshold only with threshold routing), which is checked once everything is read.
 * Strict on purpose: an unknown or inapplicable field is an error rather than ignored,
 * so a typo cannot silently leave a default in a figure a claim is tested against.
 */
#include <assert.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archbench/alloc.h"
#include "archbench/model.h"
#include "archbench/report.h"

enum kind { K_INT, K_NUM, K_BOOL, K_ENUM };

#define N_PRECISIONS 5

static const char *const attn_names[] = {"mha", "linear_elu1", "lsh", "mla"};
static const char *const router_names[] = {"dense", "softmax_topk", "threshold", "sigmoid_topk"};
static const char *const norm_names[] = {"layernorm", "rmsnorm"};
static const char *const act_names[] = {"swiglu", "gelu"};
static const char *const precision_names[] = {"fp32", "fp16", "bf16", "fp8", "int8"};
static const double precision_bytes[] = {4.0, 2.0, 2.0, 1.0, 1.0};
static_assert(sizeof attn_names / sizeof attn_names[0] == AB_MODEL_ATTN_COUNT, "one name per attention kind");
static_assert(sizeof router_names / sizeof router_names[0] == AB_MODEL_ROUTER_COUNT, "one name per router");
static_assert(sizeof norm_names / sizeof norm_names[0] == AB_MODEL_NORM_COUNT, "one name per norm");
static_assert(sizeof act_names / sizeof act_names[0] == AB_MOE_ACT_COUNT, "one name per activation");
static_assert(sizeof precision_names / sizeof precision_names[0] == N_PRECISIONS, "N_PRECISIONS");
static_assert(sizeof precision_bytes / sizeof precision_bytes[0] == N_PRECISIONS, "one size per precision");


/* Ranges are wide sanity bounds: they catch a unit slip (bytes for a count), not taste. */
#define FIELD_LIST(X)                                                                         \
    X(LAYERS, "layers", K_INT, 1, 1e4, NULL, 0)                                               \
    X(D_MODEL, "d_model", K_INT, 1, 1e6, NULL, 0)                                             \
    X(HEADS, "heads", K_INT, 1, 1e5, NULL, 0)                                                 \
    X(HEAD_DIM, "head_dim", K_INT, 1, 65536, NULL, 0)                                         \
    X(KV_HEADS, "kv_heads", K_INT, 1, 1e5, NULL, 0)                                           \
    X(ATTN, "attention", K_ENUM, 0, 0, attn_names, AB_MODEL_ATTN_COUNT)                                     \
    X(D_FF, "d_ff", K_INT, 1, 1e7, NULL, 0)                                                   \
    X(ACT, "act", K_ENUM, 0, 0, act_names, AB_MOE_ACT_COUNT)                                             \
    X(DENSE_LAYERS, "dense_layers", K_INT, 0, 1e4, NULL, 0)                                   \
    X(DENSE_D_FF, "dense_d_ff", K_INT, 1, 1e7, NULL, 0)                                       \
    X(EXPERTS, "experts", K_INT, 1, 1 << 20, NULL, 0)                                         \
    X(SHARED, "shared_experts", K_INT, 0, 1 << 20, NULL, 0)                                   \
    X(ROUTER, "router", K_ENUM, 0, 0, router_names, AB_MODEL_ROUTER_COUNT)                                    \
    X(K, "experts_per_token", K_NUM, 1e-9, 1 << 20, NULL, 0)                                  \
    X(THRESHOLD, "threshold", K_NUM, 1e-9, 1.0 - 1e-9, NULL, 0)                               \
    X(RENORM, "renormalise", K_BOOL, 0, 0, NULL, 0)                                           \
    X(VOCAB, "vocab", K_INT, 1, 1e8, NULL, 0)                                                 \
    X(UNTIED, "untied_head", K_BOOL, 0, 0, NULL, 0)                                           \
    X(ROPE, "rope", K_BOOL, 0, 0, NULL, 0)                                                    \
    X(NORM, "norm", K_ENUM, 0, 0, norm_names, AB_MODEL_NORM_COUNT)                                          \
    X(OFFLOAD, "offload_inactive_experts", K_BOOL, 0, 0, NULL, 0)                             \
    X(MLA_Q, "mla.q_lora_rank", K_INT, 0, 1e6, NULL, 0)                                       \
    X(MLA_KV, "mla.kv_lora_rank", K_INT, 1, 1e6, NULL, 0)                                     \
    X(MLA_NOPE, "mla.qk_nope_dim", K_INT, 0, 65536, NULL, 0)                                  \
    X(MLA_ROPE, "mla.qk_rope_dim", K_INT, 0, 65536, NULL, 0)                                  \
    X(MLA_V, "mla.v_head_dim", K_INT, 1, 65536, NULL, 0)                                      \
    X(LSH_BUCKET, "lsh.bucket_size", K_INT, 1, 1 << 24, NULL, 0)                              \
    X(LSH_ROUNDS, "lsh.rounds", K_INT, 1, 1024, NULL, 0)                                      \
    X(LIN_FEAT, "linear.feature_dim", K_INT, 1, 1 << 20, NULL, 0)                             \
    X(PREC_W, "precision.weights", K_ENUM, 0, 0, precision_names, N_PRECISIONS)                      \
    X(PREC_KV, "precision.kv_cache", K_ENUM, 0, 0, precision_names, N_PRECISIONS)                    \
    X(PREC_ACT, "precision.activations", K_ENUM, 0, 0, precision_names, N_PRECISIONS)

enum field_id {
#define X_ID(id, path, kind, lo, hi, names, n_names) F_##id,
    FIELD_LIST(X_ID)
#undef X_ID
    F_COUNT
};

struct spec {
    const char *path;
    enum kind kind;
    double lo, hi;  /* K_INT, K_NUM: inclusive bounds */
    const char *const *names;
    size_t n_names;
};

static const struct spec specs[F_COUNT] = {
#define X_SPEC(id, path, kind, lo, hi, names, n_names) {path, kind, lo, hi, names, n_names},
    FIELD_LIST(X_SPEC)
#undef X_SPEC
};

/* Objects whose members are fields ("mla": {"kv_lora_rank": {...}}), not fields. */
static const char *const groups[] = {"mla", "lsh", "linear", "precision"};

struct slot {
    bool present;
    double num;  /* K_INT, K_NUM; K_BOOL 0/1; K_ENUM the index into names */
};

struct loader {
    const char *path;
    struct ab_error *err;
    struct ab_model *m;
    struct slot v[F_COUNT];
};

static enum ab_status bad(struct loader *ld, const char *field, const char *what)
{
    return ab_error_set(ld->err, AB_EPARSE, "'%s': field \"%s\": %s", ld->path, field, what);
}

static enum field_id find_field(const char *path)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strcmp(specs[f].path, path) == 0)
            return (enum field_id)f;
    return F_COUNT;
}

static bool is_group(const char *key)
{
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (strcmp(groups[i], key) == 0)
            return true;
    return false;
}

/* The typed value of one field; its text for the report into out_text. */
static enum ab_status parse_value(struct loader *ld, enum field_id f, const cJSON *val, char *out_text,
                                  size_t text_size)
{
    const struct spec *s = &specs[f];
    char msg[160];
    switch (s->kind) {
    case K_INT:
    case K_NUM: {
        if (!cJSON_IsNumber(val))
            return bad(ld, s->path, s->kind == K_INT ? "\"value\" must be an integer" : "\"value\" must be a number");
        double x = val->valuedouble;
        if (s->kind == K_INT && x != floor(x))
            return bad(ld, s->path, "\"value\" must be an integer");
        if (!(x >= s->lo && x <= s->hi)) {
            snprintf(msg, sizeof msg, "value %g out of range [%g, %g]", x, s->lo, s->hi);
            return bad(ld, s->path, msg);
        }
        ld->v[f].num = x;
        snprintf(out_text, text_size, s->kind == K_INT ? "%.0f" : "%g", x);
        return AB_OK;
    }
    case K_BOOL:
        if (!cJSON_IsBool(val))
            return bad(ld, s->path, "\"value\" must be true or false");
        ld->v[f].num = cJSON_IsTrue(val) ? 1.0 : 0.0;
        snprintf(out_text, text_size, "%s", cJSON_IsTrue(val) ? "true" : "false");
        return AB_OK;
    case K_ENUM:
        if (cJSON_IsString(val))
            for (size_t i = 0; i < s->n_names; i++)
                if (strcmp(val->valuestring, s->names[i]) == 0) {
                    ld->v[f].num = (double)i;
                    snprintf(out_text, text_size, "%s", s->names[i]);
                    return AB_OK;
                }
        {
            size_t len = (size_t)snprintf(msg, sizeof msg, "\"value\" must be one of");
            for (size_t i = 0; i < s->n_names && len < sizeof msg; i++)
                len += (size_t)snprintf(msg + len, sizeof msg - len, "%s \"%s\"", i ? "," : "", s->names[i]);
        }
        return bad(ld, s->path, msg);
    }
    return bad(ld, s->path, "unknown kind");
}

/* {"value": V, "given": "where"} or {"value": V, "assumed": "why"}. */
static enum ab_status parse_field(struct loader *ld, const char *path, const cJSON *obj)
{
    enum field_id f = find_field(path);
    if (f == F_COUNT)
        return bad(ld, path, "unknown field");
    if (ld->v[f].present)
        return bad(ld, path, "appears twice");
    if (!cJSON_IsObject(obj))
        return bad(ld, path, "must be an object {\"value\": ..., \"given\" or \"assumed\": \"...\"}");
    if (ld->m->n_fields >= AB_MODEL_MAX_FIELDS)
        return bad(ld, path, "more fields than a configuration may hold");
    struct ab_model_field *out = &ld->m->fields[ld->m->n_fields];
    const cJSON *val = NULL, *given = NULL, *assumed = NULL, *it;
    cJSON_ArrayForEach(it, obj)
    {
        const cJSON **dst = strcmp(it->string, "value") == 0     ? &val
                            : strcmp(it->string, "given") == 0   ? &given
                            : strcmp(it->string, "assumed") == 0 ? &assumed
                                                                 : NULL;
        char sub[112];
        snprintf(sub, sizeof sub, "%s.%s", path, it->string);
        if (!dst)
            return bad(ld, sub, "unknown field (a value has \"value\" and \"given\" or \"assumed\")");
        if (*dst)
            return bad(ld, sub, "appears twice");
        *dst = it;
    }
    if (!val)
        return bad(ld, path, "no \"value\"");
    if (!given && !assumed)
        return bad(ld, path, "neither \"given\" nor \"assumed\": every value says where it comes from");
    if (given && assumed)
        return bad(ld, path, "both \"given\" and \"assumed\"");
    const cJSON *why = given ? given : assumed;
    if (!cJSON_IsString(why) || !why->valuestring[0])
        return bad(ld, path, given ? "\"given\" must be a non-empty string (the source)"
                                   : "\"assumed\" must be a non-empty string (the reason)");
    if (strlen(why->valuestring) >= sizeof out->why)
        return bad(ld, path, "source or reason longer than 255 bytes");
    enum ab_status st = parse_value(ld, f, val, out->value, sizeof out->value);
    if (st != AB_OK)
        return st;
    ld->v[f].present = true;
    snprintf(out->name, sizeof out->name, "%s", path);
    out->assumed = assumed != NULL;
    snprintf(out->why, sizeof out->why, "%s", why->valuestring);
    ld->m->n_fields++;
    return AB_OK;
}

static enum ab_status read_string(struct loader *ld, const cJSON *it, char *dst, size_t size)
{
    if (!cJSON_IsString(it) || !it->valuestring[0])
        return bad(ld, it->string, "must be a non-empty string");
    if (strlen(it->valuestring) >= size) {
        char msg[64];
        snprintf(msg, sizeof msg, "longer than %zu bytes", size - 1);
        return bad(ld, it->string, msg);
    }
    memcpy(dst, it->valuestring, strlen(it->valuestring) + 1);
    return AB_OK;
}

static enum ab_status walk(struct loader *ld, const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return ab_error_set(ld->err, AB_EPARSE, "'%s': the top level must be an object", ld->path);
    bool have_name = false, have_source = false;
    const cJSON *it;
    enum ab_status st = AB_OK;
    cJSON_ArrayForEach(it, root)
    {
        if (strcmp(it->string, "name") == 0 || strcmp(it->string, "source") == 0) {
            bool is_name = it->string[0] == 'n';
            if (is_name ? have_name : have_source)
                return bad(ld, it->string, "appears twice");
            st = is_name ? read_string(ld, it, ld->m->name, sizeof ld->m->name)
                         : read_string(ld, it, ld->m->source, sizeof ld->m->source);
            *(is_name ? &have_name : &have_source) = true;
        } else if (is_group(it->string)) {
            if (!cJSON_IsObject(it) || cJSON_GetObjectItemCaseSensitive(it, "value"))
                return bad(ld, it->string, "must be an object of fields");
            const cJSON *member;
            cJSON_ArrayForEach(member, it)
            {
                char path[112];
                snprintf(path, sizeof path, "%s.%s", it->string, member->string);
                if ((st = parse_field(ld, path, member)) != AB_OK)
                    return st;
            }
        } else {
            st = parse_field(ld, it->string, it);
        }
        if (st != AB_OK)
            return st;
    }
    if (!have_name)
        return bad(ld, "name", "missing");
    if (!have_source)
        return bad(ld, "source", "missing");
    return AB_OK;
}

/* Present exactly when `needed`; `because` says what makes it (not) needed. */
static enum ab_status need(struct loader *ld, enum field_id f, bool needed, const char *because)
{
    char msg[160];
    if (needed && !ld->v[f].present) {
        snprintf(msg, sizeof msg, "missing%s%s%s", because ? " (" : "", because ? because : "", because ? ")" : "");
        return bad(ld, specs[f].path, msg);
    }
    if (!needed && ld->v[f].present) {
        snprintf(msg, sizeof msg, "does not apply (%s)", because ? because : "?");
        return bad(ld, specs[f].path, msg);
    }
    return AB_OK;
}

static enum ab_status check(struct loader *ld)
{
    static const enum field_id always[] = {F_LAYERS, F_D_MODEL, F_HEADS, F_ATTN, F_D_FF, F_ACT, F_DENSE_LAYERS,
                                           F_EXPERTS, F_SHARED, F_ROUTER, F_VOCAB, F_UNTIED, F_ROPE, F_NORM,
                                           F_OFFLOAD, F_PREC_W, F_PREC_KV, F_PREC_ACT};
    enum ab_status st;
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
        if ((st = need(ld, always[i], true, NULL)) != AB_OK)
            return st;
    const struct slot *v = ld->v;
    enum ab_model_attn attn = (enum ab_model_attn)(int)v[F_ATTN].num;
    enum ab_model_router router = (enum ab_model_router)(int)v[F_ROUTER].num;
    bool mla = attn == AB_MODEL_ATTN_MLA, lsh = attn == AB_MODEL_ATTN_LSH, lin = attn == AB_MODEL_ATTN_LINEAR_ELU1;
    bool moe = router != AB_MODEL_ROUTER_DENSE;
    static const enum field_id mla_f[] = {F_MLA_Q, F_MLA_KV, F_MLA_NOPE, F_MLA_ROPE, F_MLA_V};
    for (size_t i = 0; i < sizeof mla_f / sizeof mla_f[0]; i++)
        if ((st = need(ld, mla_f[i], mla, mla ? "attention \"mla\"" : "attention is not \"mla\"")) != AB_OK)
            return st;
    const char *not_mla = mla ? "attention \"mla\" has its own dims" : "attention is not \"mla\"";
    if ((st = need(ld, F_HEAD_DIM, !mla, not_mla)) != AB_OK || (st = need(ld, F_KV_HEADS, !mla, not_mla)) != AB_OK ||
        (st = need(ld, F_LSH_BUCKET, lsh, lsh ? "attention \"lsh\"" : "attention is not \"lsh\"")) != AB_OK ||
        (st = need(ld, F_LSH_ROUNDS, lsh, lsh ? "attention \"lsh\"" : "attention is not \"lsh\"")) != AB_OK ||
        (st = need(ld, F_LIN_FEAT, lin, lin ? "attention \"linear_elu1\"" : "attention is not \"linear_elu1\"")) !=
            AB_OK)
        return st;
    if ((st = need(ld, F_DENSE_D_FF, v[F_DENSE_LAYERS].num > 0,
                   v[F_DENSE_LAYERS].num > 0 ? "dense_layers > 0" : "dense_layers is 0")) != AB_OK ||
        (st = need(ld, F_K, moe, moe ? "a router with experts" : "router \"dense\"")) != AB_OK ||
        (st = need(ld, F_RENORM, moe, moe ? "a router with experts" : "router \"dense\"")) != AB_OK ||
        (st = need(ld, F_THRESHOLD, router == AB_MODEL_ROUTER_THRESHOLD,
                   router == AB_MODEL_ROUTER_THRESHOLD ? "router \"threshold\"" : "router is not \"threshold\"")) !=
            AB_OK)
        return st;
    if (!mla && (v[F_KV_HEADS].num > v[F_HEADS].num || fmod(v[F_HEADS].num, v[F_KV_HEADS].num) != 0.0))
        return bad(ld, "kv_heads", "must divide heads");
    if (moe ? v[F_EXPERTS].num < 2 : v[F_EXPERTS].num != 1)
        return bad(ld, "experts", moe ? "a router needs at least 2 experts" : "router \"dense\" needs experts = 1");
    if (moe && v[F_K].num > v[F_EXPERTS].num)
        return bad(ld, "experts_per_token", "more than experts");
    if (moe ? v[F_DENSE_LAYERS].num >= v[F_LAYERS].num : v[F_DENSE_LAYERS].num != 0)
        return bad(ld, "dense_layers", moe ? "must leave at least one MoE layer" : "must be 0 without experts");
    if (!moe && (v[F_SHARED].num != 0 || v[F_OFFLOAD].num != 0))
        return bad(ld, v[F_SHARED].num != 0 ? "shared_experts" : "offload_inactive_experts",
                   "must be 0 / false without experts");
    return AB_OK;
}

static int64_t i64(const struct slot *s)
{
    return s->present ? (int64_t)s->num : 0;
}

static void fill(const struct slot *v, struct ab_model *m)
{
    m->n_layers = i64(&v[F_LAYERS]);
    m->d_model = i64(&v[F_D_MODEL]);
    m->n_heads = i64(&v[F_HEADS]);
    m->head_dim = i64(&v[F_HEAD_DIM]);
    m->n_kv_heads = i64(&v[F_KV_HEADS]);
    m->attn = (enum ab_model_attn)i64(&v[F_ATTN]);
    m->d_ff = i64(&v[F_D_FF]);
    m->act = (enum ab_moe_act)i64(&v[F_ACT]);
    m->n_dense_layers = i64(&v[F_DENSE_LAYERS]);
    m->dense_d_ff = i64(&v[F_DENSE_D_FF]);
    m->n_experts = i64(&v[F_EXPERTS]);
    m->n_shared_experts = i64(&v[F_SHARED]);
    m->router = (enum ab_model_router)i64(&v[F_ROUTER]);
    m->experts_per_token = v[F_K].present ? v[F_K].num : 1.0;
    m->threshold = v[F_THRESHOLD].present ? v[F_THRESHOLD].num : 0.0;
    m->renormalise = i64(&v[F_RENORM]) != 0;
    m->vocab = i64(&v[F_VOCAB]);
    m->untied_head = i64(&v[F_UNTIED]) != 0;
    m->rope = i64(&v[F_ROPE]) != 0;
    m->norm = (enum ab_model_norm)i64(&v[F_NORM]);
    m->mla.q_lora_rank = i64(&v[F_MLA_Q]);
    m->mla.kv_lora_rank = i64(&v[F_MLA_KV]);
    m->mla.qk_nope_dim = i64(&v[F_MLA_NOPE]);
    m->mla.qk_rope_dim = i64(&v[F_MLA_ROPE]);
    m->mla.v_head_dim = i64(&v[F_MLA_V]);
    m->lsh.bucket_size = i64(&v[F_LSH_BUCKET]);
    m->lsh.n_rounds = i64(&v[F_LSH_ROUNDS]);
    m->linear_feature_dim = i64(&v[F_LIN_FEAT]);
    m->weight_bytes_per_param = precision_bytes[i64(&v[F_PREC_W])];
    m->kv_bytes_per_elem = precision_bytes[i64(&v[F_PREC_KV])];
    m->act_bytes_per_elem = precision_bytes[i64(&v[F_PREC_ACT])];
    m->offload_inactive_experts = i64(&v[F_OFFLOAD]) != 0;
}

/* "dir/a-v3.json" -> "a-v3"; false when it does not fit. */
static bool id_of(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    if (len == 0 || len >= size)
        return false;
    memcpy(out, base, len);
    out[len] = '\0';
    return true;
}

enum ab_status ab_model_load(const char *path, struct ab_model *out_model, struct ab_error *err)
{
    struct ab_model *m = ab_calloc(1, sizeof *m);
    struct loader *ld = ab_calloc(1, sizeof *ld);
    cJSON *root = NULL;
    enum ab_status st = AB_OK;
    if (!m || !ld) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", path);
        goto done;
    }
    *ld = (struct loader){.path = path, .err = err, .m = m};
    if (!id_of(path, m->id, sizeof m->id)) {
        st = ab_error_set(err, AB_EINVAL, "'%s': file name empty or longer than %zu bytes", path, sizeof m->id - 1);
        goto done;
    }
    if ((st = ab_json_read_file(path, &root, err)) != AB_OK)
        goto done;
    if ((st = walk(ld, root)) != AB_OK || (st = check(ld)) != AB_OK)
        goto done;
    fill(ld->v, m);
    *out_model = *m;
done:
    cJSON_Delete(root);
    ab_free(ld);
    ab_free(m);
    return st;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct ab_model *)a)->id, ((const struct ab_model *)b)->id);
}

enum ab_status ab_model_load_dir(const char *dir, struct ab_model **out_models, size_t *out_n, struct ab_error *err)
{
    enum ab_status st = AB_OK;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct ab_model *models = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return ab_error_set(err, AB_EIO, "cannot open folder '%s'", dir);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **grown = ab_realloc(names, cap * sizeof *names);
            if (!grown) {
                st = ab_error_set(err, AB_ENOMEM, "out of memory listing '%s'", dir);
                goto done;
            }
            names = grown;
        }
        size_t size = strlen(dir) + 1 + len + 1;
        if (!(names[n] = ab_malloc(size))) {
            st = ab_error_set(err, AB_ENOMEM, "out of memory listing '%s'", dir);
            goto done;
        }
        snprintf(names[n++], size, "%s/%s", dir, e->d_name);
    }
    if (n == 0) {
        st = ab_error_set(err, AB_ENOTFOUND, "no *.json model configuration in '%s'", dir);
        goto done;
    }
    if (!(models = ab_calloc(n, sizeof *models))) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory loading '%s'", dir);
        goto done;
    }
    for (size_t i = 0; i < n && st == AB_OK; i++)
        st = ab_model_load(names[i], &models[i], err);
    if (st == AB_OK) {
        /* By id, not by file name: "a-v3-x.json" sorts before "a-v3.json", "a-v3" before "a-v3-x". */
        qsort(models, n, sizeof *models, by_id);
        *out_models = models;
        *out_n = n;
        models = NULL;
    }
done:
    closedir(d);
    for (size_t i = 0; i < n; i++)
        ab_free(names[i]);
    ab_free(names);
    ab_free(models);
    return st;
}

const char *ab_model_attn_name(enum ab_model_attn attn)
{
    return (unsigned)attn < AB_MODEL_ATTN_COUNT ? attn_names[attn] : "?";
}

const char *ab_model_router_name(enum ab_model_router router)
{
    return (unsigned)router < AB_MODEL_ROUTER_COUNT ? router_names[router] : "?";
}
