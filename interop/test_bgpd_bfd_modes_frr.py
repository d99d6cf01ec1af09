#!/usr/bin/env python3
"""BFD modes of bgpd (issue: bfdd, BGP integration) against an FRR node (bgpd + bfdd):
- `neighbor X bfd strict`: the BGP session does not come up while BFD is not Up (the node's bfdd
  is not running: bgpd refuses the node's connections), and comes up once BFD is Up;
- `neighbor X bfd check-control-plane-failure` with graceful restart: the node's BFD says its
  control plane shares fate (C bit 0), so a BFD Down keeps its routes, stale, in the kernel.
"""
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BFD_METALLB, Lab, frr_node_bfd, frr_node_bgp, kernel_gateways, main, wait_until  # noqa: E402

GATEWAY_CONF = """hostname gw
router bgp 64512
 bgp router-id 10.0.1.1
 {gr}
 neighbor 10.0.1.11 remote-as 64601
 neighbor 10.0.1.11 timers 3 9
 neighbor 10.0.1.11 timers connect 1
 neighbor 10.0.1.11 bfd profile metallb
 neighbor 10.0.1.11 {mode}
 address-family ipv4 unicast
  neighbor 10.0.1.11 prefix-list METALLB in
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
""" + BFD_METALLB

NODE_BFD = frr_node_bfd("n1")


def state(gw):
    n = gw.json("show bgp summary")["neighbors"]
    return n[0]["state"] if n else None


class BfdModes(unittest.TestCase):
    def test_strict_holds_bgp_until_bfd_is_up(self):
        with Lab("bfdstr") as lab:
            lab.start_bfdd(GATEWAY_CONF.format(gr="", mode="bfd strict"))
            gw = lab.start_bgpd(GATEWAY_CONF.format(gr="", mode="bfd strict"), fib=True)
            lab.add_node("n1", 11)
            lab.start_frr("n1", frr_node_bgp("n1", 64601, "10.0.1.11", ["10.0.1.100/32"]))
            wait_until("bgpd to refuse the node while BFD is down", lambda: "bfd strict" in gw.log_text(), timeout=30,
                       on_timeout=gw.logs)
            self.assertNotEqual(state(gw), "Established")
            lab.start_frr_bfdd("n1", NODE_BFD)
            wait_until("BGP Established once BFD is Up", lambda: state(gw) == "Established", timeout=60,
                       on_timeout=gw.logs)
            wait_until("the node's route in the kernel", lambda: kernel_gateways(lab.gw, "10.0.1.100") == ["10.0.1.11"],
                       timeout=20, on_timeout=gw.logs)

    def test_check_control_plane_failure_keeps_the_routes_of_a_graceful_restart_peer(self):
        with Lab("bfdcpf") as lab:
            conf = GATEWAY_CONF.format(gr="bgp graceful-restart", mode="bfd check-control-plane-failure")
            bfd = lab.start_bfdd(conf)
            gw = lab.start_bgpd(conf, fib=True)
            lab.add_node("n1", 11)
            lab.start_frr("n1", frr_node_bgp("n1", 64601, "10.0.1.11", ["10.0.1.100/32"], router=["bgp graceful-restart"]))
            lab.start_frr_bfdd("n1", NODE_BFD)
            wait_until("the node's route in the kernel", lambda: kernel_gateways(lab.gw, "10.0.1.100") == ["10.0.1.11"],
                       timeout=60, on_timeout=gw.logs)
            wait_until("BFD Up", lambda: (bfd.peer("10.0.1.11") or {}).get("state") == "Up", timeout=30,
                       on_timeout=bfd.logs)
            self.assertFalse(bfd.peer("10.0.1.11").get("remoteControlPlaneIndependent", False))
            lab.nodes["n1"]["bfdd"].send_signal(signal.SIGSTOP)
            try:
                wait_until("bgpd to see the BFD Down", lambda: "BFD down" in gw.log_text(), timeout=10,
                           on_timeout=gw.logs)
                self.assertIn("graceful restart keeps its routes", gw.log_text())
                self.assertEqual(kernel_gateways(lab.gw, "10.0.1.100"), ["10.0.1.11"], "the route stays, stale")
                route = gw.route("10.0.1.100/32")
                self.assertTrue(route and route["paths"][0].get("stale"), route)
            finally:
                lab.nodes["n1"]["bfdd"].send_signal(signal.SIGCONT)


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", nexthop_objects=True)
