#!/usr/bin/env python3
"""bgpd programs the gateway's kernel FIB from real FRR nodes (issue: fib).

Four FRR nodes announce the same two service /32s through a listen range, two of them a third.
Checked with `ip` in the gateway namespace:
- ECMP routes over 4 and over 2 next hops, each set through one shared nexthop group;
- a node leaving replaces the group in place (`ip nexthop` shows the same id, one member less);
- a route deleted by hand comes back within the reconcile interval;
- bgpd restarting (SIGTERM with graceful restart, and kill -9) leaves the routes in place
  throughout, and the new bgpd adopts them: same group ids, no duplicate objects;
- without graceful restart, a SIGTERM removes every route of ours and nothing else; `rlsh clear
  fib` reconciles on demand;
- a link going down takes its next hops out at once, and its coming back up puts them back while
  the BGP session stays up (only the link notifications can tell).
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, kernel_gateways, main, sh, wait_until  # noqa: E402

GATEWAY_CONF = """hostname gw
router bgp 64512
 bgp router-id 10.0.1.1
 bgp bestpath as-path multipath-relax
 {graceful}
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor NODES timers 3 9
 bgp listen range 10.0.1.0/24 peer-group NODES
 address-family ipv4 unicast
  neighbor NODES prefix-list METALLB in
  maximum-paths 64
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
fib
 reconcile-interval {interval}
 convergence-timeout 60
exit
"""

NODE_CONF = """hostname {name}
router bgp {asn}
 bgp router-id {addr}
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor {gw} remote-as 64512
 neighbor {gw} timers 3 9
 neighbor {gw} timers connect 1
 address-family ipv4 unicast
{networks}
 exit-address-family
"""

SERVICES = ("10.0.1.100", "10.0.1.101")
PAIR = "10.0.1.110"
NODES = (("n1", 11, 64601), ("n2", 12, 64602), ("n3", 13, 64603), ("n4", 14, 64604))


def ip_json(ns, *args):
    out = sh("ip", "-n", ns, "-j", *args, capture=True, check=False).stdout
    return json.loads(out or "[]")


class Kernel:
    """The gateway namespace's FIB as `ip` shows it."""

    def __init__(self, ns):
        self.ns = ns

    def routes(self):
        return {r["dst"]: r for r in ip_json(self.ns, "route", "show", "proto", "bgp")}

    def objects(self):
        return [n for n in ip_json(self.ns, "nexthop", "show") if n.get("protocol") == "bgp"]

    def group(self, nhid):
        g = ip_json(self.ns, "nexthop", "show", "id", str(nhid))
        return g[0] if g else None

    def gateways(self, prefix):
        return kernel_gateways(self.ns, prefix)


class Watch(threading.Thread):
    """Samples the kernel's routes until stopped; records each sample that lacks one of them."""

    def __init__(self, kernel, prefixes):
        super().__init__(daemon=True)
        self.kernel, self.prefixes = kernel, set(prefixes)
        self.samples, self.missing = 0, []
        self.done = threading.Event()

    def run(self):
        deadline = time.monotonic() + 120  # bounded, whatever happens to the test
        while not self.done.is_set() and time.monotonic() < deadline:
            have = set(self.kernel.routes())
            self.samples += 1
            if not self.prefixes <= have:
                self.missing.append(sorted(self.prefixes - have))

    def stop(self):
        self.done.set()
        self.join(timeout=10)


class BgpdFibWithFrr(unittest.TestCase):
    def start_nodes(self, lab):
        for name, host, asn in NODES:
            node = lab.add_node(name, host)
            nets = list(SERVICES) + ([PAIR] if host in (11, 12) else [])
            networks = "\n".join(f"  network {n}/32" for n in nets)
            lab.start_frr(name, NODE_CONF.format(name=name, asn=asn, addr=node["addr"], networks=networks,
                                                 gw="10.0.1.1"))

    def wait_for_full_table(self, kernel, gw, what="all four nodes in the FIB"):
        four = [f"10.0.1.{h}" for _, h, _ in NODES]

        def full():
            return (all(kernel.gateways(p) == four for p in SERVICES) and
                    kernel.gateways(PAIR) == ["10.0.1.11", "10.0.1.12"])

        wait_until(what, full, timeout=60,
                   on_timeout=lambda: gw.rlsh("show bgp summary") + str(kernel.routes()) + gw.logs())

    def test_groups_in_place_replace_reconcile_and_restarts(self):
        with Lab("bgpfib") as lab:
            conf = GATEWAY_CONF.format(graceful="bgp graceful-restart", interval=2)
            gw = lab.start_bgpd(conf, fib=True)
            kernel = Kernel(lab.gw)
            self.start_nodes(lab)
            self.wait_for_full_table(kernel, gw)

            routes = kernel.routes()
            shared = {routes[p]["nhid"] for p in SERVICES}
            self.assertEqual(len(shared), 1, f"the two services must share one group: {routes}")
            shared = shared.pop()
            self.assertNotEqual(routes[PAIR]["nhid"], shared)
            self.assertEqual(routes[SERVICES[0]].get("metric"), 20)
            self.assertTrue(0x52000000 <= shared <= 0x52ffffff, hex(shared))
            # 4 nexthops, a 4-group and a 2-group: nothing else of ours.
            self.assertEqual(len(kernel.objects()), 6, kernel.objects())
            self.assert_cli_matches_kernel(gw, kernel)

            # n4 leaves: the same group now has three members; the routes did not move.
            lab.nodes["n4"]["frr"].terminate()
            three = ["10.0.1.11", "10.0.1.12", "10.0.1.13"]
            wait_until("the shared group without 10.0.1.14", lambda: kernel.gateways(SERVICES[0]) == three,
                       timeout=30, on_timeout=lambda: str(kernel.routes()) + gw.logs())
            routes = kernel.routes()
            self.assertEqual({routes[p]["nhid"] for p in SERVICES}, {shared}, "replaced in place, same id")
            self.assertEqual(len(kernel.group(shared)["group"]), 3)
            self.assertEqual(len(kernel.objects()), 5)  # the nexthop of 10.0.1.14 went with it
            self.assertGreaterEqual(int(gw.json("show fib status").get("groupReplaces", 0)), 1)
            self.assert_cli_matches_kernel(gw, kernel)

            # A route deleted by hand comes back within the reconcile interval (2 s).
            sh("ip", "-n", lab.gw, "route", "del", f"{SERVICES[1]}/32")
            deleted = time.monotonic()
            wait_until(f"{SERVICES[1]} back after `ip route del`", lambda: SERVICES[1] in kernel.routes(), timeout=10,
                       interval=0.05, on_timeout=gw.logs)
            self.assertLess(time.monotonic() - deleted, 2 + 1.5)
            self.assertEqual(kernel.routes()[SERVICES[1]]["nhid"], shared)
            wait_until("the repair counted as drift", lambda: int(gw.json("show fib status").get("drift", 0)) >= 1,
                       timeout=10, on_timeout=gw.logs)

            # bgpd restarts, twice: SIGTERM with graceful restart, then kill -9. The kernel keeps
            # every route throughout, and the new bgpd adopts them without a duplicate.
            prefixes = list(SERVICES) + [PAIR]
            for how in (signal.SIGTERM, signal.SIGKILL):
                before = kernel.routes()
                objects = sorted(n["id"] for n in kernel.objects())
                watch = Watch(kernel, prefixes)
                watch.start()
                gw.proc.send_signal(how)
                gw.proc.wait(timeout=20)
                self.assertTrue(set(prefixes) <= set(kernel.routes()), f"after {how.name}: {kernel.routes()}")
                gw = lab.start_bgpd(conf, fib=True)
                wait_until("the restarted bgpd to hear from n1..n3 again",
                           lambda: len([n for n in gw.json("show bgp summary")["neighbors"]
                                        if n["state"] == "Established"]) == 3,
                           timeout=60, on_timeout=gw.logs)
                wait_until("the restarted bgpd to converge (End-of-RIB from every node)",
                           lambda: "the RIB has converged" in gw.log_text(), timeout=60, on_timeout=gw.logs)
                watch.stop()
                self.assertGreater(watch.samples, 10)
                self.assertEqual(watch.missing, [], f"routes missing from the kernel during the {how.name} restart")
                after = kernel.routes()
                self.assertEqual({p: after[p]["nhid"] for p in prefixes}, {p: before[p]["nhid"] for p in prefixes},
                                 f"adopted, not rewritten ({how.name})")
                self.assertEqual(sorted(n["id"] for n in kernel.objects()), objects, "no duplicate objects")
                self.assertIn("fib: adopted 3 routes", gw.log_text())
                status = wait_until("the FIB to have swept after convergence",
                                    lambda: (lambda st: st if st.get("converged") else None)(gw.json("show fib status")),
                                    timeout=10, on_timeout=gw.logs)
                self.assertEqual(int(status.get("adopted", 0)), 0, status)
                self.assert_cli_matches_kernel(gw, kernel)

    def assert_cli_matches_kernel(self, gw, kernel):
        """What rlsh shows of the FIB is what the kernel holds: prefixes, group ids, gateways."""
        shown = {r["prefix"].split("/")[0]: r for r in gw.json("show ip route bgp")}
        routes = kernel.routes()
        self.assertEqual(set(shown), set(routes))
        for p, r in shown.items():
            self.assertEqual(r["groupId"], routes[p]["nhid"], p)
            self.assertEqual(sorted(n["gateway"] for n in r["nexthops"]), kernel.gateways(p), p)
            self.assertEqual({n["interface"] for n in r["nexthops"]}, {"br0"})

    def test_without_graceful_restart_a_stop_removes_our_routes_only(self):
        with Lab("bgpfibs") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF.format(graceful="", interval=0), fib=True)
            kernel = Kernel(lab.gw)
            sh("ip", "-n", lab.gw, "route", "add", "10.9.0.0/16", "via", "10.0.1.254", "proto", "static")
            self.start_nodes(lab)
            self.wait_for_full_table(kernel, gw)
            # No periodic reconcile here: a route deleted by hand comes back on `clear fib`.
            sh("ip", "-n", lab.gw, "route", "del", f"{PAIR}/32")
            self.assertNotIn(PAIR, kernel.routes())
            gw.rlsh("clear fib")
            wait_until(f"{PAIR} back after `clear fib`", lambda: PAIR in kernel.routes(), timeout=10, interval=0.05,
                       on_timeout=gw.logs)
            gw.proc.send_signal(signal.SIGTERM)
            gw.proc.wait(timeout=20)
            self.assertEqual(kernel.routes(), {})
            self.assertEqual(kernel.objects(), [])
            statics = ip_json(lab.gw, "route", "show", "proto", "static")
            self.assertEqual([s["dst"] for s in statics], ["10.9.0.0/16"])

    def test_link_down_takes_its_next_hops_out_and_link_up_brings_them_back(self):
        with Lab("bgpfibl") as lab:
            # A second link: the gateway's up0 (10.0.2.1/24) to node n5 (10.0.2.2), beside the bridge.
            gw = lab.start_bgpd(GATEWAY_CONF.format(graceful="", interval=0).replace(
                " bgp listen range 10.0.1.0/24 peer-group NODES",
                " bgp listen range 10.0.1.0/24 peer-group NODES\n bgp listen range 10.0.2.0/24 peer-group NODES"), fib=True)
            kernel = Kernel(lab.gw)
            node = lab.add_node("n1", 11)
            lab.start_frr("n1", NODE_CONF.format(name="n1", asn=64601, addr=node["addr"], gw="10.0.1.1",
                                                 networks=f"  network {SERVICES[0]}/32"))
            n5 = f"{lab.tag}n5"
            lab._ns(n5)
            sh("ip", "link", "add", "up0", "netns", lab.gw, "type", "veth", "peer", "name", "eth0", "netns", n5)
            lab.ip(lab.gw, "addr", "add", "10.0.2.1/24", "dev", "up0")
            lab.ip(lab.gw, "link", "set", "up0", "up")
            lab.ip(n5, "addr", "add", "10.0.2.2/24", "dev", "eth0")
            lab.ip(n5, "link", "set", "eth0", "up")
            lab.nodes["n5"] = {"ns": n5, "addr": "10.0.2.2"}
            lab.start_frr("n5", NODE_CONF.format(name="n5", asn=64605, addr="10.0.2.2", gw="10.0.2.1",
                                                 networks=f"  network {SERVICES[0]}/32"))
            both = ["10.0.1.11", "10.0.2.2"]
            wait_until("the service over both links", lambda: kernel.gateways(SERVICES[0]) == both, timeout=60,
                       on_timeout=lambda: gw.rlsh("show bgp summary") + str(kernel.routes()) + gw.logs())
            nhid = kernel.routes()[SERVICES[0]]["nhid"]

            def session_up():
                return any(n["address"] == "10.0.2.2" and n["state"] == "Established"
                           for n in gw.json("show bgp summary")["neighbors"])

            lab.ip(lab.gw, "link", "set", "up0", "down")
            wait_until("10.0.2.2 out of the group at once", lambda: kernel.gateways(SERVICES[0]) == ["10.0.1.11"],
                       timeout=2, interval=0.02, on_timeout=gw.logs)
            wait_until("rlsh to show the same", lambda: [n["gateway"] for n in gw.json("show ip route bgp")[0]["nexthops"]]
                       == ["10.0.1.11"], timeout=2, interval=0.05, on_timeout=gw.logs)
            self.assertTrue(session_up(), "the BGP session must still be up: the link event did this")
            lab.ip(lab.gw, "link", "set", "up0", "up")
            wait_until("10.0.2.2 back in the group", lambda: kernel.gateways(SERVICES[0]) == both, timeout=5,
                       interval=0.02, on_timeout=lambda: str(kernel.routes()) + gw.logs())
            self.assertTrue(session_up(), "the BGP session stayed up throughout")
            self.assertEqual(kernel.routes()[SERVICES[0]]["nhid"], nhid, "the same group, replaced in place")


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", nexthop_objects=True)
