/*
 * PCI bus 0 as configuration mechanism 1 presents it: the guest sizes and
 * places BARs, enables decoding in the command register, walks capabilities.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "hw/pci/msix.h"
#include "hw/pci/pam.h"
#include "hw/pci/pci.h"
#include "system/reset.h"
#include "util/trace.h"

static PCIDevice *bus[256];

PCIDevice *pci_find_device(uint8_t devfn)
{
    return bus[devfn];
}

bool pci_device_register(PCIDevice *d, const char *name, int devfn,
                         uint16_t vendor, uint16_t device, uint32_t class_code,
                         const PCIDeviceOps *ops, void *opaque, Error **errp)
{
    if (devfn < 0) {
        for (unsigned slot = 2; slot < 32; slot++) {
            if (!bus[PCI_DEVFN(slot, 0)]) {
                devfn = PCI_DEVFN(slot, 0);
                break;
            }
        }
        if (devfn < 0) {
            error_setg(errp, "%s: PCI bus 0 is full (32 slots); remove a "
                       "device", name);
            return false;
        }
    } else if (devfn > 255) {
        error_setg(errp, "%s: invalid PCI address", name);
        return false;
    } else if (bus[devfn]) {
        error_setg(errp, "%s: PCI address %02x.%x is taken by %s; choose "
                   "another addr=", name, PCI_SLOT(devfn), PCI_FUNC(devfn),
                   bus[devfn]->name);
        return false;
    }
    g_strlcpy(d->name, name, sizeof(d->name));
    d->devfn = devfn;
    d->ops = ops;
    d->opaque = opaque;
    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    memset(d->w1cmask, 0, sizeof(d->w1cmask));
    d->cap_end = 0;
    d->msix = NULL;
    d->intx_level = false;
    pci_set_word(&d->config[PCI_VENDOR_ID], vendor);
    pci_set_word(&d->config[PCI_DEVICE_ID], device);
    d->config[PCI_CLASS_PROG] = class_code;
    pci_set_word(&d->config[PCI_CLASS_DEVICE], class_code >> 8);
    pci_set_word(&d->wmask[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        d->bars[i].addr = PCI_BAR_UNMAPPED;
    }
    bus[devfn] = d;
    trace(pci_device_register, "%s at 00:%02x.%x %04x:%04x", name,
          PCI_SLOT(devfn), PCI_FUNC(devfn), vendor, device);
    return true;
}

void pci_device_unregister(PCIDevice *d)
{
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        if (d->bars[i].size) {
            io_region_unmap(&d->bars[i].region);
        }
    }
    if (bus[d->devfn] == d) {
        bus[d->devfn] = NULL;
    }
}

void pci_register_bar(PCIDevice *d, unsigned n, uint8_t type, uint64_t size,
                      const char *name, const MemoryRegionOps *ops,
                      void *opaque)
{
    PCIBar *b = &d->bars[n];
    bool io = type & PCI_BASE_ADDRESS_SPACE_IO;
    uint64_t wmask = ~(size - 1) & (io ? ~3ULL : ~15ULL);

    b->size = size;
    b->type = type;
    b->addr = PCI_BAR_UNMAPPED;
    io_region_init(&b->region, name, io ? AS_IO : AS_MEMORY, size, ops,
                   opaque);
    pci_set_long(&d->config[PCI_BASE_ADDRESS_0 + 4 * n], type);
    pci_set_long(&d->wmask[PCI_BASE_ADDRESS_0 + 4 * n], (uint32_t)wmask);
    if (type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        pci_set_long(&d->config[PCI_BASE_ADDRESS_0 + 4 * (n + 1)], 0);
        pci_set_long(&d->wmask[PCI_BASE_ADDRESS_0 + 4 * (n + 1)],
                     (uint32_t)(wmask >> 32));
    }
}

uint8_t pci_add_capability(PCIDevice *d, uint8_t id, uint8_t size)
{
    /* Capabilities are packed after the header, in the order added. */
    unsigned off = d->cap_end ? d->cap_end : PCI_CONFIG_HEADER_SIZE;
    uint8_t *prev = &d->config[PCI_CAPABILITY_LIST];

    off = (off + 3) & ~3u;
    if (off + size > PCI_CONFIG_SPACE_SIZE) {
        return 0;
    }
    while (*prev) {
        prev = &d->config[*prev + 1];
    }
    *prev = off;
    d->config[off] = id;
    d->config[off + 1] = 0;
    d->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    d->cap_end = off + size;
    return off;
}

static uint64_t bar_address(PCIDevice *d, unsigned n)
{
    PCIBar *b = &d->bars[n];
    uint64_t addr = pci_get_long(&d->config[PCI_BASE_ADDRESS_0 + 4 * n]);
    if (b->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        addr |= (uint64_t)pci_get_long(&d->config[PCI_BASE_ADDRESS_0 +
                                                   4 * (n + 1)]) << 32;
    }
    return addr & ~(b->size - 1) &
           ((b->type & PCI_BASE_ADDRESS_SPACE_IO) ? ~3ULL : ~15ULL);
}

/* Where BAR n decodes now, or PCI_BAR_UNMAPPED. */
static uint64_t bar_target(PCIDevice *d, unsigned n)
{
    PCIBar *b = &d->bars[n];
    uint16_t cmd = pci_get_word(&d->config[PCI_COMMAND]);
    bool io = b->type & PCI_BASE_ADDRESS_SPACE_IO;
    uint64_t addr = bar_address(d, n);
    uint64_t limit;

    if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY))) {
        return PCI_BAR_UNMAPPED;
    }
    if (io) {
        limit = 0x10000;
    } else if (b->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        limit = 1ULL << 52;
    } else {
        limit = 1ULL << 32;
    }
    /* 0 and the all-ones sizing pattern are not addresses. */
    if (addr == 0 || addr + b->size > limit || addr + b->size < addr ||
        addr + b->size == limit) {
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

static void bars_update(PCIDevice *d)
{
    static RateLimit rl;
    for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
        PCIBar *b = &d->bars[n];
        if (!b->size) {
            continue;
        }
        uint64_t target = bar_target(d, n);
        if (target == b->addr) {
            continue;
        }
        io_region_unmap(&b->region);
        b->addr = PCI_BAR_UNMAPPED;
        if (target != PCI_BAR_UNMAPPED) {
            Error *err = NULL;
            if (io_region_map(&b->region, target, &err)) {
                b->addr = target;
            } else {
                error_report_ratelimited(&rl, "%s: BAR %u left unmapped: %s",
                                         d->name, n, error_get_pretty(err));
                error_free(err);
            }
        }
        trace(pci_bar_update, "%s BAR %u -> 0x%" PRIx64, d->name, n, b->addr);
        if (d->ops && d->ops->bar_moved) {
            d->ops->bar_moved(d, n);
        }
    }
}

uint32_t pci_config_read(PCIDevice *d, unsigned off, unsigned len)
{
    uint32_t v = 0;
    if (d->ops && d->ops->config_read) {
        d->ops->config_read(d, off, len);
    }
    for (unsigned i = 0; i < len && off + i < PCI_CONFIG_SPACE_SIZE; i++) {
        v |= (uint32_t)d->config[off + i] << (8 * i);
    }
    return v;
}

static void intx_update(PCIDevice *d);

void pci_config_write(PCIDevice *d, unsigned off, uint32_t val, unsigned len)
{
    bool bars = false;
    for (unsigned i = 0; i < len && off + i < PCI_CONFIG_SPACE_SIZE; i++) {
        unsigned a = off + i;
        uint8_t b = val >> (8 * i);
        d->config[a] = (d->config[a] & ~d->wmask[a]) | (b & d->wmask[a]);
        d->config[a] &= ~(b & d->w1cmask[a]);
        if ((a >= PCI_BASE_ADDRESS_0 && a < PCI_BASE_ADDRESS_0 + 24) ||
            a == PCI_COMMAND) {
            bars = true;
        }
    }
    trace(pci_config_write, "%s off 0x%x val 0x%x len %u", d->name, off, val,
          len);
    if (bars) {
        bars_update(d);
    }
    if (off <= PCI_COMMAND + 1 && off + len > PCI_COMMAND + 1) {
        intx_update(d);
    }
    if (d->msix) {
        msix_config_write(d, off, len);
    }
    if (d->ops && d->ops->config_write) {
        d->ops->config_write(d, off, val, len);
    }
}

/* INTx: PIIX3 PIRQ A-D, each a wired OR of the slots swizzled onto it. */

static PCIDevice host_bridge, piix3;
#define PIIX3_SLOT  1
static uint8_t pirq_irq_level[16];
/* Level sources on ISA IRQs besides the PIRQs (the ACPI SCI), one bit per
 * IRQ: a level IRQ the guest may share with PCI INTx is their wired OR. */
static uint16_t isa_other_level;

/* The PIIX3 swizzle: INTA of slot s is PIRQ (s - 1) mod 4, and so on. */
static unsigned slot_pirq(unsigned slot, unsigned pin)
{
    return (pin - 1 + slot - 1) & 3;
}

static unsigned intx_pirq(PCIDevice *d)
{
    return slot_pirq(PCI_SLOT(d->devfn), d->config[PCI_INTERRUPT_PIN]);
}

/* Recompute every ISA IRQ level from the PIRQ routes and device levels. */
static void pirq_update_all(void)
{
    unsigned level[16] = { 0 };
    for (unsigned i = 0; i < 256; i++) {
        PCIDevice *d = bus[i];
        if (!d || !d->config[PCI_INTERRUPT_PIN] || !d->intx_level ||
            (pci_get_word(&d->config[PCI_COMMAND]) &
             PCI_COMMAND_INTX_DISABLE)) {
            continue;
        }
        uint8_t route = piix3.config[0x60 + intx_pirq(d)];
        if (!(route & 0x80)) {
            level[route & 0xf]++;
        }
    }
    for (unsigned irq = 0; irq < 16; irq++) {
        uint8_t l = level[irq] > 0 || (isa_other_level >> irq & 1);
        if (l != pirq_irq_level[irq]) {
            pirq_irq_level[irq] = l;
            trace(pci_pirq_set_irq, "irq %u level %u", irq, l);
            accel_set_irq(irq, l);
        }
    }
}

static void intx_update(PCIDevice *d)
{
    if (d->intx_level) {
        d->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    } else {
        d->config[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
    }
    if (accel) {
        pirq_update_all();
    }
}

void pci_set_irq(PCIDevice *d, bool level)
{
    if (d->intx_level != level) {
        d->intx_level = level;
        intx_update(d);
    }
}

void pci_piix_set_isa_irq(unsigned irq, bool level)
{
    if (level) {
        isa_other_level |= 1u << (irq & 15);
    } else {
        isa_other_level &= ~(1u << (irq & 15));
    }
    pirq_update_all();
}

void pci_piix_set_pirq(unsigned pirq, unsigned irq)
{
    piix3.config[0x60 + (pirq & 3)] = irq & 0xf;
    pirq_update_all();
}

int pci_intx_pirq(unsigned slot, unsigned pin)
{
    /* Slot 1 is the PIIX itself: its PM function's interrupt is the SCI,
     * wired to its ISA IRQ, not a PIRQ. */
    if (slot == PIIX3_SLOT || slot > 31 || pin < 1 || pin > 4) {
        return -1;
    }
    return slot_pirq(slot, pin);
}

int pci_intx_route(unsigned slot, unsigned pin)
{
    int pirq = pci_intx_pirq(slot, pin);
    if (pirq < 0 || (piix3.config[0x60 + pirq] & 0x80)) {
        return -1;
    }
    return piix3.config[0x60 + pirq] & 0xf;
}

void pci_piix_route_as_bios(void)
{
    static const uint8_t bios_irqs[4] = { 10, 10, 11, 11 };
    for (unsigned i = 0; i < 4; i++) {
        pci_piix_set_pirq(i, bios_irqs[i]);
    }
    for (unsigned i = 0; i < 256; i++) {
        PCIDevice *d = bus[i];
        if (d && d->config[PCI_INTERRUPT_PIN] &&
            PCI_SLOT(i) != PIIX3_SLOT) {
            int irq = pci_intx_route(PCI_SLOT(i), d->config[PCI_INTERRUPT_PIN]);
            d->config[PCI_INTERRUPT_LINE] = irq < 0 ? 0xff : irq;
        }
    }
    trace(pci_piix_route_as_bios, "PIRQ A-D -> IRQ 10 10 11 11");
}

static void piix3_config_write(PCIDevice *d, unsigned off, uint32_t val,
                               unsigned len)
{
    if (off < 0x64 && off + len > 0x60) {
        pirq_update_all();
    }
}

static void piix3_reset(PCIDevice *d)
{
    for (unsigned i = 0; i < 4; i++) {
        d->config[0x60 + i] = 0x80;     /* PIRQ routing disabled */
    }
    pirq_update_all();
}

static const PCIDeviceOps piix3_ops = {
    .config_write = piix3_config_write,
    .reset = piix3_reset,
};

/* The host bridge: its PAM registers (hw/pci/pam.c). */

static void host_bridge_config_write(PCIDevice *d, unsigned off, uint32_t val,
                                     unsigned len)
{
    pam_config_write(d, off, len);
}

static void host_bridge_reset(PCIDevice *d)
{
    pam_set_all(d, PAM_MODE_ROM);
}

static const PCIDeviceOps host_bridge_ops = {
    .config_write = host_bridge_config_write,
    .reset = host_bridge_reset,
};

void pci_host_pam_set_all(unsigned mode)
{
    pam_set_all(&host_bridge, mode);
}

/* Configuration mechanism 1: 0xcf8 address latch, 0xcfc-0xcff data. */

static uint32_t config_address;

/* ---- reset ---- */

void pci_device_reset(PCIDevice *d)
{
    if (d->ops && d->ops->reset) {
        d->ops->reset(d);
    }
    /* Decoding and bus mastering off, BARs back to 0 (their type bits
     * stay), interrupt line 0, no interrupt pending. */
    pci_set_word(&d->config[PCI_COMMAND],
                 pci_get_word(&d->config[PCI_COMMAND]) &
                 ~pci_get_word(&d->wmask[PCI_COMMAND]));
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        unsigned off = PCI_BASE_ADDRESS_0 + 4 * i;
        pci_set_long(&d->config[off], pci_get_long(&d->config[off]) &
                     ~pci_get_long(&d->wmask[off]));
    }
    d->config[PCI_INTERRUPT_LINE] = 0;
    for (unsigned a = 0; a < PCI_CONFIG_SPACE_SIZE; a++) {
        d->config[a] &= ~d->w1cmask[a];
    }
    d->intx_level = false;
    intx_update(d);
    bars_update(d);
    msix_reset(d);
    trace(pci_device_reset, "%s", d->name);
}

void pci_bus_reset(void)
{
    config_address = 0;
    for (unsigned i = 0; i < 256; i++) {
        if (bus[i]) {
            pci_device_reset(bus[i]);
        }
    }
}

static void pci_bus_reset_handler(void *opaque)
{
    pci_bus_reset();
}
static IORegion cf8_region, cfc_region;

/* A byte access at 0xcf9 is the PIIX reset control register, not ours. */
static IORegion *cf9_region;

void pci_host_forward_cf9(IORegion *r)
{
    cf9_region = r;
}

static uint64_t cf8_read(void *opaque, uint64_t off, unsigned size)
{
    if (size == 1 && off == 1 && cf9_region && cf9_region->ops->read) {
        return cf9_region->ops->read(cf9_region->opaque, 0, 1);
    }
    return size == 4 ? config_address : UINT64_MAX;
}

static void cf8_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    if (size == 1 && off == 1 && cf9_region && cf9_region->ops->write) {
        cf9_region->ops->write(cf9_region->opaque, 0, val, 1);
    } else if (size == 4) {
        config_address = val;
    }
}

static PCIDevice *config_target(unsigned *reg)
{
    if (!(config_address & 0x80000000) || ((config_address >> 16) & 0xff)) {
        return NULL;
    }
    *reg = config_address & 0xfc;
    return bus[(config_address >> 8) & 0xff];
}

static uint64_t cfc_read(void *opaque, uint64_t off, unsigned size)
{
    unsigned reg;
    PCIDevice *d = config_target(&reg);
    if (!d) {
        return UINT64_MAX;
    }
    return pci_config_read(d, reg + off, size);
}

static void cfc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    unsigned reg;
    PCIDevice *d = config_target(&reg);
    if (d) {
        pci_config_write(d, reg + off, val, size);
    }
}

static const MemoryRegionOps cf8_ops = { cf8_read, cf8_write };
static const MemoryRegionOps cfc_ops = { cfc_read, cfc_write };

bool pci_host_init(Error **errp)
{
    /* The IDs of QEMU's pc: a scan written for one works on the other. */
    if (!pci_device_register(&host_bridge, "i440FX host bridge",
                             PCI_DEVFN(0, 0), 0x8086, 0x1237, 0x060000,
                             &host_bridge_ops, NULL, errp) ||
        !pam_init(&host_bridge, errp)) {
        return false;
    }
    host_bridge.config[PCI_REVISION_ID] = 2;
    if (!pci_device_register(&piix3, "PIIX3", PCI_DEVFN(PIIX3_SLOT, 0), 0x8086,
                             0x7000, 0x060100, &piix3_ops, NULL, errp)) {
        return false;
    }
    piix3.config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_MULTI;
    for (unsigned i = 0; i < 4; i++) {
        piix3.config[0x60 + i] = 0x80;     /* PIRQ routing disabled */
        piix3.wmask[0x60 + i] = 0x8f;
    }
    reset_handler_add(pci_bus_reset_handler, NULL);
    io_region_init(&cf8_region, "pci-conf-addr", AS_IO, 4, &cf8_ops, NULL);
    io_region_init(&cfc_region, "pci-conf-data", AS_IO, 4, &cfc_ops, NULL);
    return io_region_map(&cf8_region, 0xcf8, errp) &&
           io_region_map(&cfc_region, 0xcfc, errp);
}

/* OpenFirmware names of PCI classes (the PCI bus binding), those vmu's
 * devices have; others are pciVVVV,DDDD. */
char *pci_device_fw_path(const PCIDevice *d)
{
    static const struct {
        uint16_t class;
        const char *name;
    } names[] = {
        { 0x0100, "scsi" }, { 0x0101, "ide" }, { 0x0106, "sata" },
        { 0x0180, "storage" }, { 0x0200, "ethernet" },
        { 0x0600, "host" }, { 0x0601, "isa" },
    };
    uint16_t class = d->config[0x0b] << 8 | d->config[0x0a];
    char *name = NULL;
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        if (names[i].class == class) {
            name = g_strdup(names[i].name);
        }
    }
    if (!name) {
        name = g_strdup_printf("pci%04x,%04x", d->config[0] | d->config[1] << 8,
                               d->config[2] | d->config[3] << 8);
    }
    char *path = PCI_FUNC(d->devfn) ?
        g_strdup_printf("/pci@i0cf8/%s@%x,%x", name, PCI_SLOT(d->devfn),
                        PCI_FUNC(d->devfn)) :
        g_strdup_printf("/pci@i0cf8/%s@%x", name, PCI_SLOT(d->devfn));
    g_free(name);
    return path;
}
