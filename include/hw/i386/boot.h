/*
 * How the boot vCPU starts: the loaders (PVH ELF, bzImage) fill this in,
 * accel/kvm puts it in the registers of vCPU 0.
 */
#ifndef VMU_HW_I386_BOOT_H
#define VMU_HW_I386_BOOT_H

#include <stdbool.h>
#include <stdint.h>
#include "system/machine.h"
#include "util/error.h"

typedef enum X86BootMode {
    X86_BOOT_NONE,
    X86_BOOT_PROT32,        /* PVH or Linux 32-bit entry: flat, paging off */
    X86_BOOT_LONG64,        /* Linux 64-bit entry: identity-mapped, long mode */
    X86_BOOT_BIOS,          /* the reset vector: real mode at 0xfffffff0 */
} X86BootMode;

typedef struct X86BootState {
    X86BootMode mode;
    uint64_t rip;
    uint64_t rbx;           /* PVH: hvm_start_info */
    uint64_t rsi;           /* Linux: boot_params */
    uint64_t cr3;           /* LONG64: PML4 */
    uint64_t gdt_base;      /* GDT in guest memory (selectors 0x10, 0x18) */
    uint16_t gdt_limit;
} X86BootState;

extern X86BootState x86_boot;

/* Guest-physical layout of what vmu builds in low memory. */
#define X86_GDT_ADDR        0x500
#define X86_BOOT_INFO_ADDR  0x7000      /* hvm_start_info or boot_params */
#define X86_MEMMAP_ADDR     0x8000      /* PVH memmap (up to 128 entries) */
#define X86_PML4_ADDR       0x9000      /* + PDPT, 4 PDs: 0x9000-0xefff */
#define X86_MODLIST_ADDR    0xf000      /* PVH module list */
#define X86_CMDLINE_ADDR    0x20000     /* up to 64 KiB */
#define X86_CMDLINE_MAX     0x10000
#define X86_MPTABLE_ADDR    0xf0000     /* BIOS area, scanned by Linux */
/* SMBIOS entry point (16-byte aligned, scanned) and tables after it. */
#define X86_SMBIOS_ADDR     0xf4000
#define X86_SMBIOS_END      0xfc000
/* -kernel with ACPI: the loader's F-segment zone (the RSDP), and its high
 * zone at the top of RAM below 4 GiB (e820 type 3, ACPI). */
#define X86_ACPI_FSEG_ADDR  0xfc000
#define X86_ACPI_FSEG_END   0x100000
#define X86_ACPI_HIGH_SIZE  0x20000
#define X86_KVM_IDMAP_ADDR  0xfeffc000  /* KVM's identity map page (1) */
#define X86_KVM_TSS_ADDR    0xfeffd000  /* KVM's TSS (3 pages) */

/* e820 types */
#define E820_RAM        1
#define E820_RESERVED   2
#define E820_ACPI       3

typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

/* The machine's memory map as the guest sees it. */
unsigned e820_table(const MachineState *ms, E820Entry *out, unsigned max);
/* Where the RAM a direct-boot kernel may use below 4 GiB ends. */
uint64_t x86_low_ram_top(const MachineState *ms);
/* The RSDP a direct boot passes on (PVH start info, boot_params); 0: none. */
extern uint64_t x86_boot_rsdp;

/* Phase 1 (nothing created): is it a kernel we can boot, does it fit? */
bool x86_kernel_check(const MachineState *ms, Error **errp);
/* Load -kernel/-initrd/-append into guest RAM and fill x86_boot. */
bool x86_load_kernel(MachineState *ms, Error **errp);
bool pvh_load(MachineState *ms, const uint8_t *img, size_t len,
              Error **errp);
bool bzimage_load(MachineState *ms, const uint8_t *img, size_t len,
                  Error **errp);
bool pvh_probe(const uint8_t *img, size_t len, uint32_t *entry);
bool bzimage_probe(const uint8_t *img, size_t len);
/* Read -initrd into guest RAM below max_addr; returns its gpa. */
bool x86_load_initrd(MachineState *ms, uint64_t max_addr, uint64_t *gpa,
                     uint64_t *size, Error **errp);
/* Flat GDT at X86_GDT_ADDR: 0x10 code (64-bit if code64), 0x18 data. */
void x86_write_gdt(bool code64);
/* End of the loaded kernel image (the initrd goes above it). */
extern uint64_t x86_boot_kernel_end;
/* The MP table for ms->smp_cpus CPUs at X86_MPTABLE_ADDR. */
void mptable_write(const MachineState *ms);

#endif
