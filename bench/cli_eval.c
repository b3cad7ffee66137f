/*
 * cli_eval.c - `archbench eval`: score GLUE / SuperGLUE prediction files, or compare two
 * models, with the evaluator of evals/ (eval.h).
 *
 *   archbench eval glue      --gold DIR --pred DIR [options]
 *   archbench eval superglue --gold DIR --pred DIR [options]
 *   archbench eval task NAME --gold FILE --pred FILE [options]
 *   archbench eval compare   --gold DIR --pred-a DIR --pred-b DIR [--suite S] [options]
 *   archbench eval compare   --task NAME --gold FILE --pred-a FILE --pred-b FILE [options]
 *   archbench eval tasks
 *
 * The markdown table goes to stdout; with --out DIR the CSV and markdown reports are
 * written there atomically. Everything is loaded and checked before anything is
 * written, so bad input never leaves a report. Exit 0 ok, 1 bad input or failure,
 * 2 usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archbench/eval.h"
#include "cli.h"

struct eval_args {
    const char *gold;
    const char *pred;
    const char *pred_a;
    const char *pred_b;
    const char *out;
    const char *task;
    const char *suite;
    struct ab_eval_options opts;
};

static const char usage_text[] =
    "usage: archbench eval glue      --gold DIR --pred DIR [options]\n"
    "       archbench eval superglue --gold DIR --pred DIR [options]\n"
    "       archbench eval task NAME --gold FILE --pred FILE [options]\n"
    "       archbench eval compare   --gold DIR --pred-a DIR --pred-b DIR [--suite glue|superglue] [options]\n"
    "       archbench eval compare   --task NAME --gold FILE --pred-a FILE --pred-b FILE [options]\n"
    "       archbench eval tasks\n"
    "\n"
    "Scores prediction files (leaderboard submission layout: CoLA.tsv ... with 'index' and\n"
    "'prediction'; BoolQ.jsonl ... with 'idx' and 'label') against the labelled dev split\n"
    "(GLUE: CoLA/dev.tsv, MNLI/dev_matched.tsv, ...; SuperGLUE: BoolQ/val.jsonl, ...), with\n"
    "the leaderboard's metrics and aggregate, bootstrap intervals, and paired tests.\n"
    "\n"
    "options:\n"
    "  --out DIR        write eval.csv and eval.md (compare: compare.csv, compare.md) into DIR\n"
    "  --bootstrap N    resamples for intervals and p-values (default 1000; 0 = none)\n"
    "  --seed S         seed of every resample (default 1)\n"
    "  --level L        interval level (default 0.95)\n"
    "  -h, --help       this text\n";

static int usage_ok(void)
{
    fputs(usage_text, stdout);
    return AB_EXIT_OK;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno != 0)
        return false;
    *out = (uint64_t)v;
    return true;
}

/* Options after the sub-verb (and its NAME). Returns -1 on success, else an exit code. */
static int parse_options(const char *verb, int argc, char **argv, int first, struct eval_args *a)
{
    ab_eval_options_default(&a->opts);
    for (int i = first; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0)
            return usage_ok();
        const char **slot = NULL;
        if (strcmp(opt, "--gold") == 0)
            slot = &a->gold;
        else if (strcmp(opt, "--pred") == 0)
            slot = &a->pred;
        else if (strcmp(opt, "--pred-a") == 0)
            slot = &a->pred_a;
        else if (strcmp(opt, "--pred-b") == 0)
            slot = &a->pred_b;
        else if (strcmp(opt, "--out") == 0)
            slot = &a->out;
        else if (strcmp(opt, "--task") == 0)
            slot = &a->task;
        else if (strcmp(opt, "--suite") == 0)
            slot = &a->suite;
        bool numeric = strcmp(opt, "--bootstrap") == 0 || strcmp(opt, "--seed") == 0 || strcmp(opt, "--level") == 0;
        if (slot == NULL && !numeric)
            return ab__cli_usage_error(verb, "unknown option '%s'", opt);
        if (i + 1 >= argc)
            return ab__cli_usage_error(verb, "option '%s' needs a value", opt);
        const char *val = argv[++i];
        if (slot) {
            *slot = val;
            continue;
        }
        if (strcmp(opt, "--level") == 0) {
            char *end;
            double level = strtod(val, &end);
            if (*end != '\0' || !(level > 0.0 && level < 1.0))
                return ab__cli_usage_error(verb, "--level '%s' is not a number between 0 and 1", val);
            a->opts.ci_level = level;
            continue;
        }
        uint64_t v;
        if (!parse_u64(val, &v))
            return ab__cli_usage_error(verb, "%s '%s' is not a non-negative integer", opt, val);
        if (strcmp(opt, "--bootstrap") == 0) {
            if (v > 10000000)
                return ab__cli_usage_error(verb, "--bootstrap %s is more than 10000000", val);
            a->opts.n_boot = (size_t)v;
        } else {
            a->opts.seed = v;
        }
    }
    return -1;
}

static bool file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int path_join(char *buf, size_t cap, const char *dir, const char *rel)
{
    int n = snprintf(buf, cap, "%s/%s", dir, rel);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const struct ab_error *err)
{
    fprintf(stderr, "archbench eval: %s\n", err->msg[0] ? err->msg : ab_status_message(err->status));
    return AB_EXIT_FAIL;
}

static int ensure_dir(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) == 0)
        return S_ISDIR(sb.st_mode) ? 0 : -1;
    return mkdir(dir, 0777);
}

/* The data sets of one model: every task of `suite` whose files exist (the scored ones must). */
struct loaded {
    struct ab_eval_data *data[AB_EVAL_TASK_COUNT];
    size_t n;
    size_t n_items;
};

static void loaded_free(struct loaded *l)
{
    for (size_t i = 0; i < l->n; i++)
        ab_eval_data_free(l->data[i]);
    l->n = 0;
}

static int load_suite(enum ab_eval_suite suite, const char *gold_dir, const char *pred_dir, struct loaded *out,
                      bool note_skips)
{
    struct ab_error err = {0};
    for (size_t t = 0; t < AB_EVAL_TASK_COUNT; t++) {
        const struct ab_eval_task_info *info = ab_eval_task_info((enum ab_eval_task)t);
        if (info->suite != suite)
            continue;
        char gold[4096], pred[4096];
        if (path_join(gold, sizeof gold, gold_dir, info->gold_file) || path_join(pred, sizeof pred, pred_dir, info->pred_file)) {
            fprintf(stderr, "archbench eval: path too long under '%s'\n", gold_dir);
            return AB_EXIT_FAIL;
        }
        bool have_gold = file_exists(gold), have_pred = file_exists(pred);
        if (!info->in_score && (!have_gold || !have_pred)) {
            /* Diagnostics are optional: reported when both files are there. */
            if (note_skips)
                fprintf(stderr, "archbench eval: %s skipped: '%s' not found\n", info->name, have_gold ? pred : gold);
            continue;
        }
        if (!have_gold) {
            fprintf(stderr, "archbench eval: no gold file '%s' for %s (expected the %s dev layout)\n", gold,
                    info->name, ab_eval_suite_name(suite));
            return AB_EXIT_FAIL;
        }
        if (!have_pred) {
            fprintf(stderr, "archbench eval: no prediction file '%s' for %s (the %s score needs every task)\n", pred,
                    info->name, ab_eval_suite_name(suite));
            return AB_EXIT_FAIL;
        }
        struct ab_eval_data *d;
        if (ab_eval_load((enum ab_eval_task)t, gold, pred, &d, &err) != AB_OK)
            return fail(&err);
        out->data[out->n++] = d;
        out->n_items += ab_eval_data_n(d);
    }
    return AB_EXIT_OK;
}

int ab__cli_eval_suite_score(enum ab_eval_suite suite, const char *gold_dir, const char *pred_dir, double *out_score)
{
    struct loaded l = {0};
    *out_score = NAN;
    int rc = load_suite(suite, gold_dir, pred_dir, &l, false);
    if (rc != AB_EXIT_OK) {
        loaded_free(&l);
        return rc;
    }
    struct ab_eval_options opts;
    ab_eval_options_default(&opts);
    opts.n_boot = 0; /* the suite score only */
    struct ab_eval_report *rep = NULL;
    struct ab_error err = {0};
    if (ab_eval_score(l.data, l.n, &opts, &rep, &err) != AB_OK) {
        loaded_free(&l);
        return fail(&err);
    }
    for (size_t i = 0; rep->has_suite && i < rep->n_rows; i++)
        if (strcmp(rep->rows[i].task, ab_eval_suite_name(suite)) == 0)
            *out_score = rep->rows[i].value;
    ab_eval_report_free(rep);
    loaded_free(&l);
    if (!isfinite(*out_score)) {
        fprintf(stderr, "archbench eval: %s: no %s score (not every scored task present)\n", pred_dir,
                ab_eval_suite_name(suite));
        return AB_EXIT_FAIL;
    }
    return AB_EXIT_OK;
}

static int write_score(const struct eval_args *a, struct ab_eval_data *const *data, size_t n, size_t n_items)
{
    struct ab_error err = {0};
    struct ab_eval_report *rep = NULL;
    double t0 = now_s();
    if (ab_eval_score(data, n, &a->opts, &rep, &err) != AB_OK)
        return fail(&err);
    double elapsed = now_s() - t0;
    int rc = AB_EXIT_OK;
    if (a->out) {
        if (ensure_dir(a->out) != 0) {
            fprintf(stderr, "archbench eval: cannot create the output folder '%s'\n", a->out);
            rc = AB_EXIT_FAIL;
        } else if (ab_eval_report_write(rep, a->out, "eval", &err) != AB_OK) {
            rc = fail(&err);
        }
    }
    if (rc == AB_EXIT_OK) {
        ab_eval_report_markdown(rep, stdout);
        fprintf(stderr, "archbench eval: %zu task(s), %zu examples, %zu resamples: scored in %.3f s\n", n, n_items,
                a->opts.n_boot, elapsed);
    }
    ab_eval_report_free(rep);
    return rc;
}

static int write_compare(const struct eval_args *a, struct ab_eval_data *const *da, struct ab_eval_data *const *db,
                         size_t n)
{
    struct ab_error err = {0};
    struct ab_eval_cmp_report *rep = NULL;
    double t0 = now_s();
    if (ab_eval_compare(da, db, n, &a->opts, &rep, &err) != AB_OK)
        return fail(&err);
    double elapsed = now_s() - t0;
    int rc = AB_EXIT_OK;
    if (a->out) {
        if (ensure_dir(a->out) != 0) {
            fprintf(stderr, "archbench eval: cannot create the output folder '%s'\n", a->out);
            rc = AB_EXIT_FAIL;
        } else if (ab_eval_cmp_report_write(rep, a->out, "compare", &err) != AB_OK) {
            rc = fail(&err);
        }
    }
    if (rc == AB_EXIT_OK) {
        ab_eval_cmp_report_markdown(rep, stdout);
        fprintf(stderr, "archbench eval compare: %zu task(s), %zu resamples: compared in %.3f s\n", n,
                a->opts.n_boot, elapsed);
    }
    ab_eval_cmp_report_free(rep);
    return rc;
}

static int cmd_suite(enum ab_eval_suite suite, const char *verb, int argc, char **argv)
{
    struct eval_args a = {0};
    int rc = parse_options(verb, argc, argv, 2, &a);
    if (rc >= 0)
        return rc;
    if (a.gold == NULL || a.pred == NULL)
        return ab__cli_usage_error(verb, "%s needs --gold DIR and --pred DIR", argv[1]);
    struct loaded l = {0};
    rc = load_suite(suite, a.gold, a.pred, &l, true);
    if (rc == AB_EXIT_OK)
        rc = write_score(&a, l.data, l.n, l.n_items);
    loaded_free(&l);
    return rc;
}

static int find_task(const char *verb, const char *name, const char *gold, const char *suite_name,
                     enum ab_eval_task *out)
{
    /* RTE is in both suites: a .jsonl gold file means SuperGLUE's. */
    enum ab_eval_suite hint = AB_EVAL_SUITE_COUNT;
    if (suite_name && strcmp(suite_name, "glue") == 0)
        hint = AB_EVAL_SUITE_GLUE;
    else if (suite_name && strcmp(suite_name, "superglue") == 0)
        hint = AB_EVAL_SUITE_SUPERGLUE;
    else if (gold) {
        size_t len = strlen(gold);
        hint = (len >= 6 && strcmp(gold + len - 6, ".jsonl") == 0) ? AB_EVAL_SUITE_SUPERGLUE : AB_EVAL_SUITE_GLUE;
    }
    enum ab_status st = ab_eval_task_find(name, hint, out);
    if (st == AB_OK)
        return -1;
    if (st == AB_EINVAL)
        return ab__cli_usage_error(verb, "task '%s' is in both suites: write glue:%s or superglue:%s", name, name,
                                   name);
    return ab__cli_usage_error(verb, "unknown task '%s' (see 'archbench eval tasks')", name);
}

static int cmd_task(int argc, char **argv)
{
    const char *verb = "eval task";
    if (argc >= 3 && (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0))
        return usage_ok();
    if (argc < 3 || argv[2][0] == '-')
        return ab__cli_usage_error(verb, "needs a task name (see 'archbench eval tasks')");
    struct eval_args a = {0};
    int rc = parse_options(verb, argc, argv, 3, &a);
    if (rc >= 0)
        return rc;
    if (a.gold == NULL || a.pred == NULL)
        return ab__cli_usage_error(verb, "needs --gold FILE and --pred FILE");
    enum ab_eval_task task;
    rc = find_task(verb, argv[2], a.gold, a.suite, &task);
    if (rc >= 0)
        return rc;
    struct ab_error err = {0};
    struct ab_eval_data *d = NULL;
    if (ab_eval_load(task, a.gold, a.pred, &d, &err) != AB_OK)
        return fail(&err);
    rc = write_score(&a, &d, 1, ab_eval_data_n(d));
    ab_eval_data_free(d);
    return rc;
}

static int cmd_compare(int argc, char **argv)
{
    const char *verb = "eval compare";
    struct eval_args a = {0};
    int rc = parse_options(verb, argc, argv, 2, &a);
    if (rc >= 0)
        return rc;
    if (a.gold == NULL || a.pred_a == NULL || a.pred_b == NULL)
        return ab__cli_usage_error(verb, "needs --gold, --pred-a and --pred-b");
    struct ab_error err = {0};
    if (a.task) {
        enum ab_eval_task task;
        rc = find_task(verb, a.task, a.gold, a.suite, &task);
        if (rc >= 0)
            return rc;
        struct ab_eval_data *da = NULL, *db = NULL;
        if (ab_eval_load(task, a.gold, a.pred_a, &da, &err) != AB_OK ||
            ab_eval_load(task, a.gold, a.pred_b, &db, &err) != AB_OK)
            rc = fail(&err);
        else
            rc = write_compare(&a, &da, &db, 1);
        ab_eval_data_free(da);
        ab_eval_data_free(db);
        return rc;
    }
    enum ab_eval_suite suite;
    if (a.suite == NULL) {
        /* Which suite's layout is under --gold? */
        char probe[4096];
        bool glue = path_join(probe, sizeof probe, a.gold, "CoLA/dev.tsv") == 0 && file_exists(probe);
        bool sg = path_join(probe, sizeof probe, a.gold, "BoolQ/val.jsonl") == 0 && file_exists(probe);
        if (glue == sg)
            return ab__cli_usage_error(verb, "cannot tell the suite of '%s': add --suite glue or --suite superglue",
                                       a.gold);
        suite = glue ? AB_EVAL_SUITE_GLUE : AB_EVAL_SUITE_SUPERGLUE;
    } else if (strcmp(a.suite, "glue") == 0) {
        suite = AB_EVAL_SUITE_GLUE;
    } else if (strcmp(a.suite, "superglue") == 0) {
        suite = AB_EVAL_SUITE_SUPERGLUE;
    } else {
        return ab__cli_usage_error(verb, "--suite '%s': expected glue or superglue", a.suite);
    }
    struct loaded la = {0}, lb = {0};
    rc = load_suite(suite, a.gold, a.pred_a, &la, true);
    if (rc == AB_EXIT_OK)
        rc = load_suite(suite, a.gold, a.pred_b, &lb, false);
    if (rc == AB_EXIT_OK && la.n != lb.n) {
        fprintf(stderr, "archbench eval: '%s' and '%s' do not hold the same tasks (diagnostics present in one only)\n",
                a.pred_a, a.pred_b);
        rc = AB_EXIT_FAIL;
    }
    for (size_t i = 0; rc == AB_EXIT_OK && i < la.n; i++)
        if (ab_eval_data_task(la.data[i]) != ab_eval_data_task(lb.data[i])) {
            fprintf(stderr, "archbench eval: '%s' and '%s' do not hold the same tasks\n", a.pred_a, a.pred_b);
            rc = AB_EXIT_FAIL;
        }
    if (rc == AB_EXIT_OK)
        rc = write_compare(&a, la.data, lb.data, la.n);
    loaded_free(&la);
    loaded_free(&lb);
    return rc;
}

static int cmd_tasks(void)
{
    printf("| Suite | Task | Gold file | Prediction file | Labels | Metrics | In score |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (size_t t = 0; t < AB_EVAL_TASK_COUNT; t++) {
        const struct ab_eval_task_info *info = ab_eval_task_info((enum ab_eval_task)t);
        printf("| %s | %s | %s | %s | %s | %s%s%s | %s |\n", ab_eval_suite_name(info->suite), info->name,
               info->gold_file, info->pred_file, info->labels[0] ? info->labels : "(float / text)",
               ab_eval_metric_name(info->metric[0]), info->n_metrics > 1 ? ", " : "",
               info->n_metrics > 1 ? ab_eval_metric_name(info->metric[1]) : "", info->in_score ? "yes" : "no");
    }
    return AB_EXIT_OK;
}

int ab__cli_eval(int argc, char **argv)
{
    if (argc < 2)
        return ab__cli_usage_error("eval", "needs a sub-command: glue, superglue, task, compare or tasks");
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0)
        return usage_ok();
    if (strcmp(sub, "glue") == 0)
        return cmd_suite(AB_EVAL_SUITE_GLUE, "eval glue", argc, argv);
    if (strcmp(sub, "superglue") == 0)
        return cmd_suite(AB_EVAL_SUITE_SUPERGLUE, "eval superglue", argc, argv);
    if (strcmp(sub, "task") == 0)
        return cmd_task(argc, argv);
    if (strcmp(sub, "compare") == 0)
        return cmd_compare(argc, argv);
    if (strcmp(sub, "tasks") == 0) {
        if (argc > 2 && (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0))
            return usage_ok();
        return cmd_tasks();
    }
    return ab__cli_usage_error("eval", "unknown sub-command '%s' (glue, superglue, task, compare, tasks)", sub);
}
