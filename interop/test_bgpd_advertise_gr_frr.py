#!/usr/bin/env python3
"""Advertisement to an upstream FRR router, and graceful restart of a node (issue: bgpd).

- bgpd re-advertises a node's /32 upstream with next-hop-self and an outbound route-map that adds
  a community; the upstream FRR sees AS path "64512 64601" and both communities.
- The node's FRR has graceful restart: after `kill -9` its route stays, marked stale, and in the
  kernel (sampled throughout) until it restarts and sends End-of-RIB; then it is fresh again.
  (FRR 8.4 sends End-of-RIB about 3 s before its routes, with or without zebra; RFC 4724 §4.2 has
  the stale route removed at End-of-RIB at once, so the kernel is sampled up to End-of-RIB.)
"""
import datetime
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, kernel_gateways, main, wait_until  # noqa: E402

GATEWAY_CONF = """router bgp 64512
 bgp router-id 10.0.1.1
 bgp graceful-restart
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor NODES timers 3 9
 bgp listen range 10.0.1.0/24 peer-group NODES
 neighbor 10.0.1.254 remote-as 64999
 neighbor 10.0.1.253 remote-as 64998
 address-family ipv4 unicast
  neighbor 10.0.1.253 next-hop-self
  neighbor 10.0.1.253 route-map TO-UPSTREAM out
  neighbor 10.0.1.253 prefix-list NONE in
  neighbor NODES prefix-list METALLB in
  neighbor 10.0.1.254 next-hop-self
  neighbor 10.0.1.254 route-map TO-UPSTREAM out
  neighbor 10.0.1.254 prefix-list NONE in
  maximum-paths 64
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
ip prefix-list NONE seq 10 deny any
route-map TO-UPSTREAM permit 10
 match ip address prefix-list METALLB
 set community 64512:1 additive
"""

NODE_CONF = """router bgp 64601
 bgp router-id 10.0.1.11
 bgp graceful-restart
 bgp graceful-restart restart-time 15
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.0.1.1 remote-as 64512
 neighbor 10.0.1.1 timers 3 9
 address-family ipv4 unicast
  network 10.0.1.100/32 route-map SVC
 exit-address-family
route-map SVC permit 10
 set community 64500:100
"""

UPSTREAM_CONF = """router bgp {asn}
 bgp router-id 10.0.1.{host}
 no bgp ebgp-requires-policy
 neighbor 10.0.1.1 remote-as 64512
"""


class AdvertiseAndGracefulRestart(unittest.TestCase):
    def test_upstream_sees_the_service_and_a_restarting_node_keeps_it(self):
        with Lab("advgr") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF, fib=True)
            kernel_samples = []  # the kernel's gateways for the service, at every check below

            def in_kernel():
                hops = kernel_gateways(lab.gw, "10.0.1.100/32")
                kernel_samples.append((time.time(), hops))  # when the read had finished
                return hops == ["10.0.1.11"]

            lab.add_node("n1", 11)
            lab.add_node("up", 254)
            lab.add_node("up2", 253)
            lab.start_frr("up", UPSTREAM_CONF.format(asn=64999, host=254))
            lab.start_frr("up2", UPSTREAM_CONF.format(asn=64998, host=253))

            def upstreams_up():
                states = {n["address"]: n["state"] for n in gw.json("show bgp summary")["neighbors"]}
                return states.get("10.0.1.254") == "Established" and states.get("10.0.1.253") == "Established"

            wait_until("both upstream sessions", upstreams_up, timeout=60, on_timeout=gw.logs)
            lab.start_frr_node("n1", NODE_CONF)

            def upstream_route():
                out = lab.vtysh("up", "show bgp ipv4 unicast 10.0.1.100/32 json")
                data = json.loads(out) if out.strip() else {}
                paths = data.get("paths", [])
                return paths[0] if paths else None

            path = wait_until("the upstream FRR to learn 10.0.1.100/32", upstream_route, timeout=60,
                              on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            self.assertEqual(path["aspath"]["string"], "64512 64601")
            self.assertEqual(path["nexthops"][0]["ip"], "10.0.1.1")
            self.assertEqual(sorted(path["community"]["list"]), ["64500:100", "64512:1"])
            advertised = gw.json("show bgp neighbors 10.0.1.254 advertised-routes")
            self.assertEqual([r["prefix"] for r in advertised], ["10.0.1.100/32"])
            # Both upstreams have the same outbound policy: one encoding served both (update group).
            wait_until("the second upstream to learn it too", lambda: gw.json("show bgp neighbors 10.0.1.253 advertised-routes"),
                       timeout=30)
            summary = gw.json("show bgp summary")
            self.assertGreaterEqual(int(summary.get("sharedUpdateSends", "0")), 1, summary)

            # The node's bgpd dies without a word: its route stays, stale.
            wait_until("the gateway to have the node's route",
                       lambda: gw.route("10.0.1.100/32") and gw.route("10.0.1.100/32").get("fibNextHops") == ["10.0.1.11"]
                       and in_kernel(), timeout=30)
            kernel_samples.clear()
            lab.nodes["n1"]["frr"].kill()

            def stale():
                r = gw.route("10.0.1.100/32")
                return in_kernel() and r and r["paths"][0].get("stale") and r.get("fibNextHops") == ["10.0.1.11"]

            wait_until("the route to be kept as stale after the node died", stale, timeout=30,
                       on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            self.assertIsNotNone(upstream_route(), "the upstream must keep the route during the restart")

            eor = "10.0.1.11: End-of-RIB for ipv4-unicast"
            eors = gw.log_text().count(eor)
            lab.start_frr_node_bgpd("n1", NODE_CONF)
            wait_until("the restarted node's End-of-RIB",
                       lambda: in_kernel() is not None and gw.log_text().count(eor) > eors, timeout=60,
                       interval=0.05, on_timeout=gw.logs)
            # The samples read before bgpd logged that End-of-RIB (the log's local time, in ms).
            line = [ln for ln in gw.log_text().splitlines() if eor in ln][eors]
            eor_at = datetime.datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S.%f").timestamp()
            before = [h for t, h in kernel_samples if t < eor_at]
            self.assertGreater(len(before), 10, kernel_samples)
            self.assertEqual([h for h in before if h != ["10.0.1.11"]], [],
                             "the kernel route must stay through the node's graceful restart")

            def fresh():
                r = gw.route("10.0.1.100/32")
                return r and not r["paths"][0].get("stale") and r.get("fibNextHops") == ["10.0.1.11"]

            wait_until("the route to be fresh after the node's End-of-RIB", fresh, timeout=60,
                       on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            wait_until("the fresh route in the kernel", lambda: kernel_gateways(lab.gw, "10.0.1.100/32") == ["10.0.1.11"],
                       timeout=10, on_timeout=gw.logs)

            # Dead for good: after the node's restart time (15 s) its stale route is purged.
            lab.nodes["n1"]["frr"].kill()
            wait_until("the route to be kept as stale again", stale, timeout=30)
            wait_until("the stale route to be purged after the restart time", lambda: gw.route("10.0.1.100/32") is None,
                       timeout=40, on_timeout=gw.logs)
            wait_until("the purged route to leave the kernel", lambda: kernel_gateways(lab.gw, "10.0.1.100/32") == [],
                       timeout=5, on_timeout=gw.logs)
            wait_until("the upstream to see the withdrawal", lambda: upstream_route() is None, timeout=30)


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "vtysh", nexthop_objects=True)
