/*
 * shape.c - shape parameters: defaults, parsing of --set values, formatting.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/kernel.h"

void ab_shape_default(const struct ab_family *family, struct ab_shape *out_shape)
{
    memset(out_shape, 0, sizeof *out_shape);
    for (size_t i = 0; i < family->n_params && i < AB_SHAPE_MAX_PARAMS; i++)
        out_shape->v[i] = family->params[i].def;
}

int ab_param_index(const struct ab_family *family, const char *name)
{
    for (size_t i = 0; i < family->n_params; i++)
        if (strcmp(family->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

enum ab_status ab_param_parse(const struct ab_param *param, const char *text, int64_t *out_value,
                              struct ab_error *err)
{
    for (size_t i = 0; i < param->n_value_names; i++) {
        if (strcmp(param->value_names[i], text) == 0) {
            *out_value = (int64_t)i;
            return AB_OK;
        }
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (end == text || errno == ERANGE)
        return ab_error_set(err, AB_EPARSE, "parameter '%s': '%s' is not a number%s", param->name, text,
                            param->n_value_names ? " or a known value name" : "");
    long long scale = 1;
    if (*end == 'K' || *end == 'k')
        scale = 1024LL;
    else if (*end == 'M')
        scale = 1024LL * 1024;
    else if (*end == 'G')
        scale = 1024LL * 1024 * 1024;
    if (scale != 1)
        end++;
    if (*end != '\0')
        return ab_error_set(err, AB_EPARSE, "parameter '%s': trailing characters in '%s'", param->name, text);
    if ((v > 0 && v > INT64_MAX / scale) || (v < 0 && v < INT64_MIN / scale))
        return ab_error_set(err, AB_EOVERFLOW, "parameter '%s': '%s' is too large", param->name, text);
    v *= scale;
    if (v < param->min || v > param->max)
        return ab_error_set(err, AB_EINVAL, "parameter '%s': %lld outside [%" PRId64 ", %" PRId64 "]", param->name,
                            v, param->min, param->max);
    *out_value = (int64_t)v;
    return AB_OK;
}

size_t ab_shape_format(const struct ab_family *family, const struct ab_shape *shape, char *buf, size_t buf_bytes)
{
    size_t used = 0;
    if (buf_bytes > 0)
        buf[0] = '\0';
    for (size_t i = 0; i < family->n_params; i++) {
        const struct ab_param *p = &family->params[i];
        int64_t v = shape->v[i];
        char *at = used < buf_bytes ? buf + used : NULL;
        size_t room = used < buf_bytes ? buf_bytes - used : 0;
        int n;
        if (v >= 0 && (uint64_t)v < p->n_value_names)
            n = snprintf(at, room, "%s%s=%s", i ? "," : "", p->name, p->value_names[v]);
        else
            n = snprintf(at, room, "%s%s=%" PRId64, i ? "," : "", p->name, v);
        if (n > 0)
            used += (size_t)n;
    }
    return used;
}

bool ab_shape_valid(const struct ab_family *family, const struct ab_shape *shape)
{
    for (size_t i = 0; i < family->n_params; i++)
        if (shape->v[i] < family->params[i].min || shape->v[i] > family->params[i].max)
            return false;
    return true;
}

enum ab_status ab_shape_parse(const struct ab_family *family, const char *text, struct ab_shape *out_shape,
                              struct ab_error *err)
{
    ab_shape_default(family, out_shape);
    bool seen[AB_SHAPE_MAX_PARAMS] = {false};
    const char *at = text;
    while (*at) {
        const char *comma = strchr(at, ',');
        size_t len = comma ? (size_t)(comma - at) : strlen(at);
        char item[160];
        if (len == 0 || len >= sizeof item)
            return ab_error_set(err, AB_EPARSE, "%s: shape '%s': empty or overlong item", family->name, text);
        memcpy(item, at, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        if (!eq || eq == item || eq[1] == '\0')
            return ab_error_set(err, AB_EPARSE, "%s: shape '%s': '%s' is not P=V", family->name, text, item);
        *eq = '\0';
        int pi = ab_param_index(family, item);
        if (pi < 0)
            return ab_error_set(err, AB_EINVAL, "%s: shape '%s': no parameter '%s'", family->name, text, item);
        if (seen[pi])
            return ab_error_set(err, AB_EINVAL, "%s: shape '%s': '%s' given twice", family->name, text, item);
        seen[pi] = true;
        enum ab_status st = ab_param_parse(&family->params[pi], eq + 1, &out_shape->v[pi], err);
        if (st != AB_OK)
            return st;
        at += len + (comma ? 1 : 0);
        if (comma && *at == '\0')
            return ab_error_set(err, AB_EPARSE, "%s: shape '%s': trailing comma", family->name, text);
    }
    return AB_OK;
}
