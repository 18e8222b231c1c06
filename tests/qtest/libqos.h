/*
 * The guest side of a qtest: what firmware and a driver would do, written
 * with qtest accesses.  PCI scan and BAR assignment, capabilities, MSI-X,
 * a guest-memory allocator and a virtio 1.x PCI driver with split rings.
 */
#ifndef VMU_TESTS_LIBQOS_H
#define VMU_TESTS_LIBQOS_H

#include <glib.h>

#include "libqtest.h"

/* ---- guest memory: a bump allocator in guest RAM ---- */
typedef struct QGuestAlloc {
    uint64_t next;
    uint64_t end;
} QGuestAlloc;
void guest_alloc_init(QGuestAlloc *a, uint64_t start, uint64_t end);
uint64_t guest_alloc(QGuestAlloc *a, uint64_t size, uint64_t align);

/* ---- frames: the Internet checksum (RFC 1071) ---- */
/* The running sum of len bytes (big-endian 16-bit words) added to sum. */
uint32_t qnet_sum(uint32_t sum, const uint8_t *p, size_t len);
/* The sum folded to 16 bits (not complemented: 0xffff checks out). */
uint16_t qnet_fold(uint32_t sum);

/* ---- PCI ---- */
#define QPCI_MEM_WINDOW     0xe0000000ULL
#define QPCI_IO_WINDOW      0xc000

typedef struct QPCIDevice {
    QTestState *qts;
    uint8_t devfn;
    uint64_t bar[6];
    uint64_t bar_size[6];
    bool bar_io[6];
    uint8_t msix_cap;
    uint64_t msix_table;
    uint64_t msix_pba;
} QPCIDevice;

uint32_t qpci_config_read(QTestState *s, uint8_t devfn, uint8_t off,
                          unsigned len);
void qpci_config_write(QTestState *s, uint8_t devfn, uint8_t off, uint32_t v,
                       unsigned len);
/* First function on bus 0 with these IDs; false if none. */
bool qpci_find(QTestState *s, uint16_t vendor, uint16_t device,
               QPCIDevice *dev);
/* Size BAR n (and place it in the window); returns its size, 0 if none. */
uint64_t qpci_bar_size(QPCIDevice *dev, unsigned n);
uint64_t qpci_bar_assign(QPCIDevice *dev, unsigned n, uint64_t addr);
/* Size and place every BAR from the windows, enable decoding and DMA. */
void qpci_device_enable(QPCIDevice *dev);
/* Next capability with this id after 'start' (0: from the list head). */
uint8_t qpci_find_capability(QPCIDevice *dev, uint8_t id, uint8_t start);

/* MSI-X: vectors point at guest RAM so that the test polls memory. */
void qpci_msix_enable(QPCIDevice *dev);
void qpci_msix_disable(QPCIDevice *dev);
void qpci_msix_set_vector(QPCIDevice *dev, unsigned v, uint64_t addr,
                          uint32_t data);
void qpci_msix_mask(QPCIDevice *dev, unsigned v, bool masked);
void qpci_msix_mask_all(QPCIDevice *dev, bool masked);
bool qpci_msix_pending(QPCIDevice *dev, unsigned v);

/*
 * INTx: route the device's pin through the PIIX3 PIRQ register (00:01.0)
 * to this IRQ, which is then the IOAPIC input to intercept.  No firmware
 * has run, so the routes start disabled (0x80).
 */
void qpci_intx_route(QPCIDevice *dev, uint8_t irq);

/* ---- virtio 1.x over PCI ---- */
#define VIRTIO_STATUS_ACKNOWLEDGE   1
#define VIRTIO_STATUS_DRIVER        2
#define VIRTIO_STATUS_DRIVER_OK     4
#define VIRTIO_STATUS_FEATURES_OK   8
#define VIRTIO_STATUS_NEEDS_RESET   0x40
#define VIRTIO_STATUS_FAILED        0x80
#define VIRTIO_F_INDIRECT_DESC      28
#define VIRTIO_F_EVENT_IDX          29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_MSI_NO_VECTOR        0xffff

#define VRING_DESC_F_NEXT       1
#define VRING_DESC_F_WRITE      2
#define VRING_DESC_F_INDIRECT   4

/* Common configuration offsets. */
#define VPCI_DFSELECT       0x00
#define VPCI_DF             0x04
#define VPCI_GFSELECT       0x08
#define VPCI_GF             0x0c
#define VPCI_MSIX_CONFIG    0x10
#define VPCI_NUM_QUEUES     0x12
#define VPCI_STATUS         0x14
#define VPCI_CFG_GENERATION 0x15
#define VPCI_Q_SELECT       0x16
#define VPCI_Q_SIZE         0x18
#define VPCI_Q_MSIX         0x1a
#define VPCI_Q_ENABLE       0x1c
#define VPCI_Q_NOFF         0x1e
#define VPCI_Q_DESCLO       0x20
#define VPCI_Q_DESCHI       0x24
#define VPCI_Q_AVAILLO      0x28
#define VPCI_Q_AVAILHI      0x2c
#define VPCI_Q_USEDLO       0x30
#define VPCI_Q_USEDHI       0x34

typedef struct QVirtioPCI {
    QPCIDevice pci;
    QTestState *qts;
    uint64_t common, notify, isr, device;
    uint32_t notify_mult;
    unsigned caps_found;        /* bit per cfg_type found */
    QGuestAlloc alloc;
} QVirtioPCI;

typedef struct QVirtQueue {
    QVirtioPCI *dev;
    unsigned index;
    unsigned size;
    uint64_t desc, avail, used;
    uint64_t notify_addr;
    uint16_t avail_idx;         /* next avail index the driver publishes */
    uint16_t last_used;         /* next used entry the driver reads */
    uint16_t free_head;
    bool event_idx;
} QVirtQueue;

/* Find virtio device 0x1040 + id, enable it, walk its vendor caps. */
bool qvirtio_pci_probe(QTestState *s, uint16_t virtio_id, QVirtioPCI *dev);
uint8_t qvirtio_get_status(QVirtioPCI *dev);
void qvirtio_set_status(QVirtioPCI *dev, uint8_t status);
void qvirtio_reset(QVirtioPCI *dev);
uint64_t qvirtio_get_features(QVirtioPCI *dev);
void qvirtio_set_features(QVirtioPCI *dev, uint64_t features);
/* ACKNOWLEDGE, DRIVER, features, FEATURES_OK; true if the device kept it. */
bool qvirtio_negotiate(QVirtioPCI *dev, uint64_t features);
uint8_t qvirtio_config_readb(QVirtioPCI *dev, unsigned off);
uint16_t qvirtio_config_readw(QVirtioPCI *dev, unsigned off);
uint32_t qvirtio_config_readl(QVirtioPCI *dev, unsigned off);

/* Set up queue index with this size; vector for MSI-X (or NO_VECTOR). */
QVirtQueue *qvirtqueue_setup(QVirtioPCI *dev, unsigned index, unsigned size,
                             uint16_t vector);
/*
 * Add a chain of n buffers (addr, len, device-writable?) and publish it;
 * returns the head.  indirect: put the chain in an indirect table.
 */
typedef struct QVirtBuf {
    uint64_t addr;
    uint32_t len;
    bool write;
} QVirtBuf;
uint16_t qvirtqueue_add(QVirtQueue *vq, const QVirtBuf *bufs, unsigned n,
                        bool indirect);
void qvirtqueue_kick(QVirtQueue *vq);
/* Next used element, polling up to timeout_ms; false if none came. */
bool qvirtqueue_get_used(QVirtQueue *vq, uint32_t *id, uint32_t *len,
                         unsigned timeout_ms);

/* ---- fw_cfg, read as firmware does through ports 0x510/0x511 ---- */
/* A named file's contents (g_free; one NUL byte past the end) and size,
 * or NULL when the directory does not list it. */
uint8_t *qfw_cfg_get_file(QTestState *s, const char *name, uint32_t *size);

/* ---- QMP: a client of the machine's -qmp unix:PATH,server=on socket ---- */
typedef struct QmpClient {
    int fd;
    GString *rx;
    GString *events;            /* event lines seen while waiting */
} QmpClient;
/* Connect (retrying until the socket is there), greeting, negotiation. */
void qmp_connect(QmpClient *q, const char *path);
/* Send one command line; its reply line (g_free), events kept aside. */
char *qmp_cmd(QmpClient *q, const char *cmd);
void qmp_close(QmpClient *q);

#endif
