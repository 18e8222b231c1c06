#!/usr/bin/env python3
"""bad_input.py VMU FW.ELF CASE: a bad command line or input file ends
vmu with status 1 and one clear line on stderr, and leaves no file behind
in the mem-path directory the machine was given."""
import os
import re
import sys
import tempfile
from vmutest import FW_ARGS, expect, need_kvm, run


def hugepages_free():
    with open("/proc/meminfo") as f:
        m = re.search(r"HugePages_Free:\s+(\d+)", f.read())
    return int(m.group(1)) if m else 0


def main():
    vmu, fw, case = sys.argv[1:4]
    need_kvm()
    tmp = tempfile.TemporaryDirectory(prefix="vmu-bad-")
    memdir = os.path.join(tmp.name, "mem")
    os.mkdir(memdir)
    text = os.path.join(tmp.name, "notes.txt")
    with open(text, "w") as f:
        f.write("this is not a kernel\n" * 100)
    big = os.path.join(tmp.name, "initrd.img")
    with open(big, "wb") as f:
        f.truncate(300 << 20)           # sparse, larger than -m 128M
    memfile = os.path.join(memdir, "ram")

    mem = ["-mem-path", memdir]
    cases = {
        "missing-kernel": (mem + ["-kernel", os.path.join(tmp.name, "nope")],
                           "cannot read it"),
        "not-a-kernel": (mem + ["-kernel", text],
                         "not a PVH ELF nor a bzImage"),
        "elf-without-pvh-note": (mem + ["-kernel", sys.executable],
                                 "an ELF without a Xen PVH note"),
        "initrd-larger-than-ram": (mem + ["-m", "128M", "-kernel", fw,
                                          "-initrd", big],
                                   "does not fit in guest RAM"),
        "ram-100T": (["-m", "100T", "-kernel", fw], "100T|MiB"),
        "ram-100T-mem-path": (mem + ["-m", "100T", "-kernel", fw],
                              "MiB|100T"),
        "ram-100T-file": (["-object", "memory-backend-file,id=m,size=100T,"
                           "mem-path=" + memfile, "-machine",
                           "memory-backend=m", "-kernel", fw], "m|100T"),
        "mem-path-missing": (["-mem-path", os.path.join(tmp.name, "no/dir"),
                              "-kernel", fw], "mem-path"),
        # more than the free huge pages, whatever this host has reserved
        "hugetlb-without-hugepages": (
            ["-object", "memory-backend-memfd,id=m,size=%dG,hugetlb=on"
             % (hugepages_free() // 512 + 1),
             "-machine", "memory-backend=m", "-kernel", fw], "hugepages"),
        "smp-0": (mem + ["-smp", "0", "-kernel", fw], "-smp 0"),
    }
    args, pattern = cases[case]
    argv = [vmu] + FW_ARGS + args
    print("$ " + " ".join(argv))
    r = run(argv)
    r.show()
    expect(r.status == 1, "status %d, expected 1" % r.status)
    lines = [l for l in r.err.splitlines() if l.strip()]
    expect(len(lines) == 1, "%d lines on stderr, expected one" % len(lines))
    expect(lines[0].startswith("vmu: "), "the error does not start 'vmu: '")
    expect(re.search(pattern, lines[0]), "the error does not match '%s'" %
           pattern)
    expect("vmu-fw" not in r.out, "the guest ran")
    left = os.listdir(memdir)
    expect(not left, "files left in mem-path: %s" % left)
    print("PASS")


main()
