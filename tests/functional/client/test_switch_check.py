#!/usr/bin/env python3
"""
vmu-vhost-client --check against vmu-switch (one port: echo), with and
without MRG_RXBUF.

  test_switch_check.py SWITCH CLIENT

Asserts: the run completes, exits 0, and every row of the table passes
(vmu-switch offers every feature the check exercises, so no row may be
skipped either); the switch counted no errors.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clientlib as cl  # noqa: E402

ROWS = ["connect", "handshake", "protocol features", "virtio 1.0",
        "REPLY_ACK answered", "start rings", "TX consumed", "RX delivered",
        "jumbo TX chain", "jumbo RX", "GET_VRING_BASE", "stopped ring stays",
        "ring restart", "disable honoured", "enable honoured", "MQ", "STATUS",
        "reconnect", "stop"]


def run(procs):
    switch = cl.need(sys.argv[1], "vmu-switch")
    client = cl.need(sys.argv[2], "vmu-vhost-client")
    d = cl.tmpdir()
    sock = os.path.join(d, "echo.sock")
    sw = cl.Switch(switch, [sock], d)
    procs.append(sw)
    cl.check(sw.ready(), "vmu-switch starts (one port: echo)")
    for extra in ([], ["--no-mrg"]):
        name = "check" + "".join(extra)
        p = cl.Client(client, sock, ["--check"] + extra, d, name)
        procs.append(p)
        rc, _ = p.finish(120)
        text = p.out()
        print(text, flush=True)
        rows = {}
        for line in text.splitlines():
            m = re.match(r"(.{26}) (pass|FAIL|skip)\s", line)
            if m:
                rows[m.group(1).strip()] = m.group(2)
        cl.check(re.search(r"^0 failures$", text, re.M) is not None and
                 rc == 0, "%s: completes with 0 failures, exit 0" %
                 " ".join(["--check"] + extra))
        for r in ROWS:
            cl.check(rows.get(r) == "pass", "%s: row '%s' passes" %
                     (name, r))
        cl.check(set(rows) == set(ROWS), "%s: no unexpected row" % name)
        if extra:
            cl.check("chained receive buffer" in text,
                     "--no-mrg: the jumbo frame came back into a chain")
        else:
            cl.check(re.search(r"jumbo RX .*in [2-9] receive buffers", text)
                     is not None, "the jumbo frame spanned several buffers")
    rc, st = sw.final_stats()
    print("switch:", st)
    cl.check(rc == 0, "vmu-switch exits 0")
    cl.check(st[0]["errors"] == 0, "the switch counted no errors")


if __name__ == "__main__":
    cl.main_wrapper(run)
