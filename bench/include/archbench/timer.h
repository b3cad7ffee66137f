/*
 * timer.h - the monotonic clock used for every timing, and its own cost.
 */
#ifndef ARCHBENCH_TIMER_H
#define ARCHBENCH_TIMER_H

#include <stdint.h>

#include "archbench/api.h"

/* CLOCK_MONOTONIC in nanoseconds (not affected by NTP steps or settimeofday). */
AB_API int64_t ab_now_ns(void);

/* Median cost of one ab_now_ns() call, measured over n_pairs back-to-back reads. */
AB_API double ab_timer_overhead_ns(int n_pairs);

#endif /* ARCHBENCH_TIMER_H */
