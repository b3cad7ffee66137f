/*
 * cpu.h - CPU feature detection with a mask that hides features.
 *
 * Features are detected once (CPUID + XGETBV on x86, so a feature the OS does not
 * save state for counts as absent; HWCAP on aarch64). A mask hides features so the
 * same binary can test and time lower ISA levels on a machine that has higher ones
 * (dav1d's cpu mask): hiding a feature also hides every feature that depends on it
 * (hiding avx512f hides avx512bw, avx512vl, avx512vnni, avx512bf16).
 *
 * The mask comes from ab_cpu_set_mask (the command's --cpu-mask flag) or, if that was
 * never called, from the environment variable ARCHBENCH_CPU_MASK. Its syntax is a
 * comma-separated list of feature names ("avx512f,fma"), or "all", or "none".
 */
#ifndef ARCHBENCH_CPU_H
#define ARCHBENCH_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/status.h"

/* name, bit, the feature it requires (or NONE), description */
#define AB_CPU_FEATURE_LIST(X)                                                         \
    X(AVX2, 0, NONE, "256-bit integer and float SIMD")                                 \
    X(FMA, 1, NONE, "fused multiply-add (FMA3)")                                       \
    X(AVX512F, 2, AVX2, "AVX-512 foundation")                                          \
    X(AVX512BW, 3, AVX512F, "AVX-512 byte and word")                                   \
    X(AVX512VL, 4, AVX512F, "AVX-512 vector length extensions")                        \
    X(AVX512DQ, 5, AVX512F, "AVX-512 doubleword and quadword")                         \
    X(AVX512VNNI, 6, AVX512BW, "AVX-512 vector neural network instructions")           \
    X(AVX512BF16, 7, AVX512BW, "AVX-512 bfloat16")                                     \
    X(NEON, 8, NONE, "Arm Advanced SIMD")

enum ab_cpu_feature {
#define AB_CPU_ENUM_(name, bit, needs, doc) AB_CPU_##name = (bit),
    AB_CPU_FEATURE_LIST(AB_CPU_ENUM_)
#undef AB_CPU_ENUM_
    AB_CPU_FEATURE_COUNT
};

#define AB_CPU_BIT(feature) (UINT64_C(1) << (feature))

/* Handy ISA-need masks used by kernel descriptors. */
#define AB_ISA_NONE UINT64_C(0)
#define AB_ISA_AVX2_FMA (AB_CPU_BIT(AB_CPU_AVX2) | AB_CPU_BIT(AB_CPU_FMA))
#define AB_ISA_AVX512                                                                  \
    (AB_ISA_AVX2_FMA | AB_CPU_BIT(AB_CPU_AVX512F) | AB_CPU_BIT(AB_CPU_AVX512BW) |     \
     AB_CPU_BIT(AB_CPU_AVX512VL) | AB_CPU_BIT(AB_CPU_AVX512DQ))
#define AB_ISA_AVX512VNNI (AB_ISA_AVX512 | AB_CPU_BIT(AB_CPU_AVX512VNNI))
#define AB_ISA_AVX512BF16 (AB_ISA_AVX512 | AB_CPU_BIT(AB_CPU_AVX512BF16))

/* Lower-case name ("avx512vnni"), or NULL for an out-of-range value. */
AB_API const char *ab_cpu_feature_name(enum ab_cpu_feature feature);

/* One-line description of the feature, or NULL for an out-of-range value. */
AB_API const char *ab_cpu_feature_doc(enum ab_cpu_feature feature);

/* Features the hardware and OS support, ignoring the mask. */
AB_API uint64_t ab_cpu_detect(void);

/* Features usable now: detected and not hidden by the mask. */
AB_API uint64_t ab_cpu_features(void);

/* The mask in effect (bits hidden), after closure over dependencies. */
AB_API uint64_t ab_cpu_mask(void);

/*
 * Parse a mask spec ("avx512f,fma", "all", "none", or a 0x hex bit mask) into bits,
 * closed over dependencies. AB_EPARSE with err naming the unknown feature.
 */
AB_API enum ab_status ab_cpu_parse_mask(const char *spec, uint64_t *out_mask, struct ab_error *err);

/* Set the mask (overrides ARCHBENCH_CPU_MASK). Bits are closed over dependencies. */
AB_API void ab_cpu_set_mask(uint64_t mask);

/*
 * Write the names of the features in `bits` into buf, comma-separated ("avx2,fma"),
 * or "none". Always NUL-terminates when buf_bytes > 0; returns the length it needed.
 */
AB_API size_t ab_cpu_format(uint64_t bits, char *buf, size_t buf_bytes);

/* ---- caches (CPUID) ------------------------------------------------------------------ */

enum ab_cpu_cache_type { AB_CPU_CACHE_DATA, AB_CPU_CACHE_INSTRUCTION, AB_CPU_CACHE_UNIFIED, AB_CPU_CACHE_TYPE_COUNT };

struct ab_cpu_cache {
    int level;                   /* 1, 2, 3, ... */
    enum ab_cpu_cache_type type;
    int64_t size_bytes;          /* one instance of the cache */
    int line_bytes;
    int n_sharing_cpus;          /* logical CPUs sharing one instance as CPUID states it (an
                                    upper bound from the APIC-id layout); -1 if not stated */
};

#define AB_CPU_MAX_CACHES 8

/*
 * The caches as CPUID describes them, for machines (many VMs) without
 * /sys/devices/system/cpu/cpu0/cache. Tried in order: Intel's deterministic cache
 * parameters (leaf 4), AMD's (leaf 0x8000001d, when the topology extensions are
 * advertised), then AMD's legacy size leaves 0x80000005/0x80000006 (sizes and lines,
 * no sharing). Sorted by level, data before instruction before unified, as sysfs lists
 * them. Writes at most max_caches entries and returns how many; 0 when CPUID says
 * nothing (or off x86). *out_source (if not NULL) names the leaves used, or "none".
 */
AB_API size_t ab_cpu_caches(struct ab_cpu_cache *out_caches, size_t max_caches, const char **out_source);

/* "Data", "Instruction", "Unified" (the sysfs spelling), or NULL when out of range. */
AB_API const char *ab_cpu_cache_type_name(enum ab_cpu_cache_type type);

/* Size of one instance of the data or unified cache of `level` per CPUID; 0 if unknown. */
AB_API int64_t ab_cpu_cache_bytes(int level);

/*
 * The last-level cache per CPUID: the highest level holding data. Its level goes to
 * *out_level and the CPUs sharing one instance to *out_n_sharing (-1 if not stated)
 * when those are not NULL. Returns the size of one instance, 0 if unknown.
 */
AB_API int64_t ab_cpu_llc_bytes(int *out_level, int *out_n_sharing);

#endif /* ARCHBENCH_CPU_H */
