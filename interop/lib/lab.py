"""Network-namespace labs for interop tests: unique names, always removed, real daemons.

A Lab makes one "gateway" namespace holding a bridge and any number of "node" namespaces, each
joined to the bridge by a veth pair. Daemons are started directly (no systemd) with their own
config, pid and socket paths under the lab's temporary directory. Every address lives inside the
namespaces the lab made.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_BIN = os.environ.get("RIDGELINE_BIN", os.path.join(ROOT, "build", "bin"))
SKIP = 77  # ctest SKIP_RETURN_CODE


class LabError(AssertionError):
    pass


def sh(*args, check=True, capture=False, timeout=30):
    return subprocess.run(list(args), check=check, capture_output=capture, text=True, timeout=timeout)


def require_root_and_tools(*tools, nexthop_objects=False):
    """Returns a reason to skip, or None."""
    if os.geteuid() != 0:
        return "needs root for network namespaces"
    for t in tools:
        if not shutil.which(t) and not os.path.exists(t):
            return f"{t} is not installed"
    probe = f"rlprobe{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        return "cannot create network namespaces here"
    try:
        subprocess.run(["ip", "-n", probe, "link", "set", "lo", "up"], capture_output=True)
        if nexthop_objects and subprocess.run(["ip", "-n", probe, "nexthop", "add", "id", "1", "blackhole"],
                                              capture_output=True).returncode != 0:
            return "this kernel has no nexthop objects (RTM_NEWNEXTHOP, Linux 5.3+)"
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def wait_until(what, predicate, timeout=60.0, interval=0.2, on_timeout=None):
    """Polls predicate() until it returns a truthy value; fails with a message that says what."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as e:  # noqa: BLE001 - a failing probe is a "not yet"
            last = e
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    detail = on_timeout() if on_timeout else ""
    raise LabError(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {last!r}\n{detail}")


class Lab:
    def __init__(self, name, subnet="10.0.1", gateway_host=1):
        self.tag = f"rl{name[:6]}{os.getpid() % 100000}"
        self.dir = tempfile.mkdtemp(prefix=f"ridgeline-{name}-")
        os.chmod(self.dir, 0o755)
        self.subnet = subnet
        self.gw = f"{self.tag}gw"
        self.gw_addr = f"{subnet}.{gateway_host}"
        self.namespaces = []
        self.procs = []
        self.nodes = {}
        self.kept = False  # left running (demo --keep): close() leaves everything alone
        self.our_logs = []  # our daemons' logs: read for sanitizer reports when the lab closes

    # --- topology ---
    def __enter__(self):
        try:
            self._ns(self.gw)
            # A fixed address: otherwise the bridge takes its lowest port's, and changes it as nodes
            # are added, leaving the nodes' ARP caches pointing at an address nobody has.
            self.ip(self.gw, "link", "add", "br0", "address", "02:52:4c:00:00:01", "type", "bridge")
            # A bridge with a set address has no carrier until a port forwards: a veth port (its
            # other end up, unused) keeps it up before, and without, nodes.
            self.ip(self.gw, "link", "add", "brport0", "type", "veth", "peer", "name", "brport1")
            self.ip(self.gw, "link", "set", "brport0", "master", "br0")
            self.ip(self.gw, "link", "set", "brport1", "up")
            self.ip(self.gw, "link", "set", "brport0", "up")
            self.ip(self.gw, "link", "set", "br0", "up")
            self.ip(self.gw, "addr", "add", f"{self.gw_addr}/24", "dev", "br0")
            self.ip(self.gw, "-6", "addr", "add", f"2001:db8:1::{self.gw_addr.split('.')[-1]}/64", "dev", "br0", "nodad")
        except Exception:
            self.close()
            raise
        return self

    def __exit__(self, exc_type, *exc):
        reports = self.sanitizer_reports()
        self.close()
        for r in reports:
            print(r, file=sys.stderr)
        if reports and exc_type is None:
            raise LabError(f"{len(reports)} sanitizer report(s) from our daemons (above)")
        return False

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: ")

    def sanitizer_reports(self):
        """What AddressSanitizer / UndefinedBehaviorSanitizer printed in our daemons' logs (a
        sanitizer build, as CI's conformance step): each report from its first line on."""
        out = []
        for log in self.our_logs:
            try:
                with open(log, errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            for mark in self.SANITIZER_MARKS:
                at = text.find(mark)
                if at >= 0:
                    out.append(f"--- {log} ---\n" + text[text.rfind("\n", 0, at) + 1:][:4000])
                    break
        return out

    def _ns(self, ns):
        sh("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")

    def ip(self, ns, *args):
        return sh("ip", "-n", ns, *args)

    def add_node(self, name, host):
        """A node namespace at SUBNET.host (and 2001:db8:1::host), on the gateway's bridge."""
        ns = f"{self.tag}{name}"
        self._ns(ns)
        a, b = f"{self.tag[:6]}{host}a", f"{self.tag[:6]}{host}b"
        sh("ip", "link", "add", a, "netns", self.gw, "type", "veth", "peer", "name", "eth0", "netns", ns)
        self.ip(self.gw, "link", "set", a, "master", "br0")
        self.ip(self.gw, "link", "set", a, "up")
        self.ip(ns, "link", "set", "eth0", "up")
        self.ip(ns, "addr", "add", f"{self.subnet}.{host}/24", "dev", "eth0")
        self.ip(ns, "-6", "addr", "add", f"2001:db8:1::{host}/64", "dev", "eth0", "nodad")
        self.nodes[name] = {"ns": ns, "addr": f"{self.subnet}.{host}", "addr6": f"2001:db8:1::{host}"}
        return self.nodes[name]

    def close(self):
        if self.kept:
            return
        for p in reversed(self.procs):
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        for ns in reversed(self.namespaces):
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.namespaces = []
        if os.environ.get("RIDGELINE_KEEP_LAB_DIR"):
            print(f"lab files kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def write_teardown(self):
        """For a lab left running: a script that stops its processes and removes its namespaces and
        files (only this lab's)."""
        path = os.path.join(self.dir, "teardown.sh")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n# Removes this Ridgeline lab: its processes, namespaces and files.\n")
            for ns in reversed(self.namespaces):
                f.write(f"ip netns pids {ns} 2>/dev/null | xargs -r kill -9\nip netns del {ns} 2>/dev/null\n")
            f.write(f"rm -rf {self.dir}\n")
        return path

    # --- daemons ---
    def path(self, *parts):
        p = os.path.join(self.dir, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def spawn(self, ns, argv, log):
        with open(log, "w") as f:  # the child keeps its own copy of the descriptor
            p = subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdout=f, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def _start_ours(self, daemon, config_text, name, args, cls, ns=None):
        """One of our daemons in the gateway namespace; bgpd and bfdd of one gateway share a run dir
        (and so the sockets rlsh finds). A second start with the same name is a restart."""
        run = self.path(name, "run", "x")[:-2]
        conf = self.path(name, "ridgeline.conf")
        with open(conf, "w") as f:
            f.write(config_text)
        log = self.path(name, f"{daemon}{len(self.procs)}.log")
        self.our_logs.append(log)
        level = [] if "--log-level" in args else ["--log-level", "debug"]
        argv = [os.path.join(BUILD_BIN, daemon), "-f", conf, "--run-dir", run, *level, *args]
        proc = self.spawn(ns or self.gw, argv, log)
        d = cls(self, run, log, proc)
        wait_until(f"{daemon} to serve its API",
                   lambda: proc.poll() is None and os.path.exists(os.path.join(run, f"{daemon}.sock")), timeout=20,
                   on_timeout=d.logs)
        return d

    def start_bgpd(self, config_text, name="gw", extra=(), fib=False, ns=None):
        """bgpd in the gateway namespace (or `ns`); with fib=True it programs that namespace's kernel."""
        return self._start_ours("bgpd", config_text, name, [*extra] + ([] if fib else ["--no-fib"]), Gateway, ns)

    def start_bfdd(self, config_text, name="gw", extra=()):
        """Our bfdd in the gateway namespace."""
        return self._start_ours("bfdd", config_text, name, [*extra], Bfdd)

    def _start_frr_daemon(self, node, daemon, config_text, args):
        """An FRR daemon in a node namespace, without zebra or systemd, with its config, pid, log and
        vty socket in the node's own directory (shared by that node's FRR daemons)."""
        d = self.path(node, "frr", "x")[:-2]
        os.chmod(d, 0o777)
        conf = os.path.join(d, f"{daemon}.conf")
        with open(conf, "w") as f:
            f.write(config_text)
        log = os.path.join(d, f"{daemon}.log")
        p = self.spawn(self.nodes[node]["ns"],
                       [f"/usr/lib/frr/{daemon}", "-f", conf, "-i", os.path.join(d, f"{daemon}.pid"), "-P", "0",
                        "--vty_socket", d, "-z", os.path.join(d, "zserv.api"), *args, "--log", f"file:{log}"],
                       os.path.join(d, f"{daemon}-stdout.log"))
        self.nodes[node]["frr_dir"] = d
        return p

    def start_frr(self, node, config_text):
        """FRR's bgpd in a node namespace (-Z: no zebra)."""
        p = self._start_frr_daemon(node, "bgpd", config_text, ["-Z", "-S"])
        self.nodes[node]["frr"] = p
        return p

    def start_frr_bfdd(self, node, config_text):
        """FRR's bfdd in a node namespace, beside the node's bgpd."""
        d = self.path(node, "frr", "x")[:-2]
        p = self._start_frr_daemon(node, "bfdd", config_text, ["--bfdctl", os.path.join(d, "bfdd.sock")])
        self.nodes[node]["bfdd"] = p
        return p

    def start_frr_node(self, node, bgpd_config, bfdd_config=None):
        """A node as FRR runs it in production: zebra, then bfdd (if given), then bgpd talking to both
        through zebra, so that bgpd's `neighbor X bfd` reaches bfdd. Returns the daemons by name."""
        procs = {"zebra": self._start_frr_daemon(node, "zebra", f"hostname {node}\n", [])}
        sock = os.path.join(self.path(node, "frr", "x")[:-2], "zserv.api")
        wait_until(f"{node}'s zebra to listen", lambda: os.path.exists(sock), timeout=20,
                   on_timeout=lambda: self.frr_log(node, "zebra"))
        if bfdd_config is not None:
            procs["bfdd"] = self.start_frr_bfdd(node, bfdd_config)
        self.nodes[node]["daemons"] = procs
        self.start_frr_node_bgpd(node, bgpd_config)
        return procs

    def start_frr_node_bgpd(self, node, bgpd_config):
        """(Re)starts the bgpd of a node made by start_frr_node."""
        p = self._start_frr_daemon(node, "bgpd", bgpd_config, ["-S"])
        self.nodes[node]["frr"] = self.nodes[node]["daemons"]["bgpd"] = p
        return p

    def frr_log(self, node, daemon, lines=40):
        try:
            with open(os.path.join(self.nodes[node]["frr_dir"], f"{daemon}.log")) as f:
                return f"--- {node} {daemon} log (tail) ---\n" + "".join(f.readlines()[-lines:])
        except (OSError, KeyError):
            return f"--- no {daemon} log for {node} ---\n"

    def vtysh(self, node, command):
        n = self.nodes[node]
        r = sh("ip", "netns", "exec", n["ns"], "vtysh", "--vty_socket", n["frr_dir"], "-c", command,
               check=False, capture=True)
        return r.stdout


# BFD at 300 ms x 3, as the MetalLB tests and the demo use it.
BFD_METALLB = "bfd\n profile metallb\n  receive-interval 300\n  transmit-interval 300\n  detect-multiplier 3\n exit\nexit\n"


def bfd_peers_metallb(*peers):
    """The BFD_METALLB block with configured peers on that profile."""
    body = "".join(f" peer {p}\n  profile metallb\n exit\n" for p in peers)
    return BFD_METALLB[:-len("exit\n")] + body + "exit\n"


def frr_node_bfd(name, gateway="10.0.1.1"):
    """An FRR node's bfdd config: one peer, the gateway, at 300 ms x 3."""
    return (f"hostname {name}\nbfd\n peer {gateway}\n  receive-interval 300\n  transmit-interval 300\n"
            "  detect-multiplier 3\n !\n!\n")


def gateway_bgp(group=(), af=(), tail="", listen="10.0.1.0/24", router=()):
    """Our gateway's config (AS 64512) with the nodes' peer-group NODES (eBGP, timers 3 9) behind a
    listen range and the inbound prefix-list POOL (10.0.1.0/24 le 32). group: extra `neighbor
    NODES ...` words; af: extra IPv4 address-family lines; router: extra `router bgp` lines; tail:
    text after the router block."""
    lines = ["hostname gw", "router bgp 64512", " bgp router-id 10.0.1.1", *[f" {r}" for r in router],
             " neighbor NODES peer-group",
             " neighbor NODES remote-as external", " neighbor NODES timers 3 9",
             *[f" neighbor NODES {g}" for g in group], f" bgp listen range {listen} peer-group NODES",
             " address-family ipv4 unicast", "  neighbor NODES prefix-list POOL in", *[f"  {a}" for a in af],
             " exit-address-family", "exit", "ip prefix-list POOL seq 10 permit 10.0.1.0/24 le 32"]
    return "\n".join(lines) + "\n" + tail


def frr_node_bgp(name, asn, router_id, networks=(), router=(), neighbor=(), af=(), tail="", gateway="10.0.1.1"):
    """FRR's bgpd.conf for a "Kubernetes node" peering eBGP with the gateway (AS 64512): fast
    timers, no RFC 8212 policy needed, `network` lines without an IGP to validate them.
    router: extra lines under `router bgp`; neighbor: extra `neighbor GATEWAY ...` words;
    af: extra lines in `address-family ipv4 unicast`; tail: text after the router block."""
    lines = [f"hostname {name}", f"router bgp {asn}", f" bgp router-id {router_id}", *[f" {r}" for r in router],
             " no bgp ebgp-requires-policy", " no bgp network import-check", f" neighbor {gateway} remote-as 64512",
             f" neighbor {gateway} timers 3 9", f" neighbor {gateway} timers connect 1",
             *[f" neighbor {gateway} {n}" for n in neighbor], " address-family ipv4 unicast",
             *[f"  network {n}" for n in networks], *[f"  {a}" for a in af], " exit-address-family", "exit"]
    return "\n".join(lines) + "\n" + tail


def kernel_counters(ns, *names):
    """The sum of these `nstat` counters (e.g. TcpExtTCPMD5Failure) in namespace ns, since it was made."""
    out = sh("ip", "netns", "exec", ns, "nstat", "-az", capture=True, check=False).stdout
    return sum(int(line.split()[1]) for line in out.splitlines() if line.split() and line.split()[0] in names)


def kernel_bgp_routes(ns):
    """The kernel's routes of protocol bgp in namespace `ns`, by destination (`ip -j route` objects)."""
    out = sh("ip", "-n", ns, "-j", "route", "show", "proto", "bgp", capture=True).stdout
    return {r["dst"]: r for r in json.loads(out or "[]")}


def kernel_gateways(ns, prefix):
    """The gateways of a kernel route in namespace `ns`, following its nexthop group; [] if absent."""
    family = "-6" if ":" in prefix else "-4"
    routes = json.loads(sh("ip", "-n", ns, family, "-j", "route", "show", prefix, capture=True, check=False).stdout
                        or "[]")
    if not routes or "nhid" not in routes[0]:
        return []
    group = json.loads(sh("ip", "-n", ns, "-j", "nexthop", "show", "id", str(routes[0]["nhid"]), capture=True,
                          check=False).stdout or "[]")
    out = []
    for m in (group[0].get("group", []) if group else []):
        nh = json.loads(sh("ip", "-n", ns, "-j", "nexthop", "show", "id", str(m["id"]), capture=True,
                           check=False).stdout or "[]")
        out.append(nh[0].get("gateway") if nh else None)
    return sorted(out, key=str)


def scrape(ns, port):
    """The Prometheus page a daemon serves on 127.0.0.1:PORT in namespace ns; empty when none."""
    code = (f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{port}/metrics', timeout=5)"
            ".read().decode(), end='')")
    r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=20)
    return r.stdout if r.returncode == 0 else ""


def value(text, name, **labels):
    """One sample of a Prometheus page by name and labels, or None."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


class Gateway:
    def __init__(self, lab, run_dir, log, proc):
        self.lab, self.run_dir, self.log, self.proc = lab, run_dir, log, proc

    def rlsh(self, *commands, check=True):
        argv = [os.path.join(BUILD_BIN, "rlsh"), "--run-dir", self.run_dir]
        for c in commands:
            argv += ["-c", c]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise LabError(f"rlsh {commands} failed: {r.stderr}")
        return r.stdout

    def json(self, command):
        return json.loads(self.rlsh(command + " json"))

    def route(self, prefix):
        routes = self.json(f"show ip bgp {prefix}" if ":" not in prefix else f"show bgp ipv6 {prefix}")
        return routes[0] if routes else None

    def log_text(self):
        with open(self.log) as f:
            return f.read()

    def logs(self, lines=60):
        try:
            with open(self.log) as f:
                tail = f.readlines()[-lines:]
        except OSError:
            tail = []
        return "--- bgpd log (tail) ---\n" + "".join(tail)


class Bfdd(Gateway):
    """Our bfdd: rlsh against the same run dir."""

    def peers(self):
        return self.json("show bfd peers").get("sessions", [])

    def peer(self, address):
        return next((s for s in self.peers() if s["key"]["peer"] == address), None)

    def logs(self, lines=60):
        return super().logs(lines).replace("bgpd log", "bfdd log")


def main(*tools, nexthop_objects=False):
    """The `__main__` of a namespace test: skip (exit 77) with the reason, or run unittest.
    nexthop_objects: the test reads the kernel's nexthop groups."""
    import sys
    import unittest

    reason = require_root_and_tools(*tools, nexthop_objects=nexthop_objects)
    if reason:
        print(f"SKIP: {reason}")
        sys.exit(SKIP)
    unittest.main(module="__main__")
