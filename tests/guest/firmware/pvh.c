/* pvh.c - access to the boot information the VMM passes: either the PVH
 * start info (struct hvm_start_info, %ebx at the PVH entry) or, when booted
 * as a bzImage, the Linux boot_params zero page (%esi/%rsi at the boot
 * protocol entries).  Magic check, command line, E820-style memmap and the
 * initrd, behind the same accessors.  Everything is identity mapped, so
 * physical addresses are used directly. */
#include "fw.h"

static const struct hvm_start_info *si;
static const uint8_t *bp;               /* boot_params, when booted as bzImage */

/* Offsets in boot_params (Documentation/arch/x86/zero-page.rst). */
#define BP_ACPI_RSDP_ADDR   0x070
#define BP_E820_ENTRIES     0x1e8
#define BP_HEADER           0x202       /* "HdrS" */
#define BP_RAMDISK_IMAGE    0x218
#define BP_RAMDISK_SIZE     0x21c
#define BP_CMD_LINE_PTR     0x228
#define BP_E820_TABLE       0x2d0       /* 20-byte packed entries */
#define BP_E820_MAX         128

static uint32_t bp_rd32(unsigned off)
{
    uint32_t v;
    memcpy(&v, bp + off, 4);
    return v;
}

bool pvh_init(uint32_t start_info_pa)
{
    const struct hvm_start_info *p =
        (const struct hvm_start_info *)(uintptr_t)start_info_pa;

    if (start_info_pa == 0) {
        return false;
    }
    if (p->magic == HVM_START_MAGIC) {
        si = p;
        return true;
    }
    if (!memcmp((const uint8_t *)p + BP_HEADER, "HdrS", 4)) {
        bp = (const uint8_t *)p;
        return true;
    }
    return false;
}

const char *boot_info_kind(void)
{
    return bp ? "boot_params" : "pvh";
}

const char *pvh_cmdline(void)
{
    uint32_t pa;

    if (bp) {
        pa = bp_rd32(BP_CMD_LINE_PTR);
        return pa ? (const char *)(uintptr_t)pa : "";
    }
    if (!si || !si->cmdline_paddr) {
        return "";
    }
    return (const char *)(uintptr_t)si->cmdline_paddr;
}

uint32_t pvh_memmap_count(void)
{
    if (bp) {
        return bp[BP_E820_ENTRIES] <= BP_E820_MAX ? bp[BP_E820_ENTRIES] : 0;
    }
    if (!si || si->version < 1 || !si->memmap_paddr) {
        return 0;
    }
    return si->memmap_entries;
}

/* boot_params entries are 20 bytes, unaligned: the pointer returned for
 * them is to a copy, valid until the next call. */
const struct hvm_memmap_entry *pvh_memmap_entry(uint32_t i)
{
    static struct hvm_memmap_entry copy;

    if (bp) {
        const uint8_t *e = bp + BP_E820_TABLE + i * 20;
        memcpy(&copy.addr, e, 8);
        memcpy(&copy.size, e + 8, 8);
        memcpy(&copy.type, e + 16, 4);
        copy.reserved = 0;
        return &copy;
    }
    const struct hvm_memmap_entry *m =
        (const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
    return &m[i];
}

/* The initrd: boot_params ramdisk_image/ramdisk_size, or PVH module 0. */
bool boot_initrd(uint64_t *addr, uint64_t *size)
{
    if (bp) {
        *addr = bp_rd32(BP_RAMDISK_IMAGE);
        *size = bp_rd32(BP_RAMDISK_SIZE);
        return *addr && *size;
    }
    if (!si || !si->nr_modules || !si->modlist_paddr) {
        return false;
    }
    const struct hvm_modlist_entry *m =
        (const struct hvm_modlist_entry *)(uintptr_t)si->modlist_paddr;
    *addr = m->paddr;
    *size = m->size;
    return *addr && *size;
}

/* The RSDP the VMM names: PVH rsdp_paddr, or boot_params acpi_rsdp_addr
 * (0x070); 0 if none. */
uint64_t boot_rsdp(void)
{
    if (bp) {
        uint64_t v;
        memcpy(&v, bp + BP_ACPI_RSDP_ADDR, 8);
        return v;
    }
    return si ? si->rsdp_paddr : 0;
}

/* Command line: space separated words; "key=value" words are options. */
int cmdline_get(const char *key, const char **val)
{
    const char *s = pvh_cmdline();
    size_t klen = strlen(key);

    while (*s) {
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        const char *w = s;
        while (*s && *s != ' ' && *s != '\t') {
            s++;
        }
        if ((size_t)(s - w) > klen && !strncmp(w, key, klen) && w[klen] == '=') {
            *val = w + klen + 1;
            return (int)(s - *val);
        }
    }
    return -1;
}
