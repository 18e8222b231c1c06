/*
 * The front-end library's main-loop hook, GLib's default context unless
 * the program says otherwise.
 */
#include <glib-unix.h>

#include "hw/virtio/vhost-user-loop.h"

typedef struct GlibFdWatch {
    VhostUserFdFn *fn;
    void *opaque;
} GlibFdWatch;

static gboolean glib_fd_dispatch(gint fd, GIOCondition cond, gpointer data)
{
    GlibFdWatch *w = data;
    return w->fn(fd, cond, w->opaque);
}

static guint glib_add_fd(int fd, GIOCondition cond, VhostUserFdFn *fn,
                         void *opaque)
{
    GlibFdWatch *w = g_new(GlibFdWatch, 1);
    w->fn = fn;
    w->opaque = opaque;
    return g_unix_fd_add_full(G_PRIORITY_DEFAULT, fd, cond, glib_fd_dispatch,
                              w, g_free);
}

static guint glib_add_timer_ms(unsigned ms, GSourceFunc fn, void *opaque)
{
    return g_timeout_add(ms, fn, opaque);
}

static void glib_remove(guint id)
{
    g_source_remove(id);
}

static const VhostUserLoop glib_loop = {
    .add_fd = glib_add_fd,
    .add_timer_ms = glib_add_timer_ms,
    .remove = glib_remove,
};

static const VhostUserLoop *loop = &glib_loop;

void vhost_user_loop_set(const VhostUserLoop *l)
{
    loop = l ? l : &glib_loop;
}

guint vhost_user_loop_add_fd(int fd, GIOCondition cond, VhostUserFdFn *fn,
                             void *opaque)
{
    return loop->add_fd(fd, cond, fn, opaque);
}

guint vhost_user_loop_add_timer_ms(unsigned ms, GSourceFunc fn, void *opaque)
{
    return loop->add_timer_ms(ms, fn, opaque);
}

void vhost_user_loop_remove(guint id)
{
    loop->remove(id);
}
