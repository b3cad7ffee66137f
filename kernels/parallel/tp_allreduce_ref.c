/*
 * tp_allreduce_ref.c - the reference of tp_allreduce: the full output projection
 * y = A Wo^T in one process (rank 0), by the project's best FP32 GEMM (verified against
 * gemm_f32_ref in its own family); what is checked here is the split and the sum.
 */
#include "archbench/gemm.h"
#include "archbench/timer.h"

#include "parallel_impl.h"

size_t ab__tp_gemm_workspace(const struct ab_shape *s, int n_threads);
size_t ab__tp_gemm_workspace(const struct ab_shape *s, int n_threads)
{
    return ab_gemm_f32_workspace_bytes((size_t)s->v[AB__TP_TOKENS], (size_t)s->v[AB__TP_D_MODEL],
                                       (size_t)s->v[AB__TP_D_ATTN], true, n_threads);
}

double ab__tp_flops(const struct ab_shape *s);
double ab__tp_flops(const struct ab_shape *s)
{
    return 2.0 * (double)s->v[AB__TP_TOKENS] * (double)s->v[AB__TP_D_MODEL] * (double)s->v[AB__TP_D_ATTN];
}

double ab__tp_bytes(const struct ab_shape *s);
double ab__tp_bytes(const struct ab_shape *s)
{
    double t = (double)s->v[AB__TP_TOKENS], d = (double)s->v[AB__TP_D_MODEL], a = (double)s->v[AB__TP_D_ATTN];
    return 4.0 * (t * a + d * a + t * d);
}

static enum ab_status tp_ref(const struct ab_tp_allreduce_args *args, const struct ab_exec *exec)
{
    if (!args || !exec || !args->a || !args->w_o || !args->y)
        return AB_EINVAL;
    int64_t t0 = ab_now_ns();
    struct ab_gemm_f32_args g = {
        .m = args->n_tokens, .n = args->d_model, .k = args->d_attn_local, .a = args->a, .lda = args->d_attn_local,
        .b = args->w_o, .ldb = args->d_attn_local, .trans_b = true, .c = args->y, .ldc = args->d_model,
        .alpha = 1.0f, .beta = 0.0f,
    };
    enum ab_status st = ab_gemm_f32(&g, exec);
    if (st == AB_OK && args->acc) {
        args->acc->phase_ns[AB__TP_PROJECT] += (double)(ab_now_ns() - t0);
        args->acc->rows += (double)args->n_tokens;
        args->acc->calls++;
    }
    return st;
}

extern const struct ab_kernel ab__kernel_tp_allreduce_ref;
const struct ab_kernel ab__kernel_tp_allreduce_ref = {
    .name = "tp_allreduce_ref",
    .family = &ab_family_tp_allreduce,
    .variant = "ref",
    .doc = "the full output projection in one process (rank 0), best FP32 GEMM",
    .isa_needs = 0,
    .is_ref = true,
    .fn.tp_allreduce = tp_ref,
    .supports = NULL,
    .workspace_bytes = ab__tp_gemm_workspace,
    .flops = ab__tp_flops,
    .bytes = ab__tp_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = -1, .scale_ref = 0.0},
};
