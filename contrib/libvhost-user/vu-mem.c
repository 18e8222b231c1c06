/*
 * Guest memory as the front-end shares it: a table of regions, each an fd
 * mapped at its mmap_offset, and the two translations a back-end needs
 * (front-end virtual addresses for rings, guest physical for buffers).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libvhost-user.h"
#include "vu-internal.h"
#include "util/fdpass.h"
#include "util/trace.h"

void *vu_gpa_to_va(VuDev *dev, uint64_t gpa, uint64_t *len)
{
    for (unsigned i = 0; i < dev->nregions; i++) {
        VuRegion *r = &dev->regions[i];
        if (gpa >= r->gpa && gpa - r->gpa < r->size) {
            uint64_t left = r->size - (gpa - r->gpa);
            if (*len > left) {
                *len = left;
            }
            return r->host + (gpa - r->gpa);
        }
    }
    return NULL;
}

void *vu_uva_to_va(VuDev *dev, uint64_t uva, uint64_t len)
{
    for (unsigned i = 0; i < dev->nregions; i++) {
        VuRegion *r = &dev->regions[i];
        if (uva >= r->uva && uva - r->uva < r->size &&
            len <= r->size - (uva - r->uva)) {
            return r->host + (uva - r->uva);
        }
    }
    return NULL;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Sanity of one region against itself and the regions in table[0..n). */
static bool region_check(const VhostUserMemRegion *r, unsigned idx,
                         const VuRegion *table, unsigned n, Error **errp)
{
    if (r->memory_size == 0) {
        error_setg(errp, "memory region %u (guest address 0x%" PRIx64 ") has "
                   "size 0", idx, r->guest_phys_addr);
        return false;
    }
    if (r->guest_phys_addr + r->memory_size < r->guest_phys_addr ||
        r->userspace_addr + r->memory_size < r->userspace_addr ||
        r->mmap_offset + r->memory_size < r->mmap_offset) {
        error_setg(errp, "memory region %u (guest address 0x%" PRIx64 ", size "
                   "0x%" PRIx64 ") wraps around the address space", idx,
                   r->guest_phys_addr, r->memory_size);
        return false;
    }
    for (unsigned j = 0; j < n; j++) {
        if (ranges_overlap(r->guest_phys_addr, r->memory_size, table[j].gpa,
                           table[j].size)) {
            error_setg(errp, "memory region %u (guest 0x%" PRIx64 "+0x%" PRIx64
                       ") overlaps region at guest 0x%" PRIx64 "+0x%" PRIx64,
                       idx, r->guest_phys_addr, r->memory_size, table[j].gpa,
                       table[j].size);
            return false;
        }
        if (ranges_overlap(r->userspace_addr, r->memory_size, table[j].uva,
                           table[j].size)) {
            error_setg(errp, "memory region %u (front-end address 0x%" PRIx64
                       "+0x%" PRIx64 ") overlaps region at 0x%" PRIx64
                       "+0x%" PRIx64, idx, r->userspace_addr, r->memory_size,
                       table[j].uva, table[j].size);
            return false;
        }
    }
    return true;
}

static bool region_map(VuRegion *out, const VhostUserMemRegion *r, int fd,
                       unsigned idx, Error **errp)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t start = r->mmap_offset & ~(uint64_t)(page - 1);
    uint64_t len = r->memory_size + (r->mmap_offset - start);
    struct stat st;
    void *p;

    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "memory region %u: bad file descriptor",
                         idx);
        return false;
    }
    if (S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size < r->mmap_offset + r->memory_size) {
        error_setg(errp, "memory region %u (offset 0x%" PRIx64 ", size 0x%"
                   PRIx64 ") extends past the end of its file (0x%" PRIx64
                   " bytes)", idx, r->mmap_offset, r->memory_size,
                   (uint64_t)st.st_size);
        return false;
    }
    if (len > SIZE_MAX) {
        error_setg(errp, "memory region %u is too large to map", idx);
        return false;
    }
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
             fd, start);
    if (p == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map memory region %u (0x%" PRIx64
                         " bytes at offset 0x%" PRIx64 ")", idx, len, start);
        return false;
    }
    *out = (VuRegion){
        .gpa = r->guest_phys_addr, .size = r->memory_size,
        .uva = r->userspace_addr, .mmap_offset = r->mmap_offset,
        .host = (uint8_t *)p + (r->mmap_offset - start),
        .map_base = p, .map_len = len,
    };
    return true;
}

static void region_unmap(VuRegion *r)
{
    if (r->map_base) {
        munmap(r->map_base, r->map_len);
    }
    memset(r, 0, sizeof(*r));
}

void vu_mem_unmap_all(VuDev *dev)
{
    for (unsigned i = 0; i < dev->nregions; i++) {
        region_unmap(&dev->regions[i]);
    }
    dev->nregions = 0;
}

bool vu_mem_set_table(VuDev *dev, const VhostUserMemory *m, int *fds,
                      size_t nfds, Error **errp)
{
    VuRegion table[VHOST_USER_MEMORY_MAX_NREGIONS];
    unsigned n = 0;

    if (m->nregions != nfds) {
        error_setg(errp, "SET_MEM_TABLE lists %u regions but %zu file "
                   "descriptors came with it", m->nregions, nfds);
        return false;
    }
    for (unsigned i = 0; i < m->nregions; i++) {
        if (!region_check(&m->regions[i], i, table, n, errp) ||
            !region_map(&table[n], &m->regions[i], fds[i], i, errp)) {
            while (n) {
                region_unmap(&table[--n]);
            }
            return false;
        }
        n++;
    }
    vu_mem_unmap_all(dev);
    memcpy(dev->regions, table, n * sizeof(table[0]));
    dev->nregions = n;
    for (unsigned i = 0; i < n; i++) {
        trace(libvhost_user_region, "%s: region %u gpa 0x%" PRIx64 " size 0x%"
              PRIx64 " uva 0x%" PRIx64 " mapped at %p", dev->name, i,
              table[i].gpa, table[i].size, table[i].uva, table[i].host);
    }
    /* The fds are no longer needed: the mappings keep the memory. */
    fdpass_close_fds(fds, nfds);
    vu_virtq_remap_all(dev);
    return true;
}

bool vu_mem_add_region(VuDev *dev, const VhostUserMemRegion *r, int *fds,
                       size_t nfds, Error **errp)
{
    if (nfds != 1) {
        error_setg(errp, "ADD_MEM_REG came with %zu file descriptors, "
                   "expected 1", nfds);
        return false;
    }
    if (dev->nregions >= VU_MAX_MEM_SLOTS) {
        error_setg(errp, "ADD_MEM_REG: all %d memory slots are in use",
                   VU_MAX_MEM_SLOTS);
        return false;
    }
    if (!region_check(r, dev->nregions, dev->regions, dev->nregions, errp) ||
        !region_map(&dev->regions[dev->nregions], r, fds[0], dev->nregions,
                    errp)) {
        return false;
    }
    dev->nregions++;
    fdpass_close_fds(fds, nfds);
    vu_virtq_remap_all(dev);
    return true;
}

bool vu_mem_remove_region(VuDev *dev, const VhostUserMemRegion *r,
                          Error **errp)
{
    for (unsigned i = 0; i < dev->nregions; i++) {
        if (dev->regions[i].gpa == r->guest_phys_addr &&
            dev->regions[i].size == r->memory_size) {
            region_unmap(&dev->regions[i]);
            memmove(&dev->regions[i], &dev->regions[i + 1],
                    (dev->nregions - i - 1) * sizeof(dev->regions[0]));
            dev->nregions--;
            vu_virtq_remap_all(dev);
            return true;
        }
    }
    error_setg(errp, "REM_MEM_REG: no region at guest address 0x%" PRIx64
               " with size 0x%" PRIx64, r->guest_phys_addr, r->memory_size);
    return false;
}
