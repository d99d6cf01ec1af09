#!/usr/bin/env python3
"""MetalLB FRR-mode nodes against the gateway (issue: interop, items 1 and 4).

Three FRR nodes, each run as FRR runs in production (zebra + bfdd + bgpd), peer eBGP with the
gateway through a listen range and announce the same two service /32s with community 64500:100
and large community 64500:1:100; their bgpd has `neighbor 10.0.1.1 bfd profile metallb`, the
profile (300 ms x 3) living in their bfdd. The gateway runs our bgpd (programming its kernel) and
our bfdd.

Checked:
- the kernel holds one route per service with 3 next hops, both through one shared group;
- `show bgp services` (text and JSON) says the same: 3 announcing peers with BFD up, the
  communities, in the kernel with the kernel's group id; `show ip bgp community` / `large-community`
  find both services;
- FRR's BFD session uses the profile that FRR's bgpd names (our bfdd sees its 200 ms transmit);
- stopping a node's bgpd takes it out of both routes (the group replaced in place), and starting
  it again adds it back;
- freezing a node (SIGSTOP of its daemons) takes it out within BFD's detection time, long before
  the 9 s hold timer, and thawing it brings it back.
"""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BFD_METALLB, Lab, frr_node_bgp, gateway_bgp, kernel_gateways, main, sh, wait_until  # noqa: E402

GATEWAY_CONF = gateway_bgp(router=["bgp bestpath as-path multipath-relax"], group=["bfd profile metallb"],
                           af=["maximum-paths 64"], tail=BFD_METALLB)

SERVICE_MAP = """route-map SERVICES permit 10
 set community 64500:100
 set large-community 64500:1:100
exit
"""


def node_bgp(name, asn, addr):
    return frr_node_bgp(name, asn, addr, ["10.0.1.100/32", "10.0.1.101/32"], neighbor=["bfd profile metallb"],
                        af=["neighbor 10.0.1.1 route-map SERVICES out"], tail=SERVICE_MAP)


# The nodes send every 200 ms (so that the profile is seen to apply); detection stays 3 x 300 ms
# either way, set by the receiver's 300 ms (RFC 5880 §6.8.4).
NODE_BFD = """hostname {name}
bfd
 profile metallb
  receive-interval 300
  transmit-interval 200
  detect-multiplier 3
 exit
exit
"""

SERVICES = ("10.0.1.100", "10.0.1.101")
NODES = (("n1", 11, 64601), ("n2", 12, 64602), ("n3", 13, 64603))
ALL = [f"10.0.1.{h}" for _, h, _ in NODES]
DETECT = 0.9


class MetallbFrrMode(unittest.TestCase):
    def test_services_over_three_nodes_with_bfd_stop_restart_and_freeze(self):
        with Lab("mlbfrr") as lab:
            bfd = lab.start_bfdd(GATEWAY_CONF)
            gw = lab.start_bgpd(GATEWAY_CONF, fib=True)
            for name, host, asn in NODES:
                node = lab.add_node(name, host)
                lab.start_frr_node(name, node_bgp(name, asn, node["addr"]),
                                   NODE_BFD.format(name=name))

            def diagnose():
                return (gw.rlsh("show bgp summary", "show bgp services", check=False) +
                        bfd.rlsh("show bfd peers brief", check=False) + str(self.kernel(lab)) + gw.logs() +
                        bfd.logs() + "".join(lab.frr_log(n, d) for n, _, _ in NODES for d in ("bgpd", "bfdd")))

            def services_on(gateways):
                return lambda: all(kernel_gateways(lab.gw, p) == gateways for p in SERVICES)

            def bfd_up(n):
                return lambda: (bfd.peer(f"10.0.1.{n}") or {}).get("state") == "Up"

            wait_until("both services over n1..n3 in the kernel", services_on(ALL), timeout=60, on_timeout=diagnose)
            for n in (11, 12, 13):
                wait_until(f"BFD Up with 10.0.1.{n}", bfd_up(n), timeout=30, on_timeout=diagnose)
            nhid = self.shared_group(lab)

            # The service view, JSON: everything it says is checked against the kernel.
            services = wait_until("show bgp services to see BFD up on every peer",
                                  lambda: (lambda s: s if all(p.get("bfd") == "Up" for v in s for p in v["peers"])
                                           else None)(gw.json("show bgp services")),
                                  timeout=10, on_timeout=diagnose)
            self.assertEqual([v["prefix"] for v in services], [f"{p}/32" for p in SERVICES])
            for v in services:
                self.assertTrue(v.get("installed"), v)
                self.assertEqual(v["groupId"], nhid, v)
                self.assertEqual(sorted(v["kernelNextHops"]), ALL, v)
                self.assertEqual(sorted(v["ribNextHops"]), ALL, v)
                self.assertEqual(v["communities"], ["64500:100"], v)
                self.assertEqual(v["largeCommunities"], ["64500:1:100"], v)
                self.assertEqual(sorted(p["peer"] for p in v["peers"]), ALL, v)
                self.assertEqual(sum(1 for p in v["peers"] if p.get("best")), 1, v)
            # And as text, the way an operator reads it.
            text = gw.rlsh("show bgp services")
            self.assertIn(f"10.0.1.100/32  in the kernel via 3 next hops (nhid {nhid})", text)
            self.assertIn("communities 64500:100  large-communities 64500:1:100", text)
            for a in ALL:
                self.assertRegex(text, rf"\n  {a} +{a} +up +(best|multipath)")
            self.assertNotIn("!", text, "nothing pending: the kernel matches the RIB")
            one = gw.json("show bgp services 10.0.1.101")
            self.assertEqual([v["prefix"] for v in one], ["10.0.1.101/32"])
            for query in ("community 64500:100", "large-community 64500:1:100"):
                found = [r["prefix"] for r in gw.json(f"show ip bgp {query}")]
                self.assertEqual(found, [f"{p}/32" for p in SERVICES], query)
            self.assertEqual(gw.json("show ip bgp community 64500:999"), [])

            # FRR's bfdd runs the session with the profile that FRR's bgpd named.
            session = bfd.peer("10.0.1.11")
            self.assertEqual(session.get("remoteReceiveIntervalMs"), 300, session)
            self.assertEqual(int(session.get("detectionTimeUs", 0)), 900000, session)
            self.assertEqual(session.get("remoteDetectMultiplier"), 3, session)
            self.assertEqual(session.get("remoteTransmitIntervalMs"), 200, session)

            # n3's bgpd stops: out of both routes, the group replaced in place; back when it restarts.
            n3 = lab.nodes["n3"]
            n3["daemons"]["bgpd"].terminate()
            n3["daemons"]["bgpd"].wait(timeout=20)
            wait_until("n3 out of both services", services_on(ALL[:2]), timeout=20, on_timeout=diagnose)
            self.assertEqual(self.shared_group(lab), nhid, "the same group, one member less")
            view = gw.json("show bgp services 10.0.1.100")[0]
            self.assertEqual(sorted(view["kernelNextHops"]), ALL[:2])
            lab.start_frr_node_bgpd("n3", node_bgp("n3", 64603, n3["addr"]))
            wait_until("n3 back in both services", services_on(ALL), timeout=60, on_timeout=diagnose)
            self.assertEqual(self.shared_group(lab), nhid)

            # n2 freezes: BFD, not the 9 s hold timer, takes it out.
            wait_until("BFD Up with n2 (still)", bfd_up(12), timeout=30, on_timeout=diagnose)
            daemons = lab.nodes["n2"]["daemons"].values()
            for p in daemons:
                p.send_signal(signal.SIGSTOP)
            frozen = time.monotonic()
            try:
                wait_until("n2 out of the kernel", services_on([ALL[0], ALL[2]]), timeout=5, interval=0.02,
                           on_timeout=diagnose)
                took = time.monotonic() - frozen
            finally:
                for p in daemons:
                    p.send_signal(signal.SIGCONT)
            self.assertLess(took, DETECT + 0.6, f"took {took:.3f} s: BFD should have done it in ~{DETECT} s")
            self.assertIn("10.0.1.12: BFD down", gw.log_text())
            wait_until("n2 back in both services after the thaw", services_on(ALL), timeout=60, on_timeout=diagnose)

    @staticmethod
    def kernel(lab):
        return sh("ip", "-n", lab.gw, "route", "show", "proto", "bgp", capture=True, check=False).stdout

    def shared_group(self, lab):
        import json
        routes = json.loads(sh("ip", "-n", lab.gw, "-j", "route", "show", "proto", "bgp", capture=True).stdout)
        groups = {r["nhid"] for r in routes if r["dst"] in SERVICES}
        self.assertEqual(len(groups), 1, f"one shared group for both services: {routes}")
        return groups.pop()


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "/usr/lib/frr/zebra", "vtysh", nexthop_objects=True)
