#!/usr/bin/env python3
"""The side-by-side benchmark harness (bench/compare.py) keeps working: one run of each workload
kind at 1% of its size (1m-x1 and withdraw-1m as 10,000 routes, failover-10k as 1,000 with BFD,
peers-1000 as 10 sessions) against Ridgeline, FRR, BIRD and the kernel floor. Every run checks
the whole FIB exactly; a failed run fails this test (--check). Nothing here is timed: the figures
come from full-size runs (bench/RESULTS.md)."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import ROOT, main  # noqa: E402

IMPLS = ["ridgeline", "frr", "bird", "kernel"]
WORKLOADS = ["1m-x1", "withdraw-1m", "failover-10k", "peers-1000"]


class BenchSmoke(unittest.TestCase):
    def test_every_workload_runs_and_checks_against_every_implementation(self):
        r = subprocess.run([sys.executable, "-u", os.path.join(ROOT, "bench", "compare.py"), "--runs", "1",
                            "--scale", "0.01", "--workloads", ",".join(WORKLOADS), "--impls", ",".join(IMPLS),
                            "--check"], capture_output=True, text=True, timeout=280)
        print(r.stdout[-4000:], r.stderr[-2000:])
        self.assertEqual(r.returncode, 0, "a benchmark run failed (see its error above)")
        for w in WORKLOADS:
            self.assertIn(f"### {w} (", r.stdout)
            for impl in IMPLS if w == "1m-x1" else IMPLS[:3]:  # the floor is for installs only
                self.assertIn(f"{w} run 1 {impl}: {{'install_s'", r.stdout, f"{w} {impl}")
        self.assertRegex(r.stdout, re.compile(r"\| kernel \| [0-9.]+ \|"))


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "/usr/lib/frr/zebra", "/usr/lib/frr/bfdd", "bird", nexthop_objects=True)
