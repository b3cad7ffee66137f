/*
 * timer.c - CLOCK_MONOTONIC via clock_gettime (vDSO: ~20 ns, no syscall), and a
 * measurement of that cost so the runner can record and subtract it.
 */
#include <stdlib.h>
#include <time.h>

#include "archbench/timer.h"

int64_t ab_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

double ab_timer_overhead_ns(int n_pairs)
{
    enum { MAX_PAIRS = 4096 };
    int64_t d[MAX_PAIRS];
    if (n_pairs <= 0 || n_pairs > MAX_PAIRS)
        n_pairs = MAX_PAIRS;
    for (int i = 0; i < n_pairs; i++) {
        int64_t t0 = ab_now_ns();
        int64_t t1 = ab_now_ns();
        d[i] = t1 - t0;
    }
    qsort(d, (size_t)n_pairs, sizeof d[0], cmp_i64);
    return (double)d[n_pairs / 2];
}
