/*
 * One vhost-user connection's state and its one timer.  The timer's id is
 * forgotten before its callback runs and whenever the state changes, so a
 * callback may re-arm it and no stale id is ever removed.
 */
#include "hw/virtio/vhost-user-conn.h"
#include "hw/virtio/vhost-user-loop.h"
#include "util/trace.h"

/* A connection that failed is dropped after this, doubling up to the max. */
#define VHOST_USER_CONN_BACKOFF_MS      1000
#define VHOST_USER_CONN_BACKOFF_MAX_MS  30000

static const char *const state_names[] = {
    [VHOST_USER_CONN_DISCONNECTED] = "disconnected",
    [VHOST_USER_CONN_CONNECTING] = "connecting",
    [VHOST_USER_CONN_NEGOTIATING] = "negotiating",
    [VHOST_USER_CONN_REFUSED] = "refused",
    [VHOST_USER_CONN_READY] = "ready",
    [VHOST_USER_CONN_STARTING] = "starting",
    [VHOST_USER_CONN_RUNNING] = "running",
    [VHOST_USER_CONN_STOPPING] = "stopping",
    [VHOST_USER_CONN_FAILED] = "failed",
};

const char *vhost_user_conn_state_name(VhostUserConnState st)
{
    return (unsigned)st < G_N_ELEMENTS(state_names) ? state_names[st] : "?";
}

void vhost_user_conn_init(VhostUserConn *c, const char *label,
                          const VhostUserConnOps *ops, void *opaque)
{
    *c = (VhostUserConn) {
        .label = label,
        .state = VHOST_USER_CONN_DISCONNECTED,
        .ops = ops,
        .opaque = opaque,
    };
}

void vhost_user_conn_timer_cancel(VhostUserConn *c)
{
    if (c->timer) {
        vhost_user_loop_remove(c->timer);
        c->timer = 0;
        c->timer_fn = NULL;
    }
}

void vhost_user_conn_cleanup(VhostUserConn *c)
{
    vhost_user_conn_timer_cancel(c);
}

static gboolean conn_timer_cb(void *opaque)
{
    VhostUserConn *c = opaque;
    VhostUserConnTimerFn *fn = c->timer_fn;

    c->timer = 0;
    c->timer_fn = NULL;
    trace(vhost_user_conn_timer_fired, "%s: %s", c->label,
          vhost_user_conn_state_name(c->state));
    fn(c);
    return G_SOURCE_REMOVE;
}

void vhost_user_conn_timer_arm(VhostUserConn *c, unsigned ms,
                               VhostUserConnTimerFn *fn)
{
    vhost_user_conn_timer_cancel(c);
    trace(vhost_user_conn_timer_arm, "%s: %s in %u ms", c->label,
          vhost_user_conn_state_name(c->state), ms);
    c->timer_fn = fn;
    c->timer = vhost_user_loop_add_timer_ms(ms, conn_timer_cb, c);
}

void vhost_user_conn_set_state(VhostUserConn *c, VhostUserConnState st,
                               const char *why)
{
    vhost_user_conn_timer_cancel(c);
    trace(vhost_user_conn_state, "%s: %s -> %s (%s)", c->label,
          vhost_user_conn_state_name(c->state),
          vhost_user_conn_state_name(st), why);
    c->state = st;
}

static void conn_drop(VhostUserConn *c)
{
    trace(vhost_user_conn_drop, "%s: after %u failures", c->label,
          c->failures);
    c->ops->drop(c->opaque);
}

void vhost_user_conn_fail(VhostUserConn *c, const char *why)
{
    unsigned ms = c->backoff_ms;

    if (c->state == VHOST_USER_CONN_FAILED) {
        return;                         /* the drop is armed already */
    }
    vhost_user_conn_set_state(c, VHOST_USER_CONN_FAILED, why);
    c->failures++;
    c->backoff_ms = MIN(MAX(2 * c->backoff_ms, VHOST_USER_CONN_BACKOFF_MS),
                        VHOST_USER_CONN_BACKOFF_MAX_MS);
    vhost_user_conn_timer_arm(c, ms, conn_drop);
}

void vhost_user_conn_started(VhostUserConn *c)
{
    c->backoff_ms = 0;
    c->failures = 0;
}

bool vhost_user_conn_is_ready(const VhostUserConn *c)
{
    return c->state >= VHOST_USER_CONN_READY &&
           c->state != VHOST_USER_CONN_FAILED;
}
