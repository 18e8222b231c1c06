#!/usr/bin/env python3
"""seabios_smbios.py VMU CASE: the SMBIOS tables as a guest reads them after
SeaBIOS (Debian's bios-256k.bin) placed what vmu gives it in fw_cfg
(etc/smbios/smbios-anchor and -tables).  A boot sector on a virtio-blk
disk scans 0xF0000-0xFFFFF for the "_SM_" entry point, follows its table
address (big real mode: SeaBIOS may put the table above 1 MiB), walks the
structures to type 1 and prints its manufacturer and serial strings and
its UUID bytes on COM1, then ends vmu through isa-debug-exit (0x10; 0x11
when there is no entry point or no type 1).  The test passes
-smbios type=1,manufacturer=Acme,serial=S-42 and -uuid and checks the line.
Cases: vmu; qemu (the same boot sector and options under QEMU 7.2's pc with
the same bios-256k.bin print the same line: the reader is right).
kvm-pvm runs SeaBIOS slowly: the wait ends at the line, within minutes."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

from seabios import BIOS, DEADLINE, boot, wait_for
from vmutest import expect, fail, need_kvm, skip

UUID = "8c5f43ce-5b5d-4a8e-93d1-0c6f0d3e2a17"
PASS_STATUS = (0x10 << 1) | 1       # isa-debug-exit: (value << 1) | 1
FAIL_STATUS = (0x11 << 1) | 1

# 16-bit code at 0x7c00, assembled with GNU as (.code16, Intel syntax) and
# checked with objdump -m i8086; the addresses are those of the listing.
# DX stays 0x3f8 (COM1) throughout; DS is 0 with a 4 GiB limit.
CODE = bytes([
    0xfa,  # 7c00 cli
    0x31, 0xc0,  # 7c01 xor ax,ax
    0x8e, 0xd8,  # 7c03 mov ds,ax
    0x8e, 0xd0,  # 7c05 mov ss,ax
    0xbc, 0x00, 0x7c,  # 7c07 mov sp,0x7c00
    0xe4, 0x92,  # 7c0a in al,0x92
    0x0c, 0x02,  # 7c0c or al,0x2
    0x24, 0xfe,  # 7c0e and al,0xfe
    0xe6, 0x92,  # 7c10 out 0x92,al
    0x0f, 0x01, 0x16, 0x30, 0x7d,  # 7c12 lgdtw [gdtr]
    0x0f, 0x20, 0xc0,  # 7c17 mov eax,cr0
    0x0c, 0x01,  # 7c1a or al,0x1
    0x0f, 0x22, 0xc0,  # 7c1c mov cr0,eax
    0xbb, 0x08, 0x00,  # 7c1f mov bx,0x8
    0x8e, 0xdb,  # 7c22 mov ds,bx
    0x24, 0xfe,  # 7c24 and al,0xfe
    0x0f, 0x22, 0xc0,  # 7c26 mov cr0,eax
    0x31, 0xdb,  # 7c29 xor bx,bx
    0x8e, 0xdb,  # 7c2b mov ds,bx
    0xba, 0xf8, 0x03,  # 7c2d mov dx,0x3f8
    0x66, 0xbe, 0x00, 0x00, 0x0f, 0x00,  # 7c30 mov esi,0xf0000
    0x67, 0x66, 0x81, 0x3e, 0x5f, 0x53, 0x4d, 0x5f,  # 7c36 scan: cmp [esi],'_SM_'
    0x74, 0x10,  # 7c3e je found
    0x66, 0x83, 0xc6, 0x10,  # 7c40 add esi,0x10
    0x66, 0x81, 0xfe, 0x00, 0x00, 0x10, 0x00,  # 7c44 cmp esi,0x100000
    0x72, 0xe9,  # 7c4b jb scan
    0xe9, 0x88, 0x00,  # 7c4d jmp fail
    0x67, 0x66, 0x8b, 0x5e, 0x18,  # 7c50 found: mov ebx,dword [esi+0x18]
    0x67, 0x66, 0x0f, 0xb7, 0x4e, 0x16,  # 7c55 movzx ecx,word [esi+0x16]
    0x66, 0x01, 0xd9,  # 7c5b add ecx,ebx
    0x66, 0x39, 0xcb,  # 7c5e walk: cmp ebx,ecx
    0x73, 0x75,  # 7c61 jae fail
    0x67, 0x80, 0x3b, 0x01,  # 7c63 cmp byte [ebx],0x1
    0x74, 0x19,  # 7c67 je type1
    0x67, 0x66, 0x0f, 0xb6, 0x43, 0x01,  # 7c69 movzx eax,byte [ebx+0x1]
    0x66, 0x01, 0xc3,  # 7c6f add ebx,eax
    0x67, 0x83, 0x3b, 0x00,  # 7c72 skipstr: cmp word [ebx],0x0
    0x74, 0x04,  # 7c76 je skipdone
    0x66, 0x43,  # 7c78 inc ebx
    0xeb, 0xf6,  # 7c7a jmp skipstr
    0x66, 0x83, 0xc3, 0x02,  # 7c7c skipdone: add ebx,0x2
    0xeb, 0xdc,  # 7c80 jmp walk
    0x66, 0xbe, 0x36, 0x7d, 0x00, 0x00,  # 7c82 type1: mov esi,msg_man
    0xe8, 0x85, 0x00,  # 7c88 call puts
    0x67, 0x8a, 0x43, 0x04,  # 7c8b mov al,byte [ebx+0x4]
    0xe8, 0x5f, 0x00,  # 7c8f call putidx
    0x66, 0xbe, 0x50, 0x7d, 0x00, 0x00,  # 7c92 mov esi,msg_ser
    0xe8, 0x75, 0x00,  # 7c98 call puts
    0x67, 0x8a, 0x43, 0x07,  # 7c9b mov al,byte [ebx+0x7]
    0xe8, 0x4f, 0x00,  # 7c9f call putidx
    0x66, 0xbe, 0x59, 0x7d, 0x00, 0x00,  # 7ca2 mov esi,msg_uuid
    0xe8, 0x65, 0x00,  # 7ca8 call puts
    0x67, 0x66, 0x8d, 0x73, 0x08,  # 7cab lea esi,[ebx+0x8]
    0xb9, 0x10, 0x00,  # 7cb0 mov cx,0x10
    0x67, 0x8a, 0x06,  # 7cb3 hex: mov al,byte [esi]
    0xc0, 0xe8, 0x04,  # 7cb6 shr al,0x4
    0xe8, 0x2b, 0x00,  # 7cb9 call hexd
    0x67, 0x8a, 0x06,  # 7cbc mov al,byte [esi]
    0x24, 0x0f,  # 7cbf and al,0xf
    0xe8, 0x23, 0x00,  # 7cc1 call hexd
    0x66, 0x46,  # 7cc4 inc esi
    0xe2, 0xeb,  # 7cc6 loop hex
    0x66, 0xbe, 0x60, 0x7d, 0x00, 0x00,  # 7cc8 mov esi,msg_end
    0xe8, 0x3f, 0x00,  # 7cce call puts
    0xb0, 0x10,  # 7cd1 mov al,0x10
    0xe6, 0xf4,  # 7cd3 out 0xf4,al
    0xf4,  # 7cd5 halt: hlt
    0xeb, 0xfd,  # 7cd6 jmp halt
    0x66, 0xbe, 0x63, 0x7d, 0x00, 0x00,  # 7cd8 fail: mov esi,msg_fail
    0xe8, 0x2f, 0x00,  # 7cde call puts
    0xb0, 0x11,  # 7ce1 mov al,0x11
    0xe6, 0xf4,  # 7ce3 out 0xf4,al
    0xeb, 0xee,  # 7ce5 jmp halt
    0x04, 0x30,  # 7ce7 hexd: add al,0x30
    0x3c, 0x39,  # 7ce9 cmp al,0x39
    0x76, 0x02,  # 7ceb jbe hexo
    0x04, 0x07,  # 7ced add al,0x7
    0xee,  # 7cef hexo: out dx,al
    0xc3,  # 7cf0 ret
    0x84, 0xc0,  # 7cf1 putidx: test al,al
    0x74, 0x27,  # 7cf3 je pdone
    0x67, 0x66, 0x0f, 0xb6, 0x7b, 0x01,  # 7cf5 movzx edi,byte [ebx+0x1]
    0x66, 0x01, 0xdf,  # 7cfb add edi,ebx
    0xfe, 0xc8,  # 7cfe pnext: dec al
    0x74, 0x0b,  # 7d00 je pprint
    0x66, 0x47,  # 7d02 pskip: inc edi
    0x67, 0x80, 0x7f, 0xff, 0x00,  # 7d04 cmp byte [edi-0x1],0x0
    0x75, 0xf7,  # 7d09 jne pskip
    0xeb, 0xf1,  # 7d0b jmp pnext
    0x66, 0x89, 0xfe,  # 7d0d pprint: mov esi,edi
    0x67, 0x8a, 0x06,  # 7d10 puts: mov al,byte [esi]
    0x84, 0xc0,  # 7d13 test al,al
    0x74, 0x05,  # 7d15 je pdone
    0xee,  # 7d17 out dx,al
    0x66, 0x46,  # 7d18 inc esi
    0xeb, 0xf4,  # 7d1a jmp puts
    0xc3,  # 7d1c pdone: ret
 ])
DATA_AT = 0x7d20        # the GDT, its descriptor and the strings


def boot_sector():
    data = bytes(8)                                 # null descriptor
    data += (0x00cf92000000ffff).to_bytes(8, "little")  # flat data, 4 GiB
    data += (15).to_bytes(2, "little") + DATA_AT.to_bytes(4, "little")
    msgs = [b"vmu-smbios: manufacturer ", b" serial ", b" uuid ", b"\r\n",
            b"vmu-smbios: no type 1 structure\r\n"]
    at = {}
    for m in msgs:
        at[m] = DATA_AT + len(data)
        data += m + b"\0"
    # The addresses the code uses: lgdt [0x7d30], the five mov esi, msg.
    assert CODE[0x15:0x17] == (DATA_AT + 16).to_bytes(2, "little")
    for off, m in [(0x84, msgs[0]), (0x94, msgs[1]), (0xa4, msgs[2]),
                   (0xca, msgs[3]), (0xda, msgs[4])]:
        assert CODE[off:off + 4] == at[m].to_bytes(4, "little"), hex(off)
    assert len(CODE) <= DATA_AT - 0x7c00
    sector = CODE + bytes(DATA_AT - 0x7c00 - len(CODE)) + data
    assert len(sector) <= 510
    return sector + bytes(510 - len(sector)) + b"\x55\xaa"


def run(binary, tmp, extra=()):
    """Boot the sector under binary; the line it printed."""
    img = os.path.join(tmp, "boot.raw")
    with open(img, "wb") as f:
        f.write(boot_sector())
        f.truncate(1 << 20)
    t0 = time.monotonic()
    proc, dbg, ser = boot(binary, tmp, list(extra) + [
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
        "-smbios", "type=1,manufacturer=Acme,serial=S-42",
        "-uuid", UUID, "-drive", "if=virtio,format=raw,file=" + img])
    try:
        wait_for(ser, "vmu-smbios: ", proc, t0 + DEADLINE)
        # The boot sector exits right after its line: then it is whole.
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            fail("%s did not exit through isa-debug-exit within 60 s of "
                 "the boot sector's line" % binary)
        with open(ser, errors="replace") as f:
            out = f.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print("boot sector's line after %.1f s" % (time.monotonic() - t0))
    line = re.search(r"vmu-smbios: .*", out).group(0).strip()
    print(line)
    err = err.decode(errors="replace")
    expect("Sanitizer" not in err and "runtime error" not in err,
           "sanitizer report:\n" + err)
    expect(proc.returncode == PASS_STATUS,
           "%s exited with status %d, want %d (%s): %s"
           % (binary, proc.returncode, PASS_STATUS, line, err))
    return line


def main():
    vmu, case = sys.argv[1], sys.argv[2]
    need_kvm()
    if not os.path.exists(BIOS):
        fail("%s is missing (package seabios, scripts/install-deps)" % BIOS)
    binary, extra = vmu, []
    if case == "qemu":
        binary = shutil.which("qemu-system-x86_64")
        if not binary:
            skip("qemu-system-x86_64 is not installed (package "
                 "qemu-system-x86, scripts/install-deps)")
        extra = ["-accel", "kvm", "-cpu", "host,-arch-capabilities",
                 "-bios", BIOS]
    with tempfile.TemporaryDirectory() as tmp:
        line = run(binary, tmp, extra)
    # SMBIOS 2.6 and later: the first three UUID fields little-endian.
    want = ("vmu-smbios: manufacturer Acme serial S-42 uuid %s"
            % uuid.UUID(UUID).bytes_le.hex().upper())
    expect(line == want, "the guest read %r from SMBIOS, want %r"
           % (line, want))
    print("ok")


if __name__ == "__main__":
    main()
