#!/usr/bin/env python3
"""-drive and -blockdev on vmu's command line: bad input gives one clear
line each (in order), exit status 1, and leaves every image as it was and
no file behind; good lines start a qtest machine (whose test hangs up at
once) with exactly the warnings listed.

Usage: test-drive-cli.py PATH-TO-VMU   (prints TAP)
"""
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "functional"))
from vmutest import run_qtest_hangup  # noqa: E402

# (arguments, one text per expected error line); IMG is a 1 MiB raw image
BAD = [
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

# (arguments, warnings expected, in order)
GOOD = [
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


def main():
    vmu = os.path.abspath(sys.argv[1])
    n = 0
    failed = 0
    print("1..%d" % (len(BAD) + len(GOOD)))
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
            lines = p.stderr.splitlines()
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
            rc, out, err = run_qtest_hangup(argv, d, sock, 60)
            lines = err.splitlines()
            if want is None:
                ok = rc == 1 and len(lines) == 1
            else:
                want = sub(want, d, img)
                ok = rc == 0 and len(lines) == len(want) and all(
                    w in l for w, l in zip(want, lines))
            ok = ok and digest(img) == before
            if not ok:
                failed += 1
                print("not ok %d good %s" % (n, " ".join(args)))
                print("# status %s, stderr:\n# %s" % (rc, "\n# ".join(lines)))
            else:
                print("ok %d good %s" % (n, " ".join(args)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
