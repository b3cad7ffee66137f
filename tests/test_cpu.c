/*
 * test_cpu.c - CPU feature names, mask parsing and closure, and the effect of the
 * mask on which variants are runnable and which one is "best".
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/kernel.h"

Test(cpu, names_round_trip)
{
    for (int i = 0; i < AB_CPU_FEATURE_COUNT; i++) {
        const char *name = ab_cpu_feature_name((enum ab_cpu_feature)i);
        cr_assert_not_null(name);
        uint64_t mask = 0;
        cr_assert_eq(ab_cpu_parse_mask(name, &mask, NULL), AB_OK, "%s", name);
        cr_assert(mask & AB_CPU_BIT(i), "%s sets its own bit", name);
    }
    cr_assert_null(ab_cpu_feature_name(AB_CPU_FEATURE_COUNT));
}

Test(cpu, mask_closes_over_dependencies)
{
    uint64_t mask = 0;
    cr_assert_eq(ab_cpu_parse_mask("avx512f", &mask, NULL), AB_OK);
    uint64_t expect = AB_CPU_BIT(AB_CPU_AVX512F) | AB_CPU_BIT(AB_CPU_AVX512BW) | AB_CPU_BIT(AB_CPU_AVX512VL) |
                      AB_CPU_BIT(AB_CPU_AVX512DQ) | AB_CPU_BIT(AB_CPU_AVX512VNNI) | AB_CPU_BIT(AB_CPU_AVX512BF16);
    cr_assert_eq(mask, expect);
    cr_assert_eq(ab_cpu_parse_mask("avx2", &mask, NULL), AB_OK);
    cr_assert(mask & AB_CPU_BIT(AB_CPU_AVX512VNNI), "hiding avx2 hides all of AVX-512");
    cr_assert_eq(ab_cpu_parse_mask("fma,avx512vnni", &mask, NULL), AB_OK);
    cr_assert_eq(mask, AB_CPU_BIT(AB_CPU_FMA) | AB_CPU_BIT(AB_CPU_AVX512VNNI));
    cr_assert_eq(ab_cpu_parse_mask("none", &mask, NULL), AB_OK);
    cr_assert_eq(mask, 0);
    cr_assert_eq(ab_cpu_parse_mask("all", &mask, NULL), AB_OK);
    cr_assert_eq(mask, (UINT64_C(1) << AB_CPU_FEATURE_COUNT) - 1);
    cr_assert_eq(ab_cpu_parse_mask("0x4", &mask, NULL), AB_OK);
    cr_assert(mask & AB_CPU_BIT(AB_CPU_AVX512BW), "hex masks are closed too");
}

Test(cpu, bad_mask_is_an_error_naming_the_feature)
{
    uint64_t mask = 77;
    struct ab_error err;
    cr_assert_eq(ab_cpu_parse_mask("avx2,sse9", &mask, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "'sse9'"), "message: %s", err.msg);
    cr_assert_eq(mask, 77, "output untouched on failure");
    cr_assert_eq(ab_cpu_parse_mask("0xzz", &mask, &err), AB_EPARSE);
}

Test(cpu, format)
{
    char buf[64];
    ab_cpu_format(AB_CPU_BIT(AB_CPU_AVX2) | AB_CPU_BIT(AB_CPU_FMA), buf, sizeof buf);
    cr_assert_str_eq(buf, "avx2,fma");
    ab_cpu_format(0, buf, sizeof buf);
    cr_assert_str_eq(buf, "none");
    size_t need = ab_cpu_format(AB_ISA_AVX512, buf, 4);
    cr_assert_eq(strlen(buf), 3, "truncated but terminated");
    cr_assert_gt(need, 3);
}

Test(cpu, mask_hides_variants)
{
    uint64_t detected = ab_cpu_detect();
    if ((detected & AB_ISA_AVX512) != AB_ISA_AVX512)
        cr_skip_test("this CPU has no AVX-512: nothing to hide");
    ab_cpu_set_mask(AB_CPU_BIT(AB_CPU_AVX512F));
    cr_assert_eq(ab_cpu_features() & AB_CPU_BIT(AB_CPU_AVX512VNNI), 0);
    cr_assert(ab_cpu_features() & AB_CPU_BIT(AB_CPU_AVX2), "lower levels stay");
    const struct ab_kernel *k = ab_kernel_find("gemm_f32_avx512");
    cr_assert_not_null(k);
    const char *why = NULL;
    cr_assert_not(ab_kernel_runnable(k, ab_cpu_features(), NULL, &why));
    cr_assert_str_eq(why, "needs avx512f");
    const struct ab_kernel *best = ab_kernel_best(&ab_family_gemm_f32, NULL, ab_cpu_features());
    cr_assert_neq(best, k, "masked variant is never best");
    ab_cpu_set_mask(0);
    cr_assert(ab_kernel_runnable(k, ab_cpu_features(), NULL, NULL));
    cr_assert_eq(ab_kernel_best(&ab_family_gemm_f32, NULL, ab_cpu_features()), k, "unmasked: AVX-512 is best");
}

Test(cpu, environment_variable_sets_the_mask)
{
    /* Criterion runs each test in its own process, so the lazily read mask is fresh. */
    setenv("ARCHBENCH_CPU_MASK", "avx2", 1);
    cr_assert(ab_cpu_mask() & AB_CPU_BIT(AB_CPU_AVX2));
    cr_assert_eq(ab_cpu_features() & AB_CPU_BIT(AB_CPU_AVX2), 0);
}
