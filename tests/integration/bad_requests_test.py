"""Bad clients: malformed JSON, oversized bodies, unknown routes, missing or wrong tokens,
malformed HTTP, and a slow client sending one byte a second each get an error response or a
closed connection, while the server keeps serving others."""

import os
import socket
import threading
import time
import unittest

from harness import RuntimeTestCase

TOKEN = "s3cret-token-for-alice-0123456789"


class BadRequestsTest(RuntimeTestCase):
    def setUp(self):
        super().setUp()
        tokens = os.path.join(self.dir, "tokens.txt")
        with open(tokens, "w") as f:
            # alice: an admin, so that malformed bodies reach every route (roles: roles_test.py).
            f.write(f"# user token role\nalice {TOKEN} admin\nbob another-token-for-bob-98765\n")
        self.start_coordinator("--request-timeout", "2", "--body-limit-mb", "1",
                               token_file=tokens)

    def raw(self, data, timeout=10):
        """Sends raw bytes; returns what the server answered before closing (or timeout)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    c = s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    break
                if not c:
                    break
                chunks.append(c)
                if b"\r\n\r\n" in b"".join(chunks) and b"Connection: close" not in b"".join(chunks):
                    break
            return b"".join(chunks)
        finally:
            s.close()

    def test_auth(self):
        status, body = self.request("GET", "/api/v1/status")
        self.assertEqual(status, 401)
        self.assertIn("Bearer", body["error"])
        status, body = self.request("GET", "/api/v1/status", token="wrong-token-0000000000")
        self.assertEqual(status, 401)
        self.assertIn("unknown token", body["error"])
        status, body = self.request("GET", "/api/v1/status", token=TOKEN)
        self.assertEqual(status, 200)
        status, _ = self.request("GET", "/api/v1/health")
        self.assertEqual(status, 200)

    def test_submitter_is_recorded(self):
        yaml = ("name: owned\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
                "methods: [noop]\n")
        status, body = self.request("POST", "/api/v1/sweeps", {"yaml": yaml}, token=TOKEN)
        self.assertEqual(status, 201, body)
        self.assertEqual(body["user"], "alice")
        self.assertEqual(self.query("SELECT user FROM sweeps WHERE name = 'owned'")[0][0], "alice")

    def test_malformed_json_and_fields(self):
        status, body = self.request("POST", "/api/v1/groups", "{not json", token=TOKEN)
        self.assertEqual(status, 400)
        self.assertIn("malformed JSON", body["error"])
        status, body = self.request("POST", "/api/v1/groups", {"ranks": "two"}, token=TOKEN)
        self.assertEqual(status, 400)
        self.assertIn('"ranks"', body["error"])
        status, body = self.request("POST", "/api/v1/sweeps", {"yaml": "name: [oops"}, token=TOKEN)
        self.assertEqual(status, 400)
        status, body = self.request("POST", "/api/v1/trials/99/complete",
                                    {"attempt": 1, "lease_id": "L99.1.0", "result": {"metrics": {}}},
                                    token=TOKEN)
        self.assertIn(status, (404, 409))

    def test_unknown_routes(self):
        for path in ("/api/v1/nope", "/elsewhere", "/api/v1/trials/abc/complete"):
            status, body = self.request("GET" if "nope" in path else "POST", path, "{}", token=TOKEN)
            self.assertEqual(status, 404, path)
            self.assertIn("error", body)

    def test_oversized_body(self):
        big = b"x" * (2 * 1024 * 1024)
        head = (f"POST /api/v1/sweeps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(big)}\r\n\r\n").encode()
        try:
            reply = self.raw(head + big)
        except (BrokenPipeError, ConnectionResetError):
            reply = b""  # closed while we were still sending: also acceptable
        self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 413"), reply[:200])
        self.assertEqual(self.request("GET", "/api/v1/health")[0], 200)

    def assert_alive(self, case):
        status, _ = self.request("GET", "/api/v1/status", token=TOKEN, timeout=5)
        self.assertEqual(status, 200, f"the coordinator no longer answers after {case!r}")

    def test_malformed_http(self):
        for case in (b"THIS IS NOT HTTP\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                     b"GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", b"\x00\xff" * 64,
                     b"GET /x HTTP/1.1\r\n" + b"X: " + b"a" * 20000 + b"\r\n\r\n"):
            reply = self.raw(case)
            self.assertTrue(reply == b"" or reply.startswith(b"HTTP/1.1 4"), reply[:200])
            self.assert_alive(case)

    def test_invalid_utf8_anywhere_is_400(self):
        # One request without a token, GET /%FF, killed the coordinator (issue 19).
        for case in (b"GET /%FF HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /api/v1/sweeps/%C3%28 HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /api/v1/status?x=%ED%A0%80 HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\r\n\r\n"):
            reply = self.raw(case)
            self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:200])
            self.assertIn(b"is not valid UTF-8", reply)
            self.assert_alive(case)
        # Invalid UTF-8 inside a JSON string of a body: the parser refuses it.
        body = b'{"ranks": 1, "host": "\xff\xfe"}'
        head = (f"POST /api/v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        reply = self.raw(head + body)
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:200])
        self.assert_alive("invalid UTF-8 in a JSON body")

    def test_deep_json_and_overflowing_shapes_are_400(self):
        deep = '{"ranks": ' + "[" * 100000 + "]" * 100000 + "}"
        status, body = self.request("POST", "/api/v1/groups", deep, token=TOKEN)
        self.assertEqual(status, 400)
        self.assertIn("nests deeper than", body["error"])
        self.assert_alive("deep JSON")
        status, body = self.request("POST", "/api/v1/trials/1/complete", {
            "attempt": 1, "result": {"metrics": {"accuracy": 1.0}, "arrays": [
                {"name": "p", "shape": [2 ** 32, 2 ** 32], "data_b64": ""}]}}, token=TOKEN)
        self.assertIn(status, (400, 404, 409), body)
        self.assert_alive("overflowing array shape")

    def test_slow_client_does_not_block_others(self):
        closed_after = []

        def slow():
            s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
            start = time.time()
            try:
                for ch in b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n":
                    s.sendall(bytes([ch]))
                    time.sleep(1.0)
            except (BrokenPipeError, ConnectionResetError):
                pass
            closed_after.append(time.time() - start)
            s.close()

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.5)
        for _ in range(5):  # others are served at once while the slow client dribbles
            start = time.time()
            status, _ = self.request("GET", "/api/v1/status", token=TOKEN, timeout=2)
            self.assertEqual(status, 200)
            self.assertLess(time.time() - start, 1.0)
        t.join(timeout=40)
        self.assertEqual(len(closed_after), 1)
        # Closed by the 2 s request deadline, long before the request was complete (~40 s).
        self.assertLess(closed_after[0], 10)


if __name__ == "__main__":
    unittest.main()
