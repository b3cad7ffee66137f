/*
 * counters.h - hardware and software event counters through PAPI's low-level API.
 *
 * Every requested event is probed on its own first; one that cannot be counted here
 * is kept in the set as unavailable, with PAPI's reason, and reads as AB_COUNT_NA
 * (never 0). Available events are counted together in one event set, per thread:
 * a counter set counts the thread that created and started it (the runner gives each
 * OpenMP thread its own set and sums them).
 * Without PAPI (meson feature off) every event is unavailable with that reason.
 */
#ifndef ARCHBENCH_COUNTERS_H
#define ARCHBENCH_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/status.h"

#define AB_COUNTERS_MAX 32
#define AB_COUNT_NA INT64_MIN   /* the value of an event that was not counted */

/* The default events of `archbench run` (presets where they exist, then software). */
#define AB_COUNTERS_DEFAULT                                                                  \
    "PAPI_TOT_CYC,PAPI_TOT_INS,PAPI_L1_DCM,PAPI_L2_TCM,PAPI_L3_TCM,PAPI_BR_MSP,PAPI_SP_OPS," \
    "PAPI_VEC_SP,perf::TASK-CLOCK,perf::PAGE-FAULTS,perf::CONTEXT-SWITCHES"

struct ab_counter_info {
    char name[64];
    bool available;
    char reason[160];  /* why not, when !available (PAPI's message) */
};

/* "7.0.0.0", or a reason it is not there; always NUL-terminated. */
AB_API bool ab_counters_version(char *buf, size_t buf_bytes);

/* Initialise PAPI once (thread safe). AB_ENOCOUNTER with the reason when impossible. */
AB_API enum ab_status ab_counters_init(struct ab_error *err);

/* Can this event be counted alone on this thread? Fills out_info either way. */
AB_API void ab_counters_probe(const char *name, struct ab_counter_info *out_info);

struct ab_counters;

/*
 * Build a set from a comma-separated list of PAPI preset or native names. Events that
 * cannot be counted stay in the list as unavailable. `multiplex` asks PAPI to multiplex
 * (values are then scaled estimates; see ab_counters_multiplexed). AB_EINVAL for an
 * empty or too long list. Caller frees with ab_counters_free.
 */
AB_API enum ab_status ab_counters_new(const char *list, bool multiplex, struct ab_counters **out_set,
                                      struct ab_error *err);
AB_API void ab_counters_free(struct ab_counters *set);

AB_API size_t ab_counters_count(const struct ab_counters *set);
AB_API const struct ab_counter_info *ab_counters_info(const struct ab_counters *set, size_t index);
AB_API bool ab_counters_multiplexed(const struct ab_counters *set);
/* Number of events actually counted (available ones). */
AB_API size_t ab_counters_n_active(const struct ab_counters *set);

/* Reset and start counting on the calling thread. */
AB_API enum ab_status ab_counters_start(struct ab_counters *set);
/* Stop and write one value per event (ab_counters_count of them); AB_COUNT_NA if unavailable. */
AB_API enum ab_status ab_counters_stop(struct ab_counters *set, int64_t *out_values);

#endif /* ARCHBENCH_COUNTERS_H */
