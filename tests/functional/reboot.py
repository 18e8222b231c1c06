#!/usr/bin/env python3
"""reboot.py VMU FW.ELF CASE [VMU-SWITCH]: a guest reset restarts the guest
in place (without -no-reboot), as QEMU does; with -no-reboot vmu exits 0.
The firmware's test=reboot marks RAM at 0x180000, resets, and passes on the
second boot when it finds the mark.

Cases: cf9, kbd, triple (the reset path), no-reboot, smp (4 vCPUs, the PIT
after the reset), qemu (the same firmware under QEMU microvm), switch
(virtio-net + vhost-user to vmu-switch: net-echo before and after)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from vmutest import expect, need_kvm, run, skip

ARGS = ["-nographic", "-nodefaults", "-serial", "stdio", "-m", "256M",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
QEMU = ["-accel", "kvm", "-cpu", "host,-arch-capabilities",
        "-machine", "microvm,x-option-roms=off,rtc=off"] + ARGS
IGNORED = "vmu-fw: reboot: ports ignored, triple fault"
REASONS = {"cf9": "a reset through port 0xcf9",
           "kbd": "a keyboard controller reset (port 0x64)",
           "triple": "a triple fault"}


def resets(r):
    return re.findall(r"pc_reset reset (\d+): (.*)", r.err)


def rebooted(r, what):
    r.show()
    expect(r.status == 1, "%s: status %d, expected 1 (pass)" %
           (what, r.status))
    lines = r.fw_lines()
    expect(lines.count("vmu-fw: reboot 1") == 1 and
           lines.count("vmu-fw: reboot 2 ok") == 1 and
           lines.index("vmu-fw: reboot 1") <
           lines.index("vmu-fw: reboot 2 ok"),
           "%s: the guest did not boot exactly twice" % what)


def vmu_reboot(vmu, fw, append, extra=()):
    return run([vmu] + ARGS + list(extra) + ["-trace", "pc_reset",
               "-kernel", fw, "-append", append])


def case_path(vmu, fw, via):
    r = vmu_reboot(vmu, fw, "test=reboot via=%s" % via)
    rebooted(r, via)
    expect(IGNORED not in r.out, "vmu ignored the reset (%s)" % via)
    expect(resets(r) == [("1", REASONS[via])],
           "trace pc_reset: %s, expected one reset by %s" %
           (resets(r), REASONS[via]))


def case_no_reboot(vmu, fw):
    r = run([vmu] + ARGS + ["-no-reboot", "-kernel", fw, "-append",
                            "test=reboot"])
    r.show()
    expect(r.status == 0, "status %d with -no-reboot, expected 0" % r.status)
    expect(r.fw_lines() == ["vmu-fw: reboot 1"],
           "with -no-reboot the guest must stop after its first boot")


def case_smp(vmu, fw):
    r = vmu_reboot(vmu, fw, "test=reboot first=pit then=pit", ["-smp", "4"])
    rebooted(r, "smp")
    # The PIT ticks on each boot.  How many ticks land between the
    # firmware's count reaching its goal and masking the pin depends on
    # the host's load: at least one, never an exact number.
    lines = r.fw_lines()
    second = lines.index("vmu-fw: reboot 2 ok")
    for boot, part in (("first", lines[:second]), ("second", lines[second:])):
        ticks = [int(m.group(1)) for m in
                 (re.match(r"vmu-fw: pit ticks (\d+)$", l) for l in part) if m]
        expect(len(ticks) == 1 and ticks[0] >= 1,
               "the PIT did not tick on the %s boot: %s" % (boot, ticks))


def case_qemu(vmu, fw):
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        skip("qemu-system-x86_64 is not installed")
    # The triple fault resets both machines: the same lines.
    v = vmu_reboot(vmu, fw, "test=reboot via=triple")
    q = run([qemu] + QEMU + ["-kernel", fw, "-append", "test=reboot "
                             "via=triple"])
    rebooted(q, "QEMU via=triple")
    expect(v.fw_lines() == q.fw_lines(), "vmu %s, QEMU %s" %
           (v.fw_lines(), q.fw_lines()))
    # microvm has neither PIIX reset control (0xcf9) nor an i8042 (0x64):
    # the firmware falls back to a triple fault there.  RAM survives.
    q = run([qemu] + QEMU + ["-kernel", fw, "-append", "test=reboot"])
    rebooted(q, "QEMU")
    expect(IGNORED in q.out, "QEMU microvm took a port reset")
    q = run([qemu] + QEMU + ["-no-reboot", "-kernel", fw, "-append",
                             "test=reboot"])
    q.show()
    expect(q.status == 0 and "vmu-fw: reboot 2 ok" not in q.out,
           "QEMU -no-reboot: status %d" % q.status)


def case_switch(vmu, fw, switch):
    tmp = tempfile.mkdtemp(prefix="vmu-reboot-")
    sock = os.path.join(tmp, "sw.sock")
    log = open(os.path.join(tmp, "switch.log"), "w")
    sw = subprocess.Popen([switch, "-s", sock], stdin=subprocess.DEVNULL,
                          stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 10
        while not os.path.exists(sock):
            expect(time.time() < deadline and sw.poll() is None,
                   "vmu-switch did not listen on %s" % sock)
            time.sleep(0.05)
        r = run([vmu] + ARGS + [
            "-chardev", "socket,id=c0,path=%s" % sock,
            "-netdev", "vhost-user,id=n0,chardev=c0",
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on",
            "-trace", "pc_reset", "-trace", "vhost_user_send",
            "-kernel", fw, "-append", "test=reboot first=net-echo "
            "then=net-echo count=100 wait-link=10 kick=always"], timeout=90)
    finally:
        sw.terminate()
        sw.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    rebooted(r, "switch")
    expect(len(re.findall(r"net echo 100/100 ok", r.out)) == 2,
           "net-echo did not pass before and after the reset")
    # At the reset the rings stopped as at a driver's reset.
    after = r.err[r.err.index("pc_reset reset 1"):]
    stops = re.findall(r"GET_VRING_BASE \(11\).*idx (\d+)", after)
    expect(sorted(stops[:2]) == ["0", "1"],
           "no GET_VRING_BASE for both rings at the reset: %s" % stops)


def main():
    vmu, fw, case = sys.argv[1:4]
    need_kvm()
    if case in REASONS:
        case_path(vmu, fw, case)
    elif case == "no-reboot":
        case_no_reboot(vmu, fw)
    elif case == "smp":
        case_smp(vmu, fw)
    elif case == "qemu":
        case_qemu(vmu, fw)
    elif case == "switch":
        case_switch(vmu, fw, sys.argv[4])
    else:
        expect(False, "unknown case " + case)
    print("PASS")


main()
