/*
 * probe_avx512vnni.c - INT8 dot-product probe: blocks of 16 independent zmm vpdpbusd
 * chains, one block per thread at a time (see probe.h and probe_avx512.c for why a
 * thread must never hold fewer chains than the pipes need).
 */
#include <immintrin.h>
#include <stdint.h>

#include "archbench/cpu.h"
#include "archbench/probe.h"

#include "probe_impl.h"

_Static_assert(AB_PROBE_BLOCK_CHAINS == 16, "dot_block is written out for 16 chains");
_Static_assert(AB_PROBE_DOT_INPUT_LANES == 64, "dot_block keeps 4 zmm of each input");

/*
 * Chain j multiplies input vector j % 4: 16 accumulators + 8 operand registers fit the
 * 32 zmm registers, where an operand pair per chain would spill to the stack and add
 * loads. Named accumulators plus asm barriers per round keep the chains interleaved;
 * left to itself GCC 12 runs them one after another (latency bound).
 */
#define DOT(j) a##j = _mm512_dpbusd_epi32(a##j, u##j, s##j)
#define STORE(j) _mm512_storeu_si512(out + 16 * (j), a##j)

static void dot_block(const uint8_t *in_u8, const int8_t *in_s8, int32_t *out, size_t n)
{
    __m512i u0 = _mm512_loadu_si512(in_u8), u1 = _mm512_loadu_si512(in_u8 + 64),
            u2 = _mm512_loadu_si512(in_u8 + 128), u3 = _mm512_loadu_si512(in_u8 + 192);
    __m512i s0 = _mm512_loadu_si512(in_s8), s1 = _mm512_loadu_si512(in_s8 + 64),
            s2 = _mm512_loadu_si512(in_s8 + 128), s3 = _mm512_loadu_si512(in_s8 + 192);
    __m512i u4 = u0, u5 = u1, u6 = u2, u7 = u3, u8 = u0, u9 = u1, u10 = u2, u11 = u3, u12 = u0, u13 = u1,
            u14 = u2, u15 = u3;
    __m512i s4 = s0, s5 = s1, s6 = s2, s7 = s3, s8 = s0, s9 = s1, s10 = s2, s11 = s3, s12 = s0, s13 = s1,
            s14 = s2, s15 = s3;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0,
            a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
    for (size_t r = 0; r < n; r++) {
        DOT(0), DOT(1), DOT(2), DOT(3), DOT(4), DOT(5), DOT(6), DOT(7);
        DOT(8), DOT(9), DOT(10), DOT(11), DOT(12), DOT(13), DOT(14), DOT(15);
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
        __asm__ volatile("" : "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11), "+v"(a12), "+v"(a13), "+v"(a14),
                         "+v"(a15));
    }
    STORE(0), STORE(1), STORE(2), STORE(3), STORE(4), STORE(5), STORE(6), STORE(7);
    STORE(8), STORE(9), STORE(10), STORE(11), STORE(12), STORE(13), STORE(14), STORE(15);
}

static enum ab_status probe_vnni(const struct ab_probe_args *a, const struct ab_exec *exec)
{
    if (a->kind != AB_PROBE_INT8_DOT)
        return AB_ENOTSUP;
    int nt = exec->n_threads > 0 ? exec->n_threads : 1;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int b = 0; b < AB_PROBE_BLOCKS; b++)
        dot_block(a->u8_in, a->s8_in, a->i32_out + (size_t)b * AB_PROBE_BLOCK_LANES, a->n);
    return AB_OK;
}

static bool supports_vnni(const struct ab_shape *s)
{
    return s->v[AB__PROBE_KIND] == AB_PROBE_INT8_DOT;
}

extern const struct ab_kernel ab__kernel_peak_avx512vnni;
const struct ab_kernel ab__kernel_peak_avx512vnni = {
    .name = "peak_avx512vnni",
    .family = &ab_family_peak,
    .variant = "avx512vnni",
    .doc = "blocks of 16 zmm vpdpbusd chains, one block per thread at a time",
    .isa_needs = AB_ISA_AVX512VNNI,
    .is_ref = false,
    .fn.probe = probe_vnni,
    .supports = supports_vnni,
    .workspace_bytes = ab__probe_no_workspace,
    .flops = ab__probe_flops,
    .bytes = ab__probe_bytes,
    .tol = {.cmp = AB_CMP_EXACT, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
