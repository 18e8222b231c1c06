/* tests.c - the individual firmware tests selected with test=NAME:
 * hello, pam, pit, highmem, msi, ioeventfd, exception, hold, reboot, and (net-tests.c)
 * pci, net-probe, net-tx, net-echo, net-rx, (net-slirp.c) net-slirp. Each returns an FW_EXIT_* value.
 * Add new tests to the table at the end. */
#include "fw.h"

#define GiB ((uint64_t)1 << 30)
#define MiB ((uint64_t)1 << 20)

/* vmu-testdev I/O registers (32-bit, see README.md) */
#define TESTDEV_ID          0x540
#define TESTDEV_MSI_ADDR    0x544
#define TESTDEV_MSI_DATA    0x548
#define TESTDEV_CMD         0x54c
#define TESTDEV_DOORBELL    0x550
#define TESTDEV_DB_COUNT    0x554
#define TESTDEV_MAGIC       0x766d7574u     /* 'vmut' */
#define TESTDEV_CMD_MSI     1
#define TESTDEV_CMD_MSI_AGAIN 2

#define MSI_ADDR_BASE       0xfee00000u
#define DOORBELL_WRITES     10
#define PIT_TICKS_WANTED    3

/* Highest address mapped by entry.S's page tables. */
#define MAPPED_LIMIT        (8 * GiB)

static int test_hello(void)
{
    uint32_t n = pvh_memmap_count();
    uint64_t ram = 0;
    const char *v;
    int len;

    for (uint32_t i = 0; i < n; i++) {
        const struct hvm_memmap_entry *e = pvh_memmap_entry(i);
        if (e->type == HVM_MEMMAP_RAM) {
            ram += e->size;
        }
    }
    printf("vmu-fw: hello\n");
    printf("vmu-fw: memmap %u entries, RAM %lu MiB\n", n, ram / MiB);

    len = cmdline_get("exit", &v);
    if (len >= 0) {
        uint64_t code;
        if (!parse_u64(v, (size_t)len, &code)) {
            printf("vmu-fw: bad exit= value\n");
            return FW_EXIT_FAIL;
        }
        return (int)code;
    }
    return FW_EXIT_PASS;
}

/* ISA IRQ 0 is IOAPIC pin 2 under the usual interrupt source override (QEMU,
 * vmu with PC-style GSI routing) but pin 0 with KVM's default GSI routing.
 * Route both at once, to different vectors, and see which one ticks. */
static const struct {
    unsigned pin;
    uint8_t vector;
} pit_routes[] = {
    { 2, VEC_PIT },
    { 0, VEC_PIT_PIN0 },
};

static bool pit_ticked(void *p)
{
    const uint32_t *base = p;
    for (unsigned i = 0; i < ARRAY_SIZE(pit_routes); i++) {
        if (irq_count(pit_routes[i].vector) - base[i] >= PIT_TICKS_WANTED) {
            return true;
        }
    }
    return false;
}

static int test_pit(void)
{
    uint32_t base[ARRAY_SIZE(pit_routes)];
    uint32_t ticks = 0;
    unsigned pin = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(pit_routes); i++) {
        base[i] = irq_count(pit_routes[i].vector);
        ioapic_route(pit_routes[i].pin, pit_routes[i].vector, false, lapic_id());
    }
    pit_start_periodic(1000);
    irq_enable();
    wait_bounded(pit_ticked, base);
    irq_disable();
    for (unsigned i = 0; i < ARRAY_SIZE(pit_routes); i++) {
        uint32_t n = irq_count(pit_routes[i].vector) - base[i];
        ioapic_mask(pit_routes[i].pin);
        if (n > ticks) {
            ticks = n;
            pin = pit_routes[i].pin;
        }
    }
    pit_stop();
    if (ticks) {
        printf("vmu-fw: pit via ioapic pin %u\n", pin);
    }
    printf("vmu-fw: pit ticks %u\n", ticks);
    return ticks >= PIT_TICKS_WANTED ? FW_EXIT_PASS : FW_EXIT_FAIL;
}

static bool check_qword(uint64_t addr)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;
    uint64_t pat = (uint64_t)0x5a5a000000000000 ^ addr;

    *p = pat;
    *(p + 1) = ~pat;
    return *p == pat && *(p + 1) == ~pat;
}

static int test_highmem(void)
{
    uint32_t n = pvh_memmap_count();

    for (uint32_t i = 0; i < n; i++) {
        const struct hvm_memmap_entry *e = pvh_memmap_entry(i);
        uint64_t start = e->addr, end = e->addr + e->size;

        if (e->type != HVM_MEMMAP_RAM || end <= 4 * GiB) {
            continue;
        }
        if (start < 4 * GiB) {
            start = 4 * GiB;
        }
        if (end > MAPPED_LIMIT) {
            end = MAPPED_LIMIT;         /* page tables stop at 8 GiB */
        }
        if (end <= start + 4096) {
            continue;
        }
        uint64_t addrs[3] = {
            start,
            (start + (end - start) / 2) & ~(uint64_t)0xfff,
            (end - 4096) & ~(uint64_t)0xfff,
        };
        for (unsigned k = 0; k < ARRAY_SIZE(addrs); k++) {
            if (!check_qword(addrs[k]) || !check_qword(addrs[k] + 4096 - 16)) {
                printf("vmu-fw: highmem mismatch at %#lx\n", addrs[k]);
                return FW_EXIT_FAIL;
            }
        }
        printf("vmu-fw: highmem ok at %#lx\n", start);
        return FW_EXIT_PASS;
    }
    printf("vmu-fw: no RAM above 4 GiB\n");
    return FW_EXIT_FAIL;
}

/*
 * The i440FX PAM registers (00:00.0 config 0x59-0x5f) under KVM: with
 * -kernel vmu leaves every field 3 (RAM read-write) and there is no BIOS
 * behind the shadow.  1 is read-only RAM (a KVM_MEM_READONLY slot: the
 * write exits and is dropped), 0 reads nothing (all-ones) and drops
 * writes, 2 writes RAM and reads the empty ROM side.
 */
static void pam_set_all(unsigned mode)
{
    uint32_t f = mode << 4, cde = mode | mode << 4;
    outl(0xcf8, 0x80000058);
    outl(0xcfc, f << 8 | cde << 16 | cde << 24);
    outl(0xcf8, 0x8000005c);
    outl(0xcfc, cde * 0x01010101u);
}

static bool pam_expect(uint64_t a, unsigned mode, uint32_t want)
{
    uint32_t got = mmio_read32(a);
    if (got != want) {
        printf("vmu-fw: pam mode %u at %#lx reads %#x, expected %#x\n",
               mode, a, got, want);
    }
    return got == want;
}

static int test_pam(void)
{
    static const uint64_t at[] = { 0xc0000, 0xd4000, 0xe8000, 0xf8000 };
    bool ok = true;
    for (unsigned i = 0; i < ARRAY_SIZE(at) && ok; i++) {
        uint64_t a = at[i];
        uint32_t orig = mmio_read32(a), v = 0x5a000000u | i;
        mmio_write32(a, v);
        ok = pam_expect(a, 3, v);
        pam_set_all(1);
        mmio_write32(a, ~v);
        ok = ok && pam_expect(a, 1, v);
        pam_set_all(0);
        mmio_write32(a, ~v);
        ok = ok && pam_expect(a, 0, 0xffffffffu);
        pam_set_all(2);
        mmio_write32(a, v + 1);
        ok = ok && pam_expect(a, 2, 0xffffffffu);
        pam_set_all(1);
        ok = ok && pam_expect(a, 1, v + 1);
        pam_set_all(3);
        mmio_write32(a, orig);
    }
    if (!ok) {
        return FW_EXIT_FAIL;
    }
    printf("vmu-fw: pam ok\n");
    return FW_EXIT_PASS;
}

static bool testdev_present(void)
{
    if (inl(TESTDEV_ID) != TESTDEV_MAGIC) {
        printf("vmu-fw: no vmu-testdev\n");
        return false;
    }
    return true;
}

static int test_msi(void)
{
    uint32_t got;

    if (!testdev_present()) {
        return FW_EXIT_NODEV;
    }
    outl(TESTDEV_MSI_ADDR, MSI_ADDR_BASE | (lapic_id() << 12));
    outl(TESTDEV_MSI_DATA, VEC_MSI_TEST);       /* fixed, edge */
    irq_enable();
    outl(TESTDEV_CMD, TESTDEV_CMD_MSI);
    got = irq_wait(VEC_MSI_TEST, 1);
    if (got >= 1) {
        outl(TESTDEV_CMD, TESTDEV_CMD_MSI_AGAIN);
        got = irq_wait(VEC_MSI_TEST, 2);
    }
    irq_disable();
    printf("vmu-fw: msi vector %#x received %u\n", VEC_MSI_TEST, got);
    return got >= 2 ? FW_EXIT_PASS : FW_EXIT_FAIL;
}

static bool doorbells_seen(void *p)
{
    uint32_t *count = p;
    *count = inl(TESTDEV_DB_COUNT);
    return *count >= 1;
}

static int test_ioeventfd(void)
{
    uint32_t count = 0;

    if (!testdev_present()) {
        return FW_EXIT_NODEV;
    }
    for (unsigned i = 0; i < DOORBELL_WRITES; i++) {
        outl(TESTDEV_DOORBELL, 1);
    }
    wait_bounded(doorbells_seen, &count);
    printf("vmu-fw: ioeventfd doorbells %u\n", count);
    return count >= 1 ? FW_EXIT_PASS : FW_EXIT_FAIL;
}

static bool never(void *p)
{
    (void)p;
    return false;
}

/* Prints, then idles for the bounded-wait limit (about a second): gives a
 * benchmark time to read the VMM's memory while the guest is up. */
static int test_hold(void)
{
    printf("vmu-fw: holding\n");
    wait_bounded(never, 0);
    return FW_EXIT_PASS;
}

/* Deliberately faults (#UD) to exercise the exception path: exits 0x7f. */
static int test_exception(void)
{
    __asm__ volatile("ud2");
    return FW_EXIT_FAIL;
}

/* reboot: a mark in RAM that no loader writes (between the firmware image
 * and the DMA area, see README.md) survives the reset: the second boot
 * sees it. */
#define REBOOT_MARK_ADDR    0x180000u
#define REBOOT_MAGIC        0x31746f6f626572ULL     /* "reboot1" */

struct reboot_mark {
    uint64_t magic;
    uint64_t boots;
};

static void reboot_delay(void)
{
    for (unsigned i = 0; i < 1000; i++) {
        __asm__ volatile("pause");
    }
}

/* via=cf9 (default) tries 0xcf9, then 0x64, then a triple fault; via=kbd
 * starts at 0x64, via=triple goes straight to the triple fault. */
static __attribute__((noreturn)) void reboot_now(void)
{
    const char *via;
    int len = cmdline_get("via", &via);
    bool kbd = len == 3 && !strncmp(via, "kbd", 3);
    bool triple = len == 6 && !strncmp(via, "triple", 6);

    if (!kbd && !triple) {
        /* PIIX reset control: hard reset (bit 2) after setting the type. */
        outb(0xcf9, 0x02);
        outb(0xcf9, 0x06);
        reboot_delay();
    }
    if (!triple) {
        /* Keyboard controller pulse reset. */
        outb(0x64, 0xfe);
        reboot_delay();
        /* Neither port resets this machine: a triple fault does. */
        printf("vmu-fw: reboot: ports ignored, triple fault\n");
    }
    /* A fault with an empty IDT: #GP, #DF, shutdown.  (A ud2, not an
     * int3: kvm-pvm cannot emulate an int3 through an empty IDT.) */
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr
        = { 0, 0 };
    __asm__ volatile("lidt %0; ud2" : : "m"(idtr));
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

/* First boot: mark RAM, run test first=NAME if given (it must pass),
 * print "reboot 1", reset.  Second boot: see the mark, print "reboot 2 ok",
 * pass (or run test then=NAME). */
static int test_reboot(void)
{
    volatile struct reboot_mark *m = (void *)(uintptr_t)REBOOT_MARK_ADDR;
    const char *then;
    int len;

    if (m->magic != REBOOT_MAGIC) {
        m->magic = REBOOT_MAGIC;
        m->boots = 1;
        len = cmdline_get("first", &then);
        if (len > 0) {
            int r = run_test(then, (size_t)len);
            if (r != FW_EXIT_PASS) {
                return r;
            }
        }
        printf("vmu-fw: reboot 1\n");
        reboot_now();
    }
    m->boots++;
    if (m->boots != 2) {
        printf("vmu-fw: reboot %lu: booted too often\n", (uint64_t)m->boots);
        return FW_EXIT_FAIL;
    }
    printf("vmu-fw: reboot 2 ok\n");
    len = cmdline_get("then", &then);
    if (len > 0) {
        return run_test(then, (size_t)len);
    }
    return FW_EXIT_PASS;
}

/* initrd: the ramdisk the VMM loaded (boot_params ramdisk_image/size when
 * booted as a bzImage, PVH module 0 otherwise): address, size, first bytes. */
static int test_initrd(void)
{
    uint64_t addr, size;
    char hex[3 * 16 + 1];

    if (!boot_initrd(&addr, &size)) {
        printf("vmu-fw: no initrd (%s)\n", boot_info_kind());
        return FW_EXIT_FAIL;
    }
    if (addr + size > MAPPED_LIMIT) {
        printf("vmu-fw: initrd at %#lx beyond the page tables\n", addr);
        return FW_EXIT_FAIL;
    }
    const uint8_t *p = (const uint8_t *)(uintptr_t)addr;
    unsigned n = size < 16 ? (unsigned)size : 16, o = 0;
    hex[0] = '\0';
    for (unsigned i = 0; i < n; i++) {
        o += (unsigned)snprintf(hex + o, sizeof(hex) - o, i ? " %02x" : "%02x",
                                p[i]);
    }
    printf("vmu-fw: initrd at %#lx size %lu (%s)\n", addr, size,
           boot_info_kind());
    printf("vmu-fw: initrd bytes %s\n", hex);
    return FW_EXIT_PASS;
}

static const struct {
    const char *name;
    int (*fn)(void);
} tests[] = {
    { "hello", test_hello },
    { "pam", test_pam },
    { "pit", test_pit },
    { "highmem", test_highmem },
    { "msi", test_msi },
    { "ioeventfd", test_ioeventfd },
    { "exception", test_exception },
    { "hold", test_hold },
    { "reboot", test_reboot },
    { "pci", test_pci },
    { "net-probe", test_net_probe },
    { "net-tx", test_net_tx },
    { "net-echo", test_net_echo },
    { "net-rx", test_net_rx },
    { "net-slirp", test_net_slirp },
    { "initrd", test_initrd },
    { "cpuid", test_cpuid },
    { "acpi", test_acpi },
};

int run_test(const char *name, size_t len)
{
    for (unsigned i = 0; i < ARRAY_SIZE(tests); i++) {
        if (strlen(tests[i].name) == len && !strncmp(tests[i].name, name, len)) {
            return tests[i].fn();
        }
    }
    char buf[32];
    size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
    memcpy(buf, name, n);
    buf[n] = '\0';
    printf("vmu-fw: unknown test '%s'\n", buf);
    return FW_EXIT_UNKNOWN;
}
