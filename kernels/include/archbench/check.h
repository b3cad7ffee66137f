/*
 * check.h - comparison of a variant's output with the reference's.
 *
 * Shared by every family's case_compare, the tests and the runner's pre-timing check,
 * so "within tolerance" means the same thing everywhere: relative Frobenius error
 * ||t - r|| / ||r|| (absolute ||t - r|| when ||r|| is 0), computed in double, with NaN
 * and Inf required at the same positions (and same sign for Inf).
 */
#ifndef ARCHBENCH_CHECK_H
#define ARCHBENCH_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/kernel.h"

/* Compare n floats; fills every field of out_check (ok = err <= tol and NaN/Inf agree). */
AB_API void ab_check_f32(const float *ref, const float *test, size_t n, double tol, struct ab_check *out_check);

/* Bit-exact comparison of int32 arrays (ok = no mismatch). */
AB_API void ab_check_i32(const int32_t *ref, const int32_t *test, size_t n, struct ab_check *out_check);

/* Relative Frobenius error of test against ref, in double (the `err` of ab_check_f32). */
AB_API double ab_rel_fro_f32(const float *ref, const float *test, size_t n);

#endif /* ARCHBENCH_CHECK_H */
