#!/usr/bin/env python3
"""`fib pending-limit` (issue: robustness and security): route changes handed to the kernel
writer are bounded. The writer is kept busy by a reconcile (`clear fib`) over a kernel that holds
300,000 routes of another table, while a raw peer sends 30,000 /32s in packed UPDATEs as fast as
TCP takes them, against `pending-limit 1000`: bgpd stops reading that peer while 1000 changes wait
for the writer (the metrics count it) and reads on below half, so every route still reaches the
kernel with the right next hop, the session stays up, and an FRR node's session and route are
untouched.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bgp_peer import KEEPALIVE, RawPeer, as_path, message, next_hop, origin, prefix, update  # noqa: E402
from lab import Lab, frr_node_bgp, gateway_bgp, kernel_bgp_routes, kernel_gateways, main, scrape, sh, value, wait_until  # noqa: E402

COUNT = 30000
FOREIGN = 300000  # routes of table 200 that a reconcile dump walks through (and leaves alone)
GATEWAY = gateway_bgp(tail="ip prefix-list POOL seq 20 permit 10.128.0.0/9 le 32\n"
                           # bulk-hold 0: the writer flushes while the routes still come, so the
                           # queue builds up behind it (held, it takes every change at once)
                           "fib\n pending-limit 1000\n bulk-hold 0\nexit\n")


class FibBackpressure(unittest.TestCase):
    def test_pending_limit_parks_reading_and_loses_nothing(self):
        with Lab("fibbp") as lab:
            gw = lab.start_bgpd(GATEWAY, fib=True, extra=["--metrics-listen", "127.0.0.1:9644", "--log-level", "debug"])
            frr = lab.add_node("n1", 11)
            lab.start_frr("n1", frr_node_bgp("n1", 64601, frr["addr"], ["10.0.1.100/32"]))
            raw = lab.add_node("raw", 30)
            wait_until("FRR's route in the kernel", lambda: "10.0.1.100" in kernel_bgp_routes(lab.gw), timeout=60,
                       on_timeout=gw.logs)
            frr_before = gw.json("show bgp neighbors 10.0.1.11")["neighbors"][0].get("establishedCount")

            batch = lab.path("gw", "foreign.batch")
            with open(batch, "w") as f:
                for i in range(FOREIGN):
                    f.write(f"route add blackhole 172.{16 + i // 65536}.{i // 256 % 256}.{i % 256}/32 table 200\n")
            sh("ip", "-n", lab.gw, "-batch", batch, timeout=120)

            p = RawPeer(raw["ns"], raw["addr"], lab.gw_addr).establish(64630, "10.0.1.30")
            attrs = origin() + as_path(64630) + next_hop("10.0.1.30")
            names = [f"10.{128 + i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(COUNT)]
            per_update = 800  # 5 bytes each: 4000 + attributes < 4096
            updates = [update(attrs=attrs, nlri=b"".join(prefix(n + "/32") for n in names[i:i + per_update]))
                       for i in range(0, COUNT, per_update)]
            gw.rlsh("clear fib")  # the writer now dumps the kernel's 300k routes
            for u in updates:
                p.send(u)

            def installed():
                p.send(message(KEEPALIVE))  # the raw peer's keepalives (hold time 9 s), once a poll
                routes = kernel_bgp_routes(lab.gw)
                return sum(1 for n in names if n in routes)

            def diagnose():
                page = scrape(lab.gw, 9644)
                return (f"{len(kernel_bgp_routes(lab.gw))} bgp routes in the kernel; backlog "
                        f"{value(page, 'ridgeline_fib_backlog_changes')}, parked "
                        f"{value(page, 'ridgeline_bgp_reads_parked_total')}\n" + gw.logs())

            wait_until(f"all {COUNT} routes in the kernel", lambda: installed() == COUNT, timeout=20, interval=1,
                       on_timeout=diagnose)
            routes = kernel_bgp_routes(lab.gw)
            self.assertEqual({routes[n].get("nhid") for n in names}, {routes[names[0]].get("nhid")},
                             "every route through one nexthop object")
            self.assertEqual(kernel_gateways(lab.gw, names[-1] + "/32"), ["10.0.1.30"])
            page = scrape(lab.gw, 9644)
            parked = value(page, "ridgeline_bgp_reads_parked_total")
            self.assertIsNotNone(parked, page[:2000])
            self.assertGreater(parked, 0, "the pending limit was never reached: the test did not test it")
            self.assertEqual(value(page, "ridgeline_fib_backlog_changes"), 0)
            p.send(message(KEEPALIVE))
            self.assertFalse(p.closed_soon(1), "the raw peer's session stays up")
            n = gw.json("show bgp neighbors 10.0.1.30")["neighbors"][0]
            self.assertEqual(n["state"], "Established")
            self.assertEqual(gw.json("show bgp neighbors 10.0.1.11")["neighbors"][0].get("establishedCount"),
                             frr_before, "FRR's session was reset")
            self.assertIn("10.0.1.100", kernel_bgp_routes(lab.gw))
            print(f"{COUNT} routes installed; reads parked {parked:.0f} times at pending-limit 1000")
            p.close()


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", nexthop_objects=True)
