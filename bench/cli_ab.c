/*
 * cli_ab.c - `archbench ab --base OLD --cand NEW --out DIR`: the CI gate. Runs two
 * archbench executables interleaved on this machine in blocks, ABBA order (block 0 base
 * then candidate, block 1 candidate then base, ...), each block one `run` of each with
 * the same filter, shapes, threads, repetitions and seed, into DIR/base/blockNN and
 * DIR/cand/blockNN; then judges the per-block ratios with paired statistics
 * (reports/compare_stats.c: the sign test, or Wilcoxon signed-rank), so drift and
 * neighbours that hit a block hit both sides.
 *
 * The children are started with fork/exec, no shell: nothing in a filter or a path is
 * ever interpreted. Their output goes to DIR/logs/. Same exit codes as `compare`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archbench/compare.h"
#include "archbench/results.h"

#include "cli.h"

#define MAX_SETS 16
#define MAX_BLOCKS 100

static void help(FILE *out)
{
    fprintf(out,
            "usage: archbench ab --base OLD_ARCHBENCH --cand NEW_ARCHBENCH --out DIR [options]\n"
            "\n"
            "Run two archbench builds interleaved in B blocks (ABBA order: each block runs both,\n"
            "the first alternating), same inputs and seed, no peak probes; then judge each item\n"
            "from the per-block log ratios of medians: median ratio, its sign-test 95%% interval,\n"
            "sign-test p-value (--paired-test signed-rank: Hodges-Lehmann and Wilcoxon),\n"
            "Benjamini-Hochberg across items. The mode to gate CI with.\n"
            "\n"
            "      --base PATH        the base build's archbench executable\n"
            "      --cand PATH        the candidate build's archbench executable\n"
            "  -b, --blocks B         blocks (default 20; at least %d for a verdict other than\n"
            "                         undecided; 20 catch ~96%% of 10%% slowdowns at a 5%% threshold)\n"
            "  -o, --out DIR          DIR/base/blockNN, DIR/cand/blockNN, DIR/logs, and by default\n"
            "                         DIR/compare.md, DIR/junit.xml, DIR/compare.json\n"
            "      --overwrite        replace an earlier ab run in DIR (else refused)\n"
            "  run options passed to both sides:\n"
            "  -f, --filter RE   -s, --set P=V   --shape FAMILY:P=V,... (both repeatable)\n"
            "  -t, --threads N[,M]   -r, --repetitions R (per block, default 3)   -m, --min-time S\n"
            "  --seed S (default 1)\n"
            "      --judge DIR        run nothing: judge the blocks of an earlier ab run in DIR again\n"
            "                         (another threshold, a thresholds file; or blocks doctored with\n"
            "                         `archbench _scale` for a power check); documents go into DIR\n"
            "                         unless --markdown/--junit/--json say elsewhere\n"
            "%s",
            AB_COMPARE_MIN_BLOCKS, ab__cli_gate_options_help());
}

struct ab_opts {
    const char *base, *cand, *out, *filter, *threads, *reps, *min_time, *seed;
    const char *sets[MAX_SETS], *shapes[MAX_SETS];
    int n_sets, n_shapes;
    long blocks;
    bool overwrite;
};

/* Run one side of one block; returns its exit status, or -1 if it could not start. */
static int run_side(const struct ab_opts *o, const char *bin, const char *side, long block, char *log_path,
                    size_t log_n)
{
    char out_dir[4096];
    snprintf(out_dir, sizeof out_dir, "%s/%s/block%02ld", o->out, side, block);
    snprintf(log_path, log_n, "%s/logs/%s_block%02ld.log", o->out, side, block);
    const char *argv[24 + 4 * MAX_SETS];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "run";
    argv[n++] = "--no-probes";
    argv[n++] = "--overwrite";   /* DIR was checked (or --overwrite given) before block 0 */
    argv[n++] = "--seed";
    argv[n++] = o->seed;
    argv[n++] = "--repetitions";
    argv[n++] = o->reps;
    if (o->min_time) {
        argv[n++] = "--min-time";
        argv[n++] = o->min_time;
    }
    if (o->filter) {
        argv[n++] = "--filter";
        argv[n++] = o->filter;
    }
    if (o->threads) {
        argv[n++] = "--threads";
        argv[n++] = o->threads;
    }
    for (int i = 0; i < o->n_sets; i++) {
        argv[n++] = "--set";
        argv[n++] = o->sets[i];
    }
    for (int i = 0; i < o->n_shapes; i++) {
        argv[n++] = "--shape";
        argv[n++] = o->shapes[i];
    }
    argv[n++] = "--out";
    argv[n++] = out_dir;
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        /* execv's argv is char *const[] for historical reasons; the strings are not modified. */
        execv(bin, (char *const *)(void *)argv);
        fprintf(stderr, "archbench ab: cannot execute '%s': %s\n", bin, strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static bool make_dir(const char *path)
{
    return mkdir(path, 0777) == 0 || errno == EEXIST;
}

/* How many blocks an earlier ab run left in dir: block00, block01, ... on both sides. */
static long count_blocks(const char *dir)
{
    char path[4096];
    long b = 0;
    for (; b < MAX_BLOCKS; b++) {
        snprintf(path, sizeof path, "%s/base/block%02ld/context.json", dir, b);
        if (access(path, F_OK) != 0)
            break;
        snprintf(path, sizeof path, "%s/cand/block%02ld/context.json", dir, b);
        if (access(path, F_OK) != 0)
            break;
    }
    return b;
}

/* Read the blocks in dir, judge them and write the documents (into dir unless the gate
 * options name other files); returns the exit code. */
static int judge(const char *dir, long blocks, struct ab__cli_gate *g)
{
    struct ab_results *base = calloc((size_t)blocks, sizeof *base);
    struct ab_results *cand = calloc((size_t)blocks, sizeof *cand);
    struct ab_compare cmp;
    ab_compare_init(&cmp);
    int rc = AB_EXIT_FAIL;
    char path[4096];
    if (!base || !cand) {
        fprintf(stderr, "archbench ab: out of memory\n");
        goto done;
    }
    for (long b = 0; b < blocks; b++) {
        ab_results_init(&base[b]);
        ab_results_init(&cand[b]);
    }
    for (long b = 0; b < blocks; b++) {
        for (int k = 0; k < 2; k++) {
            struct ab_error err;
            snprintf(path, sizeof path, "%s/%s/block%02ld", dir, k ? "cand" : "base", b);
            if (ab_results_read(path, false, k ? &cand[b] : &base[b], &err) != AB_OK) {
                fprintf(stderr, "archbench ab: %s\n", err.msg);
                rc = AB_EXIT_USAGE;
                goto done;
            }
        }
    }
    struct ab_error err;
    if (ab_compare_blocks(base, cand, (size_t)blocks, &g->options, &cmp, &err) != AB_OK) {
        fprintf(stderr, "archbench ab: %s\n", err.msg);
        goto done;
    }
    static char md[4096], junit[4096], json[4096];
    snprintf(md, sizeof md, "%s/compare.md", dir);
    snprintf(junit, sizeof junit, "%s/junit.xml", dir);
    snprintf(json, sizeof json, "%s/compare.json", dir);
    g->markdown = g->markdown ? g->markdown : md;
    g->junit = g->junit ? g->junit : junit;
    g->json = g->json ? g->json : json;
    rc = ab__cli_gate_report("ab", g, &cmp);
done:
    ab_compare_release(&cmp);
    for (long b = 0; base && cand && b < blocks; b++) {
        ab_results_release(&base[b]);
        ab_results_release(&cand[b]);
    }
    free(base);
    free(cand);
    return rc;
}

/* Run the blocks, ABBA; returns 0 or the exit code of the failure. */
static int run_blocks(const struct ab_opts *o)
{
    bool tty = isatty(STDERR_FILENO);
    for (long b = 0; b < o->blocks; b++) {
        /* ABBA: which side goes first alternates, so a trend within a block favours neither. */
        for (int k = 0; k < 2; k++) {
            bool is_base = (k == 0) == (b % 2 == 0);
            const char *side = is_base ? "base" : "cand";
            char log_path[4096];
            if (tty)
                fprintf(stderr, "\r\033[Karchbench ab: block %ld/%ld %s", b + 1, o->blocks, side);
            int st = run_side(o, is_base ? o->base : o->cand, side, b, log_path, sizeof log_path);
            /* 1 is a run that completed with a failed verification: judged below. */
            if (st != 0 && st != 1) {
                fprintf(stderr, "\narchbench ab: the %s run of block %ld exited with %d; see '%s'\n", side, b, st,
                        log_path);
                return st == 2 || st == 127 || st < 0 ? AB_EXIT_USAGE : AB_EXIT_FAIL;
            }
        }
    }
    if (tty)
        fprintf(stderr, "\r\033[K");
    return 0;
}

int ab__cli_ab(int argc, char **argv)
{
    enum { OPT_BASE = 300, OPT_CAND, OPT_SEED, OPT_OVERWRITE, OPT_SHAPE, OPT_JUDGE };
    static const struct option options[] = {
        AB__GATE_LONG_OPTIONS,
        {"base", required_argument, NULL, OPT_BASE},
        {"cand", required_argument, NULL, OPT_CAND},
        {"blocks", required_argument, NULL, 'b'},
        {"out", required_argument, NULL, 'o'},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"filter", required_argument, NULL, 'f'},
        {"set", required_argument, NULL, 's'},
        {"shape", required_argument, NULL, OPT_SHAPE},
        {"threads", required_argument, NULL, 't'},
        {"repetitions", required_argument, NULL, 'r'},
        {"min-time", required_argument, NULL, 'm'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"judge", required_argument, NULL, OPT_JUDGE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ab_opts o = {.reps = "3", .seed = "1", .blocks = 20};
    const char *judge_dir = NULL;
    struct ab__cli_gate g;
    ab__cli_gate_init(&g);
    int c, rc;
    while ((c = getopt_long(argc, argv, "b:o:f:s:t:r:m:h", options, NULL)) != -1) {
        switch (c) {
        case OPT_BASE: o.base = optarg; break;
        case OPT_CAND: o.cand = optarg; break;
        case 'o': o.out = optarg; break;
        case OPT_OVERWRITE: o.overwrite = true; break;
        case 'f': o.filter = optarg; break;
        case 't': o.threads = optarg; break;
        case 'r': o.reps = optarg; break;
        case 'm': o.min_time = optarg; break;
        case OPT_SEED: o.seed = optarg; break;
        case OPT_JUDGE: judge_dir = optarg; break;
        case 's':
            if (o.n_sets == MAX_SETS)
                return ab__cli_usage_error("ab", "more than %d --set options", MAX_SETS);
            o.sets[o.n_sets++] = optarg;
            break;
        case OPT_SHAPE:
            if (o.n_shapes == MAX_SETS)
                return ab__cli_usage_error("ab", "more than %d --shape options", MAX_SETS);
            o.shapes[o.n_shapes++] = optarg;
            break;
        case 'b': {
            char *end = NULL;
            o.blocks = strtol(optarg, &end, 10);
            if (end == optarg || *end || o.blocks < 1 || o.blocks > MAX_BLOCKS)
                return ab__cli_usage_error("ab", "--blocks: '%s' is not in 1..%d", optarg, MAX_BLOCKS);
            break;
        }
        case 'h':
            help(stdout);
            return AB_EXIT_OK;
        default:
            if ((rc = ab__cli_gate_option("ab", &g, c, optarg)) != 0)
                return rc > 0 ? rc : ab__cli_usage_error("ab", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ab__cli_usage_error("ab", "unexpected argument '%s'", argv[optind]);
    if (judge_dir) {
        if (o.base || o.cand || o.out)
            return ab__cli_usage_error("ab", "--judge DIR runs nothing: no --base, --cand or --out");
        long blocks = count_blocks(judge_dir);
        if (blocks == 0)
            return ab__cli_usage_error("ab", "'%s' holds no ab blocks (%s/base/block00/context.json)", judge_dir,
                                       judge_dir);
        if ((rc = ab__cli_gate_load("ab", &g)) == 0)
            rc = judge(judge_dir, blocks, &g);
        ab__cli_gate_release(&g);
        return rc;
    }
    if (!o.base || !o.cand || !o.out)
        return ab__cli_usage_error("ab", "--base, --cand and --out are required");
    if (access(o.base, X_OK) != 0 || access(o.cand, X_OK) != 0)
        return ab__cli_usage_error("ab", "'%s' is not an executable", access(o.base, X_OK) != 0 ? o.base : o.cand);
    if ((rc = ab__cli_gate_load("ab", &g)) != 0)
        return rc;

    char path[4096];
    snprintf(path, sizeof path, "%s/base/block00/context.json", o.out);
    if (!o.overwrite && access(path, F_OK) == 0) {
        ab__cli_gate_release(&g);
        return ab__cli_usage_error("ab", "'%s' holds an ab run: --out elsewhere, or --overwrite", o.out);
    }
    static const char *const sub[] = {"", "/base", "/cand", "/logs"};
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        snprintf(path, sizeof path, "%s%s", o.out, sub[i]);
        if (!make_dir(path)) {
            fprintf(stderr, "archbench ab: cannot create '%s': %s\n", path, strerror(errno));
            ab__cli_gate_release(&g);
            return AB_EXIT_FAIL;
        }
    }
    if (o.blocks < AB_COMPARE_MIN_BLOCKS)
        fprintf(stderr, "archbench ab: warning: %ld blocks: too few for a 95%% interval, every item will be undecided\n",
                o.blocks);
    rc = run_blocks(&o);
    if (rc == 0)
        rc = judge(o.out, o.blocks, &g);
    ab__cli_gate_release(&g);
    return rc;
}
