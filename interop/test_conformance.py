#!/usr/bin/env python3
"""The BGP conformance suite (issue: robustness): a raw BGP peer of ours sends each case and the
test asserts the exact reaction, while an FRR node's session and route stay untouched throughout.

Cases: header (bad marker, lengths 18 and 4097, type 9, messages shorter than their minimum),
OPEN (version 3, wrong AS, BGP identifier 0, hold time 1 and 2, unknown optional parameter,
unknown capability), an UPDATE in OpenConfirm, RFC 7606 treat-as-withdraw (COMMUNITIES length
5, LARGE_COMMUNITIES length 13, a corrupted attribute 23, AS_PATH overrun and segment type 0,
ORIGIN 7, a missing mandatory attribute, a conflicting total attribute length, NLRI with no
attributes), attribute discard (ATOMIC_AGGREGATE, AGGREGATOR), duplicates (COMMUNITIES: the first
is used; MP_REACH: 3/1), session resets (MP_REACH next-hop length 9, a truncated MP_REACH, an IPv4
prefix of length 33), martian next hops (not installed), a silent peer (4/0 at hold expiry, its
routes gone), 100 reconnects after a refusal (rate-limited log, no descriptor or memory growth),
a peer that stops reading (dropped by the send hold timer, RFC 9687), an AS_PATH over `bgp
maxas-limit`, extended messages (RFC 8654) up to `bgp limit message-size` and 1/2 past it, and
more path attributes or community values than `bgp limit attributes|communities` (treat-as-withdraw).
`test_bgpd_bad_input.py` and
`test_bgpd_raw_peer_semantics.py` hold the rest (maximum-prefix, loops, LOCAL_PREF, Partial bit).
"""
import os
import struct
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bgp_peer import (KEEPALIVE, MARKER, OPEN, UPDATE, RawPeer, as_path, attr, communities,  # noqa: E402
                      message, next_hop, open_message, origin, prefix, update)
from lab import BUILD_BIN, Lab, frr_node_bgp, gateway_bgp, main, sh, wait_until  # noqa: E402

RAW_AS = 64630


def good(nh="10.0.1.30"):
    return origin() + as_path(RAW_AS) + next_hop(nh)


def mp_reach_v6(nh_bytes, nlri=b"\x80" + bytes(16)):
    """MP_REACH_NLRI for IPv6 unicast with the given next-hop bytes."""
    return attr(0x80, 14, struct.pack("!HBB", 2, 1, len(nh_bytes)) + nh_bytes + b"\x00" + nlri)


def raw_update(attrs_len_field, attrs, nlri):
    """An UPDATE whose Total Path Attribute Length field says attrs_len_field, whatever follows."""
    return message(UPDATE, struct.pack("!H", 0) + struct.pack("!H", attrs_len_field) + attrs + nlri)


# (name, bytes after the session is up, expected (code, subcode[, data]))
ESTABLISHED_NOTIFICATIONS = [
    ("KEEPALIVE of length 20", MARKER + struct.pack("!HB", 20, KEEPALIVE) + b"\x00", (1, 2, struct.pack("!H", 20))),
    ("UPDATE of length 22", MARKER + struct.pack("!HB", 22, UPDATE) + b"\x00\x00\x00", (1, 2, struct.pack("!H", 22))),
    ("duplicate MP_REACH", update(attrs=good() + mp_reach_v6(bytes(16)) + mp_reach_v6(bytes(16))), (3, 1)),
    ("MP_REACH next-hop length 9", update(attrs=good() + mp_reach_v6(bytes(9))), (3, 1)),
    ("truncated MP_REACH", update(attrs=good() + attr(0x80, 14, struct.pack("!HBB", 2, 1, 16) + bytes(4))), (3, 1)),
    ("IPv4 prefix of length 33", update(attrs=good(), nlri=b"\x21\x0a\x00\x01\x33\x00"), (3, 10)),
]

# (name, bytes instead of an OPEN, expected)
OPEN_NOTIFICATIONS = [
    ("bad marker", b"\xfe" + open_message(RAW_AS, "10.0.1.30")[1:], (1, 1)),
    ("length 18", MARKER + struct.pack("!HB", 18, OPEN), (1, 2, struct.pack("!H", 18))),
    ("length 4097", MARKER + struct.pack("!HB", 4097, OPEN) + bytes(64), (1, 2, struct.pack("!H", 4097))),
    ("type 9", MARKER + struct.pack("!HB", 19, 9), (1, 3, b"\x09")),
    ("OPEN of length 27", MARKER + struct.pack("!HB", 27, OPEN) + bytes(8), (1, 2, struct.pack("!H", 27))),
    ("version 3", b"", (2, 1, struct.pack("!H", 4))),
    ("wrong peer AS (ours, to an external group)", b"", (2, 2)),
    ("BGP identifier 0", b"", (2, 3)),
    ("hold time 1", b"", (2, 6)),
    ("hold time 2", b"", (2, 6)),
    ("unknown optional parameter", b"", (2, 4)),
]


def open_variant(name):
    o = bytearray(open_message(RAW_AS, "10.0.1.30"))
    if name == "version 3":
        o[19] = 3
    elif name.startswith("wrong peer AS"):
        o = bytearray(open_message(64512, "10.0.1.30"))
    elif name == "BGP identifier 0":
        o = bytearray(open_message(RAW_AS, "0.0.0.0"))
    elif name.startswith("hold time"):
        o = bytearray(open_message(RAW_AS, "10.0.1.30", hold=int(name[-1])))
    elif name == "unknown optional parameter":
        # An optional parameter of type 3 (RFC 5492 defines only 2, capabilities), before the rest.
        params_len = o[28]
        o = o[:28] + bytes([params_len + 3, 3, 1, 0]) + o[29:]
        o[16:18] = struct.pack("!H", len(o))
    return bytes(o)


# (name, attributes (NLRI: the case's prefix), or a full message when callable)
TREAT_AS_WITHDRAW = [
    ("COMMUNITIES length 5", lambda p: update(attrs=good() + attr(0xC0, 8, bytes(5)), nlri=p)),
    ("LARGE_COMMUNITIES length 13", lambda p: update(attrs=good() + attr(0xC0, 32, bytes(13)), nlri=p)),
    ("corrupted TUNNEL_ENCAPSULATION (23)",
     lambda p: update(attrs=good() + attr(0xC0, 23, struct.pack("!HH", 7, 40) + bytes(3)), nlri=p)),
    ("AS_PATH segment overrun",
     lambda p: update(attrs=origin() + attr(0x40, 2, bytes([2, 5]) + struct.pack("!I", RAW_AS))
                      + next_hop("10.0.1.30"), nlri=p)),
    ("AS_PATH segment type 0",
     lambda p: update(attrs=origin() + attr(0x40, 2, bytes([0, 1]) + struct.pack("!I", RAW_AS))
                      + next_hop("10.0.1.30"), nlri=p)),
    ("ORIGIN 7", lambda p: update(attrs=origin(7) + as_path(RAW_AS) + next_hop("10.0.1.30"), nlri=p)),
    ("missing NEXT_HOP", lambda p: update(attrs=origin() + as_path(RAW_AS), nlri=p)),
    ("total attribute length past the attributes",
     lambda p: raw_update(len(good()) + 2, good() + b"\x40\x05", p)),
    ("NLRI with no attributes", lambda p: update(attrs=b"", nlri=p)),
    ("101 community values over bgp limit communities 100",
     lambda p: update(attrs=good() + attr(0xC0, 8, bytes(4 * 101)), nlri=p)),
    ("33 path attributes over bgp limit attributes 32",
     lambda p: update(attrs=good() + b"".join(attr(0xC0, 100 + i, b"\x01") for i in range(30)), nlri=p)),
]

# Attributes that are discarded while the route is kept.
DISCARD = [
    ("ATOMIC_AGGREGATE of length 1", attr(0x40, 6, b"\x01")),
    ("AGGREGATOR of length 5", attr(0xC0, 7, bytes(5))),
]

LIMITS = ["bgp limit message-size 8000", "bgp limit attributes 32", "bgp limit communities 100"]


def many_prefixes(count, second_octet=2):
    return b"".join(prefix(f"10.{second_octet}.{i // 256}.{i % 256}/32") for i in range(count))


MARTIANS = ["0.0.0.0", "127.0.0.1", "224.0.0.1", "10.0.1.1"]


class Conformance(unittest.TestCase):
    def test_each_case_gets_its_rfc_answer_and_spares_the_other_session(self):
        with Lab("confrm") as lab:
            gw = lab.start_bgpd(gateway_bgp(listen="10.0.1.0/25", router=["bgp maxas-limit 50", *LIMITS],
                                            af=["neighbor NODES route-map ALL out"],
                                            tail="route-map ALL permit 10\nexit\n"
                                                 "ip prefix-list POOL seq 20 permit 10.2.0.0/15 le 32\n") +
                                "router bgp 64512\n address-family ipv6 unicast\n  neighbor NODES activate\n"
                                " exit-address-family\nexit\n")
            frr = lab.add_node("n1", 11)
            lab.start_frr("n1", frr_node_bgp("n1", 64601, frr["addr"], ["10.0.1.100/32"]))
            raw = lab.add_node("raw", 30)
            wait_until("FRR's route", lambda: (gw.route("10.0.1.100/32") or {}).get("fibNextHops") == ["10.0.1.11"],
                       timeout=60, on_timeout=gw.logs)

            def frr_session():
                n = gw.json("show bgp neighbors 10.0.1.11")["neighbors"][0]
                return n["state"], n.get("establishedCount", "0")

            baseline = frr_session()
            passed = []

            def untouched(case):
                self.assertEqual(frr_session(), baseline, f"{case}: FRR's session was disturbed")
                self.assertEqual((gw.route("10.0.1.100/32") or {}).get("fibNextHops"), ["10.0.1.11"], case)

            def raw_gone():
                wait_until("the raw peer to be gone", lambda: "10.0.1.30" not in
                           {n["address"] for n in gw.json("show bgp summary")["neighbors"]}, timeout=20,
                           on_timeout=gw.logs)

            def connect():
                raw_gone()
                return RawPeer(raw["ns"], raw["addr"], lab.gw_addr)

            def established():
                return connect().establish(RAW_AS, "10.0.1.30", families=((1, 1), (2, 1)))

            def expect(peer, want, case):
                got = peer.expect_notification()
                self.assertEqual(got[:2], want[:2], f"{case}: NOTIFICATION {got}")
                if len(want) > 2:
                    self.assertEqual(got[2], want[2], f"{case}: NOTIFICATION data")
                self.assertTrue(peer.closed_soon(5), f"{case}: the session must close")
                peer.close()

            for name, data, want in OPEN_NOTIFICATIONS:
                with self.subTest(case=name):
                    p = connect()
                    p.send(data or open_variant(name))
                    expect(p, want, name)
                    untouched(name)
                    passed.append(name)

            with self.subTest(case="unknown capability"):
                p = connect().establish(RAW_AS, "10.0.1.30", extra_caps=bytes([200, 2, 1, 2]))
                p.send(message(KEEPALIVE))
                self.assertFalse(p.closed_soon(1), "an unknown capability is ignored")
                p.close()
                passed.append("unknown capability")

            with self.subTest(case="UPDATE in OpenConfirm"):
                p = connect()
                p.send(open_message(RAW_AS, "10.0.1.30"))
                p.recv_until(OPEN)
                p.recv_until(KEEPALIVE)
                p.send(update(attrs=good(), nlri=prefix("10.0.1.49/32")))
                expect(p, (5, 2), "UPDATE in OpenConfirm")
                untouched("UPDATE in OpenConfirm")
                passed.append("UPDATE in OpenConfirm")

            for name, data, want in ESTABLISHED_NOTIFICATIONS:
                with self.subTest(case=name):
                    p = established()
                    p.send(data)
                    expect(p, want, name)
                    untouched(name)
                    passed.append(name)

            for i, (name, build) in enumerate(TREAT_AS_WITHDRAW):
                with self.subTest(case=name):
                    p = established()
                    keep, target = f"10.0.1.{60 + i}/32", f"10.0.1.{80 + i}/32"
                    p.send(update(attrs=good(), nlri=prefix(keep) + prefix(target)))
                    wait_until(f"{name}: both prefixes", lambda: gw.route(target) and gw.route(keep), timeout=20,
                               on_timeout=gw.logs)
                    p.send(build(prefix(target)))
                    wait_until(f"{name}: {target} withdrawn", lambda: gw.route(target) is None, timeout=20,
                               on_timeout=gw.logs)
                    p.send(message(KEEPALIVE))
                    self.assertFalse(p.closed_soon(1), f"{name}: the session stays up")
                    self.assertIsNotNone(gw.route(keep), f"{name}: the other prefix stays")
                    untouched(name)
                    p.close()
                    passed.append(name)

            for i, (name, bad) in enumerate(DISCARD):
                with self.subTest(case=name):
                    p = established()
                    target = f"10.0.1.{110 + i}/32"
                    p.send(update(attrs=good() + bad, nlri=prefix(target)))
                    route = wait_until(f"{name}: the route kept", lambda: gw.route(target), timeout=20,
                                       on_timeout=gw.logs)
                    path = route["paths"][0]
                    self.assertFalse(path.get("atomicAggregate"), name)
                    self.assertEqual(path.get("aggregator", ""), "", name)
                    self.assertFalse(p.closed_soon(1), f"{name}: the session stays up")
                    p.close()
                    passed.append(name)

            with self.subTest(case="duplicate COMMUNITIES"):
                p = established()
                p.send(update(attrs=good() + communities((64500, 1)) + communities((64500, 2)),
                              nlri=prefix("10.0.1.120/32")))
                route = wait_until("the route with the first COMMUNITIES", lambda: gw.route("10.0.1.120/32"),
                                   timeout=20, on_timeout=gw.logs)
                self.assertEqual(route["paths"][0].get("communities"), ["64500:1"])
                self.assertFalse(p.closed_soon(1))
                p.close()
                passed.append("duplicate COMMUNITIES")

            with self.subTest(case="martian next hops"):
                p = established()
                for i, nh in enumerate(MARTIANS):
                    p.send(update(attrs=good(nh), nlri=prefix(f"10.0.1.{130 + i}/32")))
                p.send(update(attrs=good(), nlri=prefix("10.0.1.139/32")))  # a sane one, last
                wait_until("the sane route", lambda: gw.route("10.0.1.139/32"), timeout=20, on_timeout=gw.logs)
                for i, nh in enumerate(MARTIANS):
                    r = gw.route(f"10.0.1.{130 + i}/32")
                    self.assertFalse(r and r.get("fibNextHops"), f"next hop {nh} must not be installed: {r}")
                self.assertFalse(p.closed_soon(1))
                p.close()
                passed.append("martian next hops")

            with self.subTest(case="AS_PATH longer than bgp maxas-limit"):
                # A bounded AS_PATH: 51 ASNs against `bgp maxas-limit 50` is not accepted; 50 is.
                p = established()
                for length, target in ((51, "10.0.1.141/32"), (50, "10.0.1.142/32")):
                    p.send(update(attrs=origin() + as_path(*([RAW_AS] * length)) + next_hop("10.0.1.30"),
                                  nlri=prefix(target)))
                wait_until("the 50-AS path accepted", lambda: gw.route("10.0.1.142/32"), timeout=20, on_timeout=gw.logs)
                self.assertIsNone(gw.route("10.0.1.141/32"), "the 51-AS path must not be accepted")
                self.assertFalse(p.closed_soon(1))
                p.close()
                passed.append("AS_PATH longer than bgp maxas-limit")

            with self.subTest(case="extended messages up to bgp limit message-size"):
                # RFC 8654 is announced (the limit is above 4096): a 6 kB UPDATE is taken, one past
                # the limit gets 1/2 with its length.
                p = connect().establish(RAW_AS, "10.0.1.30", families=((1, 1), (2, 1)), extra_caps=bytes([6, 0]))
                big = update(attrs=good(), nlri=many_prefixes(1200))
                self.assertGreater(len(big), 4096)
                p.send(big)
                wait_until("the 6 kB UPDATE's last prefix", lambda: gw.route("10.2.4.175/32"), timeout=20,
                           on_timeout=gw.logs)
                too_big = update(attrs=good(), nlri=many_prefixes(1700, 3))
                self.assertGreater(len(too_big), 8000)
                p.send(too_big)
                expect(p, (1, 2, struct.pack("!H", len(too_big))), "past bgp limit message-size")
                wait_until("its routes gone", lambda: gw.route("10.2.4.175/32") is None, timeout=10, on_timeout=gw.logs)
                untouched("past bgp limit message-size")
                passed.append("extended messages up to bgp limit message-size")

            with self.subTest(case="silent peer"):
                # Hold time 3 and then nothing: 4/0 at expiry, and its routes go.
                p = connect().establish(RAW_AS, "10.0.1.30", hold=3)
                p.send(update(attrs=good(), nlri=prefix("10.0.1.140/32")))
                wait_until("the silent peer's route", lambda: gw.route("10.0.1.140/32"), timeout=10, on_timeout=gw.logs)
                self.assertEqual(p.expect_notification(timeout=6)[:2], (4, 0), "hold timer expired")
                wait_until("its route gone", lambda: gw.route("10.0.1.140/32") is None, timeout=5, on_timeout=gw.logs)
                p.close()
                untouched("silent peer")
                passed.append("silent peer")

            with self.subTest(case="100 reconnects after a refusal"):
                # From outside every listen range: each is refused; the log says so once (rate-limited),
                # and no descriptor or memory is left behind.
                outsider = lab.add_node("out", 200)

                def fds():
                    return len(os.listdir(f"/proc/{gw.proc.pid}/fd"))

                def rss_kb():
                    with open(f"/proc/{gw.proc.pid}/status") as f:
                        return int(next(l for l in f if l.startswith("VmRSS")).split()[1])

                before_fds, before_rss = fds(), rss_kb()
                for _ in range(100):
                    q = RawPeer(outsider["ns"], outsider["addr"], lab.gw_addr)
                    q.send(open_message(RAW_AS, "10.0.1.200"))
                    self.assertTrue(q.closed_soon(5), "refused")
                    q.close()
                wait_until("the descriptors back", lambda: fds() <= before_fds, timeout=10,
                           on_timeout=lambda: f"{before_fds} -> {fds()}")
                self.assertLess(rss_kb() - before_rss, 4096, "memory stays bounded")
                refusals = gw.log_text().count("refused a connection from 10.0.1.200")
                self.assertLessEqual(refusals, 2, "the refusals are rate-limited in the log")
                self.assertGreaterEqual(refusals, 1)
                untouched("reconnects")
                passed.append("100 reconnects after a refusal")

            with self.subTest(case="a peer that stops reading"):
                # It keeps sending KEEPALIVEs (so our hold timer is happy) but reads nothing, with a
                # small window; our send buffer is small too (this namespace's tcp_wmem). 1000 routes
                # for it, each its own UPDATE: our writes stall, and after the send hold time (2 x
                # hold 3 s) the session goes (RFC 9687).
                sh("ip", "netns", "exec", lab.gw, "sysctl", "-qw", "net.ipv4.tcp_wmem=4096 4096 4096")
                raw_gone()
                p = RawPeer(raw["ns"], raw["addr"], lab.gw_addr, rcvbuf=2048).establish(RAW_AS, "10.0.1.30", hold=3)
                stop = threading.Event()

                def keepalives():
                    while not stop.wait(1):
                        try:
                            p.send(message(KEEPALIVE))
                        except OSError:
                            return
                threading.Thread(target=keepalives, daemon=True).start()
                try:
                    adds = []
                    for i in range(1000):
                        adds += ["-c", f"bgp rib add 10.{100 + i // 250}.{i % 250}.0/24 community 64512:{i}"]
                    r = subprocess.run([os.path.join(BUILD_BIN, "rlsh"), "--run-dir", gw.run_dir, *adds],
                                       capture_output=True, text=True, timeout=120)
                    self.assertEqual(r.returncode, 0, r.stderr[-500:])
                    wait_until("the stuck session dropped by the send hold timer",
                               lambda: "send hold timer expired" in gw.log_text(), timeout=30, on_timeout=gw.logs)
                    wait_until("the raw peer gone", lambda: "10.0.1.30" not in
                               {n["address"] for n in gw.json("show bgp summary")["neighbors"]
                                if n["state"] == "Established"}, timeout=10, on_timeout=gw.logs)
                finally:
                    stop.set()
                    p.close()
                untouched("a peer that stops reading")
                passed.append("a peer that stops reading")

            print(f"conformance: {len(passed)} cases passed")


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd")
