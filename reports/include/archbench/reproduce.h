/*
 * reproduce.h - the articles' claims as data, judged against a run, the model
 * configurations and (optionally) two models' benchmark scores.
 *
 * datasets/claims/claims.json holds every claim: id, article, English text, the
 * quantity, the claimed value and unit, the verdict rule in words and a "test" object
 * naming one of the evaluation kinds below with its parameters and thresholds, all
 * stated before any measurement. datasets/claims/plan.json holds what `reproduce` runs:
 * the named layer configurations ("layer:A-V3" in a claim resolves through it) and the
 * explicit cases of the quick and full profiles.
 *
 * Evaluation reads the results model only (ab_results_read), never CSV by hand; a
 * measured verdict names the rows it came from. Kinds:
 *   verified, route_mean, fidelity, speed_ratio, growth, crossover, layer_ratio,
 *   energy_ratio                         measured (rows of the run)
 *   active_params, memory, memory_saving, precision_cut, device_fit, size_ratio
 *                                        computed from the configurations (analytic)
 *   comm_projection                      the model's all-to-all over a catalogue link, compute
 *                                        at the device's peak x the efficiency the claim's layer
 *                                        measured here (projection, labelled as one)
 *   attention_no_softmax                 the article's code run against the reference
 *   arith                                the article's own figures against each other
 *   predictions                          model scores (needs prediction folders)
 *   not_measurable                       with the reason
 */
#ifndef ARCHBENCH_REPRODUCE_H
#define ARCHBENCH_REPRODUCE_H

#include <stdbool.h>
#include <stddef.h>

#include "archbench/api.h"
#include "archbench/model.h"
#include "archbench/results.h"
#include "archbench/status.h"

struct cJSON;
struct ab_catalogue;
struct ab_interconnects;

enum ab_claim_verdict {
    AB_CLAIM_SUPPORTED,
    AB_CLAIM_CONTRADICTED,
    AB_CLAIM_INCONSISTENT,        /* the article's own numbers cannot all be true */
    AB_CLAIM_NEEDS_PREDICTIONS,   /* model outputs are required */
    AB_CLAIM_NOT_MEASURABLE,      /* with the reason */
    AB_CLAIM_VERDICT_COUNT
};
AB_API const char *ab_claim_verdict_name(enum ab_claim_verdict v);

struct ab_claim {
    const char *id, *claim, *article, *text, *quantity, *unit, *rule;  /* borrowed from the JSON */
    double claimed;                 /* NaN: no single value */
    const struct cJSON *test;
};

struct ab_claims {
    struct cJSON *root;
    struct ab_claim *items;
    size_t n;
};

/* Errors name the file and the claim's index/id and field. */
AB_API enum ab_status ab_claims_load(const char *path, struct ab_claims *out_claims, struct ab_error *err);
AB_API void ab_claims_release(struct ab_claims *claims);

/* plan.json: named layer cases and the profiles' explicit cases ("FAMILY:P=V,..."). */
struct ab_repro_plan {
    struct cJSON *root;
    const char *layer_names[16];
    const char *layer_specs[16];    /* "layer:P=V,..." */
    const char *layer_models[16];   /* model id each layer configuration is scaled from */
    size_t n_layers;
    const char *shapes[2][128];     /* [0] quick, [1] full */
    size_t n_shapes[2];
};
AB_API enum ab_status ab_repro_plan_load(const char *path, struct ab_repro_plan *out_plan, struct ab_error *err);
AB_API void ab_repro_plan_release(struct ab_repro_plan *plan);

/* Suite scores of the two models (0-100), NaN when not given. */
struct ab_repro_scores {
    double glue_v3, glue_r1, superglue_v3, superglue_r1;
    const char *pred_v3, *pred_r1;  /* folders, for the report */
};

struct ab_repro_inputs {
    const struct ab_results *res;   /* NULL: no run (measured claims say so) */
    const struct ab_model *models;
    size_t n_models;
    const struct ab_repro_plan *plan;
    struct ab_repro_scores scores;
    const struct ab_catalogue *catalogue;          /* NULL: comm_projection claims say so, no verdict */
    const struct ab_interconnects *interconnects;  /* NULL: likewise */
};

struct ab_claim_result {
    enum ab_claim_verdict verdict;
    double measured;                /* NaN when no single figure */
    char measured_text[320];        /* the figure(s) with units, "extrapolated"/"analytic" labels */
    char how[400];                  /* what was measured or computed, the rows used */
    char command[400];              /* a command that reproduces the figure */
    bool extrapolated;
    bool analytic;
    bool projection;                /* onto hardware not present (comm_projection) */
    const char *label;              /* "measured", "analytic", "extrapolated", "computed" (in-process,
                                       not timed), "article" (its own figures), "projection (link
                                       bound)", or "NA" */
};

/* Judge every claim; out has claims->n entries. Never fails: a claim that cannot be
 * judged says why in its result. */
AB_API void ab_reproduce_evaluate(const struct ab_claims *claims, const struct ab_repro_inputs *in,
                                  struct ab_claim_result *out);

/*
 * Write reproduction.md, claims.csv and the plots (SVG, when the plotting backend is
 * built in) into dir, each atomically. run_dir is named in the report; command is the
 * command line that made it.
 */
AB_API enum ab_status ab_reproduce_write(const char *dir, const char *run_dir, const char *command,
                                         const struct ab_claims *claims, const struct ab_claim_result *results,
                                         const struct ab_repro_inputs *in, struct ab_error *err);

#endif /* ARCHBENCH_REPRODUCE_H */
