/*
 * reproduce.c - judge each claim: find the rows of the run it needs (the fastest
 * verified variant of a case, at the largest thread count of the run), or compute the
 * figure from the model configurations, and apply the claim's stated rule.
 *
 * Measured figures are taken from verified rows only: a row that failed verification
 * makes a "verified" claim contradicted and every other measured claim unjudgeable. A
 * claim whose rows are not in the run says so instead of guessing.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archbench/kernel.h"
#include "archbench/procure.h"
#include "archbench/reproduce.h"
#include "archbench/rng.h"

#include "reproduce_internal.h"

/* ---- reading the test object ---------------------------------------------------------- */

static double num(const cJSON *t, const char *name, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, name);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static const char *str(const cJSON *t, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void say(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

/* ---- rows of the run --------------------------------------------------------------------- */

const char *ab__repro_resolve(const struct ab_repro_plan *plan, const char *selector, const char **out_model)
{
    if (out_model)
        *out_model = NULL;
    if (plan && strncmp(selector, "layer:", 6) == 0 && !strchr(selector, '='))
        for (size_t i = 0; i < plan->n_layers; i++)
            if (strcmp(plan->layer_names[i], selector + 6) == 0) {
                if (out_model)
                    *out_model = plan->layer_models[i];
                return plan->layer_specs[i];
            }
    return selector;
}

/* "family:P=V,..." -> the family (NULL if unknown) and the P=V part. */
static const struct ab_family *selector_family(const char *selector, const char **out_where)
{
    const char *colon = selector ? strchr(selector, ':') : NULL;
    size_t len = colon ? (size_t)(colon - selector) : (selector ? strlen(selector) : 0);
    char family[64];
    *out_where = colon ? colon + 1 : "";
    if (!selector || len >= sizeof family)
        return NULL;
    memcpy(family, selector, len);
    family[len] = '\0';
    return ab_family_find(family);
}

/* Does the row's shape have every P=V the selector names? */
bool ab__repro_shape_matches(const struct ab_family *fam, const char *row_shape, const char *where)
{
    struct ab_shape row;
    if (ab_shape_parse(fam, row_shape, &row, NULL) != AB_OK)
        return false;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", where);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq)
            return false;
        *eq = '\0';
        int pi = ab_param_index(fam, item);
        int64_t v;
        if (pi < 0 || ab_param_parse(&fam->params[pi], eq + 1, &v, NULL) != AB_OK || row.v[pi] != v)
            return false;
    }
    return true;
}

int ab__repro_max_threads(const struct ab_results *res)
{
    int t = 0;
    for (size_t i = 0; res && i < res->n_rows; i++)
        if (res->rows[i].key.threads > t && res->rows[i].verdict != AB_VERDICT_REFERENCE)
            t = res->rows[i].key.threads;
    return t;
}

/*
 * The fastest verified, timed non-reference row of a case ("family:P=V,...") at
 * `threads`; *out_failed counts rows of the case that failed verification (or crashed).
 */
const struct ab_result_row *ab__repro_best(const struct ab_results *res, const char *selector, int threads,
                                           int *out_failed)
{
    if (out_failed)
        *out_failed = 0;
    const char *where;
    const struct ab_family *fam = selector_family(selector, &where);
    if (!res || !fam)
        return NULL;
    const char *family = fam->name;
    const struct ab_result_row *best = NULL;
    for (size_t i = 0; i < res->n_rows; i++) {
        const struct ab_result_row *r = &res->rows[i];
        if (strcmp(r->key.family, family) != 0 || r->key.threads != threads || !ab__repro_shape_matches(fam, r->key.shape, where))
            continue;
        if (r->verdict == AB_VERDICT_FAIL || r->verdict == AB_VERDICT_CRASH || r->verdict == AB_VERDICT_TIMEOUT) {
            if (out_failed)
                (*out_failed)++;
            continue;
        }
        if (r->verdict != AB_VERDICT_PASS || !r->timed || !(r->median_ns > 0))
            continue;
        if (!best || r->median_ns < best->median_ns)
            best = r;
    }
    return best;
}

/* A metric of a case (any row of it: metrics are properties of the case's inputs). */
static double case_metric(const struct ab_results *res, const char *selector, const char *metric)
{
    const char *where;
    const struct ab_family *fam = selector_family(selector, &where);
    for (size_t i = 0; res && fam && i < res->n_metrics; i++) {
        const struct ab_result_metric *m = &res->metrics[i];
        if (strcmp(m->key.family, fam->name) == 0 && strcmp(m->metric, metric) == 0 &&
            ab__repro_shape_matches(fam, m->key.shape, where))
            return m->value;
    }
    return NAN;
}

const struct ab_model *ab__repro_model(const struct ab_repro_inputs *in, const char *id)
{
    for (size_t i = 0; id && i < in->n_models; i++)
        if (strcmp(in->models[i].id, id) == 0)
            return &in->models[i];
    return NULL;
}

static void run_command(char *buf, size_t size, const char *const *specs, size_t n)
{
    say(buf, size, "archbench run --filter '-_ref$'");
    for (size_t i = 0; i < n; i++)
        append(buf, size, " --shape '%s'", specs[i]);
    append(buf, size, " --threads 1,2");
}

static void not_in_run(struct ab_claim_result *r, const char *selector, int failed)
{
    r->verdict = AB_CLAIM_NOT_MEASURABLE;
    if (failed)
        say(r->measured_text, sizeof r->measured_text, "NA: %s failed verification here (%d rows): no figure", selector,
            failed);
    else
        say(r->measured_text, sizeof r->measured_text, "NA: %s is not in this run", selector);
}

/* ---- measured kinds ---------------------------------------------------------------------- */

static void eval_verified(const cJSON *t, const struct ab_repro_inputs *in, int threads, struct ab_claim_result *r)
{
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(t, "rows"), *s;
    const char *specs[16];
    size_t n = 0, missing = 0, failed = 0;
    say(r->measured_text, sizeof r->measured_text, "");
    cJSON_ArrayForEach(s, rows)
    {
        if (!cJSON_IsString(s) || n == 16)
            continue;
        const char *spec = ab__repro_resolve(in->plan, s->valuestring, NULL);
        specs[n++] = spec;
        int nf = 0;
        const struct ab_result_row *row = ab__repro_best(in->res, spec, threads, &nf);
        failed += nf > 0;
        missing += !row && nf == 0;
        append(r->measured_text, sizeof r->measured_text, "%s%s: %s", n > 1 ? "; " : "", s->valuestring,
               nf ? "FAILED verification" : row ? "verified" : "not in run");
        if (row)
            append(r->how, sizeof r->how, "%s[%s %s t=%d] ", n > 1 ? "" : "rows: ", row->key.kernel, row->key.shape,
                   row->key.threads);
    }
    r->verdict = failed ? AB_CLAIM_CONTRADICTED : missing ? AB_CLAIM_NOT_MEASURABLE : AB_CLAIM_SUPPORTED;
    run_command(r->command, sizeof r->command, specs, n);
}

static void eval_route_mean(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in, int threads,
                            struct ab_claim_result *r)
{
    const char *spec = str(t, "row"), *metric = str(t, "metric");
    int failed = 0;
    const struct ab_result_row *row = ab__repro_best(in->res, spec, threads, &failed);
    run_command(r->command, sizeof r->command, &spec, 1);
    if (!row) {
        not_in_run(r, spec, failed);
        return;
    }
    double m = case_metric(in->res, spec, metric), tol = num(t, "tol", 0.1);
    r->measured = m;
    say(r->measured_text, sizeof r->measured_text, "%.3f %s (mean over the case's tokens)", m, c->unit);
    say(r->how, sizeof r->how, "metric %s of %s; row [%s %s t=%d] verified", metric, spec, row->key.kernel,
        row->key.shape, row->key.threads);
    if (!isfinite(m)) {
        not_in_run(r, spec, 0);
        return;
    }
    r->verdict = fabs(m - c->claimed) <= tol * c->claimed + 1e-12 ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

static void eval_fidelity(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in, int threads,
                          struct ab_claim_result *r)
{
    const char *spec = str(t, "row"), *also = str(t, "also"), *metric = str(t, "metric");
    int failed = 0;
    const struct ab_result_row *row = ab__repro_best(in->res, spec, threads, &failed);
    const char *specs[2] = {spec, also};
    run_command(r->command, sizeof r->command, specs, also ? 2 : 1);
    if (!row) {
        not_in_run(r, spec, failed);
        return;
    }
    double m = case_metric(in->res, spec, metric);
    if (!isfinite(m)) {
        not_in_run(r, spec, 0);
        return;
    }
    r->measured = m;
    say(r->measured_text, sizeof r->measured_text, "%s %.4f", metric, m);
    if (also) {
        double a = case_metric(in->res, also, metric);
        append(r->measured_text, sizeof r->measured_text, " (%s: %.4f)", strstr(also, "gaussian") ? "Gaussian keys" : also,
               a);
    }
    say(r->how, sizeof r->how, "metric %s of %s (row [%s t=%d] verified)", metric, spec, row->key.kernel,
        row->key.threads);
    r->verdict = m >= c->claimed ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

/* The fastest verified rows of the claim's "fast" and "slow" cases; false (and the
 * result says why) when either is missing or failed. */
static bool find_pair(const cJSON *t, const struct ab_repro_inputs *in, int threads, struct ab_claim_result *r,
                      const char **fast, const char **slow, const struct ab_result_row **rf,
                      const struct ab_result_row **rs)
{
    *fast = ab__repro_resolve(in->plan, str(t, "fast"), NULL);
    *slow = ab__repro_resolve(in->plan, str(t, "slow"), NULL);
    const char *specs[2] = {*fast, *slow};
    run_command(r->command, sizeof r->command, specs, 2);
    int ff = 0, fs = 0;
    *rf = ab__repro_best(in->res, *fast, threads, &ff);
    *rs = ab__repro_best(in->res, *slow, threads, &fs);
    if (*rf && *rs)
        return true;
    not_in_run(r, !*rf ? *fast : *slow, !*rf ? ff : fs);
    return false;
}

static void eval_speed_ratio(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in, int threads,
                             struct ab_claim_result *r)
{
    const char *fast, *slow;
    const struct ab_result_row *rf, *rs;
    if (!find_pair(t, in, threads, r, &fast, &slow, &rf, &rs))
        return;
    double ratio = rs->median_ns / rf->median_ns;
    r->measured = ratio;
    say(r->measured_text, sizeof r->measured_text, "%.2fx at %d threads (%s %.3f ms vs %s %.3f ms)", ratio, threads,
        rf->key.kernel, rf->median_ns * 1e-6, rs->key.kernel, rs->median_ns * 1e-6);
    const struct ab_result_row *f1 = ab__repro_best(in->res, fast, 1, NULL), *s1 = ab__repro_best(in->res, slow, 1, NULL);
    if (threads != 1 && f1 && s1)
        append(r->measured_text, sizeof r->measured_text, "; %.2fx at 1 thread", s1->median_ns / f1->median_ns);
    say(r->how, sizeof r->how, "ratio of medians, fastest verified variants: [%s %s t=%d] / [%s %s t=%d]",
        rs->key.kernel, rs->key.shape, threads, rf->key.kernel, rf->key.shape, threads);
    r->verdict = ratio >= c->claimed * (1.0 - num(t, "tol", 0.1)) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

bool ab__repro_insert_sorted(double *x, double *y, size_t *n, size_t max, double xv, double yv)
{
    for (size_t k = 0; k < *n; k++)
        if (x[k] == xv)
            return false;
    if (*n == max)
        return false;
    size_t at = (*n)++;
    for (; at > 0 && x[at - 1] > xv; at--) {
        x[at] = x[at - 1];
        y[at] = y[at - 1];
    }
    x[at] = xv;
    y[at] = yv;
    return true;
}

/* Points (n, median) of the fastest verified variant per n, sorted by n. */
size_t ab__repro_series(const struct ab_results *res, const char *family, const char *param, const char *where,
                        int threads, double *n_out, double *t_out, size_t max)
{
    const struct ab_family *fam = ab_family_find(family);
    int pi = fam ? ab_param_index(fam, param) : -1;
    size_t n = 0;
    for (size_t i = 0; pi >= 0 && res && i < res->n_rows; i++) {
        const struct ab_result_row *r = &res->rows[i];
        if (strcmp(r->key.family, family) != 0 || r->key.threads != threads)
            continue;
        struct ab_shape s;
        if (ab_shape_parse(fam, r->key.shape, &s, NULL) != AB_OK)
            continue;
        char sel[400];
        snprintf(sel, sizeof sel, "%s:%s", family, r->key.shape);
        const struct ab_result_row *best = ab__repro_best(res, sel, threads, NULL);
        if (best != r || !ab__repro_shape_matches(fam, r->key.shape, where))
            continue;
        /* the same n under another value of an unnamed parameter: the first is kept */
        ab__repro_insert_sorted(n_out, t_out, &n, max, (double)s.v[pi], r->median_ns);
    }
    return n;
}

/* Least-squares slope and intercept of log t over log n on the last `use` points. */
bool ab__repro_fit(const double *n, const double *t, size_t count, size_t use, double *slope, double *icpt)
{
    if (count < 2)
        return false;
    size_t first = count > use ? count - use : 0;
    double sx = 0, sy = 0, sxx = 0, sxy = 0, m = (double)(count - first);
    for (size_t i = first; i < count; i++) {
        double x = log(n[i]), y = log(t[i]);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    double den = m * sxx - sx * sx;
    if (!(fabs(den) > 0))
        return false;
    *slope = (m * sxy - sx * sy) / den;
    *icpt = (sy - *slope * sx) / m;
    return true;
}

static void eval_growth(const cJSON *t, const struct ab_repro_inputs *in, int threads, struct ab_claim_result *r)
{
    const char *family = str(t, "family"), *param = str(t, "param"), *where = str(t, "where");
    double n[32], tm[32], slope, icpt;
    size_t count = ab__repro_series(in->res, family, param, where ? where : "", threads, n, tm, 32);
    say(r->command, sizeof r->command, "archbench run --filter '^%s/' --shape '%s:%s,%s=N' (N = 256 ... 4096)",
        family, family, where, param);
    if (!ab__repro_fit(n, tm, count, 3, &slope, &icpt) || count < 3) {
        r->verdict = AB_CLAIM_NOT_MEASURABLE;
        say(r->measured_text, sizeof r->measured_text, "NA: %zu verified lengths of %s in the run (3 needed)", count,
            family);
        return;
    }
    r->measured = slope;
    say(r->measured_text, sizeof r->measured_text, "p = %.2f over n = %.0f..%.0f (%zu lengths measured, %d thread%s)",
        slope, n[count >= 3 ? count - 3 : 0], n[count - 1], count, threads, threads > 1 ? "s" : "");
    say(r->how, sizeof r->how, "log-log least squares of the fastest verified %s median over the 3 longest lengths",
        family);
    r->verdict = slope >= num(t, "lo", 0) && slope <= num(t, "hi", 0) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

static void eval_crossover(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in, int threads,
                           struct ab_claim_result *r)
{
    double nf[32], tf[32], ns[32], ts[32], pf, cf, ps, cs;
    size_t kf = ab__repro_series(in->res, str(t, "fast_family"), str(t, "fast_param"), str(t, "fast_where"), threads,
                                 nf, tf, 32);
    size_t ks = ab__repro_series(in->res, str(t, "slow_family"), str(t, "slow_param"), str(t, "slow_where"), threads,
                                 ns, ts, 32);
    say(r->command, sizeof r->command, "archbench reproduce (the attention-length series; see plot attention_time.svg)");
    if (kf < 3 || ks < 3 || !ab__repro_fit(nf, tf, kf, 3, &pf, &cf) || !ab__repro_fit(ns, ts, ks, 3, &ps, &cs)) {
        r->verdict = AB_CLAIM_NOT_MEASURABLE;
        say(r->measured_text, sizeof r->measured_text, "NA: too few verified lengths (%zu, %zu) to fit", kf, ks);
        return;
    }
    double at = num(t, "at", c->claimed), ef = exp(cf + pf * log(at)), es = exp(cs + ps * log(at));
    r->extrapolated = true;
    r->measured = es / ef;
    say(r->measured_text, sizeof r->measured_text,
        "at n = %.0f: %s %.3g s vs %s %.3g s (%.1fx); measured up to n = %.0f", at, str(t, "fast_family"),
        ef * 1e-9, str(t, "slow_family"), es * 1e-9, es / ef, fmin(nf[kf - 1], ns[ks - 1]));
    say(r->how, sizeof r->how, "power laws t ~ n^%.2f and n^%.2f fitted to the 3 longest measured lengths, %d threads",
        pf, ps, threads);
    r->verdict = ef < es ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

/*
 * FLOPs a layer row really did. The layer family counts one expert slot per token for a
 * threshold gate (the floor: its rate is a lower bound); the gate filled
 * experts_per_token_mean of them, so the expert FFN's share of the count is scaled by it.
 */
double ab__repro_layer_flops(const struct ab_results *res, const struct ab_result_row *row)
{
    if (strcmp(row->key.family, "layer") != 0 || !strstr(row->key.shape, "ffn=threshold"))
        return row->flops;
    char sel[400];
    snprintf(sel, sizeof sel, "layer:%s", row->key.shape);
    double share = case_metric(res, sel, "flop_share_ffn"), mean = case_metric(res, sel, "experts_per_token_mean");
    if (!isfinite(share) || !isfinite(mean))
        return NAN; /* cannot correct: no figure rather than a wrong one */
    return row->flops * (1.0 + share * (mean - 1.0));
}

/* Full-model tokens/s from a layer measured at scaled width: the full model's FLOPs per
 * token at the layer's measured FLOP rate. */
static double full_tokens_per_s(const struct ab_results *res, const struct ab_result_row *row,
                                const struct ab_model *m, double tokens)
{
    struct ab_model_figures f;
    ab_model_analyse(m, tokens, &f);
    double rate = ab__repro_layer_flops(res, row) / (row->median_ns * 1e-9);
    return rate / f.flops_per_token_prefill;
}

static void eval_layer_ratio(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in, int threads,
                             struct ab_claim_result *r)
{
    const struct ab_model *mf = ab__repro_model(in, str(t, "fast_model")), *ms = ab__repro_model(in, str(t, "slow_model"));
    const char *fast, *slow;
    const struct ab_result_row *rf, *rs;
    if (!find_pair(t, in, threads, r, &fast, &slow, &rf, &rs))
        return;
    if (!mf || !ms) {
        r->verdict = AB_CLAIM_NOT_MEASURABLE;
        say(r->measured_text, sizeof r->measured_text, "NA: model configuration %s not found",
            !mf ? str(t, "fast_model") : str(t, "slow_model"));
        return;
    }
    double tokens = num(t, "tokens", 2048);
    double tf = full_tokens_per_s(in->res, rf, mf, tokens), ts = full_tokens_per_s(in->res, rs, ms, tokens);
    r->measured = tf / ts;
    r->extrapolated = true;
    say(r->measured_text, sizeof r->measured_text,
        "%.2fx (%s %.3g tokens/s vs %s %.3g tokens/s on this machine, %d threads)", tf / ts, mf->id, tf,
        ms->id, ts, threads);
    say(r->how, sizeof r->how,
        "law: full-model time per token = FLOPs per token (analytic, %.0f-token prompt) / FLOP rate of the scaled "
        "layer measured here ([%s %.1f GFLOP/s], [%s %.1f GFLOP/s])",
        tokens, rf->key.kernel, ab__repro_layer_flops(in->res, rf) / rf->median_ns, rs->key.kernel,
        ab__repro_layer_flops(in->res, rs) / rs->median_ns);
    r->verdict = tf / ts >= c->claimed * (1.0 - num(t, "tol", 0.1)) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

static void eval_energy_ratio(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in, int threads,
                              struct ab_claim_result *r)
{
    const char *fast, *slow;
    const struct ab_result_row *rf, *rs;
    if (!find_pair(t, in, threads, r, &fast, &slow, &rf, &rs))
        return;
    bool counted = (strcmp(rf->energy_source, "papi") == 0 || strcmp(rf->energy_source, "powercap") == 0) &&
                   strcmp(rf->energy_source, rs->energy_source) == 0;
    bool estimated = strcmp(rf->energy_source, "estimate") == 0 && strcmp(rs->energy_source, "estimate") == 0 &&
                     rf->flop_per_j > 0 && rs->flop_per_j > 0;
    if (!counted && estimated) {
        /* Shown, labelled, never judged: W x time makes the ratio the speed ratio again. */
        r->verdict = AB_CLAIM_NOT_MEASURABLE;
        say(r->measured_text, sizeof r->measured_text,
            "NA as a measurement (no energy counter). Estimate, model TDP x time (%s): %.3g vs %.3g TFLOP/J, "
            "%.2fx, which is only the FLOP-rate ratio",
            rf->energy_note, rf->flop_per_j * 1e-12, rs->flop_per_j * 1e-12, rf->flop_per_j / rs->flop_per_j);
        return;
    }
    if (!counted || !(rf->flop_per_j > 0) || !(rs->flop_per_j > 0)) {
        r->verdict = AB_CLAIM_NOT_MEASURABLE;
        say(r->measured_text, sizeof r->measured_text,
            "NA: no energy counter on this machine (energy source: %s%s%s); an estimate from TDP x time would only "
            "restate the speed ratio",
            rf->energy_source, rf->energy_note[0] ? ", " : "", rf->energy_note);
        return;
    }
    r->measured = rf->flop_per_j / rs->flop_per_j;
    say(r->measured_text, sizeof r->measured_text, "%.2fx (%.3g vs %.3g TFLOP/J, %s)", r->measured,
        rf->flop_per_j * 1e-12, rs->flop_per_j * 1e-12, rf->energy_source);
    say(r->how, sizeof r->how, "FLOP per joule of [%s t=%d] / [%s t=%d]", rf->key.kernel, threads, rs->key.kernel,
        threads);
    r->verdict = r->measured >= c->claimed * (1.0 - num(t, "tol", 0.1)) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

/* ---- computed kinds ---------------------------------------------------------------------- */

static void model_command(char *buf, size_t size, const char *id, double tokens)
{
    say(buf, size, "archbench model datasets/models/%s.json --tokens %.0f", id, tokens);
}

static bool need_model(const struct ab_repro_inputs *in, const char *id, const struct ab_model **out,
                       struct ab_claim_result *r)
{
    *out = ab__repro_model(in, id);
    if (*out)
        return true;
    r->verdict = AB_CLAIM_NOT_MEASURABLE;
    say(r->measured_text, sizeof r->measured_text, "NA: model configuration '%s' not found", id ? id : "?");
    return false;
}

static void eval_active(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in, int threads,
                        struct ab_claim_result *r)
{
    const struct ab_model *m0;
    if (!need_model(in, str(t, "model"), &m0, r))
        return;
    struct ab_model m = *m0;
    double total_claimed = num(t, "claimed_total", NAN), tol = num(t, "tol", 0.1);
    r->analytic = true;
    model_command(r->command, sizeof r->command, m.id, 2048);
    const cJSON *dense = cJSON_GetObjectItemCaseSensitive(t, "dense");
    struct ab_model_figures f;
    if (cJSON_IsTrue(dense)) {
        ab_model_analyse(&m, 2048, &f);
        r->measured = f.params_total;
        say(r->measured_text, sizeof r->measured_text, "%.3gB parameters (analytic, configuration %s)",
            f.params_total * 1e-9, m.id);
        say(r->how, sizeof r->how, "parameter count of datasets/models/%s.json", m.id);
        r->verdict = fabs(f.params_total / c->claimed - 1.0) <= tol ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
        return;
    }
    /* Threshold routing activates a data-dependent number of experts: use the mean the
     * gate was measured to pick in this run. */
    const char *route = str(t, "experts_per_token_row");
    double k = ab__model_experts_per_token(&m), e = (double)ab__model_experts(&m);
    if (route) {
        const char *specs[1] = {route};
        double mean = case_metric(in->res, route, "experts_per_token_mean");
        if (ab__repro_best(in->res, route, threads, NULL) && isfinite(mean)) {
            k = mean;
            ab__model_set_experts_per_token(&m, mean); /* still an analytic count, with a measured k */
        } else {
            append(r->how, sizeof r->how, "(routing row not in the run: the configuration's k is used) ");
        }
        run_command(r->command, sizeof r->command, specs, 1);
    }
    ab_model_analyse(&m, 2048, &f);
    double bound = total_claimed * k / e;
    r->measured = f.params_active;
    say(r->measured_text, sizeof r->measured_text,
        "%.3gB active of %.3gB (configuration %s, %.2f of %.0f experts per token%s); least possible for %.3gB: %.3gB",
        f.params_active * 1e-9, f.params_total * 1e-9, m.id, k, e, route ? ", measured" : "", total_claimed * 1e-9,
        bound * 1e-9);
    append(r->how, sizeof r->how,
           "bound: active >= total x k/E (every parameter in experts, none shared); then the configuration's count");
    if (c->claimed <= bound * (1.0 + 1e-9))
        r->verdict = AB_CLAIM_INCONSISTENT;
    else
        r->verdict = fabs(f.params_active / c->claimed - 1.0) <= tol ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

static void eval_memory(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in,
                        struct ab_claim_result *r)
{
    const struct ab_model *m;
    if (!need_model(in, str(t, "model"), &m, r))
        return;
    double tokens = num(t, "tokens", 2048), devices = num(t, "devices", 1);
    struct ab_model_figures f;
    ab_model_analyse(m, tokens, &f);
    r->analytic = true;
    r->measured = f.memory_bytes / devices;
    model_command(r->command, sizeof r->command, m->id, tokens);
    say(r->measured_text, sizeof r->measured_text,
        "%.3g GB%s (analytic: resident weights %.3g GB + KV %.3g GB + activations %.3g GB%s)", r->measured * 1e-9,
        devices > 1 ? " per device" : "", f.weight_bytes_resident * 1e-9, f.kv_cache_bytes * 1e-9,
        f.activation_bytes * 1e-9, f.offloaded_bytes > 0 ? "; experts offloaded" : "");
    if (devices > 1)
        append(r->measured_text, sizeof r->measured_text, ", over %.0f devices", devices);
    say(r->how, sizeof r->how, "memory model of datasets/models/%s.json at %.0f tokens, batch 1%s", m->id, tokens,
        devices > 1 ? ", split evenly (an optimistic per-device figure)" : "");
    r->verdict = fabs(r->measured / c->claimed - 1.0) <= num(t, "tol", 0.25) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

static void eval_memory_saving(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in,
                               struct ab_claim_result *r)
{
    const struct ab_model *m, *b;
    if (!need_model(in, str(t, "model"), &m, r) || !need_model(in, str(t, "base"), &b, r))
        return;
    double tokens = num(t, "tokens", 2048);
    struct ab_model_figures fm, fb;
    ab_model_analyse(m, tokens, &fm);
    ab_model_analyse(b, tokens, &fb);
    r->analytic = true;
    r->measured = 1.0 - fm.memory_bytes / fb.memory_bytes;
    model_command(r->command, sizeof r->command, m->id, tokens);
    say(r->measured_text, sizeof r->measured_text, "%.1f%% less (%.3g GB vs %.3g GB, analytic)", 100 * r->measured,
        fm.memory_bytes * 1e-9, fb.memory_bytes * 1e-9);
    say(r->how, sizeof r->how, "memory models of %s and %s at %.0f tokens", m->id, b->id, tokens);
    r->verdict = fabs(r->measured - c->claimed) <= num(t, "abs_tol", 0.1) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

static void eval_precision_cut(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in,
                               struct ab_claim_result *r)
{
    const struct ab_model *m0;
    if (!need_model(in, str(t, "model"), &m0, r))
        return;
    double tokens = num(t, "tokens", 2048);
    struct ab_model m = *m0;
    struct ab_model_figures f0, f1;
    ab_model_analyse(&m, tokens, &f0);
    ab__model_set_weight_bytes(&m, num(t, "weight_bytes", 1));
    ab_model_analyse(&m, tokens, &f1);
    r->analytic = true;
    r->measured = 1.0 - f1.memory_bytes / f0.memory_bytes;
    model_command(r->command, sizeof r->command, m.id, tokens);
    say(r->measured_text, sizeof r->measured_text, "%.1f%% less (%.3g GB -> %.3g GB, analytic; weights alone: %.0f%%)",
        100 * r->measured, f0.memory_bytes * 1e-9, f1.memory_bytes * 1e-9,
        100 * (1.0 - f1.weight_bytes / f0.weight_bytes));
    say(r->how, sizeof r->how, "memory model of %s at %.0f tokens with %.0f-byte weights", m.id, tokens,
        num(t, "weight_bytes", 1));
    r->verdict = fabs(r->measured - c->claimed) <= num(t, "abs_tol", 0.05) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

static void eval_device_fit(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in,
                            struct ab_claim_result *r)
{
    const struct ab_model *m;
    if (!need_model(in, str(t, "model"), &m, r))
        return;
    double tokens = num(t, "tokens", 2048), dev = num(t, "device_bytes", 80e9);
    struct ab_model_figures f;
    ab_model_analyse(m, tokens, &f);
    double need = ceil(f.memory_bytes / dev), pow2 = 1;
    while (pow2 < need)
        pow2 *= 2;
    r->analytic = true;
    r->measured = pow2;
    model_command(r->command, sizeof r->command, m->id, tokens);
    say(r->measured_text, sizeof r->measured_text, "%.0f card(s) (%.3g GB / %.0f GB = %.0f, to a power of two: %.0f)",
        pow2, f.memory_bytes * 1e-9, dev * 1e-9, need, pow2);
    say(r->how, sizeof r->how, "memory model of %s at %.0f tokens against the claim's card memory", m->id, tokens);
    r->verdict = pow2 == c->claimed ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

static void eval_size_ratio(const struct ab_claim *c, const cJSON *t, struct ab_claim_result *r)
{
    double ratio = num(t, "base_bytes", 2) / num(t, "quant_bytes", 1);
    r->analytic = true;
    r->measured = ratio;
    say(r->measured_text, sizeof r->measured_text,
        "at most %.1fx (%.0f -> %.0f bytes per weight, before the per-channel scales and the layers kept wider)", ratio,
        num(t, "base_bytes", 2), num(t, "quant_bytes", 1));
    say(r->how, sizeof r->how, "bytes per weight of the two precisions");
    say(r->command, sizeof r->command, "(arithmetic: no command)");
    r->verdict = ratio >= c->claimed * (1.0 - num(t, "tol", 0.1)) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

/* The article's sample code, (q k^T) d^-1/2 v with no softmax, against exact attention,
 * both in double on seeded Gaussian inputs. */
static void eval_no_softmax(const cJSON *t, struct ab_claim_result *r)
{
    /* Bounded before the conversion (a double outside size_t's range does not convert) and
     * small: the work is 2 n^2 d in double, and the point (the code is not attention) shows
     * at n = d = 64. At 1024 x 1024 a claims file could stall `reproduce` for minutes (found
     * by fuzz_claims: n = 646 took 3.9 s under ASan). */
    double n_want = num(t, "n", 64), d_want = num(t, "d", 64);
    size_t n = n_want >= 1 && n_want <= 256 ? (size_t)n_want : 0, d = d_want >= 1 && d_want <= 256 ? (size_t)d_want : 0;
    if (n == 0 || d == 0) {
        r->verdict = AB_CLAIM_NOT_MEASURABLE;
        say(r->measured_text, sizeof r->measured_text, "NA: n and d must be 1..256 in the claim");
        return;
    }
    double *q = malloc(3 * n * d * sizeof *q), *s = malloc(2 * n * sizeof *s); /* scores, then weights */
    if (!q || !s) {
        free(q);
        free(s);
        r->verdict = AB_CLAIM_NOT_MEASURABLE;
        say(r->measured_text, sizeof r->measured_text, "NA: out of memory");
        return;
    }
    double *k = q + n * d, *v = k + n * d, *w = s + n;
    struct ab_rng rng;
    ab_rng_seed(&rng, 1);
    for (size_t i = 0; i < 3 * n * d; i++)
        q[i] = ab_rng_normal(&rng);
    double diff2 = 0, ref2 = 0, scale = 1.0 / sqrt((double)d);
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY, sum = 0;
        for (size_t j = 0; j < n; j++) {
            double dot = 0;
            for (size_t c = 0; c < d; c++)
                dot += q[i * d + c] * k[j * d + c];
            s[j] = dot * scale;
            mx = fmax(mx, s[j]);
        }
        for (size_t j = 0; j < n; j++)
            sum += w[j] = exp(s[j] - mx);
        for (size_t c = 0; c < d; c++) {
            double exact = 0, article = 0;
            for (size_t j = 0; j < n; j++) {
                exact += w[j] / sum * v[j * d + c];
                article += s[j] * v[j * d + c];
            }
            diff2 += (article - exact) * (article - exact);
            ref2 += exact * exact;
        }
    }
    free(q);
    free(s);
    double rel = sqrt(diff2 / ref2);
    r->measured = rel;
    say(r->measured_text, sizeof r->measured_text, "relative error %.3g against exact attention (n = %zu, d = %zu)", rel,
        n, d);
    say(r->how, sizeof r->how, "the article's code and softmax attention, float64, seeded N(0,1) inputs");
    say(r->command, sizeof r->command, "archbench reproduce (computed in-process; exact attention is mha_ref's definition)");
    r->verdict = rel > num(t, "max_rel_err", 1e-3) ? AB_CLAIM_CONTRADICTED : AB_CLAIM_SUPPORTED;
}

static void eval_arith(const cJSON *t, struct ab_claim_result *r)
{
    double left = num(t, "left", NAN), right = num(t, "right", NAN);
    const char *rel = str(t, "relation");
    bool holds = rel && strcmp(rel, "less") == 0 ? left < right : left > right;
    r->measured = left;
    say(r->measured_text, sizeof r->measured_text, "%s", str(t, "reason") ? str(t, "reason") : "");
    say(r->how, sizeof r->how, "the article's own figures: %.4g %s %.4g is %s", left,
        rel && strcmp(rel, "less") == 0 ? "<" : ">", right, holds ? "true" : "false");
    say(r->command, sizeof r->command, "(arithmetic: no command)");
    r->verdict = holds ? AB_CLAIM_SUPPORTED : AB_CLAIM_INCONSISTENT;
}

static void eval_predictions(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in,
                             struct ab_claim_result *r)
{
    const char *bench = str(t, "benchmark"), *measure = str(t, "measure");
    bool glue = bench && strcmp(bench, "glue") == 0;
    double v3 = glue ? in->scores.glue_v3 : in->scores.superglue_v3;
    double r1 = glue ? in->scores.glue_r1 : in->scores.superglue_r1;
    say(r->command, sizeof r->command,
        "archbench reproduce --gold-%s GOLD_DIR --pred-v3 V3_DIR --pred-r1 R1_DIR (leaderboard submission layout)",
        glue ? "glue" : "superglue");
    if (!isfinite(v3) || !isfinite(r1)) {
        r->verdict = AB_CLAIM_NEEDS_PREDICTIONS;
        say(r->measured_text, sizeof r->measured_text, "NA: needs both models' %s predictions", glue ? "GLUE" : "SuperGLUE");
        return;
    }
    say(r->how, sizeof r->how, "%s scores of %s (V3) and %s (R1), scored by archbench eval", glue ? "GLUE" : "SuperGLUE",
        in->scores.pred_v3, in->scores.pred_r1);
    if (measure && strcmp(measure, "ratio_r1_v3") == 0) {
        r->measured = r1 / v3;
        say(r->measured_text, sizeof r->measured_text, "%.3f (R1 %.2f / V3 %.2f)", r->measured, r1, v3);
        r->verdict = r->measured >= num(t, "at_least", c->claimed) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
    } else if (measure && strcmp(measure, "drop_v3_r1") == 0) {
        r->measured = v3 - r1;
        say(r->measured_text, sizeof r->measured_text, "%.2f points (V3 %.2f, R1 %.2f)", r->measured, v3, r1);
        r->verdict = fabs(r->measured - c->claimed) <= num(t, "abs_tol", 0.5) ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
    } else {
        double tol = num(t, "abs_tol", 1.0);
        r->measured = r1 - v3;
        say(r->measured_text, sizeof r->measured_text, "V3 %.2f, R1 %.2f", v3, r1);
        r->verdict = fabs(v3 - num(t, "v3", NAN)) <= tol && fabs(r1 - num(t, "r1", NAN)) <= tol ? AB_CLAIM_SUPPORTED
                                                                                                : AB_CLAIM_CONTRADICTED;
    }
}

/* ---- projection onto hardware not present -------------------------------------------------- */

/*
 * The model's all-to-all over a catalogue link beside its compute on a catalogue device
 * (ab_comm_project_analytic). Compute runs at the device's dense peak of the weights'
 * precision times the fraction of its own roofline bound the claim's layer reached on this
 * machine (as `project --efficiency measured`): the one measured input, so without the
 * layer row there is no verdict. Why not this machine's compute time beside the link's
 * time: that pairs a CPU with NVLink, a machine nobody deploys. The moe_ep family measures
 * the share itself only under mpirun, which reproduce does not use; its projection is
 * `archbench project RUN --interconnect`.
 */
static void eval_comm_projection(const struct ab_claim *c, const cJSON *t, const struct ab_repro_inputs *in,
                                 int threads, struct ab_claim_result *r)
{
    const struct ab_model *m;
    if (!need_model(in, str(t, "model"), &m, r))
        return;
    const char *dev_name = str(t, "device"), *link_name = str(t, "interconnect");
    say(r->command, sizeof r->command, "archbench reproduce --quick (layer %s); archbench model datasets/models/%s.json",
        str(t, "layer"), m->id);
    const struct ab_device *dev = in->catalogue ? ab_catalogue_find(in->catalogue, dev_name) : NULL;
    const struct ab_interconnect *link = in->interconnects ? ab_interconnects_find(in->interconnects, link_name) : NULL;
    r->verdict = AB_CLAIM_NOT_MEASURABLE;
    if (!in->catalogue || !in->interconnects) {
        say(r->measured_text, sizeof r->measured_text,
            "NA: no hardware catalogue or interconnects loaded (datasets/hardware/): nothing to project onto");
        return;
    }
    if (!dev || !link) {
        say(r->measured_text, sizeof r->measured_text, "NA: %s '%s' not in the %s", !dev ? "device" : "interconnect",
            !dev ? dev_name : link_name, !dev ? "hardware catalogue given" : "interconnects given");
        return;
    }
    double peak = m->weight_bytes_per_param <= 1.0   ? dev->peak_int8_op_per_s
                  : m->weight_bytes_per_param <= 2.0 ? dev->peak_fp16_bf16_flop_per_s
                                                     : dev->peak_fp32_flop_per_s;
    if (!(peak > 0.0)) {
        say(r->measured_text, sizeof r->measured_text, "NA: the catalogue states no peak of %s's weight precision for '%s'",
            m->id, dev->name);
        return;
    }
    const char *sel = ab__repro_resolve(in->plan, str(t, "layer"), NULL);
    int failed = 0;
    const struct ab_result_row *row = in->res ? ab__repro_best(in->res, sel, threads, &failed) : NULL;
    if (!row) {
        not_in_run(r, str(t, "layer"), failed);
        append(r->measured_text, sizeof r->measured_text,
               " (the projection takes its compute efficiency from it); the moe_ep family measures the share only "
               "under mpirun: needs mpirun, see archbench project RUN --interconnect");
        return;
    }
    if (isnan(row->pct_bound) || row->pct_bound <= 0.0 || row->pct_bound > 100.0 || row->implausible) {
        say(r->measured_text, sizeof r->measured_text,
            "NA: %s has no plausible %% of its roofline bound here (%.3g): no efficiency to carry to %s", row->key.kernel,
            row->pct_bound, dev->name);
        return;
    }
    double tokens = num(t, "tokens", 2048), n_dev = num(t, "devices", 8), eff = row->pct_bound / 100.0;
    struct ab_model_figures f;
    ab_model_analyse(m, tokens, &f);
    struct ab_comm_analytic a = {.a2a_bytes_per_token = f.a2a_bytes_per_token, .flops_per_token = f.flops_per_token_prefill,
                                 .moe_layers = (double)(m->n_layers - m->n_dense_layers), .n_devices = n_dev,
                                 .tokens = tokens, .flop_per_s = peak * eff};
    struct ab_comm_projection p, at_peak;
    struct ab_comm_analytic a_peak = a;
    a_peak.flop_per_s = peak;
    if (ab_comm_project_analytic(&a, link, &p) != AB_OK || ab_comm_project_analytic(&a_peak, link, &at_peak) != AB_OK) {
        say(r->measured_text, sizeof r->measured_text, "NA: the projection's inputs are out of range (%s, %.0f devices)",
            m->id, n_dev);
        return;
    }
    double tol = num(t, "abs_tol", 0.06);
    r->measured = p.share;
    r->projection = true;
    say(r->measured_text, sizeof r->measured_text,
        "%.2f%% (comm %.3g us vs compute %.3g us per device for %.0f tokens on %.0f x %s over %s; at the device's "
        "peak compute instead: %.2f%%)",
        100.0 * p.share, p.comm_ns * 1e-3, p.compute_ns * 1e-3, tokens, n_dev, dev->name, link->name,
        100.0 * at_peak.share);
    say(r->how, sizeof r->how,
        "projection (link bound): %s; %s all-to-all %.4g B/token, %.4g FLOP/token (analytic); rate %.4g TFLOP/s = "
        "peak x %.1f%% of bound measured by [%s t=%d]; %s; supported if within %.0f points of %.0f%%",
        ab_comm_model_text_analytic(), m->id, f.a2a_bytes_per_token, f.flops_per_token_prefill, peak * eff * 1e-12,
        row->pct_bound, row->key.kernel, threads, p.latency_counted ? "latency counted" : "no latency stated: bandwidth only",
        tol * 100.0, c->claimed * 100.0);
    r->verdict = fabs(p.share - c->claimed) <= tol ? AB_CLAIM_SUPPORTED : AB_CLAIM_CONTRADICTED;
}

void ab_reproduce_evaluate(const struct ab_claims *claims, const struct ab_repro_inputs *in,
                           struct ab_claim_result *out)
{
    int threads = ab__repro_max_threads(in->res);
    for (size_t i = 0; i < claims->n; i++) {
        const struct ab_claim *c = &claims->items[i];
        struct ab_claim_result *r = &out[i];
        memset(r, 0, sizeof *r);
        r->measured = NAN;
        const cJSON *t = c->test;
        const char *kind = str(t, "kind");
        if (strcmp(kind, "not_measurable") == 0) {
            r->verdict = AB_CLAIM_NOT_MEASURABLE;
            say(r->measured_text, sizeof r->measured_text, "NA: %s", str(t, "reason") ? str(t, "reason") : "no reason given");
            say(r->command, sizeof r->command, "-");
        } else if (strcmp(kind, "verified") == 0)
            eval_verified(t, in, threads, r);
        else if (strcmp(kind, "route_mean") == 0)
            eval_route_mean(c, t, in, threads, r);
        else if (strcmp(kind, "fidelity") == 0)
            eval_fidelity(c, t, in, threads, r);
        else if (strcmp(kind, "speed_ratio") == 0)
            eval_speed_ratio(c, t, in, threads, r);
        else if (strcmp(kind, "growth") == 0)
            eval_growth(t, in, 1, r); /* one thread: the cost law, not the scaling of a team */
        else if (strcmp(kind, "crossover") == 0)
            eval_crossover(c, t, in, 1, r);
        else if (strcmp(kind, "layer_ratio") == 0)
            eval_layer_ratio(c, t, in, threads, r);
        else if (strcmp(kind, "energy_ratio") == 0)
            eval_energy_ratio(c, t, in, threads, r);
        else if (strcmp(kind, "active_params") == 0)
            eval_active(c, t, in, threads, r);
        else if (strcmp(kind, "memory") == 0)
            eval_memory(c, t, in, r);
        else if (strcmp(kind, "memory_saving") == 0)
            eval_memory_saving(c, t, in, r);
        else if (strcmp(kind, "precision_cut") == 0)
            eval_precision_cut(c, t, in, r);
        else if (strcmp(kind, "device_fit") == 0)
            eval_device_fit(c, t, in, r);
        else if (strcmp(kind, "size_ratio") == 0)
            eval_size_ratio(c, t, r);
        else if (strcmp(kind, "attention_no_softmax") == 0)
            eval_no_softmax(t, r);
        else if (strcmp(kind, "arith") == 0)
            eval_arith(t, r);
        else if (strcmp(kind, "predictions") == 0)
            eval_predictions(c, t, in, r);
        else if (strcmp(kind, "comm_projection") == 0)
            eval_comm_projection(c, t, in, threads, r);
        if (!in->res && !r->analytic && r->verdict == AB_CLAIM_NOT_MEASURABLE && strstr(r->measured_text, "not in"))
            say(r->measured_text, sizeof r->measured_text, "NA: no run given");
        if (r->verdict == AB_CLAIM_NOT_MEASURABLE || r->verdict == AB_CLAIM_NEEDS_PREDICTIONS)
            r->label = "NA";
        else if (r->projection)
            r->label = "projection (link bound)";
        else if (r->extrapolated)
            r->label = "extrapolated";
        else if (r->analytic)
            r->label = "analytic";
        else if (strcmp(kind, "arith") == 0)
            r->label = "article";
        else if (strcmp(kind, "attention_no_softmax") == 0)
            r->label = "computed";
        else
            r->label = "measured";
    }
}

/* ---- the configuration values the claims vary -------------------------------------------- */

double ab__model_experts_per_token(const struct ab_model *m)
{
    return m->experts_per_token;
}

double ab__model_experts(const struct ab_model *m)
{
    return (double)m->n_experts;
}

void ab__model_set_experts_per_token(struct ab_model *m, double k)
{
    m->experts_per_token = k;
}

void ab__model_set_weight_bytes(struct ab_model *m, double bytes_per_weight)
{
    m->weight_bytes_per_param = bytes_per_weight;
}
