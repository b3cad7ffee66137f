/*
 * json.c - JSON files through cJSON, written atomically, allocations through the shim.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "archbench/alloc.h"
#include "archbench/report.h"

static void install_hooks(void)
{
    cJSON_Hooks hooks = {.malloc_fn = ab_malloc, .free_fn = ab_free};
    cJSON_InitHooks(&hooks);
}

void ab_json_use_shim(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_hooks);
}

enum ab_status ab_json_write_file(const char *path, const struct cJSON *root, struct ab_error *err)
{
    ab_json_use_shim();
    char *text = cJSON_Print(root);
    if (!text)
        return ab_error_set(err, AB_ENOMEM, "out of memory formatting '%s'", path);
    struct ab_atomic_file f;
    enum ab_status st = ab_atomic_open(&f, path, err);
    if (st == AB_OK) {
        if (fputs(text, f.fp) == EOF || fputc('\n', f.fp) == EOF) {
            ab_atomic_abort(&f);
            st = ab_error_set(err, AB_EIO, "cannot write '%s'", path);
        } else {
            st = ab_atomic_commit(&f, err);
        }
    }
    cJSON_free(text);
    return st;
}

/* Context files and configurations are kilobytes; a bigger file is not one of them. */
#define AB_JSON_MAX_BYTES (256 << 20)

enum ab_status ab_json_read_file(const char *path, struct cJSON **out_root, struct ab_error *err)
{
    ab_json_use_shim();
    enum ab_status st = AB_OK;
    char *text = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ab_error_set(err, AB_EIO, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = ab_error_set(err, AB_EIO, "cannot read '%s': not a regular file", path);
        goto done;
    }
    if (sb.st_size > AB_JSON_MAX_BYTES) {
        st = ab_error_set(err, AB_EIO, "'%s': %lld bytes, more than the %d MiB a JSON input may have", path,
                          (long long)sb.st_size, AB_JSON_MAX_BYTES >> 20);
        goto done;
    }
    if (fseek(fp, 0, SEEK_END) != 0) {
        st = ab_error_set(err, AB_EIO, "cannot read '%s': %s", path, strerror(errno));
        goto done;
    }
    long size = ftell(fp);
    if (size < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        st = ab_error_set(err, AB_EIO, "cannot read '%s': %s", path, strerror(errno));
        goto done;
    }
    text = ab_malloc((size_t)size + 1);
    if (!text) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory reading '%s'", path);
        goto done;
    }
    if (fread(text, 1, (size_t)size, fp) != (size_t)size) {
        st = ab_error_set(err, AB_EIO, "cannot read '%s'", path);
        goto done;
    }
    text[size] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        size_t offset = end ? (size_t)(end - text) : 0;
        st = ab_error_set(err, AB_EPARSE, "'%s': invalid JSON at byte %zu", path, offset);
        goto done;
    }
    *out_root = root;
done:
    ab_free(text);
    fclose(fp);
    return st;
}
