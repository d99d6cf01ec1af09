"""What a network namespace's kernel FIB holds, read over rtnetlink from Python, for the side-by-side
benchmarks: the FIB entry matching one address (with its next hops, through nexthop objects,
RTA_MULTIPATH or a single gateway), a full dump of IPv4 routes as {prefix: gateways}, and the
prefix count of /proc/net/fib_triestat (cheap enough to poll). Sockets are made inside the
namespace (see bgp_peer.in_netns) and used from any thread."""
import socket
import struct

from bgp_peer import in_netns

NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWROUTE, RTM_GETROUTE, RTM_NEWNEXTHOP, RTM_GETNEXTHOP = 24, 26, 104, 106
RTA_DST, RTA_GATEWAY, RTA_MULTIPATH, RTA_TABLE, RTA_NH_ID = 1, 5, 9, 15, 30
NHA_ID, NHA_GROUP, NHA_GATEWAY = 1, 2, 6
RTM_F_FIB_MATCH = 0x2000
RTNLGRP_IPV4_ROUTE, RTNLGRP_NEXTHOP = 7, 32
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP = 270, 1


def subscribe(ns, groups, rcvbuf=None, timeout=0.1):
    """A netlink socket in namespace `ns` that receives the given rtnetlink notification groups."""
    def make():
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.bind((0, 0))
        for group in groups:
            s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group)
        s.settimeout(timeout)
        return s

    return in_netns(ns, make)


def _attrs(data, off, end):
    while off + 4 <= end:
        alen, atype = struct.unpack_from("=HH", data, off)
        if alen < 4:
            break
        yield atype & 0x3FFF, off + 4, off + alen
        off += (alen + 3) & ~3


class KernelView:
    def __init__(self, ns):
        def make():
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
            s.bind((0, 0))
            return s, open("/proc/thread-self/net/fib_triestat")

        self.sock, self.triestat = in_netns(ns, make)
        self.seq = 0

    def close(self):
        self.sock.close()
        self.triestat.close()

    # --- requests ---
    def _request(self, kind, flags, body):
        self.seq += 1
        self.sock.send(struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | flags, self.seq, 0) + body)
        return self.seq

    def _replies(self, seq, dump):
        """Yields (type, data, offset of the payload, end) until the answer to `seq` is complete."""
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, kind, _flags, s, _pid = struct.unpack_from("=IHHII", data, off)
                if length < 16:
                    return
                if s == seq:
                    if kind == NLMSG_DONE:
                        return
                    if kind == NLMSG_ERROR:
                        if not dump:
                            return
                    else:
                        yield kind, data, off + 16, off + length
                        if not dump:
                            return
                off += (length + 3) & ~3

    def prefix_count(self):
        """Prefixes in the main table, as /proc/net/fib_triestat counts them (cheap to poll)."""
        self.triestat.seek(0)
        text = self.triestat.read()
        main = text.split("Main:")[1] if "Main:" in text else text
        for line in main.splitlines():
            if line.strip().startswith("Prefixes:"):
                return int(line.split()[1])
        return 0

    def nexthops(self):
        """{nexthop id: gateway text or list of member ids}."""
        out = {}
        seq = self._request(RTM_GETNEXTHOP, NLM_F_DUMP, struct.pack("=BBBBI", socket.AF_UNSPEC, 0, 0, 0, 0))
        for kind, data, off, end in self._replies(seq, True):
            if kind != RTM_NEWNEXTHOP:
                continue
            nhid, gw, group = None, None, None
            for t, a, b in _attrs(data, off + 8, end):
                if t == NHA_ID:
                    nhid = struct.unpack_from("=I", data, a)[0]
                elif t == NHA_GATEWAY and b - a == 4:
                    gw = socket.inet_ntoa(data[a:b])
                elif t == NHA_GROUP:
                    group = [struct.unpack_from("=I", data, i)[0] for i in range(a, b, 8)]
            out[nhid] = group if group is not None else gw
        return out

    @staticmethod
    def _route_gateways(data, off, end):
        """(prefix text, set of gateways or ('nhid', id)) of one RTM_NEWROUTE, or None."""
        family, dst_len, _src_len, _tos, table, _proto, _scope, kind, _flags = struct.unpack_from("=BBBBBBBBI", data,
                                                                                                   off)
        if family != socket.AF_INET or kind != 1:  # RTN_UNICAST only
            return None
        dst, gws, nhid = "0.0.0.0", set(), None
        for t, a, b in _attrs(data, off + 12, end):
            if t == RTA_DST:
                dst = socket.inet_ntoa(data[a:b])
            elif t == RTA_TABLE:
                table = struct.unpack_from("=I", data, a)[0]
            elif t == RTA_GATEWAY:
                gws.add(socket.inet_ntoa(data[a:b]))
            elif t == RTA_NH_ID:
                nhid = struct.unpack_from("=I", data, a)[0]
            elif t == RTA_MULTIPATH:
                i = a
                while i + 8 <= b:
                    rtnh_len = struct.unpack_from("=H", data, i)[0]
                    for t2, a2, b2 in _attrs(data, i + 8, i + rtnh_len):
                        if t2 == RTA_GATEWAY:
                            gws.add(socket.inet_ntoa(data[a2:b2]))
                    i += (rtnh_len + 3) & ~3
        if table != 254:
            return None
        return f"{dst}/{dst_len}", (("nhid", nhid) if nhid is not None else gws)

    def _resolve(self, via, nexthops):
        if not (isinstance(via, tuple) and via[0] == "nhid"):
            return via
        nh = nexthops.get(via[1])
        if isinstance(nh, list):
            return {nexthops.get(m) for m in nh}
        return {nh} if nh else set()

    def route(self, address, nexthops=None):
        """The FIB entry that matches `address`: (prefix, set of gateways), or None."""
        body = struct.pack("=BBBBBBBBI", socket.AF_INET, 32, 0, 0, 0, 0, 0, 0, RTM_F_FIB_MATCH)
        body += struct.pack("=HH", 8, RTA_DST) + socket.inet_aton(address)
        seq = self._request(RTM_GETROUTE, 0, body)
        for kind, data, off, end in self._replies(seq, False):
            if kind == RTM_NEWROUTE:
                r = self._route_gateways(data, off, end)
                if r is None:
                    return None
                via = r[1]
                if isinstance(via, tuple):
                    nh = self.nexthop(via[1])
                    via = {self.nexthop(m) for m in nh} if isinstance(nh, list) else {nh}
                return r[0], via
        return None

    def nexthop(self, nhid):
        seq = self._request(RTM_GETNEXTHOP, 0, struct.pack("=BBBBI", socket.AF_UNSPEC, 0, 0, 0, 0) +
                            struct.pack("=HHI", 8, NHA_ID, nhid))
        for kind, data, off, end in self._replies(seq, False):
            if kind != RTM_NEWNEXTHOP:
                return None
            group, gw = None, None
            for t, a, b in _attrs(data, off + 8, end):
                if t == NHA_GROUP:
                    group = [struct.unpack_from("=I", data, i)[0] for i in range(a, b, 8)]
                elif t == NHA_GATEWAY and b - a == 4:
                    gw = socket.inet_ntoa(data[a:b])
            return group if group is not None else gw
        return None

    def routes(self, within=None):
        """Every IPv4 unicast route of the main table: {prefix text: set of gateways}. `within`: a
        function of the prefix text that keeps it."""
        nexthops = self.nexthops()
        out = {}
        body = struct.pack("=BBBBBBBBI", socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0)
        seq = self._request(RTM_GETROUTE, NLM_F_DUMP, body)
        for kind, data, off, end in self._replies(seq, True):
            if kind != RTM_NEWROUTE:
                continue
            r = self._route_gateways(data, off, end)
            if r is None or (within and not within(r[0])):
                continue
            out[r[0]] = self._resolve(r[1], nexthops)
        return out
