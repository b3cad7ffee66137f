/*
 * tp_allreduce_family.c - the tp_allreduce family (parallel.h): the attention output
 * projection split by heads over MPI ranks, partial products summed by MPI_Allreduce;
 * its cases, collective hooks and the MPI variant. Every rank draws all of A and Wo
 * (tokens x d_attn and d_model x d_attn: megabytes) and keeps its columns contiguous.
 */
#include <math.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/gemm.h"
#include "archbench/rng.h"
#include "archbench/timer.h"

#include "mpi_impl.h"
#include "parallel_impl.h"

size_t ab__tp_gemm_workspace(const struct ab_shape *s, int n_threads);
double ab__tp_flops(const struct ab_shape *s);
double ab__tp_bytes(const struct ab_shape *s);

enum { P_T = AB__TP_TOKENS, P_D = AB__TP_D_MODEL, P_A = AB__TP_D_ATTN, P_RANKS = AB__TP_RANKS };

static const struct ab_param params[AB__TP_PARAM_COUNT] = {
    [P_T] = {"tokens", "tokens (rows of the attention output)", 4096, 1, INT64_C(1) << 20, NULL, 0},
    [P_D] = {"d_model", "model width (columns of y)", 1024, 1, 65536, NULL, 0},
    [P_A] = {"d_attn", "heads x head_dim (split over the ranks)", 1024, 1, 65536, NULL, 0},
    [P_RANKS] = {"ranks", "MPI ranks the item runs on (must equal mpirun -np)", 2, 1, 4096, NULL, 0},
};

#define SHAPE(t, d, a, p) {{t, d, a, p}}
static const struct ab_shape sweep_default[] = {SHAPE(4096, 1024, 1024, 2)};
static const struct ab_shape sweep_quick[] = {SHAPE(512, 1024, 1024, 2)};
static const struct ab_shape sweep_test[] = {SHAPE(1, 8, 4, 2), SHAPE(33, 40, 24, 2), SHAPE(129, 65, 31, 2)};

struct tp_case {
    struct ab_case base;  /* first member: see kernel.h */
    struct ab_tp_allreduce_args args;  /* this rank's columns */
    float *a_full, *w_full, *a_local, *w_local, *y[AB_SLOT_COUNT];
    size_t n_y;
};

static uint64_t tp_io_bytes(const struct ab_shape *s)
{
    return (uint64_t)ab__tp_bytes(s);
}

static double tp_tokens(const struct ab_shape *s)
{
    return (double)s->v[P_T];
}

static enum ab_status tp_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                  struct ab_error *err)
{
    if (!ab_shape_valid(&ab_family_tp_allreduce, shape))
        return ab_error_set(err, AB_EINVAL, "tp_allreduce: shape outside parameter ranges");
    int p = ab_mpi_size(), me = ab_mpi_rank();
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_tp_allreduce, shape, seed, sizeof(struct tp_case), &base, err);
    if (st != AB_OK)
        return st;
    struct tp_case *g = (struct tp_case *)base;
    size_t t = (size_t)shape->v[P_T], d = (size_t)shape->v[P_D], da = (size_t)shape->v[P_A];
    size_t c0 = ab_parallel_first(da, me, p), c1 = ab_parallel_first(da, me + 1, p), dl = c1 - c0;
    g->n_y = t * d;
    g->a_full = ab_case_alloc(base, t * da * sizeof(float));
    g->w_full = ab_case_alloc(base, d * da * sizeof(float));
    g->a_local = ab_case_alloc(base, (t * dl + 1) * sizeof(float));
    g->w_local = ab_case_alloc(base, (d * dl + 1) * sizeof(float));
    bool ok = g->a_full && g->w_full && g->a_local && g->w_local;
    for (int s = 0; s < AB_SLOT_COUNT && ok; s++)
        ok = (g->y[s] = ab_case_alloc(base, g->n_y * sizeof(float))) != NULL &&
             ab_case_output(base, (enum ab_slot)s, "y", g->y[s], AB_ELEM_F32, t, d, d);
    if (!ok) {
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "tp_allreduce: out of memory for %zu x %zu", t, da);
    }
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    ab_rng_fill_normal_f32(&rng, g->a_full, t * da, 0.0f, 1.0f);
    float sd = (float)(1.0 / sqrt((double)da));
    ab_rng_fill_normal_f32(&rng, g->w_full, d * da, 0.0f, sd);
    for (size_t i = 0; i < t; i++)
        memcpy(g->a_local + i * dl, g->a_full + i * da + c0, dl * sizeof(float));
    for (size_t i = 0; i < d; i++)
        memcpy(g->w_local + i * dl, g->w_full + i * da + c0, dl * sizeof(float));
    g->args = (struct ab_tp_allreduce_args){.n_tokens = t, .d_model = d, .d_attn_local = dl, .a = g->a_local,
                                            .w_o = g->w_local, .y = NULL, .acc = NULL};
    *out_case = base;
    return AB_OK;
}

static enum ab_status tp_call(struct tp_case *g, const struct ab_kernel *kernel, const struct ab_exec *exec, float *y,
                              struct ab_phase_acc *acc)
{
    struct ab_tp_allreduce_args a = g->args;
    if (kernel->is_ref) {
        a.d_attn_local = (size_t)g->base.shape.v[P_A];
        a.a = g->a_full;
        a.w_o = g->w_full;
    }
    a.y = y;
    a.acc = acc;
    return kernel->fn.tp_allreduce(&a, exec);
}

static enum ab_status tp_case_call(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                   struct ab_phase_acc *acc)
{
    struct tp_case *g = (struct tp_case *)c;
    return tp_call(g, kernel, exec, g->y[AB_SLOT_TEST], acc);
}

/* The all-reduce leaves the whole y on every rank: rank 0's is the one compared. */
static enum ab_status tp_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                  enum ab_slot slot)
{
    struct tp_case *g = (struct tp_case *)c;
    return tp_call(g, kernel, exec, g->y[slot], NULL);
}

static void tp_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct tp_case *g = (const struct tp_case *)c;
    ab_check_f32(g->y[AB_SLOT_REF], g->y[AB_SLOT_TEST], g->n_y, ab_kernel_tolerance(kernel, &c->shape), out);
}

static enum ab_status tp_allreduce_mpi(const struct ab_tp_allreduce_args *args, const struct ab_exec *exec)
{
    if (!args || !exec || !args->y || (args->d_attn_local && (!args->a || !args->w_o)))
        return AB_EINVAL;
    size_t t = args->n_tokens, d = args->d_model;
    int64_t t0 = ab_now_ns();
    enum ab_status st = AB_OK;
    if (args->d_attn_local > 0) {
        struct ab_gemm_f32_args g = {
            .m = t, .n = d, .k = args->d_attn_local, .a = args->a, .lda = args->d_attn_local, .b = args->w_o,
            .ldb = args->d_attn_local, .trans_b = true, .c = args->y, .ldc = d, .alpha = 1.0f, .beta = 0.0f,
        };
        st = ab_gemm_f32(&g, exec);
    } else {
        memset(args->y, 0, t * d * sizeof(float));  /* a rank without heads adds nothing */
    }
    if (st != AB_OK)
        return st;
    int64_t t1 = ab_now_ns();
    if ((st = ab__mpi_allreduce_f32(args->y, t * d, AB__MPI_SUM)) != AB_OK)
        return st;
    int64_t t2 = ab_now_ns();
    if (args->acc) {
        int p = ab_mpi_size();
        args->acc->phase_ns[AB__TP_PROJECT] += (double)(t1 - t0);
        args->acc->phase_ns[AB__TP_ALLREDUCE] += (double)(t2 - t1);
        args->acc->comm_ns += (double)(t2 - t1);
        /* a ring all-reduce sends 2 (P-1)/P of the buffer from each rank (the "bus
         * bytes" convention); the algorithm MPI chose may differ */
        args->acc->bytes_remote += p > 1 ? 2.0 * (double)(p - 1) / (double)p * (double)(t * d) * sizeof(float) : 0.0;
        args->acc->rows += (double)t;
        args->acc->calls++;
    }
    return AB_OK;
}

static size_t tp_mpi_workspace(const struct ab_shape *s, int n_threads)
{
    size_t da = (size_t)s->v[P_A], p = (size_t)s->v[P_RANKS];
    return ab_gemm_f32_workspace_bytes((size_t)s->v[P_T], (size_t)s->v[P_D], (da + p - 1) / p, true, n_threads);
}

extern const struct ab_kernel ab__kernel_tp_allreduce_mpi;
const struct ab_kernel ab__kernel_tp_allreduce_mpi = {
    .name = "tp_allreduce_mpi",
    .family = &ab_family_tp_allreduce,
    .variant = "mpi",
    .doc = "heads split over MPI ranks: local partial projection (best FP32 GEMM), MPI_Allreduce sum",
    .isa_needs = 0,
    .is_ref = false,
    .fn.tp_allreduce = tp_allreduce_mpi,
    .supports = NULL,
    .workspace_bytes = tp_mpi_workspace,
    .flops = ab__tp_flops,
    .bytes = ab__tp_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = -1, .scale_ref = 0.0},
};

static const char *tp_unavailable(const struct ab_kernel *kernel, const struct ab_shape *shape)
{
    (void)kernel;
    return ab__parallel_unavailable(shape, P_RANKS);
}

static const char *const tp_phases[AB__TP_PHASE_COUNT] = {"project", "allreduce"};

static const struct ab_collective tp_collective = {
    .unavailable = tp_unavailable,
    .case_call = tp_case_call,
    .phase_names = tp_phases,
    .n_phases = AB__TP_PHASE_COUNT,
    .rows_name = "tokens",
};

const struct ab_family ab_family_tp_allreduce = {
    .name = "tp_allreduce",
    .doc = "tensor-parallel attention output projection: heads split over MPI ranks, partial products all-reduced",
    .flops_doc = "2*tokens*d_model*d_attn (the full projection; the all-reduce's additions not counted)",
    .params = params,
    .n_params = AB__TP_PARAM_COUNT,
    AB_SWEEPS(sweep_default, sweep_quick, sweep_test),
    .tokens = tp_tokens,
    .io_bytes = tp_io_bytes,
    .case_new = tp_case_new,
    .case_free = ab_case_free,
    .case_run = tp_case_run,
    .case_compare = tp_case_compare,
    .case_metrics = NULL,
    .collective = &tp_collective,
};
