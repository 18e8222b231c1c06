#!/usr/bin/env python3
"""linux_bundle.py BUILDDIR BUILD-BUNDLE: the Linux guest check bundle
(tests/guest/linux/build-bundle) is built, self-contained and at most
64 MiB: its vmu and vmu-switch run with an empty environment through the
bundled loader and libraries, its initramfs holds busybox, iperf3, ethtool
and the libraries they need; and its linux-check runs: here, on kvm-pvm or
without VMX/SVM, it must stop at the KVM check and say why (exit 77); on a
VMX/SVM host it must pass.  Skips (77) when the kernel package cannot be
downloaded."""
import gzip
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmutest import expect, fail, is_kvm_pvm, skip  # noqa: E402

LIMIT = 64 << 20


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.lstat(os.path.join(root, f)).st_size
    return total


def cpio_names(path):
    """File names in a gzip'd newc cpio."""
    data = gzip.open(path).read()
    names, off = [], 0
    while off + 110 <= len(data) and data[off:off + 6] == b"070701":
        namesize = int(data[off + 94:off + 102], 16)
        filesize = int(data[off + 54:off + 62], 16)
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off = (off + 110 + namesize + 3) & ~3
        off = (off + filesize + 3) & ~3
        if name == "TRAILER!!!":
            break
        names.append(name)
    return names


def main():
    build, script = sys.argv[1:3]
    tmp = tempfile.mkdtemp(prefix="vmu-bundle-")
    try:
        out = os.path.join(tmp, "vmu-linux-check")
        p = subprocess.run([script, build, out], capture_output=True,
                           text=True, timeout=600)
        if p.returncode == 77:
            skip("cannot fetch the kernel or the guest tools: " +
                 p.stderr.strip())
        expect(p.returncode == 0, "build-bundle failed: " + p.stderr)
        print(p.stdout.strip())
        size = du(out)
        expect(size <= LIMIT, "the bundle is %d MiB, over 64" % (size >> 20))
        print("ok: bundle %.1f MiB (at most 64)" % (size / 2 ** 20))
        for name, arg in (("vmu", "-version"), ("vmu-switch", "--help")):
            r = subprocess.run([os.path.join(out, "bin", name), arg],
                               env={"PATH": "/usr/bin:/bin"},
                               capture_output=True, text=True, timeout=30)
            expect(r.returncode == 0 and r.stdout,
                   "bin/%s %s failed: %s" % (name, arg, r.stderr))
            print("ok: bin/%s runs with the bundled loader: %s" %
                  (name, r.stdout.splitlines()[0]))
        names = set(cpio_names(os.path.join(out, "guest",
                                            "initramfs.cpio.gz")))
        want = {"init", "bin/busybox", "bin/ping", "bin/iperf3",
                "bin/ethtool", "lib64/ld-linux-x86-64.so.2",
                "lib/x86_64-linux-gnu/libc.so.6",
                "lib/x86_64-linux-gnu/libiperf.so.0",
                "lib/x86_64-linux-gnu/libmnl.so.0",
                "lib/modules/virtio_net.ko"}
        expect(want <= names, "the initramfs lacks %s" %
               sorted(want - names))
        print("ok: the initramfs has busybox, iperf3, ethtool, their "
              "libraries and the virtio-net modules")
        r = subprocess.run([os.path.join(out, "linux-check")],
                           capture_output=True, text=True, timeout=900)
        print(r.stdout)
        can_run = not is_kvm_pvm() and os.access("/dev/kvm", os.W_OK) and \
            any(w in open("/proc/cpuinfo").read().split()
                for w in ("vmx", "svm"))
        if can_run:
            expect(r.returncode == 0 and "linux-check: PASS" in r.stdout,
                   "linux-check failed on a VMX/SVM host")
        else:
            expect(r.returncode == 77 and "SKIP: " in r.stdout and
                   ("kvm-pvm" in r.stdout or "vmx" in r.stdout or
                    "/dev/kvm" in r.stdout),
                   "linux-check did not stop at the KVM check with the "
                   "reason (status %d)" % r.returncode)
            print("ok: linux-check stops at the KVM check and says why")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: linux_bundle.py BUILDDIR BUILD-BUNDLE")
    main()
