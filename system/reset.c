/*
 * Guest reset: the reset handler list and the sequence the main loop runs
 * for a reset request (vCPUs stop, handlers, accelerator reset, vCPUs go).
 */
#include <glib.h>

#include "system/accel.h"
#include "system/machine.h"
#include "system/main-loop.h"
#include "system/reset.h"
#include "system/runstate.h"
#include "util/error.h"
#include "util/trace.h"

typedef struct ResetEntry {
    ResetHandler *fn;
    void *opaque;
} ResetEntry;

static GArray *handlers;
static const char *volatile pending_reason;
static const char *last_reason;
static unsigned count;

void reset_handler_add(ResetHandler *fn, void *opaque)
{
    if (!handlers) {
        handlers = g_array_new(FALSE, FALSE, sizeof(ResetEntry));
    }
    ResetEntry e = { fn, opaque };
    g_array_append_val(handlers, e);
}

void reset_handler_del(ResetHandler *fn, void *opaque)
{
    for (guint i = 0; handlers && i < handlers->len; i++) {
        ResetEntry *e = &g_array_index(handlers, ResetEntry, i);
        if (e->fn == fn && e->opaque == opaque) {
            g_array_remove_index(handlers, i);
            return;
        }
    }
}

void reset_handlers_run(void)
{
    /* Indexed each time: a handler may add another (it runs this time). */
    for (guint i = 0; handlers && i < handlers->len; i++) {
        ResetEntry e = g_array_index(handlers, ResetEntry, i);
        e.fn(e.opaque);
    }
}

static gboolean system_reset_cb(gpointer opaque)
{
    if (!shutdown_requested()) {
        system_reset();
    }
    return G_SOURCE_REMOVE;
}

void reset_request(const char *reason)
{
    const char *none = NULL;
    /* The first request schedules the reset; later ones join it. */
    if (__atomic_compare_exchange_n(&pending_reason, &none, reason, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        trace(system_reset_request, "%s", reason);
        /* Always from the main loop, never in the caller (a vCPU thread
         * or a device callback): main_loop_call() may run fn at once. */
        GSource *src = g_idle_source_new();
        g_source_set_callback(src, system_reset_cb, NULL, NULL);
        g_source_attach(src, g_main_context_default());
        g_source_unref(src);
    }
}

bool reset_pending(void)
{
    return __atomic_load_n(&pending_reason, __ATOMIC_SEQ_CST) != NULL;
}

unsigned reset_count(void)
{
    return count;
}

const char *reset_reason(void)
{
    return last_reason;
}

void system_reset(void)
{
    long long t0 = clock_ns();
    if (accel && accel->pause) {
        accel->pause();
    }
    /* Requests made while the vCPUs were stopping are this same reset. */
    last_reason = __atomic_exchange_n(&pending_reason, NULL,
                                      __ATOMIC_SEQ_CST);
    if (!last_reason) {
        last_reason = "a reset";
    }
    count++;
    reset_handlers_run();
    if (shutdown_requested()) {
        return;     /* a handler could not bring the machine back */
    }
    Error *err = NULL;
    if ((accel && accel->reset && !accel->reset(current_machine, &err)) ||
        (accel && accel->resume && runstate_is_running() &&
         !accel->resume(&err))) {
        error_prepend(&err, "cannot restart the guest after its reset: ");
        error_report_err(err);
        shutdown_request(SHUTDOWN_ERROR, 1);
        return;
    }
    trace(system_reset, "reset %u (%s) done in %lld us", count, last_reason,
          (clock_ns() - t0) / 1000);
}
