/*
 * virtio-pci, modern: the registers of virtio 1.x over PCI, and the wiring
 * of each queue's notifiers: the host notifier is an ioeventfd at the
 * queue's notify address, the guest notifier an irqfd on its MSI-X vector
 * (or, with the vector masked or MSI-X off, read by vmu: pending bit, or
 * ISR and INTx).
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "hw/pci/msix.h"
#include "hw/virtio/virtio-pci.h"
#include "system/main-loop.h"
#include "util/trace.h"

enum {
    VIRTIO_PCI_CAP_COMMON_CFG = 1,
    VIRTIO_PCI_CAP_NOTIFY_CFG = 2,
    VIRTIO_PCI_CAP_ISR_CFG = 3,
    VIRTIO_PCI_CAP_DEVICE_CFG = 4,
    VIRTIO_PCI_CAP_PCI_CFG = 5,
};

static bool proxy_msix(VirtIOPCIProxy *p)
{
    return p->nvectors && msix_enabled(&p->pci);
}

/* ---- interrupts ---- */

static void isr_raise(VirtIOPCIProxy *p, uint8_t bit)
{
    p->vdev->isr |= bit;
    pci_set_irq(&p->pci, true);
}

static void queue_interrupt(VirtIOPCIProxy *p, unsigned i)
{
    VirtQueue *vq = virtio_get_queue(p->vdev, i);
    if (proxy_msix(p)) {
        uint16_t v = virtio_queue_get_vector(vq);
        if (v != VIRTIO_NO_VECTOR) {
            msix_notify(&p->pci, v);
        }
    } else {
        isr_raise(p, 1);
    }
}

static void notify_config(VirtIODevice *vdev)
{
    VirtIOPCIProxy *p = vdev->transport_opaque;
    if (proxy_msix(p)) {
        if (vdev->config_vector != VIRTIO_NO_VECTOR) {
            msix_notify(&p->pci, vdev->config_vector);
        }
    } else {
        isr_raise(p, 2);
    }
}

static gboolean guest_notifier_ready(int fd, GIOCondition cond, void *opaque)
{
    VirtIOPCIQueue *q = opaque;
    uint64_t cnt;
    if (read(fd, &cnt, sizeof(cnt)) == sizeof(cnt)) {
        queue_interrupt(q->proxy, q->index);
    }
    return G_SOURCE_CONTINUE;
}

/* Make queue i's guest notifier deliver the way the guest set things up. */
static void guest_notifier_sync(VirtIOPCIProxy *p, unsigned i)
{
    static RateLimit rl;
    VirtQueue *vq = virtio_get_queue(p->vdev, i);
    VirtIOPCIQueue *q = &p->q[i];
    int fd = virtio_queue_get_guest_notifier_fd(vq);
    uint16_t v = virtio_queue_get_vector(vq);
    bool use_irqfd = virtio_queue_enabled(vq) && proxy_msix(p) &&
                     v < p->nvectors && !msix_is_masked(&p->pci, v);

    if (use_irqfd) {
        MSIMessage msg = msix_get_message(&p->pci, v);
        if (q->irqfd >= 0 && (q->msg.address != msg.address ||
                              q->msg.data != msg.data)) {
            Error *err = NULL;
            if (!accel_irqfd_update(q->irqfd, msg, &err)) {
                error_report_ratelimited(&rl, "%s: %s", p->vdev->name,
                                         error_get_pretty(err));
                error_free(err);
                accel_irqfd_del(q->irqfd, fd);
                q->irqfd = -1;
            }
        }
        if (q->irqfd < 0) {
            Error *err = NULL;
            if (q->watch) {
                g_source_remove(q->watch);
                q->watch = 0;
            }
            q->irqfd = accel_irqfd_add(msg, fd, &err);
            if (q->irqfd < 0) {
                error_report_ratelimited(&rl, "%s: queue %u: %s; vmu "
                                         "delivers its interrupts itself",
                                         p->vdev->name, i,
                                         error_get_pretty(err));
                error_free(err);
            }
        }
        q->msg = msg;
        if (q->irqfd >= 0) {
            return;
        }
    } else if (q->irqfd >= 0) {
        accel_irqfd_del(q->irqfd, fd);
        q->irqfd = -1;
    }
    if (!q->watch) {
        q->watch = main_loop_add_fd(fd, G_IO_IN, guest_notifier_ready, q);
    }
}

static void guest_notifiers_sync(VirtIOPCIProxy *p)
{
    for (unsigned i = 0; i < p->vdev->num_queues; i++) {
        guest_notifier_sync(p, i);
    }
}

static void msix_vectors_changed(PCIDevice *d, void *opaque)
{
    VirtIOPCIProxy *p = opaque;
    if (p->vdev) {
        guest_notifiers_sync(p);
    }
}

/* ---- host notifiers: ioeventfds at the notify addresses ---- */

static void host_notifier_sync(VirtIOPCIProxy *p, unsigned i)
{
    static RateLimit rl;
    VirtQueue *vq = virtio_get_queue(p->vdev, i);
    VirtIOPCIQueue *q = &p->q[i];
    int fd = virtio_queue_get_host_notifier_fd(vq);
    uint64_t bar = p->pci.bars[VIRTIO_PCI_MODERN_BAR].addr;
    uint64_t want = 0;

    if (virtio_queue_enabled(vq) && bar != PCI_BAR_UNMAPPED) {
        want = bar + VIRTIO_PCI_NOTIFY_OFF + i * p->notify_mult;
    }
    if (want == q->ioeventfd_addr) {
        return;
    }
    if (q->ioeventfd_addr) {
        accel_ioeventfd_del(AS_MEMORY, q->ioeventfd_addr, 2, false, 0, fd);
        q->ioeventfd_addr = 0;
    }
    if (want) {
        Error *err = NULL;
        if (accel_ioeventfd_add(AS_MEMORY, want, 2, false, 0, fd, &err)) {
            q->ioeventfd_addr = want;
        } else {
            /* The notify region still signals the fd, just slower. */
            error_report_ratelimited(&rl, "%s: queue %u: %s",
                                     p->vdev->name, i, error_get_pretty(err));
            error_free(err);
        }
    }
}

static void queue_changed(VirtIODevice *vdev, unsigned i)
{
    VirtIOPCIProxy *p = vdev->transport_opaque;
    host_notifier_sync(p, i);
    guest_notifier_sync(p, i);
}

static void bar_moved(PCIDevice *d, unsigned bar)
{
    VirtIOPCIProxy *p = d->opaque;
    if (bar == VIRTIO_PCI_MODERN_BAR) {
        for (unsigned i = 0; i < p->vdev->num_queues; i++) {
            host_notifier_sync(p, i);
        }
    }
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (virtio 1.2, 4.1.4.9): the driver writes a BAR,
 * offset and length (1, 2 or 4) into the capability; reading or writing
 * its data field then reads or writes that BAR, mapped or not (firmware
 * that cannot reach a 64-bit BAR from 32-bit code uses it).
 */
#define CFG_CAP_BAR     4
#define CFG_CAP_OFFSET  8
#define CFG_CAP_LENGTH  12
#define CFG_CAP_DATA    16
#define CFG_CAP_SIZE    20

/* The BAR access the capability describes, or NULL if it is not one. */
static PCIBar *pci_cfg_target(VirtIOPCIProxy *p, uint32_t *off,
                              unsigned *len)
{
    static RateLimit rl;
    const uint8_t *c = &p->pci.config[p->pci_cfg_cap];
    unsigned bar = c[CFG_CAP_BAR];
    *off = pci_get_long(c + CFG_CAP_OFFSET);
    *len = pci_get_long(c + CFG_CAP_LENGTH);
    if (bar < PCI_NUM_BARS && p->pci.bars[bar].size &&
        (*len == 1 || *len == 2 || *len == 4) && *off % *len == 0 &&
        *off + (uint64_t)*len <= p->pci.bars[bar].size) {
        return &p->pci.bars[bar];
    }
    error_report_ratelimited(&rl, "%s: the guest driver used the PCI "
                             "configuration window with BAR %u offset 0x%x "
                             "length %u: not an access to a BAR of this "
                             "device (length 1, 2 or 4, aligned); ignored",
                             p->pci.name, bar, *off, *len);
    return NULL;
}

static bool covers_data(VirtIOPCIProxy *p, unsigned off, unsigned len)
{
    unsigned data = p->pci_cfg_cap + CFG_CAP_DATA;
    return p->pci_cfg_cap && off < data + 4 && off + len > data;
}

static void config_read(PCIDevice *d, unsigned off, unsigned len)
{
    VirtIOPCIProxy *p = d->opaque;
    uint32_t boff;
    unsigned blen;
    PCIBar *b;
    if (!covers_data(p, off, len)) {
        return;
    }
    uint64_t v = 0;
    if ((b = pci_cfg_target(p, &boff, &blen))) {
        v = b->region.ops->read ? b->region.ops->read(b->region.opaque, boff,
                                                      blen) : 0;
        trace(virtio_pci_cfg_window_read, "%s BAR %td +0x%x len %u: 0x%"
              PRIx64, d->name, b - d->bars, boff, blen, v);
    }
    if (b && blen < 4) {
        v &= (1u << (8 * blen)) - 1;
    }
    pci_set_long(&d->config[p->pci_cfg_cap + CFG_CAP_DATA], v);
}

static void config_write(PCIDevice *d, unsigned off, uint32_t val,
                         unsigned len)
{
    VirtIOPCIProxy *p = d->opaque;
    uint32_t boff;
    unsigned blen;
    PCIBar *b;
    /* INTx disable or bus master changes need nothing here. */
    if (!covers_data(p, off, len) || !(b = pci_cfg_target(p, &boff, &blen))) {
        return;
    }
    uint32_t v = pci_get_long(&d->config[p->pci_cfg_cap + CFG_CAP_DATA]);
    if (blen < 4) {
        v &= (1u << (8 * blen)) - 1;
    }
    trace(virtio_pci_cfg_window_write, "%s BAR %td +0x%x len %u: 0x%x",
          d->name, b - d->bars, boff, blen, v);
    if (b->region.ops->write) {
        b->region.ops->write(b->region.opaque, boff, v, blen);
    }
}

static void add_pci_cfg_cap(VirtIOPCIProxy *p)
{
    PCIDevice *d = &p->pci;
    uint8_t c = pci_add_capability(d, PCI_CAP_ID_VNDR, CFG_CAP_SIZE);
    p->pci_cfg_cap = c;
    d->config[c + 2] = CFG_CAP_SIZE;
    d->config[c + 3] = VIRTIO_PCI_CAP_PCI_CFG;
    d->wmask[c + CFG_CAP_BAR] = 0xff;
    memset(&d->wmask[c + CFG_CAP_OFFSET], 0xff, 12);  /* offset, len, data */
}

/* Machine reset: as a driver's reset (a vhost back-end's rings stop). */
static void proxy_reset(PCIDevice *d)
{
    VirtIOPCIProxy *p = d->opaque;
    virtio_set_status(p->vdev, 0);
    p->dfselect = p->gfselect = p->queue_select = 0;
    if (p->pci_cfg_cap) {
        memset(&d->config[p->pci_cfg_cap + CFG_CAP_BAR], 0,
               CFG_CAP_SIZE - CFG_CAP_BAR);
    }
    pci_set_irq(&p->pci, false);
    guest_notifiers_sync(p);
}

static const PCIDeviceOps virtio_pci_ops = {
    .config_read = config_read,
    .config_write = config_write,
    .bar_moved = bar_moved,
    .reset = proxy_reset,
};

/* ---- common configuration ---- */

static VirtQueue *selected(VirtIOPCIProxy *p)
{
    return virtio_get_queue(p->vdev, p->queue_select);
}

static uint32_t common_read32(VirtIOPCIProxy *p, unsigned off)
{
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = selected(p);
    switch (off) {
    case 0x00:
        return p->dfselect;
    case 0x04:
        return p->dfselect < 2 ? vdev->host_features >> (32 * p->dfselect) : 0;
    case 0x08:
        return p->gfselect;
    case 0x0c:
        return p->gfselect < 2 ? vdev->guest_features >> (32 * p->gfselect) :
               0;
    case 0x20: case 0x24: case 0x28: case 0x2c: case 0x30: case 0x34:
        if (!vq) {
            return 0;
        }
        return virtio_queue_get_addr(vq, (off - 0x20) / 8) >>
               ((off & 4) ? 32 : 0);
    }
    return 0;
}

static uint16_t common_read16(VirtIOPCIProxy *p, unsigned off)
{
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = selected(p);
    switch (off) {
    case 0x10:
        return vdev->config_vector;
    case 0x12:
        return vdev->num_queues;
    case 0x16:
        return p->queue_select;
    case 0x18:
        return vq ? virtio_queue_get_num(vq) : 0;
    case 0x1a:
        return vq ? virtio_queue_get_vector(vq) : VIRTIO_NO_VECTOR;
    case 0x1c:
        return vq ? virtio_queue_enabled(vq) : 0;
    case 0x1e:
        return vq ? p->queue_select : 0;
    }
    return 0;
}

static uint8_t common_read8(VirtIOPCIProxy *p, unsigned off)
{
    if (off == 0x14) {
        return virtio_get_status(p->vdev);
    }
    if (off == 0x15) {
        return p->vdev->config_generation;
    }
    return 0;
}

static uint64_t common_read(VirtIOPCIProxy *p, unsigned off, unsigned size)
{
    if (size == 4 && !(off & 3)) {
        return common_read32(p, off);
    }
    if (size == 2 && !(off & 1)) {
        return off < 0x20 ? common_read16(p, off) :
               common_read32(p, off & ~3) >> (8 * (off & 2));
    }
    if (size == 1) {
        if (off == 0x14 || off == 0x15) {
            return common_read8(p, off);
        }
        return 0;
    }
    if (size == 8 && off >= 0x20 && !(off & 7)) {
        return common_read32(p, off) |
               (uint64_t)common_read32(p, off + 4) << 32;
    }
    return 0;
}

static uint16_t valid_vector(VirtIOPCIProxy *p, uint16_t v)
{
    return v < p->nvectors ? v : VIRTIO_NO_VECTOR;
}

static void common_write(VirtIOPCIProxy *p, unsigned off, uint64_t val,
                         unsigned size)
{
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = selected(p);

    trace(virtio_pci_common_write, "%s off 0x%x val 0x%" PRIx64 " size %u",
          vdev->name, off, val, size);
    if (size == 8 && off >= 0x20 && !(off & 7)) {
        common_write(p, off, (uint32_t)val, 4);
        common_write(p, off + 4, val >> 32, 4);
        return;
    }
    switch (off) {
    case 0x00:
        p->dfselect = val;
        break;
    case 0x08:
        p->gfselect = val;
        break;
    case 0x0c:
        /* Features are fixed once FEATURES_OK is set. */
        if (p->gfselect < 2 &&
            !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
            unsigned sh = 32 * p->gfselect;
            vdev->guest_features &= ~(0xffffffffULL << sh);
            vdev->guest_features |= (val & 0xffffffffULL) << sh;
        }
        break;
    case 0x10:
        vdev->config_vector = valid_vector(p, val);
        break;
    case 0x14:
        if (size == 1) {
            virtio_set_status(vdev, val);
            if (!vdev->status) {
                /* Reset: interrupt state back to nothing. */
                pci_set_irq(&p->pci, false);
                guest_notifiers_sync(p);
            }
        }
        break;
    case 0x16:
        p->queue_select = val;
        break;
    case 0x18:
        if (vq) {
            virtio_queue_set_num(vq, val);
        }
        break;
    case 0x1a:
        if (vq) {
            virtio_queue_set_vector(vq, valid_vector(p, val));
            guest_notifier_sync(p, p->queue_select);
        }
        break;
    case 0x1c:
        if (vq && val == 1) {
            virtio_queue_enable(vq);
        }
        break;
    case 0x20: case 0x24: case 0x28: case 0x2c: case 0x30: case 0x34:
        if (vq && size == 4) {
            unsigned which = (off - 0x20) / 8;
            uint64_t a = virtio_queue_get_addr(vq, which);
            if (off & 4) {
                a = (a & 0xffffffffULL) | (val << 32);
            } else {
                a = (a & ~0xffffffffULL) | (uint32_t)val;
            }
            virtio_queue_set_addr(vq, which, a);
        }
        break;
    }
}

/* ---- BAR 4: common, ISR, device config, notify ---- */

static uint64_t modern_read(void *opaque, uint64_t off, unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;

    if (off < VIRTIO_PCI_ISR_OFF) {
        return common_read(p, off, size);
    }
    if (off < VIRTIO_PCI_DEVICE_OFF) {
        if (off != VIRTIO_PCI_ISR_OFF) {
            return 0;
        }
        /* Reading the ISR acknowledges it. */
        uint8_t isr = vdev->isr;
        vdev->isr = 0;
        pci_set_irq(&p->pci, false);
        return isr;
    }
    if (off < VIRTIO_PCI_NOTIFY_OFF) {
        uint8_t cfg[256] = { 0 };
        off -= VIRTIO_PCI_DEVICE_OFF;
        if (off + size > vdev->config_len) {
            return 0;
        }
        vdev->ops->get_config(vdev, cfg);
        uint64_t v = 0;
        memcpy(&v, cfg + off, size);
        return v;
    }
    return 0;
}

static void modern_write(void *opaque, uint64_t off, uint64_t val,
                         unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;
    if (off < VIRTIO_PCI_ISR_OFF) {
        common_write(p, off, val, size);
    } else if (off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_NOTIFY_OFF) {
        uint8_t cfg[256] = { 0 };
        off -= VIRTIO_PCI_DEVICE_OFF;
        if (vdev->ops->set_config && off + size <= vdev->config_len) {
            vdev->ops->get_config(vdev, cfg);
            memcpy(cfg + off, &val, size);
            vdev->ops->set_config(vdev, cfg);
        }
    } else if (off >= VIRTIO_PCI_NOTIFY_OFF) {
        /* A kick the ioeventfd did not take: signal the same fd. */
        unsigned i = (off - VIRTIO_PCI_NOTIFY_OFF) / p->notify_mult;
        VirtQueue *vq = virtio_get_queue(p->vdev, i);
        if (vq) {
            uint64_t one = 1;
            if (write(virtio_queue_get_host_notifier_fd(vq), &one,
                      sizeof(one)) < 0) {
                trace(virtio_pci_notify_error, "%s", strerror(errno));
            }
        }
    }
    /* Writes to a read-only device config (virtio-net's) are dropped. */
}

static const MemoryRegionOps modern_ops = { modern_read, modern_write };

static void add_vendor_cap(PCIDevice *d, uint8_t type, uint32_t off,
                           uint32_t len, uint32_t notify_mult)
{
    bool notify = notify_mult != 0;
    uint8_t size = notify ? 20 : 16;
    uint8_t c = pci_add_capability(d, PCI_CAP_ID_VNDR, size);
    d->config[c + 2] = size;
    d->config[c + 3] = type;
    d->config[c + 4] = VIRTIO_PCI_MODERN_BAR;
    pci_set_long(&d->config[c + 8], off);
    pci_set_long(&d->config[c + 12], len);
    if (notify) {
        pci_set_long(&d->config[c + 16], notify_mult);
    }
}

static const VirtioTransportOps virtio_pci_transport = {
    .notify_config = notify_config,
    .queue_changed = queue_changed,
};

bool virtio_pci_realize(VirtIOPCIProxy *p, VirtIODevice *vdev, int devfn,
                        unsigned nvectors, uint32_t class_code,
                        bool page_per_vq, Error **errp)
{
    PCIDevice *d = &p->pci;
    unsigned nq = vdev->num_queues;
    p->vdev = vdev;
    p->nvectors = nvectors;
    p->q = g_new0(VirtIOPCIQueue, vdev->num_queues);
    for (unsigned i = 0; i < vdev->num_queues; i++) {
        p->q[i].irqfd = -1;
        p->q[i].proxy = p;
        p->q[i].index = i;
    }
    vdev->transport = &virtio_pci_transport;
    vdev->transport_opaque = p;
    vdev->host_features |= 1ULL << VIRTIO_F_VERSION_1;

    if (!pci_device_register(d, vdev->name, devfn, VIRTIO_PCI_VENDOR_ID,
                             0x1040 + vdev->device_id, class_code,
                             &virtio_pci_ops, p, errp)) {
        return false;
    }
    d->config[PCI_REVISION_ID] = 1;
    pci_set_word(&d->config[PCI_SUBSYSTEM_VENDOR_ID], VIRTIO_PCI_VENDOR_ID);
    pci_set_word(&d->config[PCI_SUBSYSTEM_ID], 0x40 + vdev->device_id);
    d->config[PCI_INTERRUPT_PIN] = 1;

    add_vendor_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
                   0x1000, 0);
    add_vendor_cap(d, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 0x1000,
                   0);
    add_vendor_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
                   0x1000, 0);
    /* page-per-vq: each queue's notify address on a page of its own (for
     * back-ends that map host notifiers); else 4 bytes apart in one page. */
    uint32_t notify_len = page_per_vq ? nq * 0x1000 : 0x1000;
    uint64_t bar_size = VIRTIO_PCI_BAR_SIZE;
    while (bar_size < VIRTIO_PCI_NOTIFY_OFF + (uint64_t)notify_len) {
        bar_size *= 2;
    }
    p->notify_mult = page_per_vq ? 0x1000 : VIRTIO_PCI_NOTIFY_MULT;
    add_vendor_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
                   notify_len, p->notify_mult);
    add_pci_cfg_cap(p);
    pci_register_bar(d, VIRTIO_PCI_MODERN_BAR,
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, bar_size,
                     vdev->name, &modern_ops, p);
    if (nvectors && !msix_init(d, nvectors, VIRTIO_PCI_MSIX_BAR,
                               msix_vectors_changed, p, errp)) {
        return false;
    }
    guest_notifiers_sync(p);
    return true;
}
