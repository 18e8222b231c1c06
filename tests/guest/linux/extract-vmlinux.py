#!/usr/bin/env python3
"""extract-vmlinux.py BZIMAGE OUT: write the uncompressed vmlinux ELF
inside a Linux bzImage.  The setup header says where the compressed payload
is (payload_offset/payload_length, boot protocol 2.08+); its magic says
which of the system's decompressors (xz, gzip, zstd, lz4, bzip2, lzma) to
run.  Older images are scanned for a known magic instead."""
import struct
import subprocess
import sys

MAGICS = [
    (b"\xfd7zXZ\x00", ["xz", "-dc", "--single-stream"]),
    (b"\x28\xb5\x2f\xfd", ["zstd", "-dcq"]),
    (b"\x1f\x8b\x08", ["gzip", "-dc"]),
    (b"\x02\x21\x4c\x18", ["lz4", "-dc"]),
    (b"BZh", ["bzip2", "-dc"]),
    (b"\x5d\x00\x00", ["xz", "-dc", "--format=lzma"]),
]


def decompress(data, cmd):
    try:
        p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=120)
    except FileNotFoundError:
        return None
    # Trailing bytes (the appended size) make some tools complain: the
    # output is good if it is an ELF.
    return p.stdout if p.stdout[:4] == b"\x7fELF" else None


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-vmlinux.py BZIMAGE OUT")
    img = open(sys.argv[1], "rb").read()
    if img[0x202:0x206] != b"HdrS":
        sys.exit("extract-vmlinux: %s is not a bzImage (no HdrS)" % sys.argv[1])
    setup_sects = img[0x1f1] or 4
    pm = (setup_sects + 1) * 512
    version = struct.unpack_from("<H", img, 0x206)[0]
    candidates = []
    if version >= 0x208:
        off, length = struct.unpack_from("<II", img, 0x248)
        candidates.append(img[pm + off:pm + off + length])
    for magic, _ in MAGICS:
        pos = img.find(magic, pm)
        if pos >= 0:
            candidates.append(img[pos:])
    for payload in candidates:
        for magic, cmd in MAGICS:
            if payload.startswith(magic):
                out = decompress(payload, cmd)
                if out:
                    open(sys.argv[2], "wb").write(out)
                    return
    sys.exit("extract-vmlinux: no payload that xz/zstd/gzip/lz4/bzip2 could "
             "decompress to an ELF in %s" % sys.argv[1])


main()
