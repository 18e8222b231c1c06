/*
 * -daemonize: the caller (libvirt, a script) gets its exit status only
 * once start-up has succeeded or failed, the pid file is already written
 * then, and the daemon lets go of the caller's stdout and stderr (a
 * caller reading them to EOF would wait forever otherwise).
 */
#ifndef VMU_SYSTEM_DAEMONIZE_H
#define VMU_SYSTEM_DAEMONIZE_H

#include <stdbool.h>

/*
 * Before anything is created (a KVM VM belongs to the process that made
 * it): fork.  The parent waits for the child's word and exits with
 * status 0 once daemonize_done() is called, 1 if the child dies first.
 */
void daemonize_start(void);
/* The child: start-up succeeded; stdin, stdout, stderr become /dev/null. */
void daemonize_done(void);
bool daemonized(void);

#endif
