/*
 * Linux bzImage through the x86 boot protocol: the protected-mode kernel at
 * its preferred address, a boot_params zero page with the setup header,
 * e820 table, command line and initrd.  Kernels with XLF_KERNEL_64 start at
 * their 64-bit entry (load address + 0x200) in long mode with the first
 * 4 GiB identity-mapped; older ones at the 32-bit entry, paging off.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "hw/i386/boot.h"
#include "system/memory.h"
#include "util/trace.h"

/* Offsets in boot_params (the zero page) and its setup header. */
#define BP_ACPI_RSDP_ADDR   0x070
#define BP_E820_ENTRIES     0x1e8
#define BP_SETUP_SECTS      0x1f1
#define BP_VID_MODE         0x1fa
#define BP_HEADER_MAGIC     0x202
#define BP_VERSION          0x206
#define BP_TYPE_OF_LOADER   0x210
#define BP_LOADFLAGS        0x211
#define BP_CODE32_START     0x214
#define BP_RAMDISK_IMAGE    0x218
#define BP_RAMDISK_SIZE     0x21c
#define BP_CMD_LINE_PTR     0x228
#define BP_INITRD_ADDR_MAX  0x22c
#define BP_XLOADFLAGS       0x236
#define BP_CMDLINE_SIZE     0x238
#define BP_PREF_ADDRESS     0x258
#define BP_INIT_SIZE        0x260
#define BP_E820_TABLE       0x2d0
#define BP_E820_MAX         128

#define LOADED_HIGH         0x01
#define XLF_KERNEL_64       0x01

static uint64_t rd(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, p, size);
    return v;
}

static void wr(uint8_t *p, uint64_t v, unsigned size)
{
    memcpy(p, &v, size);
}

bool bzimage_probe(const uint8_t *img, size_t len)
{
    return len > 0x1000 && !memcmp(img + BP_HEADER_MAGIC, "HdrS", 4) &&
           rd(img + BP_VERSION, 2) >= 0x202 &&
           (img[BP_LOADFLAGS] & LOADED_HIGH);
}

/* PML4 -> PDPT -> 4 PDs of 2 MiB pages: 0-4 GiB identity-mapped. */
static void identity_map_4g(void)
{
    uint64_t pml4 = X86_PML4_ADDR, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000;
    uint64_t e = pdpt | 3;
    memory_write(pml4, &e, 8);
    for (unsigned i = 0; i < 4; i++) {
        e = (pd + i * 0x1000) | 3;
        memory_write(pdpt + i * 8, &e, 8);
    }
    for (uint64_t i = 0; i < 4 * 512; i++) {
        e = (i << 21) | 0x83;                   /* present, rw, 2 MiB */
        memory_write(pd + i * 8, &e, 8);
    }
    x86_boot.cr3 = pml4;
}

bool bzimage_load(MachineState *ms, const uint8_t *img, size_t len,
                  Error **errp)
{
    unsigned version = rd(img + BP_VERSION, 2);
    unsigned setup_sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4;
    uint64_t setup_size = (setup_sects + 1) * 512ULL;
    if (setup_size >= len) {
        error_setg(errp, "-kernel %s: truncated bzImage (setup is %" PRIu64
                   " bytes of %zu)", ms->kernel, setup_size, len);
        return false;
    }
    uint64_t load = 0x100000;
    if (version >= 0x20a && rd(img + BP_PREF_ADDRESS, 8) >= 0x100000) {
        load = rd(img + BP_PREF_ADDRESS, 8);
    }
    uint64_t code_size = len - setup_size;
    uint64_t init_size = version >= 0x20a ? rd(img + BP_INIT_SIZE, 4) : 0;
    uint64_t need = MAX(code_size, init_size);
    uint8_t *dst = gpa_to_hva(load, need);
    if (!dst) {
        error_setg(errp, "-kernel %s: the kernel needs guest RAM from 0x%"
                   PRIx64 " to 0x%" PRIx64 ": give more -m", ms->kernel,
                   load, load + need);
        return false;
    }
    memcpy(dst, img + setup_size, code_size);
    x86_boot_kernel_end = load + need;

    uint8_t bp[4096];
    memset(bp, 0, sizeof(bp));
    unsigned hdr_end = 0x202 + img[0x201];
    if (hdr_end > 0x290 || hdr_end > len) {
        hdr_end = MIN(0x290, len);
    }
    memcpy(bp + BP_SETUP_SECTS, img + BP_SETUP_SECTS,
           hdr_end - BP_SETUP_SECTS);
    wr(bp + BP_VID_MODE, 0xffff, 2);
    bp[BP_TYPE_OF_LOADER] = 0xff;
    wr(bp + BP_CODE32_START, load, 4);
    if (version >= 0x20e) {
        wr(bp + BP_ACPI_RSDP_ADDR, x86_boot_rsdp, 8);   /* protocol 2.14 */
    }

    const char *cmdline = ms->append ? ms->append : "";
    uint64_t cmdline_max = version >= 0x206 ? rd(img + BP_CMDLINE_SIZE, 4)
                                            : 255;
    if (strlen(cmdline) > cmdline_max) {
        error_setg(errp, "-append: the command line is %zu bytes; this "
                   "kernel takes at most %" PRIu64, strlen(cmdline),
                   cmdline_max);
        return false;
    }
    memory_write(X86_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);
    wr(bp + BP_CMD_LINE_PTR, X86_CMDLINE_ADDR, 4);

    uint64_t initrd_max = version >= 0x203 ? rd(img + BP_INITRD_ADDR_MAX, 4)
                                           : 0x37ffffff;
    uint64_t initrd, initrd_size;
    if (!x86_load_initrd(ms, initrd_max, &initrd, &initrd_size, errp)) {
        return false;
    }
    wr(bp + BP_RAMDISK_IMAGE, initrd, 4);
    wr(bp + BP_RAMDISK_SIZE, initrd_size, 4);

    E820Entry e820[BP_E820_MAX];
    unsigned ne = e820_table(ms, e820, BP_E820_MAX);
    for (unsigned i = 0; i < ne; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * 20;
        wr(e, e820[i].addr, 8);
        wr(e + 8, e820[i].size, 8);
        wr(e + 16, e820[i].type, 4);
    }
    bp[BP_E820_ENTRIES] = ne;
    memory_write(X86_BOOT_INFO_ADDR, bp, sizeof(bp));

    bool long64 = version >= 0x20c && (rd(img + BP_XLOADFLAGS, 2) &
                                       XLF_KERNEL_64);
    x86_write_gdt(long64);
    if (long64) {
        identity_map_4g();
        x86_boot.mode = X86_BOOT_LONG64;
        x86_boot.rip = load + 0x200;
    } else {
        x86_boot.mode = X86_BOOT_PROT32;
        x86_boot.rip = load;
    }
    x86_boot.rsi = X86_BOOT_INFO_ADDR;
    trace(bzimage_load, "protocol %x.%02x at 0x%" PRIx64 " size 0x%" PRIx64
          " init_size 0x%" PRIx64 " %s entry", version >> 8, version & 0xff,
          load, code_size, init_size, long64 ? "64-bit" : "32-bit");
    return true;
}
