/*
 * fuzz_claims.c - libFuzzer target for the readers behind `archbench reproduce`:
 * ab_claims_load (claims.json) and ab_repro_plan_load (plan.json), then the judging of
 * every accepted claim against the six real model configurations, with no run.
 *
 * Input: claims.json, then 0x1E and plan.json (fuzz_util.h); without a second part the
 * real plan is used. A refusal must say why and leave nothing behind. Accepted claims
 * are judged (ab_reproduce_evaluate, res = NULL) with the accepted plan, or the real one:
 * every verdict must be one of the enum, every text terminated, and no measured kind may
 * be supported or contradicted when there is no run to measure it in.
 *
 * The model configurations and the real plan are read once from $ARCHBENCH_DATASETS, or
 * from the source tree's datasets/ (AB_FUZZ_DATASETS, set by meson).
 */
#include <math.h>

#include <cjson/cJSON.h>

#include "archbench/alloc.h"
#include "archbench/reproduce.h"
#include "fuzz_util.h"

#ifndef AB_FUZZ_DATASETS
#define AB_FUZZ_DATASETS "datasets"
#endif

static struct ab_model *models;
static size_t n_models;
static struct ab_repro_plan real_plan;

static void load_data_once(void)
{
    if (models)
        return;
    const char *d = getenv("ARCHBENCH_DATASETS");
    if (d == NULL || d[0] == '\0')
        d = AB_FUZZ_DATASETS;
    char path[1024];
    struct ab_error err;
    ab_error_clear(&err);
    snprintf(path, sizeof path, "%s/models", d);
    if (ab_model_load_dir(path, &models, &n_models, &err) != AB_OK) {
        fprintf(stderr, "fuzz_claims: %s (set ARCHBENCH_DATASETS)\n", err.msg);
        abort();
    }
    snprintf(path, sizeof path, "%s/claims/plan.json", d);
    if (ab_repro_plan_load(path, &real_plan, &err) != AB_OK) {
        fprintf(stderr, "fuzz_claims: %s\n", err.msg);
        abort();
    }
}

static bool measured_kind(const char *kind)
{
    static const char *const measured[] = {"speed_ratio", "growth",     "verified",  "fidelity",
                                           "layer_ratio", "route_mean", "crossover", "energy_ratio"};
    for (size_t i = 0; i < sizeof measured / sizeof measured[0]; i++)
        if (strcmp(kind, measured[i]) == 0)
            return true;
    return false;
}

static bool terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_data_once();
    const uint8_t *part[2];
    size_t len[2];
    size_t n = ab_fuzz_split(data, size, part, len, 2);
    const char *claims_path = ab_fuzz_file(0, "claims.json", part[0], len[0]);
    struct ab_error err;
    ab_error_clear(&err);

    struct ab_repro_plan plan;
    const struct ab_repro_plan *use_plan = &real_plan;
    bool have_plan = false;
    if (n > 1) {
        const char *plan_path = ab_fuzz_file(1, "plan.json", part[1], len[1]);
        if (ab_repro_plan_load(plan_path, &plan, &err) == AB_OK) {
            have_plan = true;
            use_plan = &plan;
            for (size_t i = 0; i < plan.n_layers; i++)
                if (!plan.layer_names[i] || strncmp(plan.layer_specs[i], "layer:", 6) != 0 || !plan.layer_models[i])
                    abort();
            for (int p = 0; p < 2; p++) {
                if (plan.n_shapes[p] > 128)
                    abort();
                for (size_t i = 0; i < plan.n_shapes[p]; i++)
                    if (plan.shapes[p][i] == NULL)
                        abort();
            }
        } else if (err.msg[0] == '\0' || plan.root != NULL || plan.n_layers != 0) {
            abort();
        }
        ab_error_clear(&err);
    }

    struct ab_claims claims;
    if (ab_claims_load(claims_path, &claims, &err) != AB_OK) {
        if (err.msg[0] == '\0' || claims.root != NULL || claims.items != NULL || claims.n != 0)
            abort();
        goto done;
    }
    if (claims.n == 0)
        abort();
    for (size_t i = 0; i < claims.n; i++) {
        const struct ab_claim *c = &claims.items[i];
        if (!c->id || !c->claim || !c->article || !c->text || !c->quantity || !c->unit || !c->rule || !c->test ||
            isinf(c->claimed))
            abort();
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(c->test, "kind");
        if (!cJSON_IsString(kind))
            abort();
    }

    struct ab_claim_result *res = ab_calloc(claims.n, sizeof *res);
    if (res == NULL)
        abort();
    struct ab_repro_inputs in = {
        .res = NULL,
        .models = models,
        .n_models = n_models,
        .plan = use_plan,
        .scores = {.glue_v3 = (double)NAN, .glue_r1 = (double)NAN, .superglue_v3 = (double)NAN, .superglue_r1 = (double)NAN},
    };
    ab_reproduce_evaluate(&claims, &in, res);
    for (size_t i = 0; i < claims.n; i++) {
        const struct ab_claim_result *r = &res[i];
        const char *kind = cJSON_GetObjectItemCaseSensitive(claims.items[i].test, "kind")->valuestring;
        if ((unsigned)r->verdict >= AB_CLAIM_VERDICT_COUNT || !terminated(r->measured_text, sizeof r->measured_text) ||
            !terminated(r->how, sizeof r->how) || !terminated(r->command, sizeof r->command)) {
            fprintf(stderr, "fuzz_claims: claim %s: verdict %d or an unterminated text\n", claims.items[i].id,
                    (int)r->verdict);
            abort();
        }
        if (measured_kind(kind) && (r->verdict == AB_CLAIM_SUPPORTED || r->verdict == AB_CLAIM_CONTRADICTED)) {
            fprintf(stderr, "fuzz_claims: claim %s of measured kind %s judged '%s' without a run (%s)\n",
                    claims.items[i].id, kind, ab_claim_verdict_name(r->verdict), r->measured_text);
            abort();
        }
    }
    ab_free(res);
    ab_claims_release(&claims);
done:
    if (have_plan)
        ab_repro_plan_release(&plan);
    return 0;
}
