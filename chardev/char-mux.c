/*
 * -serial mon:stdio: the terminal shared by the serial console and an HMP
 * monitor, as in QEMU.  Output from both goes to the terminal; input goes
 * to the one that has the focus, the console first.  Ctrl-A c moves the
 * focus, Ctrl-A x ends vmu, Ctrl-A h lists the keys, Ctrl-A Ctrl-A sends
 * one Ctrl-A.  The monitor's side is a chardev of type "mux-monitor",
 * which the monitor layer puts an HMP on.
 */
#include <string.h>

#include "chardev/char.h"
#include "system/main-loop.h"
#include "util/trace.h"

#define MUX_ESCAPE 0x01     /* Ctrl-A */

static Chardev *mux_be;
static Chardev *mux_front[2];   /* 0: the console, 1: the monitor */
static unsigned mux_focus;
static bool mux_escape;

static long mux_write(Chardev *chr, const void *buf, size_t len)
{
    return chardev_write(mux_be, buf, len);
}

static const ChardevOps mux_ops = {
    .write = mux_write,
};

static void mux_help(void)
{
    static const char text[] =
        "\r\nC-a h    print this help\r\n"
        "C-a x    exit vmu\r\n"
        "C-a c    switch between the console and the monitor\r\n"
        "C-a C-a  send C-a\r\n";
    chardev_write(mux_be, text, sizeof(text) - 1);
}

static void mux_key(uint8_t c)
{
    switch (c) {
    case 'c':
        mux_focus ^= 1;
        trace(chardev_mux_focus, "%s", mux_focus ? "monitor" : "console");
        if (mux_focus && !mux_front[1]->connected) {
            chardev_event(mux_front[1], CHR_EVENT_OPENED);     /* banner */
        } else {
            chardev_write(mux_be, "\r\n", 2);
        }
        break;
    case 'x': {
        static const char bye[] = "\r\nvmu: terminating on C-a x\r\n";
        chardev_write(mux_be, bye, sizeof(bye) - 1);
        shutdown_request(SHUTDOWN_SIGNAL, 0);
        break;
    }
    case 'h':
    case '?':
        mux_help();
        break;
    case MUX_ESCAPE:
        chardev_received(mux_front[mux_focus], &c, 1);
        break;
    default:
        break;      /* QEMU ignores other keys after C-a too */
    }
}

static void mux_read(void *opaque, const uint8_t *buf, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (!mux_escape && buf[i] != MUX_ESCAPE) {
            continue;
        }
        if (i > start) {
            chardev_received(mux_front[mux_focus], buf + start, i - start);
        }
        if (mux_escape) {
            mux_escape = false;
            mux_key(buf[i]);
        } else {
            mux_escape = true;
        }
        start = i + 1;
    }
    if (len > start) {
        chardev_received(mux_front[mux_focus], buf + start, len - start);
    }
}

static const ChardevHandlers mux_be_handlers = {
    .read = mux_read,
};

bool chardev_mux_new(Chardev *be, const char *id, Error **errp)
{
    if (mux_be) {
        error_setg(errp, "chardev '%s': there is one mon:stdio; give the "
                   "other serial ports their own chardevs", id);
        return false;
    }
    if (!chardev_claim(be, "mon:stdio", errp)) {
        return false;
    }
    mux_be = be;
    mux_front[0] = chardev_new(id, "stdio", "stdio", &mux_ops,
                               sizeof(Chardev));
    char *mon_id = g_strdup_printf("%s-monitor", id);
    mux_front[1] = chardev_new(mon_id, "mux-monitor", "stdio", &mux_ops,
                               sizeof(Chardev));
    g_free(mon_id);
    mux_front[0]->connected = true;
    chardev_set_handlers(be, &mux_be_handlers, NULL);
    return true;
}
