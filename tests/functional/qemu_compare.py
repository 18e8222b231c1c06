#!/usr/bin/env python3
"""qemu_compare.py VMU FW.ELF CASE: the firmware prints the same vmu-fw:
lines and exits with the same status under vmu and under QEMU (microvm).
The number of memory map entries differs (microvm lists its own
reservations) and is masked; the RAM total must match."""
import re
import shutil
import sys
from vmutest import expect, need_kvm, run, run_fw, skip

QEMU = ["-accel", "kvm", "-cpu", "host,-arch-capabilities",
        "-machine", "microvm,x-option-roms=off,rtc=off",
        "-nographic", "-nodefaults", "-no-reboot", "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
CASES = {
    "hello": ("test=hello", "256M"),
    "pit": ("test=pit", "256M"),
    "highmem": ("test=highmem", "5G"),
    # CPUID fields of QEMU's -cpu host policy (TSC-deadline, the -smp core
    # count in 0x80000008, no SEV in 0x8000001F, CmpLegacy).
    "cpuid-smp1": ("test=cpuid", "256M", ["-smp", "1"]),
    "cpuid-smp2": ("test=cpuid", "256M", ["-smp", "2"]),
}


def norm(lines):
    return [re.sub(r"memmap \d+ entries", "memmap N entries", l)
            for l in lines]


def main():
    vmu, fw, case = sys.argv[1:4]
    need_kvm()
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        skip("qemu-system-x86_64 is not installed")
    append, mem, extra = (CASES[case] + ([],))[:3]
    v = run_fw(vmu, fw, append, ["-m", mem] + extra)
    q = run([qemu] + QEMU + ["-m", mem] + extra +
            ["-kernel", fw, "-append", append])
    print("vmu  %.3f s status %d: %s" % (v.seconds, v.status, v.fw_lines()))
    print("qemu %.3f s status %d: %s" % (q.seconds, q.status, q.fw_lines()))
    expect(q.fw_lines(), "QEMU printed no vmu-fw: lines", q)
    expect(norm(v.fw_lines()) == norm(q.fw_lines()),
           "the vmu-fw: lines differ")
    expect(v.status == q.status, "status: vmu %d, QEMU %d" %
           (v.status, q.status))
    print("PASS")


main()
