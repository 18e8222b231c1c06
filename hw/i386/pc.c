/*
 * The PC machine: guest RAM below 3 GiB and the rest from 4 GiB, both from
 * one memory backend at different offsets; the PCI hole in between.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "hw/i386/pc.h"
#include "hw/pci/pci.h"
#include "system/hostmem.h"
#include "system/machine.h"
#include "util/trace.h"

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
    trace(pc_machine_init, "ram %" PRIu64 " MiB: %" PRIu64 " MiB below 4G, %"
          PRIu64 " MiB above", ms->ram_size >> 20, ms->below_4g >> 20,
          ms->above_4g >> 20);
    return pci_host_init(errp);
}
