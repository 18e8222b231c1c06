#!/usr/bin/env python3
"""
vmu-switch with one port echoes: dpdk-testpmd (virtio-user) sends a burst
and forwards what comes back (io mode); the frames keep circling, so the
counts on both sides grow and agree.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switchlib as sl  # noqa: E402


def main():
    binary = sys.argv[1]
    sl.need_testpmd()
    d = sl.tmpdir()
    sock = os.path.join(d, "echo.sock")
    sw = sl.Switch(binary, ["-s", sock], d)
    sl.check(sw.wait_for(r"1 port, echo"), "vmu-switch starts in echo mode")
    pmd = sl.Testpmd("vmuecho%d" % os.getpid(),
                     ["path=%s,queues=1" % sock], ["--forward-mode=io"])
    sl.check(sw.wait_for(r"front-end connected"),
             "testpmd's virtio-user connects to the switch")
    t0 = time.time()
    pmd.cmd("start tx_first")
    circled = pmd.wait_rx(1000)
    pmd.cmd("stop")
    dt = time.time() - t0
    st = pmd.port_stats()
    rx, tx = st[0]
    print("testpmd: rx %d tx %d frames in %.1f s (%.0f frames/s echoed)"
          % (rx, tx, dt, rx / dt))
    sl.check(tx >= 32, "testpmd sent its first burst (%d frames)" % tx)
    sl.check(circled and rx > 1000, "frames came back and kept circling (%d)" % rx)
    pmd.quit()
    sw_stats = sw.stats_until(lambda st: st[0]["rx"] >= tx)[0]
    print("switch:", sw_stats)
    sl.check(sw_stats["rx"] == tx,
             "switch received every frame testpmd sent (%d)" % tx)
    sl.check(rx <= sw_stats["tx"] <= rx + 256,
             "switch sent what testpmd received (%d vs %d)"
             % (sw_stats["tx"], rx))
    sl.check(sw_stats["errors"] == 0, "no errors")
    rc = sw.stop()
    sl.check(rc == 0, "vmu-switch exits 0 on SIGTERM")
    sl.check(not os.path.exists(sock), "the socket file is removed at exit")
    sl.check("rx %d frames" % sw_stats["rx"] in sw.text(),
             "statistics are printed at exit")
    sl.cleanup()


if __name__ == "__main__":
    try:
        main()
    finally:
        sl.cleanup()
