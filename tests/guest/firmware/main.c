/* main.c - C entry of vmu's test firmware: brings up serial, IDT, PIC/APICs,
 * checks the PVH start info, runs the test named by "test=" on the command
 * line and reports the result through isa-debug-exit (port 0xf4).
 *
 * Exit values (outl to port 0xf4; QEMU's process status is (value << 1) | 1):
 *   0x00  pass                               -> QEMU status   1
 *   0x01  test failed                        -> QEMU status   3
 *   0x02  unknown test name                  -> QEMU status   5
 *   0x03  required device missing (skip)     -> QEMU status   7
 *   0x04  bad PVH start info (magic)         -> QEMU status   9
 *   0x7f  unexpected CPU exception           -> QEMU status 255
 *   N     test=hello exit=N                  -> QEMU status (2N+1) & 0xff
 */
#include "fw.h"

void fw_main(uint32_t start_info_pa);

__attribute__((noreturn)) void fw_exit(uint32_t value)
{
    printf("vmu-fw: exit %u\n", value);
    outl(DEBUG_EXIT_PORT, value);
    /* No isa-debug-exit: park the CPU. */
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

void fw_main(uint32_t start_info_pa)
{
    const char *name;
    int len;

    serial_init();
    idt_init();

    if (!pvh_init(start_info_pa)) {
        printf("vmu-fw: bad PVH start info at %#x\n", start_info_pa);
        fw_exit(FW_EXIT_BADBOOT);
    }

    pic_disable();
    lapic_init();
    ioapic_init();

    len = cmdline_get("test", &name);
    if (len < 0) {
        name = "hello";
        len = 5;
    }
    fw_exit((uint32_t)run_test(name, (size_t)len));
}
