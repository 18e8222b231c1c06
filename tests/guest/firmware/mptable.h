/* mptable.h - PCI interrupt routing from the MP table (mptable.c). */
#ifndef VMU_FW_MPTABLE_H
#define VMU_FW_MPTABLE_H

#include <stdbool.h>
#include <stdint.h>

struct mp_route {
    uint8_t bus;            /* the MP table's id of the PCI bus */
    uint8_t ioapic_pin;
    bool level, active_low;
};

/* The IOAPIC pin of bus-0 device 'slot', INTx 'pin' (1-4 = INTA-INTD). */
bool mp_pci_route(uint8_t slot, uint8_t pin, struct mp_route *r);

#endif
