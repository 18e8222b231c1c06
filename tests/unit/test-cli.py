#!/usr/bin/env python3
"""Bad command lines: each must fail with exit status 1 and one line on
stderr per problem, in order, each naming its problem, never crash (also
under ASan/UBSan), and leave no file behind (files that existed before must
still be there).  Good informational options must succeed.  Options a
headless VMM accepts must start a machine (a qtest one, whose test hangs up
at once) with exactly the warnings listed.

Usage: test-cli.py PATH-TO-VMU   (prints TAP)
"""
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "functional"))
from vmutest import run_qtest_hangup  # noqa: E402

# (arguments, text the one error line must contain, or a list: one text
# per problem, each on its own line, in order)
BAD = [
    (["-m", "1x"], "-m 1x: invalid RAM size '1x'"),
    (["-m", "0"], "invalid RAM size '0'"),
    (["-m", "1M"], "at least 2 MiB"),
    (["-m", "128M,slots=x"], "'slots' expects a non-negative integer"),
    (["-m", "128M,sz=1"], "did you mean 'size'"),
    (["-smp", "0"], "the number of vCPUs must be 1 to 255, not 0"),
    (["-smp", "300"], "must be 1 to 255, not 300"),
    (["-smp", "cpus=2,maxcpus=4"], "maxcpus must equal cpus"),
    (["-smp", "two"], "'cpus' expects a non-negative integer, not 'two'"),
    (["-machinee", "pc"], "-machinee: invalid option; did you mean -machine?"),
    (["-frobnicate"], "-frobnicate: invalid option"),
    (["-machine", "q35"], "unsupported machine type 'q35'"),
    (["-machine", "pc,accel=tcg"], "vmu has no emulator"),
    (["-machine", "pc,accel=kvn"], "did you mean 'kvm'?"),
    (["-machine", "pc,usb=on"], "vmu has no USB"),
    (["-machine", "pc,kernel-irqchip=split"], "kernel-irqchip=split"),
    (["-machine", "pc,memory-backend=mem0"],
     "memory-backend=mem0: there is no memory backend with that id"),
    (["-object", "memory-backend-memfd,id=m,size=1G,shar=on"],
     "has no parameter 'shar'; did you mean 'share'?"),
    (["-object", "memory-backend-memfd,size=1G"], "an id is needed"),
    (["-object", "memory-backend-memfd,id=m"], "needs size=SIZE"),
    (["-object", "memory-backend-memfd,id=m,size=1x"],
     "'size' expects a size such as"),
    (["-object", "memory-backend-file,id=m,size=64M"], "needs mem-path=PATH"),
    (["-object", "memory-backend-ram,id=m,size=64M,share=on"],
     "memory-backend-ram cannot be shared"),
    (["-object", "memory-backend-memfd,id=m,size=64M,share=maybe"],
     "'share' expects on or off, not 'maybe'"),
    (["-object", "memory-backend-memfd,id=m,size=64M",
      "-object", "memory-backend-memfd,id=m,size=64M"],
     "duplicate object id 'm'"),
    (["-object", "memory-backnd-memfd,id=m,size=64M"],
     "did you mean 'memory-backend-memfd'?"),
    (["-object", "memory-backend-memfd,id=1m,size=64M"], "invalid id '1m'"),
    (["-object", "memory-backend-memfd,id=m,size=64M,host-nodes=0"],
     "host-nodes is not supported yet"),
    (["-object", "secret,id=s", "-object", "secrets,id=t"],
     "unknown object type 'secrets'"),
    (["-name", "guest=vm,debug-threads=maybe"],
     "-name guest=vm,debug-threads=maybe: parameter 'debug-threads' expects "
     "on or off, not 'maybe'"),
    (["-name", "guest=vm,threads=on"], "-name has no parameter 'threads'"),
    (["-name", "vm,process="], "process= needs a name"),
    (["-machine", "pc,kernel_irqchip=split"], "kernel-irqchip=split"),
    (["-m", "1G", "-object", "memory-backend-memfd,id=m,size=512M",
      "-machine", "memory-backend=m"], "does not match the size"),
    (["-numa", "node,memdev=nope"], "there is no memory backend"),
    (["-numa", "node"], "memdev=ID"),
    (["-numa", "node,nodeid=1,memdev=m"], "the only NUMA node is node 0"),
    (["-object", "memory-backend-memfd,id=a,size=128M",
      "-numa", "node,memdev=a", "-numa", "node,memdev=b"], "one NUMA node"),
    (["-numa", "cpu,node-id=0"], "only '-numa node,memdev=ID'"),
    (["-mem-path", "/tmp,share=maybe"], "'share' expects on or off"),
    (["-mem-path", "/dev/hugepages", "-object",
      "memory-backend-memfd,id=m,size=128M", "-machine", "memory-backend=m"],
     "both give guest RAM"),
    (["-cpu", "pentium"], "unknown CPU model 'pentium'"),
    (["-cpu", "hots"], "did you mean 'host'?"),
    (["-cpu", ""], "unknown CPU model ''"),
    (["-cpu", "host,arch-capabilities"], "bad feature switch"),
    (["-netdev", "vhost-usr,id=n0"], "unknown netdev type 'vhost-usr'"),
    (["-netdev", "id=a"], "no netdev type given"),
    # -netdev user (libslirp) and the -net/-nic forms
    (["-netdev", "user,id=n,hostfwd=tcp::abc-:22"],
     "hostfwd 'tcp::abc-:22': host port 'abc' is not a number"),
    (["-netdev", "user,id=n,hostfwd=tcp::22"],
     "write [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"),
    (["-netdev", "user,id=n,hostfwd=sctp::1-:2"],
     "protocol 'sctp' is neither tcp nor udp"),
    (["-netdev", "user,id=n,hostfwd=tcp:1.2.3:5-:22"],
     "host address '1.2.3' is not an IPv4 address"),
    (["-netdev", "user,id=n,hostfwd=tcp::70000-:22"],
     "host port '70000' is not a number from 1 to 65535"),
    (["-netdev", "user,id=n,hostfwd=udp::5555-:x"],
     "guest port 'x' is not a number"),
    (["-netdev", "user,id=n,hostfwd=tcp::2222-10.0.3.15:22"],
     "guest address 10.0.3.15 is outside the guest network"),
    (["-netdev", "user,id=n,hostfwd=tcp::2222-:22,hostfwd=tcp::2222-:23"],
     "host port 2222 is already forwarded by hostfwd 'tcp::2222-:22'"),
    (["-netdev", "user,id=n,net=10.0.2.0/255.255.0.255"],
     "'255.255.0.255' is not a network mask"),
    (["-netdev", "user,id=n,net=10.0.2.0/255.255.255.252"],
     "the network is too small"),
    (["-netdev", "user,id=n,net=10.0.2.0/33"],
     "the prefix length must be a number from 8 to 29"),
    (["-netdev", "user,id=n,net=ten"], "'ten' is not an IPv4 address"),
    (["-netdev", "user,id=n,host=10.0.3.2"],
     "host=10.0.3.2 is not a host address in the guest network"),
    (["-netdev", "user,id=n,dhcpstart=10.0.2.x"],
     "dhcpstart=10.0.2.x is not an IPv4 address"),
    (["-netdev", "user,id=n,dns=10.0.2.2"], "must be three different"),
    (["-netdev", "user,id=n,ipv4=off,ipv6=off"], "leave the guest no network"),
    (["-netdev", "user,id=n,ipv6-net=zz"], "ipv6-net=zz: write PREFIX/LEN"),
    (["-netdev", "user,id=n,ipv6-host=fec1::2"],
     "is not an IPv6 address inside ipv6-net=fec0::/64"),
    (["-netdev", "user,id=n,restrict=maybe"], "'restrict' expects on or off"),
    (["-netdev", "user,id=n,guestfwd=tcp:10.0.2.100:1234-chr0"],
     "a chardev target ('chr0') is not supported"),
    (["-netdev", "user,id=n,guestfwd=udp:10.0.2.100:1234-cmd:cat"],
     "only tcp can be forwarded"),
    (["-netdev", "user,id=n,guestfwd=tcp:10.0.2.100-cmd:cat"],
     "write [tcp]:[SERVER]:PORT-cmd:COMMAND"),
    (["-netdev", "user,id=n,smb=/tmp"], "smb= is not supported"),
    (["-netdev", "user,id=n,tftp=/nonexistent"], "is not a directory"),
    (["-netdev", "user,id=n,hostfwd=tcp:1.2.3.4:8022-:22"],
     "1.2.3.4 is not an address of this host"),
    (["-netdev", "user"], "an id is needed"),
    # -netdev tap: every value checked before a tap is made
    (["-netdev", "tap,id=n,ifname=abcdefghijklmnop"],
     "ifname=abcdefghijklmnop: an interface name has 1 to 15 characters"),
    (["-netdev", "tap,id=n,ifname=a/b"], "no '/', ':' or spaces"),
    (["-netdev", "tap,id=n,ifname=lo"],
     "ifname=lo: an interface of that name exists and is not a tap"),
    (["-netdev", "tap,id=n,fd=0"], "fd=0 is not a tap device"),
    (["-netdev", "tap,id=n,fd=97"], "fd=97 is not open in this process"),
    (["-netdev", "tap,id=n,fd=abc"], "'abc' is not an fd number"),
    (["-netdev", "tap,id=n,fd=0,ifname=t0"], "fd= and ifname= exclude"),
    (["-netdev", "tap,id=n,fd=0,queues=2"], "fd= is one queue, but queues=2"),
    (["-netdev", "tap,id=n,queues=0"], "queues=0: allowed values are 1 to 8"),
    (["-netdev", "tap,id=n,queues=9"], "queues=9: allowed values are 1 to 8"),
    (["-netdev", "tap,id=n,fds=0:1,queues=3"],
     "fds=0:1 has 2 fds but queues=3; give one fd per queue pair"),
    (["-netdev", "tap,id=n,fds=0:0"], "fds=0:0: fd 0 is not a tap device"),
    (["-netdev", "tap,id=n,ifname=vmucli0,script=/nonexistent/ifup"],
     "script=/nonexistent/ifup: No such file or directory"),
    (["-netdev", "tap,id=n,ifname=vmucli0,script=no,downscript=/nonexistent"],
     "downscript=/nonexistent: No such file or directory"),
    (["-netdev", "tap,id=n,ifname=vmucli0,script=/dev/null"],
     "script=/dev/null is not an executable file"),
    (["-netdev", "tap,id=n,ifname=vmucli0,script=no,vhostforce=on"],
     "drop vhostforce=on to use vmu's user-space data path"),
    (["-netdev", "tap,id=n,vhostfd=5"], "vhostfd= is not supported"),
    (["-netdev", "tap,id=n,helper=/usr/lib/qemu/qemu-bridge-helper"],
     "vmu runs no bridge helper"),
    (["-netdev", "tap,id=n,vnet_hdr=maybe"], "'vnet_hdr' expects on or off"),
    (["-netdev", "tap,id=n,sndbuf=lots"], "'sndbuf' expects a size"),
    (["-nic", "user,model=e1000"], "vmu's only NIC is virtio-net-pci"),
    (["-nic", "user,hostfwd=tcp::abc-:22"],
     "-nic user,hostfwd=tcp::abc-:22: hostfwd 'tcp::abc-:22'"),
    (["-nic", "user,mac=zz"], "mac=zz"),
    (["-net", "nic"], "the NIC has no back-end: add -net user"),
    (["-net", "nic,vlan=0", "-net", "user"], "vlan= is gone"),
    (["-net", "nic,model=rtl8139", "-net", "user"],
     "model=rtl8139: vmu's only NIC is virtio-net-pci"),
    (["-net", "nic,foo=1", "-net", "user"], "has no parameter 'foo'"),
    (["-net", "nic", "-net", "user", "-net", "nic"],
     "vmu pairs one -net nic with one -net back-end"),
    (["-net", "user,hostfwd=tcp::x-:22", "-net", "nic"],
     "-net user,hostfwd=tcp::x-:22: hostfwd 'tcp::x-:22': host port 'x'"),
    (["-chardev", "file,id=c"], "a file chardev needs path=FILE"),
    (["-chardev", "socket,id=c,path=x,mux=on"], "mux=on is not supported on "
     "a socket"),
    (["-chardev", "bogus,id=c"], "unknown chardev type 'bogus'"),
    (["-chardev", "null"], "an id is needed"),
    (["-device"], "-device: requires an argument"),
    (["-device", "nosuchdev"], "unknown device type 'nosuchdev'"),
    (["-qtest", "tcp:localhost:1234"], "only 'unix:PATH' is supported"),
    (["-accel", "qtest"], "accel=qtest needs -qtest unix:PATH"),
    (["-enable-kvm", "-accel", "qtest"], "conflicts with the accelerator"),
    (["-accel", "kvm,foo=bar"], "has no parameter 'foo'"),
    (["-trace", "bad pattern"], "invalid trace pattern 'bad pattern'"),
    (["-trace", "events=/nonexistent/events"], "cannot read the events file"),
    (["-fw_cfg", "name=opt/" + "x" * 60 + ",string=a"],
     "is too long: at most 55 characters"),
    (["-fw_cfg", "string=hello"], "give the item a name: name=opt/..."),
    (["-fw_cfg", "name=opt/a,file=/nonexistent/blob"],
     "cannot read file /nonexistent/blob: No such file"),
    (["-fw_cfg", "name=opt/a,file=/dev/zero"],
     "file /dev/zero is too large: at most 256 MiB"),
    (["-fw_cfg", "name=opt/a,file=/etc/hostname,string=x"],
     "give exactly one of file=PATH and string=TEXT"),
    (["-fw_cfg", "name=opt/a"], "give exactly one of file=PATH"),
    (["-fw_cfg", "name=opt/a,string=x", "-fw_cfg", "name=opt/a,string=y"],
     "name 'opt/a' is given twice"),
    (["-fw_cfg", "name=opt/a,strin=x"], "did you mean 'string'"),
    (["-bios", "/nonexistent/bios.bin"],
     "cannot read the BIOS /nonexistent/bios.bin"),
    (["-bios", "/dev/zero"], "BIOS /dev/zero is too large: at most 16 MiB"),
    (["-bios", "/dev/null"], "must be a non-zero multiple of 64 KiB"),
    (["-bios", os.path.abspath(__file__)],
     "must be a non-zero multiple of 64 KiB"),
    (["-debugcon", "tcp:1234"], "-debugcon tcp:1234: use file:PATH"),
    (["-device", "isa-debugcon,iobase=0x402"], "give the output with "
     "chardev=ID"),
    (["-device", "isa-debugcon,chardev=nope"],
     "there is no -chardev with id 'nope'"),
    (["-boot", "order=z"], "invalid boot device 'z' for a PC"),
    (["-netdev", "user,id=n0", "-device",
      "virtio-net-pci,netdev=n0,bootindex=first"],
     "bootindex=first: give 0 (the first to boot) to 2147483647, or -1"),
    (["-netdev", "user,id=n0", "-device",
      "virtio-net-pci,netdev=n0,id=a,bootindex=1", "-netdev", "user,id=n1",
      "-device", "virtio-net-pci,netdev=n1,id=b,bootindex=1"],
     "virtio-net-pci b: bootindex=1 is virtio-net-pci a's already"),
    (["-boot", "order=cc"], "boot device 'c' is given twice"),
    (["-boot", "once=acdn"], "at most 3 devices"),
    (["-boot", "reboot-timeout=-2"], "reboot-timeout must be -1 (never)"),
    (["-boot", "splash-time=70000"], "splash-time must be 0 to 65535"),
    (["-boot", "menu=on,splash=logo.bmp"], "splash= (a boot splash"),
    (["-initrd", "/boot/initrd.img"], "needs -kernel"),
    (["-append", "console=ttyS0"], "-append needs -kernel"),
    (["-fda", "disk.img"], "-fda: not supported: vmu has no floppy drive"),
    (["-daemonize"], "-daemonize: the default serial port is on stdio"),
    (["-daemonize", "-nodefaults", "-chardev", "stdio,id=c"],
     "stdio cannot be used with -daemonize"),
    (["-machine", "none", "-device", "vmu-testdev"],
     "-machine none has no guest and no bus"),
    (["-machine", "none", "-kernel", "k.elf"], "leave out -kernel"),
    (["-machine", "none,accel=tcg"], "vmu has no emulator"),
    (["-accel", "tcg", "-accel", "tcg"], "-accel tcg: vmu has no emulator"),
    (["-serial", "null", "-serial", "null", "-serial", "null", "-serial",
      "null", "-serial", "stdio"], "vmu has four serial ports"),
    (["-serial", "tcp:localhost"], "-serial tcp:localhost: write "
     "tcp:HOST:PORT"),
    (["-serial", "tcp::70000,server=on"], "PORT 0 to 65535"),
    (["-serial", "telnet:localhost:x"], "write telnet:HOST:PORT"),
    (["-serial", "tcp:localhost:4444,ipv6=on"], "'ipv6' is not supported"),
    (["-serial", "unix:"], "unknown serial back-end"),
    (["-chardev", "null,id=c0", "-device", "isa-serial,chardev=c0,"
      "iobase=0x10000"], "iobase must be 0 to 0xfff8"),
    (["-chardev", "null,id=c0", "-device", "isa-serial,chardev=c0,"
      "iobase=0x3f8x"], "'iobase' expects"),
    (["-chardev", "null,id=c0", "-device", "isa-serial,chardev=c0,index=4"],
     "there are four COM ports"),
    (["-chardev", "null,id=c0", "-device", "isa-serial,chardev=c0,irq=16"],
     "an ISA interrupt is 0 to 15"),
    (["-device", "isa-serial,chardev=nope"],
     "there is no -chardev with id 'nope'"),
    (["-serial", "null", "-chardev", "null,id=c0", "-device",
      "isa-serial,chardev=c0,iobase=0x3f8"],
     "is at 0x3f8 already; give each its own index= or iobase="),
    (["-chardev", "null,id=c0", "-chardev", "null,id=c1", "-device",
      "isa-serial,chardev=c0,index=1", "-device",
      "isa-serial,chardev=c1,iobase=0x2fc"], "is at 0x2f8 already"),
    (["-chardev", "socket,id=c0,host=localhost,port=4444", "-netdev",
      "vhost-user,id=n0,chardev=c0"], "cannot carry vhost-user"),
    (["-pidfile", "vmu.pid", "-m", "bad"], "invalid RAM size 'bad'"),
    (["-netdev", "socket,id=n0,fd=0",
      "-device", "virtio-net-pci,netdev=n0,speed=fast"],
     "speed=fast: allowed values are -1 (unknown) and 0 to 2147483647"),
    (["-netdev", "socket,id=n0,fd=0",
      "-device", "virtio-net-pci,netdev=n0,speed=-2"], "speed=-2"),
    (["-netdev", "socket,id=n0,fd=0",
      "-device", "virtio-net-pci,netdev=n0,duplex=quarter"],
     "duplex=quarter: allowed values are half and full"),
    (["-netdev", "socket,id=n0,fd=0",
      "-device", "virtio-net-pci,netdev=n0,csum=maybe"],
     "'csum' expects on or off"),
    (["-netdev", "socket,id=n0,fd=0",
      "-device", "virtio-net-pci,netdev=n0,page-per-vq=2"],
     "'page-per-vq' expects on or off"),
]

# Lines that get past checking and create files before they fail.  QTEST
# stands for a qtest accelerator whose test socket listens (so start-up goes
# on as far as it can); the last element lists files there beforehand
# (NAME.fifo: a FIFO).
CREATED = [
    (["QTEST", "-chardev", "file,id=f0,path=out.txt", "-serial", "/"],
     "unknown serial back-end", []),
    (["QTEST", "-chardev", "file,id=f0,path=out.txt", "-serial",
      "chardev:nope"], "there is no -chardev with id 'nope'", []),
    (["QTEST", "-serial", "file:serial.txt", "-pidfile", "nodir/vmu.pid"],
     "-pidfile nodir/vmu.pid: cannot create it", []),
    (["QTEST", "-object", "memory-backend-file,id=m,size=128M,"
      "mem-path=.", "-machine", "memory-backend=m", "-chardev",
      "file,id=f0,path=out.txt", "-serial", "chardev:f0", "-pidfile",
      "nodir/vmu.pid"], "cannot create it", []),
    # A mem-path that does not exist is not created (test-mem-path.py).
    (["QTEST", "-object", "memory-backend-file,id=m,size=128M,"
      "mem-path=ram.img", "-machine", "memory-backend=m", "-chardev",
      "file,id=f0,path=out.txt", "-serial", "chardev:f0"],
     "mem-path ram.img does not exist", []),
    (["QTEST", "-chardev", "file,id=f0,path=keep.txt", "-serial", "/"],
     "unknown serial back-end", ["keep.txt"]),
    (["QTEST", "-serial", "file:keep.txt", "-pidfile", "nodir/vmu.pid"],
     "cannot create it", ["keep.txt"]),
    # vmu removes its pidfile at exit: it must refuse anything but a
    # regular file (-pidfile /dev/null once deleted /dev/null).
    (["QTEST", "-pidfile", "pid.fifo"], "-pidfile pid.fifo: not a regular file",
     ["pid.fifo"]),
]

# -device virtio-blk-pci on an image that is there: one line per problem,
# the image untouched.
VBLK_DRIVE = ["-drive", "if=none,id=d0,file=d.img,format=raw"]
CREATED += [
    (["QTEST"] + VBLK_DRIVE + ["-device", "virtio-blk-pci"],
     "drive= is required", ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device", "virtio-blk-pci,drive=d1"],
     "drive=d1: there is no -drive with id 'd1'", ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device", "virtio-blk-pci,drive=d0",
                               "-device", "virtio-blk-pci,drive=d0"],
     "drive 'd0' is already used by virtio-blk-pci", ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device",
                               "virtio-blk-pci,drive=d0,num-queues=0"],
     "num-queues=0: allowed values are 1 to 64", ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device",
                               "virtio-blk-pci,drive=d0,queue-size=3"],
     "queue-size=3: allowed values are powers of two", ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device",
                               "virtio-blk-pci,drive=d0,werror=bogus"],
     "werror=bogus: allowed values are report, ignore, stop, enospc and "
     "auto", ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device", "virtio-blk-pci,drive=d0,scsi=on"],
     "scsi=on: SCSI passthrough needs the legacy virtio interface",
     ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device", "virtio-blk-pci,drive=d0,"
                               "logical_block_size=1000"],
     "logical_block_size=1000: allowed values are powers of two", ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device", "virtio-blk-pci,drive=d0,"
                               "write-cache=maybe"],
     "write-cache=maybe: allowed values are on, off and auto", ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device",
                               "virtio-blk-pci,drive=d0,bootindex=x"],
     "bootindex=x: give a number from -1", ["d.img"]),
    (["QTEST"] + VBLK_DRIVE + ["-device",
                               "virtio-blk-pci,drive=d0,serail=x"],
     "did you mean 'serial'", ["d.img"]),
]

# QEMU options and devices vmu does not implement: the reason, not a
# nearest-spelling guess (-qmp is not -smp, -hda not -h, -mon not -m).
BAD += [
    (["-qmp", "vc"], "-qmp vc: use unix:PATH[,server=on,wait=off]"),
    (["-qmp-pretty", "file:x"], "-qmp-pretty file:x: use unix:PATH"),
    (["-mon", "chardev=charmonitor,id=monitor,mode=control"],
     "-mon chardev=charmonitor: there is no -chardev with that id"),
    (["-chardev", "null,id=c", "-mon", "chardev=c,mode=qmp"],
     "mode=qmp: use mode=control (QMP) or mode=readline (HMP)"),
    (["-chardev", "null,id=c", "-mon", "c", "-mon", "c,mode=control"],
     "chardev 'c' has two monitors"),
    (["-sd", "disk.img"], "-sd: not supported: vmu's disks are virtio-blk"),
    (["-cdrom", "debian.iso"], "-cdrom: not supported: vmu has no CD-ROM"),
    (["-drive", "file=disk.qcow2,if=none"],
     "-drive file=disk.qcow2,if=none: cannot open disk image "
     "'disk.qcow2': No such file or directory"),
    (["-blockdev", "driver=file,filename=d.img,node-name=f"],
     "cannot open disk image 'd.img': No such file or directory"),
    (["-incoming", "tcp:0:4444"], "-incoming: not supported: vmu has no "
     "migration"),
    (["-loadvm", "snap1"], "vmu has no snapshots"),
    (["-spice", "port=5900,disable-ticketing=on"], "no SPICE server"),
    (["-soundhw", "hda"], "-soundhw: not supported: vmu has no sound"),
    (["-watchdog", "i6300esb"], "vmu has no watchdog device"),
    (["-s"], "-s: not supported: vmu has no gdb stub"),
    (["-gdb", "tcp::1234"], "-gdb: not supported: vmu has no gdb stub"),
    (["-icount", "shift=7"], "needs an emulator"),
    (["-singlestep"], "needs an emulator"),
    (["-d", "int"], "use -trace PATTERN"),
    (["-readconfig", "vm.cfg"], "vmu reads no configuration files"),
    (["-runas", "nobody"], "service manager"),
    (["-virtfs", "local,path=/tmp,mount_tag=h"], "no 9p file sharing"),
    (["-chardev", "spicevmc,id=vdagent,name=vdagent"],
     "chardev type 'spicevmc' is not supported: vmu has no display"),
    (["-device", "usb-host,hostbus=1,hostaddr=2"],
     "device type 'usb-host' is not supported: vmu has no USB"),
    (["-device", "virtio-blk-pci,drive=d0"],
     "drive=d0: there is no -drive with id 'd0'"),
    (["-device", "e1000,netdev=n0"], "vmu's only NIC is virtio-net-pci"),
    (["-device", "virtio-serial-pci"], "vmu has no virtio-serial"),
    (["-machine", "pc,vmport=maybe"], "vmport=maybe: allowed values are on, "
     "off and auto"),
    (["-machine", "pc,hpet=2"], "'hpet' expects on or off"),
    # a -global reaches the NIC of -nic too
    (["-global", "virtio-net-pci.duplex=quarter", "-nic", "user"],
     "duplex=quarter: allowed values are half and full"),
    (["-device", "vhost-user-blk-pci,chardev=c0"],
     "'vhost-user-blk-pci' is not supported: disks are not supported yet"),
    (["-device", "vhost-user-fs-pci,chardev=c0,tag=fs"],
     "vmu speaks vhost-user for networking only"),
    (["-device", "vfio-pci,host=01:00.0"], "no device passthrough"),
    (["-device", "pcie-root-port,id=rp1"], "vmu has one PCI bus"),
    (["-parallel", "/dev/parport0"], "vmu has no parallel port"),
    # the JSON form: read as JSON, so its errors are about its content
    (["-netdev", '{"type":"vhost-usr","id":"n0","chardev":"c0"}'],
     "-netdev {\"type\":\"vhost-usr\",\"id\":\"n0\",\"chardev\":\"c0\"}: "
     "unknown netdev type 'vhost-usr'; did you mean 'vhost-user'?"),
    (["-netdev", '{"type":"vhost-user","id":"n0","chardev":"c9"}'],
     "there is no -chardev with id 'c9'"),
    (["-netdev", '{"type":"vhost-user","id":"n0",}'],
     "invalid JSON at line 1, column 31"),
    (["-device", '{"driver":"virtio-net-pci" "netdev":"n0"}'],
     "invalid JSON at line 1, column 26"),
    (["-object", '{"qom-type":"memory-backend-memfd","id":"m","size":{}}'],
     "the value of \"size\" must be a string, number or boolean"),
    (["-object", '{"qom-type":"memory-backend-memfd","id":"m","size":1,'
      '"share":"maybe"}'], "'share' expects on or off, not 'maybe'"),
    (["-device", '[{"driver":"virtio-net-pci"}]'],
     "the JSON form is one object"),
    (["-netdev", '{"type":"user","id":"n","hostfwd":[{"str":"tcp::x-:22"}]}'],
     "hostfwd 'tcp::x-:22': host port 'x' is not a number"),
    (["-chardev", '{"backend":"null","id":"c0"}'],
     "-chardev has no JSON form; write KEY=VALUE"),
    # bad values for the options accepted for compatibility
    (["-msg", "timestamp=maybe"], "'timestamp' expects on or off"),
    (["-msg", "colour=on"], "-msg has no parameter 'colour'"),
    (["-sandbox", "maybe"], "-sandbox maybe: parameter 'enable' expects on "
     "or off, not 'maybe'"),
    (["-sandbox", "on,spawn=perhaps"], "spawn=perhaps: allowed values are "
     "allow, deny"),
    (["-sandbox", "on,fork=deny"], "-sandbox has no parameter 'fork'"),
    (["-overcommit", "mem-lock=2"], "'mem-lock' expects on or off"),
    (["-overcommit", "cpu_pm=on"], "did you mean 'cpu-pm'?"),
    (["-realtime", "mlock=sometimes"], "'mlock' expects on or off"),
    (["-global", "virtio-net-pci"], "write DRIVER.PROPERTY=VALUE"),
    (["-global", "virtio-net-pci.csum=maybe"],
     "-global virtio-net-pci.csum=maybe: parameter 'csum' expects on or off"),
    (["-global", "virtio-net-pci.no-such-prop=on"],
     "device type 'virtio-net-pci' has no parameter 'no-such-prop'"),
    # a -global reaches the devices: its bad speed is the device's problem
    (["-global", "virtio-net-pci.speed=-2", "-netdev", "socket,id=n0,fd=0",
      "-device", "virtio-net-pci,netdev=n0"], "speed=-2"),
    (["-audiodev", "pa"], "-audiodev pa: an id is needed"),
    (["-balloon", ",x"], "give a type first"),
    (["-vga", "matrox"], "-vga matrox: unknown VGA type"),
    (["-rtc", "base=yesterday"], "base=yesterday: write utc, localtime"),
    (["-rtc", "base=2021-13-01"], "base=2021-13-01"),
    (["-rtc", "clock=wall"], "clock=wall: allowed values are host, rt, vm"),
    (["-rtc", "driftfix=fast"], "driftfix=fast: allowed values are none"),
    (["-uuid", "1234"], "-uuid 1234: write the UUID as 8-4-4-4-12 hex"),
    (["-uuid", "1234567g-9abc-def0-1234-56789abcdef0"], "8-4-4-4-12"),
    (["-smbios", "type=5"], "type=N with N one of 0, 1, 2, 3"),
    (["-smbios", "file=a.bin,type=1"], "file=PATH takes no other key"),
    (["-smbios", "type=1,colour=red"],
     "-smbios type=1 (system) has no parameter 'colour'"),
    (["-smbios", "type=0,release=one"], "release=one: write MAJOR.MINOR"),
    (["-smbios", "type=1,uuid=1234"], "uuid=1234: write the UUID as"),
    (["-smbios", "file=/nonexistent/t1.bin"], "/nonexistent/t1.bin"),
    # several problems: one line each, in order, in one run
    (["-qmp", "vc", "-fda", "disk.img"],
     ["-qmp vc: use unix:PATH", "-fda: not supported"]),
    (["-m", "1x", "-smp", "0", "-cpu", "pentium"],
     ["invalid RAM size '1x'", "must be 1 to 255, not 0",
      "unknown CPU model 'pentium'"]),
    (["-frobnicate", "x", "-mon", "chardev=c,mode=x", "-device",
      "nosuchdev"],
     ["-frobnicate: invalid option", "mode=x: use mode=control",
      "unknown device type 'nosuchdev'"]),
    (["-machine", "q35", "-object", "memory-backend-memfd,id=m,size=1x"],
     ["unsupported machine type 'q35'", "'size' expects a size"]),
    (["-netdev", '{"type":"user",', "-rtc", "clock=wall"],
     ["invalid JSON", "clock=wall"]),
    (["-initrd", "/boot/initrd.img", "-serial", "tcp:nohost"],
     ["-serial tcp:nohost: write tcp:HOST:PORT", "needs -kernel"]),
    # nothing is created while problems are reported
    (["-pidfile", "vmu.pid", "-fda", "x", "-m", "bad"],
     ["-fda: not supported", "invalid RAM size 'bad'"]),
    # an option that cannot be parsed is not also reported as missing
    (["-chardev", '{"backend":"null","id":"c0"}',
      "-netdev", "vhost-user,id=n0,chardev=c0"], "has no JSON form"),
    # checks between options come after every option's own check
    (["-m", "1x", "-device", "nosuchdev", "-machine", "memory-backend=m"],
     ["invalid RAM size '1x'", "unknown device type 'nosuchdev'",
      "memory-backend=m: there is no memory backend with that id"]),
    # up to a bound: 20 problems, then a line that says vmu stopped there
    (["-fda", "disk.img"] * 25,
     ["-fda: not supported"] * 20 + ["stopping after 20 problems"]),
]

# Accepted: a qtest machine starts with exactly these warnings, in order
# (an empty list: the option is honoured as it is, no warning).
ACCEPTED = [
    (["-snapshot"], []),
    (["-msg", "timestamp=on"], ["-msg timestamp=on: ignored: timestamp=on"]),
    (["-serial", "mon:stdio"], []),
    (["-serial", "null", "-serial", "none", "-serial", "file:com2.txt",
      "-serial", "tcp::0,server=on,wait=off,nodelay=on", "-serial",
      "telnet:127.0.0.1:0,server=on,wait=off"], []),
    (["-chardev", "null,id=c0", "-device", "isa-serial,chardev=c0,index=2",
      "-device", "isa-serial,iobase=0x3e0,irq=5,index=7"], []),
    (["-msg", "timestamp=off"], []),
    (["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
      "resourcecontrol=deny"], ["-sandbox on,obsolete=deny"
                                 ",elevateprivileges=deny,spawn=deny,"
                                 "resourcecontrol=deny: ignored: vmu "
                                 "installs no seccomp filter"]),
    (["-sandbox", "off"], []),
    (["-overcommit", "mem-lock=off"], []),
    (["-overcommit", "mem-lock=on,cpu-pm=on"],
     ["ignored: mem-lock=on (guest RAM is not locked in host memory), "
      "cpu-pm=on"]),
    (["-realtime", "mlock=off"], []),
    (["-realtime", "mlock=on"], ["-realtime mlock=on: ignored: mlock=on"]),
    (["-global", "kvm-pit.lost_tick_policy=delay"], []),
    (["-global", "kvm-pit.lost_tick_policy=discard"],
     ["KVM's in-kernel PIT always re-injects lost ticks"]),
    (["-global", "PIIX4_PM.disable_s3=1", "-global",
      "driver=PIIX4_PM,property=disable_s4,value=1"], []),
    (["-global", "PIIX4_PM.disable_s3=0"],
     ["-global PIIX4_PM.disable_s3=0: ignored: vmu's PIIX4_PM has no "
      "properties; it offers only S5 (soft off)"]),
    (["-global", "driver=cfi.pflash01,property=secure,value=on"],
     ["ignored: vmu has no cfi.pflash01 device"]),
    (["-global", "virtio-net-pci.disable-legacy=on"], []),
    (["-global", "driver=virtio-net-pci,property=mrg_rxbuf,value=off"], []),
    (["-no-hpet"], []),
    (["-machine", "pc-i440fx-7.2,usb=off,vmport=off,smm=off,"
      "dump-guest-core=off,hpet=off,acpi=off,suppress-vmdesc=on"], []),
    (["-machine", "pc,vmport=on,acpi=on"],
     ["vmport=on,acpi=on: ignored: vmport=on (vmu has no VMware I/O "
      "port)"]),
    (["-object", "rng-random,id=objrng0,filename=/dev/urandom",
      "-device", "virtio-rng-pci,rng=objrng0,id=rng0"],
     ["-object rng-random,id=objrng0,filename=/dev/urandom: ignored",
      "-device virtio-rng-pci,rng=objrng0,id=rng0: ignored: vmu has no "
      "virtio-rng"]),
    (["-object", "iothread,id=io1"], ["vmu has no iothreads"]),
    # libvirt's master key: nothing in vmu reads secrets
    (["-object", '{"qom-type":"secret","id":"masterKey0","format":"raw",'
      '"file":"/nonexistent/master-key.aes"}'],
     ["ignored: nothing in vmu reads a secret"]),
    (["-name", "guest=QEMUGuest1,debug-threads=on"], []),
    (["-name", "vm1"], []),
    (["-name", "vm1,process=vmu-vm1"], []),
    # QEMU's '_' spelling of machine properties (kata, old docs)
    (["-machine", "pc,kernel_irqchip=on,dump_guest_core=off,mem_merge=off"],
     []),
    (["-device", "pvpanic"], ["-device pvpanic: ignored: vmu has no pvpanic"]),
    # the device's own value wins over a -global
    (["-global", "virtio-net-pci.speed=-2", "-netdev", "user,id=n0",
      "-device", "virtio-net-pci,netdev=n0,speed=1000"], []),
    (["-no-acpi"], []),
    (["-nodefconfig"], []),
    (["-no-user-config"], []),
    (["-usb"], ["-usb: ignored: vmu has no USB controller"]),
    (["-usbdevice", "tablet"], ["-usbdevice tablet: ignored: vmu has no USB"]),
    (["-device", "piix3-usb-uhci,id=usb,bus=pci.0,addr=0x1.0x2"],
     ["-device piix3-usb-uhci,id=usb,bus=pci.0,addr=0x1.0x2: ignored: vmu "
      "has no USB"]),
    (["-device", "usb-tablet,id=input0,bus=usb.0,port=1"],
     ["-device usb-tablet,id=input0,bus=usb.0,port=1: ignored: vmu has no "
      "USB"]),
    (["-device", "usb-kbd"], ["-device usb-kbd: ignored"]),
    (["-device", "usb-mouse"], ["-device usb-mouse: ignored"]),
    (["-vnc", "127.0.0.1:0"], ["-vnc 127.0.0.1:0: ignored: vmu has no "
                               "display, so no VNC server is started"]),
    (["-vnc", "none"], []),
    (["-vga", "none"], []),
    (["-vga", "std"], ["-vga std: ignored: vmu has no display adapter"]),
    (["-vga", "cirrus"], ["-vga cirrus: ignored: vmu has no display adapter"]),
    (["-device", "cirrus-vga,id=video0,bus=pci.0,addr=0x2"],
     ["ignored: vmu has no display adapter"]),
    (["-device", "VGA"], ["-device VGA: ignored: vmu has no display adapter"]),
    (["-display", "none"], []),
    (["-display", "gtk"], ["-display gtk: ignored: vmu has no display, so "
                           "no window opens"]),
    (["-display", "sdl,gl=on"], ["no window opens"]),
    (["-display", "curses"], ["-display curses: ignored: vmu has no VGA text "
                              "console; use -nographic"]),
    (["-display", "vnc=:1"], ["no VNC server is started"]),
    (["-display", "egl-headless"], ["vmu has no display to render"]),
    (["-balloon", "none"], []),
    (["-balloon", "virtio"], ["-balloon virtio: ignored: vmu has no memory "
                              "balloon"]),
    (["-device", "virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x5"],
     ["ignored: vmu has no memory balloon"]),
    (["-audiodev", "none,id=snd0"], []),
    (["-audiodev", "pa,id=snd0"], ["-audiodev pa,id=snd0: ignored: vmu has "
                                   "no sound devices"]),
    (["-k", "en-us"], ["-k en-us: ignored: vmu has no display or keyboard"]),
    (["-parallel", "none"], []),
    (["-no-shutdown"], []),
    (["-accel", "qtest:tcg", "-accel", "tcg"], []),
    (["-machine", "none", "-S", "-nodefaults"], []),
    (["-qmp", "unix:qmp.sock,server=on,wait=off", "-qmp-pretty",
      "tcp:127.0.0.1:0,server=on,wait=off", "-monitor", "none"], []),
    (["-chardev", "null,id=mon0", "-mon", "chardev=mon0,mode=control"], []),
    (["-S"], []),
    (["-rtc", "base=utc,clock=host"], []),
    (["-rtc", "base=2006-06-17T16:01:21,driftfix=slew"], []),
    (["-rtc", "base=localtime,clock=vm"], []),
    (["-uuid", "c7a5fdbd-cdaf-9455-926a-d65c16db1809"], []),
    (["-smbios", "type=1,manufacturer=OpenStack,product=Nova"], []),
    (["-smbios", "type=41,designation=n0,kind=ethernet,instance=1,"
      "pcidev=nic0"],
     ["-smbios type=41,designation=n0,kind=ethernet,instance=1,pcidev=nic0: "
      "not applied: vmu lists no onboard devices"]),
    # the JSON form gives the same options as key=value
    (["-object", '{"qom-type":"memory-backend-memfd","id":"m",'
      '"size":134217728,"share":true}', "-machine", "memory-backend=m"], []),
    (["-netdev", '{"type":"user","id":"n0","restrict":true,'
      '"dnssearch":["a.example",{"str":"b.example"}]}',
      "-device", '{"driver":"virtio-net-pci","netdev":"n0",'
      '"mrg_rxbuf":false,"mac":"52:54:00:12:34:56"}'], []),
    # syntax: a trailing comma is dropped, with QEMU-style advice
    (["-chardev", "null,id=c0,"],
     ["-chardev null,id=c0,: a trailing ',' is ignored; remove it"]),
    # short-form booleans: accepted with one warning per option, each key
    # named once, with the spelling to write (QEMU warns once per key)
    (["-chardev", "socket,id=c0,path=s.sock,server,nowait"],
     ["-chardev socket,id=c0,path=s.sock,server,nowait: short-form booleans "
      "'server', 'nowait' are deprecated, as in QEMU; write "
      "server=on,wait=off instead"]),
    (["-chardev", "socket,id=c0,path=s.sock,server,nowait,server"],
     ["short-form booleans 'server', 'nowait' are deprecated"]),
    (["-netdev", "user,id=n0,norestrict", "-device",
      "virtio-net-pci,netdev=n0,mrg_rxbuf"],
     ["-netdev user,id=n0,norestrict: short-form boolean 'norestrict' is "
      "deprecated, as in QEMU; write restrict=off instead",
      "-device virtio-net-pci,netdev=n0,mrg_rxbuf: short-form boolean "
      "'mrg_rxbuf' is deprecated, as in QEMU; write mrg_rxbuf=on instead"]),
    # QEMU's legacy chardev addresses take them silently: so does vmu
    (["-qmp", "unix:qmp.sock,server,nowait", "-serial",
      "tcp:127.0.0.1:0,server,nowait"], []),
    # a libvirt line's worth at once: one warning per option, in order
    (["-msg", "timestamp=on", "-no-user-config", "-nodefaults",
      "-global", "kvm-pit.lost_tick_policy=delay", "-no-hpet", "-usb",
      "-vnc", "127.0.0.1:0", "-vga", "cirrus",
      "-device", "virtio-balloon-pci,id=balloon0",
      "-sandbox", "on", "-overcommit", "mem-lock=off", "-rtc", "base=utc"],
     ["-msg timestamp=on", "-usb", "-vnc 127.0.0.1:0", "-vga cirrus",
      "-device virtio-balloon-pci", "-sandbox on"]),
]

GOOD = [
    (["-version"], "vmu version"),
    (["-help"], "-netdev vhost-user,id=ID,chardev=CHR"),
    (["-machine", "help"], "pc"),
    (["-device", "help"], "Known device types"),
    (["-nic", "user,model=help"], "virtio-net-pci"),
    (["-trace", "help"], "memory_map_add_ram"),
]


def busy_port_case():
    """A hostfwd port another socket holds: named, with the fix."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    return sock, (["-netdev", f"user,id=n,hostfwd=tcp:127.0.0.1:{port}-:22"],
                  f"host port {port} is in use; choose another host port")


def run_accepted(vmu, args, cwd):
    """Start vmu as a qtest machine whose test hangs up at once: it exits 0
    once every option was accepted (or 1, at once, if one was not)."""
    path = os.path.join(cwd, "qtest.sock")
    rc, out, err = run_qtest_hangup([vmu, "-machine", "pc,accel=qtest",
                                     "-qtest", "unix:" + path] + args,
                                    cwd, path, 20)
    return rc, out, err + ("timed out after 20 s" if rc is None else "")


def run(vmu, args, cwd):
    env = dict(os.environ, TMPDIR=cwd)
    try:
        p = subprocess.run([vmu] + args, cwd=cwd, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return None, "", "timed out after 20 s"
    return p.returncode, p.stdout, p.stderr


def expand(args, qtest_sock):
    out = []
    for a in args:
        if a == "QTEST":
            out += ["-machine", "pc,accel=qtest", "-qtest", "unix:" + qtest_sock]
        else:
            out.append(a)
    return out


def main():
    vmu = os.path.abspath(sys.argv[1])
    busy, case = busy_port_case()
    BAD.append(case)
    total = len(BAD) + len(CREATED) + len(ACCEPTED) + len(GOOD)
    print(f"1..{total}")
    failed = 0
    n = 0
    # The qtest socket lives outside the cases' directories; vmu's connect
    # completes from the listen backlog, nobody needs to accept.
    sockdir = tempfile.TemporaryDirectory(prefix="vmu-cli-sock-")
    qtest_sock = os.path.join(sockdir.name, "qtest.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(qtest_sock)
    listener.listen(len(CREATED))
    cases = [(a, w, []) for a, w in BAD] + CREATED
    for args, want, existing in cases:
        n += 1
        args = expand(args, qtest_sock)
        wants = want if isinstance(want, list) else [want]
        with tempfile.TemporaryDirectory(prefix="vmu-cli-") as cwd:
            for f in existing:
                if f.endswith(".fifo"):
                    os.mkfifo(os.path.join(cwd, f))
                    continue
                with open(os.path.join(cwd, f), "w") as fh:
                    fh.write("was here before vmu\n")
            rc, out, err = run(vmu, args, cwd)
            all_lines = [l for l in err.splitlines() if l.strip()]
            left = sorted(os.listdir(cwd))
        lines = [l for l in all_lines if not l.startswith("vmu: warning: ")]
        problems = []
        if rc != 1:
            problems.append(f"exit status {rc}, want 1")
        if len(lines) != len(wants):
            problems.append(f"{len(lines)} error lines on stderr, want "
                            f"{len(wants)}")
        for k, w in enumerate(wants):
            if k >= len(lines) or w not in lines[k]:
                problems.append(f"error line {k + 1} lacks {w!r}")
        if not all(l.startswith("vmu: ") for l in all_lines) or not lines:
            problems.append("an error line does not start with 'vmu: '")
        if "Sanitizer" in err or "runtime error" in err:
            problems.append("sanitizer report")
        if left != sorted(existing):
            problems.append(f"files left behind: {left}, want {existing}")
        name = " ".join(args)
        if problems:
            failed += 1
            print(f"not ok {n} - vmu {name}")
            for p in problems:
                print(f"#   {p}")
            for l in err.splitlines()[:5]:
                print(f"#   stderr: {l}")
        else:
            print(f"ok {n} - vmu {name}: {lines[0]}")
    for args, want in ACCEPTED:
        n += 1
        with tempfile.TemporaryDirectory(prefix="vmu-cli-") as cwd:
            rc, out, err = run_accepted(vmu, args, cwd)
        lines = [l for l in err.splitlines() if l.strip()]
        problems = []
        if rc != 0:
            problems.append(f"exit status {rc}, want 0")
        if len(lines) != len(want):
            problems.append(f"{len(lines)} lines on stderr, want {len(want)}")
        for k, w in enumerate(want):
            if k >= len(lines) or not lines[k].startswith("vmu: warning: ") \
                    or w not in lines[k]:
                problems.append(f"line {k + 1} is not a warning with {w!r}")
        name = " ".join(args)
        if problems:
            failed += 1
            print(f"not ok {n} - vmu {name} (accepted)")
            for p in problems:
                print(f"#   {p}")
            for l in err.splitlines()[:8]:
                print(f"#   stderr: {l}")
        else:
            print(f"ok {n} - vmu {name} (accepted){': ' if lines else ''}"
                  f"{lines[0] if lines else ''}")
    for args, want in GOOD:
        n += 1
        with tempfile.TemporaryDirectory(prefix="vmu-cli-") as cwd:
            rc, out, err = run(vmu, args, cwd)
        name = " ".join(args)
        if rc == 0 and want in out and not err:
            print(f"ok {n} - vmu {name}")
        else:
            failed += 1
            print(f"not ok {n} - vmu {name}: status {rc}, stderr {err[:200]!r}")
    busy.close()
    listener.close()
    sockdir.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
