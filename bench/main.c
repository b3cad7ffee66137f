/*
 * main.c - the archbench command: global options, then one verb.
 *
 *   archbench [--cpu-mask LIST] <verb> [options]
 *
 * Only this file and the cli_*.c verbs print or exit; the library never does. The
 * entry is ab__cli_main, not main, so a test command can register extra variants
 * first and then run the very same CLI (tests/mutants/archbench_mutants.c);
 * archbench_main.c holds the real main.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_config.h"

#include "archbench/cpu.h"
#include "archbench/mpi.h"
#include "archbench/status.h"

#include "cli.h"

struct verb {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct verb verbs[] = {
    {"list", ab__cli_list, "list kernel variants, their ISA needs and whether they run here"},
    {"sysinfo", ab__cli_sysinfo, "describe this machine: CPU, features, caches, memory, VM, counters"},
    {"run", ab__cli_run, "verify and time kernels; write CSV and JSON reports"},
    {"eval", ab__cli_eval, "score GLUE / SuperGLUE prediction files against gold labels"},
    {"compare", ab__cli_compare, "judge a candidate run against a base run: regression, no change, undecided"},
    {"ab", ab__cli_ab, "run two archbench builds interleaved (ABBA blocks) and judge them: the CI gate"},
    {"reproduce", ab__cli_reproduce, "the articles' V3-vs-R1 claims, each beside its measurement, with a verdict"},
    {"spread", ab__cli_spread, "how far the medians of the same items move between separate runs"},
    {"model", ab__cli_model, "analytic figures of model configurations: parameters, FLOPs, memory at N tokens"},
    {"report", ab__cli_report, "one run folder as report.md and report.html with plots"},
    {"project", ab__cli_project, "project a run's kernels onto a catalogue device (roofline bound)"},
    {"merge", ab__cli_merge, "compare runs of several machines: throughput, % of bound, per watt, per dollar"},
    {"_scale", ab__cli_scale, NULL},  /* hidden: scaled copies of a run, for power checks */
};

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: archbench [--cpu-mask LIST] <verb> [options]\n"
            "\n"
            "Benchmark transformer building blocks (attention, RoPE, MoE routing, INT8 GEMM)\n"
            "against their reference kernels, and score GLUE-style prediction files.\n"
            "\n"
            "verbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (verbs[i].summary)
            fprintf(out, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out,
            "\n"
            "global options:\n"
            "  --cpu-mask LIST  hide CPU features (e.g. avx512f, or all); also ARCHBENCH_CPU_MASK\n"
            "  -h, --help       this help;  archbench <verb> --help for a verb\n"
            "  -V, --version    version and git commit\n"
            "\n"
            "exit codes: 0 ok, 1 failure or regression, 2 usage error, 77 skipped\n");
}

int ab__cli_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "archbench%s%s: ", verb ? " " : "", verb ? verb : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'archbench%s%s --help')\n", verb ? " " : "", verb ? verb : "");
    return AB_EXIT_USAGE;
}

int ab__cli_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"cpu-mask", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    struct ab_error err;
    /* The verbs report bad options themselves, in one line. */
    opterr = 0;
    const char *env_mask = getenv("ARCHBENCH_CPU_MASK");
    uint64_t mask = 0;
    if (env_mask && ab_cpu_parse_mask(env_mask, &mask, &err) != AB_OK)
        return ab__cli_usage_error(NULL, "ARCHBENCH_CPU_MASK: %s", err.msg);
    /* '+': stop at the first non-option, which is the verb. */
    int c;
    while ((c = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_help(stdout);
            return AB_EXIT_OK;
        case 'V':
            printf("archbench %s (git %s, %s build, %s)\n", AB_VERSION, AB_GIT_COMMIT, AB_BUILD_TYPE, AB_COMPILER);
            return AB_EXIT_OK;
        case 'm':
            if (ab_cpu_parse_mask(optarg, &mask, &err) != AB_OK)
                return ab__cli_usage_error(NULL, "--cpu-mask: %s", err.msg);
            ab_cpu_set_mask(mask);
            break;
        default:
            return ab__cli_usage_error(NULL, "unknown or incomplete option \'%s\'", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        print_help(stderr);
        return AB_EXIT_USAGE;
    }
    const char *verb = argv[optind];
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp(verbs[i].name, verb) == 0) {
            /* Each verb parses its own argv from its name on; optind = 0 makes glibc's
             * getopt start afresh (its argv[0] is the verb). */
            int first = optind;
            optind = 0;
            /* Under mpirun (only then) every verb runs as a rank; collective families
             * are available to run and list from here on. */
            if (ab_mpi_init(&argc, &argv, &err) != AB_OK) {
                fprintf(stderr, "archbench: %s\n", err.msg);
                return AB_EXIT_FAIL;
            }
            int rc = verbs[i].fn(argc - first, argv + first);
            ab_mpi_finalize();
            return rc;
        }
    }
    return ab__cli_usage_error(NULL, "unknown verb '%s'", verb);
}
