/*
 * What devices need from the accelerator: ioeventfds, irqfds for MSI
 * messages, interrupt lines.  accel/kvm implements it with KVM ioctls;
 * accel/qtest gives the same semantics in user space.
 */
#ifndef VMU_SYSTEM_ACCEL_H
#define VMU_SYSTEM_ACCEL_H

#include <stdbool.h>
#include <stdint.h>
#include "system/memory.h"
#include "util/error.h"

struct MachineState;

typedef struct MSIMessage {
    uint64_t address;
    uint32_t data;
} MSIMessage;

typedef struct AccelOps {
    const char *name;
    /* Create the VM (before RAM is mapped and devices are created). */
    bool (*init)(struct MachineState *ms, Error **errp);
    /* Start running (vCPU threads, or connect the qtest socket). */
    bool (*start)(struct MachineState *ms, Error **errp);
    /* Stop and join vCPUs; called from the main thread at shutdown. */
    void (*stop)(void);
    /* Guest reset (main thread, machine lock held; NULL: nothing to do):
     * pause stops the vCPUs, reset puts them, the interrupt controllers and
     * timers back to power-on state and the boot CPU at the kernel's entry,
     * resume lets them run again. */
    void (*pause)(void);
    bool (*reset)(struct MachineState *ms, Error **errp);
    bool (*resume)(Error **errp);

    /* A guest write of len bytes at addr (matching data, if match_data)
     * signals fd instead of reaching the device. */
    bool (*ioeventfd_add)(AddressSpaceId as, uint64_t addr, unsigned len,
                          bool match_data, uint64_t data, int fd,
                          Error **errp);
    void (*ioeventfd_del)(AddressSpaceId as, uint64_t addr, unsigned len,
                          bool match_data, uint64_t data, int fd);

    /* fd readable => the MSI msg is delivered.  Returns a route handle. */
    int (*irqfd_add)(MSIMessage msg, int fd, Error **errp);
    bool (*irqfd_update)(int handle, MSIMessage msg, Error **errp);
    void (*irqfd_del)(int handle, int fd);

    /* Deliver an MSI now (user-space device, unmasked pending vector). */
    void (*msi_send)(MSIMessage msg);
    /* Level of a GSI (IOAPIC pin / ISA IRQ). */
    void (*set_irq)(unsigned gsi, bool level);
} AccelOps;

void accel_register(const AccelOps *ops);
const AccelOps *accel_find(const char *name);
/* The running accelerator (NULL before -machine accel= is chosen). */
extern const AccelOps *accel;

bool accel_ioeventfd_add(AddressSpaceId as, uint64_t addr, unsigned len,
                         bool match_data, uint64_t data, int fd, Error **errp);
void accel_ioeventfd_del(AddressSpaceId as, uint64_t addr, unsigned len,
                         bool match_data, uint64_t data, int fd);
int accel_irqfd_add(MSIMessage msg, int fd, Error **errp);
bool accel_irqfd_update(int handle, MSIMessage msg, Error **errp);
void accel_irqfd_del(int handle, int fd);
void accel_msi_send(MSIMessage msg);
void accel_set_irq(unsigned gsi, bool level);

#endif
