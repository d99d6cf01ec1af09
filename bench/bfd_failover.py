#!/usr/bin/env python3
"""Failover under load: ROUTES /32s from 4 peers (4-way ECMP), one peer's BFD goes silent.

The gateway runs Ridgeline's bgpd (programming its kernel) and bfdd, BFD 300 ms x 3 to every
node. Each node namespace runs a raw BGP injector of ours (pre-encoded, packed UPDATEs, about 800
/32s each) and a bfdd of ours that answers BFD. When everything is installed, node 4's bfdd is
frozen (SIGSTOP). Measured, per run:
  - BFD Down -> kernel fixed: from the gateway bfdd's "Up -> Down" log line to the nexthop
    group update, as a netlink listener in the gateway namespace receives it (every route points
    at that group, so that one update fixes all of them);
  - freeze -> kernel fixed, for reference (includes the detection time).
With the kernel's default net.ipv4.nexthop_compat_mode=1, replacing a group also walks every route
that uses it to notify listeners before the nexthop notification goes out, so the time seen is
that walk's end, not the (earlier) moment forwarding changed; COMPAT=0 in the environment sets
the sysctl to 0 in the gateway namespace (as the fib block's `kernel nexthop-compat-mode off` does),
which removes the walk.
Usage: sudo [COMPAT=0] bench/bfd_failover.py [ROUTES=100000] [RUNS=3]
"""
import datetime
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "interop", "lib"))
from bgp_peer import RawPeer, as_path, next_hop, origin, update  # noqa: E402
from lab import BUILD_BIN, Lab, sh, wait_until  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "bench"))
from kernel_view import RTNLGRP_NEXTHOP, subscribe  # noqa: E402

GATEWAY = """hostname gw
router bgp 64512
 bgp router-id 10.0.1.1
 bgp bestpath as-path multipath-relax
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor NODES bfd profile metallb
 bgp listen range 10.0.1.0/24 peer-group NODES
 address-family ipv4 unicast
  neighbor NODES prefix-list POOL in
  maximum-paths 64
 exit-address-family
exit
ip prefix-list POOL seq 10 permit 10.0.0.0/8 le 32
bfd
 profile metallb
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 exit
exit
"""

NODE_BFD = """bfd
 peer 10.0.1.1
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 exit
exit
"""


def stamp(text):
    """A wall-clock timestamp from a spdlog line, '[2026-12-01 12:02:15.294] ...'."""
    m = re.search(r"\[(\d+-\d+-\d+)[ T](\d+:\d+:\d+\.\d+)\]", text)
    return datetime.datetime.strptime(f"{m.group(1)} {m.group(2)}", "%Y-%m-%d %H:%M:%S.%f").timestamp()


def updates(asn, addr, routes):
    attrs = origin(0) + as_path(asn) + next_hop(addr)
    per = (4096 - 19 - 4 - len(attrs)) // 5
    out = []
    for start in range(0, routes, per):
        nlri = b"".join(bytes([32, 10, 128 + (i >> 16), (i >> 8) & 0xff, i & 0xff])
                        for i in range(start, min(routes, start + per)))
        out.append(update(attrs=attrs, nlri=nlri))
    out.append(update())  # End-of-RIB
    return b"".join(out)


class NexthopListener(threading.Thread):
    """RTNLGRP_NEXTHOP notifications in a namespace, each with the wall-clock time it arrived."""

    def __init__(self, ns):
        super().__init__(daemon=True)

        self.sock = subscribe(ns, (RTNLGRP_NEXTHOP,), timeout=0.2)  # subscribed before start(): nothing is missed
        self.events = []  # (time, message type, nexthop id)
        self.done = threading.Event()
        self.watch_for = None  # a nexthop id: `seen` is set when an update of it arrives
        self.seen = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                continue
            now = time.time()
            off = 0
            while off + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, off)
                attr = off + 16 + 8  # nlmsghdr, nhmsg
                nhid = None
                while attr + 4 <= off + length:
                    alen, atype = struct.unpack_from("=HH", data, attr)
                    if atype == 1 and alen >= 8:  # NHA_ID
                        nhid = struct.unpack_from("=I", data, attr + 4)[0]
                    attr += (alen + 3) & ~3
                self.events.append((now, kind, nhid))
                if kind == 104 and nhid is not None and nhid == self.watch_for:
                    self.seen.set()
                off += (length + 3) & ~3

    def stop(self):
        self.done.set()
        self.join(timeout=5)
        self.sock.close()


def group_members(ns, route):
    r = json.loads(sh("ip", "-n", ns, "-j", "route", "show", route, capture=True).stdout or "[]")
    if not r or "nhid" not in r[0]:
        return r[0]["nhid"] if r else None, []
    g = json.loads(sh("ip", "-n", ns, "-j", "nexthop", "show", "id", str(r[0]["nhid"]), capture=True).stdout)
    return r[0]["nhid"], [m["id"] for m in g[0].get("group", [])]


def route_count(ns):
    out = subprocess.run(["ip", "-n", ns, "route", "show", "proto", "bgp"], capture_output=True, text=True).stdout
    return out.count("\n")


def connect(node):
    try:
        return RawPeer(node["ns"], node["addr"], "10.0.1.1", timeout=3)
    except OSError:
        return None


def run_once(routes):
    with Lab("bfdbench") as lab:
        conf = GATEWAY
        if os.environ.get("COMPAT") == "0":
            conf += "fib\n kernel nexthop-compat-mode off\nexit\n"
        bfd = lab.start_bfdd(conf)
        gw = lab.start_bgpd(conf, fib=True)
        node_bfdd = {}
        for i in range(4):
            name, host = f"n{i + 1}", 11 + i
            node = lab.add_node(name, host)
            d = lab.path(name, "bfd", "x")[:-2]
            with open(os.path.join(d, "ridgeline.conf"), "w") as f:
                f.write(NODE_BFD)
            node_bfdd[name] = lab.spawn(node["ns"], [os.path.join(BUILD_BIN, "bfdd"), "-f", os.path.join(d, "ridgeline.conf"),
                                                     "--run-dir", d, "--log-level", "warn"], os.path.join(d, "log"))
        peers = []
        for i in range(4):
            node = lab.nodes[f"n{i + 1}"]
            p = wait_until(f"{node['addr']} to connect", lambda: connect(node), timeout=30, interval=0.5)
            p.establish(64601 + i, node["addr"])
            p.send(updates(64601 + i, node["addr"], routes))
            peers.append(p)
        last = f"10.{128 + ((routes - 1) >> 16)}.{((routes - 1) >> 8) & 0xff}.{(routes - 1) & 0xff}"
        wait_until(f"{routes} routes over 4 next hops", lambda: len(group_members(lab.gw, last)[1]) == 4 and
                   route_count(lab.gw) >= routes, timeout=120, interval=1, on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
        wait_until("BFD Up to the 4 nodes", lambda: sum(p["state"] == "Up" for p in bfd.peers()) == 4, timeout=60,
                   on_timeout=bfd.logs)
        nhid, _ = group_members(lab.gw, last)
        listener = NexthopListener(lab.gw)
        listener.watch_for = nhid
        listener.start()
        frozen = time.time()
        node_bfdd["n4"].send_signal(signal.SIGSTOP)
        try:
            # Blocked on the listener (no polling meanwhile, so that its clock reading is not delayed).
            if not listener.seen.wait(timeout=10):
                raise AssertionError("no update of the nexthop group within 10 s: " + bfd.logs())
        finally:
            node_bfdd["n4"].send_signal(signal.SIGCONT)
        listener.stop()
        members = group_members(lab.gw, last)[1]
        if len(members) != 3:
            raise AssertionError(f"the group has {len(members)} members after the failover, not 3")
        down = [ln for ln in bfd.log_text().splitlines() if "bfd 10.0.1.14: Up -> Down" in ln]
        if not down:
            raise AssertionError("no BFD Down in the gateway's bfdd log")
        t_down = stamp(down[0])
        told = [ln for ln in gw.log_text().splitlines() if "10.0.1.14: BFD down" in ln]
        t_bgpd = stamp(told[0]) if told else float("nan")
        shrunk = [ln for ln in gw.log_text().splitlines() if "fib: next hop 10.0.1.14 is down" in ln]
        print("  " + (shrunk[0].split("] ", 2)[-1] if shrunk else "(no fib line)"))
        t_fixed = next(t for t, kind, i in listener.events if i == nhid and kind == 104)  # RTM_NEWNEXTHOP
        # The RIB's own withdrawals follow; they must not rewrite what the group replace fixed.
        wait_until("every route still installed", lambda: route_count(lab.gw) >= routes, timeout=30, interval=0.5)
        same = group_members(lab.gw, last)[0] == nhid
        for p in peers:
            p.close()
        return (t_fixed - t_down) * 1000, (t_fixed - frozen) * 1000, same, (t_bgpd - t_down) * 1000


def main():
    routes = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, {cpu}, kernel {os.uname().release}")
    compat = os.environ.get("COMPAT", "1 (default)")
    print(f"{routes} /32 x 4 peers, BFD 300 ms x 3, one peer's bfdd frozen; {runs} runs; nexthop_compat_mode {compat}")
    results = []
    for i in range(runs):
        d, f, same, told = run_once(routes)
        results.append((d, f))
        print(f"run {i + 1}: BFD Down -> kernel fixed {d:.1f} ms (bgpd told after {told:.0f} ms); "
              f"freeze -> kernel fixed {f:.0f} ms; group replaced in place: {same}")
    print(f"median: BFD Down -> kernel fixed {statistics.median(r[0] for r in results):.1f} ms, "
          f"freeze -> fixed {statistics.median(r[1] for r in results):.0f} ms")


if __name__ == "__main__":
    main()
