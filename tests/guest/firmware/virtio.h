/* virtio.h - virtio 1.x over PCI (modern transport) and split virtqueues for
 * vmu's test firmware; virtio-net on top of it (virtio-net.c). */
#ifndef VMU_FW_VIRTIO_H
#define VMU_FW_VIRTIO_H

#include "fw.h"

/* device status */
#define VIRTIO_STATUS_ACK           1
#define VIRTIO_STATUS_DRIVER        2
#define VIRTIO_STATUS_DRIVER_OK     4
#define VIRTIO_STATUS_FEATURES_OK   8
#define VIRTIO_STATUS_FAILED        0x80

/* feature bits */
#define VIRTIO_NET_F_MAC            5
#define VIRTIO_NET_F_MRG_RXBUF      15
#define VIRTIO_NET_F_STATUS         16
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_NET_S_LINK_UP        1

#define VIRTIO_NO_VECTOR            0xffff

/* split ring */
struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
#define VRING_DESC_F_NEXT           1
#define VRING_DESC_F_WRITE          2

struct vring_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};
#define VRING_AVAIL_F_NO_INTERRUPT  1

struct vring_used_elem {
    uint32_t id;
    uint32_t len;
};
struct vring_used {
    uint16_t flags;
    uint16_t idx;
    struct vring_used_elem ring[];
};
#define VRING_USED_F_NO_NOTIFY      1

#define VQ_MAX                      256

struct vq {
    uint16_t index;             /* queue number */
    uint16_t size;              /* power of 2 */
    volatile struct vring_desc *desc;
    volatile struct vring_avail *avail;
    volatile struct vring_used *used;
    uint16_t avail_idx;         /* next avail index the driver publishes */
    uint16_t last_used;         /* next used index the driver reaps */
    uint64_t notify;            /* notification address */
    uint32_t kicks;
    uint16_t nfree;             /* free descriptor ids (stack) */
    uint16_t free_ids[VQ_MAX];
};

enum virtio_irq { IRQ_MSIX, IRQ_INTX, IRQ_POLL };

struct virtio_pci {
    struct pci_dev *pci;
    uint64_t common, notify, isr, devcfg;
    uint32_t notify_mult;
    enum virtio_irq irq;
    uint8_t intx_pin;           /* IOAPIC pin for IRQ_INTX */
    uint64_t features;          /* negotiated */
    uint64_t offered;
};

/* virtio.c */
/* Finds the modern capabilities, assigns BARs and sets up MSI-X entries
 * 0..nvec-1 -> vectors[] (IRQ_MSIX) or the IOAPIC pin (IRQ_INTX). */
bool virtio_pci_init(struct virtio_pci *v, struct pci_dev *d, enum virtio_irq irq,
                     const uint8_t *vectors, unsigned nvec);
/* Reset, ACK, DRIVER, feature negotiation, FEATURES_OK check. */
bool virtio_negotiate(struct virtio_pci *v, uint64_t wanted);
/* Sets up queue 'index' with its rings at 'mem' (3 pages) and MSI-X entry
 * 'msix' (ignored unless IRQ_MSIX). qmax: largest size to use. */
bool virtio_queue_setup(struct virtio_pci *v, struct vq *q, uint16_t index,
                        uint16_t qmax, uint64_t mem, uint16_t msix);
bool virtio_set_config_vector(struct virtio_pci *v, uint16_t msix);
void virtio_driver_ok(struct virtio_pci *v);
uint8_t virtio_status(struct virtio_pci *v);
/* Reads the ISR status (acknowledges INTx). */
uint8_t virtio_isr(struct virtio_pci *v);
uint8_t virtio_cfg8(struct virtio_pci *v, unsigned off);
uint16_t virtio_cfg16(struct virtio_pci *v, unsigned off);

/* split ring helpers */
void vq_add(struct vq *q, uint16_t id, uint64_t addr, uint32_t len, bool write);
/* Publishes added buffers and notifies the device unless it asked not to
 * (or always, if force). */
void vq_kick(struct vq *q, bool force);
bool vq_has_used(const struct vq *q);
/* Reaps one used element: returns false if none. */
bool vq_get_used(struct vq *q, uint32_t *id, uint32_t *len);

#endif

/* ---- virtio-net.c ---- */
#define VNET_HDR_LEN        12      /* VERSION_1: num_buffers always present */
#define VNET_BUF_SIZE       2048
#define ETH_HLEN            14
#define ETH_MIN             60
#define ETH_MAX             1514
#define ETH_TYPE_TEST       0x88b5  /* local experimental */

struct vnet {
    struct virtio_pci vp;
    struct vq rx, tx;
    uint8_t mac[6];
    bool kick_always;               /* kick=always: ignore NO_NOTIFY */
    uint32_t isr_reads;
    uint32_t intx_seen;
};

/* Finds, resets and starts the virtio-net device (options irq=, qsize=,
 * mrg=, kick=, wait-link=), posts all RX buffers and prints the probe line.
 * Returns FW_EXIT_PASS or the exit value to fail with. */
int vnet_open(struct vnet *n);
bool vnet_link_up(struct vnet *n);
uint8_t *vnet_rx_buf(uint16_t id);
uint8_t *vnet_tx_buf(uint16_t id);
/* Queues one TX frame (header + frame already in the id's buffer). */
bool vnet_tx_post(struct vnet *n, uint32_t frame_len, uint16_t *id_out);
/* Reaps finished TX buffers; returns how many. */
uint32_t vnet_tx_reap(struct vnet *n);
/* Returns the next received frame (pointer past the virtio-net header) and
 * its length, or 0; vnet_rx_recycle() gives the buffer back. */
uint8_t *vnet_rx_get(struct vnet *n, uint16_t *id, uint32_t *len);
void vnet_rx_recycle(struct vnet *n, uint16_t id);
void vnet_rx_kick(struct vnet *n);
void vnet_tx_kick(struct vnet *n);
/* Bounded wait until the device used an RX or TX buffer (also acks INTx).
 * Returns false on timeout. */
bool vnet_wait(struct vnet *n, bool rx, bool tx);
uint32_t vnet_irqs_rx(void);
uint32_t vnet_irqs_tx(void);
