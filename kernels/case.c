/*
 * case.c - allocation helpers shared by the families' harness-side case functions, so
 * each family states only what its inputs are, not how to free them.
 */
#include <math.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/kernel.h"

enum ab_status ab_case_new(const struct ab_family *family, const struct ab_shape *shape, uint64_t seed, size_t bytes,
                           struct ab_case **out_case, struct ab_error *err)
{
    if (bytes < sizeof(struct ab_case))
        return ab_error_set(err, AB_EINVAL, "%s: case struct smaller than struct ab_case", family->name);
    if (!ab_shape_valid(family, shape))
        return ab_error_set(err, AB_EINVAL, "%s: shape outside the parameter ranges", family->name);
    struct ab_case *c = ab_calloc(1, bytes);
    if (!c)
        return ab_error_set(err, AB_ENOMEM, "%s: out of memory for the case", family->name);
    c->family = family;
    c->shape = *shape;
    c->seed = seed;
    *out_case = c;
    return AB_OK;
}

void *ab_case_alloc(struct ab_case *c, size_t bytes)
{
    if (c->n_owned == AB_CASE_MAX_OWNED)
        return NULL;
    /* Zero-size inputs still get a valid, distinct pointer. */
    void *p = ab_aligned_alloc(AB_ALIGN_BYTES, bytes ? bytes : 1);
    if (p)
        c->owned[c->n_owned++] = p;
    return p;
}

void ab_case_free(struct ab_case *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_owned; i++)
        ab_free(c->owned[i]);
    ab_free(c);
}

bool ab_case_outputs_f32(struct ab_case *c, size_t n)
{
    for (int s = 0; s < AB_SLOT_COUNT; s++) {
        float *p = ab_case_alloc(c, n * sizeof(float));
        if (!p)
            return false;
        for (size_t i = 0; i < n; i++)
            p[i] = NAN;
        c->out_f32[s] = p;
    }
    c->n_out_f32 = n;
    return true;
}

void ab_case_compare_f32(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out_check)
{
    ab_check_f32(c->out_f32[AB_SLOT_REF], c->out_f32[AB_SLOT_TEST], c->n_out_f32,
                 ab_kernel_tolerance(kernel, &c->shape), out_check);
}

enum ab_status ab_case_verify(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                              struct ab_check *out_check)
{
    if (c->out_f32[AB_SLOT_TEST])
        for (size_t i = 0; i < c->n_out_f32; i++)
            c->out_f32[AB_SLOT_TEST][i] = NAN;
    enum ab_status st = c->family->case_run(c, kernel, exec, AB_SLOT_TEST);
    if (st != AB_OK)
        return st;
    c->family->case_compare(c, kernel, out_check);
    return AB_OK;
}
