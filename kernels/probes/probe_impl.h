/* probe_impl.h - private to kernels/probes: shared descriptor helpers. */
#ifndef ARCHBENCH_PROBE_IMPL_H
#define ARCHBENCH_PROBE_IMPL_H

#include "archbench/probe.h"

enum { AB__PROBE_KIND, AB__PROBE_N, AB__PROBE_PARAM_COUNT };

/* The shape's n with "auto" (0) resolved: see probe_family.c. */
size_t ab__probe_n(const struct ab_shape *shape);
double ab__probe_flops(const struct ab_shape *shape);
double ab__probe_bytes(const struct ab_shape *shape);
size_t ab__probe_no_workspace(const struct ab_shape *shape, int n_threads);

#endif
