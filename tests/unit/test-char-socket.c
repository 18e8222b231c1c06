/*
 * The socket chardev as a user sees it: a client connects, a server
 * accepts, reconnect-ms retries, OPENED/CLOSED arrive in order, no fd
 * leaks across reconnects, the socket file goes away at exit.
 */
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "chardev/char.h"
#include "system/main-loop.h"
#include "system/registry.h"

static char *tmpdir;
static GString *events;

static void on_event(void *opaque, ChrEvent ev)
{
    g_string_append(events, ev == CHR_EVENT_OPENED ? "O" : "C");
}

static const ChardevHandlers handlers = { .event = on_event };

static char *sock_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static Chardev *chardev_create(const char *text, Error **errp)
{
    Opts *o = opts_parse("-chardev", text, "backend", errp);
    const TypeInfo *ti = type_lookup(TYPE_KIND_CHARDEV, "socket");
    Chardev *chr = NULL;

    g_assert_nonnull(o);
    g_assert_nonnull(ti);
    if (opts_validate(o, "chardev type 'socket'", ti->opts,
                      (const char *const[]){ "backend", "id", NULL }, errp) &&
        ti->check(o, errp) && ti->create(o, errp)) {
        chr = chardev_find(opts_get(o, "id"));
    }
    opts_free(o);
    return chr;
}

static int listen_on(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    unlink(path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 4), ==, 0);
    return fd;
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Run the main loop until events reads 'want' (or 30 s pass). */
static void pump_until(const char *want)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (strcmp(events->str, want) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    g_assert_cmpstr(events->str, ==, want);
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    g_assert_nonnull(d);
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

static void test_client_connects(void)
{
    g_autofree char *path = sock_path("client.sock");
    g_autofree char *text = g_strdup_printf("socket,id=cl0,path=%s", path);
    Error *err = NULL;
    int lfd = listen_on(path);
    Chardev *chr = chardev_create(text, &err);
    int conn;

    g_assert_null(err);
    g_assert_nonnull(chr);
    g_string_truncate(events, 0);
    g_assert_true(chardev_claim(chr, "test", &err));
    chardev_set_handlers(chr, &handlers, NULL);
    g_assert_cmpstr(events->str, ==, "O");
    g_assert_cmpint(chardev_get_fd(chr), >=, 0);
    conn = accept(lfd, NULL, NULL);
    g_assert_cmpint(conn, >=, 0);
    g_assert_cmpint(write(chardev_get_fd(chr), "x", 1), ==, 1);
    char c;
    g_assert_cmpint(read(conn, &c, 1), ==, 1);
    /* a second owner is refused, naming the first */
    g_assert_false(chardev_claim(chr, "netdev n1", &err));
    g_assert_nonnull(strstr(error_get_pretty(err), "already used by test"));
    error_free(err);
    chr->ops->close(chr);
    close(conn);
    close(lfd);
}

static void test_client_fails_without_reconnect(void)
{
    g_autofree char *path = sock_path("nobody.sock");
    g_autofree char *text = g_strdup_printf("socket,id=cl1,path=%s", path);
    Error *err = NULL;

    g_assert_null(chardev_create(text, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(error_get_pretty(err), path));
    g_assert_nonnull(strstr(error_get_pretty(err), "cannot connect"));
    g_assert_nonnull(strstr(error_get_hint(err), "reconnect-ms"));
    error_free(err);
}

static void test_server_wait_off(void)
{
    g_autofree char *path = sock_path("server.sock");
    g_autofree char *text = g_strdup_printf("socket,id=sv0,path=%s,"
                                            "server=on,wait=off", path);
    Error *err = NULL;
    Chardev *chr;
    int c1, c2;

    /* a stale socket file from a dead process is replaced */
    close(listen_on(path));
    chr = chardev_create(text, &err);
    g_assert_null(err);
    g_assert_cmpint(chardev_get_fd(chr), ==, -1);
    g_string_truncate(events, 0);
    chardev_set_handlers(chr, &handlers, NULL);
    g_assert_cmpstr(events->str, ==, "");
    c1 = connect_to(path);
    g_assert_cmpint(c1, >=, 0);
    pump_until("O");
    close(c1);
    pump_until("OC");
    /* after a client goes away, the next one is accepted */
    c2 = connect_to(path);
    pump_until("OCO");
    g_assert_cmpint(chardev_get_fd(chr), >=, 0);
    chardev_disconnect(chr);
    pump_until("OCOC");
    close(c2);
    chr->ops->close(chr);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

/* A client that comes 200 ms late, then connects as soon as the server
 * listens (it may not yet on a loaded machine; bounded). */
static gpointer late_connect(gpointer data)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    int fd;

    g_usleep(200 * 1000);
    while ((fd = connect_to(data)) < 0 &&
           g_get_monotonic_time() < deadline) {
        g_usleep(10 * 1000);
    }
    return GINT_TO_POINTER(fd);
}

static void test_server_wait_on(void)
{
    g_autofree char *path = sock_path("wait.sock");
    g_autofree char *text = g_strdup_printf("socket,id=sv1,path=%s,server=on",
                                            path);
    Error *err = NULL;
    gint64 start = g_get_monotonic_time();
    GThread *t = g_thread_new("connect", late_connect, path);
    Chardev *chr = chardev_create(text, &err);
    int peer = GPOINTER_TO_INT(g_thread_join(t));

    g_assert_null(err);
    /* create() returned only once the client was there */
    g_assert_cmpint(g_get_monotonic_time() - start, >=, 150 * 1000);
    g_assert_cmpint(chardev_get_fd(chr), >=, 0);
    g_assert_true(chr->connected);
    close(peer);
    chr->ops->close(chr);
}

static void test_reconnect(void)
{
    g_autofree char *path = sock_path("reconnect.sock");
    g_autofree char *text = g_strdup_printf("socket,id=cl2,path=%s,"
                                            "reconnect-ms=20", path);
    Error *err = NULL;
    Chardev *chr;
    int lfd, conn, before;

    unlink(path);
    /* no back-end yet: start-up does not fail and does not block */
    chr = chardev_create(text, &err);
    g_assert_null(err);
    g_assert_nonnull(chr);
    g_string_truncate(events, 0);
    chardev_set_handlers(chr, &handlers, NULL);
    g_assert_cmpstr(events->str, ==, "");
    lfd = listen_on(path);
    pump_until("O");
    conn = accept(lfd, NULL, NULL);
    close(conn);
    pump_until("OC");
    pump_until("OCO");
    conn = accept(lfd, NULL, NULL);

    before = count_fds();
    for (int i = 0; i < 20; i++) {
        close(conn);
        g_string_truncate(events, 0);
        pump_until("CO");
        conn = accept(lfd, NULL, NULL);
        g_assert_cmpint(conn, >=, 0);
    }
    g_assert_cmpint(count_fds(), ==, before);
    /* the owner drops a broken peer: the client retries by itself */
    g_string_truncate(events, 0);
    chardev_disconnect(chr);
    pump_until("CO");
    close(conn);
    conn = accept(lfd, NULL, NULL);
    close(conn);
    chr->ops->close(chr);
    close(lfd);
}

static void test_reconnect_seconds(void)
{
    g_autofree char *path = sock_path("recs.sock");
    g_autofree char *text = g_strdup_printf("socket,id=cl3,path=%s,"
                                            "reconnect=1", path);
    Error *err = NULL;
    Chardev *chr;

    unlink(path);
    chr = chardev_create(text, &err);
    g_assert_null(err);
    int lfd = listen_on(path);
    g_string_truncate(events, 0);
    chardev_set_handlers(chr, &handlers, NULL);
    pump_until("O");
    chr->ops->close(chr);
    close(lfd);
}

static void test_refused_options(void)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        { "socket,id=t0,host=localhost", "needs port=N" },
        { "socket,id=t1,path=/tmp/x,websocket=on",
          "'websocket' is not supported" },
        { "socket,id=t8,path=/tmp/x,host=localhost,port=4444", "not both" },
        { "socket,id=t9,host=localhost,port=4444,ipv6=on", "'ipv6'" },
        { "socket,id=t2,path=/tmp/x,tls-creds=tls0", "'tls-creds'" },
        { "socket,id=t3,fd=4", "use it with server=on" },
        { "socket,id=t4", "needs path=PATH" },
        { "socket,id=t5,path=/tmp/x,server=on,reconnect=1", "for clients" },
        { "socket,id=t6,path=/tmp/x,wait=off", "for servers" },
        { "socket,id=t7,path=/tmp/x,reconect=1", "did you mean 'reconnect'" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        Error *err = NULL;
        g_assert_null(chardev_create(cases[i].text, &err));
        g_assert_nonnull(err);
        if (!strstr(error_get_pretty(err), cases[i].msg)) {
            g_test_message("%s -> %s", cases[i].text, error_get_pretty(err));
        }
        g_assert_nonnull(strstr(error_get_pretty(err), cases[i].msg));
        error_free(err);
    }
    /* the legacy spellings the option parser maps */
    Error *err = NULL;
    g_autofree char *path = sock_path("legacy.sock");
    g_autofree char *text = g_strdup_printf("socket,id=lg0,path=%s,server,"
                                            "nowait", path);
    Chardev *chr = chardev_create(text, &err);
    g_assert_null(err);
    g_assert_nonnull(chr);
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    chr->ops->close(chr);
}

static void test_removed_at_exit(void)
{
    g_autofree char *path = sock_path("exit.sock");
    g_autofree char *text = g_strdup_printf("socket,id=ex0,path=%s,server=on,"
                                            "wait=off", path);
    Error *err = NULL;
    Chardev *chr = chardev_create(text, &err);

    g_assert_nonnull(chr);
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    exit_notifiers_run();
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
}

int main(int argc, char **argv)
{
    int r;

    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("vmu-char-socket-XXXXXX", NULL);
    events = g_string_new(NULL);
    g_test_add_func("/char-socket/client/connects", test_client_connects);
    g_test_add_func("/char-socket/client/fails-without-reconnect",
                    test_client_fails_without_reconnect);
    g_test_add_func("/char-socket/server/wait-off", test_server_wait_off);
    g_test_add_func("/char-socket/server/wait-on", test_server_wait_on);
    g_test_add_func("/char-socket/client/reconnect-ms", test_reconnect);
    g_test_add_func("/char-socket/client/reconnect-seconds",
                    test_reconnect_seconds);
    g_test_add_func("/char-socket/options/refused", test_refused_options);
    g_test_add_func("/char-socket/server/removed-at-exit",
                    test_removed_at_exit);
    r = g_test_run();
    exit_notifiers_run();
    GDir *d = g_dir_open(tmpdir, 0, NULL);
    for (const char *n; d && (n = g_dir_read_name(d));) {
        g_autofree char *p = sock_path(n);
        g_unlink(p);
    }
    if (d) {
        g_dir_close(d);
    }
    g_rmdir(tmpdir);
    return r;
}
