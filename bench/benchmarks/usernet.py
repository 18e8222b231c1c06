"""usernet: UDP through -netdev user (libslirp), guest -> host -> guest:
datagrams per second with 32 in flight (64 and 1472 bytes) and the round
trip of one 64-byte datagram, the same compiled qtest guest driver
(bench/usernet-driver.c) under vmu and under QEMU 7.2."""
import os
import subprocess

from lib.context import version_of
from lib.report import Metric, Skip

SECONDS = 2
NETDEV = ("-netdev user,id=n0 -device virtio-net-pci,netdev=n0,"
          "disable-legacy=on")
GUEST_BOUND = ("the guest is a qtest driver: every ring access is a socket "
               "message to the VMM, which bounds both VMMs' figures")


class Benchmark:
    name = "usernet"
    title = "UDP through -netdev user (slirp), same qtest driver"
    peer_name = "QEMU"
    pairs = 5
    metrics = [
        Metric("pps_64", "pkt/s", "64-byte datagrams echoed back to the "
               "guest per second, 32 in flight", better="higher",
               target=("ratio", 1.0), guest_bound=GUEST_BOUND),
        Metric("pps_1472", "pkt/s", "1472-byte datagrams (a full 1514-byte "
               "frame) echoed back per second, 32 in flight",
               better="higher", target=("ratio", 1.0),
               guest_bound=GUEST_BOUND),
        Metric("rtt_64_us", "µs", "round trip of one 64-byte datagram, "
               "guest tx -> host socket -> guest rx (median)",
               target=("ratio", 1.0), guest_bound=GUEST_BOUND),
        Metric("rtt_64_p90_us", "µs", "the same round trip, 90th "
               "percentile"),
    ]
    notes = [
        "Fairness: the same compiled driver (VERSION_1, no offloads, rings "
        "of 256, rx and tx polled without sleeping) sends from 10.0.2.15 "
        "(no DHCP: slirp answers its ARP request) to 10.0.2.2:PORT, which "
        "slirp maps to 127.0.0.1:PORT, where the driver itself echoes each "
        "datagram back; both VMMs link Debian's libslirp. QEMU runs "
        "`-machine pc,accel=tcg` with a halting BIOS (no vCPU code runs), "
        "vmu `accel=qtest`.",
        "What the figure says: the qtest guest costs a few socket round "
        "trips per frame for both VMMs, so pps here compares the VMMs' "
        "qtest servers and slirp glue together; a Linux guest on a VMX/SVM "
        "host (iperf3 through hostfwd) is the figure a user sees.",
    ]

    def __init__(self, ctx):
        self.ctx = ctx

    def peer_version(self):
        return version_of([self.ctx.qemu, "-version"])

    def driver(self):
        return os.path.join(self.ctx.build, "bench", "usernet-driver")

    def setup(self):
        if not os.path.exists(self.ctx.qemu):
            raise Skip("qemu-system-x86_64 is not installed")
        if not os.path.exists(self.driver()):
            raise Skip("bench/usernet-driver is not built")

    def teardown(self):
        pass

    def one(self, variant, mode, size):
        env = dict(os.environ)
        env.pop("QTEST_QEMU_BINARY", None)
        env.pop("QTEST_VMU_BINARY", None)
        if variant == "vmu":
            env["QTEST_VMU_BINARY"] = self.ctx.vmu
        else:
            env["QTEST_QEMU_BINARY"] = self.ctx.qemu
        p = subprocess.run([self.driver(), NETDEV, mode, str(size),
                            str(SECONDS)], env=env, capture_output=True,
                           text=True, timeout=120)
        line = [ln for ln in p.stdout.splitlines() if "=" in ln]
        if p.returncode or not line:
            raise RuntimeError(f"{mode} {size}: driver failed "
                               f"({p.returncode}): {p.stderr[-300:]}")
        return {k: int(x) for k, x in (kv.split("=")
                                       for kv in line[-1].split())}

    def run(self, variant):
        out = {}
        for size in (64, 1472):
            v = self.one(variant, "pps", size)
            if v["lost"]:
                raise RuntimeError(f"pps {size}: {v['lost']} datagrams "
                                   "never came back")
            out[f"pps_{size}"] = v["frames"] / (v["ns"] / 1e9)
        v = self.one(variant, "latency", 64)
        out["rtt_64_us"] = v["median_ns"] / 1e3
        out["rtt_64_p90_us"] = v["p90_ns"] / 1e3
        return out
