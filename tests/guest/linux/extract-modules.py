#!/usr/bin/env python3
"""extract-modules.py ROOT OUTDIR MODULE...: copy the kernel modules that
MODULE... need out of an extracted linux-image package (ROOT has
boot/config-* and lib/modules/VERSION/) into OUTDIR as plain .ko files
(decompressing .ko.xz/.ko.zst/.ko.gz), and write OUTDIR/order: one file
name a line, every module after the ones it depends on, so that busybox
insmod can load them in that order.

Dependencies come from lib/modules/VERSION/modules.dep when the package has
one; Debian's packages do not (depmod writes it at install time), so
otherwise from the depends= field of each module's .modinfo section, which
is what depmod reads too.  Modules built into the kernel (modules.builtin)
are skipped.  Prints one line per module: NAME m (a module) or NAME y
(built in)."""
import glob
import gzip
import lzma
import os
import struct
import subprocess
import sys


def read_module(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dcq"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    return data


def modinfo(elf):
    """The key=value strings of a 64-bit little-endian ELF's .modinfo."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)

    def section(i):
        off = shoff + i * shentsize
        name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", elf, off)
        return name, offset, size

    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, offset, size = section(i)
        end = elf.index(b"\0", stroff + name)
        if elf[stroff + name:end] == b".modinfo":
            fields = {}
            for s in elf[offset:offset + size].split(b"\0"):
                if b"=" in s:
                    k, v = s.decode(errors="replace").split("=", 1)
                    fields.setdefault(k, v)
            return fields
    return {}


def modname(path):
    base = os.path.basename(path)
    base = base[:base.index(".ko")]
    return base.replace("-", "_")


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: extract-modules.py ROOT OUTDIR MODULE...")
    root, out, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    mdirs = glob.glob(os.path.join(root, "lib/modules/*/")) + \
        glob.glob(os.path.join(root, "usr/lib/modules/*/"))
    if len(mdirs) != 1:
        sys.exit("extract-modules: expected one lib/modules/VERSION in %s, "
                 "found %s" % (root, mdirs))
    mdir = mdirs[0]
    files = {}      # module name -> path relative to mdir
    for dirpath, _, names in os.walk(os.path.join(mdir, "kernel")):
        for n in names:
            if ".ko" in n:
                p = os.path.join(dirpath, n)
                files[modname(p)] = os.path.relpath(p, mdir)
    builtin = set()
    try:
        with open(os.path.join(mdir, "modules.builtin")) as f:
            builtin = {modname(line.strip()) for line in f if line.strip()}
    except FileNotFoundError:
        pass
    depfile = {}
    try:
        with open(os.path.join(mdir, "modules.dep")) as f:
            for line in f:
                k, _, v = line.partition(":")
                depfile[modname(k.strip())] = [modname(d) for d in v.split()]
    except FileNotFoundError:
        depfile = None

    data = {}

    def deps(name):
        if depfile is not None and name in depfile:
            return depfile[name]
        if name not in data:
            data[name] = read_module(os.path.join(mdir, files[name]))
        d = modinfo(data[name]).get("depends", "")
        return [x.replace("-", "_") for x in d.split(",") if x]

    order, state = [], {}

    def visit(name, chain):
        if state.get(name) == "done":
            return
        if state.get(name) == "busy":
            sys.exit("extract-modules: dependency loop: %s"
                     % " -> ".join(chain + [name]))
        if name in builtin:
            state[name] = "done"
            print("%s y" % name)
            return
        if name not in files:
            sys.exit("extract-modules: no module %s in %s (needed by %s)"
                     % (name, mdir, " -> ".join(chain) or "the caller"))
        state[name] = "busy"
        for d in deps(name):
            visit(d, chain + [name])
        state[name] = "done"
        order.append(name)
        print("%s m" % name)

    for w in wanted:
        visit(w.replace("-", "_"), [])

    os.makedirs(out, exist_ok=True)
    names = []
    for name in order:
        if name not in data:
            data[name] = read_module(os.path.join(mdir, files[name]))
        fn = os.path.basename(files[name])
        fn = fn[:fn.index(".ko")] + ".ko"
        with open(os.path.join(out, fn + ".tmp"), "wb") as f:
            f.write(data[name])
        os.replace(os.path.join(out, fn + ".tmp"), os.path.join(out, fn))
        names.append(fn)
    with open(os.path.join(out, "order.tmp"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    os.replace(os.path.join(out, "order.tmp"), os.path.join(out, "order"))


main()
