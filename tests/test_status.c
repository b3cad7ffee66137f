/*
 * test_status.c - the status list: unique values and names, messages in house style,
 * unknown values handled, and ab_error formatting.
 */
#include <ctype.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/status.h"

static const enum ab_status all[] = {
#define X_(name, value, msg) name,
    AB_STATUS_LIST(X_)
#undef X_
};

Test(status, names_and_messages_are_unique_and_in_house_style)
{
    size_t n = sizeof all / sizeof all[0];
    cr_assert_eq(n, AB_STATUS_COUNT);
    for (size_t i = 0; i < n; i++) {
        const char *name = ab_status_name(all[i]), *msg = ab_status_message(all[i]);
        cr_assert(strncmp(name, "AB_", 3) == 0, "name %s", name);
        cr_assert(strlen(msg) > 0);
        cr_assert(!isupper((unsigned char)msg[0]), "message '%s' starts lower case", msg);
        cr_assert(msg[strlen(msg) - 1] != '.', "message '%s' has no full stop", msg);
        for (size_t j = i + 1; j < n; j++) {
            cr_assert_neq(all[i], all[j]);
            cr_assert_str_neq(name, ab_status_name(all[j]));
            cr_assert_str_neq(msg, ab_status_message(all[j]));
        }
    }
}

Test(status, known_values)
{
    cr_assert_eq(AB_OK, 0);
    cr_assert_str_eq(ab_status_name(AB_OK), "AB_OK");
    cr_assert_str_eq(ab_status_name(AB_EPARSE), "AB_EPARSE");
    cr_assert_str_eq(ab_status_message(AB_ENOMEM), "out of memory");
    cr_assert(AB_EINVAL < 0 && AB_EMISMATCH < 0);
}

Test(status, unknown_value)
{
    cr_assert_str_eq(ab_status_name((enum ab_status)-999), "AB_UNKNOWN");
    cr_assert_str_eq(ab_status_message((enum ab_status)7), "unknown status");
}

Test(status, error_detail)
{
    struct ab_error err;
    enum ab_status st = ab_error_set(&err, AB_EPARSE, "'%s' line %d field '%s'", "dev.tsv", 12, "label");
    cr_assert_eq(st, AB_EPARSE);
    cr_assert_eq(err.status, AB_EPARSE);
    cr_assert_str_eq(err.msg, "'dev.tsv' line 12 field 'label'");
    cr_assert_eq(ab_error_set(NULL, AB_EIO, "ignored"), AB_EIO);
    ab_error_clear(&err);
    cr_assert_eq(err.status, AB_OK);
    cr_assert_str_empty(err.msg);
}
