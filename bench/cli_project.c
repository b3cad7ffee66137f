/*
 * cli_project.c - `archbench project RUN_DIR --device NAME`: the run's kernels projected
 * onto a catalogue device by the roofline bound (reports/project.c does the work). The
 * catalogue is datasets/hardware/catalogue.csv under --datasets, then --catalogue FILE,
 * whose rows override by device name.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "archbench/procure.h"

#include "cli.h"

static void help(FILE *out)
{
    fprintf(out, "usage: archbench project RUN_DIR --device NAME [--catalogue FILE] [--efficiency measured]\n"
                 "                          [--datasets DIR] [--out DIR]\n"
                 "\n"
                 "Project every verified, timed kernel of a run onto a catalogue device: the roofline\n"
                 "bound max(FLOPs / device peak of the row's precision (FP32, FP16/BF16 or INT8),\n"
                 "bytes / device bandwidth).\n"
                 "Writes projection.csv and projection.md; every row is labelled 'projection (roofline\n"
                 "bound)' and the run's own figures stay in measured_* columns.\n"
                 "\n"
                 "  -d, --device NAME          a catalogue device (case-insensitive)\n"
                 "  -c, --catalogue FILE       extra catalogue rows; they override rows of the same device\n"
                 "  -e, --efficiency measured  also divide by the fraction of its own bound each row\n"
                 "                             reached on the measured machine (stated in the outputs)\n"
                 "      --datasets DIR         where hardware/catalogue.csv lives (default ./datasets)\n"
                 "  -o, --out DIR              where to write (default: RUN_DIR)\n"
                 "  -h, --help                 this help\n"
                 "\n"
                 "Exit 1 when the run does not read, the catalogue does not read or the device is not in it.\n");
}

/* The shipped catalogue, then the user's rows over it. Errors printed; exit code returned. */
int ab__cli_catalogue_load(const char *verb, const char *datasets, const char *user_file, struct ab_catalogue *cat)
{
    char path[4096];
    struct ab_error err;
    snprintf(path, sizeof path, "%s/hardware/catalogue.csv", datasets);
    if (ab_catalogue_read(cat, path, &err) != AB_OK) {
        fprintf(stderr, "archbench %s: %s\n", verb, err.msg);
        return AB_EXIT_FAIL;
    }
    if (user_file && ab_catalogue_read(cat, user_file, &err) != AB_OK) {
        fprintf(stderr, "archbench %s: %s\n", verb, err.msg);
        return AB_EXIT_FAIL;
    }
    return AB_EXIT_OK;
}

enum { OPT_DATASETS = 1000 };

int ab__cli_project(int argc, char **argv)
{
    static const struct option options[] = {
        {"device", required_argument, NULL, 'd'},    {"catalogue", required_argument, NULL, 'c'},
        {"efficiency", required_argument, NULL, 'e'}, {"datasets", required_argument, NULL, OPT_DATASETS},
        {"out", required_argument, NULL, 'o'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *device = NULL, *user_cat = NULL, *datasets = "datasets", *out_dir = NULL;
    bool eff = false;
    int c;
    while ((c = getopt_long(argc, argv, "d:c:e:o:h", options, NULL)) != -1) {
        switch (c) {
        case 'd': device = optarg; break;
        case 'c': user_cat = optarg; break;
        case 'e':
            if (strcmp(optarg, "measured") != 0)
                return ab__cli_usage_error("project", "--efficiency takes 'measured', not '%s'", optarg);
            eff = true;
            break;
        case OPT_DATASETS: datasets = optarg; break;
        case 'o': out_dir = optarg; break;
        case 'h': help(stdout); return AB_EXIT_OK;
        default: return ab__cli_usage_error("project", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return ab__cli_usage_error("project", "needs exactly one run folder");
    if (!device)
        return ab__cli_usage_error("project", "needs --device NAME");
    const char *run_dir = argv[optind];
    struct ab_catalogue cat;
    ab_catalogue_init(&cat);
    int rc = ab__cli_catalogue_load("project", datasets, user_cat, &cat);
    if (rc != AB_EXIT_OK)
        goto done;
    const struct ab_device *dev = ab_catalogue_find(&cat, device);
    if (!dev) {
        char near[2048];
        ab_catalogue_near(&cat, device, near, sizeof near);
        fprintf(stderr, "archbench project: no device '%s' in the catalogue; near: %s\n", device, near);
        rc = AB_EXIT_FAIL;
        goto done;
    }
    struct ab_project_options opt = {
        .run_dir = run_dir, .out_dir = out_dir ? out_dir : run_dir, .device = dev, .efficiency_measured = eff};
    struct ab_project_summary sum;
    struct ab_error err;
    if (ab_project_run(&opt, &sum, &err) != AB_OK) {
        fprintf(stderr, "archbench project: %s\n", err.msg);
        rc = AB_EXIT_FAIL;
        goto done;
    }
    printf("wrote %s/projection.csv and %s/projection.md: %zu rows, %zu projected onto '%s' (roofline bound), "
           "%zu not projected (reason in the row)\n",
           opt.out_dir, opt.out_dir, sum.n_rows, sum.n_projected, dev->name, sum.n_skipped);
done:
    ab_catalogue_release(&cat);
    return rc;
}
