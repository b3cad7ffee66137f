/*
 * cli_run.c - `archbench run`: parse options, show progress on a terminal, stop
 * cleanly on Ctrl-C (rows so far are kept), print a summary table from speed.csv.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archbench/arena.h"
#include "archbench/report.h"
#include "archbench/run.h"

#include "cli.h"

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void help(FILE *out)
{
    fprintf(out,
            "usage: archbench run [options]\n"
            "\n"
            "Verify every selected kernel variant against its family's reference on each shape,\n"
            "then time it. Peak probes (FP32 FMA, INT8 dot, memory read/triad) run first so every\n"
            "row carries %% of peak measured in the same run.\n"
            "\n"
            "  -f, --filter RE        PCRE2 regex over '<family>/<kernel>'; leading '-' negates\n"
            "  -s, --set P=V1,V2,...  override shape parameter P (repeatable; cartesian product)\n"
            "  -t, --threads N[,M]    thread counts (default 1)\n"
            "  -r, --repetitions R    repetitions per item (default 10, quick 5)\n"
            "  -m, --min-time S       minimum seconds per repetition (default 0.1, quick 0.03)\n"
            "      --max-item-time S  budget per item; fewer repetitions (>= 3) beyond it (default 30)\n"
            "  -e, --events LIST      PAPI presets/native events (default: cycles, instructions,\n"
            "                         cache and branch misses, SP ops, task clock, faults, switches)\n"
            "      --multiplex        let PAPI multiplex events (values scaled, flagged)\n"
            "  -o, --out DIR          output folder (default archbench-results)\n"
            "  -q, --quick            small sweep (about a minute)\n"
            "      --resume DIR       continue an interrupted run in DIR\n"
            "      --seed S           input seed (default 1)\n"
            "      --tdp W            energy estimate model: W watts x time, when no energy counter\n"
            "      --no-pin           do not pin threads to CPUs\n"
            "      --peaks-from FILE  take peaks from an earlier run's context.json (skip probes)\n"
            "      --no-probes        skip the peak probes (%% of peak is then NA)\n"
            "  -h, --help             this help\n"
            "\n"
            "Writes DIR/samples.csv, counters.csv, speed.csv, memory.csv, energy.csv, metrics.csv,\n"
            "context.json and gbench.json (Google Benchmark format). Exit 1 if a variant failed\n"
            "verification or the run was interrupted.\n");
}

static bool parse_double(const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v) || v < 0.0)
        return false;
    *out = v;
    return true;
}

static void progress(void *user, const struct ab_run_progress *p)
{
    (void)user;
    if (isnan(p->remaining_s))
        fprintf(stderr, "\r\033[K[%zu/%zu] %s %s t=%d  %.0fs", p->index, p->total, p->kernel, p->shape, p->threads,
                p->elapsed_s);
    else
        fprintf(stderr, "\r\033[K[%zu/%zu] %s %s t=%d  %.0fs, ~%.0fs left", p->index, p->total, p->kernel, p->shape,
                p->threads, p->elapsed_s, p->remaining_s);
    fflush(stderr);
}

static void warning(void *user, const char *message)
{
    (void)user;
    fprintf(stderr, "archbench run: warning: %s\n", message);
}

/* The readable summary: one line per speed row. */
static void print_summary(const char *dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/speed.csv", dir);
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    struct ab_csv_options o = {.delim = ',', .quoting = true};
    if (ab_csv_read(path, &o, &arena, &t, NULL) != AB_OK) {
        ab_arena_release(&arena);
        return;
    }
    int col[8];
    static const char *const want[8] = {"kernel", "shape", "threads", "verified", "median_ns", "gflops",
                                        "pct_peak_compute", "speedup_vs_ref"};
    for (int i = 0; i < 8; i++) {
        col[i] = -1;
        for (size_t c = 0; c < t.n_cols; c++)
            if (strcmp(t.cells[c], want[i]) == 0)
                col[i] = (int)c;
        if (col[i] < 0) {
            ab_arena_release(&arena);
            return;
        }
    }
    printf("%-22s %-44s %3s %-9s %12s %9s %7s %8s\n", "kernel", "shape", "thr", "verified", "median_us", "GFLOP/s",
           "%peak", "vs_ref");
    for (size_t r = 1; r < t.n_rows; r++) {
        const char **row = t.cells + r * t.n_cols;
        double med = strtod(row[col[4]], NULL), gf = strtod(row[col[5]], NULL);
        double pp = strtod(row[col[6]], NULL), sp = strtod(row[col[7]], NULL);
        char med_s[32], gf_s[32], pp_s[32], sp_s[32];
        snprintf(med_s, sizeof med_s, strcmp(row[col[4]], "NA") ? "%.1f" : "NA", med / 1e3);
        snprintf(gf_s, sizeof gf_s, strcmp(row[col[5]], "NA") ? "%.1f" : "NA", gf);
        snprintf(pp_s, sizeof pp_s, strcmp(row[col[6]], "NA") ? "%.0f%%" : "NA", pp);
        snprintf(sp_s, sizeof sp_s, strcmp(row[col[7]], "NA") ? "%.2fx" : "NA", sp);
        printf("%-22s %-44.44s %3s %-9s %12s %9s %7s %8s\n", row[col[0]], row[col[1]], row[col[2]], row[col[3]],
               med_s, gf_s, pp_s, sp_s);
    }
    ab_arena_release(&arena);
}

static int add_set(struct ab_run_options *o, char *spec)
{
    if (o->n_sets == AB_RUN_MAX_SETS)
        return ab__cli_usage_error("run", "more than %d --set options", AB_RUN_MAX_SETS);
    char *eq = strchr(spec, '=');
    if (!eq || eq == spec || eq[1] == '\0')
        return ab__cli_usage_error("run", "--set wants NAME=V1[,V2...], got '%s'", spec);
    *eq = '\0';
    struct ab_run_set *s = &o->sets[o->n_sets++];
    s->param = spec;
    for (char *v = strtok(eq + 1, ","); v; v = strtok(NULL, ",")) {
        if (s->n_values == AB_RUN_MAX_VALUES)
            return ab__cli_usage_error("run", "--set %s: more than %d values", spec, AB_RUN_MAX_VALUES);
        s->values[s->n_values++] = v;
    }
    return s->n_values ? 0 : ab__cli_usage_error("run", "--set %s: no values", spec);
}

static int parse_threads(struct ab_run_options *o, char *list)
{
    o->n_threads = 0;
    for (char *v = strtok(list, ","); v; v = strtok(NULL, ",")) {
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (end == v || *end || n < 1 || n > 1024)
            return ab__cli_usage_error("run", "--threads: '%s' is not a thread count", v);
        if (o->n_threads == AB_RUN_MAX_THREADS)
            return ab__cli_usage_error("run", "--threads: at most %d counts", AB_RUN_MAX_THREADS);
        o->threads[o->n_threads++] = (int)n;
    }
    return o->n_threads ? 0 : ab__cli_usage_error("run", "--threads: empty list");
}

int ab__cli_run(int argc, char **argv)
{
    enum { OPT_MULTIPLEX = 256, OPT_RESUME, OPT_SEED, OPT_TDP, OPT_NO_PIN, OPT_MAX_ITEM, OPT_NO_PROBES, OPT_PEAKS_FROM };
    static const struct option options[] = {
        {"filter", required_argument, NULL, 'f'},      {"set", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},     {"repetitions", required_argument, NULL, 'r'},
        {"min-time", required_argument, NULL, 'm'},    {"max-item-time", required_argument, NULL, OPT_MAX_ITEM},
        {"events", required_argument, NULL, 'e'},      {"multiplex", no_argument, NULL, OPT_MULTIPLEX},
        {"out", required_argument, NULL, 'o'},         {"quick", no_argument, NULL, 'q'},
        {"resume", required_argument, NULL, OPT_RESUME}, {"seed", required_argument, NULL, OPT_SEED},
        {"tdp", required_argument, NULL, OPT_TDP},     {"no-pin", no_argument, NULL, OPT_NO_PIN},
        {"no-probes", no_argument, NULL, OPT_NO_PROBES}, {"peaks-from", required_argument, NULL, OPT_PEAKS_FROM},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0},
    };
    /* Recorded in context.json; joined before parsing, which splits lists in place. */
    char command[1024] = "archbench";
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(command);
        snprintf(command + len, sizeof command - len, " %s", argv[i]);
    }
    struct ab_run_options o;
    ab_run_options_init(&o);
    bool reps_set = false, min_time_set = false;
    int c, rc;
    double d;
    while ((c = getopt_long(argc, argv, "f:s:t:r:m:e:o:qh", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            o.filter = optarg;
            break;
        case 's':
            if ((rc = add_set(&o, optarg)) != 0)
                return rc;
            break;
        case 't':
            if ((rc = parse_threads(&o, optarg)) != 0)
                return rc;
            break;
        case 'r': {
            char *end = NULL;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 256)
                return ab__cli_usage_error("run", "--repetitions: '%s' is not in 1..256", optarg);
            o.repetitions = (int)n;
            reps_set = true;
            break;
        }
        case 'm':
            if (!parse_double(optarg, &o.min_time_s))
                return ab__cli_usage_error("run", "--min-time: '%s' is not a duration in seconds", optarg);
            min_time_set = true;
            break;
        case OPT_MAX_ITEM:
            if (!parse_double(optarg, &o.max_item_s) || o.max_item_s <= 0.0)
                return ab__cli_usage_error("run", "--max-item-time: '%s' is not a positive duration", optarg);
            break;
        case 'e':
            o.events = optarg;
            break;
        case OPT_MULTIPLEX:
            o.multiplex = true;
            break;
        case 'o':
            o.out_dir = optarg;
            break;
        case 'q':
            o.quick = true;
            break;
        case OPT_RESUME:
            o.out_dir = optarg;
            o.resume = true;
            break;
        case OPT_SEED: {
            char *end = NULL;
            unsigned long long s = strtoull(optarg, &end, 0);
            if (end == optarg || *end)
                return ab__cli_usage_error("run", "--seed: '%s' is not a number", optarg);
            o.seed = s;
            break;
        }
        case OPT_TDP:
            if (!parse_double(optarg, &d) || d <= 0.0)
                return ab__cli_usage_error("run", "--tdp: '%s' is not a power in watts", optarg);
            o.tdp_w = d;
            break;
        case OPT_NO_PIN:
            o.pin = false;
            break;
        case OPT_NO_PROBES:
            o.probes = false;
            break;
        case OPT_PEAKS_FROM:
            o.peaks_from = optarg;
            break;
        case 'h':
            help(stdout);
            return AB_EXIT_OK;
        default:
            return ab__cli_usage_error("run", "unknown or incomplete option \'%s\'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ab__cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
    if (o.quick) {
        if (!reps_set)
            o.repetitions = 5;
        if (!min_time_set)
            o.min_time_s = 0.03;
        o.max_item_s = o.max_item_s < 3.0 ? o.max_item_s : 3.0;
    }
    o.command_line = command;
    o.stop = &stop_requested;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    bool tty = isatty(STDERR_FILENO);
    if (tty)
        o.on_progress = progress;
    o.on_warning = warning;

    struct ab_run_result res;
    struct ab_error err;
    ab_error_clear(&err);
    enum ab_status st = ab_run(&o, &res, &err);
    if (tty)
        fprintf(stderr, "\r\033[K");
    if (st != AB_OK && st != AB_EINTERRUPTED) {
        fprintf(stderr, "archbench run: %s\n", err.msg[0] ? err.msg : ab_status_message(st));
        return st == AB_EINVAL || st == AB_EPARSE || st == AB_EOVERFLOW || st == AB_ENOTFOUND ? AB_EXIT_USAGE
                                                                                              : AB_EXIT_FAIL;
    }
    print_summary(o.out_dir);
    fprintf(stderr, "archbench run: %zu items (%zu measured, %zu resumed, %zu failed verification) -> %s/\n",
            res.n_items, res.n_done, res.n_resumed, res.n_failed, o.out_dir);
    if (st == AB_EINTERRUPTED) {
        fprintf(stderr, "archbench run: %s; continue with --resume %s\n", err.msg, o.out_dir);
        return AB_EXIT_FAIL;
    }
    return res.n_failed ? AB_EXIT_FAIL : AB_EXIT_OK;
}
