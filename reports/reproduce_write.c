/*
 * reproduce_write.c - reproduction.md (each article's table rebuilt: claim | claimed |
 * measured here | verdict | how | command), claims.csv, and the plots a person would
 * rather look at than read, through the one plotting module (archbench/plot.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archbench/kernel.h"
#include "archbench/plot.h"
#include "archbench/report.h"
#include "archbench/reproduce.h"

#include "reproduce_internal.h"

static void fmt_claimed(char *buf, size_t size, double v, const char *unit)
{
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (strcmp(unit, "parameters") == 0)
        snprintf(buf, size, "%.3gB", v * 1e-9);
    else if (strcmp(unit, "bytes") == 0)
        snprintf(buf, size, "%.3g GB", v * 1e-9);
    else if (strcmp(unit, "x") == 0)
        snprintf(buf, size, "%.3gx", v);
    else if (strcmp(unit, "share") == 0)
        snprintf(buf, size, "%.3g%%", 100 * v);
    else
        snprintf(buf, size, "%.4g %s", v, unit);
}

/* Markdown table cells: '|' and line ends would break the table. */
static void cell(FILE *fp, const char *s)
{
    for (; *s; s++)
        fputs(*s == '|' ? "\\|" : *s == '\n' ? " " : (char[]){*s, 0}, fp);
}

/* ---- plots ---------------------------------------------------------------------------- */

struct plot_out {
    char files[8][64];
    char notes[8][200];
    size_t n;
};

static void plot_done(struct plot_out *po, const char *file, enum ab_status st, const struct ab_error *err)
{
    if (po->n == 8)
        return;
    snprintf(po->files[po->n], sizeof po->files[0], "%s", st == AB_OK ? file : "");
    snprintf(po->notes[po->n], sizeof po->notes[0], "%s: %.150s", file,
             st == AB_OK ? "" : err->msg[0] ? err->msg : "not drawn");
    po->n++;
}

/* Where does y1/y2 (both on the same x) cross `level`? log-log interpolation; NaN if never. */
static double crossing(const double *x, const double *ratio, size_t n, double level)
{
    for (size_t i = 1; i < n; i++)
        if ((ratio[i - 1] - level) * (ratio[i] - level) <= 0 && ratio[i - 1] != ratio[i]) {
            double a = log(ratio[i - 1]), b = log(ratio[i]), f = (log(level) - a) / (b - a);
            return exp(log(x[i - 1]) + f * (log(x[i]) - log(x[i - 1])));
        }
    return NAN;
}

static void plot_attention(const char *dir, const struct ab_repro_inputs *in, int threads, struct plot_out *po)
{
    static const char *const fam[3] = {"mha", "linear_attn", "lsh_attn"};
    static const char *const param[3] = {"n_q", "n", "n"};
    static const char *const where[3] = {"heads_q=2,d=64,causal=1", "heads=2,d=64,causal=1,dist=gaussian",
                                         "heads=2,d=64,causal=1,dist=gaussian"};
    static const char *const label[3] = {"exact (mha)", "linear elu+1", "LSH"};
    double x[3][32], y[3][32];
    size_t n[3];
    struct ab_plot_series s[3];
    size_t ns = 0;
    for (int f = 0; f < 3; f++) {
        n[f] = ab__repro_series(in->res, fam[f], param[f], where[f], threads, x[f], y[f], 32);
        for (size_t i = 0; i < n[f]; i++)
            y[f][i] *= 1e-6; /* ms */
        if (n[f])
            s[ns++] = (struct ab_plot_series){.label = label[f], .x = x[f], .y = y[f], .n = n[f]};
    }
    if (ns == 0)
        return;
    /* Crossovers on the lengths both kernels were measured at. */
    struct ab_plot_mark marks[2];
    char mark_text[2][64];
    size_t nm = 0;
    for (int f = 1; f < 3; f++) {
        double cx[32], ratio[32];
        size_t k = 0;
        for (size_t i = 0; i < n[0]; i++)
            for (size_t j = 0; j < n[f]; j++)
                if (x[0][i] == x[f][j] && k < 32) {
                    cx[k] = x[0][i];
                    ratio[k++] = y[0][i] / y[f][j];
                }
        double level = f == 1 ? 3.2 : 1.0, at = crossing(cx, ratio, k, level);
        if (isfinite(at)) {
            snprintf(mark_text[nm], sizeof mark_text[0], f == 1 ? "A7 3.2x: n=%.0f" : "LSH<exact: n=%.0f", at);
            marks[nm] = (struct ab_plot_mark){at, mark_text[nm]};
            nm++;
        }
    }
    char note[160];
    snprintf(note, sizeof note, "2 heads x 64, causal, fastest verified variant, %d thread%s", threads,
             threads > 1 ? "s" : "");
    struct ab_plot p = {.title = "Attention time vs sequence length", .x_label = "tokens n", .y_label = "time per call (ms)",
                        .log_x = true, .log_y = true, .series = s, .n_series = ns, .marks = marks, .n_marks = nm,
                        .note = note};
    char path[1024];
    snprintf(path, sizeof path, "%s/attention_time.svg", dir);
    struct ab_error err = {0};
    plot_done(po, "attention_time.svg", ab_plot_svg(&p, path, &err), &err);
}

/* metric vs n of one family's cases matching `where` */
static size_t metric_series(const struct ab_results *res, const char *family, const char *where, const char *metric,
                            double *x, double *y, size_t max)
{
    const struct ab_family *fam = ab_family_find(family);
    int pi = fam ? ab_param_index(fam, "n") : -1;
    size_t n = 0;
    for (size_t i = 0; pi >= 0 && res && i < res->n_metrics; i++) {
        const struct ab_result_metric *m = &res->metrics[i];
        if (strcmp(m->key.family, family) != 0 || strcmp(m->metric, metric) != 0 || !isfinite(m->value))
            continue;
        struct ab_shape s;
        if (ab_shape_parse(fam, m->key.shape, &s, NULL) != AB_OK)
            continue;
        if (ab__repro_shape_matches(fam, m->key.shape, where)) /* a case the selector names */
            ab__repro_insert_sorted(x, y, &n, max, (double)s.v[pi], m->value);
    }
    return n;
}

static void plot_fidelity(const char *dir, const struct ab_repro_inputs *in, struct plot_out *po)
{
    static const char *const fam[4] = {"linear_attn", "linear_attn", "lsh_attn", "lsh_attn"};
    static const char *const where[4] = {"heads=2,d=64,causal=1,dist=gaussian", "heads=2,d=64,causal=1,dist=clustered",
                                         "heads=2,d=64,causal=1,dist=gaussian", "heads=2,d=64,causal=1,dist=clustered"};
    static const char *const label[4] = {"linear, Gaussian keys", "linear, clustered keys", "LSH, Gaussian keys",
                                         "LSH, clustered keys"};
    double x[4][32], y[4][32];
    struct ab_plot_series s[5]; /* four measured series and the claim's line */
    size_t ns = 0;
    for (int f = 0; f < 4; f++) {
        size_t n = metric_series(in->res, fam[f], where[f], "cosine_vs_exact", x[f], y[f], 32);
        if (n)
            s[ns++] = (struct ab_plot_series){.label = label[f], .x = x[f], .y = y[f], .n = n};
    }
    if (!ns)
        return;
    double lx[2] = {1e9, 0}, ly[2] = {0.95, 0.95};
    for (size_t i = 0; i < ns; i++)
        for (size_t k = 0; k < s[i].n; k++) {
            lx[0] = fmin(lx[0], s[i].x[k]);
            lx[1] = fmax(lx[1], s[i].x[k]);
        }
    s[ns++] = (struct ab_plot_series){.label = "A7's claim: 95%", .x = lx, .y = ly, .n = 2, .dashed = true};
    struct ab_plot p = {.title = "Fidelity to exact attention vs sequence length", .x_label = "tokens n",
                        .y_label = "mean cosine similarity of output rows", .log_x = true, .series = s, .n_series = ns,
                        .note = "sampled rows against exact softmax attention on the same inputs"};
    char path[1024];
    snprintf(path, sizeof path, "%s/attention_fidelity.svg", dir);
    struct ab_error err = {0};
    plot_done(po, "attention_fidelity.svg", ab_plot_svg(&p, path, &err), &err);
}

static void plot_memory(const char *dir, const struct ab_repro_inputs *in, struct plot_out *po)
{
    enum { NT = 8, NM = 8 };
    double x[NT], y[NM][NT];
    struct ab_plot_series s[NM];
    size_t ns = 0;
    for (int i = 0; i < NT; i++)
        x[i] = 1024.0 * (1 << i); /* 1K .. 128K tokens */
    for (size_t m = 0; m < in->n_models && ns < NM; m++) {
        for (int i = 0; i < NT; i++) {
            struct ab_model_figures f;
            ab_model_analyse(&in->models[m], x[i], &f);
            y[ns][i] = f.memory_bytes * 1e-9;
        }
        s[ns] = (struct ab_plot_series){.label = in->models[m].id, .x = x, .y = y[ns], .n = NT};
        ns++;
    }
    if (!ns)
        return;
    struct ab_plot p = {.title = "Memory vs tokens (analytic)", .x_label = "tokens in context",
                        .y_label = "memory, batch 1 (GB)", .log_x = true, .log_y = true, .series = s, .n_series = ns,
                        .note = "analytic model: resident weights + KV cache + activations; not measured"};
    char path[1024];
    snprintf(path, sizeof path, "%s/memory_tokens.svg", dir);
    struct ab_error err = {0};
    plot_done(po, "memory_tokens.svg", ab_plot_svg(&p, path, &err), &err);
}

static void plot_route(const char *dir, const struct ab_repro_inputs *in, struct plot_out *po)
{
    double x[32], y[32];
    const struct ab_family *fam = ab_family_find("moe_route");
    int pi = fam ? ab_param_index(fam, "spread") : -1;
    size_t n = 0;
    for (size_t i = 0; pi >= 0 && in->res && i < in->res->n_metrics && n < 32; i++) {
        const struct ab_result_metric *m = &in->res->metrics[i];
        struct ab_shape s;
        if (strcmp(m->key.family, "moe_route") != 0 || strcmp(m->metric, "experts_per_token_mean") != 0 ||
            ab_shape_parse(fam, m->key.shape, &s, NULL) != AB_OK ||
            !ab__repro_shape_matches(fam, m->key.shape, "gate=threshold,experts=4,tau_pct=30"))
            continue;
        ab__repro_insert_sorted(x, y, &n, 32, (double)s.v[pi] / 10.0, m->value); /* spread is in tenths */
    }
    if (!n)
        return;
    double lx[2] = {x[0], x[n - 1]}, ly[2] = {1, 1};
    struct ab_plot_series s[2] = {
        {.label = "threshold 0.3, 4 experts (measured)", .x = x, .y = y, .n = n},
        {.label = "A2's claim: 1 expert per token", .x = lx, .y = ly, .n = 2, .dashed = true},
    };
    struct ab_plot p = {.title = "Experts per token vs router logit spread", .x_label = "standard deviation of the logits",
                        .y_label = "mean experts per token", .log_x = true, .series = s, .n_series = 2,
                        .note = "threshold gate with argmax fallback (A5), verified against its reference"};
    char path[1024];
    snprintf(path, sizeof path, "%s/route_spread.svg", dir);
    struct ab_error err = {0};
    plot_done(po, "route_spread.svg", ab_plot_svg(&p, path, &err), &err);
}

/* ---- files -------------------------------------------------------------------------------- */

static enum ab_status write_csv(const char *dir, const struct ab_claims *claims, const struct ab_claim_result *res,
                                struct ab_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/claims.csv", dir);
    struct ab_atomic_file af;
    enum ab_status st = ab_atomic_open(&af, path, err);
    if (st != AB_OK)
        return st;
    static const char *const header[] = {"claim", "id", "article", "claimed", "unit", "measured", "measured_text",
                                         "label", "verdict", "rule", "how", "command"};
    struct ab_csv_writer w;
    st = ab_csv_begin(&w, af.fp, header, sizeof header / sizeof header[0]);
    for (size_t i = 0; st == AB_OK && i < claims->n; i++) {
        const struct ab_claim *c = &claims->items[i];
        const struct ab_claim_result *r = &res[i];
        ab_csv_str(&w, c->claim);
        ab_csv_str(&w, c->id);
        ab_csv_str(&w, c->article);
        ab_csv_f64(&w, c->claimed);
        ab_csv_str(&w, c->unit);
        ab_csv_f64(&w, r->measured);
        ab_csv_str(&w, r->measured_text);
        ab_csv_str(&w, r->label ? r->label : "NA");
        ab_csv_str(&w, ab_claim_verdict_name(r->verdict));
        ab_csv_str(&w, c->rule);
        ab_csv_str(&w, r->how);
        ab_csv_str(&w, r->command);
        st = ab_csv_end_row(&w);
    }
    if (st != AB_OK) {
        ab_atomic_abort(&af);
        return ab_error_set(err, st, "%s: write failed", path);
    }
    return ab_atomic_commit(&af, err);
}

static void write_article(FILE *fp, const char *article, const char *title, const struct ab_claims *claims,
                          const struct ab_claim_result *res)
{
    fprintf(fp, "\n## Article %s: %s\n\n", article, title);
    fprintf(fp, "| id | claim | claimed | measured here | verdict | how | reproduce |\n|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < claims->n; i++) {
        const struct ab_claim *c = &claims->items[i];
        const struct ab_claim_result *r = &res[i];
        if (strcmp(c->article, article) != 0)
            continue;
        char claimed[64];
        fmt_claimed(claimed, sizeof claimed, c->claimed, c->unit);
        fprintf(fp, "| %s | ", c->id);
        cell(fp, c->text);
        fprintf(fp, " | %s | ", claimed);
        if (r->label && strcmp(r->label, "measured") != 0 && strcmp(r->label, "NA") != 0)
            fprintf(fp, "*%s*: ", r->label);
        cell(fp, r->measured_text);
        fprintf(fp, " | **%s** | ", ab_claim_verdict_name(r->verdict));
        cell(fp, r->how);
        fputs(" | `", fp);
        cell(fp, r->command);
        fputs("` |\n", fp);
    }
}

/* One layer per article model at scaled width: measured tokens/s, and the full model's
 * tokens/s extrapolated by the stated law. */
static void write_layers(FILE *fp, const struct ab_repro_inputs *in, int threads)
{
    if (!in->res || !in->plan || in->plan->n_layers == 0)
        return;
    fprintf(fp, "\n## One layer of each article model, measured at scaled width\n\n"
                "Extrapolation law: full-model time per token = the configuration's FLOPs per token "
                "(analytic, 2048-token prompt) / the FLOP rate this layer reached here. Measured columns are "
                "the fastest verified layer variant; a threshold-gated layer's FLOPs count the experts its gate "
                "really used (measured mean), not the nominal k.\n\n"
                "| layer | model | tokens/s, 1 thread | tokens/s, %d threads | GFLOP/s, %d threads | full model, "
                "*extrapolated* tokens/s | layer shape |\n|---|---|---|---|---|---|---|\n",
            threads, threads);
    for (size_t i = 0; i < in->plan->n_layers; i++) {
        const char *spec = in->plan->layer_specs[i];
        const struct ab_result_row *r1 = ab__repro_best(in->res, spec, 1, NULL);
        const struct ab_result_row *rt = ab__repro_best(in->res, spec, threads, NULL);
        const struct ab_model *m = ab__repro_model(in, in->plan->layer_models[i]);
        char t1[32] = "NA", tt[32] = "NA", gf[32] = "NA", full[32] = "NA";
        if (r1)
            snprintf(t1, sizeof t1, "%.0f", r1->tokens / (r1->median_ns * 1e-9));
        if (rt) {
            snprintf(tt, sizeof tt, "%.0f", rt->tokens / (rt->median_ns * 1e-9));
            snprintf(gf, sizeof gf, "%.1f", ab__repro_layer_flops(in->res, rt) / rt->median_ns);
        }
        if (rt && m && isfinite(ab__repro_layer_flops(in->res, rt))) {
            struct ab_model_figures f;
            ab_model_analyse(m, 2048, &f);
            snprintf(full, sizeof full, "%.3g",
                     ab__repro_layer_flops(in->res, rt) / (rt->median_ns * 1e-9) / f.flops_per_token_prefill);
        }
        fprintf(fp, "| %s | %s | %s | %s | %s | %s | `%s` |\n", in->plan->layer_names[i], in->plan->layer_models[i],
                t1, tt, gf, full, spec);
    }
}

enum ab_status ab_reproduce_write(const char *dir, const char *run_dir, const char *command,
                                  const struct ab_claims *claims, const struct ab_claim_result *res,
                                  const struct ab_repro_inputs *in, struct ab_error *err)
{
    enum ab_status st = write_csv(dir, claims, res, err);
    if (st != AB_OK)
        return st;
    int threads = ab__repro_max_threads(in->res);
    struct plot_out po = {0};
    if (in->res) {
        plot_attention(dir, in, threads, &po);
        plot_fidelity(dir, in, &po);
        plot_route(dir, in, &po);
    }
    plot_memory(dir, in, &po);

    char path[1024];
    snprintf(path, sizeof path, "%s/reproduction.md", dir);
    struct ab_atomic_file af;
    if ((st = ab_atomic_open(&af, path, err)) != AB_OK)
        return st;
    FILE *fp = af.fp;
    fprintf(fp, "# V3 vs R1: the articles' claims against measurements\n\n");
    fprintf(fp, "Made by `%s`. Claims: `datasets/claims/claims.json` (ids of SEEDS.md); model configurations: "
                "`datasets/models/`.\n\n",
            command);
    if (in->res) {
        const struct ab_results_context *ctx = &in->res->ctx;
        const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(ctx->json, "cpu");
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(cpu, "model");
        fprintf(fp, "Run `%s` (run_id %s, machine %s%s%s). Measured verdicts use the fastest variant that passed "
                    "verification on that very case, at %d thread%s; a row that failed is never used.\n\n",
                run_dir, ctx->run_id, ctx->machine_id, cJSON_IsString(model) ? ", " : "",
                cJSON_IsString(model) ? model->valuestring : "", threads, threads > 1 ? "s" : "");
        const struct ab_result_peak *pk = ab_results_peak(ctx, threads);
        if (pk)
            fprintf(fp, "Peaks measured in the same run at %d threads: FP32 %.1f GFLOP/s, INT8 %.0f GOP/s, read %.1f GB/s.\n\n",
                    threads, pk->fp32_gflops, pk->int8_gops, pk->read_gbytes_per_s);
    } else {
        fprintf(fp, "No run: measured claims are NA.\n\n");
    }
    size_t count[AB_CLAIM_VERDICT_COUNT] = {0};
    for (size_t i = 0; i < claims->n; i++)
        count[res[i].verdict]++;
    fprintf(fp, "Verdicts over %zu claim rows:", claims->n);
    for (int v = 0; v < AB_CLAIM_VERDICT_COUNT; v++)
        fprintf(fp, "%s %s %zu", v ? "," : "", ab_claim_verdict_name((enum ab_claim_verdict)v), count[v]);
    fprintf(fp, ".\n\nLabels: *analytic* = computed from a configuration, not measured; *extrapolated* = measured at a "
                "smaller size and scaled by the law stated in its row; *computed* = run in-process, not timed; "
                "*article* = the article's own figures against each other; *projection (link bound)* = the model's "
                "traffic and compute carried onto hardware not present (a catalogue device and link), its model in "
                "the row, the one measured input the layer's efficiency. claims.csv keeps the label in its own "
                "column (`label`), so no estimate reads as a measurement.\n");
    write_article(fp, "A", "\"V3 vs R1 architecture and distillation\"", claims, res);
    write_article(fp, "B", "\"R1 vs V3 technical differences and selection guide\"", claims, res);

    write_layers(fp, in, threads);

    fprintf(fp, "\n## Plots\n\n");
    for (size_t i = 0; i < po.n; i++) {
        if (po.files[i][0])
            fprintf(fp, "![%s](%s)\n\n", po.files[i], po.files[i]);
        else
            fprintf(fp, "- plot %s\n", po.notes[i]);
    }
    if (po.n == 0)
        fprintf(fp, "No plot: nothing to draw.\n");

    fprintf(fp, "\n## Verdict rules (stated in claims.json before measuring)\n\n");
    for (size_t i = 0; i < claims->n; i++) {
        fprintf(fp, "- **%s** (%s): ", claims->items[i].id, claims->items[i].quantity);
        cell(fp, claims->items[i].rule);
        fputc('\n', fp);
    }
    fprintf(fp, "\n## Assumed configuration values\n\nValues the articles do not give, with the reason each was chosen "
                "(every other value is given by its source).\n\n| model | field | value | why |\n|---|---|---|---|\n");
    for (size_t m = 0; m < in->n_models; m++)
        for (size_t f = 0; f < in->models[m].n_fields; f++) {
            const struct ab_model_field *fd = &in->models[m].fields[f];
            if (!fd->assumed)
                continue;
            fprintf(fp, "| %s | %s | %s | ", in->models[m].id, fd->name, fd->value);
            cell(fp, fd->why);
            fputs(" |\n", fp);
        }
    if (ferror(fp)) {
        ab_atomic_abort(&af);
        return ab_error_set(err, AB_EIO, "%s: write failed", path);
    }
    return ab_atomic_commit(&af, err);
}
