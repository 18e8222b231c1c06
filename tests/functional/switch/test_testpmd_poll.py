#!/usr/bin/env python3
"""
vmu-switch --poll (busy-polling, no sleeping on kicks) between two
dpdk-testpmd processes ping-ponging ('mac' forwarding, each addressing
the other): frames cross in both directions and the counts agree.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switchlib as sl  # noqa: E402

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"


def main():
    binary = sys.argv[1]
    sl.need_testpmd()
    d = sl.tmpdir()
    sa, sb = os.path.join(d, "a.sock"), os.path.join(d, "b.sock")
    sw = sl.Switch(binary, ["--poll", "-s", sa, "-s", sb], d)
    sl.check(sw.wait_for(r"2 ports, learning switch.*polling"),
             "vmu-switch starts in polling mode")
    pid = os.getpid()
    a = sl.Testpmd("vmupla%d" % pid, ["path=%s,queues=1,mac=%s" % (sa, MAC_A)],
                   ["--forward-mode=mac", "--eth-peer=0," + MAC_B])
    b = sl.Testpmd("vmuplb%d" % pid, ["path=%s,queues=1,mac=%s" % (sb, MAC_B)],
                   ["--forward-mode=mac", "--eth-peer=0," + MAC_A])
    sl.check(sw.wait_for(r"port 1 \(.*\): front-end connected"),
             "both front-ends connect")
    b.cmd("start")
    a.cmd("start tx_first")
    crossed = a.wait_rx(1000) and b.wait_rx(1000)
    a.cmd("stop")
    b.cmd("stop")
    rx_a, tx_a = a.port_stats()[0]
    rx_b, tx_b = b.port_stats()[0]
    print("A: rx %d tx %d; B: rx %d tx %d" % (rx_a, tx_a, rx_b, tx_b))
    sl.check(crossed and rx_a > 1000 and rx_b > 1000,
             "frames cross both ways while polling (%d, %d)" % (rx_a, rx_b))
    st = sw.stats_until(lambda st: st[0]["rx"] >= tx_a and
                        st[1]["rx"] >= tx_b)
    sl.check(st[0]["rx"] == tx_a and st[1]["rx"] == tx_b,
             "the switch received exactly what each testpmd sent")
    sl.check(rx_b <= st[1]["tx"] <= rx_b + 256 and
             rx_a <= st[0]["tx"] <= rx_a + 256,
             "each testpmd received what the switch sent it")
    sl.check(st[0]["errors"] == 0 and st[1]["errors"] == 0, "no errors")
    a.quit()
    b.quit()
    sl.check(sw.stop() == 0, "vmu-switch exits 0")


if __name__ == "__main__":
    try:
        main()
    finally:
        sl.cleanup()
