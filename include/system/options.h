/*
 * The parsed command line, kept so that types can check their references
 * to each other (a netdev's chardev, a device's netdev) before anything is
 * created.
 */
#ifndef VMU_SYSTEM_OPTIONS_H
#define VMU_SYSTEM_OPTIONS_H

#include <glib.h>

#include "system/registry.h"
#include "util/opts.h"

/* The -object/-chardev/-netdev/-device option with this id, or NULL. */
const Opts *options_find(TypeKind kind, const char *id);
/* Its type name (the value of type=/backend=/driver=/qom-type=). */
const char *options_type(TypeKind kind, const Opts *opts);

/* The -object/-chardev/-netdev/-device lists (Opts *), by kind. */
GPtrArray **options_lists(void);
/* The key naming the type, by kind: qom-type, backend, type, driver. */
const char *const *options_type_keys(void);

/* True once the guest has started: failures before that leave nothing. */
extern bool vmu_started;

/*
 * path did not exist and start-up created it: it is removed at exit if the
 * guest never started, so a bad command line leaves nothing behind.  Only
 * for files this process created (O_EXCL), never for ones that were there.
 */
void startup_file_created(const char *path);

#endif
