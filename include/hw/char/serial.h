/*
 * The 8250/16550A UART: the guest console (COM1 at 0x3f8, IRQ 4) and up to
 * three more (-device isa-serial, several -serial).
 */
#ifndef VMU_HW_CHAR_SERIAL_H
#define VMU_HW_CHAR_SERIAL_H

#include <stdbool.h>
#include <stdint.h>
#include "chardev/char.h"
#include "util/error.h"

typedef struct SerialState SerialState;

/* A UART at I/O port base raising GSI irq, connected to chr. */
SerialState *serial_new(Chardev *chr, uint16_t base, unsigned irq,
                        Error **errp);
/* How many UARTs exist (the default COM1 is made only when none does). */
unsigned serial_ports(void);
/* COM1-COM4's I/O ports. */
extern const uint16_t serial_iobase[4];

#endif
