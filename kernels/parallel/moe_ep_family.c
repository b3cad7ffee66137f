/*
 * moe_ep_family.c - the moe_ep family (parallel.h): shapes, cases, and its collective
 * hooks. A case holds on every rank the tokens (all of them: 4 bytes x T x d is small
 * beside the experts) and the gate; the experts' weights are drawn per expert from
 * their own seed, so a rank draws only its experts, and rank 0 (which runs the
 * single-process reference) all of them: the same weights everywhere without sending
 * gigabytes at case setup.
 *
 * Hard cases in the test sweep: a rank without tokens (1 token, 2 ranks), every token to
 * one expert (one rank receives everything, the other nothing), k = E, odd sizes, GELU.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/rng.h"

#include "../moe/moe_impl.h"
#include "mpi_impl.h"
#include "parallel_impl.h"

enum {
    P_T = AB__EP_TOKENS, P_D = AB__EP_D_MODEL, P_F = AB__EP_D_FF, P_E = AB__EP_EXPERTS, P_K = AB__EP_K,
    P_ACT = AB__EP_ACT, P_DIST = AB__EP_DIST, P_RANKS = AB__EP_RANKS
};

static const char *const act_names[] = {"swiglu", "gelu"};
static const char *const dist_names[] = {"normal", "ties", "one_expert", "peaked"};
_Static_assert(sizeof act_names / sizeof act_names[0] == AB_MOE_ACT_COUNT, "a name per activation");
_Static_assert(sizeof dist_names / sizeof dist_names[0] == AB__RT_DIST_COUNT, "a name per distribution");

static const struct ab_param params[AB__EP_PARAM_COUNT] = {
    [P_T] = {"tokens", "tokens of the layer call, over all ranks", 4096, 1, INT64_C(1) << 20, NULL, 0},
    [P_D] = {"d_model", "model width", 1024, 1, 65536, NULL, 0},
    [P_F] = {"d_ff", "hidden width of one expert", 2816, 1, 65536, NULL, 0},
    [P_E] = {"experts", "routed experts, over all ranks", 8, 1, AB_MOE_MAX_EXPERTS, NULL, 0},
    [P_K] = {"k", "experts per token (softmax top-k, renormalised)", 2, 1, AB_MOE_MAX_EXPERTS, NULL, 0},
    [P_ACT] = {"act", "swiglu or gelu", 0, 0, AB_MOE_ACT_COUNT - 1, act_names, AB_MOE_ACT_COUNT},
    [P_DIST] = {"dist", "router inputs: normal, ties, one_expert, peaked", 0, 0, AB__RT_DIST_COUNT - 1, dist_names,
                AB__RT_DIST_COUNT},
    [P_RANKS] = {"ranks", "MPI ranks the item runs on (must equal mpirun -np)", 2, 1, 4096, NULL, 0},
};

#define SHAPE(t, d, f, e, k, act, dist, p) {{t, d, f, e, k, act, dist, p}}
#define SW AB_MOE_ACT_SWIGLU
#define GE AB_MOE_ACT_GELU

static const struct ab_shape sweep_default[] = {
    SHAPE(4096, 1024, 2816, 8, 2, SW, 0, 2),   /* issue 13: E = 8, top-2, 2 ranks */
    SHAPE(4096, 1024, 2816, 128, 2, SW, 0, 2), /* issue 13: E = 128, top-2, 2 ranks */
};
static const struct ab_shape sweep_quick[] = {
    SHAPE(512, 1024, 2816, 8, 2, SW, 0, 2),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(1, 16, 24, 4, 2, SW, 0, 2),   SHAPE(33, 40, 56, 4, 2, GE, 0, 2),  SHAPE(100, 48, 80, 8, 2, SW, 2, 2),
    SHAPE(70, 64, 96, 8, 8, SW, 0, 2),  SHAPE(129, 65, 33, 16, 3, SW, 0, 2), SHAPE(300, 96, 130, 5, 2, GE, 0, 2),
};

size_t ab_parallel_first(size_t n, int rank, int n_ranks)
{
    return n_ranks > 0 ? n * (size_t)rank / (size_t)n_ranks : 0;
}

const char *ab__parallel_unavailable(const struct ab_shape *shape, int ranks_param)
{
    const char *why = ab_mpi_unavailable();
    if (why || !shape)
        return why;
    if (shape->v[ranks_param] != ab_mpi_size()) {
        static _Thread_local char msg[96];
        snprintf(msg, sizeof msg, "needs mpirun -np %lld (this run has %d ranks)", (long long)shape->v[ranks_param],
                 ab_mpi_size());
        return msg;
    }
    return NULL;
}

static double hidden_cols(const struct ab_shape *s)
{
    return s->v[P_ACT] == AB_MOE_ACT_SWIGLU ? 2.0 * (double)s->v[P_F] : (double)s->v[P_F];
}

/* Expert FLOPs (nominal k slots) plus the gate's logits. */
double ab__moe_ep_flops(const struct ab_shape *s)
{
    double t = (double)s->v[P_T], d = (double)s->v[P_D], f = (double)s->v[P_F], e = (double)s->v[P_E];
    return 2.0 * t * (double)s->v[P_K] * (hidden_cols(s) * d + d * f) + 2.0 * t * e * d;
}

/* Tokens in and out, gate and experts' weights once (the model of moe_ffn). */
double ab__moe_ep_bytes(const struct ab_shape *s)
{
    double t = (double)s->v[P_T], d = (double)s->v[P_D], f = (double)s->v[P_F], e = (double)s->v[P_E];
    return 4.0 * (2.0 * t * d + e * d + e * (hidden_cols(s) * d + d * f));
}

static uint64_t ep_io_bytes(const struct ab_shape *s)
{
    return (uint64_t)ab__moe_ep_bytes(s);
}

static double ep_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_T];
}

struct ep_case {
    struct ab_case base;  /* first member: see kernel.h */
    struct ab_moe_ep_args args;   /* this rank's share */
    float *x, *wg, *w13, *w2, *y[AB_SLOT_COUNT], *y_local;
    size_t e_first;               /* first expert whose weights w13/w2 start with */
    size_t n_t, d;
    int *g_counts, *g_displs;     /* gather layout on rank 0: n_ranks each */
};

/* Seed of expert e's weights: a rank can draw any expert alone. */
static uint64_t expert_seed(uint64_t seed, size_t e)
{
    return seed ^ (UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(e + 1));
}

static enum ab_status ep_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                  struct ab_error *err)
{
    if (!ab_shape_valid(&ab_family_moe_ep, shape) || shape->v[P_K] > shape->v[P_E])
        return ab_error_set(err, AB_EINVAL, "moe_ep: shape outside parameter ranges (k <= experts)");
    int p = ab_mpi_size(), me = ab_mpi_rank();
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_moe_ep, shape, seed, sizeof(struct ep_case), &base, err);
    if (st != AB_OK)
        return st;
    struct ep_case *g = (struct ep_case *)base;
    size_t n_t = (size_t)shape->v[P_T], d = (size_t)shape->v[P_D], f = (size_t)shape->v[P_F];
    size_t n_e = (size_t)shape->v[P_E], h = (size_t)hidden_cols(shape);
    size_t t0 = ab_parallel_first(n_t, me, p), t1 = ab_parallel_first(n_t, me + 1, p);
    /* rank 0 holds every expert for the reference; the others their own */
    size_t e0 = me == 0 ? 0 : ab_parallel_first(n_e, me, p), e1 = me == 0 ? n_e : ab_parallel_first(n_e, me + 1, p);
    g->n_t = n_t;
    g->d = d;
    g->e_first = e0;
    g->x = ab_case_alloc(base, n_t * d * sizeof(float));
    g->wg = ab_case_alloc(base, n_e * d * sizeof(float));
    g->w13 = ab_case_alloc(base, ((e1 - e0) * h * d + 1) * sizeof(float));
    g->w2 = ab_case_alloc(base, ((e1 - e0) * d * f + 1) * sizeof(float));
    g->y_local = ab_case_alloc(base, ((t1 - t0) * d + 1) * sizeof(float));
    g->g_counts = ab_case_alloc(base, 2 * (size_t)p * sizeof(int));
    bool ok = g->x && g->wg && g->w13 && g->w2 && g->y_local && g->g_counts && n_t * d <= INT32_MAX;
    for (int s = 0; s < AB_SLOT_COUNT && ok; s++)
        ok = (g->y[s] = ab_case_alloc(base, n_t * d * sizeof(float))) != NULL &&
             ab_case_output(base, (enum ab_slot)s, "y", g->y[s], AB_ELEM_F32, n_t, d, d);
    /* this rank's rows before the gather: written by the call, so an output, not an input */
    ok = ok && ab_case_output(base, AB_SLOT_TEST, "y_local", g->y_local, AB_ELEM_F32, t1 - t0, d, d);
    if (!ok) {
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "moe_ep: out of memory for %zu experts of %zu x %zu", e1 - e0, d, f);
    }
    ab_case_input(base, "x", g->x, n_t * d * sizeof(float));
    ab_case_input(base, "w_gate", g->wg, n_e * d * sizeof(float));
    ab_case_input(base, "w13", g->w13, (e1 - e0) * h * d * sizeof(float));
    ab_case_input(base, "w2", g->w2, (e1 - e0) * d * f * sizeof(float));
    g->g_displs = g->g_counts + p;
    for (int q = 0; q < p; q++) {
        size_t a = ab_parallel_first(n_t, q, p), b = ab_parallel_first(n_t, q + 1, p);
        g->g_counts[q] = (int)((b - a) * d);
        g->g_displs[q] = (int)(a * d);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    ab__moe_fill_router(&rng, shape->v[P_DIST], 10, n_t, d, n_e, g->x, g->wg);
    /* uniform with the variance of N(0, 1/fan_in), as moe_ffn's cases */
    float a13 = (float)sqrt(3.0 / (double)d), a2 = (float)sqrt(3.0 / (double)f);
    for (size_t e = e0; e < e1; e++) {
        ab_rng_seed(&rng, expert_seed(seed, e));
        ab_rng_fill_uniform_f32(&rng, g->w13 + (e - e0) * h * d, h * d, -a13, a13);
        ab_rng_fill_uniform_f32(&rng, g->w2 + (e - e0) * d * f, d * f, -a2, a2);
    }
    struct ab_moe_ep_args *a = &g->args;
    size_t own = ab_parallel_first(n_e, me, p) - e0;  /* rank 0: its experts start the array */
    *a = (struct ab_moe_ep_args){
        .n_tokens = t1 - t0, .d_model = d, .d_ff = f, .n_experts = n_e, .n_tokens_total = n_t,
        .k = (int)shape->v[P_K], .act = (enum ab_moe_act)shape->v[P_ACT], .x = g->x + t0 * d, .w_gate = g->wg,
        .w13 = g->w13 + own * h * d, .w2 = g->w2 + own * d * f, .y = g->y_local, .acc = NULL,
    };
    *out_case = base;
    return AB_OK;
}

/* The reference: every token and expert in this process (rank 0). */
static enum ab_status ep_run_ref(struct ep_case *g, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                 float *y, struct ab_phase_acc *acc)
{
    if (g->e_first != 0)
        return AB_EINVAL;  /* only rank 0 holds all experts */
    struct ab_moe_ep_args a = g->args;
    a.n_tokens = g->n_t;
    a.x = g->x;
    a.w13 = g->w13;
    a.w2 = g->w2;
    a.y = y;
    a.acc = acc;
    return kernel->fn.moe_ep(&a, exec);
}

static enum ab_status ep_case_call(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                   struct ab_phase_acc *acc)
{
    struct ep_case *g = (struct ep_case *)c;
    if (kernel->is_ref)
        return ep_run_ref(g, kernel, exec, g->y[AB_SLOT_TEST], acc);
    struct ab_moe_ep_args a = g->args;
    a.acc = acc;
    return kernel->fn.moe_ep(&a, exec);
}

/* A collective variant writes this rank's rows; they are gathered into rank 0's slot. */
static enum ab_status ep_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                  enum ab_slot slot)
{
    struct ep_case *g = (struct ep_case *)c;
    if (kernel->is_ref)
        return ep_run_ref(g, kernel, exec, g->y[slot], NULL);
    enum ab_status st = kernel->fn.moe_ep(&g->args, exec);
    if (st != AB_OK)
        return st;
    return ab__mpi_gatherv_f32(g->y_local, g->args.n_tokens * g->d, g->y[slot], g->g_counts, g->g_displs);
}

static void ep_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct ep_case *g = (const struct ep_case *)c;
    ab_check_f32(g->y[AB_SLOT_REF], g->y[AB_SLOT_TEST], g->n_t * g->d, ab_kernel_tolerance(kernel, &c->shape), out);
}

/* Load of the routing over experts and over ranks: what the exchange has to carry. */
static size_t ep_case_metrics(struct ab_case *c, struct ab_metric *out)
{
    struct ep_case *g = (struct ep_case *)c;
    size_t n_t = g->n_t, d = g->d, n_e = g->args.n_experts, k = (size_t)g->args.k;
    int p = (int)c->shape.v[P_RANKS];
    size_t wsb = ab__moe_ep_route_workspace(n_t, d, n_e, 1);
    int32_t *expert = ab_malloc(n_t * k * sizeof *expert);
    float *weight = ab_malloc(n_t * k * sizeof *weight);
    uint8_t *keep = ab_malloc(n_t * k);
    void *ws = ab_aligned_alloc(AB_ALIGN_BYTES, wsb ? wsb : 1);
    size_t n = 0;
    if (expert && weight && keep && ws &&
        ab__moe_ep_route(g->x, g->wg, n_t, d, n_e, g->args.k, expert, weight, keep, ws, wsb, 1) == AB_OK) {
        struct ab_moe_routing rt = {n_t, g->args.k, expert, weight, keep};
        struct ab_moe_route_stats st;
        ab_moe_route_stats(&rt, n_e, NULL, &st);
        /* rows each rank's experts receive, over the mean */
        double rows[64] = {0}, total = 0.0, max = 0.0;
        int pr = p < 64 ? p : 64;
        for (size_t i = 0; i < n_t * k; i++)
            if (keep[i] && expert[i] >= 0) {
                size_t e = (size_t)expert[i];
                int q = 0;
                while (q + 1 < pr && ab_parallel_first(n_e, q + 1, pr) <= e)
                    q++;
                rows[q] += 1.0;
                total += 1.0;
            }
        for (int q = 0; q < pr; q++)
            max = rows[q] > max ? rows[q] : max;
        out[n++] = (struct ab_metric){"load_cv", st.load_cv, "ratio"};
        out[n++] = (struct ab_metric){"load_max_over_mean", st.load_max_over_mean, "ratio"};
        out[n++] = (struct ab_metric){"rank_load_max_over_mean", total > 0 ? max / (total / pr) : (double)NAN, "ratio"};
        out[n++] = (struct ab_metric){"tokens_per_expert_mean", st.experts_per_token_mean * (double)n_t / (double)n_e,
                                      "tokens"};
    }
    ab_free(expert);
    ab_free(weight);
    ab_free(keep);
    ab_free(ws);
    return n;
}

static const char *ep_unavailable(const struct ab_kernel *kernel, const struct ab_shape *shape)
{
    (void)kernel;
    return ab__parallel_unavailable(shape, P_RANKS);
}

static const char *const ep_phases[AB__EP_PHASE_COUNT] = {"route", "dispatch", "expert", "combine"};

static const struct ab_collective ep_collective = {
    .unavailable = ep_unavailable,
    .case_call = ep_case_call,
    .phase_names = ep_phases,
    .n_phases = AB__EP_PHASE_COUNT,
    .rows_name = "expert_rows",
};

const struct ab_family ab_family_moe_ep = {
    .name = "moe_ep",
    .doc = "expert-parallel MoE layer over MPI ranks: route, all-to-all dispatch, grouped experts, all-to-all combine",
    .flops_doc = "2*tokens*k*(h*d_model + d_model*d_ff) + 2*tokens*experts*d_model (gate), h = 2*d_ff (SwiGLU) or "
                 "d_ff (GELU); nominal k slots",
    .params = params,
    .n_params = AB__EP_PARAM_COUNT,
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = ep_tokens,
    .io_bytes = ep_io_bytes,
    .case_new = ep_case_new,
    .case_free = ab_case_free,
    .case_run = ep_case_run,
    .case_compare = ep_case_compare,
    .case_metrics = ep_case_metrics,
    .collective = &ep_collective,
};
