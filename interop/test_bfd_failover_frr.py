#!/usr/bin/env python3
"""Sub-second failover end to end (issue: bfdd): the gateway runs our bgpd (programming the
kernel) and our bfdd; two FRR nodes announce the same /32 and run FRR's bfdd towards the gateway.
The gateway's neighbors use `neighbor NODES bfd profile metallb` (300 ms x 3) through a listen
range, so bgpd asks bfdd for each dynamic neighbor's session.

Freezing one node (SIGSTOP of its bgpd and bfdd) must take its next hop out of the kernel route
within the detection time + 50 ms, with the BGP session closed by Cease/10 (RFC 9384); thawing it
brings it back. Restarting bfdd does not reset a BGP session, and bgpd registers its sessions
with the new bfdd; a restarted bgpd registers them again too.
"""
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BFD_METALLB, Lab, frr_node_bgp, gateway_bgp, kernel_gateways, main, sh, wait_until  # noqa: E402

GATEWAY_CONF = gateway_bgp(router=["bgp bestpath as-path multipath-relax"], group=["bfd profile metallb"],
                           af=["maximum-paths 64"], tail=BFD_METALLB)

NODE_BFD = """hostname {name}
bfd
 peer 10.0.1.1
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 !
!
"""

SERVICE = "10.0.1.100"
DETECT = 0.9


class BfdFailover(unittest.TestCase):
    def test_frozen_node_leaves_the_kernel_route_within_detection_time(self):
        with Lab("bfdfo") as lab:
            bfd = lab.start_bfdd(GATEWAY_CONF)
            gw = lab.start_bgpd(GATEWAY_CONF, fib=True)
            for name, host, asn in (("n1", 11, 64601), ("n2", 12, 64602)):
                node = lab.add_node(name, host)
                lab.start_frr(name, frr_node_bgp(name, asn, node["addr"], ["10.0.1.100/32"]))
                lab.start_frr_bfdd(name, NODE_BFD.format(name=name))
            both = ["10.0.1.11", "10.0.1.12"]
            wait_until("the service over both nodes in the kernel", lambda: kernel_gateways(lab.gw, SERVICE) == both, timeout=60,
                       on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())

            def bfd_up_for_bgpd():
                peers = {p["key"]["peer"]: p for p in bfd.peers()}
                return all(peers.get(a, {}).get("state") == "Up" and "bgpd" in peers[a].get("clients", [])
                           for a in both)

            wait_until("BFD Up for both dynamic neighbors, asked for by bgpd", bfd_up_for_bgpd, timeout=30,
                       on_timeout=lambda: bfd.rlsh("show bfd peers") + bfd.logs())
            # The group is the one that stays: failover replaces it in place.
            nhid = json.loads(sh("ip", "-n", lab.gw, "-j", "route", "show", SERVICE, capture=True).stdout)[0]["nhid"]

            n2 = lab.nodes["n2"]
            frozen = time.monotonic()
            for p in (n2["frr"], n2["bfdd"]):
                p.send_signal(signal.SIGSTOP)
            try:
                wait_until("10.0.1.12 out of the kernel route", lambda: kernel_gateways(lab.gw, SERVICE) == ["10.0.1.11"], timeout=10,
                           interval=0.005, on_timeout=lambda: bfd.logs() + gw.logs())
                elapsed = time.monotonic() - frozen
                print(f"\nfailover: 10.0.1.12 left the kernel route {elapsed * 1000:.0f} ms after the freeze "
                      f"(detection time {DETECT * 1000:.0f} ms)")
                self.assertLessEqual(elapsed, DETECT + 0.05, "kernel route fixed later than detection time + 50 ms")
                self.assertGreater(elapsed, DETECT * 0.4, "too early: it was not BFD")
                route = json.loads(sh("ip", "-n", lab.gw, "-j", "route", "show", SERVICE, capture=True).stdout)[0]
                self.assertEqual(route["nhid"], nhid, "the group was replaced in place")
                wait_until("the Cease/10 in bgpd's log", lambda: "BFD Down (6/10)" in gw.log_text(), timeout=5,
                           on_timeout=gw.logs)
                self.assertIn("10.0.1.12: sent NOTIFICATION Cease/BFD Down (6/10)", gw.log_text())
                self.assertEqual(kernel_gateways(lab.gw, SERVICE), ["10.0.1.11"])
            finally:
                for p in (n2["frr"], n2["bfdd"]):
                    p.send_signal(signal.SIGCONT)
            wait_until("10.0.1.12 back in the kernel route", lambda: kernel_gateways(lab.gw, SERVICE) == both, timeout=60,
                       on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            wait_until("BFD Up again for both", bfd_up_for_bgpd, timeout=30, on_timeout=bfd.logs)

            # bfdd restarts: bgpd keeps its BGP sessions, and registers them again with the new bfdd.
            def established():
                return {n["address"]: int(n.get("establishedCount", 0)) for n in gw.json("show bgp neighbors")
                        ["neighbors"] if n["state"] == "Established"}

            before = established()
            self.assertEqual(set(before), set(both))
            for how in (signal.SIGTERM, signal.SIGKILL):
                bfd.proc.send_signal(how)
                bfd.proc.wait(timeout=10)
                bfd = lab.start_bfdd(GATEWAY_CONF)
                wait_until(f"bgpd to register again after a bfdd {how.name}", bfd_up_for_bgpd, timeout=30,
                           on_timeout=lambda: bfd.rlsh("show bfd peers") + bfd.logs() + gw.logs())
                self.assertEqual(established(), before, "no BGP session was reset by bfdd going away")
                self.assertEqual(kernel_gateways(lab.gw, SERVICE), both)

            # bgpd restarts: its references went with its stream; the new one asks again.
            gw.proc.send_signal(signal.SIGTERM)
            gw.proc.wait(timeout=20)
            wait_until("bfdd to drop the sessions bgpd held", lambda: bfd.peers() == [], timeout=10, on_timeout=bfd.logs)
            gw = lab.start_bgpd(GATEWAY_CONF, fib=True)
            wait_until("the restarted bgpd's sessions Up in bfdd", bfd_up_for_bgpd, timeout=60,
                       on_timeout=lambda: bfd.rlsh("show bfd peers") + gw.logs())
            wait_until("the service over both nodes again", lambda: kernel_gateways(lab.gw, SERVICE) == both, timeout=60,
                       on_timeout=gw.logs)


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", nexthop_objects=True)
