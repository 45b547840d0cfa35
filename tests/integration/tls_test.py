"""The coordinator over HTTPS and in local mode, with real processes (issues 18 and 19):

- TLS end to end: a certificate made with the `openssl` command; the coordinator with
  --tls-cert/--tls-key; `chromatune submit` and `status` with --ca; a two-rank worker group
  under mpirun with a worker token completes noop trials; a client without the CA is refused.
- Plaintext off loopback: refused with a message naming --tls-cert, unless
  --insecure-plaintext.
- Local mode (--insecure-loopback): a cross-origin POST, a form's content type and a DNS
  rebinding Host are refused; the same request from this machine's page goes through.
- A 64 MiB body without a token is answered (413) before it is sent, and the coordinator's
  memory does not grow by it.
- A per-peer connection cap closes the extra connection and logs why.
- --data-root: a sweep naming a file outside the roots is refused.
"""

import http.client
import json
import os
import socket
import ssl
import subprocess
import time
import unittest

from harness import EXE, MPIRUN, RuntimeTestCase, noop_sweep

ADMIN = "admin-token-0123456789abcdef"
WORKER = "worker-token-0123456789abcdef"


def make_certificate(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class TlsEndToEndTest(RuntimeTestCase):
    api_token = ADMIN

    def setUp(self):
        super().setUp()
        self.cert, self.key = make_certificate(self.dir)
        self.tokens = os.path.join(self.dir, "tokens")
        with open(self.tokens, "w") as f:
            f.write(f"root {ADMIN} admin\nw {WORKER} worker\n")
        self.worker_token_file = os.path.join(self.dir, "worker.token")
        with open(self.worker_token_file, "w") as f:
            f.write(WORKER + "\n")
        self.admin_token_file = os.path.join(self.dir, "admin.token")
        with open(self.admin_token_file, "w") as f:
            f.write(ADMIN + "\n")
        self.tls_ca = self.cert
        self.start_coordinator("--tls-cert", self.cert, "--tls-key", self.key,
                               token_file=self.tokens)

    def cli(self, *args, timeout=60):
        return subprocess.run([EXE, *args], capture_output=True, text=True, env=self.env,
                              timeout=timeout)

    def test_submit_status_and_an_mpirun_group_over_https(self):
        address = f"https://127.0.0.1:{self.port}"
        sweep = os.path.join(self.dir, "tls.yaml")
        with open(sweep, "w") as f:
            f.write(noop_sweep("tls-sweep", 3, [{"value": 0.5}]))
        submitted = self.cli("submit", sweep, "--coordinator", address, "--token-file",
                             self.admin_token_file, "--ca", self.cert)
        self.assertEqual(submitted.returncode, 0, submitted.stderr)
        self.assertIn("submitted by root", submitted.stdout)
        # A two-rank group under mpirun (one rank when mpirun is missing).
        self.start_group(ranks=2 if MPIRUN else 1)
        self.wait_finished("tls-sweep", timeout=120)
        self.assert_each_done_exactly_once("tls-sweep", 3)
        status = self.cli("status", "--coordinator", address, "--token-file",
                          self.admin_token_file, "--ca", self.cert, "--json")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertEqual(json.loads(status.stdout)["sweeps"][0]["counts"]["done"], 3)
        # Without the CA the client refuses the certificate and says what to do.
        unverified = self.cli("status", "--coordinator", address, "--token-file",
                              self.admin_token_file)
        self.assertNotEqual(unverified.returncode, 0)
        self.assertIn("--ca", unverified.stderr)
        # Plain HTTP to the TLS port gets a readable refusal.
        plain = self.cli("status", "--coordinator", f"127.0.0.1:{self.port}", "--token-file",
                         self.admin_token_file)
        self.assertNotEqual(plain.returncode, 0)
        self.assertIn("HTTPS only", plain.stderr)

    def test_a_large_body_without_a_token_is_refused_before_it_is_sent(self):
        before = rss_kib(self.coordinator.pid)
        context = ssl.create_default_context(cafile=self.cert)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"POST /api/v1/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/json\r\nContent-Length: 67108864\r\n\r\n")
                started = time.monotonic()
                reply = s.recv(4096).decode(errors="replace")
                self.assertLess(time.monotonic() - started, 3)
        self.assertIn(" 413 ", reply.splitlines()[0])
        self.assertIn("without valid credentials", reply)
        # Sending the body anyway (64 MiB): the coordinator answers, closes and holds none of
        # it (the client may see the close before it reads the 413).
        try:
            status, _ = self.request("POST", "/api/v1/sweeps", body=b"x" * (64 << 20))
            self.assertEqual(status, 413)
        except (OSError, http.client.HTTPException):
            pass
        self.assertLess(rss_kib(self.coordinator.pid) - before, 16 * 1024)
        self.assertEqual(self.request("GET", "/api/v1/health")[0], 200)


class PlaintextTest(RuntimeTestCase):
    def test_a_non_loopback_listen_needs_tls_or_insecure_plaintext(self):
        tokens = os.path.join(self.dir, "tokens")
        with open(tokens, "w") as f:
            f.write(f"root {ADMIN} admin\n")
        base = [EXE, "coordinator", "--db", self.db, "--listen", "0.0.0.0:0", "--token-file",
                tokens]
        refused = subprocess.run(base, capture_output=True, text=True, env=self.env, timeout=30)
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("clear text", refused.stderr)
        self.assertIn("--tls-cert", refused.stderr)
        p = subprocess.Popen(base + ["--insecure-plaintext"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env, text=True)
        try:
            self.assertIn("listening on 0.0.0.0:", p.stdout.readline())
        finally:
            p.terminate()
            p.wait(timeout=10)
            p.stdout.close()
            p.stderr.close()


class LocalModeTest(RuntimeTestCase):
    def setUp(self):
        super().setUp()
        self.start_coordinator("--max-connections-per-peer", "3")
        self.submit(noop_sweep("local", 2, [{"value": 0.5}]))

    def raw(self, method, path, headers, body=b""):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        payload = r.read().decode()
        conn.close()
        return r.status, payload

    def test_cross_origin_form_and_rebinding_requests_are_refused(self):
        here = f"127.0.0.1:{self.port}"
        cancel = "/api/v1/sweeps/local/cancel"
        status, body = self.raw("POST", cancel, {"Host": here, "Origin": "https://evil.example",
                                                 "Content-Type": "application/json"})
        self.assertEqual(status, 403, body)
        self.assertIn("Origin", body)
        status, body = self.raw("POST", cancel, {"Host": here, "Origin": f"http://{here}",
                                                 "Content-Type": "text/plain"})
        self.assertEqual(status, 403, body)
        status, body = self.raw("GET", "/api/v1/dashboard/sweeps",
                                {"Host": f"rebind.example:{self.port}"})
        self.assertEqual(status, 403, body)
        self.assertIn("DNS rebinding", body)
        status, body = self.raw("GET", "/", {"Host": f"rebind.example:{self.port}"})
        self.assertEqual(status, 403, "the page itself is not served to a rebinding name")
        # Every page carries the security headers.
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/")
        r = conn.getresponse()
        r.read()
        self.assertIn("frame-ancestors 'none'", r.getheader("Content-Security-Policy"))
        self.assertEqual(r.getheader("X-Content-Type-Options"), "nosniff")
        conn.close()
        # The dashboard's own request from this machine goes through, and nothing before did.
        self.assertEqual(self.counts("local")["cancelled"], 0)
        status, body = self.raw("POST", cancel, {"Host": here, "Origin": f"http://{here}",
                                                 "Content-Type": "application/json"}, b"{}")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.counts("local")["cancelled"], 2)

    def test_a_connection_past_the_per_peer_cap_is_closed_with_a_log_line(self):
        health = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        held = []
        for _ in range(3):  # admitted and kept alive: each has had its answer
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(health)
            self.assertIn(b"200 OK", s.recv(4096))
            held.append(s)
        extra = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            extra.sendall(health)
            self.assertEqual(extra.recv(100), b"")
        except ConnectionResetError:
            pass  # closed before it read the request: refused all the same
        extra.close()
        for s in held:
            s.close()
        time.sleep(0.3)
        self.assertEqual(self.request("GET", "/api/v1/health")[0], 200)
        self.assertIn("--max-connections-per-peer 3", self.log("coordinator.log"))


class DataRootTest(RuntimeTestCase):
    def test_paths_outside_the_data_roots_are_refused(self):
        root = os.path.join(self.dir, "data")
        os.makedirs(root)
        self.start_coordinator("--data-root", root)
        outside = os.path.join(self.dir, "outside.csv")
        with open(outside, "w") as f:
            f.write("path,label\n")
        sweep = noop_sweep("roots", 1, [{"value": 0.5}]).replace(
            "dataset: fashion-mnist", f"dataset: csv:{outside}")
        self.assertIn(outside, sweep)
        status, body = self.request("POST", "/api/v1/sweeps", {"yaml": sweep, "origin": "s.yaml"})
        self.assertEqual(status, 403, body)
        self.assertIn("--data-root", body["error"])


if __name__ == "__main__":
    unittest.main()
