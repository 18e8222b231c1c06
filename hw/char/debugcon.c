/*
 * isa-debugcon: each byte the guest writes to the port goes to a chardev;
 * a read returns the readback value (0xe9), which is how SeaBIOS finds
 * the port before it logs there.
 */
#include <glib.h>
#include <inttypes.h>

#include "chardev/char.h"
#include "system/memory.h"
#include "system/options.h"
#include "system/registry.h"

typedef struct DebugCon {
    IORegion io;
    Chardev *chr;
    uint8_t readback;
} DebugCon;

static void debugcon_write(void *opaque, uint64_t offset, uint64_t value,
                           unsigned size)
{
    DebugCon *d = opaque;
    uint8_t c = value;
    chardev_write(d->chr, &c, 1);
}

static uint64_t debugcon_read(void *opaque, uint64_t offset, unsigned size)
{
    DebugCon *d = opaque;
    return d->readback;
}

static const MemoryRegionOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
};

static const OptDesc debugcon_desc[] = {
    { "iobase", OPT_NUMBER, "I/O port (default 0xe9; SeaBIOS logs to 0x402)" },
    { "chardev", OPT_STRING, "the chardev the bytes go to" },
    { "readback", OPT_NUMBER, "what a read of the port returns (0xe9)" },
    { NULL },
};

static bool debugcon_check(const Opts *opts, Error **errp)
{
    const char *chr = opts_get(opts, "chardev");
    if (!chr) {
        opts_error(opts, errp, "give the output with chardev=ID (a "
                   "-chardev file,id=ID,path=PATH)");
        return false;
    }
    if (!options_find(TYPE_KIND_CHARDEV, chr)) {
        opts_error(opts, errp, "chardev=%s: there is no -chardev with id "
                   "'%s'", chr, chr);
        return false;
    }
    if (opts_get_number(opts, "iobase", 0xe9) > 0xffff) {
        opts_error(opts, errp, "iobase must be an I/O port (0 to 0xffff)");
        return false;
    }
    if (opts_get_number(opts, "readback", 0xe9) > 0xff) {
        opts_error(opts, errp, "readback must be a byte (0 to 0xff)");
        return false;
    }
    return true;
}

static bool debugcon_create(const Opts *opts, Error **errp)
{
    DebugCon *d = g_new0(DebugCon, 1);
    d->chr = chardev_find(opts_get(opts, "chardev"));
    d->readback = opts_get_number(opts, "readback", 0xe9);
    io_region_init(&d->io, "isa-debugcon", AS_IO, 1, &debugcon_ops, d);
    if (!d->chr) {
        error_setg(errp, "-device isa-debugcon: chardev '%s' is gone",
                   opts_get(opts, "chardev"));
        g_free(d);
        return false;
    }
    if ( !chardev_claim(d->chr, "isa-debugcon", errp) ||
        !io_region_map(&d->io, opts_get_number(opts, "iobase", 0xe9),
                       errp)) {
        error_prepend(errp, "-device isa-debugcon: ");
        g_free(d);
        return false;
    }
    return true;
}

static const TypeInfo debugcon_type = {
    .kind = TYPE_KIND_DEVICE,
    .name = "isa-debugcon",
    .help = "bytes written to the port go to a chardev (SeaBIOS's log)",
    .opts = debugcon_desc,
    .check = debugcon_check,
    .create = debugcon_create,
};

static void debugcon_register(void)
{
    type_register(&debugcon_type);
}
type_init(debugcon_register)
