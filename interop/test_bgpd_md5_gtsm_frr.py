#!/usr/bin/env python3
"""TCP-MD5 (RFC 2385) on a listen range and on a configured neighbor, and GTSM (RFC 5082), with FRR
(issues: bgpd sessions; robustness and security).

Node n1 has the range's password and comes up; n3 is a configured neighbor with its own password
(the gateway connects to it too, so the key is also on our connecting socket) and comes up; n2 has
a wrong password and never gets a session while the gateway's kernel counts its dropped segments
(TcpExtTCPMD5Failure). Both sides run `ttl-security hops 1`, so the sessions also prove TTL 255 on
send and the minimum-TTL check on receive.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, kernel_counters, main, wait_until  # noqa: E402

GATEWAY_CONF = """router bgp 64512
 bgp router-id 10.0.1.1
 no bgp ebgp-requires-policy
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor NODES password metallb-secret
 neighbor NODES ttl-security hops 1
 bgp listen range 10.0.1.0/24 peer-group NODES
 neighbor 10.0.1.13 remote-as 64603
 neighbor 10.0.1.13 password neighbor-secret
 neighbor 10.0.1.13 ttl-security hops 1
exit
"""

NODE_CONF = """router bgp {asn}
 bgp router-id 10.0.1.{host}
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.0.1.1 remote-as 64512
 neighbor 10.0.1.1 password {password}
 neighbor 10.0.1.1 ttl-security hops 1
 address-family ipv4 unicast
  network 10.0.1.{svc}/32
 exit-address-family
"""


def md5_failures(ns):
    """Segments the namespace's kernel dropped for a wrong or missing TCP-MD5 signature."""
    return kernel_counters(ns, "TcpExtTCPMD5Failure", "TcpExtTCPMD5NotFound")


class Md5AndGtsm(unittest.TestCase):
    def test_right_key_gives_a_session_and_a_wrong_key_none(self):
        with Lab("md5") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF)
            lab.add_node("n1", 11)
            lab.add_node("n2", 12)
            lab.add_node("n3", 13)
            lab.start_frr("n1", NODE_CONF.format(asn=64601, host=11, password="metallb-secret", svc=101))
            lab.start_frr("n2", NODE_CONF.format(asn=64602, host=12, password="wrong-secret", svc=102))
            lab.start_frr("n3", NODE_CONF.format(asn=64603, host=13, password="neighbor-secret", svc=103))

            def n1_route():
                r = gw.route("10.0.1.101/32")
                return r and r.get("fibNextHops") == ["10.0.1.11"]

            wait_until("n1 (right key) to bring up a session and its route", n1_route, timeout=60,
                       on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            wait_until("n3 (configured neighbor, its own key) to bring up a session and its route",
                       lambda: (gw.route("10.0.1.103/32") or {}).get("fibNextHops") == ["10.0.1.13"], timeout=60,
                       on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())

            # n2 keeps trying (FRR retries every few seconds): its segments are dropped by the kernel,
            # and it never appears, checked at every poll until several have been.
            before = md5_failures(lab.gw)

            def n2_refused_a_few_times():
                names = [n["address"] for n in gw.json("show bgp summary")["neighbors"]]
                self.assertNotIn("10.0.1.12", names, "a peer with the wrong TCP-MD5 key got a session")
                self.assertIsNone(gw.route("10.0.1.102/32"))
                return md5_failures(lab.gw) >= before + 3

            wait_until("the gateway's kernel to drop n2's segments (wrong key) a few times", n2_refused_a_few_times,
                       timeout=60, on_timeout=lambda: gw.logs())

if __name__ == "__main__":
    main("/usr/lib/frr/bgpd")
