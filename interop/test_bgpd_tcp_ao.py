#!/usr/bin/env python3
"""TCP-AO (RFC 5925) per neighbor and per listen range (issue: robustness and security), between
two bgpd of ours, since FRR 8.4, BIRD 2.0 and GoBGP have none: the gateway takes a node through a
listen range whose peer-group has a TCP-AO key, and a configured neighbor with its own key.

With the right keys (HMAC-SHA-1 on the range, AES-128-CMAC with other KeyIDs on the neighbor)
both sessions come up; with a wrong key, or with none on one side, no session comes up while the
kernel counts the segments it dropped (TCPAOBad / TCPAORequired / TCPAOKeyNotFound), and a
session with the right key beside it is untouched.

Needs a kernel with TCP-AO (Linux 6.7+, CONFIG_TCP_AO); skips with that reason otherwise.
"""
import errno
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, kernel_counters, main, wait_until  # noqa: E402

TCP_AO_ADD_KEY = 38


def kernel_has_tcp_ao():
    s = socket.socket()
    try:
        s.setsockopt(socket.IPPROTO_TCP, TCP_AO_ADD_KEY, bytes(288))
    except OSError as e:
        return e.errno != errno.ENOPROTOOPT  # EINVAL for this empty key: the option exists
    finally:
        s.close()
    return True


def gateway(range_key, neighbor_key):
    return f"""hostname gw
router bgp 64512
 bgp router-id 10.0.1.1
 no bgp ebgp-requires-policy
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor NODES timers 3 9
 neighbor NODES tcp-ao key {range_key}
 bgp listen range 10.0.1.0/25 peer-group NODES
 neighbor 10.0.1.200 remote-as 64700
 neighbor 10.0.1.200 timers 3 9
 neighbor 10.0.1.200 passive
 neighbor 10.0.1.200 tcp-ao algorithm aes-128-cmac send-id 3 recv-id 4 key {neighbor_key}
exit
"""


def node(asn, router_id, ao):
    return f"""hostname n{asn}
router bgp {asn}
 bgp router-id {router_id}
 no bgp ebgp-requires-policy
 neighbor 10.0.1.1 remote-as 64512
 neighbor 10.0.1.1 timers 3 9
 neighbor 10.0.1.1 timers connect 1
{ao}exit
"""


def ao_drops(ns):
    return kernel_counters(ns, "TcpExtTCPAOBad", "TcpExtTCPAORequired", "TcpExtTCPAOKeyNotFound")


class TcpAo(unittest.TestCase):
    def test_right_key_session_wrong_key_none(self):
        with Lab("tcpao") as lab:
            gw = lab.start_bgpd(gateway("range-secret", "neighbor-secret"))
            n1, n2 = lab.add_node("n1", 11), lab.add_node("n2", 200)
            a = lab.start_bgpd(node(64601, "10.0.1.11", " neighbor 10.0.1.1 tcp-ao key range-secret\n"), name="n1",
                               ns=n1["ns"])
            b = lab.start_bgpd(node(64700, "10.0.1.200", " neighbor 10.0.1.1 tcp-ao algorithm aes-128-cmac send-id 4 "
                                    "recv-id 3 key neighbor-secret\n"), name="n2", ns=n2["ns"])

            def state(d, peer):
                ns = d.json("show bgp summary").get("neighbors", [])
                return next((n["state"] for n in ns if n["address"] == peer), None)

            wait_until("the listen-range session with the right key", lambda: state(gw, "10.0.1.11") == "Established",
                       timeout=30, on_timeout=lambda: gw.logs() + a.logs())
            wait_until("the neighbor session with the right key", lambda: state(gw, "10.0.1.200") == "Established",
                       timeout=30, on_timeout=lambda: gw.logs() + b.logs())
            established = gw.json("show bgp neighbors 10.0.1.11")["neighbors"][0].get("establishedCount")

            # Wrong key, then no key: node 3 never gets a session; the kernel drops its segments.
            n3 = lab.add_node("n3", 12)
            before = ao_drops(lab.gw)
            c = lab.start_bgpd(node(64602, "10.0.1.12", " neighbor 10.0.1.1 tcp-ao key wrong-secret\n"), name="n3",
                               ns=n3["ns"])
            wait_until("the gateway's kernel to drop node 3's segments", lambda: ao_drops(lab.gw) > before, timeout=20,
                       on_timeout=c.logs)
            self.assertNotEqual(state(gw, "10.0.1.12"), "Established", "a wrong key must give no session")
            self.assertNotEqual(state(c, "10.0.1.1"), "Established")
            c.proc.terminate()
            c.proc.wait(timeout=10)
            before = ao_drops(lab.gw)
            c = lab.start_bgpd(node(64602, "10.0.1.12", ""), name="n3", ns=n3["ns"])
            wait_until("the gateway's kernel to drop node 3's unauthenticated segments",
                       lambda: ao_drops(lab.gw) > before, timeout=20, on_timeout=c.logs)
            self.assertNotEqual(state(gw, "10.0.1.12"), "Established", "no key must give no session")
            self.assertEqual(gw.json("show bgp neighbors 10.0.1.11")["neighbors"][0].get("establishedCount"),
                             established, "the session with the right key was disturbed")


if __name__ == "__main__":
    if not kernel_has_tcp_ao():
        print("SKIP: this kernel has no TCP-AO (Linux 6.7+ with CONFIG_TCP_AO)")
        sys.exit(77)
    main("nstat")
