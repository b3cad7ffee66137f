/*
 * mutants.c - the table of mutants and what their failure must say, shared by the
 * Criterion test and the archbench_mutants command.
 */
#include "mutants.h"

extern const struct ab_kernel ab__mutant_gemm_f32_writes_nothing, ab__mutant_gemm_f32_writes_zeros,
    ab__mutant_gemm_f32_skips_last_block, ab__mutant_gemm_f32_writes_past_end, ab__mutant_gemm_f32_writes_input,
    ab__mutant_gemm_f32_one_thread_only;
extern const struct ab_kernel ab__mutant_gemm_i8_writes_nothing, ab__mutant_gemm_i8_skips_last_block,
    ab__mutant_gemm_i8_writes_past_end, ab__mutant_gemm_i8_writes_input, ab__mutant_gemm_i8_one_thread_only;
extern const struct ab_kernel ab__mutant_layer_skips_second_residual, ab__mutant_layer_renormalises_topk;
extern const struct ab_kernel ab__mutant_gemm_bf16_drops_last_odd_k;
extern const struct ab_kernel ab__mutant_gemm_f16_drops_k_tail;

/* NaN where the reference is finite is what an unwritten float element looks like. */
const struct ab_mutant ab__mutants[] = {
    {&ab__mutant_gemm_f32_writes_nothing, "NaN/Inf differ", false},
    {&ab__mutant_gemm_f32_writes_zeros, "rel_fro", false},
    {&ab__mutant_gemm_f32_skips_last_block, "NaN/Inf differ", false},
    {&ab__mutant_gemm_f32_writes_past_end, "guard zone after output 'c' overwritten at byte +0", false},
    {&ab__mutant_gemm_f32_writes_input, "input 'a' modified", false},
    {&ab__mutant_gemm_f32_one_thread_only, "NaN/Inf differ", true},
    {&ab__mutant_gemm_i8_writes_nothing, "differ", false},
    {&ab__mutant_gemm_i8_skips_last_block, "differ", false},
    {&ab__mutant_gemm_i8_writes_past_end, "guard zone after output 'y' overwritten at byte +0", false},
    {&ab__mutant_gemm_i8_writes_input, "input 'x_q' modified", false},
    {&ab__mutant_gemm_i8_one_thread_only, "differ", true},
    {&ab__mutant_layer_skips_second_residual, "rel_fro", false},
    {&ab__mutant_layer_renormalises_topk, "rel_fro", false},
    {&ab__mutant_gemm_bf16_drops_last_odd_k, "rel_fro", false},
    {&ab__mutant_gemm_f16_drops_k_tail, "rel_fro", false},
};
const size_t ab__n_mutants = sizeof ab__mutants / sizeof ab__mutants[0];

enum ab_status ab__mutants_register(void)
{
    for (size_t i = 0; i < ab__n_mutants; i++) {
        enum ab_status st = ab_kernel_register_extra(ab__mutants[i].kernel);
        if (st != AB_OK)
            return st;
    }
    return AB_OK;
}

extern const struct ab_kernel ab__mutant_gemm_f32_crashes, ab__mutant_gemm_f32_hangs,
    ab__mutant_gemm_f32_first_call_only;

enum ab_status ab__faults_register(void)
{
    const struct ab_kernel *faults[] = {&ab__mutant_gemm_f32_crashes, &ab__mutant_gemm_f32_hangs,
                                        &ab__mutant_gemm_f32_first_call_only};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        enum ab_status st = ab_kernel_register_extra(faults[i]);
        if (st != AB_OK)
            return st;
    }
    return AB_OK;
}
