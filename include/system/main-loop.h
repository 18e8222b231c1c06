/*
 * The main loop (GLib's default GMainContext) and the machine lock.
 * The main thread holds the machine lock while it dispatches callbacks and
 * drops it while it polls; a vCPU thread takes it for a PIO/MMIO exit.
 */
#ifndef VMU_SYSTEM_MAIN_LOOP_H
#define VMU_SYSTEM_MAIN_LOOP_H

#include <glib.h>
#include <stdbool.h>

void main_loop_init(void);
/* Run until a shutdown is requested; returns the exit status. */
int main_loop_run(void);

typedef enum ShutdownCause {
    SHUTDOWN_NONE,
    SHUTDOWN_SIGNAL,        /* SIGINT/SIGTERM */
    SHUTDOWN_GUEST_EXIT,    /* isa-debug-exit: status given */
    SHUTDOWN_GUEST_POWEROFF,
    SHUTDOWN_GUEST_RESET,   /* with -no-reboot (else system/reset.h) */
    SHUTDOWN_ERROR,
    SHUTDOWN_QTEST,         /* the qtest socket closed */
    SHUTDOWN_HOST_QMP_QUIT, /* QMP/HMP "quit" */
} ShutdownCause;

/* Thread-safe: ask the main loop to stop with this exit status. */
void shutdown_request(ShutdownCause cause, int status);
bool shutdown_requested(void);
/* fn (thread-safe) returns true when it took a guest poweroff instead. */
void shutdown_set_poweroff_hook(bool (*fn)(void));
/* The first cause requested (SHUTDOWN_NONE while none is). */
ShutdownCause shutdown_cause_get(void);

/* Runs fn on the main loop with the machine lock held (thread-safe). */
void main_loop_call(void (*fn)(void *opaque), void *opaque);

/* fd watches and timers on the main context; remove with g_source_remove. */
guint main_loop_add_fd(int fd, GIOCondition cond,
                       gboolean (*fn)(int fd, GIOCondition cond, void *opaque),
                       void *opaque);
guint main_loop_add_timer_ms(unsigned ms, GSourceFunc fn, void *opaque);

/* Called in order at shutdown (vCPUs stop, back-ends close, files go). */
typedef struct ExitNotifier {
    void (*fn)(void *opaque);
    void *opaque;
    struct ExitNotifier *next;
} ExitNotifier;
void exit_notifier_add(ExitNotifier *n);
void exit_notifiers_run(void);

/* Monotonic clock in nanoseconds. */
long long clock_ns(void);

void bql_lock(void);
void bql_unlock(void);
bool bql_locked(void);

#endif
