/*
 * -add-fd fd sets and /dev/fdset/N paths: a management tool opens the
 * files and passes the descriptors; vmu opens "/dev/fdset/N" as QEMU does.
 */
#ifndef VMU_UTIL_FDSET_H
#define VMU_UTIL_FDSET_H

#include <stdbool.h>
#include <sys/types.h>
#include "util/error.h"

/* -add-fd fd=N,set=S[,opaque=TEXT]: a duplicate of fd N joins set S. */
bool fdset_add_option(const char *text, Error **errp);
/* Close the fds -add-fd named (their duplicates stay), as QEMU does. */
void fdset_close_originals(void);
/* Does path name a set ("/dev/fdset/N")? */
bool fdset_is_path(const char *path);
/*
 * open(2) that also takes "/dev/fdset/N": a new descriptor (close-on-exec)
 * of a set member whose access mode is flags' (O_RDONLY, O_WRONLY,
 * O_RDWR); other flags are the member's.  -1 with errno ENOENT (no such
 * set) or EACCES (no member with that access mode).
 */
int fdset_open(const char *path, int flags, mode_t mode);

#endif
