/*
 * check.c - comparison of a variant's output with the reference's (see check.h).
 *
 * Sums are in double so the checker is never the least precise part of a check.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "archbench/check.h"

static void check_reset(struct ab_check *c, enum ab_cmp cmp, double tol)
{
    memset(c, 0, sizeof *c);
    c->cmp = cmp;
    c->tol = tol;
    c->cosine = 1.0;
}

double ab_rel_fro_f32(const float *ref, const float *test, size_t n)
{
    double diff2 = 0.0, ref2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r = (double)ref[i], t = (double)test[i];
        if (!isfinite(r) || !isfinite(t))
            continue;
        diff2 += (t - r) * (t - r);
        ref2 += r * r;
    }
    return ref2 > 0.0 ? sqrt(diff2 / ref2) : sqrt(diff2);
}

/* Same class (finite, NaN, +Inf, -Inf) at a position. */
static int same_class(double r, double t)
{
    if (isnan(r) || isnan(t))
        return isnan(r) && isnan(t);
    if (isinf(r) || isinf(t))
        return r == t;
    return 1;
}

void ab_check_f32(const float *ref, const float *test, size_t n, double tol, struct ab_check *out)
{
    check_reset(out, AB_CMP_REL_FRO, tol);
    double diff2 = 0.0, ref2 = 0.0, test2 = 0.0, dot = 0.0, max_abs = 0.0;
    size_t worst = 0;
    int64_t first_nonfinite = -1;
    for (size_t i = 0; i < n; i++) {
        double r = (double)ref[i], t = (double)test[i];
        if (!same_class(r, t)) {
            if (first_nonfinite < 0)
                first_nonfinite = (int64_t)i;
            out->n_nonfinite_mismatch++;
            continue;
        }
        if (!isfinite(r))
            continue;
        double d = t - r;
        diff2 += d * d;
        ref2 += r * r;
        test2 += t * t;
        dot += r * t;
        if (fabs(d) > max_abs) {
            max_abs = fabs(d);
            worst = i;
        }
    }
    out->err = ref2 > 0.0 ? sqrt(diff2 / ref2) : sqrt(diff2);
    out->max_abs_err = max_abs;
    if (ref2 > 0.0 && test2 > 0.0)
        out->cosine = dot / (sqrt(ref2) * sqrt(test2));
    else if (ref2 > 0.0 || test2 > 0.0)
        out->cosine = 0.0;
    out->ok = out->n_nonfinite_mismatch == 0 && out->err <= tol;
    if (out->n_nonfinite_mismatch > 0)
        snprintf(out->detail, sizeof out->detail, "NaN/Inf differ at %lld elements, first [%lld]: ref %g test %g",
                 (long long)out->n_nonfinite_mismatch, (long long)first_nonfinite, (double)ref[first_nonfinite],
                 (double)test[first_nonfinite]);
    else if (n > 0)
        snprintf(out->detail, sizeof out->detail, "rel_fro %.3g (tol %.3g), worst [%zu]: ref %.9g test %.9g", out->err,
                 tol, worst, (double)ref[worst], (double)test[worst]);
}

void ab_check_i32(const int32_t *ref, const int32_t *test, size_t n, struct ab_check *out)
{
    check_reset(out, AB_CMP_EXACT, 0.0);
    int64_t first = -1;
    double max_abs = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (ref[i] != test[i]) {
            if (first < 0)
                first = (int64_t)i;
            out->n_mismatch++;
            double d = fabs((double)test[i] - (double)ref[i]);
            if (d > max_abs)
                max_abs = d;
        }
    }
    out->err = (double)out->n_mismatch;
    out->max_abs_err = max_abs;
    out->ok = out->n_mismatch == 0;
    if (first >= 0)
        snprintf(out->detail, sizeof out->detail, "%lld of %zu differ, first [%lld]: ref %d test %d",
                 (long long)out->n_mismatch, n, (long long)first, ref[first], test[first]);
}
