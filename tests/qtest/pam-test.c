/*
 * The i440FX PAM registers (host bridge 00:00.0, 0x59-0x5f) programmed as
 * SeaBIOS does (make the shadow writable, copy the BIOS from below 4 GiB,
 * make it read-only), and what the CPU reads and writes at 0xF0000,
 * 0xE0000 and 0xC0000 in each mode; the BIOS below 4 GiB is read-only; a
 * reset and the ROM.  Both machines get the same -bios: 128 KiB of
 * pseudo-random bytes with cli; hlt at the reset vector (QEMU's CPU stays
 * put).  Where QEMU 7.2 differs from the datasheet, which vmu follows,
 * each side's behaviour is asserted and the comment says why.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "libqos.h"
#include "libqtest.h"

#define IMG_SIZE    0x20000
#define HIGH_BIOS   (0x100000000ULL - IMG_SIZE)
#define F_SEG       0xf0000
#define E_SEG       0xe0000
#define C_SEG       0xc0000

typedef struct Ctx {
    QTestState *s;
    uint8_t *img;
    char *dir;
    char *path;
} Ctx;

static void ctx_start(Ctx *c)
{
    GRand *r = g_rand_new_with_seed(12);
    c->img = g_malloc(IMG_SIZE);
    for (unsigned i = 0; i < IMG_SIZE; i += 4) {
        uint32_t v = g_rand_int(r);
        memcpy(c->img + i, &v, 4);
    }
    g_rand_free(r);
    static const uint8_t halt[] = { 0xfa, 0xf4, 0xeb, 0xfd };
    memcpy(c->img + IMG_SIZE - 16, halt, sizeof(halt));
    c->dir = g_dir_make_tmp("pam-test-XXXXXX", NULL);
    g_assert_nonnull(c->dir);
    c->path = g_build_filename(c->dir, "bios.bin", NULL);
    g_assert_true(g_file_set_contents(c->path, (char *)c->img, IMG_SIZE,
                                      NULL));
    c->s = qtest_initf("-bios %s", c->path);
}

static void ctx_stop(Ctx *c)
{
    qtest_quit(c->s);
    g_unlink(c->path);
    g_rmdir(c->dir);
    g_free(c->path);
    g_free(c->dir);
    g_free(c->img);
}

static uint32_t img32(const Ctx *c, uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, c->img + (gpa - E_SEG), 4);
    return v;
}

/* As SeaBIOS: two dword writes, 0x58 (byte 0x58 kept) and 0x5c. */
static void pam_set(Ctx *c, unsigned f_mode, unsigned cde_mode)
{
    uint32_t lo = qpci_config_read(c->s, 0, 0x58, 4) & 0xff;
    uint8_t f = f_mode << 4, cde = cde_mode | cde_mode << 4;
    lo |= (uint32_t)f << 8 | (uint32_t)cde << 16 | (uint32_t)cde << 24;
    qpci_config_write(c->s, 0, 0x58, lo, 4);
    qpci_config_write(c->s, 0, 0x5c, cde * 0x01010101u, 4);
}

/* 0xC0000-0xDFFFF's ROM side: nothing in vmu; QEMU's pc puts a 128 KiB
 * zero-filled option ROM area (pc.rom) there. */
static uint32_t c_rom(void)
{
    return qtest_using_qemu() ? 0 : 0xffffffff;
}

static void check_rom(Ctx *c)
{
    g_assert_cmphex(qtest_readl(c->s, F_SEG), ==, img32(c, F_SEG));
    g_assert_cmphex(qtest_readl(c->s, 0xffff0), ==, img32(c, 0xffff0));
    g_assert_cmphex(qtest_readl(c->s, E_SEG), ==, img32(c, E_SEG));
    g_assert_cmphex(qtest_readl(c->s, C_SEG), ==, c_rom());
}

static void write3(Ctx *c, uint32_t base)
{
    qtest_writel(c->s, F_SEG, base + 1);
    qtest_writel(c->s, E_SEG, base + 2);
    qtest_writel(c->s, C_SEG, base + 3);
}

static void check3(Ctx *c, uint32_t base)
{
    g_assert_cmphex(qtest_readl(c->s, F_SEG), ==, base + 1);
    g_assert_cmphex(qtest_readl(c->s, E_SEG), ==, base + 2);
    g_assert_cmphex(qtest_readl(c->s, C_SEG), ==, base + 3);
}

static void test_seabios(void)
{
    Ctx c;
    ctx_start(&c);
    QTestState *s = c.s;

    /* Power-on: every field 0, the ROM side: the image's last 128 KiB. */
    g_assert_cmphex(qpci_config_read(s, 0, 0x58, 4) & ~0xffu, ==, 0);
    g_assert_cmphex(qpci_config_read(s, 0, 0x5c, 4), ==, 0);
    check_rom(&c);
    /* Writes to the ROM side and to the BIOS below 4 GiB are dropped. */
    write3(&c, 0x11110000);
    qtest_writel(s, HIGH_BIOS, 0x44444444);
    qtest_writeb(s, 0xfffffff0, 0x90);
    check_rom(&c);
    g_assert_cmphex(qtest_readl(s, HIGH_BIOS), ==, img32(&c, E_SEG));
    g_assert_cmphex(qtest_readb(s, 0xfffffff0), ==, 0xfa);

    /* SeaBIOS's make_bios_writable: RAM is not there yet (bit 4 of 0x59
     * clear), so 3 everywhere, then copy the image down. */
    g_assert_cmphex(qpci_config_read(s, 0, 0x59, 1) & 0x10, ==, 0);
    pam_set(&c, 3, 3);
    /* Fresh RAM: the writes to the ROM side never reached it. */
    g_assert_cmphex(qtest_readl(s, F_SEG), ==, 0);
    g_assert_cmphex(qtest_readl(s, E_SEG), ==, 0);
    g_assert_cmphex(qtest_readl(s, C_SEG), ==, 0);
    uint8_t *copy = g_malloc(IMG_SIZE);
    qtest_memread(s, HIGH_BIOS, copy, IMG_SIZE);
    g_assert_cmpmem(copy, IMG_SIZE, c.img, IMG_SIZE);
    qtest_memwrite(s, E_SEG, copy, IMG_SIZE);
    qtest_writel(s, C_SEG, 0xc0c0c0c0);
    g_free(copy);
    g_assert_cmphex(qtest_readl(s, F_SEG), ==, img32(&c, F_SEG));
    g_assert_cmphex(qtest_readl(s, E_SEG), ==, img32(&c, E_SEG));
    g_assert_cmphex(qtest_readl(s, C_SEG), ==, 0xc0c0c0c0);
    write3(&c, 0xaaaa0000);
    check3(&c, 0xaaaa0000);

    /* make_bios_readonly: 1, RAM read-only; writes are dropped (vmu;
     * QEMU 7.2 maps a read-only alias of RAM whose qtest writes land). */
    pam_set(&c, 1, 1);
    g_assert_cmphex(qpci_config_read(s, 0, 0x59, 1) & 0x10, ==, 0x10);
    write3(&c, 0xbbbb0000);
    check3(&c, qtest_using_qemu() ? 0xbbbb0000 : 0xaaaa0000);

    /* 2: writes go to RAM (both), reads to the ROM side (the datasheet,
     * vmu; QEMU 7.2 reads RAM too in this mode). */
    pam_set(&c, 2, 2);
    write3(&c, 0xcccc0000);
    if (qtest_using_qemu()) {
        check3(&c, 0xcccc0000);
    } else {
        check_rom(&c);
    }
    pam_set(&c, 1, 1);
    check3(&c, 0xcccc0000);

    /* 0 again: the ROM, with the RAM under it kept. */
    pam_set(&c, 0, 0);
    check_rom(&c);
    pam_set(&c, 3, 3);
    check3(&c, 0xcccc0000);

    /* Reserved bits read 0 (the datasheet, vmu); QEMU stores every bit. */
    qpci_config_write(s, 0, 0x5c, 0xffffffff, 4);
    g_assert_cmphex(qpci_config_read(s, 0, 0x5c, 4), ==,
                    qtest_using_qemu() ? 0xffffffff : 0x33333333);
    ctx_stop(&c);
}

static bool pirq_reset(QTestState *s, void *opaque)
{
    return qpci_config_read(s, 0x08, 0x60, 1) == 0x80;
}

/*
 * A reset (0xcf9) puts every field back to 0, so the ROM is seen again
 * and the RAM under it kept (the datasheet's default, vmu).  QEMU 7.2
 * keeps the PAM registers over a reset; SeaBIOS's qemu_prep_reset copies
 * itself back for that reason.  The PIIX3's PIRQ routing, which both
 * reset, says when the reset is done.
 */
static void test_reset(void)
{
    Ctx c;
    ctx_start(&c);
    QTestState *s = c.s;
    pam_set(&c, 3, 3);
    write3(&c, 0xdddd0000);
    qpci_config_write(s, 0x08, 0x60, 0x0b, 1);
    qtest_outb(s, 0xcf9, 0x06);
    g_assert_true(qtest_wait_until(s, pirq_reset, NULL, 10000));
    if (qtest_using_qemu()) {
        g_assert_cmphex(qpci_config_read(s, 0, 0x5c, 4), ==, 0x33333333);
        check3(&c, 0xdddd0000);
    } else {
        g_assert_cmphex(qpci_config_read(s, 0, 0x58, 4), ==, 0);
        g_assert_cmphex(qpci_config_read(s, 0, 0x5c, 4), ==, 0);
        check_rom(&c);
        pam_set(&c, 1, 1);
        check3(&c, 0xdddd0000);
    }
    ctx_stop(&c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pam/seabios", test_seabios);
    g_test_add_func("/pam/reset", test_reset);
    return g_test_run();
}
