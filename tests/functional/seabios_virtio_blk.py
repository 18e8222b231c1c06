#!/usr/bin/env python3
"""seabios_virtio_blk.py VMU CASE: SeaBIOS (Debian's bios-256k.bin, whose
virtio-blk driver was written outside this project) boots a boot sector
from a virtio-blk-pci disk.  The boot sector prints a line on COM1 with
`out` and ends vmu through isa-debug-exit (status 0x21).

Cases: raw (-drive if=none + -device virtio-blk-pci,bootindex=1),
if-virtio (-drive if=virtio,format=raw), and qcow2 (the same sector in a
qcow2 image qemu-img converts).
kvm-pvm runs SeaBIOS slowly: the wait ends at the line, within minutes."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

from seabios import BIOS, DEADLINE, boot, wait_for
from vmutest import expect, fail, need_kvm

LINE = "vmu: booted from virtio-blk"
EXIT_STATUS = (0x10 << 1) | 1       # isa-debug-exit: (value << 1) | 1


def boot_sector():
    """Real mode at 0x7c00: print LINE on COM1, exit, halt."""
    msg = (LINE + "\r\n").encode() + b"\0"
    msg_addr = 0x7c00 + 26
    code = bytes([
        0xfa,                               # cli
        0x31, 0xc0,                         # xor ax, ax
        0x8e, 0xd8,                         # mov ds, ax
        0xbe]) + struct.pack("<H", msg_addr) + bytes([  # mov si, msg
        0xba, 0xf8, 0x03,                   # mov dx, 0x3f8
        0xac,                               # .loop: lodsb
        0x84, 0xc0,                         # test al, al
        0x74, 0x03,                         # jz .done
        0xee,                               # out dx, al
        0xeb, 0xf8,                         # jmp .loop
        0xb0, 0x10,                         # .done: mov al, 0x10
        0xe6, 0xf4,                         # out 0xf4, al (isa-debug-exit)
        0xf4,                               # .halt: hlt
        0xeb, 0xfd,                         # jmp .halt
    ])
    assert len(code) == 26
    sector = code + msg
    sector += b"\0" * (510 - len(sector)) + b"\x55\xaa"
    return sector


def write_raw(path):
    with open(path, "wb") as f:
        f.write(boot_sector())
        f.truncate(1 << 20)


def run(vmu, tmp, disk_args):
    t0 = time.monotonic()
    proc, dbg, ser = boot(vmu, tmp, [
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4"] + disk_args)
    try:
        wait_for(ser, LINE, proc, t0 + DEADLINE)
        print("boot sector's line after %.1f s" % (time.monotonic() - t0))
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            fail("vmu did not exit through isa-debug-exit within 60 s of "
                 "the boot sector's line")
        err = err.decode(errors="replace")
        expect(proc.returncode == EXIT_STATUS,
               "vmu exited with status %d, want %d (isa-debug-exit): %s"
               % (proc.returncode, EXIT_STATUS, err))
        expect("Sanitizer" not in err and "runtime error" not in err,
               "sanitizer report:\n" + err)
        with open(dbg, errors="replace") as f:
            log = f.read()
        expect("virtio" in log.lower(),
               "SeaBIOS's log does not mention the virtio disk:\n" +
               log[-3000:])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def case_raw(vmu, tmp):
    img = os.path.join(tmp, "boot.raw")
    write_raw(img)
    run(vmu, tmp, ["-drive", "if=none,id=d0,format=raw,file=" + img,
                   "-device", "virtio-blk-pci,drive=d0,bootindex=1"])


def case_if_virtio(vmu, tmp):
    img = os.path.join(tmp, "boot.raw")
    write_raw(img)
    run(vmu, tmp, ["-drive", "if=virtio,format=raw,file=" + img])


def case_qcow2(vmu, tmp):
    qemu_img = shutil.which("qemu-img")
    if not qemu_img:
        fail("qemu-img not found (package qemu-utils, scripts/install-deps)")
    raw = os.path.join(tmp, "boot.raw")
    img = os.path.join(tmp, "boot.qcow2")
    write_raw(raw)
    subprocess.run([qemu_img, "convert", "-f", "raw", "-O", "qcow2", raw,
                    img], check=True)
    run(vmu, tmp, ["-drive", "if=none,id=d0,format=qcow2,file=" + img,
                   "-device", "virtio-blk-pci,drive=d0"])


CASES = {"raw": case_raw, "if-virtio": case_if_virtio, "qcow2": case_qcow2}


def main():
    vmu, case = sys.argv[1], sys.argv[2]
    need_kvm()
    if not os.path.exists(BIOS):
        fail("%s is missing (package seabios, scripts/install-deps)" % BIOS)
    with tempfile.TemporaryDirectory() as tmp:
        CASES[case](vmu, tmp)
    print("ok")


if __name__ == "__main__":
    main()
