/*
 * The PC machine: guest RAM below 3 GiB and the rest from 4 GiB, both from
 * one memory backend at different offsets; the PCI hole in between.  The
 * platform around it: e820 map, MP table, COM1, the reset ports.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "chardev/char.h"
#include "hw/acpi/acpi.h"
#include "hw/char/serial.h"
#include "hw/i386/boot.h"
#include "hw/i386/pc.h"
#include "hw/input/i8042.h"
#include "hw/pci/pci.h"
#include "hw/rtc/mc146818rtc.h"
#include "system/compat-options.h"
#include "system/hostmem.h"
#include "system/machine.h"
#include "system/main-loop.h"
#include "system/reset.h"
#include "util/trace.h"

uint64_t x86_boot_rsdp;

/* A direct boot with ACPI keeps the top of low RAM for the tables. */
static uint64_t pc_acpi_high_size(const MachineState *ms)
{
    return ms->kernel && !firmware_options()->no_acpi ? X86_ACPI_HIGH_SIZE
                                                      : 0;
}

uint64_t x86_low_ram_top(const MachineState *ms)
{
    return MIN(ms->ram_size, PC_LOWMEM_END) - pc_acpi_high_size(ms);
}

unsigned e820_table(const MachineState *ms, E820Entry *out, unsigned max)
{
    uint64_t top = x86_low_ram_top(ms);
    const E820Entry all[] = {
        { 0, X86_EBDA_START, E820_RAM },
        { X86_EBDA_START, 0xa0000 - X86_EBDA_START, E820_RESERVED },
        /* MP table, SMBIOS, the RSDP */
        { 0xf0000, 0x10000, E820_RESERVED },
        { 0x100000, top - 0x100000, E820_RAM },
        { top, pc_acpi_high_size(ms), E820_ACPI },
        { X86_KVM_IDMAP_ADDR, 0x4000, E820_RESERVED },  /* KVM TSS, idmap */
        { PC_HIGHMEM_START, ms->above_4g, E820_RAM },
    };
    unsigned n = 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(all) && n < max; i++) {
        if (all[i].size) {
            out[n++] = all[i];
        }
    }
    return n;
}

/* PIIX reset control (0xcf9); the keyboard controller's reset line is
 * hw/input/i8042.c's. */
static void reset_port_write(void *opaque, uint64_t offset, uint64_t value,
                             unsigned size)
{
    static uint8_t rcr;
    if ((value & 0x04) && !(rcr & 0x04)) {
        pc_reset_request("a reset through port 0xcf9");
    }
    rcr = value & 0x0a;
}

static uint64_t reset_port_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static const MemoryRegionOps reset_port_ops = {
    .read = reset_port_read,
    .write = reset_port_write,
};

/*
 * System control port A (0x92): bit 1 is the A20 gate (always open under
 * KVM, as in QEMU), bit 0 going 0 -> 1 resets the machine.
 */
static uint8_t port92;

static uint64_t port92_read(void *opaque, uint64_t offset, unsigned size)
{
    return port92 | 0x02;
}

static void port92_write(void *opaque, uint64_t offset, uint64_t value,
                         unsigned size)
{
    bool reset = (value & 1) && !(port92 & 1);
    port92 = value & 0x02;
    if (reset) {
        pc_reset_request("a fast reset through port 0x92");
    }
}

static const MemoryRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
};

void pc_reset_request(const char *why)
{
    trace(pc_reset_request, "%s", why);
    if (current_machine && current_machine->no_reboot) {
        shutdown_request(SHUTDOWN_GUEST_RESET, 0);
        return;
    }
    /* As QEMU: restart in place, however often the guest asks. */
    reset_request(why);
}

/*
 * With -kernel vmu is the firmware: the tables a BIOS would leave (SMBIOS,
 * ACPI through the table loader; the MP table once the PCI devices exist,
 * pc_firmware_setup), then the kernel and its boot information, which
 * points at the RSDP.
 */
static bool pc_direct_boot(MachineState *ms, Error **errp)
{
    /* The tables go in the F segment: shadow RAM, read-write (PAM 3). */
    pci_host_pam_set_all(3);
    if (!pc_smbios_write(ms, errp)) {
        return false;
    }
    x86_boot_rsdp = 0;
    if (pc_acpi_high_size(ms)) {
        AcpiLoaderZones z = {
            .high_base = x86_low_ram_top(ms),
            .high_size = pc_acpi_high_size(ms),
            .fseg_base = X86_ACPI_FSEG_ADDR,
            .fseg_size = X86_ACPI_FSEG_END - X86_ACPI_FSEG_ADDR,
        };
        if (!acpi_loader_run(&z, &x86_boot_rsdp, errp)) {
            return false;
        }
    }
    return x86_load_kernel(ms, errp);
}

/* The firmware a PC would run again: its tables, kernel, initrd, boot info. */
static void pc_machine_reset(void *opaque)
{
    MachineState *ms = opaque;
    Error *err = NULL;
    trace(pc_reset, "reset %u: %s", reset_count(), reset_reason());
    if (ms->kernel) {
        if (!pc_direct_boot(ms, &err)) {
            error_prepend(&err, "the guest reset and vmu cannot load its "
                          "kernel again: ");
            error_report_err(err);
            shutdown_request(SHUTDOWN_ERROR, 1);
        }
    }
}

/* No -kernel: the BIOS, under KVM always, under qtest when -bios names one. */
static bool pc_boots_bios(const MachineState *ms)
{
    return !ms->kernel && (!strcmp(ms->accel, "kvm") || ms->bios);
}

bool pc_machine_check(MachineState *ms, Error **errp)
{
    if (ms->kernel && ms->bios) {
        warn_report("-bios %s is not used: -kernel boots the kernel "
                    "directly", ms->bios);
    }
    if (pc_boots_bios(ms) && !pc_bios_check(ms, errp)) {
        return false;
    }
    return x86_kernel_check(ms, errp);
}

/*
 * With -kernel vmu is the BIOS: after the bus reset (its handler runs
 * before this one), open the shadow RAM again (PAM 3: the tables written
 * before the bus reset are in it), route the PIRQs and fill
 * INTERRUPT_LINE as SeaBIOS does for QEMU's pc, then describe that routing
 * in the MP table.
 */
static void pc_firmware_setup(void *opaque)
{
    MachineState *ms = opaque;
    pci_host_pam_set_all(3);
    pci_piix_route_as_bios();
    mptable_write(ms);
}

bool pc_machine_done(MachineState *ms, Error **errp)
{
    if (ms->kernel) {
        pc_firmware_setup(ms);
        reset_handler_add(pc_firmware_setup, ms);
    }

    static IORegion rcr;
    io_region_init(&rcr, "reset-control", AS_IO, 1, &reset_port_ops,
                   (void *)0xcf9);
    /* hw/pci may own 0xcf8-0xcff; it then forwards 0xcf9 writes itself. */
    if (!io_region_map(&rcr, 0xcf9, NULL)) {
        trace(pc_reset_control_forwarded, "0xcf9 is inside the PCI host's "
              "0xcf8; it forwards byte accesses");
        pci_host_forward_cf9(&rcr);
    }

    if (!pc_boot_order_fw_cfg(errp)) {
        return false;
    }
    /* -serial and -device isa-serial made theirs; else COM1 on stdio. */
    if (!ms->serial && !ms->nodefaults && strcmp(ms->accel, "qtest") &&
        !serial_ports() && !chardev_stdio()->owner) {  /* -monitor stdio */
        return serial_new(chardev_stdio(), serial_iobase[0], 4, errp) != NULL;
    }
    return true;
}

/* The implicit backend behind plain -m or -mem-path. */
static HostMemoryBackend *pc_default_ram(MachineState *ms, Error **errp)
{
    HostMemoryBackend *be;
    if (ms->mem_path) {
        be = host_memory_backend_new(HOSTMEM_FILE, "pc.ram", ms->ram_size);
        be->mem_path = g_strdup(ms->mem_path);
        be->share = ms->mem_path_share;
    } else {
        /* Unlike QEMU, plain -m is a shared memfd: vhost-user just works. */
        be = host_memory_backend_new(HOSTMEM_MEMFD, "pc.ram", ms->ram_size);
        be->share = true;
    }
    be->prealloc = ms->mem_prealloc;
    if (!host_memory_backend_alloc(be, errp)) {
        return NULL;
    }
    return be;
}

bool pc_machine_init(MachineState *ms, Error **errp)
{
    HostMemoryBackend *be;
    if (ms->memory_backend) {
        be = host_memory_backend_find(ms->memory_backend);
        if (be->used) {
            error_setg(errp, "memory backend '%s' is already in use",
                       be->id);
            return false;
        }
        if (ms->mem_prealloc && !be->prealloc) {
            be->prealloc = true;
        }
    } else {
        be = pc_default_ram(ms, errp);
        if (!be) {
            return false;
        }
    }
    be->used = true;
    ms->ram = be;
    ms->below_4g = MIN(ms->ram_size, PC_LOWMEM_END);
    ms->above_4g = ms->ram_size - ms->below_4g;
    if (!memory_map_add_ram(0, ms->below_4g, be, 0, errp)) {
        return false;
    }
    if (ms->above_4g &&
        !memory_map_add_ram(PC_HIGHMEM_START, ms->above_4g, be, ms->below_4g,
                            errp)) {
        return false;
    }
    static IORegion a20;
    io_region_init(&a20, "port92", AS_IO, 1, &port92_ops, NULL);
    if (!io_region_map(&a20, 0x92, errp) || !i8042_init(errp)) {
        return false;
    }
    if (!pc_fw_cfg_init(ms, errp) || !rtc_init(ms, errp)) {
        return false;
    }
    pc_boot_cmos();
    reset_handler_add(pc_machine_reset, ms);
    /* The host bridge's PAM windows first: the BIOS lies under them. */
    if (!pci_host_init(errp)) {
        return false;
    }
    if (pc_boots_bios(ms) && !pc_bios_load(ms, errp)) {
        return false;
    }
    trace(pc_machine_init, "ram %" PRIu64 " MiB: %" PRIu64 " MiB below 4G, %"
          PRIu64 " MiB above", ms->ram_size >> 20, ms->below_4g >> 20,
          ms->above_4g >> 20);
    /* As QEMU: -no-acpi takes the PM function away with the tables. */
    if (!firmware_options()->no_acpi &&
        (!piix4_pm_init(ms, errp) || !acpi_build_fw_cfg(ms, errp))) {
        return false;
    }
    return !ms->kernel || pc_direct_boot(ms, errp);
}
