/*
 * libqtest: start vmu (or QEMU, when QTEST_QEMU_BINARY is set) under the
 * qtest protocol and drive it: ports, guest memory, IRQ lines.
 */
#ifndef VMU_TESTS_LIBQTEST_H
#define VMU_TESTS_LIBQTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct QTestState QTestState;

/* Start a machine with these extra arguments (shell words). */
QTestState *qtest_init(const char *extra_args);
QTestState *qtest_initf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Close the socket, reap the child; a vmu that crashed fails the test. */
void qtest_quit(QTestState *s);

/* True when the tests drive QEMU (QTEST_QEMU_BINARY) instead of vmu. */
bool qtest_using_qemu(void);

/*
 * Skip the running test case because @what (which scripts/install-deps
 * provides) is missing: a skip by hand, a failure under make check
 * (VMU_TEST_STRICT=1), where a skip would hide a broken install step.
 */
void qtest_skip_missing(const char *what);

/*
 * For a command after which the machine may end (a guest poweroff): send
 * one line without waiting for its reply, then wait up to timeout_ms for
 * the process to exit; its wait status, or -1 if it is still running.
 * qtest_quit afterwards only cleans up.
 */
void qtest_send_noreply(QTestState *s, const char *line);
int qtest_wait_exit(QTestState *s, unsigned timeout_ms);

/* The longest the machine took to answer one line so far (ms). */
unsigned qtest_worst_reply_ms(QTestState *s);

/* Send one raw line, return the reply line (IRQ lines skipped; g_free). */
char *qtest_rsp(QTestState *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void qtest_outb(QTestState *s, uint16_t port, uint8_t v);
void qtest_outw(QTestState *s, uint16_t port, uint16_t v);
void qtest_outl(QTestState *s, uint16_t port, uint32_t v);
uint8_t qtest_inb(QTestState *s, uint16_t port);
uint16_t qtest_inw(QTestState *s, uint16_t port);
uint32_t qtest_inl(QTestState *s, uint16_t port);

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t v);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t v);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t v);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t v);
uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);

void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t len);
void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf,
                    size_t len);
void qtest_memset(QTestState *s, uint64_t addr, uint8_t v, size_t len);

/* Intercept the IOAPIC's inputs; then qtest_get_irq reports the levels. */
void qtest_irq_intercept_in(QTestState *s, const char *path);
bool qtest_get_irq(QTestState *s, unsigned n);

/* Poll until cond(s, opaque) or timeout_ms passes; returns cond's value. */
bool qtest_wait_until(QTestState *s, bool (*cond)(QTestState *, void *),
                      void *opaque, unsigned timeout_ms);

#endif
