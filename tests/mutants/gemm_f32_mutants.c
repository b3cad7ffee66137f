/*
 * gemm_f32_mutants.c - wrong gemm_f32 variants (see mutants.h). Each runs the
 * reference, or part of it, and then does its one wrong thing, so the only difference
 * from a correct variant is the defect it models.
 */
#include <signal.h>
#include <string.h>
#include <time.h>

#include "archbench/gemm.h"

#include "mutants.h"

static enum ab_status run_ref(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->fn.gemm_f32(args, exec);
}

/* The first `rows` rows of C only: what a kernel that skips a row block leaves. */
static enum ab_status run_ref_rows(const struct ab_gemm_f32_args *args, const struct ab_exec *exec, size_t rows)
{
    if (rows == 0)
        return AB_OK;
    struct ab_gemm_f32_args part = *args;
    part.m = rows;
    return run_ref(&part, exec);
}

static enum ab_status writes_nothing(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    (void)args;
    (void)exec;
    return AB_OK;
}

static enum ab_status writes_zeros(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    (void)exec;
    for (size_t i = 0; i < args->m; i++)
        memset(args->c + i * args->ldc, 0, args->n * sizeof(float));
    return AB_OK;
}

/* The last block of 16 rows (or the ragged tail) is never computed. */
static enum ab_status skips_last_block(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    size_t tail = args->m % 16 ? args->m % 16 : (args->m < 16 ? args->m : 16);
    return run_ref_rows(args, exec, args->m - tail);
}

/* Right answer, then a store one element past the last row: a tail loop off by one. */
static enum ab_status writes_past_end(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    enum ab_status st = run_ref(args, exec);
    if (st == AB_OK && args->m && args->n)
        args->c[(args->m - 1) * args->ldc + args->n] = 0.0f;
    return st;
}

/* Right answer, then A used as scratch: a packing routine writing back into its source. */
static enum ab_status writes_input(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    enum ab_status st = run_ref(args, exec);
    if (st == AB_OK && args->m && args->k) {
        float *a; /* the case's A is writable memory; only the signature says const */
        memcpy(&a, &args->a, sizeof a);
        a[0] += 1.0f;
    }
    return st;
}

/* With several threads only the first half of the rows is written: the rows of the
 * second thread are lost, as with a wrong partition. */
static enum ab_status one_thread_only(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    return run_ref_rows(args, exec, exec->n_threads > 1 ? args->m / 2 : args->m);
}

static size_t ref_workspace(const struct ab_shape *shape, int n_threads)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->workspace_bytes(shape, n_threads);
}

/* Right on its first call, then returns at once: passes a check made before timing and
 * is timed doing nothing (a stale-plan bug looks the same). Registered only by
 * archbench_mutants: the equivalence test's single call cannot see it. */
static enum ab_status first_call_only(const struct ab_gemm_f32_args *args, const struct ab_exec *exec)
{
    static int calls;
    if (calls++ > 0)
        return AB_OK;
    return run_ref(args, exec);
}

/* Faults for `run --isolate` (ab__faults_register), not wrong answers. */
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

static double ref_flops(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->flops(shape);
}

static double ref_bytes(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_f32)->bytes(shape);
}

#define MUTANT(fn_, doc_)                                                                                       \
    const struct ab_kernel ab__mutant_gemm_f32_##fn_ = {                                                       \
        .name = "mutant_gemm_f32_" #fn_, .family = &ab_family_gemm_f32, .variant = "mutant", .doc = doc_,     \
        .isa_needs = 0, .is_ref = false, .fn = {.gemm_f32 = fn_}, .supports = NULL,                            \
        .workspace_bytes = ref_workspace, .flops = ref_flops, .bytes = ref_bytes,                              \
        .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-6, .scale_param = 2, .scale_ref = 256.0},                     \
    };

extern const struct ab_kernel ab__mutant_gemm_f32_writes_nothing, ab__mutant_gemm_f32_writes_zeros,
    ab__mutant_gemm_f32_skips_last_block, ab__mutant_gemm_f32_writes_past_end, ab__mutant_gemm_f32_writes_input,
    ab__mutant_gemm_f32_one_thread_only, ab__mutant_gemm_f32_crashes, ab__mutant_gemm_f32_hangs,
    ab__mutant_gemm_f32_first_call_only;

MUTANT(writes_nothing, "returns AB_OK without writing C")
MUTANT(writes_zeros, "writes zeros to C")
MUTANT(skips_last_block, "never computes the last block of rows")
MUTANT(writes_past_end, "stores one element past the last row of C")
MUTANT(writes_input, "modifies A")
MUTANT(one_thread_only, "loses the second half of the rows with 2+ threads")
MUTANT(crashes, "dies of SIGSEGV")
MUTANT(hangs, "never returns")
MUTANT(first_call_only, "right once, then does nothing")
