/*
 * test_registry.c - registry sanity: unique names, exactly one reference per family,
 * complete descriptors, sensible sweeps, lookups and the PCRE2 filter.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/cpu.h"
#include "archbench/kernel.h"

Test(registry, names_unique_and_descriptors_complete)
{
    cr_assert_gt(ab_kernel_count(), 0);
    for (size_t i = 0; i < ab_kernel_count(); i++) {
        const struct ab_kernel *k = ab_kernel_at(i);
        cr_assert_not_null(k->name);
        cr_assert_not_null(k->family, "%s has a family", k->name);
        cr_assert_not_null(k->variant, "%s", k->name);
        cr_assert(k->doc && *k->doc, "%s has a doc line", k->name);
        cr_assert_not_null(k->workspace_bytes, "%s", k->name);
        cr_assert_not_null(k->flops, "%s", k->name);
        cr_assert_not_null(k->bytes, "%s", k->name);
        cr_assert_not_null(k->fn.gemm_f32, "%s has a function (any union member)", k->name);
        cr_assert(strncmp(k->name, k->family->name, strlen(k->family->name)) == 0,
                  "%s starts with its family name %s", k->name, k->family->name);
        cr_assert(k->is_ref || k->tol.rel > 0.0 || k->tol.cmp != AB_CMP_REL_FRO,
                  "%s has a tolerance rule", k->name);
        cr_assert_eq(ab_kernel_find(k->name), k, "%s found by name", k->name);
        for (size_t j = i + 1; j < ab_kernel_count(); j++)
            cr_assert_str_neq(k->name, ab_kernel_at(j)->name);
    }
    cr_assert_null(ab_kernel_at(ab_kernel_count()));
    cr_assert_null(ab_kernel_find("no_such_kernel"));
}

Test(registry, exactly_one_reference_per_family_and_it_is_last)
{
    cr_assert_gt(ab_family_count(), 0);
    for (size_t f = 0; f < ab_family_count(); f++) {
        const struct ab_family *fam = ab_family_at(f);
        size_t n_ref = 0, last_index = 0, ref_index = 0;
        for (size_t i = 0; i < ab_kernel_count(); i++) {
            const struct ab_kernel *k = ab_kernel_at(i);
            if (k->family != fam)
                continue;
            last_index = i;
            if (k->is_ref) {
                n_ref++;
                ref_index = i;
                cr_assert_eq(k->isa_needs, 0, "reference %s is plain C", k->name);
                cr_assert_null(k->supports, "reference %s supports every valid shape", k->name);
            }
        }
        cr_assert_eq(n_ref, 1, "family %s has exactly one reference", fam->name);
        cr_assert_eq(ref_index, last_index, "reference of %s is its last row", fam->name);
        cr_assert_eq(ab_kernel_ref(fam)->family, fam);
        cr_assert_eq(ab_family_find(fam->name), fam);
    }
}

Test(registry, families_are_complete)
{
    for (size_t f = 0; f < ab_family_count(); f++) {
        const struct ab_family *fam = ab_family_at(f);
        cr_assert(fam->doc && fam->flops_doc, "%s documented", fam->name);
        cr_assert(fam->n_params > 0 && fam->n_params <= AB_SHAPE_MAX_PARAMS, "%s params", fam->name);
        cr_assert(fam->case_new && fam->case_free && fam->case_run && fam->case_compare && fam->io_bytes,
                  "%s case functions", fam->name);
        cr_assert(fam->n_sweep_default > 0 && fam->n_sweep_quick > 0 && fam->n_sweep_test > 0, "%s sweeps",
                  fam->name);
        for (size_t p = 0; p < fam->n_params; p++) {
            const struct ab_param *pa = &fam->params[p];
            cr_assert(pa->def >= pa->min && pa->def <= pa->max, "%s.%s default in range", fam->name, pa->name);
            cr_assert_eq(ab_param_index(fam, pa->name), (int)p);
        }
        const struct ab_shape *sweeps[] = {fam->sweep_default, fam->sweep_quick, fam->sweep_test};
        size_t counts[] = {fam->n_sweep_default, fam->n_sweep_quick, fam->n_sweep_test};
        for (int s = 0; s < 3; s++)
            for (size_t i = 0; i < counts[s]; i++)
                cr_assert(ab_shape_valid(fam, &sweeps[s][i]), "%s sweep %d shape %zu valid", fam->name, s, i);
    }
}

Test(registry, best_is_first_runnable_and_never_the_baseline)
{
    for (size_t f = 0; f < ab_family_count(); f++) {
        const struct ab_family *fam = ab_family_at(f);
        const struct ab_kernel *best = ab_kernel_best(fam, NULL, ab_cpu_features());
        cr_assert_not_null(best);
        /* A collective family (parallel.h) runs only under mpirun: elsewhere none of its
         * variants is runnable, and it says why. */
        const char *why = NULL;
        if (fam->collective && fam->collective->unavailable(NULL, NULL))
            cr_assert_not(ab_kernel_runnable(best, ab_cpu_features(), NULL, &why) || !why, "%s", fam->name);
        else
            cr_assert(ab_kernel_runnable(best, ab_cpu_features(), NULL, NULL));
        cr_assert_str_neq(best->variant, "openblas");
        /* No CPU features: a plain-C variant (the reference at worst), never a baseline. */
        const struct ab_kernel *plain = ab_kernel_best(fam, NULL, 0);
        cr_assert_eq(plain->isa_needs, 0, "%s: best without features needs none", fam->name);
        cr_assert_str_neq(plain->variant, "openblas");
    }
}

Test(registry, filter_matches_family_slash_name)
{
    struct ab_filter *f = NULL;
    const struct ab_kernel *ref = ab_kernel_find("gemm_f32_ref");
    cr_assert_not_null(ref);
    cr_assert_eq(ab_filter_new("^gemm_f32/.*_ref$", &f, NULL), AB_OK);
    cr_assert(ab_filter_match(f, ref));
    for (size_t i = 0; i < ab_kernel_count(); i++)
        if (!ab_kernel_at(i)->is_ref)
            cr_assert_not(ab_filter_match(f, ab_kernel_at(i)), "%s", ab_kernel_at(i)->name);
    ab_filter_free(f);
    cr_assert_eq(ab_filter_new("-_ref$", &f, NULL), AB_OK);
    cr_assert_not(ab_filter_match(f, ref), "negated");
    ab_filter_free(f);
    cr_assert_eq(ab_filter_new(NULL, &f, NULL), AB_OK);
    cr_assert(ab_filter_match(f, ref), "empty filter matches all");
    ab_filter_free(f);
    struct ab_error err;
    cr_assert_eq(ab_filter_new("gemm(", &f, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "offset"), "PCRE2 message with offset: %s", err.msg);
}

Test(registry, params_parse_and_format)
{
    const struct ab_family *fam = ab_family_find("gemm_f32");
    cr_assert_not_null(fam);
    int im = ab_param_index(fam, "m"), it = ab_param_index(fam, "trans_b");
    cr_assert(im >= 0 && it >= 0);
    int64_t v = 0;
    cr_assert_eq(ab_param_parse(&fam->params[im], "4K", &v, NULL), AB_OK);
    cr_assert_eq(v, 4096);
    cr_assert_eq(ab_param_parse(&fam->params[im], "0", &v, NULL), AB_EINVAL, "below min");
    cr_assert_eq(ab_param_parse(&fam->params[im], "12x", &v, NULL), AB_EPARSE);
    cr_assert_eq(ab_param_parse(&fam->params[it], "1", &v, NULL), AB_OK);
    cr_assert_eq(v, 1);
    struct ab_shape s;
    ab_shape_default(fam, &s);
    s.v[im] = 7;
    char buf[128];
    ab_shape_format(fam, &s, buf, sizeof buf);
    cr_assert(strncmp(buf, "m=7,n=1024,k=1024,trans_b=0", 27) == 0, "got %s", buf);
}
