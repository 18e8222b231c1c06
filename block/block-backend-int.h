/*
 * How block/ itself makes backends (block-backend.c) for the options
 * code (blockdev.c).
 */
#ifndef VMU_BLOCK_BLOCK_BACKEND_INT_H
#define VMU_BLOCK_BLOCK_BACKEND_INT_H

#include "block-int.h"
#include "block/block-backend.h"

/* A backend on root (whose reference it takes over). */
BlockBackend *blk_new_on(const char *name, BlockDriverState *root, bool wce,
                         Error **errp);
/* Called when the backend is closed (after its nodes). */
typedef void (*BlkCloseFn)(void *opaque);
void blk_set_close_fn(BlockBackend *blk, BlkCloseFn fn, void *opaque);
/* Close the -blockdev nodes left (blockdev.c). */
void blockdev_close_nodes(void);

#endif
