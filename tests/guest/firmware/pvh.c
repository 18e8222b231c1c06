/* pvh.c - access to the PVH boot information (struct hvm_start_info) that
 * the VMM passes in %ebx: magic check, command line and E820-style memmap.
 * Everything is identity mapped, so physical addresses are used directly. */
#include "fw.h"

static const struct hvm_start_info *si;

bool pvh_init(uint32_t start_info_pa)
{
    const struct hvm_start_info *p =
        (const struct hvm_start_info *)(uintptr_t)start_info_pa;

    if (start_info_pa == 0 || p->magic != HVM_START_MAGIC) {
        return false;
    }
    si = p;
    return true;
}

const char *pvh_cmdline(void)
{
    if (!si || !si->cmdline_paddr) {
        return "";
    }
    return (const char *)(uintptr_t)si->cmdline_paddr;
}

uint32_t pvh_memmap_count(void)
{
    if (!si || si->version < 1 || !si->memmap_paddr) {
        return 0;
    }
    return si->memmap_entries;
}

const struct hvm_memmap_entry *pvh_memmap_entry(uint32_t i)
{
    const struct hvm_memmap_entry *m =
        (const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
    return &m[i];
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
