/*
 * test_load.c - the evaluator's loaders: every class of malformed input gives its own
 * error naming file, line and field; test splits are refused; the official layouts'
 * quirks (headerless CoLA, MNLI dev's 16 columns, MRPC's BOM and CRLF, literal quotes,
 * QQP ids) load; and the fixtures in datasets/ score exactly their hand-worked values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"

static char tmp_dir[256];

static void make_tmp(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/ab_eval_test_XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_dir));
}

static void remove_tmp(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(eval_load, .init = make_tmp, .fini = remove_tmp);

/* Write `text` to tmp_dir/name and return the path (static buffer per slot). */
static const char *put(int slot, const char *name, const char *text)
{
    static char paths[4][512];
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", tmp_dir, name);
    FILE *fp = fopen(paths[slot], "wb");
    cr_assert_not_null(fp);
    fwrite(text, 1, strlen(text), fp);
    fclose(fp);
    return paths[slot];
}

/* Load and expect failure with `status` and a message containing every needle. */
static void expect_error(enum ab_eval_task task, const char *gold, const char *pred, enum ab_status status,
                         const char *needle1, const char *needle2)
{
    struct ab_eval_data *d = NULL;
    struct ab_error err = {0};
    enum ab_status st = ab_eval_load(task, gold, pred, &d, &err);
    cr_expect_eq(st, status, "status %d, want %d: %s", st, status, err.msg);
    cr_expect_null(d, "out_data written on failure");
    cr_expect(strstr(err.msg, needle1) != NULL, "message '%s' lacks '%s'", err.msg, needle1);
    if (needle2)
        cr_expect(strstr(err.msg, needle2) != NULL, "message '%s' lacks '%s'", err.msg, needle2);
    ab_eval_data_free(d);
}

static const char sst_gold[] = "sentence\tlabel\nfine film \t1\ndull film\t0\nodd \"quote\t1\n";

/* ---- one error per malformed-input class ----------------------------------------------------- */

Test(eval_load, label_outside_the_set)
{
    const char *gold = put(0, "dev.tsv",
                           "index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2\tlabel1\tlabel2\t"
                           "label3\tlabel4\tlabel5\tgold_label\n"
                           "0\t1\t1n\tx\t(a)\t(b)\t(A)\t(B)\tP\tH\tneutral\tneutral\tneutral\tneutral\tneutral\tneutral\n"
                           "1\t1\t1n\tx\t(a)\t(b)\t(A)\t(B)\tP\tH\tneutral\tneutral\tneutral\tneutral\tneutral\tneutral\n");
    const char *pred = put(1, "MNLI-m.tsv", "index\tprediction\n0\tneutral\n1\tmaybe\n");
    expect_error(AB_EVAL_TASK_MNLI_M, gold, pred, AB_EPARSE, "MNLI-m.tsv' line 3 field 'prediction': unknown label 'maybe'",
                 "entailment, neutral, contradiction");
    /* Integer ids from another tool's label map are refused, not guessed. */
    pred = put(1, "MNLI-m.tsv", "index\tprediction\n0\t1\n1\t2\n");
    expect_error(AB_EVAL_TASK_MNLI_M, gold, pred, AB_EPARSE, "line 2 field 'prediction': unknown label '1'", NULL);
}

Test(eval_load, missing_index)
{
    const char *gold = put(0, "dev.tsv", sst_gold);
    const char *pred = put(1, "SST-2.tsv", "index\tprediction\n1\t0\n0\t1\n");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EPARSE, "missing index: no prediction for index 2",
                 "dev.tsv' line 4");
}

Test(eval_load, duplicate_index)
{
    const char *gold = put(0, "dev.tsv", sst_gold);
    const char *pred = put(1, "SST-2.tsv", "index\tprediction\n0\t1\n1\t0\n1\t0\n2\t1\n");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EPARSE, "SST-2.tsv' line 4 field 'index': duplicate index 1",
                 "first on line 3");
}

Test(eval_load, index_not_in_gold)
{
    const char *gold = put(0, "dev.tsv", sst_gold);
    const char *pred = put(1, "SST-2.tsv", "index\tprediction\n0\t1\n1\t0\n2\t1\n7\t1\n");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EPARSE, "line 5 field 'index': index 7 is not in the gold file",
                 NULL);
}

Test(eval_load, index_not_an_integer)
{
    const char *gold = put(0, "dev.tsv", sst_gold);
    const char *pred = put(1, "SST-2.tsv", "index\tprediction\n0\t1\n-1\t0\n2\t1\n");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EPARSE, "line 3 field 'index': not a non-negative integer '-1'",
                 NULL);
}

Test(eval_load, ragged_row)
{
    const char *gold = put(0, "dev.tsv",
                           "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
                           "5\t1\t2\tHow?\tWhy?\t0\n"
                           "9\t3\t4\tHow come\tthe line broke?\t1\n"
                           "12\t5\t6\tWhat?\tWhen?\t1\n");
    const char *pred = put(1, "QQP.tsv", "index\tprediction\n0\t0\n1\t1\n2\t1\n");
    struct ab_eval_data *d = NULL;
    struct ab_error err = {0};
    cr_assert_eq(ab_eval_load(AB_EVAL_TASK_QQP, gold, pred, &d, &err), AB_OK, "%s", err.msg);
    ab_eval_data_free(d);
    gold = put(0, "dev.tsv",
               "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
               "5\t1\t2\tHow?\tWhy?\t0\n"
               "9\t3\t4\tHow come\n"
               "the line broke?\t1\n");
    expect_error(AB_EVAL_TASK_QQP, gold, pred, AB_EPARSE, "dev.tsv' line 3: ragged row: 4 fields, expected 6", NULL);
    gold = put(0, "dev.tsv", sst_gold);
    pred = put(1, "SST-2.tsv", "index\tprediction\n0\t1\n1\t0\textra\n2\t1\n");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EPARSE, "SST-2.tsv' line 3: ragged row: 3 fields, expected 2",
                 NULL);
}

Test(eval_load, empty_file)
{
    const char *gold = put(0, "dev.tsv", sst_gold);
    const char *pred = put(1, "SST-2.tsv", "");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EPARSE, "SST-2.tsv': empty file", NULL);
    pred = put(1, "SST-2.tsv", "index\tprediction\n");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EPARSE, "SST-2.tsv': no data rows after the header", NULL);
    const char *jgold = put(2, "val.jsonl", "\n\n");
    const char *jpred = put(3, "BoolQ.jsonl", "{\"idx\": 0, \"label\": \"true\"}\n");
    expect_error(AB_EVAL_TASK_BOOLQ, jgold, jpred, AB_EPARSE, "val.jsonl': empty file", NULL);
}

Test(eval_load, invalid_utf8)
{
    const char *gold = put(0, "dev.tsv", "sentence\tlabel\nfine\t1\nbad \xc3(\t0\n");
    const char *pred = put(1, "SST-2.tsv", "index\tprediction\n0\t1\n1\t0\n");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EPARSE, "dev.tsv' line 3 field 'sentence': invalid UTF-8 at byte 5",
                 NULL);
    const char *jgold = put(2, "val.jsonl", "{\"idx\": 0, \"label\": true, \"question\": \"caf\xe9?\"}\n");
    const char *jpred = put(3, "BoolQ.jsonl", "{\"idx\": 0, \"label\": \"true\"}\n");
    expect_error(AB_EVAL_TASK_BOOLQ, jgold, jpred, AB_EPARSE, "val.jsonl' line 1: invalid UTF-8", NULL);
}

Test(eval_load, malformed_json_and_missing_fields)
{
    const char *gold = put(0, "val.jsonl", "{\"idx\": 0, \"label\": true}\n{\"idx\": 1, \"label\": false}\n");
    const char *pred = put(1, "BoolQ.jsonl", "{\"idx\": 0, \"label\": \"true\"}\n{\"idx\": 1, \"label\": \"false\"\n");
    expect_error(AB_EVAL_TASK_BOOLQ, gold, pred, AB_EPARSE, "BoolQ.jsonl' line 2: malformed JSON", NULL);
    pred = put(1, "BoolQ.jsonl", "{\"idx\": 0, \"label\": \"true\"}\n{\"label\": \"false\"}\n");
    expect_error(AB_EVAL_TASK_BOOLQ, gold, pred, AB_EPARSE, "BoolQ.jsonl' line 2 field 'idx': missing", NULL);
    pred = put(1, "BoolQ.jsonl", "{\"idx\": 0, \"label\": \"true\"}\n{\"idx\": 1, \"label\": \"yes\"}\n");
    expect_error(AB_EVAL_TASK_BOOLQ, gold, pred, AB_EPARSE, "line 2 field 'label': unknown label 'yes'", NULL);
}

/* Issue 15, defect 6: a JSON line must be one object and nothing else, and a label
 * must not hide a NUL (cJSON would end the string there and score the prefix). */
Test(eval_load, jsonl_trailing_text_refused)
{
    const char *good_gold = put(0, "val.jsonl", "{\"idx\": 0, \"label\": \"entailment\"}\n");
    const char *good_pred = put(1, "RTE.jsonl", "{\"idx\": 0, \"label\": \"entailment\"}\n");
    /* A JSON array's element pasted as a line, in the prediction file and in the gold. */
    const char *pred = put(2, "RTE-comma.jsonl", "{\"idx\": 0, \"label\": \"entailment\"},\n");
    expect_error(AB_EVAL_TASK_SG_RTE, good_gold, pred, AB_EPARSE, "RTE-comma.jsonl' line 1: text after the JSON object",
                 "byte 34");
    const char *gold = put(3, "val-comma.jsonl", "{\"idx\": 0, \"label\": \"entailment\"} x\n");
    expect_error(AB_EVAL_TASK_SG_RTE, gold, good_pred, AB_EPARSE, "val-comma.jsonl' line 1: text after", NULL);
    /* Two objects on one line: the second was silently ignored. */
    pred = put(2, "RTE-two.jsonl", "{\"idx\": 0, \"label\": \"entailment\"}{\"idx\": 1, \"label\": \"x\"}\n");
    expect_error(AB_EVAL_TASK_SG_RTE, good_gold, pred, AB_EPARSE, "line 1: text after the JSON object", NULL);
    /* Trailing blanks and CRLF stay fine. */
    pred = put(2, "RTE-ok.jsonl", "{\"idx\": 0, \"label\": \"entailment\"} \t\r\n");
    struct ab_eval_data *d = NULL;
    struct ab_error err = {0};
    cr_expect_eq(ab_eval_load(AB_EVAL_TASK_SG_RTE, good_gold, pred, &d, &err), AB_OK, "%s", err.msg);
    ab_eval_data_free(d);
}

Test(eval_load, jsonl_embedded_nul_refused)
{
    const char *gold = put(0, "val.jsonl", "{\"idx\": 0, \"label\": \"entailment\"}\n");
    const char *pred = put(1, "RTE.jsonl", "{\"idx\": 0, \"label\": \"entailment\\u0000junk\"}\n");
    expect_error(AB_EVAL_TASK_SG_RTE, gold, pred, AB_EPARSE, "RTE.jsonl' line 1: a string holds a NUL character",
                 NULL);
    const char *bad_gold = put(2, "val-nul.jsonl", "{\"idx\": 0, \"label\": \"entailment\", \"q\": \"a\\u0000\"}\n");
    expect_error(AB_EVAL_TASK_SG_RTE, bad_gold, put(3, "RTE-ok.jsonl", "{\"idx\": 0, \"label\": \"entailment\"}\n"),
                 AB_EPARSE, "val-nul.jsonl' line 1: a string holds a NUL", NULL);
    /* An escaped backslash followed by the text u0000 is no NUL. */
    const char *ok_gold = put(2, "val-bs.jsonl", "{\"idx\": 0, \"label\": \"entailment\", \"q\": \"C:\\\\u0000\"}\n");
    struct ab_eval_data *d = NULL;
    struct ab_error err = {0};
    cr_expect_eq(ab_eval_load(AB_EVAL_TASK_SG_RTE, ok_gold, put(3, "RTE-ok.jsonl", "{\"idx\": 0, \"label\": "
                                                                               "\"entailment\"}\n"),
                              &d, &err),
                 AB_OK, "%s", err.msg);
    ab_eval_data_free(d);
}

/* Issue 15, defect 4: one 8 MB line (a gold sentence) was read in quadratic time by
 * libcsv's default 128-byte growth (over 60 s); now it grows with the field. The bound
 * is generous (sanitizer builds, a loaded machine): the quadratic reader misses it. */
Test(eval_load, long_line_read_in_linear_time, .timeout = 120)
{
    size_t n = (size_t)8 << 20;
    char *text = malloc(n + 64);
    cr_assert_not_null(text);
    int at = sprintf(text, "sentence\tlabel\n");
    memset(text + at, 'w', n);
    strcpy(text + at + n, "\t1\n");
    const char *gold = put(0, "dev.tsv", text);
    free(text);
    const char *pred = put(1, "SST-2.tsv", "index\tprediction\n0\t1\n");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct ab_eval_data *d = NULL;
    struct ab_error err = {0};
    cr_assert_eq(ab_eval_load(AB_EVAL_TASK_SST2, gold, pred, &d, &err), AB_OK, "%s", err.msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    cr_expect_lt(s, 20.0, "8 MB one-line gold file read in %.1f s", s);
    cr_expect_eq(ab_eval_data_n(d), 1);
    ab_eval_data_free(d);
}

Test(eval_load, not_a_number)
{
    const char *gold = put(0, "dev.tsv",
                           "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
                           "0\tg\tf\t2012\t1\ts\ts\ta\tb\t5.000\n"
                           "1\tg\tf\t2012\t2\ts\ts\tc\td\t2.615\n");
    const char *pred = put(1, "STS-B.tsv", "index\tprediction\n0\t4.2\n1\tnan\n");
    expect_error(AB_EVAL_TASK_STSB, gold, pred, AB_EPARSE, "line 3 field 'prediction': not a finite number 'nan'",
                 NULL);
}

Test(eval_load, test_split_refused)
{
    const char *pred = put(1, "QNLI.tsv", "index\tprediction\n0\tentailment\n");
    const char *gold = put(0, "test.tsv", "index\tquestion\tsentence\n0\tWho?\tHim.\n");
    expect_error(AB_EVAL_TASK_QNLI, gold, pred, AB_EINVAL, "test.tsv' has no gold label column 'label'", "test split");
    gold = put(0, "test.tsv", "index\tsentence\n0\tThe cat sat.\n");
    pred = put(1, "CoLA.tsv", "index\tprediction\n0\t1\n");
    expect_error(AB_EVAL_TASK_COLA, gold, pred, AB_EINVAL, "test split", NULL);
    /* HF-exported test splits carry -1 as the label. */
    gold = put(0, "dev.tsv", "sentence\tlabel\na\t-1\n");
    pred = put(1, "SST-2.tsv", "index\tprediction\n0\t1\n");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EINVAL, "line 2 field 'label': gold label '-1' marks an unlabelled",
                 NULL);
    gold = put(2, "test.jsonl", "{\"idx\": 0, \"question\": \"q\", \"passage\": \"p\"}\n");
    pred = put(3, "BoolQ.jsonl", "{\"idx\": 0, \"label\": \"true\"}\n");
    expect_error(AB_EVAL_TASK_BOOLQ, gold, pred, AB_EINVAL, "test.jsonl' has no gold label column 'label'", NULL);
}

Test(eval_load, prediction_header_required)
{
    const char *gold = put(0, "dev.tsv", sst_gold);
    const char *pred = put(1, "SST-2.tsv", "0\t1\n1\t0\n2\t1\n");
    expect_error(AB_EVAL_TASK_SST2, gold, pred, AB_EPARSE, "line 1: the header must name the columns 'index' and "
                 "'prediction'", NULL);
}

Test(eval_load, incomplete_minimal_pair)
{
    const char *gold = put(0, "AX-g.jsonl",
                           "{\"idx\": 0, \"label\": \"entailment\", \"pair_id\": 500}\n"
                           "{\"idx\": 1, \"label\": \"entailment\", \"pair_id\": 500}\n"
                           "{\"idx\": 2, \"label\": \"not_entailment\", \"pair_id\": 501}\n");
    const char *pred = put(1, "AX-g-pred.jsonl",
                           "{\"idx\": 0, \"label\": \"entailment\"}\n{\"idx\": 1, \"label\": \"entailment\"}\n"
                           "{\"idx\": 2, \"label\": \"entailment\"}\n");
    expect_error(AB_EVAL_TASK_AXG, gold, pred, AB_EPARSE, "AX-g.jsonl' line 3 field 'pair_id': pair 501 has 1 example",
                 NULL);
}

Test(eval_load, record_prediction_must_be_text)
{
    const char *gold = put(0, "val.jsonl",
                           "{\"idx\": 0, \"passage\": {\"text\": \"A B\", \"entities\": []}, \"qas\": [{\"query\": "
                           "\"@placeholder\", \"idx\": 4, \"answers\": [{\"start\": 0, \"end\": 0, \"text\": \"A\"}]}]}\n");
    const char *pred = put(1, "ReCoRD.jsonl", "{\"idx\": 4, \"label\": 3}\n");
    expect_error(AB_EVAL_TASK_RECORD, gold, pred, AB_EPARSE, "line 1 field 'label': not a string", NULL);
}

/* ---- the fixtures: quirks load, and values are the hand-worked ones ------------------------------ */

static const char *datasets(void)
{
    const char *d = getenv("ARCHBENCH_DATASETS");
    return d ? d : "datasets";
}

static struct ab_eval_data *load_fixture(enum ab_eval_task task, const char *suite_dir, const char *pred_dir)
{
    const struct ab_eval_task_info *info = ab_eval_task_info(task);
    char gold[1024], pred[1024];
    snprintf(gold, sizeof gold, "%s/%s/gold/%s", datasets(), suite_dir, info->gold_file);
    snprintf(pred, sizeof pred, "%s/%s/%s/%s", datasets(), suite_dir, pred_dir, info->pred_file);
    struct ab_eval_data *d = NULL;
    struct ab_error err = {0};
    cr_assert_eq(ab_eval_load(task, gold, pred, &d, &err), AB_OK, "%s: %s", info->name, err.msg);
    return d;
}

static size_t load_suite(enum ab_eval_suite suite, const char *pred_dir, struct ab_eval_data **out)
{
    size_t n = 0;
    for (size_t t = 0; t < AB_EVAL_TASK_COUNT; t++)
        if (ab_eval_task_info((enum ab_eval_task)t)->suite == suite)
            out[n++] = load_fixture((enum ab_eval_task)t,
                                    suite == AB_EVAL_SUITE_GLUE ? "glue-fixtures" : "superglue-fixtures", pred_dir);
    return n;
}

static const struct ab_eval_row *find_row(const struct ab_eval_report *r, const char *task, const char *metric)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (strcmp(r->rows[i].task, task) == 0 && strcmp(r->rows[i].metric, metric) == 0)
            return &r->rows[i];
    cr_assert_fail("no row %s/%s", task, metric);
    return NULL;
}

static void expect_value(const struct ab_eval_report *r, const char *task, const char *metric, double want,
                         size_t n)
{
    const struct ab_eval_row *row = find_row(r, task, metric);
    cr_expect(fabs(row->value - want) <= 1e-9, "%s %s: got %.17g, want %.17g", task, metric, row->value, want);
    if (n)
        cr_expect_eq(row->n, n, "%s %s: n %zu, want %zu", task, metric, row->n, n);
}

Test(eval_load, glue_fixture_quirks_and_values)
{
    struct ab_eval_data *d[AB_EVAL_TASK_COUNT];
    size_t n = load_suite(AB_EVAL_SUITE_GLUE, "pred-a", d);
    cr_assert_eq(n, 11);
    struct ab_eval_options opts = {.n_boot = 0, .seed = 1, .ci_level = 0.95};
    struct ab_eval_report *r = NULL;
    struct ab_error err = {0};
    cr_assert_eq(ab_eval_score(d, n, &opts, &r, &err), AB_OK, "%s", err.msg);
    /* Headerless CoLA with a literal leading quote: all 8 rows, TP 4 FN 1 FP 1 TN 2. */
    expect_value(r, "CoLA", "mcc", 100.0 * 7.0 / 15.0, 8);
    expect_value(r, "SST-2", "acc", 80.0, 10);                  /* CRLF predictions in reverse order */
    expect_value(r, "MRPC", "f1", 80.0, 8);                     /* BOM + CRLF gold, quote-led field */
    expect_value(r, "MRPC", "acc", 75.0, 8);
    expect_value(r, "MRPC", "score", 77.5, 8);
    expect_value(r, "STS-B", "pearson", 100.0 * 0.9324396852068844, 9);
    expect_value(r, "STS-B", "spearman", 100.0 * 0.9323373174786143, 9);
    expect_value(r, "QQP", "f1", 200.0 / 3.0, 10);              /* ids 402555.. joined by row number */
    expect_value(r, "QQP", "acc", 80.0, 10);
    expect_value(r, "MNLI-m", "acc", 500.0 / 6.0, 6);           /* 16-column dev layout */
    expect_value(r, "MNLI-mm", "acc", 400.0 / 6.0, 6);
    expect_value(r, "MNLI", "score", 75.0, 12);
    expect_value(r, "QNLI", "acc", 75.0, 4);
    expect_value(r, "RTE", "acc", 50.0, 4);
    expect_value(r, "WNLI", "acc", 75.0, 4);
    expect_value(r, "AX", "mcc", 100.0 * 27.0 / 42.0, 8);       /* R3, 3 classes */
    double stsb = 50.0 * (0.9324396852068844 + 0.9323373174786143);
    double glue = (700.0 / 15.0 + 80.0 + 77.5 + stsb + (200.0 / 3.0 + 80.0) / 2.0 + 75.0 + 75.0 + 50.0 + 75.0) / 9.0;
    cr_assert(r->has_suite);
    expect_value(r, "GLUE", "score", glue, 0);
    cr_expect_str_eq(r->rows[r->n_rows - 1].task, "GLUE", "the suite row comes last");
    ab_eval_report_free(r);
    for (size_t i = 0; i < n; i++)
        ab_eval_data_free(d[i]);
}

Test(eval_load, superglue_fixture_values)
{
    struct ab_eval_data *d[AB_EVAL_TASK_COUNT];
    size_t n = load_suite(AB_EVAL_SUITE_SUPERGLUE, "pred-a", d);
    cr_assert_eq(n, 10);
    struct ab_eval_options opts = {.n_boot = 0, .seed = 1, .ci_level = 0.95};
    struct ab_eval_report *r = NULL;
    struct ab_error err = {0};
    cr_assert_eq(ab_eval_score(d, n, &opts, &r, &err), AB_OK, "%s", err.msg);
    expect_value(r, "BoolQ", "acc", 500.0 / 6.0, 6);            /* gold JSON bools, predicted strings */
    double cb_f1 = 100.0 * (2.0 / 3.0 + 2.0 / 3.0 + 0.75) / 3.0;
    expect_value(r, "CB", "acc", 70.0, 10);
    expect_value(r, "CB", "macro_f1", cb_f1, 10);
    expect_value(r, "COPA", "acc", 75.0, 4);
    expect_value(r, "MultiRC", "f1a", 200.0 / 3.0, 9);
    expect_value(r, "MultiRC", "em", 100.0 / 3.0, 3);
    /* ReCoRD: "Obama" vs {Barack Obama, Obama} = 1/1; "the cat sat" vs "a cat sat down" = 0.8/0;
     * "Paris" vs "London" = 0/0. */
    expect_value(r, "ReCoRD", "f1", 60.0, 3);
    expect_value(r, "ReCoRD", "em", 100.0 / 3.0, 3);
    expect_value(r, "WiC", "acc", 50.0, 4);
    expect_value(r, "WSC", "acc", 75.0, 4);                     /* "True"/"False" spellings */
    expect_value(r, "AX-b", "mcc", 100.0 * 7.0 / 15.0, 8);
    expect_value(r, "AX-g", "parity", 50.0, 4);
    expect_value(r, "AX-g", "acc", 50.0, 8);
    double sg = (500.0 / 6.0 + (70.0 + cb_f1) / 2.0 + 75.0 + (200.0 / 3.0 + 100.0 / 3.0) / 2.0 +
                 (60.0 + 100.0 / 3.0) / 2.0 + 75.0 + 50.0 + 75.0) /
                8.0;
    expect_value(r, "SuperGLUE", "score", sg, 0);
    ab_eval_report_free(r);
    for (size_t i = 0; i < n; i++)
        ab_eval_data_free(d[i]);
}

Test(eval_load, report_files_written_atomically)
{
    struct ab_eval_data *d = load_fixture(AB_EVAL_TASK_COLA, "glue-fixtures", "pred-a");
    struct ab_eval_options opts = {.n_boot = 50, .seed = 3, .ci_level = 0.95};
    struct ab_eval_report *r = NULL;
    struct ab_error err = {0};
    cr_assert_eq(ab_eval_score(&d, 1, &opts, &r, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(ab_eval_report_write(r, tmp_dir, "eval", &err), AB_OK, "%s", err.msg);
    char path[600], line[1024];
    snprintf(path, sizeof path, "%s/eval.csv", tmp_dir);
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp);
    cr_assert_not_null(fgets(line, sizeof line, fp));
    cr_expect_str_eq(line, "task,metric,value,ci_low,ci_high,n,gold_file,pred_file,n_boot,seed\r\n");
    cr_assert_not_null(fgets(line, sizeof line, fp));
    cr_expect(strncmp(line, "CoLA,mcc,46.66666666666666", 26) == 0, "row: %s", line);
    fclose(fp);
    snprintf(path, sizeof path, "%s/eval.md", tmp_dir);
    cr_expect_eq(access(path, R_OK), 0);
    ab_eval_report_free(r);
    ab_eval_data_free(d);
}

Test(eval_load, allocation_failures_fail_cleanly)
{
    /* Make each allocation in turn fail: loading and scoring must report it, never crash
     * or leak (the sanitizer build checks the leaks). */
    static const enum ab_eval_task tasks[] = {AB_EVAL_TASK_MRPC, AB_EVAL_TASK_STSB, AB_EVAL_TASK_MULTIRC,
                                              AB_EVAL_TASK_RECORD, AB_EVAL_TASK_AXG};
    for (size_t t = 0; t < sizeof tasks / sizeof tasks[0]; t++) {
        const struct ab_eval_task_info *info = ab_eval_task_info(tasks[t]);
        const char *suite = info->suite == AB_EVAL_SUITE_GLUE ? "glue-fixtures" : "superglue-fixtures";
        char gold[1024], pred[1024];
        snprintf(gold, sizeof gold, "%s/%s/gold/%s", datasets(), suite, info->gold_file);
        snprintf(pred, sizeof pred, "%s/%s/pred-a/%s", datasets(), suite, info->pred_file);
        size_t n_ok = 0;
        for (uint64_t n = 1; n <= 5000 && n_ok == 0; n++) {
            struct ab_eval_data *d = NULL;
            struct ab_eval_report *r = NULL;
            struct ab_error err = {0};
            struct ab_eval_options o = {.n_boot = 20, .seed = 1, .ci_level = 0.95};
            ab_alloc_fail_at(n, 0);
            enum ab_status st = ab_eval_load(tasks[t], gold, pred, &d, &err);
            if (st == AB_OK)
                st = ab_eval_score(&d, 1, &o, &r, &err);
            ab_alloc_fail_at(0, 0);
            n_ok += st == AB_OK;
            cr_expect(st == AB_OK || st == AB_ENOMEM || err.msg[0] != '\0', "%s n=%llu: silent failure", info->name,
                      (unsigned long long)n);
            ab_eval_report_free(r);
            ab_eval_data_free(d);
        }
        cr_expect(n_ok > 0, "%s: never succeeded", info->name);
    }
}
