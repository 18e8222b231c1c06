#!/usr/bin/env python3
"""
Client mode (-c) against a front-end that listens but does not accept
(its listen backlog full, e.g. a stopped process): the switch must not
block on connect.  It starts, serves its other port, answers signals,
retries with backoff, and connects once the front-end accepts.  A server
port on a path where such a listener sits is refused, not stolen.
No DPDK needed.
"""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switchlib as sl  # noqa: E402
import vhostpeer as vp  # noqa: E402


def main():
    binary = sys.argv[1]
    d = sl.tmpdir()
    sa, sc = os.path.join(d, "a.sock"), os.path.join(d, "c.sock")
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(sc)
    lst.listen(0)
    fillers = []
    for _ in range(3):          # fill the backlog, never accept
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(sc)
        except BlockingIOError:
            pass
        fillers.append(c)
    try:
        sw = sl.Switch(binary, ["-T", "vmu_switch_retry", "-s", sa, "-c", sc],
                       d)
        sl.check(sw.wait_for(r"2 ports, learning switch", 3),
                 "vmu-switch starts although port 1's front-end does not "
                 "accept")
        sl.check(sw.wait_for(r"port 1: .*'%s' is not accepting connections"
                             r".*next try in 200 ms" % re.escape(sc), 3),
                 "it says why, naming the socket, and retries with backoff")
        fe = vp.Peer(sa)
        try:
            flags, size, _ = fe.get_u64(vp.GET_FEATURES)
        finally:
            fe.close()
        sl.check(flags == 0x5 and size == 8, "port 0 answers its front-end "
                 "meanwhile")
        sl.check(len(sw.stats()) == 2, "SIGUSR1 is answered meanwhile")
        os.makedirs(os.path.join(d, "other"))
        other = sl.Switch(binary, ["-s", sc], os.path.join(d, "other"))
        rc = other.proc.wait(5)
        sl.check(rc != 0 and "another process is listening" in other.text(),
                 "a second switch does not take over the busy listener's "
                 "path (%s)" % other.text().strip())
        lst.setblocking(False)
        for _ in range(3):      # drain the fillers
            try:
                lst.accept()[0].close()
            except BlockingIOError:
                break
        for c in fillers:
            c.close()
        lst.settimeout(10)
        try:
            conn, _ = lst.accept()
        except socket.timeout:
            conn = None
        sl.check(conn is not None and
                 sw.wait_for(r"port 1 \(.*\): front-end connected", 5),
                 "once the front-end accepts, the switch connects")
        if conn:
            conn.close()
        sl.check(sw.stop() == 0, "vmu-switch exits 0")
    finally:
        lst.close()
        for c in fillers:
            c.close()


if __name__ == "__main__":
    try:
        main()
    finally:
        sl.cleanup()
