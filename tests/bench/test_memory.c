/*
 * test_memory.c - the peak resident set sees a deliberate allocation of known size.
 * Not run in parallel with other tests: it measures its own process's memory.
 */
#include <stdint.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/memory.h"

#define MIB (1024 * 1024)

Test(memory, rss_is_readable)
{
    int64_t rss = ab_mem_rss_bytes(), hwm = ab_mem_peak_rss_bytes();
    if (rss < 0 || hwm < 0)
        cr_skip_test("no VmRSS/VmHWM in /proc/self/status here");
    cr_assert(rss > 0);
    cr_assert(hwm >= rss, "VmHWM %lld < VmRSS %lld", (long long)hwm, (long long)rss);
}

Test(memory, peak_sees_64_mib_touched_after_reset)
{
    if (!ab_mem_peak_reset())
        cr_skip_test("/proc/self/clear_refs does not accept 5 here");
    int64_t before = ab_mem_peak_rss_bytes();
    cr_assert(before > 0);

    size_t bytes = (size_t)64 * MIB;
    volatile unsigned char *p = ab_malloc(bytes);
    cr_assert_not_null(p);
    long page = sysconf(_SC_PAGESIZE);
    size_t step = page > 0 ? (size_t)page : 4096;
    for (size_t i = 0; i < bytes; i += step)
        p[i] = (unsigned char)(i / step);   /* write every page so it becomes resident */
    int64_t after = ab_mem_peak_rss_bytes();
    ab_free((void *)(uintptr_t)p);

    cr_assert(after - before >= 60 * MIB, "VmHWM rose by %lld bytes only", (long long)(after - before));
}
