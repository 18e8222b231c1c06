/*
 * PVH boot: an ELF (32- or 64-bit) whose PT_NOTE has a Xen
 * XEN_ELFNOTE_PHYS32_ENTRY note.  PT_LOAD segments go to their physical
 * addresses; the vCPU starts in flat 32-bit protected mode with %ebx
 * pointing at a struct hvm_start_info (version 1).
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "hw/i386/boot.h"
#include "system/memory.h"
#include "util/trace.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

/* The Xen public ABI (start_info.h), little-endian, no padding. */
typedef struct __attribute__((packed)) HVMStartInfo {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
} HVMStartInfo;

typedef struct __attribute__((packed)) HVMModlistEntry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
} HVMModlistEntry;

typedef struct __attribute__((packed)) HVMMemmapEntry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
} HVMMemmapEntry;

typedef struct ElfPhdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
} ElfPhdr;

static uint64_t rd(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, p, size);
    return v;
}

/* Program header i of a valid little-endian x86 ELF, or false. */
static bool elf_phdr(const uint8_t *img, size_t len, unsigned i, ElfPhdr *ph)
{
    bool is64 = img[4] == 2;
    uint64_t phoff = is64 ? rd(img + 32, 8) : rd(img + 28, 4);
    unsigned phentsize = rd(img + (is64 ? 54 : 42), 2);
    uint64_t off = phoff + (uint64_t)i * phentsize;
    if (phentsize < (is64 ? 56u : 32u) || off > len || len - off < phentsize) {
        return false;
    }
    const uint8_t *p = img + off;
    ph->type = rd(p, 4);
    if (is64) {
        ph->offset = rd(p + 8, 8);
        ph->paddr = rd(p + 24, 8);
        ph->filesz = rd(p + 32, 8);
        ph->memsz = rd(p + 40, 8);
    } else {
        ph->offset = rd(p + 4, 4);
        ph->paddr = rd(p + 12, 4);
        ph->filesz = rd(p + 16, 4);
        ph->memsz = rd(p + 20, 4);
    }
    return ph->offset <= len && ph->filesz <= len - ph->offset;
}

static unsigned elf_phnum(const uint8_t *img, size_t len)
{
    if (len < 64 || memcmp(img, "\177ELF", 4) || img[5] != 1 ||
        (img[4] != 1 && img[4] != 2)) {
        return 0;
    }
    unsigned machine = rd(img + 18, 2);
    if (machine != 3 && machine != 62) {           /* EM_386, EM_X86_64 */
        return 0;
    }
    return rd(img + (img[4] == 2 ? 56 : 44), 2);
}

bool pvh_probe(const uint8_t *img, size_t len, uint32_t *entry)
{
    unsigned n = elf_phnum(img, len);
    for (unsigned i = 0; i < n; i++) {
        ElfPhdr ph;
        if (!elf_phdr(img, len, i, &ph) || ph.type != 4) {   /* PT_NOTE */
            continue;
        }
        const uint8_t *p = img + ph.offset, *end = p + ph.filesz;
        while (end - p >= 12) {
            uint32_t namesz = rd(p, 4), descsz = rd(p + 4, 4);
            uint32_t type = rd(p + 8, 4);
            uint64_t name_len = (namesz + 3ULL) & ~3ULL;
            uint64_t desc_len = (descsz + 3ULL) & ~3ULL;
            if ((uint64_t)(end - p - 12) < name_len + desc_len) {
                break;
            }
            const uint8_t *name = p + 12, *desc = name + name_len;
            if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
                !memcmp(name, "Xen", 4) && (descsz == 4 || descsz == 8)) {
                *entry = rd(desc, 4);
                return true;
            }
            p = desc + desc_len;
        }
    }
    return false;
}

bool pvh_load(MachineState *ms, const uint8_t *img, size_t len, Error **errp)
{
    uint32_t entry;
    if (!pvh_probe(img, len, &entry)) {
        error_setg(errp, "-kernel %s: no PVH entry note", ms->kernel);
        return false;
    }
    unsigned n = elf_phnum(img, len);
    uint64_t end = 0;
    for (unsigned i = 0; i < n; i++) {
        ElfPhdr ph;
        if (!elf_phdr(img, len, i, &ph)) {
            error_setg(errp, "-kernel %s: program header %u is past the end "
                       "of the file (truncated ELF?)", ms->kernel, i);
            return false;
        }
        if (ph.type != 1 || !ph.memsz) {               /* PT_LOAD */
            continue;
        }
        uint8_t *dst = ph.filesz <= ph.memsz ?
                       gpa_to_hva(ph.paddr, ph.memsz) : NULL;
        if (!dst || ph.paddr < 0x100000) {
            error_setg(errp, "-kernel %s: segment at 0x%" PRIx64 "+0x%" PRIx64
                       " is not in guest RAM above 1 MiB: give more -m",
                       ms->kernel, ph.paddr, ph.memsz);
            return false;
        }
        memcpy(dst, img + ph.offset, ph.filesz);
        memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
        end = MAX(end, ph.paddr + ph.memsz);
        trace(pvh_load_segment, "0x%" PRIx64 " filesz 0x%" PRIx64 " memsz 0x%"
              PRIx64, ph.paddr, ph.filesz, ph.memsz);
    }
    x86_boot_kernel_end = end;

    HVMStartInfo si = {
        .magic = HVM_START_MAGIC,
        .version = 1,
    };
    const char *cmdline = ms->append ? ms->append : "";
    memory_write(X86_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);
    si.cmdline_paddr = X86_CMDLINE_ADDR;

    E820Entry e820[32];
    unsigned ne = e820_table(ms, e820, G_N_ELEMENTS(e820));
    for (unsigned i = 0; i < ne; i++) {
        HVMMemmapEntry m = {
            .addr = e820[i].addr, .size = e820[i].size, .type = e820[i].type,
        };
        memory_write(X86_MEMMAP_ADDR + i * sizeof(m), &m, sizeof(m));
    }
    si.memmap_paddr = X86_MEMMAP_ADDR;
    si.rsdp_paddr = x86_boot_rsdp;
    si.memmap_entries = ne;

    uint64_t initrd, initrd_size;
    if (!x86_load_initrd(ms, 0xffffffff, &initrd, &initrd_size, errp)) {
        return false;
    }
    if (initrd_size) {
        HVMModlistEntry mod = { .paddr = initrd, .size = initrd_size };
        memory_write(X86_MODLIST_ADDR, &mod, sizeof(mod));
        si.nr_modules = 1;
        si.modlist_paddr = X86_MODLIST_ADDR;
    }
    memory_write(X86_BOOT_INFO_ADDR, &si, sizeof(si));

    x86_write_gdt(false);
    x86_boot.mode = X86_BOOT_PROT32;
    x86_boot.rip = entry;
    x86_boot.rbx = X86_BOOT_INFO_ADDR;
    return true;
}
