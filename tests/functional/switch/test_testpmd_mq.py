#!/usr/bin/env python3
"""
Multiqueue: vmu-switch --queues 2 (echo) and dpdk-testpmd's virtio-user
with queues=2, --rxq=2 --txq=2, io forwarding.  Frames circle on both
queue pairs: what testpmd sends on queue q comes back on queue q (per
queue counters from 'show port xstats'), the switch's SIGUSR1 statistics
line matches testpmd's counters, and GET_QUEUE_NUM answers 2.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switchlib as sl  # noqa: E402
import vhostpeer as vp  # noqa: E402


def main():
    binary = sys.argv[1]
    sl.need_testpmd()
    d = sl.tmpdir()
    sock = os.path.join(d, "mq.sock")
    sw = sl.Switch(binary, ["--queues", "2", "-s", sock], d)
    sl.check(sw.wait_for(r"1 port, echo, 2 queue pairs per port"),
             "vmu-switch starts with 2 queue pairs per port")
    pmd = sl.Testpmd("vmumq%d" % os.getpid(), ["path=%s,queues=2" % sock],
                     ["--rxq=2", "--txq=2", "--forward-mode=io",
                      "--total-num-mbufs=4096"])
    sl.check(sw.wait_for(r"front-end connected"), "testpmd connects")
    pmd.cmd("start tx_first")
    end = time.time() + 60
    while time.time() < end and not all(
            pmd.xstats(0).get("rx_q%d_good_packets" % q, 0) > 1000
            for q in (0, 1)):
        time.sleep(0.1)
    pmd.cmd("stop")
    x = pmd.xstats(0)
    for q in (0, 1):
        rxq, txq = x.get("rx_q%d_good_packets" % q, 0), \
            x.get("tx_q%d_good_packets" % q, 0)
        sl.check(rxq > 1000, "queue pair %d carries frames (testpmd rx %d, "
                 "tx %d)" % (q, rxq, txq))
        sl.check(rxq <= txq <= rxq + 256 + 32,
                 "queue pair %d: what testpmd sent on it came back on it"
                 % q)
    rx, tx = pmd.port_stats()[0]
    st = sw.stats_until(lambda st: st.get(0, {}).get("rx", 0) >= tx)
    print("switch:", st)
    sl.check(list(st) == [0], "SIGUSR1 prints one statistics line per port")
    st = st[0]
    sl.check(st["rx"] == tx, "switch rx = testpmd TX-packets (%d = %d)"
             % (st["rx"], tx))
    sl.check(rx <= st["tx"] <= rx + 2 * 256, "switch tx = testpmd "
             "RX-packets up to what is left in the rings (%d, %d)"
             % (st["tx"], rx))
    sl.check(st["rx_bytes"] == 64 * tx, "switch rx bytes = 64 per frame")
    sl.check(st["drops"] == 0 and st["errors"] == 0, "no drops, no errors")
    pmd.quit()
    sl.check(sw.wait_for(r"front-end disconnected"), "testpmd disconnects")
    fe = vp.Peer(sock)
    try:
        flags, size, n = fe.get_u64(vp.GET_QUEUE_NUM)
    finally:
        fe.close()
    sl.check(flags == 0x5 and size == 8 and n == 2,
             "GET_QUEUE_NUM answers 2 (flags 0x%x, %d bytes)" % (flags, size))
    sl.check(sw.stop() == 0, "vmu-switch exits 0")


if __name__ == "__main__":
    try:
        main()
    finally:
        sl.cleanup()
