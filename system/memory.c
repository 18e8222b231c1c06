/*
 * The one memory map: RAM ranges, ROMs, shadow windows and device regions,
 * looked up by address, and the CPU's view of host memory built from them
 * for the listeners (KVM slots).  Callers hold the machine lock.
 */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "system/hostmem.h"
#include "system/memory.h"
#include "util/trace.h"

/* A piece of the CPU's view: part of a RAM range or ROM, maybe read-only. */
typedef struct ViewPiece {
    RAMRange r;
    bool readonly;
} ViewPiece;

static GArray *ram;                 /* RAMRange, sorted by gpa */
static GArray *roms;                /* RAMRange (read-only), sorted by gpa */
static GPtrArray *windows;          /* ShadowWindow *, sorted by gpa */
static GArray *view;                /* the CPU's view: ViewPiece, by gpa */
static GPtrArray *regions[2];       /* IORegion *, sorted by base */
static MemoryListener *listeners;

static void view_update(void);
static bool ram_overlap_check(GArray *other, uint64_t gpa, uint64_t size,
                              const char *what, Error **errp);
static ShadowWindow *window_find(uint64_t gpa);
static void memory_access(uint64_t gpa, uint8_t *buf, size_t len,
                          bool write);

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
    for (unsigned i = 0; r->as == AS_MEMORY && roms && i < roms->len; i++) {
        RAMRange *m = &g_array_index(roms, RAMRange, i);
        if (overlaps(base, r->size, m->gpa, m->size)) {
            error_setg(errp, "%s at 0x%" PRIx64 " overlaps ROM '%s'",
                       r->name, base, m->backend->id);
            return false;
        }
    }
    for (unsigned i = 0; r->as == AS_MEMORY && windows && i < windows->len;
         i++) {
        ShadowWindow *w = g_ptr_array_index(windows, i);
        if (overlaps(base, r->size, w->gpa, w->size)) {
            error_setg(errp, "%s at 0x%" PRIx64 " overlaps shadow window %s",
                       r->name, base, w->name);
            return false;
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
    if (as == AS_MEMORY && window_find(addr)) {
        uint64_t v = 0;
        memory_access(addr, (uint8_t *)&v, size, false);
        return v & ones(size);
    }
    IORegion *r = region_find(as, addr);
    if (!r || size > r->size - (addr - r->base) || !r->ops->read) {
        return ones(size);
    }
    return r->ops->read(r->opaque, addr - r->base, size) & ones(size);
}

void io_write(AddressSpaceId as, uint64_t addr, uint64_t value, unsigned size)
{
    if (as == AS_MEMORY && window_find(addr)) {
        memory_access(addr, (uint8_t *)&value, size, true);
        return;
    }
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

static const RAMRange *range_overlapping(GArray *a, uint64_t gpa,
                                         uint64_t size)
{
    for (unsigned i = 0; a && i < a->len; i++) {
        const RAMRange *m = &g_array_index(a, RAMRange, i);
        if (overlaps(gpa, size, m->gpa, m->size)) {
            return m;
        }
    }
    return NULL;
}

/* Add a piece of be to a, kept sorted; the copy in a. */
static const RAMRange *range_insert(GArray *a, uint64_t gpa, uint64_t size,
                                    HostMemoryBackend *be, uint64_t offset)
{
    RAMRange r = {
        .gpa = gpa,
        .size = size,
        .hva = (char *)be->ptr + offset,
        .fd = be->fd,
        .fd_offset = be->fd_offset + offset,
        .backend = be,
    };
    g_array_append_val(a, r);
    g_array_sort(a, cmp_ram);
    for (unsigned i = 0; i < a->len; i++) {
        if (g_array_index(a, RAMRange, i).gpa == gpa) {
            return &g_array_index(a, RAMRange, i);
        }
    }
    return NULL;
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
    if (range_overlapping(ram, gpa, size)) {
        error_setg(errp, "RAM range 0x%" PRIx64 "+0x%" PRIx64 " overlaps "
                   "another", gpa, size);
        return false;
    }
    if (!ram_overlap_check(roms, gpa, size, "RAM", errp)) {
        return false;
    }
    const RAMRange *r = range_insert(ram, gpa, size, be, offset);
    trace(memory_map_add_ram, "gpa 0x%" PRIx64 " size 0x%" PRIx64 " fd %d "
          "offset 0x%" PRIx64 " backend %s", gpa, size, r->fd, r->fd_offset,
          be->id);
    view_update();
    return true;
}

/* ---- shadow windows and ROMs ---- */

static ShadowWindow *window_find(uint64_t gpa)
{
    for (unsigned i = 0; windows && i < windows->len; i++) {
        ShadowWindow *w = g_ptr_array_index(windows, i);
        if (gpa >= w->gpa && gpa - w->gpa < w->size) {
            return w;
        }
    }
    return NULL;
}

/* Is all of [gpa, gpa+size) inside shadow windows? */
static bool windows_cover(uint64_t gpa, uint64_t size)
{
    uint64_t at = gpa, end = gpa + size;
    for (unsigned i = 0; windows && i < windows->len && at < end; i++) {
        ShadowWindow *w = g_ptr_array_index(windows, i);
        if (w->gpa > at) {
            break;
        }
        at = MAX(at, w->gpa + w->size);
    }
    return at >= end;
}

/*
 * A RAM range and a ROM may share addresses only inside shadow windows,
 * where the window says which one the CPU reaches.
 */
static bool ram_overlap_check(GArray *other, uint64_t gpa, uint64_t size,
                              const char *what, Error **errp)
{
    for (unsigned i = 0; other && i < other->len; i++) {
        RAMRange *m = &g_array_index(other, RAMRange, i);
        if (!overlaps(gpa, size, m->gpa, m->size)) {
            continue;
        }
        uint64_t lo = MAX(gpa, m->gpa);
        uint64_t hi = MIN(gpa + size, m->gpa + m->size);
        if (!windows_cover(lo, hi - lo)) {
            error_setg(errp, "%s 0x%" PRIx64 "+0x%" PRIx64 " overlaps %s "
                       "'%s' outside a shadow window", what, gpa, size,
                       other == roms ? "ROM" : "guest RAM", m->backend->id);
            return false;
        }
    }
    return true;
}

static int cmp_window(const void *a, const void *b)
{
    const ShadowWindow *wa = *(ShadowWindow *const *)a;
    const ShadowWindow *wb = *(ShadowWindow *const *)b;
    return wa->gpa < wb->gpa ? -1 : wa->gpa > wb->gpa;
}

bool memory_map_add_rom(uint64_t gpa, uint64_t size, HostMemoryBackend *be,
                        uint64_t offset, Error **errp)
{
    if (!roms) {
        roms = g_array_new(FALSE, TRUE, sizeof(RAMRange));
    }
    if (!size || offset + size > be->size || gpa + size < gpa) {
        error_setg(errp, "ROM 0x%" PRIx64 "+0x%" PRIx64 " does not fit "
                   "memory backend '%s' or the address space", gpa, size,
                   be->id);
        return false;
    }
    const RAMRange *o = range_overlapping(roms, gpa, size);
    if (o) {
        error_setg(errp, "ROM 0x%" PRIx64 "+0x%" PRIx64 " overlaps ROM "
                   "'%s'", gpa, size, o->backend->id);
        return false;
    }
    if (!ram_overlap_check(ram, gpa, size, "ROM", errp)) {
        return false;
    }
    range_insert(roms, gpa, size, be, offset);
    trace(memory_map_add_rom, "gpa 0x%" PRIx64 " size 0x%" PRIx64 " backend "
          "%s offset 0x%" PRIx64, gpa, size, be->id, offset);
    view_update();
    return true;
}

bool memory_shadow_add(ShadowWindow *w, const char *name, uint64_t gpa,
                       uint64_t size, Error **errp)
{
    if (!windows) {
        windows = g_ptr_array_new();
    }
    for (unsigned i = 0; i < windows->len; i++) {
        ShadowWindow *o = g_ptr_array_index(windows, i);
        if (overlaps(gpa, size, o->gpa, o->size)) {
            error_setg(errp, "shadow window %s overlaps %s", name, o->name);
            return false;
        }
    }
    GPtrArray *a = regions[AS_MEMORY];
    for (unsigned i = 0; a && i < a->len; i++) {
        IORegion *o = g_ptr_array_index(a, i);
        if (overlaps(gpa, size, o->base, o->size)) {
            error_setg(errp, "shadow window %s overlaps %s", name, o->name);
            return false;
        }
    }
    *w = (ShadowWindow) { .name = name, .gpa = gpa, .size = size };
    g_ptr_array_add(windows, w);
    g_ptr_array_sort(windows, cmp_window);
    view_update();
    return true;
}

void memory_shadow_set(ShadowWindow *w, bool read_ram, bool write_ram)
{
    if (w->read_ram == read_ram && w->write_ram == write_ram) {
        return;
    }
    w->read_ram = read_ram;
    w->write_ram = write_ram;
    trace(memory_shadow_set, "%s 0x%" PRIx64 "+0x%" PRIx64 " reads %s, "
          "writes %s", w->name, w->gpa, w->size, read_ram ? "RAM" : "ROM",
          write_ram ? "RAM" : "ROM");
    view_update();
}

/* ---- the CPU's view, for the listeners ---- */

static const RAMRange *range_find(GArray *a, uint64_t gpa)
{
    for (unsigned i = 0; a && i < a->len; i++) {
        const RAMRange *m = &g_array_index(a, RAMRange, i);
        if (gpa >= m->gpa && gpa - m->gpa < m->size) {
            return m;
        }
    }
    return NULL;
}

/* [gpa, gpa+size) of r, which holds it. */
static ViewPiece range_piece(const RAMRange *r, uint64_t gpa, uint64_t size,
                             bool readonly)
{
    ViewPiece p = { .r = *r, .readonly = readonly };
    p.r.gpa = gpa;
    p.r.size = size;
    p.r.hva = (char *)r->hva + (gpa - r->gpa);
    p.r.fd_offset = r->fd_offset + (gpa - r->gpa);
    return p;
}

/* A RAM range or ROM, cut where shadow windows lie over it. */
static void view_add_cut(GArray *out, const RAMRange *r, bool readonly)
{
    uint64_t at = r->gpa, end = r->gpa + r->size;
    for (unsigned i = 0; windows && i < windows->len && at < end; i++) {
        ShadowWindow *w = g_ptr_array_index(windows, i);
        if (!overlaps(at, end - at, w->gpa, w->size)) {
            continue;
        }
        if (w->gpa > at) {
            ViewPiece p = range_piece(r, at, w->gpa - at, readonly);
            g_array_append_val(out, p);
        }
        at = MIN(end, w->gpa + w->size);
    }
    if (at < end) {
        ViewPiece p = range_piece(r, at, end - at, readonly);
        g_array_append_val(out, p);
    }
}

/*
 * What a window shows as host memory: RAM (read-only unless writes go to
 * it too), the ROM under it, or nothing: no host memory there (holes), or
 * reads and writes on different sides, which only user space can do.
 */
static bool window_piece(const ShadowWindow *w, ViewPiece *out)
{
    const RAMRange *m;
    if (w->read_ram) {
        m = range_find(ram, w->gpa);
    } else if (!w->write_ram) {
        m = range_find(roms, w->gpa);
    } else {
        return false;
    }
    if (!m || w->size > m->size - (w->gpa - m->gpa)) {
        return false;
    }
    *out = range_piece(m, w->gpa, w->size, !w->write_ram);
    return true;
}

/* Neighbouring windows showing neighbouring host memory: one piece. */
static void view_add_windows(GArray *out)
{
    ViewPiece cur;
    bool have = false;
    for (unsigned i = 0; windows && i < windows->len; i++) {
        ViewPiece p;
        if (!window_piece(g_ptr_array_index(windows, i), &p)) {
            if (have) {
                g_array_append_val(out, cur);
                have = false;
            }
            continue;
        }
        if (have && cur.r.gpa + cur.r.size == p.r.gpa &&
            cur.r.backend == p.r.backend && cur.readonly == p.readonly &&
            (char *)cur.r.hva + cur.r.size == (char *)p.r.hva) {
            cur.r.size += p.r.size;
            continue;
        }
        if (have) {
            g_array_append_val(out, cur);
        }
        cur = p;
        have = true;
    }
    if (have) {
        g_array_append_val(out, cur);
    }
}

static int cmp_piece(const void *a, const void *b)
{
    return cmp_ram(&((const ViewPiece *)a)->r, &((const ViewPiece *)b)->r);
}

static bool view_has(GArray *a, const ViewPiece *p)
{
    for (unsigned i = 0; a && i < a->len; i++) {
        const ViewPiece *q = &g_array_index(a, ViewPiece, i);
        if (q->r.gpa == p->r.gpa && q->r.size == p->r.size &&
            q->r.hva == p->r.hva && q->readonly == p->readonly) {
            return true;
        }
    }
    return false;
}

static unsigned batch_depth;
static bool batch_dirty;

void memory_map_begin(void)
{
    batch_depth++;
}

void memory_map_commit(void)
{
    if (batch_depth && !--batch_depth && batch_dirty) {
        view_update();
    }
}

/* Rebuild the view; tell the listeners what went, then what came. */
static void view_update(void)
{
    if (batch_depth) {
        batch_dirty = true;
        return;
    }
    batch_dirty = false;
    GArray *next = g_array_new(FALSE, TRUE, sizeof(ViewPiece));
    for (unsigned i = 0; ram && i < ram->len; i++) {
        view_add_cut(next, &g_array_index(ram, RAMRange, i), false);
    }
    for (unsigned i = 0; roms && i < roms->len; i++) {
        view_add_cut(next, &g_array_index(roms, RAMRange, i), true);
    }
    view_add_windows(next);
    g_array_sort(next, cmp_piece);
    for (unsigned i = 0; view && i < view->len; i++) {
        const ViewPiece *p = &g_array_index(view, ViewPiece, i);
        if (view_has(next, p)) {
            continue;
        }
        for (MemoryListener *l = listeners; l; l = l->next) {
            if (l->ram_del) {
                l->ram_del(l, &p->r);
            }
        }
    }
    for (unsigned i = 0; i < next->len; i++) {
        const ViewPiece *p = &g_array_index(next, ViewPiece, i);
        if (view_has(view, p)) {
            continue;
        }
        for (MemoryListener *l = listeners; l; l = l->next) {
            l->ram_add(l, &p->r, p->readonly);
        }
    }
    if (view) {
        g_array_free(view, TRUE);
    }
    view = next;
}

const RAMRange *memory_map_ram(unsigned *n)
{
    *n = ram ? ram->len : 0;
    return ram ? (const RAMRange *)ram->data : NULL;
}

void *gpa_to_hva(uint64_t gpa, uint64_t len)
{
    const RAMRange *m = range_find(ram, gpa);
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

/* Lowest start above gpa in a, or 0 when none (as next_region_start). */
static uint64_t next_range_start(GArray *a, uint64_t gpa, uint64_t next)
{
    for (unsigned i = 0; a && i < a->len; i++) {
        const RAMRange *m = &g_array_index(a, RAMRange, i);
        if (m->gpa > gpa && (!next || m->gpa < next)) {
            next = m->gpa;
        }
    }
    return next;
}

/* Lowest start of RAM, a ROM, a window or a region above gpa, or 0. */
static uint64_t next_start(uint64_t gpa)
{
    uint64_t next = next_range_start(ram, gpa, next_region_start(AS_MEMORY,
                                                                 gpa));
    next = next_range_start(roms, gpa, next);
    for (unsigned i = 0; windows && i < windows->len; i++) {
        ShadowWindow *w = g_ptr_array_index(windows, i);
        if (w->gpa > gpa && (!next || w->gpa < next)) {
            next = w->gpa;
        }
    }
    return next;
}

/*
 * Host memory at gpa as the CPU reaches it: a shadow window's side, else
 * RAM or a ROM.  Copies and returns how many bytes it handled (0: no host
 * memory is mapped there); writes to read-only memory are dropped.
 */
static size_t host_access(uint64_t gpa, uint8_t *buf, size_t len, bool write)
{
    ShadowWindow *w = window_find(gpa);
    const RAMRange *m;
    bool rom;
    uint64_t room;
    if (w) {
        rom = !(write ? w->write_ram : w->read_ram);
        m = range_find(rom ? roms : ram, gpa);
        room = w->size - (gpa - w->gpa);
        if (!m) {
            /* Nothing on that side: all-ones, writes dropped. */
            size_t n = MIN(len, room);
            if (!write) {
                memset(buf, 0xff, n);
            }
            return n;
        }
    } else {
        m = range_find(ram, gpa);
        rom = !m;
        m = m ? m : range_find(roms, gpa);
        if (!m) {
            return 0;
        }
        uint64_t next = 0;
        for (unsigned i = 0; windows && i < windows->len && !next; i++) {
            ShadowWindow *o = g_ptr_array_index(windows, i);
            next = o->gpa > gpa ? o->gpa : 0;
        }
        room = next ? next - gpa : UINT64_MAX;
    }
    uint64_t off = gpa - m->gpa;
    size_t n = MIN(len, MIN(room, m->size - off));
    if (!write) {
        memcpy(buf, (char *)m->hva + off, n);
    } else if (!rom) {
        memcpy((char *)m->hva + off, buf, n);
    }
    return n;
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
        size_t host = host_access(gpa, buf, len, write);
        if (host) {
            gpa += host;
            buf += host;
            len -= host;
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
        uint64_t next = next_start(gpa);
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
    for (unsigned i = 0; view && i < view->len; i++) {
        const ViewPiece *p = &g_array_index(view, ViewPiece, i);
        l->ram_add(l, &p->r, p->readonly);
    }
}

void memory_map_reset(void)
{
    batch_depth = 0;
    if (ram) {
        g_array_set_size(ram, 0);
    }
    if (roms) {
        g_array_set_size(roms, 0);
    }
    if (windows) {
        g_ptr_array_set_size(windows, 0);
    }
    if (view) {
        g_array_set_size(view, 0);
    }
    for (unsigned as = 0; as < 2; as++) {
        while (regions[as] && regions[as]->len) {
            io_region_unmap(g_ptr_array_index(regions[as], 0));
        }
    }
    listeners = NULL;
}
