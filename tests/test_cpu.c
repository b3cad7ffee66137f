/*
 * test_cpu.c - CPU feature names, mask parsing and closure, and the effect of the
 * mask on which variants are runnable and which one is "best"; cache sizes from
 * CPUID and the memory probes sized from them.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/kernel.h"
#include "archbench/probe.h"

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

Test(cpu, cpuid_caches_are_plausible)
{
    struct ab_cpu_cache caches[AB_CPU_MAX_CACHES];
    const char *source = NULL;
    size_t n = ab_cpu_caches(caches, AB_CPU_MAX_CACHES, &source);
    cr_assert_not_null(source);
#if defined(__x86_64__) || defined(__i386__)
    cr_assert_gt(n, 0, "every x86 CPU of the last decade states its caches in CPUID (source %s)", source);
#else
    if (n == 0)
        cr_skip_test("no CPUID cache leaves off x86");
#endif
    for (size_t i = 0; i < n; i++) {
        cr_assert(caches[i].level >= 1 && caches[i].level <= 4, "level %d", caches[i].level);
        cr_assert_not_null(ab_cpu_cache_type_name(caches[i].type));
        cr_assert_gt(caches[i].size_bytes, 0);
        cr_assert(caches[i].line_bytes == 0 || (caches[i].line_bytes & (caches[i].line_bytes - 1)) == 0,
                  "line %d is a power of two", caches[i].line_bytes);
        if (i > 0)
            cr_assert_geq(caches[i].level, caches[i - 1].level, "sorted by level");
    }
    int64_t l1d = ab_cpu_cache_bytes(1), l2 = ab_cpu_cache_bytes(2);
    int level = 0;
    int64_t llc = ab_cpu_llc_bytes(&level, NULL);
    cr_assert_gt(l1d, 0, "an L1 data cache");
    cr_assert_gt(llc, 0, "a last-level cache");
    cr_assert_geq(level, 1);
    cr_assert_geq(llc, l1d, "LLC %lld >= L1d %lld", (long long)llc, (long long)l1d);
    if (l2 > 0) {
        cr_assert_geq(l2, l1d, "L2 %lld >= L1d %lld", (long long)l2, (long long)l1d);
        cr_assert_geq(llc, l2, "LLC %lld >= L2 %lld", (long long)llc, (long long)l2);
    }
    cr_assert_eq(ab_cpu_cache_bytes(9), 0, "no such level");
}

/* The memory probes' default (n=auto) working set is at least 4x the LLC, per kind. */
Test(cpu, memory_probes_sized_beyond_the_llc)
{
    int64_t llc = ab_cpu_llc_bytes(NULL, NULL);
    if (llc <= 0)
        cr_skip_test("CPUID states no last-level cache here");
    const struct ab_kernel *ref = ab_kernel_ref(&ab_family_peak);
    cr_assert_not_null(ref);
    int in_default[AB_PROBE_KIND_COUNT] = {0};
    for (size_t i = 0; i < ab_family_peak.n_sweep_default; i++) {
        const struct ab_shape *s = &ab_family_peak.sweep_default[i];
        enum ab_probe_kind kind = (enum ab_probe_kind)s->v[0];
        if (kind != AB_PROBE_MEM_READ && kind != AB_PROBE_MEM_TRIAD)
            continue;
        in_default[kind]++;
        cr_assert_eq(s->v[1], AB_PROBE_N_AUTO, "the default sweep sizes memory probes from the cache");
        /* bytes(): what one call reads and writes, i.e. its working set. */
        double ws = ref->bytes(s);
        cr_assert_geq(ws, (double)AB_PROBE_LLC_FACTOR * (double)llc, "kind %d: working set %.0f < 4 x LLC %lld",
                      (int)kind, ws, (long long)llc);
        char text[128];
        ab_shape_format(&ab_family_peak, s, text, sizeof text);
        cr_assert(strstr(text, "n=auto"), "shape text says auto: %s", text);
    }
    cr_assert_eq(in_default[AB_PROBE_MEM_READ], 1);
    cr_assert_eq(in_default[AB_PROBE_MEM_TRIAD], 1);
    /* An explicit n is taken as it is. */
    struct ab_shape fixed = {{AB_PROBE_MEM_READ, 1000}};
    cr_assert_eq(ref->bytes(&fixed), 4000.0);
}
