/* reproduce_internal.h - shared by reproduce.c (judging) and reproduce_write.c (report). */
#ifndef ARCHBENCH_REPRODUCE_INTERNAL_H
#define ARCHBENCH_REPRODUCE_INTERNAL_H

#include "archbench/kernel.h"
#include "archbench/reproduce.h"

/* "layer:NAME" -> the plan's "layer:P=V,..." (and its model id); anything else as is. */
const char *ab__repro_resolve(const struct ab_repro_plan *plan, const char *selector, const char **out_model);
/* Does a shape text have every P=V of `where`? */
bool ab__repro_shape_matches(const struct ab_family *fam, const char *shape, const char *where);
/* Insert (xv, yv) keeping x ascending; false if xv is there already or the arrays are full. */
bool ab__repro_insert_sorted(double *x, double *y, size_t *n, size_t max, double xv, double yv);
int ab__repro_max_threads(const struct ab_results *res);
const struct ab_result_row *ab__repro_best(const struct ab_results *res, const char *selector, int threads,
                                           int *out_failed);
size_t ab__repro_series(const struct ab_results *res, const char *family, const char *param, const char *where,
                        int threads, double *n_out, double *t_out, size_t max);
bool ab__repro_fit(const double *n, const double *t, size_t count, size_t use, double *slope, double *icpt);
/* FLOPs a layer row really did (threshold gates: expert share scaled by the measured mean). */
double ab__repro_layer_flops(const struct ab_results *res, const struct ab_result_row *row);
const struct ab_model *ab__repro_model(const struct ab_repro_inputs *in, const char *id);

/* The few configuration values the claims vary (reproduce_model.c). */
double ab__model_experts_per_token(const struct ab_model *m);
double ab__model_experts(const struct ab_model *m);
void ab__model_set_experts_per_token(struct ab_model *m, double k);
void ab__model_set_weight_bytes(struct ab_model *m, double bytes_per_weight);

#endif
