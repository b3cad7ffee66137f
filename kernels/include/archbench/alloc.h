/*
 * alloc.h - the one allocation shim.
 *
 * Every heap allocation of archbench goes through these functions (libcsv and cJSON
 * are hooked to them too), for two reasons: tests can make the N-th allocation fail
 * and check that the caller fails cleanly without leaking, and the runner can read
 * the peak number of live bytes over a measured region. Counters are atomic, so the
 * shim may be used from OpenMP threads.
 *
 * Blocks from ab_malloc/ab_calloc/ab_realloc/ab_aligned_alloc must be released with
 * ab_free (never free()). ab_free(NULL) is a no-op.
 */
#ifndef ARCHBENCH_ALLOC_H
#define ARCHBENCH_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"

/* 16-byte aligned block of `bytes`, or NULL on failure (or injected failure). */
AB_API void *ab_malloc(size_t bytes);

/* Zeroed block of n * size bytes; NULL on failure or if the product overflows. */
AB_API void *ab_calloc(size_t n, size_t size);

/* Resize; NULL on failure, in which case `ptr` is untouched and still owned. */
AB_API void *ab_realloc(void *ptr, size_t bytes);

/* Block aligned to `align` (a power of two, at most 4096); NULL on failure. */
AB_API void *ab_aligned_alloc(size_t align, size_t bytes);

/* Release a block from any function above; NULL is a no-op. */
AB_API void ab_free(void *ptr);

/* Shim counters since the last ab_alloc_reset_peak (peak) or program start. */
struct ab_alloc_stats {
    uint64_t n_allocs;         /* successful allocations */
    uint64_t n_frees;          /* blocks released */
    uint64_t n_failed;         /* allocations refused (real or injected) */
    uint64_t bytes_live;       /* bytes currently allocated */
    uint64_t bytes_peak;       /* highest bytes_live since the last reset */
};

AB_API void ab_alloc_get_stats(struct ab_alloc_stats *out_stats);

/* Set bytes_peak to the current bytes_live, to start a measured region. */
AB_API void ab_alloc_reset_peak(void);

/*
 * Fault injection for tests: the n-th allocation from now (1 = the next one) returns
 * NULL, and so does every later one when `sticky` is true. n = 0 disables injection.
 */
AB_API void ab_alloc_fail_at(uint64_t n, int sticky);

#endif /* ARCHBENCH_ALLOC_H */
