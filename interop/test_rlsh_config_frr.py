#!/usr/bin/env python3
"""rlsh's configuration commands against running bgpd + bfdd and an FRR node (issue: CLI and
config lifecycle).

- `show running-config` is both daemons' parts joined, and it passes `bgpd --check`;
- `configure terminal` applies each line as it is entered, with FRR's nested modes (a new
  neighbor starts; the node's session is not reset), and `no` forms take things away;
- a bad line is refused with the message, the running config (version) unchanged;
- `write memory` saves the running config to the file atomically: the file is then exactly
  `show running-config`;
- `configure transaction` collects lines: `show configuration diff` shows them, `abort` drops
  them, `commit` applies them all at once;
- `commit confirmed` rolls back by itself when not confirmed (the daemons' timer, after rlsh has
  exited), and stays when confirmed.
"""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BUILD_BIN, Lab, gateway_bgp, frr_node_bgp, main, wait_until  # noqa: E402

GATEWAY = gateway_bgp(listen="10.0.1.0/25", tail="bfd\n profile metallb\n  receive-interval 300\n exit\nexit\n")


class RlshConfig(unittest.TestCase):
    def test_config_mode_write_memory_transactions_and_commit_confirmed(self):
        with Lab("rlshcf") as lab:
            bfd = lab.start_bfdd(GATEWAY)
            gw = lab.start_bgpd(GATEWAY)
            path = os.path.join(os.path.dirname(gw.run_dir), "ridgeline.conf")
            node = lab.add_node("n1", 11)
            lab.start_frr("n1", frr_node_bgp("n1", 64601, node["addr"], ["10.0.1.100/32", "10.0.1.101/32"]))

            def rlsh(*commands):
                argv = [os.path.join(BUILD_BIN, "rlsh"), "--run-dir", gw.run_dir]
                for c in commands:
                    argv += ["-c", c]
                return subprocess.run(argv, capture_output=True, text=True, timeout=60)

            def diagnose():
                return gw.rlsh("show bgp summary", check=False) + gw.logs(40) + bfd.logs(20)

            def node_session():
                return next((n for n in gw.json("show bgp summary")["neighbors"] if n["address"] == "10.0.1.11"), {})

            def versions():
                return [int(r.get("version", 0)) for r in gw.json("show running-config")]

            wait_until("the node established", lambda: node_session().get("state") == "Established", timeout=60,
                       on_timeout=diagnose)
            wait_until("both routes", lambda: gw.route("10.0.1.101/32") and gw.route("10.0.1.100/32"), timeout=30,
                       on_timeout=diagnose)
            ups = int(node_session().get("establishedCount", 0))

            # show running-config: both parts, a valid file.
            running = gw.rlsh("show running-config")
            self.assertIn("router bgp 64512", running)
            self.assertIn("bfd\n profile metallb\n", running)
            check = subprocess.run([os.path.join(BUILD_BIN, "bgpd"), "--check", "-f", "/dev/stdin"], input=running,
                                   capture_output=True, text=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            self.assertEqual(versions(), [1, 1])

            # configure terminal: nested modes, each line applied at once.
            r = rlsh("configure terminal", "router bgp 64512", "neighbor 10.0.1.200 remote-as 64999",
                     "neighbor 10.0.1.200 description upstream", "address-family ipv4 unicast",
                     "neighbor 10.0.1.200 route-map NONE out", "exit-address-family", "exit",
                     "route-map NONE deny 10", "end")
            self.assertEqual(r.returncode, 0, r.stderr)
            summary = {n["address"]: n for n in gw.json("show bgp summary")["neighbors"]}
            self.assertIn("10.0.1.200", summary)
            self.assertEqual(summary["10.0.1.200"].get("description"), "upstream")
            running = gw.rlsh("show running-config")
            self.assertIn(" neighbor 10.0.1.200 route-map NONE out", running)
            self.assertIn("route-map NONE deny 10", running)
            self.assertGreater(versions()[0], 1)
            # A bad line: refused with the reason; nothing changes.
            before = versions()
            r = rlsh("configure terminal", "router bgp 64512", "neighbor 10.0.1.200 remote-ass 1")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("% ", r.stderr)
            self.assertIn("remote-ass", r.stderr)
            self.assertEqual(versions(), before)
            # no forms.
            r = rlsh("configure terminal", "router bgp 64512", "no neighbor 10.0.1.200", "exit", "no route-map NONE",
                     "end")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("10.0.1.200", {n["address"] for n in gw.json("show bgp summary")["neighbors"]})
            self.assertNotIn("route-map NONE", gw.rlsh("show running-config"))
            self.assertEqual(int(node_session().get("establishedCount", 0)), ups, "the node's session was not reset")

            # write memory: the file is the running config, written by rename.
            inode = os.stat(path).st_ino
            out = gw.rlsh("write memory")
            self.assertIn(path, out)
            with open(path) as f:
                self.assertEqual(f.read(), gw.rlsh("show running-config"))
            self.assertNotEqual(os.stat(path).st_ino, inode, "a new file renamed over the old one")

            # configure transaction: diff, abort, commit.
            r = rlsh("configure transaction", "ip prefix-list POOL seq 5 deny 10.0.1.101/32",
                     "show configuration diff", "abort")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("+ip prefix-list POOL seq 5 deny 10.0.1.101/32", r.stdout)
            self.assertIsNotNone(gw.route("10.0.1.101/32"), "abort applied nothing")
            r = rlsh("configure transaction", "ip prefix-list POOL seq 5 deny 10.0.1.101/32", "commit", "end")
            self.assertEqual(r.returncode, 0, r.stderr)
            wait_until("10.0.1.101/32 filtered after the commit", lambda: gw.route("10.0.1.101/32") is None,
                       timeout=15, on_timeout=diagnose)
            r = rlsh("configure terminal", "no ip prefix-list POOL seq 5", "end")
            self.assertEqual(r.returncode, 0, r.stderr)
            wait_until("10.0.1.101/32 back", lambda: gw.route("10.0.1.101/32") is not None, timeout=15,
                       on_timeout=diagnose)

            # commit confirmed, not confirmed: the daemons roll back by themselves (6 s).
            r = rlsh("configure transaction", "ip prefix-list POOL seq 5 deny 10.0.1.101/32", "commit confirmed 0.1",
                     "end")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("rolled back in 6 s unless confirmed", r.stdout)
            committed = time.monotonic()
            wait_until("10.0.1.101/32 filtered by the unconfirmed commit", lambda: gw.route("10.0.1.101/32") is None,
                       timeout=5, interval=0.1, on_timeout=diagnose)
            pending = gw.json("show running-config")[0]
            self.assertTrue(pending.get("confirmPending"), pending)
            wait_until("the rollback", lambda: gw.route("10.0.1.101/32") is not None, timeout=20, interval=0.2,
                       on_timeout=diagnose)
            self.assertGreater(time.monotonic() - committed, 5)
            self.assertIn("commit not confirmed in time: rolled back", gw.log_text())
            self.assertNotIn("seq 5 deny", gw.rlsh("show running-config"))
            # Confirmed: it stays past the deadline.
            r = rlsh("configure transaction", "ip prefix-list POOL seq 5 deny 10.0.1.101/32", "commit confirmed 0.1",
                     "confirm", "end")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertFalse(gw.json("show running-config")[0].get("confirmPending"))
            wait_until("10.0.1.101/32 filtered", lambda: gw.route("10.0.1.101/32") is None, timeout=5,
                       on_timeout=diagnose)
            self.assertNotIn("rollbackInSeconds", gw.json("show running-config")[0], "no rollback armed")
            self.assertEqual(int(node_session().get("establishedCount", 0)), ups, "no reset in all of this")


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd")
