/*
 * registry.c - the tables of families and variant descriptors, built from
 * registry_list.h, and the lookups over them (find, best, runnable, filter).
 *
 * Explicit tables rather than linker-section registration: they can be read, counted
 * and tested, and a static library cannot silently drop a row. Variants that are not
 * part of the library (plugins, the test-only mutants of tests/mutants/) are added at
 * run time with ab_kernel_register_extra into a small fixed table after the built-in
 * rows, so every lookup below sees them without any of them being compiled in.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ab_config.h"

#include <pcre2.h>

#include "archbench/cpu.h"
#include "archbench/alloc.h"
#include "archbench/kernel.h"

#include "registry_list.h"

/* Declarations of every descriptor and family named in the lists. */
#define AB_DECL_KERNEL_(name) extern const struct ab_kernel ab__kernel_##name;
#define AB_DECL_NOTHING_(name)
#if AB_BUILD_AVX2
#define AB_ROW_AVX2_(name) AB_DECL_KERNEL_(name)
#else
#define AB_ROW_AVX2_(name)
#endif
#if AB_BUILD_AVX512
#define AB_ROW_AVX512_(name) AB_DECL_KERNEL_(name)
#else
#define AB_ROW_AVX512_(name)
#endif
#if AB_BUILD_AVX512VNNI
#define AB_ROW_AVX512VNNI_(name) AB_DECL_KERNEL_(name)
#else
#define AB_ROW_AVX512VNNI_(name)
#endif
#if AB_BUILD_AVX512BF16
#define AB_ROW_AVX512BF16_(name) AB_DECL_KERNEL_(name)
#else
#define AB_ROW_AVX512BF16_(name)
#endif
/* Baseline rows: each name's library flag (1 or 0 from ab_config.h) picks AB_IF_1_
 * (keep the row) or AB_IF_0_ (drop it). */
#define AB_NEED_gemm_f32_openblas AB_HAVE_OPENBLAS
#define AB_NEED_mha_unfused_openblas AB_HAVE_OPENBLAS
#define AB_NEED_gemm_f32_onednn AB_HAVE_ONEDNN
#define AB_NEED_gemm_i8_onednn AB_HAVE_ONEDNN
#define AB_NEED_gemm_bf16_onednn AB_HAVE_ONEDNN
#define AB_NEED_gemm_f16_onednn AB_HAVE_ONEDNN
#define AB_CAT2_(a, b) a##b
#define AB_CAT_(a, b) AB_CAT2_(a, b)
#define AB_IF_1_(row) row
#define AB_IF_0_(row)
#define AB_ROW_BLAS_(name) AB_CAT_(AB_IF_, AB_CAT_(AB_NEED_##name, _))(AB_DECL_KERNEL_(name))
AB_KERNEL_LIST(AB_DECL_KERNEL_, AB_ROW_AVX2_, AB_ROW_AVX512_, AB_ROW_AVX512VNNI_, AB_ROW_AVX512BF16_, AB_ROW_BLAS_)

#define AB_DECL_FAMILY_(name) extern const struct ab_family ab_family_##name;
AB_FAMILY_LIST(AB_DECL_FAMILY_)

/* The tables: the same row macros, now expanding to pointers. */
#undef AB_DECL_KERNEL_
#define AB_DECL_KERNEL_(name) &ab__kernel_##name,
static const struct ab_kernel *const kernel_table[] = {
    AB_KERNEL_LIST(AB_DECL_KERNEL_, AB_ROW_AVX2_, AB_ROW_AVX512_, AB_ROW_AVX512VNNI_, AB_ROW_AVX512BF16_,
                   AB_ROW_BLAS_)};

#undef AB_DECL_FAMILY_
#define AB_DECL_FAMILY_(name) &ab_family_##name,
static const struct ab_family *const family_table[] = {AB_FAMILY_LIST(AB_DECL_FAMILY_)};

#define N_KERNELS (sizeof kernel_table / sizeof kernel_table[0])
#define N_FAMILIES (sizeof family_table / sizeof family_table[0])

/* Variants added at run time; written only by ab_kernel_register_extra (see kernel.h). */
static const struct ab_kernel *extra_table[AB_KERNEL_MAX_EXTRA];
static size_t n_extra;

size_t ab_family_count(void)
{
    return N_FAMILIES;
}

const struct ab_family *ab_family_at(size_t index)
{
    return index < N_FAMILIES ? family_table[index] : NULL;
}

const struct ab_family *ab_family_find(const char *name)
{
    for (size_t i = 0; name && i < N_FAMILIES; i++)
        if (strcmp(family_table[i]->name, name) == 0)
            return family_table[i];
    return NULL;
}

size_t ab_kernel_count(void)
{
    return N_KERNELS + n_extra;
}

const struct ab_kernel *ab_kernel_at(size_t index)
{
    if (index < N_KERNELS)
        return kernel_table[index];
    return index - N_KERNELS < n_extra ? extra_table[index - N_KERNELS] : NULL;
}

const struct ab_kernel *ab_kernel_find(const char *name)
{
    for (size_t i = 0; name && i < ab_kernel_count(); i++)
        if (strcmp(ab_kernel_at(i)->name, name) == 0)
            return ab_kernel_at(i);
    return NULL;
}

const struct ab_kernel *ab_kernel_ref(const struct ab_family *family)
{
    /* Extras are never references (ab_kernel_register_extra refuses them). */
    for (size_t i = 0; i < N_KERNELS; i++)
        if (kernel_table[i]->family == family && kernel_table[i]->is_ref)
            return kernel_table[i];
    return NULL;
}

enum ab_status ab_kernel_register_extra(const struct ab_kernel *kernel)
{
    if (!kernel || !kernel->name || !kernel->variant || kernel->is_ref || !kernel->workspace_bytes ||
        !kernel->flops || !kernel->bytes || ab_kernel_find(kernel->name))
        return AB_EINVAL;
    bool known_family = false;
    for (size_t i = 0; i < N_FAMILIES; i++)
        known_family = known_family || family_table[i] == kernel->family;
    if (!known_family)
        return AB_EINVAL;
    if (n_extra == AB_KERNEL_MAX_EXTRA)
        return AB_ENOMEM;
    extra_table[n_extra++] = kernel;
    return AB_OK;
}

/* Reason strings for a missing feature: one per feature, built once at compile time. */
static const char *const needs_reason[AB_CPU_FEATURE_COUNT] = {
    [AB_CPU_AVX2] = "needs avx2",           [AB_CPU_FMA] = "needs fma",
    [AB_CPU_AVX512F] = "needs avx512f",     [AB_CPU_AVX512BW] = "needs avx512bw",
    [AB_CPU_AVX512VL] = "needs avx512vl",   [AB_CPU_AVX512DQ] = "needs avx512dq",
    [AB_CPU_AVX512VNNI] = "needs avx512vnni", [AB_CPU_AVX512BF16] = "needs avx512bf16",
    [AB_CPU_NEON] = "needs neon",
};

bool ab_kernel_runnable(const struct ab_kernel *kernel, uint64_t cpu_features, const struct ab_shape *shape,
                        const char **out_reason)
{
    uint64_t missing = kernel->isa_needs & ~cpu_features;
    if (missing) {
        if (out_reason) {
            int bit = 0;
            while (!(missing & AB_CPU_BIT(bit)))
                bit++;
            *out_reason = bit < AB_CPU_FEATURE_COUNT ? needs_reason[bit] : "needs an unknown feature";
        }
        return false;
    }
    if (kernel->unavailable) {
        const char *why = kernel->unavailable();
        if (why) {
            if (out_reason)
                *out_reason = why;
            return false;
        }
    }
    if (kernel->family->collective) {
        const char *why = kernel->family->collective->unavailable(kernel, shape);
        if (why) {
            if (out_reason)
                *out_reason = why;
            return false;
        }
    }
    if (shape && !ab_shape_valid(kernel->family, shape)) {
        if (out_reason)
            *out_reason = "shape outside the family's parameter ranges";
        return false;
    }
    if (shape && kernel->supports && !kernel->supports(shape)) {
        if (out_reason)
            *out_reason = "shape not supported by this variant";
        return false;
    }
    return true;
}

bool ab_variant_is_baseline(const char *variant)
{
    return variant && (strcmp(variant, "openblas") == 0 || strcmp(variant, "onednn") == 0);
}

const struct ab_kernel *ab_kernel_best(const struct ab_family *family, const struct ab_shape *shape,
                                       uint64_t cpu_features)
{
    for (size_t i = 0; i < ab_kernel_count(); i++) {
        const struct ab_kernel *k = ab_kernel_at(i);
        /* The vendor-library baselines are measuring sticks, never the library's choice. */
        if (k->family == family && !ab_variant_is_baseline(k->variant) && ab_kernel_runnable(k, cpu_features, shape, NULL))
            return k;
    }
    return ab_kernel_ref(family);
}

double ab_kernel_tolerance(const struct ab_kernel *kernel, const struct ab_shape *shape)
{
    const struct ab_tol *t = &kernel->tol;
    double tol = t->rel;
    if (t->scale_param >= 0 && t->scale_param < AB_SHAPE_MAX_PARAMS && t->scale_ref > 0.0) {
        double ratio = (double)shape->v[t->scale_param] / t->scale_ref;
        if (ratio > 1.0)
            tol *= sqrt(ratio);
    }
    return tol;
}

/* ---- filter ------------------------------------------------------------------------- */

struct ab_filter {
    pcre2_code *code;         /* NULL: match everything */
    pcre2_match_data *match;
    bool negate;
};

enum ab_status ab_filter_new(const char *pattern, struct ab_filter **out_filter, struct ab_error *err)
{
    struct ab_filter *f = ab_calloc(1, sizeof *f);
    if (!f)
        return ab_error_set(err, AB_ENOMEM, "out of memory compiling filter");
    if (pattern && pattern[0] == '-') {
        f->negate = true;
        pattern++;
    }
    if (pattern && *pattern) {
        int code = 0;
        PCRE2_SIZE offset = 0;
        f->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &offset, NULL);
        if (!f->code) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(code, msg, sizeof msg);
            ab_free(f);
            return ab_error_set(err, AB_EPARSE, "filter '%s': %s at offset %zu", pattern, (const char *)msg,
                                (size_t)offset);
        }
        f->match = pcre2_match_data_create_from_pattern(f->code, NULL);
        if (!f->match) {
            pcre2_code_free(f->code);
            ab_free(f);
            return ab_error_set(err, AB_ENOMEM, "out of memory compiling filter");
        }
    }
    *out_filter = f;
    return AB_OK;
}

bool ab_filter_match(const struct ab_filter *filter, const struct ab_kernel *kernel)
{
    if (!filter || !filter->code)
        return filter ? !filter->negate : true;
    char subject[256];
    int n = snprintf(subject, sizeof subject, "%s/%s", kernel->family->name, kernel->name);
    size_t len = n < 0 ? 0 : ((size_t)n < sizeof subject ? (size_t)n : sizeof subject - 1);
    int rc = pcre2_match(filter->code, (PCRE2_SPTR)subject, len, 0, 0, filter->match, NULL);
    bool hit = rc >= 0;
    return filter->negate ? !hit : hit;
}

void ab_filter_free(struct ab_filter *filter)
{
    if (!filter)
        return;
    pcre2_match_data_free(filter->match);
    pcre2_code_free(filter->code);
    ab_free(filter);
}
