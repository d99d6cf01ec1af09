#!/usr/bin/env python3
"""The API on TCP (issue: robustness and security): off unless `--grpc-listen`, and then TLS unless
`--grpc-insecure` says otherwise. Certificates are made here with openssl: a CA, the gateway's
server certificate (IP 10.0.1.1), an operator's client certificate, and a stranger CA.

Checked from a node namespace with rlsh over TCP: `--grpc-listen` alone is refused at start with
the reason; with TLS, rlsh trusting the CA gets answers from bgpd and bfdd, while plaintext, an
untrusting rlsh (the stranger CA) and a wrong server name get none; with `--grpc-tls-client-ca`,
a client without a certificate, or with one the CA did not sign, gets none and the operator's
certificate works; `--grpc-insecure` serves plaintext only where explicitly asked.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from lab import BUILD_BIN, Lab, gateway_bgp, main, wait_until  # noqa: E402

GATEWAY = gateway_bgp()
BGPD, BFDD = "10.0.1.1:50051", "10.0.1.1:50052"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_pki(d):
    """ca.pem/key, server.pem/key (signed by ca, IP 10.0.1.1), client.pem/key (signed by ca),
    stranger.pem/key (a self-signed CA), rogue.pem/key (a client signed by the stranger)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "stranger"):
        openssl("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "2", "-subj",
                f"/CN=ridgeline-test-{ca}", cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:10.0.1.1,DNS:gateway.test\nextendedKeyUsage=serverAuth\n")
    with open(os.path.join(d, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for name, ca, ext in (("server", "ca", "server.ext"), ("client", "ca", "client.ext"),
                          ("rogue", "stranger", "client.ext")):
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", ext, cwd=d)


class ApiTls(unittest.TestCase):
    def test_tcp_api_is_tls_with_optional_client_certificates(self):
        with Lab("apitls") as lab:
            pki = os.path.dirname(lab.path("pki", "x"))
            make_pki(pki)

            def pem(name):
                return os.path.join(pki, name)

            node = lab.add_node("op", 20)

            def rlsh(*args, daemon="bgpd"):
                command = "show bgp summary json" if daemon == "bgpd" else "show bfd peers json"
                argv = ["ip", "netns", "exec", node["ns"], os.path.join(BUILD_BIN, "rlsh"), "--run-dir",
                        lab.path("nowhere", "x")[:-2], "--bgpd", BGPD, "--bfdd", BFDD, *args, "-c", command]
                return subprocess.run(argv, capture_output=True, text=True, timeout=40)

            def answers(*args, daemon="bgpd"):
                r = rlsh(*args, daemon=daemon)
                if r.returncode != 0:
                    return False
                json.loads(r.stdout)
                return True

            # --grpc-listen alone: refused before anything starts, with the reason.
            conf = lab.path("gw", "ridgeline.conf")
            with open(conf, "w") as f:
                f.write(GATEWAY)
            r = subprocess.run([os.path.join(BUILD_BIN, "bgpd"), "-f", conf, "--no-fib", "--run-dir",
                                lab.path("refused", "x")[:-2], "--grpc-listen", BGPD], capture_output=True,
                               text=True, timeout=20)
            self.assertNotEqual(r.returncode, 0, "plaintext TCP must need --grpc-insecure")
            self.assertIn("--grpc-tls-cert", r.stdout + r.stderr)

            # Server TLS only.
            tls = ["--grpc-tls-cert", pem("server.pem"), "--grpc-tls-key", pem("server.key")]
            gw = lab.start_bgpd(GATEWAY, extra=["--grpc-listen", BGPD, *tls])
            bfd = lab.start_bfdd(GATEWAY, extra=["--grpc-listen", BFDD, *tls])
            wait_until("bgpd's TLS API to answer", lambda: answers("--tls-ca", pem("ca.pem")), timeout=20,
                       on_timeout=gw.logs)
            self.assertTrue(answers("--tls-ca", pem("ca.pem"), daemon="bfdd"), bfd.logs())
            self.assertFalse(answers("--insecure"), "plaintext to a TLS port")
            r = rlsh("--tls-ca", pem("stranger.pem"))
            self.assertNotEqual(r.returncode, 0, "a certificate the client's CA did not sign")
            self.assertIn("cannot reach bgpd on " + BGPD, r.stderr)
            self.assertFalse(answers("--tls-ca", pem("ca.pem"), "--tls-server-name", "other.test"),
                             "a server name not in the certificate")
            self.assertTrue(answers("--tls-ca", pem("ca.pem"), "--tls-server-name", "gateway.test"))

            # Client certificates required.
            gw.proc.terminate()
            bfd.proc.terminate()
            gw.proc.wait(timeout=20)
            bfd.proc.wait(timeout=20)
            mtls = [*tls, "--grpc-tls-client-ca", pem("ca.pem")]
            gw = lab.start_bgpd(GATEWAY, extra=["--grpc-listen", BGPD, *mtls])
            bfd = lab.start_bfdd(GATEWAY, extra=["--grpc-listen", BFDD, *mtls])
            operator = ["--tls-ca", pem("ca.pem"), "--tls-cert", pem("client.pem"), "--tls-key", pem("client.key")]
            wait_until("bgpd to answer the operator's certificate", lambda: answers(*operator), timeout=20,
                       on_timeout=gw.logs)
            self.assertTrue(answers(*operator, daemon="bfdd"), bfd.logs())
            self.assertFalse(answers("--tls-ca", pem("ca.pem")), "no client certificate")
            self.assertFalse(answers("--tls-ca", pem("ca.pem"), "--tls-cert", pem("rogue.pem"), "--tls-key",
                                     pem("rogue.key")), "a client certificate of another CA")
            self.assertFalse(answers("--tls-ca", pem("ca.pem"), "--tls-cert", pem("rogue.pem"), "--tls-key",
                                     pem("rogue.key"), daemon="bfdd"), "bfdd: a client certificate of another CA")

            # Plaintext by explicit choice.
            gw.proc.terminate()
            gw.proc.wait(timeout=20)
            gw = lab.start_bgpd(GATEWAY, extra=["--grpc-listen", BGPD, "--grpc-insecure"])
            wait_until("bgpd's plaintext API to answer", lambda: answers("--insecure"), timeout=20,
                       on_timeout=gw.logs)
            self.assertFalse(answers("--tls-ca", pem("ca.pem")), "TLS to a plaintext port")


if __name__ == "__main__":
    main("openssl")
