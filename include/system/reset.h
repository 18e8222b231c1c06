/*
 * Guest reset without -no-reboot: the machine restarts in place, as QEMU's
 * does.  A reset request (from a vCPU thread or the main loop) wakes the
 * main loop, which stops the vCPUs, runs the reset handlers in the order
 * they were added (devices back to power-on state, kernel reloaded), has
 * the accelerator reset the vCPUs and interrupt controllers, and lets the
 * vCPUs run again.
 */
#ifndef VMU_SYSTEM_RESET_H
#define VMU_SYSTEM_RESET_H

#include <stdbool.h>

/* Runs on the main thread with the machine lock held, vCPUs stopped. */
typedef void ResetHandler(void *opaque);

void reset_handler_add(ResetHandler *fn, void *opaque);
void reset_handler_del(ResetHandler *fn, void *opaque);
/* Every handler, in the order added (also for tests). */
void reset_handlers_run(void);

/* Thread-safe: restart the guest in place; reason is a static string. */
void reset_request(const char *reason);
bool reset_pending(void);
/* Main loop (reset_request schedules it): carry out the reset. */
void system_reset(void);

/* Resets carried out so far, and the reason of the last one. */
unsigned reset_count(void);
const char *reset_reason(void);

#endif
