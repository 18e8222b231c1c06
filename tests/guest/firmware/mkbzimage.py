#!/usr/bin/env python3
"""mkbzimage.py FW-BZ.ELF FW.BZIMAGE: package vmu's test firmware as a Linux
bzImage (x86 boot protocol 2.12).  Python 3 standard library only.

Input: fw-bz.elf, the firmware linked by fw-bzimage.ld: one PT_LOAD at
0x100000 whose first bytes are entry-bzimage.S (32-bit entry at +0, 64-bit
entry at +0x200), plus a non-loaded section .bzsetup with the real-mode
setup code.  Output layout:

  0x000  boot sector (unused: no loader boots it from a disk) with the
         setup header at 0x1f1; 0x200 is a short jump to 0x270
  0x270  near jump to 0x1000 (in boot_params' padding after the header)
  0x1000 .bzsetup (real-mode setup code, for loaders that run it); a
         real-mode loader's setup area becomes boot_params, so the code must
         not be in its first 4 KiB (the e820 table is at 0x2d0-0xcd0)
  (setup_sects + 1) * 512: the PT_LOAD bytes (protected-mode payload)

The payload is not relocatable: code32_start = pref_address = its link
address, relocatable_kernel = 0.  XLF_KERNEL_64 tells 64-bit loaders to enter
at load address + 0x200 in long mode.
"""
import struct
import sys

SETUP16_OFF = 0x1000            # entry-bzimage.S: SETUP16_OFF
JUMP2_OFF = 0x270               # after the setup header (ends at 0x26c)
HDR_VERSION = 0x020c
LOADED_HIGH = 0x01
XLF_KERNEL_64 = 0x01
CMDLINE_SIZE = 4095
INITRD_ADDR_MAX = 0x7fffffff


def die(msg):
    sys.exit("mkbzimage: " + msg)


def read_elf(path):
    with open(path, "rb") as f:
        d = f.read()
    if d[:4] != b"\x7fELF" or d[4] != 2 or d[5] != 1:
        die("%s: not a little-endian ELF64 file" % path)
    (e_entry, e_phoff, e_shoff) = struct.unpack_from("<QQQ", d, 0x18)
    (e_phentsize, e_phnum, e_shentsize, e_shnum,
     e_shstrndx) = struct.unpack_from("<HHHHH", d, 0x36)
    loads = []
    for i in range(e_phnum):
        (p_type, _flags, p_offset, _vaddr, p_paddr, p_filesz,
         p_memsz, _align) = struct.unpack_from("<IIQQQQQQ", d,
                                               e_phoff + i * e_phentsize)
        if p_type == 1:
            loads.append((p_paddr, d[p_offset:p_offset + p_filesz], p_memsz))
    if len(loads) != 1:
        die("%s: %d PT_LOAD segments, expected 1" % (path, len(loads)))
    sections = {}
    shdr = lambda i: struct.unpack_from("<IIQQQQIIQQ", d, e_shoff +
                                        i * e_shentsize)
    strtab = shdr(e_shstrndx)
    names = d[strtab[4]:strtab[4] + strtab[5]]
    for i in range(e_shnum):
        sh = shdr(i)
        name = names[sh[0]:names.index(b"\0", sh[0])].decode()
        if sh[1] != 8:                          # not SHT_NOBITS
            sections[name] = d[sh[4]:sh[4] + sh[5]]
    return e_entry, loads[0], sections


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    entry, (load, payload, memsz), sections = read_elf(sys.argv[1])
    if entry != load:
        die("entry 0x%x is not the load address 0x%x" % (entry, load))
    if load < 0x100000 or load >= 1 << 32:
        die("load address 0x%x outside [1 MiB, 4 GiB)" % load)
    setup16 = sections.get(".bzsetup", b"")
    if not setup16:
        die("no .bzsetup section (real-mode setup code)")

    setup_len = (SETUP16_OFF + len(setup16) + 511) // 512 * 512
    setup_sects = setup_len // 512 - 1
    if not 1 <= setup_sects <= 64:
        die("setup is %d sectors" % setup_sects)
    init_size = (memsz + 0xfff) & ~0xfff

    img = bytearray(setup_len)
    img[SETUP16_OFF:SETUP16_OFF + len(setup16)] = setup16
    hdr = [
        # (offset, format, value)
        (0x1f1, "B", setup_sects),
        (0x1f2, "H", 0),                        # root_flags
        (0x1f4, "I", (len(payload) + 15) // 16),    # syssize (16-byte units)
        (0x1fa, "H", 0xffff),                   # vid_mode: normal
        (0x1fe, "H", 0xaa55),                   # boot_flag
        (0x200, "BB", (0xeb, JUMP2_OFF - 0x202)),    # jump: short, to ...
        (JUMP2_OFF, "<BH", (0xe9, SETUP16_OFF - JUMP2_OFF - 3)),  # ... near
        (0x202, "4s", b"HdrS"),                 # header
        (0x206, "H", HDR_VERSION),              # version
        (0x20c, "H", 0x1000),                   # start_sys_seg (obsolete)
        (0x211, "B", LOADED_HIGH),              # loadflags
        (0x212, "H", 0x8000),                   # setup_move_size
        (0x214, "I", load),                     # code32_start
        (0x22c, "I", INITRD_ADDR_MAX),          # initrd_addr_max
        (0x230, "I", 0x1000),                   # kernel_alignment
        (0x234, "B", 0),                        # relocatable_kernel
        (0x235, "B", 12),                       # min_alignment (4 KiB)
        (0x236, "H", XLF_KERNEL_64),            # xloadflags
        (0x238, "I", CMDLINE_SIZE),             # cmdline_size
        (0x258, "Q", load),                     # pref_address
        (0x260, "I", init_size),                # init_size
    ]
    for off, fmt, val in hdr:
        vals = val if isinstance(val, tuple) else (val,)
        struct.pack_into("<" + fmt.lstrip("<"), img, off, *vals)

    with open(sys.argv[2], "wb") as f:
        f.write(img + payload)


main()
