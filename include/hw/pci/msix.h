/*
 * MSI-X: the table and PBA in a BAR of their own, per-vector masks, the
 * function mask and enable bits, and pending bits so that a masked vector
 * never loses an interrupt.
 */
#ifndef VMU_HW_PCI_MSIX_H
#define VMU_HW_PCI_MSIX_H

#include "hw/pci/pci.h"
#include "system/accel.h"

#define PCI_MSIX_FLAGS          2       /* message control, in the cap */
#define  PCI_MSIX_FLAGS_QSIZE   0x07ff
#define  PCI_MSIX_FLAGS_MASKALL 0x4000
#define  PCI_MSIX_FLAGS_ENABLE  0x8000
#define PCI_MSIX_TABLE          4
#define PCI_MSIX_PBA            8
#define PCI_MSIX_ENTRY_SIZE     16
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 1
#define MSIX_PBA_OFFSET         0x800

/*
 * Told when what a vector delivers may have changed: MSI-X enabled or
 * disabled, function mask, a vector's mask or its address/data.
 */
typedef void MSIXVectorNotifier(PCIDevice *d, void *opaque);

/* nvec vectors; the table at 0 and the PBA at 0x800 of BAR bar. */
bool msix_init(PCIDevice *d, unsigned nvec, unsigned bar,
               MSIXVectorNotifier *notifier, void *opaque, Error **errp);
void msix_uninit(PCIDevice *d);

bool msix_enabled(PCIDevice *d);
unsigned msix_nr_vectors(PCIDevice *d);
bool msix_is_masked(PCIDevice *d, unsigned vector);
MSIMessage msix_get_message(PCIDevice *d, unsigned vector);
/* Deliver now, or set the pending bit if masked.  False if MSI-X is off. */
bool msix_notify(PCIDevice *d, unsigned vector);
bool msix_is_pending(PCIDevice *d, unsigned vector);
/* pci.c: the message control word may have changed. */
void msix_config_write(PCIDevice *d, unsigned off, unsigned len);
/* Back to power-on state: table masked, PBA clear, disabled. */
void msix_reset(PCIDevice *d);

#endif
