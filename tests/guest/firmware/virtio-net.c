/* virtio-net.c - a minimal virtio-net driver for vmu's test firmware: one RX
 * and one TX split queue, one 2 KiB buffer per descriptor, 12-byte header,
 * MSI-X (default), INTx or polling.
 *
 * DMA memory is a fixed area at 2 MiB (outside the image at
 * [0x100000, 0x113000)):
 *   0x200000 RX desc, 0x201000 RX avail, 0x202000 RX used
 *   0x203000 TX desc, 0x204000 TX avail, 0x205000 TX used
 *   0x210000 RX buffers (256 x 2 KiB), 0x290000 TX buffers (256 x 2 KiB)
 *   end 0x310000 */
#include "virtio.h"

#define VIRTIO_VENDOR       0x1af4
#define VIRTIO_NET_MODERN   0x1041
#define VIRTIO_NET_TRANS    0x1000

#define DMA_BASE            0x200000ul
#define DMA_END             0x310000ul
#define RXQ_MEM             0x200000ull
#define TXQ_MEM             0x203000ull
#define RX_BUFS             0x210000ull
#define TX_BUFS             0x290000ull

/* MSI-X table entries: RX, TX, config */
#define MSIX_RX             0
#define MSIX_TX             1
#define MSIX_CFG            2

/* device config: mac[6], status (le16) */
#define NETCFG_MAC          0
#define NETCFG_STATUS       6

static bool opt_is(const char *key, const char *want)
{
    const char *v;
    int len = cmdline_get(key, &v);
    return len >= 0 && (size_t)len == strlen(want) && !strncmp(v, want, (size_t)len);
}

uint8_t *vnet_rx_buf(uint16_t id)
{
    return (uint8_t *)(uintptr_t)(RX_BUFS + (uint64_t)id * VNET_BUF_SIZE);
}

uint8_t *vnet_tx_buf(uint16_t id)
{
    return (uint8_t *)(uintptr_t)(TX_BUFS + (uint64_t)id * VNET_BUF_SIZE);
}

/* The DMA area must be RAM (when the VMM passes a memmap). */
static bool dma_area_ok(void)
{
    uint32_t n = pvh_memmap_count();

    if (n == 0) {
        return true;
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct hvm_memmap_entry *e = pvh_memmap_entry(i);
        if (e->type == HVM_MEMMAP_RAM && e->addr <= DMA_BASE &&
            e->addr + e->size >= DMA_END) {
            return true;
        }
    }
    return false;
}

bool vnet_link_up(struct vnet *n)
{
    if (!(n->vp.features & (1ull << VIRTIO_NET_F_STATUS))) {
        return true;                    /* no status field: always up */
    }
    return virtio_cfg16(&n->vp, NETCFG_STATUS) & VIRTIO_NET_S_LINK_UP;
}

static bool link_is_up(void *p)
{
    return vnet_link_up(p);
}

/* A config interrupt since *seen: memory only, no exit while waiting. */
static bool cfg_irq_came(void *p)
{
    return irq_count(VEC_NET_CFG) != *(uint32_t *)p;
}

static void read_mac(struct vnet *n)
{
    uint8_t gen;

    if (!(n->vp.features & (1ull << VIRTIO_NET_F_MAC))) {
        static const uint8_t dflt[6] = { 0x02, 0, 0, 0, 0, 0x01 };   /* local */
        memcpy(n->mac, dflt, 6);
        return;
    }
    for (unsigned tries = 0; tries < 4; tries++) {
        gen = mmio_read8(n->vp.common + 0x15);
        for (unsigned i = 0; i < 6; i++) {
            n->mac[i] = virtio_cfg8(&n->vp, NETCFG_MAC + i);
        }
        if (mmio_read8(n->vp.common + 0x15) == gen) {
            break;
        }
    }
}

int vnet_open(struct vnet *n)
{
    static const uint8_t vectors[3] = { VEC_NET_RX, VEC_NET_TX, VEC_NET_CFG };
    enum virtio_irq irq = IRQ_MSIX;
    uint64_t want = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC |
                    1ull << VIRTIO_NET_F_STATUS;
    uint64_t qmax = cmdline_u64("qsize", VQ_MAX);
    struct pci_dev *d;

    memset(n, 0, sizeof(*n));
    if (opt_is("irq", "intx")) {
        irq = IRQ_INTX;
    } else if (opt_is("irq", "poll")) {
        irq = IRQ_POLL;
    }
    if (cmdline_u64("mrg", 0)) {
        want |= 1ull << VIRTIO_NET_F_MRG_RXBUF;
    }
    n->kick_always = opt_is("kick", "always");

    pci_scan();
    d = pci_find(VIRTIO_VENDOR, VIRTIO_NET_MODERN);
    if (!d) {
        d = pci_find(VIRTIO_VENDOR, VIRTIO_NET_TRANS);
    }
    if (!d) {
        printf("vmu-fw: no virtio-net (pci via %s)\n", pci_mech_name());
        return FW_EXIT_NODEV;
    }
    if (!dma_area_ok()) {
        printf("vmu-fw: net DMA area %#lx-%#lx is not RAM\n", DMA_BASE, DMA_END);
        return FW_EXIT_FAIL;
    }
    if (!virtio_pci_init(&n->vp, d, irq, vectors, ARRAY_SIZE(vectors)) ||
        !virtio_negotiate(&n->vp, want) ||
        !virtio_queue_setup(&n->vp, &n->rx, 0, (uint16_t)qmax, RXQ_MEM, MSIX_RX) ||
        !virtio_queue_setup(&n->vp, &n->tx, 1, (uint16_t)qmax, TXQ_MEM, MSIX_TX)) {
        return FW_EXIT_FAIL;
    }
    if (!virtio_set_config_vector(&n->vp, MSIX_CFG)) {
        printf("vmu-fw: net config MSI-X vector refused\n");
        return FW_EXIT_FAIL;
    }
    /* all RX buffers; the device may use them after DRIVER_OK */
    for (uint16_t i = 0; i < n->rx.size; i++) {
        vq_add(&n->rx, i, (uint64_t)(uintptr_t)vnet_rx_buf(i), VNET_BUF_SIZE, true);
    }
    n->rx.nfree = 0;
    n->rx.avail->idx = n->rx.avail_idx;
    virtio_driver_ok(&n->vp);
    if (irq != IRQ_POLL) {
        irq_enable();
    }
    vnet_rx_kick(n);
    read_mac(n);
    /* wait-link=N: up to N bounded waits (~1.2 s each) for LINK_UP; with
     * MSI-X, the status is read again only after a config interrupt (a
     * link change raises one), so the wait adds no exits */
    for (uint64_t w = cmdline_u64("wait-link", 0); w; w--) {
        uint32_t seen = irq_count(VEC_NET_CFG);
        if (vnet_link_up(n)) {
            break;
        }
        if (irq == IRQ_MSIX) {
            wait_bounded(cfg_irq_came, &seen);
        } else {
            wait_bounded(link_is_up, n);
        }
    }
    printf("vmu-fw: net mac %02x:%02x:%02x:%02x:%02x:%02x link %s features %#lx\n",
           n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
           vnet_link_up(n) ? "up" : "down", n->vp.features);
    printf("vmu-fw: net %02x:%02x.%u %04x:%04x irq %s queues rx %u tx %u\n",
           d->bus, d->slot, d->fn, d->vendor, d->device,
           irq == IRQ_MSIX ? "msix" : irq == IRQ_INTX ? "intx" : "poll",
           n->rx.size, n->tx.size);
    printf("vmu-fw: net common %#lx notify %#lx mult %u isr %#lx cfg irqs %u\n",
           n->vp.common, n->vp.notify, n->vp.notify_mult, n->vp.isr,
           irq_count(VEC_NET_CFG));
    if (virtio_status(&n->vp) & VIRTIO_STATUS_FAILED) {
        printf("vmu-fw: net device set FAILED/NEEDS_RESET\n");
        return FW_EXIT_FAIL;
    }
    return FW_EXIT_PASS;
}

bool vnet_tx_post(struct vnet *n, uint32_t frame_len, uint16_t *id_out)
{
    if (!n->tx.nfree) {
        return false;
    }
    uint16_t id = n->tx.free_ids[--n->tx.nfree];
    *id_out = id;
    vq_add(&n->tx, id, (uint64_t)(uintptr_t)vnet_tx_buf(id), VNET_HDR_LEN + frame_len,
           false);
    return true;
}

uint32_t vnet_tx_reap(struct vnet *n)
{
    uint32_t id, len, k = 0;

    while (vq_get_used(&n->tx, &id, &len)) {
        if (id < n->tx.size && n->tx.nfree < n->tx.size) {
            n->tx.free_ids[n->tx.nfree++] = (uint16_t)id;
        }
        k++;
    }
    return k;
}

uint8_t *vnet_rx_get(struct vnet *n, uint16_t *id, uint32_t *len)
{
    uint32_t i, l;

    if (!vq_get_used(&n->rx, &i, &l)) {
        return 0;
    }
    if (i >= n->rx.size) {
        i = 0;                          /* device bug; the caller sees len 0 */
        l = 0;
    }
    *id = (uint16_t)i;
    *len = l >= VNET_HDR_LEN ? l - VNET_HDR_LEN : 0;
    return vnet_rx_buf((uint16_t)i) + VNET_HDR_LEN;
}

void vnet_rx_recycle(struct vnet *n, uint16_t id)
{
    vq_add(&n->rx, id, (uint64_t)(uintptr_t)vnet_rx_buf(id), VNET_BUF_SIZE, true);
}

void vnet_rx_kick(struct vnet *n)
{
    vq_kick(&n->rx, n->kick_always);
}

void vnet_tx_kick(struct vnet *n)
{
    vq_kick(&n->tx, n->kick_always);
}

uint32_t vnet_irqs_rx(void)
{
    return irq_count(VEC_NET_RX) + irq_count(VEC_NET_INTX);
}

uint32_t vnet_irqs_tx(void)
{
    return irq_count(VEC_NET_TX);
}

struct wait_arg {
    struct vnet *n;
    bool rx, tx;
};

static bool something_used(void *p)
{
    struct wait_arg *a = p;
    struct vnet *n = a->n;

    if (n->vp.irq == IRQ_INTX && irq_count(VEC_NET_INTX) != n->intx_seen) {
        n->intx_seen = irq_count(VEC_NET_INTX);
        virtio_isr(&n->vp);             /* deassert: the next event is a new edge */
        n->isr_reads++;
    }
    return (a->rx && vq_has_used(&n->rx)) || (a->tx && vq_has_used(&n->tx));
}

bool vnet_wait(struct vnet *n, bool rx, bool tx)
{
    struct wait_arg a = { n, rx, tx };
    return wait_bounded(something_used, &a);
}
