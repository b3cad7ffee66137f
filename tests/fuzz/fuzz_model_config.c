/*
 * fuzz_model_config.c - libFuzzer target for the model-configuration reader behind
 * `archbench model` and `reproduce` (ab_model_load, datasets/models/<id>.json).
 *
 * Input: one configuration file. A refusal must say why and leave *out_model as it was.
 * An accepted configuration must be what the reader promises: every value it kept is
 * named and marked given (with its source) or assumed (with its reason), enums are in
 * range, and the analytic model of it at a few context lengths gives finite,
 * non-negative figures with active <= total parameters and resident <= total weight
 * bytes. The figures are doubles, so a configuration near the loader's bounds must not
 * overflow them either.
 */
#include <math.h>

#include "archbench/model.h"
#include "fuzz_util.h"

static void check_figures(const struct ab_model *m, double n_tokens)
{
    struct ab_model_figures f;
    ab_model_analyse(m, n_tokens, &f);
    const double v[] = {f.params_total,           f.params_active,           f.params_expert_total,
                        f.params_expert_active,   f.params_dense,            f.params_embedding_input,
                        f.flops_per_token_prefill, f.flops_per_token_decode, f.weight_bytes,
                        f.weight_bytes_resident,  f.offloaded_bytes,         f.kv_cache_bytes,
                        f.activation_bytes,       f.memory_bytes,            f.a2a_bytes_per_token};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!isfinite(v[i]) || v[i] < 0.0) {
            fprintf(stderr, "fuzz_model_config: figure %zu is %g at %g tokens\n", i, v[i], n_tokens);
            abort();
        }
    if (f.params_active > f.params_total || f.params_expert_active > f.params_expert_total ||
        f.weight_bytes_resident > f.weight_bytes || f.params_total <= 0.0 || f.weight_bytes <= 0.0) {
        fprintf(stderr, "fuzz_model_config: active %g of %g params, resident %g of %g bytes at %g tokens\n",
                f.params_active, f.params_total, f.weight_bytes_resident, f.weight_bytes, n_tokens);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = ab_fuzz_file(0, "fuzz.json", data, size);
    struct ab_error err;
    ab_error_clear(&err);
    /* A sentinel: the reader writes *out_model only on success. */
    static struct ab_model m, untouched;
    memset(&m, 0xA5, sizeof m);
    memset(&untouched, 0xA5, sizeof untouched);
    if (ab_model_load(path, &m, &err) != AB_OK) {
        if (err.msg[0] == '\0' || memcmp(&m, &untouched, sizeof m) != 0)
            abort();
        return 0;
    }
    if (strcmp(m.id, "fuzz") != 0 || m.name[0] == '\0' || m.source[0] == '\0')
        abort();
    if ((unsigned)m.attn >= AB_MODEL_ATTN_COUNT || (unsigned)m.router >= AB_MODEL_ROUTER_COUNT ||
        (unsigned)m.norm >= AB_MODEL_NORM_COUNT || (unsigned)m.act >= AB_MOE_ACT_COUNT)
        abort();
    if (m.n_fields == 0 || m.n_fields > AB_MODEL_MAX_FIELDS)
        abort();
    for (size_t i = 0; i < m.n_fields; i++) {
        const struct ab_model_field *fl = &m.fields[i];
        /* every kept value is named, has its text, and says where it comes from */
        if (fl->name[0] == '\0' || fl->value[0] == '\0' || fl->why[0] == '\0' ||
            memchr(fl->name, '\0', sizeof fl->name) == NULL || memchr(fl->value, '\0', sizeof fl->value) == NULL ||
            memchr(fl->why, '\0', sizeof fl->why) == NULL)
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(fl->name, m.fields[j].name) == 0)
                abort(); /* a value kept twice */
    }
    static const double tokens[] = {1.0, 2048.0, 131072.0, 1048576.0};
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        check_figures(&m, tokens[i]);
    return 0;
}
