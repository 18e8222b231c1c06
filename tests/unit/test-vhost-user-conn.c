/*
 * The vhost-user connection state machine (hw/virtio/vhost-user-conn.c):
 * the failing-start path drops the connection exactly once, a drop whose
 * chardev reconnects at once re-arms the timer from inside its callback,
 * the back-off grows and resets, and a state change cancels the timer so
 * no stale source id is ever removed (GLib's criticals are fatal here).
 */
#include <glib.h>

#include "hw/virtio/vhost-user-conn.h"

typedef struct Fixture {
    VhostUserConn conn;
    unsigned drops;
    unsigned connects;
    bool reconnect_on_drop;     /* the chardev opens again at once */
} Fixture;

static void connect_cb(VhostUserConn *c)
{
    Fixture *f = c->opaque;
    f->connects++;
    vhost_user_conn_set_state(c, VHOST_USER_CONN_NEGOTIATING, "test");
    vhost_user_conn_set_state(c, VHOST_USER_CONN_READY, "test");
}

/* What the netdev does: socket open -> handshake on the next turn. */
static void socket_opened(Fixture *f)
{
    vhost_user_conn_set_state(&f->conn, VHOST_USER_CONN_CONNECTING, "open");
    vhost_user_conn_timer_arm(&f->conn, 0, connect_cb);
}

static void drop(void *opaque)
{
    Fixture *f = opaque;
    f->drops++;
    /* chardev_disconnect() reports the close synchronously ... */
    vhost_user_conn_set_state(&f->conn, VHOST_USER_CONN_DISCONNECTED,
                              "closed");
    /* ... and a server may hand over its next client at once. */
    if (f->reconnect_on_drop) {
        socket_opened(f);
    }
}

static const VhostUserConnOps ops = { .drop = drop };

/* Run the main context until cond holds, or 5 s pass (a failure). */
static bool run_until(bool (*cond)(Fixture *f), Fixture *f)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!cond(f) && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, TRUE);
    }
    return cond(f);
}

static bool is_ready(Fixture *f)
{
    return f->conn.state == VHOST_USER_CONN_READY;
}

static bool dropped_once(Fixture *f)
{
    return f->drops >= 1;
}

static void fixture_init(Fixture *f)
{
    *f = (Fixture) { 0 };
    vhost_user_conn_init(&f->conn, "netdev test", &ops, f);
}

static void start_fails(Fixture *f)
{
    vhost_user_conn_set_state(&f->conn, VHOST_USER_CONN_STARTING, "test");
    vhost_user_conn_fail(&f->conn, "start failed");
}

static void test_failed_start_drops(void)
{
    Fixture f;
    fixture_init(&f);
    f.reconnect_on_drop = true;
    socket_opened(&f);
    g_assert_true(run_until(is_ready, &f));
    g_assert_true(vhost_user_conn_is_ready(&f.conn));

    start_fails(&f);
    g_assert_cmpint(f.conn.state, ==, VHOST_USER_CONN_FAILED);
    g_assert_false(vhost_user_conn_is_ready(&f.conn));
    g_assert_true(vhost_user_conn_timer_pending(&f.conn));
    guint armed = f.conn.timer;
    /* The guest tries DRIVER_OK again: nothing more is scheduled. */
    vhost_user_conn_fail(&f.conn, "start failed again");
    g_assert_cmpuint(f.conn.timer, ==, armed);

    /* The drop comes (at once, the first time), exactly once, and the
     * reconnect it triggers arms the timer from inside the callback. */
    g_assert_true(run_until(dropped_once, &f));
    g_assert_cmpuint(f.drops, ==, 1);
    g_assert_cmpint(f.conn.state, ==, VHOST_USER_CONN_CONNECTING);
    g_assert_true(vhost_user_conn_timer_pending(&f.conn));
    g_assert_true(run_until(is_ready, &f));
    g_assert_cmpuint(f.connects, ==, 2);
    g_assert_cmpuint(f.drops, ==, 1);

    /* A second failure waits the back-off; the back-end going away
     * meanwhile cancels the drop (no stale id, no late drop). */
    start_fails(&f);
    g_assert_cmpuint(f.conn.backoff_ms, ==, 2000);
    g_assert_true(vhost_user_conn_timer_pending(&f.conn));
    vhost_user_conn_set_state(&f.conn, VHOST_USER_CONN_DISCONNECTED,
                              "closed");
    g_assert_false(vhost_user_conn_timer_pending(&f.conn));
    g_main_context_iteration(NULL, FALSE);
    g_assert_cmpuint(f.drops, ==, 1);

    /* A good start forgets the failures. */
    socket_opened(&f);
    g_assert_true(run_until(is_ready, &f));
    vhost_user_conn_set_state(&f.conn, VHOST_USER_CONN_STARTING, "test");
    vhost_user_conn_set_state(&f.conn, VHOST_USER_CONN_RUNNING, "test");
    vhost_user_conn_started(&f.conn);
    g_assert_cmpuint(f.conn.backoff_ms, ==, 0);
    g_assert_cmpuint(f.conn.failures, ==, 0);
    vhost_user_conn_cleanup(&f.conn);
    g_assert_false(vhost_user_conn_timer_pending(&f.conn));
}

/* Many failing connections in a row (the fuzzer's pattern): each one is
 * dropped once, the back-off never exceeds its cap. */
static void test_repeated_failures(void)
{
    Fixture f;
    fixture_init(&f);
    for (unsigned i = 0; i < 8; i++) {
        socket_opened(&f);
        g_assert_true(run_until(is_ready, &f));
        start_fails(&f);
        g_assert_cmpuint(f.conn.backoff_ms, <=, 30000);
        /* The back-end hangs up before the drop. */
        vhost_user_conn_set_state(&f.conn, VHOST_USER_CONN_DISCONNECTED,
                                  "closed");
    }
    g_assert_cmpuint(f.conn.backoff_ms, ==, 30000);
    g_assert_cmpuint(f.conn.failures, ==, 8);
    g_assert_cmpuint(f.drops, ==, 0);
    vhost_user_conn_cleanup(&f.conn);
}

static void test_state_names(void)
{
    for (int st = VHOST_USER_CONN_DISCONNECTED; st <= VHOST_USER_CONN_FAILED;
         st++) {
        g_assert_cmpstr(vhost_user_conn_state_name(st), !=, "?");
    }
    g_assert_cmpstr(vhost_user_conn_state_name(99), ==, "?");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhost-user-conn/failed-start-drops",
                    test_failed_start_drops);
    g_test_add_func("/vhost-user-conn/repeated-failures",
                    test_repeated_failures);
    g_test_add_func("/vhost-user-conn/state-names", test_state_names);
    return g_test_run();
}
