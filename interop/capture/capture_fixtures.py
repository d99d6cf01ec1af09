#!/usr/bin/env python3
"""Record real BGP messages from FRR, BIRD and GoBGP as codec fixtures.

Builds two network namespaces joined by a veth pair, runs a minimal passive BGP speaker in the
gateway namespace, starts each peer daemon in turn in the other namespace (no systemd), and
writes every message the peer sends (OPEN, UPDATEs, End-of-RIB) as hex to
tests/fixtures/<peer>/NN-<type>.hex. Run as root: `sudo interop/capture/capture_fixtures.py`.
All traffic stays on the veth pair inside the namespaces this script makes and removes.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures")
TAG = f"rlcap{os.getpid()}"
GW, PEER = f"{TAG}gw", f"{TAG}pe"
GW4, GW6 = "192.0.2.1", "2001:db8:ff::1"
TYPES = {1: "open", 2: "update", 3: "notification", 4: "keepalive", 5: "refresh"}


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, **kw)


def netns_up():
    sh("ip", "netns", "add", GW)
    sh("ip", "netns", "add", PEER)
    sh("ip", "link", "add", f"{TAG}a", "netns", GW, "type", "veth", "peer", "name", f"{TAG}b", "netns", PEER)
    for ns, dev, v4, v6 in ((GW, f"{TAG}a", GW4, GW6), (PEER, f"{TAG}b", "192.0.2.2", "2001:db8:ff::2")):
        ip = ["ip", "-n", ns]
        sh(*ip, "link", "set", "lo", "up")
        sh(*ip, "link", "set", dev, "up")
        sh(*ip, "addr", "add", f"{v4}/24", "dev", dev)
        sh(*ip, "-6", "addr", "add", f"{v6}/64", "dev", dev, "nodad")
        if ns == PEER:
            for extra in ("192.0.2.3", "192.0.2.4"):
                sh(*ip, "addr", "add", f"{extra}/24", "dev", dev)
            for extra in ("2001:db8:ff::3", "2001:db8:ff::4"):
                sh(*ip, "-6", "addr", "add", f"{extra}/64", "dev", dev, "nodad")


def netns_down():
    for ns in (GW, PEER):
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
        for pid in pids:
            subprocess.run(["kill", "-9", pid], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def our_open():
    caps = b""
    for afi in (1, 2):
        caps += bytes([1, 4]) + struct.pack("!HBB", afi, 0, 1)
    caps += bytes([2, 0])
    caps += bytes([65, 4]) + struct.pack("!I", 64512)
    params = bytes([2, len(caps)]) + caps
    body = struct.pack("!BHHIB", 4, 64512, 90, 0xC0000201, len(params)) + params
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 1) + body


KEEPALIVE = b"\xff" * 16 + struct.pack("!HB", 19, 4)


class Recorder:
    """Accepts connections on both families and keeps every message per peer address."""

    def __init__(self):
        self.messages = {}
        self.lock = threading.Lock()
        self.socks = []

    def serve(self):
        for fam, addr in ((socket.AF_INET, GW4), (socket.AF_INET6, GW6)):
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, 179))
            s.listen(8)
            s.settimeout(0.5)
            self.socks.append(s)
            threading.Thread(target=self.accept_loop, args=(s,), daemon=True).start()

    def accept_loop(self, s):
        while True:
            try:
                conn, peer = s.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn, peer[0]), daemon=True).start()

    def session(self, conn, peer):
        conn.settimeout(1.0)
        conn.sendall(our_open())
        buf = b""
        last_keepalive = 0.0
        while True:
            if time.time() - last_keepalive > 3:
                try:
                    conn.sendall(KEEPALIVE)
                except OSError:
                    return
                last_keepalive = time.time()
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 19:
                length = struct.unpack("!H", buf[16:18])[0]
                if len(buf) < length:
                    break
                msg, buf = buf[:length], buf[length:]
                with self.lock:
                    self.messages.setdefault(peer, []).append(msg)

    def take(self):
        with self.lock:
            out, self.messages = self.messages, {}
        return out


def in_ns(ns, *cmd, **kw):
    return subprocess.Popen(["ip", "netns", "exec", ns, *cmd], **kw)


def run_frr(tmp):
    conf = os.path.join(tmp, "frr.conf")
    with open(conf, "w") as f:
        f.write("""hostname node1
router bgp 64501
 bgp router-id 192.0.2.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 192.0.2.1 remote-as 64512
 neighbor 192.0.2.1 update-source 192.0.2.2
 neighbor 2001:db8:ff::1 remote-as 64512
 neighbor 2001:db8:ff::1 update-source 2001:db8:ff::2
 address-family ipv4 unicast
  network 10.0.1.5/32 route-map SVC
  no neighbor 2001:db8:ff::1 activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:100::5/128 route-map SVC
  neighbor 2001:db8:ff::1 activate
 exit-address-family
route-map SVC permit 10
 set community 64500:100
 set large-community 64500:1:2
""")
    return in_ns(PEER, "/usr/lib/frr/bgpd", "-f", conf, "-i", os.path.join(tmp, "bgpd.pid"), "-Z", "-S",
                 "-P", "0", "-p", "0", "--vty_socket", tmp, "-z", os.path.join(tmp, "zserv"),
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), ["192.0.2.2", "2001:db8:ff::2"]


def run_bird(tmp):
    conf = os.path.join(tmp, "bird.conf")
    with open(conf, "w") as f:
        f.write("""router id 192.0.2.3;
protocol device {}
protocol static s4 { ipv4; route 10.0.1.6/32 unreachable; }
protocol static s6 { ipv6; route 2001:db8:100::6/128 unreachable; }
filter svc { bgp_community.add((64500,100)); bgp_large_community.add((64500,1,2)); accept; }
protocol bgp gw4 { local 192.0.2.3 as 4200000001; neighbor 192.0.2.1 as 64512;
  ipv4 { import none; export filter svc; }; }
protocol bgp gw6 { local 2001:db8:ff::3 as 4200000001; neighbor 2001:db8:ff::1 as 64512;
  ipv6 { import none; export filter svc; }; }
""")
    return in_ns(PEER, "bird", "-f", "-c", conf, "-s", os.path.join(tmp, "bird.ctl"), "-P",
                 os.path.join(tmp, "bird.pid"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), \
        ["192.0.2.3", "2001:db8:ff::3"]


def run_gobgp(tmp):
    conf = os.path.join(tmp, "gobgp.toml")
    with open(conf, "w") as f:
        f.write("""[global.config]
  as = 64503
  router-id = "192.0.2.4"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.1"
    peer-as = 64512
  [neighbors.transport.config]
    local-address = "192.0.2.4"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "2001:db8:ff::1"
    peer-as = 64512
  [neighbors.transport.config]
    local-address = "2001:db8:ff::4"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
""")
    proc = in_ns(PEER, "gobgpd", "-f", conf, "-t", "toml", "--api-hosts", "127.0.0.1:50077",
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gobgp = ["ip", "netns", "exec", PEER, "gobgp", "-p", "50077"]
    for _ in range(50):
        if subprocess.run(gobgp + ["global"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    subprocess.run(gobgp + ["global", "rib", "add", "10.0.1.7/32", "community", "64500:100",
                            "large-community", "64500:1:2", "-a", "ipv4"], check=True)
    subprocess.run(gobgp + ["global", "rib", "add", "2001:db8:100::7/128", "community", "64500:100",
                            "large-community", "64500:1:2", "-a", "ipv6"], check=True)
    return proc, ["192.0.2.4", "2001:db8:ff::4"]


def main():
    if os.geteuid() != 0:
        sys.exit("capture_fixtures.py: needs root for network namespaces")
    peers = {"frr": run_frr, "bird": run_bird, "gobgp": run_gobgp}
    only = sys.argv[1:] or list(peers)
    tmp = tempfile.mkdtemp(prefix="rlcap")
    netns_down()
    netns_up()
    try:
        # The recorder runs inside the gateway namespace: re-exec this script there.
        rec = subprocess.Popen(["ip", "netns", "exec", GW, sys.executable, __file__, "--recorder", tmp])
        for name in only:
            result_file = os.path.join(tmp, "messages.txt")
            proc, addrs = peers[name](os.path.join(tmp_sub(tmp, name)))
            deadline = time.time() + 30
            ok = False
            while time.time() < deadline:
                if os.path.exists(result_file):
                    seen = parse_results(result_file)
                    if all(any(m[18] == 2 and len(m) > 23 for m in seen.get(a, [])) for a in addrs):
                        ok = True
                        time.sleep(2)  # let an End-of-RIB, if the peer sends one, arrive too
                        break
                time.sleep(0.3)
            proc.terminate()
            proc.wait(timeout=10)
            seen = parse_results(result_file) if os.path.exists(result_file) else {}
            write_fixtures(name, addrs, seen)
            print(f"{name}: {'complete' if ok else 'INCOMPLETE'}:",
                  {a: len(seen.get(a, [])) for a in addrs})
            if os.path.exists(result_file):
                os.remove(result_file)
        rec.terminate()
    finally:
        netns_down()
        shutil.rmtree(tmp, ignore_errors=True)


def tmp_sub(tmp, name):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)
    return d


def parse_results(path):
    out = {}
    with open(path) as f:
        for line in f:
            peer, hexmsg = line.split()
            out.setdefault(peer, []).append(bytes.fromhex(hexmsg))
    return out


def write_fixtures(name, addrs, seen):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for a in addrs:
        fam = "v6" if ":" in a else "v4"
        n = 0
        for m in seen.get(a, []):
            kind = TYPES.get(m[18], "unknown")
            if kind == "keepalive":
                continue
            n += 1
            with open(os.path.join(d, f"{fam}-{n:02d}-{kind}.hex"), "w") as f:
                f.write(m.hex() + "\n")


def recorder_main(tmp):
    r = Recorder()
    r.serve()
    path = os.path.join(tmp, "messages.txt")
    while True:
        time.sleep(0.2)
        msgs = r.take()
        if msgs:
            with open(path, "a") as f:
                for peer, ms in msgs.items():
                    for m in ms:
                        f.write(f"{peer} {m.hex()}\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--recorder":
        recorder_main(sys.argv[2])
    else:
        main()
