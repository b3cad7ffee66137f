/*
 * run_context.c - context.json: the machine, the run's options (complete enough for
 * --resume to restore the plan), the baseline libraries as they dispatched here, the
 * counters and energy source and why not, the peaks with their spreads, and warnings.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ab_config.h"

#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/report.h"

#include "run_internal.h"


void ab__warn(struct ab__runner *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(r->warnings, cJSON_CreateString(msg));
    if (r->o->on_warning)
        r->o->on_warning(r->o->user, msg);
}

/* Does the OpenBLAS core name stand for less than this CPU can do? Names of cores
 * without AVX-512 (OpenBLAS's x86 targets). */
static bool core_below_isa(const char *core, uint64_t features)
{
    static const char *const no_avx512[] = {"Haswell", "Zen", "Sandybridge", "Nehalem", "Core2", "Penryn",
                                            "Dunnington", "Atom", "Barcelona", "Bulldozer", "Piledriver",
                                            "Steamroller", "Excavator", "Prescott", "Katmai", "Generic"};
    if (!(features & AB_CPU_BIT(AB_CPU_AVX512F)))
        return false;
    for (size_t i = 0; i < sizeof no_avx512 / sizeof no_avx512[0]; i++)
        if (strcasecmp(core, no_avx512[i]) == 0)
            return true;
    return false;
}

void ab__environment_warnings(struct ab__runner *r)
{
    const struct ab_sysinfo *si = &r->si;
    if (si->is_vm)
        ab__warn(r, "running in a virtual machine (%s): timings include hypervisor noise and hardware counters "
                    "are usually absent", si->hypervisor);
    if (strcmp(si->governor, "NA") != 0 && strcmp(si->governor, "performance") != 0)
        ab__warn(r, "CPU frequency governor is '%s', not 'performance'", si->governor);
    if (si->boost == 1)
        ab__warn(r, "CPU boost/turbo is on: frequency depends on temperature and load");
    if (si->load_avg_1min > 0.5 * (double)(si->n_cpus_online > 0 ? si->n_cpus_online : 1))
        ab__warn(r, "load average %.2f: other work competes for the CPUs", si->load_avg_1min);
    if (strcmp(AB_BUILD_TYPE, "release") != 0)
        ab__warn(r, "archbench was built as '%s', not release", AB_BUILD_TYPE);
    if (AB_TEST_SLOWDOWN_PCT > 0)
        ab__warn(r, "TEST BUILD: mha_flash_avx512 deliberately redoes %d%% of its work (-Dtest_slowdown_pct): "
                    "its figures are not archbench's", AB_TEST_SLOWDOWN_PCT);
    if (si->perf_event_paranoid > 2)
        ab__warn(r, "perf_event_paranoid is %d: PAPI cannot count (needs <= 2)", si->perf_event_paranoid);
    if (si->aslr > 0)
        ab__warn(r, "ASLR is on: code and data placement varies between runs");
    struct ab_blas_info blas;
    if (ab_blas_baseline(&blas) && core_below_isa(blas.core, si->cpu_detected)) {
        const char *forced = getenv("OPENBLAS_CORETYPE");
        ab__warn(r, "the OpenBLAS baseline runs its '%s' kernels on a CPU with AVX-512%s%s%s: speed-ups against it "
                    "are larger than against OpenBLAS at its best",
                 blas.core, forced ? " (OPENBLAS_CORETYPE=" : "", forced ? forced : "", forced ? " is set)" : "");
    }
}

/* The options that decide what is planned and how it is measured: --resume restores
 * them and refuses a conflicting one. */
static cJSON *options_json(const struct ab_run_options *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "filter", o->filter ? o->filter : "");
    cJSON *sets = cJSON_AddArrayToObject(j, "sets");
    for (size_t s = 0; s < o->n_sets; s++) {
        cJSON *set = cJSON_CreateObject();
        cJSON_AddStringToObject(set, "param", o->sets[s].param);
        cJSON *vals = cJSON_AddArrayToObject(set, "values");
        for (size_t v = 0; v < o->sets[s].n_values; v++)
            cJSON_AddItemToArray(vals, cJSON_CreateString(o->sets[s].values[v]));
        cJSON_AddItemToArray(sets, set);
    }
    cJSON *shapes = cJSON_AddArrayToObject(j, "shapes");
    for (size_t i = 0; i < o->n_shapes; i++)
        cJSON_AddItemToArray(shapes, cJSON_CreateString(o->shapes[i]));
    cJSON *th = cJSON_AddArrayToObject(j, "threads");
    for (size_t i = 0; i < o->n_threads; i++)
        cJSON_AddItemToArray(th, cJSON_CreateNumber(o->threads[i]));
    cJSON_AddNumberToObject(j, "repetitions", o->repetitions);
    cJSON_AddNumberToObject(j, "min_time_s", o->min_time_s);
    cJSON_AddNumberToObject(j, "max_item_s", o->max_item_s);
    cJSON_AddStringToObject(j, "events", o->events ? o->events : "");
    cJSON_AddBoolToObject(j, "multiplex", o->multiplex);
    cJSON_AddBoolToObject(j, "quick", o->quick);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    cJSON_AddStringToObject(j, "seed", seed);  /* a string: uint64 does not fit a double */
    cJSON_AddNumberToObject(j, "tdp_w", o->tdp_w);
    cJSON_AddBoolToObject(j, "pin", o->pin);
    cJSON_AddBoolToObject(j, "probes", o->probes);
    cJSON_AddBoolToObject(j, "isolate", o->isolate);
    cJSON_AddBoolToObject(j, "interleave", o->interleave);
    cJSON_AddNumberToObject(j, "item_timeout_s", o->item_timeout_s);
    cJSON_AddStringToObject(j, "peaks_from", o->peaks_from ? o->peaks_from : "");
    return j;
}

static cJSON *environment_json(void)
{
    cJSON *env = cJSON_CreateObject();
    static const char *const prefixes[] = {"OPENBLAS_", "OMP_", "GOMP_", "KMP_", "MKL_", "DNNL_", "ONEDNN_",
                                           "ARCHBENCH_", "GOTO_"};
    for (char **e = environ; e && *e; e++) {
        for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
            if (strncmp(*e, prefixes[p], strlen(prefixes[p])) != 0)
                continue;
            const char *eq = strchr(*e, '=');
            if (!eq)
                break;
            char name[128];
            size_t len = (size_t)(eq - *e) < sizeof name - 1 ? (size_t)(eq - *e) : sizeof name - 1;
            memcpy(name, *e, len);
            name[len] = '\0';
            cJSON_AddStringToObject(env, name, eq + 1);
            break;
        }
    }
    return env;
}

cJSON *ab__context_build(struct ab__runner *r, const struct ab_run_result *res, bool final)
{
    ab_json_use_shim();
    const struct ab_sysinfo *si = &r->si;
    const struct ab_results_context *ctx = &r->res.ctx;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "schema_version", AB_RESULTS_SCHEMA_VERSION);
    cJSON_AddStringToObject(root, "run_id", ctx->run_id);
    cJSON_AddStringToObject(root, "machine_id", ctx->machine_id);
    char date[64];
    time_t now = time(NULL);
    struct tm tmv;
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tmv));
    cJSON_AddStringToObject(root, "date", date);
    cJSON_AddStringToObject(root, "command", r->o->command_line ? r->o->command_line : "");
    cJSON_AddStringToObject(root, "archbench_version", AB_VERSION);
    cJSON_AddStringToObject(root, "git_commit", AB_GIT_COMMIT);
    cJSON_AddStringToObject(root, "build_type", AB_BUILD_TYPE);
    cJSON_AddStringToObject(root, "compiler", AB_COMPILER);
    /* A deliberately slowed build (-Dtest_slowdown_pct) says so in every run it writes. */
    if (AB_TEST_SLOWDOWN_PCT > 0)
        cJSON_AddNumberToObject(root, "test_slowdown_pct", AB_TEST_SLOWDOWN_PCT);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->o->seed);
    cJSON_AddStringToObject(root, "seed", seed);
    cJSON_AddBoolToObject(root, "quick", r->o->quick);
    cJSON_AddBoolToObject(root, "complete", final && !res->interrupted);
    cJSON_AddBoolToObject(root, "interrupted", res->interrupted);
    cJSON_AddItemToObject(root, "options", options_json(r->o));

    cJSON *m = cJSON_AddObjectToObject(root, "machine");
    cJSON_AddStringToObject(m, "hostname", si->hostname);
    cJSON_AddStringToObject(m, "cpu_model", si->cpu_model);
    cJSON_AddStringToObject(m, "cpu_vendor", si->cpu_vendor);
    cJSON_AddNumberToObject(m, "cpus_online", si->n_cpus_online);
    cJSON_AddNumberToObject(m, "cpus_allowed", si->n_cpus_allowed);
    char buf[256];
    ab_cpu_format(si->cpu_detected, buf, sizeof buf);
    cJSON_AddStringToObject(m, "features_detected", buf);
    ab_cpu_format(si->cpu_usable, buf, sizeof buf);
    cJSON_AddStringToObject(m, "features_used", buf);
    cJSON *caches = cJSON_AddArrayToObject(m, "caches");
    for (size_t i = 0; i < si->n_caches; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "level", si->caches[i].level);
        cJSON_AddStringToObject(c, "type", si->caches[i].type);
        cJSON_AddNumberToObject(c, "size", (double)si->caches[i].size_bytes);
        cJSON_AddNumberToObject(c, "num_sharing", si->caches[i].n_sharing_cpus);
        cJSON_AddItemToArray(caches, c);
    }
    cJSON_AddNumberToObject(m, "mem_total_bytes", (double)si->mem_total_bytes);
    cJSON_AddBoolToObject(m, "virtual_machine", si->is_vm);
    cJSON_AddStringToObject(m, "hypervisor", si->hypervisor);
    cJSON_AddStringToObject(m, "kernel", si->kernel);
    cJSON_AddStringToObject(m, "governor", si->governor);
    cJSON_AddNumberToObject(m, "boost", si->boost);
    cJSON_AddNumberToObject(m, "aslr", si->aslr);
    cJSON_AddNumberToObject(m, "load_avg_1min", si->load_avg_1min);
    cJSON_AddNumberToObject(m, "perf_event_paranoid", si->perf_event_paranoid);

    cJSON *run = cJSON_AddObjectToObject(root, "run");
    cJSON_AddBoolToObject(run, "pinned", r->o->pin);
    cJSON_AddStringToObject(run, "pinning", r->team.pin_report);
    cJSON_AddNumberToObject(run, "timer_overhead_ns", r->timer_overhead_ns);
    if (isnan(r->counter_overhead_ns))
        cJSON_AddStringToObject(run, "counter_read_overhead_ns", "NA (no counter counts here)");
    else
        cJSON_AddNumberToObject(run, "counter_read_overhead_ns", r->counter_overhead_ns);
    cJSON_AddStringToObject(run, "preemption_rule",
                            "a repetition is preempted when the process's CPU time is below 0.95 x wall x threads or "
                            "it had more than 1 + 50/s x threads involuntary context switches or more than 5% steal "
                            "time on its vCPUs; statistics come from "
                            "the clean repetitions when at least 3 exist");
    cJSON_AddStringToObject(run, "flops_convention", "per family: see `archbench list --families`");
    cJSON_AddNumberToObject(run, "items_planned", (double)res->n_items);
    cJSON_AddNumberToObject(run, "items_done", (double)(res->n_done + res->n_resumed));
    cJSON_AddNumberToObject(run, "items_failed", (double)res->n_failed);

    cJSON *bl = cJSON_AddObjectToObject(root, "baseline");
    struct ab_blas_info blas;
    if (ab_blas_baseline(&blas)) {
        cJSON_AddStringToObject(bl, "blas", blas.library);
        cJSON_AddStringToObject(bl, "blas_core", blas.core);
        cJSON_AddStringToObject(bl, "blas_config", blas.config);
        cJSON_AddNumberToObject(bl, "blas_threads", blas.n_threads);
        cJSON_AddBoolToObject(bl, "blas_below_cpu_isa", core_below_isa(blas.core, si->cpu_detected));
    } else {
        cJSON_AddStringToObject(bl, "blas", "NA (built without OpenBLAS)");
    }
    char dnnl[256];
    if (ab_onednn_baseline(dnnl, sizeof dnnl))
        cJSON_AddStringToObject(bl, "onednn", dnnl);
    else
        cJSON_AddStringToObject(bl, "onednn", "NA (built without oneDNN)");
    cJSON_AddItemToObject(bl, "environment", environment_json());

    cJSON *ctr = cJSON_AddObjectToObject(root, "counters");
    ab_counters_version(buf, sizeof buf);
    cJSON_AddStringToObject(ctr, "papi_version", buf);
    cJSON_AddBoolToObject(ctr, "multiplexed", ab_counters_multiplexed(r->team.counters));
    cJSON_AddStringToObject(ctr, "scope", "every thread of the OpenMP team, summed (one event set per thread); "
                                          "threads of OpenBLAS's own pool are not counted");
    cJSON *evs = cJSON_AddArrayToObject(ctr, "events");
    for (size_t i = 0; i < ab_counters_count(r->team.counters); i++) {
        const struct ab_counter_info *ci = ab_counters_info(r->team.counters, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", ci->name);
        cJSON_AddBoolToObject(e, "available", ci->available);
        if (!ci->available)
            cJSON_AddStringToObject(e, "reason", ci->reason);
        cJSON_AddItemToArray(evs, e);
    }
    cJSON *en = cJSON_AddObjectToObject(root, "energy");
    cJSON_AddStringToObject(en, "source", ab_energy_source_name(ab_energy_source(r->energy)));
    const char *reason = ab_energy_reason(r->energy);
    cJSON_AddStringToObject(en, "reason", reason ? reason : "");
    const char *model = ab_energy_model(r->energy);
    if (model)
        cJSON_AddStringToObject(en, "model", model);
    cJSON_AddNumberToObject(en, "min_region_s", ab_energy_min_region_s(r->energy));
    cJSON_AddItemToObject(root, "peaks", ab_results_peaks_json(ctx));
    cJSON_AddStringToObject(root, "peaks_source", ctx->peaks_source);
    cJSON_AddItemToObject(root, "warnings", cJSON_Duplicate(r->warnings, true));
    return root;
}
