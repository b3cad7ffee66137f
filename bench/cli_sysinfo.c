/*
 * cli_sysinfo.c - `archbench sysinfo`: the machine, its CPU features (detected and
 * usable after the mask), caches, memory, virtualisation, and which PAPI counters can
 * be read here and why not.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "archbench/counters.h"
#include "archbench/cpu.h"
#include "archbench/sysinfo.h"

#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: archbench sysinfo [--events LIST]\n"
            "\n"
            "Describe this machine and probe the counters archbench would read.\n"
            "\n"
            "  -e, --events LIST  PAPI presets or native names to probe (default: run's defaults)\n"
            "  -h, --help         this help\n");
}

static void print_int_or_na(const char *label, long long v, const char *unit)
{
    if (v < 0)
        printf("%-22s NA\n", label);
    else
        printf("%-22s %lld%s\n", label, v, unit);
}

int ab__cli_sysinfo(int argc, char **argv)
{
    static const struct option options[] = {
        {"events", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *events = AB_COUNTERS_DEFAULT;
    int c;
    while ((c = getopt_long(argc, argv, "e:h", options, NULL)) != -1) {
        switch (c) {
        case 'e':
            events = optarg;
            break;
        case 'h':
            help(stdout);
            return AB_EXIT_OK;
        default:
            return ab__cli_usage_error("sysinfo", "unknown or incomplete option \'%s\'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ab__cli_usage_error("sysinfo", "unexpected argument '%s'", argv[optind]);

    struct ab_sysinfo si;
    ab_sysinfo_collect(&si);
    char buf[256], id[128];
    ab_sysinfo_machine_id(&si, id, sizeof id);
    printf("%-22s %s\n", "machine id", id);
    printf("%-22s %s (%s)\n", "cpu", si.cpu_model, si.cpu_vendor);
    printf("%-22s %d online, %d allowed\n", "cpus", si.n_cpus_online, si.n_cpus_allowed);
    ab_cpu_format(si.cpu_detected, buf, sizeof buf);
    printf("%-22s %s\n", "features detected", buf);
    ab_cpu_format(si.cpu_usable, buf, sizeof buf);
    printf("%-22s %s\n", "features usable", buf);
    ab_cpu_format(ab_cpu_mask(), buf, sizeof buf);
    printf("%-22s %s\n", "features hidden", buf);
    printf("%-22s %s\n", "caches from", si.cache_source);
    for (size_t i = 0; i < si.n_caches; i++) {
        printf("%-22s L%d %-11s %lld KiB, ", i == 0 ? "caches" : "", si.caches[i].level, si.caches[i].type,
               (long long)(si.caches[i].size_bytes / 1024));
        if (si.caches[i].n_sharing_cpus < 0)
            printf("sharing not stated\n");
        else
            printf("shared by %d cpu(s)\n", si.caches[i].n_sharing_cpus);
    }
    print_int_or_na("memory", si.mem_total_bytes < 0 ? -1 : si.mem_total_bytes / (1024 * 1024), " MiB");
    printf("%-22s %s%s%s\n", "virtual machine", si.is_vm ? "yes (" : "no", si.is_vm ? si.hypervisor : "",
           si.is_vm ? ")" : "");
    printf("%-22s %s\n", "kernel", si.kernel);
    print_int_or_na("perf_event_paranoid", si.perf_event_paranoid, "");
    printf("%-22s %s\n", "governor", si.governor);
    printf("%-22s %s\n", "boost", si.boost < 0 ? "NA" : si.boost ? "on" : "off");
    printf("%-22s %s\n", "aslr", si.aslr < 0 ? "NA" : si.aslr ? "on" : "off");
    if (si.load_avg_1min < 0)
        printf("%-22s NA\n", "load average (1 min)");
    else
        printf("%-22s %.2f\n", "load average (1 min)", si.load_avg_1min);

    char version[128];
    ab_counters_version(version, sizeof version);
    printf("%-22s %s\n", "PAPI", version);
    struct ab_counters *set = NULL;
    struct ab_error err;
    if (ab_counters_new(events, false, &set, &err) != AB_OK)
        return ab__cli_usage_error("sysinfo", "--events: %s", err.msg);
    size_t n_ok = 0;
    for (size_t i = 0; i < ab_counters_count(set); i++) {
        const struct ab_counter_info *ci = ab_counters_info(set, i);
        printf("  %-28s %s%s\n", ci->name, ci->available ? "counts" : "NA: ", ci->available ? "" : ci->reason);
        n_ok += ci->available;
    }
    printf("%-22s %zu of %zu requested events count here\n", "counters", n_ok, ab_counters_count(set));
    ab_counters_free(set);
    return AB_EXIT_OK;
}
