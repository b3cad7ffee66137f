/*
 * eval_internal.h - private to evals/: the loaded form of a task and the helpers shared
 * by the loaders, the scorer and the report writers.
 *
 * A loaded task is reduced to "units" - the things a bootstrap resamples - each with
 * the few numbers its metrics need (a confusion cell, a float pair, per-question
 * counts, per-query F1/EM, per-pair counts). Scoring is then a pass over units with
 * integer multiplicities, never a re-reading of strings, which is what makes 1000
 * resamples of QQP cheap.
 */
#ifndef ARCHBENCH_EVAL_INTERNAL_H
#define ARCHBENCH_EVAL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/arena.h"
#include "archbench/eval.h"

#define AB__EVAL_MAX_CLASSES 3

/* Per-question counts of MultiRC. */
struct ab__eval_mrc_unit {
    uint32_t tp, fp, fn;
    uint32_t all_right;   /* 1 if every answer option of the question is right */
};

/* Per-pair counts of AX-g. */
struct ab__eval_pair_unit {
    uint8_t n_right;      /* 0..2 examples of the pair right */
    uint8_t same;         /* both predictions equal */
};

struct ab_eval_data {
    enum ab_eval_task task;
    const struct ab_eval_task_info *info;
    struct ab_arena arena;          /* owns everything below */
    const char *gold_path;
    const char *pred_path;
    size_t n_units;
    size_t n_items;                 /* examples / answer options / queries */
    size_t n_classes;
    /* AB_EVAL_KIND_CLASS: cell[i] = gold * k + pred; conf is the full-data confusion. */
    uint8_t *cell;
    uint64_t conf[AB__EVAL_MAX_CLASSES * AB__EVAL_MAX_CLASSES];
    /* AB_EVAL_KIND_REGRESS: gold and prediction, and unit ids sorted by each. */
    double *gold_f;
    double *pred_f;
    uint32_t *gold_order;
    uint32_t *pred_order;
    /* AB_EVAL_KIND_MULTIRC */
    struct ab__eval_mrc_unit *mrc;
    /* AB_EVAL_KIND_RECORD: per query, best token F1 and EM over the gold answers. */
    double *rec_f1;
    double *rec_em;
    /* AB_EVAL_KIND_PAIRS */
    struct ab__eval_pair_unit *pair;
    uint64_t pair_conf[AB__EVAL_MAX_CLASSES * AB__EVAL_MAX_CLASSES];   /* per example */
};

/*
 * Metric values (0-1 scale, in the task's metric order) of units drawn with
 * multiplicity w[i] (NULL = each once). With b non-NULL and pick non-NULL, unit i comes
 * from b where pick[i] is set, from a otherwise (approximate randomisation). `work`
 * must hold ab__eval_work_bytes(a) bytes. Returns 0 or AB_ENOMEM-free: never fails.
 */
void ab__eval_metrics(const struct ab_eval_data *a, const struct ab_eval_data *b, const uint32_t *w,
                      const uint8_t *pick, void *work, double out_value[AB_EVAL_MAX_METRICS]);
size_t ab__eval_work_bytes(const struct ab_eval_data *data);

/* Metric values of a label task from a confusion matrix (the bootstrap's fast path). */
void ab__eval_class_metrics(const struct ab_eval_data *data, const uint64_t *conf,
                            double out_value[AB_EVAL_MAX_METRICS]);

/* Weighted Spearman over units in the given sort orders (exposed for tests of ties). */
double ab__eval_spearman_weighted(const double *x, const double *y, const uint32_t *order_x,
                                  const uint32_t *order_y, const uint32_t *w, size_t n, double *rank_x,
                                  double *rank_y);
double ab__eval_pearson_weighted(const double *x, const double *y, const uint32_t *w, size_t n);

/* Sort unit ids 0..n-1 by v ascending (stable for equal values). */
void ab__eval_argsort(const double *v, size_t n, uint32_t *out_order);

/* Validate UTF-8 (no overlongs, surrogates or code points above U+10FFFF); returns the
 * byte offset of the first bad byte, or len if valid. */
size_t ab__eval_utf8_check(const char *s, size_t len);

/* splitmix64 step, to derive independent per-task stream seeds from one seed. */
uint64_t ab__eval_mix64(uint64_t x);

/* Unit hash map from uint64 keys to uint32 positions (open addressing, arena-owned). */
struct ab__eval_map {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap;   /* power of two */
    size_t n;
};
enum ab_status ab__eval_map_init(struct ab__eval_map *map, size_t n_expected, struct ab_arena *arena);
/* Insert key -> val; if the key exists, leaves it and returns its value in *out_old. */
bool ab__eval_map_put(struct ab__eval_map *map, uint64_t key, uint32_t val, uint32_t *out_old);
bool ab__eval_map_get(const struct ab__eval_map *map, uint64_t key, uint32_t *out_val);

/*
 * Build a label task (AB_EVAL_KIND_CLASS) or STS-B from arrays, without files: for
 * simulations and tests of the resampling. Class ids must be < the task's n_classes.
 */
enum ab_status ab__eval_data_from_labels(enum ab_eval_task task, const int *gold, const int *pred, size_t n,
                                         struct ab_eval_data **out_data);
enum ab_status ab__eval_data_from_scores(const double *gold, const double *pred, size_t n,
                                         struct ab_eval_data **out_data);

/* ---- loading: eval_load.c (ab_eval_load, shared helpers), eval_load_tsv.c, -----------------
 * eval_load_jsonl.c, eval_join.c, eval_units.c */

/* One gold or predicted example before the join. */
struct ab__eval_item {
    uint64_t key;      /* index / idx; MultiRC: packed (paragraph, question, answer) */
    uint64_t group;    /* AX-g pair_id; MultiRC: packed (paragraph, question) */
    double value;      /* STS-B score */
    size_t line;
    int cls;           /* class id */
    uint32_t n_text;   /* ReCoRD: number of texts (gold answers or the prediction) */
    const char **text; /* ReCoRD: arena-owned strings */
};

struct ab__eval_items {
    struct ab__eval_item *v;
    size_t n, cap;
};

/* MultiRC keys pack paragraph, question and answer indexes in 21 bits each. */
#define AB__EVAL_MRC_BITS 21
#define AB__EVAL_MRC_LIMIT (UINT64_C(1) << AB__EVAL_MRC_BITS)

/* A zeroed new item at the end; NULL when out of memory. */
struct ab__eval_item *ab__eval_items_push(struct ab__eval_items *it);
void ab__eval_items_free(struct ab__eval_items *it);

/* Class id of s among the task's spellings ("a|A,b|B"); -1 if none matches. */
int ab__eval_label_lookup(const char *spec, const char *s);
/* The error for an unknown, empty or test-split ("-1") label, naming file, line, field. */
enum ab_status ab__eval_label_error(struct ab_error *err, const struct ab_eval_task_info *info, const char *path,
                                    size_t line, const char *field, const char *value, bool gold);
/* AB_EIO if path cannot be opened or is a directory, AB_EPARSE if it is empty. */
enum ab_status ab__eval_check_nonempty(const char *path, struct ab_error *err);
/* A gold file without labels is a test split: refused, pointing to the dev split. */
enum ab_status ab__eval_refuse_test_split(struct ab_error *err, const char *path, const char *column);

/* The suites' readers: a gold (gold = true) or prediction file into items. */
enum ab_status ab__eval_load_glue(const struct ab_eval_task_info *info, const char *path, bool gold,
                                  struct ab_arena *arena, struct ab__eval_items *out, struct ab_error *err);
enum ab_status ab__eval_load_superglue(const struct ab_eval_task_info *info, const char *path, bool gold,
                                       struct ab_arena *arena, struct ab__eval_items *out, struct ab_error *err);

/* For each gold item, the position of its prediction (out_match, arena-owned). */
enum ab_status ab__eval_join(const struct ab_eval_task_info *info, const char *gold_path,
                             const struct ab__eval_items *gold, const char *pred_path,
                             const struct ab__eval_items *pred, struct ab_arena *arena, uint32_t **out_match,
                             struct ab_error *err);

/* Fill d's units from the joined items, by the task's kind. */
enum ab_status ab__eval_build_units(struct ab_eval_data *d, const struct ab__eval_items *gold,
                                    const struct ab__eval_items *pred, const uint32_t *match, struct ab_error *err);

#endif /* ARCHBENCH_EVAL_INTERNAL_H */
