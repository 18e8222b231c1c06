/*
 * SMBIOS on the PC: the tables go to fw_cfg for the BIOS, which places
 * them; with a direct kernel boot vmu is the firmware and puts them in the
 * F segment itself, where Linux's DMI scan looks (0xF0000-0xFFFFF).
 */
#include <glib.h>

#include "hw/i386/boot.h"
#include "hw/i386/pc.h"
#include "hw/smbios/smbios.h"
#include "system/compat-options.h"
#include "util/trace.h"

static void pc_smbios_machine(const MachineState *ms, SmbiosMachine *m)
{
    const FirmwareOptions *fw = firmware_options();
    *m = (SmbiosMachine) {
        .cpus = ms->smp_cpus,
        .below_4g = ms->below_4g,
        .above_4g = ms->above_4g,
        .uuid = fw->has_uuid ? fw->uuid : NULL,
        .opts = fw->smbios,
    };
}

bool pc_smbios_fw_cfg(const MachineState *ms, Error **errp)
{
    SmbiosMachine m;
    pc_smbios_machine(ms, &m);
    return smbios_fw_cfg(&m, errp);
}

bool pc_smbios_write(const MachineState *ms, Error **errp)
{
    SmbiosMachine m;
    uint8_t anchor[SMBIOS_ANCHOR_LEN];
    GByteArray *t = g_byte_array_new();
    pc_smbios_machine(ms, &m);
    if (!smbios_build(&m, t, anchor, errp)) {
        g_byte_array_free(t, true);
        return false;
    }
    uint32_t tables = X86_SMBIOS_ADDR + 32;
    if (tables + t->len > X86_SMBIOS_END) {
        error_setg(errp, "the SMBIOS tables (%u bytes) do not fit the %u "
                   "bytes vmu keeps for them below 1 MiB", t->len,
                   X86_SMBIOS_END - tables);
        error_append_hint(errp, "use fewer vCPUs or smaller -smbios files");
        g_byte_array_free(t, true);
        return false;
    }
    smbios_anchor_set_address(anchor, tables);
    memory_write(X86_SMBIOS_ADDR, anchor, sizeof(anchor));
    memory_write(tables, t->data, t->len);
    trace(pc_smbios_write, "anchor 0x%x, %u bytes of tables at 0x%x",
          X86_SMBIOS_ADDR, t->len, tables);
    g_byte_array_free(t, true);
    return true;
}
