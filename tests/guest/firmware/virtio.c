/* virtio.c - virtio 1.x PCI transport (vendor capabilities, common config,
 * notify, ISR, device config), MSI-X or INTx set-up, and split virtqueues for
 * vmu's test firmware. Only what virtio-net needs: two queues, one
 * descriptor per buffer, no indirect descriptors, no event index. */
#include "virtio.h"
#include "mptable.h"

/* PCI capability IDs */
#define PCI_CAP_VENDOR      0x09
#define PCI_CAP_MSIX        0x11
#define PCI_INTR_LINE       0x3c
#define PCI_INTR_PIN        0x3d

/* virtio_pci_cap: cap_vndr, cap_next, cap_len, cfg_type, bar, id, pad[2],
 * offset (le32), length (le32); notify cap adds notify_off_multiplier */
#define VCAP_TYPE           3
#define VCAP_BAR            4
#define VCAP_OFFSET         8
#define VCAP_LENGTH         12
#define VCAP_NOTIFY_MULT    16
#define VIRTIO_CAP_COMMON   1
#define VIRTIO_CAP_NOTIFY   2
#define VIRTIO_CAP_ISR      3
#define VIRTIO_CAP_DEVICE   4

/* virtio_pci_common_cfg offsets */
#define CC_DFSELECT         0x00
#define CC_DF               0x04
#define CC_GFSELECT         0x08
#define CC_GF               0x0c
#define CC_MSIX_CONFIG      0x10
#define CC_NUM_QUEUES       0x12
#define CC_STATUS           0x14
#define CC_CFG_GEN          0x15
#define CC_Q_SELECT         0x16
#define CC_Q_SIZE           0x18
#define CC_Q_MSIX           0x1a
#define CC_Q_ENABLE         0x1c
#define CC_Q_NOTIFY_OFF     0x1e
#define CC_Q_DESC           0x20
#define CC_Q_DRIVER         0x28
#define CC_Q_DEVICE         0x30

/* MSI-X capability */
#define MSIX_CTRL           2
#define MSIX_TABLE          4
#define MSIX_CTRL_ENABLE    0x8000
#define MSIX_CTRL_MASKALL   0x4000
#define MSIX_ENTRY_SIZE     16
#define MSI_ADDR_BASE       0xfee00000u

static uint64_t cap_addr(const struct virtio_pci *v, unsigned cap)
{
    const struct pci_dev *d = v->pci;
    uint8_t bar = pci_cfg_read8(d, cap + VCAP_BAR);
    uint32_t off = pci_cfg_read32(d, cap + VCAP_OFFSET);

    if (bar > 5 || d->bar[bar].io || !d->bar[bar].addr ||
        off + pci_cfg_read32(d, cap + VCAP_LENGTH) > d->bar[bar].size) {
        return 0;
    }
    return d->bar[bar].addr + off;
}

static bool find_caps(struct virtio_pci *v)
{
    const struct pci_dev *d = v->pci;

    for (unsigned c = pci_find_cap(d, PCI_CAP_VENDOR, 0); c;
         c = pci_find_cap(d, PCI_CAP_VENDOR, c)) {
        uint8_t type = pci_cfg_read8(d, c + VCAP_TYPE);
        uint64_t a = cap_addr(v, c);

        if (!a) {
            continue;
        }
        /* the first capability of each type is the preferred one */
        if (type == VIRTIO_CAP_COMMON && !v->common) {
            v->common = a;
        } else if (type == VIRTIO_CAP_NOTIFY && !v->notify) {
            v->notify = a;
            v->notify_mult = pci_cfg_read32(d, c + VCAP_NOTIFY_MULT);
        } else if (type == VIRTIO_CAP_ISR && !v->isr) {
            v->isr = a;
        } else if (type == VIRTIO_CAP_DEVICE && !v->devcfg) {
            v->devcfg = a;
        }
    }
    return v->common && v->notify && v->isr && v->devcfg;
}

static bool msix_setup(struct virtio_pci *v, const uint8_t *vectors, unsigned nvec)
{
    const struct pci_dev *d = v->pci;
    unsigned cap = pci_find_cap(d, PCI_CAP_MSIX, 0);

    if (!cap) {
        printf("vmu-fw: net no MSI-X capability\n");
        return false;
    }
    uint16_t ctrl = pci_cfg_read16(d, cap + MSIX_CTRL);
    uint32_t tbl = pci_cfg_read32(d, cap + MSIX_TABLE);
    unsigned n = (ctrl & 0x7ffu) + 1, bir = tbl & 7;

    if (n < nvec || bir > 5 || !d->bar[bir].addr || d->bar[bir].io) {
        printf("vmu-fw: net MSI-X table unusable (%u entries, BIR %u)\n", n, bir);
        return false;
    }
    uint64_t t = d->bar[bir].addr + (tbl & ~7u);
    for (unsigned i = 0; i < nvec; i++) {
        uint64_t e = t + i * MSIX_ENTRY_SIZE;
        mmio_write32(e + 0, MSI_ADDR_BASE | lapic_id() << 12);
        mmio_write32(e + 4, 0);
        mmio_write32(e + 8, vectors[i]);        /* fixed, edge */
        mmio_write32(e + 12, 0);                /* unmasked */
    }
    ctrl = (uint16_t)((ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASKALL);
    pci_cfg_write16(d, cap + MSIX_CTRL, ctrl);
    return true;
}

static bool intx_from_mptable(void)
{
    const char *val;
    return cmdline_get("intx", &val) == 2 && !strncmp(val, "mp", 2);
}

/*
 * intx=mp: as Linux without ACPI routes a PCI interrupt.  The MP table
 * gives the IOAPIC pin and its trigger and polarity; the PIIX3 router's
 * PIRQ register (0x60 + the link arch/x86/pci/irq.c reads for it) and the
 * function's INTERRUPT_LINE must say the same IRQ.
 */
static bool intx_setup_mp(struct virtio_pci *v, struct pci_dev *d)
{
    uint8_t ipin = pci_cfg_read8(d, PCI_INTR_PIN);
    uint8_t line = pci_cfg_read8(d, PCI_INTR_LINE);
    struct pci_dev *router = pci_find(0x8086, 0x7000);
    struct mp_route r;
    uint8_t pirq;

    if (ipin < 1 || ipin > 4) {
        printf("vmu-fw: net no INTx pin (%u)\n", ipin);
        return false;
    }
    if (!mp_pci_route(d->slot, ipin, &r)) {
        return false;
    }
    pirq = router ? pci_cfg_read8(router, 0x60 + ((d->slot + ipin - 2) & 3))
                  : 0x80;
    printf("vmu-fw: net intx mp bus %u slot %u INT%c -> ioapic pin %u %s %s, "
           "pirq %#x, line %u\n", r.bus, d->slot, 'A' + ipin - 1,
           r.ioapic_pin, r.level ? "level" : "edge",
           r.active_low ? "low" : "high", pirq, line);
    if (r.ioapic_pin == 0 || r.ioapic_pin >= 24 || (pirq & 0x80) ||
        pirq != r.ioapic_pin || line != r.ioapic_pin) {
        printf("vmu-fw: net intx MP table, PIRQ route and interrupt line "
               "disagree\n");
        return false;
    }
    v->intx_pin = r.ioapic_pin;
    if (r.level) {
        idt_set_level_ack(VEC_NET_INTX, v->isr);
    }
    ioapic_route_flags(v->intx_pin, VEC_NET_INTX, r.level, r.active_low,
                       lapic_id());
    return true;
}

bool virtio_pci_init(struct virtio_pci *v, struct pci_dev *d, enum virtio_irq irq,
                     const uint8_t *vectors, unsigned nvec)
{
    memset(v, 0, sizeof(*v));
    v->pci = d;
    v->irq = irq;
    if (!pci_enable(d)) {
        return false;
    }
    if (!find_caps(v)) {
        printf("vmu-fw: net no virtio 1.x capabilities\n");
        return false;
    }
    if (irq == IRQ_MSIX) {
        return msix_setup(v, vectors, nvec);
    }
    if (irq == IRQ_INTX && intx_from_mptable()) {
        return intx_setup_mp(v, d);
    }
    if (irq == IRQ_INTX) {
        uint64_t pin = cmdline_u64("intx-pin", pci_cfg_read8(d, PCI_INTR_LINE));
        if (!pci_cfg_read8(d, PCI_INTR_PIN) || pin == 0 || pin >= 24) {
            printf("vmu-fw: net no INTx line (use intx-pin=N)\n");
            return false;
        }
        v->intx_pin = (uint8_t)pin;
        /* Edge-triggered on purpose: the handler in idt.c only counts and
         * EOIs, so a level-triggered pin would storm until the ISR read in
         * the main loop. A new edge comes after each ISR read. */
        ioapic_route(v->intx_pin, VEC_NET_INTX, false, lapic_id());
    }
    return true;
}

uint8_t virtio_status(struct virtio_pci *v)
{
    return mmio_read8(v->common + CC_STATUS);
}

static void set_status(struct virtio_pci *v, uint8_t bits)
{
    mmio_write8(v->common + CC_STATUS, (uint8_t)(virtio_status(v) | bits));
}

static bool status_is_zero(void *p)
{
    return virtio_status(p) == 0;
}

bool virtio_negotiate(struct virtio_pci *v, uint64_t wanted)
{
    mmio_write8(v->common + CC_STATUS, 0);                  /* reset */
    if (!wait_bounded(status_is_zero, v)) {
        printf("vmu-fw: net reset did not complete\n");
        return false;
    }
    set_status(v, VIRTIO_STATUS_ACK);
    set_status(v, VIRTIO_STATUS_DRIVER);

    mmio_write32(v->common + CC_DFSELECT, 0);
    uint32_t lo = mmio_read32(v->common + CC_DF);
    mmio_write32(v->common + CC_DFSELECT, 1);
    uint32_t hi = mmio_read32(v->common + CC_DF);
    v->offered = (uint64_t)hi << 32 | lo;
    v->features = v->offered & wanted;
    if (!(v->features & (1ull << VIRTIO_F_VERSION_1))) {
        printf("vmu-fw: net device lacks VERSION_1 (features %#lx)\n", v->offered);
        set_status(v, VIRTIO_STATUS_FAILED);
        return false;
    }
    mmio_write32(v->common + CC_GFSELECT, 0);
    mmio_write32(v->common + CC_GF, (uint32_t)v->features);
    mmio_write32(v->common + CC_GFSELECT, 1);
    mmio_write32(v->common + CC_GF, (uint32_t)(v->features >> 32));
    set_status(v, VIRTIO_STATUS_FEATURES_OK);
    if (!(virtio_status(v) & VIRTIO_STATUS_FEATURES_OK)) {
        printf("vmu-fw: net FEATURES_OK refused (features %#lx)\n", v->features);
        set_status(v, VIRTIO_STATUS_FAILED);
        return false;
    }
    return true;
}

bool virtio_set_config_vector(struct virtio_pci *v, uint16_t msix)
{
    if (v->irq != IRQ_MSIX) {
        return true;
    }
    mmio_write16(v->common + CC_MSIX_CONFIG, msix);
    return mmio_read16(v->common + CC_MSIX_CONFIG) == msix;
}

static void zero_qwords(uint64_t addr, uint64_t n)
{
    void *d = (void *)(uintptr_t)addr;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ull) : "memory");
}

static void write64(uint64_t a, uint64_t val)
{
    mmio_write32(a, (uint32_t)val);
    mmio_write32(a + 4, (uint32_t)(val >> 32));
}

bool virtio_queue_setup(struct virtio_pci *v, struct vq *q, uint16_t index,
                        uint16_t qmax, uint64_t mem, uint16_t msix)
{
    uint64_t c = v->common;

    memset(q, 0, sizeof(*q));
    if (index >= mmio_read16(c + CC_NUM_QUEUES)) {
        printf("vmu-fw: net queue %u missing\n", index);
        return false;
    }
    mmio_write16(c + CC_Q_SELECT, index);
    uint16_t size = mmio_read16(c + CC_Q_SIZE);
    if (size == 0) {
        printf("vmu-fw: net queue %u unavailable\n", index);
        return false;
    }
    uint16_t want = qmax > VQ_MAX ? VQ_MAX : qmax;
    if (size > want) {
        size = want;
    }
    while (size & (size - 1)) {
        size &= (uint16_t)(size - 1);               /* power of 2 */
    }
    mmio_write16(c + CC_Q_SIZE, size);
    if (v->irq == IRQ_MSIX) {
        mmio_write16(c + CC_Q_MSIX, msix);
        if (mmio_read16(c + CC_Q_MSIX) != msix) {
            printf("vmu-fw: net queue %u MSI-X vector refused\n", index);
            return false;
        }
    }
    q->index = index;
    q->size = size;
    q->desc = (volatile struct vring_desc *)(uintptr_t)mem;
    q->avail = (volatile struct vring_avail *)(uintptr_t)(mem + 0x1000);
    q->used = (volatile struct vring_used *)(uintptr_t)(mem + 0x2000);
    zero_qwords(mem, 0x3000 / 8);
    for (uint16_t i = 0; i < size; i++) {
        q->free_ids[i] = (uint16_t)(size - 1 - i);  /* pops 0, 1, 2, ... */
    }
    q->nfree = size;
    write64(c + CC_Q_DESC, mem);
    write64(c + CC_Q_DRIVER, mem + 0x1000);
    write64(c + CC_Q_DEVICE, mem + 0x2000);
    q->notify = v->notify + (uint64_t)mmio_read16(c + CC_Q_NOTIFY_OFF) * v->notify_mult;
    mmio_write16(c + CC_Q_ENABLE, 1);
    return true;
}

void virtio_driver_ok(struct virtio_pci *v)
{
    set_status(v, VIRTIO_STATUS_DRIVER_OK);
}

uint8_t virtio_isr(struct virtio_pci *v)
{
    return mmio_read8(v->isr);
}

uint8_t virtio_cfg8(struct virtio_pci *v, unsigned off)
{
    return mmio_read8(v->devcfg + off);
}

uint16_t virtio_cfg16(struct virtio_pci *v, unsigned off)
{
    return mmio_read16(v->devcfg + off);
}

/* ---- split ring ---- */

void vq_add(struct vq *q, uint16_t id, uint64_t addr, uint32_t len, bool write)
{
    volatile struct vring_desc *d = &q->desc[id];

    d->addr = addr;
    d->len = len;
    d->flags = write ? VRING_DESC_F_WRITE : 0;
    d->next = 0;
    q->avail->ring[q->avail_idx & (q->size - 1)] = id;
    q->avail_idx++;
}

void vq_kick(struct vq *q, bool force)
{
    barrier();                          /* ring entries before the index */
    q->avail->idx = q->avail_idx;
    /* the index store must be visible before reading used->flags */
    __asm__ volatile("mfence" ::: "memory");
    if (force || !(q->used->flags & VRING_USED_F_NO_NOTIFY)) {
        mmio_write16(q->notify, q->index);
        q->kicks++;
    }
}

bool vq_has_used(const struct vq *q)
{
    return q->used->idx != q->last_used;
}

bool vq_get_used(struct vq *q, uint32_t *id, uint32_t *len)
{
    if (q->used->idx == q->last_used) {
        return false;
    }
    barrier();                          /* index before the element */
    volatile struct vring_used_elem *e = &q->used->ring[q->last_used & (q->size - 1)];
    *id = e->id;
    *len = e->len;
    q->last_used++;
    return true;
}
