#!/usr/bin/env python3
"""Bad input never crashes bgpd or touches other sessions (issue: bgpd).

A raw BGP peer of our own sends malformed messages; each gets the RFC-mandated answer
(NOTIFICATION, or RFC 7606 treat-as-withdraw), while a real FRR node's session and route stay
untouched. maximum-prefix gives Cease/1 with its data, and `restart 1` keeps the neighbor out
for a minute.
"""
import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bgp_peer import (KEEPALIVE, OPEN, UPDATE, Closed, RawPeer, as_path, attr, communities,  # noqa: E402
                      message, next_hop, open_message, origin, prefix, update)
from lab import Lab, main, wait_until  # noqa: E402

GATEWAY_CONF = """router bgp 64512
 bgp router-id 10.0.1.1
 bgp bestpath as-path multipath-relax
 neighbor NODES peer-group
 neighbor NODES remote-as external
 bgp listen range 10.0.1.0/24 peer-group NODES
 neighbor 10.0.1.20 remote-as 64620
 neighbor 10.0.1.20 passive
 address-family ipv4 unicast
  neighbor NODES prefix-list METALLB in
  neighbor 10.0.1.20 prefix-list METALLB in
  neighbor 10.0.1.20 maximum-prefix 5 restart 1
  maximum-paths 64
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
"""

FRR_CONF = """router bgp 64601
 bgp router-id 10.0.1.11
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.0.1.1 remote-as 64512
 address-family ipv4 unicast
  network 10.0.1.100/32
 exit-address-family
"""


def good_attrs(asn, nh):
    return origin() + as_path(asn) + next_hop(nh) + communities((64500, 100))


class BadInput(unittest.TestCase):
    def test_malformed_messages_get_their_rfc_answer_and_spare_the_other_session(self):
        with Lab("badin") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF)
            frr = lab.add_node("n1", 11)
            lab.start_frr("n1", FRR_CONF)
            raw = lab.add_node("raw", 30)
            lab.add_node("cfg", 20)

            def frr_route_ok():
                r = gw.route("10.0.1.100/32")
                return r and r.get("fibNextHops") == ["10.0.1.11"]

            wait_until("FRR's 10.0.1.100/32", frr_route_ok, timeout=60, on_timeout=gw.logs)

            def frr_session():
                n = gw.json("show bgp neighbors 10.0.1.11")["neighbors"][0]
                return n["state"], n.get("establishedCount", "0")

            baseline = frr_session()
            self.assertEqual(baseline[0], "Established")

            def check_frr_untouched():
                self.assertEqual(frr_session(), baseline)
                self.assertTrue(frr_route_ok())

            # RFC 7606 treat-as-withdraw: COMMUNITIES of length 5.
            peer = RawPeer(raw["ns"], raw["addr"], lab.gw_addr).establish(64630, "10.0.1.30")
            peer.send(update(attrs=good_attrs(64630, raw["addr"]), nlri=prefix("10.0.1.50/32")))
            wait_until("10.0.1.50/32 from the raw peer", lambda: gw.route("10.0.1.50/32"), timeout=20, on_timeout=gw.logs)
            bad_comm = origin() + as_path(64630) + next_hop(raw["addr"]) + attr(0xC0, 8, b"\xfb\xf4\x00\x64\x00")
            peer.send(update(attrs=bad_comm, nlri=prefix("10.0.1.50/32")))
            wait_until("10.0.1.50/32 to be withdrawn (treat-as-withdraw)", lambda: gw.route("10.0.1.50/32") is None,
                       timeout=20, on_timeout=gw.logs)
            peer.send(message(KEEPALIVE))
            self.assertFalse(peer.closed_soon(2), "the session must stay up after treat-as-withdraw")
            state = gw.json("show bgp neighbors 10.0.1.30")["neighbors"][0]
            self.assertEqual(state["state"], "Established")
            self.assertEqual(state.get("treatAsWithdraw"), "1")
            check_frr_untouched()

            # RFC 4271 §6.3: an IPv4 prefix of length 33 is an Invalid Network Field: 3/10.
            peer.send(update(attrs=good_attrs(64630, raw["addr"]), nlri=prefix("10.0.1.50/32")))
            wait_until("10.0.1.50/32 again", lambda: gw.route("10.0.1.50/32"), timeout=20)
            peer.send(update(attrs=good_attrs(64630, raw["addr"]), nlri=b"\x21\x0a\x00\x01\x33\x00"))
            self.assertEqual(peer.expect_notification()[:2], (3, 10))
            self.assertTrue(peer.closed_soon(5))
            peer.close()
            wait_until("the reset peer's route to go", lambda: gw.route("10.0.1.50/32") is None, timeout=20)
            check_frr_untouched()

            # Header: bad marker is 1/1.
            p = RawPeer(raw["ns"], raw["addr"], lab.gw_addr)
            p.send(b"\xfe" + open_message(64630, "10.0.1.30")[1:])
            self.assertEqual(p.expect_notification()[:2], (1, 1))
            p.close()

            # OPEN: hold time 2 is 2/6; a wrong peer AS is 2/2.
            p = RawPeer(raw["ns"], raw["addr"], lab.gw_addr)
            p.send(open_message(64630, "10.0.1.30", hold=2))
            self.assertEqual(p.expect_notification()[:2], (2, 6))
            p.close()
            cfg = lab.nodes["cfg"]
            p = RawPeer(cfg["ns"], cfg["addr"], lab.gw_addr)
            p.send(open_message(64999, "10.0.1.20"))
            self.assertEqual(p.expect_notification()[:2], (2, 2))
            p.close()
            # Every NOTIFICATION is kept as the neighbor's last error, with its names.
            last = gw.json("show bgp neighbors 10.0.1.20")["neighbors"][0]["lastError"]
            self.assertEqual(last["text"], "OPEN Message Error/Bad Peer AS (2/2)")
            self.assertTrue(last["sent"])

            # RFC 6608: an UPDATE in OpenConfirm is 5/2.
            p = RawPeer(raw["ns"], raw["addr"], lab.gw_addr)
            p.send(open_message(64630, "10.0.1.30"))
            p.recv_until(OPEN)
            p.recv_until(KEEPALIVE)  # the gateway is in OpenConfirm now
            p.send(update(attrs=good_attrs(64630, raw["addr"]), nlri=prefix("10.0.1.51/32")))
            self.assertEqual(p.expect_notification()[:2], (5, 2))
            p.close()
            check_frr_untouched()

            # maximum-prefix 5 with 6 announced: Cease/1 with AFI 1, SAFI 1 and the limit.
            p = RawPeer(cfg["ns"], cfg["addr"], lab.gw_addr).establish(64620, "10.0.1.20")
            six = b"".join(prefix(f"10.0.1.{60 + i}/32") for i in range(6))
            p.send(update(attrs=good_attrs(64620, cfg["addr"]), nlri=six))
            code, subcode, data = p.expect_notification()
            ceased = time.monotonic()
            self.assertEqual((code, subcode), (6, 1))
            self.assertEqual(data, struct.pack("!HBI", 1, 1, 5))
            p.close()
            wait_until("the over-limit peer's routes to be purged",
                       lambda: all(gw.route(f"10.0.1.{60 + i}/32") is None for i in range(6)), timeout=20)
            check_frr_untouched()

            # `restart 1`: refused for a minute, then accepted again.
            def try_session():
                try:
                    q = RawPeer(cfg["ns"], cfg["addr"], lab.gw_addr)
                except OSError:
                    return None
                try:
                    q.establish(64620, "10.0.1.20", hold=90)
                    return q
                except (Closed, TimeoutError, ConnectionError):
                    q.close()
                    return None

            for _ in range(3):
                self.assertIsNone(try_session(), "maximum-prefix restart 1 must keep the neighbor out for a minute")
                time.sleep(1)
            q = wait_until("the neighbor to be let back in after `restart 1`", try_session, timeout=90, interval=3,
                           on_timeout=gw.logs)
            self.assertGreaterEqual(time.monotonic() - ceased, 55)
            q.close()
            check_frr_untouched()
            self.assertIsNone(lab.procs[0].poll(), "bgpd must still be running")


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd")
