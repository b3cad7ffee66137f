/*
 * run.c - ab_run (run.h): the loop over the planned items, the journal, resume and the
 * final files. The steps live in the files named in run_internal.h.
 *
 * Invariants:
 *  - a variant's time is reported only after it matched the reference on that shape and
 *    thread count (run_verify.c);
 *  - nothing unmeasured is written as 0: NaN in memory, NA in the files;
 *  - each finished item is appended to the journal ("<file>.partial", its speed row
 *    last) before the next starts; the final files are written from the results model
 *    at the end, each by temporary file and rename, context.json last;
 *  - a folder holding a run is never overwritten unless asked (overwrite), and resume
 *    continues the same plan with the same options and peaks, or refuses.
 * Single threaded apart from the kernels' own OpenMP regions; never prints.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archbench/alloc.h"
#include "archbench/mpi.h"
#include "archbench/report.h"
#include "archbench/timer.h"

#include "run_internal.h"

void ab_run_options_init(struct ab_run_options *o)
{
    memset(o, 0, sizeof *o);
    o->threads[0] = 1;
    o->n_threads = 1;
    o->repetitions = 10;
    o->min_time_s = 0.1;
    o->max_item_s = 30.0;
    o->events = AB_COUNTERS_DEFAULT;
    o->out_dir = "archbench-results";
    o->seed = 1;
    o->pin = true;
    o->probes = true;
}

static void warn_cb(void *ctx, const char *msg)
{
    ab__warn(ctx, "%s", msg);
}

/* ---- resume: the interrupted run's options ----------------------------------------------- */

/* Storage for restored option strings lives in the saved context (kept until the end). */
static enum ab_status conflict(struct ab_error *err, const char *dir, const char *opt, const char *was)
{
    return ab_error_set(err, AB_EINVAL,
                        "--resume %s: %s differs from the interrupted run's (%s); resume continues the same plan — "
                        "drop the option, or start a new run with another --out",
                        dir, opt, was);
}

static enum ab_status restore_options(const cJSON *ctx, struct ab_run_options *o, const char *dir,
                                      struct ab_error *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(ctx, "options");
    if (!cJSON_IsObject(j))
        return ab_error_set(err, AB_EPARSE, "'%s/context.json': no \"options\" (written by an older archbench?)", dir);
#define GET(name) cJSON_GetObjectItemCaseSensitive(j, name)
    const cJSON *v = GET("filter");
    const char *filter = cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
    if (o->given & AB_RUN_GIVEN_FILTER) {
        if (strcmp(o->filter ? o->filter : "", filter ? filter : "") != 0)
            return conflict(err, dir, "--filter", filter ? filter : "none");
    }
    o->filter = filter;

    struct ab_run_options saved = *o;
    saved.n_sets = 0;
    const cJSON *set;
    cJSON_ArrayForEach(set, GET("sets"))
    {
        if (saved.n_sets == AB_RUN_MAX_SETS)
            return ab_error_set(err, AB_EPARSE, "'%s/context.json': too many sets", dir);
        struct ab_run_set *s = &saved.sets[saved.n_sets++];
        memset(s, 0, sizeof *s);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(set, "param");
        if (!cJSON_IsString(p))
            return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.sets[].param is not a string", dir);
        s->param = p->valuestring;
        const cJSON *val;
        cJSON_ArrayForEach(val, cJSON_GetObjectItemCaseSensitive(set, "values"))
        {
            if (!cJSON_IsString(val) || s->n_values == AB_RUN_MAX_VALUES)
                return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.sets[].values malformed", dir);
            s->values[s->n_values++] = val->valuestring;
        }
    }
    if (o->given & AB_RUN_GIVEN_SETS) {
        bool same = saved.n_sets == o->n_sets;
        for (size_t i = 0; same && i < o->n_sets; i++) {
            same = strcmp(saved.sets[i].param, o->sets[i].param) == 0 && saved.sets[i].n_values == o->sets[i].n_values;
            for (size_t k = 0; same && k < o->sets[i].n_values; k++)
                same = strcmp(saved.sets[i].values[k], o->sets[i].values[k]) == 0;
        }
        if (!same)
            return conflict(err, dir, "--set", "see options.sets in its context.json");
    }
    o->n_sets = saved.n_sets;
    memcpy(o->sets, saved.sets, sizeof o->sets);

    size_t n_shapes = 0;
    const char *shapes[AB_RUN_MAX_SHAPES];
    const cJSON *sh;
    cJSON_ArrayForEach(sh, GET("shapes")) /* absent in runs before --shape: none */
    {
        if (!cJSON_IsString(sh) || n_shapes == AB_RUN_MAX_SHAPES)
            return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.shapes malformed", dir);
        shapes[n_shapes++] = sh->valuestring;
    }
    if (o->given & AB_RUN_GIVEN_SHAPES) {
        bool same = n_shapes == o->n_shapes;
        for (size_t i = 0; same && i < n_shapes; i++)
            same = strcmp(shapes[i], o->shapes[i]) == 0;
        if (!same)
            return conflict(err, dir, "--shape", "see options.shapes in its context.json");
    }
    o->n_shapes = n_shapes;
    memcpy(o->shapes, shapes, n_shapes * sizeof *shapes);

    int threads[AB_RUN_MAX_THREADS];
    size_t n_threads = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, GET("threads"))
    {
        if (!cJSON_IsNumber(t) || n_threads == AB_RUN_MAX_THREADS || !(t->valuedouble >= 1 && t->valuedouble <= 1024))
            return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.threads malformed", dir);
        threads[n_threads++] = (int)t->valuedouble;
    }
    if (n_threads == 0)
        return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.threads empty", dir);
    if ((o->given & AB_RUN_GIVEN_THREADS) &&
        (o->n_threads != n_threads || memcmp(o->threads, threads, n_threads * sizeof *threads) != 0))
        return conflict(err, dir, "--threads", "see options.threads in its context.json");
    memcpy(o->threads, threads, sizeof threads);
    o->n_threads = n_threads;

    struct {
        const char *name, *opt;
        unsigned bit;
        double *d;
        int *i;
        bool *b;
    } nums[] = {
        {"repetitions", "--repetitions", AB_RUN_GIVEN_REPETITIONS, NULL, &o->repetitions, NULL},
        {"min_time_s", "--min-time", AB_RUN_GIVEN_MIN_TIME, &o->min_time_s, NULL, NULL},
        {"max_item_s", "--max-item-time", AB_RUN_GIVEN_MAX_ITEM, &o->max_item_s, NULL, NULL},
        {"tdp_w", "--tdp", AB_RUN_GIVEN_TDP, &o->tdp_w, NULL, NULL},
        {"multiplex", "--multiplex", AB_RUN_GIVEN_MULTIPLEX, NULL, NULL, &o->multiplex},
        {"quick", "--quick", AB_RUN_GIVEN_QUICK, NULL, NULL, &o->quick},
        {"pin", "--no-pin", AB_RUN_GIVEN_PIN, NULL, NULL, &o->pin},
        {"probes", "--no-probes", AB_RUN_GIVEN_PROBES, NULL, NULL, &o->probes},
        {"isolate", "--isolate", AB_RUN_GIVEN_ISOLATE, NULL, NULL, &o->isolate},
        {"item_timeout_s", "--item-timeout", AB_RUN_GIVEN_ITEM_TIMEOUT, &o->item_timeout_s, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        v = GET(nums[i].name);
        bool is_bool = nums[i].b != NULL;
        if (is_bool ? !cJSON_IsBool(v) : !cJSON_IsNumber(v))
            return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.%s missing or mistyped", dir, nums[i].name);
        char was[64];
        if (is_bool) {
            bool b = cJSON_IsTrue(v);
            snprintf(was, sizeof was, "%s", b ? "on" : "off");
            if ((o->given & nums[i].bit) && *nums[i].b != b)
                return conflict(err, dir, nums[i].opt, was);
            *nums[i].b = b;
        } else if (nums[i].d) {
            snprintf(was, sizeof was, "%g", v->valuedouble);
            if ((o->given & nums[i].bit) && *nums[i].d != v->valuedouble)
                return conflict(err, dir, nums[i].opt, was);
            if (!isfinite(v->valuedouble) || v->valuedouble < 0)
                return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.%s out of range", dir, nums[i].name);
            *nums[i].d = v->valuedouble;
        } else {
            snprintf(was, sizeof was, "%g", v->valuedouble);
            if (!(v->valuedouble >= 1 && v->valuedouble <= 256))
                return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.%s out of range", dir, nums[i].name);
            if ((o->given & nums[i].bit) && *nums[i].i != (int)v->valuedouble)
                return conflict(err, dir, nums[i].opt, was);
            *nums[i].i = (int)v->valuedouble;
        }
    }
    v = GET("interleave");  /* absent in runs before --interleave: off */
    if (v && !cJSON_IsBool(v))
        return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.interleave mistyped", dir);
    if ((o->given & AB_RUN_GIVEN_INTERLEAVE) && o->interleave != cJSON_IsTrue(v))
        return conflict(err, dir, "--interleave", cJSON_IsTrue(v) ? "on" : "off");
    o->interleave = cJSON_IsTrue(v);
    v = GET("events");
    if (!cJSON_IsString(v))
        return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.events missing", dir);
    if ((o->given & AB_RUN_GIVEN_EVENTS) && strcmp(o->events, v->valuestring) != 0)
        return conflict(err, dir, "--events", v->valuestring);
    o->events = v->valuestring;
    v = GET("seed");
    char *end = NULL;
    unsigned long long seed = cJSON_IsString(v) ? strtoull(v->valuestring, &end, 10) : 0;
    if (!cJSON_IsString(v) || end == v->valuestring || *end)
        return ab_error_set(err, AB_EPARSE, "'%s/context.json': options.seed malformed", dir);
    if ((o->given & AB_RUN_GIVEN_SEED) && o->seed != seed)
        return conflict(err, dir, "--seed", v->valuestring);
    o->seed = seed;
    if (o->given & AB_RUN_GIVEN_PEAKS_FROM)
        return conflict(err, dir, "--peaks-from", "resume keeps the run's own peaks");
#undef GET
    return AB_OK;
}

/* Does dir hold a run (its context.json)? out_complete says whether it finished. */
static bool holds_run(const char *dir, bool *out_complete)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/context.json", dir);
    *out_complete = false;
    if (access(path, F_OK) != 0)
        return false;
    cJSON *root = NULL;
    if (ab_json_read_file(path, &root, NULL) == AB_OK) {
        *out_complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "complete"));
        cJSON_Delete(root);
    }
    return true;
}

static bool journal_exists(const char *dir)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/speed.csv.partial", dir);
    return access(path, F_OK) == 0;
}

/* ---- helpers of the loop --------------------------------------------------------------------- */

static void key_of(struct ab_result_key *k, const struct ab__item *it, const struct ab__plan_case *pc)
{
    memset(k, 0, sizeof *k);
    snprintf(k->family, sizeof k->family, "%s", pc->family->name);
    snprintf(k->kernel, sizeof k->kernel, "%s", it->kernel->name);
    snprintf(k->variant, sizeof k->variant, "%s", it->kernel->variant);
    snprintf(k->shape, sizeof k->shape, "%s", pc->shape_text);
    k->threads = it->threads;
}

/* Metrics of a case, keyed by its reference on one thread, unless already kept. */
static size_t case_metrics(struct ab__runner *r, const struct ab__plan_case *pc, struct ab_case *c,
                           struct ab_result_metric *out)
{
    if (!pc->family->case_metrics)
        return 0;
    const struct ab_kernel *ref = ab_kernel_ref(pc->family);
    struct ab__item ri = {ref, 0, 1};
    struct ab_result_key key;
    key_of(&key, &ri, pc);
    for (size_t i = 0; i < r->res.n_metrics; i++)
        if (ab_result_key_eq(&r->res.metrics[i].key, &key))
            return 0;
    struct ab_metric m[AB_METRICS_MAX];
    size_t n = pc->family->case_metrics(c, m);
    for (size_t i = 0; i < n && i < AB_METRICS_MAX; i++) {
        out[i].key = key;
        snprintf(out[i].metric, sizeof out[i].metric, "%s", m[i].name);
        out[i].value = m[i].value;
        snprintf(out[i].unit, sizeof out[i].unit, "%s", m[i].unit);
    }
    return n < AB_METRICS_MAX ? n : AB_METRICS_MAX;
}

/* The reference's median for this case (measured now or kept from before). */
static double ref_median(const struct ab__runner *r, const struct ab__plan_case *pc)
{
    struct ab__item ri = {ab_kernel_ref(pc->family), 0, 1};
    struct ab_result_key key;
    key_of(&key, &ri, pc);
    const struct ab_result_row *row = ab_results_find(&r->res, &key);
    return row && row->timed ? row->median_ns : NA_F64;
}

static double probe_rate(const struct ab_result_peak *p, const struct ab__plan_case *pc)
{
    switch (pc->shape.v[0]) {
    case 0:
        return p->fp32_gflops;
    case 1:
        return p->int8_gops;
    case 2:
        return p->read_gbytes_per_s;
    default:
        return p->triad_gbytes_per_s;
    }
}

static enum ab_status write_final(struct ab__runner *r, const struct ab_run_result *res, bool final,
                                  struct ab_error *err)
{
    cJSON_Delete(r->res.ctx.json);
    r->res.ctx.json = ab__context_build(r, res, final);
    r->res.ctx.complete = final && !res->interrupted;
    enum ab_status st = ab_results_write(r->o->out_dir, &r->res, err);
    if (st != AB_OK)
        return st;
    char path[1100];
    snprintf(path, sizeof path, "%s/gbench.json", r->o->out_dir);
    return ab_results_write_gbench(path, &r->res, err);
}

static enum ab_status write_context_only(struct ab__runner *r, const struct ab_run_result *res,
                                         struct ab_error *err)
{
    cJSON *ctx = ab__context_build(r, res, false);
    char path[1100];
    snprintf(path, sizeof path, "%s/context.json", r->o->out_dir);
    enum ab_status st = ab_json_write_file(path, ctx, err);
    cJSON_Delete(ctx);
    return st;
}

/* Tell the front end item i (0-based) starts, with a time estimate from those done. */
static void progress(const struct ab__runner *r, const struct ab_run_result *res, const struct ab__plan *pl, size_t i)
{
    if (!r->o->on_progress)
        return;
    const struct ab__item *it = &pl->items[i];
    double el = (double)(ab_now_ns() - r->t_start_ns) * 1e-9;
    struct ab_run_progress p = {it->kernel->name, pl->cases[it->case_index].shape_text, it->threads, i + 1,
                                pl->n_items, el,
                                res->n_done ? el / (double)res->n_done * (double)(pl->n_items - i) : NA_F64};
    r->o->on_progress(r->o->user, &p);
}

/* After an item is measured: peaks (probes), derived figures, the journal and the
 * results. Releases the row's samples. */
static enum ab_status record_item(struct ab__runner *r, struct ab_run_result *res, const struct ab__item *it,
                                  const struct ab__plan_case *pc, struct ab_case *c, double ref_call_ns,
                                  struct ab_result_row *row, const struct ab_result_metric *metrics, size_t n_metrics,
                                  struct ab_error *err)
{
    struct ab_results_context *ctx = &r->res.ctx;
    enum ab_status st;
    if (pc->family->is_probe) {
        ab__peaks_record(r, it, pc, row);
        /* A team probe below the single-thread one is no peak: measure it again
         * (twice at most), keep the best, and say so. */
        const struct ab_result_peak *one = ab_results_peak(ctx, 1);
        struct ab_result_peak *mine = ab__peaks_slot(r, it->threads);
        for (int retry = 0; it->threads > 1 && one && mine && retry < 2 &&
                            probe_rate(mine, pc) < probe_rate(one, pc);
             retry++) {
            struct ab_result_row again;
            ab__measure_item(r, it, pc, c, ref_call_ns, &again);
            ab__peaks_record(r, it, pc, &again);
            mine->remeasured = true;
            if (again.timed && (!row->timed || again.median_ns < row->median_ns)) {
                ab__row_release(row);
                *row = again;
            } else {
                ab__row_release(&again);
            }
        }
        if (it->threads > 1 && one && mine && probe_rate(mine, pc) < probe_rate(one, pc))
            ab__warn(r, "probe %s with %d threads (%.1f) stays below its 1-thread figure (%.1f) after "
                        "re-measurement: the machine is busy; %% of peak at %d threads is unreliable",
                     pc->shape_text, it->threads, probe_rate(mine, pc), probe_rate(one, pc), it->threads);
    }
    ab_results_derive(row, pc->family->is_probe ? NULL : ab_results_peak(ctx, it->threads),
                      it->kernel->is_ref ? NA_F64 : ref_median(r, pc));
    if (row->verdict != AB_VERDICT_PASS && row->verdict != AB_VERDICT_REFERENCE)
        res->n_failed++;
    if (row->implausible) {
        res->n_implausible++;
        ab__warn(r, "%s %s threads=%d: %.1f%% of its %s bound: implausible (above the probe's spread)",
                 row->key.kernel, row->key.shape, row->key.threads, row->pct_bound, ab_bound_name(row->bound));
    }
    for (size_t s = 0; s < row->n_samples; s++)
        if (row->samples[s].preempted) {
            res->n_preempted++;
            break;
        }
    st = ab_results_journal_append(r->journal, ctx, row, metrics, n_metrics, err);
    if (st == AB_OK)
        st = ab_results_add_row(&r->res, row) == AB_OK ? AB_OK
                                                        : ab_error_set(err, AB_ENOMEM, "out of memory for results");
    for (size_t m = 0; st == AB_OK && m < n_metrics; m++)
        if (ab_results_add_metric(&r->res, &metrics[m]) != AB_OK)
            st = ab_error_set(err, AB_ENOMEM, "out of memory for results");
    ab__row_release(row);
    if (st == AB_OK)
        res->n_done++;
    return st;
}

/* Can item `it` take turns with others (run --interleave, which ab_run refuses beside
 * --isolate)? Timed variants only: the reference is measured alone first (its median is
 * every speedup's base), probes set the peaks, collective items need every rank in step. */
static bool interleavable(const struct ab_run_options *o, const struct ab__item *it, const struct ab__plan_case *pc)
{
    return o->interleave && !it->kernel->is_ref && !pc->family->is_probe && !pc->family->collective;
}

/* The variants of one case and thread count, from item i on, take turns repetition by
 * repetition, ABBA (forward, then backward, so neither position is always first after
 * the other): a slow phase of the host lands on all of them, and their ratio holds.
 * *out_covered: the items of the plan the group spans (kept ones included); their rows
 * are recorded in plan order, after the last repetition of all of them. */
static enum ab_status measure_group(struct ab__runner *r, struct ab_run_result *res, const struct ab__plan *pl,
                                    size_t i, struct ab_case *c, struct ab_result_metric *metrics, size_t n_metrics,
                                    size_t *out_covered, struct ab_error *err)
{
    const struct ab_run_options *o = r->o;
    const struct ab__item *first = &pl->items[i];
    const struct ab__plan_case *pc = &pl->cases[first->case_index];
    size_t idx[AB__RUN_MAX_GROUP], n = 0, j = i;
    for (; j < pl->n_items && n < AB__RUN_MAX_GROUP; j++) {
        const struct ab__item *it = &pl->items[j];
        if (it->case_index != first->case_index || it->threads != first->threads || !interleavable(o, it, pc))
            break;
        struct ab_result_key key;
        key_of(&key, it, pc);
        if (!ab_results_find(&r->res, &key))  /* kept from an interrupted run: not again */
            idx[n++] = j;
    }
    *out_covered = j - i;
    struct ab__meas ms[AB__RUN_MAX_GROUP];
    struct ab_result_row rows[AB__RUN_MAX_GROUP];
    struct ab_alloc_stats a;
    ab_alloc_get_stats(&a);
    for (size_t g = 0; g < n; g++) {
        const struct ab__item *it = &pl->items[idx[g]];
        if (g > 0)  /* the first was announced by the run's loop */
            progress(r, res, pl, idx[g]);
        ms[g] = (struct ab__meas){.it = it, .pc = pc, .c = c, .row = &rows[g], .ref_call_ns = NA_F64,
                                  .interleaved = true, .shim_base = (int64_t)a.bytes_live};
        ab__measure_begin(r, &ms[g]);
    }
    for (size_t round = 0;; round++) {
        bool any = false;
        for (size_t q = 0; q < n; q++)
            any |= ab__measure_rep(r, &ms[round % 2 ? n - 1 - q : q]);
        if (!any)
            break;
    }
    for (size_t g = 0; g < n; g++)
        ab__measure_end(r, &ms[g]);
    enum ab_status st = AB_OK;
    for (size_t g = 0; g < n; g++) {
        if (o->stop && *o->stop >= 2) {
            ab__row_release(&rows[g]);  /* abandoned: measured again on resume */
            continue;
        }
        if (st == AB_OK)
            st = record_item(r, res, &pl->items[idx[g]], pc, c, NA_F64, &rows[g], g == 0 ? metrics : NULL,
                             g == 0 ? n_metrics : 0, err);
        else
            ab__row_release(&rows[g]);
    }
    return st;
}

/* ---- the run ---------------------------------------------------------------------------------- */

enum ab_status ab_run(const struct ab_run_options *opts, struct ab_run_result *out_result, struct ab_error *err)
{
    struct ab_run_result res = {0};
    struct ab__plan pl = {0};
    struct ab_filter *filter = NULL;
    struct ab_run_options o = *opts;
    struct ab__runner r = {.o = &o};
    cJSON *saved_ctx = NULL;
    enum ab_status st;
    struct ab_case *c = NULL;
    size_t c_index = SIZE_MAX;
    double ref_call_ns = NA_F64;
    bool team_ready = false;
    ab_results_init(&r.res);
    /* Before the first cJSON allocation: hooks must not change under live objects. */
    ab_json_use_shim();
    r.warnings = cJSON_CreateArray();

    if (ab_mpi_rank() > 0) {
        /* Another rank of an mpirun: it only takes part in rank 0's collective items,
         * before any check, so it never leaves rank 0 waiting (run_mpi.c). */
        st = ab__mpi_worker(&o, err);
        goto done;
    }
    if (o.n_threads == 0 || o.repetitions < 1 || !(o.min_time_s >= 0.0) || !isfinite(o.min_time_s) ||
        !(o.max_item_s > 0.0) || !isfinite(o.max_item_s) || !o.out_dir) {
        st = ab_error_set(err, AB_EINVAL, "invalid run options");
        goto done;
    }
    if (o.interleave && o.isolate) {
        st = ab_error_set(err, AB_EINVAL, "--interleave and --isolate exclude each other: an isolated item runs in a "
                                          "process of its own, so it cannot take turns with another");
        goto done;
    }
    bool complete = false;
    bool has_run = holds_run(o.out_dir, &complete);
    if (o.resume) {
        if (!has_run) {
            st = ab_error_set(err, AB_EINVAL, "--resume %s: no archbench run there (no context.json)", o.out_dir);
            goto done;
        }
        if (complete) {
            st = ab_error_set(err, AB_EINVAL,
                              "--resume %s: that run is complete, nothing to resume (start a new one with another "
                              "--out, or replace it with --overwrite)",
                              o.out_dir);
            goto done;
        }
        char path[1100];
        snprintf(path, sizeof path, "%s/context.json", o.out_dir);
        if ((st = ab_json_read_file(path, &saved_ctx, err)) != AB_OK)
            goto done;
        if ((st = restore_options(saved_ctx, &o, o.out_dir, err)) != AB_OK)
            goto done;
    } else if (has_run && !o.overwrite) {
        st = ab_error_set(err, AB_EINVAL,
                          "'%s' already holds a%s run: choose another --out, continue it with --resume %s, or "
                          "replace it with --overwrite",
                          o.out_dir, complete ? " finished" : "n interrupted", o.out_dir);
        goto done;
    }
    if ((st = ab_filter_new(o.filter, &filter, err)) != AB_OK)
        goto done;

    if (mkdir(o.out_dir, 0755) != 0 && errno != EEXIST) {
        st = ab_error_set(err, AB_EIO, "cannot create '%s': %s", o.out_dir, strerror(errno));
        goto done;
    }
    ab_sysinfo_collect(&r.si);
    struct ab_results_context *ctx = &r.res.ctx;
    ab_sysinfo_machine_id(&r.si, ctx->machine_id, sizeof ctx->machine_id);
    snprintf(ctx->run_id, sizeof ctx->run_id, "%lld-%d", (long long)time(NULL), (int)getpid());
    ctx->schema_version = AB_RESULTS_SCHEMA_VERSION;
    snprintf(ctx->peaks_source, sizeof ctx->peaks_source, "%s",
             o.peaks_from ? o.peaks_from : o.probes ? "measured in this run" : "none (probes skipped)");

    if (o.resume) {
        /* Keep the run's identity, rows and peaks; refuse another machine. */
        struct ab_results old;
        bool from_journal = journal_exists(o.out_dir);
        if ((st = ab_results_read(o.out_dir, from_journal, &old, err)) != AB_OK)
            goto done;
        if (strcmp(old.ctx.machine_id, ctx->machine_id) != 0) {
            st = ab_error_set(err, AB_EINVAL, "--resume %s: the run was made on machine '%s', this is '%s'", o.out_dir,
                              old.ctx.machine_id, ctx->machine_id);
            ab_results_release(&old);
            goto done;
        }
        cJSON_Delete(old.ctx.json);
        old.ctx.json = NULL;
        r.res.rows = old.rows, r.res.n_rows = old.n_rows, r.res.cap_rows = old.cap_rows;
        r.res.metrics = old.metrics, r.res.n_metrics = old.n_metrics, r.res.cap_metrics = old.cap_metrics;
        *ctx = old.ctx;
        res.n_resumed = r.res.n_rows;
        if (ctx->n_peaks > 0)
            o.peaks_from = o.out_dir;  /* no probes in the plan: the run's own peaks are kept */
    }
    if ((st = ab__plan_build(&pl, &o, filter, warn_cb, &r, err)) != AB_OK)
        goto done;
    ab__mpi_plan_restrict(&r, &pl);
    res.n_items = pl.n_items;
    if ((st = ab__plan_check_memory(&pl, r.si.mem_available_bytes, err)) != AB_OK)
        goto done;
    if (!o.resume && o.peaks_from && (st = ab__peaks_load(&r, o.peaks_from, err)) != AB_OK)
        goto done;
    if (!o.probes && !o.peaks_from)
        ab__warn(&r, "peak probes skipped: %% of peak and the roofline bound are NA");

    if ((st = ab__team_init(&r.team, o.pin, o.events, o.multiplex, err)) != AB_OK)
        goto done;
    team_ready = true;
    ctx->n_events = 0;
    for (size_t e = 0; e < ab_counters_count(r.team.counters) && e < AB_RESULTS_MAX_EVENTS; e++)
        snprintf(ctx->events[ctx->n_events++], sizeof ctx->events[0], "%s", ab_counters_info(r.team.counters, e)->name);
    ctx->multiplexed = ab_counters_multiplexed(r.team.counters);
    struct ab_energy_options eo = {.powercap_root = NULL, .tdp_w = o.tdp_w, .try_papi = true};
    if ((st = ab_energy_new(&eo, &r.energy, err)) != AB_OK)
        goto done;
    ab__environment_warnings(&r);
    r.timer_overhead_ns = ab_timer_overhead_ns(2001);
    r.counter_overhead_ns = ab__team_counters_overhead_ns(&r.team);

    /* A fresh journal holding what is kept (resume) drops torn and unfinished rows. */
    if ((st = ab_results_journal_open(o.out_dir, false, &r.journal, err)) != AB_OK)
        goto done;
    for (size_t i = 0; i < r.res.n_rows; i++) {
        const struct ab_result_metric *m = NULL;
        size_t n_m = 0;
        if (i == 0) {
            m = r.res.metrics;
            n_m = r.res.n_metrics;
        }
        if ((st = ab_results_journal_append(r.journal, ctx, &r.res.rows[i], m, n_m, err)) != AB_OK)
            goto done;
    }
    if ((st = write_context_only(&r, &res, err)) != AB_OK)
        goto done;

    r.t_start_ns = ab_now_ns();
    for (size_t i = 0; i < pl.n_items; i++) {
        if (o.stop && *o.stop) {
            res.interrupted = true;
            break;
        }
        const struct ab__item *it = &pl.items[i];
        const struct ab__plan_case *pc = &pl.cases[it->case_index];
        struct ab_result_key key;
        key_of(&key, it, pc);
        if (ab_results_find(&r.res, &key))
            continue;  /* kept from the interrupted run */
        progress(&r, &res, &pl, i);
        struct ab_result_metric metrics[AB__RUN_MAX_ITEM_METRICS];
        size_t n_metrics = 0;
        struct ab_result_row row;
        /* collective items need every rank in this process's loop: never isolated */
        bool isolated = o.isolate && !pc->family->is_probe && !pc->family->collective;
        if (isolated) {
            /* The child builds the case, verifies and times; the parent never runs the
             * kernel (nor the reference, which may be the one that crashes). */
            if (!ab__team_pin(&r.team, 1))
                ab__warn(&r, "threads=1: %s", r.team.pin_report);
            ab__isolate_item(&r, it, pc, o.seed + it->case_index, &row, metrics, &n_metrics);
            for (size_t m = 0; m < n_metrics; m++)
                for (size_t k = 0; k < r.res.n_metrics; k++)
                    if (ab_result_key_eq(&r.res.metrics[k].key, &metrics[m].key)) {
                        n_metrics = 0;  /* this case's metrics are already kept */
                        break;
                    }
            goto measured;
        }
        if (it->case_index != c_index) {
            if (c)
                c->family->case_free(c);
            c = NULL;
            c_index = it->case_index;
            if ((st = pc->family->case_new(&pc->shape, o.seed + it->case_index, &c, err)) != AB_OK)
                goto done;
            /* The reference output every variant of this case is checked against. */
            const struct ab_kernel *ref = ab_kernel_ref(pc->family);
            size_t ws = ref->workspace_bytes(&pc->shape, 1);
            struct ab_exec exec = {.n_threads = 1, .workspace = ws ? ab_aligned_alloc(AB_ALIGN_BYTES, ws) : NULL,
                                   .workspace_bytes = ws};
            if (ws && !exec.workspace) {
                st = ab_error_set(err, AB_ENOMEM, "out of memory for the reference workspace");
                goto done;
            }
            int64_t ref_t0 = ab_now_ns();
            enum ab_status rst = pc->family->case_run(c, ref, &exec, AB_SLOT_REF);
            ref_call_ns = (double)(ab_now_ns() - ref_t0);
            ab_free(exec.workspace);
            if (rst != AB_OK) {
                st = ab_error_set(err, rst, "reference %s failed on %s (seed %llu)", ref->name, pc->shape_text,
                                  (unsigned long long)(o.seed + it->case_index));
                goto done;
            }
            n_metrics = case_metrics(&r, pc, c, metrics);
        }
        if (!ab__team_pin(&r.team, it->threads))
            ab__warn(&r, "threads=%d: %s", it->threads, r.team.pin_report);
        if (interleavable(&o, it, pc)) {
            size_t covered = 1;
            st = measure_group(&r, &res, &pl, i, c, metrics, n_metrics, &covered, err);
            i += covered - 1;
            if (o.stop && *o.stop >= 2) {
                res.interrupted = true;
                break;
            }
            if (st != AB_OK)
                goto done;
            continue;
        }
        if (pc->family->collective && !it->kernel->is_ref) {
            size_t n_coll = 0;
            ab__mpi_measure_item(&r, it, pc, c, &row, metrics + n_metrics, AB__RUN_MAX_ITEM_METRICS - n_metrics,
                                 &n_coll);
            n_metrics += n_coll;
        } else {
            ab__measure_item(&r, it, pc, c, ref_call_ns, &row);
        }
    measured:
        if (o.stop && *o.stop >= 2) {
            ab__row_release(&row);  /* abandoned: measured again on resume */
            res.interrupted = true;
            break;
        }
        if ((st = record_item(&r, &res, it, pc, c, ref_call_ns, &row, metrics, n_metrics, err)) != AB_OK)
            goto done;
    }
    if (!ab_results_journal_close(r.journal)) {
        r.journal = NULL;
        st = ab_error_set(err, AB_EIO, "cannot write the journal in '%s'", o.out_dir);
        goto done;
    }
    r.journal = NULL;
    if ((st = write_final(&r, &res, true, err)) != AB_OK)
        goto done;
    if (!res.interrupted)
        ab_results_journal_remove(o.out_dir);  /* the final files hold everything */
    else
        st = ab_error_set(err, AB_EINTERRUPTED, "interrupted after %zu of %zu items; rows so far are kept",
                          res.n_done + res.n_resumed, res.n_items);
done:
    ab__mpi_release_workers();
    if (r.journal)
        ab_results_journal_close(r.journal);
    if (c)
        c->family->case_free(c);
    if (team_ready)
        ab__team_release(&r.team);
    ab_energy_free(r.energy);
    cJSON_Delete(r.warnings);
    cJSON_Delete(saved_ctx);
    ab_results_release(&r.res);
    ab__plan_release(&pl);
    ab_filter_free(filter);
    *out_result = res;
    return st;
}
