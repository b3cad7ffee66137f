/*
 * counters_papi.c - ab_counters on PAPI's low-level event-set API.
 *
 * Why low level: the high-level API aggregates over the whole process, writes its own
 * JSON at exit and deactivates itself after one error; we need raw per-repetition
 * values in our own CSV and a per-event verdict. Each event is probed alone (create a
 * set, add, start, stop) because PAPI_add_event can succeed for an event that then
 * fails to start in a VM without a PMU.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <papi.h>

#include "archbench/alloc.h"
#include "archbench/counters.h"

struct ab_counters {
    size_t n;
    struct ab_counter_info info[AB_COUNTERS_MAX];
    int slot[AB_COUNTERS_MAX];   /* index in the PAPI set, or -1 */
    size_t n_active;
    int event_set;
    bool multiplex;
    bool running;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = PAPI_ENOINIT;
static int multiplex_rc = PAPI_ENOINIT;

static void papi_init_once(void)
{
    init_rc = PAPI_library_init(PAPI_VER_CURRENT);
    if (init_rc == PAPI_VER_CURRENT) {
        /* Counting per thread (one event set per OpenMP thread) needs PAPI to know how
         * threads are identified. */
        if (PAPI_thread_init(pthread_self) != PAPI_OK)
            init_rc = PAPI_ESYS;
        multiplex_rc = PAPI_multiplex_init();
    }
}

enum ab_status ab_counters_init(struct ab_error *err)
{
    pthread_once(&init_once, papi_init_once);
    if (init_rc != PAPI_VER_CURRENT)
        return ab_error_set(err, AB_ENOCOUNTER, "PAPI initialisation failed: %s",
                            init_rc > 0 ? "header and library versions differ" : PAPI_strerror(init_rc));
    return AB_OK;
}

bool ab_counters_version(char *buf, size_t buf_bytes)
{
    if (ab_counters_init(NULL) != AB_OK) {
        snprintf(buf, buf_bytes, "NA (PAPI initialisation failed)");
        return false;
    }
    int v = PAPI_get_opt(PAPI_LIB_VERSION, NULL);
    snprintf(buf, buf_bytes, "%d.%d.%d.%d", PAPI_VERSION_MAJOR(v), PAPI_VERSION_MINOR(v), PAPI_VERSION_REVISION(v),
             PAPI_VERSION_INCREMENT(v));
    return true;
}

static void set_reason(struct ab_counter_info *info, const char *what, int rc)
{
    info->available = false;
    snprintf(info->reason, sizeof info->reason, "%s: %s", what, PAPI_strerror(rc));
}

/*
 * PAPI reports "Event does not exist" both for a misspelt event and for every event of a
 * component it disabled at start-up. In a VM without a PMU, libpfm4 finds no default PMU
 * and PAPI disables its whole perf_event component: the presets and the kernel's software
 * events (perf::TASK-CLOCK) alike, although `perf stat` still counts the latter. Say so,
 * or the user chases a typo. The CPU component is the one named "perf_event".
 */
static void note_disabled_cpu_component(struct ab_counter_info *info)
{
    for (int cid = 0; cid < PAPI_num_components(); cid++) {
        const PAPI_component_info_t *c = PAPI_get_component_info(cid);
        if (!c || strcmp(c->name, "perf_event") != 0 || !c->disabled)
            continue;
        size_t len = strlen(info->reason);
        snprintf(info->reason + len, sizeof info->reason - len, "; PAPI component 'perf_event' disabled: %s",
                 c->disabled_reason);
        return;
    }
}

void ab_counters_probe(const char *name, struct ab_counter_info *out_info)
{
    memset(out_info, 0, sizeof *out_info);
    snprintf(out_info->name, sizeof out_info->name, "%s", name);
    struct ab_error err;
    if (ab_counters_init(&err) != AB_OK) {
        snprintf(out_info->reason, sizeof out_info->reason, "%.159s", err.msg);
        return;
    }
    /* A thread other than the initialising one must be known to PAPI before it looks
     * up or counts events (OpenMP worker threads get their own sets); idempotent. */
    int reg = PAPI_register_thread();
    if (reg != PAPI_OK) {
        set_reason(out_info, "cannot register this thread with PAPI", reg);
        return;
    }
    int code = 0;
    int rc = PAPI_event_name_to_code(name, &code);
    if (rc != PAPI_OK) {
        set_reason(out_info, "unknown event", rc);
        note_disabled_cpu_component(out_info);
        return;
    }
    if (PAPI_query_event(code) != PAPI_OK) {
        set_reason(out_info, "not available on this machine", PAPI_ENOEVNT);
        note_disabled_cpu_component(out_info);
        return;
    }
    int set = PAPI_NULL;
    rc = PAPI_create_eventset(&set);
    if (rc != PAPI_OK) {
        set_reason(out_info, "cannot create an event set", rc);
        return;
    }
    long long v = 0;
    if ((rc = PAPI_add_event(set, code)) != PAPI_OK)
        set_reason(out_info, "cannot add", rc);
    else if ((rc = PAPI_start(set)) != PAPI_OK)
        set_reason(out_info, "cannot start", rc);
    else if ((rc = PAPI_stop(set, &v)) != PAPI_OK)
        set_reason(out_info, "cannot stop", rc);
    else
        out_info->available = true;
    PAPI_cleanup_eventset(set);
    PAPI_destroy_eventset(&set);
}

enum ab_status ab_counters_new(const char *list, bool multiplex, struct ab_counters **out_set, struct ab_error *err)
{
    if (!list || !*list)
        return ab_error_set(err, AB_EINVAL, "empty event list");
    struct ab_counters *s = ab_calloc(1, sizeof *s);
    if (!s)
        return ab_error_set(err, AB_ENOMEM, "out of memory for the counter set");
    s->event_set = PAPI_NULL;
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len > 0) {
            if (s->n == AB_COUNTERS_MAX) {
                ab_free(s);
                return ab_error_set(err, AB_EINVAL, "more than %d events", AB_COUNTERS_MAX);
            }
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
            ab_counters_probe(name, &s->info[s->n]);
            s->slot[s->n] = -1;
            s->n++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (ab_counters_init(NULL) == AB_OK && PAPI_create_eventset(&s->event_set) == PAPI_OK) {
        if (multiplex) {
            /* Multiplexing needs the set bound to a component before it is enabled. */
            int rc = multiplex_rc == PAPI_OK ? PAPI_assign_eventset_component(s->event_set, 0) : multiplex_rc;
            if (rc == PAPI_OK)
                rc = PAPI_set_multiplex(s->event_set);
            s->multiplex = rc == PAPI_OK;
        }
        for (size_t i = 0; i < s->n; i++) {
            if (!s->info[i].available)
                continue;
            int rc = PAPI_add_named_event(s->event_set, s->info[i].name);
            if (rc != PAPI_OK) {
                /* Counts alone, but not together with the others: a counter conflict. */
                set_reason(&s->info[i], multiplex ? "cannot add to the set" : "conflicts with earlier events (try --multiplex)", rc);
                continue;
            }
            s->slot[i] = (int)s->n_active++;
        }
    } else {
        for (size_t i = 0; i < s->n; i++)
            if (s->info[i].available)
                set_reason(&s->info[i], "cannot create an event set", PAPI_ESYS);
    }
    *out_set = s;
    return AB_OK;
}

void ab_counters_free(struct ab_counters *set)
{
    if (!set)
        return;
    if (set->event_set != PAPI_NULL) {
        if (set->running) {
            long long scratch[AB_COUNTERS_MAX];
            PAPI_stop(set->event_set, scratch);
        }
        PAPI_cleanup_eventset(set->event_set);
        PAPI_destroy_eventset(&set->event_set);
    }
    ab_free(set);
}

size_t ab_counters_count(const struct ab_counters *set)
{
    return set->n;
}

const struct ab_counter_info *ab_counters_info(const struct ab_counters *set, size_t index)
{
    return index < set->n ? &set->info[index] : NULL;
}

bool ab_counters_multiplexed(const struct ab_counters *set)
{
    return set->multiplex;
}

size_t ab_counters_n_active(const struct ab_counters *set)
{
    return set->n_active;
}

enum ab_status ab_counters_start(struct ab_counters *set)
{
    if (set->n_active == 0)
        return AB_OK;
    if (PAPI_reset(set->event_set) != PAPI_OK || PAPI_start(set->event_set) != PAPI_OK)
        return AB_ENOCOUNTER;
    set->running = true;
    return AB_OK;
}

enum ab_status ab_counters_stop(struct ab_counters *set, int64_t *out_values)
{
    long long raw[AB_COUNTERS_MAX] = {0};
    enum ab_status st = AB_OK;
    if (set->n_active > 0 && set->running) {
        if (PAPI_stop(set->event_set, raw) != PAPI_OK)
            st = AB_ENOCOUNTER;
        set->running = false;
    }
    for (size_t i = 0; i < set->n; i++)
        out_values[i] = (st == AB_OK && set->slot[i] >= 0) ? (int64_t)raw[set->slot[i]] : AB_COUNT_NA;
    return st;
}
