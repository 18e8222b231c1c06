/*
 * Character devices (-chardev, -serial): a byte stream to the console, a
 * file, a pty, or a UNIX or TCP socket that may come and go (vhost-user
 * uses UNIX ones).  Writes never wait for a slow peer.  The owner gets
 * the bytes and OPENED/CLOSED events; a message-based owner such as
 * vhost-user takes the connected socket fd and does its own I/O.
 */
#ifndef VMU_CHARDEV_CHAR_H
#define VMU_CHARDEV_CHAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"
#include "util/opts.h"

typedef struct Chardev Chardev;

typedef enum ChrEvent {
    CHR_EVENT_OPENED,       /* connected (socket) or ready */
    CHR_EVENT_CLOSED,       /* peer gone; a client reconnects by itself */
} ChrEvent;

typedef struct ChardevHandlers {
    /* Bytes from the peer (stream owners only; NULL for fd owners). */
    void (*read)(void *opaque, const uint8_t *buf, size_t len);
    void (*event)(void *opaque, ChrEvent event);
} ChardevHandlers;

typedef struct ChardevOps {
    /* Best effort: never blocks the caller for long. */
    long (*write)(Chardev *chr, const void *buf, size_t len);
    void (*start_read)(Chardev *chr);
    int (*get_fd)(Chardev *chr);
    void (*disconnect)(Chardev *chr);
    void (*close)(Chardev *chr);
} ChardevOps;

struct Chardev {
    char *id;
    const char *type;           /* "socket", "stdio", "file", "null" */
    char *label;                /* for errors: the socket path, "stdio" */
    const ChardevOps *ops;
    const ChardevHandlers *handlers;
    void *opaque;
    const char *owner;          /* who claimed it ("netdev net0") */
    bool connected;
};

Chardev *chardev_new(const char *id, const char *type, const char *label,
                     const ChardevOps *ops, size_t size);
Chardev *chardev_find(const char *id);
/* Every chardev, in the order created (query-chardev). */
void chardev_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque);
/* Each chardev has one owner; a second claim fails naming the first. */
bool chardev_claim(Chardev *chr, const char *owner, Error **errp);
void chardev_set_handlers(Chardev *chr, const ChardevHandlers *h,
                          void *opaque);
long chardev_write(Chardev *chr, const void *buf, size_t len);
/* The connected socket's fd, or -1. */
int chardev_get_fd(Chardev *chr);
/* Drop the connection (the owner saw a broken peer); a client retries. */
void chardev_disconnect(Chardev *chr);
/* Called by chardev types to tell the owner. */
void chardev_event(Chardev *chr, ChrEvent event);
void chardev_received(Chardev *chr, const uint8_t *buf, size_t len);

/*
 * A consumer's defaults for the socket chardev it will claim, given in
 * the check phase (before chardevs are created); what the user wrote
 * wins.  vhost-user: a client retries every reconnect_ms, a server does
 * not wait for its first client, so start-up never waits on a back-end.
 */
void chardev_socket_set_policy(const char *id, unsigned reconnect_ms,
                               bool wait);
/* Whether -chardev socket options name a UNIX socket (fds pass). */
bool chardev_socket_opts_unix(const Opts *opts);

/*
 * char-mux.c: -serial mon:stdio.  be (stdio) shared by chardev id (the
 * console) and "ID-monitor" (type "mux-monitor", for an HMP monitor).
 */
bool chardev_mux_new(Chardev *be, const char *id, Error **errp);

/* The stdio chardev (the default serial port's), made on first use. */
Chardev *chardev_stdio(void);
/*
 * -serial SPEC (not "none") as -chardev options for a chardev named @id
 * (g_free), or NULL with *chr_id the chardev to use (chardev:ID), or NULL
 * with *chr_id NULL and @errp set.
 */
char *chardev_serial_opts(const char *spec, const char *id,
                          const char **chr_id, Error **errp);

#endif
