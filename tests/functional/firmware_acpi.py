#!/usr/bin/env python3
"""firmware_acpi.py VMU FW CASE: the test firmware's test=acpi under KVM,
booted directly (-kernel), parses the ACPI tables vmu places itself: the
RSDP from the PVH start info and by the legacy scan (the same, at
0xfc000), every checksum, the MADT's IOAPIC (answering at its address)
and local APICs, the FADT's PM timer port read advancing.

Cases: smp1, smp4, bzimage (FW is fw.bzImage: the scan only, as the image
says boot protocol 2.12), bzimage-2.14 (a copy that says 2.14: vmu fills
boot_params.acpi_rsdp_addr, which must name the RSDP the scan finds),
no-acpi (no RSDP either way: the test fails), reboot (test=acpi before and after a reset through 0xcf9: the tables and
the PM block are back)."""
import os
import re
import shutil
import sys
import tempfile

from vmutest import FW_ARGS, expect, need_kvm, run, run_fw

CASES = {
    # case: (extra args, status, cpus or None)
    "smp1": (["-smp", "1"], 1, 1),
    "smp4": (["-smp", "4"], 1, 4),
    "bzimage": (["-smp", "2"], 1, 2),
    "bzimage-2.14": (["-smp", "2"], 1, 2),
    "no-acpi": (["-no-acpi"], 3, None),
    "reboot": (["-smp", "2"], 1, 2),
}


def protocol_2_14(fw, tmp):
    """A copy of the bzImage whose setup header says version 0x020e."""
    copy = os.path.join(tmp, "fw-2.14.bzImage")
    shutil.copyfile(fw, copy)
    with open(copy, "r+b") as f:
        f.seek(0x202)
        expect(f.read(4) == b"HdrS", "%s has no setup header" % fw)
        f.write((0x020e).to_bytes(2, "little"))
    return copy


def main():
    vmu, fw, case = sys.argv[1:4]
    need_kvm()
    if case == "bzimage-2.14":
        with tempfile.TemporaryDirectory() as tmp:
            return check(vmu, protocol_2_14(fw, tmp), case)
    return check(vmu, fw, case)


def check(vmu, fw, case):
    extra, status, cpus = CASES[case]
    if case == "reboot":
        # Without -no-reboot: the reset restarts the guest in place.
        r = run([vmu] + [a for a in FW_ARGS if a != "-no-reboot"] +
                ["-m", "256M"] + extra + ["-kernel", fw, "-append",
                                          "test=reboot first=acpi then=acpi"])
    else:
        r = run_fw(vmu, fw, "test=acpi", ["-m", "256M"] + extra)
    r.show()
    expect(r.status == status, "status %d, expected %d" % (r.status, status))
    if cpus is None:
        expect("vmu-fw: acpi rsdp pvh 0x0 scan 0x0" in r.out,
               "-no-acpi left an RSDP for the guest")
        print("PASS")
        return
    kind = {"bzimage": "boot_params 0x0",
            "bzimage-2.14": "boot_params 0xfc000"}.get(case, "pvh 0xfc000")
    expect("vmu-fw: acpi rsdp %s scan 0xfc000" % kind in r.out,
           "the RSDP is not at 0xfc000 both ways")
    expect("checksums ok" in r.out, "a table's checksum is wrong")
    m = re.search(r"madt ioapic 0xfec00000 version 0x(\w+) pins (\d+) "
                  r"lapics (\d+)", r.out)
    expect(m is not None, "no IOAPIC at 0xfec00000 from the MADT")
    expect(int(m.group(2)) == 24, "the IOAPIC has %s pins, not 24"
           % m.group(2))
    expect(int(m.group(3)) == cpus, "the MADT lists %s local APICs for "
           "-smp %d" % (m.group(3), cpus))
    m = re.search(r"pm timer port 0x608 (24|32)-bit advanced (\d+) ticks",
                  r.out)
    expect(m is not None and int(m.group(2)) > 0,
           "the FADT's PM timer (0x608) did not advance")
    if case == "reboot":
        expect("vmu-fw: reboot 2 ok" in r.out, "no second boot")
        tail = r.out[r.out.index("vmu-fw: reboot 2 ok"):]
        expect(re.search(r"pm timer port 0x608 \S+ advanced [1-9]", tail)
               and "lapics 2" in tail,
               "after the reset the tables or the PM timer are gone")
    print("PASS")


main()
