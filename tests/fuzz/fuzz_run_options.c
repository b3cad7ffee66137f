/*
 * fuzz_run_options.c - libFuzzer target for the command line's list options of
 * `archbench run`: --filter (compiled by PCRE2 and matched against every variant),
 * --threads and --set, parsed by the library functions the CLI calls and then planned,
 * so every family's parameter parser sees the --set values as a user would give them.
 *
 * Input: one flags byte (bit 0 --quick, bit 1 --no-probes), then the filter, the thread
 * list and any number of --set texts separated by 0x1E (an empty filter or thread list
 * means the option is absent). A plan that builds must hold only items within the
 * thread counts given and cases inside their family's parameter ranges.
 */
#include "archbench/kernel.h"
#include "archbench/run.h"
#include "fuzz_util.h"
#include "run_internal.h"

#define MAX_PARTS (2 + AB_RUN_MAX_SETS + 1)

static void ignore(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *part[MAX_PARTS];
    size_t len[MAX_PARTS];
    size_t n = ab_fuzz_split(data + 1, size - 1, part, len, MAX_PARTS);
    char *text[MAX_PARTS];
    for (size_t i = 0; i < n; i++)
        text[i] = ab_fuzz_strndup(part[i], len[i]);

    struct ab_run_options o;
    ab_run_options_init(&o);
    o.quick = data[0] & 1;
    o.probes = !(data[0] & 2);
    struct ab_error err;
    ab_error_clear(&err);
    struct ab_filter *filter = NULL;
    struct ab__plan pl;
    memset(&pl, 0, sizeof pl);
    o.filter = n > 0 && text[0][0] ? text[0] : NULL;
    if (ab_filter_new(o.filter, &filter, &err) != AB_OK)
        goto done;
    if (n > 1 && text[1][0] && ab_run_options_set_threads(&o, text[1], &err) != AB_OK)
        goto done;
    for (size_t i = 2; i < n; i++)
        if (ab_run_options_add_set(&o, text[i], &err) != AB_OK)
            goto done;
    if (o.n_threads == 0) {
        o.threads[0] = 1;
        o.n_threads = 1;
    }
    if (ab__plan_build(&pl, &o, filter, ignore, NULL, &err) == AB_OK) {
        for (size_t i = 0; i < pl.n_items; i++) {
            const struct ab__item *it = &pl.items[i];
            bool listed = it->threads == 1;
            for (size_t t = 0; t < o.n_threads; t++)
                listed |= it->threads == o.threads[t];
            if (!listed || it->case_index >= pl.n_cases)
                abort();
        }
        for (size_t c = 0; c < pl.n_cases; c++)
            if (!ab_shape_valid(pl.cases[c].family, &pl.cases[c].shape))
                abort();
        (void)ab__plan_check_memory(&pl, INT64_C(1) << 34, &err);
    }
done:
    ab__plan_release(&pl);
    ab_filter_free(filter);
    for (size_t i = 0; i < n; i++)
        free(text[i]);
    return 0;
}
