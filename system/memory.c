/*
 * The one memory map: RAM ranges and device regions, looked up by address.
 * Callers hold the machine lock.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "system/hostmem.h"
#include "system/memory.h"
#include "util/trace.h"

static GArray *ram;                 /* RAMRange, sorted by gpa */
static GPtrArray *regions[2];       /* IORegion *, sorted by base */
static MemoryListener *listeners;

static int cmp_region(const void *a, const void *b)
{
    const IORegion *ra = *(IORegion *const *)a, *rb = *(IORegion *const *)b;
    return ra->base < rb->base ? -1 : ra->base > rb->base;
}

void io_region_init(IORegion *r, const char *name, AddressSpaceId as,
                    uint64_t size, const MemoryRegionOps *ops, void *opaque)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->as = as;
    r->size = size;
    r->ops = ops;
    r->opaque = opaque;
}

/* Written without a + alen so that a range ending at 2^64 cannot wrap. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a >= b ? a - b < blen : b - a < alen;
}

bool io_region_map(IORegion *r, uint64_t base, Error **errp)
{
    if (!regions[r->as]) {
        regions[r->as] = g_ptr_array_new();
    }
    if (r->mapped) {
        io_region_unmap(r);
    }
    GPtrArray *a = regions[r->as];
    for (unsigned i = 0; i < a->len; i++) {
        IORegion *o = g_ptr_array_index(a, i);
        if (overlaps(base, r->size, o->base, o->size)) {
            error_setg(errp, "%s at 0x%" PRIx64 "+0x%" PRIx64 " overlaps %s "
                       "at 0x%" PRIx64 "+0x%" PRIx64, r->name, base, r->size,
                       o->name, o->base, o->size);
            return false;
        }
    }
    if (r->as == AS_MEMORY && ram) {
        for (unsigned i = 0; i < ram->len; i++) {
            RAMRange *m = &g_array_index(ram, RAMRange, i);
            if (overlaps(base, r->size, m->gpa, m->size)) {
                error_setg(errp, "%s at 0x%" PRIx64 " overlaps guest RAM",
                           r->name, base);
                return false;
            }
        }
    }
    r->base = base;
    r->mapped = true;
    g_ptr_array_add(a, r);
    g_ptr_array_sort(a, cmp_region);
    trace(memory_region_map, "%s %s 0x%" PRIx64 "+0x%" PRIx64, r->name,
          r->as == AS_IO ? "io" : "mem", base, r->size);
    return true;
}

void io_region_unmap(IORegion *r)
{
    if (r->mapped) {
        g_ptr_array_remove(regions[r->as], r);
        r->mapped = false;
        trace(memory_region_unmap, "%s 0x%" PRIx64, r->name, r->base);
    }
}

static IORegion *region_find(AddressSpaceId as, uint64_t addr)
{
    GPtrArray *a = regions[as];
    if (!a) {
        return NULL;
    }
    unsigned lo = 0, hi = a->len;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        IORegion *r = g_ptr_array_index(a, mid);
        if (addr < r->base) {
            hi = mid;
        } else if (addr - r->base >= r->size) {
            lo = mid + 1;
        } else {
            return r;
        }
    }
    return NULL;
}

/*
 * Lowest region base above addr, or 0 when none: nothing can start above
 * addr at 0, and UINT64_MAX is a real base, so 0 is the one free sentinel.
 */
static uint64_t next_region_start(AddressSpaceId as, uint64_t addr)
{
    GPtrArray *a = regions[as];
    uint64_t next = 0;
    for (unsigned i = 0; a && i < a->len; i++) {
        IORegion *r = g_ptr_array_index(a, i);
        if (r->base > addr && (!next || r->base < next)) {
            next = r->base;
        }
    }
    return next;
}

static uint64_t ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

uint64_t io_read(AddressSpaceId as, uint64_t addr, unsigned size)
{
    IORegion *r = region_find(as, addr);
    if (!r || size > r->size - (addr - r->base) || !r->ops->read) {
        return ones(size);
    }
    return r->ops->read(r->opaque, addr - r->base, size) & ones(size);
}

void io_write(AddressSpaceId as, uint64_t addr, uint64_t value, unsigned size)
{
    IORegion *r = region_find(as, addr);
    if (!r || size > r->size - (addr - r->base) || !r->ops->write) {
        return;
    }
    r->ops->write(r->opaque, addr - r->base, value & ones(size), size);
}

static int cmp_ram(const void *a, const void *b)
{
    const RAMRange *ra = a, *rb = b;
    return ra->gpa < rb->gpa ? -1 : ra->gpa > rb->gpa;
}

bool memory_map_add_ram(uint64_t gpa, uint64_t size, HostMemoryBackend *be,
                        uint64_t offset, Error **errp)
{
    if (!ram) {
        ram = g_array_new(FALSE, TRUE, sizeof(RAMRange));
    }
    if (offset + size > be->size) {
        error_setg(errp, "RAM range 0x%" PRIx64 "+0x%" PRIx64 " is past the "
                   "end of memory backend '%s'", gpa, size, be->id);
        return false;
    }
    for (unsigned i = 0; i < ram->len; i++) {
        RAMRange *m = &g_array_index(ram, RAMRange, i);
        if (overlaps(gpa, size, m->gpa, m->size)) {
            error_setg(errp, "RAM range 0x%" PRIx64 "+0x%" PRIx64 " overlaps "
                       "another", gpa, size);
            return false;
        }
    }
    RAMRange r = {
        .gpa = gpa,
        .size = size,
        .hva = (char *)be->ptr + offset,
        .fd = be->fd,
        .fd_offset = be->fd_offset + offset,
        .backend = be,
    };
    g_array_append_val(ram, r);
    g_array_sort(ram, cmp_ram);
    trace(memory_map_add_ram, "gpa 0x%" PRIx64 " size 0x%" PRIx64 " fd %d "
          "offset 0x%" PRIx64 " backend %s", gpa, size, r.fd, r.fd_offset,
          be->id);
    for (MemoryListener *l = listeners; l; l = l->next) {
        l->ram_add(l, &r);
    }
    return true;
}

const RAMRange *memory_map_ram(unsigned *n)
{
    *n = ram ? ram->len : 0;
    return ram ? (const RAMRange *)ram->data : NULL;
}

static const RAMRange *ram_find(uint64_t gpa)
{
    for (unsigned i = 0; ram && i < ram->len; i++) {
        const RAMRange *m = &g_array_index(ram, RAMRange, i);
        if (gpa >= m->gpa && gpa - m->gpa < m->size) {
            return m;
        }
    }
    return NULL;
}

void *gpa_to_hva(uint64_t gpa, uint64_t len)
{
    const RAMRange *m = ram_find(gpa);
    if (!m || len > m->size - (gpa - m->gpa)) {
        return NULL;
    }
    return (char *)m->hva + (gpa - m->gpa);
}

const RAMRange *memory_map_find_hva(const void *hva, uint64_t len)
{
    uintptr_t p = (uintptr_t)hva;
    for (unsigned i = 0; ram && i < ram->len; i++) {
        const RAMRange *m = &g_array_index(ram, RAMRange, i);
        uintptr_t base = (uintptr_t)m->hva;
        if (p >= base && p - base < m->size && len <= m->size - (p - base)) {
            return m;
        }
    }
    return NULL;
}

/* Lowest RAM start above gpa, or 0 when none (as next_region_start). */
static uint64_t next_ram_start(uint64_t gpa)
{
    uint64_t next = 0;
    for (unsigned i = 0; ram && i < ram->len; i++) {
        const RAMRange *m = &g_array_index(ram, RAMRange, i);
        if (m->gpa > gpa && (!next || m->gpa < next)) {
            next = m->gpa;
        }
    }
    return next;
}

/* Largest naturally aligned access size at addr that fits in len. */
static unsigned access_size(uint64_t addr, size_t len)
{
    unsigned size = 8;
    while (size > 1 && ((addr & (size - 1)) || size > len)) {
        size >>= 1;
    }
    return size;
}

/*
 * Every step below moves gpa forward by at least one byte, so an access
 * always ends, whatever address a guest or qtest client chose.
 */
static void memory_access(uint64_t gpa, uint8_t *buf, size_t len, bool write)
{
    /*
     * No byte exists past 2^64 - 1: an access that would wrap is cut at the
     * top of the address space (the cut part reads as all-ones, writes to it
     * are dropped) instead of wrapping round to address 0.
     */
    if (len && gpa + (len - 1) < gpa) {
        size_t inside = (size_t)(0 - gpa);
        if (!write) {
            memset(buf + inside, 0xff, len - inside);
        }
        len = inside;
    }
    while (len) {
        const RAMRange *m = ram_find(gpa);
        if (m) {
            uint64_t off = gpa - m->gpa;
            size_t n = MIN(len, m->size - off);
            if (write) {
                memcpy((char *)m->hva + off, buf, n);
            } else {
                memcpy(buf, (char *)m->hva + off, n);
            }
            gpa += n;
            buf += n;
            len -= n;
            continue;
        }
        IORegion *r = region_find(AS_MEMORY, gpa);
        if (r) {
            size_t room = MIN(len, r->size - (gpa - r->base));
            unsigned size = access_size(gpa, room);
            uint64_t v = 0;
            if (write) {
                memcpy(&v, buf, size);
                io_write(AS_MEMORY, gpa, v, size);
            } else {
                v = io_read(AS_MEMORY, gpa, size);
                memcpy(buf, &v, size);
            }
            gpa += size;
            buf += size;
            len -= size;
            continue;
        }
        /* A hole: it ends where the next mapping starts, or with len. */
        uint64_t ram_next = next_ram_start(gpa);
        uint64_t io_next = next_region_start(AS_MEMORY, gpa);
        uint64_t next = !ram_next ? io_next :
                        !io_next ? ram_next : MIN(ram_next, io_next);
        size_t n = next && next - gpa < len ? (size_t)(next - gpa) : len;
        if (!write) {
            memset(buf, 0xff, n);
        }
        gpa += n;
        buf += n;
        len -= n;
    }
}

void memory_read(uint64_t gpa, void *buf, size_t len)
{
    memory_access(gpa, buf, len, false);
}

void memory_write(uint64_t gpa, const void *buf, size_t len)
{
    memory_access(gpa, (uint8_t *)buf, len, true);
}

void memory_listener_register(MemoryListener *l)
{
    l->next = listeners;
    listeners = l;
    for (unsigned i = 0; ram && i < ram->len; i++) {
        l->ram_add(l, &g_array_index(ram, RAMRange, i));
    }
}

void memory_map_reset(void)
{
    if (ram) {
        g_array_set_size(ram, 0);
    }
    for (unsigned as = 0; as < 2; as++) {
        while (regions[as] && regions[as]->len) {
            io_region_unmap(g_ptr_array_index(regions[as], 0));
        }
    }
    listeners = NULL;
}
