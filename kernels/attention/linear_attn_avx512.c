/*
 * linear_attn_avx512.c - linear attention (phi = elu + 1) with AVX-512, O(n d dv).
 *
 * Everything is built from one register-tiled product, c[i][:] (+)= sum_k a(i, k) b[k][:]
 * (6 rows x up to 4 zmm of columns, a read through two strides so the same code reads
 * phi(Q) row-major and phi(K) transposed), on chunks of rows:
 *   non-causal (C = 64): pass 1, per chunk: S += phi(K_c)^T V_c, z += column sums of phi(K_c);
 *               pass 2, per chunk: O_c = phi(Q_c) S / (phi(Q_c) z + eps), the division
 *               applied as the product is stored (O is written once).
 *   causal (C = 16, same math as the recurrence, state including the current token):
 *               per chunk: A = tril(phi(Q_c) phi(K_c)^T) (diagonal kept),
 *               O_c = (phi(Q_c) S + A V_c) / (A 1 + phi(Q_c) z + eps), then
 *               S += phi(K_c)^T V_c, z += sums of phi(K_c).
 *               A of a full chunk is one 16 x 16 register tile (a_chunk16); A V_c runs
 *               each row tile only over the keys up to its diagonal: the intra-chunk
 *               work is about C / (2 dv) (A) + C / (4 d) (A V_c) of the counted FLOPs
 *               (C = 64 and full tiles cost as much again as the counted work; with
 *               cached inputs C = 16 measured 5-15% faster than 32, 48 or 64).
 * The products are FMA-bound only if the next chunk's rows are already in cache: the
 * inputs of all heads (16 MB at heads = 16, n = 1024) do not stay in L2, and a chunk
 * loaded on first touch stalled the FMAs for about a third of the time. So every
 * product prefetches one line of a later chunk per k step (K, V, then the first Q
 * chunks of the read-out pass), which spreads the loads over the FMAs.
 * phi is applied 16 lanes at a time (vector exp) into row-major chunks; S += phi(K_c)^T
 * V_c reads phi(K_c) through strides (no copy); only the causal A = phi(Q_c) phi(K_c)^T
 * needs phi(K_c) transposed ([d][C], zero columns past the chunk end), done by 16 x 16
 * in-register transposes; the triangle mask and row sums of A are vector masked loads.
 * Threads take whole (batch, head) slices (the causal state is sequential along n).
 * Where the time goes (one slice n = 1024, d = dv = 64, in cache, Zen 5, rdtsc around each
 * phase, 2026-12-02, pinned beside low-priority fuzzers: shares, not rates): causal per 16-row chunk: phi(Q_c), phi(K_c) 15%, phi(Q_c) S 38%,
 * S update 26%, A V_c 9%, A 8% (a single 16 x 16 tile: with 6-row tiles it was 16%), den,
 * sums, transpose 4%; non-causal: the two products 80% (each ~95% of the FMA peak when
 * timed alone), phi 17% with the table exp (22% faster than the degree-6 one; phi has
 * since moved to the cheaper exp2, see phi_ps).
 *
 * Assumes: dv a multiple of 16 (supports()); 64-byte aligned workspace.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "archbench/attention.h"
#include "archbench/cpu.h"

#include "attention_impl.h"
#include "attn_simd.h"

/* rows per non-causal chunk; 128 (half the S loads and stores of pass 1) measured no
 * faster: archbench ab, 8 blocks, 2026-12-02, new / old time 1.024 [0.916, 1.070],
 * 1.007 [0.985, 1.018] and 0.998 [0.982, 1.015] at n = 1K / 2K / 4K */
#define CH 64
/* chunks ahead to prefetch: one chunk of compute (about 3 us) covers the DRAM latency;
 * two or more measured slower at n = 4096 (more lines in flight than the core keeps).
 * Prefetching the output rows of that chunk too (O is written straight from the
 * registers, so each first store of a line waits for it) measured no different:
 * archbench ab, 8 blocks, 2026-12-02, new / old time 1.000 [0.977, 1.037] and 1.003 at
 * n = 1K / 4K non-causal, 0.991 [0.935, 1.063] and 0.977 [0.880, 1.005] causal. */
#define PFD 1
#define PFDC 2  /* causal: 32 rows ahead (64 measured no better) */
#define CC 16   /* rows per causal chunk (<= CH, multiple of 16) */
#define MR 6
#define NVMAX 4

#define ALWAYS_INLINE inline __attribute__((always_inline))

static size_t align64(size_t x)
{
    return (x + 63) & ~(size_t)63;
}

static size_t per_thread_bytes(size_t d, size_t dv)
{
    return align64(CH * d * sizeof(float))      /* fq  [CH][d] */
           + align64(CH * d * sizeof(float))    /* fk  [CH][d] */
           + align64(d * CH * sizeof(float))    /* fkt [d][CH] */
           + align64(d * dv * sizeof(float))    /* S   [d][dv] */
           + align64(d * sizeof(float))         /* z */
           + align64(CH * CH * sizeof(float))   /* A   [CH][CH] */
           + align64(CH * sizeof(float));       /* den */
}

static size_t lin_workspace(const struct ab_shape *s, int n_threads)
{
    return per_thread_bytes((size_t)s->v[AB__LIN_D], (size_t)s->v[AB__LIN_DV]) *
           (size_t)(n_threads < 1 ? 1 : n_threads);
}

static bool lin_supports(const struct ab_shape *s)
{
    return s->v[AB__LIN_DV] % 16 == 0;
}

static ALWAYS_INLINE void mm_tile(int mr, int nv, size_t kk, const float *a, size_t sai, size_t sak, const float *b,
                                  size_t sb, float *c, size_t sc, bool accumulate, const float *rs, const char *pf,
                                  size_t n_pf)
{
    __m512 acc[MR][NVMAX];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++)
            acc[i][v] = accumulate ? _mm512_loadu_ps(c + (size_t)i * sc + 16 * v) : _mm512_setzero_ps();
    for (size_t k = 0; k < kk; k++) {
        /* one line of the next chunk per step: its loads overlap this chunk's FMAs instead
         * of stalling the next chunk's first pass over it */
        if (k < n_pf)
            _mm_prefetch(pf + 64 * k, _MM_HINT_T0);
        __m512 bv[NVMAX];
        for (int v = 0; v < nv; v++)
            bv[v] = _mm512_loadu_ps(b + k * sb + 16 * v);
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_set1_ps(a[(size_t)i * sai + k * sak]);
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
    for (int i = 0; i < mr; i++) {
        __m512 sv = rs ? _mm512_set1_ps(rs[i]) : _mm512_set1_ps(1.0f);
        for (int v = 0; v < nv; v++)
            _mm512_storeu_ps(c + (size_t)i * sc + 16 * v, rs ? _mm512_mul_ps(acc[i][v], sv) : acc[i][v]);
    }
}

#define NV_CASES(MRV)                                                                                         \
    case (MRV) * 8 + 1: mm_tile(MRV, 1, kk, ai, sai, sak, bj, sb, cij, sc, accumulate, rsi, pft, npf); break; \
    case (MRV) * 8 + 2: mm_tile(MRV, 2, kk, ai, sai, sak, bj, sb, cij, sc, accumulate, rsi, pft, npf); break; \
    case (MRV) * 8 + 3: mm_tile(MRV, 3, kk, ai, sai, sak, bj, sb, cij, sc, accumulate, rsi, pft, npf); break; \
    case (MRV) * 8 + 4: mm_tile(MRV, 4, kk, ai, sai, sak, bj, sb, cij, sc, accumulate, rsi, pft, npf); break;

/* C[m][ncols] (+)= A[m][kk] B[kk][ncols], A(i, k) = a[i sai + k sak]; ncols % 16 == 0.
 * rs (may be NULL): row i of the result is multiplied by rs[i] before it is stored.
 * pf, pf_bytes: memory to prefetch while computing (spread over the tiles' k steps). */
static void mm(size_t m, size_t ncols, size_t kk, const float *a, size_t sai, size_t sak, const float *b, size_t sb,
               float *c, size_t sc, bool accumulate, const float *rs, const void *pf, size_t pf_bytes, const void *pf2,
               size_t pf2_bytes)
{
    /* two regions (the next K and V rows): the first is handed out to the tiles first */
    size_t pf_lines = pf ? (pf_bytes + 63) / 64 : 0, pf_done = 0;
    size_t pf2_lines = pf2 ? (pf2_bytes + 63) / 64 : 0;
    for (size_t j = 0; j < ncols; j += 16 * NVMAX) {
        int nv = (int)((ncols - j) / 16 < NVMAX ? (ncols - j) / 16 : NVMAX);
        for (size_t i = 0; i < m; i += MR) {
            int mr = (int)(m - i < MR ? m - i : MR);
            const float *ai = a + i * sai, *bj = b + j;
            float *cij = c + i * sc + j;
            const float *rsi = rs ? rs + i : NULL;
            if (pf_done == pf_lines && pf2_lines) {
                pf = pf2;
                pf_lines = pf2_lines;
                pf_done = pf2_lines = 0;
            }
            size_t npf = pf_lines - pf_done < kk ? pf_lines - pf_done : kk;
            const char *pft = (const char *)pf + 64 * pf_done;
            pf_done += npf;
            switch (mr * 8 + nv) {
                NV_CASES(1) NV_CASES(2) NV_CASES(3) NV_CASES(4) NV_CASES(5) NV_CASES(6)
            default:
                break;
            }
        }
    }
}

/*
 * phi(x) = x + 1 for x > 0, e^x otherwise. Only x <= 0 needs the exponential, so it is
 * 2^(x log2 e) by ab__exp2_ps (exact range reduction, one-sided clamp: 10 vector ops with
 * the multiply) rather than the full-range ab__exp_ps (Cody-Waite reduction, table,
 * two-sided clamp, masked result: 16). Rounding x log2 e costs a relative error of
 * |x| 2^-24 in e^x, 6e-7 at x = -10 (e^x 4.5e-5), far inside the family's tolerance (the
 * check error vs the float64 oracle stayed 1.4-3.0e-7); x below -138 gives 0 (2^-200
 * clamp) where e^x is a denormal or 0. NaN stays NaN, +inf gives +inf. archbench ab
 * against ab__exp_ps (10 blocks, heads 16, d 64, 1 thread; 2026-12-02), new / old time:
 * 0.972 [0.957, 0.981] and 0.979 at n = 1K / 4K non-causal, 0.959 and 0.966 causal.
 */
static inline __m512 phi_ps(__m512 x)
{
    __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    __m512 e = ab__exp2_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)));
    return _mm512_mask_blend_ps(pos, e, _mm512_add_ps(x, _mm512_set1_ps(1.0f)));
}

static __mmask16 lanes(size_t n)
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

/* fq[r][:] = phi(q rows), r < nc. */
static void phi_rows(const float *q, size_t nc, size_t d, float *fq)
{
    for (size_t r = 0; r < nc; r++)
        for (size_t t = 0; t < d; t += 16) {
            __mmask16 m = lanes(d - t);
            _mm512_mask_storeu_ps(fq + r * d + t, m, phi_ps(_mm512_maskz_loadu_ps(m, q + r * d + t)));
        }
}

/* z[t] += sum_r fk[r][t] over nc rows of a row-major phi(K) chunk. */
static void add_col_sums(const float *fk, size_t nc, size_t d, float *z)
{
    for (size_t t = 0; t < d; t += 16) {
        __mmask16 m = lanes(d - t);
        __m512 s = _mm512_maskz_loadu_ps(m, z + t);
        for (size_t r = 0; r < nc; r++)
            s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, fk + r * d + t));
        _mm512_mask_storeu_ps(z + t, m, s);
    }
}

/* fkt[t][r] = fk[r][t] for r < nc, 0 for nc <= r < CC (causal: B operand of phi(Q) phi(K)^T),
 * by 16 x 16 blocks transposed in registers (d columns read with masks). */
static void transpose_chunk(const float *fk, size_t nc, size_t d, float *fkt)
{
    for (size_t r0 = 0; r0 < CC; r0 += 16)
        for (size_t t0 = 0; t0 < d; t0 += 16) {
            __mmask16 m = lanes(d - t0);
            __m512 rv[16];
            for (size_t k = 0; k < 16; k++)
                rv[k] = r0 + k < nc ? _mm512_maskz_loadu_ps(m, fk + (r0 + k) * d + t0) : _mm512_setzero_ps();
            ab__transpose16_ps(rv);
            for (size_t k = 0; k < 16 && t0 + k < d; k++)
                _mm512_storeu_ps(fkt + (t0 + k) * CC + r0, rv[k]);
        }
}

/* A = phi(Q_c) phi(K_c)^T for a full causal chunk (CC = 16 rows and keys): one 16 x 16
 * tile, 16 accumulators, one row of fkt loaded and 16 scalars of phi(Q_c) broadcast per k
 * step. The general product's 6-row tiles left 6 (or 4) accumulators per tile, and each
 * chain of d dependent FMAs then ran at the FMA latency: 16% of causal time went here. */
static void a_chunk16(const float *fq, size_t d, const float *fkt, float *a)
{
    __m512 acc[CC];
    for (int r = 0; r < CC; r++)
        acc[r] = _mm512_setzero_ps();
    for (size_t k = 0; k < d; k++) {
        __m512 b = _mm512_loadu_ps(fkt + k * CC);
        for (int r = 0; r < CC; r++)
            acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(fq[(size_t)r * d + k]), b, acc[r]);
    }
    for (int r = 0; r < CC; r++)
        _mm512_storeu_ps(a + (size_t)r * CC, acc[r]);
}

/* Causal triangle of A (CC columns): zero a[r][j > r], den[r] += sum_{j <= r} a[r][j]. */
static void tril_row_sums(float *a, size_t nc, float *den)
{
    for (size_t r = 0; r < nc; r++) {
        float *ar = a + r * CC;
        __m512 s = _mm512_setzero_ps();
        for (size_t j = 0; j < CC; j += 16) {
            __mmask16 keep = j <= r ? lanes(r + 1 - j) : 0;
            __m512 x = _mm512_maskz_loadu_ps(keep, ar + j);
            _mm512_storeu_ps(ar + j, x);
            s = _mm512_add_ps(s, x);
        }
        den[r] += _mm512_reduce_add_ps(s);
    }
}

static float dot(const float *a, const float *b, size_t n)
{
    __m512 s = _mm512_setzero_ps();
    for (size_t t = 0; t < n; t += 16) {
        __mmask16 m = lanes(n - t);
        s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + t), _mm512_maskz_loadu_ps(m, b + t), s);
    }
    return _mm512_reduce_add_ps(s);
}

struct lin_ws {
    float *fq, *fk, *fkt, *s, *z, *a, *den;
};

/* rows of the chunk starting at row r of an n-row slice (0 past the end) */
static size_t rows_at(size_t r, size_t n)
{
    return r < n ? (n - r < CH ? n - r : CH) : 0;
}

static void slice(const struct ab_linear_attn_args *p, size_t sl, const struct lin_ws *w)
{
    size_t n = p->n, d = p->d, dv = p->dv;
    const float *q = p->q + sl * n * d, *k = p->k + sl * n * d, *v = p->v + sl * n * dv;
    float *o = p->out + sl * n * dv;
    memset(w->s, 0, d * dv * sizeof(float));
    memset(w->z, 0, d * sizeof(float));
    if (!p->causal) {
        /* pass 1 prefetches K and V PFD chunks ahead, running on into the first Q chunks of
         * pass 2: the loads are spread over the FMAs of the chunks before */
        for (size_t c0 = 0; c0 < n; c0 += CH) {
            size_t nc = n - c0 < CH ? n - c0 : CH, pr = c0 + PFD * CH;
            const float *pf1 = NULL, *pf2 = NULL;
            size_t n_pf1 = 0, n_pf2 = 0;
            if (pr < n) {
                pf1 = k + pr * d;
                n_pf1 = rows_at(pr, n) * d * sizeof(float);
                pf2 = v + pr * dv;
                n_pf2 = rows_at(pr, n) * dv * sizeof(float);
            } else if (pr - n < n) {
                pf1 = q + (pr - n) * d;
                n_pf1 = rows_at(pr - n, n) * d * sizeof(float);
            }
            phi_rows(k + c0 * d, nc, d, w->fk);
            add_col_sums(w->fk, nc, d, w->z);
            mm(d, dv, nc, w->fk, 1, d, v + c0 * dv, dv, w->s, dv, true, NULL, pf1, n_pf1, pf2, n_pf2);
        }
        for (size_t c0 = 0; c0 < n; c0 += CH) {
            size_t nc = n - c0 < CH ? n - c0 : CH, pr = c0 + PFD * CH;
            phi_rows(q + c0 * d, nc, d, w->fq);
            /* 1 / den first, so the product is scaled as it is stored (O written once) */
            for (size_t r = 0; r < nc; r++)
                w->den[r] = 1.0f / (dot(w->fq + r * d, w->z, d) + p->eps);
            mm(nc, dv, d, w->fq, d, 1, w->s, dv, o + c0 * dv, dv, false, w->den, pr < n ? q + pr * d : NULL,
               rows_at(pr, n) * d * sizeof(float), NULL, 0);
        }
        return;
    }
    for (size_t c0 = 0; c0 < n; c0 += CC) {
        size_t nc = n - c0 < CC ? n - c0 : CC;
        /* rows of the chunk PFDC chunks ahead, prefetched while this one is computed */
        size_t pr = c0 + PFDC * CC, nn = pr < n ? (n - pr < CC ? n - pr : CC) : 0;
        const float *vc = v + c0 * dv;
        float *oc = o + c0 * dv;
        phi_rows(q + c0 * d, nc, d, w->fq);
        /* den from the state before this chunk, then the chunk's own (triangular) part */
        for (size_t r = 0; r < nc; r++)
            w->den[r] = dot(w->fq + r * d, w->z, d) + p->eps;
        phi_rows(k + c0 * d, nc, d, w->fk);
        transpose_chunk(w->fk, nc, d, w->fkt);
        /* O_c = phi(Q_c) S first (the inter-chunk part), while the next Q_c comes in */
        mm(nc, dv, d, w->fq, d, 1, w->s, dv, oc, dv, false, NULL, nn ? q + pr * d : NULL, nn * d * sizeof(float), NULL,
           0);
        /* A = phi(Q_c) phi(K_c)^T on the tiles that reach the diagonal or below it only:
         * a row tile [i, i + MR) needs columns < i + MR, so about half of A is computed */
        if (nc == CC)
            a_chunk16(w->fq, d, w->fkt, w->a);
        else
            for (size_t i = 0; i < nc; i += MR) {
                size_t mr = nc - i < MR ? nc - i : MR, cols = (i + mr + 15) & ~(size_t)15;
                mm(mr, cols, d, w->fq + i * d, d, 1, w->fkt, CC, w->a + i * CC, CC, false, NULL, NULL, 0, NULL, 0);
            }
        tril_row_sums(w->a, nc, w->den);
        for (size_t r = 0; r < nc; r++)
            w->den[r] = 1.0f / w->den[r];
        /* O_c += tril(A) V_c, keys j < i + MR of each row tile (the rest of the row is 0) */
        for (size_t i = 0; i < nc; i += MR) {
            size_t mr = nc - i < MR ? nc - i : MR;
            mm(mr, dv, i + mr, w->a + i * CC, CC, 1, vc, dv, oc + i * dv, dv, true, w->den + i, NULL, 0, NULL, 0);
        }
        add_col_sums(w->fk, nc, d, w->z);
        mm(d, dv, nc, w->fk, 1, d, vc, dv, w->s, dv, true, NULL, nn ? k + pr * d : NULL, nn * d * sizeof(float),
           nn ? v + pr * dv : NULL, nn * dv * sizeof(float));
    }
}

static enum ab_status lin_avx512(const struct ab_linear_attn_args *p, const struct ab_exec *exec)
{
    if (p->dv % 16 != 0 || p->d == 0)
        return AB_EINVAL;
    int n_threads = exec->n_threads < 1 ? 1 : exec->n_threads;
    size_t per = per_thread_bytes(p->d, p->dv);
    if (exec->workspace_bytes < per * (size_t)n_threads || !exec->workspace)
        return AB_EINVAL;
    char *ws = exec->workspace;
    int64_t n_slices = (int64_t)(p->batch * p->heads);
#pragma omp parallel num_threads(n_threads)
    {
#ifdef _OPENMP
        size_t tid = (size_t)omp_get_thread_num();
#else
        size_t tid = 0;
#endif
        char *b = ws + tid * per;
        struct lin_ws w;
        w.fq = (float *)(void *)b;
        b += align64(CH * p->d * sizeof(float));
        w.fk = (float *)(void *)b;
        b += align64(CH * p->d * sizeof(float));
        w.fkt = (float *)(void *)b;
        b += align64(p->d * CH * sizeof(float));
        w.s = (float *)(void *)b;
        b += align64(p->d * p->dv * sizeof(float));
        w.z = (float *)(void *)b;
        b += align64(p->d * sizeof(float));
        w.a = (float *)(void *)b;
        b += align64(CH * CH * sizeof(float));
        w.den = (float *)(void *)b;
#pragma omp for schedule(dynamic, 1)
        for (int64_t s = 0; s < n_slices; s++)
            slice(p, (size_t)s, &w);
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_linear_attn_avx512;
const struct ab_kernel ab__kernel_linear_attn_avx512 = {
    .name = "linear_attn_avx512",
    .family = &ab_family_linear_attn,
    .variant = "avx512",
    .doc = "O(n d dv): state phi(K)^T V by register-tiled products; causal in chunks of 16 rows, diagonal tiles only",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.linear_attn = lin_avx512,
    .supports = lin_supports,
    .workspace_bytes = lin_workspace,
    .flops = ab__lin_flops,
    .bytes = ab__lin_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = AB__LIN_N, .scale_ref = 4096.0},
};
