/*
 * fuzz_eval_load.c - libFuzzer target for the evaluator's loaders: built twice, as
 * fuzz_glue_tsv (AB_FUZZ_SUITE = AB_EVAL_SUITE_GLUE: the TSV reader) and
 * fuzz_superglue_jsonl (AB_EVAL_SUITE_SUPERGLUE: the JSON lines reader).
 *
 * Input: one byte choosing the task among the suite's, then the gold file and the
 * prediction file separated by 0x1E. What loads is scored (a few bootstrap rounds, so
 * the resampling sees hostile data too), and every figure must be finite or NA: an
 * infinite score is a bug even where nothing crashes.
 */
#include <math.h>

#include "archbench/eval.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum ab_eval_task tasks[AB_EVAL_TASK_COUNT];
    size_t n_tasks = 0;
    for (int t = 0; t < AB_EVAL_TASK_COUNT; t++)
        if (ab_eval_task_info((enum ab_eval_task)t)->suite == AB_FUZZ_SUITE)
            tasks[n_tasks++] = (enum ab_eval_task)t;
    enum ab_eval_task task = tasks[data[0] % n_tasks];
    const uint8_t *part[2];
    size_t len[2];
    size_t n = ab_fuzz_split(data + 1, size - 1, part, len, 2);
    const char *gold = ab_fuzz_file(0, "gold", part[0], len[0]);
    const char *pred = ab_fuzz_file(1, "pred", n > 1 ? part[1] : part[0], n > 1 ? len[1] : len[0]);

    struct ab_eval_data *d = NULL;
    struct ab_error err;
    ab_error_clear(&err);
    if (ab_eval_load(task, gold, pred, &d, &err) != AB_OK) {
        if (d != NULL || err.msg[0] == '\0')
            abort();   /* out_data written on failure, or an error without a message */
        return 0;
    }
    struct ab_eval_options opts;
    ab_eval_options_default(&opts);
    opts.n_boot = 8;
    struct ab_eval_report *rep = NULL;
    if (ab_eval_score(&d, 1, &opts, &rep, &err) == AB_OK) {
        for (size_t i = 0; i < rep->n_rows; i++)
            if (isinf(rep->rows[i].value) || isinf(rep->rows[i].ci_low) || isinf(rep->rows[i].ci_high))
                abort();
        ab_eval_report_free(rep);
    }
    ab_eval_data_free(d);
    return 0;
}
