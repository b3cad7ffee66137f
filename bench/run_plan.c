/*
 * run_plan.c - from options to items: the selected families' sweeps, expanded by every
 * --set that applies (cartesian product), times the thread counts, times the matching
 * variants; the family's reference first within each case, so every variant's speed-up
 * is a ratio measured side by side in the same run. Probes come first (registry order).
 *
 * --shape FAMILY:P=V,... replaces the sweeps by explicit cases (reproduce plans its items
 * this way); only families named by one are planned.
 *
 * --set P=V applies to every selected family with a parameter P; --set FAMILY.P=V only
 * to that family (gemm's k and moe_route's k are different things). The probes take only
 * scoped sets (--set peak.kind=fp32_fma measures that ceiling alone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/cpu.h"

#include "run_internal.h"

bool ab__grow(void *pp, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    void *p;
    memcpy(&p, pp, sizeof p);
    size_t c = *cap ? 2 * *cap : 32;
    void *q = ab_realloc(p, c * elem);
    if (!q)
        return false;
    memcpy(pp, &q, sizeof q);
    *cap = c;
    return true;
}

/* Next comma-separated field of *p (split in place); NULL when none is left. Empty fields
 * are skipped, as "m=64,,128" means two values. */
static char *next_field(char **p)
{
    char *s = *p;
    while (s && *s == ',')
        s++;
    if (s == NULL || *s == '\0') {
        *p = NULL;
        return NULL;
    }
    char *comma = strchr(s, ',');
    if (comma)
        *comma = '\0';
    *p = comma ? comma + 1 : NULL;
    return s;
}

enum ab_status ab_run_options_add_set(struct ab_run_options *o, char *text, struct ab_error *err)
{
    char *eq = strchr(text, '=');
    if (!eq || eq == text || eq[1] == '\0')
        return ab_error_set(err, AB_EINVAL, "--set wants NAME=V1[,V2...], got '%.200s'", text);
    /* Filled aside and committed at the end: opts stays as it was on failure. */
    struct ab_run_set s = {.param = text};
    *eq = '\0';
    char *rest = eq + 1;
    for (char *v = next_field(&rest); v; v = next_field(&rest)) {
        if (s.n_values == AB_RUN_MAX_VALUES)
            return ab_error_set(err, AB_EINVAL, "--set %.200s: more than %d values", text, AB_RUN_MAX_VALUES);
        s.values[s.n_values++] = v;
    }
    if (s.n_values == 0)
        return ab_error_set(err, AB_EINVAL, "--set %.200s: no values", text);
    /* A later --set of the same parameter replaces the earlier one, as repeated options
     * do. Kept as two sets, every combination of both lists would be planned and the last
     * one win each time: repeated sets multiplied the planning work (fuzz_run_options: 15
     * --set m=... took 26 s to plan 30 shapes). */
    for (size_t i = 0; i < o->n_sets; i++) {
        if (strcmp(o->sets[i].param, s.param) == 0) {
            o->sets[i] = s;
            return AB_OK;
        }
    }
    if (o->n_sets == AB_RUN_MAX_SETS)
        return ab_error_set(err, AB_EINVAL, "more than %d --set options", AB_RUN_MAX_SETS);
    o->sets[o->n_sets++] = s;
    return AB_OK;
}

enum ab_status ab_run_options_set_threads(struct ab_run_options *o, char *text, struct ab_error *err)
{
    int threads[AB_RUN_MAX_THREADS];
    size_t n = 0;
    char *rest = text;
    for (char *v = next_field(&rest); v; v = next_field(&rest)) {
        char *end = NULL;
        long t = strtol(v, &end, 10);
        if (end == v || *end || t < 1 || t > 1024)
            return ab_error_set(err, AB_EINVAL, "--threads: '%.64s' is not a thread count", v);
        if (n == AB_RUN_MAX_THREADS)
            return ab_error_set(err, AB_EINVAL, "--threads: at most %d counts", AB_RUN_MAX_THREADS);
        threads[n++] = (int)t;
    }
    if (n == 0)
        return ab_error_set(err, AB_EINVAL, "--threads: empty list");
    memcpy(o->threads, threads, n * sizeof *threads);
    o->n_threads = n;
    return AB_OK;
}

void ab__plan_release(struct ab__plan *pl)
{
    ab_free(pl->cases);
    ab_free(pl->items);
    memset(pl, 0, sizeof *pl);
}

/* The parameter index a --set names in this family, or -1 (scoped to another family,
 * or a parameter this family lacks). */
static int set_param_index(const struct ab_family *fam, const struct ab_run_set *set)
{
    const char *dot = strchr(set->param, '.');
    if (!dot)
        return ab_param_index(fam, set->param);
    size_t len = (size_t)(dot - set->param);
    if (strlen(fam->name) != len || strncmp(fam->name, set->param, len) != 0)
        return -1;
    return ab_param_index(fam, dot + 1);
}

/* Expand `base` by every --set parameter this family has (cartesian product). */
static enum ab_status expand_shape(struct ab__plan *pl, const struct ab_family *fam, const struct ab_shape *base,
                                   const struct ab_run_options *o, size_t set_index, struct ab_error *err)
{
    if (set_index == o->n_sets) {
        for (size_t i = 0; i < pl->n_cases; i++)  /* --set can make sweep shapes coincide */
            if (pl->cases[i].family == fam && memcmp(&pl->cases[i].shape, base, sizeof *base) == 0)
                return AB_OK;
        if (!ab__grow(&pl->cases, &pl->cap_cases, pl->n_cases, sizeof *pl->cases))
            return ab_error_set(err, AB_ENOMEM, "out of memory planning the run");
        struct ab__plan_case *pc = &pl->cases[pl->n_cases++];
        pc->family = fam;
        pc->shape = *base;
        ab_shape_format(fam, base, pc->shape_text, sizeof pc->shape_text);
        return AB_OK;
    }
    const struct ab_run_set *set = &o->sets[set_index];
    int pi = set_param_index(fam, set);
    if (pi < 0)
        return expand_shape(pl, fam, base, o, set_index + 1, err);
    for (size_t v = 0; v < set->n_values; v++) {
        struct ab_shape s = *base;
        enum ab_status st = ab_param_parse(&fam->params[pi], set->values[v], &s.v[pi], err);
        if (st != AB_OK)
            return st;
        if ((st = expand_shape(pl, fam, &s, o, set_index + 1, err)) != AB_OK)
            return st;
    }
    return AB_OK;
}

/* A --set that no family at all knows is a typo (error); one that only unselected
 * families know is a warning. */
static enum ab_status check_sets(const struct ab_run_options *o, const bool *used, ab__warn_fn *warn, void *wctx,
                                 struct ab_error *err)
{
    for (size_t s = 0; s < o->n_sets; s++) {
        if (used[s])
            continue;
        const struct ab_run_set *set = &o->sets[s];
        const char *dot = strchr(set->param, '.');
        bool known = false;
        for (size_t f = 0; f < ab_family_count(); f++) {
            const struct ab_family *fam = ab_family_at(f);
            if (dot && (strlen(fam->name) != (size_t)(dot - set->param) ||
                        strncmp(fam->name, set->param, (size_t)(dot - set->param)) != 0))
                continue;
            if (dot && ab_param_index(fam, dot + 1) < 0)
                return ab_error_set(err, AB_EINVAL, "--set %s: family %s has no parameter '%s'", set->param,
                                    fam->name, dot + 1);
            known |= set_param_index(fam, set) >= 0;
        }
        if (!known)
            return ab_error_set(err, AB_EINVAL, "--set %s: no kernel family has that parameter", set->param);
        char msg[300];
        snprintf(msg, sizeof msg, "--set %s matches no selected kernel family: ignored", set->param);
        warn(wctx, msg);
    }
    return AB_OK;
}

enum ab_status ab__shape_spec_parse(const char *spec, const struct ab_family **out_family, struct ab_shape *out_shape,
                                    struct ab_error *err)
{
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    char name[64];
    if (len == 0 || len >= sizeof name)
        return ab_error_set(err, AB_EPARSE, "--shape '%s': wants FAMILY:P=V,P=V", spec);
    memcpy(name, spec, len);
    name[len] = '\0';
    const struct ab_family *fam = ab_family_find(name);
    if (!fam)
        return ab_error_set(err, AB_EINVAL, "--shape '%s': no kernel family '%s'", spec, name);
    if (fam->is_probe)
        return ab_error_set(err, AB_EINVAL, "--shape '%s': probes take --set peak.P=V", spec);
    *out_family = fam;
    return ab_shape_parse(fam, colon ? colon + 1 : "", out_shape, err);
}

/* The --shape cases of one family (none: the family is not planned). */
static enum ab_status given_shapes(const struct ab_run_options *o, const struct ab_family *fam, struct ab_shape *out,
                                   size_t *out_n, struct ab_error *err)
{
    *out_n = 0;
    for (size_t i = 0; i < o->n_shapes; i++) {
        const struct ab_family *f = NULL;
        struct ab_shape s;
        enum ab_status st = ab__shape_spec_parse(o->shapes[i], &f, &s, err);
        if (st != AB_OK)
            return st;
        if (f == fam)
            out[(*out_n)++] = s;
    }
    return AB_OK;
}

enum ab_status ab__plan_build(struct ab__plan *pl, const struct ab_run_options *o, const struct ab_filter *filter,
                              ab__warn_fn *warn, void *warn_ctx, struct ab_error *err)
{
    uint64_t features = ab_cpu_features();
    bool set_used[AB_RUN_MAX_SETS] = {false};
    for (size_t i = 0; i < o->n_shapes; i++) { /* a typo is an error even in an unselected family */
        const struct ab_family *f = NULL;
        struct ab_shape s;
        enum ab_status st = ab__shape_spec_parse(o->shapes[i], &f, &s, err);
        if (st != AB_OK)
            return st;
        if (!ab_shape_valid(f, &s))
            return ab_error_set(err, AB_EINVAL, "--shape '%s': outside the parameter ranges", o->shapes[i]);
    }
    char skipped[640] = "";  /* the last collective family or case skipped, and why */
    for (size_t f = 0; f < ab_family_count(); f++) {
        const struct ab_family *fam = ab_family_at(f);
        bool any = false;
        for (size_t i = 0; i < ab_kernel_count(); i++)
            if (ab_kernel_at(i)->family == fam &&
                (fam->is_probe ? o->probes && !o->peaks_from : ab_filter_match(filter, ab_kernel_at(i))))
                any = true;
        if (!any)
            continue;
        if (fam->collective) {
            /* A collective family without mpirun (or without MPI) is skipped, saying why. */
            const char *why = fam->collective->unavailable(NULL, NULL);
            if (why) {
                char msg[320];
                snprintf(msg, sizeof msg, "%s skipped: %s", fam->name, why);
                warn(warn_ctx, msg);
                snprintf(skipped, sizeof skipped, "%s", msg);
                continue;
            }
        }
        /* Probes keep their own shapes unless a --set names them (--set peak.kind=fp32_fma):
         * an unscoped --set is about the kernels under study. */
        struct ab_run_options probe_opts = *o;
        probe_opts.n_sets = 0;
        for (size_t s = 0; s < o->n_sets; s++) {
            bool scoped = strchr(o->sets[s].param, '.') != NULL;
            if (set_param_index(fam, &o->sets[s]) < 0 || (fam->is_probe && !scoped))
                continue;
            set_used[s] = true;
            if (fam->is_probe)
                probe_opts.sets[probe_opts.n_sets++] = o->sets[s];
        }
        const struct ab_shape *sweep = o->quick ? fam->sweep_quick : fam->sweep_default;
        size_t n_sweep = o->quick ? fam->n_sweep_quick : fam->n_sweep_default;
        struct ab_shape given[AB_RUN_MAX_SHAPES];
        if (o->n_shapes > 0 && !fam->is_probe) {
            enum ab_status st = given_shapes(o, fam, given, &n_sweep, err);
            if (st != AB_OK)
                return st;
            sweep = given;
        }
        /* Bounded before expanding: --set lists multiply (8 parameters of 10 values are
         * 10^8 shapes), and a plan that size would never finish anyway. */
        const struct ab_run_options *eo = fam->is_probe ? &probe_opts : o;
        double n_expand = (double)n_sweep;
        for (size_t s = 0; s < eo->n_sets; s++)
            if (set_param_index(fam, &eo->sets[s]) >= 0)
                n_expand *= (double)eo->sets[s].n_values;
        if ((double)pl->n_cases + n_expand > AB_RUN_MAX_CASES)
            return ab_error_set(err, AB_EINVAL,
                                "%s: the sweep and --set lists give %.3g shapes, and a run holds at most %d: "
                                "narrow --set, --shape or --filter",
                                fam->name, (double)pl->n_cases + n_expand, AB_RUN_MAX_CASES);
        size_t first_case = pl->n_cases;
        for (size_t s = 0; s < n_sweep; s++) {
            enum ab_status st = expand_shape(pl, fam, &sweep[s], eo, 0, err);
            if (st != AB_OK)
                return st;
        }
        for (size_t c = first_case; c < pl->n_cases; c++) {
            if (!ab_shape_valid(fam, &pl->cases[c].shape))
                return ab_error_set(err, AB_EINVAL, "%s: shape %s outside the parameter ranges", fam->name,
                                    pl->cases[c].shape_text);
            const struct ab_kernel *ref = ab_kernel_ref(fam);
            for (size_t t = 0; t < o->n_threads; t++) {
                for (int pass = 0; pass < 2; pass++) {
                    for (size_t i = 0; i < ab_kernel_count(); i++) {
                        const struct ab_kernel *k = ab_kernel_at(i);
                        if (k->family != fam || (pass == 0) != (k == ref))
                            continue;
                        /* Probes: only the peak itself (not the plain-C reference) is timed. */
                        if (fam->is_probe ? k->is_ref : !ab_filter_match(filter, k))
                            continue;
                        const char *why = NULL;
                        if (!ab_kernel_runnable(k, features, &pl->cases[c].shape, &why)) {
                            if (fam->collective && k == ref && t == 0) {
                                char msg[640];
                                snprintf(msg, sizeof msg, "%s %s skipped: %s", fam->name, pl->cases[c].shape_text, why);
                                warn(warn_ctx, msg);
                                snprintf(skipped, sizeof skipped, "%s", msg);
                            }
                            continue;
                        }
                        if (k->is_ref && t > 0)
                            continue; /* the reference is single threaded: time it once */
                        if (!ab__grow(&pl->items, &pl->cap_items, pl->n_items, sizeof *pl->items))
                            return ab_error_set(err, AB_ENOMEM, "out of memory planning the run");
                        /* The reference runs on one thread whatever the first count is. */
                        pl->items[pl->n_items++] = (struct ab__item){k, c, k->is_ref ? 1 : o->threads[t]};
                    }
                }
            }
        }
    }
    enum ab_status st = check_sets(o, set_used, warn, warn_ctx, err);
    if (st != AB_OK)
        return st;
    if (pl->n_items == 0 && skipped[0])
        return ab_error_set(err, AB_ENOTSUP, "nothing to run: %s", skipped);
    if (pl->n_items == 0)
        return ab_error_set(err, AB_ENOTFOUND, "no runnable kernel matches the filter");
    return AB_OK;
}

enum ab_status ab__plan_check_memory(const struct ab__plan *pl, int64_t avail_bytes, struct ab_error *err)
{
    if (avail_bytes < 0)
        return AB_OK;
    for (size_t c = 0; c < pl->n_cases; c++) {
        const struct ab__plan_case *pc = &pl->cases[c];
        double need = (double)pc->family->io_bytes(&pc->shape);
        double ws = 0.0;
        for (size_t i = 0; i < pl->n_items; i++)
            if (pl->items[i].case_index == c) {
                double w = (double)pl->items[i].kernel->workspace_bytes(&pc->shape, pl->items[i].threads);
                ws = w > ws ? w : ws;
            }
        need += ws;
        if (need > (double)avail_bytes)
            return ab_error_set(err, AB_EINVAL,
                                "%s %s needs %.3g GB of inputs, outputs and workspace; %.3g GB are available",
                                pc->family->name, pc->shape_text, need * 1e-9, (double)avail_bytes * 1e-9);
    }
    return AB_OK;
}
