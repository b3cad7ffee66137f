/*
 * run_team.c - the threads a kernel runs on: pinning and per-thread counters.
 *
 * Pinning honours the affinity mask the process was started with (taskset, cgroups,
 * a batch scheduler): thread i of a team goes to the i-th CPU of that mask, never to a
 * CPU outside it. A CPU that refuses is reported, not ignored, and the caller's own mask
 * is restored when the run ends (the library must not leave its host pinned).
 *
 * Counting every thread of a team: a PAPI event set counts the thread that started it,
 * so each OpenMP thread t of an n-thread team gets its own set (created by that thread),
 * started and stopped in parallel regions just outside the timed interval. libgomp hands
 * team slot t to the same pool thread in every region of the same size, so the sets
 * follow the threads that run the kernel's own regions. Threads the kernel does not start
 * itself (OpenBLAS's pool) are not counted; context.json says so.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "archbench/timer.h"
#include "archbench/stats.h"

#include "run_internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

enum ab_status ab__team_init(struct ab__team *t, bool pin, const char *events, bool multiplex, struct ab_error *err)
{
    memset(t, 0, sizeof *t);
    t->pin = pin;
    t->events = events;
    t->multiplex = multiplex;
#ifdef __linux__
    cpu_set_t set;
    _Static_assert(sizeof set <= sizeof t->saved_mask, "saved mask");
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        memcpy(t->saved_mask, &set, sizeof set);
        t->have_saved = true;
        for (int c = 0; c < CPU_SETSIZE && t->n_cpus < AB_RUN_MAX_POOL; c++)
            if (CPU_ISSET(c, &set))
                t->cpus[t->n_cpus++] = c;
    }
#endif
    if (!pin)
        snprintf(t->pin_report, sizeof t->pin_report, "not pinned (--no-pin)");
    else if (t->n_cpus == 0)
        snprintf(t->pin_report, sizeof t->pin_report, "not pinned: the process's affinity mask is unreadable");
    else
        snprintf(t->pin_report, sizeof t->pin_report,
                 "OpenMP thread i on the i-th CPU of the process's affinity mask (%d CPUs allowed)", t->n_cpus);
    return ab_counters_new(events, multiplex, &t->counters, err);
}

void ab__team_release(struct ab__team *t)
{
#ifdef __linux__
    if (t->have_saved && t->pinned_for) {
        cpu_set_t set;
        memcpy(&set, t->saved_mask, sizeof set);
        /* Every pool thread, then the caller: none stays on a CPU we chose. */
#pragma omp parallel num_threads(t->pinned_for)
        (void)sched_setaffinity(0, sizeof set, &set);
        (void)sched_setaffinity(0, sizeof set, &set);
    }
#endif
    ab_counters_free(t->counters);
    for (size_t i = 0; i < AB_RUN_MAX_POOL; i++)
        ab_counters_free(t->worker[i]);
    memset(t, 0, sizeof *t);
}

bool ab__team_pin(struct ab__team *t, int n_threads)
{
    if (!t->pin || t->n_cpus == 0 || t->pinned_for == n_threads)
        return true;
    bool ok = true;
#ifdef __linux__
    int failed_cpu = -1, failed_errno = 0;
    if (n_threads > t->n_cpus) {
        snprintf(t->pin_report, sizeof t->pin_report,
                 "%d threads on %d allowed CPUs: threads share CPUs (oversubscribed)", n_threads, t->n_cpus);
        ok = false;
    }
#pragma omp parallel num_threads(n_threads) reduction(&& : ok)
    {
        int i = 0;
#ifdef _OPENMP
        i = omp_get_thread_num();
#endif
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(t->cpus[i % t->n_cpus], &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            ok = false;
#pragma omp critical(ab_pin_report)
            {
                failed_cpu = t->cpus[i % t->n_cpus];
                failed_errno = errno;
            }
        }
    }
    if (failed_cpu >= 0)
        snprintf(t->pin_report, sizeof t->pin_report, "pinning to CPU %d failed: %s", failed_cpu,
                 strerror(failed_errno));
#endif
    t->pinned_for = n_threads;
    return ok;
}

double ab__team_counters_overhead_ns(struct ab__team *t)
{
    if (ab_counters_n_active(t->counters) == 0)
        return NA_F64;
    enum { N = 201 };
    double d[N];
    int64_t vals[AB_COUNTERS_MAX];
    for (int i = 0; i < N; i++) {
        int64_t t0 = ab_now_ns();
        ab_counters_start(t->counters);
        ab_counters_stop(t->counters, vals);
        d[i] = (double)(ab_now_ns() - t0);
    }
    return ab_stats_median_inplace(d, N);
}

void ab__team_counters_start(struct ab__team *t, int n_threads)
{
    if (ab_counters_n_active(t->counters) == 0)
        return;
    if (n_threads <= 1 || n_threads > AB_RUN_MAX_POOL) {
        ab_counters_start(t->counters);
        return;
    }
#pragma omp parallel num_threads(n_threads)
    {
        int i = 0;
#ifdef _OPENMP
        i = omp_get_thread_num();
#endif
        if (i == 0) {
            ab_counters_start(t->counters);
        } else {
            if (!t->worker[i])
                (void)ab_counters_new(t->events, t->multiplex, &t->worker[i], NULL);
            if (t->worker[i])
                ab_counters_start(t->worker[i]);
        }
    }
}

/* Stop every set of the team and write the per-event sums (NA if any thread has NA). */
void ab__team_counters_stop(struct ab__team *t, int n_threads, int64_t *out_values)
{
    size_t n_ev = ab_counters_count(t->counters);
    if (ab_counters_n_active(t->counters) == 0 || n_threads <= 1 || n_threads > AB_RUN_MAX_POOL) {
        ab_counters_stop(t->counters, out_values);
        return;
    }
    int64_t per_thread[AB_RUN_MAX_POOL][AB_COUNTERS_MAX];
#pragma omp parallel num_threads(n_threads)
    {
        int i = 0;
#ifdef _OPENMP
        i = omp_get_thread_num();
#endif
        struct ab_counters *set = i == 0 ? t->counters : t->worker[i];
        if (set) {
            ab_counters_stop(set, per_thread[i]);
        } else {
            for (size_t e = 0; e < AB_COUNTERS_MAX; e++)
                per_thread[i][e] = AB_COUNT_NA;
        }
    }
    for (size_t e = 0; e < n_ev; e++) {
        int64_t sum = 0;
        for (int i = 0; i < n_threads && sum != AB_COUNT_NA; i++)
            sum = per_thread[i][e] == AB_COUNT_NA ? AB_COUNT_NA : sum + per_thread[i][e];
        out_values[e] = sum;
    }
}
