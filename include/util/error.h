/*
 * Errors a user can act on: a message, an optional hint, passed up by
 * Error **errp.  Functions that can fail return bool or a negative errno.
 */
#ifndef VMU_UTIL_ERROR_H
#define VMU_UTIL_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

typedef struct Error Error;

/* QMP's error classes (QEMU's names); everything else is GENERIC. */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_ACTIVE,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
} ErrorClass;

/* Fill *errp (if errp is non-NULL and *errp is still NULL). */
void error_setg(Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Same, with a class other than GenericError. */
void error_set(Error **errp, ErrorClass cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ErrorClass error_get_class(const Error *err);
/* Same, with ": strerror(errnum)" appended. */
void error_setg_errno(Error **errp, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Add a hint line ("the fix") to an error already set. */
void error_append_hint(Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Put "fmt: " in front of the message. */
void error_prepend(Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Move an error into *dst (freeing it if *dst is already set). */
void error_propagate(Error **dst, Error *local);

const char *error_get_pretty(const Error *err);
const char *error_get_hint(const Error *err);
void error_free(Error *err);

/* Print "vmu: message" (and the hint) on stderr, then free it. */
void error_report_err(Error *err);
void error_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A report that may repeat (a back-end that keeps failing): printed at most
 * once per interval per call site, with a count of what was suppressed.
 */
typedef struct RateLimit {
    long long last_ns;
    unsigned suppressed;
} RateLimit;
void error_report_ratelimited(RateLimit *rl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The program name at the start of every report ("vmu", "vmu-switch"). */
void error_set_progname(const char *name);

#define ERRP_GUARD_LOCAL(name) Error *name = NULL

#endif
