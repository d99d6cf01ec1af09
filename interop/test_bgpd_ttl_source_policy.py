#!/usr/bin/env python3
"""Session details (issue: bgpd): eBGP single hop sends with TTL 1 and `ebgp-multihop 5` with TTL 5;
`update-source` picks the address outgoing connections come from; an eBGP neighbor with no
inbound policy accepts nothing and says so (RFC 8212)."""
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bgp_peer import (KEEPALIVE, RawPeer, as_path, listen_in, message, next_hop, origin, prefix,  # noqa: E402
                      sniff_ttls, update)
from lab import Lab, main, wait_until  # noqa: E402

GATEWAY_CONF = """router bgp 64512
 bgp router-id 10.0.1.1
 neighbor NODES peer-group
 neighbor NODES remote-as external
 bgp listen range 10.0.1.0/26 peer-group NODES
 neighbor 10.0.1.70 remote-as 64670
 neighbor 10.0.1.70 passive
 neighbor 10.0.1.70 ebgp-multihop 5
 neighbor 10.0.1.71 remote-as 64671
 neighbor 10.0.1.71 update-source 10.0.1.2
 neighbor 10.0.1.71 timers connect 1
 address-family ipv4 unicast
  neighbor NODES prefix-list ALL in
  neighbor 10.0.1.70 prefix-list ALL in
 exit-address-family
exit
ip prefix-list ALL seq 5 permit any
"""


class SessionDetails(unittest.TestCase):
    def test_ttl_update_source_and_rfc8212(self):
        with Lab("ttlsrc") as lab:
            single = lab.add_node("single", 31)
            multi = lab.add_node("multi", 70)
            src = lab.add_node("src", 71)
            lab.ip(lab.gw, "addr", "add", "10.0.1.2/24", "dev", "br0")
            listener = listen_in(src["ns"], src["addr"])
            gw = lab.start_bgpd(GATEWAY_CONF)

            # update-source: the gateway's connection to 10.0.1.71 comes from 10.0.1.2.
            conn, peer_addr = listener.accept()
            self.assertEqual(peer_addr[0], "10.0.1.2")
            conn.close()
            listener.close()

            one = RawPeer(single["ns"], single["addr"], lab.gw_addr).establish(64631, "10.0.1.31", hold=6)
            five = RawPeer(multi["ns"], multi["addr"], lab.gw_addr).establish(64670, "10.0.1.70", hold=6)
            # Hold time 6: the gateway sends a KEEPALIVE every 2 s; watch both links at once.
            for p in (one, five):
                p.send(message(KEEPALIVE))
            seen = {}
            threads = [threading.Thread(target=lambda k=k, n=n: seen.__setitem__(k, sniff_ttls(n["ns"], "eth0", lab.gw_addr, 179, 3.0)))
                       for k, n in (("one", single), ("five", multi))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            ttl_one, ttl_five = seen["one"], seen["five"]
            for p in (one, five):
                p.send(message(KEEPALIVE))
            self.assertTrue(ttl_one and set(ttl_one) == {1}, f"single-hop eBGP TTLs {ttl_one}")
            self.assertTrue(ttl_five and set(ttl_five) == {5}, f"ebgp-multihop 5 TTLs {ttl_five}")

            # RFC 8212: 10.0.1.71 has no inbound policy; a session would accept nothing. A neighbor
            # in that state is flagged; here the dynamic group has policy, so it is not.
            n71 = gw.json("show bgp neighbors 10.0.1.71")["neighbors"][0]
            self.assertTrue(n71.get("policyMissing"), n71)
            self.assertFalse(gw.json("show bgp neighbors 10.0.1.31")["neighbors"][0].get("policyMissing", False))
            one.send(update(attrs=origin() + as_path(64631) + next_hop(single["addr"]), nlri=prefix("10.0.1.80/32")))
            wait_until("the policy-permitted route", lambda: gw.route("10.0.1.80/32"), timeout=20, on_timeout=gw.logs)
            one.close()
            five.close()


if __name__ == "__main__":
    main()
