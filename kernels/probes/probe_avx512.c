/*
 * probe_avx512.c - FP32 FMA, memory read and triad probes with AVX-512.
 *
 * FMA: the lanes come in blocks of 16 independent zmm chains (probe.h); a thread runs
 * a whole block at a time, so each thread has 16 chains in flight at any thread
 * count. (The earlier design split 12 chains among the threads: 6 per thread at 2
 * threads, below the 8 that FMA latency 4 x 2 zmm FMA/cycle needs on Zen 5, so the
 * 2-thread figure was 1.5x the 1-thread one and real GEMMs beat it.) Blocks are
 * handed out dynamically, so a CPU taken by other work costs its share, not the
 * whole call. Memory: threads split the range; the wrapping int32 sum is associative,
 * so partial sums combine exactly.
 */
#include <immintrin.h>
#include <stdint.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/cpu.h"
#include "archbench/probe.h"

#include "probe_impl.h"

_Static_assert(AB_PROBE_BLOCK_CHAINS == 16, "fma_block is written out for 16 chains");

/*
 * The chains live in named variables, and empty asm statements that "modify" all of
 * them end every round: without them GCC 12 interchanges the loops and runs the
 * chains one after another, which measures FMA latency instead of throughput. (Two
 * statements: GCC allows 30 asm operands, a "+v" counts twice.)
 */
#define FMA_ROUND(x) x = _mm512_fmadd_ps(x, c, d)
#define LOAD(j) __m512 x##j = _mm512_loadu_ps(in + 16 * (j))
#define STORE(j) _mm512_storeu_ps(out + 16 * (j), x##j)

static void fma_block(const float *in, float *out, size_t n)
{
    __m512 c = _mm512_set1_ps(AB_PROBE_FMA_C), d = _mm512_set1_ps(AB_PROBE_FMA_D);
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
    LOAD(12);
    LOAD(13);
    LOAD(14);
    LOAD(15);
    for (size_t r = 0; r < n; r++) {
        FMA_ROUND(x0), FMA_ROUND(x1), FMA_ROUND(x2), FMA_ROUND(x3), FMA_ROUND(x4), FMA_ROUND(x5);
        FMA_ROUND(x6), FMA_ROUND(x7), FMA_ROUND(x8), FMA_ROUND(x9), FMA_ROUND(x10), FMA_ROUND(x11);
        FMA_ROUND(x12), FMA_ROUND(x13), FMA_ROUND(x14), FMA_ROUND(x15);
        __asm__ volatile("" : "+v"(x0), "+v"(x1), "+v"(x2), "+v"(x3), "+v"(x4), "+v"(x5), "+v"(x6), "+v"(x7));
        __asm__ volatile("" : "+v"(x8), "+v"(x9), "+v"(x10), "+v"(x11), "+v"(x12), "+v"(x13), "+v"(x14),
                         "+v"(x15));
    }
    STORE(0), STORE(1), STORE(2), STORE(3), STORE(4), STORE(5), STORE(6), STORE(7);
    STORE(8), STORE(9), STORE(10), STORE(11), STORE(12), STORE(13), STORE(14), STORE(15);
}

static enum ab_status probe_avx512(const struct ab_probe_args *a, const struct ab_exec *exec)
{
    int nt = exec->n_threads > 0 ? exec->n_threads : 1;
    switch (a->kind) {
    case AB_PROBE_FP32_FMA:
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
        for (int b = 0; b < AB_PROBE_BLOCKS; b++)
            fma_block(a->f_in, a->f_out + (size_t)b * AB_PROBE_BLOCK_LANES, a->n);
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
    .doc = "blocks of 16 zmm FMA chains, one block per thread at a time; zmm streaming read and triad",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.probe = probe_avx512,
    .supports = supports_avx512,
    .workspace_bytes = ab__probe_no_workspace,
    .flops = ab__probe_flops,
    .bytes = ab__probe_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-7, .scale_param = -1, .scale_ref = 0.0},
};
