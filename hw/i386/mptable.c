/*
 * The Intel MultiProcessor table (spec 1.4) that tells a guest without
 * ACPI about its CPUs, the IOAPIC and how interrupts reach it.  As a PC
 * BIOS writes it for QEMU's pc: bus 0 is PCI, bus 1 ISA; ISA IRQ 0 (the
 * PIT) arrives at IOAPIC pin 2, the others 1:1; each PCI slot's INTA-INTD
 * at the IOAPIC pin of the IRQ its PIIX3 PIRQ route reaches (Linux's
 * mpparse and io_apic.c look a device up by bus, slot and pin).
 */
#include <glib.h>
#include <string.h>

#include "hw/i386/boot.h"
#include "hw/pci/pci.h"
#include "system/memory.h"
#include "util/trace.h"

#define MP_BUS_PCI      0
#define MP_BUS_ISA      1
#define MP_PCI_SLOTS    32

#define MP_APIC_ADDR    0xfee00000u
#define MP_IOAPIC_ADDR  0xfec00000u

static uint8_t mp_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    while (len--) {
        sum += *p++;
    }
    return -sum;
}

static uint8_t *put(uint8_t *p, uint64_t v, unsigned size)
{
    memcpy(p, &v, size);
    return p + size;
}

/* flags: polarity (bits 0-1) and trigger (2-3); 0 is the bus's default
 * (ISA: edge, active high). */
#define MP_IRQ_LEVEL_HIGH   0x000d

static uint8_t *put_intsrc(uint8_t *p, uint8_t type, uint8_t kind,
                           uint16_t flags, uint8_t bus, uint8_t irq,
                           uint8_t apic, uint8_t pin)
{
    p = put(p, type, 1);            /* 3: I/O interrupt, 4: local */
    p = put(p, kind, 1);            /* 0: INT, 1: NMI, 3: ExtINT */
    p = put(p, flags, 2);
    p = put(p, bus, 1);
    p = put(p, irq, 1);
    p = put(p, apic, 1);
    return put(p, pin, 1);
}

void mptable_write(const MachineState *ms)
{
    unsigned ncpu = ms->smp_cpus;
    size_t size = 16 + 44 + ncpu * 20 + 2 * 8 + 8 + 16 * 8 +
                  MP_PCI_SLOTS * 4 * 8 + 2 * 8;
    uint8_t *buf = g_malloc0(size);
    uint8_t *fp = buf, *cfg = buf + 16, *p = cfg + 44;
    unsigned entries = 0;
    uint8_t ioapic_id = ncpu;
    uint16_t pci_irqs = 0;          /* ISA IRQs that PCI INTx reaches */

    for (unsigned i = 0; i < ncpu; i++, entries++) {
        p = put(p, 0, 1);                   /* processor */
        p = put(p, i, 1);                   /* local APIC id */
        p = put(p, 0x14, 1);                /* local APIC version */
        p = put(p, 1 | (i == 0 ? 2 : 0), 1);    /* enabled, boot CPU */
        p = put(p, 0x600, 4);               /* signature: family 6 */
        p = put(p, 0x201, 4);               /* features: FPU, APIC */
        p = put(p, 0, 8);
    }
    p = put(p, 1, 1);                       /* bus 0: PCI */
    p = put(p, MP_BUS_PCI, 1);
    memcpy(p, "PCI   ", 6);
    p += 6;
    p = put(p, 1, 1);                       /* bus 1: ISA */
    p = put(p, MP_BUS_ISA, 1);
    memcpy(p, "ISA   ", 6);
    p += 6;
    entries += 2;
    p = put(p, 2, 1);                       /* IOAPIC */
    p = put(p, ioapic_id, 1);
    p = put(p, 0x11, 1);
    p = put(p, 1, 1);                       /* enabled */
    p = put(p, MP_IOAPIC_ADDR, 4);
    entries++;
    /* Every slot, present or not (a device added later is routed too);
     * source IRQ is slot << 2 | (pin - 1).  Level and active high, as the
     * PIIX drives the line (SeaBIOS says the same for QEMU's pc; PCI's
     * default would be active low). */
    for (unsigned slot = 0; slot < MP_PCI_SLOTS; slot++) {
        for (unsigned pin = 1; pin <= 4; pin++) {
            int irq = pci_intx_route(slot, pin);
            if (irq <= 0) {
                continue;
            }
            p = put_intsrc(p, 3, 0, MP_IRQ_LEVEL_HIGH, MP_BUS_PCI,
                           slot << 2 | (pin - 1), ioapic_id, irq);
            pci_irqs |= 1u << irq;
            entries++;
        }
    }
    /* An IOAPIC pin has one trigger mode: the IRQs PCI uses are level, so
     * they get no (edge) ISA entry. */
    for (unsigned irq = 0; irq < 16; irq++) {
        if (irq == 2 || (pci_irqs >> irq & 1)) {
            continue;                       /* the cascade, PCI's IRQs */
        }
        p = put_intsrc(p, 3, 0, 0, MP_BUS_ISA, irq, ioapic_id,
                       irq ? irq : 2);
        entries++;
    }
    p = put_intsrc(p, 4, 3, 0, MP_BUS_ISA, 0, 0xff, 0);  /* LINT0: ExtINT */
    p = put_intsrc(p, 4, 1, 0, MP_BUS_ISA, 0, 0xff, 1);  /* LINT1: NMI */
    entries += 2;

    uint32_t cfg_len = p - cfg;
    memcpy(cfg, "PCMP", 4);
    put(cfg + 4, cfg_len, 2);
    cfg[6] = 4;                             /* spec 1.4 */
    memcpy(cfg + 8, "VMU     ", 8);
    memcpy(cfg + 16, "PC          ", 12);
    put(cfg + 34, entries, 2);
    put(cfg + 36, MP_APIC_ADDR, 4);
    cfg[7] = mp_checksum(cfg, cfg_len);

    memcpy(fp, "_MP_", 4);
    put(fp + 4, X86_MPTABLE_ADDR + 16, 4);
    fp[8] = 1;                              /* length in 16-byte units */
    fp[9] = 4;
    fp[10] = mp_checksum(fp, 16);

    memory_write(X86_MPTABLE_ADDR, buf, 16 + cfg_len);
    trace(mptable_write, "%u CPUs, %u entries, PCI INTx on IRQs 0x%04x",
          ncpu, entries, pci_irqs);
    g_free(buf);
}
