/*
 * The state of one vhost-user connection, as its consumer (the netdev)
 * drives it: one explicit state, every transition traced, and one timer
 * for whatever the state waits on (the deferred handshake, the back-off
 * before a failed connection is dropped).  Entering a state cancels the
 * timer of the state left, so a timer can never outlive its purpose.
 */
#ifndef VMU_HW_VIRTIO_VHOST_USER_CONN_H
#define VMU_HW_VIRTIO_VHOST_USER_CONN_H

#include <glib.h>
#include <stdbool.h>

typedef enum VhostUserConnState {
    VHOST_USER_CONN_DISCONNECTED,   /* no back-end */
    VHOST_USER_CONN_CONNECTING,     /* socket open, handshake scheduled */
    VHOST_USER_CONN_NEGOTIATING,    /* handshake under way */
    VHOST_USER_CONN_REFUSED,        /* connected, but unusable (config) */
    VHOST_USER_CONN_READY,          /* handshake done, rings not handed */
    VHOST_USER_CONN_STARTING,       /* the start sequence under way */
    VHOST_USER_CONN_RUNNING,        /* the back-end has the rings */
    VHOST_USER_CONN_STOPPING,       /* taking the rings back */
    VHOST_USER_CONN_FAILED,         /* a request failed: dropped soon */
} VhostUserConnState;

typedef struct VhostUserConn VhostUserConn;
typedef void VhostUserConnTimerFn(VhostUserConn *c);

typedef struct VhostUserConnOps {
    /* FAILED's back-off ran out: close the connection (the chardev
     * reconnects or takes the next client). */
    void (*drop)(void *opaque);
} VhostUserConnOps;

struct VhostUserConn {
    const char *label;              /* "netdev net0", the caller's */
    VhostUserConnState state;
    const VhostUserConnOps *ops;
    void *opaque;
    guint timer;                    /* the one timer, 0 when none */
    VhostUserConnTimerFn *timer_fn;
    unsigned backoff_ms;            /* the next drop's delay */
    unsigned failures;              /* since the last good start */
};

/* A connection starts DISCONNECTED. */
void vhost_user_conn_init(VhostUserConn *c, const char *label,
                          const VhostUserConnOps *ops, void *opaque);
/* Cancels the timer (at exit). */
void vhost_user_conn_cleanup(VhostUserConn *c);

const char *vhost_user_conn_state_name(VhostUserConnState st);
/* Enter st (traced with why); the old state's timer is cancelled. */
void vhost_user_conn_set_state(VhostUserConn *c, VhostUserConnState st,
                               const char *why);

/*
 * Run fn after ms on the main loop, replacing the state's timer.  The
 * timer is cleared before fn runs, so fn may arm it again.
 */
void vhost_user_conn_timer_arm(VhostUserConn *c, unsigned ms,
                               VhostUserConnTimerFn *fn);
void vhost_user_conn_timer_cancel(VhostUserConn *c);
static inline bool vhost_user_conn_timer_pending(const VhostUserConn *c)
{
    return c->timer != 0;
}

/*
 * A request failed: enter FAILED and drop the connection after the
 * back-off (0 the first time, then doubling from 1 s up to 30 s while
 * failures go on).  Failing again while FAILED changes nothing.
 */
void vhost_user_conn_fail(VhostUserConn *c, const char *why);
/* The rings started: failures are forgotten, the next back-off is 0. */
void vhost_user_conn_started(VhostUserConn *c);

/* The handshake is done (READY or beyond, FAILED excepted). */
bool vhost_user_conn_is_ready(const VhostUserConn *c);

#endif
