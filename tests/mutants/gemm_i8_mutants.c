/*
 * gemm_i8_mutants.c - wrong gemm_i8 variants (see mutants.h): the integer family,
 * whose outputs (int32 accumulators, requantised int8) are poisoned with a byte
 * pattern rather than NaN.
 */
#include <string.h>

#include "archbench/quant.h"

#include "mutants.h"

static enum ab_status run_ref(const struct ab_gemm_i8_args *args, const struct ab_exec *exec)
{
    return ab_kernel_ref(&ab_family_gemm_i8)->fn.gemm_i8(args, exec);
}

static size_t y_elem_bytes(const struct ab_gemm_i8_args *args)
{
    return args->out == AB_I8_OUT_S8 ? 1 : 4;
}

static enum ab_status run_ref_rows(const struct ab_gemm_i8_args *args, const struct ab_exec *exec, size_t rows)
{
    if (rows == 0)
        return AB_OK;
    struct ab_gemm_i8_args part = *args;
    part.m = rows;
    return run_ref(&part, exec);
}

static enum ab_status writes_nothing(const struct ab_gemm_i8_args *args, const struct ab_exec *exec)
{
    (void)args;
    (void)exec;
    return AB_OK;
}

static enum ab_status skips_last_block(const struct ab_gemm_i8_args *args, const struct ab_exec *exec)
{
    size_t tail = args->m % 16 ? args->m % 16 : (args->m < 16 ? args->m : 16);
    return run_ref_rows(args, exec, args->m - tail);
}

static enum ab_status writes_past_end(const struct ab_gemm_i8_args *args, const struct ab_exec *exec)
{
    enum ab_status st = run_ref(args, exec);
    if (st == AB_OK && args->m && args->n) {
        size_t eb = y_elem_bytes(args);
        memset((char *)args->y + ((args->m - 1) * args->ldy + args->n) * eb, 0, eb);
    }
    return st;
}

/* Right answer, then the activations quantised in place: x (float) or x_q is damaged. */
static enum ab_status writes_input(const struct ab_gemm_i8_args *args, const struct ab_exec *exec)
{
    enum ab_status st = run_ref(args, exec);
    if (st == AB_OK && args->m && args->k) {
        void *x; /* the case's activations are writable; only the signature says const */
        if (args->x)
            memcpy(&x, &args->x, sizeof x);
        else
            memcpy(&x, &args->x_q, sizeof x);
        *(unsigned char *)x ^= 0x40;
    }
    return st;
}

static enum ab_status one_thread_only(const struct ab_gemm_i8_args *args, const struct ab_exec *exec)
{
    return run_ref_rows(args, exec, exec->n_threads > 1 ? args->m / 2 : args->m);
}

static size_t ref_workspace(const struct ab_shape *shape, int n_threads)
{
    return ab_kernel_ref(&ab_family_gemm_i8)->workspace_bytes(shape, n_threads);
}

static double ref_flops(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_i8)->flops(shape);
}

static double ref_bytes(const struct ab_shape *shape)
{
    return ab_kernel_ref(&ab_family_gemm_i8)->bytes(shape);
}

#define MUTANT(fn_, doc_)                                                                                       \
    const struct ab_kernel ab__mutant_gemm_i8_##fn_ = {                                                        \
        .name = "mutant_gemm_i8_" #fn_, .family = &ab_family_gemm_i8, .variant = "mutant", .doc = doc_,       \
        .isa_needs = 0, .is_ref = false, .fn = {.gemm_i8 = fn_}, .supports = NULL,                             \
        .workspace_bytes = ref_workspace, .flops = ref_flops, .bytes = ref_bytes,                              \
        .tol = {.cmp = AB_CMP_EXACT, .rel = 0.0, .scale_param = -1, .scale_ref = 0.0},                         \
    };

extern const struct ab_kernel ab__mutant_gemm_i8_writes_nothing, ab__mutant_gemm_i8_skips_last_block,
    ab__mutant_gemm_i8_writes_past_end, ab__mutant_gemm_i8_writes_input, ab__mutant_gemm_i8_one_thread_only;

MUTANT(writes_nothing, "returns AB_OK without writing Y")
MUTANT(skips_last_block, "never computes the last block of rows")
MUTANT(writes_past_end, "stores one element past the last row of Y")
MUTANT(writes_input, "modifies the activations")
MUTANT(one_thread_only, "loses the second half of the rows with 2+ threads")
