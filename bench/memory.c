/*
 * memory.c - resident set size from /proc/self (see archbench/memory.h).
 *
 * Assumes the /proc/<pid>/status format of Linux: "VmHWM:\t   1936 kB" (the unit is
 * always kB). Uses open/read rather than stdio for the write to clear_refs, so a refused
 * write is seen at once and not at fclose.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archbench/memory.h"

bool ab_mem_peak_reset(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t w;
    do
        w = write(fd, "5", 1);
    while (w < 0 && errno == EINTR);
    close(fd);
    return w == 1;
}

/* Value of a "Key:   <n> kB" line of /proc/self/status, in bytes; -1 if absent. */
static int64_t status_kb_field(const char *key)
{
    FILE *fp = fopen("/proc/self/status", "re");
    if (!fp)
        return -1;
    char line[256];
    size_t klen = strlen(key);
    int64_t bytes = -1;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, key, klen) != 0 || line[klen] != ':')
            continue;
        char *end = NULL;
        errno = 0;
        long long kb = strtoll(line + klen + 1, &end, 10);
        if (end != line + klen + 1 && errno == 0 && kb >= 0 && kb <= INT64_MAX / 1024)
            bytes = (int64_t)kb * 1024;
        break;
    }
    fclose(fp);
    return bytes;
}

int64_t ab_mem_peak_rss_bytes(void)
{
    return status_kb_field("VmHWM");
}

int64_t ab_mem_rss_bytes(void)
{
    return status_kb_field("VmRSS");
}
