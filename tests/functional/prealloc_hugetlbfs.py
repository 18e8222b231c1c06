#!/usr/bin/env python3
"""prealloc_hugetlbfs.py VMU FW.ELF: guest RAM preallocated on hugetlbfs
(-mem-path on a hugetlbfs mount, -mem-prealloc).  Reserves 64 hugepages
for the test and mounts hugetlbfs in a temporary directory if the host has
no mount; both are undone afterwards.  Skips when that is not possible."""
import os
import re
import subprocess
import sys
import tempfile
from vmutest import expect, need_kvm, run_fw, skip

NR = "/proc/sys/vm/nr_hugepages"


def meminfo(key):
    with open("/proc/meminfo") as f:
        m = re.search(key + r":\s+(\d+)", f.read())
    return int(m.group(1)) if m else 0


def hugetlbfs_mount():
    with open("/proc/mounts") as f:
        for line in f:
            dev, path, fstype = line.split()[:3]
            if fstype == "hugetlbfs" and "pagesize=1G" not in line:
                return path
    return None


def main():
    vmu, fw = sys.argv[1:3]
    need_kvm()
    if meminfo("Hugepagesize") != 2048:
        skip("the default hugepage size is not 2 MiB", host="hugepage-size")
    try:
        with open(NR) as f:
            old = int(f.read())
    except OSError as e:
        skip("cannot read %s: %s" % (NR, e))
    mounted = None
    changed = False
    try:
        if meminfo("HugePages_Free") < 64:
            try:
                with open(NR, "w") as f:
                    f.write(str(old + 64))
                changed = True
            except OSError as e:
                skip("cannot reserve hugepages (%s): run as root" %
                     e.strerror)
            if meminfo("HugePages_Free") < 64:
                skip("the kernel gave only %d free hugepages (fragmented "
                     "memory?)" % meminfo("HugePages_Free"))
        path = hugetlbfs_mount()
        if not path:
            mounted = tempfile.mkdtemp(prefix="vmu-hugetlbfs-")
            p = subprocess.run(["mount", "-t", "hugetlbfs", "none", mounted],
                               stderr=subprocess.PIPE)
            if p.returncode:
                os.rmdir(mounted)
                mounted = None
                skip("cannot mount hugetlbfs: %s" % p.stderr.decode().strip())
            path = mounted
        before = set(os.listdir(path))
        r = run_fw(vmu, fw, "test=hello",
                   ["-m", "128M", "-mem-path", path, "-mem-prealloc"])
        r.show()
        expect(r.status == 1, "status %d, expected 1" % r.status)
        expect("RAM 127 MiB" in r.out, "no 'RAM 127 MiB' in the output")
        expect(set(os.listdir(path)) == before, "vmu left a file in " + path)
        print("PASS")
    finally:
        if mounted:
            subprocess.run(["umount", mounted])
            os.rmdir(mounted)
        if changed:
            with open(NR, "w") as f:
                f.write(str(old))


main()
