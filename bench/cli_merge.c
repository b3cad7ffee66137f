/*
 * cli_merge.c - `archbench merge RUN_DIR... --out DIR`: runs of several machines as one
 * comparison (reports/merge.c does the work). --machine-device MACHINE_ID=DEVICE matches a
 * machine to a catalogue row for per-watt and per-dollar figures; without it they are NA,
 * with the reason in every row.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/procure.h"

#include "cli.h"

static void help(FILE *out)
{
    fprintf(out, "usage: archbench merge RUN_DIR... --out DIR [--catalogue FILE] [--datasets DIR]\n"
                 "                        [--machine-device MACHINE_ID=DEVICE]...\n"
                 "\n"
                 "One comparison across machines: per item (family, kernel, shape, threads) the\n"
                 "throughput on each machine, %% of that machine's own roofline bound, FLOP per joule with\n"
                 "its energy source and, for machines matched to a catalogue device, throughput per TDP\n"
                 "watt and per dollar. Of several runs with one machine_id the newest is used (stated).\n"
                 "Writes merged.csv, procurement.md and a self-contained report.html (tables and plots inlined).\n"
                 "\n"
                 "  -o, --out DIR                       where to write (required)\n"
                 "  -m, --machine-device ID=DEVICE      match a machine_id to a catalogue device (repeatable)\n"
                 "  -c, --catalogue FILE                extra catalogue rows; they override rows of the same device\n"
                 "      --datasets DIR                  where hardware/catalogue.csv lives (default ./datasets)\n"
                 "  -h, --help                          this help\n"
                 "\n"
                 "Exit 1 when a run does not read, runs have different schema versions, or a machine or\n"
                 "device of --machine-device is unknown.\n");
}

enum { OPT_DATASETS = 1000 };

int ab__cli_merge(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},        {"machine-device", required_argument, NULL, 'm'},
        {"catalogue", required_argument, NULL, 'c'},  {"datasets", required_argument, NULL, OPT_DATASETS},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    const char *out_dir = NULL, *user_cat = NULL, *datasets = "datasets";
    struct ab_merge_machine_device *pairs = ab_calloc((size_t)argc + 1, sizeof *pairs);
    if (!pairs) {
        fprintf(stderr, "archbench merge: out of memory\n");
        return AB_EXIT_FAIL;
    }
    size_t n_pairs = 0;
    int rc = AB_EXIT_OK, c;
    struct ab_catalogue cat;
    ab_catalogue_init(&cat);
    while ((c = getopt_long(argc, argv, "o:m:c:h", options, NULL)) != -1) {
        switch (c) {
        case 'o': out_dir = optarg; break;
        case 'c': user_cat = optarg; break;
        case OPT_DATASETS: datasets = optarg; break;
        case 'm': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                rc = ab__cli_usage_error("merge", "--machine-device takes MACHINE_ID=DEVICE, not '%s'", optarg);
                goto done;
            }
            *eq = '\0'; /* argv is ours to split */
            pairs[n_pairs].machine_id = optarg;
            pairs[n_pairs].device = eq + 1;
            n_pairs++;
            break;
        }
        case 'h': help(stdout); goto done;
        default:
            rc = ab__cli_usage_error("merge", "unknown or incomplete option '%s'", argv[optind - 1]);
            goto done;
        }
    }
    if (argc - optind < 1) {
        rc = ab__cli_usage_error("merge", "needs at least one run folder");
        goto done;
    }
    if (!out_dir) {
        rc = ab__cli_usage_error("merge", "needs --out DIR");
        goto done;
    }
    if ((rc = ab__cli_catalogue_load("merge", datasets, user_cat, &cat)) != AB_EXIT_OK)
        goto done;
    struct ab_merge_options opt = {
        .run_dirs = (const char *const *)(argv + optind), .n_run_dirs = (size_t)(argc - optind),
        .catalogue = &cat, .machine_devices = pairs, .n_machine_devices = n_pairs, .out_dir = out_dir};
    struct ab_merge_summary sum;
    struct ab_error err;
    if (ab_merge_runs(&opt, &sum, &err) != AB_OK) {
        fprintf(stderr, "archbench merge: %s\n", err.msg);
        rc = AB_EXIT_FAIL;
        goto done;
    }
    printf("wrote %s/merged.csv, %s/procurement.md and %s/report.html: %zu machines from %zu runs (%zu superseded by a newer run "
           "of the same machine), %zu rows\n",
           out_dir, out_dir, out_dir, sum.n_machines, sum.n_runs, sum.n_runs_superseded, sum.n_rows);
    if (sum.plot_note[0])
        printf("some plots not drawn (%zu drawn): %s\n", sum.n_plots, sum.plot_note);
    else
        printf("%zu plots in %s/plots\n", sum.n_plots, out_dir);
done:
    ab_catalogue_release(&cat);
    ab_free(pairs);
    return rc;
}
