#!/usr/bin/env python3
"""firmware.py VMU FW.ELF CASE: the test firmware under vmu on KVM.
Cases: hello, exit, pit, msi, ioeventfd, highmem, pam, smp."""
import sys
from vmutest import expect, need_kvm, run_fw

CASES = {
    # case: (append, extra args, status, lines that must appear)
    "hello": ("test=hello", ["-m", "256M"], 1,
              ["vmu-fw: hello", "vmu-fw: memmap", "RAM 255 MiB",
               "vmu-fw: exit 0"]),
    "exit": ("test=hello exit=5", ["-m", "256M"], 11, ["vmu-fw: exit 5"]),
    "pit": ("test=pit", [], 1, ["vmu-fw: pit via ioapic pin 2",
                                "vmu-fw: pit ticks"]),
    "msi": ("test=msi", ["-device", "vmu-testdev"], 1,
            ["vmu-fw: msi vector 0x41 received"]),
    "ioeventfd": ("test=ioeventfd", ["-device", "vmu-testdev",
                                     "-trace", "testdev_doorbell_exit"], 1,
                  ["vmu-fw: ioeventfd doorbells"]),
    # 5 GiB of shared memfd: sparse, RAM at 0-3 GiB and 4-6 GiB.
    "highmem": ("test=highmem", ["-m", "5G"], 1,
                ["vmu-fw: highmem ok at 0x100000000"]),
    # The i440FX PAM modes as KVM slots (read-only, none) and user space.
    "pam": ("test=pam", [], 1, ["vmu-fw: pam ok"]),
    "smp": ("test=pit", ["-smp", "4"], 1, ["vmu-fw: pit ticks"]),
}


ACCEL_SPELLINGS = [[], ["-accel", "kvm"], ["-enable-kvm"],
                   ["-machine", "pc,accel=kvm"],
                   ["-machine", "accel=kvm", "-accel", "kvm"]]


def accel_spellings(vmu, fw):
    """Every way of asking for KVM runs the guest."""
    for extra in ACCEL_SPELLINGS:
        r = run_fw(vmu, fw, "test=hello exit=3", extra)
        print("%s: status %d" % (" ".join(extra) or "(default)", r.status))
        expect(r.status == 7 and "vmu-fw: exit 3" in r.out,
               "%s did not run the guest" % extra, r)
    print("PASS")


def main():
    vmu, fw, case = sys.argv[1:4]
    need_kvm()
    if case == "accel-spellings":
        return accel_spellings(vmu, fw)
    append, extra, status, lines = CASES[case]
    r = run_fw(vmu, fw, append, extra)
    r.show()
    expect(r.status == status, "status %d, expected %d" % (r.status, status))
    for l in lines:
        expect(l in r.out, "no '%s' in the output" % l)
    if case == "ioeventfd":
        # Every doorbell went through the KVM ioeventfd, none to vmu.
        expect("testdev_doorbell_exit" not in r.err,
               "a doorbell reached user space instead of the ioeventfd")
    if case == "msi":
        n = int(r.out.split("received")[1].split()[0])
        expect(n >= 2, "MSI arrived %d times, expected 2" % n)
    print("PASS")


main()
