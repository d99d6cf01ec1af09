#!/usr/bin/env python3
"""`--metrics-listen` (issue: CLI, API and metrics): bgpd and bfdd serve Prometheus text on the
gateway namespace's loopback. With one FRR node announcing two /32s over BFD, checked: every line
is well-formed exposition text with HELP and TYPE; the neighbor is up with its counters and
prefixes; the FIB gauges match the kernel and the write-latency histogram counted the flushes;
the BFD session is up; a broken reload counts as a failure and a good one as a success. Both
daemons, started as root, hold only the three network capabilities once their sockets are open.
"""
import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, frr_node_bgp, gateway_bgp, kernel_gateways, main, scrape, value, wait_until  # noqa: E402

GATEWAY = gateway_bgp(group=["bfd"])

NODE_BFD = """hostname n1
bfd
 peer 10.0.1.1
 !
!
"""

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+-]+$|'
                    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \+?Inf$')


class Metrics(unittest.TestCase):
    def test_bgpd_and_bfdd_pages(self):
        with Lab("metric") as lab:
            bfd = lab.start_bfdd(GATEWAY, extra=["--metrics-listen", "127.0.0.1:9643"])
            gw = lab.start_bgpd(GATEWAY, fib=True, extra=["--metrics-listen", "127.0.0.1:9642"])
            node = lab.add_node("n1", 11)
            lab.start_frr("n1", frr_node_bgp("n1", 64601, node["addr"], ["10.0.1.100/32", "10.0.1.101/32"]))
            lab.start_frr_bfdd("n1", NODE_BFD)

            def diagnose():
                return scrape(lab.gw, 9642) + gw.logs(30) + bfd.logs(20)

            wait_until("both routes in the kernel", lambda: kernel_gateways(lab.gw, "10.0.1.101/32") == ["10.0.1.11"]
                       and kernel_gateways(lab.gw, "10.0.1.100/32") == ["10.0.1.11"], timeout=60, on_timeout=diagnose)
            page = wait_until("bgpd's page with the neighbor up",
                              lambda: (lambda t: t if value(t, "ridgeline_bgp_neighbor_up", neighbor="10.0.1.11") == 1
                                       else None)(scrape(lab.gw, 9642)), timeout=20, on_timeout=diagnose)
            self.well_formed(page)
            n = {"neighbor": "10.0.1.11"}
            self.assertEqual(value(page, "ridgeline_bgp_neighbor_state", **n), 6)
            self.assertGreaterEqual(value(page, "ridgeline_bgp_neighbor_updates_received_total", **n), 1)
            self.assertGreaterEqual(value(page, "ridgeline_bgp_neighbor_messages_sent_total", **n), 2)
            self.assertEqual(value(page, "ridgeline_bgp_neighbor_prefixes_accepted", afi="ipv4-unicast", **n), 2)
            self.assertEqual(value(page, "ridgeline_fib_routes"), 2)
            self.assertEqual(value(page, "ridgeline_fib_groups"), 1)
            flushes = value(page, "ridgeline_fib_write_latency_seconds_count")
            self.assertGreaterEqual(flushes, 1)
            self.assertEqual(value(page, "ridgeline_fib_write_latency_seconds_bucket", le="+Inf"), flushes)

            page = wait_until("bfdd's page with the session up",
                              lambda: (lambda t: t if value(t, "ridgeline_bfd_session_up", peer="10.0.1.11") == 1
                                       else None)(scrape(lab.gw, 9643)), timeout=30, on_timeout=diagnose)
            self.well_formed(page)
            self.assertGreater(value(page, "ridgeline_bfd_packets_received_total", peer="10.0.1.11"), 0)
            self.assertAlmostEqual(value(page, "ridgeline_bfd_detection_time_seconds", peer="10.0.1.11"), 0.9)

            # Both daemons kept only CAP_NET_ADMIN, CAP_NET_BIND_SERVICE and CAP_NET_RAW (bits 12, 10, 13)
            # once their sockets were open, though started as root; and they still work (above).
            for daemon in (gw, bfd):
                with open(f"/proc/{daemon.proc.pid}/status") as f:
                    caps = dict(line.split(":\t", 1) for line in f.read().splitlines() if line.startswith("Cap"))
                for kind in ("CapEff", "CapPrm", "CapBnd"):
                    self.assertEqual(int(caps[kind], 16), 0x3400, f"{daemon.log}: {kind} {caps[kind]}")

            # Reloads: a broken file is a failure, a good one a success.
            path = os.path.join(os.path.dirname(gw.run_dir), "ridgeline.conf")
            with open(path, "w") as f:
                f.write(GATEWAY + "router bgp 64512\n nonsense here\n")
            gw.proc.send_signal(signal.SIGHUP)
            wait_until("a failed reload counted",
                       lambda: value(scrape(lab.gw, 9642), "ridgeline_config_reloads_total", result="failure") == 1,
                       timeout=10, on_timeout=diagnose)
            with open(path, "w") as f:
                f.write(GATEWAY)
            gw.proc.send_signal(signal.SIGHUP)
            wait_until("a good reload counted",
                       lambda: value(scrape(lab.gw, 9642), "ridgeline_config_reloads_total", result="success") == 1,
                       timeout=10, on_timeout=diagnose)

    def well_formed(self, page):
        families = set()
        for line in page.splitlines():
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                families.add(line.split()[2])
                continue
            self.assertRegex(line, SAMPLE)
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            self.assertTrue(name in families or base in families, f"{name} has no HELP/TYPE")
            self.assertTrue(name.startswith("ridgeline_"), name)


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", nexthop_objects=True)
