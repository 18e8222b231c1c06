/* fw.h - shared declarations for vmu's freestanding x86-64 test firmware.
 * Port/MMIO accessors, exit status codes, and the interfaces between the
 * firmware's modules (serial, idt, apic, pvh, tests, libc). */
#ifndef VMU_FW_H
#define VMU_FW_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit values written to isa-debug-exit (QEMU status = (value << 1) | 1). */
#define FW_EXIT_PASS        0x00
#define FW_EXIT_FAIL        0x01
#define FW_EXIT_UNKNOWN     0x02   /* unknown test= name */
#define FW_EXIT_NODEV       0x03   /* required device absent (skip) */
#define FW_EXIT_BADBOOT     0x04   /* bad PVH start info */
#define FW_EXIT_EXCEPTION   0x7f   /* unexpected CPU exception */

#define DEBUG_EXIT_PORT     0xf4

/* Interrupt vectors used by the firmware. */
#define VEC_PIC_BASE        0x20   /* legacy PIC remapped here, then masked */
#define VEC_PIT             0x30   /* PIT via IOAPIC pin 2 */
#define VEC_PIT_PIN0        0x31   /* PIT via IOAPIC pin 0 */
#define VEC_MSI_TEST        0x41
#define VEC_NET_RX          0x50   /* virtio-net RX queue (MSI-X entry 0) */
#define VEC_NET_TX          0x51   /* virtio-net TX queue (MSI-X entry 1) */
#define VEC_NET_CFG         0x52   /* virtio-net config change (entry 2) */
#define VEC_NET_INTX        0x53   /* virtio-net INTx through the IOAPIC */
#define VEC_SPURIOUS        0xff

#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))

/* ---- port and memory-mapped I/O ---- */
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t mmio_read32(uint64_t addr)
{
    return *(volatile uint32_t *)(uintptr_t)addr;
}
static inline void mmio_write32(uint64_t addr, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)addr = v;
}
static inline uint8_t mmio_read8(uint64_t addr)
{
    return *(volatile uint8_t *)(uintptr_t)addr;
}
static inline void mmio_write8(uint64_t addr, uint8_t v)
{
    *(volatile uint8_t *)(uintptr_t)addr = v;
}
static inline uint16_t mmio_read16(uint64_t addr)
{
    return *(volatile uint16_t *)(uintptr_t)addr;
}
static inline void mmio_write16(uint64_t addr, uint16_t v)
{
    *(volatile uint16_t *)(uintptr_t)addr = v;
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
                     "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

/* ---- libc.c ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
bool parse_u64(const char *s, size_t len, uint64_t *out);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- serial.c ---- */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- main.c ---- */
__attribute__((noreturn)) void fw_exit(uint32_t value);

/* ---- idt.c ---- */
struct irq_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};
void idt_init(void);
/* A level-triggered source: before the EOI of vector, read the byte at
 * mmio (a read-to-clear status such as virtio's ISR) so the line drops. */
void idt_set_level_ack(uint8_t vector, uint64_t mmio);
uint32_t irq_count(uint8_t vector);
/* Wait until irq_count(vector) >= n; bounded. Returns the final count. */
uint32_t irq_wait(uint8_t vector, uint32_t n);
/* Bounded wait helper: true when cond(arg) became true before the limit. */
bool wait_bounded(bool (*cond)(void *), void *arg);

/* ---- apic.c ---- */
#define LAPIC_BASE   0xfee00000ull
#define IOAPIC_BASE  0xfec00000ull
void pic_disable(void);
void lapic_init(void);
void lapic_eoi(void);
uint32_t lapic_id(void);
void ioapic_init(void);
void ioapic_route(unsigned pin, uint8_t vector, bool level, uint32_t apic_id);
void ioapic_route_flags(unsigned pin, uint8_t vector, bool level,
                        bool active_low, uint32_t apic_id);
void ioapic_mask(unsigned pin);
void pit_start_periodic(uint32_t hz);
void pit_stop(void);

/* ---- pvh.c ---- */
#define HVM_START_MAGIC 0x336ec578u
struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;     /* version >= 1 */
    uint32_t memmap_entries;   /* version >= 1 */
    uint32_t reserved;
};
struct hvm_memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;             /* 1 = RAM (E820 numbering) */
    uint32_t reserved;
};
#define HVM_MEMMAP_RAM 1
struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

bool pvh_init(uint32_t start_info_pa);
const char *pvh_cmdline(void);
uint32_t pvh_memmap_count(void);
const struct hvm_memmap_entry *pvh_memmap_entry(uint32_t i);
/* "pvh" or "boot_params" (bzImage boot), after pvh_init(). */
const char *boot_info_kind(void);
/* The initrd (boot_params ramdisk or PVH module 0); false if none. */
bool boot_initrd(uint64_t *addr, uint64_t *size);
/* The RSDP address the VMM passed (PVH rsdp_paddr, boot_params
 * acpi_rsdp_addr); 0 if none. */
uint64_t boot_rsdp(void);
/* Find the value of "key=" in the command line; returns length or -1. */
int cmdline_get(const char *key, const char **val);

/* ---- pci.c ---- */
#define PCI_MAX_DEVS    64
struct pci_bar {
    uint64_t addr;      /* 0 = absent/unassigned */
    uint64_t size;
    bool io, is64;
};
struct pci_dev {
    uint8_t bus, slot, fn;
    uint16_t vendor, device;
    uint32_t class_rev;         /* class << 8 | revision */
    uint8_t hdr_type;
    struct pci_bar bar[6];
};
/* Finds the configuration mechanism (CF8/CFC, else ECAM from pci-ecam= or
 * ACPI MCFG) and scans bus 0. Returns the number of functions found. */
int pci_scan(void);
const char *pci_mech_name(void);
struct pci_dev *pci_get(int i);
struct pci_dev *pci_find(uint16_t vendor, uint16_t device);
uint32_t pci_cfg_read32(const struct pci_dev *d, unsigned off);
uint16_t pci_cfg_read16(const struct pci_dev *d, unsigned off);
uint8_t pci_cfg_read8(const struct pci_dev *d, unsigned off);
void pci_cfg_write32(const struct pci_dev *d, unsigned off, uint32_t v);
void pci_cfg_write16(const struct pci_dev *d, unsigned off, uint16_t v);
/* Sizes and (if needed) assigns memory BARs, enables memory decoding and
 * bus mastering. Returns false if a BAR could not be placed. */
bool pci_enable(struct pci_dev *d);
/* Offset of the first capability with this ID after the one at 'from'
 * (from = 0: from the list head); 0 if none. */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from);

/* ---- cpuid.c ---- */
int test_cpuid(void);

/* ---- acpi.c ---- */
int test_acpi(void);

/* ---- net-tests.c ---- */
int test_pci(void);
int test_net_probe(void);
int test_net_tx(void);
int test_net_echo(void);
int test_net_rx(void);

/* ---- net-slirp.c ---- */
int test_net_slirp(void);

/* Command-line helper: value of key= as a number, or dflt. */
uint64_t cmdline_u64(const char *key, uint64_t dflt);

/* ---- tests.c ---- */
/* Runs the named test; returns an exit value (FW_EXIT_*) */
int run_test(const char *name, size_t len);

#endif
