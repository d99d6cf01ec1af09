#!/usr/bin/env python3
"""IPv6: FRR nodes announce /128s over MP-BGP sessions on IPv6 through a listen range, each with a
global and a link-local next hop (each node's own, checked); bgpd keeps one ECMP route via the
nodes' global next hops (issue: bgpd, IPv4 and IPv6 unicast), and the kernel
gets an IPv6 ECMP route through one nexthop group of the global next hops (issue: fib)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, kernel_gateways, main, sh, wait_until  # noqa: E402

GATEWAY_CONF = """router bgp 64512
 bgp router-id 10.0.1.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 bgp bestpath as-path multipath-relax
 neighbor NODES6 peer-group
 neighbor NODES6 remote-as external
 bgp listen range 2001:db8:1::/64 peer-group NODES6
 address-family ipv6 unicast
  neighbor NODES6 activate
  maximum-paths 64
 exit-address-family
exit
"""

NODE_CONF = """router bgp {asn}
 bgp router-id 10.0.1.{host}
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor 2001:db8:1::1 remote-as 64512
 address-family ipv6 unicast
  neighbor 2001:db8:1::1 activate
  network 2001:db8:100::5/128
 exit-address-family
"""


class Ipv6WithFrr(unittest.TestCase):
    def test_ipv6_service_gets_both_global_next_hops(self):
        with Lab("v6frr") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF, fib=True)
            for name, host, asn in (("n1", 11, 64601), ("n2", 12, 64602)):
                lab.add_node(name, host)
                # With zebra: FRR's bgpd learns its interface's link-local address only from zebra.
                lab.start_frr_node(name, NODE_CONF.format(asn=asn, host=host))

            def ecmp():
                r = gw.route("2001:db8:100::5/128")
                return r if r and sorted(r.get("fibNextHops", [])) == ["2001:db8:1::11", "2001:db8:1::12"] else None

            route = wait_until("2001:db8:100::5/128 via 2001:db8:1::11 and ::12", ecmp, timeout=60,
                               on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            self.assertEqual(len(route["paths"]), 2)
            # FRR on a shared link sends the 32-byte next hop: global + its eth0 link-local address.
            for path in route["paths"]:
                node = "n1" if path["peer"].endswith("::11") else "n2"
                ll = sh("ip", "-n", lab.nodes[node]["ns"], "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link",
                        capture=True).stdout.split()[3].split("/")[0]
                self.assertEqual(path.get("linkLocalNextHop"), ll, path)
            summary = gw.json("show bgp summary")
            self.assertEqual(sorted(n["address"] for n in summary["neighbors"]), ["2001:db8:1::11", "2001:db8:1::12"])
            text = gw.rlsh("show bgp ipv6")
            self.assertIn("2001:db8:100::5/128", text)

            wait_until("the kernel's IPv6 ECMP route via both global next hops",
                       lambda: kernel_gateways(lab.gw, "2001:db8:100::5") == ["2001:db8:1::11", "2001:db8:1::12"], timeout=20,
                       on_timeout=lambda: sh("ip", "-n", lab.gw, "-6", "route", capture=True).stdout + gw.logs())
            shown = gw.json("show ipv6 route bgp")
            self.assertEqual([r["prefix"] for r in shown], ["2001:db8:100::5/128"])


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "/usr/lib/frr/zebra", nexthop_objects=True)
