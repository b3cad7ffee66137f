/*
 * fuzz_normalize.c - libFuzzer target for the ReCoRD / SQuAD answer normaliser and
 * token F1 / exact match.
 *
 * Input: a prediction and a gold answer separated by 0x1E, as raw bytes (invalid UTF-8
 * must be refused, never read past). Properties checked beyond "no crash": the
 * normalised text is valid UTF-8 with single spaces and none at either end, F1 and EM
 * lie in [0, 1] (EM 0 or 1), normalising is idempotent on valid output, and an answer
 * compared with itself has EM 1.
 */
#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "fuzz_util.h"

static struct ab_eval_normalizer *nz;

static void check_normalised(const char *s)
{
    size_t len = strlen(s);
    if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
        abort();
    if (strstr(s, "  ") != NULL)
        abort();
    char *again = NULL;
    if (ab_eval_normalize(nz, s, len, &again) != AB_OK)
        abort();   /* the output of the normaliser is valid UTF-8 */
    if (strcmp(again, s) != 0)
        abort();   /* normalising twice changes nothing */
    ab_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (nz == NULL && ab_eval_normalizer_new(&nz, NULL) != AB_OK)
        abort();
    const uint8_t *part[2];
    size_t len[2];
    size_t n = ab_fuzz_split(data, size, part, len, 2);
    char *pred = ab_fuzz_strndup(part[0], len[0]);
    char *gold = ab_fuzz_strndup(part[n - 1], len[n - 1]);

    char *norm = NULL;
    if (ab_eval_normalize(nz, (const char *)part[0], len[0], &norm) == AB_OK) {
        check_normalised(norm);
        ab_free(norm);
    }
    double f1 = -1.0, em = -1.0;
    if (ab_eval_squad_f1_em(nz, pred, gold, &f1, &em) == AB_OK) {
        if (!(f1 >= 0.0 && f1 <= 1.0) || !(em == 0.0 || em == 1.0))
            abort();
        double f1_self, em_self;
        if (ab_eval_squad_f1_em(nz, gold, gold, &f1_self, &em_self) != AB_OK || em_self != 1.0)
            abort();
    }
    free(pred);
    free(gold);
    return 0;
}
