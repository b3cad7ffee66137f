/*
 * probe.h - peak probes: the machine's own ceilings, measured by archbench in the same
 * run as the kernels, so "% of peak" compares like with like (same clock, same VM,
 * same thread count).
 *
 *   fp32_fma   192 independent FMA chains (12 zmm x 16 lanes): x = x*c + d, n rounds.
 *              FLOPs 2*192*n. Ceiling of FP32 compute.
 *   int8_dot   192 int32 lanes, each += dot of 4 u8 x 4 s8 pairs, n rounds (wrapping
 *              int32, as vpdpbusd). Ops 2*4*192*n (a multiply and an add per pair).
 *   mem_read   wrapping int32 sum of n int32 elements (4n bytes read).
 *   mem_triad  a[i] = b[i] + s*c[i] over n floats; 12n bytes (STREAM convention:
 *              write-allocate traffic is not counted).
 */
#ifndef ARCHBENCH_PROBE_H
#define ARCHBENCH_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/kernel.h"

enum ab_probe_kind { AB_PROBE_FP32_FMA, AB_PROBE_INT8_DOT, AB_PROBE_MEM_READ, AB_PROBE_MEM_TRIAD, AB_PROBE_KIND_COUNT };

#define AB_PROBE_LANES 192

struct ab_probe_args {
    enum ab_probe_kind kind;
    size_t n;                 /* rounds (fma, dot) or elements (memory) */
    const float *f_in;        /* fma: AB_PROBE_LANES start values; triad: c */
    const float *f_in2;       /* triad: b */
    float *f_out;             /* fma: AB_PROBE_LANES results; triad: a */
    const uint8_t *u8_in;     /* dot: 4*AB_PROBE_LANES bytes */
    const int8_t *s8_in;      /* dot: 4*AB_PROBE_LANES bytes */
    const int32_t *i32_in;    /* read: n elements */
    int32_t *i32_out;         /* dot: AB_PROBE_LANES lanes; read: 1 total */
};

/* Constants of the FMA chain (chosen so values neither overflow nor denormalise). */
#define AB_PROBE_FMA_C 0.99999994f
#define AB_PROBE_FMA_D 0.0000001f
#define AB_PROBE_TRIAD_S 3.0f

AB_API extern const struct ab_family ab_family_peak;

#endif /* ARCHBENCH_PROBE_H */
