/*
 * SMBIOS as a guest reads it, checked by dmidecode (a reader written
 * elsewhere): the tables SeaBIOS gets through fw_cfg, and with a direct
 * kernel boot the ones vmu places in the F segment itself.  The -smbios
 * fields and -uuid must come out where dmidecode prints them, -smp and -m
 * as processors and memory devices, an -smbios file= structure in place
 * of the generated one.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "libqos.h"
#include "libqtest.h"

#define UUID "12345678-9abc-def0-1234-56789abcdef0"

static uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--) {
        s += *p++;
    }
    return s;
}

/*
 * The 2.1 entry point: signatures, length, table length; both checksums
 * when it is in place (in fw_cfg they are the firmware's to fix: it fills
 * in the table address first, and QEMU leaves them wrong there).
 */
static void check_anchor(const uint8_t *a, uint32_t table_len, bool placed)
{
    g_assert_cmpmem(a, 4, "_SM_", 4);
    g_assert_cmpuint(a[5], ==, 0x1f);
    g_assert_cmpuint(a[6], ==, 2);
    g_assert_cmpmem(a + 0x10, 5, "_DMI_", 5);
    if (placed) {
        g_assert_cmpuint(sum8(a, a[5]), ==, 0);
        g_assert_cmpuint(sum8(a + 0x10, 0x0f), ==, 0);
    }
    g_assert_cmpuint(a[0x16] | a[0x17] << 8, ==, table_len);
}

/*
 * dmidecode --from-dump reads the entry point at offset 0 and the table at
 * the address the entry point gives, taken as a file offset: 32.
 */
static char *dmidecode(const uint8_t *anchor, const uint8_t *tables,
                       uint32_t len)
{
    gchar *prog = g_find_program_in_path("dmidecode");
    if (!prog) {
        prog = g_strdup("/usr/sbin/dmidecode");
        if (!g_file_test(prog, G_FILE_TEST_IS_EXECUTABLE)) {
            g_free(prog);
            qtest_skip_missing("dmidecode (Debian package dmidecode) is "
                               "not installed: the tables are not read");
            return NULL;
        }
    }
    uint8_t *dump = g_malloc0(32 + len);
    memcpy(dump, anchor, 0x1f);
    dump[0x18] = 32;
    dump[0x19] = dump[0x1a] = dump[0x1b] = 0;
    dump[0x15] = 0;
    dump[0x15] = -sum8(dump + 0x10, 0x0f);
    dump[0x04] = 0;
    dump[0x04] = -sum8(dump, 0x1f);
    memcpy(dump + 32, tables, len);

    GError *err = NULL;
    gchar *dir = g_dir_make_tmp("smbios-test-XXXXXX", &err);
    g_assert_no_error(err);
    gchar *file = g_build_filename(dir, "dmi.bin", NULL);
    g_assert_true(g_file_set_contents(file, (const char *)dump, 32 + len,
                                      &err));
    gchar *argv[] = { prog, "--from-dump", file, NULL };
    gchar *out = NULL, *errout = NULL;
    int status;
    g_assert_true(g_spawn_sync(dir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &errout, &status, &err));
    if (!WIFEXITED(status) || WEXITSTATUS(status) || *errout) {
        g_error("dmidecode --from-dump failed (status 0x%x):\n%s\n%s",
                status, out, errout);
    }
    g_unlink(file);
    g_rmdir(dir);
    g_free(file);
    g_free(dir);
    g_free(errout);
    g_free(dump);
    g_free(prog);
    return out;
}

static void want(const char *out, const char *line)
{
    if (!strstr(out, line)) {
        g_error("dmidecode does not print '%s'; it printed:\n%s", line, out);
    }
}

static unsigned count(const char *out, const char *line)
{
    unsigned n = 0;
    for (const char *p = out; (p = strstr(p, line)); p += strlen(line)) {
        n++;
    }
    return n;
}

static char *fw_cfg_dmidecode(QTestState *s)
{
    uint32_t alen, tlen;
    uint8_t *anchor = qfw_cfg_get_file(s, "etc/smbios/smbios-anchor", &alen);
    uint8_t *tables = qfw_cfg_get_file(s, "etc/smbios/smbios-tables", &tlen);
    g_assert_nonnull(anchor);
    g_assert_nonnull(tables);
    g_assert_cmpuint(alen, ==, 0x1f);
    check_anchor(anchor, tlen, false);
    char *out = dmidecode(anchor, tables, tlen);
    g_free(anchor);
    g_free(tables);
    return out;
}

static void test_fields(void)
{
    QTestState *s = qtest_init(
        "-smp 2 -m 512 -uuid " UUID
        " -smbios type=0,vendor=Vendorco,version=4.2,date=01/02/2023,"
        "release=1.7"
        " -smbios type=1,manufacturer=Acme,product=Rocket,version=v9,"
        "serial=S-123,sku=K7,family=Skates"
        " -smbios type=2,manufacturer=Boardco,product=B1"
        " -smbios type=3,manufacturer=Chassisco,asset=A-55"
        " -smbios type=11,value=hello,value=world");
    char *out = fw_cfg_dmidecode(s);
    if (out) {
        if (g_getenv("SMBIOS_TEST_PRINT")) {
            g_printerr("%s", out);
        }
        want(out, "SMBIOS 2.");
        want(out, "\tVendor: Vendorco\n");
        want(out, "\tVersion: 4.2\n");
        want(out, "\tRelease Date: 01/02/2023\n");
        want(out, "\tBIOS Revision: 1.7\n");
        want(out, "System Information\n\tManufacturer: Acme\n"
                  "\tProduct Name: Rocket\n\tVersion: v9\n"
                  "\tSerial Number: S-123\n\tUUID: " UUID "\n");
        want(out, "\tSKU Number: K7\n\tFamily: Skates\n");
        want(out, "Base Board Information\n\tManufacturer: Boardco\n"
                  "\tProduct Name: B1\n");
        want(out, "Chassis Information\n\tManufacturer: Chassisco\n");
        want(out, "\tAsset Tag: A-55\n");
        want(out, "OEM Strings\n\tString 1: hello\n\tString 2: world\n");
        /* -smp 2: one socket with two cores, as QEMU >= 6.2 has it. */
        g_assert_cmpuint(count(out, "Processor Information"), ==, 1);
        want(out, "\tCore Count: 2\n\tCore Enabled: 2\n");
        g_assert_cmpuint(count(out, "\nMemory Device\n"), ==, 1);
        want(out, "\tSize: 512 MB\n");
        want(out, "\tRange Size: 512 MB\n");
        want(out, "System Boot Information");
        want(out, "End Of Table");
        g_free(out);
    }
    qtest_quit(s);
}

/* -m beyond 3 GiB: RAM below and above 4 GiB, one range each. */
static void test_memory_split(void)
{
    QTestState *s = qtest_init("-m 4G");
    char *out = fw_cfg_dmidecode(s);
    if (out) {
        want(out, "\tSize: 4 GB\n");
        want(out, "\tStarting Address: 0x00000000000\n");
        want(out, "\tStarting Address: 0x00100000000\n");
        g_assert_cmpuint(count(out, "Memory Array Mapped Address"), ==, 2);
        g_free(out);
    }
    qtest_quit(s);
}

/* A type 1 structure from a file replaces the generated one. */
static void test_file(void)
{
    static const uint8_t t1[] = {
        1, 0x1b, 0x00, 0x01,            /* type 1, length, handle 0x100 */
        1, 2, 0, 0,                     /* manufacturer, product */
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
        0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
        6, 0, 0,
        'F', 'r', 'o', 'm', 'F', 'i', 'l', 'e', 0,
        'B', 'l', 'o', 'b', 0, 0,
    };
    GError *err = NULL;
    gchar *dir = g_dir_make_tmp("smbios-file-XXXXXX", &err);
    g_assert_no_error(err);
    gchar *file = g_build_filename(dir, "t1.bin", NULL);
    g_assert_true(g_file_set_contents(file, (const char *)t1, sizeof(t1),
                                      &err));
    QTestState *s = qtest_initf("-smbios file=%s", file);
    char *out = fw_cfg_dmidecode(s);
    if (out) {
        want(out, "System Information\n\tManufacturer: FromFile\n"
                  "\tProduct Name: Blob\n");
        g_assert_cmpuint(count(out, "System Information"), ==, 1);
        g_free(out);
    }
    qtest_quit(s);
    g_unlink(file);
    g_rmdir(dir);
    g_free(file);
    g_free(dir);
}

/*
 * Direct kernel boot (vmu only: QEMU's qtest runs no firmware to place
 * them): the entry point in the F segment on a 16-byte boundary, where
 * Linux's DMI scan finds it, and the table at the address it gives.
 */
static void test_direct_boot(void)
{
    const char *fw = g_getenv("VMU_TEST_FIRMWARE");
    g_assert_nonnull(fw);
    QTestState *s = qtest_initf("-kernel %s -smp 3 -uuid " UUID
                                " -smbios type=1,serial=direct", fw);
    uint64_t ep = 0;
    uint8_t a[0x1f];
    for (uint64_t p = 0xf0000; p < 0x100000 && !ep; p += 16) {
        if (qtest_readl(s, p) == 0x5f4d535f) {      /* "_SM_" */
            ep = p;
        }
    }
    g_assert_cmphex(ep, !=, 0);
    qtest_memread(s, ep, a, sizeof(a));
    uint32_t len = a[0x16] | a[0x17] << 8;
    uint32_t addr = a[0x18] | a[0x19] << 8 | a[0x1a] << 16 |
                    (uint32_t)a[0x1b] << 24;
    check_anchor(a, len, true);
    g_assert_cmphex(addr, >=, 0xf0000);
    g_assert_cmphex(addr + len, <=, 0x100000);
    uint8_t *t = g_malloc(len);
    qtest_memread(s, addr, t, len);
    char *out = dmidecode(a, t, len);
    if (out) {
        want(out, "\tSerial Number: direct\n\tUUID: " UUID "\n");
        g_assert_cmpuint(count(out, "Processor Information"), ==, 1);
        want(out, "\tCore Count: 3\n");
        g_free(out);
    }
    g_free(t);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/smbios/fields", test_fields);
    g_test_add_func("/smbios/memory-split", test_memory_split);
    g_test_add_func("/smbios/file", test_file);
    if (!qtest_using_qemu()) {
        g_test_add_func("/smbios/direct-boot", test_direct_boot);
    }
    return g_test_run();
}
