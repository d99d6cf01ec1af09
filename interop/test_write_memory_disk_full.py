#!/usr/bin/env python3
"""`write memory` on a full disk (issue: robustness): the config file lives on a 64 KiB tmpfs of
the test's own; with the disk filled, `write memory` fails with the reason, the old file is intact
byte for byte, no temporary file is left behind, and bgpd runs on. With room again, it succeeds.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BUILD_BIN, Lab, gateway_bgp, main, sh, wait_until  # noqa: E402


class WriteMemoryDiskFull(unittest.TestCase):
    def test_a_full_disk_keeps_the_old_file(self):
        with Lab("wrfull") as lab:
            disk = lab.path("disk", "x")[:-2]
            sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", disk)
            try:
                conf = os.path.join(disk, "ridgeline.conf")
                text = gateway_bgp(tail="bfd\n profile metallb\n exit\nexit\n")
                with open(conf, "w") as f:
                    f.write(text)
                run = lab.path("gw", "run", "x")[:-2]
                # Both daemons: `write memory` saves both parts of the file.
                procs = {d: lab.spawn(lab.gw, [os.path.join(BUILD_BIN, d), "-f", conf, "--run-dir", run,
                                               *(["--no-fib"] if d == "bgpd" else [])], lab.path("gw", f"{d}.log"))
                         for d in ("bfdd", "bgpd")}
                proc = procs["bgpd"]
                rlsh = [os.path.join(BUILD_BIN, "rlsh"), "--run-dir", run]
                for d in procs:
                    wait_until(f"{d} to serve its API", lambda: os.path.exists(f"{run}/{d}.sock"), timeout=20)
                # A change in the running config, so that what would be written differs from the file.
                r = subprocess.run(rlsh + ["-c", "configure terminal", "-c", "ip prefix-list EXTRA seq 5 permit any",
                                           "-c", "end"], capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)
                # Fill the disk.
                subprocess.run(["dd", "if=/dev/zero", f"of={disk}/filler", "bs=4k"], capture_output=True)
                r = subprocess.run(rlsh + ["-c", "write memory"], capture_output=True, text=True, timeout=30)
                self.assertNotEqual(r.returncode, 0, r.stdout)
                self.assertIn("cannot write", r.stderr)
                self.assertIn("No space left on device", r.stderr)
                with open(conf) as f:
                    self.assertEqual(f.read(), text, "the old file is intact")
                self.assertEqual(sorted(os.listdir(disk)), ["filler", "ridgeline.conf"], "no temporary file left")
                self.assertIsNone(proc.poll(), "bgpd runs on")
                # Room again: saved.
                os.unlink(os.path.join(disk, "filler"))
                r = subprocess.run(rlsh + ["-c", "write memory"], capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(conf) as f:
                    self.assertIn("ip prefix-list EXTRA seq 5 permit any", f.read())
            finally:
                lab.close()
                subprocess.run(["umount", "-l", disk], capture_output=True)


if __name__ == "__main__":
    main()
