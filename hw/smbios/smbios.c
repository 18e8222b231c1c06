/*
 * SMBIOS structure table and 2.1 entry point (DMTF DSP0134, version 2.8
 * layouts), built from the machine and the -smbios fields.  The types and
 * the field names of -smbios are QEMU's; each generated structure type can
 * be replaced by the same type from an -smbios file=.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "hw/nvram/fw_cfg.h"
#include "hw/smbios/smbios.h"
#include "util/file.h"
#include "util/trace.h"
#include "util/uuid.h"

#define SMBIOS_MAJOR        2
#define SMBIOS_MINOR        8
#define SMBIOS_DIMM_MAX     (16ULL << 30)   /* one type 17 per 16 GiB */
#define SMBIOS_FILE_MAX     (64 * 1024)
#define SMBIOS_TABLE_MAX    0xffff          /* the 2.1 entry point's limit */

/* Handles by type, as QEMU numbers them (guests print them). */
#define HANDLE_TYPE(t)      ((t) << 8)
#define HANDLE_MEM_ARRAY    0x1000
#define HANDLE_MEM_DEVICE   0x1100
#define HANDLE_MEM_MAPPED   0x1300
#define HANDLE_BOOT         0x2000
#define HANDLE_END          0x7f00

static const OptDesc type0_desc[] = {
    { "vendor", OPT_STRING, "BIOS vendor" },
    { "version", OPT_STRING, "BIOS version" },
    { "date", OPT_STRING, "BIOS release date (MM/DD/YYYY)" },
    { "release", OPT_STRING, "BIOS release as MAJOR.MINOR" },
    { "uefi", OPT_BOOL, "the BIOS is UEFI" },
    { 0 },
};
static const OptDesc type1_desc[] = {
    { "manufacturer", OPT_STRING, "system manufacturer" },
    { "product", OPT_STRING, "product name" },
    { "version", OPT_STRING, "product version" },
    { "serial", OPT_STRING, "serial number" },
    { "uuid", OPT_STRING, "system UUID (as -uuid)" },
    { "sku", OPT_STRING, "SKU number" },
    { "family", OPT_STRING, "product family" },
    { 0 },
};
static const OptDesc type2_desc[] = {
    { "manufacturer", OPT_STRING, "board manufacturer" },
    { "product", OPT_STRING, "board name" },
    { "version", OPT_STRING, "board version" },
    { "serial", OPT_STRING, "board serial number" },
    { "asset", OPT_STRING, "asset tag" },
    { "location", OPT_STRING, "location in the chassis" },
    { 0 },
};
static const OptDesc type3_desc[] = {
    { "manufacturer", OPT_STRING, "chassis manufacturer" },
    { "version", OPT_STRING, "chassis version" },
    { "serial", OPT_STRING, "chassis serial number" },
    { "asset", OPT_STRING, "asset tag" },
    { "sku", OPT_STRING, "SKU number" },
    { 0 },
};
static const OptDesc type4_desc[] = {
    { "sock_pfx", OPT_STRING, "socket designation prefix (CPU)" },
    { "manufacturer", OPT_STRING, "processor manufacturer" },
    { "version", OPT_STRING, "processor version" },
    { "serial", OPT_STRING, "serial number" },
    { "asset", OPT_STRING, "asset tag" },
    { "part", OPT_STRING, "part number" },
    { "max-speed", OPT_NUMBER, "maximum speed in MHz" },
    { "current-speed", OPT_NUMBER, "current speed in MHz" },
    { "processor-id", OPT_NUMBER, "processor ID (CPUID 1 EDX:EAX)" },
    { 0 },
};
static const OptDesc type8_desc[] = {
    { "internal_reference", OPT_STRING, "internal connector designator" },
    { "external_reference", OPT_STRING, "external connector designator" },
    { "connector_type", OPT_NUMBER, "connector type (both ends)" },
    { "port_type", OPT_NUMBER, "port type" },
    { 0 },
};
static const OptDesc type11_desc[] = {
    { "value", OPT_STRING, "an OEM string (may repeat)" },
    { "path", OPT_STRING, "a file whose contents is an OEM string" },
    { 0 },
};
static const OptDesc type17_desc[] = {
    { "loc_pfx", OPT_STRING, "device locator prefix (DIMM)" },
    { "bank", OPT_STRING, "bank locator" },
    { "manufacturer", OPT_STRING, "memory manufacturer" },
    { "serial", OPT_STRING, "serial number" },
    { "asset", OPT_STRING, "asset tag" },
    { "part", OPT_STRING, "part number" },
    { "speed", OPT_NUMBER, "speed in MT/s" },
    { 0 },
};
static const OptDesc type41_desc[] = {
    { "designation", OPT_STRING, "reference designation" },
    { "kind", OPT_STRING, "device type" },
    { "instance", OPT_NUMBER, "device type instance" },
    { "pcidev", OPT_STRING, "the PCI device's id" },
    { 0 },
};

static const struct {
    unsigned type;
    const OptDesc *desc;
    const char *what;
} smbios_types[] = {
    { 0, type0_desc, "-smbios type=0 (BIOS)" },
    { 1, type1_desc, "-smbios type=1 (system)" },
    { 2, type2_desc, "-smbios type=2 (baseboard)" },
    { 3, type3_desc, "-smbios type=3 (chassis)" },
    { 4, type4_desc, "-smbios type=4 (processor)" },
    { 8, type8_desc, "-smbios type=8 (port connector)" },
    { 11, type11_desc, "-smbios type=11 (OEM strings)" },
    { 17, type17_desc, "-smbios type=17 (memory device)" },
    { 41, type41_desc, "-smbios type=41 (onboard device)" },
};

static const char *const common_keys[] = { "type", NULL };

static int opts_type(const Opts *o)
{
    uint64_t t;
    const char *v = opts_get(o, "type");
    if (!v || !parse_uint(v, &t)) {
        return -1;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(smbios_types); i++) {
        if (smbios_types[i].type == t) {
            return i;
        }
    }
    return -1;
}

static bool parse_release(const char *s, unsigned *major, unsigned *minor)
{
    char end;
    return sscanf(s, "%u.%u%c", major, minor, &end) == 2 && *major < 256 &&
           *minor < 256;
}

bool smbios_check_opts(const Opts *o, Error **errp)
{
    if (opts_has(o, "file")) {
        if (opts_has(o, "type") || o->n_entries != 1) {
            opts_error(o, errp, "file=PATH takes no other key: give the "
                       "fields in a separate -smbios type=N");
            return false;
        }
        return true;
    }
    int i = opts_type(o);
    if (i < 0) {
        opts_error(o, errp, "give file=PATH or type=N with N one of 0, 1, "
                   "2, 3, 4, 8, 11, 17, 41");
        return false;
    }
    if (!opts_validate(o, smbios_types[i].what, smbios_types[i].desc,
                       common_keys, errp)) {
        return false;
    }
    unsigned major, minor;
    const char *rel = opts_get(o, "release");
    if (rel && !parse_release(rel, &major, &minor)) {
        opts_error(o, errp, "release=%s: write MAJOR.MINOR (each 0-255), "
                   "such as release=1.16", rel);
        return false;
    }
    uint8_t uuid[16];
    const char *u = opts_get(o, "uuid");
    if (u && !uuid_parse(u, uuid)) {
        opts_error(o, errp, "uuid=%s: write the UUID as 8-4-4-4-12 hex "
                   "digits, e.g. 12345678-9abc-def0-1234-56789abcdef0", u);
        return false;
    }
    if (smbios_types[i].type == 41) {
        warn_report("%s %s: not applied: vmu lists no onboard devices in "
                    "SMBIOS (the guest finds its NICs on PCI)",
                    o->option, o->text);
    }
    return true;
}

/* --- the fields the user gave ------------------------------------------ */

/* The last value of key among the -smbios type=type options, or def. */
static const char *field(const SmbiosMachine *m, unsigned type,
                         const char *key, const char *def)
{
    const char *v = def;
    for (unsigned i = 0; m->opts && i < m->opts->len; i++) {
        const Opts *o = g_ptr_array_index(m->opts, i);
        int t = opts_type(o);
        if (t >= 0 && smbios_types[t].type == type && opts_has(o, key)) {
            v = opts_get(o, key);
        }
    }
    return v;
}

static uint64_t field_num(const SmbiosMachine *m, unsigned type,
                          const char *key, uint64_t def)
{
    uint64_t n;
    const char *v = field(m, type, key, NULL);
    return v && parse_uint(v, &n) ? n : def;
}

static bool type_given(const SmbiosMachine *m, unsigned type)
{
    for (unsigned i = 0; m->opts && i < m->opts->len; i++) {
        int t = opts_type(g_ptr_array_index(m->opts, i));
        if (t >= 0 && smbios_types[t].type == type) {
            return true;
        }
    }
    return false;
}

/* --- building structures ------------------------------------------------ */

typedef struct Table {
    GByteArray *t;
    unsigned count;             /* structures */
    unsigned max_size;          /* the largest, with its strings */
    bool from_file[256];        /* types an -smbios file= supplies */
} Table;

typedef struct Struct {
    uint8_t f[64];              /* the formatted area */
    unsigned len;
    GByteArray *strings;
    unsigned nstr;
} Struct;

static void s_begin(Struct *s, uint8_t type, uint8_t len, uint16_t handle)
{
    memset(s, 0, sizeof(*s));
    g_assert(len <= sizeof(s->f));
    s->len = len;
    s->f[0] = type;
    s->f[1] = len;
    s->f[2] = handle;
    s->f[3] = handle >> 8;
    s->strings = g_byte_array_new();
}

static void s_put(Struct *s, unsigned off, uint64_t v, unsigned size)
{
    g_assert(off + size <= s->len);
    for (unsigned i = 0; i < size; i++) {
        s->f[off + i] = v >> (8 * i);
    }
}

/* A string field: its number in the string set, 0 for none. */
static void s_str(Struct *s, unsigned off, const char *str)
{
    if (!str || !*str) {
        s_put(s, off, 0, 1);
        return;
    }
    g_byte_array_append(s->strings, (const guint8 *)str, strlen(str) + 1);
    s_put(s, off, ++s->nstr, 1);
}

static void s_end(Table *tb, Struct *s)
{
    static const uint8_t nul[2] = { 0, 0 };
    g_byte_array_append(tb->t, s->f, s->len);
    g_byte_array_append(tb->t, s->strings->data, s->strings->len);
    /* The set ends with an extra NUL; an empty set is two NULs. */
    g_byte_array_append(tb->t, nul, s->nstr ? 1 : 2);
    unsigned size = s->len + s->strings->len + (s->nstr ? 1 : 2);
    tb->max_size = MAX(tb->max_size, size);
    tb->count++;
    g_byte_array_free(s->strings, true);
}

static bool want(const Table *tb, unsigned type)
{
    return !tb->from_file[type];
}

static void build_type0(Table *tb, const SmbiosMachine *m)
{
    Struct s;
    unsigned major = 0, minor = 0;
    const char *rel = field(m, 0, "release", NULL);
    if (rel) {
        parse_release(rel, &major, &minor);
    }
    bool uefi = false;
    const char *u = field(m, 0, "uefi", NULL);
    if (u) {
        parse_bool(u, &uefi);
    }
    s_begin(&s, 0, 0x18, HANDLE_TYPE(0));
    s_str(&s, 0x04, field(m, 0, "vendor", "vmu"));
    s_str(&s, 0x05, field(m, 0, "version", VMU_VERSION));
    s_put(&s, 0x06, 0xe800, 2);         /* starting segment */
    s_str(&s, 0x08, field(m, 0, "date", NULL));
    s_put(&s, 0x09, 0, 1);              /* ROM size: 64 KiB */
    s_put(&s, 0x0a, 0x08, 8);           /* characteristics not supported */
    s_put(&s, 0x12, 0, 1);
    /* Extension byte 2: targeted content distribution, virtual machine,
     * UEFI when asked. */
    s_put(&s, 0x13, 0x14 | (uefi ? 0x08 : 0), 1);
    s_put(&s, 0x14, major, 1);
    s_put(&s, 0x15, minor, 1);
    s_put(&s, 0x16, 0xff, 1);           /* no embedded controller */
    s_put(&s, 0x17, 0xff, 1);
    s_end(tb, &s);
}

static void build_type1(Table *tb, const SmbiosMachine *m)
{
    Struct s;
    uint8_t uuid[16] = { 0 }, given[16];
    const uint8_t *src = m->uuid;
    const char *u = field(m, 1, "uuid", NULL);
    if (u && uuid_parse(u, given)) {
        src = given;                    /* as QEMU: it sets -uuid too */
    }
    if (src) {
        /* SMBIOS 2.6+: the first three fields little-endian. */
        static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
                                           8, 9, 10, 11, 12, 13, 14, 15 };
        for (unsigned i = 0; i < 16; i++) {
            uuid[i] = src[order[i]];
        }
    }
    s_begin(&s, 1, 0x1b, HANDLE_TYPE(1));
    s_str(&s, 0x04, field(m, 1, "manufacturer", "vmu"));
    s_str(&s, 0x05, field(m, 1, "product", "vmu PC (i440FX + PIIX)"));
    s_str(&s, 0x06, field(m, 1, "version", VMU_VERSION));
    s_str(&s, 0x07, field(m, 1, "serial", NULL));
    memcpy(s.f + 0x08, uuid, 16);
    s_put(&s, 0x18, 0x06, 1);           /* wake-up: power switch */
    s_str(&s, 0x19, field(m, 1, "sku", NULL));
    s_str(&s, 0x1a, field(m, 1, "family", NULL));
    s_end(tb, &s);
}

static void build_type2(Table *tb, const SmbiosMachine *m)
{
    Struct s;
    s_begin(&s, 2, 0x0f, HANDLE_TYPE(2));
    s_str(&s, 0x04, field(m, 2, "manufacturer", "vmu"));
    s_str(&s, 0x05, field(m, 2, "product", "vmu PC (i440FX + PIIX)"));
    s_str(&s, 0x06, field(m, 2, "version", VMU_VERSION));
    s_str(&s, 0x07, field(m, 2, "serial", NULL));
    s_str(&s, 0x08, field(m, 2, "asset", NULL));
    s_put(&s, 0x09, 0x01, 1);           /* a hosting board */
    s_str(&s, 0x0a, field(m, 2, "location", NULL));
    s_put(&s, 0x0b, HANDLE_TYPE(3), 2); /* its chassis */
    s_put(&s, 0x0d, 0x0a, 1);           /* motherboard */
    s_put(&s, 0x0e, 0, 1);              /* no contained objects */
    s_end(tb, &s);
}

static void build_type3(Table *tb, const SmbiosMachine *m)
{
    Struct s;
    s_begin(&s, 3, 0x16, HANDLE_TYPE(3));
    s_str(&s, 0x04, field(m, 3, "manufacturer", "vmu"));
    s_put(&s, 0x05, 0x01, 1);           /* type: other */
    s_str(&s, 0x06, field(m, 3, "version", VMU_VERSION));
    s_str(&s, 0x07, field(m, 3, "serial", NULL));
    s_str(&s, 0x08, field(m, 3, "asset", NULL));
    s_put(&s, 0x09, 0x03, 1);           /* boot-up state: safe */
    s_put(&s, 0x0a, 0x03, 1);           /* power supply: safe */
    s_put(&s, 0x0b, 0x03, 1);           /* thermal: safe */
    s_put(&s, 0x0c, 0x02, 1);           /* security: unknown */
    s_str(&s, 0x15, field(m, 3, "sku", NULL));
    s_end(tb, &s);
}

/* One socket with every vCPU as a core, as QEMU >= 6.2 lays out -smp N. */
static void build_type4(Table *tb, const SmbiosMachine *m, unsigned cpu)
{
    unsigned cores = MIN(m->cpus, 255);
    Struct s;
    unsigned eax = 0, ebx, ecx, edx = 0;
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    uint64_t id = field_num(m, 4, "processor-id",
                            (uint64_t)edx << 32 | eax);
    char *sock = g_strdup_printf("%s %u", field(m, 4, "sock_pfx", "CPU"),
                                 cpu);
    s_begin(&s, 4, 0x2a, HANDLE_TYPE(4) + cpu);
    s_str(&s, 0x04, sock);
    s_put(&s, 0x05, 0x03, 1);           /* central processor */
    s_put(&s, 0x06, 0x01, 1);           /* family: other */
    s_str(&s, 0x07, field(m, 4, "manufacturer", "vmu"));
    s_put(&s, 0x08, id, 8);
    s_str(&s, 0x10, field(m, 4, "version", VMU_VERSION));
    s_put(&s, 0x14, field_num(m, 4, "max-speed", 2000), 2);
    s_put(&s, 0x16, field_num(m, 4, "current-speed", 2000), 2);
    s_put(&s, 0x18, 0x41, 1);           /* populated, enabled */
    s_put(&s, 0x19, 0x01, 1);           /* upgrade: other */
    s_put(&s, 0x1a, 0xffff, 2);         /* no cache information */
    s_put(&s, 0x1c, 0xffff, 2);
    s_put(&s, 0x1e, 0xffff, 2);
    s_str(&s, 0x20, field(m, 4, "serial", NULL));
    s_str(&s, 0x21, field(m, 4, "asset", NULL));
    s_str(&s, 0x22, field(m, 4, "part", NULL));
    s_put(&s, 0x23, cores, 1);          /* cores, enabled, threads */
    s_put(&s, 0x24, cores, 1);
    s_put(&s, 0x25, cores, 1);
    s_put(&s, 0x26, 0x02, 2);           /* characteristics: unknown */
    s_put(&s, 0x28, 0x01, 2);           /* family 2: other */
    s_end(tb, &s);
    g_free(sock);
}

static void build_type8(Table *tb, const Opts *o, unsigned n)
{
    Struct s;
    uint64_t conn = opts_get_number(o, "connector_type", 0xff);
    s_begin(&s, 8, 0x09, HANDLE_TYPE(8) + n);
    s_str(&s, 0x04, opts_get(o, "internal_reference"));
    s_put(&s, 0x05, conn, 1);
    s_str(&s, 0x06, opts_get(o, "external_reference"));
    s_put(&s, 0x07, conn, 1);
    s_put(&s, 0x08, opts_get_number(o, "port_type", 0xff), 1);
    s_end(tb, &s);
}

static bool build_type11(Table *tb, const SmbiosMachine *m, Error **errp)
{
    Struct s;
    s_begin(&s, 11, 0x05, HANDLE_TYPE(11));
    for (unsigned i = 0; m->opts && i < m->opts->len; i++) {
        const Opts *o = g_ptr_array_index(m->opts, i);
        int t = opts_type(o);
        if (t < 0 || smbios_types[t].type != 11) {
            continue;
        }
        for (unsigned k = 0; k < o->n_entries; k++) {
            const OptEntry *e = &o->entries[k];
            if (!strcmp(e->key, "value") && e->value) {
                s_str(&s, 0x04, e->value);
            } else if (!strcmp(e->key, "path") && e->value) {
                uint8_t *data;
                size_t len;
                if (!file_read_all("-smbios type=11 path", e->value,
                                   SMBIOS_FILE_MAX, &data, &len, errp)) {
                    g_byte_array_free(s.strings, true);
                    return false;
                }
                char *str = g_strndup((char *)data, len);
                s_str(&s, 0x04, str);
                g_free(str);
                g_free(data);
            }
        }
    }
    s_put(&s, 0x04, s.nstr, 1);         /* the count, not an index */
    s_end(tb, &s);
    return true;
}

static void build_memory(Table *tb, const SmbiosMachine *m)
{
    uint64_t ram = m->below_4g + m->above_4g;
    unsigned ndimm = (ram + SMBIOS_DIMM_MAX - 1) / SMBIOS_DIMM_MAX;
    uint64_t kib = ram >> 10;
    Struct s;

    if (want(tb, 16)) {
        s_begin(&s, 16, 0x17, HANDLE_MEM_ARRAY);
        s_put(&s, 0x04, 0x01, 1);       /* location: other */
        s_put(&s, 0x05, 0x03, 1);       /* system memory */
        s_put(&s, 0x06, 0x06, 1);       /* multi-bit ECC */
        s_put(&s, 0x07, kib < 0x80000000ULL ? kib : 0x80000000ULL, 4);
        s_put(&s, 0x0b, 0xfffe, 2);     /* no error information */
        s_put(&s, 0x0d, ndimm, 2);
        s_put(&s, 0x0f, kib < 0x80000000ULL ? 0 : ram, 8);
        s_end(tb, &s);
    }
    for (unsigned i = 0; want(tb, 17) && i < ndimm; i++) {
        uint64_t size = MIN(SMBIOS_DIMM_MAX, ram - i * SMBIOS_DIMM_MAX);
        uint64_t mib = size >> 20;
        char *loc = g_strdup_printf("%s %u", field(m, 17, "loc_pfx", "DIMM"),
                                    i);
        s_begin(&s, 17, 0x28, HANDLE_MEM_DEVICE + i);
        s_put(&s, 0x04, HANDLE_MEM_ARRAY, 2);
        s_put(&s, 0x06, 0xfffe, 2);
        s_put(&s, 0x08, 0xffff, 2);     /* widths unknown */
        s_put(&s, 0x0a, 0xffff, 2);
        s_put(&s, 0x0c, mib < 0x7fff ? mib : 0x7fff, 2);
        s_put(&s, 0x0e, 0x09, 1);       /* DIMM */
        s_str(&s, 0x10, loc);
        s_str(&s, 0x11, field(m, 17, "bank", NULL));
        s_put(&s, 0x12, 0x07, 1);       /* RAM */
        s_put(&s, 0x13, 0x0002, 2);     /* detail: other */
        s_put(&s, 0x15, field_num(m, 17, "speed", 0), 2);
        s_str(&s, 0x17, field(m, 17, "manufacturer", "vmu"));
        s_str(&s, 0x18, field(m, 17, "serial", NULL));
        s_str(&s, 0x19, field(m, 17, "asset", NULL));
        s_str(&s, 0x1a, field(m, 17, "part", NULL));
        s_put(&s, 0x1c, mib < 0x7fff ? 0 : mib, 4);
        s_put(&s, 0x20, field_num(m, 17, "speed", 0), 2);
        s_end(tb, &s);
        g_free(loc);
    }
    const uint64_t start[2] = { 0, 0x100000000ULL };
    const uint64_t len[2] = { m->below_4g, m->above_4g };
    for (unsigned i = 0, h = 0; want(tb, 19) && i < 2; i++) {
        if (!len[i]) {
            continue;
        }
        uint64_t first = start[i] >> 10, last = ((start[i] + len[i]) >> 10) - 1;
        bool ext = last >= 0xffffffffULL;
        s_begin(&s, 19, 0x1f, HANDLE_MEM_MAPPED + h++);
        s_put(&s, 0x04, ext ? 0xffffffffULL : first, 4);
        s_put(&s, 0x08, ext ? 0xffffffffULL : last, 4);
        s_put(&s, 0x0c, HANDLE_MEM_ARRAY, 2);
        s_put(&s, 0x0e, 1, 1);          /* partition width */
        s_put(&s, 0x0f, ext ? start[i] : 0, 8);
        s_put(&s, 0x17, ext ? start[i] + len[i] - 1 : 0, 8);
        s_end(tb, &s);
    }
}

/* Check an -smbios file= blob (whole structures, each string set closed)
 * and append it, without its end-of-table structure. */
static bool add_file(Table *tb, const char *path, Error **errp)
{
    uint8_t *d;
    size_t len, off = 0;
    if (!file_read_all("-smbios file", path, SMBIOS_FILE_MAX, &d, &len,
                       errp)) {
        return false;
    }
    while (off < len) {
        size_t start = off;
        if (len - off < 4 || d[off + 1] < 4 || d[off + 1] > len - off) {
            error_setg(errp, "-smbios file=%s: structure at byte %zu is "
                       "cut off or has a length below 4", path, off);
            error_append_hint(errp, "give a file of whole SMBIOS structures, "
                              "such as dmidecode --dump-bin writes after "
                              "its 32-byte header");
            g_free(d);
            return false;
        }
        off += d[off + 1];
        while (off + 1 < len && (d[off] || d[off + 1])) {
            off++;
        }
        if (off + 1 >= len) {
            error_setg(errp, "-smbios file=%s: the strings of the structure "
                       "at byte %zu do not end with two NUL bytes", path,
                       start);
            g_free(d);
            return false;
        }
        off += 2;
        if (d[start] == 127) {
            continue;
        }
        g_byte_array_append(tb->t, d + start, off - start);
        tb->max_size = MAX(tb->max_size, off - start);
        tb->count++;
        tb->from_file[d[start]] = true;
    }
    g_free(d);
    return true;
}

bool smbios_build(const SmbiosMachine *m, GByteArray *tables,
                  uint8_t anchor[SMBIOS_ANCHOR_LEN], Error **errp)
{
    Table tb = { .t = tables };
    for (unsigned i = 0; m->opts && i < m->opts->len; i++) {
        const Opts *o = g_ptr_array_index(m->opts, i);
        if (opts_has(o, "file") && !add_file(&tb, opts_get(o, "file"), errp)) {
            return false;
        }
    }
    /* SeaBIOS adds a type 0 of its own when none is given. */
    if (type_given(m, 0) && want(&tb, 0)) {
        build_type0(&tb, m);
    }
    if (want(&tb, 1)) {
        build_type1(&tb, m);
    }
    if (want(&tb, 2)) {
        build_type2(&tb, m);
    }
    if (want(&tb, 3)) {
        build_type3(&tb, m);
    }
    if (want(&tb, 4)) {
        build_type4(&tb, m, 0);
    }
    for (unsigned i = 0, n = 0; m->opts && i < m->opts->len; i++) {
        const Opts *o = g_ptr_array_index(m->opts, i);
        int t = opts_type(o);
        if (t >= 0 && smbios_types[t].type == 8 && want(&tb, 8)) {
            build_type8(&tb, o, n++);
        }
    }
    if (type_given(m, 11) && want(&tb, 11) && !build_type11(&tb, m, errp)) {
        return false;
    }
    build_memory(&tb, m);
    Struct s;
    if (want(&tb, 32)) {
        s_begin(&s, 32, 0x0b, HANDLE_BOOT);
        s_put(&s, 0x0a, 0, 1);          /* no errors detected */
        s_end(&tb, &s);
    }
    s_begin(&s, 127, 0x04, HANDLE_END);
    s_end(&tb, &s);
    if (tables->len > SMBIOS_TABLE_MAX) {
        error_setg(errp, "the SMBIOS tables take %u bytes, more than the "
                   "%u an SMBIOS 2.1 entry point can describe", tables->len,
                   SMBIOS_TABLE_MAX);
        error_append_hint(errp, "use fewer vCPUs or smaller -smbios files");
        return false;
    }

    memset(anchor, 0, SMBIOS_ANCHOR_LEN);
    memcpy(anchor, "_SM_", 4);
    anchor[0x05] = SMBIOS_ANCHOR_LEN;
    anchor[0x06] = SMBIOS_MAJOR;
    anchor[0x07] = SMBIOS_MINOR;
    anchor[0x08] = tb.max_size;
    anchor[0x09] = tb.max_size >> 8;
    memcpy(anchor + 0x10, "_DMI_", 5);
    anchor[0x16] = tables->len;
    anchor[0x17] = tables->len >> 8;
    anchor[0x1c] = tb.count;
    anchor[0x1d] = tb.count >> 8;
    anchor[0x1e] = SMBIOS_MAJOR << 4 | SMBIOS_MINOR;
    smbios_anchor_set_address(anchor, 0);
    trace(smbios_build, "%u structures, %u bytes, largest %u", tb.count,
          tables->len, tb.max_size);
    return true;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--) {
        s += *p++;
    }
    return s;
}

void smbios_anchor_set_address(uint8_t anchor[SMBIOS_ANCHOR_LEN],
                               uint32_t addr)
{
    for (unsigned i = 0; i < 4; i++) {
        anchor[0x18 + i] = addr >> (8 * i);
    }
    /* The intermediate checksum covers _DMI_ onwards, the other all. */
    anchor[0x15] = 0;
    anchor[0x15] = -sum8(anchor + 0x10, 0x0f);
    anchor[0x04] = 0;
    anchor[0x04] = -sum8(anchor, SMBIOS_ANCHOR_LEN);
}

bool smbios_fw_cfg(const SmbiosMachine *m, Error **errp)
{
    GByteArray *t = g_byte_array_new();
    uint8_t *anchor = g_malloc(SMBIOS_ANCHOR_LEN);
    if (!smbios_build(m, t, anchor, errp)) {
        g_byte_array_free(t, true);
        g_free(anchor);
        return false;
    }
    guint len = t->len;
    return fw_cfg_add_file("etc/smbios/smbios-tables",
                           g_byte_array_free(t, false), len, errp) &&
           fw_cfg_add_file("etc/smbios/smbios-anchor", anchor,
                           SMBIOS_ANCHOR_LEN, errp);
}
