/*
 * eval_task.c - the GLUE / SuperGLUE task table, name lookup, and the leaderboard
 * aggregate (task metrics averaged, then groups, then the suite).
 *
 * The table is generated from AB_EVAL_TASK_LIST in eval.h so the enum, names, files,
 * label sets and metrics cannot drift apart.
 */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "archbench/eval.h"
#include "eval_internal.h"

#define TASK_ROW_(id_, name_, suite_, kind_, gold_, pred_, col_, k_, labels_, m1_, m2_, group_, in_score_) \
    {.id = AB_EVAL_TASK_##id_,                                                                          \
     .name = name_,                                                                                     \
     .suite = AB_EVAL_SUITE_##suite_,                                                                   \
     .kind = AB_EVAL_KIND_##kind_,                                                                      \
     .gold_file = gold_,                                                                                \
     .pred_file = pred_,                                                                                \
     .gold_column = col_,                                                                               \
     .labels = labels_,                                                                                 \
     .n_classes = k_,                                                                                    \
     .n_metrics = (AB_EVAL_METRIC_##m2_ == AB_EVAL_METRIC_NONE) ? 1 : 2,                                \
     .metric = {AB_EVAL_METRIC_##m1_, AB_EVAL_METRIC_##m2_},                                            \
     .group = group_,                                                                                   \
     .in_score = in_score_},

static const struct ab_eval_task_info task_table[] = {AB_EVAL_TASK_LIST(TASK_ROW_)};
#undef TASK_ROW_

static_assert(sizeof task_table / sizeof task_table[0] == AB_EVAL_TASK_COUNT, "task table out of step with the enum");

static const char *const metric_names[] = {
#define METRIC_NAME_(id, name) name,
    AB_EVAL_METRIC_LIST(METRIC_NAME_)
#undef METRIC_NAME_
};
static_assert(sizeof metric_names / sizeof metric_names[0] == AB_EVAL_METRIC_COUNT, "metric names out of step");

static const char *const suite_names[] = {"GLUE", "SuperGLUE"};
static_assert(sizeof suite_names / sizeof suite_names[0] == AB_EVAL_SUITE_COUNT, "suite names out of step");

const struct ab_eval_task_info *ab_eval_task_info(enum ab_eval_task task)
{
    if ((unsigned)task >= AB_EVAL_TASK_COUNT)
        return NULL;
    return &task_table[task];
}

const char *ab_eval_metric_name(enum ab_eval_metric metric)
{
    if ((unsigned)metric >= AB_EVAL_METRIC_COUNT)
        return "none";
    return metric_names[metric];
}

const char *ab_eval_suite_name(enum ab_eval_suite suite)
{
    if ((unsigned)suite >= AB_EVAL_SUITE_COUNT)
        return "unknown";
    return suite_names[suite];
}

/* Case-insensitive comparison ignoring '-' and '_', so "sst2", "SST-2", "mnli_m" match. */
static bool name_matches(const char *a, const char *b)
{
    for (;;) {
        while (*a == '-' || *a == '_')
            a++;
        while (*b == '-' || *b == '_')
            b++;
        if (*a == '\0' || *b == '\0')
            return *a == *b;
        char ca = *a, cb = *b;
        if (ca >= 'A' && ca <= 'Z')
            ca = (char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (char)(cb - 'A' + 'a');
        if (ca != cb)
            return false;
        a++;
        b++;
    }
}

enum ab_status ab_eval_task_find(const char *name, enum ab_eval_suite suite_hint, enum ab_eval_task *out_task)
{
    if (name == NULL || out_task == NULL)
        return AB_EINVAL;
    if (strncasecmp(name, "glue:", 5) == 0) {
        suite_hint = AB_EVAL_SUITE_GLUE;
        name += 5;
    } else if (strncasecmp(name, "superglue:", 10) == 0) {
        suite_hint = AB_EVAL_SUITE_SUPERGLUE;
        name += 10;
    }
    size_t n_found = 0;
    enum ab_eval_task found = AB_EVAL_TASK_COUNT;
    for (size_t i = 0; i < AB_EVAL_TASK_COUNT; i++) {
        const struct ab_eval_task_info *info = ab_eval_task_info((enum ab_eval_task)i);
        if (!name_matches(name, info->name))
            continue;
        if (suite_hint != AB_EVAL_SUITE_COUNT && info->suite != suite_hint)
            continue;
        n_found++;
        found = info->id;
    }
    if (n_found == 0)
        return AB_ENOTFOUND;
    if (n_found > 1)
        return AB_EINVAL;
    *out_task = found;
    return AB_OK;
}

double ab_eval_suite_score(enum ab_eval_suite suite, const double *value)
{
    double group_sum = 0.0;
    size_t n_groups = 0;
    bool done[AB_EVAL_TASK_COUNT] = {false};
    for (size_t t = 0; t < AB_EVAL_TASK_COUNT; t++) {
        const struct ab_eval_task_info *info = ab_eval_task_info((enum ab_eval_task)t);
        if (info->suite != suite || !info->in_score || done[t])
            continue;
        /* Average the task scores of this group (the group starts at its first task). */
        double task_sum = 0.0;
        size_t n_tasks = 0;
        for (size_t u = t; u < AB_EVAL_TASK_COUNT; u++) {
            const struct ab_eval_task_info *other = ab_eval_task_info((enum ab_eval_task)u);
            if (other->suite != suite || strcmp(other->group, info->group) != 0)
                continue;
            double metric_sum = 0.0;
            for (size_t m = 0; m < other->n_metrics; m++)
                metric_sum += value[u * AB_EVAL_MAX_METRICS + m];
            task_sum += metric_sum / (double)other->n_metrics;
            n_tasks++;
            done[u] = true;
        }
        group_sum += task_sum / (double)n_tasks;
        n_groups++;
    }
    return n_groups ? group_sum / (double)n_groups : (double)NAN;
}
