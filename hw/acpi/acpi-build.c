/*
 * The ACPI tables of the PC (RSDP, RSDT, FADT, FACS, DSDT, MADT), built
 * from the ACPI specification, and the loader script QEMU's firmware runs
 * to place them: etc/acpi/tables, etc/acpi/rsdp, etc/table-loader.
 */
#include <glib.h>
#include <string.h>

#include "hw/acpi/acpi.h"
#include "hw/i386/pc.h"
#include "hw/nvram/fw_cfg.h"


#define ACPI_HDR_LEN        36
#define ACPI_IOAPIC_ADDR    0xfec00000u
#define ACPI_LAPIC_ADDR     0xfee00000u

/* ---- little-endian byte arrays ---- */

static void put_le(GByteArray *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t c = v >> (8 * i);
        g_byte_array_append(b, &c, 1);
    }
}

static void set_le(GByteArray *b, size_t off, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        b->data[off + i] = v >> (8 * i);
    }
}

static void put_str(GByteArray *b, const char *s, unsigned n)
{
    /* Fixed-width text fields: space padded. */
    for (unsigned i = 0; i < n; i++) {
        uint8_t c = *s ? (uint8_t)*s++ : ' ';
        g_byte_array_append(b, &c, 1);
    }
}

/* A system description table header; its length is set by table_end. */
static size_t table_begin(GByteArray *b, const char *sig, uint8_t rev)
{
    size_t start = b->len;
    put_str(b, sig, 4);
    put_le(b, 0, 4);            /* length */
    put_le(b, rev, 1);
    put_le(b, 0, 1);            /* checksum: the loader computes it */
    put_str(b, "VMU", 6);
    put_str(b, "VMUPC", 8);
    put_le(b, 1, 4);            /* OEM revision */
    put_str(b, "VMU", 4);       /* creator */
    put_le(b, 1, 4);
    return start;
}

static void table_end(GByteArray *b, size_t start)
{
    set_le(b, start + 4, b->len - start, 4);
}

/* Generic Address Structure in system I/O space. */
static void put_gas_io(GByteArray *b, uint16_t port, uint8_t bits,
                       uint8_t access)
{
    put_le(b, port ? 1 : 0, 1);
    put_le(b, port ? bits : 0, 1);
    put_le(b, 0, 1);
    put_le(b, port ? access : 0, 1);
    put_le(b, port, 8);
}

/* ---- AML (ACPI Machine Language) ---- */

/* Prefix body with its PkgLength (which counts its own bytes). */
static GByteArray *aml_pkg(uint8_t *op, unsigned oplen, GByteArray *body)
{
    GByteArray *out = g_byte_array_new();
    size_t n = body->len;
    uint8_t len[4];
    unsigned ll;
    g_byte_array_append(out, op, oplen);
    if (n + 1 < 0x40) {
        ll = 1;
        len[0] = n + 1;
    } else {
        ll = n + 2 < 0x1000 ? 2 : (n + 3 < 0x100000 ? 3 : 4);
        size_t total = n + ll;
        len[0] = ((ll - 1) << 6) | (total & 0xf);
        for (unsigned i = 1; i < ll; i++) {
            len[i] = total >> (4 + 8 * (i - 1));
        }
    }
    g_byte_array_append(out, len, ll);
    g_byte_array_append(out, body->data, body->len);
    g_byte_array_free(body, TRUE);
    return out;
}

static void aml_append(GByteArray *to, GByteArray *what)
{
    g_byte_array_append(to, what->data, what->len);
    g_byte_array_free(what, TRUE);
}

/* A NameSeg (four characters, '_' padded), with a leading '\' if given. */
static void aml_name_string(GByteArray *b, const char *name)
{
    if (*name == '\\') {
        put_le(b, '\\', 1);
        name++;
    }
    for (unsigned i = 0; i < 4; i++) {
        uint8_t c = *name ? (uint8_t)*name++ : '_';
        g_byte_array_append(b, &c, 1);
    }
}

static void aml_integer(GByteArray *b, uint64_t v)
{
    if (v == 0 || v == 1) {
        put_le(b, v, 1);                    /* ZeroOp, OneOp */
    } else if (v <= 0xff) {
        put_le(b, 0x0a, 1);
        put_le(b, v, 1);
    } else if (v <= 0xffff) {
        put_le(b, 0x0b, 1);
        put_le(b, v, 2);
    } else if (v <= 0xffffffff) {
        put_le(b, 0x0c, 1);
        put_le(b, v, 4);
    } else {
        put_le(b, 0x0e, 1);
        put_le(b, v, 8);
    }
}

/* The compressed EISA id of "PNP0A03" and the like, as an integer. */
static uint32_t eisa_id(const char *id)
{
    uint32_t v = ((id[0] - 0x40) & 0x1f) << 26 | ((id[1] - 0x40) & 0x1f) << 21 |
                 ((id[2] - 0x40) & 0x1f) << 16 |
                 (uint32_t)strtoul(id + 3, NULL, 16);
    /* Stored as bytes in big-endian order. */
    return GUINT32_SWAP_LE_BE(v);
}

static void aml_name_int(GByteArray *b, const char *name, uint64_t v)
{
    put_le(b, 0x08, 1);                     /* NameOp */
    aml_name_string(b, name);
    aml_integer(b, v);
}

static void aml_name_str(GByteArray *b, const char *name, const char *s)
{
    put_le(b, 0x08, 1);
    aml_name_string(b, name);
    put_le(b, 0x0d, 1);                     /* StringPrefix */
    g_byte_array_append(b, (const uint8_t *)s, strlen(s) + 1);
}

/* Name(name, ResourceTemplate() { res }) with the end tag added. */
static void aml_name_resources(GByteArray *b, const char *name,
                               GByteArray *res)
{
    uint8_t op = 0x11;                      /* BufferOp */
    GByteArray *body = g_byte_array_new();
    put_le(res, 0x79, 1);                   /* End tag */
    put_le(res, 0, 1);                      /* checksum 0: none */
    aml_integer(body, res->len);
    g_byte_array_append(body, res->data, res->len);
    g_byte_array_free(res, TRUE);
    put_le(b, 0x08, 1);
    aml_name_string(b, name);
    aml_append(b, aml_pkg(&op, 1, body));
}

static GByteArray *aml_device(const char *name, GByteArray *body)
{
    uint8_t op[2] = { 0x5b, 0x82 };         /* DeviceOp */
    GByteArray *named = g_byte_array_new();
    aml_name_string(named, name);
    g_byte_array_append(named, body->data, body->len);
    g_byte_array_free(body, TRUE);
    return aml_pkg(op, 2, named);
}

static GByteArray *aml_scope(const char *name, GByteArray *body)
{
    uint8_t op = 0x10;                      /* ScopeOp */
    GByteArray *named = g_byte_array_new();
    aml_name_string(named, name);
    g_byte_array_append(named, body->data, body->len);
    g_byte_array_free(body, TRUE);
    return aml_pkg(&op, 1, named);
}

/* Resource descriptors (ACPI spec, small and large resource data). */
static void res_io(GByteArray *r, uint16_t base, uint8_t len)
{
    put_le(r, 0x47, 1);                     /* I/O port, 16-bit decode */
    put_le(r, 1, 1);
    put_le(r, base, 2);
    put_le(r, base, 2);
    put_le(r, 1, 1);
    put_le(r, len, 1);
}

static void res_irq(GByteArray *r, unsigned irq)
{
    put_le(r, 0x22, 1);                     /* IRQ, no flags: edge high */
    put_le(r, 1u << irq, 2);
}

/* A producer window with fixed bounds: type 0 memory, 1 I/O, 2 bus. */
static void res_word(GByteArray *r, uint8_t type, uint16_t min, uint16_t max)
{
    put_le(r, 0x88, 1);
    put_le(r, 13, 2);
    put_le(r, type, 1);
    put_le(r, 0x0c, 1);                     /* min and max fixed */
    put_le(r, type == 1 ? 3 : 0, 1);        /* I/O: ISA and non-ISA */
    put_le(r, 0, 2);                        /* granularity */
    put_le(r, min, 2);
    put_le(r, max, 2);
    put_le(r, 0, 2);                        /* translation */
    put_le(r, max - min + 1, 2);
}

static void res_dword_mem(GByteArray *r, uint32_t min, uint32_t max,
                          bool cacheable)
{
    put_le(r, 0x87, 1);
    put_le(r, 23, 2);
    put_le(r, 0, 1);
    put_le(r, 0x0c, 1);
    put_le(r, cacheable ? 3 : 1, 1);        /* read-write */
    put_le(r, 0, 4);
    put_le(r, min, 4);
    put_le(r, max, 4);
    put_le(r, 0, 4);
    put_le(r, max - min + 1, 4);
}

static GByteArray *dsdt_isa(void)
{
    GByteArray *isa = g_byte_array_new();
    GByteArray *d, *r;

    aml_name_int(isa, "_ADR", 0x00010000);  /* 00:01.0, the PIIX3 */

    d = g_byte_array_new();
    aml_name_int(d, "_HID", eisa_id("PNP0B00"));
    r = g_byte_array_new();
    res_io(r, 0x70, 8);
    res_irq(r, 8);
    aml_name_resources(d, "_CRS", r);
    aml_append(isa, aml_device("RTC", d));

    d = g_byte_array_new();
    aml_name_int(d, "_HID", eisa_id("PNP0501"));
    aml_name_int(d, "_UID", 1);
    r = g_byte_array_new();
    res_io(r, 0x3f8, 8);
    res_irq(r, 4);
    aml_name_resources(d, "_CRS", r);
    aml_append(isa, aml_device("COM1", d));
    return isa;
}

static void build_dsdt(GByteArray *b, const MachineState *ms)
{
    size_t start = table_begin(b, "DSDT", 2);
    GByteArray *sb = g_byte_array_new();
    GByteArray *pci = g_byte_array_new();
    GByteArray *r = g_byte_array_new();

    aml_name_int(pci, "_HID", eisa_id("PNP0A03"));
    aml_name_int(pci, "_ADR", 0);
    aml_name_int(pci, "_UID", 0);
    /* The root bridge's windows: bus 0-255, the I/O space around the
     * configuration ports, legacy VGA memory, the PCI hole. */
    res_word(r, 2, 0, 0xff);
    res_io(r, 0xcf8, 8);
    res_word(r, 1, 0x0000, 0x0cf7);
    res_word(r, 1, 0x0d00, 0xffff);
    res_dword_mem(r, 0xa0000, 0xbffff, false);
    res_dword_mem(r, MAX(ms->below_4g, PC_PCI_HOLE_START),
                  PC_PCI_HOLE_END - 1, false);
    aml_name_resources(pci, "_CRS", r);
    aml_append(pci, aml_device("ISA", dsdt_isa()));
    aml_append(sb, aml_device("PCI0", pci));

    /* One processor device per vCPU; _UID matches the MADT's UID. */
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        GByteArray *cpu = g_byte_array_new();
        char name[5];
        g_snprintf(name, sizeof(name), "C%03X", i);
        aml_name_str(cpu, "_HID", "ACPI0007");
        aml_name_int(cpu, "_UID", i);
        aml_append(sb, aml_device(name, cpu));
    }
    aml_append(b, aml_scope("\\_SB", sb));

    /* \_S5: SLP_TYP values for PM1a and PM1b (and two reserved). */
    {
        uint8_t op = 0x12;                  /* PackageOp */
        GByteArray *pkg = g_byte_array_new();
        put_le(pkg, 4, 1);
        for (unsigned i = 0; i < 4; i++) {
            aml_integer(pkg, ACPI_SLP_TYP_S5);
        }
        put_le(b, 0x08, 1);
        aml_name_string(b, "\\_S5");
        aml_append(b, aml_pkg(&op, 1, pkg));
    }
    table_end(b, start);
}

static void build_facs(GByteArray *b)
{
    size_t start = b->len;
    put_str(b, "FACS", 4);
    put_le(b, 64, 4);
    g_byte_array_set_size(b, start + 64);
    memset(b->data + start + 8, 0, 56);
    b->data[start + 32] = 1;                /* version */
}

static void build_fadt(GByteArray *b, uint32_t facs, uint32_t dsdt)
{
    size_t start = table_begin(b, "FACP", 3);
    uint16_t pm = ACPI_PM_BASE_DEFAULT;

    put_le(b, facs, 4);                     /* FIRMWARE_CTRL (loader) */
    put_le(b, dsdt, 4);                     /* DSDT (loader) */
    put_le(b, 0, 1);
    put_le(b, 0, 1);                        /* PM profile: unspecified */
    put_le(b, ACPI_SCI_IRQ, 2);
    put_le(b, 0, 4);                        /* SMI_CMD: always ACPI mode */
    put_le(b, 0, 4);                        /* enable, disable, S4, P */
    put_le(b, pm, 4);                       /* PM1a_EVT_BLK */
    put_le(b, 0, 4);
    put_le(b, pm + 4, 4);                   /* PM1a_CNT_BLK */
    put_le(b, 0, 4);
    put_le(b, 0, 4);                        /* PM2_CNT_BLK */
    put_le(b, pm + 8, 4);                   /* PM_TMR_BLK */
    put_le(b, ACPI_GPE0_BASE, 4);
    put_le(b, 0, 4);
    put_le(b, 4, 1);                        /* PM1_EVT_LEN */
    put_le(b, 2, 1);                        /* PM1_CNT_LEN */
    put_le(b, 0, 1);
    put_le(b, 4, 1);                        /* PM_TMR_LEN */
    put_le(b, ACPI_GPE0_LEN, 1);
    put_le(b, 0, 3);                        /* GPE1, CST_CNT */
    put_le(b, 0xfff, 2);                    /* no C2 */
    put_le(b, 0xfff, 2);                    /* no C3 */
    put_le(b, 0, 4);                        /* flush size, stride */
    put_le(b, 0, 4);                        /* duty, alarms */
    put_le(b, 0x32, 1);                     /* CMOS century byte */
    put_le(b, 1, 2);                        /* IAPC_BOOT_ARCH: legacy devs */
    put_le(b, 0, 1);
    /* WBINVD, PROC_C1, no fixed sleep button (the power button is fixed),
     * RTC_S4, RESET_REG_SUP, USE_PLATFORM_CLOCK. */
    put_le(b, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 7) | (1u << 10) |
           (1u << 15), 4);
    put_gas_io(b, 0xcf9, 8, 1);             /* RESET_REG */
    put_le(b, 6, 1);                        /* RESET_VALUE: hard reset */
    put_le(b, 0, 3);
    put_le(b, 0, 8);                        /* X_FIRMWARE_CTRL: 32-bit */
    put_le(b, 0, 8);                        /* X_DSDT: 32-bit one used */
    put_gas_io(b, pm, 32, 2);
    put_gas_io(b, 0, 0, 0);
    put_gas_io(b, pm + 4, 16, 2);
    put_gas_io(b, 0, 0, 0);
    put_gas_io(b, 0, 0, 0);
    put_gas_io(b, pm + 8, 32, 3);
    put_gas_io(b, ACPI_GPE0_BASE, ACPI_GPE0_LEN * 8, 1);
    put_gas_io(b, 0, 0, 0);
    table_end(b, start);
}

static void build_madt(GByteArray *b, const MachineState *ms)
{
    size_t start = table_begin(b, "APIC", 1);
    put_le(b, ACPI_LAPIC_ADDR, 4);
    put_le(b, 1, 4);                        /* PCAT_COMPAT: 8259s too */
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        put_le(b, 0, 1);                    /* processor local APIC */
        put_le(b, 8, 1);
        put_le(b, i, 1);                    /* UID */
        put_le(b, i, 1);                    /* APIC id */
        put_le(b, 1, 4);                    /* enabled */
    }
    put_le(b, 1, 1);                        /* I/O APIC */
    put_le(b, 12, 1);
    put_le(b, 0, 1);                        /* id */
    put_le(b, 0, 1);
    put_le(b, ACPI_IOAPIC_ADDR, 4);
    put_le(b, 0, 4);                        /* GSI base */
    /* ISA IRQ 0 (the PIT) at pin 2; the SCI level-triggered, high. */
    static const struct { uint8_t irq, gsi; uint16_t flags; } iso[] = {
        { 0, 2, 0 },
        { ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(iso); i++) {
        put_le(b, 2, 1);                    /* interrupt source override */
        put_le(b, 10, 1);
        put_le(b, 0, 1);                    /* ISA */
        put_le(b, iso[i].irq, 1);
        put_le(b, iso[i].gsi, 4);
        put_le(b, iso[i].flags, 2);
    }
    put_le(b, 4, 1);                        /* local APIC NMI: LINT1, all */
    put_le(b, 6, 1);
    put_le(b, 0xff, 1);
    put_le(b, 0, 2);
    put_le(b, 1, 1);
    table_end(b, start);
}

/* ---- the loader script (128-byte commands) ---- */

enum {
    LOADER_ALLOCATE = 1,
    LOADER_ADD_POINTER = 2,
    LOADER_ADD_CHECKSUM = 3,
};
#define LOADER_ENTRY_LEN    128

static uint8_t *loader_entry(GByteArray *l, uint32_t cmd)
{
    size_t off = l->len;
    g_byte_array_set_size(l, off + LOADER_ENTRY_LEN);
    memset(l->data + off, 0, LOADER_ENTRY_LEN);
    set_le(l, off, cmd, 4);
    return l->data + off;
}

static void loader_allocate(GByteArray *l, const char *file, uint32_t align,
                            uint8_t zone)
{
    uint8_t *e = loader_entry(l, LOADER_ALLOCATE);
    g_strlcpy((char *)e + 4, file, FW_CFG_MAX_FILE_PATH);
    e[60] = align;
    e[61] = align >> 8;
    e[62] = align >> 16;
    e[63] = align >> 24;
    e[64] = zone;
}

/* dest_file's size bytes at offset get src_file's address added. */
static void loader_pointer(GByteArray *l, const char *dest, uint32_t offset,
                           uint8_t size, const char *src)
{
    size_t at = l->len;
    uint8_t *e = loader_entry(l, LOADER_ADD_POINTER);
    g_strlcpy((char *)e + 4, dest, FW_CFG_MAX_FILE_PATH);
    g_strlcpy((char *)e + 60, src, FW_CFG_MAX_FILE_PATH);
    set_le(l, at + 116, offset, 4);
    l->data[at + 120] = size;
}

static void loader_checksum(GByteArray *l, const char *file, uint32_t start,
                            uint32_t len, uint32_t csum_off)
{
    size_t at = l->len;
    uint8_t *e = loader_entry(l, LOADER_ADD_CHECKSUM);
    g_strlcpy((char *)e + 4, file, FW_CFG_MAX_FILE_PATH);
    set_le(l, at + 60, csum_off, 4);
    set_le(l, at + 64, start, 4);
    set_le(l, at + 68, len, 4);
}

bool acpi_build_fw_cfg(const MachineState *ms, Error **errp)
{
    GByteArray *t = g_byte_array_new();
    GByteArray *rsdp = g_byte_array_new();
    GByteArray *l = g_byte_array_new();
    size_t facs, dsdt, fadt, madt, rsdt;

    /* FACS first: the blob is 64-byte aligned and so is the FACS. */
    facs = t->len;
    build_facs(t);
    dsdt = t->len;
    build_dsdt(t, ms);
    fadt = t->len;
    build_fadt(t, facs, dsdt);
    madt = t->len;
    build_madt(t, ms);
    rsdt = table_begin(t, "RSDT", 1);
    put_le(t, fadt, 4);
    put_le(t, madt, 4);
    table_end(t, rsdt);

    put_str(rsdp, "RSD PTR ", 8);
    put_le(rsdp, 0, 1);                     /* checksum (loader) */
    put_str(rsdp, "VMU", 6);
    put_le(rsdp, 0, 1);                     /* revision 0: RSDT only */
    put_le(rsdp, rsdt, 4);

    loader_allocate(l, ACPI_RSDP_FILE, 16, ACPI_LOADER_ZONE_FSEG);
    loader_allocate(l, ACPI_TABLES_FILE, 64, ACPI_LOADER_ZONE_HIGH);
    loader_pointer(l, ACPI_TABLES_FILE, fadt + 36, 4, ACPI_TABLES_FILE);
    loader_pointer(l, ACPI_TABLES_FILE, fadt + 40, 4, ACPI_TABLES_FILE);
    loader_pointer(l, ACPI_TABLES_FILE, rsdt + ACPI_HDR_LEN, 4,
                   ACPI_TABLES_FILE);
    loader_pointer(l, ACPI_TABLES_FILE, rsdt + ACPI_HDR_LEN + 4, 4,
                   ACPI_TABLES_FILE);
    loader_pointer(l, ACPI_RSDP_FILE, 16, 4, ACPI_TABLES_FILE);
    /* Checksums last: they cover the patched pointers. */
    const size_t sdts[] = { dsdt, fadt, madt, rsdt };
    for (unsigned i = 0; i < G_N_ELEMENTS(sdts); i++) {
        uint32_t len = t->data[sdts[i] + 4] | t->data[sdts[i] + 5] << 8 |
                       t->data[sdts[i] + 6] << 16 |
                       (uint32_t)t->data[sdts[i] + 7] << 24;
        loader_checksum(l, ACPI_TABLES_FILE, sdts[i], len, sdts[i] + 9);
    }
    loader_checksum(l, ACPI_RSDP_FILE, 0, rsdp->len, 8);

    size_t tlen = t->len, rlen = rsdp->len, llen = l->len;
    uint8_t *tdata = g_byte_array_free(t, FALSE);
    uint8_t *rdata = g_byte_array_free(rsdp, FALSE);
    uint8_t *ldata = g_byte_array_free(l, FALSE);
    /* fw_cfg takes a buffer it adds; the rest are ours to free. */
    if (!fw_cfg_add_file(ACPI_TABLES_FILE, tdata, tlen, errp)) {
        g_free(tdata);
        g_free(rdata);
        g_free(ldata);
        return false;
    }
    if (!fw_cfg_add_file(ACPI_RSDP_FILE, rdata, rlen, errp)) {
        g_free(rdata);
        g_free(ldata);
        return false;
    }
    if (!fw_cfg_add_file(ACPI_LOADER_FILE, ldata, llen, errp)) {
        g_free(ldata);
        return false;
    }
    return true;
}
