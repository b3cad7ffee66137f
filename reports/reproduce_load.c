/*
 * reproduce_load.c - claims.json and plan.json, read with cJSON; every refusal names the
 * file, the entry and the field.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archbench/kernel.h"
#include "archbench/report.h"
#include "archbench/reproduce.h"

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *const verdict_names[AB_CLAIM_VERDICT_COUNT] = {
    "supported", "contradicted", "inconsistent", "needs predictions", "not measurable here",
};

const char *ab_claim_verdict_name(enum ab_claim_verdict v)
{
    return (unsigned)v < AB_CLAIM_VERDICT_COUNT ? verdict_names[v] : "?";
}

/* Kinds the evaluator knows: a claim naming another is refused at load time, not judged
 * silently as something else. */
static const char *const kinds[] = {
    "verified",      "route_mean",    "fidelity",   "speed_ratio",          "growth", "crossover",
    "layer_ratio",   "energy_ratio",  "active_params", "memory",            "memory_saving",
    "precision_cut", "device_fit",    "size_ratio", "attention_no_softmax", "arith",  "predictions",
    "comm_projection", "not_measurable",
};

/* What the measured kinds look their rows up by. The evaluator cannot judge such a claim
 * without them (a missing selector was dereferenced; a "verified" claim naming no rows was
 * supported by none, even with no run), so a claim lacking one is refused here, with the
 * field, like an unknown kind. */
static const struct {
    const char *kind;
    const char *fields[6];
} selectors[] = {
    {"route_mean", {"row", "metric"}},
    {"fidelity", {"row", "metric"}},
    {"speed_ratio", {"fast", "slow"}},
    {"energy_ratio", {"fast", "slow"}},
    {"layer_ratio", {"fast", "slow", "fast_model", "slow_model"}},
    {"growth", {"family", "param", "where"}},
    {"comm_projection", {"model", "layer", "device", "interconnect"}},
    {"crossover", {"fast_family", "fast_param", "fast_where", "slow_family", "slow_param", "slow_where"}},
};

/* The evaluator reads at most this many rows of a "verified" claim. */
#define MAX_VERIFIED_ROWS 16

static bool rows_ok(const cJSON *test)
{
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(test, "rows"), *r;
    int n = cJSON_GetArraySize(rows);
    if (!cJSON_IsArray(rows) || n == 0 || n > MAX_VERIFIED_ROWS)
        return false;
    cJSON_ArrayForEach(r, rows)
    {
        if (!cJSON_IsString(r))
            return false;
    }
    return true;
}

/* The selector field a claim of this kind lacks, or NULL. */
static const char *missing_selector(const cJSON *test, const char *kind)
{
    for (size_t k = 0; k < sizeof selectors / sizeof selectors[0]; k++)
        if (strcmp(kind, selectors[k].kind) == 0)
            for (size_t f = 0; f < sizeof selectors[k].fields / sizeof selectors[k].fields[0]; f++)
                if (selectors[k].fields[f] && !str_field(test, selectors[k].fields[f]))
                    return selectors[k].fields[f];
    return NULL;
}

enum ab_status ab_claims_load(const char *path, struct ab_claims *out, struct ab_error *err)
{
    memset(out, 0, sizeof *out);
    enum ab_status st = ab_json_read_file(path, &out->root, err);
    if (st != AB_OK)
        return st;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(out->root, "claims");
    int n = cJSON_GetArraySize(list);
    if (!cJSON_IsArray(list) || n == 0) {
        enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: no \"claims\" array", path);
        ab_claims_release(out);
        return bad;
    }
    out->items = calloc((size_t)n, sizeof *out->items);
    if (!out->items) {
        enum ab_status bad = ab_error_set(err, AB_ENOMEM, "%s: out of memory", path);
        ab_claims_release(out);
        return bad;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        struct ab_claim *cl = &out->items[out->n];
        static const char *const required[] = {"id", "claim", "article", "text", "quantity", "unit", "rule"};
        const char **slots[] = {&cl->id, &cl->claim, &cl->article, &cl->text, &cl->quantity, &cl->unit, &cl->rule};
        for (size_t f = 0; f < sizeof required / sizeof required[0]; f++) {
            *slots[f] = str_field(c, required[f]);
            if (!*slots[f]) {
                enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: claims[%zu]: field \"%s\" missing or not a string", path,
                                    (size_t)(cl - out->items), required[f]);
                ab_claims_release(out);
                return bad;
            }
        }
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "claimed");
        if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
            cl->claimed = v->valuedouble;
        else if (cJSON_IsNull(v))
            cl->claimed = NAN;
        else {
            enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: claim %s: field \"claimed\" must be a finite number or null", path,
                                cl->id);
            ab_claims_release(out);
            return bad;
        }
        cl->test = cJSON_GetObjectItemCaseSensitive(c, "test");
        const char *kind = str_field(cl->test, "kind");
        bool known = false;
        for (size_t k = 0; kind && k < sizeof kinds / sizeof kinds[0]; k++)
            known |= strcmp(kind, kinds[k]) == 0;
        if (!known) {
            enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: claim %s: field \"test.kind\" %s%s%s", path, cl->id,
                                kind ? "'" : "missing", kind ? kind : "", kind ? "' is not a known kind" : "");
            ab_claims_release(out);
            return bad;
        }
        const char *lacks = missing_selector(cl->test, kind);
        if (lacks || (strcmp(kind, "verified") == 0 && !rows_ok(cl->test))) {
            enum ab_status bad =
                lacks ? ab_error_set(err, AB_EPARSE, "%s: claim %s: field \"test.%s\" missing or not a string (kind '%s')",
                                     path, cl->id, lacks, kind)
                      : ab_error_set(err, AB_EPARSE, "%s: claim %s: field \"test.rows\" must be an array of 1 to %d strings",
                                     path, cl->id, MAX_VERIFIED_ROWS);
            ab_claims_release(out);
            return bad;
        }
        for (size_t i = 0; i < out->n; i++)
            if (strcmp(out->items[i].id, cl->id) == 0) {
                enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: claim id '%s' appears twice", path, cl->id);
                ab_claims_release(out);
                return bad;
            }
        out->n++;
    }
    return AB_OK;
}

void ab_claims_release(struct ab_claims *claims)
{
    if (!claims)
        return;
    cJSON_Delete(claims->root);
    free(claims->items);
    memset(claims, 0, sizeof *claims);
}

/* "FAMILY:P=V,..." names a kernel family and a shape inside its ranges. */
static bool spec_ok(const char *spec, struct ab_error *err)
{
    const char *colon = strchr(spec, ':');
    char family[64];
    size_t len = colon ? (size_t)(colon - spec) : 0;
    if (!colon || len >= sizeof family) {
        ab_error_set(err, AB_EPARSE, "wants FAMILY:P=V,...");
        return false;
    }
    memcpy(family, spec, len);
    family[len] = '\0';
    const struct ab_family *fam = ab_family_find(family);
    struct ab_shape shape;
    if (!fam) {
        ab_error_set(err, AB_EINVAL, "no kernel family '%s'", family);
        return false;
    }
    if (ab_shape_parse(fam, colon + 1, &shape, err) != AB_OK)
        return false;
    if (!ab_shape_valid(fam, &shape)) {
        ab_error_set(err, AB_EINVAL, "outside the parameter ranges");
        return false;
    }
    return true;
}

enum ab_status ab_repro_plan_load(const char *path, struct ab_repro_plan *out, struct ab_error *err)
{
    memset(out, 0, sizeof *out);
    enum ab_status st = ab_json_read_file(path, &out->root, err);
    if (st != AB_OK)
        return st;
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(out->root, "layers");
    const cJSON *l;
    cJSON_ArrayForEach(l, layers)
    {
        const char *spec = str_field(l, "shape"), *model = str_field(l, "model");
        if (!l->string || !spec || !model || strncmp(spec, "layer:", 6) != 0 || out->n_layers == 16) {
            enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: layers.%s: wants {\"shape\": \"layer:P=V,...\", \"model\": ID}",
                                path, l->string ? l->string : "?");
            ab_repro_plan_release(out);
            return bad;
        }
        out->layer_names[out->n_layers] = l->string;
        out->layer_specs[out->n_layers] = spec;
        out->layer_models[out->n_layers++] = model;
    }
    static const char *const profiles[2] = {"quick", "full"};
    for (int p = 0; p < 2; p++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(out->root, profiles[p]);
        if (!cJSON_IsArray(list)) {
            enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: field \"%s\" missing or not an array", path, profiles[p]);
            ab_repro_plan_release(out);
            return bad;
        }
        const cJSON *s;
        cJSON_ArrayForEach(s, list)
        {
            if (!cJSON_IsString(s) || out->n_shapes[p] == 128) {
                enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: %s[%zu]: not a string (or more than 128)", path, profiles[p],
                                    out->n_shapes[p]);
                ab_repro_plan_release(out);
                return bad;
            }
            const char *spec = s->valuestring;
            /* "layer:NAME" stands for the named configuration */
            if (strncmp(spec, "layer:", 6) == 0 && !strchr(spec, '=')) {
                size_t i = 0;
                while (i < out->n_layers && strcmp(out->layer_names[i], spec + 6) != 0)
                    i++;
                if (i == out->n_layers) {
                    enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: %s: '%s' names no entry of \"layers\"", path,
                                        profiles[p], spec);
                    ab_repro_plan_release(out);
                    return bad;
                }
                spec = out->layer_specs[i];
            }
            /* A typo in the plan is this file's error, found before any measuring. */
            struct ab_error serr = {0};
            if (!spec_ok(spec, &serr)) {
                enum ab_status bad = ab_error_set(err, AB_EPARSE, "%s: %s[%zu] '%s': %s", path, profiles[p],
                                                  out->n_shapes[p], spec, serr.msg);
                ab_repro_plan_release(out);
                return bad;
            }
            out->shapes[p][out->n_shapes[p]++] = spec;
        }
    }
    return AB_OK;
}

void ab_repro_plan_release(struct ab_repro_plan *plan)
{
    if (!plan)
        return;
    cJSON_Delete(plan->root);
    memset(plan, 0, sizeof *plan);
}
