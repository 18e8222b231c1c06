#!/usr/bin/env python3
"""slirp_fw.py VMU FW.ELF CASE: the test firmware under KVM on -netdev
user (libslirp) asks who has 10.0.2.2 and pings it: slirp's gateway
answers the ARP request with its MAC and each echo request with the
same id, sequence and payload (the firmware checks both checksums).
Cases: netdev (-netdev user + virtio-net-pci), legacy (-net nic,
model=virtio -net user), qemu (the same firmware and netdev on QEMU 7.2:
the same replies)."""
import re
import shutil
import sys
from vmutest import expect, need_kvm, run, run_fw, skip

NIC = "virtio-net-pci,netdev=n0,disable-legacy=on"
APPEND = "test=net-slirp count=3"
ARP = "vmu-fw: net slirp arp 10.0.2.2 is 52:55:0a:00:02:02"


def check(r):
    r.show()
    expect(ARP in r.out, "no ARP reply from slirp's gateway with its MAC")
    m = re.search(r"net slirp ping 10.0.2.2 (\d+)/3 replies", r.out)
    expect(m and m.group(1) == "3", "not every ping came back intact")
    expect("vmu-fw: exit 0" in r.out, "the firmware did not pass")


def main():
    vmu, fw, case = sys.argv[1:4]
    need_kvm()
    if case == "netdev":
        check(run_fw(vmu, fw, APPEND, ["-netdev", "user,id=n0",
                                       "-device", NIC]))
    elif case == "legacy":
        check(run_fw(vmu, fw, APPEND, ["-net", "nic,model=virtio",
                                       "-net", "user"]))
    elif case == "qemu":
        if not shutil.which("qemu-system-x86_64"):
            skip("qemu-system-x86_64 not found (package qemu-system-x86)")
        r = run(["qemu-system-x86_64", "-accel", "kvm", "-cpu",
                 "host,-arch-capabilities", "-machine", "pc", "-m", "256M",
                 "-nographic", "-nodefaults", "-no-reboot", "-serial", "stdio",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                 "-netdev", "user,id=n0", "-device", NIC + ",romfile=",
                 "-kernel", fw, "-append", APPEND], 90)
        check(r)
    else:
        expect(False, "unknown case " + case)
    print("PASS")


main()
