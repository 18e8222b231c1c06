/*
 * util/unix-socket.c: listen, connect and accept by path; the length
 * limit, a stale socket file, a live listener, a file that is not a
 * socket, a missing directory, a full backlog; no fd left open.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/unix-socket.h"
#include "fd-count.h"

static char *dir;
/* Calls that must succeed report here; each test checks it stays NULL. */
static Error *unexpected;
#define NO_ERROR (&unexpected)

static char *path_in_dir(const char *name)
{
    return g_build_filename(dir, name, NULL);
}

static void assert_error(Error *err, const char *substr)
{
    g_assert_nonnull(err);
    if (!strstr(error_get_pretty(err), substr)) {
        g_printerr("error '%s' lacks '%s'\n", error_get_pretty(err), substr);
        g_assert_not_reached();
    }
    error_free(err);
}

static bool is_nonblocking_cloexec(int fd)
{
    return (fcntl(fd, F_GETFL) & O_NONBLOCK) &&
           (fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void test_roundtrip(void)
{
    g_autofree char *path = path_in_dir("rt.sock");
    int before = open_count();
    int l, c, a;
    char byte = 'x';

    l = unix_socket_listen(path, UNIX_SOCKET_REPLACE_STALE, NO_ERROR);
    g_assert_cmpint(l, >=, 0);
    g_assert_true(is_nonblocking_cloexec(l));
    /* Nobody waiting: EAGAIN, and no error to report. */
    g_assert_cmpint(unix_socket_accept(l, NO_ERROR), ==, -EAGAIN);
    c = unix_socket_connect(path, NO_ERROR);
    g_assert_cmpint(c, >=, 0);
    g_assert_true(is_nonblocking_cloexec(c));
    a = unix_socket_accept(l, NO_ERROR);
    g_assert_cmpint(a, >=, 0);
    g_assert_true(is_nonblocking_cloexec(a));
    g_assert_cmpint(write(c, &byte, 1), ==, 1);
    byte = 0;
    g_assert_cmpint(read(a, &byte, 1), ==, 1);
    g_assert_cmpint(byte, ==, 'x');
    close(a);
    close(c);
    close(l);
    unlink(path);
    g_assert_cmpint(open_count(), ==, before);
}

static void test_too_long(void)
{
    g_autofree char *path = g_strnfill(200, 'a');
    Error *err = NULL;

    g_assert_cmpint(unix_socket_listen(path, UNIX_SOCKET_REPLACE_ANY, &err),
                    ==, -ENAMETOOLONG);
    assert_error(err, "the limit is 107; use a shorter path");
    err = NULL;
    g_assert_cmpint(unix_socket_connect(path, &err), ==, -ENAMETOOLONG);
    assert_error(err, "is 200 bytes long");
    err = NULL;
    g_assert_cmpint(unix_socket_connect("", &err), <, 0);
    assert_error(err, "empty");
}

/* A socket file nobody listens on (its process died) is taken over. */
static void test_stale(void)
{
    g_autofree char *path = path_in_dir("stale.sock");
    int l = unix_socket_listen(path, UNIX_SOCKET_REPLACE_STALE, NO_ERROR);
    Error *err = NULL;

    close(l);                   /* the file stays */
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_cmpint(unix_socket_connect(path, &err), ==, -ECONNREFUSED);
    g_assert_nonnull(strstr(error_get_hint(err), "start the process"));
    assert_error(err, "Connection refused");
    l = unix_socket_listen(path, UNIX_SOCKET_REPLACE_STALE, NO_ERROR);
    g_assert_cmpint(l, >=, 0);
    close(l);
    unlink(path);
}

/* A live listener: refused with STALE, replaced with ANY (QEMU's way). */
static void test_live(void)
{
    g_autofree char *path = path_in_dir("live.sock");
    int l = unix_socket_listen(path, UNIX_SOCKET_REPLACE_STALE, NO_ERROR);
    Error *err = NULL;
    int l2, c, a;

    g_assert_cmpint(unix_socket_listen(path, UNIX_SOCKET_REPLACE_STALE, &err),
                    ==, -EADDRINUSE);
    assert_error(err, "another process is listening on");
    l2 = unix_socket_listen(path, UNIX_SOCKET_REPLACE_ANY, NO_ERROR);
    g_assert_cmpint(l2, >=, 0);
    c = unix_socket_connect(path, NO_ERROR);
    /* (l has the refused listen's probe pending: it is not checked.) */
    a = unix_socket_accept(l2, NULL);
    g_assert_cmpint(a, >=, 0);
    close(a);
    close(c);
    close(l);
    close(l2);
    unlink(path);
}

static void test_not_a_socket(void)
{
    g_autofree char *path = path_in_dir("file");
    Error *err = NULL;

    g_assert_true(g_file_set_contents(path, "keep", -1, NULL));
    g_assert_cmpint(unix_socket_listen(path, UNIX_SOCKET_REPLACE_ANY, &err),
                    ==, -EEXIST);
    assert_error(err, "exists and is not a socket");
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
    unlink(path);
}

static void test_no_directory(void)
{
    g_autofree char *path = path_in_dir("nowhere/x.sock");
    Error *err = NULL;
    int before = open_count();

    g_assert_cmpint(unix_socket_listen(path, UNIX_SOCKET_REPLACE_STALE, &err),
                    ==, -ENOENT);
    g_assert_nonnull(strstr(error_get_hint(err), "directory exists"));
    assert_error(err, "cannot bind");
    err = NULL;
    g_assert_cmpint(unix_socket_connect(path, &err), ==, -ENOENT);
    assert_error(err, "cannot connect to socket");
    g_assert_cmpint(open_count(), ==, before);
}

/* A listener that never accepts: connects fail at once, never block. */
static void test_backlog_full(void)
{
    g_autofree char *path = path_in_dir("full.sock");
    int l = unix_socket_listen(path, UNIX_SOCKET_REPLACE_STALE, NO_ERROR);
    int fds[64], n = 0, r = 0;
    Error *err = NULL;

    while (n < 64) {
        r = unix_socket_connect(path, &err);
        if (r < 0) {
            break;
        }
        fds[n++] = r;
    }
    g_assert_cmpint(r, ==, -EAGAIN);
    assert_error(err, "is not accepting connections");
    /* A full backlog is a live listener too. */
    err = NULL;
    g_assert_cmpint(unix_socket_listen(path, UNIX_SOCKET_REPLACE_STALE, &err),
                    ==, -EADDRINUSE);
    error_free(err);
    while (n) {
        close(fds[--n]);
    }
    close(l);
    unlink(path);
}

static void run(const void *fn)
{
    ((void (*)(void))fn)();
    if (unexpected) {
        g_printerr("unexpected error: %s\n", error_get_pretty(unexpected));
        g_assert_not_reached();
    }
}

#define ADD(name, fn) g_test_add_data_func(name, (const void *)fn, run)

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    dir = g_dir_make_tmp("vmu-unix-socket-XXXXXX", NULL);
    g_assert_nonnull(dir);
    ADD("/unix-socket/roundtrip", test_roundtrip);
    ADD("/unix-socket/too-long", test_too_long);
    ADD("/unix-socket/stale", test_stale);
    ADD("/unix-socket/live", test_live);
    ADD("/unix-socket/not-a-socket", test_not_a_socket);
    ADD("/unix-socket/no-directory", test_no_directory);
    ADD("/unix-socket/backlog-full", test_backlog_full);
    ret = g_test_run();
    g_rmdir(dir);
    g_free(dir);
    return ret;
}
