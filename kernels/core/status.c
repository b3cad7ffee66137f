/*
 * status.c - names and messages of enum ab_status, generated from AB_STATUS_LIST so
 * the three cannot disagree; and the error-detail helpers.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "archbench/status.h"

#define AB_STATUS_ONE_(name, value, msg) +1
static_assert((0 AB_STATUS_LIST(AB_STATUS_ONE_)) == AB_STATUS_COUNT, "AB_STATUS_COUNT out of date");
#undef AB_STATUS_ONE_

/* Values are 0, -1, -2, ...: index = -value. Checked entry by entry below. */
#define AB_STATUS_CHECK_(name, value, msg) static_assert((value) <= 0 && (value) > -AB_STATUS_COUNT, #name);
AB_STATUS_LIST(AB_STATUS_CHECK_)
#undef AB_STATUS_CHECK_

struct status_entry {
    int value;
    const char *name;
    const char *message;
};

static const struct status_entry status_table[] = {
#define AB_STATUS_ENTRY_(name, value, msg) {value, #name, msg},
    AB_STATUS_LIST(AB_STATUS_ENTRY_)
#undef AB_STATUS_ENTRY_
};
static_assert(sizeof(status_table) / sizeof(status_table[0]) == AB_STATUS_COUNT, "status table size");

static const struct status_entry *lookup(enum ab_status status)
{
    for (size_t i = 0; i < AB_STATUS_COUNT; i++)
        if (status_table[i].value == (int)status)
            return &status_table[i];
    return NULL;
}

const char *ab_status_name(enum ab_status status)
{
    const struct status_entry *e = lookup(status);
    return e ? e->name : "AB_UNKNOWN";
}

const char *ab_status_message(enum ab_status status)
{
    const struct status_entry *e = lookup(status);
    return e ? e->message : "unknown status";
}

enum ab_status ab_error_set(struct ab_error *err, enum ab_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = status;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

void ab_error_clear(struct ab_error *err)
{
    if (err) {
        err->status = AB_OK;
        err->msg[0] = '\0';
    }
}
