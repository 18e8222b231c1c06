/*
 * The qtest accelerator: no vCPU; a test program connected over a UNIX
 * socket reads and writes guest memory and ports with QEMU's qtest text
 * protocol.  ioeventfds and irqfds behave as under KVM, in user space.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "system/accel.h"
#include "system/machine.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "util/trace.h"

#define QTEST_CONNECT_TRIES     50      /* 100 ms apart: 5 s in all */
#define QTEST_MAX_BUFFER        (256u << 20)

typedef struct IoEventFd {
    AddressSpaceId as;
    uint64_t addr;
    unsigned len;
    bool match_data;
    uint64_t data;
    int fd;
} IoEventFd;

typedef struct IrqFd {
    int handle;
    int fd;
    MSIMessage msg;
    guint watch;
} IrqFd;

static int qtest_fd = -1;
static guint qtest_watch;
static GString *inbuf;
static GArray *ioeventfds;          /* IoEventFd */
static GPtrArray *irqfds;           /* IrqFd * */
static int next_irqfd_handle = 1;
static int64_t virtual_clock_ns;
static const char *intercept_dev;
static uint8_t irq_levels[256];

static void qtest_send(const char *s, size_t len)
{
    while (len && qtest_fd >= 0) {
        ssize_t n = write(qtest_fd, s, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = { .fd = qtest_fd, .events = POLLOUT };
            poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0) {
            return;             /* the read side sees the close */
        }
        s += n;
        len -= n;
    }
}

static void qtest_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void qtest_sendf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    trace(qtest_send, "%s", s);
    qtest_send(s, strlen(s));
    g_free(s);
}

/* ---- KVM semantics in user space ---- */

static bool qtest_ioeventfd_add(AddressSpaceId as, uint64_t addr,
                                unsigned len, bool match_data, uint64_t data,
                                int fd, Error **errp)
{
    IoEventFd e = { as, addr, len, match_data, data, fd };
    for (unsigned i = 0; i < ioeventfds->len; i++) {
        IoEventFd *o = &g_array_index(ioeventfds, IoEventFd, i);
        if (o->as == as && o->addr == addr && o->len == len &&
            o->match_data == match_data && (!match_data || o->data == data)) {
            error_setg(errp, "an ioeventfd at 0x%" PRIx64 " is already "
                       "registered", addr);
            return false;
        }
    }
    g_array_append_val(ioeventfds, e);
    trace(qtest_ioeventfd_add, "%s 0x%" PRIx64 " len %u fd %d",
          as == AS_IO ? "io" : "mem", addr, len, fd);
    return true;
}

static void qtest_ioeventfd_del(AddressSpaceId as, uint64_t addr,
                                unsigned len, bool match_data, uint64_t data,
                                int fd)
{
    for (unsigned i = 0; i < ioeventfds->len; i++) {
        IoEventFd *o = &g_array_index(ioeventfds, IoEventFd, i);
        if (o->as == as && o->addr == addr && o->len == len &&
            o->fd == fd && o->match_data == match_data &&
            (!match_data || o->data == data)) {
            g_array_remove_index(ioeventfds, i);
            trace(qtest_ioeventfd_del, "0x%" PRIx64 " fd %d", addr, fd);
            return;
        }
    }
}

/* A guest write that an ioeventfd takes instead of the device. */
static bool ioeventfd_hit(AddressSpaceId as, uint64_t addr, unsigned len,
                          uint64_t value)
{
    for (unsigned i = 0; i < ioeventfds->len; i++) {
        IoEventFd *o = &g_array_index(ioeventfds, IoEventFd, i);
        if (o->as == as && o->addr == addr && (!o->len || o->len == len) &&
            (!o->match_data || o->data == value)) {
            uint64_t one = 1;
            if (write(o->fd, &one, sizeof(one)) < 0) {
                trace(qtest_ioeventfd_error, "fd %d: %s", o->fd,
                      strerror(errno));
            }
            trace(qtest_ioeventfd_signal, "0x%" PRIx64 " fd %d", addr, o->fd);
            return true;
        }
    }
    return false;
}

static void qtest_msi_send(MSIMessage msg)
{
    uint32_t data = msg.data;     /* x86 is little endian, like the guest */
    trace(qtest_msi, "addr 0x%" PRIx64 " data 0x%x", msg.address, msg.data);
    memory_write(msg.address, &data, 4);
}

static gboolean irqfd_ready(int fd, GIOCondition cond, void *opaque)
{
    IrqFd *q = opaque;
    uint64_t cnt;
    if (read(fd, &cnt, sizeof(cnt)) == sizeof(cnt)) {
        qtest_msi_send(q->msg);
    }
    return G_SOURCE_CONTINUE;
}

static int qtest_irqfd_add(MSIMessage msg, int fd, Error **errp)
{
    IrqFd *q = g_new0(IrqFd, 1);
    q->handle = next_irqfd_handle++;
    q->fd = fd;
    q->msg = msg;
    q->watch = main_loop_add_fd(fd, G_IO_IN, irqfd_ready, q);
    g_ptr_array_add(irqfds, q);
    trace(qtest_irqfd_add, "handle %d fd %d addr 0x%" PRIx64 " data 0x%x",
          q->handle, fd, msg.address, msg.data);
    return q->handle;
}

static IrqFd *irqfd_find(int handle)
{
    for (unsigned i = 0; i < irqfds->len; i++) {
        IrqFd *q = g_ptr_array_index(irqfds, i);
        if (q->handle == handle) {
            return q;
        }
    }
    return NULL;
}

static bool qtest_irqfd_update(int handle, MSIMessage msg, Error **errp)
{
    IrqFd *q = irqfd_find(handle);
    if (!q) {
        error_setg(errp, "no irqfd route %d", handle);
        return false;
    }
    q->msg = msg;
    return true;
}

static void qtest_irqfd_del(int handle, int fd)
{
    IrqFd *q = irqfd_find(handle);
    if (q) {
        g_source_remove(q->watch);
        g_ptr_array_remove(irqfds, q);
        g_free(q);
    }
}

static void qtest_set_irq(unsigned gsi, bool level)
{
    if (gsi >= G_N_ELEMENTS(irq_levels) || irq_levels[gsi] == level) {
        return;
    }
    irq_levels[gsi] = level;
    if (intercept_dev && qtest_fd >= 0) {
        qtest_sendf("IRQ %s %u\n", level ? "raise" : "lower", gsi);
    }
}

/* ---- the protocol ---- */

static bool parse_u64(const char *s, uint64_t *out)
{
    /* As strtoull with base 0, and "-N" wrapping, like QEMU's parser. */
    const char *p = s;
    bool neg = false;
    char *end;
    if (!s || !*s) {
        return false;
    }
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (!g_ascii_isdigit(*p)) {
        return false;
    }
    errno = 0;
    uint64_t v = g_ascii_strtoull(p, &end, 0);
    if (errno || *end) {
        return false;
    }
    *out = neg ? -v : v;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = g_ascii_tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static const char *const qtest_devices[] = { "ioapic", "/machine/ioapic",
                                             NULL };

static void cmd_access(char **w, unsigned nw)
{
    const char *c = w[0];
    bool in = c[0] == 'i', out = c[0] == 'o';
    bool pio = in || out;
    bool is_read = in || c[0] == 'r';
    char suffix = c[strlen(c) - 1];
    unsigned size = suffix == 'b' ? 1 : suffix == 'w' ? 2 : suffix == 'l' ?
                    4 : 8;
    uint64_t addr, value = 0;

    if (nw < (is_read ? 2u : 3u)) {
        qtest_sendf("FAIL %s needs %s\n", c, is_read ? "an address" :
                    "an address and a value");
        return;
    }
    if (!parse_u64(w[1], &addr)) {
        qtest_sendf("FAIL bad address '%s'\n", w[1]);
        return;
    }
    if (!is_read && !parse_u64(w[2], &value)) {
        qtest_sendf("FAIL bad value '%s'\n", w[2]);
        return;
    }
    if (pio && addr > 0xffff) {
        qtest_sendf("FAIL port 0x%" PRIx64 " is past 0xffff\n", addr);
        return;
    }
    if (size < 8) {
        value &= (1ULL << (8 * size)) - 1;
    }
    if (pio) {
        if (in) {
            qtest_sendf("OK 0x%04x\n", (uint32_t)io_read(AS_IO, addr, size));
        } else {
            if (!ioeventfd_hit(AS_IO, addr, size, value)) {
                io_write(AS_IO, addr, value, size);
            }
            qtest_sendf("OK\n");
        }
        return;
    }
    if (is_read) {
        uint64_t v = 0;
        memory_read(addr, &v, size);
        qtest_sendf("OK 0x%016" PRIx64 "\n", v);
    } else {
        if (!ioeventfd_hit(AS_MEMORY, addr, size, value)) {
            memory_write(addr, &value, size);
        }
        qtest_sendf("OK\n");
    }
}

static bool parse_addr_size(char **w, unsigned nw, unsigned need,
                            uint64_t *addr, uint64_t *size)
{
    if (nw < need) {
        qtest_sendf("FAIL %s needs %u arguments\n", w[0], need - 1);
        return false;
    }
    if (!parse_u64(w[1], addr)) {
        qtest_sendf("FAIL bad address '%s'\n", w[1]);
        return false;
    }
    if (!parse_u64(w[2], size)) {
        qtest_sendf("FAIL bad size '%s'\n", w[2]);
        return false;
    }
    if (*size == 0 || *size > QTEST_MAX_BUFFER) {
        qtest_sendf("FAIL size must be 1 to %u\n", QTEST_MAX_BUFFER);
        return false;
    }
    return true;
}

static void cmd_read(char **w, unsigned nw, bool b64)
{
    uint64_t addr, size;
    if (!parse_addr_size(w, nw, 3, &addr, &size)) {
        return;
    }
    uint8_t *data = g_malloc(size);
    memory_read(addr, data, size);
    if (b64) {
        char *enc = g_base64_encode(data, size);
        qtest_sendf("OK %s\n", enc);
        g_free(enc);
    } else {
        static const char hex[] = "0123456789abcdef";
        char *s = g_malloc(size * 2 + 6);
        memcpy(s, "OK 0x", 5);
        for (uint64_t i = 0; i < size; i++) {
            s[5 + 2 * i] = hex[data[i] >> 4];
            s[6 + 2 * i] = hex[data[i] & 15];
        }
        s[5 + 2 * size] = '\n';
        qtest_send(s, size * 2 + 6);
        g_free(s);
    }
    g_free(data);
}

static void guest_write(uint64_t addr, const uint8_t *data, uint64_t size)
{
    if (size == 1 || size == 2 || size == 4 || size == 8) {
        uint64_t v = 0;
        memcpy(&v, data, size);
        if (ioeventfd_hit(AS_MEMORY, addr, size, v)) {
            return;
        }
    }
    memory_write(addr, data, size);
}

static void cmd_write(char **w, unsigned nw, bool b64)
{
    uint64_t addr, size;
    if (!parse_addr_size(w, nw, 4, &addr, &size)) {
        return;
    }
    const char *text = w[3];
    uint8_t *data = g_malloc0(size);
    if (b64) {
        gsize n;
        guchar *dec = g_base64_decode(text, &n);
        memcpy(data, dec, MIN(n, size));
        g_free(dec);
    } else {
        size_t len = strlen(text);
        if (len < 3) {
            qtest_sendf("ERR invalid argument size\n");
            g_free(data);
            return;
        }
        /* Bytes the text does not give are zero, as in QEMU. */
        for (uint64_t i = 0; i < size && 2 * i + 4 <= len; i++) {
            int hi = hexval(text[2 + 2 * i]), lo = hexval(text[3 + 2 * i]);
            if (hi < 0 || lo < 0) {
                qtest_sendf("FAIL bad hex data '%s'\n", text);
                g_free(data);
                return;
            }
            data[i] = hi << 4 | lo;
        }
    }
    guest_write(addr, data, size);
    g_free(data);
    qtest_sendf("OK\n");
}

static void cmd_memset(char **w, unsigned nw)
{
    uint64_t addr, size, value;
    if (nw < 4) {
        qtest_sendf("FAIL memset needs an address, a size and a value\n");
        return;
    }
    if (!parse_u64(w[1], &addr) || !parse_u64(w[2], &size) ||
        !parse_u64(w[3], &value)) {
        qtest_sendf("FAIL bad number in memset\n");
        return;
    }
    /*
     * The same bound as read and write: one command must answer in bounded
     * time.  Size 0 stays an OK no-op, as in QEMU.
     */
    if (size > QTEST_MAX_BUFFER) {
        qtest_sendf("FAIL size must be 0 to %u\n", QTEST_MAX_BUFFER);
        return;
    }
    uint8_t chunk[4096];
    memset(chunk, (uint8_t)value, sizeof(chunk));
    while (size) {
        uint64_t n = MIN(size, sizeof(chunk));
        memory_write(addr, chunk, n);
        if (addr + n <= addr) {
            break;      /* reached 2^64: like memory_write, do not wrap to 0 */
        }
        addr += n;
        size -= n;
    }
    qtest_sendf("OK\n");
}

static void cmd_clock(char **w, unsigned nw, bool set)
{
    uint64_t ns = 0;
    if (nw >= 2 && !parse_u64(w[1], &ns)) {
        qtest_sendf("FAIL bad time '%s'\n", w[1]);
        return;
    }
    if (set) {
        if (nw < 2) {
            qtest_sendf("FAIL clock_set needs a time in ns\n");
            return;
        }
        if ((int64_t)ns > virtual_clock_ns) {
            virtual_clock_ns = ns;
        }
    } else {
        /* No virtual timers: without an argument there is no deadline. */
        virtual_clock_ns += ns;
    }
    qtest_sendf("OK %" PRIi64 "\n", virtual_clock_ns);
}

static void cmd_irq_intercept(char **w, unsigned nw)
{
    if (nw < 2) {
        qtest_sendf("FAIL %s needs a device path\n", w[0]);
        return;
    }
    const char *dev = NULL;
    for (unsigned i = 0; qtest_devices[i]; i++) {
        if (!strcmp(w[1], qtest_devices[i])) {
            dev = qtest_devices[0];
        }
    }
    if (!dev) {
        qtest_sendf("FAIL Unknown device\n");
        return;
    }
    if (intercept_dev && strcmp(intercept_dev, dev)) {
        qtest_sendf("FAIL IRQ intercept already enabled\n");
        return;
    }
    intercept_dev = dev;
    qtest_sendf("OK\n");
}

static void qtest_process_command(char *line)
{
    char **w = g_strsplit_set(line, " ", -1);
    unsigned nw = 0;
    /* Drop empty words from repeated spaces. */
    for (unsigned i = 0; w[i]; i++) {
        if (*w[i]) {
            w[nw++] = w[i];
        } else {
            g_free(w[i]);
        }
    }
    w[nw] = NULL;
    trace(qtest_command, "%s", line);

    const char *c = nw ? w[0] : "";
    if (!strcmp(c, "outb") || !strcmp(c, "outw") || !strcmp(c, "outl") ||
        !strcmp(c, "inb") || !strcmp(c, "inw") || !strcmp(c, "inl") ||
        !strcmp(c, "writeb") || !strcmp(c, "writew") ||
        !strcmp(c, "writel") || !strcmp(c, "writeq") ||
        !strcmp(c, "readb") || !strcmp(c, "readw") ||
        !strcmp(c, "readl") || !strcmp(c, "readq")) {
        cmd_access(w, nw);
    } else if (!strcmp(c, "read")) {
        cmd_read(w, nw, false);
    } else if (!strcmp(c, "b64read")) {
        cmd_read(w, nw, true);
    } else if (!strcmp(c, "write")) {
        cmd_write(w, nw, false);
    } else if (!strcmp(c, "b64write")) {
        cmd_write(w, nw, true);
    } else if (!strcmp(c, "memset")) {
        cmd_memset(w, nw);
    } else if (!strcmp(c, "clock_step")) {
        cmd_clock(w, nw, false);
    } else if (!strcmp(c, "clock_set")) {
        cmd_clock(w, nw, true);
    } else if (!strcmp(c, "endianness")) {
        qtest_sendf("OK little\n");
    } else if (!strcmp(c, "irq_intercept_in") ||
               !strcmp(c, "irq_intercept_out")) {
        cmd_irq_intercept(w, nw);
    } else {
        qtest_sendf("FAIL Unknown command '%s'\n", c);
    }
    g_strfreev(w);
}

static void qtest_close(void)
{
    if (qtest_watch) {
        g_source_remove(qtest_watch);
        qtest_watch = 0;
    }
    if (qtest_fd >= 0) {
        close(qtest_fd);
        qtest_fd = -1;
    }
}

static gboolean qtest_readable(int fd, GIOCondition cond, void *opaque)
{
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        trace(qtest_closed, "%s", n < 0 ? strerror(errno) : "EOF");
        qtest_watch = 0;
        qtest_close();
        shutdown_request(SHUTDOWN_QTEST, 0);
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(inbuf, buf, n);
    char *nl;
    while (qtest_fd >= 0 && (nl = memchr(inbuf->str, '\n', inbuf->len))) {
        size_t len = nl - inbuf->str;
        char *line = g_strndup(inbuf->str, len);
        g_string_erase(inbuf, 0, len + 1);
        g_strchomp(line);
        qtest_process_command(line);
        g_free(line);
    }
    if (inbuf->len > QTEST_MAX_BUFFER * 2 + 1024) {
        error_report("qtest: a command line longer than %u bytes; closing",
                     QTEST_MAX_BUFFER * 2 + 1024);
        qtest_watch = 0;
        qtest_close();
        shutdown_request(SHUTDOWN_QTEST, 0);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static bool qtest_init(MachineState *ms, Error **errp)
{
    ioeventfds = g_array_new(FALSE, TRUE, sizeof(IoEventFd));
    irqfds = g_ptr_array_new();
    inbuf = g_string_new(NULL);
    return true;
}

static bool qtest_start(MachineState *ms, Error **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *path = ms->qtest;
    int err = 0;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        error_setg(errp, "-qtest unix:%s: the path is longer than %zu bytes",
                   path, sizeof(sa.sun_path) - 1);
        return false;
    }
    strcpy(sa.sun_path, path);
    for (unsigned i = 0; i < QTEST_CONNECT_TRIES; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            error_setg_errno(errp, errno, "-qtest: cannot create a socket");
            return false;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            qtest_fd = fd;
            break;
        }
        err = errno;
        close(fd);
        g_usleep(100 * 1000);
    }
    if (qtest_fd < 0) {
        error_setg_errno(errp, err, "-qtest unix:%s: cannot connect for 5 s "
                         "(is the test program listening there?)", path);
        return false;
    }
    trace(qtest_connected, "%s", path);
    qtest_watch = main_loop_add_fd(qtest_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                   qtest_readable, NULL);
    return true;
}

static void qtest_stop(void)
{
    qtest_close();
}

static const AccelOps qtest_ops = {
    .name = "qtest",
    .init = qtest_init,
    .start = qtest_start,
    .stop = qtest_stop,
    .ioeventfd_add = qtest_ioeventfd_add,
    .ioeventfd_del = qtest_ioeventfd_del,
    .irqfd_add = qtest_irqfd_add,
    .irqfd_update = qtest_irqfd_update,
    .irqfd_del = qtest_irqfd_del,
    .msi_send = qtest_msi_send,
    .set_irq = qtest_set_irq,
};

static void __attribute__((constructor)) qtest_accel_register(void)
{
    accel_register(&qtest_ops);
}
