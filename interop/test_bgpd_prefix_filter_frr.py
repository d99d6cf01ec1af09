#!/usr/bin/env python3
"""Prefix filter (issue: interop, item 3). `ip prefix-list METALLB permit 10.0.1.0/24 le 32` accepts
the pool's /32 and rejects a node's 10.0.0.0/8 and a conflicting 10.0.2.0/24. The rejected ones
are visible as not accepted in received-routes (soft-reconfiguration inbound) and never reach
the Loc-RIB or the kernel; the accepted one is in the kernel.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, main, sh, wait_until  # noqa: E402

GATEWAY_CONF = """hostname gw
router bgp 64512
 bgp router-id 10.0.1.1
 neighbor NODES peer-group
 neighbor NODES remote-as external
 bgp listen range 10.0.1.0/24 peer-group NODES
 address-family ipv4 unicast
  neighbor NODES prefix-list METALLB in
  neighbor NODES soft-reconfiguration inbound
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
"""

NODE_CONF = """hostname n1
router bgp 64601
 bgp router-id 10.0.1.11
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.0.1.1 remote-as 64512
 address-family ipv4 unicast
  network 10.0.1.100/32
  network 10.0.0.0/8
  network 10.0.2.0/24
 exit-address-family
"""


class PrefixFilter(unittest.TestCase):
    def test_the_pool_is_accepted_and_the_rest_is_filtered_visibly(self):
        with Lab("pfxflt") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF, fib=True)
            lab.add_node("n1", 11)
            lab.start_frr("n1", NODE_CONF)

            def received():
                try:
                    routes = gw.json("show bgp neighbors 10.0.1.11 received-routes")
                except Exception:  # noqa: BLE001 - the neighbor may not exist yet
                    return None
                got = {r["prefix"]: r["paths"][0].get("accepted", False) for r in routes}
                return got if len(got) == 3 else None

            got = wait_until("three prefixes received from n1", received, timeout=60,
                             on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            self.assertEqual(got, {"10.0.1.100/32": True, "10.0.0.0/8": False, "10.0.2.0/24": False})
            self.assertIsNotNone(gw.route("10.0.1.100/32"))
            self.assertIsNone(gw.route("10.0.0.0/8"))
            self.assertIsNone(gw.route("10.0.2.0/24"))
            summary = gw.json("show bgp neighbors 10.0.1.11")["neighbors"][0]
            v4 = next(p for p in summary["prefixes"] if p["afi"] == "ipv4-unicast")
            self.assertEqual((int(v4.get("received", 0)), int(v4.get("accepted", 0))), (3, 1))
            wait_until("the pool's /32 in the kernel", lambda: "10.0.1.100" in sh(
                "ip", "-n", lab.gw, "route", "show", "proto", "bgp", capture=True).stdout, timeout=20,
                on_timeout=gw.logs)
            kernel = {r["dst"] for r in json.loads(sh("ip", "-n", lab.gw, "-j", "route", "show", "proto", "bgp",
                                                      capture=True).stdout)}
            self.assertEqual(kernel, {"10.0.1.100"})


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd")
