/*
 * aio=io_uring: the file driver's reads, writes and flushes submitted
 * through an io_uring of the worker thread's own (liburing), one request
 * at a time per thread, the threads running many at once.
 */
#ifndef VMU_BLOCK_FILE_URING_H
#define VMU_BLOCK_FILE_URING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "util/error.h"

/* Can this host (and this build) do io_uring?  If not, why. */
bool file_uring_check(Error **errp);
/* As preadv/pwritev, but -errno on failure. */
ssize_t file_uring_rw(int fd, const struct iovec *iov, int niov,
                      uint64_t offset, bool write);
/* As fdatasync, but -errno on failure. */
int file_uring_fdatasync(int fd);

#endif
