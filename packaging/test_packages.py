#!/usr/bin/env python3
"""The packages (issue: packaging), built from the build tree's CPack config:

- the .deb passes lintian with no error;
- installed into a fresh Debian 12 root (debootstrap) with apt, which pulls the computed
  dependencies: the binaries run (--version, --check of the shipped config), the user exists, the
  files and permissions are as listed, the units pass `systemd-analyze verify`;
- an upgrade to a newer version keeps an edited config (a conffile) and restarts the daemons with
  try-restart (seen through systemctl/deb-systemd-invoke stand-ins), stopping nothing;
- the installed daemons run as the units run them (user ridgeline, only the three capabilities,
  umask 0007) in a network namespace: API sockets 0660 ridgeline:ridgeline, port 179, the
  nexthop_compat_mode sysctl, rlsh through the socket, SIGHUP reload;
- purge removes the files, the config directory and the user;
- the .rpm lists the same files, marks only the config as %config, and requires the shared
  libraries that rpm found in the binaries.

Usage: test_packages.py BUILD_DIR. Exits 77 (skipped) with the reason when not root or a tool is
missing. The Debian root is cached between runs in RIDGELINE_DEBOOTSTRAP_CACHE if set.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SKIP = 77
MIRROR = os.environ.get("RIDGELINE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
TOOLS = ("cpack", "lintian", "debootstrap", "rpm", "dpkg-deb", "chroot")

FILES = {  # path: (mode, owner, group) after install
    "/usr/lib/ridgeline/bgpd": (0o755, "root", "root"),
    "/usr/lib/ridgeline/bfdd": (0o755, "root", "root"),
    "/usr/bin/rlsh": (0o755, "root", "root"),
    "/etc/ridgeline": (0o2770, "root", "ridgeline"),
    "/etc/ridgeline/ridgeline.conf": (0o660, "root", "ridgeline"),
    "/usr/lib/systemd/system/ridgeline-bgpd.service": (0o644, "root", "root"),
    "/usr/lib/systemd/system/ridgeline-bfdd.service": (0o644, "root", "root"),
    "/usr/lib/systemd/system/ridgeline.target": (0o644, "root", "root"),
    "/usr/share/man/man1/rlsh.1.gz": (0o644, "root", "root"),
    "/usr/share/man/man8/bgpd.8.gz": (0o644, "root", "root"),
    "/usr/share/man/man8/bfdd.8.gz": (0o644, "root", "root"),
    "/usr/share/man/man5/ridgeline.conf.5.gz": (0o644, "root", "root"),
    "/usr/share/bash-completion/completions/rlsh": (0o644, "root", "root"),
    "/usr/share/doc/ridgeline/copyright": (0o644, "root", "root"),
}
UNITS = ("ridgeline-bgpd.service", "ridgeline-bfdd.service", "ridgeline.target")


def run(*args, check=True, timeout=600, **kw):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


class Packages(unittest.TestCase):
    build_dir = None

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="ridgeline-pkg-")
        cls.out = os.path.join(cls.work, "out")
        cls.deb, cls.rpm = cls.make_packages(cls.out)
        # The same tree as version +1, for the upgrade.
        cls.deb_next, _ = cls.make_packages(os.path.join(cls.work, "next"), version="99.0.0", generators="DEB")
        cls.root = None

    @classmethod
    def tearDownClass(cls):
        if cls.root:
            cls.unmount(cls.root)
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def make_packages(cls, out, version=None, generators="DEB;RPM"):
        args = ["cpack", "--config", os.path.join(cls.build_dir, "CPackConfig.cmake"), "-B", out, "-G", generators]
        if version:
            args += ["-R", version]
        run(*args, timeout=900)
        debs = glob.glob(os.path.join(out, "ridgeline_*_*.deb"))
        rpms = glob.glob(os.path.join(out, "ridgeline-*.*.rpm"))
        assert len(debs) == 1, f"one ridgeline_VERSION_ARCH.deb in {out}: {os.listdir(out)}"
        return debs[0], (rpms[0] if rpms else None)

    # --- the Debian root ---
    @classmethod
    def debian_root(cls):
        if cls.root:
            return cls.root
        cache = os.environ.get("RIDGELINE_DEBOOTSTRAP_CACHE")
        root = os.path.join(cls.work, "root")
        if cache and os.path.exists(os.path.join(cache, "etc", "debian_version")):
            run("cp", "-a", cache, root)
        else:
            run("debootstrap", "--variant=minbase", "--include=systemd,adduser", "bookworm", root, MIRROR,
                timeout=1500)
            if cache:
                shutil.rmtree(cache, ignore_errors=True)
                run("cp", "-a", root, cache)
        shutil.copy("/etc/resolv.conf", os.path.join(root, "etc", "resolv.conf"))
        run("mount", "-t", "proc", "proc", os.path.join(root, "proc"))
        cls.root = root
        return root

    @staticmethod
    def unmount(root):
        subprocess.run(["umount", "-l", os.path.join(root, "proc")], capture_output=True)

    def chroot(self, *args, check=True, timeout=600):
        env = {"PATH": "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
               "LC_ALL": "C"}
        return run("chroot", self.debian_root(), *args, check=check, timeout=timeout, env=env)

    def install(self, deb):
        root = self.debian_root()
        shutil.copy(deb, os.path.join(root, "tmp"))
        self.chroot("apt-get", "update", "-qq", timeout=900)
        # DPkg::Path: apt gives dpkg its own PATH; /usr/local/sbin first lets a test put stand-ins there.
        return self.chroot("apt-get", "install", "-y", "-qq", "--no-install-recommends",
                           "-o", "DPkg::Path=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
                           "/tmp/" + os.path.basename(deb), timeout=1200)

    # --- tests ---
    def test_1_lintian_has_no_errors(self):
        r = run("lintian", "--fail-on", "error", "--no-tag-display-limit", self.deb, check=False)
        self.assertEqual(r.returncode, 0, f"lintian:\n{r.stdout}{r.stderr}")
        self.assertNotIn("\nE: ", "\n" + r.stdout)

    def test_2_deb_installs_runs_and_upgrades(self):
        self.install(self.deb)
        # The binaries run, and the shipped config is valid for both daemons.
        for binary in ("/usr/lib/ridgeline/bgpd", "/usr/lib/ridgeline/bfdd", "/usr/bin/rlsh"):
            r = self.chroot(binary, "--version")
            self.assertIn("0.1", r.stdout + r.stderr, binary)
        for daemon in ("bgpd", "bfdd"):
            self.chroot(f"/usr/lib/ridgeline/{daemon}", "--check", "-f", "/etc/ridgeline/ridgeline.conf")
        # A broken config is refused with FILE:LINE.
        with open(os.path.join(self.root, "tmp", "bad.conf"), "w") as f:
            f.write("router bgp 64512\n neighbor 10.0.0.1 remote-ass 1\n")
        r = self.chroot("/usr/lib/ridgeline/bgpd", "--check", "-f", "/tmp/bad.conf", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/tmp/bad.conf:2:", r.stdout + r.stderr)
        # The user and the files.
        user = self.chroot("getent", "passwd", "ridgeline").stdout.split(":")
        self.assertEqual(user[0], "ridgeline")
        self.assertIn(user[6].strip(), ("/usr/sbin/nologin", "/sbin/nologin"))
        for path, (mode, owner, group) in FILES.items():
            out = self.chroot("stat", "-c", "%a %U %G", path).stdout.split()
            self.assertEqual((int(out[0], 8), out[1], out[2]), (mode, owner, group), path)
        self.assertIn("/etc/ridgeline/ridgeline.conf", self.chroot("cat", "/var/lib/dpkg/info/ridgeline.conffiles").stdout)
        # The units: systemd's own check, and the properties the issue names.
        # --man=no: the pages are checked above as files; the root has no man-db.
        r = self.chroot("systemd-analyze", "verify", "--man=no", *[f"/usr/lib/systemd/system/{u}" for u in UNITS], check=False)
        self.assertEqual(r.returncode, 0, f"systemd-analyze verify:\n{r.stdout}{r.stderr}")
        for unit in ("ridgeline-bgpd.service", "ridgeline-bfdd.service"):
            text = self.chroot("cat", f"/usr/lib/systemd/system/{unit}").stdout
            for line in ("User=ridgeline", "ProtectSystem=strict", "ReadWritePaths=/etc/ridgeline",
                         "RuntimeDirectory=ridgeline", "RuntimeDirectoryMode=0750", "Restart=on-failure",
                         "ExecReload=/bin/kill -HUP $MAINPID", "NoNewPrivileges=yes",
                         "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW",
                         "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW"):
                self.assertIn("\n" + line + "\n", text, f"{unit}: {line}")
        # bfdd before bgpd.
        self.assertIn("\nAfter=ridgeline-bfdd.service",
                      self.chroot("cat", "/usr/lib/systemd/system/ridgeline-bgpd.service").stdout)
        self.assertIn("\nBefore=ridgeline-bgpd.service",
                      self.chroot("cat", "/usr/lib/systemd/system/ridgeline-bfdd.service").stdout)
        self.assertIn("enabled", self.chroot("systemctl", "is-enabled", "ridgeline.target", check=False).stdout)
        # rlsh with no daemon says which one and where it looked.
        r = self.chroot("/usr/bin/rlsh", "-c", "show bgp summary", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bgpd is not running", r.stderr)
        self.assertIn("/run/ridgeline/bgpd.sock", r.stderr)

        # An upgrade keeps the operator's edit of the config (a conffile) and its permissions.
        conf = os.path.join(self.root, "etc", "ridgeline", "ridgeline.conf")
        with open(conf, "a") as f:
            f.write("! edited by the operator\n")
        # The root has no running systemd: make the maintainer scripts believe it has one, with
        # systemctl and deb-systemd-invoke recording what they are asked, to see the upgrade
        # restart the daemons (try-restart: SIGTERM, and with graceful restart bgpd leaves the
        # kernel routes for the new bgpd to adopt, as the interop tests show) and stop nothing.
        calls = os.path.join(self.root, "tmp", "systemd-calls")
        shims = [os.path.join(self.root, "usr", "local", "sbin", n) for n in ("systemctl", "deb-systemd-invoke")]
        os.makedirs(os.path.join(self.root, "run", "systemd", "system"), exist_ok=True)
        for shim in shims:
            with open(shim, "w") as f:
                f.write(f'#!/bin/sh\necho "$(basename "$0") $*" >> /tmp/systemd-calls\n')
            os.chmod(shim, 0o755)
        try:
            upgrade = self.install(self.deb_next)
        finally:
            for shim in shims:
                os.unlink(shim)
            os.rmdir(os.path.join(self.root, "run", "systemd", "system"))
        self.assertTrue(os.path.exists(calls), f"no systemctl call recorded; apt said:\n{upgrade.stdout}{upgrade.stderr}")
        with open(calls) as f:
            recorded = f.read()
        self.assertIn("deb-systemd-invoke try-restart ridgeline-bfdd.service ridgeline-bgpd.service", recorded)
        self.assertNotIn(" stop ", recorded, recorded)
        self.assertIn("99.0.0", self.chroot("dpkg-query", "-W", "-f", "${Version}", "ridgeline").stdout)
        with open(conf) as f:
            self.assertIn("! edited by the operator", f.read())
        self.assertEqual(self.chroot("stat", "-c", "%a %G", "/etc/ridgeline/ridgeline.conf").stdout.split(),
                         ["660", "ridgeline"])

    def test_3_rpm_lists_the_same_files_and_sane_dependencies(self):
        self.assertIsNotNone(self.rpm, "ridgeline-VERSION.ARCH.rpm was not built")
        self.assertRegex(os.path.basename(self.rpm), r"^ridgeline-\d+\.\d+\.\d+\.x86_64\.rpm$")
        files = set(run("rpm", "-qlp", self.rpm).stdout.split())
        for path in FILES:
            if path != "/etc/ridgeline":
                self.assertIn(path, files)
        self.assertEqual(run("rpm", "-qcp", self.rpm).stdout.split(), ["/etc/ridgeline/ridgeline.conf"])
        requires = run("rpm", "-qRp", self.rpm).stdout.splitlines()
        for lib in ("libgrpc++.so", "libprotobuf.so", "libspdlog.so", "libnl-3.so", "libedit.so", "libc.so.6"):
            self.assertTrue(any(r.startswith(lib) for r in requires), f"{lib} in {requires}")
        self.assertFalse([r for r in requires if "/work/" in r or "build" in r], requires)
        scripts = run("rpm", "-qp", "--scripts", self.rpm).stdout
        self.assertIn("useradd -r -g ridgeline", scripts)
        self.assertIn("try-restart", scripts)
        info = run("rpm", "-qip", self.rpm).stdout
        self.assertIn("License     : Apache-2.0", info)
        self.assertIn("nexthop groups", info)

    def test_4_daemons_run_with_only_the_units_privileges(self):
        """As the units run them: user ridgeline, only CAP_NET_ADMIN, CAP_NET_BIND_SERVICE and
        CAP_NET_RAW (ambient and bounding), umask 0007, in a network namespace of the test's."""
        self.assertIsNotNone(self.root, "test_2 installed the package")
        ns = f"rlpkg{os.getpid()}"
        run("ip", "netns", "add", ns)
        procs = []
        try:
            run("ip", "-n", ns, "link", "set", "lo", "up")
            self.chroot("install", "-d", "-o", "ridgeline", "-g", "ridgeline", "-m", "0750", "/run/ridgeline")
            caps = "+net_admin,+net_bind_service,+net_raw"
            for daemon in ("bfdd", "bgpd"):
                with open(os.path.join(self.work, f"{daemon}.log"), "w") as log:
                    procs.append(subprocess.Popen(
                        ["ip", "netns", "exec", ns, "chroot", self.root, "sh", "-c",
                         "umask 0007; exec setpriv --reuid=ridgeline --regid=ridgeline --init-groups "
                         f"--inh-caps={caps} --ambient-caps={caps} --bounding-set=-all,{caps} "
                         f"/usr/lib/ridgeline/{daemon} -f /etc/ridgeline/ridgeline.conf --run-dir /run/ridgeline"],
                        stdout=log, stderr=subprocess.STDOUT))
                sock = os.path.join(self.root, "run", "ridgeline", f"{daemon}.sock")
                for _ in range(100):
                    if os.path.exists(sock) or procs[-1].poll() is not None:
                        break
                    subprocess.run(["sleep", "0.1"])
                self.assertTrue(os.path.exists(sock), f"{daemon} did not serve its API:\n{self.log(daemon)}")
                st = os.stat(sock)
                self.assertEqual(st.st_mode & 0o777, 0o660, f"{daemon}.sock mode")
                self.assertEqual(self.chroot("stat", "-c", "%U %G", f"/run/ridgeline/{daemon}.sock").stdout.split(),
                                 ["ridgeline", "ridgeline"])
            # The shipped config ran: BGP listening on 179 (a privileged port), the sysctl written
            # with CAP_NET_ADMIN, and rlsh answered through the socket.
            summary = run("ip", "netns", "exec", ns, "chroot", self.root, "rlsh", "-c", "show bgp summary").stdout
            self.assertIn("local AS number 64512", summary)
            self.assertIn("LISTEN", run("ip", "netns", "exec", ns, "ss", "-ltn", "sport", "= :179").stdout)
            self.assertIn("nexthop_compat_mode=0", self.log("bgpd"))
            self.assertEqual(run("ip", "netns", "exec", ns, "cat", "/proc/sys/net/ipv4/nexthop_compat_mode").stdout.strip(),
                             "0")
            self.assertIn("FIB: nexthop-objects", run("ip", "netns", "exec", ns, "chroot", self.root, "rlsh", "-c",
                                                      "show fib status").stdout)
            # ExecReload: SIGHUP re-reads the file, as user ridgeline.
            procs[1].send_signal(__import__("signal").SIGHUP)
            for _ in range(50):
                if "reload:" in self.log("bgpd"):
                    break
                subprocess.run(["sleep", "0.1"])
            self.assertIn("reload: no change", self.log("bgpd"))
        finally:
            for p in procs:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
            run("ip", "netns", "del", ns, check=False)
        self.assertEqual([p.returncode for p in procs], [0, 0], self.log("bgpd") + self.log("bfdd"))

    def log(self, daemon):
        try:
            with open(os.path.join(self.work, f"{daemon}.log")) as f:
                return f.read()
        except OSError:
            return ""
    def test_5_purge_leaves_nothing(self):
        self.assertIsNotNone(self.root, "test_2 installed the package")
        self.chroot("apt-get", "purge", "-y", "-qq", "ridgeline")
        for path in FILES:
            self.assertFalse(os.path.lexists(os.path.join(self.root, path.lstrip("/"))), f"{path} after purge")
        self.assertNotEqual(self.chroot("getent", "passwd", "ridgeline", check=False).returncode, 0)
        self.assertEqual(self.chroot("dpkg-query", "-W", "-f", "${Status}", "ridgeline", check=False).stdout.strip(),
                         "", "no trace in dpkg's database")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("SKIP: needs root (debootstrap, chroot)")
        return SKIP
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        print(f"SKIP: missing {', '.join(missing)} (apt-get install lintian debootstrap rpm)")
        return SKIP
    Packages.build_dir = os.path.abspath(sys.argv[1])
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
