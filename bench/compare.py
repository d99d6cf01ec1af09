#!/usr/bin/env python3
"""Ridgeline, FRR 8.4 (zebra + bgpd + bfdd) and BIRD 2 side by side, as the MetalLB gateway, in one
run (issue: performance). Each gateway runs in a network namespace with the equivalent config: a
listen range for the nodes, prefix-list 10.0.0.0/8 le 32 inbound, nothing exported to the nodes,
ECMP up to 64 paths, BFD 300 ms x 3 where the workload uses it. Ridgeline's has the fib block
of its shipped config (`kernel nexthop-compat-mode off`: a group replace does not also notify
every route that uses the group). The nodes are injectors of ours
(bgp_peer.RawPeer) that send pre-encoded, packed UPDATEs (about 800 /32 each), then a sentinel
10.255.255.255/32, then End-of-RIB; where BFD is used, a bfdd of ours answers it on each node.

Workloads (--workloads, default all but the slowest):
  1m-x1          1,000,000 /32 from 1 peer into the FIB
  100k-x4        100,000 /32 from 4 peers (4-way ECMP)
  1m-x4          1,000,000 /32 from 4 peers
  failover       100,000 /32 x 4 with BFD; node 4's bfdd frozen: freeze -> every route without it
  failover-10k, failover-1m   the same with 10,000 and 1,000,000 routes (flat or not)
  withdraw-1m    1,000,000 /32 x 4; node 4 withdraws all of them (UPDATE withdraws)
  peers-1000     1000 dynamic peers from one listen range, 10 /32 each (first connect -> all installed)
Install time: from the first UPDATE byte to the moment the sentinel has its next hops in the kernel
and the main table holds every route (fib_triestat's prefix count, polled every 20 ms). Failover
and withdraw: from the freeze (or the first withdraw byte) to the last kernel notification (routes
and nexthop objects) before 2 s of quiet. Every run then checks the whole FIB exactly: each
prefix with exactly the expected gateways. Peak RSS is VmHWM summed over the gateway's processes.
Runs are interleaved (ridgeline, frr, bird, ridgeline, ...); medians and ratios are printed and,
with --write, recorded in bench/RESULTS.md.

Environment: BENCH_TIMEOUT (s, default 300), BENCH_LOG_LEVEL (our daemons, default warn), BENCH_PERF=S
(perf record -a -g of the first S seconds of each install, in /tmp/perf-IMPL-WORKLOAD.data), BENCH_PERF_EVENT=S
(the same of the failover or withdraw event, in /tmp/perf-IMPL-WORKLOAD-event.data).
Usage: sudo bench/compare.py [--runs 3] [--workloads 1m-x1,100k-x4] [--impls ridgeline,frr,bird]
       [--scale 0.1] [--write]
"""
import argparse
import datetime
import json
import selectors
import os
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
sys.path.insert(0, os.path.join(ROOT, "bench"))
from bgp_peer import KEEPALIVE, RawPeer, as_path, in_netns, message, next_hop, open_message, origin, update  # noqa: E402
from kernel_view import RTNLGRP_IPV4_ROUTE, RTNLGRP_NEXTHOP, KernelView, subscribe  # noqa: E402
from lab import BFD_METALLB, BUILD_BIN, Lab, sh, wait_until  # noqa: E402

SENTINEL = "10.255.255.255"
GW = "10.0.1.1"

RIDGELINE = """hostname gw
router bgp 64512
 bgp router-id 10.0.1.1
 bgp bestpath as-path multipath-relax
 neighbor NODES peer-group
 neighbor NODES remote-as external
{bfd_neighbor} bgp listen range {listen} peer-group NODES
 address-family ipv4 unicast
  neighbor NODES prefix-list POOL in
  maximum-paths 64
 exit-address-family
exit
ip prefix-list POOL seq 10 permit 10.0.0.0/8 le 32
fib
 kernel nexthop-compat-mode off
{fib_extra}exit
{bfd}"""

FRR_BGPD = """hostname gw
log file {log}
bgp route-map delay-timer 0
router bgp 64512
 bgp router-id 10.0.1.1
 no bgp ebgp-requires-policy
 bgp bestpath as-path multipath-relax
 neighbor NODES peer-group
 neighbor NODES remote-as external
{bfd_neighbor} bgp listen range {listen} peer-group NODES
 bgp listen limit 5000
 address-family ipv4 unicast
  neighbor NODES route-map POOL-IN in
  neighbor NODES route-map NOTHING out
  maximum-paths 64
 exit-address-family
exit
ip prefix-list POOL seq 10 permit 10.0.0.0/8 le 32
route-map POOL-IN permit 10
 match ip address prefix-list POOL
exit
route-map NOTHING deny 10
exit
"""

BIRD = """router id 10.0.1.1;
log "{log}" all;
protocol device {{ }}
protocol kernel {{
  ipv4 {{ import none; export all; }};
  merge paths on limit 64;
}}
{bfd}
template bgp nodes {{
  local {local} as 64512;
  neighbor range {listen} external;
  dynamic name "node";
  {bfd_neighbor}
  ipv4 {{ import where net ~ [ 10.0.0.0/8{{8,32}} ]; export none; }};
}}
protocol bgp nodes_listen from nodes {{ }}
"""

BIRD_BFD = 'protocol bfd { interface "*" { min rx interval 300 ms; min tx interval 300 ms; multiplier 3; }; }'

NODE_BFD = "bfd\n peer 10.0.1.1\n  receive-interval 300\n  transmit-interval 300\n  detect-multiplier 3\n exit\nexit\n"

WORKLOADS = {
    "1m-x1": dict(routes=1_000_000, peers=1),
    "100k-x4": dict(routes=100_000, peers=4),
    "1m-x4": dict(routes=1_000_000, peers=4),
    "failover": dict(routes=100_000, peers=4, bfd=True, event="freeze"),
    "failover-10k": dict(routes=10_000, peers=4, bfd=True, event="freeze"),
    "failover-1m": dict(routes=1_000_000, peers=4, bfd=True, event="freeze"),
    "withdraw-1m": dict(routes=1_000_000, peers=4, event="withdraw"),
    # 1000 sessions from one listen range (10.2.0.0/22, all from one node namespace), 10 /32 each.
    "peers-1000": dict(routes=10, peers=1000, many=True),
}
MANY_SUBNET, MANY_GW = "10.2.0.0/22", "10.2.0.1"


def many_addr(j):
    return f"10.2.{(j + 2) >> 8}.{(j + 2) & 0xff}"


def many_open(j):
    """Peer j's OPEN: sent first, alone."""
    return open_message(64601 + j % 900, many_addr(j), hold=180)


def many_announcements(j, routes):
    """Peer j's KEEPALIVE, one UPDATE with its `routes` /32s (numbered from j * routes), then
    End-of-RIB: sent once the gateway has answered the OPEN (RFC 4271 §8: no UPDATE before the
    session can be Established; BIRD resets a session that gets one early)."""
    addr = many_addr(j)
    attrs = origin(0) + as_path(64601 + j % 900) + next_hop(addr)
    return message(KEEPALIVE) + update(attrs=attrs, nlri=nlri(j * routes, (j + 1) * routes)) + update()


class ManyPeers:
    """Many BGP sessions from one namespace, without a thread each: non-blocking sockets, one
    selector. Each sends its OPEN once connected, its routes once the gateway's first message
    (its OPEN) is in, then reads (and drops) what comes."""

    def __init__(self, ns, count, routes):
        self.count, self.routes, self.closed = count, routes, 0
        self.socks = in_netns(ns, lambda: [self._socket(j) for j in range(count)])

    @staticmethod
    def _socket(j):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((many_addr(j), 0))
        s.setblocking(False)
        return s

    def run(self, until):
        """Connects all, sends, and serves reads until `until()` is true or 120 s pass."""
        sel = selectors.DefaultSelector()
        pending, answered = {}, set()
        for j, s in enumerate(self.socks):
            s.connect_ex((MANY_GW, 179))
            pending[s] = many_open(j)
            sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ, j)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not until():
            for key, events in sel.select(timeout=0.02):
                s = key.fileobj
                if events & selectors.EVENT_WRITE and s in pending:
                    try:
                        sent = s.send(pending[s])
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        sent = 0  # not connected yet (refused: the gateway's listener is full)
                    rest = pending[s][sent:]
                    if rest:
                        pending[s] = rest
                    else:
                        del pending[s]
                        sel.modify(s, selectors.EVENT_READ, key.data)
                if events & selectors.EVENT_READ:
                    try:
                        data = s.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(s)
                        self.closed += 1
                    elif s not in answered:
                        answered.add(s)  # its OPEN: now the routes
                        pending[s] = pending.get(s, b"") + many_announcements(key.data, self.routes)
                        sel.modify(s, selectors.EVENT_WRITE | selectors.EVENT_READ, key.data)
        sel.close()

    def close(self):
        for s in self.socks:
            s.close()


def name_of(i):
    return f"10.{128 + (i >> 16)}.{(i >> 8) & 0xff}.{i & 0xff}"


def nlri(start, stop):
    return b"".join(bytes([32, 10, 128 + (i >> 16), (i >> 8) & 0xff, i & 0xff]) for i in range(start, stop))


def announcements(asn, addr, routes):
    """Packed UPDATEs for routes 0..routes-1, the sentinel, then End-of-RIB: one byte string."""
    attrs = origin(0) + as_path(asn) + next_hop(addr)
    per = (4096 - 19 - 4 - len(attrs)) // 5
    out = [update(attrs=attrs, nlri=nlri(s, min(routes, s + per))) for s in range(0, routes, per)]
    out.append(update(attrs=attrs, nlri=bytes([32, 10, 255, 255, 255])))
    out.append(update())
    return b"".join(out)


def withdrawals(routes):
    per = (4096 - 19 - 4) // 5
    out = [update(withdrawn=nlri(s, min(routes, s + per))) for s in range(0, routes, per)]
    out.append(update(withdrawn=bytes([32, 10, 255, 255, 255])))
    return b"".join(out)


def vmhwm_mb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmHWM"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def memory_breakdown(pids, top=8):
    """BENCH_MEMORY=1: where each process's memory is, settled after an install: the status
    lines and the mappings holding the most resident memory (smaps)."""
    lines = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                status = {l.split(":")[0]: l.split(":")[1].strip() for l in f if l.startswith(("VmHWM", "VmRSS", "Rss"))}
            maps, name = [], None
            with open(f"/proc/{pid}/smaps") as f:
                for l in f:
                    head = l.split()
                    if "-" in head[0] and not head[0].endswith(":"):
                        name = head[5] if len(head) > 5 else "[anon]"
                    elif head[0] == "Rss:":
                        maps.append((int(head[1]), name))
        except OSError:
            continue
        by_name = {}
        for kb, n in maps:
            by_name[n] = by_name.get(n, 0) + kb
        biggest = sorted(by_name.items(), key=lambda x: -x[1])[:top]
        anon = sorted((kb for kb, n in maps if n == "[anon]"), reverse=True)[:top]
        lines.append(f"pid {pid}: {status}; " + ", ".join(f"{os.path.basename(n)} {kb / 1024:.1f} MB" for n, kb in biggest)
                     + "; largest anonymous mappings MB: " + ", ".join(f"{kb / 1024:.1f}" for kb in anon))
    return "\n".join(lines)


class Notifications(threading.Thread):
    """Times of route and nexthop notifications in the gateway namespace (RTNLGRP_IPV4_ROUTE and
    RTNLGRP_NEXTHOP); only the last one's time is kept."""

    def __init__(self, ns):
        super().__init__(daemon=True)

        self.sock = subscribe(ns, (RTNLGRP_IPV4_ROUTE, RTNLGRP_NEXTHOP), rcvbuf=1 << 26)
        self.last = None
        self.count = 0
        self.overflows = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:  # ENOBUFS: some were lost; the time of the next still counts
                self.overflows += 1
                continue
            self.last = time.monotonic()
            self.count += 1

    def stop(self):
        self.done.set()
        self.join(timeout=5)
        self.sock.close()


class Gateway:
    """One implementation under test in the lab's gateway namespace."""

    def __init__(self, impl, lab, bfd, listen="10.0.1.0/24"):
        self.impl, self.lab, self.pids = impl, lab, []
        bfd_neighbor = " neighbor NODES bfd profile metallb\n" if bfd else ""
        if impl == "ridgeline":
            # BENCH_RIDGELINE_FIB: more lines for the fib block (experiments), e.g. "pending-limit 1000000".
            fib_extra = "".join(f" {line.strip()}\n" for line in os.environ.get("BENCH_RIDGELINE_FIB", "").split(";")
                                if line.strip())
            conf = RIDGELINE.format(bfd_neighbor=bfd_neighbor, bfd=BFD_METALLB if bfd else "", listen=listen,
                                    fib_extra=fib_extra)
            if bfd:
                self.pids.append(lab.start_bfdd(conf).proc.pid)
            self.ours = lab.start_bgpd(conf, fib=True, extra=["--log-level", os.environ.get("BENCH_LOG_LEVEL", "warn")])
            self.pids.append(self.ours.proc.pid)
        elif impl == "frr":
            lab.nodes["gw"] = {"ns": lab.gw, "addr": GW}
            d = lab.path("gw", "frr", "x")[:-2]
            procs = lab.start_frr_node("gw", FRR_BGPD.format(log=os.path.join(d, "bgpd.log"), bfd_neighbor=bfd_neighbor,
                                                                      listen=listen),
                                       BFD_METALLB if bfd else None)
            self.pids += [p.pid for p in procs.values()]
        elif impl == "bird":
            d = lab.path("gw", "bird", "x")[:-2]
            conf = os.path.join(d, "bird.conf")
            with open(conf, "w") as f:
                f.write(BIRD.format(log=os.path.join(d, "bird.log"), bfd=BIRD_BFD if bfd else "",
                                    bfd_neighbor="bfd on;" if bfd else "", listen=listen,
                                    local=MANY_GW if listen == MANY_SUBNET else GW))
            self.sock = os.path.join(d, "bird.ctl")
            p = lab.spawn(lab.gw, ["bird", "-f", "-c", conf, "-s", self.sock, "-P", os.path.join(d, "bird.pid")],
                          os.path.join(d, "stdout.log"))
            self.pids.append(p.pid)
            wait_until("bird's control socket", lambda: os.path.exists(self.sock), timeout=20)
        else:
            raise ValueError(impl)

    def rss_mb(self):
        return vmhwm_mb(self.pids)


def connect(node):
    try:
        return RawPeer(node["ns"], node["addr"], GW, timeout=3)
    except OSError:
        return None


def cpu_busy(window=0.25):
    """The fraction of all CPUs busy over `window` seconds (/proc/stat)."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait
    t0, i0 = sample()
    time.sleep(window)  # the measurement window, not a wait for an outcome
    t1, i1 = sample()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


def wait_quiet():
    """Until the machine is idle: the kernel frees a deleted namespace's routes in the background
    (seconds for 1M), which would otherwise be charged to whichever run comes next."""
    wait_until("the machine to go idle (< 15% CPU)", lambda: cpu_busy() < 0.15, timeout=120, interval=0)


def kernel_floor(lab, hops, routes):
    """The kernel's share alone, in this lab's gateway namespace: `routes` pre-built nhid route
    inserts through our batched netlink sender (fib_probe floor), no daemon, no BGP."""
    script = f"connected 10.0.1.0/24 br0\nfloor {routes} {','.join(sorted(hops))}\n"
    out = subprocess.run(["ip", "netns", "exec", lab.gw, os.path.join(BUILD_BIN, "fib_probe")], input=script,
                         capture_output=True, text=True, timeout=300).stdout
    seconds = [float(w.split("=")[1]) for w in out.split() if w.startswith("seconds=")]
    if not seconds:
        raise AssertionError(f"fib_probe floor: no result in {out!r}")
    return {"install_s": seconds[0], "sentinel_s": seconds[0], "rss_mb": 0.0}


class NeighborTableRoom:
    """The kernel's ARP table is one for all namespaces, and its hard limit (gc_thresh3, 1024 by
    default) is below 1000 peers plus what other namespaces hold: past it the gateway drops
    packets to new neighbors and SYN-ACKs wait for retransmits (seconds to a minute). Raised for
    the run, then put back."""
    KEYS = {"gc_thresh1": 1024, "gc_thresh2": 4096, "gc_thresh3": 8192}

    def __enter__(self):
        self.saved = {}
        for k, want in self.KEYS.items():
            path = f"/proc/sys/net/ipv4/neigh/default/{k}"
            with open(path) as f:
                self.saved[path] = f.read().strip()
            if int(self.saved[path]) < want:
                with open(path, "w") as f:
                    f.write(str(want))
        return self

    def __exit__(self, *exc):
        for path, value in reversed(list(self.saved.items())):
            with open(path, "w") as f:
                f.write(value)


def run_many(impl, lab, w, scale):
    """peers-1000: every session from one listen range, 10 /32 each; from the first connect to
    every route in the kernel, each over exactly its own peer."""
    with NeighborTableRoom():
        return _run_many(impl, lab, w, scale)


def _run_many(impl, lab, w, scale):
    count, routes = max(10, int(w["peers"] * scale)), w["routes"]
    node = lab.add_node("many", 2)
    lab.ip(lab.gw, "addr", "add", f"{MANY_GW}/22", "dev", "br0")
    subprocess.run(["ip", "-n", node["ns"], "-batch", "-"], check=True, text=True,
                   input="".join(f"addr add {many_addr(j)}/22 dev eth0\n" for j in range(count)))
    gw = Gateway(impl, lab, False, listen=MANY_SUBNET)
    kv = KernelView(lab.gw)
    baseline = kv.prefix_count()
    total = count * routes
    peers = ManyPeers(node["ns"], count, routes)
    polled = [0.0]

    def installed():
        if time.monotonic() - polled[0] < 0.02:
            return False  # the prefix count is read every 20 ms
        polled[0] = time.monotonic()
        return kv.prefix_count() >= baseline + total

    wait_quiet()
    t0 = time.monotonic()
    peers.run(installed)
    t_all = time.monotonic()
    try:
        if kv.prefix_count() < baseline + total:
            raise AssertionError(f"{impl}: {kv.prefix_count() - baseline} of {total} prefixes in 120 s "
                                 f"({peers.closed} sessions closed)")
        fib = kv.routes(within=lambda p: p.startswith("10.") and p.endswith("/32"))
        wrong = [i for i in range(total) if fib.get(name_of(i) + "/32") != {many_addr(i // routes)}]
        if wrong:
            raise AssertionError(f"{impl}: {len(wrong)} of {total} routes not over exactly their own peer, e.g. "
                                 f"{name_of(wrong[0])}: {fib.get(name_of(wrong[0]) + '/32')}")
        return {"install_s": t_all - t0, "sentinel_s": t_all - t0, "rss_mb": gw.rss_mb(), "sessions": count,
                "closed": peers.closed}
    finally:
        peers.close()
        kv.close()


def run_once(impl, workload, scale):
    w = WORKLOADS[workload]
    routes = max(1000, int(w["routes"] * scale))
    bfd = w.get("bfd", False)
    with Lab("bench", gateway_host=1) as lab:
        if impl == "kernel":
            for i in range(w["peers"]):
                lab.add_node(f"n{i + 1}", 11 + i)
            wait_quiet()
            return kernel_floor(lab, {n["addr"] for n in lab.nodes.values()}, routes)
        if w.get("many"):
            return run_many(impl, lab, w, scale)
        node_bfdd = {}
        nodes = []
        for i in range(w["peers"]):
            nodes.append(lab.add_node(f"n{i + 1}", 11 + i))
            if bfd:
                d = lab.path(f"n{i + 1}", "bfd", "x")[:-2]
                with open(os.path.join(d, "ridgeline.conf"), "w") as f:
                    f.write(NODE_BFD)
                node_bfdd[i] = lab.spawn(nodes[i]["ns"], [os.path.join(BUILD_BIN, "bfdd"), "-f",
                                                          os.path.join(d, "ridgeline.conf"), "--run-dir", d,
                                                          "--log-level", "warn"], os.path.join(d, "log"))
        streams = [announcements(64601 + i, n["addr"], routes) for i, n in enumerate(nodes)]
        gw = Gateway(impl, lab, bfd)
        kv = KernelView(lab.gw)
        baseline = kv.prefix_count()
        peers = []
        for i, n in enumerate(nodes):
            p = wait_until(f"{impl} to accept {n['addr']}", lambda: connect(n), timeout=30, interval=0.2)
            p.establish(64601 + i, n["addr"])
            p.sock.settimeout(None)  # the stream blocks as long as the gateway takes to read it
            peers.append(p)
        expected_gws = {n["addr"] for n in nodes}

        # --- install ---
        wait_quiet()
        start_perf("BENCH_PERF", f"/tmp/perf-{impl}-{workload}.data")
        threads = [threading.Thread(target=p.sock.sendall, args=(s,)) for p, s in zip(peers, streams)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        deadline = t0 + float(os.environ.get("BENCH_TIMEOUT", "300"))
        while time.monotonic() < deadline:
            r = kv.route(SENTINEL)
            if r and r[0] == SENTINEL + "/32" and r[1] == expected_gws:
                break
            time.sleep(0.005)  # the poll period of the sentinel probe, not a wait for an outcome
        else:
            raise AssertionError(f"{impl}: no sentinel with {sorted(expected_gws)} in 300 s")
        t_sentinel = time.monotonic()
        while kv.prefix_count() < baseline + routes + 1:
            if time.monotonic() > deadline:
                raise AssertionError(f"{impl}: {kv.prefix_count() - baseline} of {routes + 1} prefixes in 300 s")
            time.sleep(0.02)  # poll period of the prefix count
        t_all = time.monotonic()
        for t in threads:
            t.join()
        result = {"install_s": t_all - t0, "sentinel_s": t_sentinel - t0}

        def check(want_gws):
            fib = kv.routes(within=lambda p: p.startswith("10.") and p.endswith("/32"))
            wrong = [n for n in (name_of(i) for i in range(routes)) if fib.get(n + "/32") != want_gws]
            if wrong:
                raise AssertionError(f"{impl}: {len(wrong)} of {routes} routes without exactly "
                                     f"{sorted(want_gws)}, e.g. {wrong[0]}: {fib.get(wrong[0] + '/32')}")

        # Every route with exactly the expected next hops (ECMP complete), waited for within reason:
        # the sentinel's next hops say nothing about the order of the others'.
        wait_until(f"{impl}: every route over {len(expected_gws)} next hops", lambda: check(expected_gws) or True,
                   timeout=120, interval=1)
        result["complete_s"] = time.monotonic() - t0
        result["rss_mb"] = gw.rss_mb()
        if os.environ.get("BENCH_MEMORY"):
            print(memory_breakdown(gw.pids), flush=True)
            if impl == "ridgeline":  # and once the writer has compared a whole table with the kernel
                status = lambda: int(gw.ours.json("show fib status").get("reconciles", 0))  # noqa: E731
                before = status()
                gw.ours.rlsh("clear fib")
                wait_until("ridgeline: the reconcile asked for", lambda: status() > before, timeout=60, interval=0.2)
                print("after a reconcile (clear fib): " + memory_breakdown(gw.pids), flush=True)

        event = w.get("event")
        if event:
            if bfd:
                wait_until(f"{impl}: BFD Up to every node", lambda: bfd_up(impl, lab, gw) >= len(nodes), timeout=60,
                           interval=0.5)
            listener = Notifications(lab.gw)
            listener.start()
            start_perf("BENCH_PERF_EVENT", f"/tmp/perf-{impl}-{workload}-event.data")
            t1 = time.monotonic()
            if event == "freeze":
                node_bfdd[len(nodes) - 1].send_signal(signal.SIGSTOP)
            else:
                peers[-1].sock.sendall(withdrawals(routes))
            gone = nodes[-1]["addr"]
            while time.monotonic() < t1 + 60:
                r = kv.route(SENTINEL)
                if r and gone not in r[1]:
                    break
                time.sleep(0.005)
            else:
                raise AssertionError(f"{impl}: the sentinel still goes through {gone} after 60 s")
            # Then the last notification before 2 s of quiet: the kernel's last change for the event.
            while time.monotonic() < t1 + 120:
                last = listener.last or t1
                if time.monotonic() - last > 2.0:
                    break
                time.sleep(0.1)
            listener.stop()
            result["event_s"] = (listener.last or t1) - t1
            result["event_notifications"] = listener.count
            check(expected_gws - {gone})
            if event == "freeze":
                node_bfdd[len(nodes) - 1].send_signal(signal.SIGCONT)
        kv.close()
        for p in peers:
            p.close()
        return result


def start_perf(variable, path):
    """With the environment variable set to S: perf record -a -g of the next S seconds into path."""
    if os.environ.get(variable):
        subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-a", "-g", "-o", path, "--", "sleep",
                          os.environ[variable]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bfd_up(impl, lab, gw):
    if impl == "ridgeline":
        rlsh = [os.path.join(BUILD_BIN, "rlsh"), "--run-dir", gw.ours.run_dir, "-c", "show bfd peers json"]
        out = subprocess.run(rlsh, capture_output=True, text=True, timeout=20).stdout
        return sum(s.get("state") == "Up" for s in json.loads(out or "{}").get("sessions", []))
    if impl == "frr":
        out = lab.vtysh("gw", "show bfd peers json")
        return sum(p.get("status") == "up" for p in json.loads(out or "[]"))
    out = sh("birdc", "-s", gw.sock, "show", "bfd", "sessions", capture=True, check=False).stdout
    return sum(" Up " in line for line in out.splitlines())


def machine():
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    mem = subprocess.run(["sh", "-c", "grep MemTotal /proc/meminfo"], capture_output=True, text=True).stdout.split()[1]
    return f"{os.cpu_count()} vCPU {cpu}, {int(mem) // 1024 // 1024} GiB, kernel {os.uname().release}"


def commit():
    r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def versions():
    def first(argv):
        r = subprocess.run(argv, capture_output=True, text=True)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    return {"ridgeline": first([os.path.join(BUILD_BIN, "bgpd"), "--version"]),
            "frr": first(["/usr/lib/frr/bgpd", "--version"]), "bird": first(["bird", "--version"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workloads", default="1m-x1,100k-x4,failover,withdraw-1m,1m-x4")
    ap.add_argument("--impls", default="ridgeline,frr,bird,kernel",
                    help="kernel: the floor (fib_probe floor in the same lab), install workloads only")
    ap.add_argument("--scale", type=float, default=1.0, help="route counts times this (a quick look)")
    ap.add_argument("--write", action="store_true", help="append the report to bench/RESULTS.md")
    ap.add_argument("--check", action="store_true", help="exit 1 if any run failed (the CI smoke run)")
    args = ap.parse_args()
    impls = args.impls.split(",")
    report = [f"## {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
              "", f"- machine: {machine()}", f"- versions: {versions()}", f"- commit: {commit()}",
              f"- command: `sudo bench/compare.py --runs {args.runs} --workloads {args.workloads} "
              f"--impls {args.impls}{f' --scale {args.scale}' if args.scale != 1 else ''}`", ""]
    print("\n".join(report), flush=True)
    failed = 0
    for workload in args.workloads.split(","):
        results = {i: [] for i in impls}
        for run in range(args.runs):
            for impl in impls:
                if impl == "kernel" and (WORKLOADS[workload].get("event") or WORKLOADS[workload].get("many")):
                    continue  # the floor is for installs
                try:
                    r = run_once(impl, workload, args.scale)
                except Exception as e:  # noqa: BLE001 - a failed run is reported, the others go on
                    r = {"error": str(e).splitlines()[0][:200]}
                    failed += 1
                results[impl].append(r)
                print(f"{workload} run {run + 1} {impl}: {r}", flush=True)
        key = "event_s" if WORKLOADS[workload].get("event") else "install_s"
        lines = [f"### {workload} ({key}: median of {args.runs})", "",
                 "| implementation | median s | runs s | peak RSS MB (median) | ratio to Ridgeline |", "|---|---|---|---|---|"]
        med = {}
        for impl in impls:
            ok = [r for r in results[impl] if "error" not in r]
            if ok:
                med[impl] = statistics.median(r[key] for r in ok)
        for impl in impls:
            if not results[impl]:
                continue
            ok = [r for r in results[impl] if "error" not in r]
            errors = [r["error"] for r in results[impl] if "error" in r]
            runs = ", ".join(f"{r[key]:.3f}" for r in ok) + (f" ({len(errors)} failed: {errors[0]})" if errors else "")
            rss = f"{statistics.median(r['rss_mb'] for r in ok):.0f}" if ok else "-"
            ratio = f"{med[impl] / med['ridgeline']:.2f}x" if impl in med and med.get("ridgeline") else "-"
            lines.append(f"| {impl} | {med.get(impl, float('nan')):.3f} | {runs} | {rss} | {ratio} |")
        lines.append("")
        print("\n".join(lines), flush=True)
        report += lines
        if args.write:  # after each workload, so that a run cut short keeps what it measured
            with open(os.path.join(ROOT, "bench", "RESULTS.md"), "a") as f:
                f.write("\n".join(report) + "\n")
            report = []
    if args.check and failed:
        print(f"{failed} runs failed", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
