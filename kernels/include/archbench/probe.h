/*
 * probe.h - peak probes: the machine's own ceilings, measured by archbench in the same
 * run as the kernels, so "% of peak" compares like with like (same clock, same VM,
 * same thread count).
 *
 *   fp32_fma   AB_PROBE_LANES independent FMA chains: x = x*c + d, n rounds; lane l
 *              starts from input l % AB_PROBE_BLOCK_LANES (every block the same, so
 *              the reference computes one block). FLOPs 2*AB_PROBE_LANES*n. Ceiling
 *              of FP32 compute.
 *   int8_dot   AB_PROBE_LANES int32 lanes, each += dot of 4 u8 x 4 s8 pairs, n rounds
 *              (wrapping int32, as vpdpbusd); lane l uses the pairs of input lane
 *              l % AB_PROBE_DOT_INPUT_LANES. Ops 2*4*AB_PROBE_LANES*n (a multiply and
 *              an add per pair).
 *   mem_read   wrapping int32 sum of n int32 elements (4n bytes read).
 *   mem_triad  a[i] = b[i] + s*c[i] over n floats; 12n bytes (STREAM convention:
 *              write-allocate traffic is not counted).
 *
 * The lanes come in AB_PROBE_BLOCKS blocks of AB_PROBE_BLOCK_CHAINS vector chains.
 * A block is the unit of work a thread takes: its chains stay in registers for all n
 * rounds, so every thread, whatever the thread count, keeps 16 independent chains in
 * flight (FMA latency 4 x 2 zmm FMA per cycle on Zen 5 needs 8; 16 leaves margin for
 * longer latencies). Each lane's result depends only on its own input, never on which
 * thread ran its block, so the output is the same for any thread count.
 */
#ifndef ARCHBENCH_PROBE_H
#define ARCHBENCH_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/kernel.h"

enum ab_probe_kind { AB_PROBE_FP32_FMA, AB_PROBE_INT8_DOT, AB_PROBE_MEM_READ, AB_PROBE_MEM_TRIAD, AB_PROBE_KIND_COUNT };

/*
 * 720 = 2^4 * 3^2 * 5 blocks: threads take blocks dynamically, so at any thread count
 * (and with a CPU shared with other work) the idle tail is at most one block per
 * thread, a few percent up to ~100 threads; a count dividing 720 has no tail at all.
 */
#define AB_PROBE_BLOCK_CHAINS 16
#define AB_PROBE_BLOCKS 720
#define AB_PROBE_BLOCK_LANES (16 * AB_PROBE_BLOCK_CHAINS)
#define AB_PROBE_LANES (AB_PROBE_BLOCKS * AB_PROBE_BLOCK_LANES)
/* int8_dot inputs: 4 zmm of u8 and 4 of s8, kept in registers beside 16 accumulators. */
#define AB_PROBE_DOT_INPUT_LANES 64

struct ab_probe_args {
    enum ab_probe_kind kind;
    size_t n;                 /* rounds (fma, dot) or elements (memory) */
    const float *f_in;        /* fma: AB_PROBE_BLOCK_LANES start values; triad: c */
    const float *f_in2;       /* triad: b */
    float *f_out;             /* fma: AB_PROBE_LANES results; triad: a */
    const uint8_t *u8_in;     /* dot: 4*AB_PROBE_DOT_INPUT_LANES bytes */
    const int8_t *s8_in;      /* dot: 4*AB_PROBE_DOT_INPUT_LANES bytes */
    const int32_t *i32_in;    /* read: n elements */
    int32_t *i32_out;         /* dot: AB_PROBE_LANES lanes; read: 1 total */
};

/* Constants of the FMA chain (chosen so values neither overflow nor denormalise). */
#define AB_PROBE_FMA_C 0.99999994f
#define AB_PROBE_FMA_D 0.0000001f
#define AB_PROBE_TRIAD_S 3.0f

/*
 * Value of the shape parameter n meaning "auto" (spelled n=auto): rounds of the compute
 * probes' default sweep; for the memory probes, a working set of at least
 * AB_PROBE_LLC_FACTOR times the last-level cache (CPUID, all instances on the online
 * CPUs), so they measure memory and not cache on any machine.
 */
#define AB_PROBE_N_AUTO 0
/* ~30 ms per call on one Zen 5 core: long against the end-of-call barrier, so a thread
 * preempted by other work costs a small share of a call, not most of it. */
#define AB_PROBE_AUTO_ROUNDS 16384
#define AB_PROBE_LLC_FACTOR 4

AB_API extern const struct ab_family ab_family_peak;

#endif /* ARCHBENCH_PROBE_H */
