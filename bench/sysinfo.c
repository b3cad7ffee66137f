/*
 * sysinfo.c - reads the machine description from /proc, /sys, uname and CPUID.
 * Linux first; elsewhere the fields stay NA. Never prints. Caches come from sysfs, or
 * from CPUID (ab_cpu_caches) where sysfs has none, as in many VMs; cache_source says
 * which.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "archbench/cpu.h"
#include "archbench/sysinfo.h"

/* First line of a small file, trailing newline removed; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t n)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return false;
    bool ok = fgets(buf, (int)n, fp) != NULL;
    fclose(fp);
    if (ok)
        buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

static long long read_ll(const char *path, long long fallback)
{
    char buf[64];
    if (!read_line(path, buf, sizeof buf))
        return fallback;
    char *end = NULL;
    long long v = strtoll(buf, &end, 10);
    return end == buf ? fallback : v;
}

/* Value of "key : value" in /proc/cpuinfo or /proc/meminfo style files. */
static bool read_keyed(const char *path, const char *key, char *out, size_t n)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return false;
    char line[512];
    size_t klen = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof line, fp)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        const char *p = line + klen;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ':')
            continue;
        p++;
        while (*p == ' ')
            p++;
        snprintf(out, n, "%s", p);
        out[strcspn(out, "\n")] = '\0';
        found = true;
    }
    fclose(fp);
    return found;
}

static int64_t parse_size(const char *s)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end == s)
        return -1;
    if (*end == 'K')
        v *= 1024;
    else if (*end == 'M')
        v *= 1024 * 1024;
    return v;
}

static int count_cpu_list(const char *list)
{
    /* "0-3,8,10-11" */
    int count = 0;
    const char *p = list;
    while (*p) {
        char *end = NULL;
        long a = strtol(p, &end, 10);
        if (end == p)
            break;
        long b = a;
        if (*end == '-') {
            p = end + 1;
            b = strtol(p, &end, 10);
        }
        count += (int)(b - a + 1);
        p = *end == ',' ? end + 1 : end;
        if (*end != ',')
            break;
    }
    return count;
}

static void read_caches(struct ab_sysinfo *info)
{
    for (int idx = 0; idx < 16 && info->n_caches < AB_SYSINFO_MAX_CACHES; idx++) {
        char path[128], buf[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        if (!read_line(path, buf, sizeof buf))
            break;
        struct ab_cache_info *c = &info->caches[info->n_caches++];
        c->level = atoi(buf);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        if (!read_line(path, c->type, sizeof c->type))
            snprintf(c->type, sizeof c->type, "NA");
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        c->size_bytes = read_line(path, buf, sizeof buf) ? parse_size(buf) : -1;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", idx);
        c->n_sharing_cpus = read_line(path, buf, sizeof buf) ? count_cpu_list(buf) : -1;
    }
    if (info->n_caches > 0) {
        snprintf(info->cache_source, sizeof info->cache_source, "sysfs");
        return;
    }
    struct ab_cpu_cache cpuid[AB_SYSINFO_MAX_CACHES];
    const char *source = "none";
    size_t n = ab_cpu_caches(cpuid, AB_SYSINFO_MAX_CACHES, &source);
    snprintf(info->cache_source, sizeof info->cache_source, "%s", source);
    for (size_t i = 0; i < n; i++) {
        struct ab_cache_info *c = &info->caches[info->n_caches++];
        c->level = cpuid[i].level;
        snprintf(c->type, sizeof c->type, "%s", ab_cpu_cache_type_name(cpuid[i].type));
        c->size_bytes = cpuid[i].size_bytes;
        c->n_sharing_cpus = cpuid[i].n_sharing_cpus;
    }
}

static void read_hypervisor(struct ab_sysinfo *info)
{
    snprintf(info->hypervisor, sizeof info->hypervisor, "none");
    info->is_vm = false;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d) && ((c >> 31) & 1)) {
        info->is_vm = true;
        unsigned regs[3];
        __cpuid(0x40000000, a, regs[0], regs[1], regs[2]);
        char vendor[13];
        memcpy(vendor, regs, 12);
        vendor[12] = '\0';
        snprintf(info->hypervisor, sizeof info->hypervisor, "%s", vendor[0] ? vendor : "unknown");
    }
#endif
    /* Fallback for other architectures: the kernel's view. */
    if (!info->is_vm) {
        char buf[64];
        if (read_line("/sys/hypervisor/type", buf, sizeof buf)) {
            info->is_vm = true;
            snprintf(info->hypervisor, sizeof info->hypervisor, "%.31s", buf);
        }
    }
}

void ab_sysinfo_collect(struct ab_sysinfo *info)
{
    memset(info, 0, sizeof *info);
    if (!read_keyed("/proc/cpuinfo", "model name", info->cpu_model, sizeof info->cpu_model))
        snprintf(info->cpu_model, sizeof info->cpu_model, "NA");
    if (!read_keyed("/proc/cpuinfo", "vendor_id", info->cpu_vendor, sizeof info->cpu_vendor))
        snprintf(info->cpu_vendor, sizeof info->cpu_vendor, "NA");
    info->n_cpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
#ifdef __linux__
    cpu_set_t set;
    info->n_cpus_allowed = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
#else
    info->n_cpus_allowed = -1;
#endif
    read_caches(info);
    char mem[64];
    info->mem_available_bytes = read_keyed("/proc/meminfo", "MemAvailable", mem, sizeof mem) && strstr(mem, "kB")
                                    ? strtoll(mem, NULL, 10) * 1024
                                    : -1;
    info->mem_total_bytes = read_keyed("/proc/meminfo", "MemTotal", mem, sizeof mem) ? parse_size(mem) : -1;
    if (info->mem_total_bytes > 0 && strstr(mem, "kB"))
        info->mem_total_bytes = strtoll(mem, NULL, 10) * 1024;
    read_hypervisor(info);
    info->perf_event_paranoid = (int)read_ll("/proc/sys/kernel/perf_event_paranoid", -1);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(info->kernel, sizeof info->kernel, "%.30s %.60s", u.sysname, u.release);
    else
        snprintf(info->kernel, sizeof info->kernel, "NA");
    if (!read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", info->governor, sizeof info->governor))
        snprintf(info->governor, sizeof info->governor, "NA");
    long long boost = read_ll("/sys/devices/system/cpu/cpufreq/boost", -1);
    if (boost < 0) {
        long long no_turbo = read_ll("/sys/devices/system/cpu/intel_pstate/no_turbo", -1);
        boost = no_turbo < 0 ? -1 : !no_turbo;
    }
    info->boost = (int)boost;
    info->aslr = (int)read_ll("/proc/sys/kernel/randomize_va_space", -1);
    char load[64];
    info->load_avg_1min = read_line("/proc/loadavg", load, sizeof load) ? strtod(load, NULL) : -1.0;
    info->cpu_detected = ab_cpu_detect();
    info->cpu_usable = ab_cpu_features();
    if (gethostname(info->hostname, sizeof info->hostname) != 0)
        snprintf(info->hostname, sizeof info->hostname, "NA");
    info->hostname[sizeof info->hostname - 1] = '\0';
}

void ab_sysinfo_machine_id(const struct ab_sysinfo *info, char *buf, size_t buf_bytes)
{
    /* FNV-1a over what identifies the hardware, not the moment (no load, no governor). */
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    const unsigned char *p = (const unsigned char *)info->cpu_model;
    for (; *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    int64_t parts[3 + AB_SYSINFO_MAX_CACHES] = {info->n_cpus_online, info->mem_total_bytes / (1 << 20),
                                                (int64_t)info->cpu_detected};
    for (size_t i = 0; i < info->n_caches; i++)
        parts[3 + i] = info->caches[i].size_bytes;
    const unsigned char *q = (const unsigned char *)parts;
    for (size_t i = 0; i < sizeof parts; i++)
        h = (h ^ q[i]) * UINT64_C(0x100000001b3);
    snprintf(buf, buf_bytes, "%s-%016llx", info->hostname, (unsigned long long)h);
}
