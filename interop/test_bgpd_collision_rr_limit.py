#!/usr/bin/env python3
"""Connection collisions (RFC 4271 §6.8), route reflection (RFC 4456) and `bgp listen limit`
(issue: bgpd), with raw BGP peers of our own."""
import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bgp_peer import (KEEPALIVE, OPEN, UPDATE, Closed, RawPeer, as_path, message, next_hop,  # noqa: E402
                      listen_in, open_message, origin, parse_update, prefix, update)
from lab import Lab, main, wait_until  # noqa: E402

GATEWAY_CONF = """router bgp 64512
 bgp router-id 10.0.1.1
 no bgp ebgp-requires-policy
 neighbor NODES peer-group
 neighbor NODES remote-as external
 bgp listen range 10.0.1.0/24 peer-group NODES
 bgp listen limit 2
 neighbor 10.0.1.40 remote-as 64640
 neighbor 10.0.1.40 timers connect 1
 neighbor 10.0.1.41 remote-as 64641
 neighbor 10.0.1.41 timers connect 1
 neighbor 10.0.1.50 remote-as 64512
 neighbor 10.0.1.50 passive
 neighbor 10.0.1.51 remote-as 64512
 neighbor 10.0.1.51 passive
 neighbor 10.0.1.52 remote-as 64512
 neighbor 10.0.1.52 passive
 address-family ipv4 unicast
  neighbor 10.0.1.50 route-reflector-client
 exit-address-family
exit
"""


class Accepted:
    """The raw side of a connection the gateway opened to us."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    recv = RawPeer.recv
    recv_until = RawPeer.recv_until
    expect_notification = RawPeer.expect_notification
    send = RawPeer.send


def collide(lab, node, asn, router_id):
    """The gateway connects to us while we connect to it; returns (ours, theirs) connections."""
    listener = listen_in(node["ns"], node["addr"])
    theirs = Accepted(listener.accept()[0])
    theirs.sock.settimeout(20)
    theirs.recv_until(OPEN)  # the gateway is in OpenSent on its own connection
    ours = RawPeer(node["ns"], node["addr"], lab.gw_addr)
    ours.send(open_message(asn, router_id))
    ours.recv_until(OPEN)
    listener.close()
    return ours, theirs


class CollisionReflectionLimit(unittest.TestCase):
    def test_collisions(self):
        with Lab("coll") as lab:
            hi = lab.add_node("hi", 40)
            lo = lab.add_node("lo", 41)
            gw = lab.start_bgpd(GATEWAY_CONF)

            # Peer 10.0.1.200 > 10.0.1.1: the connection the peer opened survives.
            ours, theirs = collide(lab, hi, 64640, "10.0.1.200")
            self.assertEqual(theirs.expect_notification()[:2], (6, 7))
            ours.recv_until(KEEPALIVE)
            ours.send(message(KEEPALIVE))
            wait_until("10.0.1.40 Established on the peer's connection",
                       lambda: gw.json("show bgp neighbors 10.0.1.40")["neighbors"][0]["state"] == "Established",
                       timeout=20, on_timeout=gw.logs)
            ours.sock.close()
            theirs.sock.close()

            # Peer 0.0.0.5 < 10.0.1.1: the gateway's own connection survives.
            ours, theirs = collide(lab, lo, 64641, "0.0.0.5")
            self.assertEqual(ours.expect_notification()[:2], (6, 7))
            theirs.send(open_message(64641, "0.0.0.5"))
            theirs.recv_until(KEEPALIVE)
            theirs.send(message(KEEPALIVE))
            wait_until("10.0.1.41 Established on the gateway's connection",
                       lambda: gw.json("show bgp neighbors 10.0.1.41")["neighbors"][0]["state"] == "Established",
                       timeout=20, on_timeout=gw.logs)
            ours.sock.close()
            theirs.sock.close()

    def test_route_reflection_and_listen_limit(self):
        with Lab("rrlim") as lab:
            nodes = {n: lab.add_node(n, h) for n, h in (("c1", 50), ("c2", 51), ("c3", 52), ("d1", 61), ("d2", 62), ("d3", 63))}
            gw = lab.start_bgpd(GATEWAY_CONF)
            ibgp = {}
            for name in ("c1", "c2", "c3"):
                n = nodes[name]
                ibgp[name] = RawPeer(n["ns"], n["addr"], lab.gw_addr).establish(64512, n["addr"])
            ibgp["c1"].send(update(attrs=origin() + as_path() + next_hop("10.0.1.50"), nlri=prefix("10.0.1.70/32")))
            ibgp["c2"].send(update(attrs=origin() + as_path() + next_hop("10.0.1.51"), nlri=prefix("10.0.1.71/32")))

            def advertised(peer):
                return sorted(r["prefix"] for r in gw.json(f"show bgp neighbors {peer} advertised-routes"))

            # A client's route goes to everyone; a non-client's only to clients.
            wait_until("reflection", lambda: advertised("10.0.1.52") == ["10.0.1.70/32"] and
                       advertised("10.0.1.50") == ["10.0.1.71/32"] and advertised("10.0.1.51") == ["10.0.1.70/32"],
                       timeout=20, on_timeout=lambda: gw.rlsh("show ip bgp") + gw.logs())

            # The reflected route carries ORIGINATOR_ID and our cluster id.
            def reflected():
                _, attrs, nlri = parse_update(ibgp["c3"].recv_until(UPDATE, 10))
                return attrs if "10.0.1.70/32" in nlri else None

            attrs = wait_until("the reflected UPDATE at c3", reflected, timeout=20, interval=0)
            self.assertEqual(socket.inet_ntoa(attrs[9][1]), "10.0.1.50")   # ORIGINATOR_ID
            self.assertEqual(socket.inet_ntoa(attrs[10][1][:4]), "10.0.1.1")  # CLUSTER_LIST
            self.assertEqual(struct.unpack("!I", attrs[5][1])[0], 100)      # LOCAL_PREF default toward iBGP

            # bgp listen limit 2: a third dynamic neighbor is turned away.
            dyn = [RawPeer(nodes[n]["ns"], nodes[n]["addr"], lab.gw_addr).establish(64661 + i, nodes[n]["addr"])
                   for i, n in enumerate(("d1", "d2"))]
            third = RawPeer(nodes["d3"]["ns"], nodes["d3"]["addr"], lab.gw_addr)
            third.send(open_message(64663, "10.0.1.63"))
            with self.assertRaises(Closed):
                third.recv(10)
            for p in dyn + list(ibgp.values()):
                p.close()
            third.close()


if __name__ == "__main__":
    main()
