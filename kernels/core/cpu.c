/*
 * cpu.c - CPU feature detection and the feature mask.
 *
 * x86: CPUID leaves 1 and 7, and XGETBV to check that the OS saves the AVX and
 * AVX-512 register state (a CPU flag without OS support must count as absent, or the
 * first zmm instruction faults). aarch64: NEON (ASIMD) is architectural. Detection
 * runs once; the result and the mask are atomics so any thread may ask.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

struct feature_info {
    const char *name;
    const char *doc;
    int needs; /* feature index this one requires, or -1 */
};

#define AB_CPU_NEEDS_NONE (-1)
#define AB_CPU_INFO_(name, bit, needs, doc) [bit] = {0, doc, AB_CPU_NEEDS_##needs},
enum { AB_CPU_NEEDS_AVX2 = AB_CPU_AVX2, AB_CPU_NEEDS_AVX512F = AB_CPU_AVX512F, AB_CPU_NEEDS_AVX512BW = AB_CPU_AVX512BW };
static const struct feature_info feature_table[AB_CPU_FEATURE_COUNT] = {AB_CPU_FEATURE_LIST(AB_CPU_INFO_)};
#undef AB_CPU_INFO_

/* Lower-case names, generated from the list so a new feature cannot be forgotten. */
static const char *const feature_names[AB_CPU_FEATURE_COUNT] = {
    [AB_CPU_AVX2] = "avx2",           [AB_CPU_FMA] = "fma",
    [AB_CPU_AVX512F] = "avx512f",     [AB_CPU_AVX512BW] = "avx512bw",
    [AB_CPU_AVX512VL] = "avx512vl",   [AB_CPU_AVX512DQ] = "avx512dq",
    [AB_CPU_AVX512VNNI] = "avx512vnni", [AB_CPU_AVX512BF16] = "avx512bf16",
    [AB_CPU_NEON] = "neon",
};
_Static_assert(AB_CPU_FEATURE_COUNT <= 64, "features fit a uint64_t mask");

const char *ab_cpu_feature_name(enum ab_cpu_feature feature)
{
    if ((int)feature < 0 || feature >= AB_CPU_FEATURE_COUNT)
        return NULL;
    return feature_names[feature];
}

const char *ab_cpu_feature_doc(enum ab_cpu_feature feature)
{
    if ((int)feature < 0 || feature >= AB_CPU_FEATURE_COUNT)
        return NULL;
    return feature_table[feature].doc;
}

#if defined(__x86_64__) || defined(__i386__)
static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t detect_x86(void)
{
    unsigned a, b, c, d;
    uint64_t f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    int has_osxsave = (c >> 27) & 1;
    int has_fma = (c >> 12) & 1;
    int has_avx = (c >> 28) & 1;
    if (!has_osxsave || !has_avx)
        return 0;
    uint64_t xcr0 = read_xcr0();
    int os_avx = (xcr0 & 0x6) == 0x6;           /* XMM and YMM state */
    int os_avx512 = (xcr0 & 0xe6) == 0xe6;      /* + opmask, ZMM_Hi256, Hi16_ZMM */
    if (!os_avx)
        return 0;
    if (has_fma)
        f |= AB_CPU_BIT(AB_CPU_FMA);
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return f;
    unsigned leaf7_max_sub = a;
    if ((b >> 5) & 1)
        f |= AB_CPU_BIT(AB_CPU_AVX2);
    if (os_avx512 && ((b >> 16) & 1)) {
        f |= AB_CPU_BIT(AB_CPU_AVX512F);
        if ((b >> 17) & 1)
            f |= AB_CPU_BIT(AB_CPU_AVX512DQ);
        if ((b >> 30) & 1)
            f |= AB_CPU_BIT(AB_CPU_AVX512BW);
        if ((b >> 31) & 1)
            f |= AB_CPU_BIT(AB_CPU_AVX512VL);
        if ((c >> 11) & 1)
            f |= AB_CPU_BIT(AB_CPU_AVX512VNNI);
        if (leaf7_max_sub >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 5) & 1))
            f |= AB_CPU_BIT(AB_CPU_AVX512BF16);
    }
    return f;
}
#endif

static uint64_t detect(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return detect_x86();
#elif defined(__aarch64__)
    return AB_CPU_BIT(AB_CPU_NEON);
#else
    return 0;
#endif
}

/* Bit 63 marks "computed" so 0 can be a valid value. */
#define COMPUTED (UINT64_C(1) << 63)
static atomic_uint_fast64_t detected_cache;
static atomic_uint_fast64_t mask_cache;

uint64_t ab_cpu_detect(void)
{
    uint64_t v = atomic_load(&detected_cache);
    if (!(v & COMPUTED)) {
        v = detect() | COMPUTED;
        atomic_store(&detected_cache, v);
    }
    return v & ~COMPUTED;
}

/* Hiding a feature hides everything that (transitively) requires it. */
static uint64_t close_mask(uint64_t mask)
{
    int changed = 1;
    while (changed) {
        changed = 0;
        for (int i = 0; i < AB_CPU_FEATURE_COUNT; i++) {
            int need = feature_table[i].needs;
            if (need >= 0 && (mask & AB_CPU_BIT(need)) && !(mask & AB_CPU_BIT(i))) {
                mask |= AB_CPU_BIT(i);
                changed = 1;
            }
        }
    }
    return mask;
}

enum ab_status ab_cpu_parse_mask(const char *spec, uint64_t *out_mask, struct ab_error *err)
{
    uint64_t mask = 0;
    if (!spec || !*spec || strcmp(spec, "none") == 0) {
        *out_mask = 0;
        return AB_OK;
    }
    if (strcmp(spec, "all") == 0) {
        *out_mask = (UINT64_C(1) << AB_CPU_FEATURE_COUNT) - 1;
        return AB_OK;
    }
    if (spec[0] == '0' && (spec[1] == 'x' || spec[1] == 'X')) {
        char *end = NULL;
        unsigned long long v = strtoull(spec, &end, 16);
        if (!end || *end != '\0' || end == spec + 2)
            return ab_error_set(err, AB_EPARSE, "cpu mask '%s' is not a hex number", spec);
        if (v >> AB_CPU_FEATURE_COUNT)
            return ab_error_set(err, AB_EPARSE, "cpu mask '%s' has bits beyond the %d known features", spec,
                                AB_CPU_FEATURE_COUNT);
        *out_mask = close_mask((uint64_t)v);
        return AB_OK;
    }
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int found = -1;
        for (int i = 0; i < AB_CPU_FEATURE_COUNT; i++)
            if (strlen(feature_names[i]) == len && strncmp(feature_names[i], p, len) == 0)
                found = i;
        if (found < 0)
            return ab_error_set(err, AB_EPARSE, "cpu mask: unknown feature '%.*s'", (int)len, p);
        mask |= AB_CPU_BIT(found);
        if (!comma)
            break;
        p = comma + 1;
    }
    *out_mask = close_mask(mask);
    return AB_OK;
}

void ab_cpu_set_mask(uint64_t mask)
{
    atomic_store(&mask_cache, close_mask(mask) | COMPUTED);
}

uint64_t ab_cpu_mask(void)
{
    uint64_t v = atomic_load(&mask_cache);
    if (!(v & COMPUTED)) {
        uint64_t mask = 0;
        /* An unparsable environment value hides nothing; the command validates the
         * variable itself and reports it, the library never prints. */
        if (ab_cpu_parse_mask(getenv("ARCHBENCH_CPU_MASK"), &mask, NULL) != AB_OK)
            mask = 0;
        v = mask | COMPUTED;
        atomic_store(&mask_cache, v);
    }
    return v & ~COMPUTED;
}

uint64_t ab_cpu_features(void)
{
    return ab_cpu_detect() & ~ab_cpu_mask();
}

size_t ab_cpu_format(uint64_t bits, char *buf, size_t buf_bytes)
{
    size_t need = 0;
    int first = 1;
    if (buf_bytes > 0)
        buf[0] = '\0';
    for (int i = 0; i < AB_CPU_FEATURE_COUNT; i++) {
        if (!(bits & AB_CPU_BIT(i)))
            continue;
        int n = snprintf(buf ? buf + (need < buf_bytes ? need : buf_bytes) : NULL,
                         need < buf_bytes ? buf_bytes - need : 0, "%s%s", first ? "" : ",", feature_names[i]);
        need += (size_t)n;
        first = 0;
    }
    if (first) {
        int n = snprintf(buf, buf_bytes, "none");
        need = (size_t)n;
    }
    return need;
}
