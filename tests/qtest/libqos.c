/*
 * Guest-side helpers for qtests: firmware and driver work done through
 * the qtest socket, the same against vmu and QEMU.
 */
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "libqos.h"

void guest_alloc_init(QGuestAlloc *a, uint64_t start, uint64_t end)
{
    a->next = start;
    a->end = end;
}

uint64_t guest_alloc(QGuestAlloc *a, uint64_t size, uint64_t align)
{
    uint64_t addr = (a->next + align - 1) & ~(align - 1);
    g_assert_cmpuint(addr + size, <=, a->end);
    a->next = addr + size;
    return addr;
}

uint32_t qnet_sum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        sum += i & 1 ? p[i] : p[i] << 8;
    }
    return sum;
}

uint16_t qnet_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

/* ---- PCI: configuration mechanism 1 ---- */

uint32_t qpci_config_read(QTestState *s, uint8_t devfn, uint8_t off,
                          unsigned len)
{
    qtest_outl(s, 0xcf8, 0x80000000 | devfn << 8 | (off & 0xfc));
    switch (len) {
    case 1:
        return qtest_inb(s, 0xcfc + (off & 3));
    case 2:
        return qtest_inw(s, 0xcfc + (off & 2));
    default:
        return qtest_inl(s, 0xcfc);
    }
}

void qpci_config_write(QTestState *s, uint8_t devfn, uint8_t off, uint32_t v,
                       unsigned len)
{
    qtest_outl(s, 0xcf8, 0x80000000 | devfn << 8 | (off & 0xfc));
    switch (len) {
    case 1:
        qtest_outb(s, 0xcfc + (off & 3), v);
        break;
    case 2:
        qtest_outw(s, 0xcfc + (off & 2), v);
        break;
    default:
        qtest_outl(s, 0xcfc, v);
        break;
    }
}

bool qpci_find(QTestState *s, uint16_t vendor, uint16_t device,
               QPCIDevice *dev)
{
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        uint32_t id = qpci_config_read(s, devfn, 0, 4);
        if (id == (uint32_t)(device << 16 | vendor)) {
            memset(dev, 0, sizeof(*dev));
            dev->qts = s;
            dev->devfn = devfn;
            return true;
        }
        if (id == 0xffffffff && !(devfn & 7)) {
            devfn += 7;         /* no function 0: skip the slot */
        }
    }
    return false;
}

uint64_t qpci_bar_size(QPCIDevice *dev, unsigned n)
{
    QTestState *s = dev->qts;
    uint8_t off = 0x10 + 4 * n;
    uint32_t orig = qpci_config_read(s, dev->devfn, off, 4);
    qpci_config_write(s, dev->devfn, off, 0xffffffff, 4);
    uint32_t lo = qpci_config_read(s, dev->devfn, off, 4);
    qpci_config_write(s, dev->devfn, off, orig, 4);
    if (!lo) {
        return 0;
    }
    if (lo & 1) {
        return (uint32_t)~(lo & ~3u) + 1;
    }
    uint64_t mask = lo & ~15u;
    if ((lo & 6) == 4) {
        uint32_t orig_hi = qpci_config_read(s, dev->devfn, off + 4, 4);
        qpci_config_write(s, dev->devfn, off + 4, 0xffffffff, 4);
        uint64_t hi = qpci_config_read(s, dev->devfn, off + 4, 4);
        qpci_config_write(s, dev->devfn, off + 4, orig_hi, 4);
        mask |= hi << 32;
        return ~mask + 1;
    }
    return (uint32_t)~mask + 1;
}

uint64_t qpci_bar_assign(QPCIDevice *dev, unsigned n, uint64_t addr)
{
    QTestState *s = dev->qts;
    uint8_t off = 0x10 + 4 * n;
    uint32_t lo = qpci_config_read(s, dev->devfn, off, 4);
    qpci_config_write(s, dev->devfn, off, (uint32_t)addr, 4);
    if (!(lo & 1) && (lo & 6) == 4) {
        qpci_config_write(s, dev->devfn, off + 4, addr >> 32, 4);
    }
    dev->bar[n] = addr;
    return addr;
}

void qpci_device_enable(QPCIDevice *dev)
{
    /* One window per test machine: devices get consecutive slices. */
    uint64_t mem = QPCI_MEM_WINDOW + dev->devfn * 0x100000ULL;
    uint64_t io = QPCI_IO_WINDOW + dev->devfn * 0x40;
    for (unsigned n = 0; n < 6; n++) {
        uint32_t lo = qpci_config_read(dev->qts, dev->devfn, 0x10 + 4 * n, 4);
        uint64_t size = qpci_bar_size(dev, n);
        dev->bar_size[n] = size;
        if (!size) {
            continue;
        }
        dev->bar_io[n] = lo & 1;
        if (dev->bar_io[n]) {
            io = (io + size - 1) & ~(size - 1);
            qpci_bar_assign(dev, n, io);
            io += size;
        } else {
            mem = (mem + size - 1) & ~(size - 1);
            qpci_bar_assign(dev, n, mem);
            mem += size;
        }
        if (!(lo & 1) && (lo & 6) == 4) {
            n++;
        }
    }
    uint16_t cmd = qpci_config_read(dev->qts, dev->devfn, 4, 2);
    qpci_config_write(dev->qts, dev->devfn, 4, cmd | 7, 2);
}

uint8_t qpci_find_capability(QPCIDevice *dev, uint8_t id, uint8_t start)
{
    uint8_t off;
    unsigned guard = 0;
    if (!start) {
        if (!(qpci_config_read(dev->qts, dev->devfn, 6, 2) & 0x10)) {
            return 0;
        }
        off = qpci_config_read(dev->qts, dev->devfn, 0x34, 1);
    } else {
        off = qpci_config_read(dev->qts, dev->devfn, start + 1, 1);
    }
    while (off && guard++ < 48) {
        if (qpci_config_read(dev->qts, dev->devfn, off, 1) == id) {
            return off;
        }
        off = qpci_config_read(dev->qts, dev->devfn, off + 1, 1);
    }
    return 0;
}

static void msix_locate(QPCIDevice *dev)
{
    if (dev->msix_cap) {
        return;
    }
    dev->msix_cap = qpci_find_capability(dev, 0x11, 0);
    g_assert_cmpuint(dev->msix_cap, !=, 0);
    uint32_t table = qpci_config_read(dev->qts, dev->devfn,
                                      dev->msix_cap + 4, 4);
    uint32_t pba = qpci_config_read(dev->qts, dev->devfn, dev->msix_cap + 8,
                                    4);
    dev->msix_table = dev->bar[table & 7] + (table & ~7u);
    dev->msix_pba = dev->bar[pba & 7] + (pba & ~7u);
}

void qpci_msix_enable(QPCIDevice *dev)
{
    msix_locate(dev);
    uint16_t ctl = qpci_config_read(dev->qts, dev->devfn,
                                    dev->msix_cap + 2, 2);
    qpci_config_write(dev->qts, dev->devfn, dev->msix_cap + 2,
                      (ctl | 0x8000) & ~0x4000, 2);
}

void qpci_msix_disable(QPCIDevice *dev)
{
    msix_locate(dev);
    uint16_t ctl = qpci_config_read(dev->qts, dev->devfn,
                                    dev->msix_cap + 2, 2);
    qpci_config_write(dev->qts, dev->devfn, dev->msix_cap + 2,
                      ctl & ~0x8000, 2);
}

void qpci_msix_mask_all(QPCIDevice *dev, bool masked)
{
    msix_locate(dev);
    uint16_t ctl = qpci_config_read(dev->qts, dev->devfn,
                                    dev->msix_cap + 2, 2);
    ctl = masked ? ctl | 0x4000 : ctl & ~0x4000;
    qpci_config_write(dev->qts, dev->devfn, dev->msix_cap + 2, ctl, 2);
}

void qpci_msix_set_vector(QPCIDevice *dev, unsigned v, uint64_t addr,
                          uint32_t data)
{
    msix_locate(dev);
    uint64_t e = dev->msix_table + 16 * v;
    qtest_writel(dev->qts, e, (uint32_t)addr);
    qtest_writel(dev->qts, e + 4, addr >> 32);
    qtest_writel(dev->qts, e + 8, data);
    qtest_writel(dev->qts, e + 12, 0);
}

void qpci_msix_mask(QPCIDevice *dev, unsigned v, bool masked)
{
    msix_locate(dev);
    qtest_writel(dev->qts, dev->msix_table + 16 * v + 12, masked);
}

bool qpci_msix_pending(QPCIDevice *dev, unsigned v)
{
    msix_locate(dev);
    uint64_t word = qtest_readq(dev->qts, dev->msix_pba + (v / 64) * 8);
    return (word >> (v % 64)) & 1;
}

void qpci_intx_route(QPCIDevice *dev, uint8_t irq)
{
    uint8_t pin = qpci_config_read(dev->qts, dev->devfn, 0x3d, 1);
    unsigned slot = dev->devfn >> 3;
    g_assert_cmpuint(pin, >=, 1);
    g_assert_cmpuint(pin, <=, 4);
    /* The PIIX swizzle: slot 1 pin A is PIRQA, slot 2 pin A PIRQB, ... */
    unsigned pirq = (pin - 1 + slot - 1) & 3;
    qpci_config_write(dev->qts, 0x08, 0x60 + pirq, irq, 1);
    qpci_config_write(dev->qts, dev->devfn, 0x3c, irq, 1);
    /* Command bit 10 is INTx Disable. */
    uint16_t cmd = qpci_config_read(dev->qts, dev->devfn, 4, 2);
    qpci_config_write(dev->qts, dev->devfn, 4, cmd & ~(1u << 10), 2);
}

/* ---- virtio over PCI ---- */

bool qvirtio_pci_probe(QTestState *s, uint16_t virtio_id, QVirtioPCI *dev)
{
    memset(dev, 0, sizeof(*dev));
    dev->qts = s;
    if (!qpci_find(s, 0x1af4, 0x1040 + virtio_id, &dev->pci)) {
        return false;
    }
    qpci_device_enable(&dev->pci);
    for (uint8_t cap = qpci_find_capability(&dev->pci, 0x09, 0); cap;
         cap = qpci_find_capability(&dev->pci, 0x09, cap)) {
        uint8_t type = qpci_config_read(s, dev->pci.devfn, cap + 3, 1);
        uint8_t bar = qpci_config_read(s, dev->pci.devfn, cap + 4, 1);
        uint32_t off = qpci_config_read(s, dev->pci.devfn, cap + 8, 4);
        if (bar > 5 || type < 1 || type > 4 || (dev->caps_found & (1 << type))) {
            continue;       /* the first of each type is the preferred one */
        }
        uint64_t addr = dev->pci.bar[bar] + off;
        dev->caps_found |= 1 << type;
        switch (type) {
        case 1:
            dev->common = addr;
            break;
        case 2:
            dev->notify = addr;
            dev->notify_mult = qpci_config_read(s, dev->pci.devfn, cap + 16,
                                                4);
            break;
        case 3:
            dev->isr = addr;
            break;
        case 4:
            dev->device = addr;
            break;
        }
    }
    /* Rings and buffers from 16 MiB up, out of the way of nothing. */
    guest_alloc_init(&dev->alloc, 16 << 20, 120 << 20);
    return true;
}

uint8_t qvirtio_get_status(QVirtioPCI *dev)
{
    return qtest_readb(dev->qts, dev->common + VPCI_STATUS);
}

void qvirtio_set_status(QVirtioPCI *dev, uint8_t status)
{
    qtest_writeb(dev->qts, dev->common + VPCI_STATUS, status);
}

void qvirtio_reset(QVirtioPCI *dev)
{
    qvirtio_set_status(dev, 0);
    /* A reset may stay in progress (a vhost back-end still has the
     * rings): the driver waits for 0, as Linux's does. */
    gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (qvirtio_get_status(dev) && g_get_monotonic_time() < end) {
        g_usleep(200);
    }
    g_assert_cmpuint(qvirtio_get_status(dev), ==, 0);
}

uint64_t qvirtio_get_features(QVirtioPCI *dev)
{
    qtest_writel(dev->qts, dev->common + VPCI_DFSELECT, 0);
    uint64_t lo = qtest_readl(dev->qts, dev->common + VPCI_DF);
    qtest_writel(dev->qts, dev->common + VPCI_DFSELECT, 1);
    uint64_t hi = qtest_readl(dev->qts, dev->common + VPCI_DF);
    return hi << 32 | lo;
}

void qvirtio_set_features(QVirtioPCI *dev, uint64_t features)
{
    qtest_writel(dev->qts, dev->common + VPCI_GFSELECT, 0);
    qtest_writel(dev->qts, dev->common + VPCI_GF, (uint32_t)features);
    qtest_writel(dev->qts, dev->common + VPCI_GFSELECT, 1);
    qtest_writel(dev->qts, dev->common + VPCI_GF, features >> 32);
}

bool qvirtio_negotiate(QVirtioPCI *dev, uint64_t features)
{
    qvirtio_reset(dev);
    qvirtio_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
    qvirtio_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    qvirtio_set_features(dev, features);
    qvirtio_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                       VIRTIO_STATUS_FEATURES_OK);
    return qvirtio_get_status(dev) & VIRTIO_STATUS_FEATURES_OK;
}

uint8_t qvirtio_config_readb(QVirtioPCI *dev, unsigned off)
{
    return qtest_readb(dev->qts, dev->device + off);
}

uint16_t qvirtio_config_readw(QVirtioPCI *dev, unsigned off)
{
    return qtest_readw(dev->qts, dev->device + off);
}

uint32_t qvirtio_config_readl(QVirtioPCI *dev, unsigned off)
{
    return qtest_readl(dev->qts, dev->device + off);
}

QVirtQueue *qvirtqueue_setup(QVirtioPCI *dev, unsigned index, unsigned size,
                             uint16_t vector)
{
    QTestState *s = dev->qts;
    QVirtQueue *vq = g_new0(QVirtQueue, 1);
    vq->dev = dev;
    vq->index = index;
    vq->size = size;
    vq->desc = guest_alloc(&dev->alloc, 16 * size, 4096);
    vq->avail = guest_alloc(&dev->alloc, 6 + 2 * size, 2);
    vq->used = guest_alloc(&dev->alloc, 6 + 8 * size, 4096);
    qtest_memset(s, vq->desc, 0, 16 * size);
    qtest_memset(s, vq->avail, 0, 6 + 2 * size);
    qtest_memset(s, vq->used, 0, 6 + 8 * size);
    qtest_writew(s, dev->common + VPCI_Q_SELECT, index);
    qtest_writew(s, dev->common + VPCI_Q_SIZE, size);
    qtest_writew(s, dev->common + VPCI_Q_MSIX, vector);
    qtest_writel(s, dev->common + VPCI_Q_DESCLO, (uint32_t)vq->desc);
    qtest_writel(s, dev->common + VPCI_Q_DESCHI, vq->desc >> 32);
    qtest_writel(s, dev->common + VPCI_Q_AVAILLO, (uint32_t)vq->avail);
    qtest_writel(s, dev->common + VPCI_Q_AVAILHI, vq->avail >> 32);
    qtest_writel(s, dev->common + VPCI_Q_USEDLO, (uint32_t)vq->used);
    qtest_writel(s, dev->common + VPCI_Q_USEDHI, vq->used >> 32);
    uint16_t noff = qtest_readw(s, dev->common + VPCI_Q_NOFF);
    vq->notify_addr = dev->notify + (uint64_t)noff * dev->notify_mult;
    qtest_writew(s, dev->common + VPCI_Q_ENABLE, 1);
    return vq;
}

uint16_t qvirtqueue_add(QVirtQueue *vq, const QVirtBuf *bufs, unsigned n,
                        bool indirect)
{
    QTestState *s = vq->dev->qts;
    uint16_t head = vq->free_head;
    if (indirect) {
        uint64_t table = guest_alloc(&vq->dev->alloc, 16 * n, 16);
        for (unsigned i = 0; i < n; i++) {
            uint8_t d[16];
            uint64_t addr = bufs[i].addr;
            uint32_t len = bufs[i].len;
            uint16_t flags = (bufs[i].write ? VRING_DESC_F_WRITE : 0) |
                             (i + 1 < n ? VRING_DESC_F_NEXT : 0);
            uint16_t next = i + 1;
            memcpy(d, &addr, 8);
            memcpy(d + 8, &len, 4);
            memcpy(d + 12, &flags, 2);
            memcpy(d + 14, &next, 2);
            qtest_memwrite(s, table + 16 * i, d, 16);
        }
        uint64_t dsc = vq->desc + 16 * head;
        qtest_writeq(s, dsc, table);
        qtest_writel(s, dsc + 8, 16 * n);
        qtest_writel(s, dsc + 12, VRING_DESC_F_INDIRECT);
        vq->free_head = (head + 1) % vq->size;
    } else {
        uint16_t idx = head;
        for (unsigned i = 0; i < n; i++) {
            /* Descriptors are used round-robin: tests keep few in flight. */
            uint8_t d[16];
            uint64_t addr = bufs[i].addr;
            uint32_t len = bufs[i].len;
            uint16_t flags = (bufs[i].write ? VRING_DESC_F_WRITE : 0) |
                             (i + 1 < n ? VRING_DESC_F_NEXT : 0);
            uint16_t next = (idx + 1) % vq->size;
            memcpy(d, &addr, 8);
            memcpy(d + 8, &len, 4);
            memcpy(d + 12, &flags, 2);
            memcpy(d + 14, &next, 2);
            qtest_memwrite(s, vq->desc + 16 * idx, d, 16);
            idx = next;
        }
        vq->free_head = idx;
    }
    qtest_writew(s, vq->avail + 4 + 2 * (vq->avail_idx % vq->size), head);
    vq->avail_idx++;
    qtest_writew(s, vq->avail + 2, vq->avail_idx);
    return head;
}

void qvirtqueue_kick(QVirtQueue *vq)
{
    qtest_writew(vq->dev->qts, vq->notify_addr, vq->index);
}

bool qvirtqueue_get_used(QVirtQueue *vq, uint32_t *id, uint32_t *len,
                         unsigned timeout_ms)
{
    QTestState *s = vq->dev->qts;
    gint64 end = g_get_monotonic_time() + timeout_ms * 1000LL;
    while (qtest_readw(s, vq->used + 2) == vq->last_used) {
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_usleep(500);
    }
    uint64_t e = vq->used + 4 + 8 * (vq->last_used % vq->size);
    if (id) {
        *id = qtest_readl(s, e);
    }
    if (len) {
        *len = qtest_readl(s, e + 4);
    }
    vq->last_used++;
    if (vq->event_idx) {
        qtest_writew(s, vq->avail + 4 + 2 * vq->size, vq->last_used);
    }
    return true;
}

/* ---- fw_cfg ---- */

#define QFW_CFG_CTL  0x510
#define QFW_CFG_DATA 0x511

uint8_t *qfw_cfg_get_file(QTestState *s, const char *name, uint32_t *size)
{
    uint8_t hdr[4];
    qtest_outw(s, QFW_CFG_CTL, 0x19);
    for (unsigned k = 0; k < 4; k++) {
        hdr[k] = qtest_inb(s, QFW_CFG_DATA);
    }
    uint32_t count = (uint32_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 |
                     hdr[3];
    uint16_t sel = 0;
    g_assert_cmpuint(count, <, 4096);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t e[64];
        for (unsigned k = 0; k < 64; k++) {
            e[k] = qtest_inb(s, QFW_CFG_DATA);
        }
        if (!sel && !strncmp((char *)e + 8, name, 56)) {
            *size = (uint32_t)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3];
            sel = e[4] << 8 | e[5];
        }
    }
    if (!sel) {
        return NULL;
    }
    uint8_t *data = g_malloc0(*size + 1);
    qtest_outw(s, QFW_CFG_CTL, sel);
    for (uint32_t k = 0; k < *size; k++) {
        data[k] = qtest_inb(s, QFW_CFG_DATA);
    }
    return data;
}

/* ---- QMP: a client of the machine's -qmp unix socket ---- */

static char *qmp_client_line(QmpClient *q)
{
    for (;;) {
        char *nl = memchr(q->rx->str, '\n', q->rx->len);
        if (nl) {
            char *line = g_strndup(q->rx->str, nl - q->rx->str);
            g_string_erase(q->rx, 0, nl - q->rx->str + 1);
            return line;
        }
        char buf[4096];
        ssize_t n = recv(q->fd, buf, sizeof(buf), 0);
        g_assert_cmpint(n, >, 0);
        g_string_append_len(q->rx, buf, n);
    }
}

char *qmp_cmd(QmpClient *q, const char *cmd)
{
    g_assert_cmpint(send(q->fd, cmd, strlen(cmd), MSG_NOSIGNAL), ==,
                    (ssize_t)strlen(cmd));
    for (;;) {
        char *line = qmp_client_line(q);
        if (strstr(line, "\"return\"") || strstr(line, "\"error\"")) {
            return line;
        }
        g_string_append_printf(q->events, "%s\n", line);
        g_free(line);
    }
}

void qmp_connect(QmpClient *q, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    q->rx = g_string_new(NULL);
    q->events = g_string_new(NULL);
    for (unsigned t = 0; ; t++) {
        q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            break;
        }
        close(q->fd);
        g_assert_cmpuint(t, <, 10000);
        g_usleep(10000);
    }
    struct timeval tv = { .tv_sec = 60 };
    setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    g_free(qmp_client_line(q));         /* the greeting */
    g_free(qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}\n"));
}

void qmp_close(QmpClient *q)
{
    close(q->fd);
    g_string_free(q->rx, true);
    g_string_free(q->events, true);
}
