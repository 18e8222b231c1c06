/*
 * ACPI on the PC: the PIIX4 power-management function (00:01.3) with the
 * PM1a event/control blocks, PM timer and GPE0, and the tables vmu builds.
 */
#ifndef VMU_HW_ACPI_ACPI_H
#define VMU_HW_ACPI_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "system/machine.h"
#include "util/error.h"

/* Where SeaBIOS puts the PM block (as under QEMU) and the fixed GPE0. */
#define ACPI_PM_BASE_DEFAULT    0x600
#define ACPI_PM_BLK_LEN         64
#define ACPI_GPE0_BASE          0xafe0
#define ACPI_GPE0_LEN           4
#define ACPI_SCI_IRQ            9

/* PM1 status/enable bits (ACPI spec, fixed hardware registers). */
#define ACPI_PM1_TMR            (1u << 0)
#define ACPI_PM1_GBL            (1u << 5)
#define ACPI_PM1_PWRBTN         (1u << 8)
#define ACPI_PM1_RTC            (1u << 10)
#define ACPI_PM1_WAK            (1u << 15)
/* PM1 control. */
#define ACPI_PM1_CNT_SCI_EN     (1u << 0)
#define ACPI_PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define ACPI_PM1_CNT_SLP_EN     (1u << 13)
/* SLP_TYP for S5 (soft off); the DSDT's \_S5 package says the same. */
#define ACPI_SLP_TYP_S5         0

#define ACPI_PM_TIMER_HZ        3579545ULL

/* hw/acpi/piix4.c: the PM function at 00:01.3; pc.c calls it after the
 * PCI host is up. */
bool piix4_pm_init(MachineState *ms, Error **errp);
/* The fixed-feature power button was pressed (PWRBTN_STS, SCI if enabled);
 * false without ACPI (-no-acpi). */
bool piix4_pm_power_button(Error **errp);

/* hw/acpi/acpi-build.c: the tables and their loader script in fw_cfg
 * (etc/acpi/tables, etc/acpi/rsdp, etc/table-loader); not with -no-acpi. */
bool acpi_build_fw_cfg(const MachineState *ms, Error **errp);

#endif
