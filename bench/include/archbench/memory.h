/*
 * memory.h - the process's resident set, peak and current, from Linux's /proc.
 *
 * The peak over a measured region: ab_mem_peak_reset() before it (writes "5" to
 * /proc/self/clear_refs, which sets the high-water mark VmHWM back to the current RSS,
 * Linux >= 4.0), ab_mem_peak_rss_bytes() after it. getrusage's ru_maxrss is not used: it
 * cannot be reset and is inherited across fork/exec. Elsewhere everything is unavailable
 * (false / -1, reported as NA, never 0). The peak is process wide: other threads count.
 */
#ifndef ARCHBENCH_MEMORY_H
#define ARCHBENCH_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "archbench/api.h"

/* Reset the peak resident set to the current one; false if unsupported here. */
AB_API bool ab_mem_peak_reset(void);

/* Peak resident set (VmHWM of /proc/self/status) in bytes; -1 if unavailable. */
AB_API int64_t ab_mem_peak_rss_bytes(void);

/* Current resident set (VmRSS) in bytes; -1 if unavailable. */
AB_API int64_t ab_mem_rss_bytes(void);

#endif /* ARCHBENCH_MEMORY_H */
