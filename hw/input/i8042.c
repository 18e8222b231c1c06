/*
 * The PC's keyboard controller (8042) at 0x60 (data) and 0x64 (status and
 * command): enough of it that an OS's probe finds a controller and a
 * keyboard with no keys pressed (self-test, interface tests, the command
 * byte, the keyboard's reset and ID), an auxiliary port with nothing on it
 * (its loopback works, a byte sent to the device is refused), IRQ 1 and 12,
 * and the reset line (command 0xFE) that restarts the machine.
 */
#include <glib.h>
#include <string.h>

#include "hw/i386/pc.h"
#include "hw/input/i8042.h"
#include "system/accel.h"
#include "system/reset.h"
#include "util/trace.h"

#define I8042_DATA      0x60
#define I8042_CMD       0x64

/* Status register */
#define STAT_OBF        0x01    /* output buffer full */
#define STAT_SYS        0x04    /* system flag: self-test passed */
#define STAT_CMD        0x08    /* last write was to 0x64 */
#define STAT_UNLOCKED   0x10    /* keyboard not inhibited */
#define STAT_AUX_OBF    0x20    /* the byte is from the auxiliary port */

/* Command byte */
#define CTR_KBD_INT     0x01
#define CTR_AUX_INT     0x02
#define CTR_SYS         0x04
#define CTR_KBD_OFF     0x10
#define CTR_AUX_OFF     0x20
#define CTR_XLATE       0x40

/* Output port */
#define OUT_RESET       0x01    /* 0 holds the CPU in reset */
#define OUT_A20         0x02

#define QUEUE_LEN       16
#define KBD_IRQ         1
#define AUX_IRQ         12

static struct {
    uint8_t status, ctr, outport;
    uint8_t pending;            /* controller command awaiting its data */
    uint8_t kbd_pending;        /* keyboard command awaiting its argument */
    uint8_t scancode_set;
    uint8_t last;               /* what 0x60 reads when nothing is queued */
    struct { uint8_t byte; bool aux; } q[QUEUE_LEN];
    unsigned head, count;
    bool irq_kbd, irq_aux;
    IORegion data, cmd;
} kbc;

static void i8042_update_irq(void)
{
    bool full = kbc.count > 0;
    bool aux = full && kbc.q[kbc.head].aux;
    bool kbd_irq = full && !aux && (kbc.ctr & CTR_KBD_INT);
    bool aux_irq = aux && (kbc.ctr & CTR_AUX_INT);

    kbc.status &= ~(STAT_OBF | STAT_AUX_OBF);
    kbc.status |= (full ? STAT_OBF : 0) | (aux ? STAT_AUX_OBF : 0);
    if (!accel) {
        return;
    }
    if (kbd_irq != kbc.irq_kbd) {
        kbc.irq_kbd = kbd_irq;
        accel_set_irq(KBD_IRQ, kbd_irq);
    }
    if (aux_irq != kbc.irq_aux) {
        kbc.irq_aux = aux_irq;
        accel_set_irq(AUX_IRQ, aux_irq);
    }
}

static void i8042_queue(uint8_t byte, bool aux)
{
    static RateLimit rl;
    if (kbc.count == QUEUE_LEN) {
        error_report_ratelimited(&rl, "i8042: the guest does not read port "
                                 "0x60; byte 0x%02x dropped", byte);
        return;
    }
    unsigned tail = (kbc.head + kbc.count++) % QUEUE_LEN;
    kbc.q[tail].byte = byte;
    kbc.q[tail].aux = aux;
    i8042_update_irq();
}

static void kbd_reply(uint8_t byte)
{
    i8042_queue(byte, false);
}

/* Scan code set 2 as the controller translates it (set 1) or not. */
static uint8_t kbd_xlate(uint8_t byte)
{
    if (!(kbc.ctr & CTR_XLATE)) {
        return byte;
    }
    switch (byte) {
    case 0x83: return 0x41;     /* the MF2 keyboard ID's second byte */
    case 0x01: return 0x43;     /* scan code sets 1-3 */
    case 0x02: return 0x41;
    case 0x03: return 0x3f;
    default: return byte;
    }
}

static void kbd_reset(void)
{
    kbc.scancode_set = 2;
    kbc.kbd_pending = 0;
}

/* A byte for the keyboard (written to 0x60 with no controller command). */
static void kbd_write(uint8_t byte)
{
    trace(i8042_kbd_write, "0x%02x%s", byte,
          kbc.kbd_pending ? " (argument)" : "");
    if (kbc.kbd_pending) {
        uint8_t cmd = kbc.kbd_pending;
        kbc.kbd_pending = 0;
        kbd_reply(0xfa);
        if (cmd == 0xf0) {
            if (byte == 0) {
                kbd_reply(kbd_xlate(kbc.scancode_set));
            } else if (byte <= 3) {
                kbc.scancode_set = byte;
            }
        }
        return;
    }
    switch (byte) {
    case 0xff:                  /* reset and self-test */
        kbd_reset();
        kbd_reply(0xfa);
        kbd_reply(0xaa);
        break;
    case 0xf2:                  /* identify: MF2 keyboard */
        kbd_reply(0xfa);
        kbd_reply(0xab);
        kbd_reply(kbd_xlate(0x83));
        break;
    case 0xed:                  /* LEDs, typematic rate, scan code set */
    case 0xf3:
    case 0xf0:
        kbc.kbd_pending = byte;
        kbd_reply(0xfa);
        break;
    case 0xee:                  /* echo */
        kbd_reply(0xee);
        break;
    case 0xf4: case 0xf5: case 0xf6:    /* enable, disable, defaults */
    case 0xf7: case 0xf8: case 0xf9: case 0xfa:
    case 0xfb: case 0xfc: case 0xfd: case 0xfe:
        kbd_reply(0xfa);
        break;
    default:
        kbd_reply(0xfe);        /* resend: not a command */
        break;
    }
}

static void i8042_command(uint8_t cmd)
{
    trace(i8042_command, "0x%02x", cmd);
    switch (cmd) {
    case 0x20:                  /* read the command byte */
        kbd_reply(kbc.ctr);
        break;
    case 0x60:                  /* write the command byte */
    case 0xd1:                  /* write the output port */
    case 0xd2:                  /* write the keyboard output buffer */
    case 0xd3:                  /* write the auxiliary output buffer */
    case 0xd4:                  /* write to the auxiliary device */
        kbc.pending = cmd;
        break;
    case 0xa7:
        kbc.ctr |= CTR_AUX_OFF;
        break;
    case 0xa8:
        kbc.ctr &= ~CTR_AUX_OFF;
        break;
    case 0xa9:                  /* auxiliary interface test: no error */
    case 0xab:                  /* keyboard interface test: no error */
        kbd_reply(0x00);
        break;
    case 0xaa:                  /* controller self-test */
        kbc.status |= STAT_SYS;
        kbd_reply(0x55);
        break;
    case 0xad:
        kbc.ctr |= CTR_KBD_OFF;
        break;
    case 0xae:
        kbc.ctr &= ~CTR_KBD_OFF;
        break;
    case 0xc0:                  /* input port: nothing to report */
        kbd_reply(0x00);
        break;
    case 0xd0:                  /* read the output port */
        kbd_reply(kbc.outport);
        break;
    default:
        /* 0xf0-0xff pulse the output port lines whose bit is 0 for a few
         * microseconds: line 0 is the CPU's reset. */
        if (cmd >= 0xf0 && !(cmd & OUT_RESET)) {
            pc_reset_request("a keyboard controller reset (port 0x64)");
        } else if (cmd < 0xf0) {
            trace(i8042_command_unknown, "0x%02x ignored", cmd);
        }
        break;
    }
}

static void i8042_data_write(uint8_t byte)
{
    uint8_t cmd = kbc.pending;
    kbc.pending = 0;
    switch (cmd) {
    case 0x60:
        kbc.ctr = byte;
        kbc.status = (kbc.status & ~STAT_SYS) | (byte & CTR_SYS);
        i8042_update_irq();
        break;
    case 0xd1:
        kbc.outport = byte | OUT_A20;   /* A20 stays open, as under KVM */
        if (!(byte & OUT_RESET)) {
            pc_reset_request("a keyboard controller reset (output port)");
        }
        break;
    case 0xd2:
        i8042_queue(byte, false);
        break;
    case 0xd3:
        i8042_queue(byte, true);
        break;
    case 0xd4:
        /* No device on the auxiliary port: it refuses every byte. */
        trace(i8042_aux_write, "0x%02x: no device, 0xfe", byte);
        i8042_queue(0xfe, true);
        break;
    default:
        kbd_write(byte);
        break;
    }
}

static uint64_t i8042_read(void *opaque, uint64_t off, unsigned size)
{
    if (opaque == (void *)I8042_CMD) {
        return kbc.status;
    }
    if (kbc.count) {
        kbc.last = kbc.q[kbc.head].byte;
        kbc.head = (kbc.head + 1) % QUEUE_LEN;
        kbc.count--;
        i8042_update_irq();
    }
    return kbc.last;
}

static void i8042_write(void *opaque, uint64_t off, uint64_t val,
                        unsigned size)
{
    if (opaque == (void *)I8042_CMD) {
        kbc.status |= STAT_CMD;
        i8042_command(val);
    } else {
        kbc.status &= ~STAT_CMD;
        i8042_data_write(val);
    }
}

static const MemoryRegionOps i8042_ops = {
    .read = i8042_read,
    .write = i8042_write,
};

static void i8042_reset(void *opaque)
{
    kbc.status = STAT_CMD | STAT_UNLOCKED;
    kbc.ctr = CTR_KBD_INT | CTR_AUX_INT;
    kbc.outport = OUT_RESET | OUT_A20;
    kbc.pending = 0;
    kbc.last = 0;
    kbc.head = kbc.count = 0;
    kbd_reset();
    i8042_update_irq();
}

bool i8042_init(Error **errp)
{
    i8042_reset(NULL);
    reset_handler_add(i8042_reset, NULL);
    io_region_init(&kbc.data, "i8042-data", AS_IO, 1, &i8042_ops,
                   (void *)I8042_DATA);
    io_region_init(&kbc.cmd, "i8042-cmd", AS_IO, 1, &i8042_ops,
                   (void *)I8042_CMD);
    return io_region_map(&kbc.data, I8042_DATA, errp) &&
           io_region_map(&kbc.cmd, I8042_CMD, errp);
}
