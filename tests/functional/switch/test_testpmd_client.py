#!/usr/bin/env python3
"""
vmu-switch in client mode (-c) against dpdk-testpmd's virtio-user in
server mode (server=1): the switch starts first and retries with backoff
(0.1 s, doubling) until the front-ends listen; A and B ping-pong across
ports 0 and 1; C on port 2 is killed, the switch retries again from
0.1 s while A and B keep going, C comes back on the same path, the switch
reconnects and C's frames cross.  At exit the per-port statistics match
what the testpmds counted.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switchlib as sl  # noqa: E402

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
MAC_C = "02:00:00:00:00:0c"


def retry_delays(text, port):
    return [int(x) for x in re.findall(r"vmu_switch_retry port %d: .*next "
                                       r"try in (\d+) ms" % port, text)]


def pmd(name, sock, mac, mode, peer):
    return sl.Testpmd(name, ["path=%s,server=1,queues=1,mac=%s" % (sock, mac)],
                      ["--forward-mode=" + mode, "--eth-peer=0," + peer])


def main():
    binary = sys.argv[1]
    sl.need_testpmd()
    d = sl.tmpdir()
    s = [os.path.join(d, "p%d.sock" % i) for i in range(3)]
    sw = sl.Switch(binary, ["-T", "vmu_switch_retry", "-c", s[0], "-c", s[1],
                            "-c", s[2]], d)
    sl.check(sw.wait_for(r"3 ports"), "vmu-switch starts with no front-end "
             "listening yet")
    sl.wait_until(lambda: len(retry_delays(sw.text(), 0)) >= 4, 30)
    delays = retry_delays(sw.text(), 0)
    sl.check(delays[:4] == [100, 200, 400, 800],
             "it retries with backoff: %s ms" % delays[:6])
    pid = os.getpid()
    a = pmd("vmucla%d" % pid, s[0], MAC_A, "mac", MAC_B)
    b = pmd("vmuclb%d" % pid, s[1], MAC_B, "mac", MAC_A)
    c = pmd("vmuclc%d" % pid, s[2], MAC_C, "txonly", MAC_A)
    for i in range(3):
        sl.check(sw.wait_for(r"port %d \(.*\): front-end connected" % i, 15),
                 "the switch connects to front-end %d once it listens" % i)
    b.cmd("start")
    a.cmd("start tx_first")
    sl.check(b.wait_rx(1000), "A's frames reach B")
    c.kill()
    sl.check(sw.wait_for(r"port 2 \(.*\): front-end disconnected, "
                         r"reconnecting"),
             "the switch notices port 2's front-end is gone, reconnects")
    before = sw.stats()
    during = sw.stats_until(lambda st: st[1]["rx"] - before[1]["rx"] > 100)
    moved = during[1]["rx"] - before[1]["rx"]
    sl.check(moved > 100, "ports 0 and 1 keep forwarding while port 2 is "
             "down (%d frames)" % moved)
    sl.wait_until(lambda: len(retry_delays(
        sw.text().split("front-end disconnected")[-1], 2)) >= 3, 30)
    after_kill = sw.text().split("front-end disconnected")[-1]
    delays = retry_delays(after_kill, 2)
    sl.check(delays[:3] == [100, 200, 400], "port 2 retries from 0.1 s, "
             "backing off: %s ms" % delays)
    sl.check(not retry_delays(after_kill, 0) and
             not retry_delays(after_kill, 1),
             "ports 0 and 1 stay connected")
    if os.path.exists(s[2]):
        os.unlink(s[2])         # the killed testpmd left its socket file
    c = pmd("vmuclc2%d" % pid, s[2], MAC_C, "txonly", MAC_A)
    sl.check(sw.wait_for(r"(?s)disconnected, reconnecting.*port 2 \(.*\): "
                         r"front-end connected", 15),
             "the switch reconnects to the restarted front-end")
    c2_before = sw.stats()[2]["rx"]
    c.cmd("start")
    sl.check(c.wait_stats(lambda rx, tx: tx > 100),
             "the restarted front-end sends")
    c.cmd("stop")
    _, tx_c = c.port_stats()[0]
    after = sw.stats_until(lambda st: st[2]["rx"] - c2_before >= tx_c)
    sl.check(tx_c > 0 and after[2]["rx"] - c2_before == tx_c,
             "the restarted front-end's frames reach the switch (%d)" % tx_c)
    sl.check(after[0]["tx"] > during[0]["tx"],
             "and go to port 0 (%d)" % (after[0]["tx"] - during[0]["tx"]))
    a.cmd("stop")
    b.cmd("stop")
    rx_a, tx_a = a.port_stats()[0]
    rx_b, tx_b = b.port_stats()[0]
    sl.check(rx_a > 1000 and rx_b > 1000,
             "A and B exchanged frames throughout (%d, %d)" % (rx_a, rx_b))
    text_before_exit = len(sw.text())
    sl.check(sw.stop() == 0, "vmu-switch exits 0")
    final = sl.parse_switch_stats(sw.text()[text_before_exit:])
    print("at exit:", final)
    sl.check(sorted(final) == [0, 1, 2], "one statistics line per port at "
             "exit")
    sl.check(final[0]["rx"] == tx_a and final[1]["rx"] == tx_b,
             "at exit: port 0 rx = A's tx (%d = %d), port 1 rx = B's tx "
             "(%d = %d)" % (final[0]["rx"], tx_a, final[1]["rx"], tx_b))
    sl.check(rx_a <= final[0]["tx"] <= rx_a + 512 and
             rx_b <= final[1]["tx"] <= rx_b + 512,
             "at exit: port tx = what A and B received, up to a ring left "
             "unread (%d/%d, %d/%d)" % (final[0]["tx"], rx_a,
                                       final[1]["tx"], rx_b))
    sl.check(all(final[i]["errors"] == 0 for i in range(3)), "no errors")
    for p in (a, b, c):
        p.quit()


if __name__ == "__main__":
    try:
        main()
    finally:
        sl.cleanup()
