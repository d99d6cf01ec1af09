#!/usr/bin/env python3
"""iBGP with LOCAL_PREF (issue: interop, item 2). Three FRR nodes in the gateway's AS announce the
same /32 over iBGP: n1 and n3 with LOCAL_PREF 200, n2 with 100. Only the 200 paths are installed
in the kernel (one group of n1 and n3). Then an inbound route-map on the gateway sets
local-preference 300 for n2's announcements (community 64500:2): after a restart of bgpd with it, n2 alone is installed.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, kernel_gateways, main, wait_until  # noqa: E402

GATEWAY_CONF = """hostname gw
router bgp 64512
 bgp router-id 10.0.1.1
 neighbor NODES peer-group
 neighbor NODES remote-as internal
 neighbor NODES timers 3 9
 bgp listen range 10.0.1.0/24 peer-group NODES
 address-family ipv4 unicast
  neighbor NODES prefix-list METALLB in
  {route_map}
  maximum-paths ibgp 64
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
bgp community-list standard N2 permit 64500:2
route-map PREFER-N2 permit 10
 match community N2
 set local-preference 300
exit
route-map PREFER-N2 permit 20
exit
"""

NODE_CONF = """hostname {name}
router bgp 64512
 bgp router-id {addr}
 no bgp network import-check
 neighbor 10.0.1.1 remote-as 64512
 neighbor 10.0.1.1 timers 3 9
 neighbor 10.0.1.1 timers connect 1
 address-family ipv4 unicast
  network 10.0.1.100/32 route-map LP
 exit-address-family
route-map LP permit 10
 set local-preference {lp}
 set community 64500:{host}
exit
"""

SERVICE = "10.0.1.100"


class IbgpLocalPref(unittest.TestCase):
    def test_only_the_highest_local_pref_is_installed_and_a_route_map_overrides_it(self):
        with Lab("ibgplp") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF.format(route_map=""), fib=True)
            for name, host, lp in (("n1", 11, 200), ("n2", 12, 100), ("n3", 13, 200)):
                node = lab.add_node(name, host)
                lab.start_frr(name, NODE_CONF.format(name=name, addr=node["addr"], lp=lp, host=host - 10))

            def three_paths():
                r = gw.route(f"{SERVICE}/32")
                return r if r and len(r["paths"]) == 3 else None

            route = wait_until("three iBGP paths for the service", three_paths, timeout=60,
                               on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            self.assertEqual(sorted(route["fibNextHops"]), ["10.0.1.11", "10.0.1.13"])
            prefs = sorted(int(p.get("localPref", 0)) for p in route["paths"])
            self.assertEqual(prefs, [100, 200, 200])
            wait_until("the kernel route via the LOCAL_PREF 200 nodes only",
                       lambda: kernel_gateways(lab.gw, SERVICE) == ["10.0.1.11", "10.0.1.13"], timeout=20, on_timeout=gw.logs)

            # The gateway's own policy wins: n2's paths get local-preference 300.
            gw.proc.terminate()
            gw.proc.wait(timeout=20)
            gw = lab.start_bgpd(GATEWAY_CONF.format(route_map="neighbor NODES route-map PREFER-N2 in"), fib=True)
            wait_until("the kernel route via n2 alone", lambda: kernel_gateways(lab.gw, SERVICE) == ["10.0.1.12"], timeout=60,
                       on_timeout=lambda: gw.rlsh("show ip bgp 10.0.1.100/32") + gw.logs())
            route = gw.route(f"{SERVICE}/32")
            best = [p for p in route["paths"] if p.get("best")]
            self.assertEqual(len(best), 1)
            self.assertEqual(int(best[0].get("localPref", 0)), 300)


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", nexthop_objects=True)
