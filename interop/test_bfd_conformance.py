#!/usr/bin/env python3
"""BFD conformance (issue: robustness and security): a raw BFD peer of ours (Python, UDP in a node
namespace) brings a single-hop session with our bfdd Up (RFC 5880 §6.2 three-way handshake, Poll
answered with Final), keeps it Up at 100 ms, then sends one bad packet per case. Each must be
discarded with its own counter (`show bfd peers json` "discarded"), and change nothing: the
session stays Up with the same Up/Down counts, and a second session (FRR's bfdd) is untouched.

Cases (RFC 5880 §6.8.6, RFC 5881 §5): TTL 254 on single-hop, detect multiplier 0, version 2, Your
Discriminator 0 in an Up packet, the A bit (Simple Password) while no authentication is configured, length 23 (< 24),
and a Length field larger than the datagram.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, bfd_peers_metallb, frr_node_bfd, main, wait_until  # noqa: E402

GATEWAY_CONF = "hostname gw\n" + bfd_peers_metallb("10.0.1.30", "10.0.1.11")
NODE_BFD = frr_node_bfd("n1")

MY_DISC = 0x5A5A0001

# The raw peer runs in the node namespace: a small program so that its sockets live there.
RAW_PEER = r'''
import socket, struct, sys, threading, time
DOWN, INIT, UP = 1, 2, 3
my_disc = int(sys.argv[1])
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("10.0.1.30", 3784))
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
tx.bind(("10.0.1.30", 49200))
bad = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bad.bind(("10.0.1.30", 49201))
lock = threading.Lock()
peer = {"disc": 0, "state": DOWN, "final": False}

def packet(state, your, flags=0, mult=3, version=1, length=24):
    return struct.pack("!BBBBIIIII", version << 5, (state << 6) | flags, mult, length, my_disc, your,
                       100000, 100000, 0)

def state():
    if peer["state"] in (INIT, UP): return UP
    return INIT if peer["state"] == DOWN and peer["disc"] else DOWN

def sender():
    while True:
        with lock:
            f = 0x10 if peer["final"] else 0
            peer["final"] = False
            tx.sendto(packet(state(), peer["disc"], f), ("10.0.1.1", 3784))
        time.sleep(0.1)  # the pace of the peer's own transmissions (100 ms), not a wait for an outcome

def receiver():
    while True:
        data, _ = rx.recvfrom(128)
        if len(data) < 24: continue
        b1 = data[1]
        with lock:
            peer["state"] = b1 >> 6
            peer["disc"] = struct.unpack("!I", data[4:8])[0]
            if b1 & 0x20: peer["final"] = True  # Poll: answer with Final

threading.Thread(target=sender, daemon=True).start()
threading.Thread(target=receiver, daemon=True).start()
for line in sys.stdin:  # one case per line: "NAME"; answered "sent NAME"
    name = line.strip()
    with lock:
        your = peer["disc"]
        if name == "ttl 254":
            bad.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 254)
            bad.sendto(packet(UP, your), ("10.0.1.1", 3784))
        else:
            bad.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
            data = {"detect multiplier 0": lambda: packet(UP, your, mult=0),
                    "version 2": lambda: packet(UP, your, version=2),
                    "your discriminator 0 while up": lambda: packet(UP, 0),
                    # Simple Password authentication (RFC 5880 §4.2): type 1, length 9, key 1.
                    "A bit without auth": lambda: packet(UP, your, flags=0x04, length=33) + b"\x01\x09\x01secret",
                    "length 23": lambda: packet(UP, your, length=23)[:23],
                    "length field past the datagram": lambda: packet(UP, your, length=48),
                    }[name]()
            bad.sendto(data, ("10.0.1.1", 3784))
    print("sent", name, flush=True)
'''

# (case, the discard reason bfdd counts)
CASES = [
    ("ttl 254", "bad TTL"),
    ("detect multiplier 0", "detect multiplier 0"),
    ("version 2", "bad version"),
    ("your discriminator 0 while up", "your discriminator 0 while not down"),
    ("A bit without auth", "authentication mismatch"),
    ("length 23", "bad length"),
    ("length field past the datagram", "bad length"),
]


class BfdConformance(unittest.TestCase):
    def test_bad_packets_are_discarded_with_a_counter_and_no_state_change(self):
        with Lab("bfdcnf") as lab:
            bfd = lab.start_bfdd(GATEWAY_CONF)
            lab.add_node("n1", 11)
            lab.start_frr_bfdd("n1", NODE_BFD)
            raw = lab.add_node("raw", 30)
            script = lab.path("raw", "bfd_peer.py")
            with open(script, "w") as f:
                f.write(RAW_PEER)
            peer = subprocess.Popen(["ip", "netns", "exec", raw["ns"], sys.executable, "-u", script, str(MY_DISC)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            lab.procs.append(peer)

            def session(address):
                return bfd.peer(address) or {}

            wait_until("the raw peer's session Up", lambda: session("10.0.1.30").get("state") == "Up", timeout=30,
                       on_timeout=bfd.logs)
            wait_until("FRR's session Up", lambda: session("10.0.1.11").get("state") == "Up", timeout=30,
                       on_timeout=bfd.logs)
            self.assertEqual(session("10.0.1.30").get("remoteDiscriminator"), MY_DISC)

            def snapshot(address):
                s = session(address)
                return s.get("state"), s.get("upCount", "0"), s.get("downCount", "0"), s.get("localDiscriminator")

            raw_before, frr_before = snapshot("10.0.1.30"), snapshot("10.0.1.11")
            passed = []
            for name, reason in CASES:
                with self.subTest(case=name):
                    before = int(bfd.json("show bfd peers").get("discarded", {}).get(reason, 0))
                    peer.stdin.write(name + "\n")
                    peer.stdin.flush()
                    self.assertEqual(peer.stdout.readline().strip(), "sent " + name)
                    wait_until(f"{name}: counted as '{reason}'",
                               lambda: int(bfd.json("show bfd peers").get("discarded", {}).get(reason, 0)) == before + 1,
                               timeout=10, on_timeout=lambda: str(bfd.json("show bfd peers").get("discarded")))
                    self.assertEqual(snapshot("10.0.1.30"), raw_before, f"{name}: the session changed")
                    self.assertEqual(snapshot("10.0.1.11"), frr_before, f"{name}: the other session changed")
                    passed.append(name)
            # A last look after a detection time: still nothing changed (a discarded packet that had
            # been taken as a state change would show by now).
            received = int(session("10.0.1.30").get("packetsIn", "0"))
            wait_until("the raw peer's keepalives to go on being received",
                       lambda: int(session("10.0.1.30").get("packetsIn", "0")) >= received + 10, timeout=10)
            self.assertEqual(snapshot("10.0.1.30"), raw_before)
            self.assertEqual(snapshot("10.0.1.11"), frr_before)
            print(f"{len(passed)}/{len(CASES)} BFD cases passed")
            peer.kill()
            peer.wait(timeout=10)
            peer.stdin.close()
            peer.stdout.close()


if __name__ == "__main__":
    main("/usr/lib/frr/bfdd")
