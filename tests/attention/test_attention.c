/*
 * test_attention.c - properties of the attention families that a variant-vs-reference
 * comparison cannot show, checked on every variant runnable on this CPU:
 *   rope: norm of every pair preserved, inverse rotation recovers x, dot products
 *         depend only on the position difference, position 0 is the identity;
 *   mha:  a fully masked row is exactly 0 (never NaN), single key gives that V row,
 *         non-finite inputs behave as attention.h documents, masked keys are skipped;
 *   linear_attn: the causal state includes the current token and nothing later;
 *   lsh_attn: one bucket and one chunk give full shared-QK attention (self-mask, causal,
 *         dedup), identical rounds equal one round, seeded cases reproducible, metrics sane.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/attention.h"
#include "archbench/cpu.h"
#include "archbench/kernel.h"
#include "archbench/rng.h"

#define MAX_VARIANTS 16

/* Variants of `fam` runnable here on `shape` (the reference included). */
static size_t variants(const struct ab_family *fam, const struct ab_shape *shape, const struct ab_kernel **out)
{
    size_t n = 0;
    for (size_t i = 0; i < ab_kernel_count() && n < MAX_VARIANTS; i++) {
        const struct ab_kernel *k = ab_kernel_at(i);
        if (k->family == fam && ab_kernel_runnable(k, ab_cpu_features(), shape, NULL))
            out[n++] = k;
    }
    return n;
}

static void set(const struct ab_family *fam, struct ab_shape *s, const char *name, int64_t v)
{
    int i = ab_param_index(fam, name);
    cr_assert_geq(i, 0, "parameter %s", name);
    s->v[i] = v;
}

struct ws {
    struct ab_exec exec;
};

static void ws_init(struct ws *w, const struct ab_kernel *k, const struct ab_shape *s, int n_threads)
{
    size_t bytes = k->workspace_bytes(s, n_threads);
    w->exec = (struct ab_exec){.n_threads = n_threads, .workspace = NULL, .workspace_bytes = bytes};
    if (bytes) {
        w->exec.workspace = ab_aligned_alloc(64, bytes);
        cr_assert_not_null(w->exec.workspace);
    }
}

static void ws_release(struct ws *w)
{
    ab_free(w->exec.workspace);
}

/* ---- rope ------------------------------------------------------------------------------ */

static void rope_shape(struct ab_shape *s, size_t n, size_t h, size_t d, size_t d_rot, int pairing, int64_t pos)
{
    ab_shape_default(&ab_family_rope, s);
    set(&ab_family_rope, s, "n_tokens", (int64_t)n);
    set(&ab_family_rope, s, "heads", (int64_t)h);
    set(&ab_family_rope, s, "d", (int64_t)d);
    set(&ab_family_rope, s, "d_rot", (int64_t)d_rot);
    set(&ab_family_rope, s, "pairing", pairing);
    set(&ab_family_rope, s, "pos_offset", pos);
}

static void rope_run(const struct ab_kernel *k, const struct ab_rope_args *a)
{
    struct ab_shape s;
    rope_shape(&s, a->n_tokens, a->heads, a->d, a->d_rot, (int)a->pairing, a->pos_offset);
    struct ws w;
    ws_init(&w, k, &s, 2);
    cr_assert_eq(k->fn.rope(a, &w.exec), AB_OK, "%s", k->name);
    ws_release(&w);
}

Test(rope, norm_preserved_inverse_recovers_and_position_zero_is_identity)
{
    enum { N = 37, H = 3, D = 80 };
    static float x[N * H * D], y[N * H * D], z[N * H * D];
    struct ab_rng rng;
    ab_rng_seed(&rng, 4);
    ab_rng_fill_normal_f32(&rng, x, N * H * D, 0.0f, 1.0f);
    for (int pairing = 0; pairing < AB_ROPE_PAIRING_COUNT; pairing++) {
        for (size_t d_rot = 2; d_rot <= D; d_rot += 38) {
            struct ab_shape s;
            rope_shape(&s, N, H, D, d_rot, pairing, 1000);
            const struct ab_kernel *ks[MAX_VARIANTS];
            size_t nk = variants(&ab_family_rope, &s, ks);
            for (size_t v = 0; v < nk; v++) {
                struct ab_rope_args a = {.n_tokens = N, .heads = H, .d = D, .d_rot = d_rot,
                                         .pairing = (enum ab_rope_pairing)pairing, .theta_base = 10000.0,
                                         .pos_offset = 1000, .inverse = false, .x = x, .y = y};
                rope_run(ks[v], &a);
                size_t half = d_rot / 2;
                for (size_t r = 0; r < N * H; r++) {
                    for (size_t i = 0; i < half; i++) {
                        size_t i0 = pairing == AB_ROPE_INTERLEAVED ? 2 * i : i;
                        size_t i1 = pairing == AB_ROPE_INTERLEAVED ? 2 * i + 1 : i + half;
                        double nx = (double)x[r * D + i0] * (double)x[r * D + i0] + (double)x[r * D + i1] * (double)x[r * D + i1];
                        double ny = (double)y[r * D + i0] * (double)y[r * D + i0] + (double)y[r * D + i1] * (double)y[r * D + i1];
                        cr_assert(fabs(nx - ny) <= 1e-5 * (nx + 1e-30), "%s pair norm %g -> %g", ks[v]->name, nx, ny);
                    }
                    for (size_t i = d_rot; i < D; i++)
                        cr_assert_eq(x[r * D + i], y[r * D + i], "%s copies unrotated dims", ks[v]->name);
                }
                /* the inverse rotation, in place, recovers x */
                memcpy(z, y, sizeof z);
                a.inverse = true;
                a.x = z;
                a.y = z;
                rope_run(ks[v], &a);
                for (size_t i = 0; i < N * H * D; i++)
                    cr_assert(fabsf(z[i] - x[i]) <= 1e-5f, "%s inverse [%zu]: %g vs %g", ks[v]->name, i,
                              (double)z[i], (double)x[i]);
                /* position 0 is the identity */
                a.inverse = false;
                a.x = x;
                a.y = y;
                a.n_tokens = 1;
                a.pos_offset = 0;
                rope_run(ks[v], &a);
                for (size_t i = 0; i < H * D; i++)
                    cr_assert_eq(y[i], x[i], "%s position 0 [%zu]", ks[v]->name, i);
            }
        }
    }
}

Test(rope, dot_products_depend_only_on_relative_position)
{
    enum { D = 128 };
    float q[D], k[D], rq[2][D], rk[2][D];
    struct ab_rng rng;
    ab_rng_seed(&rng, 5);
    ab_rng_fill_normal_f32(&rng, q, D, 0.0f, 1.0f);
    ab_rng_fill_normal_f32(&rng, k, D, 0.0f, 1.0f);
    const int64_t m = 17, n = 3, shift[2] = {0, 4093};
    for (int pairing = 0; pairing < AB_ROPE_PAIRING_COUNT; pairing++) {
        struct ab_shape s;
        rope_shape(&s, 1, 1, D, D, pairing, 0);
        const struct ab_kernel *ks[MAX_VARIANTS];
        size_t nk = variants(&ab_family_rope, &s, ks);
        for (size_t v = 0; v < nk; v++) {
            double dots[2];
            for (int t = 0; t < 2; t++) {
                struct ab_rope_args a = {.n_tokens = 1, .heads = 1, .d = D, .d_rot = D,
                                         .pairing = (enum ab_rope_pairing)pairing, .theta_base = 10000.0,
                                         .pos_offset = m + shift[t], .x = q, .y = rq[t]};
                rope_run(ks[v], &a);
                a.pos_offset = n + shift[t];
                a.x = k;
                a.y = rk[t];
                rope_run(ks[v], &a);
                dots[t] = 0.0;
                for (int i = 0; i < D; i++)
                    dots[t] += (double)rq[t][i] * (double)rk[t][i];
            }
            cr_assert(fabs(dots[0] - dots[1]) <= 1e-4 * sqrt((double)D), "%s: <R(q,m),R(k,n)> %g vs shifted %g",
                      ks[v]->name, dots[0], dots[1]);
        }
    }
}

/* ---- mha ------------------------------------------------------------------------------- */

static void mha_shape(struct ab_shape *s, const struct ab_mha_args *a)
{
    ab_shape_default(&ab_family_mha, s);
    set(&ab_family_mha, s, "batch", (int64_t)a->batch);
    set(&ab_family_mha, s, "heads_q", (int64_t)a->heads_q);
    set(&ab_family_mha, s, "heads_kv", (int64_t)a->heads_kv);
    set(&ab_family_mha, s, "n_q", (int64_t)a->n_q);
    set(&ab_family_mha, s, "n_kv", (int64_t)a->n_kv);
    set(&ab_family_mha, s, "d", (int64_t)a->d);
    set(&ab_family_mha, s, "causal", a->causal);
    set(&ab_family_mha, s, "mask", a->key_mask != NULL);
}

static void mha_run(const struct ab_kernel *k, const struct ab_mha_args *a, int n_threads)
{
    struct ab_shape s;
    mha_shape(&s, a);
    struct ws w;
    ws_init(&w, k, &s, n_threads);
    cr_assert_eq(k->fn.mha(a, &w.exec), AB_OK, "%s", k->name);
    ws_release(&w);
}

enum { MB = 2, MH = 2, MNQ = 70, MNK = 40, MD = 64 };
static float mq[MB * MH * MNQ * MD], mk[MB * MH * MNK * MD], mv[MB * MH * MNK * MD], mo[MB * MH * MNQ * MD];
static uint8_t mmask[MB * MNK];

static struct ab_mha_args mha_inputs(uint64_t seed)
{
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    ab_rng_fill_normal_f32(&rng, mq, sizeof mq / sizeof mq[0], 0.0f, 1.0f);
    ab_rng_fill_normal_f32(&rng, mk, sizeof mk / sizeof mk[0], 0.0f, 1.0f);
    ab_rng_fill_normal_f32(&rng, mv, sizeof mv / sizeof mv[0], 0.0f, 1.0f);
    memset(mmask, 1, sizeof mmask);
    return (struct ab_mha_args){.batch = MB, .heads_q = MH, .heads_kv = MH, .n_q = MNQ, .n_kv = MNK, .d = MD,
                                .q = mq, .k = mk, .v = mv, .key_mask = NULL, .causal = false,
                                .scale = 0.125f, .out = mo};
}

static bool row_finite(const float *o, size_t d)
{
    for (size_t p = 0; p < d; p++)
        if (!isfinite(o[p]))
            return false;
    return true;
}

Test(mha, fully_masked_rows_are_exact_zeros)
{
    struct ab_mha_args a = mha_inputs(1);
    struct ab_shape s;
    a.causal = true;           /* n_q > n_kv: the first 30 rows see no key (bottom-right) */
    a.key_mask = mmask;
    memset(mmask, 0, MNK);     /* batch 0: every key masked */
    mha_shape(&s, &a);
    const struct ab_kernel *ks[MAX_VARIANTS];
    size_t nk = variants(&ab_family_mha, &s, ks);
    cr_assert_geq(nk, 1);
    for (size_t v = 0; v < nk; v++) {
        for (size_t i = 0; i < sizeof mo / sizeof mo[0]; i++)
            mo[i] = NAN;
        mha_run(ks[v], &a, 2);
        for (size_t h = 0; h < MH; h++)
            for (size_t i = 0; i < MNQ; i++) {
                const float *o0 = mo + (h * MNQ + i) * MD;             /* batch 0 */
                const float *o1 = mo + ((MH + h) * MNQ + i) * MD;      /* batch 1 */
                for (size_t p = 0; p < MD; p++) {
                    cr_assert(o0[p] == 0.0f, "%s batch 0 row %zu: %g",
                              ks[v]->name, i, (double)o0[p]);
                    if (i < MNQ - MNK)
                        cr_assert(o1[p] == 0.0f, "%s causal row %zu without keys: %g", ks[v]->name, i,
                                  (double)o1[p]);
                }
                if (i >= MNQ - MNK)
                    cr_assert(row_finite(o1, MD), "%s row %zu finite", ks[v]->name, i);
            }
    }
}

Test(mha, single_key_gives_its_value_row)
{
    struct ab_mha_args a = mha_inputs(2);
    a.n_kv = 1;
    a.n_q = 3;
    struct ab_shape s;
    mha_shape(&s, &a);
    const struct ab_kernel *ks[MAX_VARIANTS];
    size_t nk = variants(&ab_family_mha, &s, ks);
    for (size_t v = 0; v < nk; v++) {
        mha_run(ks[v], &a, 1);
        for (size_t bh = 0; bh < MB * MH; bh++)
            for (size_t i = 0; i < 3; i++)
                for (size_t p = 0; p < MD; p++)
                    cr_assert(fabsf(mo[(bh * 3 + i) * MD + p] - mv[bh * MD + p]) <= 1e-6f, "%s", ks[v]->name);
    }
}

Test(mha, non_finite_inputs_poison_exactly_the_rows_that_see_them)
{
    const struct ab_kernel *ks[MAX_VARIANTS];
    struct ab_mha_args a = mha_inputs(3);
    struct ab_shape s;
    mha_shape(&s, &a);
    size_t nk = variants(&ab_family_mha, &s, ks);
    for (size_t v = 0; v < nk; v++) {
        /* NaN in query row 5 of (batch 0, head 1): that output row only */
        a = mha_inputs(3);
        mq[(1 * MNQ + 5) * MD + 7] = NAN;
        mha_run(ks[v], &a, 2);
        for (size_t bh = 0; bh < MB * MH; bh++)
            for (size_t i = 0; i < MNQ; i++) {
                bool bad = bh == 1 && i == 5;
                cr_assert_eq(!row_finite(mo + (bh * MNQ + i) * MD, MD), bad, "%s NaN in q: row %zu of slice %zu",
                             ks[v]->name, i, bh);
            }
        /* +Inf in V row 11 of (batch 1, head 0), non-causal: every row of that slice */
        a = mha_inputs(3);
        mv[((MH + 0) * MNK + 11) * MD + 3] = INFINITY;
        mha_run(ks[v], &a, 2);
        for (size_t bh = 0; bh < MB * MH; bh++)
            for (size_t i = 0; i < MNQ; i++)
                cr_assert_eq(!row_finite(mo + (bh * MNQ + i) * MD, MD), bh == MH, "%s Inf in v: row %zu slice %zu",
                             ks[v]->name, i, bh);
        /* NaN in K and V of a padding-masked key: skipped (not the unfused baseline) */
        if (strcmp(ks[v]->variant, "openblas") == 0)
            continue;
        a = mha_inputs(3);
        a.key_mask = mmask;
        mmask[MNK + 20] = 0;
        mk[((MH + 1) * MNK + 20) * MD] = NAN;
        mv[((MH + 1) * MNK + 20) * MD] = NAN;
        mha_run(ks[v], &a, 2);
        for (size_t i = 0; i < sizeof mo / sizeof mo[0]; i++)
            cr_assert(isfinite(mo[i]), "%s masked NaN key leaked into [%zu]", ks[v]->name, i);
    }
}

Test(mha, huge_logits_stay_finite_and_pick_the_best_key)
{
    struct ab_mha_args a = mha_inputs(6);
    for (size_t i = 0; i < sizeof mq / sizeof mq[0]; i++)
        mq[i] *= 1e4f;
    struct ab_shape s;
    mha_shape(&s, &a);
    const struct ab_kernel *ks[MAX_VARIANTS];
    size_t nk = variants(&ab_family_mha, &s, ks);
    for (size_t v = 0; v < nk; v++) {
        mha_run(ks[v], &a, 2);
        for (size_t i = 0; i < sizeof mo / sizeof mo[0]; i++)
            cr_assert(isfinite(mo[i]), "%s [%zu]", ks[v]->name, i);
    }
}

/* ---- linear attention ----------------------------------------------------------------------- */

/* Every allocation of mha's case_new failed in turn (the case, q, k, v, both outputs and
 * the key mask): AB_ENOMEM and no bytes left behind, until it succeeds. */
Test(mha, case_new_fails_cleanly_on_each_allocation)
{
    struct ab_shape s;
    ab_shape_default(&ab_family_mha, &s);
    set(&ab_family_mha, &s, "batch", 2);
    set(&ab_family_mha, &s, "heads_q", 4);
    set(&ab_family_mha, &s, "heads_kv", 2);
    set(&ab_family_mha, &s, "n_q", 9);
    set(&ab_family_mha, &s, "n_kv", 7);
    set(&ab_family_mha, &s, "d", 8);
    set(&ab_family_mha, &s, "mask", 2);
    uint64_t n_failed = 0;
    bool ok = false;
    for (uint64_t n = 1; n < 100 && !ok; n++) {
        struct ab_alloc_stats before, after;
        struct ab_case *c = NULL;
        struct ab_error err = {0};
        ab_alloc_get_stats(&before);
        ab_alloc_fail_at(n, 0);
        enum ab_status st = ab_family_mha.case_new(&s, 7, &c, &err);
        ab_alloc_fail_at(0, 0);
        if (st == AB_OK) {
            ok = true;
            ab_family_mha.case_free(c);
        } else {
            cr_assert_eq(st, AB_ENOMEM, "allocation %llu failed gives %s (%s)", (unsigned long long)n,
                         ab_status_name(st), err.msg);
            cr_assert_null(c, "no case returned on failure");
            n_failed++;
        }
        ab_alloc_get_stats(&after);
        cr_assert_eq(after.bytes_live, before.bytes_live, "leak after failing allocation %llu",
                     (unsigned long long)n);
    }
    cr_assert(ok, "case_new eventually succeeds");
    cr_assert_geq(n_failed, 7, "the case struct and its six buffers are each failed once");
}

Test(linear_attn, causal_state_includes_the_current_token_and_nothing_later)
{
    enum { N = 70, D = 16, DV = 16 };
    static float q[N * D], k[N * D], v[N * DV], o1[N * DV], o2[N * DV];
    struct ab_rng rng;
    ab_rng_seed(&rng, 7);
    ab_rng_fill_normal_f32(&rng, q, N * D, 0.0f, 1.0f);
    ab_rng_fill_normal_f32(&rng, k, N * D, 0.0f, 1.0f);
    ab_rng_fill_normal_f32(&rng, v, N * DV, 0.0f, 1.0f);
    struct ab_shape s;
    ab_shape_default(&ab_family_linear_attn, &s);
    set(&ab_family_linear_attn, &s, "heads", 1);
    set(&ab_family_linear_attn, &s, "n", N);
    set(&ab_family_linear_attn, &s, "d", D);
    set(&ab_family_linear_attn, &s, "dv", DV);
    set(&ab_family_linear_attn, &s, "causal", 1);
    const struct ab_kernel *ks[MAX_VARIANTS];
    size_t nk = variants(&ab_family_linear_attn, &s, ks);
    const size_t t = 65; /* second chunk of a 64-row chunked kernel */
    for (size_t kv = 0; kv < nk; kv++) {
        struct ab_linear_attn_args a = {.batch = 1, .heads = 1, .n = N, .d = D, .dv = DV, .causal = true,
                                        .eps = 1e-6f, .q = q, .k = k, .v = v, .out = o1};
        struct ws w;
        ws_init(&w, ks[kv], &s, 1);
        cr_assert_eq(ks[kv]->fn.linear_attn(&a, &w.exec), AB_OK);
        /* token 0 sees only itself: out_0 = v_0 * A/(A + eps) */
        for (size_t e = 0; e < DV; e++)
            cr_assert(fabsf(o1[e] - v[e]) <= 1e-5f * (1.0f + fabsf(v[e])), "%s out_0 != v_0", ks[kv]->name);
        /* changing v_t changes out_t (inclusive state) and no row before t (causal) */
        float saved = v[t * DV];
        v[t * DV] += 10.0f;
        a.out = o2;
        cr_assert_eq(ks[kv]->fn.linear_attn(&a, &w.exec), AB_OK);
        v[t * DV] = saved;
        ws_release(&w);
        for (size_t i = 0; i < N; i++) {
            bool changed = memcmp(o1 + i * DV, o2 + i * DV, DV * sizeof(float)) != 0;
            cr_assert_eq(changed, i >= t, "%s row %zu %s", ks[kv]->name, i, changed ? "changed" : "unchanged");
        }
    }
}

/* ---- LSH attention -------------------------------------------------------------------------- */

enum { LN = 50, LD = 64, LR = 4, LNB = 8 };
static float lqk[2 * LN * LD], lv[2 * LN * LD], lrot[LR * LD * (LNB / 2)], lo1[2 * LN * LD], lo2[2 * LN * LD];

static void lsh_shape(struct ab_shape *s, const struct ab_lsh_attn_args *a)
{
    const struct ab_family *f = &ab_family_lsh_attn;
    ab_shape_default(f, s);
    set(f, s, "batch", (int64_t)a->batch);
    set(f, s, "heads", (int64_t)a->heads);
    set(f, s, "n", (int64_t)a->n);
    set(f, s, "d", (int64_t)a->d);
    set(f, s, "n_rounds", (int64_t)a->n_rounds);
    set(f, s, "n_buckets", (int64_t)a->n_buckets);
    set(f, s, "chunk", (int64_t)a->chunk_len);
    set(f, s, "causal", a->causal);
    set(f, s, "dedup", a->dedup);
}

static struct ab_lsh_attn_args lsh_inputs(uint64_t seed)
{
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    ab_rng_fill_normal_f32(&rng, lqk, sizeof lqk / sizeof lqk[0], 0.0f, 1.0f);
    ab_rng_fill_normal_f32(&rng, lv, sizeof lv / sizeof lv[0], 0.0f, 1.0f);
    ab_rng_fill_normal_f32(&rng, lrot, sizeof lrot / sizeof lrot[0], 0.0f, 1.0f);
    return (struct ab_lsh_attn_args){.batch = 1, .heads = 2, .n = LN, .d = LD, .n_rounds = LR, .n_buckets = LNB,
                                     .chunk_len = 16, .causal = false, .dedup = false, .scale = 1.0f,
                                     .qk = lqk, .v = lv, .rotations = lrot, .out = lo1};
}

static void lsh_run(const struct ab_kernel *k, const struct ab_lsh_attn_args *a, int n_threads)
{
    struct ab_shape s;
    lsh_shape(&s, a);
    struct ws w;
    ws_init(&w, k, &s, n_threads);
    cr_assert_eq(k->fn.lsh_attn(a, &w.exec), AB_OK, "%s", k->name);
    ws_release(&w);
}

/* Full shared-QK attention of one head in double: unit keys, self logit -1e5, causal. */
static void full_qk(const float *qk, const float *v, size_t n, size_t d, bool causal, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double lg[LN], m = -INFINITY, l = 0.0;
        size_t lim = causal ? i + 1 : n;
        for (size_t j = 0; j < lim; j++) {
            double s = 0.0, kk = 0.0;
            for (size_t t = 0; t < d; t++) {
                s += (double)qk[i * d + t] * (double)qk[j * d + t];
                kk += (double)qk[j * d + t] * (double)qk[j * d + t];
            }
            lg[j] = j == i ? -1e5 : s / sqrt(kk);
            m = lg[j] > m ? lg[j] : m;
        }
        for (size_t e = 0; e < d; e++)
            out[i * d + e] = 0.0;
        for (size_t j = 0; j < lim; j++)
            l += exp(lg[j] - m);
        for (size_t j = 0; j < lim; j++)
            for (size_t e = 0; e < d; e++)
                out[i * d + e] += exp(lg[j] - m) / l * (double)v[j * d + e];
    }
}

Test(lsh_attn, one_bucket_one_chunk_is_full_shared_qk_attention)
{
    static double full[2 * LN * LD];
    struct ab_lsh_attn_args a = lsh_inputs(11);
    a.n_buckets = 1;
    a.chunk_len = LN + 3; /* c >= n: one chunk; rounds all identical */
    struct ab_shape s;
    lsh_shape(&s, &a);
    const struct ab_kernel *ks[MAX_VARIANTS];
    size_t nk = variants(&ab_family_lsh_attn, &s, ks);
    cr_assert_geq(nk, 1);
    for (int causal = 0; causal < 2; causal++) {
        for (size_t h = 0; h < 2; h++)
            full_qk(lqk + h * LN * LD, lv + h * LN * LD, LN, LD, causal, full + h * LN * LD);
        for (int dedup = 0; dedup < 2; dedup++)
            for (size_t kv = 0; kv < nk; kv++) {
                a.causal = causal;
                a.dedup = dedup;
                lsh_run(ks[kv], &a, 2);
                double e2 = 0.0, r2 = 0.0;
                for (size_t i = 0; i < 2 * LN * LD; i++) {
                    e2 += ((double)lo1[i] - full[i]) * ((double)lo1[i] - full[i]);
                    r2 += full[i] * full[i];
                }
                cr_assert(sqrt(e2 / r2) <= 2e-6, "%s causal %d dedup %d: rel err %g", ks[kv]->name, causal, dedup,
                          sqrt(e2 / r2));
                /* causal: token 0 has only itself, so out_0 = v_0 despite the -1e5 */
                if (causal)
                    for (size_t e = 0; e < LD; e++)
                        cr_assert(fabsf(lo1[e] - lv[e]) <= 1e-6f, "%s out_0 != v_0", ks[kv]->name);
            }
    }
}

Test(lsh_attn, identical_rounds_equal_one_round)
{
    struct ab_lsh_attn_args a = lsh_inputs(12);
    /* every round uses round 0's rotation */
    for (size_t r = 1; r < LR; r++)
        memcpy(lrot + r * LD * (LNB / 2), lrot, LD * (LNB / 2) * sizeof(float));
    struct ab_shape s;
    lsh_shape(&s, &a);
    const struct ab_kernel *ks[MAX_VARIANTS];
    size_t nk = variants(&ab_family_lsh_attn, &s, ks);
    for (int dedup = 0; dedup < 2; dedup++)
        for (size_t kv = 0; kv < nk; kv++) {
            a.dedup = dedup;
            a.n_rounds = LR;
            a.out = lo1;
            lsh_run(ks[kv], &a, 1);
            a.n_rounds = 1;
            a.out = lo2;
            lsh_run(ks[kv], &a, 1);
            for (size_t i = 0; i < 2 * LN * LD; i++)
                cr_assert(fabsf(lo1[i] - lo2[i]) <= 1e-5f * (1.0f + fabsf(lo2[i])), "%s dedup %d [%zu]: %g vs %g",
                          ks[kv]->name, dedup, i, (double)lo1[i], (double)lo2[i]);
        }
}

/* Inputs and rotations come from the seed: the same seed gives the same figures, another
 * seed other ones; every variant agrees with the reference; metrics are sane. */
Test(lsh_attn, seeded_cases_are_reproducible_and_metrics_are_sane)
{
    const struct ab_family *f = &ab_family_lsh_attn;
    const struct ab_kernel *ref = ab_kernel_ref(f);
    struct ab_shape s;
    ab_shape_default(f, &s);
    set(f, &s, "heads", 1);
    set(f, &s, "n", 256);
    set(f, &s, "n_buckets", 8);
    set(f, &s, "chunk", 32);
    set(f, &s, "dist", 1);
    const struct ab_kernel *ks[MAX_VARIANTS];
    size_t nk = variants(f, &s, ks);
    struct ab_metric m[3][AB_METRICS_MAX];
    size_t nm[3];
    for (int run = 0; run < 3; run++) {
        struct ab_case *c = NULL;
        cr_assert_eq(f->case_new(&s, run == 2 ? 43 : 42, &c, NULL), AB_OK);
        struct ws w;
        ws_init(&w, ref, &s, 1);
        cr_assert_eq(f->case_run(c, ref, &w.exec, AB_SLOT_REF), AB_OK);
        ws_release(&w);
        for (size_t kv = 0; kv < nk; kv++) {
            ws_init(&w, ks[kv], &s, 2);
            cr_assert_eq(f->case_run(c, ks[kv], &w.exec, AB_SLOT_TEST), AB_OK);
            ws_release(&w);
            struct ab_check chk;
            f->case_compare(c, ks[kv], &chk);
            cr_assert(chk.ok, "%s seed %d: %s", ks[kv]->name, run == 2 ? 43 : 42, chk.detail);
        }
        nm[run] = f->case_metrics(c, m[run]);
        f->case_free(c);
    }
    cr_assert_eq(nm[0], nm[1]);
    cr_assert_eq(nm[0], nm[2]);
    bool differ = false;
    double overlap = NAN, recall = NAN, evaluated = NAN;
    for (size_t i = 0; i < nm[0]; i++) {
        cr_assert_str_eq(m[0][i].name, m[1][i].name);
        cr_assert(m[0][i].value == m[1][i].value, "%s differs for the same seed", m[0][i].name);
        differ |= m[0][i].value != m[2][i].value;
        if (strcmp(m[0][i].name, "attn_mass_overlap") == 0)
            overlap = m[0][i].value;
        if (strcmp(m[0][i].name, "attn_mass_recall") == 0)
            recall = m[0][i].value;
        if (strcmp(m[0][i].name, "keys_evaluated") == 0)
            evaluated = m[0][i].value;
    }
    cr_assert(differ, "another seed gave the same figures");
    /* the mass LSH agrees on cannot exceed the mass it can see at all */
    cr_assert(overlap > 0.0 && overlap <= recall + 1e-12 && recall <= 1.0 + 1e-12, "overlap %g recall %g", overlap,
              recall);
    /* 4 rounds of 2 chunks of 32 out of 256 keys: at most 4 * 64 / 256 */
    cr_assert(evaluated > 64.0 / 256.0 - 1e-12 && evaluated <= 1.0, "keys evaluated %g", evaluated);
}
