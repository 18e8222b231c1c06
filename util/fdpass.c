/*
 * Whole vhost-user messages with SCM_RIGHTS fds over a stream socket.
 * A stream gives no message boundaries: loop until every byte is across,
 * and keep the fds that arrive with any part of the message.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util/fdpass.h"

/* Room for more than the limit, so that an excess is seen and refused. */
#define FDPASS_CMSG_FDS (FDPASS_MAX_FDS * 2)

void fdpass_close_fds(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for 'events'; 0 when ready, -ETIMEDOUT, or -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = events };
        int timeout = -1, r;

        if (deadline >= 0) {
            long long left = deadline - now_ms();
            timeout = left > 0 ? (int)left : 0;
        }
        r = poll(&pfd, 1, timeout);
        if (r > 0) {
            return 0;
        }
        if (r == 0) {
            return -ETIMEDOUT;
        }
        if (errno != EINTR) {
            return -errno;
        }
    }
}

int fdpass_send_msg(int sock, const VhostUserHeader *hdr, const void *payload,
                    const int *fds, size_t nfds, Error **errp)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov[2] = {
        { .iov_base = (void *)hdr, .iov_len = sizeof(*hdr) },
        { .iov_base = (void *)payload, .iov_len = payload ? hdr->size : 0 },
    };
    struct iovec *cur = iov;
    int iovcnt = hdr->size && payload ? 2 : 1;
    long long deadline = now_ms() + FDPASS_SEND_TIMEOUT_MS;
    bool fds_sent = nfds == 0;

    if (nfds > FDPASS_MAX_FDS) {
        error_setg(errp, "cannot send %zu file descriptors in one vhost-user "
                   "message, the limit is %d", nfds, FDPASS_MAX_FDS);
        return -EINVAL;
    }
    if (hdr->size && !payload) {
        error_setg(errp, "vhost-user message %u announces %u payload bytes "
                   "but has none", hdr->request, hdr->size);
        return -EINVAL;
    }

    while (iovcnt > 0) {
        struct msghdr msg = { .msg_iov = cur, .msg_iovlen = iovcnt };
        ssize_t n;

        if (!fds_sent) {
            struct cmsghdr *cmsg;
            memset(&control, 0, sizeof(control));
            msg.msg_control = control.buf;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
            cmsg = CMSG_FIRSTHDR(&msg);
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
            memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
        }
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            int err = errno;
            if (err == EINTR) {
                continue;
            }
            if (err == EAGAIN || err == EWOULDBLOCK) {
                int w = wait_fd(sock, POLLOUT, deadline);
                if (w < 0) {
                    error_setg(errp, "vhost-user peer did not take a %s "
                               "message for %d ms", vhost_user_request_name(
                                   hdr->request), FDPASS_SEND_TIMEOUT_MS);
                    return w;
                }
                continue;
            }
            if (err == EPIPE || err == ECONNRESET) {
                error_setg(errp, "vhost-user peer hung up");
                return -EPIPE;
            }
            error_setg_errno(errp, err, "cannot send vhost-user message %s",
                             vhost_user_request_name(hdr->request));
            return -err;
        }
        fds_sent = true;
        /* Skip what went out; a partial write resumes mid-iovec. */
        while (iovcnt > 0 && (size_t)n >= cur->iov_len) {
            n -= cur->iov_len;
            cur++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            cur->iov_base = (char *)cur->iov_base + n;
            cur->iov_len -= n;
        }
    }
    return 0;
}

/*
 * Read exactly len bytes.  Returns len, 0 on EOF before the first byte
 * (only meaningful to the caller when nothing of the message came yet),
 * -ECONNRESET on EOF later, or -errno.
 */
static ssize_t recv_exact(int sock, void *buf, size_t len, int *fds,
                          size_t *nfds, bool *too_many, long long deadline,
                          bool nowait_first)
{
    size_t got = 0;

    while (got < len) {
        union {
            char buf[CMSG_SPACE(sizeof(int) * FDPASS_CMSG_FDS)];
            struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = (char *)buf + got,
                             .iov_len = len - got };
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
        };
        ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

        if (n < 0) {
            int err = errno;
            if (err == EINTR) {
                continue;
            }
            if (err == EAGAIN || err == EWOULDBLOCK) {
                int w;
                if (nowait_first && got == 0) {
                    return -EAGAIN;
                }
                w = wait_fd(sock, POLLIN, deadline);
                if (w < 0) {
                    return w;
                }
                continue;
            }
            if (err == ECONNRESET && got == 0) {
                return 0;
            }
            return err == ECONNRESET ? -ECONNRESET : -err;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
             c = CMSG_NXTHDR(&msg, c)) {
            size_t count;
            int *data;
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
                continue;
            }
            count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            data = (int *)CMSG_DATA(c);
            for (size_t i = 0; i < count; i++) {
                int fd;
                memcpy(&fd, &data[i], sizeof(fd));
                if (*nfds < FDPASS_MAX_FDS) {
                    fds[(*nfds)++] = fd;
                } else {
                    close(fd);
                    *too_many = true;
                }
            }
        }
        if (msg.msg_flags & MSG_CTRUNC) {
            *too_many = true;   /* the kernel dropped what did not fit */
        }
        if (n == 0) {
            return got == 0 ? 0 : -ECONNRESET;
        }
        got += n;
        nowait_first = false;
    }
    return (ssize_t)len;
}

int fdpass_recv_msg(int sock, VhostUserHeader *hdr, void *payload,
                    size_t payload_max, int *fds, size_t *nfds,
                    int timeout_ms, Error **errp)
{
    /* timeout_ms == 0 means "only if a message has started"; once it
     * has, the rest gets the usual bound so the stream never loses step. */
    int bound_ms = timeout_ms ? timeout_ms : FDPASS_SEND_TIMEOUT_MS;
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + bound_ms;
    bool too_many = false;
    ssize_t r;

    *nfds = 0;
    r = recv_exact(sock, hdr, sizeof(*hdr), fds, nfds, &too_many, deadline,
                   timeout_ms == 0);
    if (r == 0) {
        fdpass_close_fds(fds, *nfds);
        *nfds = 0;
        return 0;
    }
    if (r < 0) {
        goto fail_hdr;
    }
    if (hdr->size > payload_max) {
        error_setg(errp, "vhost-user message %s (%u) announces a %u-byte "
                   "payload, more than the %zu bytes any valid message carries",
                   vhost_user_request_name(hdr->request), hdr->request,
                   hdr->size, payload_max);
        r = -EMSGSIZE;
        goto fail;
    }
    if (hdr->size) {
        r = recv_exact(sock, payload, hdr->size, fds, nfds, &too_many,
                       deadline, false);
        if (r == 0) {
            r = -ECONNRESET;
        }
        if (r < 0) {
            goto fail_payload;
        }
    }
    if (too_many) {
        error_setg(errp, "vhost-user message %s came with more than %d file "
                   "descriptors; all of them were closed",
                   vhost_user_request_name(hdr->request), FDPASS_MAX_FDS);
        r = -EBADMSG;
        goto fail;
    }
    return 1;

fail_hdr:
    if (r == -EAGAIN) {
        error_setg(errp, "no vhost-user message is waiting");
    } else if (r == -ECONNRESET) {
        error_setg(errp, "vhost-user peer hung up in the middle of a message "
                   "header");
    } else if (r == -ETIMEDOUT) {
        error_setg(errp, "vhost-user message header did not arrive within "
                   "%d ms", bound_ms);
    } else {
        error_setg_errno(errp, (int)-r, "cannot read a vhost-user message");
    }
    goto fail;
fail_payload:
    if (r == -ECONNRESET) {
        error_setg(errp, "vhost-user peer hung up in the middle of %s "
                   "(%u payload bytes announced)",
                   vhost_user_request_name(hdr->request), hdr->size);
    } else if (r == -ETIMEDOUT) {
        error_setg(errp, "the %u-byte payload of vhost-user message %s did "
                   "not arrive within %d ms", hdr->size,
                   vhost_user_request_name(hdr->request), bound_ms);
    } else {
        error_setg_errno(errp, (int)-r, "cannot read the payload of "
                         "vhost-user message %s",
                         vhost_user_request_name(hdr->request));
    }
fail:
    fdpass_close_fds(fds, *nfds);
    *nfds = 0;
    return (int)r;
}
