/*
 * test_counters.c - the PAPI counter module: a software event really counts here, a
 * hardware event counts or the test is skipped (never passed) where the machine has
 * none, unknown events are unavailable with a reason, and unavailable reads NA.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "ab_config.h"

#include "archbench/counters.h"
#include "archbench/timer.h"

#if AB_HAVE_PAPI
#include <papi.h>
#endif

static volatile double sink;

static void busy_ms(int ms)
{
    int64_t end = ab_now_ns() + (int64_t)ms * 1000000;
    double x = 1.0;
    while (ab_now_ns() < end)
        for (int i = 0; i < 1000; i++)
            x = x * 1.0000001 + 1e-9;
    sink = x;
}

Test(counters, task_clock_counts_cpu_time)
{
    if (!AB_HAVE_PAPI)
        cr_skip_test("built without PAPI");
    struct ab_counters *set = NULL;
    cr_assert_eq(ab_counters_new("perf::TASK-CLOCK", false, &set, NULL), AB_OK);
    const struct ab_counter_info *info = ab_counters_info(set, 0);
    if (!info->available)
        cr_skip_test("perf::TASK-CLOCK unavailable here: %s", info->reason);
    int64_t v[1];
    cr_assert_eq(ab_counters_start(set), AB_OK);
    busy_ms(50);
    cr_assert_eq(ab_counters_stop(set, v), AB_OK);
    cr_assert_neq(v[0], AB_COUNT_NA);
    /* 50 ms of busy CPU time, in ns: allow preemption on a shared VM, not a fake value. */
    cr_assert_gt(v[0], 5000000, "task clock %lld ns after 50 ms busy", (long long)v[0]);
    cr_assert_lt(v[0], 5000000000LL);
    ab_counters_free(set);
}

Test(counters, hardware_cycles_count_or_skip)
{
    struct ab_counters *set = NULL;
    cr_assert_eq(ab_counters_new("PAPI_TOT_CYC", false, &set, NULL), AB_OK);
    const struct ab_counter_info *info = ab_counters_info(set, 0);
    if (!info->available) {
        cr_assert_str_neq(info->reason, "", "unavailable comes with a reason");
        int64_t v[1] = {12345};
        ab_counters_start(set);
        ab_counters_stop(set, v);
        cr_assert_eq(v[0], AB_COUNT_NA, "unavailable reads NA, never 0");
        char reason[sizeof info->reason];
        memcpy(reason, info->reason, sizeof reason);
        ab_counters_free(set);
        cr_skip_test("no hardware cycle counter here: %s", reason);
    }
    int64_t v[1];
    ab_counters_start(set);
    busy_ms(20);
    ab_counters_stop(set, v);
    cr_assert_gt(v[0], 1000000, "20 ms of work is more than a million cycles");
    ab_counters_free(set);
}

Test(counters, unknown_event_is_unavailable_with_reason)
{
    struct ab_counters *set = NULL;
    cr_assert_eq(ab_counters_new("NO_SUCH_EVENT_X,perf::TASK-CLOCK", false, &set, NULL), AB_OK);
    cr_assert_eq(ab_counters_count(set), 2);
    const struct ab_counter_info *bad = ab_counters_info(set, 0);
    cr_assert_str_eq(bad->name, "NO_SUCH_EVENT_X");
    cr_assert_not(bad->available);
    cr_assert_str_neq(bad->reason, "");
    int64_t v[2];
    ab_counters_start(set);
    busy_ms(5);
    ab_counters_stop(set, v);
    cr_assert_eq(v[0], AB_COUNT_NA);
    ab_counters_free(set);
    struct ab_error err;
    cr_assert_eq(ab_counters_new("", false, &set, &err), AB_EINVAL);
}

/* PAPI answers "Event does not exist" for a misspelt event and for every event of a
 * component it disabled: the reason must tell the two apart. Asked of PAPI directly here;
 * either branch fails a reason that blames the component always, or never. */
Test(counters, reason_names_a_disabled_cpu_component)
{
    if (!AB_HAVE_PAPI)
        cr_skip_test("built without PAPI");
#if AB_HAVE_PAPI
    struct ab_counters *set = NULL;
    cr_assert_eq(ab_counters_new("NO_SUCH_EVENT_X,perf::TASK-CLOCK", false, &set, NULL), AB_OK);
    const PAPI_component_info_t *cpu = NULL;
    for (int cid = 0; cid < PAPI_num_components(); cid++) {
        const PAPI_component_info_t *c = PAPI_get_component_info(cid);
        if (c && strcmp(c->name, "perf_event") == 0)
            cpu = c;
    }
    const struct ab_counter_info *typo = ab_counters_info(set, 0), *task = ab_counters_info(set, 1);
    if (cpu && cpu->disabled) {
        cr_assert_not(task->available);
        cr_assert(strstr(task->reason, "PAPI component 'perf_event' disabled: ") != NULL, "reason: %s", task->reason);
        cr_assert(strstr(typo->reason, cpu->disabled_reason) != NULL, "reason: %s", typo->reason);
    } else {
        cr_assert(strstr(typo->reason, "disabled") == NULL, "the component is enabled, yet: %s", typo->reason);
    }
    ab_counters_free(set);
#endif
}
