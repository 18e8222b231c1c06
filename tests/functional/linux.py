#!/usr/bin/env python3
"""linux.py VMU FETCH-KERNEL CACHEDIR CASE: Debian's kernel under vmu.

  pvh        boot the uncompressed vmlinux through its PVH note; the serial
             console must show "Linux version" and the e820 map (BIOS-e820)
             within 90 s.  On kvm-pvm (nested paravirtual KVM) Linux gets
             no further than its INT3 self-test, so that is all we ask.
  initramfs  boot the bzImage with a busybox initramfs whose init prints a
             line and reboots (-no-reboot: vmu exits 0).  Needs VMX/SVM:
             skipped on kvm-pvm.
  intx       the same with acpi=off and a virtio-net-pci with vectors=0
             (no MSI-X): Linux routes INT A through the MP table (no
             "probably buggy MP table"), the NIC's interrupt is an IO-APIC
             line in /proc/interrupts, and a DHCP exchange with -netdev
             user raises it.
  amd        on an AMD host, -smp 2: Linux sees 2 cores in one package
             (CPUID 0x80000008 from -smp, not the host's) and no SEV
             (0x8000001F zero).  Skipped on other hosts.
Skips (77) when the kernel package cannot be downloaded."""
import os
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
from vmutest import expect, fail, is_kvm_pvm, need_kvm, skip


def fetch(script, cache):
    p = subprocess.run([script, cache], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=240)
    if p.returncode == 77:
        skip("cannot fetch the kernel: " + p.stderr.decode().strip())
    if p.returncode:
        fail("fetch-kernel failed: " + p.stderr.decode().strip())


def boot(argv, want, deadline_s):
    """Run argv until every string in want has appeared on stdout, vmu
    exits, or the deadline passes.  Returns (output, status or None)."""
    print("$ " + " ".join(argv))
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    deadline = time.monotonic() + deadline_s
    status = None
    try:
        while time.monotonic() < deadline:
            text = out.decode(errors="replace")
            if all(w in text for w in want):
                break
            r, _, _ = select.select([p.stdout], [], [], 1.0)
            if r:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    status = p.wait(timeout=10)
                    break
                out += chunk
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        else:
            status = p.returncode
        out += p.stdout.read()
    return out.decode(errors="replace"), status


def cpio_newc(files):
    """files: list of (name, mode, data); returns a newc archive."""
    blob = b""
    for ino, (name, mode, data) in enumerate(files + [("TRAILER!!!", 0,
                                                       b"")]):
        n = name.encode() + b"\0"
        hdr = b"070701" + b"".join(b"%08X" % v for v in (
            ino + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0))
        blob += hdr + n
        blob += b"\0" * (-len(blob) % 4) + data
        blob += b"\0" * (-len(blob) % 4)
    return blob


INIT_INTX = (b"/bin/busybox mount -t sysfs sys /sys\n"
             b"/bin/busybox ip link set eth0 up\n"
             b"/bin/busybox udhcpc -i eth0 -n -q -t 5 -s /bin/true\n"
             b"/bin/busybox grep virtio /proc/interrupts | "
             b"while read n c rest; do echo vmu-linux: irq $n $c $rest; "
             b"done\n")
INIT_AMD = (b"/bin/busybox grep -m2 -e 'cpu cores' -e siblings /proc/cpuinfo"
            b" | while read l; do echo vmu-linux: cpuinfo $l; done\n")


def initramfs(path, extra=b""):
    bb = shutil.which("busybox")
    if not bb:
        skip("busybox is not installed (apt-get install busybox-static)")
    ldd = subprocess.run(["ldd", bb], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout
    if b"not a dynamic" not in ldd:
        skip("%s is not statically linked (apt-get install busybox-static)"
             % bb)
    init = (b"#!/bin/busybox sh\n"
            b"/bin/busybox mount -t proc proc /proc\n"
            b"echo vmu-linux: shell ok $(/bin/busybox cat /proc/cmdline)\n"
            + extra +
            b"/bin/busybox reboot -f\n")
    with open(bb, "rb") as f:
        bbdata = f.read()
    d = stat.S_IFDIR | 0o755
    files = [("bin", d, b""), ("proc", d, b""), ("dev", d, b""),
             ("sys", d, b""),
             ("bin/busybox", stat.S_IFREG | 0o755, bbdata),
             ("init", stat.S_IFREG | 0o755, init)]
    with open(path, "wb") as f:
        f.write(cpio_newc(files))


def main():
    vmu, script, cache, case = sys.argv[1:5]
    need_kvm()
    if case == "amd" and "AuthenticAMD" not in open("/proc/cpuinfo").read():
        skip("the host CPU is not AMD: the AMD CPUID policy is checked "
             "on an AMD host (test-cpuid-policy covers its rules)",
             host="amd")
    if case != "pvh" and is_kvm_pvm():
        skip("/dev/kvm is kvm-pvm (nested paravirtual KVM): its "
             "instruction emulator stops Linux at the INT3 self-test, long "
             "before user space; this test needs VMX or SVM",
             host="kvm-linux")
    fetch(script, cache)
    base = [vmu, "-m", "512M", "-nographic", "-no-reboot"]
    if case == "pvh":
        e820 = ("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] "
                "usable")
        t0 = time.monotonic()
        out, status = boot(base + ["-kernel", os.path.join(cache, "vmlinux"),
                                   "-append",
                                   "console=ttyS0 earlyprintk=ttyS0"],
                           ["Linux version",
                            "BIOS-e820: [mem 0x00000000feffc000"], 90)
        print(out[-4000:])
        print("vmu status %s after %.1f s" % (status, time.monotonic() - t0))
        expect("Linux version" in out, "no 'Linux version' on the console")
        expect(e820 in out, "no e820 map on the console")
    else:
        tmp = tempfile.TemporaryDirectory(prefix="vmu-linux-")
        rd = os.path.join(tmp.name, "initramfs.cpio")
        extra, args, append = b"", [], ""
        if case == "intx":
            extra = INIT_INTX
            args = ["-netdev", "user,id=n0", "-device",
                    "virtio-net-pci,netdev=n0,disable-legacy=on,vectors=0"]
            append = " acpi=off"
        elif case == "amd":
            extra, args = INIT_AMD, ["-smp", "2"]
        initramfs(rd, extra)
        out, status = boot(base + args +
                           ["-kernel", os.path.join(cache, "vmlinuz"),
                            "-initrd", rd, "-append",
                            "console=ttyS0 panic=-1 vmu-test" + append],
                           ["\n__never__"], 100)
        print(out[-4000:])
        expect("vmu-linux: shell ok" in out, "the initramfs shell did not "
               "run")
        expect(status == 0, "vmu exited with %s, expected 0 after the "
               "guest's reboot with -no-reboot" % status)
        if case == "intx":
            expect("buggy MP table" not in out,
                   "Linux found no IRQ for the NIC in the MP table")
            irqs = [l.split() for l in out.splitlines()
                    if l.startswith("vmu-linux: irq ")]
            expect(any("IO-APIC" in l and int(l[3]) > 0 for l in irqs),
                   "no virtio IO-APIC line with interrupts: %s" % irqs)
        elif case == "amd":
            expect("vmu-linux: cpuinfo cpu cores : 2" in out and
                   "vmu-linux: cpuinfo siblings : 2" in out,
                   "Linux does not see one package of 2 cores")
            expect("SEV" not in out, "Linux saw SEV")
    print("PASS")


main()
