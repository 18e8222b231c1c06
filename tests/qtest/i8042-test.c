/*
 * The keyboard controller at 0x60/0x64 probed the way Linux's
 * drivers/input/serio/i8042.c and atkbd.c do it: flush, controller
 * self-test, the command byte read and written back, the auxiliary port's
 * loopback and its disable/enable bits, the interface tests, then the
 * keyboard's reset and ID with IRQ 1 raised while a byte waits.  Runs
 * against vmu and QEMU's pc.
 */
#include <glib.h>

#include "libqtest.h"

#define DATA        0x60
#define CMD         0x64
#define STAT_OBF    0x01
#define STAT_AUX    0x20
#define CTR_KBDINT  0x01
#define CTR_AUXINT  0x02
#define CTR_AUXDIS  0x20
#define CTR_XLATE   0x40

/* Linux waits up to 500 ms for each byte; the device answers at once. */
static bool obf(QTestState *s, void *opaque)
{
    return qtest_inb(s, CMD) & STAT_OBF;
}

static int read_byte(QTestState *s, bool *aux)
{
    if (!qtest_wait_until(s, obf, NULL, 2000)) {
        return -1;
    }
    uint8_t st = qtest_inb(s, CMD);
    if (aux) {
        *aux = st & STAT_AUX;
    }
    return qtest_inb(s, DATA);
}

static void expect_byte(QTestState *s, uint8_t want)
{
    bool aux;
    g_assert_cmphex(read_byte(s, &aux), ==, want);
    g_assert_false(aux);
}

static void flush(QTestState *s)
{
    for (int i = 0; i < 32 && (qtest_inb(s, CMD) & STAT_OBF); i++) {
        qtest_inb(s, DATA);
    }
    g_assert_false(qtest_inb(s, CMD) & STAT_OBF);
}

static uint8_t read_ctr(QTestState *s)
{
    qtest_outb(s, CMD, 0x20);
    int v = read_byte(s, NULL);
    g_assert_cmpint(v, >=, 0);
    return v;
}

static void write_ctr(QTestState *s, uint8_t v)
{
    qtest_outb(s, CMD, 0x60);
    qtest_outb(s, DATA, v);
}

static void test_controller_probe(void)
{
    QTestState *s = qtest_init("");
    bool aux;

    flush(s);
    qtest_outb(s, CMD, 0xaa);                   /* self-test */
    expect_byte(s, 0x55);

    /* Interrupts off while probing, as i8042_controller_init does. */
    uint8_t ctr = read_ctr(s);
    write_ctr(s, ctr & ~(CTR_KBDINT | CTR_AUXINT));
    g_assert_cmphex(read_ctr(s), ==, ctr & ~(CTR_KBDINT | CTR_AUXINT));

    /* i8042_check_aux: the loopback comes back as auxiliary data. */
    qtest_outb(s, CMD, 0xd3);
    qtest_outb(s, DATA, 0x5a);
    g_assert_cmphex(read_byte(s, &aux), ==, 0x5a);
    g_assert_true(aux);
    qtest_outb(s, CMD, 0xa7);
    g_assert_true(read_ctr(s) & CTR_AUXDIS);
    qtest_outb(s, CMD, 0xa8);
    g_assert_false(read_ctr(s) & CTR_AUXDIS);

    qtest_outb(s, CMD, 0xa9);                   /* aux interface test */
    expect_byte(s, 0x00);
    qtest_outb(s, CMD, 0xab);                   /* kbd interface test */
    expect_byte(s, 0x00);
    flush(s);
    qtest_quit(s);
}

static void test_aux_irq(void)
{
    QTestState *s = qtest_init("");
    qtest_irq_intercept_in(s, "ioapic");
    flush(s);
    write_ctr(s, CTR_AUXINT | CTR_XLATE);
    /* i8042_check_aux's interrupt test: a looped byte raises IRQ 12. */
    qtest_outb(s, CMD, 0xd3);
    qtest_outb(s, DATA, 0xa5);
    g_assert_true(qtest_get_irq(s, 12));
    g_assert_false(qtest_get_irq(s, 1));
    g_assert_cmphex(qtest_inb(s, DATA), ==, 0xa5);
    g_assert_false(qtest_get_irq(s, 12));
    qtest_quit(s);
}

static void test_keyboard_reset_and_id(void)
{
    QTestState *s = qtest_init("");
    qtest_irq_intercept_in(s, "ioapic");
    flush(s);
    write_ctr(s, CTR_KBDINT | CTR_XLATE);
    g_assert_false(qtest_get_irq(s, 1));

    qtest_outb(s, DATA, 0xff);                  /* atkbd: reset */
    g_assert_true(qtest_get_irq(s, 1));
    expect_byte(s, 0xfa);
    expect_byte(s, 0xaa);
    g_assert_false(qtest_get_irq(s, 1));

    qtest_outb(s, DATA, 0xf2);                  /* get ID, translated */
    expect_byte(s, 0xfa);
    expect_byte(s, 0xab);
    expect_byte(s, 0x41);

    qtest_outb(s, DATA, 0xed);                  /* LEDs off */
    expect_byte(s, 0xfa);
    qtest_outb(s, DATA, 0x00);
    expect_byte(s, 0xfa);
    qtest_outb(s, DATA, 0xf4);                  /* enable scanning */
    expect_byte(s, 0xfa);

    /* No key is pressed: nothing more arrives, the line stays low. */
    g_assert_false(qtest_inb(s, CMD) & STAT_OBF);
    g_assert_false(qtest_get_irq(s, 1));
    qtest_quit(s);
}

static void test_interrupts_masked(void)
{
    QTestState *s = qtest_init("");
    qtest_irq_intercept_in(s, "ioapic");
    flush(s);
    write_ctr(s, CTR_XLATE);                    /* KBDINT off */
    qtest_outb(s, DATA, 0xee);                  /* echo */
    g_assert_cmphex(read_byte(s, NULL), ==, 0xee);
    g_assert_false(qtest_get_irq(s, 1));
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8042/controller-probe", test_controller_probe);
    g_test_add_func("/i8042/aux-loopback-irq12", test_aux_irq);
    g_test_add_func("/i8042/keyboard-reset-and-id", test_keyboard_reset_and_id);
    g_test_add_func("/i8042/interrupts-masked", test_interrupts_masked);
    return g_test_run();
}
