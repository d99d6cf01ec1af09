#!/usr/bin/env python3
"""BIRD 2 and GoBGP as peers, with 4-octet ASNs (issue: interop, item 7). Each node announces a
/32 to the gateway (AS 4200000001) through its listen range; the gateway announces 10.0.9.0/24
back (network + an outbound route-map, RFC 8212). Checked both ways: the gateway's Loc-RIB and
kernel hold both nodes' /32s with the right AS paths, and BIRD (`birdc show route`) and GoBGP
(`gobgp global rib`) each hold the gateway's /24 with AS path 4200000001.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, main, sh, wait_until  # noqa: E402

GATEWAY_CONF = """hostname gw
router bgp 4200000001
 bgp router-id 10.0.1.1
 neighbor NODES peer-group
 neighbor NODES remote-as external
 bgp listen range 10.0.1.0/24 peer-group NODES
 address-family ipv4 unicast
  network 10.0.9.0/24
  neighbor NODES prefix-list METALLB in
  neighbor NODES route-map ANNOUNCE out
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
route-map ANNOUNCE permit 10
exit
"""

BIRD_CONF = """router id 10.0.1.21;
protocol device {}
protocol static svc {
  ipv4;
  route 10.0.1.150/32 blackhole;
}
protocol bgp uplink {
  local 10.0.1.21 as 4200000021;
  neighbor 10.0.1.1 as 4200000001;
  ipv4 { import all; export where proto = "svc"; };
}
"""

GOBGP_CONF = """[global.config]
  as = 4200000022
  router-id = "10.0.1.22"
  port = -1

[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.1.1"
    peer-as = 4200000001
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
"""


class BirdAndGobgp(unittest.TestCase):
    def test_routes_both_ways_with_four_octet_asns(self):
        with Lab("birdgo") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF, fib=True)
            bird = lab.add_node("bird", 21)
            d = lab.path("bird", "x")[:-2]
            with open(os.path.join(d, "bird.conf"), "w") as f:
                f.write(BIRD_CONF)
            bird_sock = os.path.join(d, "bird.ctl")
            lab.spawn(bird["ns"], ["bird", "-f", "-c", os.path.join(d, "bird.conf"), "-s", bird_sock,
                                   "-P", os.path.join(d, "bird.pid")], os.path.join(d, "bird.log"))
            go = lab.add_node("gobgp", 22)
            g = lab.path("gobgp", "x")[:-2]
            with open(os.path.join(g, "gobgpd.toml"), "w") as f:
                f.write(GOBGP_CONF)
            lab.spawn(go["ns"], ["gobgpd", "-f", os.path.join(g, "gobgpd.toml"), "--api-hosts", "127.0.0.1:50051",
                                 "--pprof-disable"], os.path.join(g, "gobgpd.log"))

            def gobgp(*args):
                return subprocess.run(["ip", "netns", "exec", go["ns"], "gobgp", "-u", "127.0.0.1", "-p", "50051", *args],
                                      capture_output=True, text=True, timeout=10)

            wait_until("GoBGP's API", lambda: gobgp("global").returncode == 0, timeout=20,
                       on_timeout=lambda: open(os.path.join(g, "gobgpd.log")).read()[-2000:])
            self.assertEqual(gobgp("global", "rib", "add", "10.0.1.151/32", "-a", "ipv4").returncode, 0)

            def both():
                a, b = gw.route("10.0.1.150/32"), gw.route("10.0.1.151/32")
                return (a, b) if a and b else None

            a, b = wait_until("the BIRD and GoBGP /32s at the gateway", both, timeout=60,
                              on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            self.assertEqual(a["paths"][0].get("asPath"), "4200000021", a)
            self.assertEqual(b["paths"][0].get("asPath"), "4200000022", b)
            self.assertEqual(a["fibNextHops"], ["10.0.1.21"])
            self.assertEqual(b["fibNextHops"], ["10.0.1.22"])
            caps = {n["address"]: n.get("capabilities", []) for n in gw.json("show bgp neighbors")["neighbors"]}
            for peer in ("10.0.1.21", "10.0.1.22"):
                self.assertIn("4-octet-as", caps[peer], caps[peer])
            wait_until("both /32s in the gateway's kernel",
                       lambda: {r["dst"] for r in json.loads(sh("ip", "-n", lab.gw, "-j", "route", "show", "proto",
                                                                "bgp", capture=True).stdout or "[]")}
                       >= {"10.0.1.150", "10.0.1.151"}, timeout=20, on_timeout=gw.logs)

            # The other way: the gateway's /24 at both, with the gateway's 4-octet AS.
            def bird_has():
                out = subprocess.run(["ip", "netns", "exec", bird["ns"], "birdc", "-s", bird_sock, "show", "route",
                                      "10.0.9.0/24", "all"], capture_output=True, text=True, timeout=10).stdout
                return out if "4200000001" in out else None

            wait_until("BIRD to hold 10.0.9.0/24 from AS 4200000001", bird_has, timeout=30,
                       on_timeout=lambda: open(os.path.join(d, "bird.log")).read()[-2000:])

            def gobgp_has():
                out = gobgp("global", "rib", "-a", "ipv4", "10.0.9.0/24").stdout
                return out if "4200000001" in out else None

            wait_until("GoBGP to hold 10.0.9.0/24 from AS 4200000001", gobgp_has, timeout=30,
                       on_timeout=lambda: gobgp("global", "rib", "-a", "ipv4").stdout)


if __name__ == "__main__":
    main("/usr/sbin/bird", "/usr/bin/gobgpd")
