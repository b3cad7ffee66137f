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
        __m512i acc[N_CHAINS], u[N_CHAINS], s[N_CHAINS];
        for (int j = 0; j < count; j++) {
            acc[j] = _mm512_setzero_si512();
            u[j] = _mm512_loadu_si512(a->u8_in + 64 * (first + j));
            s[j] = _mm512_loadu_si512(a->s8_in + 64 * (first + j));
        }
        for (size_t r = 0; r < a->n; r++)
            for (int j = 0; j < count; j++)
                acc[j] = _mm512_dpbusd_epi32(acc[j], u[j], s[j]);
        for (int j = 0; j < count; j++)
            _mm512_storeu_si512(a->i32_out + 16 * (first + j), acc[j]);
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
