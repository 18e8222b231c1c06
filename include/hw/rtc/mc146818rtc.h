/*
 * The PC's CMOS RTC (MC146818) at ports 0x70/0x71: date and time from the
 * host clock, and the CMOS bytes a BIOS reads (memory sizes, CPU count).
 */
#ifndef VMU_HW_RTC_MC146818RTC_H
#define VMU_HW_RTC_MC146818RTC_H

#include <stdint.h>
#include "system/machine.h"
#include "util/error.h"

#define RTC_IO_BASE 0x70

/* Map the ports; the memory bytes follow ms's RAM layout and CPU count. */
bool rtc_init(const MachineState *ms, Error **errp);
/* A CMOS byte as the guest reads it (the clock registers included). */
uint8_t rtc_cmos_read(unsigned index);
/* Set a CMOS byte outside the clock registers (the boot order). */
void rtc_cmos_set(unsigned index, uint8_t value);

#endif
