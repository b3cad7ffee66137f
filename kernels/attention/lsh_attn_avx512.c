/*
 * lsh_attn_avx512.c - Reformer LSH attention (semantics in attention.h) with AVX-512,
 * O(rounds * n * C * d) per (batch, head).
 *
 * Per (batch, head) slice, four OpenMP work-shared phases (every thread of one parallel
 * region; implicit barriers between them):
 *   1. over tokens: unit keys khat (FP32) and the bucket of every round; the projection
 *      runs 16 buckets per zmm with separate mul and add in t order, exactly the FP32
 *      sequence attention.h defines, so buckets equal the reference's bit for bit; the
 *      argmax is the same scalar loop (first index on ties).
 *   2. over rounds: counting sort by bucket (stable: ties by position) -> perm, and the
 *      chunk of every token per round (for the dedup counts).
 *   3. over (round, chunk): one dense block. Queries (<= C) are gathered transposed
 *      (vgatherdps), scores S^T[key][query] = khat_key . q by a 6 x 64 register tile
 *      (key rows read in place through the permutation), then a softmax over keys with
 *      the 16 queries of a group in the lanes (masks on original positions: self -1e5,
 *      causal -inf, dedup -log(count) from a 16-entry table), exp by ab__exp_ps, and
 *      O = P V by a second 6 x 64 tile reading V rows in place. Each round's output and
 *      logsumexp are written at the token's original position.
 *   4. over tokens: rounds combined by softmax over their logsumexps.
 * So the OpenMP parallelism is over (batch, head) x (round, chunk) blocks; the workspace
 * holds one slice's per-round outputs (rounds x n x d floats) plus one block per thread.
 *
 * Assumes: d % 16 == 0, chunk <= 512, n * d < 2^31 (supports()); 64-byte aligned
 * workspace. Never allocates, never prints.
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

#define MR 6
#define NVMAX 4
#define MAX_CHUNK 512
#define HT 4 /* tokens hashed together (independent add chains) */

#define ALWAYS_INLINE inline __attribute__((always_inline))

static size_t align64(size_t x)
{
    return (x + 63) & ~(size_t)63;
}

static size_t round16(size_t x)
{
    return (x + 15) & ~(size_t)15;
}

static __mmask16 lanes(size_t n)
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

struct dims {
    size_t n, d, R, nb, c, cp, kmax, hp;
};

static struct dims dims_of(size_t n, size_t d, size_t R, size_t nb, size_t c)
{
    struct dims m = {n, d, R, nb, c, round16(c), 2 * c, round16(nb / 2 + 32)};
    return m;
}

/* Shared part (one slice at a time) and per-thread part of the workspace. */
static size_t shared_bytes(const struct dims *m)
{
    return align64(m->n * m->d * sizeof(float))              /* khat [n][d] */
           + 3 * align64(m->R * m->n * sizeof(int32_t))     /* bucket, perm, cid [R][n] */
           + align64(m->R * (m->nb + 1) * sizeof(int32_t))  /* counts [R][nb+1] */
           + align64(m->R * m->n * m->d * sizeof(float))    /* ro [R][n][d] */
           + align64(m->R * m->n * sizeof(float));          /* rl [R][n] */
}

static size_t thread_bytes(const struct dims *m)
{
    return align64(HT * m->hp * sizeof(float))                 /* proj [HT][hp] */
           + align64(m->d * m->cp * sizeof(float))             /* qt [d][cp] */
           + align64(m->kmax * m->cp * sizeof(float))          /* st [kmax][cp] */
           + align64(m->kmax * sizeof(int32_t))                /* kpos */
           + align64(m->R * m->kmax * sizeof(int32_t))         /* kch [R][kmax] */
           + 2 * align64(m->cp * sizeof(float));               /* row max, row sum */
}

static size_t lsh_workspace(const struct ab_shape *s, int n_threads)
{
    struct dims m = dims_of((size_t)s->v[AB__LSH_N], (size_t)s->v[AB__LSH_D], (size_t)s->v[AB__LSH_ROUNDS],
                            (size_t)s->v[AB__LSH_BUCKETS], (size_t)s->v[AB__LSH_CHUNK]);
    return shared_bytes(&m) + thread_bytes(&m) * (size_t)(n_threads < 1 ? 1 : n_threads);
}

static bool lsh_supports(const struct ab_shape *s)
{
    return s->v[AB__LSH_D] % 16 == 0 && s->v[AB__LSH_CHUNK] <= MAX_CHUNK &&
           s->v[AB__LSH_N] * s->v[AB__LSH_D] < INT32_MAX;
}

struct tws {
    float *proj, *qt, *st, *rmax, *rsum;
    int32_t *kpos, *kch;
};

/* ---- phase 1: unit keys and buckets ----------------------------------------------------- */

static void normalise_row(const float *x, size_t d, float *out)
{
    __m512 s = _mm512_setzero_ps();
    for (size_t t = 0; t < d; t += 16) {
        __m512 v = _mm512_loadu_ps(x + t);
        s = _mm512_fmadd_ps(v, v, s);
    }
    float ss = _mm512_reduce_add_ps(s);
    __m512 inv = _mm512_set1_ps(ss > 0.0f ? 1.0f / sqrtf(ss) : 0.0f);
    for (size_t t = 0; t < d; t += 16)
        _mm512_storeu_ps(out + t, _mm512_mul_ps(_mm512_loadu_ps(x + t), inv));
}

/* argmax over [p, -p] (first index on ties), the scalar loop of the reference; the
 * vector path gives the same index when no p is NaN (first lane equal to the maximum). */
static int32_t argmax_pm(const float *proj, size_t half)
{
    __m512 mx = _mm512_set1_ps(-INFINITY);
    __mmask16 nan = 0;
    for (size_t b = 0; b < half; b += 16) {
        __m512 p = _mm512_maskz_loadu_ps(lanes(half - b), proj + b);
        nan |= _mm512_cmp_ps_mask(p, p, _CMP_UNORD_Q);
        mx = _mm512_max_ps(mx, _mm512_max_ps(p, _mm512_sub_ps(_mm512_setzero_ps(), p)));
    }
    if (nan == 0) {
        __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
        for (size_t b = 0; b < half; b += 16) {
            __mmask16 hit = _mm512_mask_cmp_ps_mask(lanes(half - b), _mm512_loadu_ps(proj + b), m, _CMP_EQ_OQ);
            if (hit)
                return (int32_t)(b + (size_t)__builtin_ctz(hit));
        }
        for (size_t b = 0; b < half; b += 16) {
            __m512 p = _mm512_sub_ps(_mm512_setzero_ps(), _mm512_loadu_ps(proj + b));
            __mmask16 hit = _mm512_mask_cmp_ps_mask(lanes(half - b), p, m, _CMP_EQ_OQ);
            if (hit)
                return (int32_t)(half + b + (size_t)__builtin_ctz(hit));
        }
    }
    size_t best_i = 0;
    float best = proj[0];
    for (size_t k = 1; k < 2 * half; k++) {
        float val = k < half ? proj[k] : -proj[k - half];
        if (val > best) {
            best = val;
            best_i = k;
        }
    }
    return (int32_t)best_i;
}

/* Buckets of nt <= HT rows x[0..nt) (stride d) for one rotation: attention.h's FP32
 * projection (products and sums rounded separately, t in order) per lane. proj: HT x
 * round16(half) floats. */
static void hash_rows(const float *x, size_t nt, size_t d, const float *rot, size_t nb, float *proj, size_t pstride,
                      int32_t *out, size_t ostride)
{
    if (nb < 2) {
        for (size_t k = 0; k < nt; k++)
            out[k * ostride] = 0;
        return;
    }
    size_t half = nb / 2;
    for (size_t b0 = 0; b0 < half; b0 += 32) {
        __mmask16 m0 = lanes(half - b0), m1 = half - b0 > 16 ? lanes(half - b0 - 16) : 0;
        __m512 acc[HT][2];
        for (size_t k = 0; k < HT; k++)
            acc[k][0] = acc[k][1] = _mm512_setzero_ps();
        for (size_t t = 0; t < d; t++) {
            const float *rt = rot + t * half + b0;
            __m512 r0 = _mm512_maskz_loadu_ps(m0, rt), r1 = _mm512_maskz_loadu_ps(m1, rt + 16);
            for (size_t k = 0; k < HT; k++) {
                __m512 xt = _mm512_set1_ps(x[(k < nt ? k : 0) * d + t]);
                acc[k][0] = _mm512_add_ps(acc[k][0], _mm512_mul_ps(xt, r0));
                acc[k][1] = _mm512_add_ps(acc[k][1], _mm512_mul_ps(xt, r1));
            }
        }
        for (size_t k = 0; k < nt; k++) {
            _mm512_mask_storeu_ps(proj + k * pstride + b0, m0, acc[k][0]);
            _mm512_mask_storeu_ps(proj + k * pstride + b0 + 16, m1, acc[k][1]);
        }
    }
    for (size_t k = 0; k < nt; k++)
        out[k * ostride] = argmax_pm(proj + k * pstride, half);
}

/* ---- phase 3: one (round, chunk) block ----------------------------------------------- */

/* st[i][0..16 nv) = sum_t krow[i][t] qt[t][0..16 nv) for i < mr. */
static ALWAYS_INLINE void st_tile(int mr, int nv, size_t d, const float *const *krow, const float *qt, size_t cp,
                                  float *st)
{
    __m512 acc[MR][NVMAX];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm512_setzero_ps();
    for (size_t t = 0; t < d; t++) {
        __m512 b[NVMAX];
        for (int v = 0; v < nv; v++)
            b[v] = _mm512_loadu_ps(qt + t * cp + 16 * (size_t)v);
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(krow[i][t]);
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
        }
    }
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++)
            _mm512_storeu_ps(st + (size_t)i * cp + 16 * (size_t)v, acc[i][v]);
}

/* orow[i][col + 0..16 nv) = inv[i] sum_j p[j cp + i] vrow_j[col + ...], i < mr. */
static ALWAYS_INLINE void pv_tile(int mr, int nv, size_t nk, const float *p, size_t cp, const float *v,
                                  const int32_t *kpos, size_t d, size_t col, float *const *orow, const float *inv)
{
    __m512 acc[MR][NVMAX];
    for (int i = 0; i < mr; i++)
        for (int u = 0; u < nv; u++)
            acc[i][u] = _mm512_setzero_ps();
    for (size_t j = 0; j < nk; j++) {
        const float *vj = v + (size_t)kpos[j] * d + col;
        __m512 b[NVMAX];
        for (int u = 0; u < nv; u++)
            b[u] = _mm512_loadu_ps(vj + 16 * (size_t)u);
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(p[j * cp + (size_t)i]);
            for (int u = 0; u < nv; u++)
                acc[i][u] = _mm512_fmadd_ps(a, b[u], acc[i][u]);
        }
    }
    for (int i = 0; i < mr; i++) {
        __m512 s = _mm512_set1_ps(inv[i]);
        for (int u = 0; u < nv; u++)
            _mm512_storeu_ps(orow[i] + col + 16 * (size_t)u, _mm512_mul_ps(acc[i][u], s));
    }
}

#define TILE_CASES(CALL, MRV)                                                                                  \
    case (MRV) * 8 + 1: CALL(MRV, 1); break;                                                                   \
    case (MRV) * 8 + 2: CALL(MRV, 2); break;                                                                   \
    case (MRV) * 8 + 3: CALL(MRV, 3); break;                                                                   \
    case (MRV) * 8 + 4: CALL(MRV, 4); break;
#define ALL_TILE_CASES(CALL)                                                                                   \
    TILE_CASES(CALL, 1) TILE_CASES(CALL, 2) TILE_CASES(CALL, 3) TILE_CASES(CALL, 4) TILE_CASES(CALL, 5)        \
    TILE_CASES(CALL, 6)

struct block_ctx {
    const struct ab_lsh_attn_args *a;
    struct dims m;
    size_t n_chunks;
    const float *qk, *v, *khat;
    const int32_t *perm, *cid; /* perm, cid: [R][n] */
    float *ro, *rl;            /* [R][n][d], [R][n] */
    __m512 logtab;             /* lane k: log(k + 1) */
};

static void block(const struct block_ctx *x, size_t r, size_t t, const struct tws *w)
{
    const struct dims *m = &x->m;
    size_t n = m->n, d = m->d, c = m->c, cp = m->cp, kmax = m->kmax;
    const int32_t *perm = x->perm + r * n;
    size_t q0 = t * c, nq = n - q0 < c ? n - q0 : c;
    const int32_t *qpos = perm + q0;

    /* keys: the previous chunk (>= 2 chunks), then this one */
    size_t nk = 0;
    if (x->n_chunks > 1) {
        size_t pc = (t + x->n_chunks - 1) % x->n_chunks, p0 = pc * c, np = n - p0 < c ? n - p0 : c;
        memcpy(w->kpos, perm + p0, np * sizeof(int32_t));
        nk = np;
    }
    memcpy(w->kpos + nk, qpos, nq * sizeof(int32_t));
    nk += nq;

    /* queries transposed: qt[t][i] = qk[qpos[i]][t], zero columns past nq; 16 x 16
     * blocks transposed in registers */
    for (size_t g = 0; g < cp; g += 16) {
        const float *rows[16];
        for (size_t k = 0; k < 16; k++)
            rows[k] = g + k < nq ? x->qk + (size_t)qpos[g + k] * d : NULL;
        for (size_t f0 = 0; f0 < d; f0 += 16) {
            __m512 rv[16];
            for (size_t k = 0; k < 16; k++)
                rv[k] = rows[k] ? _mm512_loadu_ps(rows[k] + f0) : _mm512_setzero_ps();
            ab__transpose16_ps(rv);
            for (size_t k = 0; k < 16; k++)
                _mm512_storeu_ps(w->qt + (f0 + k) * cp + g, rv[k]);
        }
    }

    /* S^T = khat[kpos] . Q^T */
    for (size_t j0 = 0; j0 < nk; j0 += MR) {
        int mr = (int)(nk - j0 < MR ? nk - j0 : MR);
        const float *krow[MR];
        for (int i = 0; i < mr; i++)
            krow[i] = x->khat + (size_t)w->kpos[j0 + (size_t)i] * d;
        for (size_t col = 0; col < cp; col += 16 * NVMAX) {
            int nv = (int)((cp - col) / 16 < NVMAX ? (cp - col) / 16 : NVMAX);
            float *st = w->st + j0 * cp + col;
            const float *qt = w->qt + col;
#define CALL_ST(MRV, NVV) st_tile(MRV, NVV, d, krow, qt, cp, st)
            switch (mr * 8 + nv) {
                ALL_TILE_CASES(CALL_ST)
            default:
                break;
            }
#undef CALL_ST
        }
    }

    /* dedup: chunk of every key in every round */
    size_t R = m->R;
    if (x->a->dedup)
        for (size_t h = 0; h < R; h++)
            for (size_t j = 0; j < nk; j++)
                w->kch[h * kmax + j] = x->cid[h * n + (size_t)w->kpos[j]];

    /* softmax over keys, 16 queries in the lanes */
    const __m512 scale = _mm512_set1_ps(x->a->scale), self = _mm512_set1_ps((float)AB__LSH_SELF_LOGIT);
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const __m512i one = _mm512_set1_epi32(1), nch = _mm512_set1_epi32((int)x->n_chunks);
    for (size_t g = 0; g < nq; g += 16) {
        __mmask16 mq = lanes(nq - g);
        __m512i qp = _mm512_maskz_loadu_epi32(mq, qpos + g);
        __m512i qc[AB__LSH_MAX_ROUNDS], qv[AB__LSH_MAX_ROUNDS];
        if (x->a->dedup)
            for (size_t h = 0; h < R; h++) {
                qc[h] = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mq, qp, x->cid + h * n, 4);
                /* previous chunk (wrap), or the same one when there is only one chunk */
                __m512i prev = _mm512_sub_epi32(qc[h], one);
                prev = _mm512_mask_add_epi32(prev, _mm512_cmplt_epi32_mask(prev, _mm512_setzero_si512()), prev, nch);
                qv[h] = x->n_chunks > 1 ? prev : qc[h];
            }
        __m512 mx = ninf;
        for (size_t j = 0; j < nk; j++) {
            float *sp = w->st + j * cp + g;
            __m512 s = _mm512_mul_ps(_mm512_loadu_ps(sp), scale);
            __m512i kp = _mm512_set1_epi32(w->kpos[j]);
            s = _mm512_mask_mov_ps(s, _mm512_cmpeq_epi32_mask(kp, qp), self);
            if (x->a->causal)
                s = _mm512_mask_mov_ps(s, _mm512_cmpgt_epi32_mask(kp, qp), ninf);
            if (x->a->dedup) {
                __m512i cnt = _mm512_setzero_si512();
                for (size_t h = 0; h < R; h++) {
                    __m512i kc = _mm512_set1_epi32(w->kch[h * kmax + j]);
                    __mmask16 hit = _mm512_cmpeq_epi32_mask(kc, qc[h]) | _mm512_cmpeq_epi32_mask(kc, qv[h]);
                    cnt = _mm512_mask_add_epi32(cnt, hit, cnt, one);
                }
                /* count >= 1 on real lanes (the own round); padding lanes read log 1 */
                __m512i ix = _mm512_max_epi32(_mm512_sub_epi32(cnt, one), _mm512_setzero_si512());
                s = _mm512_sub_ps(s, _mm512_permutexvar_ps(ix, x->logtab));
            }
            _mm512_storeu_ps(sp, s);
            mx = _mm512_max_ps(mx, s);
        }
        __m512 l = _mm512_setzero_ps();
        for (size_t j = 0; j < nk; j++) {
            float *sp = w->st + j * cp + g;
            __m512 e = ab__exp_ps(_mm512_sub_ps(_mm512_loadu_ps(sp), mx));
            _mm512_storeu_ps(sp, e);
            l = _mm512_add_ps(l, e);
        }
        _mm512_storeu_ps(w->rmax + g, mx);
        _mm512_storeu_ps(w->rsum + g, l);
    }

    /* per round output at original positions, and its logsumexp */
    float *ro = x->ro + r * n * d, *rl = x->rl + r * n;
    for (size_t i = 0; i < nq; i++) {
        w->rsum[i] = 1.0f / w->rsum[i];
        rl[qpos[i]] = w->rmax[i] - logf(w->rsum[i]);
    }
    for (size_t i0 = 0; i0 < nq; i0 += MR) {
        int mr = (int)(nq - i0 < MR ? nq - i0 : MR);
        float *orow[MR];
        for (int i = 0; i < mr; i++)
            orow[i] = ro + (size_t)qpos[i0 + (size_t)i] * d;
        const float *p = w->st + i0, *inv = w->rsum + i0;
        for (size_t col = 0; col < d; col += 16 * NVMAX) {
            int nv = (int)((d - col) / 16 < NVMAX ? (d - col) / 16 : NVMAX);
#define CALL_PV(MRV, NVV) pv_tile(MRV, NVV, nk, p, cp, x->v, w->kpos, d, col, orow, inv)
            switch (mr * 8 + nv) {
                ALL_TILE_CASES(CALL_PV)
            default:
                break;
            }
#undef CALL_PV
        }
    }
}

/* ---- driver ----------------------------------------------------------------------------- */

static enum ab_status lsh_avx512(const struct ab_lsh_attn_args *a, const struct ab_exec *exec)
{
    size_t n = a->n, d = a->d, R = a->n_rounds, nb = a->n_buckets, c = a->chunk_len;
    if (d % 16 != 0 || d == 0 || c < 1 || c > MAX_CHUNK || R < 1 || R > AB__LSH_MAX_ROUNDS || nb < 1 ||
        (nb > 1 && nb % 2 != 0) || (double)n * (double)d >= (double)INT32_MAX)
        return AB_EINVAL;
    int n_threads = exec->n_threads < 1 ? 1 : exec->n_threads;
    struct dims m = dims_of(n, d, R, nb, c);
    size_t sh = shared_bytes(&m), per = thread_bytes(&m);
    if (!exec->workspace || exec->workspace_bytes < sh + per * (size_t)n_threads)
        return AB_EINVAL;
    char *b = exec->workspace;
    float *khat = (float *)(void *)b;
    b += align64(n * d * sizeof(float));
    int32_t *bucket = (int32_t *)(void *)b;
    b += align64(R * n * sizeof(int32_t));
    int32_t *perm = (int32_t *)(void *)b;
    b += align64(R * n * sizeof(int32_t));
    int32_t *cid = (int32_t *)(void *)b;
    b += align64(R * n * sizeof(int32_t));
    int32_t *counts = (int32_t *)(void *)b;
    b += align64(R * (nb + 1) * sizeof(int32_t));
    float *ro = (float *)(void *)b;
    b += align64(R * n * d * sizeof(float));
    float *rl = (float *)(void *)b;
    b += align64(R * n * sizeof(float));
    char *tbase = b;

    float logs[16];
    for (int k = 0; k < 16; k++)
        logs[k] = (float)log((double)(k + 1));
    size_t n_chunks = (n + c - 1) / c, half = nb / 2;
    int64_t n_slices = (int64_t)(a->batch * a->heads), n_tok = (int64_t)n, n_rounds = (int64_t)R;
    int64_t n_blocks = (int64_t)(R * n_chunks);

#pragma omp parallel num_threads(n_threads)
    {
#ifdef _OPENMP
        size_t tid = (size_t)omp_get_thread_num();
#else
        size_t tid = 0;
#endif
        char *tb = tbase + tid * per;
        struct tws w;
        w.proj = (float *)(void *)tb;
        tb += align64(HT * m.hp * sizeof(float));
        w.qt = (float *)(void *)tb;
        tb += align64(d * m.cp * sizeof(float));
        w.st = (float *)(void *)tb;
        tb += align64(m.kmax * m.cp * sizeof(float));
        w.kpos = (int32_t *)(void *)tb;
        tb += align64(m.kmax * sizeof(int32_t));
        w.kch = (int32_t *)(void *)tb;
        tb += align64(R * m.kmax * sizeof(int32_t));
        w.rmax = (float *)(void *)tb;
        tb += align64(m.cp * sizeof(float));
        w.rsum = (float *)(void *)tb;

        struct block_ctx x;
        x.a = a;
        x.m = m;
        x.n_chunks = n_chunks;
        x.khat = khat;
        x.perm = perm;
        x.cid = cid;
        x.ro = ro;
        x.rl = rl;
        x.logtab = _mm512_loadu_ps(logs);

        for (int64_t sl = 0; sl < n_slices; sl++) {
            const float *qk = a->qk + (size_t)sl * n * d;
            float *out = a->out + (size_t)sl * n * d;
            x.qk = qk;
            x.v = a->v + (size_t)sl * n * d;

#pragma omp for schedule(static)
            for (int64_t ig = 0; ig < (n_tok + HT - 1) / HT; ig++) {
                size_t i0 = (size_t)ig * HT, nt = n - i0 < HT ? n - i0 : HT;
                for (size_t k = 0; k < nt; k++)
                    normalise_row(qk + (i0 + k) * d, d, khat + (i0 + k) * d);
                for (size_t h = 0; h < R; h++)
                    hash_rows(qk + i0 * d, nt, d, a->rotations + h * d * half, nb, w.proj, m.hp, bucket + h * n + i0, 1);
            }

#pragma omp for schedule(static)
            for (int64_t hh = 0; hh < n_rounds; hh++) {
                size_t h = (size_t)hh;
                int32_t *cnt = counts + h * (nb + 1), *pm = perm + h * n, *cd = cid + h * n;
                const int32_t *bk = bucket + h * n;
                memset(cnt, 0, (nb + 1) * sizeof(int32_t));
                for (size_t i = 0; i < n; i++)
                    cnt[bk[i] + 1]++;
                for (size_t k = 0; k < nb; k++)
                    cnt[k + 1] += cnt[k];
                for (size_t i = 0; i < n; i++)
                    pm[cnt[bk[i]]++] = (int32_t)i;
                for (size_t s = 0; s < n; s++)
                    cd[pm[s]] = (int32_t)(s / c);
            }

#pragma omp for schedule(dynamic, 2)
            for (int64_t blk = 0; blk < n_blocks; blk++)
                block(&x, (size_t)blk / n_chunks, (size_t)blk % n_chunks, &w);

#pragma omp for schedule(static)
            for (int64_t ii = 0; ii < n_tok; ii++) {
                size_t i = (size_t)ii;
                float big = -INFINITY;
                for (size_t h = 0; h < R; h++)
                    big = rl[h * n + i] > big ? rl[h * n + i] : big;
                float wt[AB__LSH_MAX_ROUNDS], z = 0.0f;
                for (size_t h = 0; h < R; h++) {
                    wt[h] = expf(rl[h * n + i] - big);
                    z += wt[h];
                }
                for (size_t e = 0; e < d; e += 16) {
                    __m512 acc = _mm512_setzero_ps();
                    for (size_t h = 0; h < R; h++)
                        acc = _mm512_fmadd_ps(_mm512_set1_ps(wt[h]), _mm512_loadu_ps(ro + (h * n + i) * d + e), acc);
                    _mm512_storeu_ps(out + i * d + e, _mm512_mul_ps(acc, _mm512_set1_ps(1.0f / z)));
                }
            }
        }
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_lsh_attn_avx512;
const struct ab_kernel ab__kernel_lsh_attn_avx512 = {
    .name = "lsh_attn_avx512",
    .family = &ab_family_lsh_attn,
    .variant = "avx512",
    .doc = "counting sort by bucket, dense chunk x 2 chunk blocks (6x64 FMA tiles, vector exp), OpenMP over blocks",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.lsh_attn = lsh_avx512,
    .supports = lsh_supports,
    .workspace_bytes = lsh_workspace,
    .flops = ab__lsh_flops,
    .bytes = ab__lsh_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 2e-5, .scale_param = AB__LSH_CHUNK, .scale_ref = 64.0},
};
