"""A QMP client for vmu's tests (a real socket peer): the greeting,
negotiation, commands with their replies, events kept aside in order.
Python 3 standard library only."""
import json
import os
import select
import socket
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.timeout = timeout
        self.buf = b""
        self.events = []
        self.greeting = self.recv()

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def recv(self, timeout=None):
        """The next JSON value, whatever it is (None: the peer closed)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError("no reply within %s s" % (timeout or
                                                         self.timeout))
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def reply(self, timeout=None):
        """The next reply, events kept in self.events."""
        while True:
            msg = self.recv(timeout)
            if msg is None:
                raise QMPError("the connection closed")
            if "event" in msg:
                self.events.append(msg)
                continue
            return msg

    def cmd_raw(self, name, args=None, **extra):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        req.update(extra)
        self.send_raw(json.dumps(req))
        return self.reply()

    def cmd(self, name, args=None):
        r = self.cmd_raw(name, args)
        if "return" not in r:
            raise QMPError("%s: %s" % (name, r))
        return r["return"]

    def negotiate(self):
        return self.cmd("qmp_capabilities")

    def event(self, name, timeout=None):
        """Wait for event name (taking it and those before it)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    del self.events[:i + 1]
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError("no %s event within the deadline" % name)
            msg = self.recv(left)
            if msg is None:
                raise QMPError("closed while waiting for %s" % name)
            if "event" in msg:
                self.events.append(msg)

    def close(self):
        self.sock.close()


class Terminal:
    """A person at vmu's stdio (a Popen with stdin and stdout pipes)."""

    def __init__(self, proc):
        self.proc = proc
        self.out = b""

    def type(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_until(self, text, timeout=60):
        """What came up to and including text (QMPError if it does not)."""
        deadline = time.monotonic() + timeout
        while text not in self.out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError("no %r on the terminal: %r" %
                               (text, self.out[-300:]))
            r, _, _ = select.select([self.proc.stdout], [], [], min(left, 1))
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    raise QMPError("vmu closed stdout: %r" % self.out[-300:])
                self.out += chunk
        i = self.out.index(text) + len(text)
        got, self.out = self.out[:i], self.out[i:]
        return got
