/*
 * probe_avx512vnni.c - INT8 dot-product probe: 12 independent zmm vpdpbusd chains.
 */
#include <immintrin.h>
#include <stdint.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/cpu.h"
#include "archbench/probe.h"

#include "probe_impl.h"

#define N_CHAINS (AB_PROBE_LANES / 16)

/* Named accumulators plus an asm barrier per round keep the 12 (or 6) vpdpbusd chains
 * interleaved; left to itself GCC 12 runs them one after another (latency bound). */
#define DOT(j) a##j = _mm512_dpbusd_epi32(a##j, u##j, s##j)
#define LOAD(j)                                                                                              \
    __m512i a##j = _mm512_setzero_si512(), u##j = _mm512_loadu_si512(a_u8 + 64 * (j)),                      \
            s##j = _mm512_loadu_si512(a_s8 + 64 * (j))
#define STORE(j) _mm512_storeu_si512(out + 16 * (j), a##j)

static void dot_chains_12(const uint8_t *a_u8, const int8_t *a_s8, int32_t *out, size_t n)
{
    LOAD(0);
    LOAD(1);
    LOAD(2);
    LOAD(3);
    LOAD(4);
    LOAD(5);
    LOAD(6);
    LOAD(7);
    LOAD(8);
    LOAD(9);
    LOAD(10);
    LOAD(11);
    for (size_t r = 0; r < n; r++) {
        DOT(0), DOT(1), DOT(2), DOT(3), DOT(4), DOT(5), DOT(6), DOT(7), DOT(8), DOT(9), DOT(10), DOT(11);
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7),
                         "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
    }
    STORE(0), STORE(1), STORE(2), STORE(3), STORE(4), STORE(5);
    STORE(6), STORE(7), STORE(8), STORE(9), STORE(10), STORE(11);
}

static void dot_chains_6(const uint8_t *a_u8, const int8_t *a_s8, int32_t *out, size_t n)
{
    LOAD(0);
    LOAD(1);
    LOAD(2);
    LOAD(3);
    LOAD(4);
    LOAD(5);
    for (size_t r = 0; r < n; r++) {
        DOT(0), DOT(1), DOT(2), DOT(3), DOT(4), DOT(5);
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));
    }
    STORE(0), STORE(1), STORE(2), STORE(3), STORE(4), STORE(5);
}

static void dot_chains_any(const uint8_t *a_u8, const int8_t *a_s8, int32_t *out, size_t n, int count)
{
    for (int j = 0; j < count; j++) {
        __m512i acc = _mm512_setzero_si512(), u = _mm512_loadu_si512(a_u8 + 64 * j),
                s = _mm512_loadu_si512(a_s8 + 64 * j);
        for (size_t r = 0; r < n; r++)
            acc = _mm512_dpbusd_epi32(acc, u, s);
        _mm512_storeu_si512(out + 16 * j, acc);
    }
}

static enum ab_status probe_vnni(const struct ab_probe_args *a, const struct ab_exec *exec)
{
    if (a->kind != AB_PROBE_INT8_DOT)
        return AB_ENOTSUP;
    int nt = exec->n_threads > 0 ? exec->n_threads : 1;
    if (nt > N_CHAINS)
        nt = N_CHAINS;
#pragma omp parallel num_threads(nt)
    {
        int t = 0, tn = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        tn = omp_get_num_threads();
#endif
        int first = N_CHAINS * t / tn, count = N_CHAINS * (t + 1) / tn - first;
        const uint8_t *u8 = a->u8_in + 64 * first;
        const int8_t *s8 = a->s8_in + 64 * first;
        int32_t *out = a->i32_out + 16 * first;
        if (count == 12)
            dot_chains_12(u8, s8, out, a->n);
        else if (count == 6)
            dot_chains_6(u8, s8, out, a->n);
        else
            dot_chains_any(u8, s8, out, a->n, count);
    }
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
    .doc = "12 zmm vpdpbusd chains",
    .isa_needs = AB_ISA_AVX512VNNI,
    .is_ref = false,
    .fn.probe = probe_vnni,
    .supports = supports_vnni,
    .workspace_bytes = ab__probe_no_workspace,
    .flops = ab__probe_flops,
    .bytes = ab__probe_bytes,
    .tol = {.cmp = AB_CMP_EXACT, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},
};
