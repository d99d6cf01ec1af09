#!/usr/bin/env python3
"""Every rlsh show command, in text and in JSON, against bgpd (programming the kernel) and bfdd
with an FRR node announcing two service /32s over BFD (issue: CLI). Each command must succeed,
print text that carries what the lab holds, and print JSON that parses to the API's messages.
Then rlsh's errors: an unknown command, a bad argument, and a daemon that is not running (rlsh says
which one and where it looked), none of which crash it.
"""
import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BUILD_BIN, Lab, frr_node_bgp, gateway_bgp, kernel_gateways, main, wait_until  # noqa: E402

GATEWAY = gateway_bgp(group=["bfd", "soft-reconfiguration inbound"],
                      af=["neighbor NODES route-map ALL out"],
                      tail="route-map ALL permit 10\nexit\nbfd\n profile metallb\n exit\nexit\n")
SERVICE_MAP = "route-map SVC permit 10\n set community 64500:100\n set large-community 64500:1:100\nexit\n"
NODE_BFD = "hostname n1\nbfd\n peer 10.0.1.1\n !\n!\n"

# command: text that must appear in its text output
COMMANDS = {
    "show bgp summary": "10.0.1.11",
    "show bgp neighbors": "BGP neighbor is 10.0.1.11",
    "show bgp neighbors 10.0.1.11": "BGP state = Established",
    "show bgp neighbors 10.0.1.11 received-routes": "10.0.1.100/32",
    "show bgp neighbors 10.0.1.11 advertised-routes": "Displayed",
    "show bgp neighbors 10.0.1.11 routes": "10.0.1.101/32",
    "show ip bgp": "10.0.1.100/32",
    "show ip bgp 10.0.1.100/32": "BGP routing table entry for 10.0.1.100/32",
    "show ip bgp 10.0.1.0/24 longer-prefixes": "10.0.1.101/32",
    "show ip bgp community 64500:100": "10.0.1.100/32",
    "show ip bgp large-community 64500:1:100": "10.0.1.101/32",
    "show bgp ipv6": "Displayed 0 routes",
    "show bgp services": "10.0.1.100/32  in the kernel via 1 next hop",
    "show bgp services 10.0.1.101": "10.0.1.101/32",
    "show bfd peers": "peer 10.0.1.11",
    "show bfd peers brief": "Session count: 1",
    "show bfd peer 10.0.1.11": "Status: up",
    "show ip route bgp": "B>* 10.0.1.100/32",
    "show ipv6 route bgp": "Codes:",
    "show fib status": "Routes: 2 installed",
    "show running-config": "router bgp 64512",
    "show version": "rlsh (ridgeline)",
}


class ShowCommands(unittest.TestCase):
    def test_every_show_command_in_text_and_json_and_the_errors(self):
        with Lab("rlshow") as lab:
            bfd = lab.start_bfdd(GATEWAY)
            gw = lab.start_bgpd(GATEWAY, fib=True)
            node = lab.add_node("n1", 11)
            lab.start_frr("n1", frr_node_bgp("n1", 64601, node["addr"],
                                             ["10.0.1.100/32 route-map SVC", "10.0.1.101/32 route-map SVC"],
                                             tail=SERVICE_MAP))
            lab.start_frr_bfdd("n1", NODE_BFD)

            def rlsh(*commands):
                argv = [os.path.join(BUILD_BIN, "rlsh"), "--run-dir", gw.run_dir]
                for c in commands:
                    argv += ["-c", c]
                return subprocess.run(argv, capture_output=True, text=True, timeout=60)

            wait_until("both services in the kernel", lambda: kernel_gateways(lab.gw, "10.0.1.100/32") == ["10.0.1.11"]
                       and kernel_gateways(lab.gw, "10.0.1.101/32") == ["10.0.1.11"], timeout=60, on_timeout=gw.logs)
            wait_until("BFD up", lambda: (bfd.peer("10.0.1.11") or {}).get("state") == "Up", timeout=30,
                       on_timeout=bfd.logs)
            for command, expected in COMMANDS.items():
                with self.subTest(command=command):
                    r = rlsh(command)
                    self.assertEqual(r.returncode, 0, f"{command}: {r.stderr}")
                    self.assertIn(expected, r.stdout, f"{command}:\n{r.stdout}")
                    if command == "show version":
                        continue
                    r = rlsh(command + " json")
                    self.assertEqual(r.returncode, 0, f"{command} json: {r.stderr}")
                    data = json.loads(r.stdout)
                    self.assertTrue(data or command in ("show bgp ipv6", "show ipv6 route bgp",
                                                        "show bgp neighbors 10.0.1.11 advertised-routes"),
                                    f"{command} json is empty")
            # A few JSON fields, as the API names them.
            self.assertEqual(json.loads(rlsh("show bgp services json").stdout)[0]["peers"][0]["bfd"], "Up")
            self.assertEqual(json.loads(rlsh("show bfd peer 10.0.1.11 json").stdout)["sessions"][0]["state"], "Up")
            self.assertEqual(int(json.loads(rlsh("show fib status json").stdout)["routes"]), 2)

            # Errors: said, not crashed; the next command still runs.
            r = rlsh("show bgp nonsense", "show bgp summary")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("% Unknown command: show bgp nonsense", r.stderr)
            self.assertIn("10.0.1.11", r.stdout)
            r = rlsh("show ip bgp 10.0.1.300/32")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("is not a prefix", r.stderr)
            r = rlsh("show bgp neighbors 10.9.9.9")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("no neighbor 10.9.9.9", r.stderr)
            bfd.proc.send_signal(signal.SIGTERM)
            bfd.proc.wait(timeout=20)
            r = rlsh("show bfd peers", "show bgp summary")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(f"bfdd is not running (no answer on {gw.run_dir}/bfdd.sock)", r.stderr)
            self.assertIn("10.0.1.11", r.stdout, "bgpd still answers")
            gw.proc.send_signal(signal.SIGTERM)
            gw.proc.wait(timeout=20)
            r = rlsh("show bgp summary")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(f"bgpd is not running (no answer on {gw.run_dir}/bgpd.sock)", r.stderr)


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", nexthop_objects=True)
