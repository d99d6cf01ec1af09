#!/usr/bin/env python3
"""The API's watch streams and originated paths (issue: gRPC API), through rlsh against bgpd and
an FRR node:

- `watch bgp routes json` starts with a snapshot of the Loc-RIB, then streams each change: a path
  added through the API (`bgp rib add`, AddPath), then withdrawn (`bgp rib del`, DeletePath);
- the FRR node receives the API's path with its community, and loses it on delete;
- `watch bgp neighbors json` streams the node's session going down and coming back, with the
  state it left;
- deleting a path the API did not add is NOT_FOUND.
"""
import json
import os
import queue
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BUILD_BIN, Lab, gateway_bgp, frr_node_bgp, main, wait_until  # noqa: E402

GATEWAY = gateway_bgp(af=["neighbor NODES route-map ALL out"], tail="route-map ALL permit 10\nexit\n")


class Stream:
    """`rlsh -c "watch ... json"` in the background: its events, one JSON object a line."""

    def __init__(self, gw, command):
        self.proc = subprocess.Popen([os.path.join(BUILD_BIN, "rlsh"), "--run-dir", gw.run_dir, "-c", command],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.events.put(json.loads(line))

    def wait_for(self, what, predicate, timeout=30):
        def found():
            while not self.events.empty():
                self.seen.append(self.events.get())
            return next((e for e in self.seen if predicate(e)), None)
        return wait_until(what, found, timeout=timeout, interval=0.05, on_timeout=lambda: str(self.seen[-20:]))

    def close(self):
        self.proc.terminate()
        self.proc.communicate(timeout=10)


class ApiWatchAndPaths(unittest.TestCase):
    def test_watch_streams_and_api_paths(self):
        with Lab("apiwat") as lab:
            gw = lab.start_bgpd(GATEWAY)
            node = lab.add_node("n1", 11)
            lab.start_frr("n1", frr_node_bgp("n1", 64601, node["addr"], ["10.0.1.100/32"]))
            wait_until("the node's route", lambda: gw.route("10.0.1.100/32"), timeout=60, on_timeout=gw.logs)

            routes = Stream(gw, "watch bgp routes json")
            neighbors = Stream(gw, "watch bgp neighbors json")
            try:
                routes.wait_for("the snapshot of 10.0.1.100/32",
                                lambda e: e.get("snapshot") and e["prefix"] == "10.0.1.100/32"
                                and e["best"]["peer"] == "10.0.1.11")
                neighbors.wait_for("the snapshot of the node",
                                   lambda e: e.get("snapshot") and e["neighbor"]["address"] == "10.0.1.11"
                                   and e["neighbor"]["state"] == "Established")

                # AddPath: in the stream, and at the node with its community.
                gw.rlsh("bgp rib add 10.9.9.0/24 community 64512:9 med 5")
                added = routes.wait_for("the API path in the stream",
                                        lambda e: e["prefix"] == "10.9.9.0/24" and not e.get("withdrawn"))
                self.assertFalse(added.get("snapshot", False))
                self.assertEqual(added["best"]["peer"], "local")
                self.assertEqual(added["best"]["communities"], ["64512:9"])

                def at_node():
                    out = lab.vtysh("n1", "show bgp ipv4 unicast 10.9.9.0/24 json")
                    paths = json.loads(out).get("paths", []) if out.strip() else []
                    return paths[0] if paths else None

                path = wait_until("the node to learn 10.9.9.0/24", at_node, timeout=30, on_timeout=gw.logs)
                self.assertEqual(path["community"]["list"], ["64512:9"])
                self.assertEqual(path["aspath"]["string"], "64512")

                # DeletePath: withdrawn in the stream and at the node; a second delete is NOT_FOUND.
                gw.rlsh("bgp rib del 10.9.9.0/24")
                routes.wait_for("the withdrawal in the stream",
                                lambda e: e["prefix"] == "10.9.9.0/24" and e.get("withdrawn"))
                wait_until("the node to lose 10.9.9.0/24", lambda: at_node() is None, timeout=30)
                r = subprocess.run([os.path.join(BUILD_BIN, "rlsh"), "--run-dir", gw.run_dir, "-c",
                                    "bgp rib del 10.9.9.0/24"], capture_output=True, text=True, timeout=30)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("no path added through the API", r.stderr)
                r = subprocess.run([os.path.join(BUILD_BIN, "rlsh"), "--run-dir", gw.run_dir, "-c",
                                    "bgp rib add 10.9.9.0/24 community nonsense"], capture_output=True, text=True,
                                   timeout=30)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("is not a community", r.stderr)

                # The node's session goes down and comes back: each change in the neighbor stream.
                lab.nodes["n1"]["frr"].terminate()
                lab.nodes["n1"]["frr"].wait(timeout=20)
                neighbors.wait_for("the session leaving Established",
                                   lambda e: e["neighbor"]["address"] == "10.0.1.11"
                                   and e.get("previousState") == "Established")
                routes.wait_for("the node's route withdrawn",
                                lambda e: e["prefix"] == "10.0.1.100/32" and e.get("withdrawn"))
                lab.start_frr("n1", frr_node_bgp("n1", 64601, node["addr"], ["10.0.1.100/32"]))
                neighbors.wait_for("the session back",
                                   lambda e: e["neighbor"]["address"] == "10.0.1.11" and not e.get("snapshot")
                                   and e["neighbor"]["state"] == "Established", timeout=60)
            finally:
                routes.close()
                neighbors.close()


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "vtysh")
