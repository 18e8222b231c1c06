#!/usr/bin/env python3
"""bzimage.py VMU FW.BZIMAGE FW.ELF CASE: vmu's bzImage loader (x86 boot
protocol) end to end, with the test firmware packaged as a bzImage
(tests/guest/firmware/mkbzimage.py).  The firmware takes its command line,
memory map and initrd from boot_params, so every case checks one thing the
loader passes there; RAM totals are compared with the PVH boot of fw.elf.
Cases: hello, exit, highmem, initrd, qemu (same lines and status under QEMU
microvm, which runs the image's real-mode setup code through qboot)."""
import os
import re
import shutil
import sys
import tempfile
from vmutest import expect, need_kvm, run, run_fw, skip

QEMU = ["-accel", "kvm", "-cpu", "host,-arch-capabilities",
        "-machine", "microvm,x-option-roms=off,rtc=off",
        "-nographic", "-nodefaults", "-no-reboot", "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]


def ram_mib(r):
    m = re.search(r"vmu-fw: memmap \d+ entries, RAM (\d+) MiB", r.out)
    expect(m, "no memmap line", r)
    return int(m.group(1))


def boot(vmu, bz, append, extra=()):
    """Run the bzImage; check that vmu took the 64-bit entry."""
    r = run_fw(vmu, bz, append, list(extra) + ["-trace", "bzimage_load"])
    r.show()
    expect("bzimage_load protocol 2.0c at 0x100000" in r.err and
           "64-bit entry" in r.err,
           "vmu did not load the bzImage at 0x100000 with its 64-bit entry",
           r)
    return r


def hello(vmu, bz, elf, mem, want_mib):
    r = boot(vmu, bz, "test=hello", ["-m", mem])
    expect(r.status == 1, "status %d, expected 1" % r.status)
    expect("vmu-fw: hello" in r.out, "no 'vmu-fw: hello'")
    p = run_fw(vmu, elf, "test=hello", ["-m", mem])
    print("bzImage RAM %d MiB, PVH RAM %d MiB" % (ram_mib(r), ram_mib(p)))
    expect(ram_mib(r) == ram_mib(p) == want_mib,
           "RAM: bzImage %d MiB, PVH %d MiB, expected %d" %
           (ram_mib(r), ram_mib(p), want_mib))


def main():
    vmu, bz, elf, case = sys.argv[1:5]
    need_kvm()
    if case == "hello":
        hello(vmu, bz, elf, "256M", 255)
    elif case == "exit":
        # exit=5 only reaches the firmware through cmd_line_ptr.
        r = boot(vmu, bz, "test=hello exit=5", ["-m", "256M"])
        expect(r.status == 11 and "vmu-fw: exit 5" in r.out,
               "status %d, expected 11 (exit 5)" % r.status)
    elif case == "highmem":
        hello(vmu, bz, elf, "5G", 5119)
        r = boot(vmu, bz, "test=highmem", ["-m", "5G"])
        expect(r.status == 1 and
               "vmu-fw: highmem ok at 0x100000000" in r.out,
               "highmem failed (status %d)" % r.status)
    elif case == "initrd":
        data = b"vmu-initrd\x00\x01\x02\xfe\xff" + bytes(range(32))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "initrd.bin")
            with open(path, "wb") as f:
                f.write(data)
            r = boot(vmu, bz, "test=initrd", ["-m", "256M", "-initrd", path])
        expect(r.status == 1, "status %d, expected 1" % r.status)
        m = re.search(r"vmu-fw: initrd at (0x[0-9a-f]+) size (\d+) "
                      r"\(boot_params\)", r.out)
        expect(m, "no initrd line from boot_params")
        expect(int(m.group(2)) == len(data), "initrd size %s, file %d" %
               (m.group(2), len(data)))
        want = " ".join("%02x" % b for b in data[:16])
        expect("vmu-fw: initrd bytes " + want in r.out,
               "initrd bytes differ from the file (want %s)" % want)
        r = boot(vmu, bz, "test=initrd", ["-m", "256M"])
        expect(r.status == 3 and "vmu-fw: no initrd (boot_params)" in r.out,
               "without -initrd: status %d, expected 3" % r.status)
    elif case == "qemu":
        qemu = shutil.which("qemu-system-x86_64")
        if not qemu:
            skip("qemu-system-x86_64 is not installed")
        for append in ["test=hello", "test=hello exit=5"]:
            v = run_fw(vmu, bz, append, ["-m", "256M"])
            q = run([qemu] + QEMU + ["-m", "256M", "-kernel", bz,
                                     "-append", append])
            print("vmu  %.3f s status %d: %s" % (v.seconds, v.status,
                                                 v.fw_lines()))
            print("qemu %.3f s status %d: %s" % (q.seconds, q.status,
                                                 q.fw_lines()))
            expect(q.fw_lines(), "QEMU printed no vmu-fw: lines", q)
            # Entry counts differ (microvm lists its own reservations).
            norm = lambda ls: [re.sub(r"memmap \d+ entries",
                                      "memmap N entries", l) for l in ls]
            expect(norm(v.fw_lines()) == norm(q.fw_lines()),
                   "the vmu-fw: lines differ")
            expect(v.status == q.status, "status: vmu %d, QEMU %d" %
                   (v.status, q.status))
    else:
        sys.exit("unknown case " + case)
    print("PASS")


main()
