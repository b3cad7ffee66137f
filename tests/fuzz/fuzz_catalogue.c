/*
 * fuzz_catalogue.c - libFuzzer target for the hardware catalogue reader, which reads the
 * shipped datasets/hardware/catalogue.csv and a user's --catalogue file of quoted prices
 * (data from outside: hand-edited, exported from spreadsheets).
 *
 * Input: the first catalogue, then optionally a second one after the byte 0x1E, read
 * into the same catalogue as a user's file is (its rows replace rows of the same name).
 * Properties: a refusal names its file and leaves the catalogue as it was (the reader
 * promises that); a device that was read has a name and a source, no figure that is 0,
 * negative or infinite (NaN is NA), whole cores and threads with threads >= cores, and
 * can be found by its own name; no two devices share a name.
 */
#include <math.h>

#include "archbench/procure.h"
#include "fuzz_util.h"

static bool count_ok(double v)
{
    return isnan(v) || (v >= 1.0 && v == floor(v));
}

static void check(const struct ab_catalogue *cat)
{
    for (size_t i = 0; i < cat->n_devices; i++) {
        const struct ab_device *d = &cat->devices[i];
        if (!d->name[0] || !d->source[0] || strcmp(d->source, "NA") == 0)
            abort();
        const double f[] = {d->peak_fp32_flop_per_s, d->peak_fp16_bf16_flop_per_s, d->peak_int8_op_per_s,
                            d->mem_bw_bytes_per_s, d->mem_bytes, d->tdp_w, d->price_usd};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
            if (!(isnan(f[k]) || (isfinite(f[k]) && f[k] > 0.0)))
                abort();
        if (!count_ok(d->n_cores) || !count_ok(d->n_threads) || d->n_threads < d->n_cores)
            abort();
        if ((unsigned)d->kind >= AB_DEVICE_KIND_COUNT || ab_catalogue_find(cat, d->name) != d)
            abort();  /* the first of a name is itself: names are unique */
    }
    char near[512];
    if (cat->n_devices)
        ab_catalogue_near(cat, cat->devices[0].name, near, sizeof near);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *part[2];
    size_t len[2];
    size_t n = ab_fuzz_split(data, size, part, len, 2);
    struct ab_catalogue cat;
    ab_catalogue_init(&cat);
    for (size_t i = 0; i < n; i++) {
        const char *path = ab_fuzz_file((int)i, i ? "mine.csv" : "catalogue.csv", part[i], len[i]);
        size_t before = cat.n_devices;
        struct ab_device first;
        if (before)
            first = cat.devices[0];
        struct ab_error err;
        ab_error_clear(&err);
        if (ab_catalogue_read(&cat, path, &err) != AB_OK) {
            if (!err.msg[0] || !strstr(err.msg, path))
                abort();  /* every refusal names its file */
            if (cat.n_devices != before || (before && memcmp(&first, &cat.devices[0], sizeof first) != 0))
                abort();  /* a file that does not read changes nothing */
            break;
        }
        check(&cat);
    }
    ab_catalogue_release(&cat);
    return 0;
}
