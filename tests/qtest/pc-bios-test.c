/*
 * Where the BIOS image lies: ending at 4 GiB, its last 128 KiB also at
 * 0xE0000-0xFFFFF, with Debian's SeaBIOS as -bios under accel=qtest.
 */
#include <glib.h>
#include <string.h>

#include "libqtest.h"

#define BIOS "/usr/share/seabios/bios-256k.bin"

static void test_bios_mapping(void)
{
    gchar *img;
    gsize len;
    if (!g_file_get_contents(BIOS, &img, &len, NULL)) {
        qtest_skip_missing(BIOS " (package seabios)");
        return;
    }
    g_assert_cmpuint(len, ==, 256 * 1024);
    QTestState *s = qtest_init("-bios " BIOS);
    uint8_t buf[4096];
    /* The reset vector's page at the top of 4 GiB and of 1 MiB. */
    qtest_memread(s, 0x100000000ULL - sizeof(buf), buf, sizeof(buf));
    g_assert(!memcmp(buf, img + len - sizeof(buf), sizeof(buf)));
    qtest_memread(s, 0x100000 - sizeof(buf), buf, sizeof(buf));
    g_assert(!memcmp(buf, img + len - sizeof(buf), sizeof(buf)));
    /* The start of the 128 KiB low copy, and of the image below 4 GiB. */
    qtest_memread(s, 0xe0000, buf, sizeof(buf));
    g_assert(!memcmp(buf, img + len - 0x20000, sizeof(buf)));
    qtest_memread(s, 0x100000000ULL - len, buf, sizeof(buf));
    g_assert(!memcmp(buf, img, sizeof(buf)));
    qtest_quit(s);
    g_free(img);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pc-bios/mapping", test_bios_mapping);
    return g_test_run();
}
