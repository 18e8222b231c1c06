#!/usr/bin/env python3
"""intx.py VMU FW.ELF CASE: a NIC with MSI-X off (vectors=0) gets its
interrupts through INTx routed as a guest without ACPI finds it: the
firmware (intx=mp) looks the device up in the MP table by bus, slot and
pin as Linux's mpparse and io_apic.c do, checks the PIIX3 PIRQ register
and INTERRUPT_LINE agree, programs the IOAPIC pin level-triggered and
sends frames; TX completions must raise it.
Cases: slot2 (PIRQ B, IRQ 10), slot4-no-acpi (PIRQ D, IRQ 11), reset (the
routing is back after a guest reset), echo (frames come back through a
socket netdev: RX interrupts on the INTx line too), qemu (the same
firmware reads SeaBIOS's MP table under QEMU's pc and finds the same IRQ
for the slot)."""
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from vmutest import FW_ARGS, Result, expect, need_kvm, run, run_fw

NIC = "virtio-net-pci,netdev=n0,disable-legacy=on,vectors=0"
APPEND = "irq=intx intx=mp count=10"
ROUTE = re.compile(r"net intx mp bus (\d+) slot (\d+) INTA -> ioapic pin "
                   r"(\d+) level high, pirq (0x[0-9a-f]+), line (\d+)")


def check(r, slot, irq, runs=1):
    r.show()
    routes = ROUTE.findall(r.out)
    expect(len(routes) == runs, "%d routing lines, expected %d" %
           (len(routes), runs))
    for bus, s, pin, pirq, line in routes:
        expect(int(s) == slot and int(pin) == irq and int(line) == irq and
               int(pirq, 16) == irq,
               "slot %s routed to pin %s (PIRQ %s, line %s), expected %d" %
               (s, pin, pirq, line, irq))
    done = re.findall(r"net tx 10 frames, (\d+) interrupts", r.out)
    expect(len(done) == runs and all(int(n) >= 1 for n in done),
           "the frames did not all complete with an INTx interrupt")
    expect("vmu-fw: exit 0" in r.out, "the firmware did not pass")


def echo_frames(sock):
    """The socket netdev's other end: every frame (4-byte big-endian
    length, then the frame) is sent back as it came."""
    buf = b""
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            return
        if not data:
            return
        buf += data
        while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I",
                                                              buf[:4])[0]:
            n = 4 + struct.unpack(">I", buf[:4])[0]
            sock.sendall(buf[:n])
            buf = buf[n:]


def run_echo(vmu, fw):
    ours, theirs = socket.socketpair()
    t = threading.Thread(target=echo_frames, args=(ours,), daemon=True)
    t.start()
    t0 = time.monotonic()
    p = subprocess.run([vmu] + FW_ARGS +
                       ["-netdev", "socket,id=n0,fd=%d" % theirs.fileno(),
                        "-device", NIC, "-kernel", fw, "-append",
                        "test=net-echo irq=intx intx=mp count=20"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60,
                       pass_fds=[theirs.fileno()])
    theirs.close()
    ours.close()
    return Result(p.returncode, p.stdout.decode(errors="replace"),
                  p.stderr.decode(errors="replace"), time.monotonic() - t0)


def main():
    vmu, fw, case = sys.argv[1:4]
    need_kvm()
    net = ["-netdev", "user,id=n0", "-device", NIC]
    if case == "slot2":
        r = run_fw(vmu, fw, "test=net-tx " + APPEND, net)
        check(r, 2, 10)
    elif case == "slot4-no-acpi":
        r = run_fw(vmu, fw, "test=net-tx " + APPEND,
                   ["-no-acpi", "-netdev", "user,id=n0",
                    "-device", NIC + ",addr=4"])
        check(r, 4, 11)
    elif case == "reset":
        r = run([vmu, "-nographic", "-nodefaults", "-serial", "stdio",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=4"] + net +
                ["-kernel", fw, "-append",
                 "test=reboot first=net-tx then=net-tx " + APPEND], 60)
        expect("vmu-fw: reboot 2 ok" in r.out, "no reset happened", r)
        check(r, 2, 10, runs=2)
    elif case == "echo":
        r = run_echo(vmu, fw)
        r.show()
        expect(ROUTE.search(r.out), "no MP table route")
        m = re.search(r"net echo 20/20 ok, rx irqs (\d+)", r.out)
        expect(m and int(m.group(1)) >= 1,
               "the frames did not all come back with RX interrupts")
    elif case == "qemu":
        r = run(["qemu-system-x86_64", "-accel", "kvm", "-cpu",
                 "host,-arch-capabilities", "-machine", "pc", "-m", "256M",
                 "-nographic", "-nodefaults", "-no-reboot", "-serial", "stdio",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                 "-netdev", "user,id=n0", "-device",
                 NIC + ",addr=4,romfile=", "-kernel", fw,
                 "-append", "test=net-tx " + APPEND], 90)
        check(r, 4, 11)
    else:
        expect(False, "unknown case " + case)
    print("PASS")


main()
