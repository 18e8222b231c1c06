#!/usr/bin/env python3
"""
vmu-switch with two ports between two dpdk-testpmd processes (virtio-user
front-ends, 'mac' forwarding, each addressing the other): A sends a first
burst to B's address; the switch floods it (B is unknown yet), B answers
to A's address, which the switch has learnt, and from then on frames
cross the switch in both directions, unicast.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switchlib as sl  # noqa: E402

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"


def main():
    binary = sys.argv[1]
    sl.need_testpmd()
    d = sl.tmpdir()
    sa, sb = os.path.join(d, "a.sock"), os.path.join(d, "b.sock")
    sw = sl.Switch(binary, ["-s", sa, "-s", sb], d)
    sl.check(sw.wait_for(r"2 ports, learning switch"), "vmu-switch starts")
    pid = os.getpid()
    a = sl.Testpmd("vmuswa%d" % pid, ["path=%s,queues=1,mac=%s" % (sa, MAC_A)],
                   ["--forward-mode=mac", "--eth-peer=0," + MAC_B])
    b = sl.Testpmd("vmuswb%d" % pid, ["path=%s,queues=1,mac=%s" % (sb, MAC_B)],
                   ["--forward-mode=mac", "--eth-peer=0," + MAC_A])
    sl.check(sw.wait_for(r"port 1 \(.*\): front-end connected"),
             "both front-ends connect")
    b.cmd("start")
    a.cmd("start tx_first")
    t0 = time.time()
    crossed = b.wait_rx(1000) and a.wait_rx(1000)
    a.cmd("stop")
    b.cmd("stop")
    dt = time.time() - t0
    rx_a, tx_a = a.port_stats()[0]
    rx_b, tx_b = b.port_stats()[0]
    print("testpmd A: rx %d tx %d; testpmd B: rx %d tx %d; %.1f s, "
          "%.0f frames/s per direction" % (rx_a, tx_a, rx_b, tx_b, dt,
                                          rx_b / dt))
    sl.check(crossed and rx_b > 1000, "frames from A reach B (%d)" % rx_b)
    sl.check(rx_a > 1000, "frames from B reach A (%d)" % rx_a)
    a.quit()
    b.quit()
    st = sw.stats_until(lambda st: st[0]["rx"] >= tx_a and
                        st[1]["rx"] >= tx_b)
    print("switch:", st)
    sl.check(st[0]["rx"] == tx_a and st[1]["rx"] == tx_b,
             "the switch received exactly what each testpmd sent")
    sl.check(rx_b <= st[1]["tx"] <= rx_b + 256 and
             rx_a <= st[0]["tx"] <= rx_a + 256,
             "each testpmd received what the switch sent it (up to one ring "
             "left unread at stop)")
    sl.check(st[0]["rx"] - st[0]["drops"] - st[1]["tx"] - st[1]["drops"] <= 0,
             "nothing from A was lost inside the switch")
    sl.check(st[0]["errors"] == 0 and st[1]["errors"] == 0, "no errors")
    sl.check(sw.stop() == 0, "vmu-switch exits 0")
    sl.check(not os.path.exists(sa) and not os.path.exists(sb),
             "socket files removed")


if __name__ == "__main__":
    try:
        main()
    finally:
        sl.cleanup()
