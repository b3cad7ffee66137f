/*
 * gemm_f16_onednn.c - oneDNN's matmul primitive with f16 inputs and f32 output as the
 * gemm_f16 baseline (built only with the onednn feature), verified against the
 * reference like any variant; the call is gemm_onednn_matmul.c's, shared with
 * gemm_bf16_onednn.
 *
 * oneDNN implements f16 matmul only on some CPUs (those it counts as supporting f16:
 * in the 2.x releases, AVX512-FP16 ones), and says so by failing to create the primitive
 * with dnnl_unimplemented. The variant asks once per process with a small probe and is
 * unavailable elsewhere, with that reason and oneDNN's version, rather than failing each
 * call or standing in with another computation: a row for it exists only where oneDNN
 * computes it.
 */
#include <pthread.h>
#include <stdio.h>

#include "archbench/cpu.h"
#include "archbench/gemm_f16.h"

#include "gemm_f16_impl.h"
#include "gemm_onednn_impl.h"

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static char unavailable_why[160];  /* empty when oneDNN implements the f16 matmul here */

static void probe(void)
{
    dnnl_status_t st = ab__onednn_matmul_probe(dnnl_f16);
    if (st == dnnl_success)
        return;
    const dnnl_version_t *v = dnnl_version();
    snprintf(unavailable_why, sizeof unavailable_why, "onednn %d.%d.%d %s f16 matmul on this cpu", v->major,
             v->minor, v->patch,
             st == dnnl_unimplemented ? "does not implement" : "failed to create");
}

static const char *gemm_f16_onednn_unavailable(void)
{
    pthread_once(&probe_once, probe);
    return unavailable_why[0] ? unavailable_why : NULL;
}

static enum ab_status gemm_f16_onednn(const struct ab_gemm_f16_args *args, const struct ab_exec *exec)
{
    if (!args || !exec || exec->n_threads < 1)
        return AB_EINVAL;
    if (args->m == 0 || args->n == 0)
        return AB_OK;
    if (!args->a || !args->b || !args->c || args->k == 0)
        return AB_EINVAL;
    if (gemm_f16_onednn_unavailable())
        return AB_ENOTSUP;
    struct ab__onednn_matmul mm = {.in = dnnl_f16, .m = args->m, .n = args->n, .k = args->k, .a = args->a,
                                   .lda = args->lda, .b = args->b, .ldb = args->ldb, .trans_b = args->trans_b,
                                   .c = args->c, .ldc = args->ldc, .alpha = args->alpha, .beta = args->beta};
    return ab__onednn_matmul_run(&mm, exec->n_threads) == dnnl_success ? AB_OK : AB_EINVAL;
}

extern const struct ab_kernel ab__kernel_gemm_f16_onednn;
const struct ab_kernel ab__kernel_gemm_f16_onednn = {
    .name = "gemm_f16_onednn",
    .family = &ab_family_gemm_f16,
    .variant = "onednn",
    .doc = "oneDNN matmul primitive, f16 inputs, f32 output (where oneDNN implements it; from its cache after the "
           "first call)",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.gemm_f16 = gemm_f16_onednn,
    .supports = NULL,
    .workspace_bytes = ab__gemm_half_no_workspace,
    .flops = ab__gemm_half_flops,
    .bytes = ab__gemm_half_bytes,
    .tol = AB__GEMM_F16_TOL,
    .unavailable = gemm_f16_onednn_unavailable,
};
