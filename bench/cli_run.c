/*
 * cli_run.c - `archbench run`: parse options, show progress on a terminal, stop
 * cleanly on Ctrl-C (rows so far are kept), print a summary table from speed.csv.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "archbench/alloc.h"
#include "archbench/arena.h"
#include "archbench/compare.h"
#include "archbench/kernel.h"
#include "archbench/mpi.h"
#include "archbench/report.h"
#include "archbench/results.h"
#include "archbench/run.h"

#include "cli.h"

static volatile sig_atomic_t stop_requested;

/*
 * Ctrl-C: the first stops after the current item, the second abandons it at the next
 * call boundary, a third quits at once. SIGTERM (what a CI time limit sends once)
 * abandons the current item and quits within AB_TERM_GRACE_S even if a single kernel
 * call is still running. Finished items are in the journal either way: --resume
 * continues. Messages go out with write(2), the async-signal-safe way.
 */
#define AB_TERM_GRACE_S 5

static void say(const char *msg)
{
    (void)!write(STDERR_FILENO, msg, strlen(msg));
}

static void on_alarm(int sig)
{
    (void)sig;
    say("\narchbench run: still inside a kernel call: quitting; finished items are kept (continue with --resume)\n");
    _exit(AB_EXIT_FAIL);
}

static void on_sigint(int sig)
{
    if (sig == SIGTERM) {
        stop_requested = 2;
        say("\narchbench run: terminated: abandoning the current item\n");
        alarm(AB_TERM_GRACE_S);
        return;
    }
    if (stop_requested < 3)
        stop_requested++;
    if (stop_requested == 1) {
        say("\narchbench run: stopping after the current item (Ctrl-C again abandons it)\n");
    } else if (stop_requested == 2) {
        say("\narchbench run: abandoning the current item (Ctrl-C again quits at once)\n");
    } else {
        say("\narchbench run: quitting; finished items are kept (continue with --resume)\n");
        _exit(AB_EXIT_FAIL);
    }
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
            "  -s, --set P=V1,V2,...  override shape parameter P (repeatable; cartesian product);\n"
            "                         FAMILY.P=V scopes it to one family (gemm_f32.k=512)\n"
            "      --shape FAM:P=V,.. an explicit case (repeatable): replaces the sweeps, and only\n"
            "                         families named by a --shape are planned\n"
            "  -t, --threads N[,M]    thread counts (default 1)\n"
            "  -r, --repetitions R    repetitions per item (default 10, quick 6: the fewest with a\n"
            "                         95%% interval of the median)\n"
            "  -m, --min-time S       minimum seconds per repetition (default 0.1, quick 0.03)\n"
            "      --max-item-time S  budget per item; fewer repetitions (>= 3) beyond it (default 30)\n"
            "  -e, --events LIST      PAPI presets/native events (default: cycles, instructions,\n"
            "                         cache and branch misses, SP ops, task clock, faults, switches)\n"
            "      --multiplex        let PAPI multiplex events (values scaled, flagged)\n"
            "  -o, --out DIR          output folder (default archbench-results)\n"
            "  -q, --quick            small sweep (about a minute)\n"
            "      --resume DIR       continue the interrupted run in DIR with its own plan, options\n"
            "                         and peaks (a conflicting option is refused)\n"
            "      --overwrite        replace a run already in the --out folder (else refused)\n"
            "      --isolate          each item in its own process: a kernel that crashes or hangs\n"
            "                         becomes a 'crash' or 'timeout' row and the sweep goes on\n"
            "      --item-timeout S   with --isolate: kill an item after S seconds (default\n"
            "                         4 x --max-item-time + 60)\n"
            "      --interleave       the variants of a case and thread count take turns, one\n"
            "                         repetition each (ABBA): a slow phase of the host hits them all,\n"
            "                         so their ratios (ours vs oneDNN) hold on a noisy machine;\n"
            "                         energy is then not measured\n"
            "      --seed S           input seed (default 1)\n"
            "      --tdp W            energy estimate model: W watts x time, when no energy counter\n"
            "      --no-pin           do not pin threads to CPUs\n"
            "      --peaks-from FILE  take peaks from an earlier run's context.json (skip probes)\n"
            "      --no-probes        skip the peak probes (%% of peak is then NA)\n"
            "      --pace IN,OUT      take turns with another process (archbench ab does this):\n"
            "                         read a byte from fd IN before starting and before every\n"
            "                         timed repetition, write one to fd OUT before waiting\n"
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

static int terminal_columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col;
    return 80;
}

/*
 * --pace: the turn-taking archbench ab uses to interleave two builds repetition by
 * repetition. This process holds the turn from the byte it reads until the byte it
 * writes; the writer of IN (ab) hands turns out so that only one build runs at a time.
 * If ab goes away (EOF, EPIPE) the run goes on by itself: it is never left waiting.
 */
struct pace {
    int in_fd, out_fd;
    bool on;
};

static void pace_take(struct pace *p)
{
    char byte;
    ssize_t n;
    while ((n = read(p->in_fd, &byte, 1)) < 0 && errno == EINTR && !stop_requested)
        ;
    if (n != 1)
        p->on = false;
}

static void pace_yield(void *user)
{
    struct pace *p = user;
    if (!p->on)
        return;
    ssize_t n;
    while ((n = write(p->out_fd, "y", 1)) < 0 && errno == EINTR)
        ;
    if (n != 1) {
        p->on = false;
        return;
    }
    pace_take(p);
}

static bool parse_pace(const char *s, struct pace *p)
{
    char *end = NULL;
    long in = strtol(s, &end, 10);
    if (end == s || *end != ',' || in < 0 || in > 65535)
        return false;
    const char *t = end + 1;
    long out = strtol(t, &end, 10);
    if (end == t || *end || out < 0 || out > 65535 || out == in)
        return false;
    p->in_fd = (int)in;
    p->out_fd = (int)out;
    /* Both must be open descriptors: a typo must not make the run write to a file. */
    return fcntl(p->in_fd, F_GETFD) >= 0 && fcntl(p->out_fd, F_GETFD) >= 0;
}

/* One line, cut to the terminal's width (a wrapped line would scroll on every update). */
static void progress(void *user, const struct ab_run_progress *p)
{
    (void)user;
    char line[1024];
    if (isnan(p->remaining_s))
        snprintf(line, sizeof line, "[%zu/%zu] %.0fs  %s t=%d %s", p->index, p->total, p->elapsed_s, p->kernel,
                 p->threads, p->shape);
    else
        snprintf(line, sizeof line, "[%zu/%zu] %.0fs, ~%.0fs left  %s t=%d %s", p->index, p->total, p->elapsed_s,
                 p->remaining_s, p->kernel, p->threads, p->shape);
    size_t width = (size_t)terminal_columns() - 1;
    if (strlen(line) > width)
        line[width] = '\0';
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
}

static void warning(void *user, const char *message)
{
    (void)user;
    fprintf(stderr, "archbench run: warning: %s\n", message);
}

/* Is "k=v" token `tok` (len bytes) in every row's shape of this family? */
static bool common_token(const struct ab_results *res, const char *family, const char *tok, size_t len)
{
    for (size_t i = 0; i < res->n_rows; i++) {
        const struct ab_result_row *row = &res->rows[i];
        if (strcmp(row->key.family, family) != 0)
            continue;
        bool found = false;
        for (const char *p = row->key.shape; *p && !found;) {
            size_t l = strcspn(p, ",");
            found = l == len && strncmp(p, tok, len) == 0;
            p += l + (p[l] == ',');
        }
        if (!found)
            return false;
    }
    return true;
}

/* The parameters that vary within the family (the others are printed once above it),
 * so every row stays distinguishable however long the full shape is. */
static void varying_shape(const struct ab_results *res, const struct ab_result_row *row, char *buf, size_t n,
                          char *common, size_t n_common)
{
    buf[0] = common[0] = '\0';
    for (const char *p = row->key.shape; *p;) {
        size_t l = strcspn(p, ",");
        bool all = common_token(res, row->key.family, p, l);
        char *dst = all ? common : buf;
        size_t cap = all ? n_common : n, len = strlen(dst);
        if (len + l + 2 < cap) {
            if (len)
                dst[len++] = ',';
            memcpy(dst + len, p, l);
            dst[len + l] = '\0';
        }
        p += l + (p[l] == ',');
    }
    if (!buf[0])
        snprintf(buf, n, "-");
}

/* An interleaved run (--interleave): each variant against each vendor baseline of the
 * same case and thread count, by pairs of repetitions timed in the same round. */
static void print_paired(const struct ab_results *res)
{
    struct ab_paired_row *pairs;
    size_t n;
    if (ab_compare_interleaved_run(res, 0.05, &pairs, &n) != AB_OK) {
        printf("paired ratios NA: out of memory\n");
        return;
    }
    if (n)
        printf("time ratio by pairs of repetitions taken side by side (--interleave): median, 95%% "
               "interval (sign test), clean pairs; < 1: faster than the baseline\n");
    for (size_t i = 0; i < n; i++) {
        const struct ab_result_row *x = &res->rows[pairs[i].x], *b = &res->rows[pairs[i].base];
        const struct ab_paired_ratio *pr = &pairs[i].pr;
        if (pairs[i].st != AB_OK) {
            printf("  %s / %s  %s t%d: NA (no pair of repetitions where neither was preempted)\n", x->key.kernel,
                   b->key.kernel, x->key.shape, x->key.threads);
            continue;
        }
        char iv[64] = "interval NA (too few pairs)";
        if (!isnan(pr->low))
            snprintf(iv, sizeof iv, "[%.3f, %.3f]", pr->low, pr->high);
        printf("  %s / %s  %s t%d: %.3f %s, %zu pairs\n", x->key.kernel, b->key.kernel, x->key.shape, x->key.threads,
               pr->ratio, iv, pr->n_pairs);
    }
    ab_free(pairs);
}

/* The readable summary, from the results model: one line per item, grouped by family. */
static void print_summary(const char *dir)
{
    struct ab_results res;
    struct ab_error err;
    if (ab_results_read(dir, false, &res, &err) != AB_OK) {
        fprintf(stderr, "archbench run: no summary: %s\n", err.msg);
        return;
    }
    printf("%-24s %-34s %3s %-9s %11s %9s %-7s %8s %7s %s\n", "kernel", "shape (varying)", "thr", "verified",
           "median_us", "rate", "unit", "%bound", "vs_ref", "flags");
    const char *family = "";
    for (size_t i = 0; i < res.n_rows; i++) {
        const struct ab_result_row *row = &res.rows[i];
        char shape[256], common[256];
        varying_shape(&res, row, shape, sizeof shape, common, sizeof common);
        if (strcmp(family, row->key.family) != 0) {
            family = row->key.family;
            printf("-- %s%s%s%s\n", family, common[0] ? "  (all rows: " : "", common, common[0] ? ")" : "");
        }
        double rate = row->compute_kind == AB_COMPUTE_INT8 ? row->gops : row->gflops;
        const char *unit = row->compute_kind == AB_COMPUTE_INT8 ? "GOP/s" : "GFLOP/s";
        /* Probes: each in the unit of the peak it measures. */
        const struct ab_family *fam = ab_family_find(row->key.family);
        bool probe = fam && fam->is_probe;
        if (probe && strstr(row->key.shape, "int8"))
            unit = "GOP/s";
        if (!(row->flops > 0.0) || (probe && strstr(row->key.shape, "mem_"))) {
            rate = row->gbytes_per_s;
            unit = "GB/s";
        }
        char med_s[32], rate_s[32], pb_s[32], sp_s[32], flags[64] = "";
        snprintf(med_s, sizeof med_s, isnan(row->median_ns) ? "NA" : "%.1f", row->median_ns / 1e3);
        snprintf(rate_s, sizeof rate_s, isnan(rate) ? "NA" : "%.1f", rate);
        snprintf(pb_s, sizeof pb_s, isnan(row->pct_bound) ? "NA" : "%.0f%%%c", row->pct_bound,
                 row->bound == AB_BOUND_MEMORY ? 'm' : 'c');
        snprintf(sp_s, sizeof sp_s, isnan(row->speedup_vs_ref) ? "NA" : "%.2fx", row->speedup_vs_ref);
        if (row->implausible)
            strcat(flags, "IMPLAUSIBLE ");
        if (row->noisy)
            strcat(flags, "noisy ");
        if (row->timed && row->clean_repetitions < row->repetitions) {
            size_t len = strlen(flags);
            snprintf(flags + len, sizeof flags - len, "preempted %d/%d", row->repetitions - row->clean_repetitions,
                     row->repetitions);
        }
        printf("%-24s %-34s %3d %-9s %11s %9s %-7s %8s %7s %s\n", row->key.kernel, shape, row->key.threads,
               ab_verdict_name(row->verdict), med_s, rate_s, unit, pb_s, sp_s, flags);
        if (row->verdict == AB_VERDICT_FAIL)
            printf("    ^ %s\n", row->note);
    }
    printf("%%bound: of the roofline bound (c: compute, m: memory) from the peaks measured in this run\n");
    print_paired(&res);
    ab_results_release(&res);
}

int ab__cli_run(int argc, char **argv)
{
    enum { OPT_MULTIPLEX = 256, OPT_RESUME, OPT_SEED, OPT_TDP, OPT_NO_PIN, OPT_MAX_ITEM, OPT_NO_PROBES, OPT_PEAKS_FROM, OPT_OVERWRITE, OPT_ISOLATE, OPT_ITEM_TIMEOUT, OPT_SHAPE, OPT_PACE, OPT_INTERLEAVE };
    static const struct option options[] = {
        {"filter", required_argument, NULL, 'f'},      {"set", required_argument, NULL, 's'},
        {"shape", required_argument, NULL, OPT_SHAPE},
        {"threads", required_argument, NULL, 't'},     {"repetitions", required_argument, NULL, 'r'},
        {"min-time", required_argument, NULL, 'm'},    {"max-item-time", required_argument, NULL, OPT_MAX_ITEM},
        {"events", required_argument, NULL, 'e'},      {"multiplex", no_argument, NULL, OPT_MULTIPLEX},
        {"out", required_argument, NULL, 'o'},         {"quick", no_argument, NULL, 'q'},
        {"resume", required_argument, NULL, OPT_RESUME}, {"seed", required_argument, NULL, OPT_SEED},
        {"tdp", required_argument, NULL, OPT_TDP},     {"no-pin", no_argument, NULL, OPT_NO_PIN},
        {"no-probes", no_argument, NULL, OPT_NO_PROBES}, {"peaks-from", required_argument, NULL, OPT_PEAKS_FROM},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE}, {"isolate", no_argument, NULL, OPT_ISOLATE},
        {"interleave", no_argument, NULL, OPT_INTERLEAVE},
        {"item-timeout", required_argument, NULL, OPT_ITEM_TIMEOUT}, {"help", no_argument, NULL, 'h'},
        {"pace", required_argument, NULL, OPT_PACE},
        {NULL, 0, NULL, 0},
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
    struct pace pace = {.in_fd = -1, .out_fd = -1, .on = false};
    int c;
    double d;
    struct ab_error perr;
    ab_error_clear(&perr);
    while ((c = getopt_long(argc, argv, "f:s:t:r:m:e:o:qh", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            o.filter = optarg;
            o.given |= AB_RUN_GIVEN_FILTER;
            break;
        case 's':
            if (ab_run_options_add_set(&o, optarg, &perr) != AB_OK)
                return ab__cli_usage_error("run", "%s", perr.msg);
            o.given |= AB_RUN_GIVEN_SETS;
            break;
        case OPT_SHAPE:
            if (o.n_shapes == AB_RUN_MAX_SHAPES)
                return ab__cli_usage_error("run", "more than %d --shape options", AB_RUN_MAX_SHAPES);
            o.shapes[o.n_shapes++] = optarg;
            o.given |= AB_RUN_GIVEN_SHAPES;
            break;
        case 't':
            if (ab_run_options_set_threads(&o, optarg, &perr) != AB_OK)
                return ab__cli_usage_error("run", "%s", perr.msg);
            o.given |= AB_RUN_GIVEN_THREADS;
            break;
        case 'r': {
            char *end = NULL;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 256)
                return ab__cli_usage_error("run", "--repetitions: '%s' is not in 1..256", optarg);
            o.repetitions = (int)n;
            reps_set = true;
            o.given |= AB_RUN_GIVEN_REPETITIONS;
            break;
        }
        case 'm':
            if (!parse_double(optarg, &o.min_time_s) || o.min_time_s > 60.0)
                return ab__cli_usage_error("run", "--min-time: '%s' is not a duration in 0..60 seconds", optarg);
            min_time_set = true;
            o.given |= AB_RUN_GIVEN_MIN_TIME;
            break;
        case OPT_MAX_ITEM:
            if (!parse_double(optarg, &o.max_item_s) || o.max_item_s <= 0.0 || o.max_item_s > 86400.0)
                return ab__cli_usage_error("run", "--max-item-time: '%s' is not a duration in (0, 86400] seconds",
                                           optarg);
            o.given |= AB_RUN_GIVEN_MAX_ITEM;
            break;
        case 'e':
            o.events = optarg;
            o.given |= AB_RUN_GIVEN_EVENTS;
            break;
        case OPT_MULTIPLEX:
            o.multiplex = true;
            o.given |= AB_RUN_GIVEN_MULTIPLEX;
            break;
        case 'o':
            o.out_dir = optarg;
            break;
        case 'q':
            o.quick = true;
            o.given |= AB_RUN_GIVEN_QUICK;
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
            o.given |= AB_RUN_GIVEN_SEED;
            break;
        }
        case OPT_TDP:
            if (!parse_double(optarg, &d) || d <= 0.0 || d > 100000.0)
                return ab__cli_usage_error("run", "--tdp: '%s' is not a power in (0, 100000] watts", optarg);
            o.tdp_w = d;
            o.given |= AB_RUN_GIVEN_TDP;
            break;
        case OPT_NO_PIN:
            o.pin = false;
            o.given |= AB_RUN_GIVEN_PIN;
            break;
        case OPT_NO_PROBES:
            o.probes = false;
            o.given |= AB_RUN_GIVEN_PROBES;
            break;
        case OPT_PEAKS_FROM:
            o.peaks_from = optarg;
            o.given |= AB_RUN_GIVEN_PEAKS_FROM;
            break;
        case OPT_OVERWRITE:
            o.overwrite = true;
            break;
        case OPT_ISOLATE:
            o.isolate = true;
            o.given |= AB_RUN_GIVEN_ISOLATE;
            break;
        case OPT_INTERLEAVE:
            o.interleave = true;
            o.given |= AB_RUN_GIVEN_INTERLEAVE;
            break;
        case OPT_ITEM_TIMEOUT:
            if (!parse_double(optarg, &o.item_timeout_s) || o.item_timeout_s <= 0.0 || o.item_timeout_s > 86400.0)
                return ab__cli_usage_error("run", "--item-timeout: '%s' is not a duration in (0, 86400] seconds",
                                           optarg);
            o.given |= AB_RUN_GIVEN_ITEM_TIMEOUT;
            break;
        case OPT_PACE:
            if (!parse_pace(optarg, &pace))
                return ab__cli_usage_error("run", "--pace: '%s' is not two open file descriptors IN,OUT", optarg);
            pace.on = true;
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
    if (o.quick && !o.resume) {
        /* 6 repetitions: the fewest with a 95% order-statistic interval of the median. */
        if (!reps_set)
            o.repetitions = 6;
        if (!min_time_set)
            o.min_time_s = 0.03;
        o.max_item_s = o.max_item_s < 3.0 ? o.max_item_s : 3.0;
    }
    struct ab_filter *f = NULL;
    struct ab_error ferr;
    ab_error_clear(&ferr);
    if (ab_filter_new(o.filter, &f, &ferr) != AB_OK)
        return ab__cli_usage_error("run", "--filter: %s", ferr.msg);
    ab_filter_free(f);
    o.command_line = command;
    o.stop = &stop_requested;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    bool tty = isatty(STDERR_FILENO);
    if (tty)
        o.on_progress = progress;
    o.on_warning = warning;
    if (pace.on) {
        /* A turn-giver that exits must not kill this run with SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);
        o.on_yield = pace_yield;
        o.user = &pace;
        pace_take(&pace);  /* nothing heavy before the first turn */
    }

    struct ab_run_result res;
    struct ab_error err;
    ab_error_clear(&err);
    enum ab_status st = ab_run(&o, &res, &err);
    if (ab_mpi_rank() > 0)  /* another rank of an mpirun: rank 0 reports */
        return st == AB_OK ? AB_EXIT_OK : AB_EXIT_FAIL;
    if (tty)
        fprintf(stderr, "\r\033[K");
    if (st == AB_ENOTSUP) {
        /* only collective families matched, and they cannot run here: a skip */
        fprintf(stderr, "archbench run: skipped: %s\n", err.msg);
        return AB_EXIT_SKIP;
    }
    if (st != AB_OK && st != AB_EINTERRUPTED) {
        fprintf(stderr, "archbench run: %s\n", err.msg[0] ? err.msg : ab_status_message(st));
        /* A bad command line is 2; a bad input file (--peaks-from, --resume) is 1. The
         * filter was compiled above, so a parse error here is a file's. */
        return st == AB_EINVAL || st == AB_EOVERFLOW || st == AB_ENOTFOUND ? AB_EXIT_USAGE
                                                                                              : AB_EXIT_FAIL;
    }
    print_summary(o.out_dir);
    fprintf(stderr,
            "archbench run: %zu items (%zu measured, %zu resumed, %zu failed verification, %zu implausible, %zu with "
            "preempted repetitions) -> %s/\n",
            res.n_items, res.n_done, res.n_resumed, res.n_failed, res.n_implausible, res.n_preempted, o.out_dir);
    if (st == AB_EINTERRUPTED) {
        fprintf(stderr, "archbench run: %s; continue with --resume %s\n", err.msg, o.out_dir);
        return AB_EXIT_FAIL;
    }
    return res.n_failed ? AB_EXIT_FAIL : AB_EXIT_OK;
}
