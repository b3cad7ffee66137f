/*
 * attn_fidelity.c - harness-side helpers shared by the approximate attention families
 * (linear_attn, lsh_attn): seeded input distributions and exact softmax attention in
 * double on selected rows, from which the fidelity metrics are computed. Never timed.
 */
#include <math.h>

#include "attention_impl.h"

void ab__attn_fill(struct ab_rng *rng, enum ab__attn_dist dist, size_t bh, size_t n, size_t d, size_t dv, float *q,
                   float *k, float *v)
{
    if (dist == AB__DIST_GAUSSIAN) {
        if (q != k)
            ab_rng_fill_normal_f32(rng, q, bh * n * d, 0.0f, 1.0f);
        ab_rng_fill_normal_f32(rng, k, bh * n * d, 0.0f, 1.0f);
    } else {
        size_t n_clusters = n / 32 > 0 ? n / 32 : 1;
        for (size_t s = 0; s < bh; s++) {
            /* centroids are drawn on the fly per cluster: regenerate them from a
             * per-slice seed so no buffer is needed */
            uint64_t slice_seed = ab_rng_u64(rng);
            for (size_t i = 0; i < n; i++) {
                size_t c = (i * 7919u) % n_clusters;
                struct ab_rng cr;
                ab_rng_seed(&cr, slice_seed ^ (UINT64_C(0x9E3779B97F4A7C15) * (c + 1)));
                float *kr = k + (s * n + i) * d;
                float *qr = q + (s * n + i) * d;
                for (size_t p = 0; p < d; p++) {
                    double mu = ab_rng_normal(&cr);
                    kr[p] = (float)(mu + 0.3 * ab_rng_normal(rng));
                    if (q != k)
                        qr[p] = (float)(mu + 0.3 * ab_rng_normal(rng));
                }
            }
        }
    }
    ab_rng_fill_normal_f32(rng, v, bh * n * dv, 0.0f, 1.0f);
}

void ab__attn_exact_rows(const float *q, const float *k, const float *v, size_t n, size_t d, size_t dv, float scale,
                         bool causal, bool norm_keys, bool self_mask, const size_t *rows, size_t n_rows,
                         double *out_p, double *out_o)
{
    for (size_t r = 0; r < n_rows; r++) {
        size_t i = rows[r];
        double *p = out_p + r * n, *o = out_o + r * dv;
        size_t lim = causal ? i + 1 : n;
        double m = -INFINITY;
        for (size_t j = 0; j < n; j++) {
            if (j >= lim) {
                p[j] = -INFINITY;
                continue;
            }
            double s = 0.0, kk = 0.0;
            for (size_t t = 0; t < d; t++) {
                s += (double)q[i * d + t] * (double)k[j * d + t];
                kk += (double)k[j * d + t] * (double)k[j * d + t];
            }
            if (norm_keys)
                s = kk > 0.0 ? s / sqrt(kk) : 0.0;
            s *= (double)scale;
            if (self_mask && j == i)
                s = -1e5;
            p[j] = s;
            if (s > m)
                m = s;
        }
        double sum = 0.0;
        for (size_t j = 0; j < n; j++) {
            p[j] = j < lim ? exp(p[j] - m) : 0.0;
            sum += p[j];
        }
        for (size_t e = 0; e < dv; e++)
            o[e] = 0.0;
        for (size_t j = 0; j < lim; j++) {
            p[j] /= sum;
            for (size_t e = 0; e < dv; e++)
                o[e] += p[j] * (double)v[j * dv + e];
        }
    }
}

void ab__fidelity_add_row(struct ab__fidelity *f, const float *approx, const double *exact, size_t n)
{
    double dot = 0.0, aa = 0.0, ee = 0.0;
    for (size_t e = 0; e < n; e++) {
        double x = (double)approx[e], y = exact[e];
        f->diff2 += (x - y) * (x - y);
        dot += x * y;
        aa += x * x;
        ee += y * y;
    }
    f->ref2 += ee;
    f->cos_sum += aa > 0.0 && ee > 0.0 ? dot / sqrt(aa * ee) : 0.0;
    f->n_rows++;
}

size_t ab__fidelity_emit(const struct ab__fidelity *f, struct ab_metric *out)
{
    double rows = (double)f->n_rows;
    size_t k = 0;
    out[k++] = (struct ab_metric){"rel_err_vs_exact", f->ref2 > 0.0 ? sqrt(f->diff2 / f->ref2) : (double)NAN, "ratio"};
    out[k++] = (struct ab_metric){"cosine_vs_exact", f->cos_sum / rows, "ratio"};
    out[k++] = (struct ab_metric){"attn_mass_overlap", f->overlap / rows, "ratio"};
    out[k++] = (struct ab_metric){"exact_top1_mass", f->top1 / rows, "ratio"};
    out[k++] = (struct ab_metric){"metric_rows", rows, "rows"};
    return k;
}
