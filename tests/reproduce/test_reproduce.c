/*
 * test_reproduce.c - the claims as data and their judgement, on synthetic runs built in
 * memory through the results model (no timing here: verdicts follow from the rows).
 * Each test flips a verdict by changing the figure a broken evaluator would misread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/model.h"
#include "archbench/procure.h"
#include "archbench/reproduce.h"
#include "archbench/results.h"

static char datasets[1024];

struct fixture {
    struct ab_claims claims;
    struct ab_repro_plan plan;
    struct ab_model *models;
    size_t n_models;
    struct ab_results res;
    struct ab_claim_result *out;
    struct ab_catalogue cat;
    struct ab_interconnects links;
};

static struct fixture fx;

static void setup(void)
{
    const char *d = getenv("ARCHBENCH_DATASETS");
    snprintf(datasets, sizeof datasets, "%s", d ? d : "datasets");
    char path[1200];
    struct ab_error err = {0};
    snprintf(path, sizeof path, "%s/claims/claims.json", datasets);
    cr_assert_eq(ab_claims_load(path, &fx.claims, &err), AB_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/claims/plan.json", datasets);
    cr_assert_eq(ab_repro_plan_load(path, &fx.plan, &err), AB_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/models", datasets);
    cr_assert_eq(ab_model_load_dir(path, &fx.models, &fx.n_models, &err), AB_OK, "%s", err.msg);
    ab_results_init(&fx.res);
    fx.out = calloc(fx.claims.n, sizeof *fx.out);
    ab_catalogue_init(&fx.cat);
    ab_interconnects_init(&fx.links);
    snprintf(path, sizeof path, "%s/hardware/catalogue.csv", datasets);
    cr_assert_eq(ab_catalogue_read(&fx.cat, path, &err), AB_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/hardware/interconnects.csv", datasets);
    cr_assert_eq(ab_interconnects_read(&fx.links, path, &err), AB_OK, "%s", err.msg);
}

static void teardown(void)
{
    free(fx.out);
    ab_interconnects_release(&fx.links);
    ab_catalogue_release(&fx.cat);
    ab_results_release(&fx.res);
    ab_free(fx.models);
    ab_repro_plan_release(&fx.plan);
    ab_claims_release(&fx.claims);
}

/* A verified row of `family` at `shape` with this median. */
static void add_row(const char *family, const char *kernel, const char *shape, int threads, double median_ns,
                    enum ab_verdict verdict)
{
    struct ab_result_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.key.family, sizeof r.key.family, "%s", family);
    snprintf(r.key.kernel, sizeof r.key.kernel, "%s", kernel);
    snprintf(r.key.variant, sizeof r.key.variant, "fast");
    snprintf(r.key.shape, sizeof r.key.shape, "%s", shape);
    r.key.threads = threads;
    r.verdict = verdict;
    r.timed = verdict == AB_VERDICT_PASS;
    r.median_ns = median_ns;
    r.flops = 1e9;
    snprintf(r.energy_source, sizeof r.energy_source, "NA");
    r.flop_per_j = NAN;
    cr_assert_eq(ab_results_add_row(&fx.res, &r), AB_OK);
}

static void add_metric(const char *family, const char *shape, const char *metric, double value)
{
    struct ab_result_metric m;
    memset(&m, 0, sizeof m);
    snprintf(m.key.family, sizeof m.key.family, "%s", family);
    snprintf(m.key.kernel, sizeof m.key.kernel, "%s_fast", family);
    snprintf(m.key.shape, sizeof m.key.shape, "%s", shape);
    m.key.threads = 2;
    snprintf(m.metric, sizeof m.metric, "%s", metric);
    m.value = value;
    snprintf(m.unit, sizeof m.unit, "x");
    cr_assert_eq(ab_results_add_metric(&fx.res, &m), AB_OK);
}

static const struct ab_claim_result *judge(const char *id)
{
    struct ab_repro_inputs in = {.res = &fx.res, .models = fx.models, .n_models = fx.n_models, .plan = &fx.plan,
                                 .catalogue = &fx.cat, .interconnects = &fx.links};
    in.scores = (struct ab_repro_scores){NAN, NAN, NAN, NAN, NULL, NULL};
    ab_reproduce_evaluate(&fx.claims, &in, fx.out);
    for (size_t i = 0; i < fx.claims.n; i++)
        if (strcmp(fx.claims.items[i].id, id) == 0)
            return &fx.out[i];
    cr_assert_fail("no claim %s", id);
    return NULL;
}

TestSuite(reproduce, .init = setup, .fini = teardown);

Test(reproduce, every_article_claim_has_a_row)
{
    static const char *const ids[] = {"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11", "A12",
                                      "A13", "A14", "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        bool found = false;
        for (size_t c = 0; c < fx.claims.n; c++)
            found |= strcmp(fx.claims.items[c].claim, ids[i]) == 0;
        cr_expect(found, "claim %s has no row in claims.json", ids[i]);
    }
    /* every layer named by a claim or the plan resolves to a model configuration */
    for (size_t l = 0; l < fx.plan.n_layers; l++) {
        bool found = false;
        for (size_t m = 0; m < fx.n_models; m++)
            found |= strcmp(fx.models[m].id, fx.plan.layer_models[l]) == 0;
        cr_expect(found, "layer %s names model %s, which is not in datasets/models", fx.plan.layer_names[l],
                  fx.plan.layer_models[l]);
    }
}

#define MHA(n) "batch=1,heads_q=2,heads_kv=2,n_q=" #n ",n_kv=" #n ",d=64,causal=1,mask=none,logits=normal"
#define LIN(n) "batch=1,heads=2,n=" #n ",d=64,dv=64,causal=1,dist=gaussian"

Test(reproduce, speed_ratio_follows_the_rows)
{
    add_row("mha", "mha_flash_avx512", MHA(2048), 2, 10e6, AB_VERDICT_PASS);
    add_row("linear_attn", "linear_attn_avx512", LIN(2048), 2, 2e6, AB_VERDICT_PASS);
    const struct ab_claim_result *r = judge("A7.speed");
    cr_expect_eq(r->verdict, AB_CLAIM_SUPPORTED, "%s", r->measured_text);
    cr_expect_float_eq(r->measured, 5.0, 1e-9);
    /* the slower linear variant is not the one judged; a faster exact one is */
    add_row("mha", "mha_other", MHA(2048), 2, 5e6, AB_VERDICT_PASS);
    r = judge("A7.speed");
    cr_expect_float_eq(r->measured, 2.5, 1e-9);
    cr_expect_eq(r->verdict, AB_CLAIM_CONTRADICTED, "2.5x < 0.9 x 3.2");
}

Test(reproduce, a_failed_row_is_never_used)
{
    add_row("mha", "mha_flash_avx512", MHA(2048), 2, 10e6, AB_VERDICT_PASS);
    /* a "faster" linear kernel that computed the wrong answer */
    add_row("linear_attn", "linear_attn_avx512", LIN(2048), 2, 1e3, AB_VERDICT_FAIL);
    const struct ab_claim_result *r = judge("A7.speed");
    cr_expect_eq(r->verdict, AB_CLAIM_NOT_MEASURABLE, "%s", r->measured_text);
    cr_expect(strstr(r->measured_text, "failed verification") != NULL, "%s", r->measured_text);
    cr_expect(isnan(r->measured));
}

Test(reproduce, verified_claim_contradicted_by_a_failure)
{
    const char *gate = "tokens=4096,d_model=1024,experts=8,k=2,gate=softmax_topk,renorm=0,tau_pct=30,top_p_pct=50,"
                       "cap_pct=0,dist=normal,spread=10";
    add_row("moe_route", "moe_route_fast", gate, 2, 1e5, AB_VERDICT_FAIL);
    const struct ab_claim_result *r = judge("A4.gate");
    cr_expect_eq(r->verdict, AB_CLAIM_CONTRADICTED, "%s", r->measured_text);
}

Test(reproduce, growth_exponent)
{
    /* exponents are fitted on the one-thread series */
    for (int n = 256; n <= 4096; n *= 2) {
        char s[256];
        snprintf(s, sizeof s, "batch=1,heads_q=2,heads_kv=2,n_q=%d,n_kv=%d,d=64,causal=1,mask=none,logits=normal", n, n);
        add_row("mha", "mha_flash_avx512", s, 1, 1e-3 * (double)n * n, AB_VERDICT_PASS);
        snprintf(s, sizeof s, "batch=1,heads=2,n=%d,d=64,dv=64,causal=1,dist=gaussian", n);
        /* "linear" that is really quadratic: A7.growth must say so */
        add_row("linear_attn", "linear_attn_avx512", s, 1, 1e-3 * (double)n * n, AB_VERDICT_PASS);
    }
    const struct ab_claim_result *r = judge("A6.growth");
    cr_expect_eq(r->verdict, AB_CLAIM_SUPPORTED, "%s", r->measured_text);
    cr_expect_float_eq(r->measured, 2.0, 1e-6);
    r = judge("A7.growth");
    cr_expect_eq(r->verdict, AB_CLAIM_CONTRADICTED, "%s", r->measured_text);
}

Test(reproduce, route_mean_uses_the_metric)
{
    const char *thr = "tokens=4096,d_model=1024,experts=4,k=4,gate=threshold,renorm=0,tau_pct=30,top_p_pct=50,"
                      "cap_pct=0,dist=normal,spread=10";
    add_row("moe_route", "moe_route_fast", thr, 2, 1e5, AB_VERDICT_PASS);
    add_metric("moe_route", thr, "experts_per_token_mean", 1.05);
    cr_expect_eq(judge("A2.r1_experts")->verdict, AB_CLAIM_SUPPORTED);
    fx.res.metrics[0].value = 1.4;
    cr_expect_eq(judge("A2.r1_experts")->verdict, AB_CLAIM_CONTRADICTED);
}

Test(reproduce, article_numbers_that_cannot_hold)
{
    /* 2.6B active of 13B with top-2 of 8: at least 13 x 2/8 = 3.25B */
    const struct ab_claim_result *r = judge("A4.active");
    cr_expect_eq(r->verdict, AB_CLAIM_INCONSISTENT, "%s", r->measured_text);
    /* "reduced to $3.5M" from $2M */
    cr_expect_eq(judge("B8.training")->verdict, AB_CLAIM_INCONSISTENT);
    /* the article's attention code has no softmax */
    r = judge("B1.code");
    cr_expect_eq(r->verdict, AB_CLAIM_CONTRADICTED);
    cr_expect_gt(r->measured, 0.5, "relative error %g", r->measured);
}

Test(reproduce, predictions_needed_then_scored)
{
    const struct ab_claim_result *r = judge("B5.glue");
    cr_expect_eq(r->verdict, AB_CLAIM_NEEDS_PREDICTIONS);
    struct ab_repro_inputs in = {.res = &fx.res, .models = fx.models, .n_models = fx.n_models, .plan = &fx.plan};
    in.scores = (struct ab_repro_scores){88.0, 91.9, NAN, NAN, "v3", "r1"};
    ab_reproduce_evaluate(&fx.claims, &in, fx.out);
    for (size_t i = 0; i < fx.claims.n; i++) {
        if (strcmp(fx.claims.items[i].id, "B5.glue") == 0)
            cr_expect_eq(fx.out[i].verdict, AB_CLAIM_SUPPORTED, "%s", fx.out[i].measured_text);
        if (strcmp(fx.claims.items[i].id, "A1.retention") == 0)
            cr_expect_eq(fx.out[i].verdict, AB_CLAIM_SUPPORTED, "%s", fx.out[i].measured_text);
        if (strcmp(fx.claims.items[i].id, "B5.superglue") == 0)
            cr_expect_eq(fx.out[i].verdict, AB_CLAIM_NEEDS_PREDICTIONS);
    }
}

Test(reproduce, no_run_no_measured_verdict)
{
    struct ab_repro_inputs in = {.res = NULL, .models = fx.models, .n_models = fx.n_models, .plan = &fx.plan};
    in.scores = (struct ab_repro_scores){NAN, NAN, NAN, NAN, NULL, NULL};
    ab_reproduce_evaluate(&fx.claims, &in, fx.out);
    for (size_t i = 0; i < fx.claims.n; i++) {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fx.claims.items[i].test, "kind"));
        bool measured = strcmp(kind, "speed_ratio") == 0 || strcmp(kind, "growth") == 0 ||
                        strcmp(kind, "verified") == 0 || strcmp(kind, "fidelity") == 0 ||
                        strcmp(kind, "layer_ratio") == 0 || strcmp(kind, "route_mean") == 0;
        if (measured)
            cr_expect_eq(fx.out[i].verdict, AB_CLAIM_NOT_MEASURABLE, "%s judged without a run: %s",
                         fx.claims.items[i].id, fx.out[i].measured_text);
    }
}

Test(reproduce, bad_claims_file_named)
{
    char path[] = "/tmp/ab_claims_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fputs("{\"claims\": [{\"id\": \"X1\", \"claim\": \"X1\", \"article\": \"A\", \"text\": \"t\", \"quantity\": \"q\","
          " \"unit\": \"x\", \"rule\": \"r\", \"claimed\": 1, \"test\": {\"kind\": \"vibes\"}}]}",
          fp);
    fclose(fp);
    struct ab_claims c;
    struct ab_error err = {0};
    cr_expect_eq(ab_claims_load(path, &c, &err), AB_EPARSE);
    cr_expect(strstr(err.msg, path) && strstr(err.msg, "test.kind") && strstr(err.msg, "vibes"), "%s", err.msg);
    fp = fopen(path, "w");
    fputs("{\"claims\": [{\"id\": \"X1\", \"claim\": \"X1\", \"article\": \"A\", \"quantity\": \"q\"}]}", fp);
    fclose(fp);
    cr_expect_eq(ab_claims_load(path, &c, &err), AB_EPARSE);
    cr_expect(strstr(err.msg, "\"text\"") != NULL, "%s", err.msg);
    remove(path);
}

/* One claim with this test object, in a temporary file (path is a mkstemp template). */
static void write_one_claim(char *path, const char *test)
{
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *fp = fdopen(fd, "w");
    cr_assert_not_null(fp);
    fprintf(fp,
            "{\"claims\": [{\"id\": \"X1\", \"claim\": \"X1\", \"article\": \"A\", \"text\": \"t\", \"quantity\": \"q\","
            " \"unit\": \"x\", \"rule\": \"r\", \"claimed\": 2, \"test\": %s}]}",
            test);
    cr_assert_eq(fclose(fp), 0);
}

/* Found by fuzz_claims: a measured claim without what it looks its rows up by crashed
 * the evaluator (speed_ratio, layer_ratio, energy_ratio without "fast" or "slow"), and a
 * "verified" claim with no rows was supported by none, even with no run. */
Test(reproduce, claim_without_its_selectors_refused)
{
    static const struct {
        const char *test, *field;
    } cases[] = {
        {"{\"kind\": \"speed_ratio\", \"slow\": \"layer:A-V3\"}", "test.fast"},
        {"{\"kind\": \"energy_ratio\", \"fast\": \"layer:A-V3\", \"slow\": 3}", "test.slow"},
        {"{\"kind\": \"layer_ratio\", \"fast\": \"layer:A-R1\", \"fast_model\": \"a-r1\", \"slow_model\": \"a-v3\"}",
         "test.slow"},
        {"{\"kind\": \"route_mean\", \"metric\": \"experts_per_token_mean\"}", "test.row"},
        {"{\"kind\": \"growth\", \"family\": \"mha\", \"where\": \"d=64\"}", "test.param"},
        {"{\"kind\": \"verified\"}", "test.rows"},
        {"{\"kind\": \"verified\", \"rows\": []}", "test.rows"},
        {"{\"kind\": \"verified\", \"rows\": [1, null]}", "test.rows"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[] = "/tmp/ab_claims_XXXXXX";
        write_one_claim(path, cases[i].test);
        struct ab_claims c;
        struct ab_error err = {0};
        cr_expect_eq(ab_claims_load(path, &c, &err), AB_EPARSE, "%s accepted", cases[i].test);
        cr_expect(strstr(err.msg, path) && strstr(err.msg, "X1") && strstr(err.msg, cases[i].field),
                  "%s: message '%s' does not name the file, the claim and %s", cases[i].test, err.msg, cases[i].field);
        cr_expect_null(c.root);
        remove(path);
    }
    /* the same kinds with their selectors load, and are not judged without a run */
    char path[] = "/tmp/ab_claims_XXXXXX";
    write_one_claim(path, "{\"kind\": \"verified\", \"rows\": [\"layer:A-V3\"]}");
    struct ab_claims c;
    struct ab_error err = {0};
    cr_assert_eq(ab_claims_load(path, &c, &err), AB_OK, "%s", err.msg);
    struct ab_claim_result r;
    struct ab_repro_inputs in = {.res = NULL, .models = fx.models, .n_models = fx.n_models, .plan = &fx.plan};
    in.scores = (struct ab_repro_scores){NAN, NAN, NAN, NAN, NULL, NULL};
    ab_reproduce_evaluate(&c, &in, &r);
    cr_expect_eq(r.verdict, AB_CLAIM_NOT_MEASURABLE, "%s", r.measured_text);
    ab_claims_release(&c);
    remove(path);
}

/* Found by fuzz_claims: "n": 1e300 was converted to size_t before the bound was checked
 * (undefined behaviour); the claim is now not measurable with the reason. */
Test(reproduce, no_softmax_size_bounded_before_conversion)
{
    static const char *const tests[] = {
        "{\"kind\": \"attention_no_softmax\", \"n\": 1e300}",
        "{\"kind\": \"attention_no_softmax\", \"n\": 64, \"d\": -1}",
        "{\"kind\": \"attention_no_softmax\", \"n\": 64, \"d\": 1025}",
        "{\"kind\": \"attention_no_softmax\", \"n\": 257, \"d\": 64}", /* 2 n^2 d bounded (fuzz_claims) */
    };
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        char path[] = "/tmp/ab_claims_XXXXXX";
        write_one_claim(path, tests[i]);
        struct ab_claims c;
        struct ab_error err = {0};
        cr_assert_eq(ab_claims_load(path, &c, &err), AB_OK, "%s", err.msg);
        struct ab_claim_result r;
        struct ab_repro_inputs in = {.res = NULL, .models = fx.models, .n_models = fx.n_models, .plan = &fx.plan};
        in.scores = (struct ab_repro_scores){NAN, NAN, NAN, NAN, NULL, NULL};
        ab_reproduce_evaluate(&c, &in, &r);
        cr_expect_eq(r.verdict, AB_CLAIM_NOT_MEASURABLE, "%s: %s", tests[i], r.measured_text);
        cr_expect(strstr(r.measured_text, "n and d must be 1..256") != NULL, "%s: %s", tests[i], r.measured_text);
        ab_claims_release(&c);
        remove(path);
    }
}

/* A3: an energy counter gives a verdict; TDP x time is shown, labelled, and never judged. */
Test(reproduce, energy_needs_a_counter)
{
    const char *v3 = "n=512,d_model=1024,heads=16,head_dim=64,attn=mha,causal=1,rope=0,ffn=topk,experts=8,k=2,"
                     "threshold_pct=30,d_ff=1024,lsh_rounds=2,lsh_buckets=8,lsh_chunk=64";
    const char *r1 = "n=512,d_model=1024,heads=16,head_dim=64,attn=linear,causal=1,rope=0,ffn=threshold,experts=4,"
                     "k=3,threshold_pct=30,d_ff=1024,lsh_rounds=2,lsh_buckets=8,lsh_chunk=64";
    add_row("layer", "layer_best", v3, 2, 1e8, AB_VERDICT_PASS);
    add_row("layer", "layer_best", r1, 2, 5e7, AB_VERDICT_PASS);
    for (size_t i = 0; i < 2; i++) {
        snprintf(fx.res.rows[i].energy_source, sizeof fx.res.rows[i].energy_source, "estimate");
        fx.res.rows[i].flop_per_j = i ? 4e9 : 1e9;
    }
    const struct ab_claim_result *r = judge("A3.energy");
    cr_expect_eq(r->verdict, AB_CLAIM_NOT_MEASURABLE, "an estimate judged: %s", r->measured_text);
    cr_expect(strstr(r->measured_text, "Estimate") != NULL, "%s", r->measured_text);
    for (size_t i = 0; i < 2; i++)
        snprintf(fx.res.rows[i].energy_source, sizeof fx.res.rows[i].energy_source, "papi");
    r = judge("A3.energy");
    cr_expect_eq(r->verdict, AB_CLAIM_SUPPORTED, "4x >= 0.9 x 3.17: %s", r->measured_text);
    fx.res.rows[1].flop_per_j = 2e9;
    cr_expect_eq(judge("A3.energy")->verdict, AB_CLAIM_CONTRADICTED);
}

/*
 * A8.comm on a fixture (not a measurement): the A-V3 layer row reached 50% of its bound.
 * By hand: 8 A100 80GB SXM over NVLink 3 (300e9 B/s per direction), 2048 tokens: a device
 * sends 256 x 131072 x 7/8 B = 29360128 B, 97867 ns; computes 256 x F / (312e12 x 0.5)
 * with F = a-v3's FLOPs per token at 2048 (the model's figure); share = comm / (comm +
 * compute), about 0.9%, far from 18%: contradicted. Without the row: no verdict, and the
 * row says what it needs. Without the hardware files: no verdict either.
 */
Test(reproduce, comm_projection_a8_on_a_fixture)
{
    const struct ab_claim_result *r = judge("A8.comm");
    cr_expect_eq(r->verdict, AB_CLAIM_NOT_MEASURABLE, "%s", r->measured_text);
    cr_expect(strstr(r->measured_text, "needs mpirun") != NULL, "%s", r->measured_text);
    cr_expect(strstr(r->measured_text, "layer:A-V3") != NULL, "%s", r->measured_text);

    const char *v3 = "n=512,d_model=1024,heads=16,head_dim=64,attn=mha,causal=1,rope=0,ffn=topk,experts=8,k=2,"
                     "threshold_pct=30,d_ff=1024,lsh_rounds=2,lsh_buckets=8,lsh_chunk=64";
    add_row("layer", "layer_best", v3, 2, 1e8, AB_VERDICT_PASS);
    fx.res.rows[0].pct_bound = 50.0;
    const struct ab_model *m = NULL;
    for (size_t i = 0; i < fx.n_models; i++)
        if (strcmp(fx.models[i].id, "a-v3") == 0)
            m = &fx.models[i];
    cr_assert_not_null(m);
    struct ab_model_figures f;
    ab_model_analyse(m, 2048, &f);
    double comm_ns = 256.0 * 131072.0 * 7.0 / 8.0 / 300e9 * 1e9;
    double compute_ns = 256.0 * f.flops_per_token_prefill / (312e12 * 0.5) * 1e9;
    double want = comm_ns / (comm_ns + compute_ns);
    r = judge("A8.comm");
    cr_expect_float_eq(r->measured, want, 1e-12, "%.9g vs %.9g: %s", r->measured, want, r->measured_text);
    cr_expect_lt(r->measured, 0.02, "%s", r->measured_text);
    cr_expect_eq(r->verdict, AB_CLAIM_CONTRADICTED, "%s", r->measured_text);
    cr_log_info("A8.comm on the fixture (not a measurement): %s", r->measured_text);
    cr_expect_str_eq(r->label, "projection (link bound)");
    cr_expect(strstr(r->how, "(n-1)/n") != NULL, "the model is stated: %s", r->how);
    cr_expect(strstr(r->measured_text, "NVLink 3") != NULL, "%s", r->measured_text);

    /* the same inputs with no hardware files: no verdict */
    struct ab_repro_inputs in = {.res = &fx.res, .models = fx.models, .n_models = fx.n_models, .plan = &fx.plan};
    in.scores = (struct ab_repro_scores){NAN, NAN, NAN, NAN, NULL, NULL};
    ab_reproduce_evaluate(&fx.claims, &in, fx.out);
    for (size_t i = 0; i < fx.claims.n; i++)
        if (strcmp(fx.claims.items[i].id, "A8.comm") == 0) {
            cr_expect_eq(fx.out[i].verdict, AB_CLAIM_NOT_MEASURABLE, "%s", fx.out[i].measured_text);
            cr_expect(strstr(fx.out[i].measured_text, "no hardware catalogue") != NULL, "%s", fx.out[i].measured_text);
        }
}
