"""bringup: the same qtest guest-driver sequence against the same
dpdk-testpmd vhost back-end, under vmu and under QEMU: qtest socket ready
→ DRIVER_OK handled → the back-end says the device is ready."""
import os
import tempfile

from lib import qtestdriver, testpmd
from lib.context import version_of
from lib.report import Metric

RAM = qtestdriver.RAM


class Benchmark:
    name = "bringup"
    title = "vhost-user bring-up, same qtest sequence, same dpdk-testpmd"
    peer_name = "QEMU"
    pairs = 10
    metrics = [
        Metric("to_driver_ok", "ms", "qtest socket ready → the VMM has "
               "handled the guest's DRIVER_OK write (PCI scan, feature "
               "negotiation, two queues, then DRIVER_OK: SET_FEATURES, "
               "SET_MEM_TABLE, the rings)"),
        Metric("driver_ok_to_ready", "ms", "the guest's DRIVER_OK write → "
               "testpmd logs 'virtio is now ready for processing'"),
        Metric("total", "ms", "qtest socket ready → the back-end's device "
               "is ready", target=("ratio", 0.5)),
        Metric("exec_to_ready", "ms", "exec of the VMM → the back-end's "
               "device is ready: everything, including the VMM's start-up "
               "and its connection to the back-end"),
    ]
    notes = [
        "Fairness: one dpdk-testpmd (vhost PMD, io forwarding) serves every "
        "run of both VMMs; the same compiled qtest driver "
        "(bench/bringup-driver.c) runs the same steps; both VMMs get the "
        f"same -m {RAM} shared memfd. QEMU runs as Debian's build allows "
        "qtest: `-machine pc,accel=tcg -bios HALT.bin` (no vCPU code runs "
        "during the sequence: HALT.bin halts at once), with INTx because "
        "its vhost-user + MSI-X path crashes under TCG; vmu runs "
        "`accel=qtest` with the same INTx sequence.",
        "testpmd pre-faults the whole guest memory while it handles "
        "SET_MEM_TABLE (~1 s per GiB). QEMU sends the memory table at "
        "DRIVER_OK, so the guest's driver waits for it; vmu sends it as soon "
        "as the back-end connects (during start-up, while a guest would "
        "boot) and skips it at DRIVER_OK when unchanged. That is the design "
        "difference `total` shows; `exec_to_ready` counts everything from "
        "exec, start-up and connection included.",
    ]

    def __init__(self, ctx):
        self.ctx = ctx
        self.tp = None

    def peer_version(self):
        return version_of([self.ctx.qemu, "-version"])

    def setup(self):
        qtestdriver.require(self.ctx)
        self.dir = tempfile.mkdtemp(prefix="vmu-bench-bringup-")
        self.sock = os.path.join(self.dir, "vhost.sock")
        self.tp = testpmd.Testpmd("bench-bringup",
                                  [f"net_vhost0,iface={self.sock}"])
        self.tp.start(wait_socket=self.sock)

    def teardown(self):
        if self.tp:
            self.tp.stop()

    def run(self, variant):
        mark = self.tp.mark()
        p, t = qtestdriver.start(self.ctx, variant,
                                 f"socket,id=c0,path={self.sock}")
        try:
            t_backend = self.tp.wait_line("virtio is now ready", mark, 30)
        finally:
            qtestdriver.end(p)
        # testpmd must see the disconnect before the next run connects.
        self.tp.wait_line("link state change", mark + 1, 10)
        return {"to_driver_ok": (t["t_driver_ok_done"] - t["t_ready"]) / 1e6,
                "driver_ok_to_ready": (t_backend - t["t_driver_ok"]) / 1e6,
                "total": (t_backend - t["t_ready"]) / 1e6,
                "exec_to_ready": (t_backend - t["t_exec"]) / 1e6}
