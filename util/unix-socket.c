/*
 * UNIX stream sockets by path: address, listen (with the treatment of a
 * socket file left behind), connect, accept.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/unix-socket.h"

#define SOCK_FLAGS (SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK)

bool unix_socket_address(const char *path, struct sockaddr_un *sa,
                         Error **errp)
{
    size_t len = strlen(path);

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (len == 0) {
        error_setg(errp, "the socket path is empty; give the path of a "
                   "socket file");
        return false;
    }
    if (len >= sizeof(sa->sun_path)) {
        error_setg(errp, "socket path %s is %zu bytes long, the limit is %zu; "
                   "use a shorter path", path, len, sizeof(sa->sun_path) - 1);
        return false;
    }
    memcpy(sa->sun_path, path, len + 1);
    return true;
}

static int socket_new(Error **errp)
{
    int fd = socket(AF_UNIX, SOCK_FLAGS, 0);

    if (fd < 0) {
        int err = errno;
        error_setg_errno(errp, err, "cannot create a UNIX socket");
        return -err;
    }
    return fd;
}

int unix_socket_connect(const char *path, Error **errp)
{
    struct sockaddr_un sa;
    int fd, err;

    if (!unix_socket_address(path, &sa, errp)) {
        return -ENAMETOOLONG;
    }
    fd = socket_new(errp);
    if (fd < 0) {
        return fd;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        return fd;
    }
    err = errno;
    close(fd);
    if (err == EAGAIN || err == EINPROGRESS) {
        error_setg(errp, "socket '%s' is not accepting connections (its "
                   "listen backlog is full)", path);
        return -EAGAIN;
    }
    error_setg_errno(errp, err, "cannot connect to socket '%s'", path);
    if (err == ENOENT || err == ECONNREFUSED) {
        error_append_hint(errp, "start the process that listens on it first");
    }
    return -err;
}

/* A file already at path: remove it if 'replace' allows, or say why not. */
static int clear_path(const char *path, UnixSocketReplace replace,
                      Error **errp)
{
    struct stat st;

    if (lstat(path, &st) < 0) {
        return 0;           /* nothing there (or bind will say why) */
    }
    if (!S_ISSOCK(st.st_mode)) {
        error_setg(errp, "'%s' exists and is not a socket; remove it or "
                   "choose another path", path);
        return -EEXIST;
    }
    if (replace == UNIX_SOCKET_REPLACE_STALE) {
        int probe = unix_socket_connect(path, NULL);
        if (probe >= 0 || probe == -EAGAIN) {   /* EAGAIN: backlog full */
            if (probe >= 0) {
                close(probe);
            }
            error_setg(errp, "another process is listening on '%s'", path);
            error_append_hint(errp, "stop it, or choose another path");
            return -EADDRINUSE;
        }
    }
    unlink(path);           /* left by a process that died, or replaced */
    return 0;
}

int unix_socket_listen(const char *path, UnixSocketReplace replace,
                       Error **errp)
{
    struct sockaddr_un sa;
    int fd, err;

    if (!unix_socket_address(path, &sa, errp)) {
        return -ENAMETOOLONG;
    }
    err = clear_path(path, replace, errp);
    if (err < 0) {
        return err;
    }
    fd = socket_new(errp);
    if (fd < 0) {
        return fd;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        err = errno;
        error_setg_errno(errp, err, "cannot bind a socket to '%s'", path);
        error_append_hint(errp, "check that the directory exists and is "
                          "writable");
        close(fd);
        return -err;
    }
    if (listen(fd, 1) < 0) {
        err = errno;
        error_setg_errno(errp, err, "cannot listen on '%s'", path);
        close(fd);
        unlink(path);       /* the file bind just created */
        return -err;
    }
    return fd;
}

int unix_socket_accept(int listen_fd, Error **errp)
{
    int fd;

    do {
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int err = errno;
        if (err != EAGAIN) {
            error_setg_errno(errp, err, "cannot accept a connection");
        }
        return -err;
    }
    return fd;
}
