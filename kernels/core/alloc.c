/*
 * alloc.c - the allocation shim: size-tracking wrappers around malloc with fault
 * injection and peak accounting.
 *
 * Each block carries a 16-byte header just below the returned pointer holding the
 * user size and the offset back to the start of the raw malloc block, so ab_free needs
 * no lookup and aligned and plain blocks share one free path. Counters are C11 atomics:
 * the shim is called from OpenMP threads and from Criterion's test processes.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/alloc.h"

struct block_header {
    size_t bytes;    /* user size */
    size_t offset;   /* user pointer - raw pointer */
};

#define HEADER_BYTES 16
#define MAX_ALIGN 4096

_Static_assert(sizeof(struct block_header) <= HEADER_BYTES, "header fits");

static atomic_uint_fast64_t n_allocs;
static atomic_uint_fast64_t n_frees;
static atomic_uint_fast64_t n_failed;
static atomic_uint_fast64_t bytes_live;
static atomic_uint_fast64_t bytes_peak;
/* Allocations left before an injected failure; 0 = injection off. */
static atomic_uint_fast64_t fail_countdown;
static atomic_int fail_sticky;
static atomic_int fail_tripped;

static int inject_failure(void)
{
    if (atomic_load_explicit(&fail_tripped, memory_order_relaxed) &&
        atomic_load_explicit(&fail_sticky, memory_order_relaxed))
        return 1;
    uint_fast64_t left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    while (left > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &left, left - 1)) {
            if (left == 1) {
                atomic_store(&fail_tripped, 1);
                return 1;
            }
            return 0;
        }
    }
    return 0;
}

static void account_alloc(size_t bytes)
{
    atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
    uint_fast64_t live = atomic_fetch_add_explicit(&bytes_live, bytes, memory_order_relaxed) + bytes;
    uint_fast64_t peak = atomic_load_explicit(&bytes_peak, memory_order_relaxed);
    while (live > peak && !atomic_compare_exchange_weak(&bytes_peak, &peak, live)) {
    }
}

static void *alloc_aligned(size_t align, size_t bytes)
{
    if (align < HEADER_BYTES)
        align = HEADER_BYTES;
    if (inject_failure() || bytes > SIZE_MAX - align - HEADER_BYTES) {
        atomic_fetch_add_explicit(&n_failed, 1, memory_order_relaxed);
        return NULL;
    }
    unsigned char *raw = malloc(bytes + align + HEADER_BYTES);
    if (!raw) {
        atomic_fetch_add_explicit(&n_failed, 1, memory_order_relaxed);
        return NULL;
    }
    uintptr_t start = (uintptr_t)raw + HEADER_BYTES;
    uintptr_t user = (start + (align - 1)) & ~(uintptr_t)(align - 1);
    struct block_header h = {.bytes = bytes, .offset = (size_t)(user - (uintptr_t)raw)};
    memcpy((unsigned char *)user - HEADER_BYTES, &h, sizeof h);
    account_alloc(bytes);
    return (void *)user;
}

static struct block_header header_of(const void *ptr)
{
    struct block_header h;
    memcpy(&h, (const unsigned char *)ptr - HEADER_BYTES, sizeof h);
    return h;
}

void *ab_malloc(size_t bytes)
{
    return alloc_aligned(HEADER_BYTES, bytes);
}

void *ab_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        atomic_fetch_add_explicit(&n_failed, 1, memory_order_relaxed);
        return NULL;
    }
    void *p = alloc_aligned(HEADER_BYTES, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *ab_aligned_alloc(size_t align, size_t bytes)
{
    if (align == 0 || (align & (align - 1)) != 0 || align > MAX_ALIGN)
        return NULL;
    return alloc_aligned(align, bytes);
}

void *ab_realloc(void *ptr, size_t bytes)
{
    if (!ptr)
        return ab_malloc(bytes);
    struct block_header h = header_of(ptr);
    /* Shrinking in place keeps the accounting exact without a copy. */
    if (bytes <= h.bytes) {
        struct block_header nh = {.bytes = bytes, .offset = h.offset};
        memcpy((unsigned char *)ptr - HEADER_BYTES, &nh, sizeof nh);
        atomic_fetch_sub_explicit(&bytes_live, h.bytes - bytes, memory_order_relaxed);
        return ptr;
    }
    void *fresh = ab_malloc(bytes);
    if (!fresh)
        return NULL;
    memcpy(fresh, ptr, h.bytes);
    ab_free(ptr);
    return fresh;
}

void ab_free(void *ptr)
{
    if (!ptr)
        return;
    struct block_header h = header_of(ptr);
    atomic_fetch_add_explicit(&n_frees, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&bytes_live, h.bytes, memory_order_relaxed);
    free((unsigned char *)ptr - h.offset);
}

void ab_alloc_get_stats(struct ab_alloc_stats *out_stats)
{
    out_stats->n_allocs = atomic_load(&n_allocs);
    out_stats->n_frees = atomic_load(&n_frees);
    out_stats->n_failed = atomic_load(&n_failed);
    out_stats->bytes_live = atomic_load(&bytes_live);
    out_stats->bytes_peak = atomic_load(&bytes_peak);
}

void ab_alloc_reset_peak(void)
{
    atomic_store(&bytes_peak, atomic_load(&bytes_live));
}

void ab_alloc_fail_at(uint64_t n, int sticky)
{
    atomic_store(&fail_tripped, 0);
    atomic_store(&fail_sticky, sticky != 0);
    atomic_store(&fail_countdown, n);
}
