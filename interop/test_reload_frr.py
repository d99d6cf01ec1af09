#!/usr/bin/env python3
"""SIGHUP reload of bgpd and bfdd against FRR peers (issues: CLI/config lifecycle, packaging's
ExecReload).

Two FRR nodes announce 10.0.1.100/32 and 10.0.1.101/32 through a listen range, with BFD. Checked:
- a broken file is rejected with FILE:LINE in the log; every session and route stays;
- a prefix-list change takes 10.0.1.101/32 out of the RIB and the kernel without resetting any
  session (FRR answers the ROUTE-REFRESH); putting it back brings the route back;
- a configured neighbor added by reload comes up; removed, it goes (FRR sees a Cease); the nodes'
  sessions are untouched throughout;
- a timers change on the nodes' peer-group resets just those sessions (Cease/6, Other
  Configuration Change);
- bfdd: the profile's transmit interval changed by reload reaches the running sessions (a Poll
  sequence), which stay Up;
- `clear bgp * soft` refreshes without a reset.
"""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import Lab, frr_node_bgp, kernel_gateways, main, wait_until  # noqa: E402

GATEWAY = """hostname gw
router bgp 64512
 bgp router-id 10.0.1.1
 bgp bestpath as-path multipath-relax
 neighbor NODES peer-group
 neighbor NODES remote-as external
 neighbor NODES timers {timers}
 neighbor NODES bfd profile metallb
 bgp listen range 10.0.1.0/25 peer-group NODES
{upstream}
 address-family ipv4 unicast
  neighbor NODES prefix-list POOL in
  maximum-paths 64
 exit-address-family
exit
ip prefix-list POOL seq 10 permit 10.0.1.100/32
{pool101}
bfd
 profile metallb
  receive-interval 300
  transmit-interval {tx}
  detect-multiplier 3
 exit
exit
"""

UPSTREAM = """ neighbor 10.0.1.254 remote-as 64999
 neighbor 10.0.1.254 timers 3 9"""

NODE_BFD = """hostname {name}
bfd
 peer 10.0.1.1
 !
!
"""

UPSTREAM_NODE = """router bgp 64999
 bgp router-id 10.0.1.254
 no bgp ebgp-requires-policy
 neighbor 10.0.1.1 remote-as 64512
 neighbor 10.0.1.1 timers 3 9
 neighbor 10.0.1.1 timers connect 1
"""


def conf(timers="3 9", upstream=False, pool101=True, tx=300):
    return GATEWAY.format(timers=timers, upstream=UPSTREAM if upstream else "",
                          pool101="ip prefix-list POOL seq 20 permit 10.0.1.101/32" if pool101 else "", tx=tx)


class Reload(unittest.TestCase):
    def test_reload_applies_the_difference_only(self):
        with Lab("reload") as lab:
            bfd = lab.start_bfdd(conf())
            gw = lab.start_bgpd(conf(), fib=True)
            path = os.path.join(os.path.dirname(gw.run_dir), "ridgeline.conf")
            for name, host, asn in (("n1", 11, 64601), ("n2", 12, 64602)):
                node = lab.add_node(name, host)
                lab.start_frr(name, frr_node_bgp(name, asn, node["addr"], ["10.0.1.100/32", "10.0.1.101/32"]))
                lab.start_frr_bfdd(name, NODE_BFD.format(name=name))
            lab.add_node("up", 254)
            lab.start_frr("up", UPSTREAM_NODE)
            nodes = ["10.0.1.11", "10.0.1.12"]

            def diagnose():
                return gw.rlsh("show bgp summary", check=False) + gw.logs(80) + bfd.logs(30)

            def sessions():
                return {n["address"]: n for n in gw.json("show bgp summary")["neighbors"]}

            def established(addresses):
                return lambda: all(sessions().get(a, {}).get("state") == "Established" for a in addresses)

            def kernel(prefix):
                return kernel_gateways(lab.gw, prefix)

            def reload(daemon, text):
                with open(path, "w") as f:
                    f.write(text)
                daemon.proc.send_signal(signal.SIGHUP)

            wait_until("both nodes established", established(nodes), timeout=60, on_timeout=diagnose)
            wait_until("both services in the kernel", lambda: kernel("10.0.1.101/32") == nodes and
                       kernel("10.0.1.100/32") == nodes, timeout=30, on_timeout=diagnose)
            wait_until("BFD up with both nodes", lambda: all((bfd.peer(a) or {}).get("state") == "Up" for a in nodes),
                       timeout=30, on_timeout=diagnose)
            # FRR drops a ROUTE-REFRESH that arrives before it has sent End-of-RIB ("before EoR"; it
            # sends one because bgpd always advertises the graceful-restart capability, as a helper).
            for a in nodes:
                wait_until(f"End-of-RIB from {a}", lambda: f"{a}: End-of-RIB for ipv4-unicast" in gw.log_text(),
                           timeout=30, on_timeout=diagnose)
            ups = {a: int(sessions()[a].get("establishedCount", 0)) for a in nodes}

            def untouched():
                s = sessions()
                self.assertEqual({a: int(s[a].get("establishedCount", 0)) for a in nodes}, ups, "no session reset")
                self.assertTrue(all(s[a]["state"] == "Established" for a in nodes), s)

            # 1. A broken file: rejected with FILE:LINE; nothing changes.
            logged = len(gw.log_text())
            reload(gw, conf() + "router bgp 64512\n neighbor 10.0.1.9 remote-ass 1\n")
            wait_until("the rejection in bgpd's log", lambda: "reload rejected" in gw.log_text()[logged:], timeout=10,
                       on_timeout=diagnose)
            self.assertRegex(gw.log_text()[logged:], rf"{path}:\d+: ")
            untouched()
            self.assertEqual(kernel("10.0.1.101/32"), nodes)

            # 2. The pool loses 10.0.1.101/32: out of the RIB and the kernel, by ROUTE-REFRESH, no reset.
            reload(gw, conf(pool101=False))
            wait_until("10.0.1.101/32 out of the kernel", lambda: kernel("10.0.1.101/32") == [], timeout=15,
                       on_timeout=diagnose)
            self.assertIsNone(gw.route("10.0.1.101/32"))
            self.assertEqual(kernel("10.0.1.100/32"), nodes)
            self.assertIn("policy changed: soft refresh", gw.log_text())
            untouched()
            reload(gw, conf())
            wait_until("10.0.1.101/32 back", lambda: kernel("10.0.1.101/32") == nodes, timeout=15, on_timeout=diagnose)
            untouched()

            # 3. A configured neighbor added, then removed; the nodes never notice.
            reload(gw, conf(upstream=True))
            wait_until("the new upstream neighbor established", established(["10.0.1.254"]), timeout=30,
                       on_timeout=diagnose)
            self.assertIn("Established", lab.vtysh("up", "show bgp neighbors 10.0.1.1"))
            untouched()
            reload(gw, conf())
            wait_until("the upstream neighbor gone", lambda: "10.0.1.254" not in sessions(), timeout=15,
                       on_timeout=diagnose)
            wait_until("the upstream to see the session closed",
                       lambda: "Established" not in lab.vtysh("up", "show bgp neighbors 10.0.1.1"), timeout=15)
            untouched()

            # 4. bfdd: the profile's transmit interval changes on the running sessions; they stay Up.
            downs = {a: int(bfd.peer(a).get("downCount", 0)) for a in nodes}
            reload(bfd, conf(tx=200))
            wait_until("bfdd's sessions on 200 ms",
                       lambda: all(int(bfd.peer(a).get("transmitIntervalMs", 0)) == 200 for a in nodes),
                       timeout=15, on_timeout=diagnose)
            self.assertEqual({a: int(bfd.peer(a).get("downCount", 0)) for a in nodes}, downs, "no BFD flap")
            self.assertTrue(all(bfd.peer(a)["state"] == "Up" for a in nodes))
            untouched()

            # 5. `clear bgp * soft`: refreshed, not reset.
            gw.rlsh("clear bgp * soft")
            untouched()

            # 6. The nodes' timers change: those sessions reset with Cease/6 and come back.
            reloaded = time.monotonic()
            reload(gw, conf(timers="4 12"))

            def new_sessions():
                s = sessions()
                return all(s.get(a, {}).get("state") == "Established" and
                           int(s[a].get("stateSeconds", 0)) <= time.monotonic() - reloaded + 1 for a in nodes)

            wait_until("the nodes' sessions reset by the change and back", new_sessions, timeout=60,
                       on_timeout=diagnose)
            self.assertEqual(gw.log_text().count("configuration changed: resetting the session"), 2)
            self.assertEqual(int(sessions()["10.0.1.11"]["holdTime"]), 9, "min(12, the node's 9)")
            # FRR says why it was reset.
            self.assertIn("Other Configuration Change", lab.vtysh("n1", "show bgp neighbors 10.0.1.1"))


if __name__ == "__main__":
    main("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "vtysh", nexthop_objects=True)
