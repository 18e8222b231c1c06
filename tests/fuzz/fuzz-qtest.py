#!/usr/bin/env python3
"""fuzz-qtest: random and mutated qtest lines against vmu with a
virtio-net-pci device on a socket netdev.  Every line must be answered
(vmu silent for at most 10 s, the whole answer within 120 s: a 256 MiB
read is allowed), vmu must stay alive, its open fds must not grow, and when
the qtest socket closes vmu must exit 0 with no sanitizer report.

A case is one vmu session: a fixed bring-up (PCI scan, BARs, capabilities),
then a few hundred generated lines.  Usage:
    fuzz-qtest.py [--seed N] [--seconds S] [--case K] VMU
"""
import base64
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import fuzzlib

REPLY_S = 10            # the longest vmu may stay silent before answering
LINE_S = 120            # and the longest an answer may take (256 MiB reads)
EXIT_S = 20             # from closing the qtest socket to vmu's exit
RAM = 128 << 20
LIMIT = 256 << 20       # vmu's qtest buffer bound (read/write/memset)
TOP = (1 << 64) - 1


class Session:
    def __init__(self, vmu, rng):
        self.rng = rng
        self.lines = []
        self.dir = tempfile.TemporaryDirectory(prefix="fuzz-qtest-")
        path = os.path.join(self.dir.name, "qtest.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(1)
        self.peer, theirs = socket.socketpair()
        fd = theirs.fileno()
        self.errfile = open(os.path.join(self.dir.name, "stderr"), "w+")
        self.proc = subprocess.Popen(
            [vmu, "-machine", "pc,accel=qtest", "-qtest", "unix:" + path,
             "-display", "none", "-nodefaults", "-m", "128M",
             "-netdev", f"socket,id=n0,fd={fd}",
             "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.errfile, pass_fds=(fd,), cwd=self.dir.name)
        theirs.close()
        lsock.settimeout(30)
        try:
            self.sock, _ = lsock.accept()
        except socket.timeout:
            self.proc.kill()
            raise fuzzlib.CaseFailed("vmu did not connect within 30 s",
                                     "(start-up)")
        finally:
            lsock.close()
        self.rx = bytearray()
        self.frame_bytes = 0
        self.frames = 0
        self.pos = 0
        # vmu's transmitted frames: drained so that it never blocks.
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _drain(self):
        try:
            while self.peer.recv(65536):
                pass
        except OSError:
            pass

    def history(self, n=25):
        tail = self.lines[-n:]
        skipped = len(self.lines) - len(tail)
        head = [f"({skipped} earlier lines: see --case replay)"] if skipped \
            else []
        return "\n".join(head + tail)

    def cmd(self, line):
        self.lines.append(line)
        self.sock.sendall(line.encode("latin-1") + b"\n")
        start = time.monotonic()
        deadline = start + REPLY_S
        irqs = 0
        while True:
            nl = self.rx.find(b"\n", self.pos)
            if nl >= 0:
                reply = self.rx[self.pos:nl].decode("latin-1")
                self.pos = nl + 1
                if reply.startswith("IRQ "):
                    irqs += 1           # asynchronous, not an answer
                    continue
                if not reply.startswith(("OK", "FAIL", "ERR")):
                    raise fuzzlib.CaseFailed(
                        f"reply {reply[:200]!r} is not OK/FAIL/ERR",
                        self.history())
                return reply
            del self.rx[:self.pos]
            self.pos = 0
            now = time.monotonic()
            left = min(deadline, start + LINE_S) - now
            r, _, _ = select.select([self.sock], [], [], max(left, 0))
            if not r:
                raise fuzzlib.CaseFailed(
                    f"no answer after {time.monotonic() - start:.0f} s "
                    f"({irqs} IRQ "
                    f"lines, {len(self.rx)} bytes of a line)"
                    f"{self._alive_note()}", self.history())
            deadline = time.monotonic() + REPLY_S   # it is making progress
            data = self.sock.recv(1 << 20)
            if not data:
                raise fuzzlib.CaseFailed(
                    f"vmu closed the qtest socket{self._alive_note()}",
                    self.history())
            self.rx += data

    def _alive_note(self):
        rc = self.proc.poll()
        if rc is None:
            return ""
        how = (f"signal {signal.Signals(-rc).name}" if rc < 0
               else f"exit status {rc}")
        return f" (vmu ended: {how}; {self.stderr_summary()})"

    def stderr_summary(self):
        self.errfile.flush()
        self.errfile.seek(0)
        text = self.errfile.read()
        return fuzzlib.sanitizer_report(text) or text[-300:].strip()

    def value(self, line):
        r = self.cmd(line)
        return int(r.split()[1], 16) if r.startswith("OK 0x") else 0

    def fds(self):
        try:
            return len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        except OSError:
            return -1

    def quit(self):
        self.sock.close()
        try:
            rc = self.proc.wait(EXIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise fuzzlib.CaseFailed(
                f"vmu did not exit within {EXIT_S} s of the socket closing",
                self.history())
        finally:
            self.peer.close()
        self.errfile.seek(0)
        err = self.errfile.read()
        self.errfile.close()
        self.dir.cleanup()
        rep = fuzzlib.sanitizer_report(err)
        if rep:
            raise fuzzlib.CaseFailed(f"sanitizer report: {rep}",
                                     self.history())
        if rc != 0:
            how = (f"signal {signal.Signals(-rc).name}" if rc < 0
                   else f"exit status {rc}")
            raise fuzzlib.CaseFailed(f"vmu ended with {how} after quit: "
                                     f"{err[-300:]!r}", self.history())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.sock, self.peer, self.errfile):
            f.close()
        self.dir.cleanup()


# PCI configuration space through 0xcf8/0xcfc, as a guest does it.
def cfg_addr(devfn, off):
    return 0x80000000 | devfn << 8 | (off & 0xfc)


def cfg_read(s, devfn, off, size=4):
    s.cmd(f"outl 0xcf8 {cfg_addr(devfn, off):#x}")
    op = {1: "inb", 2: "inw", 4: "inl"}[size]
    return s.value(f"{op} {0xcfc + (off & 3):#x}")


def cfg_write(s, devfn, off, val, size=4):
    s.cmd(f"outl 0xcf8 {cfg_addr(devfn, off):#x}")
    op = {1: "outb", 2: "outw", 4: "outl"}[size]
    s.cmd(f"{op} {0xcfc + (off & 3):#x} {val:#x}")


def bring_up(s):
    """Find the NIC, place its BARs, note the addresses worth poking."""
    t = {"devfn": None, "bars": [], "regions": []}
    for slot in range(32):
        if cfg_read(s, slot << 3, 0) & 0xffff == 0x1af4:
            t["devfn"] = slot << 3
            break
    if t["devfn"] is None:
        raise fuzzlib.CaseFailed("no virtio device on bus 0", s.history())
    d = t["devfn"]
    mem, io = 0xe0000000, 0xc000
    n = 0
    while n < 6:
        off = 0x10 + 4 * n
        lo = cfg_read(s, d, off)
        cfg_write(s, d, off, 0xffffffff)
        sz = cfg_read(s, d, off)
        is64 = not lo & 1 and lo & 6 == 4
        if is64:
            cfg_write(s, d, off + 4, 0xffffffff)
            sz |= cfg_read(s, d, off + 4) << 32
        mask = ~3 if lo & 1 else ~15
        size = (~(sz & mask) + 1) & ((1 << (64 if is64 else 32)) - 1)
        base = 0
        if sz & mask and size:
            if lo & 1:
                io = (io + size - 1) & ~(size - 1)
                base, io = io, io + size
            else:
                mem = (mem + size - 1) & ~(size - 1)
                base, mem = mem, mem + size
            t["regions"].append((base, size))
        cfg_write(s, d, off, base & 0xffffffff)
        if is64:
            cfg_write(s, d, off + 4, base >> 32)
        t["bars"].append(base)
        if is64:
            t["bars"].append(0)
            n += 1
        n += 1
    cfg_write(s, d, 4, 7, 2)
    cap = cfg_read(s, d, 0x34, 1) & 0xfc
    t["caps"] = []
    for _ in range(48):
        if not cap:
            break
        cid = cfg_read(s, d, cap, 1)
        t["caps"].append(cap)
        if cid == 0x11:
            t["msix_cap"] = cap
            tbl = cfg_read(s, d, cap + 4)
            t["msix_table"] = t["bars"][tbl & 7] + (tbl & ~7)
            t["msix_n"] = (cfg_read(s, d, cap + 2, 2) & 0x7ff) + 1
        elif cid == 0x09:
            kind = cfg_read(s, d, cap + 3, 1)
            bar = cfg_read(s, d, cap + 4, 1)
            off = cfg_read(s, d, cap + 8)
            if bar < 6 and kind in (1, 2, 3, 4) and kind not in t:
                t[kind] = t["bars"][bar] + off
                if kind == 2:
                    t["notify_mult"] = cfg_read(s, d, cap + 16)
        cap = cfg_read(s, d, cap + 1, 1) & 0xfc
    return t


class Gen:
    """Lines: mostly well-formed commands at interesting places, some
    broken, some mutations of earlier lines."""

    def __init__(self, rng, t):
        self.rng = rng
        self.t = t

    def addr(self):
        r, t = self.rng, self.t
        k = r.randrange(14)
        if k == 0:
            return r.randrange(0x2000)
        if k == 1:
            return RAM - r.randrange(1, 64)
        if k == 2:
            return RAM + r.randrange(64)
        if k == 3:
            return TOP - r.randrange(16)
        if k == 4:
            return 0xe0000000 + r.randrange(0x400000)
        if k == 5 and t["regions"]:
            base, size = r.choice(t["regions"])
            return base + r.randrange(size + 16)
        if k == 6 and "msix_table" in t:
            return t["msix_table"] + r.randrange(16 * t["msix_n"] + 8)
        if k in (7, 8) and 1 in t:
            return t[1] + r.randrange(0x40)
        if k == 9 and 2 in t:
            return t[2] + r.randrange(8) * t.get("notify_mult", 4)
        if k == 10:
            return r.randrange(1 << 64)
        if k == 11:
            return 0xfec00000 + r.randrange(0x100)       # IOAPIC
        if k == 12:
            return 0xfee00000 + r.randrange(0x1000)      # MSI window
        return r.randrange(RAM)

    def port(self):
        r = self.rng
        return r.choice([0xcf8, 0xcfc, 0xcfd, 0xcfe, 0xcff, 0x3f8, 0x3f9,
                         0x3fd, 0x64, 0x60, 0x80, 0x70, 0x71, 0x61, 0x40,
                         0x43, 0x20, 0xa0, 0x4d0, 0xc000, 0xc010,
                         r.randrange(0x10000), r.randrange(0x20000)])

    def number(self, v):
        """v, or now and then a spelling that is bad or odd."""
        r = self.rng
        k = r.randrange(40)
        if k == 0:
            return r.choice(["", "zz", "0x", "-", "0xg", "1e3", "--1",
                             "0x1" + "0" * 20, "99999999999999999999999",
                             "+1", " ", "0b101", "1.5"])
        if k == 1:
            return str(v)
        if k == 2:
            return f"-{v}"
        if k == 3:
            return f"0{v:o}"
        return f"{v:#x}"

    def size(self):
        r = self.rng
        k = r.randrange(20)
        if k < 12:
            return r.randrange(1, 65)
        if k < 15:
            return r.randrange(1, 8193)
        if k == 15:
            return r.randrange(1, 1 << 20)
        if k == 16:
            return 0
        if k == 17:
            return LIMIT + r.randrange(1, 1 << 40)
        if k == 18:
            return TOP - r.randrange(1 << 16)
        return r.choice([LIMIT + 1, 1 << 32, 1 << 63])

    def value(self, bits=64):
        r = self.rng
        return r.choice([0, 1, 0xff, 0xffff, 0xffffffff, TOP, 0x80000000,
                         r.randrange(1 << bits), r.randrange(256)]) \
            & ((1 << bits) - 1)

    def access(self):
        r = self.rng
        op = r.choice(["outb", "outw", "outl", "inb", "inw", "inl",
                       "writeb", "writew", "writel", "writeq", "readb",
                       "readw", "readl", "readq"])
        bits = {"b": 8, "w": 16, "l": 32, "q": 64}[op[-1]]
        place = self.port() if op[0] in "io" else self.addr()
        if op.startswith(("in", "read")):
            return f"{op} {self.number(place)}"
        return f"{op} {self.number(place)} {self.number(self.value(bits))}"

    def buffer_cmd(self):
        r = self.rng
        op = r.choice(["read", "b64read", "write", "b64write", "memset"])
        a, n = self.addr(), self.size()
        if op in ("read", "b64read") and LIMIT >= n > (1 << 20):
            n = 1 << 20                 # a 256 MiB reply says nothing new
        if op.startswith("write") or op == "b64write":
            n = min(n, 1 << 24) if n <= LIMIT else n
        if op == "memset":
            return f"memset {self.number(a)} {self.number(n)} " \
                   f"{self.number(self.value(8))}"
        if op in ("read", "b64read"):
            return f"{op} {self.number(a)} {self.number(n)}"
        data = bytes(r.randrange(256) for _ in range(min(n, 64)))
        if op == "write":
            k = r.randrange(8)
            text = "0x" + data.hex() if k else r.choice(
                ["0x", "0", "zz", "0xzz", "0x123", "x" * 100])
        else:
            k = r.randrange(8)
            text = base64.b64encode(data).decode() if k else r.choice(
                ["", "!!!!", "====", "AQID", "A", "AQ=", "*" * 50,
                 "AQID@@", "AQ\\x00"])
        return f"{op} {self.number(a)} {self.number(n)} {text}"

    def pci_config(self):
        """outl 0xcf8 then a data access: PCI config, often the NIC's."""
        r, t = self.rng, self.t
        devfn = t["devfn"] if r.random() < 0.7 else r.randrange(256)
        if r.random() < 0.5 and t["caps"]:
            off = r.choice(t["caps"]) + r.randrange(20)
        else:
            off = r.randrange(256)
        out = [f"outl 0xcf8 {cfg_addr(devfn, off) | (r.randrange(256) << 16 if r.random() < 0.1 else 0):#x}"]
        op = r.choice(["outb", "outw", "outl", "inb", "inw", "inl"])
        port = 0xcfc + r.randrange(4)
        if op.startswith("in"):
            out.append(f"{op} {port:#x}")
        else:
            out.append(f"{op} {port:#x} {self.value(32):#x}")
        return out

    def virtio(self):
        """A step of driving the device: status, a queue, MSI-X, a kick."""
        r, t = self.rng, self.t
        if 1 not in t:
            return [self.access()]
        c = t[1]
        k = r.randrange(7)
        if k == 0:
            st = r.choice([0, 1, 3, 0xb, 0xf, 0x40, 0x80, self.value(8)])
            return [f"writeb {c + 0x14:#x} {st:#x}"]
        if k == 1:
            q = r.choice([0, 1, 2, r.randrange(0x10000)])
            lines = [f"writew {c + 0x16:#x} {q:#x}",
                     f"writew {c + 0x18:#x} {r.choice([0, 1, 3, 256, 1024, 0xffff]):#x}"]
            for off in (0x20, 0x28, 0x30):
                a = r.choice([r.randrange(RAM) & ~15, RAM - 16,
                              TOP - 3, r.randrange(1 << 64), 0])
                lines += [f"writel {c + off:#x} {a & 0xffffffff:#x}",
                          f"writel {c + off + 4:#x} {a >> 32:#x}"]
            lines.append(f"writew {c + 0x1a:#x} {r.choice([0, 1, 0xffff, r.randrange(0x10000)]):#x}")
            lines.append(f"writew {c + 0x1c:#x} {r.choice([0, 1]):#x}")
            return lines
        if k == 2:
            sel = r.randrange(3)
            return [f"writel {c + 0x08:#x} {sel:#x}",
                    f"writel {c + 0x0c:#x} {self.value(32):#x}",
                    f"writel {c} 1", f"readl {c + 4:#x}"]
        if k == 3 and "msix_table" in t:
            v = r.randrange(t["msix_n"] + 1)
            e = t["msix_table"] + 16 * v
            a = r.choice([0xfee00000, r.randrange(RAM) & ~3, TOP - 3,
                          0xfffffffffffffffc, r.randrange(1 << 64),
                          0xe0000000, t[1]])
            return [f"writel {e:#x} {a & 0xffffffff:#x}",
                    f"writel {e + 4:#x} {a >> 32:#x}",
                    f"writel {e + 8:#x} {self.value(32):#x}",
                    f"writel {e + 12:#x} {r.choice([0, 1]):#x}"]
        if k == 4 and "msix_cap" in t:
            ctl = r.choice([0x8000, 0xc000, 0, 0x4000])
            return self._cfgw(t["msix_cap"] + 2, ctl, 2)
        if k == 5 and 2 in t:
            q = r.choice([0, 1, 2, r.randrange(0x10000)])
            return [f"writew {t[2] + r.randrange(4) * t.get('notify_mult', 4):#x} {q:#x}"]
        if k == 6 and 3 in t:
            return [f"readb {t[3]:#x}"]
        return [self.access()]

    def _cfgw(self, off, val, size):
        d = self.t["devfn"]
        op = {1: "outb", 2: "outw", 4: "outl"}[size]
        return [f"outl 0xcf8 {cfg_addr(d, off):#x}",
                f"{op} {0xcfc + (off & 3):#x} {val:#x}"]

    def other(self):
        r = self.rng
        return r.choice([
            "endianness", "clock_step", f"clock_step {self.number(self.value())}",
            f"clock_set {self.number(self.value())}",
            "irq_intercept_in ioapic", "irq_intercept_out ioapic",
            "irq_intercept_in " + r.choice(["", "nosuch", "/machine", "x" * 200]),
            "", " ", "   readb 0x0   ", "nosuchcommand 1 2",
            "readb", "writeb 0x0", "read 0x0", "memset 0x0 4",
            "b64write 0x0 4", "write 0x0 4", "outl", "inl 0x10000",
            "readq " + "1" * 30, "READB 0x0", "readb\t0x0",
            "x" * r.choice([1, 100, 4096, 70000]),
            " ".join(["readb"] + ["0x0"] * r.randrange(1, 50)),
        ])

    def mutate(self, line):
        r = self.rng
        if not line:
            return "readb 0x0"
        b = bytearray(line.encode("latin-1"))
        for _ in range(r.randrange(1, 4)):
            k = r.randrange(4)
            i = r.randrange(len(b)) if b else 0
            if k == 0 and b:
                del b[i]
            elif k == 1:
                b.insert(i, r.choice(b" ,0fx-=\t\x00\xff"))
            elif k == 2 and b:
                b[i] = r.randrange(1, 256)
            else:
                b += r.choice([b" 0", b" x", b" -1", b" 0xffffffffffffffff"])
        # A newline would make two commands and two answers.
        return b.replace(b"\n", b" ").replace(b"\r", b" ").decode("latin-1")

    def lines(self, history):
        r = self.rng
        k = r.randrange(100)
        if k < 30:
            return [self.access()]
        if k < 45:
            return [self.buffer_cmd()]
        if k < 60:
            return self.pci_config()
        if k < 82:
            return self.virtio()
        if k < 90:
            return [self.other()]
        if history:
            return [self.mutate(r.choice(history[-50:]))]
        return [self.other()]


FRAMES_MAX = 32 << 10   # per session: far below the socket buffer, so that
                        # sending never blocks when vmu does not read


def send_frame(s, rng):
    """Something arriving from the network side of the socket netdev."""
    n = rng.choice([0, 14, 60, 1514, rng.randrange(2048)])
    if s.frame_bytes + n + 4 > FRAMES_MAX:
        return
    s.frame_bytes += n + 4
    s.frames += 1
    s.peer.sendall(struct.pack(">I", n) + bytes(rng.randrange(256)
                                                for _ in range(n)))


def run_case(rng, case, bins):
    s = Session(bins[0], rng)
    try:
        t = bring_up(s)
        base_fds = s.fds()
        g = Gen(rng, t)
        for _ in range(rng.randrange(100, 400)):
            for line in g.lines(s.lines):
                s.cmd(line)
            if rng.random() < 0.03:
                send_frame(s, rng)
        # Reset the device (queues and vectors go) and count fds again:
        # whatever the lines did, nothing may be left open.
        if 1 in t:
            s.cmd(f"writeb {t[1] + 0x14:#x} 0x0")
        if "msix_cap" in t:
            for line in g._cfgw(t["msix_cap"] + 2, 0, 2):
                s.cmd(line)
        s.cmd("endianness")
        fds = s.fds()
        if base_fds >= 0 and fds > base_fds:
            raise fuzzlib.CaseFailed(
                f"vmu has {fds} open fds after a device reset, "
                f"{base_fds} after bring-up", s.history())
        s.quit()
        return {"qtest lines": len(s.lines), "frames": s.frames}
    except BaseException:
        s.kill()
        raise


if __name__ == "__main__":
    sys.exit(fuzzlib.main("qtest", run_case, "VMU"))
