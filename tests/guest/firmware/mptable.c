/* mptable.c - the Intel MultiProcessor table (spec 1.4) read the way
 * Linux's arch/x86/kernel/mpparse.c finds it and io_apic.c looks up a PCI
 * device's interrupt in it: floating pointer in the first KiB, the last KiB
 * of base memory, the EBDA or the BIOS ROM; the bus entries say which bus
 * is PCI; an I/O interrupt entry on that bus with source IRQ slot << 2 |
 * (pin - 1) names the IOAPIC pin; flags 0 mean the bus's default (PCI:
 * level, active low). */
#include "fw.h"
#include "mptable.h"

#define MP_MAX_BUSES    32

static uint8_t sum8(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;
    while (n--) {
        s += *p++;
    }
    return s;
}

static const uint8_t *scan(uint64_t base, uint32_t len)
{
    __asm__("" : "+r"(base));               /* address 0 is RAM here */
    for (uint64_t a = base; a + 16 <= base + len; a += 16) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)a;
        if (!memcmp(p, "_MP_", 4) && p[8] == 1 && sum8(p, 16) == 0 &&
            (p[9] == 1 || p[9] == 4)) {
            return p;
        }
    }
    return NULL;
}

static const uint8_t *find_floating(void)
{
    const uint8_t *fp;
    uint64_t bda_ebda = 0x40e;              /* BDA: EBDA segment */
    __asm__("" : "+r"(bda_ebda));           /* hide the low address from gcc */
    uint64_t ebda = (uint64_t)mmio_read16(bda_ebda) << 4;

    if ((fp = scan(0, 0x400)) || (fp = scan(639 * 0x400, 0x400)) ||
        (fp = scan(0xf0000, 0x10000))) {
        return fp;
    }
    return ebda && ebda < 0xa0000 ? scan(ebda, 0x400) : NULL;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

bool mp_pci_route(uint8_t slot, uint8_t pin, struct mp_route *r)
{
    const uint8_t *fp = find_floating(), *cfg, *e, *end;
    bool is_pci[MP_MAX_BUSES] = { false };
    uint8_t ioapic_id = 0xff;
    bool ioapic_seen = false;

    if (!fp) {
        printf("vmu-fw: mptable no floating pointer\n");
        return false;
    }
    cfg = (const uint8_t *)(uintptr_t)le32(fp + 4);
    if (!cfg || memcmp(cfg, "PCMP", 4) ||
        sum8(cfg, cfg[4] | cfg[5] << 8) != 0) {
        printf("vmu-fw: mptable bad configuration table at %p\n", cfg);
        return false;
    }
    end = cfg + (cfg[4] | cfg[5] << 8);
    /* First pass: buses and the IOAPIC (entries may come in any order). */
    for (int pass = 0; pass < 2; pass++) {
        for (e = cfg + 44; e < end; e += e[0] == 0 ? 20 : 8) {
            if (e[0] > 4) {
                printf("vmu-fw: mptable unknown entry type %u\n", e[0]);
                return false;
            }
            if (pass == 0 && e[0] == 1 && e[1] < MP_MAX_BUSES) {
                is_pci[e[1]] = !memcmp(e + 2, "PCI   ", 6);
            } else if (pass == 0 && e[0] == 2 && (e[3] & 1) &&
                       le32(e + 4) == IOAPIC_BASE) {
                ioapic_id = e[1];
                ioapic_seen = true;
            } else if (pass == 1 && e[0] == 3 && e[1] == 0 &&
                       e[4] < MP_MAX_BUSES && is_pci[e[4]] &&
                       (e[6] == ioapic_id || e[6] == 0xff) &&
                       ((e[5] >> 2) & 0x1f) == slot &&
                       (e[5] & 3) == pin - 1) {
                unsigned pol = e[2] & 3, trig = (e[2] >> 2) & 3;
                r->bus = e[4];
                r->ioapic_pin = e[7];
                /* 0: conforms to the bus, PCI's is active low, level. */
                r->active_low = pol == 0 || pol == 3;
                r->level = trig == 0 || trig == 3;
                return true;
            }
        }
        if (pass == 0 && !ioapic_seen) {
            printf("vmu-fw: mptable no enabled IOAPIC at %#lx\n",
                   (uint64_t)IOAPIC_BASE);
            return false;
        }
    }
    printf("vmu-fw: mptable no interrupt entry for PCI slot %u INT%c "
           "(Linux: probably buggy MP table)\n", slot, 'A' + pin - 1);
    return false;
}
