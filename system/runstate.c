/*
 * The VM's run state (query-status): whether the vCPUs run and why not.
 * vm_stop may come from any thread; the vCPUs are stopped and listeners
 * told on the main loop, in the order the changes happened.
 */
#include <glib.h>
#include <pthread.h>

#include "system/accel.h"
#include "system/main-loop.h"
#include "system/reset.h"
#include "system/runstate.h"
#include "util/trace.h"

typedef struct Listener {
    RunStateListener *fn;
    void *opaque;
} Listener;

static const char *const names[RUN_STATE__MAX] = {
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_IO_ERROR] = "io-error",
    [RUN_STATE_SHUTDOWN] = "shutdown",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
};

static volatile int state = RUN_STATE_PRELAUNCH;
static GArray *listeners;
static GMutex stop_lock;        /* guards stop_queue */
static GQueue stop_queue;       /* states asked for by other threads */
static bool no_shutdown;
static pthread_t main_thread;

/* Before main(): the thread that runs the main loop, for vm_stop(). */
static void __attribute__((constructor)) runstate_main_thread(void)
{
    main_thread = pthread_self();
}

const char *runstate_name(RunState s)
{
    return (unsigned)s < RUN_STATE__MAX ? names[s] : "unknown";
}

RunState runstate_get(void)
{
    return __atomic_load_n(&state, __ATOMIC_SEQ_CST);
}

bool runstate_is_running(void)
{
    return runstate_get() == RUN_STATE_RUNNING;
}

void runstate_listener_add(RunStateListener *fn, void *opaque)
{
    if (!listeners) {
        listeners = g_array_new(FALSE, FALSE, sizeof(Listener));
    }
    Listener l = { fn, opaque };
    g_array_append_val(listeners, l);
}

/* Main loop, machine lock held. */
static void runstate_set(RunState new_state)
{
    RunState old = runstate_get();
    if (old == new_state) {
        return;
    }
    __atomic_store_n(&state, new_state, __ATOMIC_SEQ_CST);
    trace(runstate_set, "%s -> %s", runstate_name(old),
          runstate_name(new_state));
    for (guint i = 0; listeners && i < listeners->len; i++) {
        Listener l = g_array_index(listeners, Listener, i);
        l.fn(old, new_state, l.opaque);
    }
}

static void vm_stop_now(RunState new_state)
{
    if (runstate_is_running() && accel && accel->pause) {
        accel->pause();
    }
    runstate_set(new_state);
}

static gboolean vm_stop_queued(gpointer opaque)
{
    for (;;) {
        g_mutex_lock(&stop_lock);
        gpointer p = g_queue_pop_head(&stop_queue);
        g_mutex_unlock(&stop_lock);
        if (!p) {
            break;
        }
        vm_stop_now(GPOINTER_TO_INT(p) - 1);
    }
    return G_SOURCE_REMOVE;
}

void vm_stop(RunState new_state)
{
    if (pthread_equal(pthread_self(), main_thread)) {
        vm_stop_now(new_state);
        return;
    }
    /*
     * Another thread (a block thread, a vCPU in an exit): the main loop
     * stops the vCPUs, which a vCPU thread cannot do to itself.  Not
     * main_loop_call(): it may run the function in this thread.
     */
    trace(runstate_stop_request, "%s", runstate_name(new_state));
    g_mutex_lock(&stop_lock);
    bool first = g_queue_is_empty(&stop_queue);
    g_queue_push_tail(&stop_queue, GINT_TO_POINTER(new_state + 1));
    g_mutex_unlock(&stop_lock);
    if (first) {
        GSource *src = g_idle_source_new();
        g_source_set_callback(src, vm_stop_queued, NULL, NULL);
        g_source_attach(src, g_main_context_default());
        g_source_unref(src);
    }
}

bool runstate_needs_reset(void)
{
    RunState s = runstate_get();
    return s == RUN_STATE_SHUTDOWN || s == RUN_STATE_INTERNAL_ERROR;
}

bool vm_resume(Error **errp)
{
    if (runstate_is_running()) {
        return true;
    }
    if (runstate_needs_reset()) {
        error_setg(errp, "the guest is in state '%s': reset it first "
                   "(system_reset), then cont",
                   runstate_name(runstate_get()));
        return false;
    }
    if (accel && accel->resume && !accel->resume(errp)) {
        error_prepend(errp, "cannot run the guest again: ");
        return false;
    }
    runstate_set(RUN_STATE_RUNNING);
    return true;
}

/* A reset brings a powered-off guest back to "created, never run". */
static void runstate_reset(void *opaque)
{
    if (runstate_needs_reset()) {
        runstate_set(RUN_STATE_PRELAUNCH);
    }
}

/* Thread-safe (a vCPU's PM write): -no-shutdown takes a guest poweroff. */
static bool runstate_guest_poweroff(void)
{
    if (!no_shutdown) {
        return false;
    }
    vm_stop(RUN_STATE_SHUTDOWN);
    return true;
}

void runstate_init(bool start_paused, bool no_shutdown_)
{
    static bool once;
    no_shutdown = no_shutdown_;
    if (!once) {
        once = true;
        reset_handler_add(runstate_reset, NULL);
        shutdown_set_poweroff_hook(runstate_guest_poweroff);
    }
    __atomic_store_n(&state, start_paused ? RUN_STATE_PRELAUNCH :
                     RUN_STATE_RUNNING, __ATOMIC_SEQ_CST);
}
