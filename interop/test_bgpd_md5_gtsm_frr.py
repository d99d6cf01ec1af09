#!/usr/bin/env python3
"""TCP-MD5 (RFC 2385) on a listen range and GTSM (RFC 5082) with FRR (issue: bgpd sessions).

Node n1 has the right password and comes up; n2 has a wrong one and never gets a session. Both
sides run `ttl-security hops 1`, so the session also proves TTL 255 on send and the minimum-TTL
check on receive.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, main, wait_until  # noqa: E402

GATEWAY_CONF = """router bgp 64512
 bgp router-id 10.0.1.1
 no bgp ebgp-requires-policy
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor NODES password metallb-secret
 neighbor NODES ttl-security hops 1
 bgp listen range 10.0.1.0/24 peer-group NODES
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


class Md5AndGtsm(unittest.TestCase):
    def test_right_key_gives_a_session_and_a_wrong_key_none(self):
        with Lab("md5") as lab:
            gw = lab.start_bgpd(GATEWAY_CONF)
            lab.add_node("n1", 11)
            lab.add_node("n2", 12)
            lab.start_frr("n1", NODE_CONF.format(asn=64601, host=11, password="metallb-secret", svc=101))
            lab.start_frr("n2", NODE_CONF.format(asn=64602, host=12, password="wrong-secret", svc=102))

            def n1_route():
                r = gw.route("10.0.1.101/32")
                return r and r.get("fibNextHops") == ["10.0.1.11"]

            wait_until("n1 (right key) to bring up a session and its route", n1_route, timeout=60,
                       on_timeout=lambda: gw.rlsh("show bgp summary") + gw.logs())
            # n2 keeps trying (FRR retries every few seconds); none of its SYNs may get through.
            for _ in range(20):
                names = [n["address"] for n in gw.json("show bgp summary")["neighbors"]]
                self.assertNotIn("10.0.1.12", names, "a peer with the wrong TCP-MD5 key got a session")
                self.assertIsNone(gw.route("10.0.1.102/32"))
                time.sleep(0.5)


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd")
