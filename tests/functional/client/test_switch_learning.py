#!/usr/bin/env python3
"""
MAC learning and flooding in vmu-switch, seen by three vmu-vhost-clients
on ports A, B, C (B and C receive with --verify).

  test_switch_learning.py SWITCH CLIENT

After B has sent a frame (--announce: one broadcast from B's address, so
B is learnt on port 1), frames from A:
  - unicast to B's address reach B and not C;
  - broadcast, multicast and unicast to an address nobody has (unknown
    unicast) reach both B and C (flooding);
each time every frame intact and in order.  The switch's counters agree.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clientlib as cl  # noqa: E402

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
MAC_C = "02:00:00:00:00:0c"
PHASES = [
    # (what, destination, frames, reaches B, reaches C)
    ("unicast to B", MAC_B, 1000, True, False),
    ("broadcast", "ff:ff:ff:ff:ff:ff", 500, True, True),
    ("multicast", "01:00:5e:00:00:01", 200, True, True),
    ("unknown unicast", "02:00:00:00:00:99", 300, True, True),
]


def run(procs):
    switch = cl.need(sys.argv[1], "vmu-switch")
    client = cl.need(sys.argv[2], "vmu-vhost-client")
    d = cl.tmpdir()
    socks = [os.path.join(d, n + ".sock") for n in "abc"]
    sw = cl.Switch(switch, socks, d)
    procs.append(sw)
    cl.check(sw.ready(), "vmu-switch starts with three ports")
    # 1024-entry rings: a receiver descheduled on a loaded machine still
    # has room for what arrives meanwhile (the switch drops on a full ring).
    c = cl.Client(client, socks[2], ["--recv", "--verify", "--mac", MAC_C,
                                      "--queue-size", "1024"], d, "c")
    procs.append(c)
    cl.check(c.started(), "client C starts (port 2)")
    b = cl.Client(client, socks[1], ["--recv", "--verify", "--mac", MAC_B,
                                      "--announce", "--queue-size", "1024"],
                  d, "b")
    procs.append(b)
    cl.check(b.started(), "client B starts (port 1) and announces itself")
    cl.check(cl.wait_until(lambda: sw.stats()[1]["rx"] >= 1, 30),
             "the switch saw B's frame")
    rc0 = c.wait_received(1)
    cl.check(rc0["received"] == 1 and rc0["other"] == 1,
             "B's broadcast announce reached C (flooded)")

    exp_b, exp_c = 0, 1
    sent_total = 0
    for i, (what, dst, n, to_b, to_c) in enumerate(PHASES):
        a = cl.Client(client, socks[0], ["--send", str(n), "--sizes",
                                         "60-1514:97", "--mac", MAC_A,
                                         "--dst", dst, "--rate", "5000"],
                      d, "a%d" % i)
        procs.append(a)
        rc, ra = a.finish(30)
        cl.check(rc == 0 and ra and ra["sent"] == n,
                 "%s: A sent %d frames" % (what, n))
        sent_total += n
        exp_b += n if to_b else 0
        exp_c += n if to_c else 0
        rb = b.wait_received(exp_b)
        rc_ = c.wait_received(exp_c, 1 if not to_c else 30)
        print("B:", rb)
        print("C:", rc_)
        cl.check(rb["received"] == exp_b, "%s: B has %d frames (%d expected)"
                 % (what, rb["received"], exp_b))
        cl.check(rc_["received"] == exp_c, "%s: C has %d frames (%d expected)"
                 % (what, rc_["received"], exp_c))
        for name, r in (("B", rb), ("C", rc_)):
            cl.check(r["bad"] == 0 and r["out_of_order"] == 0 and
                     r["missing"] == 0, "%s: at %s every frame intact, in "
                     "order, none missing" % (what, name))
    st = sw.stats()
    print("switch:", st)
    cl.check(st[0]["rx"] == sent_total, "port A: the switch took all %d "
             "frames" % sent_total)
    cl.check(st[1]["tx"] == exp_b and st[2]["tx"] == exp_c,
             "ports B and C: the switch delivered what B and C counted")
    cl.check(all(st[p]["drops"] == 0 and st[p]["errors"] == 0 for p in st),
             "no drops, no errors")
    for p in (b, c):
        cl.check(p.stop(timeout=10) == 0, "client %s exits 0" % p.name)
    rc, _ = sw.final_stats()
    cl.check(rc == 0, "vmu-switch exits 0")


if __name__ == "__main__":
    cl.main_wrapper(run)
