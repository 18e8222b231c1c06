/*
 * UNIX stream sockets by path: the address (with its length limit),
 * listen, connect, accept.  Every socket is non-blocking and
 * close-on-exec; errors say what is wrong with the path and how to fix
 * it.  Used by chardev/char-socket.c, contrib/libvhost-user and
 * vmu-vhost-client.
 */
#ifndef VMU_UTIL_UNIX_SOCKET_H
#define VMU_UTIL_UNIX_SOCKET_H

#include <stdbool.h>
#include <sys/un.h>

#include "util/error.h"

/* What unix_socket_listen does with a socket file already at the path
 * (any other kind of file there is an error, and is left alone). */
typedef enum UnixSocketReplace {
    UNIX_SOCKET_REPLACE_STALE,  /* remove it if nobody listens on it */
    UNIX_SOCKET_REPLACE_ANY,    /* remove it (QEMU's server=on) */
} UnixSocketReplace;

/* Fill sa for path; false when path does not fit a sun_path. */
bool unix_socket_address(const char *path, struct sockaddr_un *sa,
                         Error **errp);

/* A socket listening on path (backlog 1): its fd, or -errno with errp
 * set.  On failure no file this call created is left behind. */
int unix_socket_listen(const char *path, UnixSocketReplace replace,
                       Error **errp);

/* Connect without waiting: the fd, or -errno with errp set (-ENOENT,
 * -ECONNREFUSED: nobody listens; -EAGAIN: the backlog is full). */
int unix_socket_connect(const char *path, Error **errp);

/* Accept one connection: the fd, or -errno; -EAGAIN (nobody waiting)
 * leaves errp alone. */
int unix_socket_accept(int listen_fd, Error **errp);

#endif
