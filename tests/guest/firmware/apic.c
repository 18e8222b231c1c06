/* apic.c - interrupt controllers and timer for vmu's test firmware:
 * legacy 8259 PIC (remapped, then fully masked), xAPIC local APIC at
 * 0xfee00000, IOAPIC at 0xfec00000, and PIT channel 0 (ports 0x40/0x43). */
#include "fw.h"

/* 8259 PIC */
#define PIC1_CMD        0x20
#define PIC1_DATA       0x21
#define PIC2_CMD        0xa0
#define PIC2_DATA       0xa1

/* local APIC registers (offsets from LAPIC_BASE) */
#define LAPIC_ID        0x020
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_ERROR 0x370
#define LVT_MASKED      0x10000
#define SVR_ENABLE      0x100
#define MSR_APIC_BASE   0x1b
#define APIC_BASE_EN    0x800

/* IOAPIC */
#define IOAPIC_REGSEL   0x00
#define IOAPIC_WIN      0x10
#define IOAPIC_VER      0x01
#define IOAPIC_REDTBL   0x10
#define RTE_MASKED      0x10000
#define RTE_LEVEL       0x08000
#define RTE_ACTIVE_LOW  0x02000

/* PIT */
#define PIT_CH0         0x40
#define PIT_CMD         0x43
#define PIT_HZ          1193182u

static unsigned ioapic_pins;

void pic_disable(void)
{
    /* ICW1..ICW4: remap to VEC_PIC_BASE so a stray PIC vector is harmless */
    outb(PIC1_CMD, 0x11);
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, VEC_PIC_BASE);
    outb(PIC2_DATA, VEC_PIC_BASE + 8);
    outb(PIC1_DATA, 0x04);
    outb(PIC2_DATA, 0x02);
    outb(PIC1_DATA, 0x01);
    outb(PIC2_DATA, 0x01);
    /* OCW1: mask everything */
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}

static inline uint32_t lapic_read(uint32_t reg)
{
    return mmio_read32(LAPIC_BASE + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
    mmio_write32(LAPIC_BASE + reg, v);
}

void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (!(base & APIC_BASE_EN)) {
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
    }
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_EOI, 0);
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

static uint32_t ioapic_read(uint32_t reg)
{
    mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
    return mmio_read32(IOAPIC_BASE + IOAPIC_WIN);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
    mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
    mmio_write32(IOAPIC_BASE + IOAPIC_WIN, v);
}

void ioapic_init(void)
{
    uint32_t ver = ioapic_read(IOAPIC_VER);
    ioapic_pins = ((ver >> 16) & 0xff) + 1;
    if (ioapic_pins > 24 || ver == 0xffffffffu) {
        ioapic_pins = 24;
    }
    for (unsigned pin = 0; pin < ioapic_pins; pin++) {
        ioapic_mask(pin);
    }
}

/* Fixed delivery, physical destination, active high. */
void ioapic_route(unsigned pin, uint8_t vector, bool level, uint32_t apic_id)
{
    ioapic_write(IOAPIC_REDTBL + 2 * pin + 1, apic_id << 24);
    ioapic_write(IOAPIC_REDTBL + 2 * pin, vector | (level ? RTE_LEVEL : 0));
}

/* As an OS programs a pin the MP table or ACPI describes. */
void ioapic_route_flags(unsigned pin, uint8_t vector, bool level,
                        bool active_low, uint32_t apic_id)
{
    ioapic_write(IOAPIC_REDTBL + 2 * pin + 1, apic_id << 24);
    ioapic_write(IOAPIC_REDTBL + 2 * pin, vector | (level ? RTE_LEVEL : 0) |
                 (active_low ? RTE_ACTIVE_LOW : 0));
}

void ioapic_mask(unsigned pin)
{
    ioapic_write(IOAPIC_REDTBL + 2 * pin, RTE_MASKED);
}

void pit_start_periodic(uint32_t hz)
{
    uint32_t div = PIT_HZ / hz;
    outb(PIT_CMD, 0x34);             /* ch0, lo/hi byte, mode 2, binary */
    outb(PIT_CH0, (uint8_t)div);
    outb(PIT_CH0, (uint8_t)(div >> 8));
}

void pit_stop(void)
{
    outb(PIT_CMD, 0x30);             /* ch0, mode 0, no reload: one last tick */
    outb(PIT_CH0, 0);
    outb(PIT_CH0, 0);
}
