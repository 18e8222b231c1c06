/*
 * fw_cfg as firmware reads it: signature, id, the file directory, the e820
 * map against -m, a -fw_cfg file by I/O and by DMA, DMA errors, unknown
 * keys.  Runs against vmu and QEMU's pc (same ports, same layout).
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "libqtest.h"

#define FW_CFG_CTL  0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_DMA  0x514
#define DMA_STRUCT  0x10000     /* in RAM below 1 MiB */
#define DMA_BUF     0x11000

static void fw_cfg_read(QTestState *s, uint16_t key, void *buf, size_t len)
{
    qtest_outw(s, FW_CFG_CTL, key);
    for (size_t i = 0; i < len; i++) {
        ((uint8_t *)buf)[i] = qtest_inb(s, FW_CFG_DATA);
    }
}

static uint32_t fw_cfg_read32(QTestState *s, uint16_t key)
{
    uint32_t v;
    fw_cfg_read(s, key, &v, 4);
    return GUINT32_FROM_LE(v);
}

/* The file's selector and size from the directory, or 0 if absent. */
static uint16_t fw_cfg_find(QTestState *s, const char *name, uint32_t *size)
{
    uint32_t count;
    fw_cfg_read(s, 0x19, &count, 4);
    count = GUINT32_FROM_BE(count);
    g_assert_cmpuint(count, <, 4096);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t e[64];
        for (unsigned k = 0; k < 64; k++) {
            e[k] = qtest_inb(s, FW_CFG_DATA);
        }
        g_assert(memchr(e + 8, 0, 56));
        if (!strcmp((char *)e + 8, name)) {
            uint32_t sz;
            uint16_t sel;
            memcpy(&sz, e, 4);
            memcpy(&sel, e + 4, 2);
            *size = GUINT32_FROM_BE(sz);
            return GUINT16_FROM_BE(sel);
        }
    }
    return 0;
}

/* One DMA request; returns the control word the device wrote back. */
static uint32_t fw_cfg_dma(QTestState *s, uint32_t control, uint32_t len,
                           uint64_t addr)
{
    uint8_t req[16];
    uint32_t c = GUINT32_TO_BE(control), l = GUINT32_TO_BE(len);
    uint64_t a = GUINT64_TO_BE(addr);
    memcpy(req, &c, 4);
    memcpy(req + 4, &l, 4);
    memcpy(req + 8, &a, 8);
    qtest_memwrite(s, DMA_STRUCT, req, sizeof(req));
    qtest_outl(s, FW_CFG_DMA, GUINT32_TO_BE((uint64_t)DMA_STRUCT >> 32));
    qtest_outl(s, FW_CFG_DMA + 4, GUINT32_TO_BE(DMA_STRUCT & 0xffffffff));
    return GUINT32_FROM_BE(qtest_readl(s, DMA_STRUCT));
}

static void test_signature_id(void)
{
    QTestState *s = qtest_init("");
    char sig[5] = "";
    fw_cfg_read(s, 0x0000, sig, 4);
    g_assert_cmpstr(sig, ==, "QEMU");
    /* Bit 0: the traditional interface; bit 1: DMA. */
    g_assert_cmphex(fw_cfg_read32(s, 0x0001) & 3, ==, 3);
    /* The DMA register reads back "QEMU CFG". */
    g_assert_cmphex(qtest_inl(s, FW_CFG_DMA), ==, 0x554d4551);
    g_assert_cmphex(qtest_inl(s, FW_CFG_DMA + 4), ==, 0x47464320);
    qtest_quit(s);
}

static void test_ram_and_cpus(void)
{
    QTestState *s = qtest_init("-m 256 -smp 2");
    uint64_t ram;
    fw_cfg_read(s, 0x0003, &ram, 8);
    g_assert_cmphex(GUINT64_FROM_LE(ram), ==, 256ULL << 20);
    uint16_t cpus, max;
    fw_cfg_read(s, 0x0005, &cpus, 2);
    fw_cfg_read(s, 0x000f, &max, 2);
    g_assert_cmpuint(GUINT16_FROM_LE(cpus), ==, 2);
    g_assert_cmpuint(GUINT16_FROM_LE(max), >=, 2);
    qtest_quit(s);
}

static void test_e820(void)
{
    QTestState *s = qtest_init("-m 256");
    uint32_t size = 0;
    uint16_t sel = fw_cfg_find(s, "etc/e820", &size);
    g_assert_cmphex(sel, >=, 0x20);
    g_assert_cmpuint(size % 20, ==, 0);
    g_assert_cmpuint(size, >=, 20);
    g_autofree uint8_t *buf = g_malloc(size);
    fw_cfg_read(s, sel, buf, size);
    uint64_t ram = 0;
    bool low = false;
    for (uint32_t off = 0; off < size; off += 20) {
        uint64_t addr, len;
        uint32_t type;
        memcpy(&addr, buf + off, 8);
        memcpy(&len, buf + off + 8, 8);
        memcpy(&type, buf + off + 16, 4);
        if (GUINT32_FROM_LE(type) != 1) {
            continue;   /* QEMU reserves more on AMD hosts (0xfd00000000) */
        }
        ram += GUINT64_FROM_LE(len);
        /* All of RAM below 4 GiB in one entry from 0. */
        if (!GUINT64_FROM_LE(addr)) {
            g_assert_cmphex(GUINT64_FROM_LE(len), ==, 256ULL << 20);
            low = true;
        }
    }
    g_assert(low);
    g_assert_cmphex(ram, ==, 256ULL << 20);
    qtest_quit(s);
}

static void test_boot_files(void)
{
    QTestState *s = qtest_init("");
    uint32_t size = 0;
    uint16_t sel = fw_cfg_find(s, "etc/boot-fail-wait", &size);
    g_assert_cmphex(sel, >=, 0x20);
    g_assert_cmpuint(size, ==, 4);
    /* No -boot reboot-timeout: -1, SeaBIOS does not reboot. */
    g_assert_cmphex(fw_cfg_read32(s, sel), ==, 0xffffffff);
    /* No -boot order= and no bootindex=: an empty bootorder file. */
    sel = fw_cfg_find(s, "bootorder", &size);
    g_assert_cmphex(sel, >=, 0x20);
    g_assert_cmpuint(size, ==, 0);
    qtest_quit(s);
}

static void test_boot_options(void)
{
    QTestState *s = qtest_init("-boot menu=on,splash-time=1500,"
                               "reboot-timeout=1000");
    uint16_t menu;
    fw_cfg_read(s, 0x000e, &menu, 2);
    g_assert_cmpuint(GUINT16_FROM_LE(menu), ==, 1);
    uint32_t size = 0;
    uint16_t sel = fw_cfg_find(s, "etc/boot-menu-wait", &size);
    g_assert_cmphex(sel, >=, 0x20);
    g_assert_cmpuint(size, ==, 2);
    uint16_t wait;
    fw_cfg_read(s, sel, &wait, 2);
    g_assert_cmpuint(GUINT16_FROM_LE(wait), ==, 1500);
    sel = fw_cfg_find(s, "etc/boot-fail-wait", &size);
    g_assert_cmpuint(fw_cfg_read32(s, sel), ==, 1000);
    qtest_quit(s);
}

/* bootindex= of two NICs and a disk, lowest first, and strict=on's HALT
 * line: the paths SeaBIOS matches its devices against (OpenFirmware
 * names from the PCI class). */
static void test_bootorder(void)
{
    gchar *img = NULL;
    GError *err = NULL;
    int fd = g_file_open_tmp("fw_cfg-test-XXXXXX.img", &img, &err);
    g_assert_no_error(err);
    g_assert_cmpint(ftruncate(fd, 1 << 20), ==, 0);
    close(fd);
    QTestState *s = qtest_initf(
        "-netdev user,id=n0 -device virtio-net-pci,netdev=n0,addr=4,"
        "bootindex=2 -netdev user,id=n1 -device virtio-net-pci,netdev=n1,"
        "addr=5,bootindex=1 -drive if=none,id=d0,file=%s,format=raw "
        "-device virtio-blk-pci,drive=d0,addr=6,bootindex=0 -boot strict=on",
        img);
    uint32_t size = 0;
    uint16_t sel = fw_cfg_find(s, "bootorder", &size);
    static const char want[] = "/pci@i0cf8/scsi@6/disk@0,0\n"
                               "/pci@i0cf8/ethernet@5/ethernet-phy@0\n"
                               "/pci@i0cf8/ethernet@4/ethernet-phy@0\n"
                               "HALT";
    g_assert_cmpuint(size, ==, sizeof(want));
    char got[sizeof(want)];
    fw_cfg_read(s, sel, got, size);
    g_assert_cmpstr(got, ==, want);
    qtest_quit(s);
    g_unlink(img);
    g_free(img);
}

static void test_user_file(void)
{
    QTestState *s = qtest_init("-fw_cfg name=opt/vmu/test,string=hello");
    uint32_t size = 0;
    uint16_t sel = fw_cfg_find(s, "opt/vmu/test", &size);
    g_assert_cmphex(sel, >=, 0x20);
    g_assert_cmpuint(size, ==, 5);
    char buf[8] = "";
    fw_cfg_read(s, sel, buf, 5);
    g_assert_cmpstr(buf, ==, "hello");
    /* Past the end the data port reads zeros. */
    g_assert_cmphex(qtest_inb(s, FW_CFG_DATA), ==, 0);

    /* The same by DMA: select + read of 8 bytes, zeros after "hello". */
    qtest_memset(s, DMA_BUF, 0xaa, 16);
    uint32_t ctl = fw_cfg_dma(s, (uint32_t)sel << 16 | 0x08 | 0x02, 8,
                              DMA_BUF);
    g_assert_cmphex(ctl, ==, 0);
    uint8_t got[9] = { 0 };
    qtest_memread(s, DMA_BUF, got, 9);
    g_assert(!memcmp(got, "hello\0\0\0\xaa", 9));

    /* Skip 2 after a fresh select, then read the rest. */
    qtest_memset(s, DMA_BUF, 0, 16);
    g_assert_cmphex(fw_cfg_dma(s, (uint32_t)sel << 16 | 0x08 | 0x04, 2, 0),
                    ==, 0);
    g_assert_cmphex(fw_cfg_dma(s, 0x02, 3, DMA_BUF), ==, 0);
    qtest_memread(s, DMA_BUF, got, 4);
    g_assert(!memcmp(got, "llo\0", 4));
    qtest_quit(s);
}

static void test_dma_outside_ram(void)
{
    QTestState *s = qtest_init("-m 256 -fw_cfg name=opt/vmu/test,string=hello");
    uint32_t size = 0;
    uint16_t sel = fw_cfg_find(s, "opt/vmu/test", &size);
    g_assert_cmphex(sel, >=, 0x20);
    /* 256 GiB: no RAM and no device there. */
    uint32_t ctl = fw_cfg_dma(s, (uint32_t)sel << 16 | 0x08 | 0x02, 5,
                              0x4000000000ULL);
    g_assert_cmphex(ctl & 0x01, ==, 0x01);
    /* Still answering: the signature reads as before. */
    char sig[5] = "";
    fw_cfg_read(s, 0x0000, sig, 4);
    g_assert_cmpstr(sig, ==, "QEMU");
    qtest_quit(s);
}

static void test_unknown_key(void)
{
    QTestState *s = qtest_init("");
    uint8_t buf[16];
    memset(buf, 0x55, sizeof(buf));
    fw_cfg_read(s, 0x7f00, buf, sizeof(buf));
    for (unsigned i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, 0);
    }
    fw_cfg_read(s, 0x001f, buf, sizeof(buf));
    for (unsigned i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, 0);
    }
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fw_cfg/signature-and-id", test_signature_id);
    g_test_add_func("/fw_cfg/ram-size-and-cpus", test_ram_and_cpus);
    g_test_add_func("/fw_cfg/e820-matches-m", test_e820);
    g_test_add_func("/fw_cfg/boot-files", test_boot_files);
    g_test_add_func("/fw_cfg/boot-options", test_boot_options);
    g_test_add_func("/fw_cfg/bootorder", test_bootorder);
    g_test_add_func("/fw_cfg/user-file-io-and-dma", test_user_file);
    g_test_add_func("/fw_cfg/dma-outside-ram-errors", test_dma_outside_ram);
    g_test_add_func("/fw_cfg/unknown-key-reads-zeros", test_unknown_key);
    return g_test_run();
}
