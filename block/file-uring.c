/*
 * io_uring for the file driver (see file-uring.h).  Each worker thread
 * makes its ring the first time it needs one; the ring goes when the
 * thread ends.
 */
#include <errno.h>
#include <glib.h>

#include "file-uring.h"

#ifdef CONFIG_LIBURING
#include <liburing.h>

static void ring_free(gpointer p)
{
    io_uring_queue_exit(p);
    g_free(p);
}

static GPrivate thread_ring = G_PRIVATE_INIT(ring_free);

static struct io_uring *ring_get(int *err)
{
    struct io_uring *ring = g_private_get(&thread_ring);
    if (!ring) {
        ring = g_new0(struct io_uring, 1);
        *err = io_uring_queue_init(4, ring, 0);
        if (*err < 0) {
            g_free(ring);
            return NULL;
        }
        g_private_set(&thread_ring, ring);
    }
    return ring;
}

/* Submit the prepared request and wait for its completion. */
static int ring_run(struct io_uring *ring)
{
    struct io_uring_cqe *cqe;
    int ret = io_uring_submit_and_wait(ring, 1);
    while (ret == -EINTR) {
        ret = io_uring_wait_cqe(ring, &cqe);
    }
    if (ret < 0) {
        return ret;
    }
    ret = io_uring_wait_cqe(ring, &cqe);
    if (ret < 0) {
        return ret;
    }
    ret = cqe->res;
    io_uring_cqe_seen(ring, cqe);
    return ret;
}

bool file_uring_check(Error **errp)
{
    struct io_uring ring;
    int ret = io_uring_queue_init(1, &ring, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "aio=io_uring: the kernel refuses an "
                         "io_uring (use aio=threads)");
        return false;
    }
    io_uring_queue_exit(&ring);
    return true;
}

ssize_t file_uring_rw(int fd, const struct iovec *iov, int niov,
                      uint64_t offset, bool write)
{
    int err = 0;
    struct io_uring *ring = ring_get(&err);
    if (!ring) {
        return err;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (write) {
        io_uring_prep_writev(sqe, fd, iov, niov, offset);
    } else {
        io_uring_prep_readv(sqe, fd, iov, niov, offset);
    }
    return ring_run(ring);
}

int file_uring_fdatasync(int fd)
{
    int err = 0;
    struct io_uring *ring = ring_get(&err);
    if (!ring) {
        return err;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
    return ring_run(ring);
}

#else

bool file_uring_check(Error **errp)
{
    error_setg(errp, "aio=io_uring: this vmu was built without liburing "
               "(install liburing-dev and rebuild, or use aio=threads)");
    return false;
}

ssize_t file_uring_rw(int fd, const struct iovec *iov, int niov,
                      uint64_t offset, bool write)
{
    return -ENOSYS;
}

int file_uring_fdatasync(int fd)
{
    return -ENOSYS;
}

#endif
