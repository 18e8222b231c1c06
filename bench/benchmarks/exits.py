"""exits: exits to the VMM on the vhost-user data path.  The test firmware
echoes frames through dpdk-testpmd (macswap), kicking after every batch
(kick=always) so every kick is a guest write to the notify address; perf's
kvm:kvm_userspace_exit counts the exits that reach the VMM process."""
import os
import re
import shutil
import subprocess
import tempfile

from lib import testpmd
from lib.context import version_of
from lib.report import Metric, Skip

RAM = "256M"
FEW, MANY = 100, 1100


class Benchmark:
    name = "exits"
    title = "exits to the VMM per 1,000 guest kicks, firmware ↔ testpmd"
    peer_name = "QEMU"
    pairs = 5
    metrics = [
        Metric("exits_per_1000_kicks", "exits", "marginal exits to user "
               f"space per 1,000 kicks: (exits of a {MANY}-frame run − "
               f"exits of a {FEW}-frame run − 2 × the extra serial bytes "
               "the longer run printed) / (their kick difference) × 1,000; "
               "set-up cancels out, and each serial byte costs two exits "
               "(the THR write and the LSR read) in either VMM",
               target=("vmu", 0.0)),
        Metric("exits_total", "exits", f"all exits to user space of the "
               f"{MANY}-frame run (set-up, PCI, serial output included)"),
        Metric("kicks", "kicks", f"guest kicks in the {MANY}-frame run "
               "(TX and RX notify writes)", better="higher"),
    ]
    notes = [
        "Fairness: the same firmware ELF and options under both VMMs, the "
        "same testpmd; QEMU runs `-machine microvm,pcie=on` (its PCI "
        "machine without SeaBIOS), vmu its pc machine; both wire the "
        "notify address to an ioeventfd and the MSI-X vectors to irqfds. "
        "Exits are counted by the kernel (perf stat -e "
        "kvm:kvm_userspace_exit -p PID), the same instrument for both.",
    ]

    def __init__(self, ctx):
        self.ctx = ctx
        self.tp = None

    def peer_version(self):
        return version_of([self.ctx.qemu, "-version"])

    def setup(self):
        if not os.access("/dev/kvm", os.R_OK | os.W_OK):
            raise Skip("/dev/kvm cannot be opened")
        if not testpmd.available():
            raise Skip("dpdk-testpmd is not installed")
        if not shutil.which("perf"):
            raise Skip("perf (linux-perf) is not installed")
        p = subprocess.run(["perf", "list", "kvm:kvm_userspace_exit"],
                           capture_output=True, text=True)
        if "kvm_userspace_exit" not in p.stdout:
            raise Skip("perf has no kvm:kvm_userspace_exit tracepoint here")
        self.dir = tempfile.mkdtemp(prefix="vmu-bench-exits-")
        self.sock = os.path.join(self.dir, "vhost.sock")
        self.tp = testpmd.Testpmd("bench-exits",
                                  [f"net_vhost0,iface={self.sock}"],
                                  fwd="macswap").start(self.sock)

    def teardown(self):
        if self.tp:
            self.tp.stop()

    def argv(self, variant, count):
        net = ["-chardev", f"socket,id=c0,path={self.sock}",
               "-netdev", "vhost-user,id=n0,chardev=c0",
               "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]
        common = ["-m", RAM, "-nographic", "-nodefaults", "-no-reboot",
                  "-serial", "stdio",
                  "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                  "-kernel", self.ctx.firmware, "-append",
                  f"test=net-echo count={count} window=4 kick=always "
                  "wait-link=10"]
        if variant == "vmu":
            return [self.ctx.vmu, "-machine", "pc,accel=kvm"] + net + common
        return [self.ctx.qemu, "-accel", "kvm", "-cpu",
                "host,-arch-capabilities", "-machine",
                "microvm,pcie=on,x-option-roms=off,rtc=off,memory-backend=mem",
                "-object", f"memory-backend-memfd,id=mem,size={RAM},share=on"
                ] + net + common

    def one(self, variant, count):
        mark = self.tp.mark()
        argv = ["perf", "stat", "-x,", "-e", "kvm:kvm_userspace_exit",
                "--"] + self.argv(variant, count)
        p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        out = p.stdout
        if f"net echo {count}/{count} ok" not in out:
            raise RuntimeError(f"firmware echo failed (status "
                               f"{p.returncode}): {out[-300:]}")
        m = re.search(r"kicks tx (\d+) rx (\d+)", out)
        kicks = int(m.group(1)) + int(m.group(2)) if m else 0
        m = re.search(r"^(\d+),,kvm:kvm_userspace_exit", p.stderr, re.M)
        if not m:
            raise RuntimeError(f"no perf count: {p.stderr[-200:]}")
        # testpmd must see this guest go before the next one connects.
        self.tp.wait_line("link state change", mark + 1, 10)
        return int(m.group(1)), kicks, len(out.encode())

    def run(self, variant):
        e1, k1, b1 = self.one(variant, FEW)
        e2, k2, b2 = self.one(variant, MANY)
        if k2 <= k1:
            raise RuntimeError(f"no extra kicks ({k1} vs {k2})")
        data_path = (e2 - e1) - 2 * (b2 - b1)
        return {"exits_per_1000_kicks": data_path * 1000.0 / (k2 - k1),
                "exits_total": float(e2), "kicks": float(k2)}
