#!/usr/bin/env python3
"""fuzz-cli: mutated vmu command lines.  Each line must end (exit 0 or 1)
within a bound, a bad line with one 'vmu:' error line per problem (at most
20, then one line saying vmu stopped: docs/system/invocation.md), with no
signal death, no sanitizer report and no file left in its working directory.

Usage: fuzz-cli.py [--seed N] [--seconds S] [--case K] VMU FIRMWARE
"""
import atexit
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

import fuzzlib

BOUND_S = 30        # per line; generous for ASan on a loaded machine

NETNS = ["unshare", "--net", "--"] if os.geteuid() == 0 else []

# vmu reports up to 20 problems of a line, then says it stopped.
MAX_ERROR_LINES = 21

# Valid and near-valid lines.  @FD@ is a connected socket passed to vmu,
# @MISSING@ a file that does not exist.  Every path is inside the case's
# directory: mutations move arguments around, and a host file that lands
# after -pidfile or path= would be overwritten (or, with a bug, deleted).
# The case directory holds beforehand kernel.elf (a copy of the test
# firmware, on qtest lines only), notes.txt (not a kernel) and sub/.
CORPUS = [
    ["-m", "128M"],
    ["-m", "size=256M,slots=0,maxmem=256M"],
    ["-m", "1G", "-smp", "2"],
    ["-smp", "cpus=4,sockets=1,cores=2,threads=2"],
    ["-smp", "4,maxcpus=4"],
    ["-object", "memory-backend-memfd,id=mem0,size=128M,share=on",
     "-machine", "memory-backend=mem0"],
    ["-object", "memory-backend-memfd,id=mem0,size=128M",
     "-numa", "node,memdev=mem0", "-m", "128M"],
    ["-object", "memory-backend-file,id=m,size=64M,mem-path=ram.img,share=on",
     "-machine", "pc,memory-backend=m", "-m", "64M"],
    ["-object", "memory-backend-ram,id=r,size=64M", "-machine",
     "memory-backend=r", "-m", "64M"],
    ["-mem-path", "/nonexistent/dir"],
    ["-chardev", "file,id=f0,path=out.txt", "-serial", "chardev:f0"],
    ["-chardev", "file,id=f0,path=out.txt,append=on"],
    ["-chardev", "null,id=n"],
    ["-chardev", "stdio,id=s,signal=off", "-serial", "chardev:s"],
    ["-chardev", "socket,id=c0,path=vhost.sock",
     "-netdev", "vhost-user,id=n0,chardev=c0,queues=1",
     "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"],
    ["-chardev", "socket,id=c0,path=vhost.sock,server=on,wait=off",
     "-netdev", "vhost-user,id=n0,chardev=c0"],
    ["-netdev", "socket,id=n0,fd=@FD@",
     "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,"
     "mac=52:54:00:12:34:56,mq=off"],
    ["-netdev", "socket,id=n0,fd=@FD@",
     "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,mtu=1500,"
     "addr=0x5"],
    ["-netdev", "socket,id=n0,listen=:1234"],
    ["-netdev", "user,id=u0"],
    ["-netdev", "tap,id=t0,ifname=tap0"],
    ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
    ["-device", "vmu-testdev"],
    ["-machine", "pc,kernel-irqchip=on,usb=off"],
    ["-machine", "pc-i440fx-7.2"],
    ["-machine", "type=pc,dump-guest-core=off"],
    ["-serial", "file:serial.txt"],
    ["-serial", "null"],
    ["-serial", "none"],
    ["-serial", "stdio"],
    ["-trace", "memory_*"],
    ["-trace", "enable=qtest_*"],
    ["-trace", "events=@MISSING@"],
    ["-kernel", "kernel.elf"],
    ["-kernel", "kernel.elf", "-append", "console=ttyS0"],
    ["-kernel", "kernel.elf", "-initrd", "notes.txt"],
    ["-kernel", "kernel.elf", "-initrd", "@MISSING@"],
    ["-kernel", "@MISSING@"],
    ["-kernel", "notes.txt"],
    ["-kernel", "sub"],
    ["-object", "memory-backend-file,id=m,size=64M,mem-path=sub",
     "-machine", "memory-backend=m", "-m", "64M"],
    ["-pidfile", "notes.txt"],
    ["-pidfile", "sub"],
    ["-cpu", "host"],
    ["-cpu", "host,-x2apic"],
    ["-display", "none", "-nodefaults", "-no-user-config"],
    ["-name", "guest0"],
    ["-pidfile", "vmu.pid"],
    ["-pidfile", "nodir/vmu.pid"],
    ["-qtest-log", "qtest.log"],
    ["-no-reboot"],
    ["-enable-kvm"],
    ["-accel", "kvm"],
    ["-nographic"],
    ["-S"],
]

OPTIONS = sorted({a for line in CORPUS for a in line if a.startswith("-")} |
                 {"-object", "-chardev", "-netdev", "-device", "-numa",
                  "-daemonize", "-monitor", "-help", "-version", "-bios",
                  "-drive", "-global", "-rtc", "-boot", "-vga", "-L"})

INTERESTING = ["", "0", "1", "-1", "0x", "0xffffffffffffffff",
               "18446744073709551616", "9999999999999999999999", "1T",
               "1E", "2M", "help", "?", ",", ",,", "=", "id=", "on", "off",
               "yes", "a" * 300, "x" * 4097, "%s%n", "\u00e9", "sub",
               "sub/x", "notes.txt", "kernel.elf", "@MISSING@", "chardev:",
               "file:", "file:notes.txt", "file:sub",
               "chardev:f0", "chardev:nope", "none", "stdio", "unix:",
               "memory-backend-memfd", "virtio-net-pci", "vhost-user",
               "socket", "mem0", "n0", "c0", "f0"]

SEPARATORS = [",", "=", ":", ".", " "]


def mutate_string(rng, s):
    """One small edit inside one argument."""
    op = rng.randrange(8)
    if op == 0 and s:
        i = rng.randrange(len(s))
        return s[:i] + s[i + 1:]
    if op == 1:
        i = rng.randrange(len(s) + 1)
        return s[:i] + rng.choice(SEPARATORS + ["0", "x", "\\", "-"]) + s[i:]
    if op == 2 and "," in s:
        parts = s.split(",")
        rng.shuffle(parts)
        return ",".join(parts)
    if op == 3 and "=" in s:
        k, _, _ = s.partition("=")
        return k + "=" + rng.choice(INTERESTING)
    if op == 4 and "," in s:
        parts = s.split(",")
        del parts[rng.randrange(len(parts))]
        return ",".join(parts)
    if op == 5:
        return s + "," + rng.choice(["id=x", "share=on", "size=0",
                                     "server=off", "bogus=1", "path="])
    if op == 6 and s:
        i = rng.randrange(len(s))
        return s[:i] + chr(rng.randrange(0x20, 0x7f)) + s[i + 1:]
    return rng.choice(INTERESTING)


def mutate(rng, args):
    args = list(args)
    for _ in range(rng.randrange(1, 4)):
        op = rng.randrange(7)
        if op == 0 and args:
            del args[rng.randrange(len(args))]
        elif op == 1 and args:
            i = rng.randrange(len(args))
            args[i] = mutate_string(rng, args[i])
        elif op == 2 and args:
            i = rng.randrange(len(args))
            args[i:i] = args[i:i + 2]            # an option given twice
        elif op == 3:
            args += rng.choice(CORPUS)            # splice another line
        elif op == 4:
            args.insert(rng.randrange(len(args) + 1), rng.choice(OPTIONS))
        elif op == 5 and len(args) > 1:
            i, j = rng.randrange(len(args)), rng.randrange(len(args))
            args[i], args[j] = args[j], args[i]
        else:
            args.append(rng.choice(INTERESTING))
    return args


def legitimately_long(args):
    """Lines that may rightly run or wait for long: not what is tested."""
    text = " ".join(args)
    return ("server" in text or "reconnect" in text or "prealloc" in text
            or "hugetlb" in text or "/dev/hugepages" in text
            or "-daemonize" in args or "-qtest" in args)


class Acceptor(threading.Thread):
    """The qtest test program: accepts vmu and closes at once, so a line
    that starts the machine ends it (exit 0) right away."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.close()


STATE = {}
# What -trace prints on stderr: "<seconds> <thread> <event> ...".
TRACE_LINE = re.compile(r"^\d+\.\d+ \S+ [a-z0-9_]+( |$)")


def setup(bins):
    if STATE:
        return STATE
    d = tempfile.mkdtemp(prefix="fuzz-cli-")
    STATE["dir"] = d
    atexit.register(shutil.rmtree, d, True)
    STATE["qtest"] = os.path.join(d, "qtest.sock")
    Acceptor(STATE["qtest"]).start()
    return STATE


def build_line(rng, bins, fd):
    st = setup(bins)
    while True:
        base = rng.choice(CORPUS)
        body = mutate(rng, base) if rng.random() < 0.85 else list(base)
        if not legitimately_long(body):
            break
    qtest = rng.random() < 0.85
    subst = {"@FD@": str(fd), "@MISSING@": "/nonexistent/file"}
    out = []
    for a in body:
        for k, v in subst.items():
            a = a.replace(k, v)
        out.append(a)
    for i in range(1, len(out)):
        # /etc/qemu-ifup (QEMU's default script, which vmu runs too) would
        # configure the host; the fuzzer's taps stay unconfigured
        if out[i - 1] in ("-netdev", "-nic", "-net") and \
                out[i].startswith("tap") and "script" not in out[i]:
            out[i] += ",script=no,downscript=no"
    if qtest:
        # A KVM guest that boots would run on: only qtest lines get the
        # firmware, and they end when the acceptor closes the socket.
        out = ["-machine", "pc,accel=qtest", "-qtest",
               "unix:" + st["qtest"]] + out
    else:
        # Without -kernel vmu would boot SeaBIOS and run on: give it a
        # BIOS that is not one (notes.txt), so a KVM line ends in errors.
        out = ["-bios", "notes.txt"] + out
    return out, qtest


def prepare(cwd, firmware, qtest):
    """The files a case starts with; they must all be there afterwards."""
    with open(os.path.join(cwd, "notes.txt"), "w") as f:
        f.write("not a kernel\n")
    os.mkdir(os.path.join(cwd, "sub"))
    if qtest:
        shutil.copyfile(firmware, os.path.join(cwd, "kernel.elf"))
    return listing(cwd)


def listing(cwd):
    out = set()
    for root, dirs, files in os.walk(cwd):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(root, n), cwd))
    return out


def run_case(rng, case, bins):
    a, b = socket.socketpair()
    try:
        line, qtest = build_line(rng, bins, b.fileno())
        shown = "vmu " + shlex.join(line)
        with tempfile.TemporaryDirectory(prefix="fuzz-cli-case-") as cwd:
            before = prepare(cwd, bins[1], qtest)
            env = dict(os.environ, TMPDIR=cwd)
            try:
                # in a network namespace of its own (as root), so that a
                # tap it creates goes away with it
                p = subprocess.run(NETNS + [bins[0]] + line, cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True,
                                   errors="replace", timeout=BOUND_S,
                                   pass_fds=(b.fileno(),))
            except subprocess.TimeoutExpired:
                raise fuzzlib.CaseFailed(f"vmu ran past {BOUND_S} s", shown)
            after = listing(cwd)
    finally:
        a.close()
        b.close()
    err = p.stderr
    rep = fuzzlib.sanitizer_report(err)
    if rep:
        raise fuzzlib.CaseFailed(f"sanitizer report: {rep}", shown)
    if p.returncode < 0:
        raise fuzzlib.CaseFailed(
            f"killed by {signal.Signals(-p.returncode).name}", shown)
    if p.returncode not in (0, 1):
        raise fuzzlib.CaseFailed(f"exit status {p.returncode}", shown)
    gone = before - after
    if p.returncode == 0:
        # A stale pidfile goes at exit, as the pid it names does.
        pidfiles = {line[i + 1] for i in range(len(line) - 1)
                    if line[i] == "-pidfile"}
        gone -= pidfiles
    if gone:
        raise fuzzlib.CaseFailed(f"files that were there are gone: "
                                 f"{sorted(gone)}", shown)
    new = sorted(after - before)
    if p.returncode == 1:
        # Warnings and -trace output may come among the error lines.
        lines = [l for l in err.splitlines() if l.strip() and
                 not l.startswith("vmu: warning: ") and
                 not ("-trace" in line and TRACE_LINE.match(l))]
        if (not 1 <= len(lines) <= MAX_ERROR_LINES or
                not all(l.startswith("vmu: ") for l in lines)):
            raise fuzzlib.CaseFailed(
                f"a bad line must give 1 to {MAX_ERROR_LINES} 'vmu:' lines "
                f"on stderr (one per problem), got {len(lines)}: "
                f"{err[:400]!r}", shown)
        if new:
            raise fuzzlib.CaseFailed(f"files left behind: {new}", shown)
    else:
        # A machine that started may keep its output files, but sockets
        # and the pidfile go at exit.
        bad = [f for f in new if f.endswith(".sock") or f.endswith(".pid")]
        if bad:
            raise fuzzlib.CaseFailed(f"left after exit 0: {bad}", shown)
    return {"refused (exit 1)" if p.returncode else "ran (exit 0)": 1}


if __name__ == "__main__":
    sys.exit(fuzzlib.main("cli", run_case, "VMU FIRMWARE"))
