/*
 * energy.h - energy of a measured region, from the first source that works here.
 *
 * Sources, best first: PAPI energy events (its rapl or powercap component), the Linux
 * powercap tree read directly (every top-level package zone: intel-rapl:N named
 * "package-N"; subzones such as core or dram are inside their package and are not added,
 * psys is not a package), and last an estimate from a stated model (package power = the
 * --tdp figure for the whole wall time). Every meter says which source it is and why
 * the better ones were not used, so a report never shows an estimate as a measurement.
 *
 * RAPL-based counters are package wide (every process on the socket counts) and update
 * about every millisecond; a region shorter than ab_energy_min_region_s is refused.
 * A meter is used from one thread at a time (PAPI event sets belong to a thread).
 */
#ifndef ARCHBENCH_ENERGY_H
#define ARCHBENCH_ENERGY_H

#include <stdbool.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/status.h"

enum ab_energy_source {
    AB_ENERGY_NONE,
    AB_ENERGY_PAPI,
    AB_ENERGY_POWERCAP,
    AB_ENERGY_ESTIMATE,
    AB_ENERGY_SOURCE_COUNT
};

/* "NA", "papi", "powercap", "estimate" (the energy_source column); "NA" outside the enum. */
AB_API const char *ab_energy_source_name(enum ab_energy_source s);

struct ab_energy;   /* opaque meter */

/* Environment variable that overrides the default powercap root (used by tests). */
#define AB_ENERGY_POWERCAP_ROOT_ENV "ARCHBENCH_POWERCAP_ROOT"
/* Shortest region a RAPL-based source measures: 100 update intervals of ~1 ms. */
#define AB_ENERGY_RAPL_MIN_REGION_S 0.1

struct ab_energy_options {
    const char *powercap_root;   /* NULL: $ARCHBENCH_POWERCAP_ROOT or /sys/class/powercap */
    double tdp_w;                /* > 0 enables the estimate model (package power = tdp_w while running); 0 = none */
    bool try_papi;               /* try PAPI energy events (rapl/powercap components) first */
};

/*
 * Pick the first source that works: PAPI energy events (when try_papi), then powercap
 * (every top-level package zone whose energy_uj is readable; unreadable ones are named
 * in the reason), then the estimate when tdp_w > 0; otherwise source NONE with a reason.
 * Never fails for lack of a source: only AB_ENOMEM, or AB_EINVAL for a NULL out_meter or
 * a negative or non-finite tdp_w. opts NULL means all fields zero. Free with ab_energy_free.
 */
AB_API enum ab_status ab_energy_new(const struct ab_energy_options *opts, struct ab_energy **out_meter,
                                    struct ab_error *err);
AB_API void ab_energy_free(struct ab_energy *meter);   /* NULL is a no-op */

AB_API enum ab_energy_source ab_energy_source(const struct ab_energy *meter);

/*
 * Why the better sources were not used, for context.json, e.g.
 * "papi: no rapl or powercap component in this PAPI build; powercap: energy_uj not readable
 * (root only since Linux 5.10)". "" when the best source was used. Never NULL.
 */
AB_API const char *ab_energy_reason(const struct ab_energy *meter);

/* For ESTIMATE: "package power = 200 W (--tdp) x wall time"; NULL otherwise. */
AB_API const char *ab_energy_model(const struct ab_energy *meter);

/*
 * What is measured, for context.json: the zones ("intel-rapl:0 (package-0), intel-rapl:1
 * (package-1)") or PAPI events summed; "" for the estimate and NONE. Never NULL.
 */
AB_API const char *ab_energy_domains(const struct ab_energy *meter);

/* Shortest region it measures honestly: AB_ENERGY_RAPL_MIN_REGION_S for papi and powercap, 0 otherwise. */
AB_API double ab_energy_min_region_s(const struct ab_energy *meter);

/* Start a region (reads the counters). AB_ENOTSUP for NONE; AB_EIO when a counter cannot be read. */
AB_API enum ab_status ab_energy_begin(struct ab_energy *meter);

/*
 * Joules since begin (wrap-around of energy_uj handled through max_energy_range_uj, summed
 * over zones; a counter that wraps more than once in a region cannot be detected, which
 * takes tens of minutes at package power). elapsed_s is the wall time of the region (the
 * estimate multiplies it). AB_ENOTSUP when the source is NONE; AB_EINVAL without a begin,
 * for elapsed_s not finite, or elapsed_s < ab_energy_min_region_s (refused, not reported:
 * the caller lengthens the region); AB_EIO when a counter cannot be read. out_joules is
 * written only on success. A refused end leaves the region open, so it can be retried.
 */
AB_API enum ab_status ab_energy_end(struct ab_energy *meter, double elapsed_s, double *out_joules);

/*
 * Pure helper: microjoules between two readings of a counter that runs from 0 up to
 * max_range_uj and then starts again at 0. after >= before: after - before. Otherwise one
 * wrap: (max_range_uj - before) + after (the kernel reports the range one counter unit
 * short of the true period, an error of about 61 uJ per wrap). If max_range_uj is 0 or
 * below before (unknown or inconsistent range) the wrap cannot be resolved and the result
 * is `after`, a lower bound.
 */
AB_API uint64_t ab_energy_delta_uj(uint64_t before_uj, uint64_t after_uj, uint64_t max_range_uj);

#endif /* ARCHBENCH_ENERGY_H */
