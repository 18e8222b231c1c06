/*
 * The one memory map: guest RAM ranges (each backed by a host memory
 * backend at an fd offset) and device regions in the memory and I/O
 * address spaces.  KVM memory slots and the vhost-user memory table are
 * both built from it.  Accesses to nothing read as all-ones.
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

/* Dispatch to a device region; nothing there reads as all-ones. */
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
/* The RAM ranges, sorted by gpa. */
const RAMRange *memory_map_ram(unsigned *n);
/* Host pointer for [gpa, gpa+len) if it lies in one RAM range, else NULL. */
void *gpa_to_hva(uint64_t gpa, uint64_t len);
/* The RAM range holding this host address range, or NULL. */
const RAMRange *memory_map_find_hva(const void *hva, uint64_t len);

/*
 * Guest-physical access as a device or a qtest client sees it: RAM is
 * copied, device regions are dispatched in naturally aligned pieces,
 * holes read as 0xff and ignore writes.
 */
void memory_read(uint64_t gpa, void *buf, size_t len);
void memory_write(uint64_t gpa, const void *buf, size_t len);

/* Notified when RAM ranges are added (KVM slots). */
typedef struct MemoryListener {
    void (*ram_add)(struct MemoryListener *l, const RAMRange *r);
    struct MemoryListener *next;
} MemoryListener;
void memory_listener_register(MemoryListener *l);

/* Drop every range and region (unit tests). */
void memory_map_reset(void);

#endif
