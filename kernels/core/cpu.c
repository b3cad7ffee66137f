/*
 * cpu.c - CPU feature detection and the feature mask.
 *
 * x86: CPUID leaves 1 and 7, and XGETBV to check that the OS saves the AVX and
 * AVX-512 register state (a CPU flag without OS support must count as absent, or the
 * first zmm instruction faults). aarch64: NEON (ASIMD) is architectural. Detection
 * runs once; the result and the mask are atomics so any thread may ask.
 *
 * Caches: the CPUID cache leaves, because VMs often have no sysfs cache directory and
 * the memory probes must still be sized beyond the last-level cache. Read once per
 * process: in a VM every CPUID is a trap to the hypervisor, and the planner asks for the
 * last-level cache once per probe case (a fuzzer building plans spent 18% of its time there).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
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

/* ---- caches ------------------------------------------------------------------------------ */

static const char *const cache_type_names[] = {"Data", "Instruction", "Unified"};
_Static_assert(sizeof cache_type_names / sizeof cache_type_names[0] == AB_CPU_CACHE_TYPE_COUNT, "cache type names");

const char *ab_cpu_cache_type_name(enum ab_cpu_cache_type type)
{
    if ((int)type < 0 || type >= AB_CPU_CACHE_TYPE_COUNT)
        return NULL;
    return cache_type_names[type];
}

#if defined(__x86_64__) || defined(__i386__)
/*
 * Deterministic cache parameters, the same layout in Intel's leaf 4 and AMD's leaf
 * 0x8000001d: EAX type (0 ends the list) | level << 5 | (sharing - 1) << 14; EBX
 * (line - 1) | (partitions - 1) << 12 | (ways - 1) << 22; ECX sets - 1. Size is
 * ways x partitions x line x sets (a fully associative cache reports 1 set).
 */
static size_t caches_deterministic(unsigned leaf, struct ab_cpu_cache *out, size_t max)
{
    size_t n = 0;
    for (unsigned i = 0; i < 32 && n < max; i++) {
        unsigned a, b, c, d;
        __cpuid_count(leaf, i, a, b, c, d);
        unsigned type = a & 0x1f;
        if (type == 0)
            break;
        if (type > 3)
            continue; /* reserved types */
        int64_t line = (int64_t)(b & 0xfff) + 1, partitions = (int64_t)((b >> 12) & 0x3ff) + 1,
                ways = (int64_t)((b >> 22) & 0x3ff) + 1, sets = (int64_t)c + 1;
        out[n++] = (struct ab_cpu_cache){
            .level = (int)((a >> 5) & 7),
            .type = type == 1 ? AB_CPU_CACHE_DATA : type == 2 ? AB_CPU_CACHE_INSTRUCTION : AB_CPU_CACHE_UNIFIED,
            .size_bytes = ways * partitions * line * sets,
            .line_bytes = (int)line,
            .n_sharing_cpus = (int)((a >> 14) & 0xfff) + 1,
        };
    }
    return n;
}

/*
 * AMD's legacy leaves, all some hypervisors pass through (no topology extensions):
 * 0x80000005 ECX/EDX L1d/L1i size in KiB << 24, line in bits 7:0; 0x80000006 ECX L2
 * size in KiB << 16, EDX L3 size in 512 KiB units << 18 (0: absent). No sharing.
 */
static size_t caches_amd_legacy(unsigned max_ext, struct ab_cpu_cache *out, size_t max)
{
    size_t n = 0;
    unsigned a, b, c, d;
    if (max_ext >= 0x80000005) {
        __cpuid(0x80000005, a, b, c, d);
        if ((c >> 24) && n < max)
            out[n++] = (struct ab_cpu_cache){1, AB_CPU_CACHE_DATA, (int64_t)(c >> 24) << 10, (int)(c & 0xff), -1};
        if ((d >> 24) && n < max)
            out[n++] =
                (struct ab_cpu_cache){1, AB_CPU_CACHE_INSTRUCTION, (int64_t)(d >> 24) << 10, (int)(d & 0xff), -1};
    }
    if (max_ext >= 0x80000006) {
        __cpuid(0x80000006, a, b, c, d);
        if ((c >> 16) && n < max)
            out[n++] = (struct ab_cpu_cache){2, AB_CPU_CACHE_UNIFIED, (int64_t)(c >> 16) << 10, (int)(c & 0xff), -1};
        if ((d >> 18) && n < max)
            out[n++] = (struct ab_cpu_cache){3, AB_CPU_CACHE_UNIFIED, (int64_t)(d >> 18) << 19, (int)(d & 0xff), -1};
    }
    return n;
}

static int cache_order(const void *pa, const void *pb)
{
    const struct ab_cpu_cache *x = pa, *y = pb;
    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    return (x->type > y->type) - (x->type < y->type);
}
#endif

static size_t caches_read(struct ab_cpu_cache *out_caches, size_t max_caches, const char **out_source)
{
    const char *source = "none";
    size_t n = 0;
#if defined(__x86_64__) || defined(__i386__)
    unsigned max_basic, max_ext, b, c, d, e;
    char vendor[13];
    __cpuid(0, max_basic, b, c, d);
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = '\0';
    bool amd = strcmp(vendor, "AuthenticAMD") == 0 || strcmp(vendor, "HygonGenuine") == 0;
    __cpuid(0x80000000, max_ext, b, c, d);
    if (max_ext < 0x80000000)
        max_ext = 0;
    bool topoext = false;
    if (max_ext >= 0x80000001) {
        __cpuid(0x80000001, e, b, c, d);
        topoext = (c >> 22) & 1;
    }
    /* Leaf 4 is reserved on AMD: only Intel-style vendors are asked. */
    if (!amd && max_basic >= 4 && (n = caches_deterministic(4, out_caches, max_caches)) > 0)
        source = "cpuid leaf 4";
    else if (amd && topoext && max_ext >= 0x8000001d &&
             (n = caches_deterministic(0x8000001d, out_caches, max_caches)) > 0)
        source = "cpuid leaf 0x8000001d";
    else if (amd && (n = caches_amd_legacy(max_ext, out_caches, max_caches)) > 0)
        source = "cpuid leaves 0x80000005-6";
    if (n > 1)
        qsort(out_caches, n, sizeof *out_caches, cache_order);
#else
    (void)out_caches;
    (void)max_caches;
#endif
    if (out_source)
        *out_source = source;
    return n;
}

static struct {
    pthread_once_t once;
    struct ab_cpu_cache caches[AB_CPU_MAX_CACHES];
    size_t n;
    const char *source;
} cache_info = {.once = PTHREAD_ONCE_INIT};

static void caches_read_once(void)
{
    cache_info.n = caches_read(cache_info.caches, AB_CPU_MAX_CACHES, &cache_info.source);
}

size_t ab_cpu_caches(struct ab_cpu_cache *out_caches, size_t max_caches, const char **out_source)
{
    pthread_once(&cache_info.once, caches_read_once);
    size_t n = cache_info.n < max_caches ? cache_info.n : max_caches;
    if (n > 0)
        memcpy(out_caches, cache_info.caches, n * sizeof *out_caches);
    if (out_source)
        *out_source = cache_info.source;
    return n;
}

int64_t ab_cpu_cache_bytes(int level)
{
    struct ab_cpu_cache caches[AB_CPU_MAX_CACHES];
    size_t n = ab_cpu_caches(caches, AB_CPU_MAX_CACHES, NULL);
    for (size_t i = 0; i < n; i++)
        if (caches[i].level == level && caches[i].type != AB_CPU_CACHE_INSTRUCTION)
            return caches[i].size_bytes;
    return 0;
}

int64_t ab_cpu_llc_bytes(int *out_level, int *out_n_sharing)
{
    struct ab_cpu_cache caches[AB_CPU_MAX_CACHES];
    size_t n = ab_cpu_caches(caches, AB_CPU_MAX_CACHES, NULL);
    const struct ab_cpu_cache *llc = NULL;
    for (size_t i = 0; i < n; i++)
        if (caches[i].type != AB_CPU_CACHE_INSTRUCTION && caches[i].size_bytes > 0 &&
            (!llc || caches[i].level >= llc->level))
            llc = &caches[i];
    if (!llc)
        return 0;
    if (out_level)
        *out_level = llc->level;
    if (out_n_sharing)
        *out_n_sharing = llc->n_sharing_cpus;
    return llc->size_bytes;
}
