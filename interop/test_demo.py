#!/usr/bin/env python3
"""The README's main command runs: `interop/demo.py` converges, shows the service view with BFD up
on every node, times a frozen node's removal from the kernel under two seconds, and gets it back."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import main  # noqa: E402

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo.py")


class Demo(unittest.TestCase):
    def test_demo_runs_end_to_end(self):
        r = subprocess.run([sys.executable, DEMO], capture_output=True, text=True, timeout=300)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        self.assertIn('rlsh -c "show bgp summary" -c "show bgp services" -c "show bfd peers brief"', out)
        self.assertEqual(len(re.findall(r"in the kernel via 3 next hops", out)), 3, out)  # 2 services + the last view
        self.assertEqual(len(re.findall(r"\n\S+ +\S+ +10\.0\.1\.1[123] +up\s", out)), 3, out)  # BFD brief
        took = re.search(r"node3 left every ECMP set in the kernel (\d+) ms after it froze", out)
        self.assertIsNotNone(took, out)
        self.assertLess(int(took.group(1)), 2000, out)
        self.assertIn("node3 is back in both services", out)


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "/usr/lib/frr/zebra", nexthop_objects=True)
