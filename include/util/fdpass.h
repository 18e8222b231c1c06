/*
 * One vhost-user message (header + payload) with up to 8 file descriptors
 * over a UNIX stream socket (SCM_RIGHTS): whole messages or an error,
 * whatever the socket does underneath (partial transfers, EINTR, EAGAIN).
 */
#ifndef VMU_UTIL_FDPASS_H
#define VMU_UTIL_FDPASS_H

#include <stdbool.h>
#include <stddef.h>

#include "net/vhost-user-proto.h"
#include "util/error.h"

#define FDPASS_MAX_FDS VHOST_USER_MAX_FDS

/* How long a send waits for room on a non-blocking socket. */
#define FDPASS_SEND_TIMEOUT_MS 5000

/*
 * Send hdr and hdr->size bytes of payload, with nfds fds attached to the
 * first byte.  Returns 0, or a negative errno:
 *   -EPIPE      the peer has gone (EPIPE or ECONNRESET from the socket)
 *   -ETIMEDOUT  a non-blocking socket stayed full for FDPASS_SEND_TIMEOUT_MS
 *   -EINVAL     more than FDPASS_MAX_FDS fds
 *   other       the socket's own error
 * Never raises SIGPIPE.
 */
int fdpass_send_msg(int sock, const VhostUserHeader *hdr, const void *payload,
                    const int *fds, size_t nfds, Error **errp);

/*
 * Receive one message: the header, then hdr->size payload bytes into
 * payload (at most payload_max bytes).  fds that came along are stored in
 * fds[] (room for FDPASS_MAX_FDS) and counted in *nfds; they are opened
 * close-on-exec and belong to the caller when 1 is returned.
 *
 * timeout_ms bounds the wait for the whole message (-1: no bound; 0:
 * return -EAGAIN at once if nothing is there yet).  Non-blocking sockets
 * are waited on with poll(), so a message split across segments is read
 * whole.
 *
 * Returns 1 when a message was read, 0 when the peer hung up cleanly
 * between messages, or a negative errno (no fds left open):
 *   -ECONNRESET  the peer hung up in the middle of a message
 *   -ETIMEDOUT   the message did not arrive (completely) in time
 *   -EAGAIN      timeout_ms == 0 and no message is waiting
 *   -EMSGSIZE    the payload is larger than payload_max
 *   -EBADMSG     more than FDPASS_MAX_FDS fds were attached
 *   other        the socket's own error
 */
int fdpass_recv_msg(int sock, VhostUserHeader *hdr, void *payload,
                    size_t payload_max, int *fds, size_t *nfds,
                    int timeout_ms, Error **errp);

/* Close fds[0..n) and set them to -1. */
void fdpass_close_fds(int *fds, size_t n);

#endif
