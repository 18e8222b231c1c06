/*
 * Image locking as QEMU does it, so that vmu and QEMU exclude each other:
 * open file description (OFD) read locks on single bytes of the image,
 * byte 100 + N for a permission held, byte 200 + N for a permission not
 * shared with others (N: 0 consistent read, 1 write, 2 write unchanged,
 * 3 resize).  A conflict is another open file's lock on the opposite byte.
 */
#ifndef VMU_BLOCK_FILE_LOCK_H
#define VMU_BLOCK_FILE_LOCK_H

#include <stdbool.h>

#include "util/error.h"

/*
 * Take the locks of a disk: read (and write if 'write'), sharing writes
 * with nobody unless share_all (force-share=on, read-only).  The locks go
 * with the fd.  Fails if another process holds what conflicts.
 */
bool file_lock_take(int fd, const char *filename, bool write, bool share_all,
                    Error **errp);

#endif
