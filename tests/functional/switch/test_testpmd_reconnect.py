#!/usr/bin/env python3
"""
A port's front-end killed (SIGKILL) and restarted while other ports carry
traffic: testpmd A and B ping-pong across ports 0 and 1 of vmu-switch;
testpmd C on port 2 is killed, A and B keep going, C comes back on the
same socket and its frames cross the switch again.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switchlib as sl  # noqa: E402

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
MAC_C = "02:00:00:00:00:0c"


def main():
    binary = sys.argv[1]
    sl.need_testpmd()
    d = sl.tmpdir()
    s = [os.path.join(d, "p%d.sock" % i) for i in range(3)]
    sw = sl.Switch(binary, ["-s", s[0], "-s", s[1], "-s", s[2]], d)
    sl.check(sw.wait_for(r"3 ports"), "vmu-switch starts")
    pid = os.getpid()
    a = sl.Testpmd("vmurca%d" % pid, ["path=%s,queues=1,mac=%s" % (s[0], MAC_A)],
                   ["--forward-mode=mac", "--eth-peer=0," + MAC_B])
    b = sl.Testpmd("vmurcb%d" % pid, ["path=%s,queues=1,mac=%s" % (s[1], MAC_B)],
                   ["--forward-mode=mac", "--eth-peer=0," + MAC_A])
    c = sl.Testpmd("vmurcc%d" % pid, ["path=%s,queues=1,mac=%s" % (s[2], MAC_C)],
                   ["--forward-mode=txonly", "--eth-peer=0," + MAC_A])
    sl.check(sw.wait_for(r"port 2 \(.*\): front-end connected"),
             "three front-ends connect")
    b.cmd("start")
    a.cmd("start tx_first")
    sl.check(b.wait_rx(1000), "A's frames reach B")
    c.kill()
    sl.check(sw.wait_for(r"port 2 \(.*\): front-end disconnected"),
             "the switch notices port 2's front-end is gone")
    before = sw.stats()
    during = sw.stats_until(lambda st: st[1]["rx"] - before[1]["rx"] > 100)
    moved = during[1]["rx"] - before[1]["rx"]
    sl.check(moved > 100, "ports 0 and 1 keep forwarding while port 2 is "
             "down (%d frames)" % moved)
    sl.check(sw.alive(), "vmu-switch is still running")
    c = sl.Testpmd("vmurcc2%d" % pid,
                   ["path=%s,queues=1,mac=%s" % (s[2], MAC_C)],
                   ["--forward-mode=txonly", "--eth-peer=0," + MAC_A])
    again = re.escape("port 2 (%s): front-end connected" % s[2])
    sl.check(sw.wait_for("(?s)%s.*%s" % (again, again), 30),
             "port 2's front-end connects again on the same socket")
    c2_before = sw.stats()[2]["rx"]
    c.cmd("start")
    sl.check(c.wait_stats(lambda rx, tx: tx > 100),
             "the restarted front-end sends")
    c.cmd("stop")
    rx_c, tx_c = c.port_stats()[0]
    after = sw.stats_until(lambda st: st[2]["rx"] - c2_before >= tx_c)
    sl.check(tx_c > 0 and after[2]["rx"] - c2_before == tx_c,
             "the restarted front-end's frames reach the switch (%d)" % tx_c)
    sl.check(after[0]["tx"] > during[0]["tx"],
             "and are forwarded to port 0, where their destination was "
             "learnt (%d frames to port 0)" % (after[0]["tx"] -
                                              during[0]["tx"]))
    a.cmd("stop")
    b.cmd("stop")
    rx_a, _ = a.port_stats()[0]
    rx_b, _ = b.port_stats()[0]
    sl.check(rx_a > 1000 and rx_b > 1000,
             "A and B exchanged frames throughout (%d, %d)" % (rx_a, rx_b))
    for p in (a, b, c):
        p.quit()
    sl.check(sw.stop() == 0, "vmu-switch exits 0")


if __name__ == "__main__":
    try:
        main()
    finally:
        sl.cleanup()
