#!/usr/bin/env python3
"""The demo lab: a Ridgeline gateway and three FRR "Kubernetes nodes" in network namespaces.

Each node announces two MetalLB-style service IPs (10.0.1.100/32 and 10.0.1.101/32) with
community 64500:100 through the gateway's `bgp listen range`. The demo waits for convergence,
shows what the gateway sees, stops one node and shows how long the gateway took to drop it,
then tears the lab down (or, with --keep, leaves it running and says how to enter it).

The gateway runs Ridgeline's bgpd, which programs its kernel (each service becomes one route
through a shared nexthop group), and bfdd, with BFD at 300 ms x 3 to every node (the nodes run
FRR's bfdd). The failover shown is a node freezing (SIGSTOP): BFD notices within the detection
time, and the node's next hop leaves the shared group in place, one kernel write.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import signal  # noqa: E402

from lab import Lab, require_root_and_tools, sh, wait_until  # noqa: E402

GATEWAY = """hostname gateway
router bgp 64512
 bgp router-id 10.0.1.1
 bgp bestpath as-path multipath-relax
 neighbor K8S peer-group
 neighbor K8S remote-as external
 neighbor K8S timers 3 9
 neighbor K8S bfd profile metallb
 bgp listen range 10.0.1.0/24 peer-group K8S
 address-family ipv4 unicast
  neighbor K8S prefix-list METALLB in
  maximum-paths 64
 exit-address-family
exit
ip prefix-list METALLB seq 10 permit 10.0.1.0/24 le 32
bfd
 profile metallb
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 exit
exit
"""

NODE_BFD = """hostname {name}
bfd
 peer 10.0.1.1
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 !
!
"""

NODE = """hostname {name}
router bgp {asn}
 bgp router-id {addr}
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.0.1.1 remote-as 64512
 neighbor 10.0.1.1 timers 3 9
 neighbor 10.0.1.1 timers connect 1
 address-family ipv4 unicast
  network 10.0.1.100/32 route-map SVC
  network 10.0.1.101/32 route-map SVC
 exit-address-family
route-map SVC permit 10
 set community 64500:100
 set large-community 64500:1:2
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", action="store_true", help="leave the lab running")
    args = ap.parse_args()
    reason = require_root_and_tools("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd")
    if reason:
        print(f"demo lab skipped: {reason}")
        return 0
    lab = Lab("demo")
    lab.__enter__()
    try:
        bfd = lab.start_bfdd(GATEWAY)
        gw = lab.start_bgpd(GATEWAY, fib=True)
        for i in range(3):
            node = lab.add_node(f"node{i + 1}", 11 + i)
            lab.start_frr(f"node{i + 1}", NODE.format(name=f"node{i + 1}", asn=64601 + i, addr=node["addr"]))
            lab.start_frr_bfdd(f"node{i + 1}", NODE_BFD.format(name=f"node{i + 1}"))
        t0 = time.monotonic()
        three = ["10.0.1.11", "10.0.1.12", "10.0.1.13"]
        def in_kernel(hops):
            routes = {r["prefix"]: sorted(n["gateway"] for n in r["nexthops"]) for r in gw.json("show ip route bgp")}
            return all(routes.get(p) == hops for p in ("10.0.1.100/32", "10.0.1.101/32"))

        wait_until("both services on three nodes, in the kernel", lambda: in_kernel(three), timeout=90,
                   on_timeout=gw.logs)
        print(f"\nConverged in {time.monotonic() - t0:.1f} s.\n")
        print("gateway# show bgp summary")
        print(gw.rlsh("show bgp summary"))
        print("gateway# show ip bgp")
        print(gw.rlsh("show ip bgp"))
        print("gateway# show ip bgp 10.0.1.100/32")
        print(gw.rlsh("show ip bgp 10.0.1.100/32"))
        print("gateway# show ip route bgp")
        print(gw.rlsh("show ip route bgp"))
        print("gateway$ ip route show proto bgp; ip nexthop show")
        print(sh("ip", "-n", lab.gw, "route", "show", "proto", "bgp", capture=True).stdout +
              sh("ip", "-n", lab.gw, "nexthop", "show", capture=True).stdout)

        wait_until("BFD Up to every node", lambda: all(p["state"] == "Up" for p in bfd.peers()) and
                   len(bfd.peers()) == 3, timeout=30, on_timeout=bfd.logs)
        print("gateway# show bfd peers brief")
        print(bfd.rlsh("show bfd peers brief"))
        print("Freezing node3 (SIGSTOP of its bgpd and bfdd) ...")
        t1 = time.monotonic()
        for p in (lab.nodes["node3"]["frr"], lab.nodes["node3"]["bfdd"]):
            p.send_signal(signal.SIGSTOP)
        wait_until("node3 to leave both services in the kernel", lambda: in_kernel(three[:2]), timeout=30,
                   interval=0.01, on_timeout=gw.logs)
        print(f"node3 left every ECMP set in the kernel {1000 * (time.monotonic() - t1):.0f} ms after it froze "
              "(BFD detection time 900 ms; one in-place group replace).\n")
        print("gateway# show ip route bgp")
        print(gw.rlsh("show ip route bgp"))
        print("gateway# show fib status")
        print(gw.rlsh("show fib status"))
        if args.keep:
            print(f"The lab stays up. Enter it with:\n  rlsh --run-dir {gw.run_dir}\n"
                  f"  ip netns exec {lab.gw} bash\nRemove it with: ip -all netns delete   (or reboot)")
            lab.namespaces = []
            lab.procs = []
            return 0
    finally:
        lab.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
