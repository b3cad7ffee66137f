/*
 * arena.h - bump allocator in linked blocks.
 *
 * Everything parsed from one file (rows, fields, label strings) and the buffers of
 * one benchmark case live in an arena and are released at once. Blocks come from the
 * allocation shim, so arena growth is visible to peak-byte accounting and to fault
 * injection. Not thread safe: one arena per thread.
 */
#ifndef ARCHBENCH_ARENA_H
#define ARCHBENCH_ARENA_H

#include <stddef.h>

#include "archbench/api.h"

struct ab_arena_block;

struct ab_arena {
    struct ab_arena_block *head;   /* current block, linked to older ones */
    size_t block_bytes;            /* default size of a new block */
    size_t bytes_used;             /* bytes handed out (without padding) */
    size_t bytes_reserved;         /* bytes obtained from the shim */
};

/* Prepare an empty arena; block_bytes 0 picks 64 KiB. Allocates nothing yet. */
AB_API void ab_arena_init(struct ab_arena *arena, size_t block_bytes);

/* Free every block; the arena is empty and reusable afterwards. NULL is a no-op. */
AB_API void ab_arena_release(struct ab_arena *arena);

/* Keep the first block, forget every allocation (pointers become invalid). */
AB_API void ab_arena_reset(struct ab_arena *arena);

/* `bytes` aligned to `align` (power of two, <= 4096); arena-owned; NULL on failure. */
AB_API void *ab_arena_alloc(struct ab_arena *arena, size_t bytes, size_t align);

/* Zeroed n * size bytes aligned to `align`; NULL on failure or overflow. */
AB_API void *ab_arena_calloc(struct ab_arena *arena, size_t n, size_t size, size_t align);

/* NUL-terminated copy of the first `len` bytes of `s`; arena-owned; NULL on failure. */
AB_API char *ab_arena_strndup(struct ab_arena *arena, const char *s, size_t len);

#endif /* ARCHBENCH_ARENA_H */
