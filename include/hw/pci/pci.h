/*
 * PCI bus 0: devices with a 256-byte configuration space, BARs the guest
 * assigns, capabilities, INTx through the PIIX3 PIRQ routers.
 */
#ifndef VMU_HW_PCI_PCI_H
#define VMU_HW_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "system/memory.h"
#include "util/error.h"

#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define  PCI_COMMAND_IO         0x0001
#define  PCI_COMMAND_MEMORY     0x0002
#define  PCI_COMMAND_MASTER     0x0004
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS              0x06
#define  PCI_STATUS_INTERRUPT   0x0008
#define  PCI_STATUS_CAP_LIST    0x0010
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0a
#define PCI_HEADER_TYPE         0x0e
#define  PCI_HEADER_TYPE_MULTI  0x80
#define PCI_BASE_ADDRESS_0      0x10
#define  PCI_BASE_ADDRESS_SPACE_IO   0x01
#define  PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID        0x2e
#define PCI_CAPABILITY_LIST     0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d
#define PCI_CONFIG_HEADER_SIZE  0x40
#define PCI_CONFIG_SPACE_SIZE   0x100

#define PCI_CAP_ID_VNDR         0x09
#define PCI_CAP_ID_MSIX         0x11

#define PCI_NUM_BARS            6
#define PCI_BAR_UNMAPPED        UINT64_MAX

#define PCI_DEVFN(slot, fn)     ((((slot) & 0x1f) << 3) | ((fn) & 7))
#define PCI_SLOT(devfn)         (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)         ((devfn) & 7)

typedef struct PCIDevice PCIDevice;
typedef struct MSIXState MSIXState;

typedef struct PCIBar {
    uint64_t size;              /* 0: the BAR is absent */
    uint8_t type;               /* low bits of the BAR register */
    uint64_t addr;              /* where it is mapped, or PCI_BAR_UNMAPPED */
    IORegion region;
} PCIBar;

typedef struct PCIDeviceOps {
    /* Before a configuration read of len bytes at off: a chance to fill
     * config[] with what the read must see (a window on a BAR). */
    void (*config_read)(PCIDevice *d, unsigned off, unsigned len);
    /* After the generic handling of a configuration write. */
    void (*config_write)(PCIDevice *d, unsigned off, uint32_t val,
                         unsigned len);
    /* A BAR was mapped, moved or unmapped (d->bars[bar].addr says which). */
    void (*bar_moved)(PCIDevice *d, unsigned bar);
    /* Machine reset: the device's own state back to power-on, before the
     * generic part (command 0, BARs unmapped, MSI-X off and masked). */
    void (*reset)(PCIDevice *d);
} PCIDeviceOps;

struct PCIDevice {
    char name[32];              /* "virtio-net-pci net0" for errors */
    uint8_t devfn;
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];   /* bits the guest may write */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE]; /* write-1-to-clear bits */
    PCIBar bars[PCI_NUM_BARS];
    const PCIDeviceOps *ops;
    void *opaque;
    MSIXState *msix;
    bool intx_level;
    unsigned cap_end;           /* first free byte after the caps */
};

/* Create the host bridge (00:00.0) and the PIIX3 (00:01.0); pc.c calls it. */
bool pci_host_init(Error **errp);
/* Every i440FX PAM field to mode (3: RAM read-write), as a firmware would
 * leave them: with -kernel vmu is that firmware. */
void pci_host_pam_set_all(unsigned mode);
/* Byte accesses at 0xcf9 (inside 0xcf8's register) go to r (reset control). */
void pci_host_forward_cf9(IORegion *r);

/* Put d on bus 0 at devfn, or at the first free slot from 2 if devfn < 0. */
bool pci_device_register(PCIDevice *d, const char *name, int devfn,
                         uint16_t vendor, uint16_t device, uint32_t class_code,
                         const PCIDeviceOps *ops, void *opaque, Error **errp);
void pci_device_unregister(PCIDevice *d);
PCIDevice *pci_find_device(uint8_t devfn);
/* The device's OpenFirmware path, /pci@i0cf8/NAME@SLOT[,FN], NAME from its
 * class (ethernet, scsi, ...) as firmware expects (g_free). */
char *pci_device_fw_path(const PCIDevice *d);
/* Power-on state: as at a machine reset (every device: pci_bus_reset). */
void pci_device_reset(PCIDevice *d);
void pci_bus_reset(void);

/* Declare BAR n; type is the BAR register's low bits. */
void pci_register_bar(PCIDevice *d, unsigned n, uint8_t type, uint64_t size,
                      const char *name, const MemoryRegionOps *ops,
                      void *opaque);

/* Append a capability; returns its offset, or 0 if the space is full. */
uint8_t pci_add_capability(PCIDevice *d, uint8_t id, uint8_t size);

/* INTx on the device's pin, through the PIIX3 PIRQ routing. */
void pci_set_irq(PCIDevice *d, bool level);
/* A level-triggered ISA IRQ source outside PCI (the ACPI SCI): combined
 * with the PIRQs routed to the same IRQ. */
void pci_piix_set_isa_irq(unsigned irq, bool level);
/* Program a PIRQ route as firmware would (pirq 0-3 = A-D, irq 0-15). */
void pci_piix_set_pirq(unsigned pirq, unsigned irq);
/* Which PIRQ (0-3 = A-D, the PIIX3's registers 0x60-0x63) INTx pin (1-4 =
 * INTA-INTD) of a device in slot is wired to; -1 for the PIIX's own slot. */
int pci_intx_pirq(unsigned slot, unsigned pin);
/* The ISA IRQ that INTx pin (1-4 = INTA-INTD) of a device in slot reaches
 * through the PIRQ routing as programmed now; -1 if that route is off or
 * the slot is the PIIX's own (slot 1). */
int pci_intx_route(unsigned slot, unsigned pin);
/* What a PC BIOS does before it boots (SeaBIOS's choice): PIRQ A-D to IRQ
 * 10, 10, 11, 11 and the INTERRUPT_LINE of every interrupting function
 * outside slot 1 set to its IRQ.  For direct kernel boots, where vmu is
 * the firmware. */
void pci_piix_route_as_bios(void);

/* Config space helpers (little endian). */
static inline uint16_t pci_get_word(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

/* Configuration access as mechanism 1 sees it (also for tests). */
uint32_t pci_config_read(PCIDevice *d, unsigned off, unsigned len);
void pci_config_write(PCIDevice *d, unsigned off, uint32_t val, unsigned len);

#endif
