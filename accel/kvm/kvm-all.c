/*
 * accel/kvm: the VM, its in-kernel irqchip and PIT, memory slots from the
 * memory map, ioeventfds, irqfds and the GSI routing table.  vCPUs are in
 * kvm-cpus.c, CPUID and MSRs in cpuid.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hw/i386/boot.h"
#include "kvm-internal.h"
#include "system/accel.h"
#include "system/machine.h"
#include "system/main-loop.h"
#include "util/trace.h"

KVMState kvm_state = { .fd = -1, .vm_fd = -1 };

/* GSI routing: KVM replaces the whole table on each update. */
#define KVM_MSI_GSI_FIRST 24
static GMutex route_lock;
static struct kvm_irq_routing_entry *routes;
static unsigned nr_routes, max_gsi;
static unsigned long *gsi_used;

static bool memory_error_set;
static Error *memory_error;

int kvm_vm_ioctl_ret(unsigned long req, void *arg)
{
    int r;
    do {
        r = ioctl(kvm_state.vm_fd, req, arg);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

static bool kvm_open(Error **errp)
{
    kvm_state.fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm_state.fd < 0) {
        int e = errno;
        if (e == ENOENT) {
            error_setg(errp, "/dev/kvm does not exist: KVM is not available "
                       "on this host");
            error_append_hint(errp, "load the module (modprobe kvm_intel or "
                              "kvm_amd), enable virtualization in the "
                              "firmware, or use -accel qtest for guestless "
                              "tests");
        } else {
            error_setg_errno(errp, e, "cannot open /dev/kvm");
            if (e == EACCES || e == EPERM) {
                error_append_hint(errp, "add your user to the group owning "
                                  "/dev/kvm (usually 'kvm') and log in "
                                  "again, or run vmu as root");
            }
        }
        return false;
    }
    int version = ioctl(kvm_state.fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        error_setg(errp, "/dev/kvm speaks KVM API version %d; vmu needs %d",
                   version, KVM_API_VERSION);
        return false;
    }
    static const struct { int cap; const char *name; } needed[] = {
        { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
        { KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
        { KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
        { KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
        { KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
        { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
        { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
        { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
        { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(needed); i++) {
        if (ioctl(kvm_state.fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0) {
            error_setg(errp, "this KVM lacks %s, which vmu needs",
                       needed[i].name);
            return false;
        }
    }
    kvm_state.vcpu_mmap_size = ioctl(kvm_state.fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (kvm_state.vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        error_setg_errno(errp, errno, "KVM_GET_VCPU_MMAP_SIZE failed");
        return false;
    }
    int slots = ioctl(kvm_state.fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
    kvm_state.max_slots = slots > 0 ? slots : 32;
    int gsis = ioctl(kvm_state.fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
    max_gsi = gsis > KVM_MSI_GSI_FIRST ? MIN(gsis, 4096) : 1024;
    return true;
}

/* ---- GSI routing ---- */

static void route_add_irqchip(unsigned gsi, unsigned chip, unsigned pin)
{
    routes[nr_routes++] = (struct kvm_irq_routing_entry) {
        .gsi = gsi,
        .type = KVM_IRQ_ROUTING_IRQCHIP,
        .u.irqchip = { .irqchip = chip, .pin = pin },
    };
}

static bool routes_commit(Error **errp)
{
    size_t sz = sizeof(struct kvm_irq_routing) +
                nr_routes * sizeof(struct kvm_irq_routing_entry);
    struct kvm_irq_routing *t = g_malloc0(sz);
    t->nr = nr_routes;
    memcpy(t->entries, routes, nr_routes * sizeof(*routes));
    int r = kvm_vm_ioctl_ret(KVM_SET_GSI_ROUTING, t);
    g_free(t);
    if (r < 0) {
        error_setg_errno(errp, -r, "KVM_SET_GSI_ROUTING failed (%u routes)",
                         nr_routes);
        return false;
    }
    trace(kvm_set_gsi_routing, "%u routes", nr_routes);
    return true;
}

/*
 * As QEMU's PC: GSI 0-15 to the PICs (but the cascade, 2), GSI 0 to IOAPIC
 * pin 2 (the MP table's IRQ0 override), the rest 1:1 to IOAPIC pins.
 */
static bool routes_init(Error **errp)
{
    routes = g_new0(struct kvm_irq_routing_entry, max_gsi + 48);
    gsi_used = g_new0(unsigned long, max_gsi / 64 + 1);
    for (unsigned gsi = 0; gsi < 16; gsi++) {
        if (gsi != 2) {
            route_add_irqchip(gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
                              KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
        }
    }
    for (unsigned gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
        if (gsi != 2) {
            route_add_irqchip(gsi, KVM_IRQCHIP_IOAPIC, gsi ? gsi : 2);
        }
    }
    return routes_commit(errp);
}

static struct kvm_irq_routing_entry *route_find(unsigned gsi)
{
    for (unsigned i = 0; i < nr_routes; i++) {
        if (routes[i].gsi == gsi) {
            return &routes[i];
        }
    }
    return NULL;
}

static void msi_to_route(struct kvm_irq_routing_entry *e, unsigned gsi,
                         MSIMessage msg)
{
    *e = (struct kvm_irq_routing_entry) {
        .gsi = gsi,
        .type = KVM_IRQ_ROUTING_MSI,
        .u.msi = {
            .address_lo = (uint32_t)msg.address,
            .address_hi = (uint32_t)(msg.address >> 32),
            .data = msg.data,
        },
    };
}

static int kvm_irqfd_add(MSIMessage msg, int fd, Error **errp)
{
    g_mutex_lock(&route_lock);
    unsigned gsi;
    for (gsi = KVM_MSI_GSI_FIRST; gsi < max_gsi; gsi++) {
        if (!(gsi_used[gsi / 64] & (1UL << (gsi % 64)))) {
            break;
        }
    }
    if (gsi >= max_gsi) {
        g_mutex_unlock(&route_lock);
        error_setg(errp, "no free GSI for an MSI route (KVM allows %u)",
                   max_gsi);
        return -ENOSPC;
    }
    msi_to_route(&routes[nr_routes++], gsi, msg);
    if (!routes_commit(errp)) {
        nr_routes--;
        g_mutex_unlock(&route_lock);
        return -EINVAL;
    }
    struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };
    int r = kvm_vm_ioctl_ret(KVM_IRQFD, &irqfd);
    if (r < 0) {
        nr_routes--;
        routes_commit(NULL);
        g_mutex_unlock(&route_lock);
        error_setg_errno(errp, -r, "KVM_IRQFD failed (fd %d, GSI %u)", fd,
                         gsi);
        return r;
    }
    gsi_used[gsi / 64] |= 1UL << (gsi % 64);
    g_mutex_unlock(&route_lock);
    trace(kvm_irqfd_add, "fd %d gsi %u msi 0x%" PRIx64 " data 0x%x", fd, gsi,
          msg.address, msg.data);
    return gsi;
}

static bool kvm_irqfd_update(int handle, MSIMessage msg, Error **errp)
{
    g_mutex_lock(&route_lock);
    struct kvm_irq_routing_entry *e = route_find(handle);
    if (!e || handle < KVM_MSI_GSI_FIRST) {
        g_mutex_unlock(&route_lock);
        error_setg(errp, "no MSI route with handle %d", handle);
        return false;
    }
    struct kvm_irq_routing_entry old = *e;
    msi_to_route(e, handle, msg);
    bool ok = routes_commit(errp);
    if (!ok) {
        *e = old;
    }
    g_mutex_unlock(&route_lock);
    trace(kvm_irqfd_update, "gsi %d msi 0x%" PRIx64 " data 0x%x", handle,
          msg.address, msg.data);
    return ok;
}

static void kvm_irqfd_del(int handle, int fd)
{
    struct kvm_irqfd irqfd = {
        .fd = fd, .gsi = handle, .flags = KVM_IRQFD_FLAG_DEASSIGN,
    };
    int r = kvm_vm_ioctl_ret(KVM_IRQFD, &irqfd);
    if (r < 0) {
        error_report("KVM_IRQFD deassign failed (fd %d, GSI %d): %s", fd,
                     handle, strerror(-r));
    }
    g_mutex_lock(&route_lock);
    struct kvm_irq_routing_entry *e = route_find(handle);
    if (e && handle >= KVM_MSI_GSI_FIRST) {
        *e = routes[--nr_routes];
        gsi_used[handle / 64] &= ~(1UL << (handle % 64));
        Error *err = NULL;
        if (!routes_commit(&err)) {
            error_report_err(err);
        }
    }
    g_mutex_unlock(&route_lock);
    trace(kvm_irqfd_del, "fd %d gsi %d", fd, handle);
}

static void kvm_msi_send(MSIMessage msg)
{
    struct kvm_msi m = {
        .address_lo = (uint32_t)msg.address,
        .address_hi = (uint32_t)(msg.address >> 32),
        .data = msg.data,
    };
    int r = kvm_vm_ioctl_ret(KVM_SIGNAL_MSI, &m);
    if (r < 0) {
        static RateLimit rl;
        error_report_ratelimited(&rl, "KVM_SIGNAL_MSI failed (address 0x%"
                                 PRIx64 " data 0x%x): %s", msg.address,
                                 msg.data, strerror(-r));
    }
    trace(kvm_msi_send, "msi 0x%" PRIx64 " data 0x%x: %d", msg.address,
          msg.data, r);
}

static void kvm_set_irq(unsigned gsi, bool level)
{
    struct kvm_irq_level l = { .irq = gsi, .level = level };
    int r = kvm_vm_ioctl_ret(KVM_IRQ_LINE, &l);
    if (r < 0) {
        static RateLimit rl;
        error_report_ratelimited(&rl, "KVM_IRQ_LINE failed (GSI %u level "
                                 "%d): %s", gsi, level, strerror(-r));
    }
    trace(kvm_set_irq, "gsi %u level %d", gsi, level);
}

/* ---- ioeventfd ---- */

static int ioeventfd_ioctl(AddressSpaceId as, uint64_t addr, unsigned len,
                           bool match_data, uint64_t data, int fd,
                           bool assign)
{
    struct kvm_ioeventfd e = {
        .datamatch = match_data ? data : 0,
        .addr = addr,
        .len = len,
        .fd = fd,
        .flags = (as == AS_IO ? KVM_IOEVENTFD_FLAG_PIO : 0) |
                 (match_data ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };
    return kvm_vm_ioctl_ret(KVM_IOEVENTFD, &e);
}

static bool kvm_ioeventfd_add(AddressSpaceId as, uint64_t addr, unsigned len,
                              bool match_data, uint64_t data, int fd,
                              Error **errp)
{
    int r = ioeventfd_ioctl(as, addr, len, match_data, data, fd, true);
    trace(kvm_ioeventfd_add, "%s 0x%" PRIx64 "+%u match %d data 0x%" PRIx64
          " fd %d: %d", as == AS_IO ? "pio" : "mmio", addr, len, match_data,
          data, fd, r);
    if (r < 0) {
        error_setg_errno(errp, -r, "KVM_IOEVENTFD failed for %s 0x%" PRIx64
                         "+%u", as == AS_IO ? "PIO" : "MMIO", addr, len);
        return false;
    }
    return true;
}

static void kvm_ioeventfd_del(AddressSpaceId as, uint64_t addr, unsigned len,
                              bool match_data, uint64_t data, int fd)
{
    int r = ioeventfd_ioctl(as, addr, len, match_data, data, fd, false);
    trace(kvm_ioeventfd_del, "%s 0x%" PRIx64 "+%u match %d data 0x%" PRIx64
          " fd %d: %d", as == AS_IO ? "pio" : "mmio", addr, len, match_data,
          data, fd, r);
    if (r < 0) {
        error_report("KVM_IOEVENTFD deassign failed for %s 0x%" PRIx64
                     "+%u: %s", as == AS_IO ? "PIO" : "MMIO", addr, len,
                     strerror(-r));
    }
}

/* ---- memory slots ---- */

/*
 * One slot per piece of the CPU's view (system/memory.c): guest RAM, a
 * ROM or a shadow window.  A read-only piece is a KVM_MEM_READONLY slot:
 * the guest's writes to it exit as MMIO, which the memory map drops.
 */
typedef struct KVMSlot {
    bool used;
    uint64_t gpa;
    uint64_t size;
} KVMSlot;

static KVMSlot *slots;
static bool readonly_mem;
static bool memory_started;     /* errors from now on are reported */

static void memory_fail(Error *err)
{
    static RateLimit rl;
    if (memory_started) {
        error_report_ratelimited(&rl, "%s", error_get_pretty(err));
        error_free(err);
    } else if (!memory_error_set) {
        memory_error = err;
        memory_error_set = true;
    } else {
        error_free(err);
    }
}

static void kvm_ram_add(MemoryListener *l, const RAMRange *r, bool readonly)
{
    Error *err = NULL;
    if (memory_error_set && !memory_started) {
        return;
    }
    unsigned slot;
    for (slot = 0; slot < (unsigned)kvm_state.max_slots; slot++) {
        if (!slots[slot].used) {
            break;
        }
    }
    if (slot >= (unsigned)kvm_state.max_slots) {
        error_setg(&err, "KVM has only %d memory slots", kvm_state.max_slots);
        memory_fail(err);
        return;
    }
    if (readonly && !readonly_mem) {
        static bool warned;
        if (!warned) {
            warn_report("this KVM cannot map memory read-only (no "
                        "KVM_CAP_READONLY_MEM): the guest can write to its "
                        "BIOS image and to write-protected shadow RAM; a "
                        "reset restores the image");
            warned = true;
        }
        readonly = false;
    }
    struct kvm_userspace_memory_region m = {
        .slot = slot,
        .flags = readonly ? KVM_MEM_READONLY : 0,
        .guest_phys_addr = r->gpa,
        .memory_size = r->size,
        .userspace_addr = (uintptr_t)r->hva,
    };
    int ret = kvm_vm_ioctl_ret(KVM_SET_USER_MEMORY_REGION, &m);
    trace(kvm_set_user_memory_region, "slot %u gpa 0x%" PRIx64 " size 0x%"
          PRIx64 " hva %p%s: %d", m.slot, r->gpa, r->size, r->hva,
          readonly ? " read-only" : "", ret);
    if (ret < 0) {
        bool mib = r->size >= (1 << 20);
        error_setg_errno(&err, -ret, "KVM_SET_USER_MEMORY_REGION failed "
                         "for guest %s at 0x%" PRIx64 " (%" PRIu64 " %s)",
                         readonly ? "ROM" : "RAM", r->gpa,
                         r->size >> (mib ? 20 : 10), mib ? "MiB" : "KiB");
        if (ret == -EINVAL || ret == -ENOMEM || ret == -EFAULT) {
            error_append_hint(&err, "the host cannot map that much guest "
                              "RAM: use a smaller -m");
        }
        memory_fail(err);
        return;
    }
    slots[slot] = (KVMSlot) { .used = true, .gpa = r->gpa, .size = r->size };
    kvm_state.nr_slots++;
}

static void kvm_ram_del(MemoryListener *l, const RAMRange *r)
{
    for (unsigned slot = 0; slot < (unsigned)kvm_state.max_slots; slot++) {
        KVMSlot *k = &slots[slot];
        if (!k->used || k->gpa != r->gpa || k->size != r->size) {
            continue;
        }
        struct kvm_userspace_memory_region m = {
            .slot = slot,
            .guest_phys_addr = r->gpa,
        };
        int ret = kvm_vm_ioctl_ret(KVM_SET_USER_MEMORY_REGION, &m);
        trace(kvm_del_user_memory_region, "slot %u gpa 0x%" PRIx64 " size 0x%"
              PRIx64 ": %d", slot, r->gpa, r->size, ret);
        if (ret < 0) {
            Error *err = NULL;
            error_setg_errno(&err, -ret, "KVM could not remove the memory "
                             "slot at 0x%" PRIx64, r->gpa);
            memory_fail(err);
            return;
        }
        k->used = false;
        kvm_state.nr_slots--;
        return;
    }
}

static MemoryListener kvm_memory_listener = {
    .ram_add = kvm_ram_add,
    .ram_del = kvm_ram_del,
};

bool kvm_memory_check(Error **errp)
{
    memory_started = true;
    if (memory_error_set) {
        error_propagate(errp, memory_error);
        memory_error = NULL;
        return false;
    }
    return true;
}

/* ---- the VM ---- */

/* The PICs, IOAPIC and PIT as KVM created them: a reset puts them back. */
static struct kvm_irqchip irqchip_power_on[3];
static struct kvm_pit_state2 pit_power_on;

static bool irqchip_snapshot(Error **errp)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(irqchip_power_on); i++) {
        irqchip_power_on[i].chip_id = i;    /* PIC master, slave, IOAPIC */
        int r = kvm_vm_ioctl_ret(KVM_GET_IRQCHIP, &irqchip_power_on[i]);
        if (r < 0) {
            error_setg_errno(errp, -r, "KVM_GET_IRQCHIP failed for chip %u",
                             i);
            return false;
        }
    }
    int r = kvm_vm_ioctl_ret(KVM_GET_PIT2, &pit_power_on);
    if (r < 0) {
        error_setg_errno(errp, -r, "KVM_GET_PIT2 failed");
        return false;
    }
    return true;
}

bool kvm_irqchip_reset(Error **errp)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(irqchip_power_on); i++) {
        struct kvm_irqchip chip = irqchip_power_on[i];
        int r = kvm_vm_ioctl_ret(KVM_SET_IRQCHIP, &chip);
        if (r < 0) {
            error_setg_errno(errp, -r, "KVM_SET_IRQCHIP failed for chip %u",
                             i);
            return false;
        }
    }
    struct kvm_pit_state2 pit = pit_power_on;
    int r = kvm_vm_ioctl_ret(KVM_SET_PIT2, &pit);
    if (r < 0) {
        error_setg_errno(errp, -r, "KVM_SET_PIT2 failed");
        return false;
    }
    trace(kvm_irqchip_reset, "PICs, IOAPIC and PIT at power-on state");
    return true;
}

static bool kvm_init(MachineState *ms, Error **errp)
{
    if (!kvm_open(errp)) {
        return false;
    }
    if (!kvm_cpuid_init(ms, errp)) {
        return false;
    }
    int fd;
    do {
        fd = ioctl(kvm_state.fd, KVM_CREATE_VM, 0);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        error_setg_errno(errp, errno, "KVM_CREATE_VM failed");
        return false;
    }
    kvm_state.vm_fd = fd;
    int r = kvm_vm_ioctl_ret(KVM_SET_TSS_ADDR, (void *)(uintptr_t)
                             X86_KVM_TSS_ADDR);
    if (r < 0) {
        error_setg_errno(errp, -r, "KVM_SET_TSS_ADDR failed");
        return false;
    }
    if (ioctl(kvm_state.fd, KVM_CHECK_EXTENSION,
              KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
        uint64_t idmap = X86_KVM_IDMAP_ADDR;
        r = kvm_vm_ioctl_ret(KVM_SET_IDENTITY_MAP_ADDR, &idmap);
        if (r < 0) {
            error_setg_errno(errp, -r, "KVM_SET_IDENTITY_MAP_ADDR failed");
            return false;
        }
    }
    r = kvm_vm_ioctl_ret(KVM_CREATE_IRQCHIP, NULL);
    if (r < 0) {
        error_setg_errno(errp, -r, "KVM_CREATE_IRQCHIP failed");
        return false;
    }
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    r = kvm_vm_ioctl_ret(KVM_CREATE_PIT2, &pit);
    if (r < 0) {
        error_setg_errno(errp, -r, "KVM_CREATE_PIT2 failed");
        return false;
    }
    if (!irqchip_snapshot(errp)) {
        return false;
    }
    if (!routes_init(errp)) {
        return false;
    }
    slots = g_new0(KVMSlot, kvm_state.max_slots);
    readonly_mem = ioctl(kvm_state.fd, KVM_CHECK_EXTENSION,
                         KVM_CAP_READONLY_MEM) > 0;
    memory_listener_register(&kvm_memory_listener);
    trace(kvm_init, "vm fd %d, %d memory slots%s, %u GSIs", fd,
          kvm_state.max_slots, readonly_mem ? " (read-only too)" : "",
          max_gsi);
    return true;
}

static const AccelOps kvm_ops = {
    .name = "kvm",
    .init = kvm_init,
    .start = kvm_start_vcpus,
    .stop = kvm_stop_vcpus,
    .pause = kvm_pause_vcpus,
    .reset = kvm_reset_vcpus,
    .resume = kvm_resume_vcpus,
    .ioeventfd_add = kvm_ioeventfd_add,
    .ioeventfd_del = kvm_ioeventfd_del,
    .irqfd_add = kvm_irqfd_add,
    .irqfd_update = kvm_irqfd_update,
    .irqfd_del = kvm_irqfd_del,
    .msi_send = kvm_msi_send,
    .set_irq = kvm_set_irq,
};

static void kvm_register(void)
{
    accel_register(&kvm_ops);
}
static void __attribute__((constructor)) kvm_register_ctor(void)
{
    kvm_register();
}
