/* pci.c - PCI configuration access, bus 0 scan and BAR assignment for vmu's
 * test firmware. No BIOS runs under vmu, so the firmware places memory BARs
 * itself; a BAR that firmware (SeaBIOS) already placed inside a sane 32-bit
 * range is kept.
 *
 * Configuration access: mechanism 1 (ports 0xcf8/0xcfc) if the address
 * register reads back, else ECAM (memory mapped) at pci-ecam=ADDR or at the
 * address in the ACPI MCFG table (found through the RSDP in the BIOS area),
 * else ECAM at 0xe0000000 if a device answers there (QEMU microvm with
 * pcie=on: no 0xcf8, and qboot leaves no RSDP in low memory).
 * pci=cf8 / pci=ecam forces one of them.
 *
 * Memory window for BARs: [0xe0000000, 0xfec00000) unless ECAM lies inside
 * it, then [0xc0000000, ECAM base) (QEMU microvm's GPEX layout);
 * pci-mmio=ADDR overrides the base. */
#include "fw.h"

#define PCI_CFG_ADDR        0xcf8
#define PCI_CFG_DATA        0xcfc

#define PCI_VENDOR          0x00
#define PCI_COMMAND         0x04
#define PCI_STATUS          0x06
#define PCI_CLASS_REV       0x08
#define PCI_HDR_TYPE        0x0e
#define PCI_BAR0            0x10
#define PCI_CAP_PTR         0x34
#define PCI_CMD_IO          0x0001
#define PCI_CMD_MEM         0x0002
#define PCI_CMD_MASTER      0x0004
#define PCI_STATUS_CAPS     0x0010

#define BAR_IO              0x1
#define BAR_TYPE_MASK       0x6
#define BAR_TYPE_64         0x4

#define WIN_BASE_DEFAULT    0xe0000000ull
#define WIN_BASE_ECAM       0xc0000000ull
#define WIN_LIMIT           0xfec00000ull   /* IOAPIC, HPET, LAPIC above */
#define SANE_LOW            0x80000000ull
#define ECAM_GUESS          0xe0000000ull   /* QEMU microvm's ECAM */

enum mech { MECH_NONE, MECH_CF8, MECH_ECAM };

static enum mech mech;
static uint64_t ecam_base;
static uint64_t win_next, win_limit;
static struct pci_dev devs[PCI_MAX_DEVS];
static int ndevs;

uint64_t cmdline_u64(const char *key, uint64_t dflt)
{
    const char *v;
    int len = cmdline_get(key, &v);
    uint64_t x;

    if (len < 0 || !parse_u64(v, (size_t)len, &x)) {
        return dflt;
    }
    return x;
}

static bool cmdline_is(const char *key, const char *want)
{
    const char *v;
    int len = cmdline_get(key, &v);
    return len >= 0 && (size_t)len == strlen(want) && !strncmp(v, want, (size_t)len);
}

/* ---- configuration access ---- */

static uint32_t cf8_addr(const struct pci_dev *d, unsigned off)
{
    return 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->slot << 11 |
           (uint32_t)d->fn << 8 | (off & 0xfc);
}

static uint64_t ecam_addr(const struct pci_dev *d, unsigned off)
{
    return ecam_base + ((uint64_t)d->bus << 20 | (uint64_t)d->slot << 15 |
                        (uint64_t)d->fn << 12 | (off & 0xfff));
}

uint32_t pci_cfg_read32(const struct pci_dev *d, unsigned off)
{
    if (mech == MECH_ECAM) {
        return mmio_read32(ecam_addr(d, off & ~3u));
    }
    outl(PCI_CFG_ADDR, cf8_addr(d, off));
    return inl(PCI_CFG_DATA);
}

uint16_t pci_cfg_read16(const struct pci_dev *d, unsigned off)
{
    if (mech == MECH_ECAM) {
        return mmio_read16(ecam_addr(d, off & ~1u));
    }
    outl(PCI_CFG_ADDR, cf8_addr(d, off));
    return inw((uint16_t)(PCI_CFG_DATA + (off & 2)));
}

uint8_t pci_cfg_read8(const struct pci_dev *d, unsigned off)
{
    if (mech == MECH_ECAM) {
        return mmio_read8(ecam_addr(d, off));
    }
    outl(PCI_CFG_ADDR, cf8_addr(d, off));
    return inb((uint16_t)(PCI_CFG_DATA + (off & 3)));
}

void pci_cfg_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
    if (mech == MECH_ECAM) {
        mmio_write32(ecam_addr(d, off & ~3u), v);
        return;
    }
    outl(PCI_CFG_ADDR, cf8_addr(d, off));
    outl(PCI_CFG_DATA, v);
}

void pci_cfg_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
    if (mech == MECH_ECAM) {
        mmio_write16(ecam_addr(d, off & ~1u), v);
        return;
    }
    outl(PCI_CFG_ADDR, cf8_addr(d, off));
    outw((uint16_t)(PCI_CFG_DATA + (off & 2)), v);
}

/* ---- finding the mechanism ---- */

static bool cf8_present(void)
{
    uint32_t old = inl(PCI_CFG_ADDR);
    bool ok;

    outl(PCI_CFG_ADDR, 0x80000000u);
    ok = inl(PCI_CFG_ADDR) == 0x80000000u;
    outl(PCI_CFG_ADDR, old);
    return ok;
}

static bool acpi_sum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++) {
        s = (uint8_t)(s + p[i]);
    }
    return s == 0;
}

static const uint8_t *rsdp_scan(uint64_t start, uint64_t end)
{
    for (uint64_t a = start; a + 20 <= end; a += 16) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)a;
        if (!memcmp(p, "RSD PTR ", 8) && acpi_sum_ok(p, 20)) {
            return p;
        }
    }
    return 0;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ECAM base for segment 0 from the ACPI MCFG table, 0 if none. */
static uint64_t mcfg_ecam(void)
{
    uint64_t bda_ebda = 0x40e;              /* BDA: EBDA segment */
    __asm__("" : "+r"(bda_ebda));           /* hide the low address from gcc */
    uint64_t ebda = (uint64_t)mmio_read16(bda_ebda) << 4;
    const uint8_t *rsdp = 0, *sdt;
    unsigned esize;

    if (ebda >= 0x80000 && ebda < 0xa0000) {
        rsdp = rsdp_scan(ebda, ebda + 1024);
    }
    if (!rsdp) {
        rsdp = rsdp_scan(0xe0000, 0x100000);
    }
    if (!rsdp) {
        return 0;
    }
    if (rsdp[15] >= 2 && rd64(rsdp + 24) && rd64(rsdp + 24) < (1ull << 32)) {
        sdt = (const uint8_t *)(uintptr_t)rd64(rsdp + 24);
        esize = 8;
    } else {
        sdt = (const uint8_t *)(uintptr_t)rd32(rsdp + 16);
        esize = 4;
    }
    if (!sdt) {
        return 0;
    }
    uint32_t len = rd32(sdt + 4);
    for (uint32_t off = 36; off + esize <= len; off += esize) {
        uint64_t ta = esize == 8 ? rd64(sdt + off) : rd32(sdt + off);
        if (!ta || ta >= (1ull << 32)) {
            continue;
        }
        const uint8_t *t = (const uint8_t *)(uintptr_t)ta;
        if (memcmp(t, "MCFG", 4)) {
            continue;
        }
        uint32_t tlen = rd32(t + 4);
        for (uint32_t e = 44; e + 16 <= tlen; e += 16) {
            uint16_t seg = (uint16_t)(t[e + 8] | t[e + 9] << 8);
            if (seg == 0 && t[e + 10] == 0) {
                return rd64(t + e);
            }
        }
    }
    return 0;
}

static bool pick_mechanism(void)
{
    uint64_t ecam = cmdline_u64("pci-ecam", 0);
    bool want_cf8 = cmdline_is("pci", "cf8"), want_ecam = cmdline_is("pci", "ecam");

    if (!want_ecam && !ecam && cf8_present()) {
        mech = MECH_CF8;
        return true;
    }
    if (want_cf8) {
        return false;
    }
    if (!ecam) {
        ecam = mcfg_ecam();
    }
    if (!ecam) {
        /* QEMU microvm (pcie=on) has ECAM here and no reachable MCFG */
        uint16_t v = mmio_read16(ECAM_GUESS);
        if (v != 0xffff && v != 0) {
            ecam = ECAM_GUESS;
        }
    }
    if (ecam && ecam < (8ull << 30)) {      /* identity mapped up to 8 GiB */
        ecam_base = ecam;
        mech = MECH_ECAM;
        return true;
    }
    return false;
}

const char *pci_mech_name(void)
{
    return mech == MECH_CF8 ? "cf8" : mech == MECH_ECAM ? "ecam" : "none";
}

/* ---- scan ---- */

static void size_bars(struct pci_dev *d)
{
    uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);

    /* no decoding while the BARs hold all-ones */
    pci_cfg_write16(d, PCI_COMMAND, cmd & (uint16_t)~(PCI_CMD_IO | PCI_CMD_MEM));
    for (unsigned i = 0; i < 6; i++) {
        unsigned off = PCI_BAR0 + 4 * i;
        uint32_t lo = pci_cfg_read32(d, off), hi = 0, mlo, mhi = 0xffffffffu;
        struct pci_bar *b = &d->bar[i];

        pci_cfg_write32(d, off, 0xffffffffu);
        mlo = pci_cfg_read32(d, off);
        pci_cfg_write32(d, off, lo);
        if (mlo == 0 || mlo == 0xffffffffu) {
            continue;                       /* not implemented */
        }
        if (lo & BAR_IO) {
            b->io = true;
            b->addr = lo & ~3u;
            b->size = (uint16_t)(~(mlo & ~3u) + 1);
            continue;
        }
        if ((lo & BAR_TYPE_MASK) == BAR_TYPE_64 && i < 5) {
            hi = pci_cfg_read32(d, off + 4);
            pci_cfg_write32(d, off + 4, 0xffffffffu);
            mhi = pci_cfg_read32(d, off + 4);
            pci_cfg_write32(d, off + 4, hi);
            b->is64 = true;
        }
        uint64_t mask = (uint64_t)mhi << 32 | (mlo & ~0xfu);
        b->size = ~mask + 1;
        b->addr = (uint64_t)hi << 32 | (lo & ~0xfu);
        if (b->is64) {
            i++;                            /* upper half */
        }
    }
    pci_cfg_write16(d, PCI_COMMAND, cmd);
}

int pci_scan(void)
{
    ndevs = 0;
    mech = MECH_NONE;
    if (!pick_mechanism()) {
        return 0;
    }
    for (unsigned slot = 0; slot < 32; slot++) {
        for (unsigned fn = 0; fn < 8 && ndevs < PCI_MAX_DEVS; fn++) {
            struct pci_dev *d = &devs[ndevs];
            memset(d, 0, sizeof(*d));
            d->slot = (uint8_t)slot;
            d->fn = (uint8_t)fn;
            uint32_t id = pci_cfg_read32(d, PCI_VENDOR);
            if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0) {
                if (fn == 0) {
                    break;
                }
                continue;
            }
            d->vendor = (uint16_t)id;
            d->device = (uint16_t)(id >> 16);
            d->class_rev = pci_cfg_read32(d, PCI_CLASS_REV);
            d->hdr_type = pci_cfg_read8(d, PCI_HDR_TYPE);
            if ((d->hdr_type & 0x7f) == 0) {
                size_bars(d);
            }
            ndevs++;
            if (fn == 0 && !(d->hdr_type & 0x80)) {
                break;                      /* single-function device */
            }
        }
    }
    uint64_t base = cmdline_u64("pci-mmio", 0);
    win_limit = WIN_LIMIT;
    if (!base) {
        base = WIN_BASE_DEFAULT;
        if (mech == MECH_ECAM && ecam_base < WIN_LIMIT &&
            ecam_base + (256ull << 20) > WIN_BASE_DEFAULT) {
            base = WIN_BASE_ECAM;
        }
    }
    if (mech == MECH_ECAM && ecam_base > base && ecam_base < win_limit) {
        win_limit = ecam_base;
    }
    win_next = base;
    return ndevs;
}

struct pci_dev *pci_get(int i)
{
    return i >= 0 && i < ndevs ? &devs[i] : 0;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device)
{
    for (int i = 0; i < ndevs; i++) {
        if (devs[i].vendor == vendor && devs[i].device == device) {
            return &devs[i];
        }
    }
    return 0;
}

/* ---- BAR placement ---- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* A firmware-assigned BAR is kept when it is below 4 GiB, in the MMIO hole
 * and clear of ECAM. */
static bool bar_sane(const struct pci_bar *b)
{
    if (!b->addr || b->io) {
        return false;
    }
    if (b->addr < SANE_LOW || b->addr + b->size > WIN_LIMIT) {
        return false;
    }
    if (mech == MECH_ECAM && overlaps(b->addr, b->size, ecam_base, 256ull << 20)) {
        return false;
    }
    return true;
}

static uint64_t bar_alloc(uint64_t size)
{
    for (;;) {
        uint64_t a = (win_next + size - 1) & ~(size - 1);
        bool clash = false;
        if (a + size > win_limit) {
            return 0;
        }
        /* step over BARs that are kept where they are */
        for (int i = 0; i < ndevs && !clash; i++) {
            for (unsigned k = 0; k < 6; k++) {
                const struct pci_bar *o = &devs[i].bar[k];
                if (bar_sane(o) && overlaps(a, size, o->addr, o->size)) {
                    win_next = o->addr + o->size;
                    clash = true;
                    break;
                }
            }
        }
        if (!clash) {
            win_next = a + size;
            return a;
        }
    }
}

bool pci_enable(struct pci_dev *d)
{
    uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);

    for (unsigned i = 0; i < 6; i++) {
        struct pci_bar *b = &d->bar[i];
        unsigned off = PCI_BAR0 + 4 * i;

        if (!b->size || b->io) {
            continue;                       /* I/O BARs are left alone */
        }
        if (!bar_sane(b)) {
            uint64_t sz = b->size < 4096 ? 4096 : b->size;
            uint64_t a = bar_alloc(sz);
            if (!a) {
                printf("vmu-fw: pci no room for BAR%u size %#lx\n", i, b->size);
                return false;
            }
            pci_cfg_write16(d, PCI_COMMAND, cmd & (uint16_t)~PCI_CMD_MEM);
            pci_cfg_write32(d, off, (uint32_t)a);
            if (b->is64) {
                pci_cfg_write32(d, off + 4, 0);
            }
            b->addr = a;
        }
    }
    cmd |= PCI_CMD_MEM | PCI_CMD_MASTER;
    pci_cfg_write16(d, PCI_COMMAND, cmd);
    return true;
}

unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from)
{
    unsigned p;

    if (!(pci_cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAPS)) {
        return 0;
    }
    p = from ? pci_cfg_read8(d, from + 1) : pci_cfg_read8(d, PCI_CAP_PTR);
    for (unsigned n = 0; n < 48 && p >= 0x40; n++) {
        p &= 0xfc;
        if (pci_cfg_read8(d, p) == id) {
            return p;
        }
        p = pci_cfg_read8(d, p + 1);
    }
    return 0;
}
