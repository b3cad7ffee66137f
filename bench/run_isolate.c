/*
 * run_isolate.c - `run --isolate`: each item in its own process, so a kernel that
 * crashes (SIGSEGV, SIGILL, SIGFPE, abort) or hangs becomes a `crash` or `timeout` row
 * and the sweep goes on.
 *
 * The child is archbench itself (/proc/self/exe: the same registry, test-only variants
 * included), started with fork + exec — not fork alone, because a forked child of a
 * process whose OpenMP pool exists inherits that pool's bookkeeping without its threads.
 * It runs exactly one item: the kernel by name, every shape parameter scoped to its
 * family, the case's seed, the run's measurement options, into a folder under
 * DIR/.isolate/; the parent reads that folder through the results model and takes the
 * row (re-deriving speed-up and bound against its own reference and peaks). The child
 * gets the affinity mask the run started with, not the parent's pinned one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "archbench/alloc.h"
#include "archbench/timer.h"

#include "run_internal.h"

#define MAX_ARGS 64

struct argv_buf {
    char *argv[MAX_ARGS];
    size_t n;
    char text[8192];
    size_t used;
};

static bool add(struct argv_buf *a, const char *fmt, ...) AB_PRINTF(2, 3);
static bool add(struct argv_buf *a, const char *fmt, ...)
{
    if (a->n + 1 >= MAX_ARGS)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(a->text + a->used, sizeof a->text - a->used, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof a->text - a->used)
        return false;
    a->argv[a->n++] = a->text + a->used;
    a->argv[a->n] = NULL;
    a->used += (size_t)len + 1;
    return true;
}

/* Escape a kernel name for the PCRE2 filter (names are [a-z0-9_], but say so safely). */
static bool filter_for(char *buf, size_t n, const char *family, const char *kernel)
{
    int len = snprintf(buf, n, "^%s/%s$", family, kernel);
    if (len < 0 || (size_t)len >= n)
        return false;
    for (const char *p = kernel; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

static void fill_failed(struct ab_result_row *row, enum ab_verdict v, const char *fmt, ...) AB_PRINTF(3, 4);
static void fill_failed(struct ab_result_row *row, enum ab_verdict v, const char *fmt, ...)
{
    row->verdict = v;
    row->timed = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->note, sizeof row->note, fmt, ap);
    va_end(ap);
    snprintf(row->energy_note, sizeof row->energy_note, "not measured (%s)", ab_verdict_name(v));
}

static void remove_tree(const char *dir)
{
    static const char *const names[] = {"samples.csv", "counters.csv", "speed.csv", "memory.csv", "energy.csv",
                                        "metrics.csv", "context.json", "gbench.json", "child.log",
                                        "samples.csv.partial", "counters.csv.partial", "speed.csv.partial",
                                        "memory.csv.partial", "energy.csv.partial", "metrics.csv.partial"};
    char p[1400];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        (void)unlink(p);
    }
    (void)rmdir(dir);
}

void ab__isolate_item(struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc, uint64_t seed,
                      struct ab_result_row *row, struct ab_result_metric *out_metrics, size_t *out_n_metrics)
{
    *out_n_metrics = 0;
    const struct ab_run_options *o = r->o;
    ab__row_init(r, it, pc, seed, row);
    row->workspace_bytes = -1;  /* measured in the child */
    snprintf(row->mem_note, sizeof row->mem_note, "not measured (isolated item)");
    char base[1100], dir[1200];
    snprintf(base, sizeof base, "%s/.isolate", o->out_dir);
    (void)mkdir(base, 0755);
    snprintf(dir, sizeof dir, "%s/item-%d", base, (int)getpid());
    remove_tree(dir);

    struct argv_buf a = {.n = 0};
    char filter[200];
    bool ok = filter_for(filter, sizeof filter, pc->family->name, it->kernel->name);
    ok &= add(&a, "archbench") && add(&a, "run") && add(&a, "--filter") && add(&a, "%s", filter);
    /* Every parameter, scoped to the family, by value. */
    for (size_t p = 0; ok && p < pc->family->n_params; p++)
        ok &= add(&a, "--set") && add(&a, "%s.%s=%" PRId64, pc->family->name, pc->family->params[p].name,
                                        pc->shape.v[p]);
    ok &= add(&a, "--threads") && add(&a, "%d", it->threads);
    ok &= add(&a, "--repetitions") && add(&a, "%d", o->repetitions);
    ok &= add(&a, "--min-time") && add(&a, "%.17g", o->min_time_s);
    ok &= add(&a, "--max-item-time") && add(&a, "%.17g", o->max_item_s);
    ok &= add(&a, "--events") && add(&a, "%s", o->events);
    ok &= add(&a, "--seed") && add(&a, "%" PRIu64, seed);
    ok &= add(&a, "--no-probes") && add(&a, "--out") && add(&a, "%s", dir);
    if (o->tdp_w > 0)
        ok &= add(&a, "--tdp") && add(&a, "%.17g", o->tdp_w);
    if (o->multiplex)
        ok &= add(&a, "--multiplex");
    if (!o->pin)
        ok &= add(&a, "--no-pin");
    if (!ok) {
        fill_failed(row, AB_VERDICT_FAIL, "cannot isolate: the command line of the child does not fit");
        return;
    }
    char log_path[1300];
    snprintf(log_path, sizeof log_path, "%s.log", dir);

    int64_t t0 = ab_now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        fill_failed(row, AB_VERDICT_FAIL, "cannot isolate: fork failed: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls until exec. */
        if (r->team.have_saved) {
            cpu_set_t set;
            memcpy(&set, r->team.saved_mask, sizeof set);
            (void)sched_setaffinity(0, sizeof set, &set);
        }
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            (void)dup2(fd, STDOUT_FILENO);
            (void)dup2(fd, STDERR_FILENO);
            (void)close(fd);
        }
        execv("/proc/self/exe", a.argv);
        _exit(127);
    }
    double timeout_s = o->item_timeout_s > 0 ? o->item_timeout_s : 4.0 * o->max_item_s + 60.0;
    int status = 0;
    bool timed_out = false;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            fill_failed(row, AB_VERDICT_FAIL, "cannot isolate: waitpid failed: %s", strerror(errno));
            return;
        }
        double el = (double)(ab_now_ns() - t0) * 1e-9;
        if (el > timeout_s || (o->stop && *o->stop >= 2)) {
            timed_out = el > timeout_s;
            kill(pid, SIGKILL);
            (void)waitpid(pid, &status, 0);
            break;
        }
        struct timespec ts = {0, 2000000};  /* 2 ms: negligible beside any item */
        nanosleep(&ts, NULL);
    }
    double el = (double)(ab_now_ns() - t0) * 1e-9;
    if (timed_out) {
        fill_failed(row, AB_VERDICT_TIMEOUT, "killed after %.1f s (item timeout %.1f s; seed %" PRIu64 ")", el,
                    timeout_s, seed);
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (o->stop && *o->stop >= 2)
            fill_failed(row, AB_VERDICT_FAIL, "abandoned by an interrupt");
        else
            fill_failed(row, AB_VERDICT_CRASH, "the kernel's process died of signal %d (%s; seed %" PRIu64 ")", sig,
                        strsignal(sig), seed);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) > 1) {
        fill_failed(row, AB_VERDICT_FAIL, "the isolated run exited %d", WEXITSTATUS(status));
    } else {
        struct ab_results child;
        struct ab_error err;
        if (ab_results_read(dir, false, &child, &err) != AB_OK) {
            fill_failed(row, AB_VERDICT_FAIL, "cannot read the isolated run: %s", err.msg);
            return;
        }
        const struct ab_result_row *cr = ab_results_find(&child, &row->key);
        if (!cr) {
            fill_failed(row, AB_VERDICT_FAIL, "the isolated run has no row for the item");
        } else {
            struct ab_result_row copy = *cr;
            /* Take the child's measurement; counters are re-keyed to the parent's list
             * (the same --events, so the same order). */
            copy.samples = copy.n_samples ? ab_malloc(copy.n_samples * sizeof *copy.samples) : NULL;
            size_t n_ev = child.ctx.n_events;
            copy.counts = cr->counts && n_ev ? ab_malloc(copy.n_samples * n_ev * sizeof *copy.counts) : NULL;
            if ((copy.n_samples && !copy.samples) || (cr->counts && n_ev && !copy.counts)) {
                ab_free(copy.samples);
                ab_free(copy.counts);
                fill_failed(row, AB_VERDICT_FAIL, "out of memory taking the isolated row");
            } else {
                if (copy.samples)
                    memcpy(copy.samples, cr->samples, copy.n_samples * sizeof *copy.samples);
                if (copy.counts)
                    memcpy(copy.counts, cr->counts, copy.n_samples * n_ev * sizeof *copy.counts);
                *row = copy;
                size_t len = strlen(row->note);
                snprintf(row->note + len, sizeof row->note - len, "%sisolated in its own process", len ? "; " : "");
            }
        }
        for (size_t m = 0; m < child.n_metrics && *out_n_metrics < AB_METRICS_MAX; m++)
            out_metrics[(*out_n_metrics)++] = child.metrics[m];
        ab_results_release(&child);
    }
    /* The child's folder and log go whatever happened: the row holds what matters. */
    remove_tree(dir);
    (void)unlink(log_path);
    (void)rmdir(base);
}
