/*
 * memory-backend-ram, -memfd and -file: map guest RAM, shared or private,
 * optionally on hugepages and preallocated.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "system/hostmem.h"
#include "system/main-loop.h"
#include "system/options.h"
#include "system/registry.h"
#include "util/fdset.h"
#include "util/trace.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static GPtrArray *backends;

static const char *const kind_names[] = {
    [HOSTMEM_RAM] = "memory-backend-ram",
    [HOSTMEM_MEMFD] = "memory-backend-memfd",
    [HOSTMEM_FILE] = "memory-backend-file",
};

const char *host_memory_backend_type(const HostMemoryBackend *be)
{
    return kind_names[be->kind];
}

HostMemoryBackend *host_memory_backend_new(HostMemKind kind, const char *id,
                                           uint64_t size)
{
    HostMemoryBackend *be = g_new0(HostMemoryBackend, 1);
    be->kind = kind;
    be->id = g_strdup(id);
    be->size = size;
    be->share = kind == HOSTMEM_MEMFD;
    be->fd = -1;
    be->ptr = MAP_FAILED;
    be->page_size = getpagesize();
    if (!backends) {
        backends = g_ptr_array_new();
    }
    g_ptr_array_add(backends, be);
    return be;
}

HostMemoryBackend *host_memory_backend_find(const char *id)
{
    for (unsigned i = 0; backends && i < backends->len; i++) {
        HostMemoryBackend *be = g_ptr_array_index(backends, i);
        if (!strcmp(be->id, id)) {
            return be;
        }
    }
    return NULL;
}

bool host_memory_backend_is_shareable(const HostMemoryBackend *be)
{
    return be->share && be->fd >= 0;
}

static uint64_t default_hugepage_size(void)
{
    char *text = NULL;
    uint64_t kb = 2048;
    if (g_file_get_contents("/proc/meminfo", &text, NULL, NULL)) {
        const char *p = strstr(text, "Hugepagesize:");
        if (p) {
            kb = g_ascii_strtoull(p + 13, NULL, 10);
        }
        g_free(text);
    }
    return kb << 10;
}

static char *hugepage_hint(uint64_t page_size, uint64_t size)
{
    return g_strdup_printf("this needs %" PRIu64 " free hugepages of %" PRIu64
                           " KiB: reserve them with 'echo N > /sys/kernel/mm/"
                           "hugepages/hugepages-%" PRIu64 "kB/nr_hugepages'",
                           size / page_size, page_size >> 10, page_size >> 10);
}

static bool open_file(HostMemoryBackend *be, Error **errp)
{
    struct stat st;
    const char *path = be->mem_path;

    if (!fdset_is_path(path) && stat(path, &st) < 0 && errno == ENOENT) {
        /* Unlike QEMU, a missing path is not created: it is most often a
         * typo for the hugetlbfs mount, and the file would be left behind
         * holding the guest's RAM. */
        error_setg(errp, "memory backend '%s': mem-path %s does not exist",
                   be->id, path);
        error_append_hint(errp, "give an existing directory, such as a "
                          "hugetlbfs mount, where vmu puts an unlinked file, "
                          "or create the file first: truncate -s %" PRIu64
                          "M %s", be->size >> 20, path);
        return false;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        char *tmpl = g_strdup_printf("%s/vmu_%s_XXXXXX", path, be->id);
        be->fd = mkostemp(tmpl, O_CLOEXEC);
        if (be->fd < 0) {
            error_setg_errno(errp, errno, "memory backend '%s': cannot "
                             "create a file in mem-path %s", be->id, path);
            g_free(tmpl);
            return false;
        }
        /* Nobody else needs the name: the fd is what gets shared. */
        unlink(tmpl);
        g_free(tmpl);
    } else {
        be->fd = fdset_open(path, O_RDWR | O_CLOEXEC, 0);
        if (be->fd < 0) {
            error_setg_errno(errp, errno, "memory backend '%s': cannot open "
                             "mem-path %s", be->id, path);
            error_append_hint(errp, "mem-path must be an existing directory "
                              "(such as a hugetlbfs mount) or file");
            return false;
        }
    }
    struct statfs fs;
    if (fstatfs(be->fd, &fs) == 0 && fs.f_type == HUGETLBFS_MAGIC) {
        be->hugetlb = true;
        be->page_size = fs.f_bsize;
    }
    return true;
}

static bool populate(HostMemoryBackend *be, Error **errp)
{
    /* A private mapping gets its own (already reserved) pages, not the
     * file's: reserving the file's too would need the memory twice. */
    if (be->fd >= 0 && be->share) {
        /* Reserves the pages up front: a shortage is ENOSPC, not SIGBUS. */
        int r = posix_fallocate(be->fd, be->fd_offset, be->size);
        if (r == ENOSPC || (r && be->hugetlb)) {
            error_setg(errp, "memory backend '%s': cannot preallocate %"
                       PRIu64 " MiB: %s", be->id, be->size >> 20,
                       strerror(r));
            if (be->hugetlb) {
                char *h = hugepage_hint(be->page_size, be->size);
                error_append_hint(errp, "%s", h);
                g_free(h);
            }
            return false;
        }
    }
    if (madvise(be->ptr, be->size, MADV_POPULATE_WRITE) == 0) {
        return true;
    }
    if (errno != EINVAL) {
        error_setg_errno(errp, errno, "memory backend '%s': cannot "
                         "preallocate %" PRIu64 " MiB", be->id,
                         be->size >> 20);
        return false;
    }
    /* Kernels before 5.14: touch each page. */
    for (uint64_t off = 0; off < be->size; off += be->page_size) {
        volatile char *p = (char *)be->ptr + off;
        *p = *p;
    }
    return true;
}

bool host_memory_backend_alloc(HostMemoryBackend *be, Error **errp)
{
    switch (be->kind) {
    case HOSTMEM_RAM:
        be->share = false;
        break;
    case HOSTMEM_MEMFD: {
        unsigned flags = MFD_CLOEXEC;
        if (be->hugetlb) {
            flags |= MFD_HUGETLB;
            be->page_size = default_hugepage_size();
        }
        char *name = g_strdup_printf("vmu-%s", be->id);
        be->fd = memfd_create(name, flags);
        g_free(name);
        if (be->fd < 0) {
            error_setg_errno(errp, errno, "memory backend '%s': memfd_create "
                             "failed", be->id);
            return false;
        }
        break;
    }
    case HOSTMEM_FILE:
        if (!open_file(be, errp)) {
            return false;
        }
        break;
    }
    if (be->size % be->page_size) {
        error_setg(errp, "memory backend '%s': size %" PRIu64 " is not a "
                   "multiple of its page size (%" PRIu64 " KiB)", be->id,
                   be->size, be->page_size >> 10);
        return false;
    }
    if (be->fd >= 0) {
        struct stat st;
        if (fstat(be->fd, &st) == 0 && (uint64_t)st.st_size < be->size &&
            ftruncate(be->fd, be->size) < 0) {
            error_setg_errno(errp, errno, "memory backend '%s': cannot size "
                             "it to %" PRIu64 " MiB", be->id, be->size >> 20);
            return false;
        }
    }
    int prot = PROT_READ | PROT_WRITE;
    int flags = be->share ? MAP_SHARED : MAP_PRIVATE;
    if (be->fd < 0) {
        be->ptr = mmap(NULL, be->size, prot, flags | MAP_ANONYMOUS |
                       MAP_NORESERVE, -1, 0);
    } else {
        be->ptr = mmap(NULL, be->size, prot, flags, be->fd, be->fd_offset);
    }
    if (be->ptr == MAP_FAILED) {
        error_setg_errno(errp, errno, "memory backend '%s': cannot map %"
                         PRIu64 " MiB of guest RAM", be->id, be->size >> 20);
        if (be->hugetlb) {
            char *h = hugepage_hint(be->page_size, be->size);
            error_append_hint(errp, "%s", h);
            g_free(h);
        }
        return false;
    }
    madvise(be->ptr, be->size, MADV_DONTDUMP);
    if (be->prealloc && !populate(be, errp)) {
        return false;
    }
    trace(hostmem_alloc, "%s %s size 0x%" PRIx64 " fd %d share %d page %"
          PRIu64, host_memory_backend_type(be), be->id, be->size, be->fd,
          be->share, be->page_size);
    return true;
}

void host_memory_backend_free(HostMemoryBackend *be)
{
    if (be->ptr != MAP_FAILED) {
        munmap(be->ptr, be->size);
    }
    if (be->fd >= 0) {
        close(be->fd);
    }
    g_ptr_array_remove(backends, be);
    g_free(be->id);
    g_free(be->mem_path);
    g_free(be);
}

static const OptDesc backend_desc[] = {
    { "size", OPT_SIZE, "size of the memory" },
    { "share", OPT_BOOL, "map shared so a vhost-user back-end can map it" },
    { "prealloc", OPT_BOOL, "touch every page before the guest starts" },
    { "mem-path", OPT_STRING, "file or directory (memory-backend-file)" },
    { "hugetlb", OPT_BOOL, "hugepages (memory-backend-memfd)" },
    { "hugetlbsize", OPT_SIZE, "hugepage size (the default only)" },
    { "seal", OPT_BOOL, "accepted (memory-backend-memfd)" },
    { "merge", OPT_BOOL, "accepted" },
    { "dump", OPT_BOOL, "accepted" },
    { "policy", OPT_STRING, "default only" },
    { "host-nodes", OPT_STRING, "not supported" },
    { "discard-data", OPT_BOOL, "accepted" },
    { "align", OPT_SIZE, "accepted" },
    { "readonly", OPT_BOOL, "off only" },
    { 0 },
};

static bool backend_check(const Opts *opts, Error **errp)
{
    const char *type = options_type(TYPE_KIND_OBJECT, opts);
    if (!opts_has(opts, "size")) {
        opts_error(opts, errp, "a memory backend needs size=SIZE (e.g. "
                   "size=1G)");
        return false;
    }
    uint64_t size = opts_get_size(opts, "size", 0);
    if (size < (2 << 20) || size % 4096) {
        opts_error(opts, errp, "size must be at least 2 MiB and a multiple "
                   "of 4 KiB");
        return false;
    }
    bool is_file = !strcmp(type, "memory-backend-file");
    if (is_file && !opts_has(opts, "mem-path")) {
        opts_error(opts, errp, "memory-backend-file needs mem-path=PATH (a "
                   "hugetlbfs mount, a directory or a file)");
        return false;
    }
    if (!is_file && opts_has(opts, "mem-path")) {
        opts_error(opts, errp, "mem-path is for memory-backend-file only");
        return false;
    }
    if (strcmp(type, "memory-backend-memfd") && opts_has(opts, "hugetlb")) {
        opts_error(opts, errp, "hugetlb is for memory-backend-memfd; for "
                   "files, put mem-path on a hugetlbfs mount");
        return false;
    }
    if (!strcmp(type, "memory-backend-ram") &&
        opts_get_bool(opts, "share", false)) {
        opts_error(opts, errp, "memory-backend-ram cannot be shared with "
                   "another process; use memory-backend-memfd");
        return false;
    }
    if (opts_has(opts, "host-nodes")) {
        opts_error(opts, errp, "host-nodes is not supported yet: bind vmu "
                   "with numactl instead");
        return false;
    }
    if (opts_get_bool(opts, "readonly", false)) {
        opts_error(opts, errp, "readonly guest RAM is not supported");
        return false;
    }
    return true;
}

static bool backend_create(const Opts *opts, Error **errp)
{
    const char *type = options_type(TYPE_KIND_OBJECT, opts);
    HostMemKind kind = !strcmp(type, "memory-backend-ram") ? HOSTMEM_RAM :
                       !strcmp(type, "memory-backend-memfd") ? HOSTMEM_MEMFD :
                       HOSTMEM_FILE;
    HostMemoryBackend *be = host_memory_backend_new(
        kind, opts_get(opts, "id"), opts_get_size(opts, "size", 0));
    be->share = opts_get_bool(opts, "share", kind == HOSTMEM_MEMFD);
    be->prealloc = opts_get_bool(opts, "prealloc", false);
    be->hugetlb = opts_get_bool(opts, "hugetlb", false);
    be->mem_path = g_strdup(opts_get(opts, "mem-path"));
    return host_memory_backend_alloc(be, errp);
}

static void hostmem_register(void)
{
    for (unsigned k = 0; k < G_N_ELEMENTS(kind_names); k++) {
        static TypeInfo infos[3];
        infos[k] = (TypeInfo) {
            .kind = TYPE_KIND_OBJECT,
            .name = kind_names[k],
            .help = "guest RAM",
            .opts = backend_desc,
            .needs_id = true,
            .check = backend_check,
            .create = backend_create,
        };
        type_register(&infos[k]);
    }
}
type_init(hostmem_register)
