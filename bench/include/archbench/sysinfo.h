/*
 * sysinfo.h - the machine a measurement ran on: CPU, caches, memory, virtualisation,
 * and the settings that make timings noisy (governor, boost, ASLR, load, paranoia).
 *
 * Every field that could not be read says so: strings are "NA" and numbers are -1.
 */
#ifndef ARCHBENCH_SYSINFO_H
#define ARCHBENCH_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"

#define AB_SYSINFO_MAX_CACHES 8

struct ab_cache_info {
    int level;                 /* 1, 2, 3 */
    char type[16];             /* "Data", "Instruction", "Unified" */
    int64_t size_bytes;
    int n_sharing_cpus;        /* CPUs sharing this cache, -1 if unknown */
};

struct ab_sysinfo {
    char cpu_model[128];
    char cpu_vendor[32];
    int n_cpus_online;
    int n_cpus_allowed;         /* in this process's affinity mask */
    size_t n_caches;
    struct ab_cache_info caches[AB_SYSINFO_MAX_CACHES];
    char cache_source[40];      /* "sysfs", "cpuid leaf 0x8000001d", ... or "none" */
    int64_t mem_total_bytes;
    int64_t mem_available_bytes;  /* MemAvailable at collection; -1 unknown */
    bool is_vm;
    char hypervisor[32];        /* "KVMKVMKVM", or "none" */
    int perf_event_paranoid;    /* -1 unreadable; values > 2 block counting */
    char kernel[96];            /* uname -sr */
    char governor[32];          /* cpu0 scaling_governor, "NA" in most VMs */
    int boost;                  /* 1 on, 0 off, -1 unknown */
    int aslr;                   /* randomize_va_space: 0, 1, 2; -1 unknown */
    double load_avg_1min;       /* -1 unknown */
    uint64_t cpu_detected;      /* ab_cpu_detect() */
    uint64_t cpu_usable;        /* ab_cpu_features(): after the mask */
    char hostname[64];
};

/* Fill every field (never fails: unknown fields are NA / -1). */
AB_API void ab_sysinfo_collect(struct ab_sysinfo *out_info);

/* A short stable id for the machine: "<hostname>-<16 hex of a hash of model+caches+mem>". */
AB_API void ab_sysinfo_machine_id(const struct ab_sysinfo *info, char *buf, size_t buf_bytes);

#endif /* ARCHBENCH_SYSINFO_H */
