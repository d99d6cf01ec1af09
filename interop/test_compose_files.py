#!/usr/bin/env python3
"""The compose files (interop/compose/, for people with a container engine) stay in step with the
code: the gateway config passes `bgpd --check`, each node's FRR config passes `vtysh -C`, and every
file the compose file mounts exists. Nothing here starts a container."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BUILD_BIN, SKIP  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compose")


class ComposeFiles(unittest.TestCase):
    def test_gateway_config_is_valid(self):
        for daemon in ("bgpd", "bfdd"):
            r = subprocess.run([os.path.join(BUILD_BIN, daemon), "--check", "-f", os.path.join(HERE, "ridgeline.conf")],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, f"{daemon}: {r.stdout}{r.stderr}")

    def test_node_configs_are_valid_frr(self):
        nodes = sorted(f for f in os.listdir(HERE) if re.fullmatch(r"frr-node\d\.conf", f))
        self.assertEqual(len(nodes), 3)
        for f in nodes:
            r = subprocess.run(["vtysh", "-C", "-f", os.path.join(HERE, f)], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, f"{f}: {r.stdout}{r.stderr}")

    def test_every_mounted_file_exists(self):
        with open(os.path.join(HERE, "docker-compose.yml")) as f:
            text = f.read()
        mounts = re.findall(r"- \./([\w.-]+):", text)
        self.assertGreaterEqual(len(mounts), 7, mounts)
        for m in mounts + ["Dockerfile", "gateway-start.sh"]:
            self.assertTrue(os.path.exists(os.path.join(HERE, m)), m)
        self.assertIn("dockerfile: interop/compose/Dockerfile", text)


if __name__ == "__main__":
    if not os.path.exists("/usr/bin/vtysh"):
        print("SKIP: vtysh (frr) is not installed")
        sys.exit(SKIP)
    unittest.main()
