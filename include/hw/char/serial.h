/*
 * The 8250/16550A UART: the guest console (COM1 at 0x3f8, IRQ 4).
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

#endif
