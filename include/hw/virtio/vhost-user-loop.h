/*
 * What the vhost-user front-end library needs from its program's main
 * loop: fd watches and one-shot timers, removed by id.  By default GLib's
 * default main context serves them (vmu's main loop is that context, and
 * so is vmu-vhost-client's); a program with another loop sets its own.
 */
#ifndef VMU_HW_VIRTIO_VHOST_USER_LOOP_H
#define VMU_HW_VIRTIO_VHOST_USER_LOOP_H

#include <glib.h>

typedef gboolean VhostUserFdFn(int fd, GIOCondition cond, void *opaque);

typedef struct VhostUserLoop {
    guint (*add_fd)(int fd, GIOCondition cond, VhostUserFdFn *fn,
                    void *opaque);
    /* fn runs once after ms (it returns G_SOURCE_REMOVE). */
    guint (*add_timer_ms)(unsigned ms, GSourceFunc fn, void *opaque);
    void (*remove)(guint id);
} VhostUserLoop;

/* Before the first connection; NULL: back to GLib's default context. */
void vhost_user_loop_set(const VhostUserLoop *loop);

guint vhost_user_loop_add_fd(int fd, GIOCondition cond, VhostUserFdFn *fn,
                             void *opaque);
guint vhost_user_loop_add_timer_ms(unsigned ms, GSourceFunc fn,
                                   void *opaque);
void vhost_user_loop_remove(guint id);

#endif
