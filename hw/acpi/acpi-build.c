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
#include "hw/pci/pci.h"


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

/* A name path such as "\\_SB.PCI0.ISA.PRQA" (segments '_' padded). */
static void aml_path(GByteArray *b, const char *path)
{
    gchar **segs;
    unsigned n;

    if (*path == '\\') {
        put_le(b, '\\', 1);
        path++;
    }
    segs = g_strsplit(path, ".", 0);
    n = g_strv_length(segs);
    if (n == 2) {
        put_le(b, 0x2e, 1);                 /* DualNamePrefix */
    } else if (n > 2) {
        put_le(b, 0x2f, 1);                 /* MultiNamePrefix */
        put_le(b, n, 1);
    }
    for (unsigned i = 0; i < n; i++) {
        aml_name_string(b, segs[i]);
    }
    g_strfreev(segs);
}

/* Method(name, nargs[, Serialized]) { body } */
static GByteArray *aml_method(const char *name, unsigned nargs,
                              bool serialized, GByteArray *body)
{
    uint8_t op = 0x14;                      /* MethodOp */
    GByteArray *m = g_byte_array_new();
    aml_name_string(m, name);
    put_le(m, nargs | (serialized ? 0x08 : 0), 1);
    g_byte_array_append(m, body->data, body->len);
    g_byte_array_free(body, TRUE);
    return aml_pkg(&op, 1, m);
}

/* If (pred) { body }: pred is already in body's first bytes. */
static GByteArray *aml_if(GByteArray *pred_and_body)
{
    uint8_t op = 0xa0;                      /* IfOp */
    return aml_pkg(&op, 1, pred_and_body);
}

#define AML_ARG0        0x68
#define AML_RETURN      0xa4
#define AML_STORE       0x70
#define AML_AND         0x7b
#define AML_OR          0x7d
#define AML_LLESS       0x95
#define AML_CREATE_DWORD_FIELD 0x8a

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

/* Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) { irqs }: the
 * extended descriptor a PCI link uses; the first IRQ is at byte 5. */
static void res_pci_irq(GByteArray *r, const unsigned *irqs, unsigned n)
{
    put_le(r, 0x89, 1);
    put_le(r, 2 + 4 * n, 2);
    put_le(r, 0x09, 1);                     /* consumer, shared; level high */
    put_le(r, n, 1);
    for (unsigned i = 0; i < n; i++) {
        put_le(r, irqs[i], 4);
    }
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

/*
 * PCI interrupt routing as the PIIX3 wires it (hw/pci: pci_intx_pirq):
 * _PRT names, per slot and pin, one of four link devices (PNP0C0F), each
 * a PIRQ register of the PIIX3 (00:01.0, config 0x60-0x63) whose IRQ its
 * _CRS reads, _SRS writes, _DIS disables (bit 7).  An OS with ACPI routes
 * INTx with these; one without reads the MP table, which says the same.
 */
static const char *const pirq_field[4] = { "PRQA", "PRQB", "PRQC", "PRQD" };
static const char *const pirq_link[4] = { "LNKA", "LNKB", "LNKC", "LNKD" };
static const unsigned pirq_irqs[] = { 5, 10, 11 };

/* In the ISA device: the PIRQ registers as fields. */
static void dsdt_pirq_fields(GByteArray *isa)
{
    uint8_t region[2] = { 0x5b, 0x80 }, field[2] = { 0x5b, 0x81 };
    GByteArray *f = g_byte_array_new();

    g_byte_array_append(isa, region, 2);    /* OperationRegion */
    aml_name_string(isa, "PIRQ");
    put_le(isa, 2, 1);                      /* PCI_Config */
    aml_integer(isa, 0x60);
    aml_integer(isa, 4);
    aml_name_string(f, "PIRQ");
    put_le(f, 0x01, 1);                     /* ByteAcc, NoLock, Preserve */
    for (unsigned i = 0; i < 4; i++) {
        aml_name_string(f, pirq_field[i]);
        put_le(f, 8, 1);                    /* 8 bits */
    }
    aml_append(isa, aml_pkg(field, 2, f));
}

/* Name(_PRT, Package() { Package() { 0xSSSSFFFF, pin, LNKx, 0 }, ... }) */
static void dsdt_prt(GByteArray *pci)
{
    uint8_t op = 0x12;                      /* PackageOp */
    GByteArray *all = g_byte_array_new();
    unsigned n = 0;

    put_le(all, 0, 1);                      /* element count, set below */
    for (unsigned slot = 0; slot < 32; slot++) {
        for (unsigned pin = 1; pin <= 4; pin++) {
            int pirq = pci_intx_pirq(slot, pin);
            if (pirq < 0) {
                continue;
            }
            GByteArray *e = g_byte_array_new();
            put_le(e, 4, 1);
            aml_integer(e, (uint64_t)slot << 16 | 0xffff);
            aml_integer(e, pin - 1);
            aml_name_string(e, pirq_link[pirq]);
            aml_integer(e, 0);
            aml_append(all, aml_pkg(&op, 1, e));
            n++;
        }
    }
    all->data[0] = n;
    put_le(pci, 0x08, 1);
    aml_name_string(pci, "_PRT");
    aml_append(pci, aml_pkg(&op, 1, all));
}

/* \_SB.IQST(reg): _STA of a link; \_SB.IQCR(reg): its _CRS. */
static void dsdt_link_methods(GByteArray *sb)
{
    GByteArray *m = g_byte_array_new(), *c;
    unsigned zero = 0;

    c = g_byte_array_new();
    put_le(c, AML_AND, 1);                  /* If (And(Arg0, 0x80)) */
    put_le(c, AML_ARG0, 1);
    aml_integer(c, 0x80);
    put_le(c, 0, 1);
    put_le(c, AML_RETURN, 1);
    aml_integer(c, 0x09);                   /* present, disabled */
    aml_append(m, aml_if(c));
    put_le(m, AML_RETURN, 1);
    aml_integer(m, 0x0b);                   /* present, enabled */
    aml_append(sb, aml_method("IQST", 1, false, m));

    m = g_byte_array_new();
    GByteArray *r = g_byte_array_new();
    res_pci_irq(r, &zero, 1);
    aml_name_resources(m, "RES0", r);
    put_le(m, AML_CREATE_DWORD_FIELD, 1);
    aml_name_string(m, "RES0");
    aml_integer(m, 5);
    aml_name_string(m, "IRQ0");
    c = g_byte_array_new();
    put_le(c, AML_LLESS, 1);                /* If (LLess(Arg0, 0x80)) */
    put_le(c, AML_ARG0, 1);
    aml_integer(c, 0x80);
    put_le(c, AML_STORE, 1);                /* Store(And(Arg0, 0x0f), IRQ0) */
    put_le(c, AML_AND, 1);
    put_le(c, AML_ARG0, 1);
    aml_integer(c, 0x0f);
    put_le(c, 0, 1);
    aml_name_string(c, "IRQ0");
    aml_append(m, aml_if(c));
    put_le(m, AML_RETURN, 1);
    aml_name_string(m, "RES0");
    aml_append(sb, aml_method("IQCR", 1, true, m));
}

static GByteArray *dsdt_link(unsigned i)
{
    GByteArray *d = g_byte_array_new(), *m, *r;
    gchar *reg = g_strdup_printf("\\_SB.PCI0.ISA.%s", pirq_field[i]);

    aml_name_int(d, "_HID", eisa_id("PNP0C0F"));
    aml_name_int(d, "_UID", i);
    r = g_byte_array_new();
    res_pci_irq(r, pirq_irqs, G_N_ELEMENTS(pirq_irqs));
    aml_name_resources(d, "_PRS", r);

    m = g_byte_array_new();
    put_le(m, AML_RETURN, 1);
    aml_name_string(m, "IQST");
    aml_path(m, reg);
    aml_append(d, aml_method("_STA", 0, false, m));

    m = g_byte_array_new();
    put_le(m, AML_OR, 1);                   /* Or(reg, 0x80, reg) */
    aml_path(m, reg);
    aml_integer(m, 0x80);
    aml_path(m, reg);
    aml_append(d, aml_method("_DIS", 0, false, m));

    m = g_byte_array_new();
    put_le(m, AML_RETURN, 1);
    aml_name_string(m, "IQCR");
    aml_path(m, reg);
    aml_append(d, aml_method("_CRS", 0, false, m));

    m = g_byte_array_new();
    put_le(m, AML_CREATE_DWORD_FIELD, 1);   /* the IRQ _PRS offered */
    put_le(m, AML_ARG0, 1);
    aml_integer(m, 5);
    aml_name_string(m, "IRQ0");
    put_le(m, AML_STORE, 1);
    aml_name_string(m, "IRQ0");
    aml_path(m, reg);
    aml_append(d, aml_method("_SRS", 1, false, m));
    g_free(reg);
    return aml_device(pirq_link[i], d);
}

/* The ISA devices: I/O ports (length 0: none) and one IRQ. */
static const struct {
    const char *name, *hid;
    int uid;                                /* -1: no _UID */
    uint16_t io[2];
    uint8_t io_len[2];
    unsigned irq;
} isa_devices[] = {
    { "RTC", "PNP0B00", -1, { 0x70 }, { 8 }, 8 },
    /* KVM's in-kernel PIT and the two 8259s, as QEMU's DSDT has them. */
    { "TMR", "PNP0100", -1, { 0x40 }, { 4 }, 0 },
    { "PIC", "PNP0000", -1, { 0x20, 0xa0 }, { 2, 2 }, 2 },
    { "COM1", "PNP0501", 1, { 0x3f8 }, { 8 }, 4 },
    /* The keyboard controller (hw/input/i8042.c) and its auxiliary port. */
    { "KBD", "PNP0303", -1, { 0x60, 0x64 }, { 1, 1 }, 1 },
    { "MOU", "PNP0F13", -1, { 0 }, { 0 }, 12 },
};

static GByteArray *dsdt_isa(void)
{
    GByteArray *isa = g_byte_array_new();

    aml_name_int(isa, "_ADR", 0x00010000);  /* 00:01.0, the PIIX3 */
    dsdt_pirq_fields(isa);
    for (unsigned i = 0; i < G_N_ELEMENTS(isa_devices); i++) {
        GByteArray *d = g_byte_array_new(), *r = g_byte_array_new();
        aml_name_int(d, "_HID", eisa_id(isa_devices[i].hid));
        if (isa_devices[i].uid >= 0) {
            aml_name_int(d, "_UID", isa_devices[i].uid);
        }
        for (unsigned j = 0; j < 2 && isa_devices[i].io_len[j]; j++) {
            res_io(r, isa_devices[i].io[j], isa_devices[i].io_len[j]);
        }
        res_irq(r, isa_devices[i].irq);
        aml_name_resources(d, "_CRS", r);
        aml_append(isa, aml_device(isa_devices[i].name, d));
    }
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
    dsdt_prt(pci);
    aml_append(pci, aml_device("ISA", dsdt_isa()));
    aml_append(sb, aml_device("PCI0", pci));
    dsdt_link_methods(sb);
    for (unsigned i = 0; i < 4; i++) {
        aml_append(sb, dsdt_link(i));
    }

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
    put_le(b, 3, 2);                        /* IAPC_BOOT_ARCH: legacy, 8042 */
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
    /* ISA IRQ 0 (the PIT) at pin 2; the SCI level-triggered, high; so are
     * the IRQs the PCI links offer (_PRS), as in QEMU's pc. */
    static const struct { uint8_t irq, gsi; uint16_t flags; } iso[] = {
        { 0, 2, 0 },
        { 5, 5, 0x000d },
        { ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d },
        { 10, 10, 0x000d },
        { 11, 11, 0x000d },
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
