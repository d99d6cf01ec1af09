#!/usr/bin/env python3
"""bgpd against two real FRR "nodes" through a `bgp listen range` (issue: bgpd).

Both nodes announce the same /32 with community 64500:100. bgpd's Loc-RIB must hold one prefix
with two multipath next hops; when one FRR stops, its path must go.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, main, wait_until  # noqa: E402

GATEWAY_CONF = """hostname gw
router bgp 64512
 bgp router-id 10.0.1.1
 bgp bestpath as-path multipath-relax
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor NODES timers 3 9
 bgp listen range 10.0.1.0/24 peer-group NODES
 address-family ipv4 unicast
  neighbor NODES prefix-list METALLB in
  neighbor NODES soft-reconfiguration inbound
  maximum-paths 64
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
"""

NODE_CONF = """hostname {name}
router bgp {asn}
 bgp router-id {addr}
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.0.1.1 remote-as 64512
 neighbor 10.0.1.1 timers 3 9
 address-family ipv4 unicast
  network 10.0.1.100/32 route-map SVC
  network 10.9.0.0/16 route-map SVC
 exit-address-family
route-map SVC permit 10
 set community 64500:100
"""


class ListenRangeWithFrr(unittest.TestCase):
    def test_two_frr_nodes_give_one_prefix_with_two_multipath_next_hops(self):
        with Lab("lrfrr") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF)
            for name, host, asn in (("n1", 11, 64601), ("n2", 12, 64602)):
                node = lab.add_node(name, host)
                lab.start_frr(name, NODE_CONF.format(name=name, asn=asn, addr=node["addr"]))

            def two_paths():
                r = gw.route("10.0.1.100/32")
                return r if r and sorted(r.get("fibNextHops", [])) == ["10.0.1.11", "10.0.1.12"] else None

            route = wait_until("10.0.1.100/32 with next hops 10.0.1.11 and 10.0.1.12", two_paths,
                               timeout=60, on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            self.assertEqual(len(route["paths"]), 2)
            for p in route["paths"]:
                self.assertIn("64500:100", p.get("communities", []))
                self.assertTrue(p.get("multipath"), p)
            self.assertEqual(sum(1 for p in route["paths"] if p.get("best")), 1)

            # Both are dynamic neighbors, Established, and the prefix-list kept 10.9.0.0/16 out.
            summary = gw.json("show bgp summary")
            states = sorted((n["address"], n["state"], n.get("dynamic", False)) for n in summary["neighbors"])
            self.assertEqual(states, [("10.0.1.11", "Established", True), ("10.0.1.12", "Established", True)])
            self.assertIsNone(gw.route("10.9.0.0/16"))
            received = gw.json("show bgp neighbors 10.0.1.11 received-routes")
            filtered = {r["prefix"]: r["paths"][0].get("accepted", False) for r in received}
            self.assertEqual(filtered, {"10.0.1.100/32": True, "10.9.0.0/16": False})

            # Stop one node: its path goes, the other stays.
            lab.nodes["n2"]["frr"].terminate()

            def one_path():
                r = gw.route("10.0.1.100/32")
                return r if r and r.get("fibNextHops") == ["10.0.1.11"] and len(r["paths"]) == 1 else None

            wait_until("10.0.1.100/32 with only 10.0.1.11", one_path, timeout=30,
                       on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            # The dynamic neighbor is removed once it is down for good.
            wait_until("the dynamic neighbor 10.0.1.12 to be removed",
                       lambda: [n["address"] for n in gw.json("show bgp summary")["neighbors"]] == ["10.0.1.11"],
                       timeout=30, on_timeout=gw.logs)


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd")
