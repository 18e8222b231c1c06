#!/usr/bin/env python3
"""Bad command lines: each must fail with exit status 1 and one line on
stderr that names the problem, never crash (also under ASan/UBSan), and
leave no file behind.  Good informational options must succeed.

Usage: test-cli.py PATH-TO-VMU   (prints TAP)
"""
import os
import subprocess
import sys
import tempfile

# (arguments, text the one error line must contain)
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
    (["-object", "secret,id=s"], "unknown object type 'secret'"),
    (["-m", "1G", "-object", "memory-backend-memfd,id=m,size=512M",
      "-machine", "memory-backend=m"], "does not match the size"),
    (["-numa", "node,memdev=nope"], "there is no memory backend"),
    (["-numa", "node"], "memdev=ID"),
    (["-numa", "node,nodeid=1,memdev=m"], "the only NUMA node is node 0"),
    (["-numa", "node,memdev=a", "-numa", "node,memdev=b"], "one NUMA node"),
    (["-numa", "cpu,node-id=0"], "only '-numa node,memdev=ID'"),
    (["-mem-path", "/tmp,share=maybe"], "'share' expects on or off"),
    (["-mem-path", "/dev/hugepages", "-object",
      "memory-backend-memfd,id=m,size=128M", "-machine", "memory-backend=m"],
     "both give guest RAM"),
    (["-cpu", "pentium"], "unknown CPU model 'pentium'"),
    (["-cpu", "hots"], "did you mean 'host'?"),
    (["-cpu", "host,arch-capabilities"], "bad feature switch"),
    (["-netdev", "vhost-usr,id=n0"], "unknown netdev type 'vhost-usr'"),
    (["-netdev", "user,id=a,"], "trailing ','"),
    (["-netdev", "id=a"], "no netdev type given"),
    (["-chardev", "file,id=c"], "a file chardev needs path=FILE"),
    (["-chardev", "stdio,id=c,mux=on"], "mux=on is not supported"),
    (["-chardev", "bogus,id=c"], "unknown chardev type 'bogus'"),
    (["-chardev", "null"], "an id is needed"),
    (["-device"], "-device: requires an argument"),
    (["-device", "nosuchdev"], "unknown device type 'nosuchdev'"),
    (["-qtest", "tcp:localhost:1234"], "only 'unix:PATH' is supported"),
    (["-accel", "qtest"], "accel=qtest needs -qtest unix:PATH"),
    (["-enable-kvm", "-accel", "qtest"], "conflicts with the accelerator"),
    (["-accel", "kvm,foo=bar"], "has no parameter 'foo'"),
    (["-display", "gtk"], "only '-display none' is accepted"),
    (["-monitor", "stdio"], "vmu has no monitor"),
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
    (["-boot", "order=cc"], "boot device 'c' is given twice"),
    (["-boot", "once=acdn"], "at most 3 devices"),
    (["-boot", "reboot-timeout=-2"], "reboot-timeout must be -1 (never)"),
    (["-boot", "splash-time=70000"], "splash-time must be 0 to 65535"),
    (["-boot", "menu=on,splash=logo.bmp"], "splash= (a boot splash"),
    (["-initrd", "/boot/initrd.img"], "needs -kernel"),
    (["-append", "console=ttyS0"], "-append needs -kernel"),
    (["disk.img"], "unexpected argument 'disk.img'"),
    (["-daemonize"], "-daemonize: not supported yet"),
    (["-serial", "stdio", "-serial", "null"], "vmu has one serial port"),
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

GOOD = [
    (["-version"], "vmu version"),
    (["-help"], "-netdev vhost-user,id=ID,chardev=CHR"),
    (["-machine", "help"], "pc"),
    (["-device", "help"], "Known device types"),
    (["-trace", "help"], "memory_map_add_ram"),
]


def run(vmu, args, cwd):
    env = dict(os.environ, TMPDIR=cwd)
    try:
        p = subprocess.run([vmu] + args, cwd=cwd, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return None, "", "timed out after 20 s"
    return p.returncode, p.stdout, p.stderr


def main():
    vmu = os.path.abspath(sys.argv[1])
    total = len(BAD) + len(GOOD)
    print(f"1..{total}")
    failed = 0
    n = 0
    for args, want in BAD:
        n += 1
        with tempfile.TemporaryDirectory(prefix="vmu-cli-") as cwd:
            rc, out, err = run(vmu, args, cwd)
            lines = [l for l in err.splitlines() if l.strip()]
            left = os.listdir(cwd)
        problems = []
        if rc != 1:
            problems.append(f"exit status {rc}, want 1")
        if len(lines) != 1:
            problems.append(f"{len(lines)} lines on stderr, want 1")
        if want not in err:
            problems.append(f"stderr lacks {want!r}")
        if not err.startswith("vmu: "):
            problems.append("the error does not start with 'vmu: '")
        if "Sanitizer" in err or "runtime error" in err:
            problems.append("sanitizer report")
        if left:
            problems.append(f"files left behind: {left}")
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
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
