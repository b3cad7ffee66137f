/*
 * cli_ab.c - `archbench ab --base OLD --cand NEW --out DIR`: the CI gate. Runs two
 * archbench executables interleaved on this machine in blocks, each block one `run` of
 * each with the same filter, shapes, threads, repetitions and seed, into
 * DIR/base/blockNN and DIR/cand/blockNN; then judges the per-block ratios with paired
 * statistics (reports/compare_stats.c: the sign test, or Wilcoxon signed-rank), so drift
 * and neighbours that hit a block hit both sides.
 *
 * How fine the interleaving is decides what "hit both sides" means. By default both runs
 * of a block are alive at once and take turns (`run --pace`): one timed repetition of
 * the base, one of the candidate, ABBA order, so the same item's repetitions of the two
 * builds are tens of milliseconds apart. With whole runs in turn (--interleave runs, the
 * only way with a build older than --pace) they were a whole run apart (seconds), and
 * the slow episodes of a shared host - several seconds at +15% on this VM - fell on one
 * side of a block: they, not the kernels, set the width of the intervals.
 *
 * The children are started with fork/exec, no shell: nothing in a filter or a path is
 * ever interpreted. Their output goes to DIR/logs/. Same exit codes as `compare`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "archbench/compare.h"
#include "archbench/results.h"
#include "archbench/timer.h"

#include "cli.h"

#define MAX_SETS 16
#define MAX_BLOCKS 100

static void help(FILE *out)
{
    fprintf(out,
            "usage: archbench ab --base OLD_ARCHBENCH --cand NEW_ARCHBENCH --out DIR [options]\n"
            "\n"
            "Run two archbench builds interleaved in B blocks (each block runs both, taking turns\n"
            "repetition by repetition in ABBA order), same inputs and seed, no peak probes; then\n"
            "judge each item\n"
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
            "      --interleave HOW   repetitions (default): both runs alive, one timed repetition\n"
            "                         each in turn (DIR/logs/schedule.tsv logs the turns);\n"
            "                         runs: one whole run, then the other (ABBA over blocks), for\n"
            "                         builds older than 'run --pace'\n"
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
    bool paced; /* --interleave repetitions (default) rather than runs */
};

/* The argv of one side's run of one block (pace_arg: "IN,OUT" or NULL). */
static int side_argv(const struct ab_opts *o, const char *bin, const char *out_dir, const char *pace_arg,
                     const char **argv)
{
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "run";
    argv[n++] = "--no-probes";
    argv[n++] = "--overwrite";   /* DIR was checked (or --overwrite given) before block 0 */
    argv[n++] = "--seed";
    argv[n++] = o->seed;
    argv[n++] = "--repetitions";
    argv[n++] = o->reps;
    if (pace_arg) {
        argv[n++] = "--pace";
        argv[n++] = pace_arg;
    }
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
    return n;
}

/* One side of one block: its child process and, when paced, the two pipes of its turns. */
struct side {
    const char *name;      /* "base" or "cand" */
    pid_t pid;
    int grant_fd, done_fd; /* ab writes a byte to grant_fd to hand over a turn, reads one from done_fd */
    bool live;             /* paced and still taking turns */
    char log_path[4096];
};

/* Start one side of block `block`; paced: with the turn pipes (the child waits for its
 * first turn before doing anything heavy). false if it could not start. */
static bool start_side(const struct ab_opts *o, bool is_base, long block, bool paced, struct side *s)
{
    const char *bin = is_base ? o->base : o->cand;
    s->name = is_base ? "base" : "cand";
    s->pid = -1;
    s->grant_fd = s->done_fd = -1;
    s->live = false;
    char out_dir[4096], pace_arg[64];
    snprintf(out_dir, sizeof out_dir, "%s/%s/block%02ld", o->out, s->name, block);
    snprintf(s->log_path, sizeof s->log_path, "%s/logs/%s_block%02ld.log", o->out, s->name, block);
    /* Every end is close-on-exec, so the other side's child never holds this side's pipes
     * open (its EOF is how ab learns that this side's run has ended); the child clears
     * the flag on its own two ends. */
    int grant[2] = {-1, -1}, done[2] = {-1, -1};
    if (paced && (pipe2(grant, O_CLOEXEC) != 0 || pipe2(done, O_CLOEXEC) != 0)) {
        for (int i = 0; i < 2; i++) {
            if (grant[i] >= 0)
                close(grant[i]);
            if (done[i] >= 0)
                close(done[i]);
        }
        return false;
    }
    if (paced)
        snprintf(pace_arg, sizeof pace_arg, "%d,%d", grant[0], done[1]);
    const char *argv[26 + 4 * MAX_SETS];
    side_argv(o, bin, out_dir, paced ? pace_arg : NULL, argv);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        if (paced && (fcntl(grant[0], F_SETFD, 0) != 0 || fcntl(done[1], F_SETFD, 0) != 0))
            _exit(127);
        /* execv's argv is char *const[] for historical reasons; the strings are not modified. */
        execv(bin, (char *const *)(void *)argv);
        fprintf(stderr, "archbench ab: cannot execute '%s': %s\n", bin, strerror(errno));
        _exit(127);
    }
    if (paced) {
        close(grant[0]);
        close(done[1]);
        if (pid < 0) {
            close(grant[1]);
            close(done[0]);
            return false;
        }
        s->grant_fd = grant[1];
        s->done_fd = done[0];
        s->live = true;
    }
    s->pid = pid;
    return pid > 0;
}

static void side_close(struct side *s)
{
    if (s->grant_fd >= 0)
        close(s->grant_fd);
    if (s->done_fd >= 0)
        close(s->done_fd);
    s->grant_fd = s->done_fd = -1;
    s->live = false;
}

/* Hand one turn to s and wait until it gives it back (true) or its run ends (false). */
static bool side_turn(struct side *s)
{
    char byte = 'g';
    ssize_t n;
    while ((n = write(s->grant_fd, &byte, 1)) < 0 && errno == EINTR)
        ;
    if (n == 1)
        while ((n = read(s->done_fd, &byte, 1)) < 0 && errno == EINTR)
            ;
    if (n != 1)
        side_close(s);
    return n == 1;
}

/*
 * After a turn: wait until no thread of the run that just yielded is still on a CPU
 * (/proc/PID/task/TID/stat state R), at most AB_QUIET_MAX_NS. Its OpenMP workers do
 * not sleep when a parallel region ends: libgomp spins 300,000 times first (default
 * GOMP_SPINCOUNT, milliseconds), and on 2 CPUs a spinning worker of one build would
 * take a core from the other build's next repetition. Returns the nanoseconds waited.
 */
#define AB_QUIET_MAX_NS 50000000
#define AB_QUIET_POLL_NS 100000

static bool any_thread_running(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    if (!dir)
        return false;
    bool running = false;
    struct dirent *e;
    while (!running && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char stat_path[128], buf[512];
        snprintf(stat_path, sizeof stat_path, "/proc/%d/task/%.16s/stat", (int)pid, e->d_name);
        FILE *f = fopen(stat_path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* "tid (comm) S ...": the state follows the last ')' (comm may hold one). */
        const char *close_paren = strrchr(buf, ')');
        running = close_paren && close_paren[1] == ' ' && close_paren[2] == 'R';
    }
    closedir(dir);
    return running;
}

static int64_t wait_quiet(pid_t pid)
{
    int64_t t0 = ab_now_ns();
    while (pid > 0 && any_thread_running(pid) && ab_now_ns() - t0 < AB_QUIET_MAX_NS) {
        struct timespec ts = {0, AB_QUIET_POLL_NS};
        nanosleep(&ts, NULL);
    }
    return ab_now_ns() - t0;
}

/* Wait for s's child; its exit status, or -1. */
static int side_wait(struct side *s)
{
    side_close(s);
    if (s->pid <= 0)
        return -1;
    int status = 0;
    while (waitpid(s->pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    s->pid = -1;
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

/* A side's exit status: 0 or 1 (a completed run, a failed verification is judged
 * later) go on; anything else stops ab with its exit code. */
static int side_status(const struct ab_opts *o, const struct side *s, long block, int st)
{
    if (st == 0 || st == 1)
        return 0;
    fprintf(stderr, "\narchbench ab: the %s run of block %ld exited with %d; see '%s'\n", s->name, block, st,
            s->log_path);
    if (st == 2 && o->paced)
        fprintf(stderr, "archbench ab: a build older than repetition interleaving rejects 'run --pace': "
                        "try --interleave runs\n");
    return st == 2 || st == 127 || st < 0 ? AB_EXIT_USAGE : AB_EXIT_FAIL;
}

/*
 * One block, paced: both runs are started, and turns are handed out one at a time in
 * ABBA order (pair p of turns starts with the base when p + block is even), each turn
 * lasting from one timed repetition's start to the next's. A side whose run ended gets
 * no more turns; the other goes on alone. Every turn is logged in DIR/logs/schedule.tsv.
 */
static int run_block_paced(const struct ab_opts *o, long b, FILE *schedule)
{
    struct side sides[2];
    bool started[2] = {false, false};
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        started[k] = start_side(o, k == 0, b, true, &sides[k]);
        if (!started[k]) {
            fprintf(stderr, "\narchbench ab: cannot start the %s run of block %ld: %s\n", k ? "cand" : "base", b,
                    strerror(errno));
            rc = AB_EXIT_FAIL;
        }
    }
    for (long turn = 0; rc == 0 && (sides[0].live || sides[1].live); turn++) {
        long pair = turn / 2;
        bool base_first = (pair + b) % 2 == 0;
        int k = (turn % 2 == 0) == base_first ? 0 : 1;
        if (!sides[k].live)
            continue;
        int64_t t0 = ab_now_ns();
        bool more = side_turn(&sides[k]);
        int64_t t1 = ab_now_ns();
        int64_t quiet_ns = more ? wait_quiet(sides[k].pid) : 0;
        if (schedule)
            fprintf(schedule, "%ld\t%ld\t%s\t%" PRId64 "\t%" PRId64 "\t%s\t%" PRId64 "\n", b, turn, sides[k].name,
                    t0, t1, more ? "turn" : "end", quiet_ns);
        /* A run that failed (a build that rejects --pace fails at once) stops the block
         * now, not after the other side has run alone. */
        if (!more) {
            rc = side_status(o, &sides[k], b, side_wait(&sides[k]));
            started[k] = false;
        }
    }
    for (int k = 0; k < 2; k++) {
        if (!started[k])
            continue;
        if (rc != 0 && sides[k].pid > 0)
            kill(sides[k].pid, SIGTERM);
        int st = side_wait(&sides[k]);
        if (rc == 0)
            rc = side_status(o, &sides[k], b, st);
    }
    return rc;
}

/* One block, runs in turn: the whole base run, then the whole candidate run (or the
 * other way round on odd blocks). */
static int run_block_whole(const struct ab_opts *o, long b)
{
    for (int k = 0; k < 2; k++) {
        bool is_base = (k == 0) == (b % 2 == 0);
        struct side s;
        if (!start_side(o, is_base, b, false, &s)) {
            fprintf(stderr, "\narchbench ab: cannot start the %s run of block %ld: %s\n", is_base ? "base" : "cand",
                    b, strerror(errno));
            return AB_EXIT_FAIL;
        }
        int rc = side_status(o, &s, b, side_wait(&s));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Run the blocks; returns 0 or the exit code of the failure. */
static int run_blocks(const struct ab_opts *o)
{
    bool tty = isatty(STDERR_FILENO);
    FILE *schedule = NULL;
    if (o->paced) {
        char path[4096];
        snprintf(path, sizeof path, "%s/logs/schedule.tsv", o->out);
        schedule = fopen(path, "w");
        if (schedule)
            fprintf(schedule, "block\tturn\tside\tstart_ns\tend_ns\tevent\tquiet_wait_ns\n");
    }
    /* A run that ends while ab writes its next turn must not kill ab. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    int rc = 0;
    for (long b = 0; b < o->blocks && rc == 0; b++) {
        if (tty)
            fprintf(stderr, "\r\033[Karchbench ab: block %ld/%ld", b + 1, o->blocks);
        rc = o->paced ? run_block_paced(o, b, schedule) : run_block_whole(o, b);
    }
    signal(SIGPIPE, old_pipe);
    if (schedule && fclose(schedule) != 0 && rc == 0)
        fprintf(stderr, "archbench ab: warning: the turn log %s/logs/schedule.tsv is incomplete\n", o->out);
    if (tty && rc == 0)
        fprintf(stderr, "\r\033[K");
    return rc;
}

int ab__cli_ab(int argc, char **argv)
{
    enum { OPT_BASE = 300, OPT_CAND, OPT_SEED, OPT_OVERWRITE, OPT_SHAPE, OPT_JUDGE, OPT_INTERLEAVE };
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
        {"interleave", required_argument, NULL, OPT_INTERLEAVE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ab_opts o = {.reps = "3", .seed = "1", .blocks = 20, .paced = true};
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
        case OPT_INTERLEAVE:
            if (strcmp(optarg, "repetitions") == 0)
                o.paced = true;
            else if (strcmp(optarg, "runs") == 0)
                o.paced = false;
            else
                return ab__cli_usage_error("ab", "--interleave: '%s' is not 'repetitions' or 'runs'", optarg);
            break;
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
