#!/usr/bin/env python3
"""Bad command lines: each must fail with exit status 1 and one line on
stderr that names the problem, never crash (also under ASan/UBSan), and
leave no file behind (files that existed before must still be there).
Good informational options must succeed.

Usage: test-cli.py PATH-TO-VMU   (prints TAP)
"""
import os
import socket
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
    (["-cpu", ""], "unknown CPU model ''"),
    (["-cpu", "host,arch-capabilities"], "bad feature switch"),
    (["-netdev", "vhost-usr,id=n0"], "unknown netdev type 'vhost-usr'"),
    (["-netdev", "user,id=a,"], "trailing ','"),
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
      "mem-path=ram.img", "-machine", "memory-backend=m", "-chardev",
      "file,id=f0,path=out.txt", "-serial", "chardev:f0", "-pidfile",
      "nodir/vmu.pid"], "cannot create it", []),
    (["QTEST", "-chardev", "file,id=f0,path=keep.txt", "-serial", "/"],
     "unknown serial back-end", ["keep.txt"]),
    (["QTEST", "-serial", "file:keep.txt", "-pidfile", "nodir/vmu.pid"],
     "cannot create it", ["keep.txt"]),
    # vmu removes its pidfile at exit: it must refuse anything but a
    # regular file (-pidfile /dev/null once deleted /dev/null).
    (["QTEST", "-pidfile", "pid.fifo"], "-pidfile pid.fifo: not a regular file",
     ["pid.fifo"]),
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
    total = len(BAD) + len(CREATED) + len(GOOD)
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
        with tempfile.TemporaryDirectory(prefix="vmu-cli-") as cwd:
            for f in existing:
                if f.endswith(".fifo"):
                    os.mkfifo(os.path.join(cwd, f))
                    continue
                with open(os.path.join(cwd, f), "w") as fh:
                    fh.write("was here before vmu\n")
            rc, out, err = run(vmu, args, cwd)
            lines = [l for l in err.splitlines() if l.strip()]
            left = sorted(os.listdir(cwd))
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
