/*
 * cli_model.c - `archbench model [FILE|DIR] [--tokens N]`: the analytic figures of model
 * configurations (reports/model_analytic.c) as Markdown, one table per model, with the
 * values its file marks as assumed and why, then the cost and memory models used. No
 * measurement: this is arithmetic on the configuration, for checking the articles'
 * parameter and memory claims and for `archbench reproduce` to cite.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archbench/alloc.h"
#include "archbench/model.h"

#include "cli.h"

#define DEFAULT_DIR "datasets/models"
#define DEFAULT_TOKENS 16384.0 /* article B's 16K tokens (B7) */

static void help(FILE *out)
{
    fprintf(out,
            "usage: archbench model [FILE.json|DIR] [--tokens N] [--all-fields]\n"
            "\n"
            "Analytic figures of model configurations (default folder: " DEFAULT_DIR "):\n"
            "parameters total and active per token, FLOPs per token (prefill of N, decode at\n"
            "N in the cache), memory at N tokens (resident weights, KV cache, activations),\n"
            "expert-parallel all-to-all bytes per token, and the values the file marks as\n"
            "assumed, with the reason. Computed, not measured.\n"
            "\n"
            "  --tokens N     context length (default 16384)\n"
            "  --all-fields   list every value with its source, not only the assumed ones\n"
            "\n"
            "Exit 1 when a configuration does not load (the message names file and field).\n");
}

static void print_model(const struct ab_model *m, double n, bool all_fields)
{
    struct ab_model_figures f;
    ab_model_analyse(m, n, &f);
    printf("## %s (%s)\n\n%s\n\n", m->name, m->id, m->source);
    printf("attention %s, router %s, %lld layers, d_model %lld; at %.0f tokens, batch 1 (GB = 1e9 bytes)\n\n",
           ab_model_attn_name(m->attn), ab_model_router_name(m->router), (long long)m->n_layers,
           (long long)m->d_model, n);
    printf("| figure | value |\n|---|---|\n");
    printf("| parameters total | %.3f B |\n", f.params_total * 1e-9);
    printf("| parameters active per token | %.3f B (%.3f B without the input embedding) |\n", f.params_active * 1e-9,
           (f.params_active - f.params_embedding_input) * 1e-9);
    if (m->router != AB_MODEL_ROUTER_DENSE)
        printf("| routed expert parameters total / active | %.3f B / %.3f B (%g of %lld per MoE layer) |\n",
               f.params_expert_total * 1e-9, f.params_expert_active * 1e-9, m->experts_per_token,
               (long long)m->n_experts);
    printf("| FLOPs per token, prefill of %.0f | %.3f GFLOP |\n", n, f.flops_per_token_prefill * 1e-9);
    printf("| FLOPs per token, decode at %.0f | %.3f GFLOP |\n", n, f.flops_per_token_decode * 1e-9);
    printf("| weights, all | %.2f GB (%g bytes/parameter) |\n", f.weight_bytes * 1e-9, m->weight_bytes_per_param);
    if (f.offloaded_bytes > 0.0)
        printf("| weights resident / offloaded | %.2f GB / %.2f GB |\n", f.weight_bytes_resident * 1e-9,
               f.offloaded_bytes * 1e-9);
    printf("| KV cache at %.0f | %.3f GB |\n", n, f.kv_cache_bytes * 1e-9);
    printf("| activations, prefill peak | %.3f GB |\n", f.activation_bytes * 1e-9);
    printf("| **memory at %.0f tokens** | **%.2f GB** |\n", n, f.memory_bytes * 1e-9);
    printf("| all-to-all per token | %.1f KB |\n\n", f.a2a_bytes_per_token * 1e-3);
    size_t n_assumed = 0;
    for (size_t i = 0; i < m->n_fields; i++)
        n_assumed += m->fields[i].assumed;
    printf("%zu of %zu values assumed%s\n\n", n_assumed, m->n_fields, all_fields ? "; every value:" : ":");
    if (n_assumed == 0 && !all_fields)
        return;
    printf("| field | value | %s |\n|---|---|---|\n", all_fields ? "given or assumed: where / why" : "why assumed");
    for (size_t i = 0; i < m->n_fields; i++) {
        const struct ab_model_field *fl = &m->fields[i];
        const char *mark = all_fields ? (fl->assumed ? "assumed: " : "given: ") : "";
        if (fl->assumed || all_fields)
            printf("| %s | %s | %s%s |\n", fl->name, fl->value, mark, fl->why);
    }
    printf("\n");
}

int ab__cli_model(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"tokens", required_argument, NULL, 't'},
        {"all-fields", no_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    double n = DEFAULT_TOKENS;
    bool all_fields = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            help(stdout);
            return AB_EXIT_OK;
        case 't': {
            char *end;
            errno = 0;
            n = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(n >= 1.0 && n <= 1e9) || n != floor(n))
                return ab__cli_usage_error("model", "--tokens: '%s' is not a whole number from 1 to 1e9", optarg);
            break;
        }
        case 'a':
            all_fields = true;
            break;
        default:
            return ab__cli_usage_error("model", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return ab__cli_usage_error("model", "takes one FILE or DIR, got %d", argc - optind);
    const char *path = optind < argc ? argv[optind] : DEFAULT_DIR;
    struct stat sb;
    struct ab_error err;
    struct ab_model *models = NULL;
    size_t n_models = 0;
    enum ab_status st;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        st = ab_model_load_dir(path, &models, &n_models, &err);
    } else if (!(models = ab_malloc(sizeof *models))) {
        st = ab_error_set(&err, AB_ENOMEM, "out of memory");
    } else {
        n_models = 1;
        st = ab_model_load(path, models, &err);
    }
    if (st != AB_OK) {
        fprintf(stderr, "archbench model: %s\n", err.msg);
        ab_free(models);
        return AB_EXIT_FAIL;
    }
    printf("# Model configurations: analytic figures at %.0f tokens\n\n", n);
    for (size_t i = 0; i < n_models; i++)
        print_model(&models[i], n, all_fields);
    printf("## How the figures are computed\n\n");
    for (int a = 0; a < AB_MODEL_ATTN_COUNT; a++)
        printf("- %s\n", ab_model_attn_cost_text((enum ab_model_attn)a));
    printf("- %s\n", ab_model_memory_text());
    printf("- parameters: ab_moe_count_params (biases ignored, two norms per layer and a final one); active "
           "counts the input embedding table (Mixtral's convention); FLOPs count 2 per weight a token multiplies "
           "by, the input embedding (a lookup) none\n");
    ab_free(models);
    return AB_EXIT_OK;
}
