/*
 * moe_ep_alltoallv.c - the expert-parallel MoE layer across MPI ranks (parallel.h):
 * route locally, exchange counts (MPI_Alltoall), token rows to the experts' ranks
 * (MPI_Alltoallv), local experts by the grouped kernel, rows back (MPI_Alltoallv),
 * weighted combine.
 *
 * Rows travel ordered by destination rank, then the destination's local expert, then
 * token and slot, so a receiver needs only the counts per (source, local expert) to
 * know every row's expert: no expert ids travel. The outputs come back in the order
 * the rows left, so slot_row (the send position of every kept slot) also finds each
 * slot's output. Buffers are sized for the worst case (every token of every rank to
 * this rank's experts), declared as workspace: nothing is allocated in the call.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "archbench/timer.h"

#include "../moe/moe_impl.h"
#include "mpi_impl.h"
#include "parallel_impl.h"

extern const struct ab_kernel ab__kernel_moe_ffn_grouped;

static size_t ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

struct layout {
    size_t expert, weight, keep, slot_row, cnt, rcnt, pos, counts, send, back, recv, out, rexpert, rweight, rkeep,
        route_ws, ffn_ws, total, route_bytes, ffn_bytes;
};

/* Sizes from the global shape and the rank count only, so every rank declares the same. */
static struct layout plan(size_t t_total, size_t d, size_t f, size_t n_e, size_t k, enum ab_moe_act act, size_t p,
                          int nth)
{
    struct layout l;
    size_t tl = ceil_div(t_total, p), le = ceil_div(n_e, p), r = t_total * k;
    l.route_bytes = ab__moe_ep_route_workspace(tl, d, n_e, nth);
    l.ffn_bytes = ab__moe_ep_grouped_workspace(r, d, f, le, 1, act, nth);
    size_t at = 0;
#define TAKE(field, bytes)                                 \
    do {                                                   \
        l.field = at;                                      \
        at += AB__MOE_ALIGN_UP((bytes), AB_ALIGN_BYTES);   \
    } while (0)
    TAKE(expert, tl * k * sizeof(int32_t));
    TAKE(weight, tl * k * sizeof(float));
    TAKE(keep, tl * k);
    TAKE(slot_row, tl * k * sizeof(int32_t));
    TAKE(cnt, p * le * sizeof(int32_t));
    TAKE(rcnt, p * le * sizeof(int32_t));
    TAKE(pos, p * le * sizeof(size_t));
    TAKE(counts, 4 * p * sizeof(int));
    TAKE(send, tl * k * d * sizeof(float));
    TAKE(back, tl * k * d * sizeof(float));
    TAKE(recv, r * d * sizeof(float));
    TAKE(out, r * d * sizeof(float));
    TAKE(rexpert, r * sizeof(int32_t));
    TAKE(rweight, r * sizeof(float));
    TAKE(rkeep, r);
    TAKE(route_ws, l.route_bytes);
    TAKE(ffn_ws, l.ffn_bytes);
#undef TAKE
    l.total = at;
    return l;
}

size_t ab__moe_ep_layer_workspace(const struct ab_shape *s, int n_threads)
{
    return plan((size_t)s->v[AB__EP_TOKENS], (size_t)s->v[AB__EP_D_MODEL], (size_t)s->v[AB__EP_D_FF],
                (size_t)s->v[AB__EP_EXPERTS], (size_t)s->v[AB__EP_K], (enum ab_moe_act)s->v[AB__EP_ACT],
                (size_t)s->v[AB__EP_RANKS], n_threads)
        .total;
}

/* Rank holding expert e: the last rank whose first expert is <= e. */
static int owner(size_t e, size_t n_e, int p)
{
    int q = (int)((e * (size_t)p) / n_e);
    while (q + 1 < p && ab_parallel_first(n_e, q + 1, p) <= e)
        q++;
    while (q > 0 && ab_parallel_first(n_e, q, p) > e)
        q--;
    return q;
}

/* counts and displacements in floats, prefix order of the ranks */
static bool counts_of(const int32_t *per_expert, size_t le, int p, size_t d, int *counts, int *displs)
{
    size_t at = 0;
    for (int q = 0; q < p; q++) {
        size_t rows = 0;
        for (size_t j = 0; j < le; j++)
            rows += (size_t)per_expert[(size_t)q * le + j];
        if (rows * d > INT_MAX || at > INT_MAX)
            return false;
        counts[q] = (int)(rows * d);
        displs[q] = (int)at;
        at += rows * d;
    }
    return at <= INT_MAX;
}

enum ab_status ab__moe_ep_layer(const struct ab_moe_ep_args *a, const struct ab_exec *exec,
                                ab__alltoallv_f32_fn combine_exchange)
{
    int p = ab_mpi_size(), me = ab_mpi_rank();
    if (!a || !exec || exec->n_threads < 1 || (a->n_tokens && (!a->x || !a->y)) || !a->w_gate || a->k < 1 ||
        (size_t)a->k > a->n_experts || a->n_experts < 1 || a->d_model < 1 || a->d_ff < 1 ||
        a->n_tokens != ab_parallel_first(a->n_tokens_total, me + 1, p) - ab_parallel_first(a->n_tokens_total, me, p) ||
        !combine_exchange)
        return AB_EINVAL;
    size_t d = a->d_model, k = (size_t)a->k, n_e = a->n_experts, t = a->n_tokens;
    size_t le = ceil_div(n_e, (size_t)p);
    size_t e0 = ab_parallel_first(n_e, me, p), n_local = ab_parallel_first(n_e, me + 1, p) - e0;
    if (n_local && (!a->w13 || !a->w2))
        return AB_EINVAL;
    int nth = exec->n_threads;
    struct layout l = plan(a->n_tokens_total, d, a->d_ff, n_e, k, a->act, (size_t)p, nth);
    if (!exec->workspace || exec->workspace_bytes < l.total)
        return AB_EINVAL;
    char *ws = exec->workspace;
#define AT(type, field) ((type *)(void *)(ws + l.field))
    int32_t *expert = AT(int32_t, expert), *slot_row = AT(int32_t, slot_row);
    float *weight = AT(float, weight);
    uint8_t *keep = AT(uint8_t, keep);
    int32_t *cnt = AT(int32_t, cnt), *rcnt = AT(int32_t, rcnt), *rexpert = AT(int32_t, rexpert);
    size_t *pos = AT(size_t, pos);
    int *sc = AT(int, counts), *sd = sc + p, *rc = sd + p, *rd = rc + p;
    float *send = AT(float, send), *back = AT(float, back), *recv = AT(float, recv), *out = AT(float, out);
    float *rweight = AT(float, rweight);
    uint8_t *rkeep = AT(uint8_t, rkeep);
#undef AT
    double comm_ns = 0.0;
    enum ab_status st;

    /* 1. route */
    int64_t t0 = ab_now_ns();
    if ((st = ab__moe_ep_route(a->x, a->w_gate, t, d, n_e, a->k, expert, weight, keep, ws + l.route_ws,
                               l.route_bytes, nth)) != AB_OK)
        return st;

    /* 2. dispatch: counts per (rank, local expert), send positions, pack, exchange */
    int64_t t1 = ab_now_ns();
    memset(cnt, 0, (size_t)p * le * sizeof *cnt);
    for (size_t i = 0; i < t * k; i++) {
        if (!keep[i] || expert[i] < 0)
            continue;
        size_t e = (size_t)expert[i];
        int q = owner(e, n_e, p);
        cnt[(size_t)q * le + (e - ab_parallel_first(n_e, q, p))]++;
    }
    size_t at = 0;
    for (size_t b = 0; b < (size_t)p * le; b++) {
        pos[b] = at;
        at += (size_t)cnt[b];
    }
    for (size_t i = 0; i < t * k; i++) {
        slot_row[i] = -1;
        if (!keep[i] || expert[i] < 0)
            continue;
        size_t e = (size_t)expert[i];
        int q = owner(e, n_e, p);
        size_t r = pos[(size_t)q * le + (e - ab_parallel_first(n_e, q, p))]++;
        slot_row[i] = (int32_t)r;
        memcpy(send + r * d, a->x + (i / k) * d, d * sizeof(float));
    }
    int64_t c0 = ab_now_ns();
    if ((st = ab__mpi_alltoall_i32(cnt, rcnt, le)) != AB_OK)
        return st;
    int64_t c1 = ab_now_ns();
    if (!counts_of(cnt, le, p, d, sc, sd) || !counts_of(rcnt, le, p, d, rc, rd))
        return AB_EOVERFLOW;
    size_t n_recv = 0;
    for (int q = 0; q < p; q++)
        n_recv += (size_t)rc[q] / d;
    if (n_recv > a->n_tokens_total * k)
        return AB_EINVAL;  /* a rank sent more than the worst case: counts disagree */
    int64_t c2 = ab_now_ns();
    if ((st = ab__mpi_alltoallv_f32(send, sc, sd, recv, rc, rd)) != AB_OK)
        return st;
    int64_t t2 = ab_now_ns();
    comm_ns += (double)(c1 - c0) + (double)(t2 - c2);

    /* 3. experts: every received row is one slot of weight 1 of its local expert */
    size_t r = 0;
    for (int q = 0; q < p; q++)
        for (size_t j = 0; j < le; j++)
            for (int32_t n = 0; n < rcnt[(size_t)q * le + j]; n++, r++) {
                rexpert[r] = (int32_t)j;
                rweight[r] = 1.0f;
                rkeep[r] = 1;
            }
    if (n_recv > 0) {
        struct ab_moe_ffn_args fa = {
            .n_tokens = n_recv, .d_model = d, .d_ff = a->d_ff, .n_experts = n_local, .act = a->act, .x = recv,
            .w13 = a->w13, .w2 = a->w2, .route = {n_recv, 1, rexpert, rweight, rkeep}, .y = out,
        };
        struct ab_exec fx = {.n_threads = nth, .workspace = l.ffn_bytes ? ws + l.ffn_ws : NULL,
                             .workspace_bytes = l.ffn_bytes};
        if ((st = ab__kernel_moe_ffn_grouped.fn.moe_ffn(&fa, &fx)) != AB_OK)
            return st;
    }

    /* 4. combine: the outputs return to the order they left in, then the weighted sum */
    int64_t t3 = ab_now_ns();
    /* what this rank sends back is what it received, and it receives what it sent */
    int64_t c3 = ab_now_ns();
    if ((st = combine_exchange(out, rc, rd, back, sc, sd)) != AB_OK)
        return st;
    int64_t c4 = ab_now_ns();
    comm_ns += (double)(c4 - c3);
    struct ab_moe_routing route = {t, a->k, expert, weight, keep};
    if (t > 0)
        ab__moe_combine(&route, slot_row, back, d, a->y, nth);
    int64_t t4 = ab_now_ns();

    if (a->acc) {
        struct ab_phase_acc *acc = a->acc;
        acc->phase_ns[AB__EP_ROUTE] += (double)(t1 - t0);
        acc->phase_ns[AB__EP_DISPATCH] += (double)(t2 - t1);
        acc->phase_ns[AB__EP_EXPERT] += (double)(t3 - t2);
        acc->phase_ns[AB__EP_COMBINE] += (double)(t4 - t3);
        acc->comm_ns += comm_ns;
        /* payload to other ranks: token rows out, expert rows back, and the counts */
        double remote = 0.0;
        for (int q = 0; q < p; q++)
            if (q != me)
                remote += (double)sc[q] * sizeof(float) + (double)rc[q] * sizeof(float) + (double)le * sizeof(int32_t);
        acc->bytes_remote += remote;
        acc->rows += (double)n_recv;
        acc->calls++;
    }
    return AB_OK;
}

static enum ab_status moe_ep_alltoallv(const struct ab_moe_ep_args *a, const struct ab_exec *exec)
{
    return ab__moe_ep_layer(a, exec, ab__mpi_alltoallv_f32);
}

extern const struct ab_kernel ab__kernel_moe_ep_alltoallv;
const struct ab_kernel ab__kernel_moe_ep_alltoallv = {
    .name = "moe_ep_alltoallv",
    .family = &ab_family_moe_ep,
    .variant = "alltoallv",
    .doc = "expert parallel over MPI ranks: local routing, MPI_Alltoall counts, MPI_Alltoallv rows out and back, "
           "grouped expert kernel",
    .isa_needs = 0,
    .is_ref = false,
    .fn.moe_ep = moe_ep_alltoallv,
    .supports = NULL,
    .workspace_bytes = ab__moe_ep_layer_workspace,
    .flops = ab__moe_ep_flops,
    .bytes = ab__moe_ep_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = -1, .scale_ref = 0.0},
};
