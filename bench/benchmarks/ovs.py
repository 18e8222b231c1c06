"""ovs: OVS-DPDK as the back-end.  A qtest guest (tests/functional/ovs/
ovs-guest, the same program under vmu and under QEMU) on a dpdkvhostuser
port, the VMM connecting; a second guest (always vmu) on a
dpdkvhostuserclient port of the same bridge receives.  Bring-up: exec →
DRIVER_OK → the guest sees its link up.  Reconnect: ovs-vswitchd SIGKILLed
and started again, its socket there → the guest sees its link up → its
first frame reaches the other guest."""
import os
import sys
import tempfile
import time

from lib.context import version_of
from lib.report import Metric, Skip

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "functional",
                                "ovs"))
import ovslib  # noqa: E402


class Benchmark:
    name = "ovs"
    title = "OVS-DPDK back-end: bring-up and ovs-vswitchd restart"
    peer_name = "QEMU"
    pairs = 5
    metrics = [
        Metric("exec_to_driver_ok", "ms", "exec of the VMM → the qtest "
               "guest's DRIVER_OK handled (start-up, PCI scan, features, "
               "two queues)"),
        Metric("driver_ok_to_link", "ms", "DRIVER_OK handled → the guest "
               "reads LINK_UP (the VMM has handed the rings to OVS)"),
        Metric("restart_to_link", "ms", "the restarted ovs-vswitchd's "
               "socket exists → the guest reads LINK_UP again (the VMM "
               "noticed the socket, reconnected and replayed the bring-up)",
               target=("ratio", 0.5)),
        Metric("restart_to_first_frame", "ms", "the restarted "
               "ovs-vswitchd's socket exists → the first frame the guest "
               "sends once its link is up reaches the other guest (whose "
               "own reconnection, OVS connecting to it, is in the figure "
               "for both VMMs)"),
    ]
    notes = [
        "Fairness: one OVS-DPDK 3.1 (netdev bridge, PMD pinned to core 1, "
        "--no-huge) serves both VMMs; the guest under test is the same "
        "compiled qtest program (ovs-guest) on the same dpdkvhostuser port, "
        "with a 256 MiB shared memfd and polled rings (no MSI-X: QEMU 7.2's "
        "vhost-user MSI-X path crashes under TCG). QEMU runs "
        "`-machine pc,accel=tcg` with the halting HALT.bin; vmu "
        "`accel=qtest`. vmu reconnects with reconnect-ms=10, QEMU 7.2 with "
        "reconnect=1, its finest setting.",
        "The clock starts when the new ovs-vswitchd's dpdkvhostuser socket "
        "appears (after its DPDK set-up, the same for both); the stale "
        "socket is removed before the restart, as it must be.",
    ]

    def __init__(self, ctx):
        self.ctx = ctx
        self.ovs = None

    def peer_version(self):
        return version_of([self.ctx.qemu, "-version"])

    def guest_bin(self):
        return os.path.join(self.ctx.build, "tests", "functional", "ovs",
                            "ovs-guest")

    def setup(self):
        if not os.path.exists(ovslib.VSWITCHD):
            raise Skip("OVS-DPDK is not installed (openvswitch-switch-dpdk)")
        if not os.path.exists(self.ctx.qemu):
            raise Skip("qemu-system-x86_64 is not installed")
        if not os.path.exists(self.guest_bin()):
            raise Skip("tests/functional/ovs/ovs-guest is not built")
        self.dir = tempfile.mkdtemp(prefix="vmu-bench-ovs-")
        self.ovs = ovslib.Ovs(self.dir, log=lambda s: None)
        self.ovs.add_port("vhut", "dpdkvhostuser")
        sink_sock = os.path.join(self.dir, "sink.sock")
        self.ovs.add_port("vhus", "dpdkvhostuserclient", sink_sock)
        self.sink = ovslib.QtestGuest(
            self.guest_bin(), self.ctx.vmu, "socket,id=c0,path=%s,server=on,"
            "wait=off" % sink_sock, "52:54:00:00:0b:02", "memfd", 1,
            self.dir)
        if self.sink.wait_link("up", 30000) is None:
            raise RuntimeError("the receiving guest's link did not come up")

    def teardown(self):
        ovslib.cleanup()

    def run(self, variant):
        qemu = self.ctx.qemu if variant == "peer" else None
        opt = "reconnect=1" if qemu else "reconnect-ms=10"
        g = ovslib.QtestGuest(self.guest_bin(), self.ctx.vmu,
                              "socket,id=c0,path=%s,%s" %
                              (self.ovs.sock("vhut"), opt),
                              "52:54:00:00:0a:01", "memfd", 1, self.dir,
                              qemu=qemu)
        try:
            up = g.wait_link("up", 30000)
            if up is None:
                raise RuntimeError("link not up after bring-up")
            t_up = time.monotonic_ns()
            # t_* of the ready line are CLOCK_MONOTONIC too.
            vals = {"exec_to_driver_ok": (g.times["t_driver_ok"] -
                                          g.times["t_exec"]) / 1e6,
                    "driver_ok_to_link": max(0, t_up -
                                             g.times["t_driver_ok"]) / 1e6}
            self.ovs.kill_vswitchd()
            if g.wait_link("down", 30000) is None:
                raise RuntimeError("link still up after the kill")
            sock = self.ovs.sock("vhut")
            self.ovs.start_vswitchd(wait=False)
            deadline = time.monotonic() + 60
            while not os.path.exists(sock):
                if time.monotonic() > deadline or \
                        self.ovs.proc.poll() is not None:
                    raise RuntimeError("ovs-vswitchd did not listen again")
                time.sleep(0.0005)
            t0 = time.monotonic_ns()
            if g.wait_link("up", 30000) is None:
                raise RuntimeError("link not back after the restart")
            t1 = time.monotonic_ns()
            self.ovs.wait_vswitchd()
            if self.sink.wait_link("up", 30000) is None:
                raise RuntimeError("the receiving guest's link is not back")
            before = self.sink.stats()["rx"]
            deadline = time.monotonic() + 30
            while self.sink.stats()["rx"] == before:
                if time.monotonic() > deadline:
                    raise RuntimeError("no frame crossed after the restart")
                g.send(1)
            t2 = time.monotonic_ns()
            vals["restart_to_link"] = (t1 - t0) / 1e6
            vals["restart_to_first_frame"] = (t2 - t0) / 1e6
            return vals
        finally:
            g.quit()
