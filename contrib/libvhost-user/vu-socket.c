/*
 * UNIX sockets for vhost-user: listen (replacing a stale socket file),
 * accept, connect.  Connections are non-blocking; fdpass waits as needed.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "libvhost-user.h"

static bool fill_addr(struct sockaddr_un *sa, const char *path, Error **errp)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path)) {
        error_setg(errp, "socket path '%s' is longer than the %zu bytes a "
                   "UNIX socket address holds", path, sizeof(sa->sun_path) - 1);
        return false;
    }
    strcpy(sa->sun_path, path);
    return true;
}

int vu_socket_connect(const char *path, Error **errp)
{
    struct sockaddr_un sa;
    int fd;

    if (!fill_addr(&sa, path, errp)) {
        return -EINVAL;
    }
    /*
     * Non-blocking from the start: a listener that does not accept (its
     * backlog full) must not stall the caller's other connections.
     */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create a socket");
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int err = errno;
        if (err == EAGAIN || err == EINPROGRESS) {
            error_setg(errp, "vhost-user socket '%s' is not accepting "
                       "connections (its listen backlog is full)", path);
        } else {
            error_setg_errno(errp, err, "cannot connect to vhost-user "
                             "socket '%s'", path);
        }
        close(fd);
        return -err;
    }
    return fd;
}

int vu_socket_listen(const char *path, Error **errp)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd, err;

    if (!fill_addr(&sa, path, errp)) {
        return -EINVAL;
    }
    if (stat(path, &st) == 0) {
        int probe;
        if (!S_ISSOCK(st.st_mode)) {
            error_setg(errp, "'%s' exists and is not a socket; remove it or "
                       "choose another path", path);
            return -EEXIST;
        }
        probe = vu_socket_connect(path, NULL);
        if (probe >= 0 || probe == -EAGAIN) {   /* EAGAIN: backlog full */
            if (probe >= 0) {
                close(probe);
            }
            error_setg(errp, "another process is listening on '%s'", path);
            return -EADDRINUSE;
        }
        unlink(path);   /* stale: left by a process that died */
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create a socket");
        return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 1) < 0) {
        err = errno;
        error_setg_errno(errp, err, "cannot listen on '%s'", path);
        close(fd);
        return -err;
    }
    return fd;
}

int vu_socket_accept(int listen_fd, Error **errp)
{
    int fd;

    do {
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno != EAGAIN) {
            error_setg_errno(errp, errno, "cannot accept a connection");
        }
        return -errno;
    }
    return fd;
}
