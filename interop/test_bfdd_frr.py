#!/usr/bin/env python3
"""bfdd against FRR's bfdd (issue: bfdd).

Our bfdd in the gateway namespace, FRR's bfdd in four node namespaces: single-hop at 300 ms x 3
and at 50 ms x 3, multihop at 300 ms x 3, and single-hop over IPv6. Every session comes Up on both
sides with the negotiated timers; freezing an FRR bfdd (SIGSTOP) takes ours Down within the
detection time, with diagnostic "control detection time expired"; SIGCONT brings it back Up.
"""
import datetime
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, main, wait_until  # noqa: E402

GATEWAY_CONF = """hostname gw
bfd
 profile slow
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 exit
 profile fast
  receive-interval 50
  transmit-interval 50
  detect-multiplier 3
 exit
 peer 10.0.1.11
  profile slow
 exit
 peer 10.0.1.12
  profile fast
 exit
 peer 10.0.1.13 multihop local-address 10.0.1.1
  profile slow
 exit
 peer 2001:db8:1::14
  profile slow
 exit
exit
"""

NODE_CONF = """hostname {name}
bfd
 peer {peer}
  receive-interval {ms}
  transmit-interval {ms}
  detect-multiplier 3
 !
!
"""

NODES = (  # name, host, peer line, interval
    ("n1", 11, "10.0.1.1", 300),
    ("n2", 12, "10.0.1.1", 50),
    ("n3", 13, "10.0.1.1 multihop local-address 10.0.1.13", 300),
    ("n4", 14, "2001:db8:1::1 local-address 2001:db8:1::14", 300),
)


def log_time(line):
    """The local time of a spdlog line, '[2026-12-01 12:02:15.294] ...', as a Unix timestamp."""
    m = re.match(r"\[(\d+-\d+-\d+ \d+:\d+:\d+\.\d+)\]", line)
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp() if m else None


class BfddWithFrr(unittest.TestCase):
    def test_sessions_up_and_freeze_detection(self):
        with Lab("bfdfrr") as lab:
            bfd = lab.start_bfdd(GATEWAY_CONF)
            for name, host, peer, ms in NODES:
                lab.add_node(name, host)
                lab.start_frr_bfdd(name, NODE_CONF.format(name=name, peer=peer, ms=ms))

            peers = {"10.0.1.11": 900, "10.0.1.12": 150, "10.0.1.13": 900, "2001:db8:1::14": 900}

            def all_up():
                s = {p["key"]["peer"]: p for p in bfd.peers()}
                return s if all(s.get(a, {}).get("state") == "Up" for a in peers) else None

            sessions = wait_until("all four BFD sessions Up", all_up, timeout=30,
                                  on_timeout=lambda: bfd.rlsh("show bfd peers") + bfd.logs())
            for address, detect_ms in peers.items():
                s = sessions[address]
                self.assertEqual(int(s["detectionTimeUs"]) // 1000, detect_ms, s)
                self.assertEqual(s["remoteDetectMultiplier"], 3)
                self.assertNotEqual(s["remoteDiscriminator"], 0)
            self.assertTrue(sessions["10.0.1.13"]["key"]["multihop"])
            # FRR agrees.
            for name, host, _, _ in NODES:
                wait_until(f"FRR on {name} to see the session up",
                           lambda: " up " in lab.vtysh(name, "show bfd peers brief"), timeout=10,
                           on_timeout=lambda: lab.vtysh(name, "show bfd peers"))

            for name, address in (("n1", "10.0.1.11"), ("n2", "10.0.1.12"), ("n3", "10.0.1.13")):
                detect = peers[address] / 1000
                frr = lab.nodes[name]["bfdd"]
                frozen = time.time()
                frr.send_signal(signal.SIGSTOP)
                try:
                    wait_until(f"{address} Down after freezing FRR", lambda: bfd.peer(address)["state"] == "Down",
                               timeout=10, interval=0.02, on_timeout=bfd.logs)
                    down = bfd.peer(address)
                    self.assertEqual(down["localDiag"], "control detection time expired", down)
                    lines = [ln for ln in bfd.log_text().splitlines()
                             if f"bfd {address}" in ln and "Up -> Down" in ln]
                    self.assertTrue(lines, bfd.logs())
                    elapsed = log_time(lines[-1]) - frozen
                    # Within the detection time of the last packet; logs are to the millisecond.
                    self.assertLessEqual(elapsed, detect + 0.025, f"{address}: Down {elapsed * 1000:.0f} ms after SIGSTOP")
                    self.assertGreater(elapsed, detect * 0.4, f"{address}: Down too early ({elapsed * 1000:.0f} ms)")
                    # The others stayed Up.
                    for other in peers:
                        if other != address:
                            self.assertEqual(bfd.peer(other)["state"], "Up", other)
                finally:
                    frr.send_signal(signal.SIGCONT)
                wait_until(f"{address} Up again", lambda: bfd.peer(address)["state"] == "Up", timeout=20,
                           on_timeout=bfd.logs)
            self.assertEqual(bfd.json("show bfd peers").get("discarded", {}).get("bad TTL"), None)


if __name__ == "__main__":
    main("/usr/lib/frr/bfdd")
