/*
 * cli_project.c - `archbench project RUN_DIR --device NAME`: the run's kernels projected
 * onto a catalogue device by the roofline bound (reports/project.c does the work). The
 * catalogue is datasets/hardware/catalogue.csv under --datasets, then --catalogue FILE,
 * whose rows override by device name. With --interconnect NAME (repeatable, or 'all') the
 * run's moe_ep rows (made under mpirun) get their all-to-all share projected onto links of
 * datasets/hardware/interconnects.csv (reports/project_comm.c).
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
                 "       archbench project RUN_DIR --interconnect NAME|all [--interconnects FILE] [--datasets DIR]\n"
                 "                          [--out DIR]\n"
                 "\n"
                 "Project every verified, timed kernel of a run onto a catalogue device: the roofline\n"
                 "bound max(FLOPs / device peak of the row's precision (FP32, FP16/BF16 or INT8),\n"
                 "bytes / device bandwidth).\n"
                 "Writes projection.csv and projection.md; every row is labelled 'projection (roofline\n"
                 "bound)' and the run's own figures stay in measured_* columns.\n"
                 "\n"
                 "With --interconnect, the run's moe_ep rows (mpirun -np P archbench run --kernel\n"
                 "moe_ep_alltoallv) are projected onto links: per rank, comm = bytes it sent / the link's\n"
                 "per-direction bandwidth (+ latency x messages where stated), compute kept as measured,\n"
                 "share = comm / (comm + compute). Writes comm_projection.csv and comm_projection.md, every\n"
                 "row labelled 'projection (link bound, compute as measured)' beside the measured share.\n"
                 "\n"
                 "  -d, --device NAME          a catalogue device (case-insensitive)\n"
                 "  -i, --interconnect NAME    a link of hardware/interconnects.csv, repeatable; 'all': every one\n"
                 "      --interconnects FILE   extra links; they override links of the same name\n"
                 "  -c, --catalogue FILE       extra catalogue rows; they override rows of the same device\n"
                 "  -e, --efficiency measured  also divide by the fraction of its own bound each row\n"
                 "                             reached on the measured machine (stated in the outputs)\n"
                 "      --datasets DIR         where hardware/catalogue.csv lives (default ./datasets)\n"
                 "  -o, --out DIR              where to write (default: RUN_DIR)\n"
                 "  -h, --help                 this help\n"
                 "\n"
                 "Exit 1 when the run does not read, the catalogue or the links do not read, the device or a\n"
                 "link is not in them, or (--interconnect) the run has no moe_ep rows: that needs mpirun.\n");
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

enum { OPT_DATASETS = 1000, OPT_LINKS_FILE, MAX_LINKS = 32 };

/* --interconnect: the named links (or all) projected onto; prints and returns the exit code. */
static int project_links(const char *run_dir, const char *out_dir, const char *datasets, const char *user_file,
                         const char *const *names, size_t n_names)
{
    struct ab_interconnects ic;
    ab_interconnects_init(&ic);
    struct ab_error err;
    char path[4096];
    int rc = AB_EXIT_FAIL;
    snprintf(path, sizeof path, "%s/hardware/interconnects.csv", datasets);
    if (ab_interconnects_read(&ic, path, &err) != AB_OK || (user_file && ab_interconnects_read(&ic, user_file, &err) != AB_OK)) {
        fprintf(stderr, "archbench project: %s\n", err.msg);
        goto done;
    }
    const struct ab_interconnect *links[MAX_LINKS];
    size_t n_links = 0;
    for (size_t i = 0; i < n_names; i++) {
        if (strcmp(names[i], "all") == 0) {
            for (size_t l = 0; l < ic.n_links && n_links < MAX_LINKS; l++)
                links[n_links++] = &ic.links[l];
            continue;
        }
        const struct ab_interconnect *k = ab_interconnects_find(&ic, names[i]);
        if (!k) {
            fprintf(stderr, "archbench project: no interconnect '%s' in '%s'%s; known:", names[i], path,
                    user_file ? " or the --interconnects file" : "");
            for (size_t l = 0; l < ic.n_links; l++)
                fprintf(stderr, "%s '%s'", l ? "," : "", ic.links[l].name);
            fputc('\n', stderr);
            goto done;
        }
        if (n_links < MAX_LINKS)
            links[n_links++] = k;
    }
    struct ab_comm_project_options opt = {.run_dir = run_dir, .out_dir = out_dir, .links = links, .n_links = n_links};
    struct ab_comm_project_summary sum;
    if (ab_comm_project_run(&opt, &sum, &err) != AB_OK) {
        fprintf(stderr, "archbench project: %s\n", err.msg);
        goto done;
    }
    printf("wrote %s/comm_projection.csv and %s/comm_projection.md: %zu rows, %zu projected onto %zu link(s) "
           "(projection: link bound, compute as measured), %zu not projected (reason in the row)\n",
           out_dir, out_dir, sum.n_rows, sum.n_projected, n_links, sum.n_skipped);
    rc = AB_EXIT_OK;
done:
    ab_interconnects_release(&ic);
    return rc;
}

int ab__cli_project(int argc, char **argv)
{
    static const struct option options[] = {
        {"device", required_argument, NULL, 'd'},    {"catalogue", required_argument, NULL, 'c'},
        {"efficiency", required_argument, NULL, 'e'}, {"datasets", required_argument, NULL, OPT_DATASETS},
        {"out", required_argument, NULL, 'o'},       {"help", no_argument, NULL, 'h'},
        {"interconnect", required_argument, NULL, 'i'}, {"interconnects", required_argument, NULL, OPT_LINKS_FILE},
        {NULL, 0, NULL, 0},
    };
    const char *device = NULL, *user_cat = NULL, *datasets = "datasets", *out_dir = NULL;
    const char *links_file = NULL, *links[MAX_LINKS];
    size_t n_links = 0;
    bool eff = false;
    int c;
    while ((c = getopt_long(argc, argv, "d:c:e:o:i:h", options, NULL)) != -1) {
        switch (c) {
        case 'd': device = optarg; break;
        case 'i':
            if (n_links == MAX_LINKS)
                return ab__cli_usage_error("project", "more than %d --interconnect", MAX_LINKS);
            links[n_links++] = optarg;
            break;
        case OPT_LINKS_FILE: links_file = optarg; break;
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
    if (!device && !n_links)
        return ab__cli_usage_error("project", "needs --device NAME or --interconnect NAME");
    if (device && n_links)
        return ab__cli_usage_error("project", "--device and --interconnect are separate projections: one at a time");
    const char *run_dir = argv[optind];
    if (n_links)
        return project_links(run_dir, out_dir ? out_dir : run_dir, datasets, links_file, links, n_links);
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
