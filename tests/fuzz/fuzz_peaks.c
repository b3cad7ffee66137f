/*
 * fuzz_peaks.c - libFuzzer target for the context/peaks reader behind --peaks-from and
 * --resume: ab_json_read_file (size and file-type limits) then ab_results_peaks_read.
 *
 * Input: a context.json. Accepted peaks must be what the reader promises (thread counts
 * 1..4096, figures positive and finite or NA, spreads non-negative), and must survive a
 * round trip through the writer (ab_results_peaks_json, printed and parsed again)
 * unchanged.
 */
#include <math.h>

#include <cjson/cJSON.h>

#include "archbench/report.h"
#include "archbench/results.h"
#include "fuzz_util.h"

static bool same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = ab_fuzz_file(0, "context.json", data, size);
    cJSON *root = NULL;
    struct ab_error err;
    ab_error_clear(&err);
    if (ab_json_read_file(path, &root, &err) != AB_OK)
        return 0;
    struct ab_results_context ctx, back;
    memset(&ctx, 0, sizeof ctx);
    memset(&back, 0, sizeof back);
    if (ab_results_peaks_read(root, path, &ctx, &err) == AB_OK) {
        for (size_t i = 0; i < ctx.n_peaks; i++) {
            const struct ab_result_peak *p = &ctx.peaks[i];
            if (p->threads < 1 || p->threads > 4096)
                abort();
            const double v[8] = {p->fp32_gflops, p->int8_gops,  p->read_gbytes_per_s, p->triad_gbytes_per_s,
                                 p->fp32_spread, p->int8_spread, p->read_spread,       p->triad_spread};
            for (int k = 0; k < 8; k++)
                if (!isnan(v[k]) && (!isfinite(v[k]) || v[k] < 0.0 || (k < 4 && v[k] == 0.0)))
                    abort();
        }
        cJSON *obj = cJSON_CreateObject();
        cJSON_AddItemToObject(obj, "peaks", ab_results_peaks_json(&ctx));
        char *text = cJSON_PrintUnformatted(obj);
        cJSON *again = text ? cJSON_Parse(text) : NULL;
        if (again == NULL || ab_results_peaks_read(again, "round trip", &back, &err) != AB_OK ||
            back.n_peaks != ctx.n_peaks)
            abort();
        for (size_t i = 0; i < ctx.n_peaks; i++) {
            const struct ab_result_peak *a = &ctx.peaks[i], *b = &back.peaks[i];
            if (a->threads != b->threads || a->remeasured != b->remeasured || !same(a->fp32_gflops, b->fp32_gflops) ||
                !same(a->int8_gops, b->int8_gops) || !same(a->read_gbytes_per_s, b->read_gbytes_per_s) ||
                !same(a->triad_gbytes_per_s, b->triad_gbytes_per_s) || !same(a->fp32_spread, b->fp32_spread) ||
                !same(a->int8_spread, b->int8_spread) || !same(a->read_spread, b->read_spread) ||
                !same(a->triad_spread, b->triad_spread))
                abort();
        }
        cJSON_Delete(again);
        cJSON_free(text);
        cJSON_Delete(obj);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    cJSON_Delete(root);
    return 0;
}
