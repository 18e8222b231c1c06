/*
 * The accelerator seam: devices call these; accel/kvm or accel/qtest
 * does the work.
 */
#include <glib.h>
#include <string.h>

#include "system/accel.h"

const AccelOps *accel;
static const AccelOps *known[4];

void accel_register(const AccelOps *ops)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(known); i++) {
        if (!known[i]) {
            known[i] = ops;
            return;
        }
    }
}

const AccelOps *accel_find(const char *name)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(known) && known[i]; i++) {
        if (!strcmp(known[i]->name, name)) {
            return known[i];
        }
    }
    return NULL;
}

bool accel_ioeventfd_add(AddressSpaceId as, uint64_t addr, unsigned len,
                         bool match_data, uint64_t data, int fd, Error **errp)
{
    return accel->ioeventfd_add(as, addr, len, match_data, data, fd, errp);
}

void accel_ioeventfd_del(AddressSpaceId as, uint64_t addr, unsigned len,
                         bool match_data, uint64_t data, int fd)
{
    accel->ioeventfd_del(as, addr, len, match_data, data, fd);
}

int accel_irqfd_add(MSIMessage msg, int fd, Error **errp)
{
    return accel->irqfd_add(msg, fd, errp);
}

bool accel_irqfd_update(int handle, MSIMessage msg, Error **errp)
{
    return accel->irqfd_update(handle, msg, errp);
}

void accel_irqfd_del(int handle, int fd)
{
    accel->irqfd_del(handle, fd);
}

void accel_msi_send(MSIMessage msg)
{
    accel->msi_send(msg);
}

void accel_set_irq(unsigned gsi, bool level)
{
    accel->set_irq(gsi, level);
}
