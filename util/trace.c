/*
 * Trace points: patterns decide which are on; a generation counter makes
 * every trace point recompute its state lazily after the patterns change.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/trace.h"

unsigned trace_generation = 1;

typedef struct TracePattern {
    char *glob;
    bool enable;
    bool matched;
} TracePattern;

static GPtrArray *patterns;
static GMutex trace_lock;
static __thread char thread_name[16];

extern TraceEvent *const __start_vmu_trace[] __attribute__((weak));
extern TraceEvent *const __stop_vmu_trace[] __attribute__((weak));

bool trace_glob_match(const char *pattern, const char *name)
{
    /* '*' matches any run, '?' one character; iterative with backtrack. */
    const char *star = NULL, *resume = NULL;
    while (*name) {
        if (*pattern == '*') {
            star = pattern++;
            resume = name;
        } else if (*pattern == '?' || *pattern == *name) {
            pattern++;
            name++;
        } else if (star) {
            pattern = star + 1;
            name = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*') {
        pattern++;
    }
    return *pattern == '\0';
}

static bool pattern_decide(const char *name)
{
    bool on = false;
    if (!patterns) {
        return false;
    }
    for (unsigned i = 0; i < patterns->len; i++) {
        TracePattern *p = g_ptr_array_index(patterns, i);
        if (trace_glob_match(p->glob, name)) {
            on = p->enable;
            p->matched = true;
        }
    }
    return on;
}

bool trace_event_refresh(TraceEvent *ev)
{
    g_mutex_lock(&trace_lock);
    ev->enabled = pattern_decide(ev->name);
    ev->generation = trace_generation;
    g_mutex_unlock(&trace_lock);
    return ev->enabled;
}

void trace_set_thread_name(const char *name)
{
    g_strlcpy(thread_name, name, sizeof(thread_name));
}

void trace_emit(const TraceEvent *ev, const char *fmt, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%ld.%06ld %s %s %s\n", (long)ts.tv_sec,
            ts.tv_nsec / 1000, thread_name[0] ? thread_name : "main",
            ev->name, msg);
    g_free(msg);
}

static bool valid_pattern(const char *s)
{
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (!g_ascii_isalnum(*s) && *s != '_' && *s != '*' && *s != '?') {
            return false;
        }
    }
    return true;
}

bool trace_enable_pattern(const char *pattern, Error **errp)
{
    bool enable = true;
    if (pattern[0] == '-') {
        enable = false;
        pattern++;
    }
    if (!valid_pattern(pattern)) {
        error_setg(errp, "-trace: invalid trace pattern '%s'", pattern);
        error_append_hint(errp, "a pattern is a trace point name with * and ? "
                          "wildcards, e.g. 'vhost_user_*'; -trace help lists "
                          "them");
        return false;
    }
    TracePattern *p = g_new0(TracePattern, 1);
    p->glob = g_strdup(pattern);
    p->enable = enable;
    g_mutex_lock(&trace_lock);
    if (!patterns) {
        patterns = g_ptr_array_new();
    }
    g_ptr_array_add(patterns, p);
    __atomic_add_fetch(&trace_generation, 1, __ATOMIC_SEQ_CST);
    g_mutex_unlock(&trace_lock);
    return true;
}

bool trace_enable_events_file(const char *path, Error **errp)
{
    char *text = NULL;
    GError *gerr = NULL;
    if (!g_file_get_contents(path, &text, NULL, &gerr)) {
        error_setg(errp, "-trace events=%s: cannot read the events file: %s",
                   path, gerr->message);
        g_error_free(gerr);
        return false;
    }
    bool ok = true;
    char **lines = g_strsplit(text, "\n", -1);
    for (unsigned i = 0; lines[i] && ok; i++) {
        char *line = g_strstrip(lines[i]);
        if (!*line || line[0] == '#') {
            continue;
        }
        Error *local = NULL;
        if (!trace_enable_pattern(line, &local)) {
            error_setg(errp, "-trace events=%s: line %u: invalid trace "
                       "pattern '%s'", path, i + 1, line);
            error_free(local);
            ok = false;
        }
    }
    g_strfreev(lines);
    g_free(text);
    return ok;
}

bool trace_parse_option(const char *arg, Error **errp)
{
    if (g_str_has_prefix(arg, "events=")) {
        return trace_enable_events_file(arg + 7, errp);
    }
    if (g_str_has_prefix(arg, "enable=")) {
        return trace_enable_pattern(arg + 7, errp);
    }
    if (g_str_has_prefix(arg, "file=")) {
        error_setg(errp, "-trace %s: trace output goes to stderr; "
                   "redirect it with 2>FILE instead", arg);
        return false;
    }
    return trace_enable_pattern(arg, errp);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void trace_list_events(void)
{
    if (!__start_vmu_trace) {
        return;
    }
    size_t n = __stop_vmu_trace - __start_vmu_trace;
    const char **names = g_new(const char *, n + 1);
    for (size_t i = 0; i < n; i++) {
        names[i] = __start_vmu_trace[i]->name;
    }
    qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(names[i], names[i - 1])) {
            printf("%s\n", names[i]);
        }
    }
    g_free(names);
}

void trace_check_patterns(void)
{
    if (!patterns || !__start_vmu_trace) {
        return;
    }
    for (TraceEvent *const *ev = __start_vmu_trace; ev < __stop_vmu_trace;
         ev++) {
        pattern_decide((*ev)->name);
    }
    for (unsigned i = 0; i < patterns->len; i++) {
        TracePattern *p = g_ptr_array_index(patterns, i);
        if (!p->matched) {
            fprintf(stderr, "vmu: warning: -trace: pattern '%s' matches no "
                    "trace point (see -trace help)\n", p->glob);
        }
    }
}
