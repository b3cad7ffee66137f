/*
 * probe_avx512.c - FP32 FMA, memory read and triad probes with AVX-512.
 *
 * FMA: 12 independent zmm chains (FMA latency 4 x 1 zmm FMA per cycle on Zen 4 needs
 * at least 4 in flight; 12 also covers 2-FMA-port cores). Threads split the 12 chains,
 * so the result does not depend on the thread count. Memory: threads split the range;
 * the wrapping int32 sum is associative, so partial sums combine exactly.
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

/*
 * The chains live in named variables, and an empty asm statement that "modifies" all
 * of them ends every round: without it GCC 12 interchanges the loops and runs the
 * chains one after another, which measures FMA latency instead of throughput.
 */
#define FMA_ROUND(x) x = _mm512_fmadd_ps(x, c, d)

static void fma_chains_12(const float *in, float *out, size_t n)
{
    __m512 c = _mm512_set1_ps(AB_PROBE_FMA_C), d = _mm512_set1_ps(AB_PROBE_FMA_D);
    __m512 x0 = _mm512_loadu_ps(in), x1 = _mm512_loadu_ps(in + 16), x2 = _mm512_loadu_ps(in + 32),
           x3 = _mm512_loadu_ps(in + 48), x4 = _mm512_loadu_ps(in + 64), x5 = _mm512_loadu_ps(in + 80),
           x6 = _mm512_loadu_ps(in + 96), x7 = _mm512_loadu_ps(in + 112), x8 = _mm512_loadu_ps(in + 128),
           x9 = _mm512_loadu_ps(in + 144), x10 = _mm512_loadu_ps(in + 160), x11 = _mm512_loadu_ps(in + 176);
    for (size_t r = 0; r < n; r++) {
        FMA_ROUND(x0), FMA_ROUND(x1), FMA_ROUND(x2), FMA_ROUND(x3), FMA_ROUND(x4), FMA_ROUND(x5);
        FMA_ROUND(x6), FMA_ROUND(x7), FMA_ROUND(x8), FMA_ROUND(x9), FMA_ROUND(x10), FMA_ROUND(x11);
        __asm__ volatile("" : "+v"(x0), "+v"(x1), "+v"(x2), "+v"(x3), "+v"(x4), "+v"(x5), "+v"(x6), "+v"(x7),
                         "+v"(x8), "+v"(x9), "+v"(x10), "+v"(x11));
    }
    _mm512_storeu_ps(out, x0), _mm512_storeu_ps(out + 16, x1), _mm512_storeu_ps(out + 32, x2);
    _mm512_storeu_ps(out + 48, x3), _mm512_storeu_ps(out + 64, x4), _mm512_storeu_ps(out + 80, x5);
    _mm512_storeu_ps(out + 96, x6), _mm512_storeu_ps(out + 112, x7), _mm512_storeu_ps(out + 128, x8);
    _mm512_storeu_ps(out + 144, x9), _mm512_storeu_ps(out + 160, x10), _mm512_storeu_ps(out + 176, x11);
}

/* Six chains: what each of two threads runs (latency 4 x 1 FMA/cycle needs >= 4). */
static void fma_chains_6(const float *in, float *out, size_t n)
{
    __m512 c = _mm512_set1_ps(AB_PROBE_FMA_C), d = _mm512_set1_ps(AB_PROBE_FMA_D);
    __m512 x0 = _mm512_loadu_ps(in), x1 = _mm512_loadu_ps(in + 16), x2 = _mm512_loadu_ps(in + 32),
           x3 = _mm512_loadu_ps(in + 48), x4 = _mm512_loadu_ps(in + 64), x5 = _mm512_loadu_ps(in + 80);
    for (size_t r = 0; r < n; r++) {
        FMA_ROUND(x0), FMA_ROUND(x1), FMA_ROUND(x2), FMA_ROUND(x3), FMA_ROUND(x4), FMA_ROUND(x5);
        __asm__ volatile("" : "+v"(x0), "+v"(x1), "+v"(x2), "+v"(x3), "+v"(x4), "+v"(x5));
    }
    _mm512_storeu_ps(out, x0), _mm512_storeu_ps(out + 16, x1), _mm512_storeu_ps(out + 32, x2);
    _mm512_storeu_ps(out + 48, x3), _mm512_storeu_ps(out + 64, x4), _mm512_storeu_ps(out + 80, x5);
}

/* Any other split (more than 2 threads): one chain at a time is fine for correctness. */
static void fma_chains_any(const float *in, float *out, size_t n, int count)
{
    __m512 c = _mm512_set1_ps(AB_PROBE_FMA_C), d = _mm512_set1_ps(AB_PROBE_FMA_D);
    for (int j = 0; j < count; j++) {
        __m512 x = _mm512_loadu_ps(in + 16 * j);
        for (size_t r = 0; r < n; r++)
            FMA_ROUND(x);
        _mm512_storeu_ps(out + 16 * j, x);
    }
}

static void fma_chains(const float *in, float *out, size_t n, int first, int count)
{
    if (count == 12)
        fma_chains_12(in + 16 * first, out + 16 * first, n);
    else if (count == 6)
        fma_chains_6(in + 16 * first, out + 16 * first, n);
    else
        fma_chains_any(in + 16 * first, out + 16 * first, n, count);
}

static enum ab_status probe_avx512(const struct ab_probe_args *a, const struct ab_exec *exec)
{
    int nt = exec->n_threads > 0 ? exec->n_threads : 1;
    switch (a->kind) {
    case AB_PROBE_FP32_FMA:
        if (nt > N_CHAINS)
            nt = N_CHAINS;
#pragma omp parallel num_threads(nt)
        {
            int t = 0, tn = 1;
#ifdef _OPENMP
            t = omp_get_thread_num();
            tn = omp_get_num_threads();
#endif
            int first = N_CHAINS * t / tn, last = N_CHAINS * (t + 1) / tn;
            fma_chains(a->f_in, a->f_out, a->n, first, last - first);
        }
        return AB_OK;
    case AB_PROBE_MEM_READ: {
        uint32_t total = 0;
#pragma omp parallel num_threads(nt) reduction(+ : total)
        {
            int t = 0, tn = 1;
#ifdef _OPENMP
            t = omp_get_thread_num();
            tn = omp_get_num_threads();
#endif
            size_t lo = a->n * (size_t)t / (size_t)tn, hi = a->n * (size_t)(t + 1) / (size_t)tn;
            /* Two halves read side by side: two concurrent streams keep more hardware
             * prefetch streams busy than one (measured here: ~28 vs ~23 GB/s per core). */
            size_t half = ((hi - lo) / 2) & ~(size_t)31;
            const int32_t *p0 = a->i32_in + lo, *p1 = a->i32_in + lo + half;
            __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
            for (size_t i = 0; i < half; i += 32) {
                s0 = _mm512_add_epi32(s0, _mm512_loadu_si512(p0 + i));
                s1 = _mm512_add_epi32(s1, _mm512_loadu_si512(p0 + i + 16));
                s2 = _mm512_add_epi32(s2, _mm512_loadu_si512(p1 + i));
                s3 = _mm512_add_epi32(s3, _mm512_loadu_si512(p1 + i + 16));
            }
            size_t i = lo + 2 * half;
            for (; i + 16 <= hi; i += 16)
                s0 = _mm512_add_epi32(s0, _mm512_loadu_si512(a->i32_in + i));
            if (i < hi)
                s0 = _mm512_add_epi32(s0, _mm512_maskz_loadu_epi32((__mmask16)((1u << (hi - i)) - 1), a->i32_in + i));
            s0 = _mm512_add_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(s2, s3));
            /* Not _mm512_reduce_add_epi32: GCC expands it to signed int additions, whose
             * wrap-around is undefined behaviour; the lanes are summed as uint32_t. */
            uint32_t lanes[16];
            _mm512_storeu_si512(lanes, s0);
            for (int l = 0; l < 16; l++)
                total += lanes[l];
        }
        *a->i32_out = (int32_t)total;
        return AB_OK;
    }
    case AB_PROBE_MEM_TRIAD: {
        __m512 s = _mm512_set1_ps(AB_PROBE_TRIAD_S);
#pragma omp parallel for num_threads(nt) schedule(static)
        for (size_t blk = 0; blk < (a->n + 1023) / 1024; blk++) {
            size_t i = blk * 1024, hi = i + 1024 < a->n ? i + 1024 : a->n;
            for (; i + 16 <= hi; i += 16)
                _mm512_storeu_ps(a->f_out + i,
                                 _mm512_fmadd_ps(s, _mm512_loadu_ps(a->f_in + i), _mm512_loadu_ps(a->f_in2 + i)));
            if (i < hi) {
                __mmask16 m = (__mmask16)((1u << (hi - i)) - 1);
                _mm512_mask_storeu_ps(a->f_out + i, m,
                                      _mm512_fmadd_ps(s, _mm512_maskz_loadu_ps(m, a->f_in + i),
                                                      _mm512_maskz_loadu_ps(m, a->f_in2 + i)));
            }
        }
        return AB_OK;
    }
    case AB_PROBE_INT8_DOT:
    case AB_PROBE_KIND_COUNT:
        break;
    }
    return AB_ENOTSUP;
}

static bool supports_avx512(const struct ab_shape *s)
{
    return s->v[AB__PROBE_KIND] != AB_PROBE_INT8_DOT;
}

extern const struct ab_kernel ab__kernel_peak_avx512;
const struct ab_kernel ab__kernel_peak_avx512 = {
    .name = "peak_avx512",
    .family = &ab_family_peak,
    .variant = "avx512",
    .doc = "12 zmm FMA chains; zmm streaming read and triad",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.probe = probe_avx512,
    .supports = supports_avx512,
    .workspace_bytes = ab__probe_no_workspace,
    .flops = ab__probe_flops,
    .bytes = ab__probe_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-7, .scale_param = -1, .scale_ref = 0.0},
};
