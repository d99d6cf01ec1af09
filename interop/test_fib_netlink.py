#!/usr/bin/env python3
"""fib over the real kernel, in a namespace (issue: fib). Drives fib::Programmer through
build/bin/fib_probe and checks with `ip`: ECMP over 2 and 4 next hops through one shared group;
a next hop leaving replaces the group in place (same id); a route deleted by hand comes back at
reconcile, counted as drift; routes of other protocols are never touched."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BUILD_BIN, Lab, main, sh  # noqa: E402


class Probe:
    def __init__(self, ns, *options):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, os.path.join(BUILD_BIN, "fib_probe"), *options],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __call__(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = self.p.stdout.readline().strip()
        if not out.startswith("ok"):
            raise AssertionError(f"fib_probe {line!r}: {out!r}")
        return dict(kv.split("=") for kv in out.split()[1:])

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)
        self.p.stdout.close()


def bgp_routes(ns, family="-4"):
    return {r["dst"]: r for r in ip_json(ns, family, "route", "show", "proto", "bgp")}


def bgp_nexthops(ns):
    return [n for n in ip_json(ns, "nexthop", "show") if n.get("protocol") == "bgp"]


def gateways(route):
    """The gateways of a route given by RTA_MULTIPATH or a single gateway."""
    if "nexthops" in route:
        return sorted(n["gateway"] for n in route["nexthops"])
    return [route["gateway"]] if "gateway" in route else []


def ip_json(ns, *args):
    return json.loads(sh("ip", "-n", ns, "-j", *args, capture=True).stdout or "[]")


class FibNetlink(unittest.TestCase):
    def test_groups_replace_and_reconcile(self):
        with Lab("fibnl") as lab:
            ns = lab.gw
            probe = Probe(ns)
            try:
                probe("connected 10.0.1.0/24 br0")
                probe("connected 2001:db8:1::/64 br0")
                four = ",".join(f"10.0.1.{h}" for h in (11, 12, 13, 14))
                for p in ("10.0.1.100/32", "10.0.1.101/32", "10.0.1.102/32"):
                    probe(f"route {p} {four}")
                probe("route 10.0.1.110/32 10.0.1.11,10.0.1.12")
                probe("route 2001:db8:100::5/128 2001:db8:1::11,2001:db8:1::12")
                probe("flush")

                def routes():
                    return {r["dst"]: r for r in ip_json(ns, "route", "show", "proto", "bgp")}

                def v6routes():
                    return {r["dst"]: r for r in ip_json(ns, "-6", "route", "show", "proto", "bgp")}

                def group(nhid):
                    g = [n for n in ip_json(ns, "nexthop", "show", "id", str(nhid))]
                    return sorted(m["id"] for m in g[0]["group"])

                r = routes()
                ids = {r[p]["nhid"] for p in ("10.0.1.100", "10.0.1.101", "10.0.1.102")}
                self.assertEqual(len(ids), 1, f"the 4-way routes must share one group: {r}")
                shared = ids.pop()
                self.assertEqual(len(group(shared)), 4)
                self.assertEqual(len(group(r["10.0.1.110"]["nhid"])), 2)
                self.assertEqual(r["10.0.1.100"].get("metric"), 20)
                v6 = v6routes()
                self.assertEqual(len(group(v6["2001:db8:100::5"]["nhid"])), 2)

                # 10.0.1.14 leaves every 4-way route: one in-place replace, same group id.
                three = ",".join(f"10.0.1.{h}" for h in (11, 12, 13))
                for p in ("10.0.1.100/32", "10.0.1.101/32", "10.0.1.102/32"):
                    probe(f"route {p} {three}")
                out = probe("flush")
                self.assertEqual(out["group_replaces"], "1")
                r = routes()
                self.assertEqual({r[p]["nhid"] for p in ("10.0.1.100", "10.0.1.101", "10.0.1.102")}, {shared})
                self.assertEqual(len(group(shared)), 3)

                # Drift: a route deleted by hand comes back; a static route is left alone.
                sh("ip", "-n", ns, "route", "del", "10.0.1.101/32")
                sh("ip", "-n", ns, "route", "add", "10.9.0.0/16", "via", "10.0.1.254", "proto", "static")
                self.assertEqual(probe("reconcile")["drift"], "1")
                self.assertIn("10.0.1.101", routes())
                statics = ip_json(ns, "route", "show", "proto", "static")
                self.assertEqual([s["dst"] for s in statics], ["10.9.0.0/16"])
                self.assertEqual(probe("reconcile")["drift"], "0")

                # Everything withdrawn: no route, group or nexthop of ours stays.
                for p in ("10.0.1.100/32", "10.0.1.101/32", "10.0.1.102/32", "10.0.1.110/32", "2001:db8:100::5/128"):
                    probe(f"route {p}")
                probe("flush")
                self.assertEqual(routes(), {})
                self.assertEqual([n for n in ip_json(ns, "nexthop", "show") if n.get("protocol") == "bgp"], [])
            finally:
                probe.close()

    def test_restart_adopts_without_a_write_and_sweeps_the_rest(self):
        with Lab("fibadopt") as lab:
            ns = lab.gw
            first = Probe(ns)
            try:
                first("connected 10.0.1.0/24 br0")
                first("route 10.0.1.100/32 10.0.1.11,10.0.1.12")
                first("route 10.0.1.101/32 10.0.1.11,10.0.1.12")
                first("route 10.0.1.102/32 10.0.1.13")
                first("flush")
            finally:
                first.close()  # the process is gone; the kernel keeps its routes
            before = bgp_routes(ns)
            self.assertEqual(set(before), {"10.0.1.100", "10.0.1.101", "10.0.1.102"})
            objects = bgp_nexthops(ns)
            second = Probe(ns)
            try:
                second("connected 10.0.1.0/24 br0")
                self.assertEqual(second("adopt")["adopted"], "3")
                second("route 10.0.1.100/32 10.0.1.12,10.0.1.11")
                second("route 10.0.1.101/32 10.0.1.11,10.0.1.12")
                self.assertEqual(second("flush")["ops"], "0", "what the RIB confirms is not rewritten")
                self.assertEqual(bgp_routes(ns), before)
                self.assertEqual(bgp_nexthops(ns), objects)
                self.assertEqual(second("sweep")["swept"], "1")
                second("flush")
                after = bgp_routes(ns)
                self.assertEqual(set(after), {"10.0.1.100", "10.0.1.101"})
                self.assertEqual(after["10.0.1.100"]["nhid"], before["10.0.1.100"]["nhid"])
                self.assertEqual(second("reconcile")["drift"], "0")
                for p in ("10.0.1.100/32", "10.0.1.101/32"):
                    second(f"route {p}")
                second("flush")
                self.assertEqual(bgp_nexthops(ns), [])
            finally:
                second.close()

    def test_multipath_routes_fallback(self):
        with Lab("fibmp") as lab:
            ns = lab.gw
            probe = Probe(ns, "--multipath")
            try:
                probe("connected 10.0.1.0/24 br0")
                probe("connected 2001:db8:1::/64 br0")
                three = "10.0.1.11,10.0.1.12,10.0.1.13"
                probe(f"route 10.0.1.100/32 {three}")
                probe(f"route 10.0.1.101/32 {three}")
                probe("route 10.0.1.102/32 10.0.1.14")
                probe("route 2001:db8:100::5/128 2001:db8:1::11,2001:db8:1::12")
                out = probe("flush")
                self.assertEqual(out["kernel_errors"], "0")
                self.assertEqual(bgp_nexthops(ns), [], "no nexthop objects in RTA_MULTIPATH mode")
                r = bgp_routes(ns)
                self.assertEqual(gateways(r["10.0.1.100"]), ["10.0.1.11", "10.0.1.12", "10.0.1.13"])
                self.assertEqual(gateways(r["10.0.1.102"]), ["10.0.1.14"])
                self.assertNotIn("nhid", r["10.0.1.100"])
                self.assertEqual(gateways(bgp_routes(ns, "-6")["2001:db8:100::5"]), ["2001:db8:1::11", "2001:db8:1::12"])
                # A node leaves: the "group" is replaced, which rewrites both of its routes.
                for p in ("10.0.1.100/32", "10.0.1.101/32"):
                    probe(f"route {p} 10.0.1.11,10.0.1.13")
                self.assertEqual(probe("flush")["group_replaces"], "1")
                r = bgp_routes(ns)
                self.assertEqual(gateways(r["10.0.1.100"]), ["10.0.1.11", "10.0.1.13"])
                self.assertEqual(gateways(r["10.0.1.101"]), ["10.0.1.11", "10.0.1.13"])
                # Drift repair works the same way.
                sh("ip", "-n", ns, "route", "del", "10.0.1.101/32")
                self.assertEqual(probe("reconcile")["drift"], "1")
                self.assertEqual(gateways(bgp_routes(ns)["10.0.1.101"]), ["10.0.1.11", "10.0.1.13"])
            finally:
                probe.close()
            # A restart in this mode adopts the routes too.
            again = Probe(ns, "--multipath")
            try:
                again("connected 10.0.1.0/24 br0")
                again("connected 2001:db8:1::/64 br0")
                self.assertEqual(again("adopt")["adopted"], "4")
                again("route 10.0.1.100/32 10.0.1.13,10.0.1.11")
                self.assertEqual(again("flush")["ops"], "0")
                again("sweep")
                again("flush")
                self.assertEqual(set(bgp_routes(ns)), {"10.0.1.100"})
                self.assertEqual(bgp_routes(ns, "-6"), {})
            finally:
                again.close()

    def test_resilient_groups(self):
        with Lab("fibres") as lab:
            ns = lab.gw
            probe = Probe(ns, "--resilient-v4", "32")
            try:
                probe("connected 10.0.1.0/24 br0")
                probe("route 10.0.1.100/32 10.0.1.11,10.0.1.12,10.0.1.13")
                self.assertEqual(probe("flush")["kernel_errors"], "0")
                nhid = bgp_routes(ns)["10.0.1.100"]["nhid"]
                group = ip_json(ns, "nexthop", "show", "id", str(nhid))[0]
                self.assertEqual(group.get("type"), "resilient", group)
                self.assertEqual(group["resilient_args"]["buckets"], 32)
                probe("route 10.0.1.100/32 10.0.1.11,10.0.1.13")
                out = probe("flush")
                self.assertEqual((out["group_replaces"], out["kernel_errors"]), ("1", "0"))
                group = ip_json(ns, "nexthop", "show", "id", str(nhid))[0]
                self.assertEqual(len(group["group"]), 2)
                self.assertEqual(group.get("type"), "resilient")
            finally:
                probe.close()


if __name__ == "__main__":
    main(nexthop_objects=True)
