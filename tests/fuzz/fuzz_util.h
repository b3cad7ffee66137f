/*
 * fuzz_util.h - what the libFuzzer targets share: a private scratch folder on a RAM disk
 * (the readers under test take paths, as the command gives them), writing an input's
 * part to a file there, and splitting one input into parts.
 *
 * An input holding several files separates them with the byte 0x1E (ASCII record
 * separator): it is never meaningful in TSV, CSV or JSON, so a seed built from real
 * files keeps each file intact, and the dictionaries list it so mutations find it.
 */
#ifndef ARCHBENCH_FUZZ_UTIL_H
#define ARCHBENCH_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AB_FUZZ_SEP 0x1E

/* Split data at AB_FUZZ_SEP into at most max_parts parts (the last takes the rest,
 * separators included); returns how many parts there are. */
static inline size_t ab_fuzz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len,
                                   size_t max_parts)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i < size && n + 1 < max_parts; i++)
        if (data[i] == AB_FUZZ_SEP) {
            part[n] = data + start;
            len[n++] = i - start;
            start = i + 1;
        }
    part[n] = data + start;
    len[n++] = size - start;
    return n;
}

/* The process's scratch folder: under /dev/shm when there is one (no disk writes at
 * tens of thousands of inputs a second), else $TMPDIR or /tmp. Removed at exit. */
static char ab_fuzz_dir_path[256];

static inline void ab_fuzz_cleanup(void)
{
    char cmd[300];
    if (ab_fuzz_dir_path[0] == '\0')
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", ab_fuzz_dir_path);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", ab_fuzz_dir_path);
}

static inline const char *ab_fuzz_dir(void)
{
    if (ab_fuzz_dir_path[0])
        return ab_fuzz_dir_path;
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                           ? "/dev/shm"
                           : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    snprintf(ab_fuzz_dir_path, sizeof ab_fuzz_dir_path, "%s/ab_fuzz_XXXXXX", base);
    if (mkdtemp(ab_fuzz_dir_path) == NULL) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(ab_fuzz_cleanup);
    return ab_fuzz_dir_path;
}

/* What a slot last wrote, so an unchanged part is not written again: most mutations
 * change one part of a multi-file input, and a write is four system calls plus tmpfs
 * pages. The file is reused only while it is still exactly what was written (same
 * inode, size and modification time): a reader that changes its input (the journal
 * reader cuts a torn tail) makes the next call write it afresh. */
struct ab_fuzz_slot {
    char path[512];
    uint8_t *bytes;
    size_t n;
    struct stat sb;
    bool valid;
};
static struct ab_fuzz_slot ab_fuzz_slots[8];

/* Remove the slot's file, if it wrote one. */
static inline void ab_fuzz_remove(int slot)
{
    struct ab_fuzz_slot *s = &ab_fuzz_slots[slot];
    if (s->path[0])
        unlink(s->path);
    s->path[0] = '\0';
    s->valid = false;
}

/* Write bytes to <scratch>/<name> (replacing it, and removing the slot's previous file
 * when the name changed) and return the path (static storage, one per `slot`; a call
 * site uses its own slots). Aborts if the scratch folder is unusable: that is the
 * harness failing, not the code under test. */
static inline const char *ab_fuzz_file(int slot, const char *name, const uint8_t *p, size_t n)
{
    struct ab_fuzz_slot *s = &ab_fuzz_slots[slot];
    char path[sizeof s->path];
    snprintf(path, sizeof path, "%s/%s", ab_fuzz_dir(), name);
    if (strcmp(path, s->path) != 0) {
        ab_fuzz_remove(slot);
        memcpy(s->path, path, sizeof path);
    }
    struct stat sb;
    if (s->valid && s->n == n && (n == 0 || memcmp(s->bytes, p, n) == 0) && stat(s->path, &sb) == 0 &&
        sb.st_ino == s->sb.st_ino && sb.st_size == s->sb.st_size && sb.st_mtim.tv_sec == s->sb.st_mtim.tv_sec &&
        sb.st_mtim.tv_nsec == s->sb.st_mtim.tv_nsec)
        return s->path;
    s->valid = false;
    FILE *fp = fopen(s->path, "wb");
    if (fp == NULL || (n > 0 && fwrite(p, 1, n, fp) != n) || fclose(fp) != 0 || stat(s->path, &s->sb) != 0) {
        perror("fuzz: writing a scratch file");
        abort();
    }
    uint8_t *copy = realloc(s->bytes, n ? n : 1);
    if (copy == NULL)
        abort();
    if (n > 0)
        memcpy(copy, p, n);
    s->bytes = copy;
    s->n = n;
    s->valid = true;
    return s->path;
}

/* A NUL-terminated copy (the caller frees); aborts when memory is exhausted. */
static inline char *ab_fuzz_strndup(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* libFuzzer's entry points, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* ARCHBENCH_FUZZ_UTIL_H */
