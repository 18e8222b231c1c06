/*
 * vmu-testdev: the test firmware's window on vmu's fast paths (contract
 * in tests/guest/firmware/README.md).  Command 1 registers an irqfd for
 * the MSI the guest programmed and signals it; the doorbell at 0x550 is a
 * KVM ioeventfd whose eventfd the main loop counts.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "system/accel.h"
#include "system/main-loop.h"
#include "system/memory.h"
#include "system/registry.h"
#include "util/trace.h"

#define TESTDEV_BASE        0x540
#define TESTDEV_ID          0x766d7574      /* 'vmut' */
#define TESTDEV_REG_ID      0x00
#define TESTDEV_REG_MSI_LO  0x04
#define TESTDEV_REG_MSI_DATA 0x08
#define TESTDEV_REG_CMD     0x0c
#define TESTDEV_REG_DOORBELL 0x10
#define TESTDEV_REG_COUNT   0x14

typedef struct TestDev {
    IORegion io;
    MSIMessage msi;
    int irq_fd;
    int irq_handle;
    int bell_fd;
    guint bell_watch;
    uint32_t doorbells;
} TestDev;

static void testdev_signal(TestDev *d)
{
    uint64_t one = 1;
    if (write(d->irq_fd, &one, 8) != 8) {
        error_report("vmu-testdev: cannot signal the irqfd: %s",
                     strerror(errno));
    }
}

static void testdev_command(TestDev *d, uint32_t cmd)
{
    Error *err = NULL;
    trace(testdev_command, "%u msi 0x%" PRIx64 " data 0x%x", cmd,
          d->msi.address, d->msi.data);
    if (cmd == 1) {
        if (d->irq_fd < 0) {
            d->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (d->irq_fd < 0) {
                error_report("vmu-testdev: eventfd failed: %s",
                             strerror(errno));
                return;
            }
            d->irq_handle = accel_irqfd_add(d->msi, d->irq_fd, &err);
        } else if (!accel_irqfd_update(d->irq_handle, d->msi, &err)) {
            d->irq_handle = -1;
        }
        if (d->irq_handle < 0) {
            error_prepend(&err, "vmu-testdev: ");
            error_report_err(err);
            return;
        }
        testdev_signal(d);
    } else if (cmd == 2 && d->irq_fd >= 0 && d->irq_handle >= 0) {
        testdev_signal(d);
    }
}

static uint64_t testdev_read(void *opaque, uint64_t offset, unsigned size)
{
    TestDev *d = opaque;
    switch (offset) {
    case TESTDEV_REG_ID:
        return TESTDEV_ID;
    case TESTDEV_REG_MSI_LO:
        return (uint32_t)d->msi.address;
    case TESTDEV_REG_MSI_DATA:
        return d->msi.data;
    case TESTDEV_REG_COUNT:
        return __atomic_load_n(&d->doorbells, __ATOMIC_RELAXED);
    }
    return 0;
}

static void testdev_write(void *opaque, uint64_t offset, uint64_t value,
                          unsigned size)
{
    TestDev *d = opaque;
    switch (offset) {
    case TESTDEV_REG_MSI_LO:
        d->msi.address = (uint32_t)value;
        break;
    case TESTDEV_REG_MSI_DATA:
        d->msi.data = value;
        break;
    case TESTDEV_REG_CMD:
        testdev_command(d, value);
        break;
    case TESTDEV_REG_DOORBELL:
        /* Only when the ioeventfd is gone: the doorbell must not count. */
        trace(testdev_doorbell_exit, "doorbell reached user space");
        break;
    }
}

static const MemoryRegionOps testdev_ops = {
    .read = testdev_read,
    .write = testdev_write,
};

static gboolean testdev_bell(int fd, GIOCondition cond, void *opaque)
{
    TestDev *d = opaque;
    uint64_t n;
    if (read(fd, &n, 8) == 8) {
        __atomic_fetch_add(&d->doorbells, (uint32_t)n, __ATOMIC_RELAXED);
        trace(testdev_doorbells, "+%" PRIu64 " = %u", n, d->doorbells);
    }
    return G_SOURCE_CONTINUE;
}

static bool testdev_create(const Opts *opts, Error **errp)
{
    TestDev *d = g_new0(TestDev, 1);
    d->irq_fd = -1;
    d->irq_handle = -1;
    io_region_init(&d->io, "vmu-testdev", AS_IO, 0x18, &testdev_ops, d);
    if (!io_region_map(&d->io, TESTDEV_BASE, errp)) {
        error_prepend(errp, "-device vmu-testdev: ");
        g_free(d);
        return false;
    }
    d->bell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->bell_fd < 0) {
        error_setg_errno(errp, errno, "-device vmu-testdev: eventfd failed");
        return false;
    }
    if (!accel_ioeventfd_add(AS_IO, TESTDEV_BASE + TESTDEV_REG_DOORBELL, 4,
                             false, 0, d->bell_fd, errp)) {
        error_prepend(errp, "-device vmu-testdev: ");
        return false;
    }
    d->bell_watch = main_loop_add_fd(d->bell_fd, G_IO_IN, testdev_bell, d);
    return true;
}

static const OptDesc testdev_desc[] = {
    { NULL },
};

static const TypeInfo testdev_type = {
    .kind = TYPE_KIND_DEVICE,
    .name = "vmu-testdev",
    .help = "test device for the firmware: MSI through an irqfd, doorbell "
            "through an ioeventfd (ports 0x540-0x557)",
    .opts = testdev_desc,
    .create = testdev_create,
};

static void testdev_register(void)
{
    type_register(&testdev_type);
}
type_init(testdev_register)
