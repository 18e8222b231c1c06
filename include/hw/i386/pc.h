/*
 * The PC machine's address map.
 */
#ifndef VMU_HW_I386_PC_H
#define VMU_HW_I386_PC_H

#include "system/machine.h"
#include "system/memory.h"

#define PC_LOWMEM_END       0xc0000000ULL   /* RAM below: at most 3 GiB */
#define PC_PCI_HOLE_START   PC_LOWMEM_END
#define PC_PCI_HOLE_END     0xfec00000ULL   /* IOAPIC, LAPIC, BIOS above */
#define PC_HIGHMEM_START    0x100000000ULL
#define X86_EBDA_START      0x9fc00ULL      /* base memory ends here */

/*
 * The guest asked for a reset (port 0x64, 0xcf9, triple fault).  With
 * -no-reboot vmu exits with status 0; without, it says it cannot restart
 * the guest and exits too.  hw/pci's host bridge should call it for a
 * byte write at 0xcf9 with bit 2 set if it owns that port.
 */
void pc_reset_request(const char *why);

/* hw/i386/fw_cfg.c: the PC's fw_cfg items and files, then the ports. */
bool pc_fw_cfg_init(MachineState *ms, Error **errp);

/* hw/i386/pc-smbios.c: SMBIOS for the BIOS (fw_cfg) or, with -kernel, in
 * guest memory at X86_SMBIOS_ADDR. */
bool pc_smbios_fw_cfg(const MachineState *ms, Error **errp);
bool pc_smbios_write(const MachineState *ms, Error **errp);

/* hw/i386/pc-boot.c: -boot checked (phase 1), then in fw_cfg and CMOS. */
bool pc_boot_option_add(const char *text, Error **errp);
bool pc_boot_fw_cfg(Error **errp);
/* After -device: "bootorder" from the bootindex= devices (and strict=). */
bool pc_boot_order_fw_cfg(Error **errp);
void pc_boot_cmos(void);

/* hw/i386/pc-bios.c: read and check -bios (phase 1), then map it. */
bool pc_bios_check(MachineState *ms, Error **errp);
bool pc_bios_load(MachineState *ms, Error **errp);

#endif
