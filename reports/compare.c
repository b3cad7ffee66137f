/*
 * compare.c - the performance gate as data: pair the items of a base and a candidate
 * (one run each, or blocks of runs made back to back), judge each with the rank
 * statistics of compare_stats.c, control false discoveries across items with
 * Benjamini-Hochberg, and gate instructions per call where they were counted.
 * Reads results only through the results model; never prints.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <pcre2.h>

#include "archbench/alloc.h"
#include "archbench/compare.h"
#include "archbench/counters.h"
#include "archbench/kernel.h"

static const char *const verdict_names[] = {
#define AB_COMPARE_NAME_(name, text) text,
    AB_COMPARE_VERDICT_LIST(AB_COMPARE_NAME_)
#undef AB_COMPARE_NAME_
};
_Static_assert(sizeof verdict_names / sizeof verdict_names[0] == AB_COMPARE_VERDICT_COUNT, "one name per verdict");

const char *ab_compare_verdict_name(enum ab_compare_verdict v)
{
    return (unsigned)v < AB_COMPARE_VERDICT_COUNT ? verdict_names[v] : "unknown";
}

void ab_compare_options_init(struct ab_compare_options *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = 0.05;
    o->ins_threshold = 0.01;
    o->alpha = 0.05;
}

void ab_compare_init(struct ab_compare *c)
{
    memset(c, 0, sizeof *c);
}

void ab_compare_release(struct ab_compare *c)
{
    if (!c)
        return;
    ab_free(c->items);
    ab_compare_init(c);
}

bool ab_compare_parse_fraction(const char *text, double *out_value)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text)
        return false;
    if (*end == '%') {
        v /= 100.0;
        end++;
    } else if (v >= 1.0) {
        /* "5" is more likely 5% than 500%: refuse rather than guess. */
        return false;
    }
    if (*end != '\0' || !isfinite(v) || v < 0.0 || v >= 10.0)
        return false;
    *out_value = v;
    return true;
}

void ab_compare_item_name(const struct ab_result_key *key, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s/%s/t%d", key->family, key->kernel, key->shape, key->threads);
}

/* ---- threshold rules ------------------------------------------------------------------------ */

void ab_compare_rules_release(struct ab_compare_rules *rules)
{
    if (!rules)
        return;
    for (size_t i = 0; i < rules->n_rules; i++)
        pcre2_code_free(rules->rules[i].code);
    ab_free(rules->rules);
    rules->rules = NULL;
    rules->n_rules = 0;
}

enum ab_status ab_compare_rules_load(const char *path, struct ab_compare_rules *out_rules, struct ab_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return ab_error_set(err, AB_EIO, "cannot open '%s'", path);
    struct ab_compare_rules r = {NULL, 0};
    enum ab_status st = AB_OK;
    char line[1024];
    size_t lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char pattern[256], value[64], extra[8];
        int got = sscanf(line, "%255s %63s %7s", pattern, value, extra);
        if (got <= 0)
            continue;
        double t = 0.0;
        if (got != 2 || !ab_compare_parse_fraction(value, &t)) {
            st = ab_error_set(err, AB_EPARSE, "'%s' line %zu: want 'REGEX THRESHOLD' (THRESHOLD as 7%% or 0.07)",
                              path, lineno);
            goto fail;
        }
        int code = 0;
        PCRE2_SIZE offset = 0;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &offset, NULL);
        if (!re) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(code, msg, sizeof msg);
            st = ab_error_set(err, AB_EPARSE, "'%s' line %zu: regex '%s': %s at offset %zu", path, lineno, pattern,
                              (const char *)msg, (size_t)offset);
            goto fail;
        }
        struct ab_compare_rule *grown = ab_realloc(r.rules, (r.n_rules + 1) * sizeof *grown);
        if (!grown) {
            pcre2_code_free(re);
            st = ab_error_set(err, AB_ENOMEM, "out of memory reading '%s'", path);
            goto fail;
        }
        r.rules = grown;
        struct ab_compare_rule *rule = &r.rules[r.n_rules++];
        snprintf(rule->pattern, sizeof rule->pattern, "%s", pattern);
        rule->threshold = t;
        rule->code = re;
    }
    fclose(fp);
    *out_rules = r;
    return AB_OK;
fail:
    fclose(fp);
    ab_compare_rules_release(&r);
    return st;
}

static double threshold_for(const struct ab_compare_options *o, const struct ab_result_key *key)
{
    double t = o->threshold;
    if (!o->rules)
        return t;
    char name[512];
    ab_compare_item_name(key, name, sizeof name);
    for (size_t i = 0; i < o->rules->n_rules; i++) {
        pcre2_code *re = o->rules->rules[i].code;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        if (!md)
            continue;
        if (pcre2_match(re, (PCRE2_SPTR)name, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL) >= 0)
            t = o->rules->rules[i].threshold;   /* last match wins */
        pcre2_match_data_free(md);
    }
    return t;
}

/* ---- per-side figures ----------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *x, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/*
 * log(time) of the repetitions kept: the non-preempted ones, or all when fewer than
 * min_clean remain (*out_all): AB_COMPARE_MIN_CLEAN for an unpaired item, whose interval
 * comes from its repetitions; 1 for a block, whose median is one value of the paired test
 * (with -r 3 one preempted repetition would otherwise put every slow one back in). Outliers by the MAD rule are kept on purpose:
 * the rank statistics are not moved by how far out they are, and dropping them per side
 * would hide a regression that shows as a slow mode in some repetitions.
 */
static size_t kept_logs(const struct ab_result_row *row, size_t min_clean, double *out, bool *out_all)
{
    size_t n = 0;
    for (size_t i = 0; i < row->n_samples; i++) {
        double t = row->samples[i].time_ns;
        if (!row->samples[i].preempted && isfinite(t) && t > 0.0)
            out[n++] = log(t);
    }
    *out_all = false;
    if (n < min_clean) {
        size_t n_clean = n;
        n = 0;
        for (size_t i = 0; i < row->n_samples; i++) {
            double t = row->samples[i].time_ns;
            if (isfinite(t) && t > 0.0)
                out[n++] = log(t);
        }
        *out_all = n > n_clean; /* preempted repetitions are in */
    }
    return n;
}

static int event_index(const struct ab_results_context *ctx, const char *name)
{
    for (size_t e = 0; e < ctx->n_events; e++)
        if (strcmp(ctx->events[e], name) == 0)
            return (int)e;
    return -1;
}

/* Median instructions per call over the kept repetitions; NaN when not counted. */
static double ins_per_call(const struct ab_results_context *ctx, const struct ab_result_row *row, double *scratch)
{
    int e = event_index(ctx, "PAPI_TOT_INS");
    if (e < 0 || !row->counts)
        return NAN;
    size_t n = 0;
    for (size_t i = 0; i < row->n_samples; i++) {
        int64_t v = row->counts[i * ctx->n_events + (size_t)e];
        if (v != AB_COUNT_NA && row->samples[i].iterations > 0)
            scratch[n++] = (double)v / (double)row->samples[i].iterations;
    }
    return median_of(scratch, n);
}

/* Why instructions are NA: the reason context.json gives for PAPI_TOT_INS, if any. */
static void ins_reason(const struct ab_results_context *ctx, char *buf, size_t n)
{
    snprintf(buf, n, "instructions not counted on this machine");
    const cJSON *counters = ctx->json ? cJSON_GetObjectItemCaseSensitive(ctx->json, "counters") : NULL;
    const cJSON *events = counters ? cJSON_GetObjectItemCaseSensitive(counters, "events") : NULL;
    const cJSON *ev = NULL;
    cJSON_ArrayForEach(ev, events)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(ev, "name");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(ev, "reason");
        if (cJSON_IsString(name) && strcmp(name->valuestring, "PAPI_TOT_INS") == 0 && cJSON_IsString(reason)) {
            snprintf(buf, n, "instructions not counted on this machine (%s)", reason->valuestring);
            return;
        }
    }
}

static void gate_instructions(struct ab_compare_item *it, const struct ab_compare_options *o,
                              const struct ab_results_context *bctx, const struct ab_results_context *cctx)
{
    it->ins_ratio = NAN;
    if (isnan(it->base_ins) || isnan(it->cand_ins) || !(it->base_ins > 0.0)) {
        it->ins_verdict = AB_COMPARE_NA;
        ins_reason(isnan(it->cand_ins) ? cctx : bctx, it->ins_reason, sizeof it->ins_reason);
        return;
    }
    it->ins_ratio = it->cand_ins / it->base_ins;
    double t = o->ins_threshold;
    it->ins_verdict = it->ins_ratio > 1.0 + t           ? AB_COMPARE_REGRESSION
                      : it->ins_ratio < 1.0 / (1.0 + t) ? AB_COMPARE_IMPROVEMENT
                                                        : AB_COMPARE_NO_CHANGE;
}

/* ---- verdicts ------------------------------------------------------------------------------- */

static void decide(struct ab_compare_item *it, double alpha)
{
    double up = 1.0 + it->threshold, down = 1.0 / up;
    it->significant = !isnan(it->q_value) && it->q_value <= alpha;
    if (isnan(it->ratio_low) || isnan(it->ratio_high)) {
        it->verdict = AB_COMPARE_UNDECIDED;
        if (!it->reason[0])
            snprintf(it->reason, sizeof it->reason, "too few %s for a %.0f%% interval",
                     "repetitions or blocks", 100.0 * (1.0 - alpha));
        return;
    }
    if (it->ratio_low > up && it->significant) {
        it->verdict = AB_COMPARE_REGRESSION;
        snprintf(it->reason, sizeof it->reason, "slower: interval [%.3f, %.3f] above %.3f, q = %.2g",
                 it->ratio_low, it->ratio_high, up, it->q_value);
    } else if (it->ratio_high < down && it->significant) {
        it->verdict = AB_COMPARE_IMPROVEMENT;
        snprintf(it->reason, sizeof it->reason, "faster: interval [%.3f, %.3f] below %.3f, q = %.2g",
                 it->ratio_low, it->ratio_high, down, it->q_value);
    } else if (it->ratio_low >= down && it->ratio_high <= up) {
        it->verdict = AB_COMPARE_NO_CHANGE;
        snprintf(it->reason, sizeof it->reason, "interval [%.3f, %.3f] within [%.3f, %.3f]", it->ratio_low,
                 it->ratio_high, down, up);
    } else {
        it->verdict = AB_COMPARE_UNDECIDED;
        if (it->ratio_low > up || it->ratio_high < down)
            snprintf(it->reason, sizeof it->reason,
                     "interval [%.3f, %.3f] beyond the threshold but not significant after BH (q = %.2g > %g)",
                     it->ratio_low, it->ratio_high, it->q_value, alpha);
        else
            snprintf(it->reason, sizeof it->reason, "interval [%.3f, %.3f] straddles the threshold %.3f or %.3f",
                     it->ratio_low, it->ratio_high, down, up);
    }
}

static bool row_timed(const struct ab_result_row *row)
{
    return row && row->verdict != AB_VERDICT_FAIL && row->n_samples > 0;
}

static struct ab_compare_item *add_item(struct ab_compare *c, size_t *cap, const struct ab_result_key *key)
{
    if (c->n_items == *cap) {
        size_t n = *cap ? 2 * *cap : 64;
        struct ab_compare_item *grown = ab_realloc(c->items, n * sizeof *grown);
        if (!grown)
            return NULL;
        c->items = grown;
        *cap = n;
    }
    struct ab_compare_item *it = &c->items[c->n_items++];
    memset(it, 0, sizeof *it);
    it->key = *key;
    it->ratio = it->ratio_low = it->ratio_high = it->p_value = it->q_value = NAN;
    it->base_median_ns = it->cand_median_ns = it->base_ins = it->cand_ins = it->ins_ratio = NAN;
    it->ins_verdict = AB_COMPARE_NA;
    return it;
}

/* Failed verification, one-side items: verdicts that need no statistics. Returns true if set. */
static bool presence_verdict(struct ab_compare_item *it, const struct ab_result_row *b, const struct ab_result_row *c)
{
    if (!c) {
        it->verdict = AB_COMPARE_BASE_ONLY;
        snprintf(it->reason, sizeof it->reason, "not in the candidate");
    } else if (!b) {
        it->verdict = AB_COMPARE_CAND_ONLY;
        snprintf(it->reason, sizeof it->reason, "not in the base");
    } else if (c->verdict == AB_VERDICT_FAIL || b->verdict == AB_VERDICT_FAIL) {
        it->verdict = AB_COMPARE_FAILED;
        snprintf(it->reason, sizeof it->reason, "%s failed verification: %.120s",
                 c->verdict == AB_VERDICT_FAIL ? "candidate" : "base",
                 c->verdict == AB_VERDICT_FAIL ? c->note : b->note);
    } else if (!row_timed(b) || !row_timed(c)) {
        it->verdict = AB_COMPARE_UNDECIDED;
        snprintf(it->reason, sizeof it->reason, "not timed on the %s side", row_timed(b) ? "candidate" : "base");
    } else {
        return false;
    }
    return true;
}

static void context_warnings(struct ab_compare *c, const struct ab_results_context *b,
                             const struct ab_results_context *k)
{
    static const char *const paths[][2] = {
        {"machine_id", NULL},       {"machine", "cpu_model"}, {"machine", "features_detected"},
        {"compiler", NULL},         {"schema_version", NULL}, {"build_type", NULL},
        {"test_slowdown_pct", NULL},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const cJSON *x = b->json ? cJSON_GetObjectItemCaseSensitive(b->json, paths[i][0]) : NULL;
        const cJSON *y = k->json ? cJSON_GetObjectItemCaseSensitive(k->json, paths[i][0]) : NULL;
        if (paths[i][1]) {
            x = x ? cJSON_GetObjectItemCaseSensitive(x, paths[i][1]) : NULL;
            y = y ? cJSON_GetObjectItemCaseSensitive(y, paths[i][1]) : NULL;
        }
        char *xs = x ? cJSON_PrintUnformatted(x) : NULL;
        char *ys = y ? cJSON_PrintUnformatted(y) : NULL;
        if ((xs || ys) && (!xs || !ys || strcmp(xs, ys) != 0) && c->n_warnings < 8)
            snprintf(c->warnings[c->n_warnings++], sizeof c->warnings[0], "%s%s%s differs: base %.90s, candidate %.90s",
                     paths[i][0], paths[i][1] ? "." : "", paths[i][1] ? paths[i][1] : "", xs ? xs : "missing",
                     ys ? ys : "missing");
        cJSON_free(xs);
        cJSON_free(ys);
    }
}

static enum ab_status finish(struct ab_compare *c, const struct ab_compare_options *o, struct ab_error *err)
{
    double *p = ab_malloc((c->n_items + 1) * sizeof *p);
    double *q = ab_malloc((c->n_items + 1) * sizeof *q);
    if (!p || !q) {
        ab_free(p);
        ab_free(q);
        return ab_error_set(err, AB_ENOMEM, "out of memory comparing");
    }
    for (size_t i = 0; i < c->n_items; i++)
        p[i] = c->items[i].p_value;
    ab_compare_bh(p, c->n_items, q);
    for (size_t i = 0; i < c->n_items; i++) {
        struct ab_compare_item *it = &c->items[i];
        it->q_value = q[i];
        if (it->verdict == AB_COMPARE_NA)
            decide(it, o->alpha);
        c->counts[it->verdict]++;
        c->n_ins_regressions += it->ins_verdict == AB_COMPARE_REGRESSION;
    }
    ab_free(p);
    ab_free(q);
    return AB_OK;
}

static void start(struct ab_compare *c, const struct ab_compare_options *o, bool paired, size_t n_blocks)
{
    ab_compare_init(c);
    c->paired = paired;
    c->paired_test = o->paired_test;
    c->n_blocks = n_blocks;
    c->alpha = o->alpha;
    c->threshold = o->threshold;
    c->ins_threshold = o->ins_threshold;
}

static size_t max_samples(const struct ab_results *r, size_t n)
{
    size_t m = 1;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < r[k].n_rows; i++)
            m = r[k].rows[i].n_samples > m ? r[k].rows[i].n_samples : m;
    return m;
}

enum ab_status ab_compare_runs(const struct ab_results *base, const struct ab_results *cand,
                               const struct ab_compare_options *o, struct ab_compare *out_cmp, struct ab_error *err)
{
    struct ab_compare c;
    start(&c, o, false, 1);
    context_warnings(&c, &base->ctx, &cand->ctx);
    size_t cap = 0, ms = max_samples(base, 1) + max_samples(cand, 1);
    double *xb = ab_malloc(ms * sizeof *xb), *xc = ab_malloc(ms * sizeof *xc);
    enum ab_status st = AB_OK;
    if (!xb || !xc) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory comparing");
        goto done;
    }
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: every base item; pass 1: candidate items missing from the base */
        const struct ab_results *from = pass ? cand : base;
        for (size_t i = 0; i < from->n_rows; i++) {
            const struct ab_result_key *key = &from->rows[i].key;
            const struct ab_result_row *b = ab_results_find(base, key), *k = ab_results_find(cand, key);
            if (pass && b)
                continue;
            struct ab_compare_item *it = add_item(&c, &cap, key);
            if (!it) {
                st = ab_error_set(err, AB_ENOMEM, "out of memory comparing");
                goto done;
            }
            it->verdict = AB_COMPARE_NA;
            it->threshold = threshold_for(o, key);
            if (presence_verdict(it, b, k))
                continue;
            it->base_ins = ins_per_call(&base->ctx, b, xb);
            it->cand_ins = ins_per_call(&cand->ctx, k, xc);
            gate_instructions(it, o, &base->ctx, &cand->ctx);
            it->n_base = kept_logs(b, AB_COMPARE_MIN_CLEAN, xb, &it->base_all);
            it->n_cand = kept_logs(k, AB_COMPARE_MIN_CLEAN, xc, &it->cand_all);
            double shift, lo, hi;
            enum ab_status hs = ab_compare_hodges_lehmann(xb, it->n_base, xc, it->n_cand, o->alpha, &shift, &lo, &hi);
            if (hs == AB_ENOTSUP && (!it->base_all || !it->cand_all)) {
                /* The clean repetitions are too few for an interval at all (3 vs 3 has none
                 * at 95%): every repetition is judged, flagged, rather than
                 * leave a 20x slowdown undecided because a busy machine preempted half of
                 * a run. Rank statistics are not moved by how slow the preempted ones are. */
                it->n_base = kept_logs(b, SIZE_MAX, xb, &it->base_all);
                it->n_cand = kept_logs(k, SIZE_MAX, xc, &it->cand_all);
                hs = ab_compare_hodges_lehmann(xb, it->n_base, xc, it->n_cand, o->alpha, &shift, &lo, &hi);
            }
            it->p_value = ab_compare_mann_whitney_p(xb, it->n_base, xc, it->n_cand);
            if (hs == AB_ENOMEM) {
                st = ab_error_set(err, AB_ENOMEM, "out of memory comparing");
                goto done;
            }
            it->ratio_low = exp(lo);
            it->ratio_high = exp(hi);
            it->base_median_ns = exp(median_of(xb, it->n_base));
            it->cand_median_ns = exp(median_of(xc, it->n_cand));
            it->ratio = it->cand_median_ns / it->base_median_ns;
            if (hs == AB_ENOTSUP)
                snprintf(it->reason, sizeof it->reason, "%zu and %zu repetitions: too few for a %.0f%% interval",
                         it->n_base, it->n_cand, 100.0 * (1.0 - o->alpha));
        }
    }
    st = finish(&c, o, err);
done:
    ab_free(xb);
    ab_free(xc);
    if (st != AB_OK) {
        ab_compare_release(&c);
        return st;
    }
    *out_cmp = c;
    return AB_OK;
}

enum ab_status ab_compare_blocks(const struct ab_results *base, const struct ab_results *cand, size_t n_blocks,
                                 const struct ab_compare_options *o, struct ab_compare *out_cmp, struct ab_error *err)
{
    if (n_blocks == 0)
        return ab_error_set(err, AB_EINVAL, "no blocks to compare");
    struct ab_compare c;
    start(&c, o, true, n_blocks);
    context_warnings(&c, &base[0].ctx, &cand[0].ctx);
    size_t cap = 0, ms = max_samples(base, n_blocks) + max_samples(cand, n_blocks) + n_blocks;
    double *xb = ab_malloc(ms * sizeof *xb), *xc = ab_malloc(ms * sizeof *xc);
    double *d = ab_malloc(n_blocks * sizeof *d), *mb = ab_malloc(n_blocks * sizeof *mb);
    double *mc = ab_malloc(n_blocks * sizeof *mc), *ib = ab_malloc(n_blocks * sizeof *ib);
    double *ic = ab_malloc(n_blocks * sizeof *ic);
    enum ab_status st = AB_OK;
    if (!xb || !xc || !d || !mb || !mc || !ib || !ic) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory comparing");
        goto done;
    }
    for (int pass = 0; pass < 2; pass++) {
        const struct ab_results *from = pass ? cand : base;
        for (size_t i = 0; i < from[0].n_rows; i++) {
            const struct ab_result_key *key = &from[0].rows[i].key;
            if (pass && ab_results_find(&base[0], key))
                continue;
            struct ab_compare_item *it = add_item(&c, &cap, key);
            if (!it) {
                st = ab_error_set(err, AB_ENOMEM, "out of memory comparing");
                goto done;
            }
            it->verdict = AB_COMPARE_NA;
            it->threshold = threshold_for(o, key);
            size_t n = 0, n_ins_b = 0, n_ins_c = 0;
            bool decided = false;
            for (size_t blk = 0; blk < n_blocks && !decided; blk++) {
                const struct ab_result_row *b = ab_results_find(&base[blk], key);
                const struct ab_result_row *k = ab_results_find(&cand[blk], key);
                if (presence_verdict(it, b, k)) {
                    /* A failure in any block is the item's verdict; so is a missing side. */
                    decided = it->verdict != AB_COMPARE_UNDECIDED;
                    it->verdict = decided ? it->verdict : AB_COMPARE_NA;
                    it->reason[0] = decided ? it->reason[0] : '\0';
                    continue;
                }
                bool all_b, all_k;
                size_t nb = kept_logs(b, 1, xb, &all_b), nk = kept_logs(k, 1, xc, &all_k);
                if (nb == 0 || nk == 0)
                    continue;
                it->base_all |= all_b;
                it->cand_all |= all_k;
                mb[n] = median_of(xb, nb);
                mc[n] = median_of(xc, nk);
                d[n] = mc[n] - mb[n];
                n++;
                double v = ins_per_call(&base[blk].ctx, b, xb);
                if (!isnan(v))
                    ib[n_ins_b++] = v;
                v = ins_per_call(&cand[blk].ctx, k, xc);
                if (!isnan(v))
                    ic[n_ins_c++] = v;
            }
            if (decided)
                continue;
            it->n_base = it->n_cand = n;
            it->base_ins = median_of(ib, n_ins_b);
            it->cand_ins = median_of(ic, n_ins_c);
            gate_instructions(it, o, &base[0].ctx, &cand[0].ctx);
            if (n == 0) {
                it->verdict = AB_COMPARE_UNDECIDED;
                snprintf(it->reason, sizeof it->reason, "not timed in any block");
                continue;
            }
            double p, med, lo, hi;
            if (o->paired_test == AB_COMPARE_SIGNED_RANK)
                ab_compare_signed_rank(d, n, o->alpha, &p, &med, &lo, &hi);
            else
                ab_compare_sign_test(d, n, o->alpha, &p, &med, &lo, &hi);
            it->p_value = p;
            it->ratio = exp(med);
            it->ratio_low = exp(lo);
            it->ratio_high = exp(hi);
            it->base_median_ns = exp(median_of(mb, n));
            it->cand_median_ns = exp(median_of(mc, n));
            if (isnan(lo))
                snprintf(it->reason, sizeof it->reason, "%zu blocks: too few for a %.0f%% interval (at least %d)", n,
                         100.0 * (1.0 - o->alpha), AB_COMPARE_MIN_BLOCKS);
        }
    }
    st = finish(&c, o, err);
done:
    ab_free(xb);
    ab_free(xc);
    ab_free(d);
    ab_free(mb);
    ab_free(mc);
    ab_free(ib);
    ab_free(ic);
    if (st != AB_OK) {
        ab_compare_release(&c);
        return st;
    }
    *out_cmp = c;
    return AB_OK;
}

bool ab_compare_failed(const struct ab_compare *c)
{
    if (c->counts[AB_COMPARE_REGRESSION] || c->n_ins_regressions)
        return true;
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].verdict == AB_COMPARE_FAILED && strncmp(c->items[i].reason, "candidate", 9) == 0)
            return true;
    return false;
}

enum ab_status ab_compare_interleaved(const struct ab_result_row *x, const struct ab_result_row *base, double alpha,
                                      struct ab_paired_ratio *out)
{
    *out = (struct ab_paired_ratio){NAN, NAN, NAN, NAN, 0};
    if (!x->timed || !base->timed || strcmp(x->key.family, base->key.family) != 0 ||
        strcmp(x->key.shape, base->key.shape) != 0 || x->key.threads != base->key.threads)
        return AB_EINVAL;
    size_t n = x->n_samples < base->n_samples ? x->n_samples : base->n_samples;
    double *d = ab_malloc((n ? n : 1) * sizeof *d);
    if (!d)
        return AB_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ab_result_sample *a = &x->samples[i], *b = &base->samples[i];
        if (!a->preempted && !b->preempted && a->time_ns > 0.0 && b->time_ns > 0.0)
            d[m++] = log(a->time_ns / b->time_ns); /* a ratio's median is the exp of the log ratios' */
    }
    enum ab_status st = AB_EINVAL;
    if (m > 0) {
        double med, lo, hi;
        ab_compare_sign_test(d, m, alpha, &out->p_value, &med, &lo, &hi);
        out->ratio = exp(med);
        out->low = exp(lo);
        out->high = exp(hi);
        out->n_pairs = m;
        st = AB_OK;
    }
    ab_free(d);
    return st;
}

/* A verified row of a kernel family (not a probe), baseline or not as asked. */
static bool paired_side(const struct ab_result_row *r, bool baseline)
{
    const struct ab_family *fam = ab_family_find(r->key.family);
    return r->verdict == AB_VERDICT_PASS && fam && !fam->is_probe && ab_variant_is_baseline(r->key.variant) == baseline;
}

enum ab_status ab_compare_interleaved_run(const struct ab_results *res, double alpha, struct ab_paired_row **out,
                                          size_t *out_n)
{
    *out = NULL;
    *out_n = 0;
    if (!ab_results_interleaved(res))
        return AB_OK;
    size_t n = 0, cap = 0;
    struct ab_paired_row *v = NULL;
    for (size_t i = 0; i < res->n_rows; i++) {
        const struct ab_result_row *x = &res->rows[i];
        if (!paired_side(x, false))
            continue;
        for (size_t j = 0; j < res->n_rows; j++) {
            const struct ab_result_row *b = &res->rows[j];
            if (!paired_side(b, true) || strcmp(x->key.family, b->key.family) != 0 ||
                strcmp(x->key.shape, b->key.shape) != 0 || x->key.threads != b->key.threads)
                continue;
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 8;
                struct ab_paired_row *nv = ab_realloc(v, nc * sizeof *nv);
                if (!nv) {
                    ab_free(v);
                    return AB_ENOMEM;
                }
                v = nv;
                cap = nc;
            }
            struct ab_paired_row *p = &v[n++];
            p->x = i;
            p->base = j;
            p->st = ab_compare_interleaved(x, b, alpha, &p->pr);
            if (p->st == AB_ENOMEM) {
                ab_free(v);
                return AB_ENOMEM;
            }
        }
    }
    *out = v;
    *out_n = n;
    return AB_OK;
}
