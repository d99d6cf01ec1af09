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
    def __init__(self, ns):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, os.path.join(BUILD_BIN, "fib_probe")], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)

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


if __name__ == "__main__":
    main()
