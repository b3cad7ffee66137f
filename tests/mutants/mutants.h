/*
 * mutants.h - test-only variants that are wrong on purpose, one way each (write
 * nothing, write zeros, skip the last row block, write one element past the end,
 * modify an input, right on one thread only). They exist to show that verification
 * can fail: each must be caught by ab_case_verify and by `archbench run`. Never built
 * into libarchbench; tests put them into the registry with ab_kernel_register_extra.
 */
#ifndef ARCHBENCH_TEST_MUTANTS_H
#define ARCHBENCH_TEST_MUTANTS_H

#include <stddef.h>

#include "archbench/kernel.h"

/* One mutant and what ab_case_verify's detail must say about it. */
struct ab_mutant {
    const struct ab_kernel *kernel;
    const char *expect;        /* a substring of the failure detail */
    bool multi_thread_only;    /* right with 1 thread, wrong with 2 or more */
};

extern const struct ab_mutant ab__mutants[];
extern const size_t ab__n_mutants;

/* Register every mutant in the registry; AB_OK or the first failure. */
enum ab_status ab__mutants_register(void);

/* Register the variants that crash and hang (gemm_f32_faults.c): only for --isolate tests. */
enum ab_status ab__faults_register(void);

#endif /* ARCHBENCH_TEST_MUTANTS_H */
