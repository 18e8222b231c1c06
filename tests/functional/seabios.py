#!/usr/bin/env python3
"""seabios.py VMU CASE: with no -kernel vmu runs Debian's SeaBIOS
(/usr/share/seabios/bios-256k.bin), as QEMU's pc does.

Cases: banner (SeaBIOS's banner on the debug port 0x402 and its console on
the serial port, then "No bootable device." with no disk), smp (-smp 2:
SeaBIOS counts two CPUs), reboot (-boot reboot-timeout=0: SeaBIOS resets
the machine after the failed boot and runs again from the restored image),
no-reboot (the same with -no-reboot: vmu exits 0 at SeaBIOS's reset),
acpi (SeaBIOS runs etc/table-loader and finds vmu's FADT through the RSDT
and parses its DSDT; with -no-acpi it finds none and still boots),
pci-as-qemu (SeaBIOS finds the same PCI devices under vmu and QEMU's pc).  kvm-pvm runs SeaBIOS slowly, so each wait has a
deadline of minutes, ended early by the text it waits for."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from vmutest import expect, fail, need_kvm, skip

BIOS = "/usr/share/seabios/bios-256k.bin"
DEADLINE = 120.0


def wait_for(path, text, proc, deadline):
    """Poll path until it holds text; fail if vmu exits or time runs out."""
    while True:
        try:
            with open(path, errors="replace") as f:
                data = f.read()
        except FileNotFoundError:
            data = ""
        if text in data:
            return data
        if proc.poll() is not None:
            fail("vmu exited with status %d before %r appeared in %s:\n%s"
                 % (proc.returncode, text, path, data[-2000:]))
        if time.monotonic() > deadline:
            fail("%r did not appear in %s within %.0f s; it has:\n%s"
                 % (text, path, DEADLINE, data[-2000:]))
        time.sleep(0.2)


def boot(vmu, tmp, extra=()):
    dbg = os.path.join(tmp, "debugcon.log")
    ser = os.path.join(tmp, "serial.log")
    argv = [vmu, "-m", "128", "-nographic", "-nodefaults",
            "-serial", "file:" + ser,
            "-chardev", "file,id=dbg,path=" + dbg,
            "-device", "isa-debugcon,iobase=0x402,chardev=dbg"] + list(extra)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc, dbg, ser


def stop(proc):
    """SIGTERM is an orderly shutdown: status 0, nothing on stderr."""
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("vmu did not exit within 30 s of SIGTERM")
    err = err.decode(errors="replace")
    expect(proc.returncode == 0, "vmu exited with status %d after SIGTERM: "
           "%s" % (proc.returncode, err))
    expect("Sanitizer" not in err and "runtime error" not in err,
           "sanitizer report:\n" + err)


def case_banner(vmu, tmp):
    t0 = time.monotonic()
    proc, dbg, ser = boot(vmu, tmp)
    try:
        wait_for(dbg, "SeaBIOS (version", proc, t0 + DEADLINE)
        t_banner = time.monotonic() - t0
        # The whole log first: a line is checked only once SeaBIOS is past
        # it (the file grows as SeaBIOS writes it).
        log = wait_for(dbg, "No bootable device.", proc, t0 + DEADLINE)
        expect("Found QEMU fw_cfg" in log and
               "QEMU fw_cfg DMA interface supported" in log,
               "SeaBIOS did not use the fw_cfg DMA interface:\n" + log)
        # The e820 map SeaBIOS built from etc/e820: 128 MiB of RAM, less
        # what it reserves at the top for the ACPI tables (as under QEMU).
        m = re.search(r"0000000000100000 - ([0-9a-f]{16}) = 1 RAM", log)
        expect(m and 0x7f00000 <= int(m.group(1), 16) <= 0x8000000,
               "SeaBIOS's e820 map lacks RAM up to 128 MiB:\n" + log)
        wait_for(ser, "SeaBIOS (version", proc, t0 + DEADLINE)
        wait_for(ser, "No bootable device.", proc, t0 + DEADLINE)
        print("banner after %.1f s, No bootable device after %.1f s"
              % (t_banner, time.monotonic() - t0))
    finally:
        if proc.poll() is None:
            stop(proc)


def case_smp(vmu, tmp):
    t0 = time.monotonic()
    proc, dbg, ser = boot(vmu, tmp, ["-smp", "2"])
    try:
        log = wait_for(dbg, "max supported", proc, t0 + DEADLINE)
        line = [l for l in log.splitlines() if "max supported" in l][0]
        expect(line.startswith("Found 2 cpu(s)"),
               "SeaBIOS found other than 2 CPUs: " + line)
    finally:
        if proc.poll() is None:
            stop(proc)


def case_reboot(vmu, tmp):
    t0 = time.monotonic()
    proc, dbg, ser = boot(vmu, tmp, ["-boot", "reboot-timeout=0"])
    try:
        wait_for(dbg, "Retrying in 0 seconds", proc, t0 + DEADLINE)
        # The banner again after the reset: the reset vector and the low
        # copy are back.  (SeaBIOS prints it twice per boot: log, console.)
        while True:
            log = wait_for(dbg, "Rebooting.", proc, t0 + DEADLINE)
            if "SeaBIOS (version" in log.split("Rebooting.", 1)[1]:
                break
            if time.monotonic() > t0 + DEADLINE:
                fail("SeaBIOS did not start again after its reset:\n" +
                     log[-2000:])
            time.sleep(0.2)
        print("second banner after %.1f s" % (time.monotonic() - t0))
    finally:
        if proc.poll() is None:
            stop(proc)


def case_no_reboot(vmu, tmp):
    t0 = time.monotonic()
    proc, dbg, ser = boot(vmu, tmp, ["-boot", "reboot-timeout=0",
                                     "-no-reboot"])
    try:
        out, err = proc.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("vmu -no-reboot did not exit at SeaBIOS's reset within %.0f s"
             % DEADLINE)
    err = err.decode(errors="replace")
    with open(dbg, errors="replace") as f:
        log = f.read()
    expect(proc.returncode == 0 and not err,
           "vmu -no-reboot: status %d, stderr %r (want 0, nothing)" %
           (proc.returncode, err))
    expect("Rebooting." in log and
           "SeaBIOS (version" not in log.split("Rebooting.", 1)[1],
           "SeaBIOS did not end in one reset:\n" + log[-2000:])
    print("exit at the reset after %.1f s" % (time.monotonic() - t0))


def case_acpi(vmu, tmp):
    t0 = time.monotonic()
    proc, dbg, ser = boot(vmu, tmp, ["-smp", "2"])
    try:
        # "table(50434146)": SeaBIOS found the FACP (FADT) via the RSDT
        # whose address the loader patched into the RSDP.
        log = wait_for(dbg, "No bootable device.", proc, t0 + DEADLINE)
        for want in ("Moving pm_base to 0x600", "table(50434146)=",
                     "(via rsdt)", "ACPI: parse DSDT at"):
            expect(want in log, "SeaBIOS's log lacks %r:\n%s" % (want, log))
        # The tables sit at the top of RAM, reserved in SeaBIOS's e820.
        expect(re.search(r"[0-9a-f]{16} - 0000000008000000 = 2 RESERVED",
                         log), "the ACPI tables are not reserved at the top "
               "of RAM in SeaBIOS's e820 map:\n" + log)
        print("SeaBIOS found the ACPI tables after %.1f s"
              % (time.monotonic() - t0))
    finally:
        if proc.poll() is None:
            stop(proc)
    tmp2 = os.path.join(tmp, "no-acpi")
    os.mkdir(tmp2)
    t0 = time.monotonic()
    proc, dbg, ser = boot(vmu, tmp2, ["-no-acpi"])
    try:
        log = wait_for(dbg, "No bootable device.", proc, t0 + DEADLINE)
        expect("table(50434146)" not in log and "parse DSDT" not in log,
               "with -no-acpi SeaBIOS still found ACPI tables:\n" + log)
    finally:
        if proc.poll() is None:
            stop(proc)


def pci_inits(log):
    """{bdf: vendor:device} from SeaBIOS's "PCI: init bdf=..." lines."""
    return dict(re.findall(r"PCI: init bdf=([0-9a-f:.]+) id=([0-9a-f:]+)",
                           log))


def case_pci_as_qemu(vmu, tmp):
    """SeaBIOS finds the same PCI devices under vmu as under QEMU's pc with
    the same -device lines; QEMU's PIIX3 also has its IDE function
    (00:01.1, 8086:7010), which vmu does not have (its disks are
    virtio-blk)."""
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        skip("qemu-system-x86_64 is not installed (package qemu-system-x86, "
             "scripts/install-deps)")
    img = os.path.join(tmp, "disk.img")
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    devices = ["-netdev", "user,id=n0",
               "-device", "virtio-net-pci,netdev=n0,addr=3,disable-legacy=on,"
               "romfile=",
               "-drive", "if=none,id=d0,format=raw,file=" + img,
               "-device", "virtio-blk-pci,drive=d0,addr=4,disable-legacy=on"]
    found = {}
    for name, argv0, extra in (
            ("vmu", vmu, []),
            ("QEMU", qemu, ["-machine", "pc,accel=kvm",
                            "-cpu", "host,-arch-capabilities",
                            "-bios", BIOS])):
        sub = os.path.join(tmp, name)
        os.mkdir(sub)
        t0 = time.monotonic()
        proc, dbg, ser = boot(argv0, sub, extra + devices)
        try:
            # After the last "PCI: init" line, before any boot attempt.
            log = wait_for(dbg, "PCI: No VGA devices found", proc,
                           t0 + DEADLINE)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        found[name] = pci_inits(log)
        print("%s: %s" % (name, sorted(found[name].items())))
    qemu_only = {"00:01.1": "8086:7010"}
    want = {k: v for k, v in found["QEMU"].items()
            if qemu_only.get(k) != v}
    expect(found["vmu"] == want, "SeaBIOS found other PCI devices under vmu "
           "(%s) than under QEMU (%s, less its IDE function)" %
           (sorted(found["vmu"].items()), sorted(want.items())))
    expect("00:03.0" in found["vmu"] and "00:04.0" in found["vmu"],
           "SeaBIOS did not find the NIC and the disk: %s" % found["vmu"])


def main():
    vmu, case = sys.argv[1], sys.argv[2]
    need_kvm()
    if not os.path.exists(BIOS):
        skip("%s is missing (Debian package seabios, in "
             "scripts/install-deps)" % BIOS)
    with tempfile.TemporaryDirectory(prefix="vmu-seabios-") as tmp:
        {"banner": case_banner, "smp": case_smp, "reboot": case_reboot,
         "no-reboot": case_no_reboot, "acpi": case_acpi,
         "pci-as-qemu": case_pci_as_qemu}[case](vmu, tmp)
    print("PASS")


if __name__ == "__main__":
    main()
