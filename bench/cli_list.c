/*
 * cli_list.c - `archbench list [--filter RE] [--families]`: every kernel variant, its
 * family, ISA needs, and whether it runs on this machine (or why not).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "archbench/cpu.h"
#include "archbench/kernel.h"

#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: archbench list [--filter RE] [--families]\n"
            "\n"
            "List kernel variants: name, family, variant, ISA needs, and whether it runs here.\n"
            "Best variants come first within a family; the reference is marked 'ref'.\n"
            "\n"
            "  -f, --filter RE   PCRE2 regex over '<family>/<name>'; a leading '-' negates\n"
            "      --families    list families with their shape parameters instead\n"
            "  -h, --help        this help\n");
}

static void list_families(void)
{
    for (size_t i = 0; i < ab_family_count(); i++) {
        const struct ab_family *f = ab_family_at(i);
        printf("%s: %s\n  FLOPs: %s\n", f->name, f->doc, f->flops_doc);
        for (size_t p = 0; p < f->n_params; p++) {
            const struct ab_param *pa = &f->params[p];
            printf("  %-10s default %-8lld %s\n", pa->name, (long long)pa->def, pa->doc);
        }
    }
}

int ab__cli_list(int argc, char **argv)
{
    static const struct option options[] = {
        {"filter", required_argument, NULL, 'f'},
        {"families", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *pattern = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            pattern = optarg;
            break;
        case 'F':
            list_families();
            return AB_EXIT_OK;
        case 'h':
            help(stdout);
            return AB_EXIT_OK;
        default:
            return ab__cli_usage_error("list", "unknown or incomplete option \'%s\'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ab__cli_usage_error("list", "unexpected argument '%s'", argv[optind]);
    struct ab_filter *filter = NULL;
    struct ab_error err;
    if (ab_filter_new(pattern, &filter, &err) != AB_OK)
        return ab__cli_usage_error("list", "%s", err.msg);

    uint64_t features = ab_cpu_features();
    /* Column widths from the data, so long ISA lists stay aligned. */
    int w_name = 4, w_fam = 6, w_var = 7, w_isa = 3;
    for (size_t i = 0; i < ab_kernel_count(); i++) {
        const struct ab_kernel *k = ab_kernel_at(i);
        char isa[128];
        int n = (int)ab_cpu_format(k->isa_needs, isa, sizeof isa);
        w_name = (int)strlen(k->name) > w_name ? (int)strlen(k->name) : w_name;
        w_fam = (int)strlen(k->family->name) > w_fam ? (int)strlen(k->family->name) : w_fam;
        w_var = (int)strlen(k->variant) > w_var ? (int)strlen(k->variant) : w_var;
        w_isa = n > w_isa ? n : w_isa;
    }
    printf("%-*s  %-*s  %-*s  %-3s  %-*s  %s\n", w_name, "name", w_fam, "family", w_var, "variant", "ref", w_isa, "isa",
           "runs here");
    size_t shown = 0;
    for (size_t i = 0; i < ab_kernel_count(); i++) {
        const struct ab_kernel *k = ab_kernel_at(i);
        if (!ab_filter_match(filter, k))
            continue;
        char isa[128];
        ab_cpu_format(k->isa_needs, isa, sizeof isa);
        const char *why = NULL;
        bool ok = ab_kernel_runnable(k, features, NULL, &why);
        printf("%-*s  %-*s  %-*s  %-3s  %-*s  %s%s\n", w_name, k->name, w_fam, k->family->name, w_var, k->variant,
               k->is_ref ? "ref" : "-", w_isa, isa, ok ? "yes" : "no: ", ok ? "" : why);
        shown++;
    }
    ab_filter_free(filter);
    if (shown == 0) {
        fprintf(stderr, "archbench list: no kernel matches '%s'\n", pattern ? pattern : "");
        return AB_EXIT_FAIL;
    }
    return AB_EXIT_OK;
}
