/*
 * vmu's CPUID policy on made-up hosts (this one may not be AMD): the
 * rules QEMU 7.2's target/i386/cpu.c applies to -cpu host, written down
 * from its behaviour: 0x80000008 ECX is (APIC ID core bits << 12) |
 * (cores - 1) for -smp above 1 and 0 for one CPU, whatever the host had;
 * 0x8000001F (SEV) is all zero; CmpLegacy (0x80000001 ECX bit 1) is set
 * with several cores except on Intel; TSC-deadline follows KVM's cap.
 */
#include <glib.h>
#include <string.h>

#include "../../accel/kvm/kvm-internal.h"

enum { L0, L1, L81, L88, L81F, NLEAVES };

static void host_table(struct kvm_cpuid_entry2 *e, const char *vendor)
{
    static const uint32_t leaves[NLEAVES] = { 0, 1, 0x80000001, 0x80000008,
                                              0x8000001f };
    memset(e, 0, NLEAVES * sizeof(*e));
    for (unsigned i = 0; i < NLEAVES; i++) {
        e[i].function = leaves[i];
    }
    memcpy(&e[L0].ebx, vendor, 4);
    memcpy(&e[L0].edx, vendor + 4, 4);
    memcpy(&e[L0].ecx, vendor + 8, 4);
    e[L81].ecx = 1u << 1;                   /* the host's CmpLegacy */
    e[L88].eax = 0x3030;
    e[L88].ecx = 0x707f;                    /* a 128-thread host package */
    e[L81F].eax = 0x1000f;                  /* SME, SEV, ... */
    e[L81F].ebx = 0x16f;
    e[L81F].ecx = 509;
}

static void test_amd(void)
{
    struct kvm_cpuid_entry2 e[NLEAVES];
    host_table(e, "AuthenticAMD");
    kvm_cpuid_policy(e, NLEAVES, true);
    kvm_cpuid_topology(e, NLEAVES, 1, 4);
    g_assert_cmphex(e[L88].ecx, ==, 2 << 12 | 3);
    g_assert_cmphex(e[L88].eax, ==, 0x3030);  /* address sizes kept */
    g_assert_cmphex(e[L81F].eax | e[L81F].ebx | e[L81F].ecx | e[L81F].edx,
                    ==, 0);
    g_assert_true(e[L81].ecx & 2);
    g_assert_true(e[L1].ecx & 1u << 24);

    host_table(e, "AuthenticAMD");
    kvm_cpuid_topology(e, NLEAVES, 0, 1);
    g_assert_cmphex(e[L88].ecx, ==, 0);
    g_assert_false(e[L81].ecx & 2);

    host_table(e, "AuthenticAMD");
    kvm_cpuid_topology(e, NLEAVES, 2, 3);
    g_assert_cmphex(e[L88].ecx, ==, 2 << 12 | 2);
}

static void test_intel(void)
{
    struct kvm_cpuid_entry2 e[NLEAVES];
    host_table(e, "GenuineIntel");
    e[L88].ecx = 0;
    kvm_cpuid_policy(e, NLEAVES, false);
    kvm_cpuid_topology(e, NLEAVES, 0, 2);
    g_assert_cmphex(e[L88].ecx, ==, 1 << 12 | 1);
    g_assert_false(e[L81].ecx & 2);
    g_assert_false(e[L1].ecx & 1u << 24);     /* no KVM cap: not added */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cpuid/policy/amd-host", test_amd);
    g_test_add_func("/cpuid/policy/intel-host", test_intel);
    return g_test_run();
}
