/*
 * api.h - export and attribute macros shared by every public header.
 *
 * The library is built with -fvisibility=hidden; only functions marked AB_API are
 * exported from libarchbench.so.
 */
#ifndef ARCHBENCH_API_H
#define ARCHBENCH_API_H

#if defined(__GNUC__) || defined(__clang__)
#define AB_API __attribute__((visibility("default")))
#define AB_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#define AB_NODISCARD __attribute__((warn_unused_result))
#else
#define AB_API
#define AB_PRINTF(fmt_index, first_arg)
#define AB_NODISCARD
#endif

/* Cache line and SIMD alignment used for every kernel buffer. */
#define AB_ALIGN_BYTES 64

#endif /* ARCHBENCH_API_H */
