/*
 * What system/ asks of the block layer: check and open the backends that
 * -drive and -blockdev describe, and close them all at exit.  The keys are
 * the block layer's own (blk_drive_check, blockdev_check); system/ routes
 * the options and keeps only its own keys (if=, index=, media=, serial=).
 */
#ifndef VMU_BLOCK_BLOCK_H
#define VMU_BLOCK_BLOCK_H

#include "block/block-backend.h"
#include "util/opts.h"

/*
 * -drive: the block-layer keys (file=, format=, cache=, aio=, readonly=,
 * snapshot=, discard=, werror=, rerror=, file.*...) checked without side
 * effects; 'other_keys' are the caller's own, skipped here.
 */
bool blk_drive_check(const Opts *drive, const char *const *other_keys,
                     Error **errp);
/* Open the -drive's image as the backend 'name'. */
BlockBackend *blk_drive_open(const Opts *drive, const char *name,
                             Error **errp);

/* -blockdev driver=...,node-name=...: checked, then opened (in order). */
bool blockdev_check(const Opts *opts, Error **errp);
bool blockdev_open(const Opts *opts, Error **errp);

/* The block drivers' names for help text ("file, host_device, ..."). */
char *blk_driver_list(void);

/* Drain, flush and close every backend and node (at exit). */
void blk_close_all(void);

#endif
