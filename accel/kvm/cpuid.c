/*
 * The guest's CPUID (what KVM supports, filtered to what vmu models, with
 * QEMU's policy for -cpu host on top: TSC-deadline, no SEV, the -smp
 * topology; -cpu host,+F,-F applied) and the MSRs a vCPU starts with:
 * only those the host lists, and KVM_SET_MSRS's count is checked, since
 * some KVMs (nested kvm-pvm) refuse MSRs that others take.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hw/i386/pc.h"
#include "kvm-internal.h"
#include "util/opts.h"
#include "util/trace.h"

enum { R_EAX, R_EBX, R_ECX, R_EDX };

typedef struct CPUFeature {
    const char *name;
    uint32_t leaf, subleaf;
    int reg;
    int bit;
} CPUFeature;

static const CPUFeature features[] = {
    { "vmx", 1, 0, R_ECX, 5 },
    { "pdcm", 1, 0, R_ECX, 15 },
    { "x2apic", 1, 0, R_ECX, 21 },
    { "tsc-deadline", 1, 0, R_ECX, 24 },
    { "aes", 1, 0, R_ECX, 25 },
    { "xsave", 1, 0, R_ECX, 26 },
    { "avx", 1, 0, R_ECX, 28 },
    { "rdrand", 1, 0, R_ECX, 30 },
    { "hypervisor", 1, 0, R_ECX, 31 },
    { "avx2", 7, 0, R_EBX, 5 },
    { "avx512f", 7, 0, R_EBX, 16 },
    { "rdseed", 7, 0, R_EBX, 18 },
    { "pku", 7, 0, R_ECX, 3 },
    { "la57", 7, 0, R_ECX, 16 },
    { "md-clear", 7, 0, R_EDX, 10 },
    { "spec-ctrl", 7, 0, R_EDX, 26 },
    { "arch-capabilities", 7, 0, R_EDX, 29 },
    { "ssbd", 7, 0, R_EDX, 31 },
    { "svm", 0x80000001, 0, R_ECX, 2 },
    { "pdpe1gb", 0x80000001, 0, R_EDX, 26 },
    { "rdtscp", 0x80000001, 0, R_EDX, 27 },
    { "invtsc", 0x80000007, 0, R_EDX, 8 },
    { "kvmclock", 0x40000001, 0, R_EAX, 3 },
    { "kvm-pv-eoi", 0x40000001, 0, R_EAX, 6 },
    { "kvm-pv-unhalt", 0x40000001, 0, R_EAX, 7 },
};

static struct kvm_cpuid2 *cpuid;
static bool pmu_enabled = true;
static bool arch_caps_enabled = true;
static uint32_t *msr_list;          /* KVM_GET_MSR_INDEX_LIST */
static unsigned nr_msr_list;
static bool arch_caps_known;        /* host value of MSR 0x10a */
static uint64_t arch_caps_value;

static uint32_t *entry_reg(struct kvm_cpuid_entry2 *e, int reg)
{
    switch (reg) {
    case R_EAX: return &e->eax;
    case R_EBX: return &e->ebx;
    case R_ECX: return &e->ecx;
    default: return &e->edx;
    }
}

static struct kvm_cpuid_entry2 *cpuid_find(uint32_t leaf, uint32_t subleaf)
{
    for (unsigned i = 0; i < cpuid->nent; i++) {
        struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
        if (e->function == leaf &&
            (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
             e->index == subleaf)) {
            return e;
        }
    }
    return NULL;
}

static void cpuid_remove(uint32_t leaf)
{
    unsigned j = 0;
    for (unsigned i = 0; i < cpuid->nent; i++) {
        if (cpuid->entries[i].function != leaf) {
            cpuid->entries[j++] = cpuid->entries[i];
        }
    }
    cpuid->nent = j;
}

static bool cpuid_fetch(Error **errp)
{
    for (unsigned n = 128; n <= 4096; n *= 2) {
        cpuid = g_malloc0(sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
        cpuid->nent = n;
        if (ioctl(kvm_state.fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0) {
            /* Room for the leaves vmu may add. */
            cpuid = g_realloc(cpuid, sizeof(*cpuid) + (cpuid->nent + 4) *
                              sizeof(cpuid->entries[0]));
            return true;
        }
        int e = errno;
        g_free(cpuid);
        cpuid = NULL;
        if (e != E2BIG) {
            error_setg_errno(errp, e, "KVM_GET_SUPPORTED_CPUID failed");
            return false;
        }
    }
    error_setg(errp, "KVM_GET_SUPPORTED_CPUID failed: more than 4096 "
               "leaves");
    return false;
}

/* -cpu host,+F,-F,F=on|off */
static bool cpu_model_apply(const char *model, Error **errp)
{
    char **parts = g_strsplit(model, ",", -1);
    bool ok = true;
    for (unsigned k = 1; parts[k] && ok; k++) {
        char *f = parts[k];
        bool on;
        char *name;
        char *eq = strchr(f, '=');
        if (eq) {
            *eq = 0;
            name = f;
            if (!parse_bool(eq + 1, &on)) {
                error_setg(errp, "-cpu %s: feature %s needs =on or =off",
                           model, f);
                ok = false;
                break;
            }
        } else {
            on = f[0] == '+';
            name = f + 1;
        }
        if (!strcmp(name, "pmu")) {
            pmu_enabled = on;
            continue;
        }
        const CPUFeature *feat = NULL;
        for (unsigned i = 0; i < G_N_ELEMENTS(features); i++) {
            if (!strcmp(features[i].name, name)) {
                feat = &features[i];
            }
        }
        if (!feat) {
            const char *names[G_N_ELEMENTS(features) + 1];
            for (unsigned i = 0; i < G_N_ELEMENTS(features); i++) {
                names[i] = features[i].name;
            }
            names[G_N_ELEMENTS(features)] = "pmu";
            const char *near = did_you_mean(name, names,
                                            G_N_ELEMENTS(names));
            error_setg(errp, "-cpu %s: unknown CPU feature '%s'%s%s%s", model,
                       name, near ? "; did you mean '" : "", near ? near : "",
                       near ? "'?" : "");
            error_append_hint(errp, "vmu knows: pmu, x2apic, "
                              "arch-capabilities, vmx, svm, avx, avx2, ... "
                              "(see docs/system/machine.md)");
            ok = false;
            break;
        }
        if (!strcmp(name, "arch-capabilities")) {
            arch_caps_enabled = on;
        }
        struct kvm_cpuid_entry2 *e = cpuid_find(feat->leaf, feat->subleaf);
        if (!e) {
            if (on) {
                warn_report("-cpu %s: this KVM does not offer '%s'; ignored",
                            model, name);
            }
            continue;
        }
        uint32_t *reg = entry_reg(e, feat->reg);
        if (!on) {
            *reg &= ~(1u << feat->bit);
        } else if (!(*reg & (1u << feat->bit))) {
            warn_report("-cpu %s: this KVM does not offer '%s'; ignored",
                        model, name);
        }
    }
    g_strfreev(parts);
    return ok;
}

static bool msrs_init(Error **errp)
{
    struct kvm_msr_list probe = { .nmsrs = 0 };
    if (ioctl(kvm_state.fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 &&
        errno != E2BIG) {
        error_setg_errno(errp, errno, "KVM_GET_MSR_INDEX_LIST failed");
        return false;
    }
    struct kvm_msr_list *l = g_malloc0(sizeof(*l) + probe.nmsrs * 4);
    l->nmsrs = probe.nmsrs;
    if (ioctl(kvm_state.fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
        error_setg_errno(errp, errno, "KVM_GET_MSR_INDEX_LIST failed");
        g_free(l);
        return false;
    }
    nr_msr_list = l->nmsrs;
    msr_list = g_malloc(l->nmsrs * 4 + 4);
    memcpy(msr_list, l->indices, l->nmsrs * 4);
    g_free(l);

    /* Feature MSRs (0x10a): the value KVM would let a guest see. */
    if (ioctl(kvm_state.fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_MSR_FEATURES) >
        0) {
        probe.nmsrs = 0;
        ioctl(kvm_state.fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &probe);
        l = g_malloc0(sizeof(*l) + probe.nmsrs * 4);
        l->nmsrs = probe.nmsrs;
        if (ioctl(kvm_state.fd, KVM_GET_MSR_FEATURE_INDEX_LIST, l) == 0) {
            for (unsigned i = 0; i < l->nmsrs; i++) {
                if (l->indices[i] != 0x10a) {
                    continue;
                }
                struct kvm_msrs *m = g_malloc0(sizeof(*m) +
                                               sizeof(m->entries[0]));
                m->nmsrs = 1;
                m->entries[0].index = 0x10a;
                if (ioctl(kvm_state.fd, KVM_GET_MSRS, m) == 1) {
                    arch_caps_known = true;
                    arch_caps_value = m->entries[0].data;
                }
                g_free(m);
            }
        }
        g_free(l);
    }
    trace(kvm_msrs_init, "%u MSRs, arch-capabilities %s 0x%" PRIx64,
          nr_msr_list, arch_caps_known ? "readable" : "unknown",
          arch_caps_value);
    return true;
}

static bool msr_supported(uint32_t index)
{
    for (unsigned i = 0; i < nr_msr_list; i++) {
        if (msr_list[i] == index) {
            return true;
        }
    }
    return false;
}

static unsigned bits_for(unsigned n)
{
    unsigned b = 0;
    while ((1u << b) < n) {
        b++;
    }
    return b;
}

/*
 * What QEMU's target/i386/cpu.c gives a -cpu host guest beyond
 * KVM_GET_SUPPORTED_CPUID, for the whole machine: the TSC-deadline timer
 * when KVM emulates it (KVM does not list it), and no SEV (leaf 0x8000001F
 * zeroed: a guest that sees it reads MSR_AMD64_SEV).
 */
void kvm_cpuid_policy(struct kvm_cpuid_entry2 *entries, unsigned n,
                      bool tsc_deadline)
{
    for (unsigned i = 0; i < n; i++) {
        struct kvm_cpuid_entry2 *e = &entries[i];
        if (e->function == 1 && tsc_deadline) {
            e->ecx |= 1u << 24;
        } else if (e->function == 0x8000001f) {
            e->eax = e->ebx = e->ecx = e->edx = 0;
        }
    }
}

/* Intel's vendor string in leaf 0 (EBX, EDX, ECX: "GenuineIntel"). */
static bool vendor_is_intel(const struct kvm_cpuid_entry2 *entries,
                            unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (entries[i].function == 0 && entries[i].index == 0) {
            return !memcmp(&entries[i].ebx, "Genu", 4) &&
                   !memcmp(&entries[i].edx, "ineI", 4) &&
                   !memcmp(&entries[i].ecx, "ntel", 4);
        }
    }
    return false;
}

bool kvm_cpuid_init(MachineState *ms, Error **errp)
{
    if (!cpuid_fetch(errp) || !msrs_init(errp)) {
        return false;
    }
    /* Before -cpu's features: -cpu host,-tsc-deadline takes it away. */
    kvm_cpuid_policy(cpuid->entries, cpuid->nent,
                     ioctl(kvm_state.fd, KVM_CHECK_EXTENSION,
                           KVM_CAP_TSC_DEADLINE_TIMER) > 0);
    if (!cpu_model_apply(ms->cpu_model ? ms->cpu_model : "host", errp)) {
        return false;
    }
    struct kvm_cpuid_entry2 *e = cpuid_find(1, 0);
    if (e) {
        e->ecx |= 1u << 31;                 /* hypervisor */
    }
    if (!pmu_enabled) {
        cpuid_remove(0xa);
        if (e) {
            e->ecx &= ~(1u << 15);          /* PDCM: no perf capabilities */
        }
    }
    /* vmu models no SGX, no processor trace, no AMX tiles. */
    cpuid_remove(0x12);
    cpuid_remove(0x14);
    cpuid_remove(0x1d);
    cpuid_remove(0x1e);
    e = cpuid_find(0x40000000, 0);
    if (!e) {
        e = &cpuid->entries[cpuid->nent++];
        memset(e, 0, sizeof(*e));
        e->function = 0x40000000;
        e->eax = 0x40000001;
    }
    memcpy(&e->ebx, "KVMK", 4);
    memcpy(&e->ecx, "VMKV", 4);
    memcpy(&e->edx, "M\0\0\0", 4);

    /* -m beyond the guest's physical address space. */
    e = cpuid_find(0x80000008, 0);
    unsigned phys_bits = e ? (e->eax & 0xff) : 36;
    uint64_t top = ms->ram_size > PC_LOWMEM_END ?
                   PC_HIGHMEM_START + ms->ram_size - PC_LOWMEM_END :
                   ms->ram_size;
    if (phys_bits < 64 && top > (1ULL << phys_bits)) {
        error_setg(errp, "-m %" PRIu64 " MiB: guest RAM would end at 0x%"
                   PRIx64 ", beyond the %u-bit physical address space this "
                   "host's KVM gives guests; use a smaller -m",
                   ms->ram_size >> 20, top, phys_bits);
        return false;
    }
    trace(kvm_cpuid_init, "%u leaves, pmu %d, arch-capabilities %d, %u "
          "physical address bits", cpuid->nent, pmu_enabled,
          arch_caps_enabled, phys_bits);
    return true;
}

void kvm_cpuid_topology(struct kvm_cpuid_entry2 *entries, unsigned n,
                        unsigned index, unsigned nr_cpus)
{
    unsigned core_bits = bits_for(nr_cpus);
    bool intel = vendor_is_intel(entries, n);
    for (unsigned i = 0; i < n; i++) {
        struct kvm_cpuid_entry2 *e = &entries[i];
        switch (e->function) {
        case 0x80000001:
            /* CmpLegacy, as QEMU: several cores, not on Intel (Linux
             * would discard Intel's thread information). */
            e->ecx &= ~(1u << 1);
            if (nr_cpus > 1 && !intel) {
                e->ecx |= 1u << 1;
            }
            break;
        case 0x80000008:
            /* The package's core count (NC, bits 7:0) and the APIC ID
             * bits that number them (15:12), for every vendor as QEMU;
             * not the host's. */
            e->ecx = nr_cpus > 1 ? core_bits << 12 | (nr_cpus - 1) : 0;
            break;
        case 1:
            e->ebx = (e->ebx & 0x0000ffff) | (index << 24) |
                     (MIN(255u, 1u << core_bits) << 16);
            if (nr_cpus > 1) {
                e->edx |= 1u << 28;     /* HTT: several logical CPUs */
            }
            break;
        case 4:
            if (e->eax & 0x1f) {
                e->eax = (e->eax & 0x03ffffff) |
                         (MIN(63u, (1u << core_bits) - 1) << 26);
            }
            break;
        case 0xb:
        case 0x1f:
            /* One package of nr_cpus cores, one thread each. */
            if (e->index == 0) {
                e->eax = 0;
                e->ebx = 1;
                e->ecx = 0x100;
            } else if (e->index == 1) {
                e->eax = core_bits;
                e->ebx = nr_cpus;
                e->ecx = 0x201;
            } else {
                e->eax = e->ebx = 0;
                e->ecx = e->index;
            }
            e->edx = index;
            break;
        }
    }
}

bool kvm_cpuid_set(int vcpu_fd, unsigned index, unsigned nr_cpus,
                   Error **errp)
{
    size_t sz = sizeof(*cpuid) + cpuid->nent * sizeof(cpuid->entries[0]);
    struct kvm_cpuid2 *c = g_malloc(sz);
    memcpy(c, cpuid, sz);
    kvm_cpuid_topology(c->entries, c->nent, index, nr_cpus);
    int r = ioctl(vcpu_fd, KVM_SET_CPUID2, c);
    int err = errno;
    g_free(c);
    if (r < 0) {
        error_setg_errno(errp, err, "KVM_SET_CPUID2 failed on vcpu%u", index);
        return false;
    }
    return true;
}

bool kvm_msrs_set(int vcpu_fd, unsigned index, Error **errp)
{
    static const struct { uint32_t index; uint64_t value; } wanted[] = {
        { 0x1a0, 1 },                           /* MISC_ENABLE: fast strings */
        { 0x174, 0 }, { 0x175, 0 }, { 0x176, 0 },   /* SYSENTER */
        { 0xc0000081, 0 }, { 0xc0000082, 0 },   /* STAR, LSTAR */
        { 0xc0000083, 0 }, { 0xc0000084, 0 },   /* CSTAR, SFMASK */
        { 0xc0000102, 0 },                      /* KERNEL_GS_BASE */
        { 0x277, 0x0007040600070406ULL },       /* PAT: power-on value */
        /* KVM paravirtual MSRs off, so that after a reset KVM no longer
         * writes kvmclock/steal time into the old kernel's memory. */
        { 0x12, 0 }, { 0x4b564d01, 0 },         /* SYSTEM_TIME (old, new) */
        { 0x4b564d02, 0 }, { 0x4b564d03, 0 },   /* ASYNC_PF_EN, STEAL_TIME */
        { 0x4b564d04, 0 },                      /* PV_EOI_EN */
    };
    unsigned n = 0;
    struct kvm_msrs *m = g_malloc0(sizeof(*m) + (G_N_ELEMENTS(wanted) + 1) *
                                   sizeof(m->entries[0]));
    struct kvm_msr_entry *e = m->entries;
    for (unsigned i = 0; i < G_N_ELEMENTS(wanted); i++) {
        if (msr_supported(wanted[i].index)) {
            e[n].index = wanted[i].index;
            e[n++].data = wanted[i].value;
        }
    }
    if (arch_caps_enabled && arch_caps_known) {
        e[n].index = 0x10a;
        e[n++].data = arch_caps_value;
    }
    /* KVM stops at the first MSR it refuses: drop that one and go on. */
    bool ok = true;
    while (n) {
        m->nmsrs = n;
        int r = ioctl(vcpu_fd, KVM_SET_MSRS, m);
        if (r < 0) {
            error_setg_errno(errp, errno, "KVM_SET_MSRS failed on vcpu%u",
                             index);
            ok = false;
            break;
        }
        if ((unsigned)r >= n) {
            break;
        }
        trace(kvm_msr_refused, "vcpu%u: KVM refused MSR 0x%x; left at its "
              "default", index, e[r].index);
        n -= r + 1;
        memmove(&e[0], &e[r + 1], n * sizeof(e[0]));
    }
    g_free(m);
    return ok;
}
