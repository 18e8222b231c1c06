/*
 * The PC's keyboard controller at 0x60/0x64 (hw/input/i8042.c): IRQ 1 for
 * the keyboard, 12 for the auxiliary port, and the reset line.
 */
#ifndef VMU_HW_INPUT_I8042_H
#define VMU_HW_INPUT_I8042_H

#include <stdbool.h>
#include "util/error.h"

bool i8042_init(Error **errp);

#endif
