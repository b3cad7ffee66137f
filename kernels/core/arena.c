/*
 * arena.c - bump allocator in linked blocks, drawing its blocks from the shim.
 *
 * A request larger than the default block gets a block of its own, so one huge
 * allocation does not waste the rest of a normal block. Reset keeps only the oldest
 * block (the first one, usually sized for the common case) to avoid churning the shim.
 */
#include <stdint.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/arena.h"

struct ab_arena_block {
    struct ab_arena_block *next;  /* older block */
    size_t capacity;              /* usable bytes in data[] */
    size_t used;
    _Alignas(64) unsigned char data[];
};

#define DEFAULT_BLOCK_BYTES (64u * 1024u)
#define MAX_ALIGN 4096u

void ab_arena_init(struct ab_arena *arena, size_t block_bytes)
{
    arena->head = NULL;
    arena->block_bytes = block_bytes ? block_bytes : DEFAULT_BLOCK_BYTES;
    arena->bytes_used = 0;
    arena->bytes_reserved = 0;
}

void ab_arena_release(struct ab_arena *arena)
{
    if (!arena)
        return;
    struct ab_arena_block *b = arena->head;
    while (b) {
        struct ab_arena_block *next = b->next;
        ab_free(b);
        b = next;
    }
    arena->head = NULL;
    arena->bytes_used = 0;
    arena->bytes_reserved = 0;
}

void ab_arena_reset(struct ab_arena *arena)
{
    struct ab_arena_block *b = arena->head;
    if (!b)
        return;
    while (b->next) {
        struct ab_arena_block *next = b->next;
        arena->bytes_reserved -= b->capacity;
        ab_free(b);
        b = next;
    }
    b->used = 0;
    arena->head = b;
    arena->bytes_used = 0;
}

static size_t align_up(size_t v, size_t align)
{
    return (v + (align - 1)) & ~(align - 1);
}

void *ab_arena_alloc(struct ab_arena *arena, size_t bytes, size_t align)
{
    if (align == 0)
        align = 1;
    if ((align & (align - 1)) != 0 || align > MAX_ALIGN)
        return NULL;
    struct ab_arena_block *b = arena->head;
    if (b) {
        /* data[] is 64-byte aligned; larger alignments are satisfied by padding. */
        uintptr_t base = (uintptr_t)b->data;
        size_t at = (size_t)(align_up(base + b->used, align) - base);
        if (at <= b->capacity && bytes <= b->capacity - at) {
            b->used = at + bytes;
            arena->bytes_used += bytes;
            return b->data + at;
        }
    }
    if (bytes > SIZE_MAX - align - sizeof(struct ab_arena_block))
        return NULL;
    size_t capacity = bytes + align > arena->block_bytes ? bytes + align : arena->block_bytes;
    struct ab_arena_block *fresh = ab_aligned_alloc(64, sizeof(struct ab_arena_block) + capacity);
    if (!fresh)
        return NULL;
    fresh->capacity = capacity;
    uintptr_t base = (uintptr_t)fresh->data;
    size_t at = (size_t)(align_up(base, align) - base);
    fresh->used = at + bytes;
    /* A block made for one oversized request goes behind the head, so the head's
     * free space stays usable for the next small request. */
    if (b && capacity > arena->block_bytes) {
        fresh->next = b->next;
        b->next = fresh;
    } else {
        fresh->next = b;
        arena->head = fresh;
    }
    arena->bytes_reserved += capacity;
    arena->bytes_used += bytes;
    return fresh->data + at;
}

void *ab_arena_calloc(struct ab_arena *arena, size_t n, size_t size, size_t align)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = ab_arena_alloc(arena, n * size, align);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *ab_arena_strndup(struct ab_arena *arena, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = ab_arena_alloc(arena, len + 1, 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}
