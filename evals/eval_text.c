/*
 * eval_text.c - SQuAD v1.1 answer normalisation and token F1 / exact match (ReCoRD).
 *
 * The reference is Python 3: s.lower(); drop string.punctuation; re.sub(r"\b(a|an|the)\b",
 * " "); " ".join(s.split()). Each step is reproduced on UTF-8:
 * - lower(): Python's full lowercase mapping from tables generated out of Python itself
 *   (eval_case_table.h, gen_case_table.py; Unicode 14 as of Python 3.11), never the C
 *   library's towlower, whose simple mapping and locale data differ: U+0130 lowers to
 *   "i" + U+0307 (two code points), and capital sigma to final sigma when it ends a
 *   word (Unicode's Final_Sigma context: a cased letter before it, none after, skipping
 *   case-ignorable characters either way), as str.lower() does. The official script
 *   scores "ΣΑΣ" against "σας" as an exact match, and "İ" against "i" as none.
 * - punctuation: exactly the 32 ASCII characters; curly quotes, dashes, guillemets stay.
 * - articles: PCRE2 with UTF|UCP and explicit look-arounds for "word" = letter, number or
 *   underscore, as Python's \b; PCRE2 >= 10.43 widened \w in UCP mode to marks, so \b
 *   itself would drift between versions.
 * - split(): Python's str.isspace() set, which includes U+001C..U+001F and U+00A0 but
 *   not U+200B.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <pcre2.h>

#include "archbench/alloc.h"
#include "archbench/eval.h"
#include "eval_internal.h"

struct ab_eval_normalizer {
    pcre2_code *articles;
    pcre2_match_data *match;
};

struct case_range {
    uint32_t first, last;
};

#include "eval_case_table.h"

static const char article_pattern[] = "(?<![\\p{L}\\p{N}_])(?:a|an|the)(?![\\p{L}\\p{N}_])";

enum ab_status ab_eval_normalizer_new(struct ab_eval_normalizer **out_nz, struct ab_error *err)
{
    enum ab_status st = AB_OK;
    struct ab_eval_normalizer *nz = ab_calloc(1, sizeof *nz);
    if (nz == NULL)
        return ab_error_set(err, AB_ENOMEM, "cannot allocate the text normaliser");
    int code;
    PCRE2_SIZE offset;
    nz->articles = pcre2_compile((PCRE2_SPTR)article_pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &code,
                                 &offset, NULL);
    if (nz->articles == NULL) {
        PCRE2_UCHAR buf[128];
        pcre2_get_error_message(code, buf, sizeof buf);
        st = ab_error_set(err, AB_ENOTSUP, "cannot compile the article pattern at offset %zu: %s", (size_t)offset,
                          (const char *)buf);
        goto cleanup;
    }
    nz->match = pcre2_match_data_create_from_pattern(nz->articles, NULL);
    if (nz->match == NULL) {
        st = ab_error_set(err, AB_ENOMEM, "cannot allocate PCRE2 match data");
        goto cleanup;
    }
    *out_nz = nz;
    return AB_OK;
cleanup:
    ab_eval_normalizer_free(nz);
    return st;
}

void ab_eval_normalizer_free(struct ab_eval_normalizer *nz)
{
    if (nz == NULL)
        return;
    pcre2_match_data_free(nz->match);
    pcre2_code_free(nz->articles);
    ab_free(nz);
}

/* Decode one code point of valid UTF-8 at s[*i] and advance; U+FFFD on a bad byte. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    size_t n_cont = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    uint32_t cp = n_cont == 0 ? c : n_cont == 1 ? (c & 0x1Fu) : n_cont == 2 ? (c & 0x0Fu) : (c & 0x07u);
    if (*i + n_cont >= len + (n_cont == 0)) {
        (*i)++;
        return 0xFFFD;
    }
    for (size_t j = 1; j <= n_cont; j++)
        cp = (cp << 6) | (s[*i + j] & 0x3Fu);
    *i += n_cont + 1;
    return cp;
}

static size_t utf8_put(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Python's lower() of one code point whose lowering is one code point (all but U+0130). */
static uint32_t lower_simple(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    size_t lo = 0, hi = sizeof case_lower / sizeof case_lower[0];
    while (lo < hi) {   /* the last range starting at or before cp */
        size_t mid = lo + (hi - lo) / 2;
        if (case_lower[mid].first <= cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return cp;
    const struct case_lower *r = &case_lower[lo - 1];
    if (cp > r->last || (cp - r->first) % r->stride != 0)
        return cp;
    return cp + r->delta;   /* uint32 arithmetic: the table stores negative deltas wrapped */
}

static bool in_ranges(const struct case_range *t, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].last < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && t[lo].first <= cp;
}

static bool is_case_ignorable(uint32_t cp)
{
    return in_ranges(case_ignorable, sizeof case_ignorable / sizeof case_ignorable[0], cp);
}

static bool is_cased(uint32_t cp)
{
    return in_ranges(case_cased, sizeof case_cased / sizeof case_cased[0], cp);
}

/* Unicode's Final_Sigma condition for cps[k], on the text before lowering: a cased
 * letter before it and none after it, case-ignorable characters skipped on both sides.
 * Each scan stops at the first other character, so a text's scans are linear in total. */
static bool final_sigma(const uint32_t *cps, size_t n, size_t k)
{
    size_t j = k;
    while (j > 0 && is_case_ignorable(cps[j - 1]))
        j--;
    if (j == 0 || !is_cased(cps[j - 1]))
        return false;
    j = k + 1;
    while (j < n && is_case_ignorable(cps[j]))
        j++;
    return j == n || !is_cased(cps[j]);
}

/* Python's lower() of cps[k] into out (1 or 2 code points); returns how many. */
static size_t lower_full(const uint32_t *cps, size_t n, size_t k, uint32_t out[2])
{
    uint32_t cp = cps[k];
    if (cp == 0x130) {   /* LATIN CAPITAL LETTER I WITH DOT ABOVE: SpecialCasing's one unconditional case */
        out[0] = 'i';
        out[1] = 0x307;
        return 2;
    }
    if (cp == 0x3A3) {
        out[0] = final_sigma(cps, n, k) ? 0x3C2 : 0x3C3;
        return 1;
    }
    out[0] = lower_simple(cp);
    return 1;
}

static bool is_ascii_punct(uint32_t cp)
{
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
}

/* Python's str.isspace(). */
static bool is_py_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

enum ab_status ab_eval_normalize(struct ab_eval_normalizer *nz, const char *text, size_t len, char **out_text)
{
    enum ab_status st = AB_OK;
    char *lowered = NULL, *stripped = NULL, *joined = NULL;
    uint32_t *cps = NULL;
    if (ab__eval_utf8_check(text, len) != len || memchr(text, '\0', len) != NULL)
        return AB_EPARSE;
    /* Lower-casing can lengthen a code point's encoding (rarely): 4 bytes per input byte bound. */
    if (len > (SIZE_MAX - 16) / 4)
        return AB_EOVERFLOW;
    size_t cap = 4 * len + 16;
    lowered = ab_malloc(cap);
    stripped = ab_malloc(cap);
    joined = ab_malloc(cap);
    cps = ab_malloc((len + 1) * sizeof *cps);
    if (lowered == NULL || stripped == NULL || joined == NULL || cps == NULL) {
        st = AB_ENOMEM;
        goto cleanup;
    }
    /* 1 and 2: lower case (final sigma looks at both neighbours: decode first), drop
     * ASCII punctuation. */
    size_t n_cp = 0;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;)
        cps[n_cp++] = utf8_next(s, len, &i);
    size_t n_low = 0;
    for (size_t k = 0; k < n_cp; k++) {
        uint32_t low[2];
        size_t n_lowered = lower_full(cps, n_cp, k, low);
        for (size_t m = 0; m < n_lowered; m++)
            if (!is_ascii_punct(low[m]))
                n_low += utf8_put(low[m], lowered + n_low);
    }
    /* 3: articles -> " " (never longer than the input: each match is at least 1 byte). */
    PCRE2_SIZE n_out = cap;
    int rc = pcre2_substitute(nz->articles, (PCRE2_SPTR)lowered, n_low, 0, PCRE2_SUBSTITUTE_GLOBAL, nz->match, NULL,
                              (PCRE2_SPTR) " ", 1, (PCRE2_UCHAR *)stripped, &n_out);
    if (rc < 0) {
        st = rc == PCRE2_ERROR_NOMEMORY ? AB_ENOMEM : AB_EPARSE;
        goto cleanup;
    }
    /* 4: split on Python whitespace, join with single spaces. */
    size_t n_join = 0;
    bool in_token = false;
    const unsigned char *t = (const unsigned char *)stripped;
    for (size_t i = 0; i < n_out;) {
        size_t start = i;
        uint32_t cp = utf8_next(t, n_out, &i);
        if (is_py_space(cp)) {
            in_token = false;
            continue;
        }
        if (!in_token && n_join > 0)
            joined[n_join++] = ' ';
        in_token = true;
        memcpy(joined + n_join, stripped + start, i - start);
        n_join += i - start;
    }
    joined[n_join] = '\0';
    *out_text = joined;
    joined = NULL;
cleanup:
    ab_free(cps);
    ab_free(lowered);
    ab_free(stripped);
    ab_free(joined);
    return st;
}

/* Split a normalised string (single spaces) into tokens, in place. Returns the count. */
static size_t split_tokens(char *s, char **tokens)
{
    size_t n = 0;
    char *p = s;
    while (*p) {
        tokens[n++] = p;
        char *sp = strchr(p, ' ');
        if (sp == NULL)
            break;
        *sp = '\0';
        p = sp + 1;
    }
    return n;
}

enum ab_status ab_eval_squad_f1_em(struct ab_eval_normalizer *nz, const char *pred, const char *gold,
                                   double *out_f1, double *out_em)
{
    enum ab_status st;
    char *np = NULL, *ng = NULL;
    char **tok_p = NULL, **tok_g = NULL;
    bool *used = NULL;
    st = ab_eval_normalize(nz, pred, strlen(pred), &np);
    if (st != AB_OK)
        goto cleanup;
    st = ab_eval_normalize(nz, gold, strlen(gold), &ng);
    if (st != AB_OK)
        goto cleanup;
    double em = strcmp(np, ng) == 0 ? 1.0 : 0.0;
    /* A token needs at least one byte and a separator: len/2 + 1 bounds the count. */
    size_t cap_p = strlen(np) / 2 + 1, cap_g = strlen(ng) / 2 + 1;
    tok_p = ab_malloc(cap_p * sizeof *tok_p);
    tok_g = ab_malloc(cap_g * sizeof *tok_g);
    used = ab_calloc(cap_g, sizeof *used);
    if (tok_p == NULL || tok_g == NULL || used == NULL) {
        st = AB_ENOMEM;
        goto cleanup;
    }
    size_t n_p = split_tokens(np, tok_p), n_g = split_tokens(ng, tok_g);
    /* Multiset intersection (Counter & Counter): each gold token matches at most once. */
    size_t n_same = 0;
    for (size_t i = 0; i < n_p; i++)
        for (size_t j = 0; j < n_g; j++)
            if (!used[j] && strcmp(tok_p[i], tok_g[j]) == 0) {
                used[j] = true;
                n_same++;
                break;
            }
    double f1 = 0.0;
    if (n_same > 0) {
        double precision = (double)n_same / (double)n_p, recall = (double)n_same / (double)n_g;
        f1 = 2.0 * precision * recall / (precision + recall);
    }
    *out_f1 = f1;
    *out_em = em;
cleanup:
    ab_free(np);
    ab_free(ng);
    ab_free(tok_p);
    ab_free(tok_g);
    ab_free(used);
    return st;
}
