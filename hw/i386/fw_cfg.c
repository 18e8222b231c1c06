/*
 * What the PC puts in fw_cfg for its firmware: RAM size, CPU counts, the
 * e820 map as QEMU's pc gives it (all RAM; SeaBIOS reserves its own
 * areas); pc-boot.c adds the -boot files.
 */
#include <glib.h>
#include <string.h>

#include "hw/i386/boot.h"
#include "hw/i386/pc.h"
#include "hw/nvram/fw_cfg.h"

/* etc/e820: 20-byte entries, address, length (64-bit), type (32-bit). */
static bool pc_fw_cfg_e820(const MachineState *ms, Error **errp)
{
    const E820Entry all[] = {
        { 0, ms->below_4g, E820_RAM },
        { PC_HIGHMEM_START, ms->above_4g, E820_RAM },
        /* KVM's identity map and TSS, as QEMU reserves them under KVM. */
        { X86_KVM_IDMAP_ADDR, strcmp(ms->accel, "kvm") ? 0 : 0x4000,
          E820_RESERVED },
    };
    uint8_t *buf = g_malloc0(G_N_ELEMENTS(all) * 20);
    size_t len = 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(all); i++) {
        if (!all[i].size) {
            continue;
        }
        uint64_t addr = GUINT64_TO_LE(all[i].addr);
        uint64_t size = GUINT64_TO_LE(all[i].size);
        uint32_t type = GUINT32_TO_LE(all[i].type);
        memcpy(buf + len, &addr, 8);
        memcpy(buf + len + 8, &size, 8);
        memcpy(buf + len + 16, &type, 4);
        len += 20;
    }
    return fw_cfg_add_file("etc/e820", buf, len, errp);
}

bool pc_fw_cfg_init(MachineState *ms, Error **errp)
{
    fw_cfg_add_i64(FW_CFG_RAM_SIZE, ms->ram_size);
    fw_cfg_add_i16(FW_CFG_NOGRAPHIC, ms->nographic);
    fw_cfg_add_i16(FW_CFG_NB_CPUS, ms->smp_cpus);
    fw_cfg_add_i16(FW_CFG_MAX_CPUS, ms->smp_cpus);  /* no CPU hotplug */
    return pc_fw_cfg_e820(ms, errp) && pc_boot_fw_cfg(errp) &&
           pc_smbios_fw_cfg(ms, errp) && fw_cfg_init_io(errp);
}
