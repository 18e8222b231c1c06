/*
 * libvhost-user internals shared between its files.
 */
#ifndef LIBVHOST_USER_INTERNAL_H
#define LIBVHOST_USER_INTERNAL_H

#include "libvhost-user.h"

/* Map a ring's desc/avail/used through the memory table (vu-mem.c). */
bool vu_virtq_map(VuDev *dev, VuVirtq *vq, Error **errp);
/* Remap every ring after the memory table changed. */
void vu_virtq_remap_all(VuDev *dev);

/* Memory table messages (vu-mem.c); fds[] entries taken are set to -1. */
bool vu_mem_set_table(VuDev *dev, const VhostUserMemory *m, int *fds,
                      size_t nfds, Error **errp);
bool vu_mem_add_region(VuDev *dev, const VhostUserMemRegion *r, int *fds,
                       size_t nfds, Error **errp);
bool vu_mem_remove_region(VuDev *dev, const VhostUserMemRegion *r,
                          Error **errp);
void vu_mem_unmap_all(VuDev *dev);

#endif
