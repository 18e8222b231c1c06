/* serial.c - polled 8250/16550 UART output on COM1 (0x3f8) for vmu's test
 * firmware. Waiting for THRE is bounded so a missing or stuck UART can never
 * hang the firmware. */
#include "fw.h"

#define COM1        0x3f8
#define UART_THR    0       /* transmit holding (DLAB=0) */
#define UART_DLL    0       /* divisor low (DLAB=1) */
#define UART_IER    1
#define UART_DLM    1       /* divisor high (DLAB=1) */
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define LSR_THRE    0x20
#define THRE_POLLS  1000

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);     /* no interrupts */
    outb(COM1 + UART_LCR, 0x80);     /* DLAB */
    outb(COM1 + UART_DLL, 0x01);     /* 115200 baud */
    outb(COM1 + UART_DLM, 0x00);
    outb(COM1 + UART_LCR, 0x03);     /* 8N1 */
    outb(COM1 + UART_FCR, 0x07);     /* enable + clear FIFOs */
    outb(COM1 + UART_MCR, 0x03);     /* DTR, RTS */
}

void serial_putc(char c)
{
    for (unsigned i = 0; i < THRE_POLLS; i++) {
        if (inb(COM1 + UART_LSR) & LSR_THRE) {
            break;
        }
        cpu_relax();
    }
    outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s) {
        serial_putc(*s++);
    }
}

void printf(const char *fmt, ...)
{
    char buf[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    serial_puts(buf);
}
