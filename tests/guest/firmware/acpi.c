/* acpi.c - test=acpi: the ACPI tables as an OS finds them after a direct
 * (-kernel) boot.  The RSDP both ways (the boot information's rsdp_paddr /
 * acpi_rsdp_addr, and the legacy scan of the EBDA's first KiB and
 * 0xe0000-0xfffff on 16-byte boundaries), which must agree; every
 * checksum (RSDP, RSDT or XSDT and each table it lists, DSDT, the FACS
 * signature); the IOAPIC from the MADT, read back through its own
 * registers; the PM timer port from the FADT, read advancing without any
 * set-up (an OS only reads it). */
#include "fw.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static bool sum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++) {
        s = (uint8_t)(s + p[i]);
    }
    return s == 0;
}

static const uint8_t *phys(uint64_t addr)
{
    __asm__("" : "+r"(addr));       /* low addresses: hide them from gcc */
    return (const uint8_t *)(uintptr_t)addr;
}

/* ACPI 6.4, 5.2.5.3: the first 20 bytes sum to 0; revision 2 and later
 * also the whole structure (its length at 20). */
static bool rsdp_ok(const uint8_t *p)
{
    if (memcmp(p, "RSD PTR ", 8) || !sum_ok(p, 20)) {
        return false;
    }
    return p[15] < 2 || (rd32(p + 20) >= 36 && sum_ok(p, rd32(p + 20)));
}

static uint64_t rsdp_scan(uint64_t start, uint64_t end)
{
    for (uint64_t a = start; a + 36 <= end; a += 16) {
        if (rsdp_ok(phys(a))) {
            return a;
        }
    }
    return 0;
}

/* The table at addr with this signature and a good checksum, else NULL
 * (and a line saying what is wrong). */
static const uint8_t *sdt_get(uint64_t addr, const char *sig)
{
    if (!addr || addr >= (1ull << 32)) {
        printf("vmu-fw: acpi %s address %#lx unusable\n", sig, addr);
        return 0;
    }
    const uint8_t *t = phys(addr);
    if (memcmp(t, sig, 4)) {
        printf("vmu-fw: acpi %#lx: no %s signature\n", addr, sig);
        return 0;
    }
    uint32_t len = rd32(t + 4);
    if (len < 36 || len > (1u << 20) || !sum_ok(t, len)) {
        printf("vmu-fw: acpi %s at %#lx: bad length %u or checksum\n", sig,
               addr, len);
        return 0;
    }
    return t;
}

/* Every table the RSDT/XSDT lists, checked; the FADT and the MADT. */
static bool sdt_walk(const uint8_t *rsdp, const uint8_t **fadt,
                     const uint8_t **madt)
{
    bool x = rsdp[15] >= 2 && rd64(rsdp + 24);
    const uint8_t *sdt = x ? sdt_get(rd64(rsdp + 24), "XSDT")
                           : sdt_get(rd32(rsdp + 16), "RSDT");
    unsigned esize = x ? 8 : 4, n = 0;
    if (!sdt) {
        return false;
    }
    for (uint32_t off = 36; off + esize <= rd32(sdt + 4); off += esize) {
        uint64_t a = x ? rd64(sdt + off) : rd32(sdt + off);
        char sig[5] = { 0 };
        if (!a || a >= (1ull << 32)) {
            printf("vmu-fw: acpi entry %u: address %#lx unusable\n", n, a);
            return false;
        }
        memcpy(sig, phys(a), 4);
        const uint8_t *t = sdt_get(a, sig);
        if (!t) {
            return false;
        }
        if (!memcmp(sig, "FACP", 4)) {
            *fadt = t;
        } else if (!memcmp(sig, "APIC", 4)) {
            *madt = t;
        }
        n++;
    }
    printf("vmu-fw: acpi %s %u tables, checksums ok\n", x ? "xsdt" : "rsdt",
           n);
    if (!*fadt || !*madt) {
        printf("vmu-fw: acpi no %s\n", *fadt ? "MADT" : "FADT");
        return false;
    }
    return true;
}

/* FADT: its FACS and DSDT (the 64-bit fields where set); the PM timer. */
static bool fadt_check(const uint8_t *fadt, uint16_t *pm_tmr, bool *tmr32)
{
    uint32_t len = rd32(fadt + 4);
    uint64_t facs = rd32(fadt + 36), dsdt = rd32(fadt + 40);
    if (len < 116) {
        printf("vmu-fw: acpi FADT too short (%u bytes)\n", len);
        return false;
    }
    if (len >= 148 && rd64(fadt + 132)) {
        facs = rd64(fadt + 132);
    }
    if (len >= 148 && rd64(fadt + 140)) {
        dsdt = rd64(fadt + 140);
    }
    if (!facs || facs >= (1ull << 32) || memcmp(phys(facs), "FACS", 4) ||
        rd32(phys(facs) + 4) < 64) {
        printf("vmu-fw: acpi no FACS at %#lx\n", facs);
        return false;
    }
    if (!sdt_get(dsdt, "DSDT")) {
        return false;
    }
    *pm_tmr = (uint16_t)rd32(fadt + 76);
    *tmr32 = rd32(fadt + 112) & (1u << 8);      /* TMR_VAL_EXT */
    if (!*pm_tmr || fadt[91] != 4) {
        printf("vmu-fw: acpi FADT has no PM timer (port %#x, length %u)\n",
               *pm_tmr, fadt[91]);
        return false;
    }
    return true;
}

/* MADT: the enabled local APICs and the (first) IOAPIC's address. */
static bool madt_check(const uint8_t *madt, uint32_t *ioapic,
                       unsigned *lapics)
{
    uint32_t len = rd32(madt + 4);
    *ioapic = 0;
    *lapics = 0;
    for (uint32_t off = 44; off + 2 <= len; off += madt[off + 1]) {
        const uint8_t *e = madt + off;
        if (e[1] < 2 || off + e[1] > len) {
            printf("vmu-fw: acpi MADT entry at %u: bad length %u\n", off,
                   e[1]);
            return false;
        }
        if (e[0] == 0 && e[1] >= 8 && (rd32(e + 4) & 1)) {
            (*lapics)++;
        } else if (e[0] == 1 && e[1] >= 12 && !*ioapic) {
            *ioapic = rd32(e + 4);
        }
    }
    if (!*ioapic || !*lapics) {
        printf("vmu-fw: acpi MADT: ioapic %#x, %u local APICs\n", *ioapic,
               *lapics);
        return false;
    }
    return true;
}

struct tmr {
    uint16_t port;
    uint32_t mask, first;
};

static bool tmr_moved(void *arg)
{
    struct tmr *t = arg;
    return (inl(t->port) & t->mask) != t->first;
}

int test_acpi(void)
{
    uint64_t given = boot_rsdp(), ebda, found = 0;
    const uint8_t *fadt = 0, *madt = 0;

    ebda = (uint64_t)mmio_read16((uint64_t)(uintptr_t)phys(0x40e)) << 4;
    if (ebda >= 0x80000 && ebda < 0xa0000) {
        found = rsdp_scan(ebda, ebda + 1024);
    }
    if (!found) {
        found = rsdp_scan(0xe0000, 0x100000);
    }
    printf("vmu-fw: acpi rsdp %s %#lx scan %#lx\n", boot_info_kind(), given,
           found);
    /* boot_params has acpi_rsdp_addr from protocol 2.14; fw.bzImage
     * says 2.12, so there the scan alone finds it (as Linux does). */
    if (!given && !strcmp(boot_info_kind(), "boot_params")) {
        given = found;
    }
    if (!given || !found || given != found || !rsdp_ok(phys(given))) {
        printf("vmu-fw: acpi rsdp missing, bad, or not the same both ways\n");
        return FW_EXIT_FAIL;
    }
    if (!sdt_walk(phys(given), &fadt, &madt)) {
        return FW_EXIT_FAIL;
    }

    uint32_t ioapic;
    unsigned lapics;
    if (!madt_check(madt, &ioapic, &lapics)) {
        return FW_EXIT_FAIL;
    }
    /* IOREGSEL at +0, IOWIN at +0x10; register 1: version, last entry. */
    mmio_write32(ioapic, 1);
    uint32_t ver = mmio_read32(ioapic + 0x10);
    printf("vmu-fw: acpi madt ioapic %#x version %#x pins %u lapics %u\n",
           ioapic, ver & 0xff, (ver >> 16 & 0xff) + 1, lapics);
    if (ver == 0xffffffff || (ver & 0xff) < 0x11) {
        printf("vmu-fw: acpi no IOAPIC answers at %#x\n", ioapic);
        return FW_EXIT_FAIL;
    }

    struct tmr t;
    bool tmr32;
    if (!fadt_check(fadt, &t.port, &tmr32)) {
        return FW_EXIT_FAIL;
    }
    t.mask = tmr32 ? 0xffffffffu : 0xffffffu;
    t.first = inl(t.port) & t.mask;
    if (inl(t.port) == 0xffffffffu) {
        printf("vmu-fw: acpi pm timer port %#x reads all ones: nothing "
               "decodes it\n", t.port);
        return FW_EXIT_FAIL;
    }
    /* Three changes in a row, each later (mod 2^24/2^32) than the last. */
    unsigned moves = 0;
    uint32_t total = 0;
    for (; moves < 3; moves++) {
        uint32_t before = t.first;
        if (!wait_bounded(tmr_moved, &t)) {
            break;
        }
        t.first = inl(t.port) & t.mask;
        uint32_t d = (t.first - before) & t.mask;
        if (d == 0 || d > t.mask / 2) {
            printf("vmu-fw: acpi pm timer went back: %#x then %#x\n", before,
                   t.first);
            return FW_EXIT_FAIL;
        }
        total += d;
    }
    printf("vmu-fw: acpi fadt pm timer port %#x %u-bit advanced %u ticks\n",
           t.port, tmr32 ? 32 : 24, moves == 3 ? total : 0);
    return moves == 3 ? FW_EXIT_PASS : FW_EXIT_FAIL;
}
