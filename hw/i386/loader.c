/*
 * -kernel, -initrd, -append: pick the loader by format (an ELF with a Xen
 * PVH note, or a bzImage), check everything before anything is created,
 * and put the pieces shared by both boot paths (GDT, initrd) in guest RAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/i386/boot.h"
#include "hw/i386/pc.h"
#include "system/memory.h"
#include "util/trace.h"

X86BootState x86_boot;

static GMappedFile *kernel_map(const char *path, Error **errp)
{
    GError *gerr = NULL;
    GMappedFile *f = g_mapped_file_new(path, FALSE, &gerr);
    if (!f) {
        error_setg(errp, "-kernel %s: cannot read it: %s", path,
                   gerr->message);
        g_error_free(gerr);
    }
    return f;
}

static bool kernel_format(const char *path, const uint8_t *img, size_t len,
                          bool *is_pvh, Error **errp)
{
    uint32_t entry;
    if (pvh_probe(img, len, &entry)) {
        *is_pvh = true;
        return true;
    }
    if (bzimage_probe(img, len)) {
        *is_pvh = false;
        return true;
    }
    bool elf = len >= 4 && !memcmp(img, "\177ELF", 4);
    error_setg(errp, "-kernel %s: not a PVH ELF nor a bzImage%s", path,
               elf ? ": an ELF without a Xen PVH note cannot be booted; use "
               "a kernel built with CONFIG_PVH or its bzImage" : "");
    if (!elf) {
        error_append_hint(errp, "give a vmlinux built with CONFIG_PVH, a "
                          "bzImage (arch/x86/boot/bzImage, /boot/vmlinuz-*) "
                          "or vmu's test firmware");
    }
    return false;
}

bool x86_kernel_check(const MachineState *ms, Error **errp)
{
    if (!ms->kernel) {
        return true;
    }
    GMappedFile *f = kernel_map(ms->kernel, errp);
    if (!f) {
        return false;
    }
    bool is_pvh;
    bool ok = kernel_format(ms->kernel,
                            (const uint8_t *)g_mapped_file_get_contents(f),
                            g_mapped_file_get_length(f), &is_pvh, errp);
    g_mapped_file_unref(f);
    if (!ok) {
        return false;
    }
    if (ms->append && strlen(ms->append) >= X86_CMDLINE_MAX) {
        error_setg(errp, "-append: the command line is %zu bytes; vmu "
                   "passes at most %d", strlen(ms->append),
                   X86_CMDLINE_MAX - 1);
        return false;
    }
    if (ms->initrd) {
        int fd = open(ms->initrd, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            error_setg_errno(errp, errno, "-initrd %s: cannot read it",
                             ms->initrd);
            if (fd >= 0) {
                close(fd);
            }
            return false;
        }
        close(fd);
        /* The kernel needs RAM too; 16 MiB is a floor, not an estimate. */
        uint64_t top = x86_low_ram_top(ms);
        uint64_t room = top > (16 << 20) ? top - (16 << 20) : 0;
        if ((uint64_t)st.st_size > room) {
            error_setg(errp, "-initrd %s (%" PRIu64 " MiB) does not fit in "
                       "guest RAM below 4 GiB (%" PRIu64 " MiB, of which "
                       "the kernel needs some): give more -m or a smaller "
                       "initrd", ms->initrd, (uint64_t)st.st_size >> 20,
                       top >> 20);
            return false;
        }
    }
    return true;
}

bool x86_load_initrd(MachineState *ms, uint64_t max_addr, uint64_t *gpa,
                     uint64_t *size, Error **errp)
{
    *gpa = 0;
    *size = 0;
    if (!ms->initrd) {
        return true;
    }
    int fd = open(ms->initrd, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "-initrd %s: cannot read it",
                         ms->initrd);
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    uint64_t top = MIN(max_addr + 1, x86_low_ram_top(ms)) & ~0xfffULL;
    uint64_t len = st.st_size;
    if (len > top || ((top - len) & ~0xfffULL) < x86_boot_kernel_end) {
        error_setg(errp, "-initrd %s (%" PRIu64 " MiB) does not fit in guest "
                   "RAM between the kernel and 0x%" PRIx64 ": give more -m "
                   "or a smaller initrd", ms->initrd, len >> 20, top);
        close(fd);
        return false;
    }
    uint64_t addr = (top - len) & ~0xfffULL;
    uint8_t *p = gpa_to_hva(addr, len);
    uint64_t done = 0;
    while (p && done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            error_setg_errno(errp, n < 0 ? errno : EIO, "-initrd %s: cannot "
                             "read it", ms->initrd);
            close(fd);
            return false;
        }
        done += n;
    }
    close(fd);
    *gpa = addr;
    *size = len;
    trace(x86_load_initrd, "%s at 0x%" PRIx64 " size 0x%" PRIx64, ms->initrd,
          addr, len);
    return true;
}

void x86_write_gdt(bool code64)
{
    uint64_t gdt[4] = {
        0,
        0,
        code64 ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL,  /* 0x10 */
        0x00cf93000000ffffULL,                                   /* 0x18 */
    };
    memory_write(X86_GDT_ADDR, gdt, sizeof(gdt));
    x86_boot.gdt_base = X86_GDT_ADDR;
    x86_boot.gdt_limit = sizeof(gdt) - 1;
}

uint64_t x86_boot_kernel_end;

bool x86_load_kernel(MachineState *ms, Error **errp)
{
    if (!ms->kernel) {
        return true;
    }
    GMappedFile *f = kernel_map(ms->kernel, errp);
    if (!f) {
        return false;
    }
    const uint8_t *img = (const uint8_t *)g_mapped_file_get_contents(f);
    size_t len = g_mapped_file_get_length(f);
    bool is_pvh;
    bool ok = kernel_format(ms->kernel, img, len, &is_pvh, errp);
    if (ok) {
        ok = is_pvh ? pvh_load(ms, img, len, errp)
                    : bzimage_load(ms, img, len, errp);
    }
    g_mapped_file_unref(f);
    if (ok) {
        trace(x86_load_kernel, "%s: %s entry 0x%" PRIx64, ms->kernel,
              is_pvh ? "PVH" : "bzImage", x86_boot.rip);
    }
    return ok;
}
