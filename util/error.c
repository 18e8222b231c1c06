/*
 * Error objects and reports on stderr.  Every report is one line
 * "PROG: message", followed by the hint on its own line when there is one.
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/error.h"

struct Error {
    char *msg;
    char *hint;
    ErrorClass cls;
};

static const char *progname = "vmu";

void error_set_progname(const char *name)
{
    progname = name;
}

static void error_setv(Error **errp, const char *suffix, const char *fmt,
                       va_list ap)
{
    if (!errp || *errp) {
        return;
    }
    Error *err = g_new0(Error, 1);
    char *msg = g_strdup_vprintf(fmt, ap);
    if (suffix) {
        err->msg = g_strconcat(msg, ": ", suffix, NULL);
        g_free(msg);
    } else {
        err->msg = msg;
    }
    *errp = err;
}

void error_setg(Error **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, NULL, fmt, ap);
    va_end(ap);
}

void error_set(Error **errp, ErrorClass cls, const char *fmt, ...)
{
    va_list ap;
    bool fresh = errp && !*errp;
    va_start(ap, fmt);
    error_setv(errp, NULL, fmt, ap);
    va_end(ap);
    if (fresh) {
        (*errp)->cls = cls;
    }
}

ErrorClass error_get_class(const Error *err)
{
    return err->cls;
}

void error_setg_errno(Error **errp, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_setv(errp, strerror(errnum), fmt, ap);
    va_end(ap);
}

void error_append_hint(Error **errp, const char *fmt, ...)
{
    if (!errp || !*errp) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *more = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    Error *err = *errp;
    if (err->hint) {
        char *joined = g_strconcat(err->hint, more, NULL);
        g_free(err->hint);
        g_free(more);
        err->hint = joined;
    } else {
        err->hint = more;
    }
}

void error_prepend(Error **errp, const char *fmt, ...)
{
    if (!errp || !*errp) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *prefix = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    Error *err = *errp;
    char *msg = g_strconcat(prefix, err->msg, NULL);
    g_free(prefix);
    g_free(err->msg);
    err->msg = msg;
}

void error_propagate(Error **dst, Error *local)
{
    if (!local) {
        return;
    }
    if (dst && !*dst) {
        *dst = local;
    } else {
        error_free(local);
    }
}

const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

const char *error_get_hint(const Error *err)
{
    return err->hint;
}

void error_free(Error *err)
{
    if (err) {
        g_free(err->msg);
        g_free(err->hint);
        g_free(err);
    }
}

void error_report_err(Error *err)
{
    if (!err) {
        return;
    }
    if (err->hint) {
        /* The hint is part of the same report: keep it on one line. */
        char *hint = g_strstrip(g_strdup(err->hint));
        fprintf(stderr, "%s: %s (%s)\n", progname, err->msg, hint);
        g_free(hint);
    } else {
        fprintf(stderr, "%s: %s\n", progname, err->msg);
    }
    error_free(err);
}

static void report(const char *kind, const char *fmt, va_list ap)
{
    char *msg = g_strdup_vprintf(fmt, ap);
    fprintf(stderr, "%s: %s%s\n", progname, kind, msg);
    g_free(msg);
}

void error_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("", fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("warning: ", fmt, ap);
    va_end(ap);
}

void info_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("", fmt, ap);
    va_end(ap);
}

#define RATELIMIT_NS (5LL * 1000 * 1000 * 1000)

void error_report_ratelimited(RateLimit *rl, const char *fmt, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = ts.tv_sec * 1000000000LL + ts.tv_nsec;

    if (rl->last_ns && now - rl->last_ns < RATELIMIT_NS) {
        rl->suppressed++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (rl->suppressed) {
        fprintf(stderr, "%s: %s (repeated %u more times)\n", progname, msg,
                rl->suppressed);
    } else {
        fprintf(stderr, "%s: %s\n", progname, msg);
    }
    g_free(msg);
    rl->last_ns = now;
    rl->suppressed = 0;
}
