/*
 * The main loop: GLib's default context, polled without the machine lock
 * and dispatched with it; orderly shutdown on SIGINT/SIGTERM.
 */
#include <glib.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "system/main-loop.h"
#include "util/error.h"
#include "util/trace.h"

static GMutex bql;
static __thread bool bql_held;
static GPollFunc default_poll;
static volatile int shutdown_cause = SHUTDOWN_NONE;
static volatile int shutdown_status;
static ExitNotifier *exit_notifiers;
static bool (*poweroff_hook)(void);

long long clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void bql_lock(void)
{
    g_mutex_lock(&bql);
    bql_held = true;
}

void bql_unlock(void)
{
    bql_held = false;
    g_mutex_unlock(&bql);
}

bool bql_locked(void)
{
    return bql_held;
}

static gint poll_unlocked(GPollFD *fds, guint nfds, gint timeout)
{
    bql_unlock();
    gint r = default_poll(fds, nfds, timeout);
    bql_lock();
    return r;
}

static gboolean on_signal(gpointer opaque)
{
    int sig = GPOINTER_TO_INT(opaque);
    error_report("terminating on signal %d", sig);
    shutdown_request(SHUTDOWN_SIGNAL, 0);
    return G_SOURCE_CONTINUE;
}

void main_loop_init(void)
{
    GMainContext *ctx = g_main_context_default();
    default_poll = g_main_context_get_poll_func(ctx);
    g_main_context_set_poll_func(ctx, poll_unlocked);
    g_unix_signal_add(SIGINT, on_signal, GINT_TO_POINTER(SIGINT));
    g_unix_signal_add(SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM));
    g_unix_signal_add(SIGHUP, on_signal, GINT_TO_POINTER(SIGHUP));
    signal(SIGPIPE, SIG_IGN);
    bql_lock();
}

void shutdown_set_poweroff_hook(bool (*fn)(void))
{
    poweroff_hook = fn;
}

void shutdown_request(ShutdownCause cause, int status)
{
    int none = SHUTDOWN_NONE;
    if (cause == SHUTDOWN_GUEST_POWEROFF && poweroff_hook && poweroff_hook()) {
        return;     /* -no-shutdown: the VM stops in SHUTDOWN instead */
    }
    if (__atomic_compare_exchange_n(&shutdown_cause, &none, (int)cause, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        shutdown_status = status;
        trace(main_loop_shutdown_request, "cause %d status %d", cause, status);
    }
    g_main_context_wakeup(g_main_context_default());
}

ShutdownCause shutdown_cause_get(void)
{
    return __atomic_load_n(&shutdown_cause, __ATOMIC_SEQ_CST);
}

bool shutdown_requested(void)
{
    return __atomic_load_n(&shutdown_cause, __ATOMIC_SEQ_CST) != SHUTDOWN_NONE;
}

int main_loop_run(void)
{
    GMainContext *ctx = g_main_context_default();
    while (!shutdown_requested()) {
        g_main_context_iteration(ctx, TRUE);
    }
    return shutdown_status;
}

typedef struct {
    void (*fn)(void *opaque);
    void *opaque;
} Call;

static gboolean call_dispatch(gpointer data)
{
    Call *c = data;
    c->fn(c->opaque);
    g_free(c);
    return G_SOURCE_REMOVE;
}

void main_loop_call(void (*fn)(void *opaque), void *opaque)
{
    Call *c = g_new(Call, 1);
    c->fn = fn;
    c->opaque = opaque;
    g_main_context_invoke_full(g_main_context_default(), G_PRIORITY_DEFAULT,
                               call_dispatch, c, NULL);
}

typedef struct {
    gboolean (*fn)(int fd, GIOCondition cond, void *opaque);
    void *opaque;
} FdWatch;

static gboolean fd_dispatch(gint fd, GIOCondition cond, gpointer data)
{
    FdWatch *w = data;
    return w->fn(fd, cond, w->opaque);
}

guint main_loop_add_fd(int fd, GIOCondition cond,
                       gboolean (*fn)(int fd, GIOCondition cond, void *opaque),
                       void *opaque)
{
    FdWatch *w = g_new(FdWatch, 1);
    w->fn = fn;
    w->opaque = opaque;
    return g_unix_fd_add_full(G_PRIORITY_DEFAULT, fd, cond, fd_dispatch, w,
                              g_free);
}

guint main_loop_add_timer_ms(unsigned ms, GSourceFunc fn, void *opaque)
{
    return g_timeout_add(ms, fn, opaque);
}

void exit_notifier_add(ExitNotifier *n)
{
    n->next = exit_notifiers;
    exit_notifiers = n;
}

void exit_notifiers_run(void)
{
    /* Last added runs first: undo in reverse order of creation. */
    while (exit_notifiers) {
        ExitNotifier *n = exit_notifiers;
        exit_notifiers = n->next;
        n->fn(n->opaque);
    }
}
