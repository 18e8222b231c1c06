/* idt.c - IDT setup and interrupt dispatch for vmu's test firmware.
 * CPU exceptions (vectors 0-31) are fatal: report vector/error/RIP, exit 0x7f.
 * Device vectors are counted per vector and EOI'd at the local APIC. */
#include "fw.h"

struct idt_entry {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;
    uint8_t type;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t zero;
} __attribute__((packed));

struct idt_desc {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

#define SEL_CODE64      0x08
#define GATE_INTR       0x8e    /* present, DPL0, 64-bit interrupt gate */
#define STUB_SIZE       16

/* Upper bounds for wait_bounded(): a TSC budget (about 1-3 s on 1-3 GHz
 * hosts) and an iteration cap in case the TSC does not advance. */
#define WAIT_TSC_BUDGET ((uint64_t)3000 * 1000 * 1000)
#define WAIT_MAX_SPINS  (2u * 1000 * 1000)

extern const char isr_stubs[];

static struct idt_entry idt[256] __attribute__((aligned(16)));
static volatile uint32_t irq_counts[256];
static uint64_t level_ack[256];

void idt_set_level_ack(uint8_t vector, uint64_t mmio)
{
    level_ack[vector] = mmio;
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)(isr_stubs + v * STUB_SIZE);
        idt[v].off_lo = (uint16_t)a;
        idt[v].sel = SEL_CODE64;
        idt[v].ist = 0;
        idt[v].type = GATE_INTR;
        idt[v].off_mid = (uint16_t)(a >> 16);
        idt[v].off_hi = (uint32_t)(a >> 32);
        idt[v].zero = 0;
    }
    struct idt_desc d = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
}

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void isr_dispatch(struct irq_frame *f);
void isr_dispatch(struct irq_frame *f)
{
    uint8_t v = (uint8_t)f->vector;

    if (v < 32) {
        uint64_t cr2;
        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
        printf("vmu-fw: exception %u %s err %#lx rip %#lx cr2 %#lx\n", v,
               exc_names[v] ? exc_names[v] : "?", f->error, f->rip, cr2);
        fw_exit(FW_EXIT_EXCEPTION);
    }
    irq_counts[v]++;
    if (level_ack[v]) {
        (void)mmio_read8(level_ack[v]);
    }
    if (v != VEC_SPURIOUS) {
        lapic_eoi();
    }
}

uint32_t irq_count(uint8_t vector)
{
    return irq_counts[vector];
}

bool wait_bounded(bool (*cond)(void *), void *arg)
{
    uint64_t t0 = rdtsc();

    for (uint32_t i = 0; i < WAIT_MAX_SPINS; i++) {
        if (cond(arg)) {
            return true;
        }
        if (rdtsc() - t0 > WAIT_TSC_BUDGET) {
            break;
        }
        cpu_relax();
    }
    return cond(arg);
}

struct irq_wait_arg {
    uint8_t vector;
    uint32_t n;
};

static bool irq_reached(void *p)
{
    struct irq_wait_arg *a = p;
    return irq_counts[a->vector] >= a->n;
}

uint32_t irq_wait(uint8_t vector, uint32_t n)
{
    struct irq_wait_arg a = { vector, n };
    wait_bounded(irq_reached, &a);
    return irq_counts[vector];
}
