#!/usr/bin/env python3
"""A reverse proxy on loopback in front of an AWS emulator that counts, throttles and breaks requests.

It counts every request by API action (EC2/Query `Action=`, JSON `X-Amz-Target`, S3 method), can
enforce EC2's token buckets (answering `RequestLimitExceeded`, HTTP 503, as EC2 does), and can inject
faults: a share of requests answered with `RequestLimitExceeded` and a share of connections reset
before any response. Used by scripts/bench and the reliability tests; standard library only.

    aws-proxy.py --upstream http://127.0.0.1:5000 [--port 0] [--port-file F]
                 [--ec2-buckets] [--fail-rate 0.2] [--reset-rate 0.05] [--seed 1]

Control endpoints (not forwarded):
    GET  /__proxy/stats   {"requests": {action: n}, "throttled": n, "failed": n, "reset": n, ...}
    POST /__proxy/reset   zero the counters and refill the buckets
    POST /__proxy/config  JSON body with any of fail_rate, reset_rate, ec2_buckets
"""
import argparse
import os
import http.client
import json
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# EC2's published defaults for the actions the benchmark exercises: (bucket size, refill per second).
EC2_BUCKETS = {
    "DeregisterImage": (100, 5.0),
    "DeleteSnapshot": (100, 5.0),
}
NON_MUTATING = (100, 20.0)  # Describe* and other read-only actions

THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code>'
    "<Message>Request limit exceeded.</Message></Error></Errors><RequestID>proxy</RequestID></Response>"
)
THROTTLE_JSON = '{"__type":"ThrottlingException","message":"Rate exceeded"}'


class Bucket:
    def __init__(self, size, refill):
        self.size, self.refill = size, refill
        self.tokens, self.stamp = float(size), time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.size, self.tokens + (now - self.stamp) * self.refill)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.fail_rate = args.fail_rate
        self.reset_rate = args.reset_rate
        self.ec2_buckets = args.ec2_buckets
        self.random = random.Random(args.seed)
        self.clear()

    def clear(self):
        self.requests, self.throttled_by_action, self.buckets = {}, {}, {}
        self.throttled = self.failed = self.reset = 0
        self.started = time.monotonic()

    def bucket_for(self, action):
        if action in EC2_BUCKETS:
            size, refill = EC2_BUCKETS[action]
        elif action.startswith("Describe"):
            size, refill = NON_MUTATING
        else:
            return None
        return self.buckets.setdefault(action, Bucket(size, refill))

    def decide(self, action):
        """Returns 'reset', 'fail', 'throttle' or 'forward', and counts it."""
        with self.lock:
            self.requests[action] = self.requests.get(action, 0) + 1
            roll = self.random.random()
            if roll < self.reset_rate:
                self.reset += 1
                return "reset"
            if roll < self.reset_rate + self.fail_rate:
                self.failed += 1
                return "fail"
            bucket = self.bucket_for(action) if self.ec2_buckets else None
            if bucket is not None and not bucket.take():
                self.throttled += 1
                self.throttled_by_action[action] = self.throttled_by_action.get(action, 0) + 1
                return "throttle"
            return "forward"

    def stats(self):
        with self.lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "total": sum(self.requests.values()),
                "throttled": self.throttled,
                "throttledByAction": dict(sorted(self.throttled_by_action.items())),
                "failed": self.failed,
                "reset": self.reset,
                "seconds": round(time.monotonic() - self.started, 3),
            }


def action_of(method, path, headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    ctype = headers.get("Content-Type", "")
    if body and "x-www-form-urlencoded" in ctype:
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    query = urllib.parse.urlparse(path).query
    action = urllib.parse.parse_qs(query).get("Action")
    if action:
        return action[0]
    return "S3:" + method


def make_handler(state, upstream):
    up = urllib.parse.urlparse(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, code, ctype, payload):
            data = payload.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _control(self, body):
            if self.command == "GET" and self.path == "/__proxy/stats":
                return self._send(200, "application/json", json.dumps(state.stats()))
            if self.command == "POST" and self.path == "/__proxy/reset":
                with state.lock:
                    state.clear()
                return self._send(200, "application/json", "{}")
            if self.command == "POST" and self.path == "/__proxy/config":
                conf = json.loads(body or b"{}")
                with state.lock:
                    state.fail_rate = float(conf.get("fail_rate", state.fail_rate))
                    state.reset_rate = float(conf.get("reset_rate", state.reset_rate))
                    state.ec2_buckets = bool(conf.get("ec2_buckets", state.ec2_buckets))
                return self._send(200, "application/json", "{}")
            return self._send(404, "text/plain", "unknown control path")

        def _reset_connection(self):
            # SO_LINGER 0: close sends RST, as a dropped connection on the wire does.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def _handle(self):
            body = self._body()
            if self.path.startswith("/__proxy/"):
                return self._control(body)
            action = action_of(self.command, self.path, self.headers, body)
            verdict = state.decide(action)
            if verdict == "reset":
                return self._reset_connection()
            if verdict in ("fail", "throttle"):
                if self.headers.get("X-Amz-Target"):
                    return self._send(400, "application/x-amz-json-1.1", THROTTLE_JSON)
                return self._send(503, "text/xml", THROTTLE_XML)
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--ec2-buckets", action="store_true")
    p.add_argument("--fail-rate", type=float, default=0.0)
    p.add_argument("--reset-rate", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state, args.upstream))
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
