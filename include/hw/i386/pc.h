/*
 * The PC machine's address map.
 */
#ifndef VMU_HW_I386_PC_H
#define VMU_HW_I386_PC_H

#include "system/memory.h"

#define PC_LOWMEM_END       0xc0000000ULL   /* RAM below: at most 3 GiB */
#define PC_PCI_HOLE_START   PC_LOWMEM_END
#define PC_PCI_HOLE_END     0xfec00000ULL   /* IOAPIC, LAPIC, BIOS above */
#define PC_HIGHMEM_START    0x100000000ULL

#endif
