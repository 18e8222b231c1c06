#!/usr/bin/env python3
"""echo-peer.py PORT [echo|macswap|corrupt|drop] - echo peer for the firmware's
net-echo test under QEMU -netdev socket,connect=127.0.0.1:PORT. Reads QEMU's
4-byte big-endian length + frame and writes the frame back (macswap: with
the MACs swapped; corrupt: flips payload byte 40 of frame 5; drop: drops
frame 5). Serves one connection, then exits."""
import socket, struct, sys
port = int(sys.argv[1])
mode = sys.argv[2] if len(sys.argv) > 2 else "echo"
swap = mode == "macswap"
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(1)
c, _ = s.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""; n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    buf += d
    out = b""
    while len(buf) >= 4:
        ln = struct.unpack(">I", buf[:4])[0]
        if len(buf) < 4 + ln:
            break
        f = buf[4:4 + ln]; buf = buf[4 + ln:]
        if mode == "corrupt" and n == 5:
            f = f[:40] + bytes([f[40] ^ 1]) + f[41:]
        if mode == "drop" and n == 5:
            n += 1; continue
        if swap:
            f = f[6:12] + f[0:6] + f[12:]
        out += struct.pack(">I", len(f)) + f; n += 1
    if out:
        c.sendall(out)
print("echo peer: %d frames" % n, file=sys.stderr)
