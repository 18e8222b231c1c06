/*
 * The i440FX's Programmable Attribute Map (host bridge 00:00.0, config
 * 0x59-0x5f): for each segment of 0xC0000-0xFFFFF, whether the CPU's reads
 * and writes reach RAM or the ROM side.  hw/pci/pci.c owns the host bridge
 * and calls these.
 */
#ifndef VMU_HW_PCI_PAM_H
#define VMU_HW_PCI_PAM_H

#include "hw/pci/pci.h"

#define PAM_FIRST_REG       0x59
#define PAM_LAST_REG        0x5f

/* A field's modes: bit 0 reads RAM, bit 1 writes RAM. */
#define PAM_MODE_ROM        0
#define PAM_MODE_READ_RAM   1
#define PAM_MODE_WRITE_RAM  2
#define PAM_MODE_RAM        3

/* The windows in the memory map, the writable bits; all fields 0. */
bool pam_init(PCIDevice *d, Error **errp);
/* After a configuration write at off, len bytes: follow what changed. */
void pam_config_write(PCIDevice *d, unsigned off, unsigned len);
/* Every field to mode (0 at reset; what a firmware leaves). */
void pam_set_all(PCIDevice *d, unsigned mode);

#endif
