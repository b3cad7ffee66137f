/*
 * atomic.c - write-to-temp-then-rename files, so a report is either the old complete
 * one or the new complete one, never half of the new one.
 *
 * The temporary file sits in the destination's directory (rename is only atomic within
 * one filesystem); commit fsyncs the file before the rename and the directory after,
 * so a power cut cannot leave an empty file under the final name either.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archbench/alloc.h"
#include "archbench/report.h"

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *p = ab_malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

enum ab_status ab_atomic_open(struct ab_atomic_file *file, const char *path, struct ab_error *err)
{
    memset(file, 0, sizeof *file);
    size_t n = strlen(path);
    file->path = dup_str(path);
    file->tmp_path = ab_malloc(n + sizeof ".tmp.XXXXXX");
    if (!file->path || !file->tmp_path) {
        ab_free(file->path);
        ab_free(file->tmp_path);
        memset(file, 0, sizeof *file);
        return ab_error_set(err, AB_ENOMEM, "out of memory opening '%s'", path);
    }
    memcpy(file->tmp_path, path, n);
    memcpy(file->tmp_path + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    int fd = mkstemp(file->tmp_path);
    if (fd < 0) {
        int e = errno;
        ab_free(file->path);
        ab_free(file->tmp_path);
        memset(file, 0, sizeof *file);
        return ab_error_set(err, AB_EIO, "cannot create a temporary file beside '%s': %s", path, strerror(e));
    }
    /* mkstemp creates 0600; reports are ordinary files. */
    (void)fchmod(fd, 0644);
    file->fp = fdopen(fd, "w");
    if (!file->fp) {
        int e = errno;
        close(fd);
        unlink(file->tmp_path);
        ab_free(file->path);
        ab_free(file->tmp_path);
        memset(file, 0, sizeof *file);
        return ab_error_set(err, AB_EIO, "cannot open '%s': %s", path, strerror(e));
    }
    return AB_OK;
}

static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        dir[0] = '.';
        dir[1] = '\0';
    } else {
        size_t len = (size_t)(slash - path);
        if (len == 0)
            len = 1;
        if (len >= sizeof dir)
            return;
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static void release_names(struct ab_atomic_file *file)
{
    ab_free(file->path);
    ab_free(file->tmp_path);
    file->path = NULL;
    file->tmp_path = NULL;
    file->fp = NULL;
}

enum ab_status ab_atomic_commit(struct ab_atomic_file *file, struct ab_error *err)
{
    if (!file->fp)
        return ab_error_set(err, AB_EINVAL, "atomic file is not open");
    int failed = ferror(file->fp) || fflush(file->fp) != 0 || fsync(fileno(file->fp)) != 0;
    int e = errno;
    failed |= fclose(file->fp) != 0;
    file->fp = NULL;
    if (failed) {
        unlink(file->tmp_path);
        ab_error_set(err, AB_EIO, "cannot write '%s': %s", file->path, strerror(e ? e : EIO));
        release_names(file);
        return AB_EIO;
    }
    if (rename(file->tmp_path, file->path) != 0) {
        e = errno;
        unlink(file->tmp_path);
        ab_error_set(err, AB_EIO, "cannot rename into '%s': %s", file->path, strerror(e));
        release_names(file);
        return AB_EIO;
    }
    sync_parent_dir(file->path);
    release_names(file);
    return AB_OK;
}

void ab_atomic_abort(struct ab_atomic_file *file)
{
    if (!file)
        return;
    if (file->fp)
        fclose(file->fp);
    if (file->tmp_path)
        unlink(file->tmp_path);
    release_names(file);
}
