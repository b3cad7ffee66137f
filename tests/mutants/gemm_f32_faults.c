/*
 * gemm_f32_faults.c - test-only gemm_f32 variants that crash or hang, to show that
 * `archbench run --isolate` turns them into `crash` and `timeout` rows and goes on
 * with the sweep. Registered only by archbench_mutants (ab__faults_register).
 */
#include <signal.h>
#include <time.h>

#include "archbench/gemm.h"

#include "mutants.h"

static enum ab_status crashes(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    (void)args;
    (void)exec;
    raise(SIGSEGV);  /* what an out-of-bounds access ends as, without undefined behaviour */
    return AB_OK;
}

static enum ab_status hangs(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    (void)args;
    (void)exec;
    for (;;) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }
    return AB_OK;
}

static size_t ref_workspace(const struct ab_shape *shape, int n_threads)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->workspace_bytes(shape, n_threads);
}

static double ref_flops(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->flops(shape);
}

static double ref_bytes(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->bytes(shape);
}

#define FAULT(fn_, doc_)                                                                                        \
    static const struct ab_kernel fault_##fn_ = {                                                              \
        .name = "mutant_gemm_f32_" #fn_, .family = &ab_family_gemm_f32, .variant = "mutant", .doc = doc_,     \
        .isa_needs = 0, .is_ref = false, .fn = {.gemm_f32 = fn_}, .supports = NULL,                            \
        .workspace_bytes = ref_workspace, .flops = ref_flops, .bytes = ref_bytes,                              \
        .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-6, .scale_param = 2, .scale_ref = 256.0},                     \
    };

FAULT(crashes, "dies of SIGSEGV")
FAULT(hangs, "never returns")

enum ab_status ab__faults_register(void)
{
    enum ab_status st = ab_kernel_register_extra(&fault_crashes);
    return st != AB_OK ? st : ab_kernel_register_extra(&fault_hangs);
}
