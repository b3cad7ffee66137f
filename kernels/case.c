/*
 * case.c - the harness side of a kernel family's cases: allocation helpers shared by
 * the families (so each states only what its inputs are, not how to free them), the
 * registry of each case's outputs and inputs, and the guarded, checked call
 * ab_case_verify that the runner and the equivalence tests both use.
 *
 * Why the checked call does more than compare (checkasm's lesson): a variant that
 * writes nothing passes a plain comparison whenever the TEST slot already holds the
 * right answer from an earlier call, and a variant writing past its output or into its
 * inputs passes as long as the damage is not looked for. So before every checked call
 * the outputs are poisoned and the guard zones refilled, and after it the guard zones,
 * the padding and a hash of every input are checked. Nothing here is timed.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/kernel.h"

_Static_assert(AB_CASE_GUARD_BYTES % AB_ALIGN_BYTES == 0, "guard zones keep buffers aligned");

static const size_t elem_bytes[AB_ELEM_COUNT] = {
    [AB_ELEM_F32] = 4, [AB_ELEM_F64] = 8, [AB_ELEM_I8] = 1, [AB_ELEM_U8] = 1, [AB_ELEM_I32] = 4, [AB_ELEM_I64] = 8,
};
_Static_assert(sizeof elem_bytes / sizeof elem_bytes[0] == AB_ELEM_COUNT, "a size per element type");

enum ab_status ab_case_new(const struct ab_family *family, const struct ab_shape *shape, uint64_t seed, size_t bytes,
                           struct ab_case **out_case, struct ab_error *err)
{
    if (bytes < sizeof(struct ab_case))
        return ab_error_set(err, AB_EINVAL, "%s: case struct smaller than struct ab_case", family->name);
    if (!ab_shape_valid(family, shape))
        return ab_error_set(err, AB_EINVAL, "%s: shape outside the parameter ranges", family->name);
    struct ab_case *c = ab_calloc(1, bytes);
    if (!c)
        return ab_error_set(err, AB_ENOMEM, "%s: out of memory for the case", family->name);
    c->family = family;
    c->shape = *shape;
    c->seed = seed;
    *out_case = c;
    return AB_OK;
}

static void fill_guards(const struct ab_case_buf *b)
{
    unsigned char *block = b->block;
    memset(block, AB_CASE_GUARD_BYTE, AB_CASE_GUARD_BYTES);
    memset(block + AB_CASE_GUARD_BYTES + b->bytes, AB_CASE_GUARD_BYTE, AB_CASE_GUARD_BYTES);
}

void *ab_case_alloc(struct ab_case *c, size_t bytes)
{
    if (c->n_owned == AB_CASE_MAX_OWNED || bytes > SIZE_MAX - 2 * AB_CASE_GUARD_BYTES)
        return NULL;
    /* Zero-size inputs still get a valid, distinct pointer. */
    size_t payload = bytes ? bytes : 1;
    unsigned char *block = ab_aligned_alloc(AB_ALIGN_BYTES, payload + 2 * AB_CASE_GUARD_BYTES);
    if (!block)
        return NULL;
    struct ab_case_buf *b = &c->owned[c->n_owned++];
    *b = (struct ab_case_buf){.name = NULL, .ptr = block + AB_CASE_GUARD_BYTES, .bytes = payload, .block = block};
    fill_guards(b);
    return b->ptr;
}

void ab_case_free(struct ab_case *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_owned; i++)
        ab_free(c->owned[i].block);
    ab_free(c);
}

static struct ab_case_buf *owned_buf(struct ab_case *c, const void *ptr)
{
    for (size_t i = 0; i < c->n_owned; i++)
        if (c->owned[i].ptr == ptr)
            return &c->owned[i];
    return NULL;
}

/* The owned buffer holding [p, p + bytes), or NULL. */
static struct ab_case_buf *owned_span(struct ab_case *c, const void *p, size_t bytes)
{
    uintptr_t a = (uintptr_t)p;
    for (size_t i = 0; i < c->n_owned; i++) {
        uintptr_t lo = (uintptr_t)c->owned[i].ptr;
        if (a >= lo && a - lo <= c->owned[i].bytes && bytes <= c->owned[i].bytes - (a - lo))
            return &c->owned[i];
    }
    return NULL;
}

bool ab_case_output(struct ab_case *c, enum ab_slot slot, const char *name, void *ptr, enum ab_elem elem, size_t rows,
                    size_t cols, size_t ld)
{
    if ((unsigned)slot >= AB_SLOT_COUNT || (unsigned)elem >= AB_ELEM_COUNT || !ptr || ld < cols ||
        c->n_outputs[slot] == AB_CASE_MAX_OUTPUTS)
        return false;
    if (rows && ld > (SIZE_MAX / elem_bytes[elem]) / rows)
        return false;
    /* The extent must lie in one buffer, or poisoning it would write out of bounds. */
    struct ab_case_buf *b = owned_span(c, ptr, rows * ld * elem_bytes[elem]);
    if (!b)
        return false;
    if (!b->name && b->ptr == ptr)
        b->name = name;
    c->outputs[slot][c->n_outputs[slot]++] = (struct ab_case_output){name, ptr, elem, rows, cols, ld};
    return true;
}

bool ab_case_input(struct ab_case *c, const char *name, const void *ptr, size_t bytes)
{
    if (!ptr)
        return false;
    struct ab_case_buf *b = owned_buf(c, ptr);
    if (b) {
        b->name = name;
        return true;
    }
    if (c->n_inputs == AB_CASE_MAX_INPUTS)
        return false;
    /* Not owned, so not written through here: the const is dropped only to share the struct. */
    void *p;
    memcpy(&p, &ptr, sizeof p);
    c->inputs[c->n_inputs++] = (struct ab_case_buf){.name = name, .ptr = p, .bytes = bytes, .block = NULL};
    return true;
}

bool ab_case_outputs_f32(struct ab_case *c, size_t n)
{
    for (int s = 0; s < AB_SLOT_COUNT; s++) {
        float *p = ab_case_alloc(c, n * sizeof(float));
        if (!p || !ab_case_output(c, (enum ab_slot)s, "out", p, AB_ELEM_F32, 1, n, n))
            return false;
        for (size_t i = 0; i < n; i++)
            p[i] = NAN;
        c->out_f32[s] = p;
    }
    c->n_out_f32 = n;
    return true;
}

void ab_case_compare_f32(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out_check)
{
    ab_check_f32(c->out_f32[AB_SLOT_REF], c->out_f32[AB_SLOT_TEST], c->n_out_f32,
                 ab_kernel_tolerance(kernel, &c->shape), out_check);
}

/* ---- the checked call ---------------------------------------------------------------- */

/* 64-bit hash of a buffer, eight bytes at a time (inputs run to gigabytes for the MoE
 * weights, so a byte-wise FNV would dominate a check). Not cryptographic: it only has
 * to change when a kernel writes where it should not. */
static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15) ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * UINT64_C(0xFF51AFD7ED558CCD);
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ s[i]) * UINT64_C(0x100000001B3);
    return h ^ (h >> 29);
}

/* NaN for floats, AB_CASE_POISON_BYTE for integers: over the whole extent, padding too. */
static void poison(const struct ab_case_output *o)
{
    size_t n = o->rows * o->ld;
    switch (o->elem) {
    case AB_ELEM_F32:
        for (size_t i = 0; i < n; i++)
            ((float *)o->ptr)[i] = NAN;
        break;
    case AB_ELEM_F64:
        for (size_t i = 0; i < n; i++)
            ((double *)o->ptr)[i] = (double)NAN;
        break;
    case AB_ELEM_I8:
    case AB_ELEM_U8:
    case AB_ELEM_I32:
    case AB_ELEM_I64:
    case AB_ELEM_COUNT:
    default:
        memset(o->ptr, AB_CASE_POISON_BYTE, n * elem_bytes[o->elem]);
        break;
    }
}

static bool is_output_of(const struct ab_case *c, enum ab_slot slot, const struct ab_case_buf *b)
{
    for (size_t o = 0; o < c->n_outputs[slot]; o++) {
        uintptr_t p = (uintptr_t)c->outputs[slot][o].ptr, lo = (uintptr_t)b->ptr;
        if (p >= lo && p - lo < b->bytes)
            return true;
    }
    return false;
}

/* "output 'c'", "reference output 'c'", "input 'a'" or "buffer #3", for the messages. */
static const char *describe(const struct ab_case *c, const struct ab_case_buf *b, char *buf, size_t buf_bytes)
{
    const char *kind = is_output_of(c, AB_SLOT_TEST, b)  ? "output"
                       : is_output_of(c, AB_SLOT_REF, b) ? "reference output"
                                                         : "input";
    if (b->name)
        snprintf(buf, buf_bytes, "%s '%s'", kind, b->name);
    else
        snprintf(buf, buf_bytes, "buffer #%zu", b->block ? (size_t)(b - c->owned) : (size_t)(b - c->inputs));
    return buf;
}

static bool report(struct ab_check *out, const struct ab_case *c, const char *fmt, ...) AB_PRINTF(3, 4);

/* A failure of the checked call itself (not of the comparison): detail and seed. */
static bool report(struct ab_check *out, const struct ab_case *c, const char *fmt, ...)
{
    char what[112];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    memset(out, 0, sizeof *out);
    out->ok = false;
    out->err = (double)NAN;
    out->cosine = (double)NAN;
    snprintf(out->detail, sizeof out->detail, "%s (seed %" PRIu64 ")", what, c->seed);
    return false;
}

/* First byte of a guard zone that is not AB_CASE_GUARD_BYTE, or -1. */
static ptrdiff_t guard_damage(const unsigned char *g)
{
    for (size_t i = 0; i < AB_CASE_GUARD_BYTES; i++)
        if (g[i] != AB_CASE_GUARD_BYTE)
            return (ptrdiff_t)i;
    return -1;
}

static bool check_guards(const struct ab_case *c, struct ab_check *out)
{
    for (size_t i = 0; i < c->n_owned; i++) {
        const struct ab_case_buf *b = &c->owned[i];
        const unsigned char *lo = b->block, *hi = lo + AB_CASE_GUARD_BYTES + b->bytes;
        char name[48];
        ptrdiff_t at = guard_damage(lo);
        if (at >= 0)
            return report(out, c, "guard zone before %s overwritten at byte -%td", describe(c, b, name, sizeof name),
                          (ptrdiff_t)AB_CASE_GUARD_BYTES - at);
        if ((at = guard_damage(hi)) >= 0)
            return report(out, c, "guard zone after %s overwritten at byte +%td", describe(c, b, name, sizeof name),
                          at);
    }
    return true;
}

static bool check_padding(const struct ab_case *c, struct ab_check *out)
{
    for (size_t oi = 0; oi < c->n_outputs[AB_SLOT_TEST]; oi++) {
        const struct ab_case_output *o = &c->outputs[AB_SLOT_TEST][oi];
        size_t eb = elem_bytes[o->elem];
        if (o->ld == o->cols)
            continue;
        /* The expected bytes of one poisoned padding element. */
        unsigned char want[8];
        if (o->elem == AB_ELEM_F32) {
            float f = NAN;
            memcpy(want, &f, sizeof f);
        } else if (o->elem == AB_ELEM_F64) {
            double d = (double)NAN;
            memcpy(want, &d, sizeof d);
        } else {
            memset(want, AB_CASE_POISON_BYTE, sizeof want);
        }
        const unsigned char *base = o->ptr;
        for (size_t r = 0; r < o->rows; r++)
            for (size_t j = o->cols; j < o->ld; j++)
                if (memcmp(base + (r * o->ld + j) * eb, want, eb) != 0)
                    return report(out, c, "padding of '%s' modified at row %zu, column %zu", o->name, r, j);
    }
    return true;
}

enum ab_status ab_case_verify(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                              struct ab_check *out_check)
{
    uint64_t owned_hash[AB_CASE_MAX_OWNED], input_hash[AB_CASE_MAX_INPUTS];
    bool hashed[AB_CASE_MAX_OWNED];
    for (size_t i = 0; i < c->n_owned; i++) {
        fill_guards(&c->owned[i]);
        hashed[i] = !is_output_of(c, AB_SLOT_TEST, &c->owned[i]);
        if (hashed[i])
            owned_hash[i] = hash_bytes(c->owned[i].ptr, c->owned[i].bytes);
    }
    for (size_t i = 0; i < c->n_inputs; i++)
        input_hash[i] = hash_bytes(c->inputs[i].ptr, c->inputs[i].bytes);
    for (size_t o = 0; o < c->n_outputs[AB_SLOT_TEST]; o++)
        poison(&c->outputs[AB_SLOT_TEST][o]);

    enum ab_status st = c->family->case_run(c, kernel, exec, AB_SLOT_TEST);
    if (st != AB_OK)
        return st;

    struct ab_check chk;
    if (!check_guards(c, &chk) || !check_padding(c, &chk))
        goto out;
    for (size_t i = 0; i < c->n_owned; i++) {
        if (hashed[i] && hash_bytes(c->owned[i].ptr, c->owned[i].bytes) != owned_hash[i]) {
            char name[48];
            report(&chk, c, "%s modified", describe(c, &c->owned[i], name, sizeof name));
            goto out;
        }
    }
    for (size_t i = 0; i < c->n_inputs; i++) {
        if (hash_bytes(c->inputs[i].ptr, c->inputs[i].bytes) != input_hash[i]) {
            char name[48];
            report(&chk, c, "%s modified", describe(c, &c->inputs[i], name, sizeof name));
            goto out;
        }
    }
    c->family->case_compare(c, kernel, &chk);
    if (!chk.ok) {
        char detail[sizeof chk.detail];
        snprintf(detail, sizeof detail, "%.128s (seed %" PRIu64 ")", chk.detail, c->seed);
        memcpy(chk.detail, detail, sizeof detail);
    }
out:
    *out_check = chk;
    return AB_OK;
}
