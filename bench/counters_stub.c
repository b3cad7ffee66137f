/*
 * counters_stub.c - ab_counters when archbench is built without PAPI: every event is
 * unavailable with that reason, so reports say NA instead of inventing 0.
 */
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/counters.h"

#define NO_PAPI "archbench was built without PAPI (meson -Dpapi=disabled or libpapi-dev missing)"

struct ab_counters {
    size_t n;
    struct ab_counter_info info[AB_COUNTERS_MAX];
};

bool ab_counters_version(char *buf, size_t buf_bytes)
{
    snprintf(buf, buf_bytes, "NA (%s)", NO_PAPI);
    return false;
}

enum ab_status ab_counters_init(struct ab_error *err)
{
    return ab_error_set(err, AB_ENOCOUNTER, NO_PAPI);
}

void ab_counters_probe(const char *name, struct ab_counter_info *out_info)
{
    memset(out_info, 0, sizeof *out_info);
    snprintf(out_info->name, sizeof out_info->name, "%s", name);
    snprintf(out_info->reason, sizeof out_info->reason, NO_PAPI);
}

enum ab_status ab_counters_new(const char *list, bool multiplex, struct ab_counters **out_set, struct ab_error *err)
{
    (void)multiplex;
    if (!list || !*list)
        return ab_error_set(err, AB_EINVAL, "empty event list");
    struct ab_counters *s = ab_calloc(1, sizeof *s);
    if (!s)
        return ab_error_set(err, AB_ENOMEM, "out of memory for the counter set");
    for (const char *p = list; *p && s->n < AB_COUNTERS_MAX;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len > 0) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
            ab_counters_probe(name, &s->info[s->n++]);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    *out_set = s;
    return AB_OK;
}

void ab_counters_free(struct ab_counters *set)
{
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
    (void)set;
    return false;
}

size_t ab_counters_n_active(const struct ab_counters *set)
{
    (void)set;
    return 0;
}

enum ab_status ab_counters_start(struct ab_counters *set)
{
    (void)set;
    return AB_OK;
}

enum ab_status ab_counters_stop(struct ab_counters *set, int64_t *out_values)
{
    for (size_t i = 0; i < set->n; i++)
        out_values[i] = AB_COUNT_NA;
    return AB_OK;
}
