/* cpuid.c - test=cpuid: the CPUID fields a Linux guest's topology, timer
 * and memory-encryption code reads, printed so that the same firmware's
 * lines under vmu and under QEMU (-cpu host, same -smp) can be compared:
 * leaf 1 (TSC-deadline, x2APIC, hypervisor), 0x80000001
 * ECX CmpLegacy, 0x80000008 ECX (core count), 0x8000001F (SEV). */
#include "fw.h"

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

int test_cpuid(void)
{
    uint32_t r[4], max_ext;
    char vendor[13];

    cpuid(0, 0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    printf("vmu-fw: cpuid vendor %s\n", vendor);
    cpuid(1, 0, r);
    printf("vmu-fw: cpuid 1 tsc-deadline %u x2apic %u hypervisor %u\n",
           r[2] >> 24 & 1, r[2] >> 21 & 1, r[2] >> 31);
    cpuid(0x80000000, 0, r);
    max_ext = r[0];
    if (max_ext >= 0x80000001) {
        cpuid(0x80000001, 0, r);
        printf("vmu-fw: cpuid 80000001 cmp-legacy %u\n", r[2] >> 1 & 1);
    }
    if (max_ext >= 0x80000008) {
        cpuid(0x80000008, 0, r);
        printf("vmu-fw: cpuid 80000008 ecx %#x\n", r[2]);
    }
    if (max_ext >= 0x8000001f) {
        cpuid(0x8000001f, 0, r);
        printf("vmu-fw: cpuid 8000001f %#x %#x %#x %#x\n", r[0], r[1], r[2],
               r[3]);
    }
    return FW_EXIT_PASS;
}
