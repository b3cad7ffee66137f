/*
 * status.h - the one status enum of archbench.
 *
 * Every fallible public function returns enum ab_status: 0 is success, errors are
 * negative. The enum, its names and its messages come from one X-macro list, so
 * they cannot drift apart. Messages follow git's rules: lower case, no full stop.
 */
#ifndef ARCHBENCH_STATUS_H
#define ARCHBENCH_STATUS_H

#include "archbench/api.h"

#define AB_STATUS_LIST(X)                                                              \
    X(AB_OK, 0, "success")                                                             \
    X(AB_EINVAL, -1, "invalid argument")                                               \
    X(AB_ENOMEM, -2, "out of memory")                                                  \
    X(AB_EIO, -3, "input/output error")                                                \
    X(AB_EPARSE, -4, "malformed input")                                                \
    X(AB_ENOTSUP, -5, "not supported here")                                            \
    X(AB_ENOTFOUND, -6, "not found")                                                   \
    X(AB_ENOCOUNTER, -7, "counter unavailable")                                        \
    X(AB_EMISMATCH, -8, "result outside tolerance")                                    \
    X(AB_EREGRESS, -9, "performance regression")                                       \
    X(AB_EOVERFLOW, -10, "size arithmetic overflow")                                   \
    X(AB_EINTERRUPTED, -11, "interrupted")

enum ab_status {
#define AB_STATUS_ENUM_(name, value, msg) name = (value),
    AB_STATUS_LIST(AB_STATUS_ENUM_)
#undef AB_STATUS_ENUM_
};

/* Number of statuses in the list; the values are 0, -1, ..., -(AB_STATUS_COUNT - 1). */
#define AB_STATUS_COUNT 12

/* "AB_EINVAL" for AB_EINVAL; "AB_UNKNOWN" for a value outside the list. */
AB_API const char *ab_status_name(enum ab_status status);

/* "invalid argument" for AB_EINVAL; "unknown status" for a value outside the list. */
AB_API const char *ab_status_message(enum ab_status status);

/*
 * Detail kept beside a status by long-lived contexts and by functions that take an
 * optional `struct ab_error *` last parameter: which file, line and field, and why.
 * Filled only on failure.
 */
#define AB_ERROR_MSG_BYTES 512
struct ab_error {
    enum ab_status status;
    char msg[AB_ERROR_MSG_BYTES];
};

/* Record status and a printf-style message into err (NULL is allowed); returns status. */
AB_API enum ab_status ab_error_set(struct ab_error *err, enum ab_status status, const char *fmt, ...)
    AB_PRINTF(3, 4);

/* Reset err to AB_OK with an empty message (NULL is allowed). */
AB_API void ab_error_clear(struct ab_error *err);

#endif /* ARCHBENCH_STATUS_H */
