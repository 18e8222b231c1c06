"""
A vhost-user front-end in Python for protocol-level tests: raw messages
(header, payload, fds via socket.send_fds/recv_fds), guest memory in a
memfd, split rings laid out by hand.  No EVENT_IDX: the test polls the
used rings itself.
"""
import ctypes
import mmap
import os
import select
import socket
import struct
import time

# Front-end request codes (the spec's numbering).  Our own copy, written
# from the spec and not from include/net/vhost-user-proto.h's table: an
# independent check of the back-ends and of vmu.
GET_FEATURES = 1
SET_FEATURES = 2
SET_OWNER = 3
SET_MEM_TABLE = 5
SET_VRING_NUM = 8
SET_VRING_ADDR = 9
SET_VRING_BASE = 10
GET_VRING_BASE = 11
SET_VRING_KICK = 12
SET_VRING_CALL = 13
GET_PROTOCOL_FEATURES = 15
SET_PROTOCOL_FEATURES = 16
GET_QUEUE_NUM = 17
SET_VRING_ENABLE = 18
GET_MAX_MEM_SLOTS = 36
SET_STATUS = 39
GET_STATUS = 40

VERSION = 0x1
REPLY = 0x4
NEED_REPLY = 0x8
NOFD = 1 << 8

F_MRG_RXBUF = 15
F_MQ = 22
F_PROTOCOL_FEATURES = 30
F_VERSION_1 = 32
PF_MQ = 0
PF_REPLY_ACK = 3
PF_CONFIGURE_MEM_SLOTS = 15
PF_STATUS = 16

DESC_F_NEXT = 1
DESC_F_WRITE = 2

MEM_SIZE = 4 << 20
GPA_BASE = 0x100000
QSIZE = 64
RING_AREA = 0x4000
BUF_BASE = 1 << 20
BUF_SIZE = 2048
HDR_LEN = 12            # virtio_net_hdr_mrg_rxbuf (VERSION_1)


class ProtocolError(Exception):
    pass


class Ring:
    def __init__(self, peer, idx):
        self.peer = peer
        self.idx = idx
        self.off = idx * RING_AREA
        self.desc = self.off
        self.avail = self.off + 0x1000
        self.used = self.off + 0x2000
        self.avail_idx = 0
        self.used_seen = 0
        self.kick = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self.call = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)

    def buf_off(self, i):
        return BUF_BASE + (self.idx * QSIZE + i) * BUF_SIZE

    def add(self, data=None, length=BUF_SIZE):
        """Make one buffer available: device-readable data, or a
        device-writable buffer of length bytes."""
        m = self.peer.mem
        i = self.avail_idx % QSIZE
        boff = self.buf_off(i)
        if data is not None:
            m[boff:boff + len(data)] = data
            desc = struct.pack("<QIHH", GPA_BASE + boff, len(data), 0, 0)
        else:
            desc = struct.pack("<QIHH", GPA_BASE + boff, length,
                               DESC_F_WRITE, 0)
        m[self.desc + 16 * i:self.desc + 16 * i + 16] = desc
        struct.pack_into("<H", m, self.avail + 4 + 2 * i, i)
        self.avail_idx = (self.avail_idx + 1) & 0xffff
        struct.pack_into("<H", m, self.avail + 2, self.avail_idx)

    def do_kick(self):
        os.eventfd_write(self.kick, 1)

    def used_idx(self):
        return struct.unpack_from("<H", self.peer.mem, self.used + 2)[0]

    def take_used(self):
        """[(desc id, len, bytes written)] new in the used ring."""
        out = []
        m = self.peer.mem
        while self.used_seen != self.used_idx():
            e = self.used + 4 + 8 * (self.used_seen % QSIZE)
            did, ln = struct.unpack_from("<II", m, e)
            boff = self.buf_off(did % QSIZE)
            out.append((did, ln, bytes(m[boff:boff + min(ln, BUF_SIZE)])))
            self.used_seen = (self.used_seen + 1) & 0xffff
        return out

    def close(self):
        os.close(self.kick)
        os.close(self.call)


class Peer:
    def __init__(self, path, timeout=5):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        end = time.time() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(3)
        self.memfd = os.memfd_create("guest", os.MFD_CLOEXEC)
        os.ftruncate(self.memfd, MEM_SIZE)
        self.mem = mmap.mmap(self.memfd, MEM_SIZE, mmap.MAP_SHARED,
                             mmap.PROT_READ | mmap.PROT_WRITE)
        self._addr = ctypes.c_char.from_buffer(self.mem)
        self.uva = ctypes.addressof(self._addr)
        self.rings = {}

    # ---- messages ----
    def send(self, req, payload=b"", fds=(), flags=0):
        hdr = struct.pack("<III", req, VERSION | flags, len(payload))
        socket.send_fds(self.sock, [hdr + payload], list(fds))

    def _recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk, fds, _, _ = socket.recv_fds(self.sock, n - len(data), 8)
            for fd in fds:
                os.close(fd)
            if not chunk:
                raise ProtocolError("%s: the back-end closed the connection"
                                    % self.path)
            data += chunk
        return data

    def recv(self):
        """(request, flags, payload) of the next message from the
        back-end."""
        req, flags, size = struct.unpack("<III", self._recv_exact(12))
        return req, flags, self._recv_exact(size) if size else b""

    def pending(self, wait=0.2):
        r, _, _ = select.select([self.sock], [], [], wait)
        return bool(r)

    def get_u64(self, req):
        """Send a GET_* request; returns (flags, size, value)."""
        self.send(req)
        rreq, flags, payload = self.recv()
        if rreq != req:
            raise ProtocolError("reply to request %d has request code %d"
                                % (req, rreq))
        val = struct.unpack("<Q", payload)[0] if len(payload) == 8 else None
        return flags, len(payload), val

    def acked(self, req, payload=b"", fds=()):
        """Send with NEED_REPLY; returns the u64 ack (0 = success)."""
        self.send(req, payload, fds, NEED_REPLY)
        rreq, flags, p = self.recv()
        if rreq != req or flags != VERSION | REPLY or len(p) != 8:
            raise ProtocolError("ack to request %d: request %d flags 0x%x "
                                "size %d" % (req, rreq, flags, len(p)))
        return struct.unpack("<Q", p)[0]

    # ---- payloads ----
    @staticmethod
    def u64(v):
        return struct.pack("<Q", v)

    @staticmethod
    def state(idx, num):
        return struct.pack("<II", idx, num)

    def mem_table(self, size=MEM_SIZE):
        return struct.pack("<II", 1, 0) + struct.pack(
            "<QQQQ", GPA_BASE, size, self.uva, 0)

    # ---- set-up ----
    def ring(self, idx):
        if idx not in self.rings:
            self.rings[idx] = Ring(self, idx)
        return self.rings[idx]

    def start_ring(self, idx):
        """NUM, ADDR, BASE, CALL, KICK, ENABLE, each acknowledged."""
        r = self.ring(idx)
        u = self.uva
        addr = struct.pack("<IIQQQQ", idx, 0, u + r.desc, u + r.used,
                           u + r.avail, 0)
        acks = [self.acked(SET_VRING_NUM, self.state(idx, QSIZE)),
                self.acked(SET_VRING_ADDR, addr),
                self.acked(SET_VRING_BASE, self.state(idx, r.avail_idx)),
                self.acked(SET_VRING_CALL, self.u64(idx), [r.call]),
                self.acked(SET_VRING_KICK, self.u64(idx), [r.kick]),
                self.acked(SET_VRING_ENABLE, self.state(idx, 1))]
        return acks

    def close(self):
        for r in self.rings.values():
            r.close()
        self.rings = {}
        self.sock.close()
        del self._addr
        self.mem.close()
        os.close(self.memfd)


def frame(dst, src, n, size=60):
    """A virtio-net header and an Ethernet frame with a counter."""
    body = bytes(dst) + bytes(src) + b"\x88\xb5" + struct.pack("<I", n)
    body += bytes(size - len(body))
    return bytes(HDR_LEN) + body
