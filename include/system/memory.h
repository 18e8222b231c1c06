/*
 * The one memory map: guest RAM ranges (each backed by a host memory
 * backend at an fd offset), ROMs, shadow windows and device regions in the
 * memory and I/O address spaces.  KVM memory slots (the CPU's view) and
 * the vhost-user memory table (guest RAM only) are both built from it.
 * Accesses to nothing read as all-ones.
 */
#ifndef VMU_SYSTEM_MEMORY_H
#define VMU_SYSTEM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

struct HostMemoryBackend;

typedef enum AddressSpaceId {
    AS_MEMORY,
    AS_IO,
} AddressSpaceId;

typedef struct MemoryRegionOps {
    /* offset is relative to the region's base; size is 1, 2, 4 or 8 */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
} MemoryRegionOps;

typedef struct IORegion {
    const char *name;
    AddressSpaceId as;
    uint64_t base;
    uint64_t size;
    const MemoryRegionOps *ops;
    void *opaque;
    bool mapped;
} IORegion;

void io_region_init(IORegion *r, const char *name, AddressSpaceId as,
                    uint64_t size, const MemoryRegionOps *ops, void *opaque);
/* Map at base; fails (naming both regions) if it overlaps another. */
bool io_region_map(IORegion *r, uint64_t base, Error **errp);
void io_region_unmap(IORegion *r);

/*
 * Dispatch to a device region; nothing there reads as all-ones.  In the
 * memory space an address in a shadow window goes where the window is set
 * (a KVM exit there); a write to a ROM is dropped.
 */
uint64_t io_read(AddressSpaceId as, uint64_t addr, unsigned size);
void io_write(AddressSpaceId as, uint64_t addr, uint64_t value, unsigned size);

typedef struct RAMRange {
    uint64_t gpa;
    uint64_t size;
    void *hva;
    int fd;                 /* -1 when the backend has none */
    uint64_t fd_offset;
    struct HostMemoryBackend *backend;
} RAMRange;

bool memory_map_add_ram(uint64_t gpa, uint64_t size,
                        struct HostMemoryBackend *backend, uint64_t offset,
                        Error **errp);
/*
 * The guest RAM ranges, sorted by gpa: what a vhost-user back-end maps.
 * ROMs are not in it, and shadow windows do not change it.
 */
const RAMRange *memory_map_ram(unsigned *n);

/*
 * Host memory the guest reads and runs but cannot write (a BIOS image):
 * its writes are dropped (a KVM_MEM_READONLY slot under KVM).  It may lie
 * under guest RAM only where shadow windows cover it.
 */
bool memory_map_add_rom(uint64_t gpa, uint64_t size,
                        struct HostMemoryBackend *backend, uint64_t offset,
                        Error **errp);

/*
 * A shadow window: a range where guest RAM lies over the ROM side (a ROM,
 * or nothing: all-ones) and a chipset (the i440FX PAM registers) chooses,
 * for reads and for writes apart, which of the two the CPU reaches.  It
 * starts with both on the ROM side, as at power-on.  Only the CPU's view
 * changes: DMA (gpa_to_hva) and memory_map_ram() see the RAM.
 */
typedef struct ShadowWindow {
    const char *name;
    uint64_t gpa;
    uint64_t size;
    bool read_ram;
    bool write_ram;
} ShadowWindow;

/* Changes between begin and commit reach the listeners once, at commit. */
void memory_map_begin(void);
void memory_map_commit(void);

bool memory_shadow_add(ShadowWindow *w, const char *name, uint64_t gpa,
                       uint64_t size, Error **errp);
void memory_shadow_set(ShadowWindow *w, bool read_ram, bool write_ram);

/* Host pointer for [gpa, gpa+len) if it lies in one RAM range, else NULL. */
void *gpa_to_hva(uint64_t gpa, uint64_t len);
/* The RAM range holding this host address range, or NULL. */
const RAMRange *memory_map_find_hva(const void *hva, uint64_t len);

/*
 * Guest-physical access as the CPU or a qtest client sees it: RAM is
 * copied, a ROM is read and its writes dropped, shadow windows reach the
 * side they are set to, device regions are dispatched in naturally
 * aligned pieces, holes read as 0xff and ignore writes.
 */
void memory_read(uint64_t gpa, void *buf, size_t len);
void memory_write(uint64_t gpa, const void *buf, size_t len);

/*
 * Notified when the CPU's view of host memory changes (KVM slots): each
 * piece is part of a RAM range, of a ROM, or what a shadow window shows,
 * readonly where the CPU's writes must not reach it.  One change deletes
 * pieces before it adds others, so two pieces never overlap.
 */
typedef struct MemoryListener {
    void (*ram_add)(struct MemoryListener *l, const RAMRange *r,
                    bool readonly);
    void (*ram_del)(struct MemoryListener *l, const RAMRange *r);
    struct MemoryListener *next;
} MemoryListener;
void memory_listener_register(MemoryListener *l);

/* Drop every range, ROM, window and region (unit tests). */
void memory_map_reset(void);

#endif
