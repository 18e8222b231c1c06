#!/usr/bin/env python3
"""
vmu-switch between two vmu-vhost-clients: A sends one frame of every size
from 60 to 9,000 bytes, in order, unicast to B; B receives with --verify.

  test_switch_sweep.py SWITCH CLIENT [mrg|nomrg]

Asserts: every frame arrives at B intact (pattern, length) and in order
(no sequence number missing or out of order), and the switch's statistics
agree: port A received (rx) exactly what A says it sent, port B delivered
(tx) exactly what B says it received, no errors.  The one loss allowed is
the switch's documented drop when B's receive ring has no free buffer (a
busy machine that does not run B for a while): each such frame must be
counted in port B's drops and traced as "no receive buffer", and B's
'missing' must be exactly those; any other loss fails.  'nomrg': B does not negotiate
MRG_RXBUF and receives every frame whole into a chained buffer; with
'mrg' the larger frames span several 2 KiB buffers.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clientlib as cl  # noqa: E402

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
LO, HI = 60, 9000


def run(procs):
    switch = cl.need(sys.argv[1], "vmu-switch")
    client = cl.need(sys.argv[2], "vmu-vhost-client")
    variant = sys.argv[3] if len(sys.argv) > 3 else "mrg"
    d = cl.tmpdir()
    sa, sb = os.path.join(d, "a.sock"), os.path.join(d, "b.sock")
    sw = cl.Switch(switch, [sa, sb], d, ["-T", "vmu_switch_drop"])
    procs.append(sw)
    cl.check(sw.ready(), "vmu-switch starts with two ports")

    bargs = ["--recv", "--verify", "--mac", MAC_B, "--announce",
             "--queue-size", "1024"]
    if variant == "nomrg":
        bargs.append("--no-mrg")
    b = cl.Client(client, sb, bargs, d, "b")
    procs.append(b)
    cl.check(b.started(), "client B starts (%s)" % variant)
    cl.check(cl.wait_until(lambda: sw.stats()[1]["rx"] >= 1, 30),
             "the switch saw B's announce (B's address is learnt)")

    n = HI - LO + 1
    a = cl.Client(client, sa, ["--send", str(n), "--sizes", "%d-%d" % (LO, HI),
                               "--mac", MAC_A, "--dst", MAC_B,
                               "--rate", "4000"], d, "a")
    procs.append(a)
    rc, ra = a.finish(60)
    cl.check(rc == 0 and ra is not None, "A sent and printed its result")
    print("A:", ra)
    cl.check(ra["sent"] == n, "A sent every size from %d to %d (%d frames)" %
             (LO, HI, n))
    total = sum(range(LO, HI + 1))
    cl.check(ra["bytes_sent"] == total, "A sent %d bytes" % total)

    rb, st = cl.wait_accounted(sw, 1, b, n)
    print("B:", rb)
    cl.check_accounted(sw, st, 1, rb, n, 0, "B")
    dropped = st[1]["drops"]
    if not dropped:
        cl.check(rb["bytes_received"] == total, "B received %d bytes" % total)
    cl.check(rb["errors"] == 0, "no malformed used-ring entries")

    rc, _ = b.stop_result()
    cl.check(rc == 0, "B exits 0 on SIGTERM")
    rc, st = sw.final_stats()
    print("switch:", st)
    cl.check(rc == 0, "vmu-switch exits 0")
    cl.check(st[0]["rx"] == ra["sent"] and st[0]["rx_bytes"] == total,
             "switch port A received exactly what A sent")
    cl.check(st[1]["tx"] == rb["received"] and
             (dropped or st[1]["tx_bytes"] == total),
             "switch port B delivered exactly what B received")
    cl.check(st[1]["rx"] == 1, "port B: only the announce came from B")
    cl.check(st[0]["drops"] == 0 and
             all(st[p]["errors"] == 0 for p in st),
             "no drops of A's frames at A, no errors anywhere")


if __name__ == "__main__":
    cl.main_wrapper(run)
