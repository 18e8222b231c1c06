/*
 * ACPI as SeaBIOS gets it: the three fw_cfg files, the loader script run
 * here as firmware runs it, every table's signature and checksum, iasl's
 * disassembly of the DSDT (recompiled, with _PRT, the PCI links and the
 * keyboard), a PCI link routed by ACPICA's interpreter (acpiexec), the
 * MADT against -smp; the PIIX4 PM block: its
 * timer counts, its overflow status raises the SCI on IRQ 9, SLP_EN with S5
 * powers the machine off; -no-acpi and -machine acpi=off.  Every table's
 * disassembly against the golden files in tests/data/acpi/ (vmu only).
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "libqos.h"
#include "libqtest.h"

#define PM_DEVFN    0x0b        /* 00:01.3 */
#define PM_BASE     0x600

typedef struct Blob {
    char name[56];
    uint8_t *data;
    uint32_t size;
    uint64_t addr;              /* where the loader "allocated" it */
} Blob;

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static Blob *blob_find(Blob *b, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++) {
        if (!strncmp(b[i].name, name, 56)) {
            return &b[i];
        }
    }
    g_error("the table loader names '%.56s', which it did not allocate",
            name);
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--) {
        s += *p++;
    }
    return s;
}

/*
 * Run etc/table-loader as firmware does; blobs get made-up addresses
 * (4 KiB apart per MiB) so pointers can be followed back to bytes.
 */
static unsigned loader_run(QTestState *s, Blob *blobs, unsigned max)
{
    uint32_t len;
    uint8_t *l = qfw_cfg_get_file(s, "etc/table-loader", &len);
    unsigned n = 0;
    g_assert_nonnull(l);
    g_assert_cmpuint(len % 128, ==, 0);
    for (uint32_t off = 0; off < len; off += 128) {
        uint8_t *e = l + off;
        uint32_t cmd = le32(e);
        if (cmd == 1) {                     /* ALLOCATE */
            Blob *b = &blobs[n];
            g_assert_cmpuint(n, <, max);
            memcpy(b->name, e + 4, 56);
            b->data = qfw_cfg_get_file(s, b->name, &b->size);
            g_assert_nonnull(b->data);
            uint32_t align = le32(e + 60);
            g_assert_cmpuint(align & (align - 1), ==, 0);
            b->addr = 0x10000000ULL * (n + 1);
            g_assert_cmpuint(b->addr % align, ==, 0);
            /* Zone 1 anywhere, 2 the F segment (the RSDP must be there). */
            g_assert(e[64] == 1 || e[64] == 2);
            n++;
        } else if (cmd == 2) {              /* ADD_POINTER */
            Blob *dst = blob_find(blobs, n, (char *)e + 4);
            Blob *src = blob_find(blobs, n, (char *)e + 60);
            uint32_t at = le32(e + 116);
            uint8_t size = e[120];
            uint64_t v = 0;
            g_assert(size == 1 || size == 2 || size == 4 || size == 8);
            g_assert_cmpuint(at + size, <=, dst->size);
            memcpy(&v, dst->data + at, size);
            v = GUINT64_FROM_LE(v);
            g_assert_cmpuint(v, <, src->size);
            v = GUINT64_TO_LE(v + src->addr);
            memcpy(dst->data + at, &v, size);
        } else if (cmd == 3) {              /* ADD_CHECKSUM */
            Blob *b = blob_find(blobs, n, (char *)e + 4);
            uint32_t at = le32(e + 60), start = le32(e + 64);
            uint32_t clen = le32(e + 68);
            g_assert_cmpuint(start + clen, <=, b->size);
            g_assert_cmpuint(at, <, b->size);
            b->data[at] -= sum8(b->data + start, clen);
        } else {
            g_assert_cmpuint(cmd, ==, 0);   /* padding */
        }
    }
    g_free(l);
    return n;
}

/* The bytes at a patched address, with at least len of them. */
static uint8_t *at_addr(Blob *blobs, unsigned n, uint64_t addr, size_t len)
{
    for (unsigned i = 0; i < n; i++) {
        if (addr >= blobs[i].addr && addr + len <= blobs[i].addr +
            blobs[i].size) {
            return blobs[i].data + (addr - blobs[i].addr);
        }
    }
    g_error("pointer 0x%" G_GINT64_MODIFIER "x leads outside the tables",
            addr);
}

/* A system description table: signature, length in bounds, checksum 0. */
static uint8_t *sdt_check(Blob *blobs, unsigned n, uint64_t addr,
                          const char *sig)
{
    uint8_t *t = at_addr(blobs, n, addr, 36);
    g_assert_cmpmem(t, 4, sig, 4);
    uint32_t len = le32(t + 4);
    g_assert_cmpuint(len, >=, 36);
    at_addr(blobs, n, addr, len);
    g_assert_cmpuint(sum8(t, len), ==, 0);
    return t;
}

/*
 * The PCI link devices run by ACPICA's interpreter (acpiexec, from the
 * same package as iasl), as an OS routes a link: _SRS with IRQ 11 from
 * _PRS, then _CRS reports it and _STA says enabled; _DIS, and _STA says
 * disabled.  acpiexec gives the PIIX3's PCI_Config region memory of its
 * own, so the registers the methods write are what they read back.
 */
static void dsdt_links_run(const char *iasl, const char *dir,
                           const char *aml)
{
    gchar *bindir = g_path_get_dirname(iasl);
    gchar *acpiexec = g_build_filename(bindir, "acpiexec", NULL);
    GError *err = NULL;
    gchar *out = NULL, *errout = NULL;
    int status;
    gchar *argv[] = {
        acpiexec, "-b",
        "evaluate \\_SB.LNKB._SRS (89 06 00 09 01 0B 00 00 00 79 00); "
        "evaluate \\_SB.LNKB._CRS; evaluate \\_SB.LNKB._STA; "
        "evaluate \\_SB.LNKB._DIS; evaluate \\_SB.LNKB._STA",
        (gchar *)aml, NULL
    };
    g_assert_true(g_file_test(acpiexec, G_FILE_TEST_IS_EXECUTABLE));
    g_assert_true(g_spawn_sync(dir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &errout, &status, &err));
    g_assert_no_error(err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) ||
        strstr(out, "ACPI Error") || strstr(out, "Exception")) {
        g_error("acpiexec on the link devices (status 0x%x):\n%s\n%s",
                status, out, errout);
    }
    /* _CRS: Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) {11} */
    const char *crs = strstr(out, "Evaluating \\_SB.LNKB._CRS");
    g_assert_nonnull(crs);
    g_assert_nonnull(strstr(crs, "89 06 00 09 01 0B 00 00 00 79"));
    const char *sta = strstr(crs, "Evaluating \\_SB.LNKB._STA");
    g_assert_nonnull(sta);
    const char *on = strstr(sta, "[Integer] = ");
    g_assert_nonnull(on);
    g_assert_cmpuint(g_ascii_strtoull(on + 12, NULL, 16) & 0x0b, ==, 0x0b);
    const char *dis = strstr(on, "Evaluating \\_SB.LNKB._STA");
    g_assert_nonnull(dis);
    const char *off = strstr(dis, "[Integer] = ");
    g_assert_nonnull(off);
    g_assert_cmpuint(g_ascii_strtoull(off + 12, NULL, 16) & 0x0b, ==, 0x09);
    g_free(out);
    g_free(errout);
    g_free(acpiexec);
    g_free(bindir);
}

/* iasl -d on the DSDT: exit 0 and no "Error" in what it prints. */
static void dsdt_disassemble(const uint8_t *dsdt)
{
    gchar *iasl = g_find_program_in_path("iasl");
    if (!iasl) {
        qtest_skip_missing("iasl (Debian package acpica-tools) is not "
                           "installed: the DSDT is not disassembled");
        return;
    }
    GError *err = NULL;
    gchar *dir = g_dir_make_tmp("acpi-test-XXXXXX", &err);
    g_assert_no_error(err);
    gchar *aml = g_build_filename(dir, "dsdt.dat", NULL);
    gchar *dsl = g_build_filename(dir, "dsdt.dsl", NULL);
    g_assert_true(g_file_set_contents(aml, (const char *)dsdt,
                                      le32(dsdt + 4), &err));
    gchar *argv[] = { iasl, "-d", aml, NULL };
    gchar *out = NULL, *errout = NULL;
    int status;
    g_assert_true(g_spawn_sync(dir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &errout, &status, &err));
    if (!WIFEXITED(status) || WEXITSTATUS(status) || strstr(out, "Error") ||
        strstr(errout, "Error")) {
        g_error("iasl -d failed on the DSDT (status 0x%x):\n%s\n%s", status,
                out, errout);
    }
    gchar *text = NULL;
    g_assert_true(g_file_get_contents(dsl, &text, NULL, &err));
    /* What the guest's OS looks for in it. */
    g_assert_nonnull(strstr(text, "PNP0A03"));
    g_assert_nonnull(strstr(text, "_S5_"));
    if (!qtest_using_qemu()) {
        g_assert_nonnull(strstr(text, "PNP0501"));
        g_assert_nonnull(strstr(text, "PNP0B00"));
        g_assert_nonnull(strstr(text, "PNP0100"));     /* the PIT */
        g_assert_nonnull(strstr(text, "PNP0000"));     /* the PICs */
    }
    if (g_test_verbose()) {
        g_test_message("%s", text);
    }
    /* PCI interrupt routing (ACPI 6.4, 6.2.13 and 6.2.16): _PRT and the
     * four PIIX3 links with what an OS calls on them; the keyboard. */
    g_assert_nonnull(strstr(text, "(_PRT"));  /* QEMU: a Method */
    g_assert_nonnull(strstr(text, "PNP0C0F"));
    g_assert_nonnull(strstr(text, "PNP0303"));
    const char *const links[] = { "LNKA", "LNKB", "LNKC", "LNKD" };
    for (unsigned i = 0; i < G_N_ELEMENTS(links); i++) {
        gchar *dev = g_strdup_printf("Device (%s)", links[i]);
        const char *at = strstr(text, dev);
        g_assert_nonnull(at);
        const char *next = strstr(at + 1, "Device (");
        const char *const methods[] = { "_PRS", "_CRS", "_SRS", "_STA" };
        for (unsigned j = 0; j < G_N_ELEMENTS(methods); j++) {
            const char *m = strstr(at, methods[j]);
            g_assert_true(m && (!next || m < next));
        }
        g_free(dev);
    }
    /* What iasl disassembled compiles again without errors. */
    gchar *cargv[] = { iasl, "-p", "recompiled", dsl, NULL };
    g_free(out);
    g_free(errout);
    g_assert_true(g_spawn_sync(dir, cargv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &errout, &status, &err));
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        g_error("iasl could not compile the disassembled DSDT (status "
                "0x%x):\n%s\n%s", status, out, errout);
    }
    dsdt_links_run(iasl, dir, aml);
    gchar *recompiled = g_build_filename(dir, "recompiled.aml", NULL);
    g_unlink(recompiled);
    g_free(recompiled);
    g_unlink(aml);
    g_unlink(dsl);
    g_rmdir(dir);
    g_free(text);
    g_free(out);
    g_free(errout);
    g_free(aml);
    g_free(dsl);
    g_free(dir);
    g_free(iasl);
}


/*
 * Golden files: iasl's disassembly of each table, compared with
 * tests/data/acpi/NAME/SIG.dsl (as QEMU's bios-tables-test does, so that a
 * change to the tables shows up as a diff to review).  The lines iasl
 * fills with its own version, copyright year, file name and date are
 * dropped.  VMU_TEST_ACPI_REBUILD=1 writes the files instead.
 */
static gchar *dsl_mask(const gchar *text)
{
    gchar **lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    for (gchar **l = lines; *l; l++) {
        if (strstr(*l, "Disassembler version") ||
            strstr(*l, "Copyright (c)") || strstr(*l, "Disassembly of ")) {
            continue;
        }
        g_string_append(out, *l);
        if (l[1]) {
            g_string_append_c(out, '\n');
        }
    }
    g_strfreev(lines);
    return g_string_free(out, FALSE);
}

/* iasl -d on one table in dir; the masked text. */
static gchar *table_disassemble(const char *iasl, const char *dir,
                                const char *sig, const uint8_t *t,
                                uint32_t len)
{
    GError *err = NULL;
    gchar *base = g_ascii_strdown(sig, -1);
    gchar *dat = g_strconcat(base, ".dat", NULL);
    gchar *dsl = g_strconcat(base, ".dsl", NULL);
    gchar *datp = g_build_filename(dir, dat, NULL);
    gchar *dslp = g_build_filename(dir, dsl, NULL);
    gchar *out = NULL, *errout = NULL, *text = NULL;
    int status;
    gchar *argv[] = { (gchar *)iasl, "-d", dat, NULL };

    g_assert_true(g_file_set_contents(datp, (const char *)t, len, &err));
    g_assert_no_error(err);
    g_assert_true(g_spawn_sync(dir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &errout, &status, &err));
    g_assert_no_error(err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) || strstr(out, "Error") ||
        strstr(errout, "Error")) {
        g_error("iasl -d failed on the %s table (status 0x%x):\n%s\n%s", sig,
                status, out, errout);
    }
    g_assert_true(g_file_get_contents(dslp, &text, NULL, &err));
    g_assert_no_error(err);
    gchar *masked = dsl_mask(text);
    g_unlink(datp);
    g_unlink(dslp);
    g_free(text);
    g_free(out);
    g_free(errout);
    g_free(dslp);
    g_free(datp);
    g_free(dsl);
    g_free(dat);
    g_free(base);
    return masked;
}

/* diff -u between the expected file and what the tables give now. */
static gchar *golden_diff(const char *dir, const char *expected,
                          const gchar *actual)
{
    GError *err = NULL;
    gchar *now = g_build_filename(dir, "actual.dsl", NULL);
    gchar *out = NULL;
    int status;
    gchar *argv[] = { "diff", "-u", (gchar *)expected, now, NULL };
    g_assert_true(g_file_set_contents(now, actual, -1, &err));
    if (!g_spawn_sync(dir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                      &out, NULL, &status, NULL)) {
        out = g_strdup("(diff could not run)");
    }
    g_unlink(now);
    g_free(now);
    return out;
}

typedef struct Table {
    const char *sig;
    const uint8_t *data;
    uint32_t len;
} Table;

static void golden_check(const char *name, const Table *tables, unsigned n)
{
    const char *srcdir = g_getenv("VMU_TEST_SRCDIR");
    gchar *iasl = g_find_program_in_path("iasl");
    bool rebuild = !g_strcmp0(g_getenv("VMU_TEST_ACPI_REBUILD"), "1");
    GError *err = NULL;

    if (!iasl) {
        qtest_skip_missing("iasl (Debian package acpica-tools) is not "
                           "installed: the tables are not compared with "
                           "tests/data/acpi");
        return;
    }
    g_assert_nonnull(srcdir);
    gchar *gdir = g_build_filename(srcdir, "tests", "data", "acpi", name,
                                   NULL);
    gchar *dir = g_dir_make_tmp("acpi-golden-XXXXXX", &err);
    g_assert_no_error(err);
    if (rebuild) {
        g_assert_cmpint(g_mkdir_with_parents(gdir, 0755), ==, 0);
    }
    GString *diffs = g_string_new(NULL);
    for (unsigned i = 0; i < n; i++) {
        gchar *text = table_disassemble(iasl, dir, tables[i].sig,
                                        tables[i].data, tables[i].len);
        gchar *file = g_strconcat(tables[i].sig, ".dsl", NULL);
        gchar *path = g_build_filename(gdir, file, NULL);
        gchar *expected = NULL;
        if (rebuild) {
            g_assert_true(g_file_set_contents(path, text, -1, &err));
            g_test_message("wrote %s", path);
        } else if (!g_file_get_contents(path, &expected, NULL, NULL)) {
            g_string_append_printf(diffs, "%s is missing: run the test with "
                                   "VMU_TEST_ACPI_REBUILD=1 to write it\n",
                                   path);
        } else if (strcmp(expected, text)) {
            gchar *d = golden_diff(dir, path, text);
            g_string_append_printf(diffs, "%s differs from the %s table "
                                   "now:\n%s", path, tables[i].sig, d);
            g_free(d);
        }
        g_free(expected);
        g_free(path);
        g_free(file);
        g_free(text);
    }
    g_rmdir(dir);
    if (diffs->len) {
        g_error("the ACPI tables are not the expected ones (review the "
                "diff; if the change is meant, regenerate with "
                "VMU_TEST_ACPI_REBUILD=1 meson test -C build acpi-test "
                "and commit tests/data/acpi):\n%s", diffs->str);
    }
    g_string_free(diffs, TRUE);
    g_free(dir);
    g_free(gdir);
    g_free(iasl);
}

static void pm_enable(QTestState *s);
static bool timer_moved(QTestState *s, void *opaque);

static void check_tables(unsigned cpus)
{
    QTestState *s = qtest_initf("-smp %u", cpus);
    Blob blobs[8] = { 0 };
    /* As SeaBIOS, before it reads the tables (QEMU's FADT follows it). */
    pm_enable(s);
    unsigned n = loader_run(s, blobs, G_N_ELEMENTS(blobs));
    Blob *rsdp_blob = blob_find(blobs, n, "etc/acpi/rsdp");
    uint8_t *rsdp = rsdp_blob->data;

    g_assert_cmpmem(rsdp, 8, "RSD PTR ", 8);
    g_assert_cmpuint(sum8(rsdp, 20), ==, 0);
    uint8_t *rsdt = sdt_check(blobs, n, le32(rsdp + 16), "RSDT");
    uint8_t *fadt = NULL, *madt = NULL;
    for (uint32_t off = 36; off + 4 <= le32(rsdt + 4); off += 4) {
        uint8_t *t = at_addr(blobs, n, le32(rsdt + off), 36);
        if (!memcmp(t, "FACP", 4)) {
            fadt = sdt_check(blobs, n, le32(rsdt + off), "FACP");
        } else if (!memcmp(t, "APIC", 4)) {
            madt = sdt_check(blobs, n, le32(rsdt + off), "APIC");
        } else {
            sdt_check(blobs, n, le32(rsdt + off), (char *)t);
        }
    }
    g_assert_nonnull(fadt);
    g_assert_nonnull(madt);

    /* FADT: the FACS and DSDT it points at, the SCI, the PM blocks. */
    uint8_t *facs = at_addr(blobs, n, le32(fadt + 36), 64);
    g_assert_cmpmem(facs, 4, "FACS", 4);
    g_assert_cmpuint(le32(fadt + 36) % 64, ==, 0);
    uint8_t *dsdt = sdt_check(blobs, n, le32(fadt + 40), "DSDT");
    g_assert_cmpuint(fadt[46] | fadt[47] << 8, ==, 9);
    g_assert_cmphex(le32(fadt + 56), ==, PM_BASE);      /* PM1a_EVT */
    g_assert_cmphex(le32(fadt + 64), ==, PM_BASE + 4);  /* PM1a_CNT */
    g_assert_cmphex(le32(fadt + 76), ==, PM_BASE + 8);  /* PM_TMR */
    g_assert_cmphex(le32(fadt + 80), ==, 0xafe0);       /* GPE0 */
    g_assert_cmpuint(le32(fadt + 112) & (1u << 4), ==, 0); /* power button */
    /* IAPC_BOOT_ARCH (FADT 2 and later; QEMU's pc has FADT 1): legacy
     * devices and an 8042, else Linux does not probe the keyboard. */
    if (fadt[8] >= 2) {
        g_assert_cmphex(fadt[109] & 3, ==, 3);
    }
    if (le32(fadt + 4) >= 129) {
        g_assert_cmphex(le32(fadt + 120), ==, 0xcf9);   /* RESET_REG */
        g_assert_cmphex(fadt[128], ==, 6);
    }

    /* MADT: one enabled local APIC per vCPU, the IOAPIC, IRQ 0 -> GSI 2. */
    unsigned lapics = 0, ioapics = 0;
    bool irq0 = false;
    for (uint32_t off = 44; off + 2 <= le32(madt + 4); off += madt[off + 1]) {
        uint8_t *e = madt + off;
        g_assert_cmpuint(e[1], >=, 2);
        if (e[0] == 0 && (le32(e + 4) & 1)) {
            lapics++;
        } else if (e[0] == 1) {
            ioapics++;
            g_assert_cmphex(le32(e + 4), ==, 0xfec00000);
        } else if (e[0] == 2 && e[3] == 0) {
            irq0 = le32(e + 4) == 2;
        }
    }
    g_assert_cmpuint(lapics, ==, cpus);
    g_assert_cmpuint(ioapics, ==, 1);
    g_assert_true(irq0);

    dsdt_disassemble(dsdt);
    if (!qtest_using_qemu()) {
        /* QEMU's tables are its own: only vmu's have golden files. */
        const Table tables[] = {
            { "RSDT", rsdt, le32(rsdt + 4) },
            { "FACP", fadt, le32(fadt + 4) },
            { "FACS", facs, le32(facs + 4) },
            { "DSDT", dsdt, le32(dsdt + 4) },
            { "APIC", madt, le32(madt + 4) },
        };
        gchar *name = g_strdup_printf("smp%u", cpus);
        golden_check(name, tables, G_N_ELEMENTS(tables));
        g_free(name);
    }
    for (unsigned i = 0; i < n; i++) {
        g_free(blobs[i].data);
    }
    qtest_quit(s);
}

/* A table in guest memory: its checksum, and inside [lo, hi). */
static uint8_t *mem_sdt(QTestState *s, uint64_t addr, uint64_t lo,
                        uint64_t hi, const char *sig)
{
    uint8_t hdr[36];
    qtest_memread(s, addr, hdr, sizeof(hdr));
    g_assert_cmpmem(hdr, 4, sig, 4);
    uint32_t len = le32(hdr + 4);
    g_assert_cmpuint(len, >=, 36);
    g_assert_cmphex(addr, >=, lo);
    g_assert_cmphex(addr + len, <=, hi);
    uint8_t *t = g_malloc(len);
    qtest_memread(s, addr, t, len);
    g_assert_cmpuint(sum8(t, len), ==, 0);
    return t;
}

/*
 * -kernel: no BIOS runs the loader, so vmu does.  As a guest finds them:
 * the RSDP in the F segment on a 16-byte boundary (Linux's legacy scan)
 * and in the PVH start info; every table summed, inside the range the
 * e820 map gives as ACPI (type 3), which the kernel's RAM excludes.
 * (0x7000 is where vmu puts the start info; the guest gets it in %ebx.)
 */
static void test_direct_boot(void)
{
    QTestState *s = qtest_initf("-kernel %s -smp 2",
                                g_getenv("VMU_TEST_FIRMWARE"));
    uint64_t rsdp = 0;
    for (uint64_t p = 0xe0000; p < 0x100000 && !rsdp; p += 16) {
        if (qtest_readq(s, p) == 0x2052545020445352ULL) {  /* "RSD PTR " */
            rsdp = p;
        }
    }
    g_assert_cmphex(rsdp, !=, 0);
    uint8_t r[20];
    qtest_memread(s, rsdp, r, sizeof(r));
    g_assert_cmpuint(sum8(r, 20), ==, 0);
    g_assert_cmphex(qtest_readq(s, 0x7000 + 32), ==, rsdp);

    uint64_t lo = 0, hi = 0;
    uint64_t map = qtest_readq(s, 0x7000 + 40);
    uint32_t entries = qtest_readl(s, 0x7000 + 48);
    for (uint32_t i = 0; i < entries; i++) {
        uint64_t addr = qtest_readq(s, map + i * 24);
        uint64_t size = qtest_readq(s, map + i * 24 + 8);
        uint32_t type = qtest_readl(s, map + i * 24 + 16);
        if (type == 3) {
            lo = addr;
            hi = addr + size;
        } else if (type == 1 && lo) {
            g_assert_true(addr >= hi || addr + size <= lo);
        }
    }
    g_assert_cmphex(hi, >, lo);

    uint8_t *rsdt = mem_sdt(s, le32(r + 16), lo, hi, "RSDT");
    uint8_t *fadt = NULL;
    for (uint32_t off = 36; off + 4 <= le32(rsdt + 4); off += 4) {
        char sig[5] = { 0 };
        qtest_memread(s, le32(rsdt + off), sig, 4);
        uint8_t *t = mem_sdt(s, le32(rsdt + off), lo, hi, sig);
        if (!strcmp(sig, "FACP")) {
            fadt = t;
        } else {
            g_free(t);
        }
    }
    g_assert_nonnull(fadt);
    char facs[4];
    qtest_memread(s, le32(fadt + 36), facs, 4);
    g_assert_cmpmem(facs, 4, "FACS", 4);
    uint8_t *dsdt = mem_sdt(s, le32(fadt + 40), lo, hi, "DSDT");
    dsdt_disassemble(dsdt);
    /* vmu is the firmware: the PM block is where the FADT says, and its
     * timer counts without an OS setting anything up. */
    uint32_t first = qtest_inl(s, le32(fadt + 76));
    g_assert_cmphex(first & ~0xffffffu, ==, 0);
    g_assert_true(qtest_wait_until(s, timer_moved, &first, 10000));
    g_free(dsdt);
    g_free(fadt);
    g_free(rsdt);
    qtest_quit(s);

    /* -no-acpi: no RSDP anywhere, none in the start info. */
    s = qtest_initf("-kernel %s -no-acpi", g_getenv("VMU_TEST_FIRMWARE"));
    for (uint64_t p = 0xe0000; p < 0x100000; p += 16) {
        g_assert_cmphex(qtest_readq(s, p), !=, 0x2052545020445352ULL);
    }
    g_assert_cmphex(qtest_readq(s, 0x7000 + 32), ==, 0);
    qtest_quit(s);
}

static void test_tables_smp1(void)
{
    check_tables(1);
}

static void test_tables_smp4(void)
{
    check_tables(4);
}

/* The PM block where the firmware puts it (config 0x40, enable 0x80). */
static void pm_enable(QTestState *s)
{
    g_assert_cmphex(qpci_config_read(s, PM_DEVFN, 0, 4), ==, 0x71138086);
    g_assert_cmphex(qpci_config_read(s, PM_DEVFN, 0x08, 4) >> 8, ==,
                    0x068000);
    qpci_config_write(s, PM_DEVFN, 0x40, PM_BASE | 1, 4);
    qpci_config_write(s, PM_DEVFN, 0x80, 1, 1);
}

static bool timer_moved(QTestState *s, void *opaque)
{
    uint32_t *first = opaque;
    return (qtest_inl(s, PM_BASE + 8) & 0xffffff) != *first;
}

static void test_pm_timer(void)
{
    QTestState *s = qtest_init("");
    pm_enable(s);
    uint32_t first = qtest_inl(s, PM_BASE + 8);
    /* 24 bits wide; it counts (at 3.58 MHz: a wait of ms is plenty). */
    g_assert_cmphex(first & ~0xffffffu, ==, 0);
    g_assert_true(qtest_wait_until(s, timer_moved, &first, 10000));
    /* Disabled, the block is gone: reads float high. */
    qpci_config_write(s, PM_DEVFN, 0x80, 0, 1);
    g_assert_cmphex(qtest_inw(s, PM_BASE + 4), ==, 0xffff);
    qtest_quit(s);
}

static bool timer_status(QTestState *s, void *opaque)
{
    return qtest_inw(s, PM_BASE) & 1;
}

/* TMR_STS with TMR_EN raises the SCI, IRQ 9; writing 1 lowers it again. */
static void test_sci(void)
{
    QTestState *s = qtest_init("");
    pm_enable(s);
    qtest_irq_intercept_in(s, "ioapic");
    qtest_outw(s, PM_BASE, 0xffff);          /* clear every status bit */
    qtest_outw(s, PM_BASE + 2, 0x0001);      /* TMR_EN */
    /* Bit 23 of the timer changes every 2.34 s: give it several. */
    g_assert_true(qtest_wait_until(s, timer_status, NULL, 30000));
    g_assert_true(qtest_get_irq(s, 9));
    qtest_outw(s, PM_BASE + 2, 0);           /* TMR_EN off: SCI drops */
    g_assert_false(qtest_get_irq(s, 9));
    qtest_outw(s, PM_BASE, 0x0001);          /* TMR_STS cleared */
    g_assert_cmphex(qtest_inw(s, PM_BASE) & 1, ==, 0);
    qtest_quit(s);
}

static void test_poweroff(void)
{
    QTestState *s = qtest_init("");
    pm_enable(s);
    /* PM1_EN is read-write; PM1_STS bits clear when written with 1. */
    qtest_outw(s, PM_BASE + 2, 0x0100);
    g_assert_cmphex(qtest_inw(s, PM_BASE + 2), ==, 0x0100);
    qtest_outw(s, PM_BASE + 2, 0);
    /* SLP_TYP 0 (the DSDT's \_S5) with SLP_EN: soft off, exit status 0. */
    qtest_send_noreply(s, "outw 0x604 0x2000");
    int status = qtest_wait_exit(s, 30000);
    g_assert_cmpint(status, !=, -1);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    qtest_quit(s);
}

static void check_no_acpi(const char *args)
{
    QTestState *s = qtest_init(args);
    uint32_t size;
    g_assert_null(qfw_cfg_get_file(s, "etc/acpi/tables", &size));
    g_assert_null(qfw_cfg_get_file(s, "etc/table-loader", &size));
    /* As QEMU's pc: no PM function either. */
    g_assert_cmphex(qpci_config_read(s, PM_DEVFN, 0, 4), ==, 0xffffffff);
    qtest_quit(s);
}

static void test_no_acpi(void)
{
    check_no_acpi("-no-acpi");
}

static void test_machine_acpi_off(void)
{
    check_no_acpi("-machine acpi=off");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acpi/tables/smp1", test_tables_smp1);
    g_test_add_func("/acpi/tables/smp4", test_tables_smp4);
    g_test_add_func("/acpi/pm/timer", test_pm_timer);
    g_test_add_func("/acpi/pm/poweroff", test_poweroff);
    g_test_add_func("/acpi/pm/sci", test_sci);
    g_test_add_func("/acpi/no-acpi", test_no_acpi);
    g_test_add_func("/acpi/machine-acpi-off", test_machine_acpi_off);
    if (!qtest_using_qemu()) {
        /* QEMU's qtest runs no firmware to place them. */
        g_test_add_func("/acpi/direct-boot", test_direct_boot);
    }
    return g_test_run();
}
