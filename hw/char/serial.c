/*
 * 8250/16550A UART, enough for Linux's 8250 driver and the test firmware:
 * output goes to the chardev at once (the transmitter is always empty),
 * input from the chardev fills a receive FIFO and raises the interrupt.
 * -device isa-serial puts up to four of them at COM1-COM4.
 */
#include <glib.h>
#include <string.h>

#include "hw/char/serial.h"
#include "system/accel.h"
#include "system/memory.h"
#include "system/options.h"
#include "system/registry.h"
#include "system/reset.h"
#include "util/trace.h"

#define UART_IER_RDI    0x01    /* receive data interrupt */
#define UART_IER_THRI   0x02    /* transmitter empty interrupt */
#define UART_IER_RLSI   0x04    /* line status interrupt */
#define UART_IER_MSI    0x08    /* modem status interrupt */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI    0x00
#define UART_IIR_THRI   0x02
#define UART_IIR_RDI    0x04
#define UART_IIR_FIFO   0xc0

#define UART_LCR_DLAB   0x80
#define UART_MCR_LOOP   0x10
#define UART_LSR_DR     0x01
#define UART_LSR_OE     0x02
#define UART_LSR_THRE   0x20
#define UART_LSR_TEMT   0x40
#define UART_FCR_FE     0x01
#define UART_FCR_CLR_RX 0x02

#define RX_FIFO_SIZE    256

struct SerialState {
    IORegion io;
    Chardev *chr;
    unsigned irq;
    bool irq_level;
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
    bool thr_ipending;          /* THRE interrupt not yet acknowledged */
    uint8_t rx[RX_FIFO_SIZE];
    unsigned rx_head, rx_count;
};

static uint8_t serial_iir(SerialState *s)
{
    uint8_t fifo = (s->fcr & UART_FCR_FE) ? UART_IIR_FIFO : 0;
    if ((s->ier & UART_IER_RDI) && s->rx_count) {
        return fifo | UART_IIR_RDI;
    }
    if ((s->ier & UART_IER_THRI) && s->thr_ipending) {
        return fifo | UART_IIR_THRI;
    }
    if ((s->ier & UART_IER_MSI) && (s->msr & 0x0f)) {
        return fifo | UART_IIR_MSI;
    }
    return fifo | UART_IIR_NO_INT;
}

static void serial_update_irq(SerialState *s)
{
    bool level = !(serial_iir(s) & UART_IIR_NO_INT);
    if (level != s->irq_level) {
        s->irq_level = level;
        accel_set_irq(s->irq, level);
    }
}

static void serial_rx_push(SerialState *s, uint8_t c)
{
    if (s->rx_count == RX_FIFO_SIZE) {
        s->lsr |= UART_LSR_OE;
        return;
    }
    s->rx[(s->rx_head + s->rx_count++) % RX_FIFO_SIZE] = c;
}

static uint8_t serial_modem_status(SerialState *s)
{
    if (s->mcr & UART_MCR_LOOP) {
        /* RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD */
        return ((s->mcr & 0x02) << 3) | ((s->mcr & 0x01) << 5) |
               ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4);
    }
    return 0xb0 | (s->msr & 0x0f);  /* DCD, DSR, CTS: a modem is there */
}

static uint64_t serial_read(void *opaque, uint64_t offset, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = 0;
    switch (offset) {
    case 0:
        if (s->lcr & UART_LCR_DLAB) {
            v = s->dll;
        } else if (s->rx_count) {
            v = s->rx[s->rx_head];
            s->rx_head = (s->rx_head + 1) % RX_FIFO_SIZE;
            s->rx_count--;
        }
        break;
    case 1:
        v = (s->lcr & UART_LCR_DLAB) ? s->dlm : s->ier;
        break;
    case 2:
        v = serial_iir(s);
        if ((v & 0x0f) == UART_IIR_THRI) {
            s->thr_ipending = false;
        }
        break;
    case 3:
        v = s->lcr;
        break;
    case 4:
        v = s->mcr;
        break;
    case 5:
        v = s->lsr | UART_LSR_THRE | UART_LSR_TEMT |
            (s->rx_count ? UART_LSR_DR : 0);
        s->lsr &= ~UART_LSR_OE;
        break;
    case 6:
        v = serial_modem_status(s);
        s->msr &= 0xf0;
        break;
    case 7:
        v = s->scr;
        break;
    }
    serial_update_irq(s);
    return v;
}

static void serial_write(void *opaque, uint64_t offset, uint64_t value,
                         unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = value;
    switch (offset) {
    case 0:
        if (s->lcr & UART_LCR_DLAB) {
            s->dll = v;
            break;
        }
        if (s->mcr & UART_MCR_LOOP) {
            serial_rx_push(s, v);
        } else if (s->chr) {
            chardev_write(s->chr, &v, 1);
        }
        s->thr_ipending = true;
        break;
    case 1:
        if (s->lcr & UART_LCR_DLAB) {
            s->dlm = v;
            break;
        }
        /* Enabling the THRE interrupt with the transmitter empty fires it. */
        if ((v & UART_IER_THRI) && !(s->ier & UART_IER_THRI)) {
            s->thr_ipending = true;
        }
        s->ier = v & 0x0f;
        break;
    case 2:
        s->fcr = v & 0xc9;
        if (v & UART_FCR_CLR_RX) {
            s->rx_count = 0;
        }
        break;
    case 3:
        s->lcr = v;
        break;
    case 4:
        s->mcr = v & 0x1f;
        break;
    case 7:
        s->scr = v;
        break;
    }
    serial_update_irq(s);
}

static const MemoryRegionOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
};

static void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    SerialState *s = opaque;
    for (size_t i = 0; i < len; i++) {
        serial_rx_push(s, buf[i]);
    }
    serial_update_irq(s);
}

static const ChardevHandlers serial_handlers = {
    .read = serial_receive,
};

/* As at start: registers cleared, FIFO empty, interrupt line low. */
static void serial_reset(void *opaque)
{
    SerialState *s = opaque;
    s->ier = s->lcr = s->msr = s->scr = s->fcr = s->dll = s->dlm = 0;
    s->lsr = UART_LSR_THRE | UART_LSR_TEMT;
    s->mcr = 0x08;                      /* OUT2, as a BIOS leaves it */
    s->thr_ipending = false;
    s->rx_head = s->rx_count = 0;
    serial_update_irq(s);
}

static unsigned serial_count;

unsigned serial_ports(void)
{
    return serial_count;
}

SerialState *serial_new(Chardev *chr, uint16_t base, unsigned irq,
                        Error **errp)
{
    static const char *const names[] = { "serial port COM1",
        "serial port COM2", "serial port COM3", "serial port COM4" };
    const char *owner = "serial port";
    SerialState *s = g_new0(SerialState, 1);
    s->irq = irq;
    s->lsr = UART_LSR_THRE | UART_LSR_TEMT;
    s->mcr = 0x08;                      /* OUT2, as a BIOS leaves it */
    io_region_init(&s->io, "serial", AS_IO, 8, &serial_ops, s);
    if (!io_region_map(&s->io, base, errp)) {
        g_free(s);
        return NULL;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        if (base == serial_iobase[i]) {
            owner = names[i];
        }
    }
    if (chr) {
        if (!chardev_claim(chr, owner, errp)) {
            io_region_unmap(&s->io);
            g_free(s);
            return NULL;
        }
        s->chr = chr;
        chardev_set_handlers(chr, &serial_handlers, s);
    }
    reset_handler_add(serial_reset, s);
    serial_count++;
    trace(serial_new, "0x%x irq %u chardev %s", base, irq,
          chr ? chr->label : "none");
    return s;
}

const uint16_t serial_iobase[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
static const unsigned serial_irq[4] = { 4, 3, 4, 3 };

static const OptDesc isa_serial_desc[] = {
    { "chardev", OPT_STRING, "the chardev the port's bytes go to and come "
      "from" },
    { "index", OPT_NUMBER, "0 to 3: COM1 to COM4 (default: the next one)" },
    { "iobase", OPT_NUMBER, "I/O port (default from index: 0x3f8, 0x2f8, "
      "0x3e8, 0x2e8)" },
    { "irq", OPT_NUMBER, "ISA interrupt (default from index: 4, 3, 4, 3)" },
    { NULL },
};

/*
 * Where an isa-serial sits: index= or the count of isa-serial devices
 * before it (as QEMU numbers them), and the COM port's defaults.
 */
static bool isa_serial_place(const Opts *opts, uint64_t *iobase,
                             uint64_t *irq, Error **errp)
{
    GPtrArray *devs = options_lists()[TYPE_KIND_DEVICE];
    uint64_t index = 0;

    for (unsigned i = 0; devs && i < devs->len; i++) {
        const Opts *o = g_ptr_array_index(devs, i);
        if (o == opts) {
            break;
        }
        index += !g_strcmp0(options_type(TYPE_KIND_DEVICE, o), "isa-serial");
    }
    index = opts_get_number(opts, "index", index);
    if (index > 3 && (!opts_has(opts, "iobase") || !opts_has(opts, "irq"))) {
        opts_error(opts, errp, "index=%" G_GUINT64_FORMAT ": there are four "
                   "COM ports (index 0 to 3); give iobase= and irq= for "
                   "another", index);
        return false;
    }
    *iobase = opts_get_number(opts, "iobase", index < 4 ?
                              serial_iobase[index] : 0);
    *irq = opts_get_number(opts, "irq", index < 4 ? serial_irq[index] : 0);
    if (*iobase > 0xfff8) {
        opts_error(opts, errp, "iobase=0x%" G_GINT64_MODIFIER "x: the UART "
                   "takes 8 I/O ports, so iobase must be 0 to 0xfff8",
                   *iobase);
        return false;
    }
    if (*irq > 15) {
        opts_error(opts, errp, "irq=%" G_GUINT64_FORMAT ": an ISA interrupt "
                   "is 0 to 15", *irq);
        return false;
    }
    return true;
}

static bool isa_serial_check(const Opts *opts, Error **errp)
{
    const char *chr = opts_get(opts, "chardev");
    GPtrArray *devs = options_lists()[TYPE_KIND_DEVICE];
    uint64_t iobase, irq;

    if (!isa_serial_place(opts, &iobase, &irq, errp)) {
        return false;
    }
    if (chr && !options_find(TYPE_KIND_CHARDEV, chr)) {
        opts_error(opts, errp, "chardev=%s: there is no -chardev with id "
                   "'%s'", chr, chr);
        return false;
    }
    /* Two UARTs whose 8 ports overlap: the second is the problem. */
    for (unsigned i = 0; devs && i < devs->len; i++) {
        const Opts *o = g_ptr_array_index(devs, i);
        uint64_t other, other_irq;
        if (o == opts) {
            break;
        }
        if (g_strcmp0(options_type(TYPE_KIND_DEVICE, o), "isa-serial") ||
            !isa_serial_place(o, &other, &other_irq, NULL)) {
            continue;
        }
        if (iobase < other + 8 && other < iobase + 8) {
            opts_error(opts, errp, "iobase=0x%" G_GINT64_MODIFIER "x: an "
                       "earlier serial port (-serial or -device isa-serial) "
                       "is at 0x%" G_GINT64_MODIFIER "x already; give each "
                       "its own index= or iobase=", iobase, other);
            return false;
        }
    }
    return true;
}

static bool isa_serial_create(const Opts *opts, Error **errp)
{
    const char *id = opts_get(opts, "chardev");
    Chardev *chr = id ? chardev_find(id) : NULL;
    uint64_t iobase, irq;

    if (!isa_serial_place(opts, &iobase, &irq, errp)) {
        return false;
    }
    if (id && !chr) {
        error_setg(errp, "-device isa-serial: chardev '%s' is gone", id);
        return false;
    }
    if (!serial_new(chr, iobase, irq, errp)) {
        error_prepend(errp, "-device isa-serial: ");
        return false;
    }
    return true;
}

static const TypeInfo isa_serial_type = {
    .kind = TYPE_KIND_DEVICE,
    .name = "isa-serial",
    .help = "an 8250/16550A UART at COM1-COM4 (-serial makes these)",
    .opts = isa_serial_desc,
    .check = isa_serial_check,
    .create = isa_serial_create,
};

static void serial_register(void)
{
    type_register(&isa_serial_type);
}
type_init(serial_register)
