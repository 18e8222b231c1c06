"""reconnect: the back-end is killed and restarted while a guest's rings
run; how long from the new back-end being there to the rings running again.
Client mode: vmu with reconnect-ms=10, QEMU with reconnect=1 (its finest
setting in 7.2).  Server mode: both listen, testpmd connects (client=1)."""
import os
import signal
import tempfile
import time

from lib import qtestdriver, testpmd
from lib.context import version_of
from lib.report import Metric



class Benchmark:
    name = "reconnect"
    title = "back-end restart: back-end back → rings running again"
    peer_name = "QEMU"
    pairs = 5
    metrics = [
        Metric("switch_client_mode", "ms", "vmu-switch killed and started "
               "again: its socket exists → it has received the VMM's "
               "SET_VRING_ENABLE for the last ring (the VMM reconnected and "
               "replayed the bring-up; this back-end answers at once, so "
               "the figure is the VMM's)", target=("vmu", 50.0)),
        Metric("client_mode", "ms", "the restarted testpmd's socket exists "
               "→ testpmd logs 'virtio is now ready for processing' (the "
               "VMM reconnected and replayed the whole bring-up)"),
        Metric("client_connect", "ms", "the restarted testpmd's socket "
               "exists → testpmd logs the new connection: how fast the VMM "
               "notices the back-end is back"),
        Metric("client_handshake", "ms", "testpmd logs the new connection → "
               "'virtio is now ready': the replayed handshake and ring "
               "set-up, mostly testpmd mapping and pre-faulting guest RAM "
               "(~1 s at 256 MiB here) for either VMM"),
        Metric("server_mode", "ms", "the restarted testpmd (client=1) has "
               "connected → 'virtio is now ready for processing'"),
    ]
    notes = [
        "Fairness: the same qtest driver brings both VMMs' virtio-net-pci "
        "up (bench/bringup-driver.c, INTx, 256 MiB shared memfd) against "
        "dpdk-testpmd; the back-end is killed with SIGKILL and started "
        "again; QEMU 7.2 can retry no faster than once a second "
        "(reconnect=1), vmu is run with reconnect-ms=10.",
        "With testpmd, client-mode figures are bound by the back-end: "
        "testpmd's vhost server looks for new connections on a 1 s poll, so "
        "client_connect is ~1 s whatever the VMM does; "
        "switch_client_mode uses vmu-switch, which accepts at once.",
        "Server mode is bound by the back-end: testpmd in client mode "
        "notices the listening VMM on its own 1 s poll, so the figure "
        "starts at the moment testpmd says it connected.",
    ]

    def __init__(self, ctx):
        self.ctx = ctx

    def peer_version(self):
        return version_of([self.ctx.qemu, "-version"])

    def setup(self):
        qtestdriver.require(self.ctx)
        self.dir = tempfile.mkdtemp(prefix="vmu-bench-reconnect-")

    def teardown(self):
        pass

    def _driver(self, variant, chardev):
        return qtestdriver.start(self.ctx, variant, chardev)[0]

    @staticmethod
    def _end(p):
        qtestdriver.end(p)

    def _client_mode(self, variant):
        sock = os.path.join(self.dir, f"c-{variant}.sock")
        tp = testpmd.Testpmd(f"bench-rc-{variant}",
                             [f"net_vhost0,iface={sock}"]).start(sock)
        opt = "reconnect-ms=10" if variant == "vmu" else "reconnect=1"
        drv = None
        tp2 = None
        try:
            drv = self._driver(variant, f"socket,id=c0,path={sock},{opt}")
            tp.wait_line("virtio is now ready", 0, 30)
            tp.proc.send_signal(signal.SIGKILL)
            tp.proc.wait()
            os.unlink(sock)
            tp2 = testpmd.Testpmd(f"bench-rc-{variant}",
                                  [f"net_vhost0,iface={sock}"])
            tp2.start()
            while not os.path.exists(sock):
                if tp2.proc.poll() is not None:
                    raise RuntimeError("testpmd did not start again")
                time.sleep(0.0005)
            t_listen = time.monotonic_ns()
            t_conn = tp2.wait_line("new device", 0, 30)
            t_ready = tp2.wait_line("virtio is now ready", 0, 30)
            return {"client_mode": (t_ready - t_listen) / 1e6,
                    "client_connect": (t_conn - t_listen) / 1e6,
                    "client_handshake": (t_ready - t_conn) / 1e6}
        finally:
            if drv:
                self._end(drv)
            for t in (tp, tp2):
                if t:
                    t.stop()

    def _switch_client_mode(self, variant):
        sock = os.path.join(self.dir, f"sw-{variant}.sock")
        switch = os.path.join(self.ctx.build, "contrib", "vhost-user-switch",
                              "vmu-switch")
        argv = [switch, "-s", sock, "--trace", "vhost_user_recv"]
        opt = "reconnect-ms=10" if variant == "vmu" else "reconnect=1"
        sw = testpmd.Testpmd.command(argv).start(sock)
        sw2 = drv = None
        try:
            drv = self._driver(variant, f"socket,id=c0,path={sock},{opt}")
            sw.wait_line("idx 1 enable 1", 0, 30)
            sw.proc.send_signal(signal.SIGKILL)
            sw.proc.wait()
            os.unlink(sock)
            sw2 = testpmd.Testpmd.command(argv)
            sw2.start()
            while not os.path.exists(sock):
                if sw2.proc.poll() is not None:
                    raise RuntimeError("vmu-switch did not start again")
                time.sleep(0.0002)
            t_listen = time.monotonic_ns()
            t_ready = sw2.wait_line("idx 1 enable 1", 0, 30)
            return (t_ready - t_listen) / 1e6
        finally:
            if drv:
                self._end(drv)
            for t in (sw, sw2):
                if t:
                    t.stop()

    def _server_mode(self, variant):
        sock = os.path.join(self.dir, f"s-{variant}.sock")
        # testpmd first: QEMU 7.2 holds its start-up until a vhost-user
        # client connects, even with wait=off.
        tps = [testpmd.Testpmd(f"bench-rs-{variant}",
                               [f"net_vhost0,iface={sock},client=1"])]
        tps[0].start()
        drv = None
        try:
            drv = self._driver(variant,
                               f"socket,id=c0,path={sock},server=on,wait=off")
            for i in range(2):
                tp = tps[-1]
                if i:
                    tp = testpmd.Testpmd(f"bench-rs-{variant}",
                                         [f"net_vhost0,iface={sock},"
                                          "client=1"])
                    tps.append(tp.start())
                t_conn = tp.wait_line("new device", 0, 30)
                t_ready = tp.wait_line("virtio is now ready", 0, 30)
                tp.proc.send_signal(signal.SIGKILL)
                tp.proc.wait()
            return (t_ready - t_conn) / 1e6
        finally:
            if drv:
                self._end(drv)
            for t in tps:
                t.stop()

    def run(self, variant):
        vals = self._client_mode(variant)
        vals["switch_client_mode"] = self._switch_client_mode(variant)
        vals["server_mode"] = self._server_mode(variant)
        return vals
