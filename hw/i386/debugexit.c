/*
 * isa-debug-exit: a guest write of V to the port ends vmu with status
 * (V << 1) | 1, as QEMU's device does; tests use it to report results.
 */
#include <glib.h>
#include <inttypes.h>

#include "system/main-loop.h"
#include "system/memory.h"
#include "system/registry.h"
#include "util/trace.h"

typedef struct DebugExit {
    IORegion io;
} DebugExit;

static void debug_exit_write(void *opaque, uint64_t offset, uint64_t value,
                             unsigned size)
{
    trace(debug_exit, "value 0x%" PRIx64 " status %d", value,
          (int)((value << 1) | 1));
    shutdown_request(SHUTDOWN_GUEST_EXIT, (int)((value << 1) | 1));
}

static const MemoryRegionOps debug_exit_ops = {
    .write = debug_exit_write,
};

static const OptDesc debug_exit_desc[] = {
    { "iobase", OPT_NUMBER, "I/O port (default 0x501)" },
    { "iosize", OPT_NUMBER, "1, 2 or 4 bytes (default 2)" },
    { NULL },
};

static bool debug_exit_check(const Opts *opts, Error **errp)
{
    uint64_t base = opts_get_number(opts, "iobase", 0x501);
    uint64_t size = opts_get_number(opts, "iosize", 2);
    if (size != 1 && size != 2 && size != 4) {
        opts_error(opts, errp, "iosize must be 1, 2 or 4");
        return false;
    }
    if (base + size > 0x10000) {
        opts_error(opts, errp, "iobase 0x%" PRIx64 " is not an I/O port "
                   "(0 to 0xffff)", base);
        return false;
    }
    return true;
}

static bool debug_exit_create(const Opts *opts, Error **errp)
{
    DebugExit *d = g_new0(DebugExit, 1);
    io_region_init(&d->io, "isa-debug-exit", AS_IO,
                   opts_get_number(opts, "iosize", 2), &debug_exit_ops, d);
    if (!io_region_map(&d->io, opts_get_number(opts, "iobase", 0x501),
                       errp)) {
        error_prepend(errp, "-device isa-debug-exit: ");
        g_free(d);
        return false;
    }
    return true;
}

static const TypeInfo debug_exit_type = {
    .kind = TYPE_KIND_DEVICE,
    .name = "isa-debug-exit",
    .help = "a write of V to the port exits with status (V << 1) | 1",
    .opts = debug_exit_desc,
    .check = debug_exit_check,
    .create = debug_exit_create,
};

static void debug_exit_register(void)
{
    type_register(&debug_exit_type);
}
type_init(debug_exit_register)
