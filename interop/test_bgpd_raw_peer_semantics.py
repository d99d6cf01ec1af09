#!/usr/bin/env python3
"""What bgpd does with well-formed but special input from a raw BGP peer (issue: bgpd).

- a 2-octet AS speaker: AS_TRANS + AS4_PATH rebuild the real path (RFC 6793 §4.2.3);
- LOCAL_PREF from an eBGP peer is ignored; an unknown capability does not stop the session;
- our own AS in the path is a loop: rejected; our own address as next hop: not installable;
- an unknown optional transitive attribute is passed on with the Partial bit;
- ROUTE-REFRESH is answered by resending the Adj-RIB-Out (RFC 2918).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bgp_peer import (UPDATE, RawPeer, as4_path, as_path, as_path2, attr, local_pref, next_hop,  # noqa: E402
                      origin, parse_update, prefix, route_refresh, update)
from lab import Lab, main, wait_until  # noqa: E402

GATEWAY_CONF = """router bgp 64512
 bgp router-id 10.0.1.1
 bgp bestpath as-path multipath-relax
 neighbor NODES peer-group
 neighbor NODES remote-as external
 bgp listen range 10.0.1.0/24 peer-group NODES
 address-family ipv4 unicast
  network 10.0.9.0/24
  neighbor NODES prefix-list METALLB in
  neighbor NODES soft-reconfiguration inbound
  neighbor NODES route-map ALL out
  maximum-paths 64
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
route-map ALL permit 10
"""


def wait_for_update(peer, want_prefix, timeout=20):
    """Reads UPDATEs until one announces want_prefix; returns its attributes."""
    def one():
        _, attrs, nlri = parse_update(peer.recv_until(UPDATE, timeout))
        return attrs if want_prefix in nlri else None

    return wait_until(f"an UPDATE announcing {want_prefix}", one, timeout=timeout, interval=0)


class RawPeerSemantics(unittest.TestCase):
    def test_special_input(self):
        with Lab("rawsem") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF)
            a = lab.add_node("a", 31)
            b = lab.add_node("b", 32)

            # A 2-octet speaker, with an unknown capability in its OPEN.
            old = RawPeer(a["ns"], a["addr"], lab.gw_addr).establish(64631, "10.0.1.31", four_octet=False,
                                                                     extra_caps=b"\xee\x02\x01\x02")
            self.assertIsNotNone(wait_for_update(old, "10.0.9.0/24"), "the originated network reaches the peer")
            # RFC 4724 §2: the initial table ends with an End-of-RIB (an empty IPv4 UPDATE).
            self.assertEqual(old.recv_until(UPDATE), b"\x00\x00\x00\x00")
            attrs = origin() + as_path2(64631, 4200000005) + as4_path(64631, 4200000005) + next_hop(a["addr"]) + local_pref(500)
            old.send(update(attrs=attrs, nlri=prefix("10.0.1.60/32")))
            route = wait_until("10.0.1.60/32", lambda: gw.route("10.0.1.60/32"), timeout=20, on_timeout=gw.logs)
            path = route["paths"][0]
            self.assertEqual(path["asPath"], "64631 4200000005")
            self.assertNotIn("localPref", path, "LOCAL_PREF from an eBGP peer must be ignored")

            # A loop and an unusable next hop.
            old.send(update(attrs=origin() + as_path2(64631, 64512) + next_hop(a["addr"]), nlri=prefix("10.0.1.61/32")))
            old.send(update(attrs=origin() + as_path2(64631) + next_hop(lab.gw_addr), nlri=prefix("10.0.1.62/32")))
            own = wait_until("10.0.1.62/32", lambda: gw.route("10.0.1.62/32"), timeout=20)
            self.assertFalse(own["paths"][0].get("eligible", False))
            self.assertEqual(own.get("fibNextHops", []), [])
            self.assertIsNone(gw.route("10.0.1.61/32"), "a path with our own AS is a loop")
            received = {r["prefix"]: r["paths"][0].get("accepted", False) for r in gw.json("show bgp neighbors 10.0.1.31 received-routes")}
            self.assertEqual(received.get("10.0.1.61/32"), False)

            # An unknown optional transitive attribute travels on with the Partial bit.
            new = RawPeer(b["ns"], b["addr"], lab.gw_addr).establish(64632, "10.0.1.32")
            wait_for_update(new, "10.0.9.0/24")
            old.send(update(attrs=origin() + as_path2(64631) + next_hop(a["addr"]) + attr(0xC0, 99, b"\x01\x02\x03"),
                            nlri=prefix("10.0.1.63/32")))
            passed = wait_for_update(new, "10.0.1.63/32")
            self.assertIn(99, passed)
            self.assertEqual(passed[99], (0xE0, b"\x01\x02\x03"))

            # ROUTE-REFRESH: the Adj-RIB-Out comes again.
            new.send(route_refresh())
            self.assertIsNotNone(wait_for_update(new, "10.0.9.0/24"))
            old.close()
            new.close()


if __name__ == "__main__":
    main()
