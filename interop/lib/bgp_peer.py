"""A raw BGP speaker for tests: hand-built messages, including broken ones, from inside a
network namespace. It only ever talks to addresses inside the lab's namespaces."""
import ctypes
import os
import socket
import struct
import threading
import time

CLONE_NEWNET = 0x40000000
MARKER = b"\xff" * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE_REFRESH = 1, 2, 3, 4, 5


def in_netns(ns, fn):
    """Runs fn() on a thread that has entered network namespace `ns`; sockets it makes stay there."""
    result = {}

    def body():
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        with open(f"/var/run/netns/{ns}") as f:
            if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
                result["error"] = OSError(ctypes.get_errno(), "setns")
                return
        try:
            result["value"] = fn()
        except Exception as e:  # noqa: BLE001 - handed to the caller
            result["error"] = e

    t = threading.Thread(target=body)
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def message(kind, body=b""):
    return MARKER + struct.pack("!HB", 19 + len(body), kind) + body


def attr(flags, kind, value):
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, kind, len(value)) + value
    return struct.pack("!BBB", flags, kind, len(value)) + value


def origin(v=0):
    return attr(0x40, 1, bytes([v]))


def as_path(*asns):
    if not asns:
        return attr(0x40, 2, b"")
    return attr(0x40, 2, bytes([2, len(asns)]) + b"".join(struct.pack("!I", a) for a in asns))


def next_hop(addr):
    return attr(0x40, 3, socket.inet_aton(addr))


def communities(*pairs):
    return attr(0xC0, 8, b"".join(struct.pack("!HH", a, b) for a, b in pairs))


def prefix(text):
    net, length = text.split("/")
    length = int(length)
    raw = socket.inet_aton(net)
    return bytes([length]) + raw[: (length + 7) // 8]


def update(withdrawn=b"", attrs=b"", nlri=b""):
    return message(UPDATE, struct.pack("!H", len(withdrawn)) + withdrawn + struct.pack("!H", len(attrs)) + attrs + nlri)


def open_message(asn, router_id, hold=90, four_octet=True, families=((1, 1),), extra_caps=b""):
    caps = b""
    for afi, safi in families:
        caps += bytes([1, 4]) + struct.pack("!HBB", afi, 0, safi)
    caps += bytes([2, 0])
    if four_octet:
        caps += bytes([65, 4]) + struct.pack("!I", asn)
    caps += extra_caps
    params = bytes([2, len(caps)]) + caps
    my_as = asn if asn <= 0xFFFF else 23456
    body = struct.pack("!BHH", 4, my_as, hold) + socket.inet_aton(router_id) + bytes([len(params)]) + params
    return message(OPEN, body)


class Closed(Exception):
    pass


class RawPeer:
    def __init__(self, ns, local, remote, port=179, timeout=10, rcvbuf=None):
        self.sock = in_netns(ns, lambda: self._connect(local, remote, port, timeout, rcvbuf))
        self.buf = b""

    @staticmethod
    def _connect(local, remote, port, timeout, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: the window it offers
        s.settimeout(timeout)
        s.bind((local, 0))
        s.connect((remote, port))
        return s

    def send(self, data):
        self.sock.sendall(data)

    def recv(self, timeout=10):
        """The next message as (type, body); raises Closed when the gateway closes."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 19:
                length = struct.unpack("!H", self.buf[16:18])[0]
                if len(self.buf) >= length:
                    msg, self.buf = self.buf[:length], self.buf[length:]
                    return msg[18], msg[19:]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no BGP message from the gateway")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                raise Closed("connection reset") from None
            if not chunk:
                raise Closed("connection closed")
            self.buf += chunk

    def recv_until(self, kind, timeout=10):
        """Skips KEEPALIVEs (and others) until a message of `kind`."""
        deadline = time.monotonic() + timeout
        while True:
            t, body = self.recv(max(0.1, deadline - time.monotonic()))
            if t == kind:
                return body
            if t == NOTIFICATION and kind != NOTIFICATION:
                raise AssertionError(f"unexpected NOTIFICATION {body[0]}/{body[1]} data {body[2:].hex()}")

    def expect_notification(self, timeout=10):
        body = self.recv_until(NOTIFICATION, timeout)
        return body[0], body[1], body[2:]

    def establish(self, asn, router_id, hold=90, **kw):
        self.send(open_message(asn, router_id, hold, **kw))
        self.recv_until(OPEN)
        self.send(message(KEEPALIVE))
        self.recv_until(KEEPALIVE)
        return self

    def closed_soon(self, timeout=5):
        """True when the gateway closes the connection within `timeout` without more talk."""
        try:
            while True:
                self.recv(timeout)
        except Closed:
            return True
        except TimeoutError:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def as_path2(*asns):
    """AS_PATH as a 2-octet speaker writes it (RFC 6793: AS_TRANS for wide ASNs)."""
    return attr(0x40, 2, bytes([2, len(asns)]) + b"".join(struct.pack("!H", a if a <= 0xFFFF else 23456) for a in asns))


def as4_path(*asns):
    return attr(0xC0, 17, bytes([2, len(asns)]) + b"".join(struct.pack("!I", a) for a in asns))


def local_pref(v):
    return attr(0x40, 5, struct.pack("!I", v))


def route_refresh(afi=1, safi=1):
    return message(ROUTE_REFRESH, struct.pack("!HBB", afi, 0, safi))


def parse_update(body):
    """(withdrawn prefixes, {type: (flags, value)}, announced prefixes) of an IPv4 UPDATE body."""
    def prefixes(raw):
        out, i = [], 0
        while i < len(raw):
            n = raw[i]
            b = (n + 7) // 8
            out.append(socket.inet_ntoa(raw[i + 1:i + 1 + b] + b"\0" * (4 - b)) + f"/{n}")
            i += 1 + b
        return out

    wl = struct.unpack("!H", body[:2])[0]
    withdrawn = prefixes(body[2:2 + wl])
    al = struct.unpack("!H", body[2 + wl:4 + wl])[0]
    raw, attrs, i = body[4 + wl:4 + wl + al], {}, 0
    while i < len(raw):
        flags, kind = raw[i], raw[i + 1]
        if flags & 0x10:
            length, i = struct.unpack("!H", raw[i + 2:i + 4])[0], i + 4
        else:
            length, i = raw[i + 2], i + 3
        attrs[kind] = (flags, raw[i:i + length])
        i += length
    return withdrawn, attrs, prefixes(body[4 + wl + al:])


def sniff_ttls(ns, ifname, src, sport, duration=3.0):
    """TTLs of the IPv4 TCP segments from src:sport seen on `ifname` in `ns` for `duration`."""
    def run():
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        s.bind((ifname, 0))
        s.settimeout(0.2)
        ttls, end = [], time.monotonic() + duration
        while time.monotonic() < end:
            try:
                frame = s.recv(65535)
            except socket.timeout:
                continue
            ip = frame[14:]
            if len(ip) < 24 or ip[9] != 6 or socket.inet_ntoa(ip[12:16]) != src:
                continue
            ihl = (ip[0] & 0x0F) * 4
            if struct.unpack("!H", ip[ihl:ihl + 2])[0] == sport:
                ttls.append(ip[8])
        s.close()
        return ttls

    return in_netns(ns, run)


def listen_in(ns, addr, port=179, timeout=20):
    """A listening TCP socket at addr:port inside namespace `ns` (to accept the gateway's connects)."""
    def make():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(4)
        s.settimeout(timeout)
        return s

    return in_netns(ns, make)
