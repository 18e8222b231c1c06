/*
 * Host memory backends: where guest RAM lives.  memfd and shared files can
 * be mapped by a vhost-user back-end; private anonymous RAM cannot.
 */
#ifndef VMU_SYSTEM_HOSTMEM_H
#define VMU_SYSTEM_HOSTMEM_H

#include <stdbool.h>
#include <stdint.h>
#include "util/error.h"
#include "util/opts.h"

typedef enum HostMemKind {
    HOSTMEM_RAM,
    HOSTMEM_MEMFD,
    HOSTMEM_FILE,
} HostMemKind;

typedef struct HostMemoryBackend {
    char *id;
    HostMemKind kind;
    uint64_t size;
    bool share;
    bool prealloc;
    bool hugetlb;
    char *mem_path;
    bool used;              /* claimed by the machine or a NUMA node */

    void *ptr;              /* host mapping, size bytes */
    int fd;                 /* -1 for memory-backend-ram */
    uint64_t fd_offset;
    uint64_t page_size;
} HostMemoryBackend;

HostMemoryBackend *host_memory_backend_new(HostMemKind kind, const char *id,
                                           uint64_t size);
/* Map it (and touch every page when prealloc). */
bool host_memory_backend_alloc(HostMemoryBackend *be, Error **errp);
void host_memory_backend_free(HostMemoryBackend *be);
HostMemoryBackend *host_memory_backend_find(const char *id);
const char *host_memory_backend_type(const HostMemoryBackend *be);
/* Can another process map it (shared, with an fd)? */
bool host_memory_backend_is_shareable(const HostMemoryBackend *be);

#endif
