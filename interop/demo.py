#!/usr/bin/env python3
"""The demo lab: a Ridgeline gateway and three FRR "Kubernetes nodes" in network namespaces.

Each node announces two MetalLB-style service IPs (10.0.1.100/32 and 10.0.1.101/32) with
community 64500:100 through the gateway's `bgp listen range`. The demo waits for convergence,
shows what the gateway sees, freezes one node and shows how long the gateway took to drop it,
thaws it and waits for it to come back, then tears the lab down (or, with --keep, leaves it running and says how to enter it).

The gateway runs Ridgeline's bgpd, which programs its kernel (each service becomes one route
through a shared nexthop group), and bfdd, with BFD at 300 ms x 3 to every node (the nodes run
FRR's zebra + bfdd + bgpd with `neighbor 10.0.1.1 bfd profile metallb`). The failover shown is a node freezing (SIGSTOP): BFD notices within the detection
time, and the node's next hop leaves the shared group in place, one kernel write.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import signal  # noqa: E402

from lab import Lab, frr_node_bgp, require_root_and_tools, sh, wait_until  # noqa: E402

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

# MetalLB's FRR mode: each node's FRR (zebra, bfdd, bgpd) peers with the gateway, with BFD
# through a profile, and tags its service IPs with communities.
NODE_BFD = """hostname {name}
bfd
 profile metallb
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
 exit
exit
"""

SVC = """route-map SVC permit 10
 set community 64500:100
 set large-community 64500:1:2
exit
"""


def node_bgp(name, asn, addr):
    return frr_node_bgp(name, asn, addr, ["10.0.1.100/32 route-map SVC", "10.0.1.101/32 route-map SVC"],
                        neighbor=["bfd profile metallb"], tail=SVC)


SERVICES = ("10.0.1.100/32", "10.0.1.101/32")


def show(gw, *commands):
    """Prints what `rlsh -c ... -c ...` prints, with the command line first."""
    print("gateway$ rlsh " + " ".join(f'-c "{c}"' for c in commands))
    print(gw.rlsh(*commands))


def kernel_routes(lab):
    print("gateway$ ip route show " + " ; ip route show ".join(SERVICES) + " ; ip nexthop show")
    print("".join(sh("ip", "-n", lab.gw, "route", "show", p, capture=True).stdout for p in SERVICES) +
          sh("ip", "-n", lab.gw, "nexthop", "show", capture=True).stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", action="store_true", help="leave the lab running")
    args = ap.parse_args()
    reason = require_root_and_tools("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "/usr/lib/frr/zebra",
                                    nexthop_objects=True)
    if reason:
        print(f"demo lab skipped: {reason}")
        return 0
    lab = Lab("demo")
    lab.__enter__()
    try:
        bfd = lab.start_bfdd(GATEWAY)
        gw = lab.start_bgpd(GATEWAY, fib=True)
        t0 = time.monotonic()
        for i in range(3):
            name = f"node{i + 1}"
            node = lab.add_node(name, 11 + i)
            lab.start_frr_node(name, node_bgp(name, 64601 + i, node["addr"]),
                               NODE_BFD.format(name=name))
        three = ["10.0.1.11", "10.0.1.12", "10.0.1.13"]

        def in_kernel(hops):
            routes = {r["prefix"]: sorted(n["gateway"] for n in r["nexthops"]) for r in gw.json("show ip route bgp")}
            return all(routes.get(p) == hops for p in SERVICES)

        def bfd_up():
            peers = bfd.peers()
            return len(peers) == 3 and all(p["state"] == "Up" for p in peers)

        wait_until("both services on three nodes, in the kernel", lambda: in_kernel(three), timeout=90,
                   on_timeout=gw.logs)
        wait_until("BFD Up to every node", bfd_up, timeout=30, on_timeout=bfd.logs)
        print(f"\nConverged in {time.monotonic() - t0:.1f} s.\n")
        show(gw, "show bgp summary", "show bgp services", "show bfd peers brief")
        kernel_routes(lab)
        show(gw, "show ip route bgp")

        print("Freezing node3 (SIGSTOP of its zebra, bfdd and bgpd) ...")
        daemons = list(lab.nodes["node3"]["daemons"].values())
        t1 = time.monotonic()
        for p in daemons:
            p.send_signal(signal.SIGSTOP)
        try:
            wait_until("node3 to leave both services in the kernel", lambda: in_kernel(three[:2]), timeout=30,
                       interval=0.01, on_timeout=gw.logs)
            took = time.monotonic() - t1
        finally:
            for p in daemons:
                p.send_signal(signal.SIGCONT)
        print(f"node3 left every ECMP set in the kernel {1000 * took:.0f} ms after it froze "
              "(BFD detection time 900 ms; one in-place group replace).\n")
        kernel_routes(lab)
        print("Thawed node3; waiting for it to come back ...")
        t2 = time.monotonic()
        wait_until("node3 back in both services", lambda: in_kernel(three), timeout=90, on_timeout=gw.logs)
        print(f"node3 is back in both services after {time.monotonic() - t2:.1f} s "
              "(BFD Up, then a new BGP session).\n")
        show(gw, "show bgp services 10.0.1.100", "show fib status")
        if args.keep:
            teardown = lab.write_teardown()
            rlsh = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "bin", "rlsh")
            print(f"The lab stays up. Enter it with:\n  {rlsh} --run-dir {gw.run_dir}\n"
                  f"  ip netns exec {lab.gw} bash      (the gateway; nodes: "
                  f"{', '.join(n['ns'] for n in lab.nodes.values())})\n"
                  f"Tear it down with:\n  sh {teardown}")
            lab.kept = True
            return 0
    finally:
        lab.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
