#!/usr/bin/env python3
"""Write vmu.1 (troff) from system/options.def, the table behind -help.

Usage: gen-man.py OPTIONS.DEF VERSION OUTPUT
"""
import re
import sys

HEADER = r""".TH VMU 1 "" "vmu {version}" "User Commands"
.SH NAME
vmu \- a small KVM machine monitor for vhost-user networking
.SH SYNOPSIS
.B vmu
[\fIoptions\fR]
.SH DESCRIPTION
.B vmu
runs a KVM guest whose virtio-net-pci NIC is served by a vhost-user
back-end in another process (DPDK, OVS-DPDK, VPP, Snabb, or vmu-switch).
It takes QEMU's command line for everything it supports.  Guest RAM is a
shared memfd unless a memory backend says otherwise, so a vhost-user
back-end can map it without extra options.
.SH OPTIONS
"""

FOOTER = r""".SH EXIT STATUS
0 when the guest powers off or vmu is stopped by SIGINT/SIGTERM; 1 for a
bad command line or a start-up failure (one line on stderr for each
problem, all in one run); (V << 1) | 1 when the guest writes V to an isa-debug-exit port.
.SH EXAMPLES
A guest whose NIC is port 0 of a vhost-user back-end listening on
/tmp/vhost0:
.PP
.nf
vmu -m 1G -object memory-backend-memfd,id=mem,size=1G,share=on \e
    -numa node,memdev=mem -chardev socket,id=chr0,path=/tmp/vhost0 \e
    -netdev vhost-user,id=net0,chardev=chr0 \e
    -device virtio-net-pci,netdev=net0 -kernel vmlinux -nographic
.fi
.SH SEE ALSO
.BR qemu-system-x86_64 (1),
.BR dpdk-testpmd (1)
"""

DEF = re.compile(r'^DEF\("([^"]+)",\s*(\d),\s*(\w+),\s*"((?:[^"\\]|\\.)*)",'
                 r'\s*"((?:[^"\\]|\\.)*)"\)')
SECTION = re.compile(r'^SECTION\("([^"]+)"\)')


def roff(text):
    return text.replace("\\", "\\e").replace("-", "\\-")


def main():
    src, version, out = sys.argv[1:4]
    lines = [HEADER.format(version=version)]
    with open(src) as f:
        for line in f:
            m = SECTION.match(line)
            if m:
                lines.append(f".SS {roff(m.group(1))}\n")
                continue
            m = DEF.match(line)
            if m:
                lines.append(f".TP\n.B {roff(m.group(4))}\n"
                             f"{roff(m.group(5))}\n")
    lines.append(FOOTER)
    with open(out, "w") as f:
        f.write("".join(lines))


if __name__ == "__main__":
    main()
