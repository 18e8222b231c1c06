/*
 * -drive and -blockdev: kept while the command line is read, checked with
 * the other options (the block layer checks its own keys), opened before
 * the devices are created.  -drive if=virtio|ide|scsi also adds the
 * -device virtio-blk-pci that shows the disk to the guest.
 */
#ifndef VMU_SYSTEM_DRIVE_H
#define VMU_SYSTEM_DRIVE_H

#include <stdbool.h>

#include "util/error.h"
#include "util/opts.h"

bool drive_add(const char *text, Error **errp);        /* -drive */
bool blockdev_add(const char *text, Error **errp);     /* -blockdev */
/* -hda..-hdd (index 0 to 3) and a bare image argument (as -hda). */
bool drive_add_hd(unsigned index, const char *option, const char *file,
                  Error **errp);
/*
 * -device ide-hd|ide-drive|scsi-hd: vmu has neither controller, so the
 * disk becomes a virtio-blk-pci, with one warning.  True if rewritten.
 */
bool drive_device_rewrite(Opts *device);
/* -snapshot: every -drive gets snapshot=on unless it says otherwise. */
void drive_snapshot_all(void);
/* Phase 1: report each problem (every drive is checked). */
void drive_check_all(void (*report)(Error *err));
/* Phase 2: open every backend; closed (flushed) by an exit notifier. */
bool drive_create_all(Error **errp);
/*
 * Was a -drive id= or -blockdev node-name= of this name given?  For a
 * device's phase-1 check of drive=; blk_by_name() finds it once opened.
 */
bool drive_defined(const char *name);

#endif
