#!/usr/bin/env python3
"""
Every front-end message gets the answer the vhost-user spec demands, from
a front-end written in Python for this test (vhostpeer.py) against
vmu-switch in echo mode with two queue pairs:

- GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM, GET_MAX_MEM_SLOTS,
  GET_STATUS and GET_VRING_BASE replies have flags 0x5, the request's code
  and the payload size the spec gives;
- with REPLY_ACK, a NEED_REPLY message gets a u64 0 on success and
  non-zero on failure (a memory table with a zero-size region, a ring
  size of 3);
- GET_VRING_BASE stops the ring (a kick after it produces nothing) and
  returns the next avail index; the ring resumes from there when set up
  again;
- SET_VRING_ENABLE 0 stops forwarding on that ring, 1 resumes it;
- SET_FEATURES does not disable rings.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import switchlib as sl  # noqa: E402
import vhostpeer as vp  # noqa: E402

MAC = b"\x02\x00\x00\x00\x00\x01"
BCAST = b"\xff" * 6


def wait_used(ring, n, timeout=20.0):
    """Up to timeout for n new used entries; returns those seen."""
    got = []
    end = time.time() + timeout
    while time.time() < end:
        got += ring.take_used()
        if len(got) >= n:
            break
        time.sleep(0.01)
    return got


def echo_once(fe, seq, expect=True, wait=20.0):
    """Send one frame on ring 1; True if it came back on ring 0."""
    tx, rx = fe.ring(1), fe.ring(0)
    f = vp.frame(BCAST, MAC, seq)
    tx.add(f)
    tx.do_kick()
    done = wait_used(tx, 1)
    sl.check(len(done) == 1, "frame %d: the switch consumed it from the TX "
             "ring" % seq)
    got = wait_used(rx, 1, wait if expect else 0.5)
    for _ in got:
        rx.add()                  # give the buffer back
    if got:
        body = got[0][2][vp.HDR_LEN:vp.HDR_LEN + len(f) - vp.HDR_LEN]
        sl.check(body == f[vp.HDR_LEN:], "frame %d came back intact" % seq)
    return len(got) == 1


def check_reply(fe, req, name, size=8):
    flags, n, val = fe.get_u64(req)
    sl.check(flags == 0x5 and n == size,
             "%s reply: flags 0x%x (want 0x5), %d bytes (want %d)"
             % (name, flags, n, size))
    return val


def main():
    binary = sys.argv[1]
    d = sl.tmpdir()
    sock = os.path.join(d, "proto.sock")
    sw = sl.Switch(binary, ["--queues", "2", "-s", sock], d)
    sl.check(sw.wait_for(r"1 port, echo, 2 queue pairs"),
             "vmu-switch starts (echo, 2 queue pairs)")
    fe = vp.Peer(sock)
    try:
        run(sw, fe)
    finally:
        fe.close()
    st = sw.stats()[0]
    sl.check(st["errors"] == 0, "no errors counted (%d)" % st["errors"])
    sl.check(sw.stop() == 0, "vmu-switch exits 0")


def run(sw, fe):
    feats = check_reply(fe, vp.GET_FEATURES, "GET_FEATURES")
    want = ((1 << vp.F_VERSION_1) | (1 << vp.F_MRG_RXBUF) |
            (1 << vp.F_PROTOCOL_FEATURES) | (1 << vp.F_MQ))
    sl.check(feats & want == want, "features 0x%x include VERSION_1, "
             "MRG_RXBUF, MQ, PROTOCOL_FEATURES" % feats)
    fe.send(vp.SET_OWNER)
    fe.send(vp.SET_FEATURES, fe.u64(want))
    pf = check_reply(fe, vp.GET_PROTOCOL_FEATURES, "GET_PROTOCOL_FEATURES")
    pwant = ((1 << vp.PF_MQ) | (1 << vp.PF_REPLY_ACK) |
             (1 << vp.PF_CONFIGURE_MEM_SLOTS) | (1 << vp.PF_STATUS))
    sl.check(pf & pwant == pwant, "protocol features 0x%x include MQ, "
             "REPLY_ACK, CONFIGURE_MEM_SLOTS, STATUS" % pf)
    fe.send(vp.SET_PROTOCOL_FEATURES, fe.u64(pwant))
    qn = check_reply(fe, vp.GET_QUEUE_NUM, "GET_QUEUE_NUM")
    sl.check(qn == 2, "GET_QUEUE_NUM answers 2 queue pairs (%s)" % qn)
    slots = check_reply(fe, vp.GET_MAX_MEM_SLOTS, "GET_MAX_MEM_SLOTS")
    sl.check(slots >= 8, "GET_MAX_MEM_SLOTS answers %s (at least 8)" % slots)
    check_reply(fe, vp.GET_STATUS, "GET_STATUS")
    fe.send(vp.GET_QUEUE_NUM, flags=vp.NEED_REPLY)
    req, flags, p = fe.recv()
    sl.check(req == vp.GET_QUEUE_NUM and flags == 0x5 and
             p == struct.pack("<Q", 2), "GET_QUEUE_NUM with NEED_REPLY gets "
             "its reply, not an ack")
    sl.check(not fe.pending(0.2), "nothing else came with those replies")

    # REPLY_ACK: success and failure.
    sl.check(fe.acked(vp.SET_OWNER) == 0, "SET_OWNER with NEED_REPLY acked 0")
    bad = fe.acked(vp.SET_MEM_TABLE, fe.mem_table(size=0), [fe.memfd])
    sl.check(bad != 0, "a memory table with a zero-size region is refused "
             "(ack %d)" % bad)
    sl.check(fe.acked(vp.SET_MEM_TABLE, fe.mem_table(), [fe.memfd]) == 0,
             "a good memory table is acked 0")
    bad = fe.acked(vp.SET_VRING_NUM, fe.state(1, 3))
    sl.check(bad != 0, "ring size 3 is refused (ack %d)" % bad)
    sl.check(fe.acked(vp.SET_STATUS, fe.u64(0xb)) == 0,
             "SET_STATUS acked 0")
    flags, n, status = fe.get_u64(vp.GET_STATUS)
    sl.check(status == 0xb, "GET_STATUS returns what SET_STATUS set (0x%x)"
             % status)
    for idx in (0, 1):
        acks = fe.start_ring(idx)
        sl.check(acks == [0] * 6, "ring %d: NUM, ADDR, BASE, CALL, KICK, "
                 "ENABLE each acked 0 (%s)" % (idx, acks))
    rx = fe.ring(0)
    for _ in range(32):
        rx.add()
    rx.do_kick()
    sl.check(echo_once(fe, 1), "a frame sent on ring 1 comes back on ring 0")

    # SET_FEATURES again does not disable the rings.
    feats_now = ((1 << vp.F_VERSION_1) | (1 << vp.F_MRG_RXBUF) |
                 (1 << vp.F_PROTOCOL_FEATURES) | (1 << vp.F_MQ))
    sl.check(fe.acked(vp.SET_FEATURES, fe.u64(feats_now)) == 0,
             "SET_FEATURES again acked 0")
    sl.check(echo_once(fe, 2), "after SET_FEATURES the rings still forward")

    # SET_VRING_ENABLE 0 / 1, on the TX ring and on the RX ring.
    for idx, what in ((1, "TX"), (0, "RX")):
        sl.check(fe.acked(vp.SET_VRING_ENABLE, fe.state(idx, 0)) == 0,
                 "SET_VRING_ENABLE(%d, 0) acked 0" % idx)
        sl.check(not echo_once(fe, 10 + idx, expect=False),
                 "with the %s ring disabled nothing comes back" % what)
        sl.check(fe.acked(vp.SET_VRING_ENABLE, fe.state(idx, 1)) == 0,
                 "SET_VRING_ENABLE(%d, 1) acked 0" % idx)
        sl.check(echo_once(fe, 20 + idx), "enabled again, the %s ring "
                 "forwards" % what)

    # GET_VRING_BASE stops the ring and returns the next avail index.
    tx = fe.ring(1)
    fe.send(vp.GET_VRING_BASE, fe.state(1, 0))
    req, flags, p = fe.recv()
    sl.check(req == vp.GET_VRING_BASE and flags == 0x5 and len(p) == 8,
             "GET_VRING_BASE reply: request %d, flags 0x%x, %d bytes (want "
             "11, 0x5, 8)" % (req, flags, len(p)))
    idx, base = struct.unpack("<II", p)
    sl.check(idx == 1 and base == tx.avail_idx,
             "GET_VRING_BASE(1) returns ring 1, next avail index %d (want "
             "%d)" % (base, tx.avail_idx))
    tx.add(vp.frame(BCAST, MAC, 99))
    tx.do_kick()
    time.sleep(0.5)
    sl.check(tx.take_used() == [] and rx.take_used() == [],
             "a kick after GET_VRING_BASE produces nothing (ring stopped)")
    # Set the ring up again from that base: the waiting frame goes out.
    old_kick = tx.kick
    tx.kick = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
    os.close(old_kick)
    sl.check(fe.acked(vp.SET_VRING_BASE, fe.state(1, base)) == 0 and
             fe.acked(vp.SET_VRING_KICK, fe.u64(1), [tx.kick]) == 0,
             "SET_VRING_BASE and a new SET_VRING_KICK acked 0")
    tx.do_kick()
    sent = wait_used(tx, 1)
    got = wait_used(rx, 1)
    for _ in got:
        rx.add()
    sl.check(len(sent) == 1 and len(got) == 1 and
             got[0][2][vp.HDR_LEN + 14:vp.HDR_LEN + 18] ==
             struct.pack("<I", 99), "restarted at base %d, the waiting frame "
             "is taken and comes back" % base)

    # GET_VRING_BASE on the RX ring: the buffers the switch has taken.
    fe.send(vp.GET_VRING_BASE, fe.state(0, 0))
    req, flags, p = fe.recv()
    i, b = struct.unpack("<II", p)
    sl.check(flags == 0x5 and i == 0 and b == rx.used_seen,
             "GET_VRING_BASE(0) returns %d, the RX buffers used (%d)"
             % (b, rx.used_seen))
    sl.check(sw.alive(), "vmu-switch is still running")


if __name__ == "__main__":
    try:
        main()
    finally:
        sl.cleanup()
