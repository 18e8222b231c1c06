/*
 * Trace points: compiled in, one load and a compare when off.
 * Enabled by name with glob patterns (-trace 'vhost_user_*') or an events
 * file; printed to stderr with a monotonic timestamp and the thread name.
 *
 *   trace(vhost_user_send, "%s flags 0x%x size %u", name, flags, size);
 */
#ifndef VMU_UTIL_TRACE_H
#define VMU_UTIL_TRACE_H

#include <stdbool.h>
#include "util/error.h"

typedef struct TraceEvent {
    const char *name;
    unsigned generation;   /* trace_generation when 'enabled' was computed */
    bool enabled;
} TraceEvent;

extern unsigned trace_generation;

bool trace_event_refresh(TraceEvent *ev);
void trace_emit(const TraceEvent *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline bool trace_event_enabled(TraceEvent *ev)
{
    if (__builtin_expect(ev->generation == trace_generation, 1)) {
        return ev->enabled;
    }
    return trace_event_refresh(ev);
}

/*
 * Every trace point is a static TraceEvent; a pointer to it goes into the
 * "vmu_trace" section so that -trace help can list them all.
 */
#define trace(name_, ...)                                                     \
    do {                                                                      \
        static TraceEvent trace_ev_ = { #name_, 0, false };                   \
        static TraceEvent *const trace_ptr_                                   \
            __attribute__((used, section("vmu_trace"), aligned(8)))           \
            = &trace_ev_;                                                     \
        (void)trace_ptr_;                                                     \
        if (trace_event_enabled(&trace_ev_)) {                                \
            trace_emit(&trace_ev_, __VA_ARGS__);                              \
        }                                                                     \
    } while (0)

/* Add a glob pattern ("vhost_user_*"; a leading '-' disables). */
bool trace_enable_pattern(const char *pattern, Error **errp);
/* Read patterns from a file, one per line, '#' comments. */
bool trace_enable_events_file(const char *path, Error **errp);
/* -trace PATTERN | events=FILE | enable=PATTERN | help */
bool trace_parse_option(const char *arg, Error **errp);
/* Warn about patterns that match no trace point (call once at start-up). */
void trace_check_patterns(void);
void trace_list_events(void);
bool trace_glob_match(const char *pattern, const char *name);
/* Name this thread in trace output ("main", "vcpu0"). */
void trace_set_thread_name(const char *name);

#endif
