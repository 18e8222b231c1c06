/*
 * The VM's run state, as QMP's query-status reports it: whether the vCPUs
 * run, and why they do not.  Pausing stops the vCPUs (devices and
 * back-ends stay as they are); resuming lets them run again.  -S starts in
 * RUN_STATE_PRELAUNCH; a device that stops the VM on an I/O error uses
 * RUN_STATE_IO_ERROR (virtio-blk werror=stop), and "cont" resumes it.
 */
#ifndef VMU_SYSTEM_RUNSTATE_H
#define VMU_SYSTEM_RUNSTATE_H

#include <stdbool.h>

#include "util/error.h"

typedef enum RunState {
    RUN_STATE_PRELAUNCH,    /* -S: created, never run */
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,       /* stop (QMP/HMP) */
    RUN_STATE_IO_ERROR,     /* a disk with werror=/rerror=stop failed */
    RUN_STATE_SHUTDOWN,     /* guest powered off with -no-shutdown */
    RUN_STATE_INTERNAL_ERROR,
    RUN_STATE__MAX,
} RunState;

/* QMP's name for a state: "prelaunch", "running", "paused", "io-error"... */
const char *runstate_name(RunState s);
RunState runstate_get(void);
bool runstate_is_running(void);

/*
 * Thread-safe (a block-layer thread may call it): stop the vCPUs and enter
 * state; from a state other than RUNNING it only records the new reason.
 * Listeners run on the main loop with the machine lock held.
 */
void vm_stop(RunState state);
/* "cont": from any stopped state but SHUTDOWN without reset, run again. */
bool vm_resume(Error **errp);

/* Called on the main loop after every change (QMP's STOP/RESUME events). */
typedef void RunStateListener(RunState old_state, RunState new_state,
                              void *opaque);
void runstate_listener_add(RunStateListener *fn, void *opaque);

/*
 * main.c, before the accelerator starts: -S (start in PRELAUNCH: the
 * accelerator creates the vCPUs but runs them only at "cont") and
 * -no-shutdown (a guest poweroff stops the VM in SHUTDOWN instead).
 */
void runstate_init(bool start_paused, bool no_shutdown);
/* SHUTDOWN or INTERNAL_ERROR: only a reset (to PRELAUNCH) gets out. */
bool runstate_needs_reset(void);

#endif
