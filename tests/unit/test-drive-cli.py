#!/usr/bin/env python3
"""-drive and -blockdev on vmu's command line: bad input gives one clear
line each (in order), exit status 1, and leaves every image as it was and
no file behind; good lines start a qtest machine (whose test hangs up at
once) with exactly the warnings listed.

Usage: test-drive-cli.py PATH-TO-VMU   (prints TAP)
"""
import hashlib
import os
import select
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "functional"))
from vmutest import run_qtest_hangup  # noqa: E402

# (arguments, one text per expected error line); IMG is a 1 MiB raw image
BAD = [
    (["DIR/missing.img"],
     ["image argument DIR/missing.img: cannot open disk image", "+DEV"]),
    (["-hda", "IMG", "-hda", "IMG"],
     ["duplicate drive id 'ide0-hd0'", "+DEV", "+DEV"]),
    (["-blockdev", '{"driver":"raw","node-name":"r0","file":{"driver":'
      '"file","filename":"DIR/missing.img"}}'],
     ["cannot open disk image 'DIR/missing.img'"]),
    (["-blockdev", '{"driver":"raw",'], ["invalid JSON"]),
    (["-drive", "if=none,id=1d,file=IMG,format=raw"], ["invalid id '1d'"]),
    (["-drive", "if=ide,bus=0,unit=2,file=IMG,format=raw"],
     ["unit must be below 2"]),
    (["-drive", "if=none,id=d0,file=DIR/missing.img,format=raw"],
     ["-drive if=none,id=d0,file=DIR/missing.img,format=raw: cannot open "
      "disk image 'DIR/missing.img': No such file or directory"]),
    (["-drive", "if=none,id=d0,file=IMG,format=vhd"],
     ["unknown image format 'vhd' (vmu reads: qcow2, raw)"]),
    (["-drive", "if=none,id=d0,file=IMG,format=raw,cahce=none"],
     ["-drive has no parameter 'cahce'; did you mean 'cache'?"]),
    (["-drive", "if=none,id=d0,file=IMG,cache=fast"], ["cache=fast: use"]),
    (["-drive", "if=floppy,file=IMG"], ["if=floppy: vmu's disks are"]),
    (["-drive", "if=none,file=IMG,media=cdrom"], ["vmu has no CD-ROM"]),
    (["-drive", "if=none,id=d0,file=IMG,format=raw",
      "-drive", "if=none,id=d0,file=IMG,format=raw"],
     ["duplicate drive id 'd0'"]),
    (["-drive", "if=none,id=d0,format=raw"], ["file= is needed"]),
    (["-drive", "if=none,id=d0,file=DIR/missing.img",
      "-drive", "if=none,id=d1,file=IMG,format=qcow9"],
     ["cannot open disk image", "unknown image format 'qcow9'"]),
    (["-blockdev", "driver=raw,node-name=r0,file=f0"],
     ["file=f0: there is no block node named 'f0' before this one"]),
    (["-blockdev", "driver=file,filename=IMG"], ["node-name= is needed"]),
    (["-blockdev", "driver=fiel,node-name=f0,filename=IMG"],
     ["unknown block driver 'fiel'; did you mean 'file'?"]),
    (["-blockdev", "driver=file,node-name=f0,filename=IMG,cache.direct=maybe"],
     ["'cache.direct' expects on or off"]),
    (["-blockdev", "driver=file,node-name=f0,filename=IMG",
      "-blockdev", "driver=raw,node-name=r0,file=f0,size=4M"],
     ["plus size (4194304) is past the end"]),
]

IDE_WARN = "vmu has no IDE controller, so this disk is a virtio-blk-pci: " \
    "the guest sees /dev/vda, not /dev/sda"
SCSI_WARN = "vmu has no SCSI controller, so this disk is a virtio-blk-pci"
PROBED_WARN = "image format was not given for 'IMG', so vmu probed it: raw"
NO_DEVICE = "device type 'virtio-blk-pci'"   # unknown, or not supported

# Lines that give the guest a virtio-blk-pci: (arguments, warnings).  Until
# that device is built in, each must instead fail with the warnings and one
# line naming the missing device.
WITH_DEVICE = [
    (["-hda", "IMG"], ["-hda IMG: " + IDE_WARN, PROBED_WARN]),
    (["IMG"], ["image argument IMG: " + IDE_WARN, PROBED_WARN]),
    (["-drive", "file=IMG,format=raw,if=virtio,serial=abc"], []),
    (["-drive", "file=IMG,format=raw,if=scsi,index=2"], [SCSI_WARN]),
    (["-drive", "file=IMG,format=raw,if=ide,index=1", "-snapshot"],
     [IDE_WARN]),
    (["-drive", "if=none,id=d0,file=IMG,format=raw",
      "-device", "ide-hd,drive=d0,bus=ide.0,unit=0"],
     ["-device ide-hd,drive=d0,bus=ide.0,unit=0: " + IDE_WARN]),
    (["-drive", "if=none,id=d0,file=IMG,format=raw",
      "-device", "virtio-scsi-pci,id=scsi0",
      "-device", "scsi-hd,drive=d0,bus=scsi0.0"],
     ["-device virtio-scsi-pci,id=scsi0: ignored: vmu has no SCSI "
      "controller", "scsi-hd,drive=d0,bus=scsi0.0: vmu has no SCSI "
      "controller, so this disk is a virtio-blk-pci"]),
    (["-blockdev", '{"driver":"raw","node-name":"r0","file":'
      '{"driver":"file","filename":"IMG"}}',
      "-device", "virtio-blk-pci,drive=r0"], []),
]

# (arguments, warnings expected, in order)
GOOD = [
    (["-snapshot", "-drive", "if=none,id=d0,file=IMG,format=raw"], []),
    (["-drive", "if=none,id=d0,file=IMG,format=raw,snapshot=on"], []),
    (["-drive", "if=none,id=d0,file=IMG,format=raw,aio=io_uring,"
      "cache=none"], []),
    (["-blockdev", '{"driver":"file","node-name":"f0","filename":"IMG",'
      '"cache":{"direct":true}}',
      "-blockdev", '{"driver":"raw","node-name":"r0","file":"f0"}'], []),
    (["-drive", "if=none,id=d0,file=IMG,format=raw"], []),
    (["-drive", "if=none,id=d0,file=IMG,format=raw,cache=none,aio=native,"
      "discard=unmap,werror=stop,rerror=report,readonly=on"], []),
    (["-drive", "if=none,id=d0,file=IMG"],
     ["image format was not given for 'IMG', so vmu probed it: raw"]),
    (["-blockdev", "driver=file,node-name=f0,filename=IMG,cache.direct=on",
      "-blockdev", "driver=raw,node-name=r0,file=f0,offset=512K"], []),
    (["-blockdev", "driver=host_device,node-name=f0,filename=/dev/null"],
     None),     # refused: not a block device
]


def sub(args, d, img):
    return [a.replace("IMG", img).replace("DIR", d) for a in args]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def locked_case(vmu):
    """A second vmu on an image the first holds: one clear line, exit 1;
    the first runs on and exits 0 when its test hangs up."""
    with tempfile.TemporaryDirectory() as d:
        img = os.path.join(d, "disk.img")
        with open(img, "wb") as f:
            f.write(b"\x55" * (1 << 20))
        sock = os.path.join(d, "q.sock")
        srv = socket.socket(socket.AF_UNIX)
        srv.bind(sock)
        srv.listen(1)
        drive = "if=none,id=d0,file=%s,format=raw" % img
        first = subprocess.Popen([vmu, "-machine", "pc,accel=qtest", "-qtest",
                                  "unix:" + sock, "-drive", drive],
                                 stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([srv], [], [], 60)
        if not ready:
            first.kill()
            return "the first vmu did not start"
        conn, _ = srv.accept()
        p = subprocess.run([vmu, "-machine", "pc,accel=qtest", "-qtest",
                            "unix:" + os.path.join(d, "q2.sock"), "-drive",
                            drive], capture_output=True, text=True,
                           timeout=60)
        conn.close()
        srv.close()
        rc = first.wait(timeout=60)
        lines = p.stderr.splitlines()
        if p.returncode != 1 or len(lines) != 1 or \
                "is in use: another process" not in lines[0]:
            return "second vmu: status %s, stderr %r" % (p.returncode,
                                                          p.stderr)
        if rc != 0:
            return "first vmu exited %s: %s" % (rc, first.stderr.read())
        return None


def has_device(vmu, name):
    p = subprocess.run([vmu, "-device", "help"], capture_output=True,
                       text=True, timeout=30)
    return name in p.stdout.replace(",", " ").split()


def main():
    vmu = os.path.abspath(sys.argv[1])
    n = 0
    failed = 0
    blk = has_device(vmu, "virtio-blk-pci")
    # Without the device, a line that needs it is a bad one.
    for k, (args, want) in enumerate(BAD):
        BAD[k] = (args, [w for w in want if w != "+DEV" or not blk])
        BAD[k] = (args, [NO_DEVICE if w == "+DEV" else w for w in BAD[k][1]])
    for args, warns in WITH_DEVICE:
        if blk:
            GOOD.append((args, warns))
        else:
            BAD.append((args, [NO_DEVICE]))
    print("1..%d" % (len(BAD) + len(GOOD) + 1))
    n += 1
    why = locked_case(vmu)
    if why:
        failed += 1
        print("not ok %d image locked by another vmu\n# %s" % (n, why))
    else:
        print("ok %d image locked by another vmu" % n)
    for args, want in BAD:
        n += 1
        with tempfile.TemporaryDirectory() as d:
            img = os.path.join(d, "disk.img")
            with open(img, "wb") as f:
                f.write(os.urandom(1 << 20))
            before = digest(img)
            argv = [vmu, "-machine", "pc,accel=qtest", "-qtest",
                    "unix:" + os.path.join(d, "q.sock")] + sub(args, d, img)
            p = subprocess.run(argv, cwd=d, capture_output=True, text=True,
                               timeout=60)
            lines = [l for l in p.stderr.splitlines()
                     if not l.startswith("vmu: warning: ")]
            want = sub(want, d, img)
            ok = p.returncode == 1 and len(lines) == len(want) and all(
                w in l for w, l in zip(want, lines))
            ok = ok and digest(img) == before and \
                sorted(os.listdir(d)) == ["disk.img"]
            if not ok:
                failed += 1
                print("not ok %d bad %s" % (n, " ".join(args)))
                print("# status %s, stderr:\n# %s\n# left: %s" % (
                    p.returncode, "\n# ".join(lines), os.listdir(d)))
            else:
                print("ok %d bad %s" % (n, " ".join(args)))
    for args, want in GOOD:
        n += 1
        with tempfile.TemporaryDirectory() as d:
            img = os.path.join(d, "disk.img")
            with open(img, "wb") as f:
                f.write(b"\x55" * (1 << 20))
            before = digest(img)
            sock = os.path.join(d, "q.sock")
            argv = [vmu, "-machine", "pc,accel=qtest", "-qtest",
                    "unix:" + sock] + sub(args, d, img)
            os.environ["TMPDIR"] = d    # where -snapshot's overlay goes
            rc, out, err = run_qtest_hangup(argv, d, sock, 60)
            lines = err.splitlines()
            if want is None:
                ok = rc == 1 and len(lines) == 1
            else:
                want = sub(want, d, img)
                ok = rc == 0 and len(lines) == len(want) and all(
                    w in l for w, l in zip(want, lines))
            ok = ok and digest(img) == before and \
                sorted(os.listdir(d)) == ["disk.img", "q.sock"]
            if not ok:
                failed += 1
                print("not ok %d good %s" % (n, " ".join(args)))
                print("# status %s, stderr:\n# %s" % (rc, "\n# ".join(lines)))
            else:
                print("ok %d good %s" % (n, " ".join(args)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
