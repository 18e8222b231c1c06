/*
 * The PIIX4 power-management function (00:01.3, 8086:7113) as QEMU's pc has
 * it: PM1a event and control blocks and the PM timer at the base the
 * firmware writes to config 0x40 (with -kernel vmu is the firmware: 0x600,
 * enabled), GPE0 fixed at 0xafe0, the SCI on IRQ 9.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "hw/acpi/acpi.h"
#include "hw/pci/pci.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "util/trace.h"

#define PIIX4_PMBA          0x40    /* PM I/O base, bit 0 reads 1 (I/O) */
#define PIIX4_PMREGMISC     0x80    /* bit 0: PM I/O space enabled */
#define PIIX4_DEVACTB       0x58    /* bit 25: SMI on APM command writes */
#define PIIX4_SMBBA         0x90    /* SMBus base: kept, nothing behind it */
#define PIIX4_SMBHSTCFG     0xd2

/* The bits that raise the SCI when both status and enable are set. */
#define PM1_SCI_BITS (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | \
                      ACPI_PM1_RTC)

typedef struct PIIX4PMState {
    PCIDevice dev;
    IORegion pm_io, gpe_io;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint8_t gpe_sts[ACPI_GPE0_LEN / 2], gpe_en[ACPI_GPE0_LEN / 2];
    uint32_t tmr_last;          /* the timer as last read, for TMR_STS */
    bool sci_level;
    bool present;               /* not with -no-acpi */
    bool direct_boot;           /* -kernel: vmu is the firmware */
} PIIX4PMState;

static PIIX4PMState pm;

/* 24-bit count at 3.579545 MHz from the host's monotonic clock. */
static uint32_t pm_timer_now(void)
{
    uint64_t ns = clock_ns();
    uint64_t ticks = ns / 1000000000ULL * ACPI_PM_TIMER_HZ +
                     ns % 1000000000ULL * ACPI_PM_TIMER_HZ / 1000000000ULL;
    return ticks & 0xffffff;
}

static void pm_update_sci(void)
{
    bool level = (pm.pm1_sts & pm.pm1_en & PM1_SCI_BITS) != 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(pm.gpe_sts); i++) {
        level |= (pm.gpe_sts[i] & pm.gpe_en[i]) != 0;
    }
    if (level != pm.sci_level) {
        pm.sci_level = level;
        trace(piix4_pm_sci, "level %d", level);
        /* Through the PIIX3: the guest may route a PIRQ to IRQ 9 too. */
        pci_piix_set_isa_irq(ACPI_SCI_IRQ, level);
    }
}

/*
 * TMR_STS: the timer's bit 23 changed since the last look.  vmu sets it
 * (and with TMR_EN raises the SCI) when the guest reads the timer or
 * PM1_STS, not from a host timer: no guest vmu boots relies on the
 * overflow interrupt (Linux and SeaBIOS only read the timer).
 */
static void pm_timer_poll(void)
{
    uint32_t now = pm_timer_now(), last = pm.tmr_last;

    pm.tmr_last = now;
    if ((now ^ last) & 0x800000) {
        pm.pm1_sts |= ACPI_PM1_TMR;
        pm_update_sci();
    }
}

static void pm_sleep(uint16_t cnt)
{
    unsigned typ = ACPI_PM1_CNT_SLP_TYP(cnt);
    static RateLimit rl;
    if (typ == ACPI_SLP_TYP_S5) {
        trace(piix4_pm_poweroff, "SLP_EN with SLP_TYP %u (S5)", typ);
        shutdown_request(SHUTDOWN_GUEST_POWEROFF, 0);
        return;
    }
    /* The DSDT offers only \_S5; anything else is a guest bug. */
    error_report_ratelimited(&rl, "guest asked for sleep type %u through "
                             "PM1a_CNT: vmu has only S5 (soft off); "
                             "ignored", typ);
}

static uint64_t pm_io_read(void *opaque, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    /* One fresh look at the clock per access to PM1_STS or the timer. */
    if (off < 2 || (off < 12 && off + size > 8)) {
        pm_timer_poll();
    }
    for (unsigned i = 0; i < size; i++) {
        unsigned a = off + i;
        uint32_t reg;
        switch (a & ~1u) {
        case 0:
            reg = pm.pm1_sts;
            break;
        case 2:
            reg = pm.pm1_en;
            break;
        case 4:
            reg = pm.pm1_cnt & ~ACPI_PM1_CNT_SLP_EN;  /* write-only bit */
            break;
        case 8:
            reg = pm.tmr_last;
            break;
        case 10:
            reg = pm.tmr_last >> 16;
            break;
        default:
            reg = 0;
            break;
        }
        v |= (uint64_t)((reg >> (8 * (a & 1))) & 0xff) << (8 * i);
    }
    return v;
}

static void pm_io_write(void *opaque, uint64_t off, uint64_t val,
                        unsigned size)
{
    bool sleep = false;
    for (unsigned i = 0; i < size; i++) {
        unsigned a = off + i;
        uint16_t b = (val >> (8 * i)) & 0xff;
        unsigned shift = 8 * (a & 1);
        switch (a & ~1u) {
        case 0:
            pm.pm1_sts &= ~(b << shift);        /* write 1 to clear */
            break;
        case 2:
            pm.pm1_en = (pm.pm1_en & ~(0xff << shift)) | (b << shift);
            break;
        case 4:
            pm.pm1_cnt = (pm.pm1_cnt & ~(0xff << shift)) | (b << shift);
            sleep |= (pm.pm1_cnt & ACPI_PM1_CNT_SLP_EN) != 0;
            break;
        default:
            break;                              /* the timer is read-only */
        }
    }
    trace(piix4_pm_write, "off 0x%" PRIx64 " val 0x%" PRIx64 " size %u", off,
          val, size);
    if (sleep) {
        pm.pm1_cnt &= ~ACPI_PM1_CNT_SLP_EN;
        pm_sleep(pm.pm1_cnt);
    }
    pm_update_sci();
}

static const MemoryRegionOps pm_io_ops = {
    .read = pm_io_read,
    .write = pm_io_write,
};

/* GPE0: status bytes then enable bytes (ACPI spec's GPE block layout). */
static uint64_t gpe_io_read(void *opaque, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    unsigned half = G_N_ELEMENTS(pm.gpe_sts);
    for (unsigned i = 0; i < size && off + i < ACPI_GPE0_LEN; i++) {
        unsigned a = off + i;
        uint8_t b = a < half ? pm.gpe_sts[a] : pm.gpe_en[a - half];
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void gpe_io_write(void *opaque, uint64_t off, uint64_t val,
                         unsigned size)
{
    unsigned half = G_N_ELEMENTS(pm.gpe_sts);
    for (unsigned i = 0; i < size && off + i < ACPI_GPE0_LEN; i++) {
        unsigned a = off + i;
        uint8_t b = val >> (8 * i);
        if (a < half) {
            pm.gpe_sts[a] &= ~b;
        } else {
            pm.gpe_en[a - half] = b;
        }
    }
    pm_update_sci();
}

static const MemoryRegionOps gpe_io_ops = {
    .read = gpe_io_read,
    .write = gpe_io_write,
};

/* Map the PM block where config 0x40 says, if 0x80 bit 0 enables it. */
static void pm_io_update(void)
{
    uint16_t base = pci_get_word(&pm.dev.config[PIIX4_PMBA]) & 0xffc0;
    bool on = (pm.dev.config[PIIX4_PMREGMISC] & 1) && base;
    static RateLimit rl;
    if (pm.pm_io.mapped && (!on || pm.pm_io.base != base)) {
        io_region_unmap(&pm.pm_io);
    }
    if (on && !pm.pm_io.mapped) {
        Error *err = NULL;
        if (!io_region_map(&pm.pm_io, base, &err)) {
            error_report_ratelimited(&rl, "PIIX4 PM: I/O block left "
                                     "unmapped: %s", error_get_pretty(err));
            error_free(err);
            return;
        }
    }
    trace(piix4_pm_io, "PM block %s at 0x%x", on ? "on" : "off", base);
}

static void pm_config_write(PCIDevice *d, unsigned off, uint32_t val,
                            unsigned len)
{
    if ((off < PIIX4_PMBA + 4 && off + len > PIIX4_PMBA) ||
        (off <= PIIX4_PMREGMISC && off + len > PIIX4_PMREGMISC)) {
        pm_io_update();
    }
}

static void pm_config_defaults(PCIDevice *d)
{
    pci_set_long(&d->config[PIIX4_PMBA], 1);
    d->config[PIIX4_PMREGMISC] = 0;
    if (pm.direct_boot) {
        /* What a BIOS does first: the block where the FADT says it is,
         * so the OS reads its PM timer at 0x608 without setting it up. */
        pci_set_long(&d->config[PIIX4_PMBA], ACPI_PM_BASE_DEFAULT | 1);
        d->config[PIIX4_PMREGMISC] = 1;
    }
    /*
     * vmu has no SMM: APMC_EN reads as already set, so the firmware skips
     * its SMM set-up (it would wait forever for an SMI), as with QEMU's
     * smm=off.
     */
    pci_set_long(&d->config[PIIX4_DEVACTB], 1u << 25);
    pci_set_long(&d->config[PIIX4_SMBBA], 1);
    d->config[PIIX4_SMBHSTCFG] = 0;
}

static void pm_reset(PCIDevice *d)
{
    pm_config_defaults(d);
    pm_io_update();
    /* SMI_CMD is 0 in the FADT: the machine is always in ACPI mode. */
    pm.pm1_sts = 0;
    pm.pm1_en = 0;
    pm.pm1_cnt = ACPI_PM1_CNT_SCI_EN;
    memset(pm.gpe_sts, 0, sizeof(pm.gpe_sts));
    memset(pm.gpe_en, 0, sizeof(pm.gpe_en));
    pm.tmr_last = pm_timer_now();
    pm_update_sci();
}

static const PCIDeviceOps pm_ops = {
    .config_write = pm_config_write,
    .reset = pm_reset,
};

bool piix4_pm_power_button(Error **errp)
{
    if (!pm.present) {
        error_setg(errp, "the machine has no ACPI power button (started with "
                   "-no-acpi or -machine acpi=off); stop the guest from "
                   "inside, or use quit");
        return false;
    }
    trace(piix4_pm_power_button, "PWRBTN_STS set, PM1_EN 0x%x", pm.pm1_en);
    pm.pm1_sts |= ACPI_PM1_PWRBTN;
    pm_update_sci();
    return true;
}

bool piix4_pm_init(MachineState *ms, Error **errp)
{
    PCIDevice *d = &pm.dev;
    if (!pci_device_register(d, "PIIX4 PM", PCI_DEVFN(1, 3), 0x8086, 0x7113,
                             0x068000, &pm_ops, NULL, errp)) {
        return false;
    }
    d->config[PCI_REVISION_ID] = 3;
    d->config[PCI_INTERRUPT_PIN] = 1;
    pci_set_word(&d->wmask[PIIX4_PMBA], 0xffc0);
    d->wmask[PIIX4_PMREGMISC] = 0x01;
    pci_set_word(&d->wmask[PIIX4_SMBBA], 0xfff0);
    d->wmask[PIIX4_SMBHSTCFG] = 0x01;
    io_region_init(&pm.pm_io, "piix4-pm", AS_IO, ACPI_PM_BLK_LEN,
                   &pm_io_ops, NULL);
    io_region_init(&pm.gpe_io, "acpi-gpe0", AS_IO, ACPI_GPE0_LEN,
                   &gpe_io_ops, NULL);
    pm.direct_boot = ms->kernel != NULL;
    pm_config_defaults(d);
    pm.pm1_cnt = ACPI_PM1_CNT_SCI_EN;
    pm.tmr_last = pm_timer_now();
    pm.present = true;
    if (pm.direct_boot &&
        !io_region_map(&pm.pm_io, ACPI_PM_BASE_DEFAULT, errp)) {
        return false;
    }
    return io_region_map(&pm.gpe_io, ACPI_GPE0_BASE, errp);
}
