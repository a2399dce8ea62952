#!/usr/bin/env python3
"""A reverse proxy on loopback in front of an AWS emulator that counts, throttles and breaks requests.

It counts every request by API action (EC2/Query `Action=`, JSON `X-Amz-Target`, S3 method), can
enforce EC2's token buckets (answering `RequestLimitExceeded`, HTTP 503, as EC2 does), and can inject
faults: a share of requests answered with the service's throttling error (`RequestLimitExceeded` 503
for EC2, `Throttling` for STS/IAM, `ThrottlingException` for JSON services, `SlowDown` for S3), a
share of connections reset before the request is forwarded, and a share of requests forwarded and
then reset before the response (the server acted, the client never hears of it); and it can answer
chosen requests with any error code of the service, the next n times or for good (fail_next, deny;
S3 uploads are action S3:PUT). Used by scripts/bench and the reliability tests; standard library
only.

    aws-proxy.py --upstream http://127.0.0.1:5000 [--port 0] [--port-file F]
                 [--ec2-buckets] [--fail-rate 0.2] [--reset-rate 0.05] [--lost-rate 0.05] [--seed 1]

Control endpoints (not forwarded):
    GET  /__proxy/stats     {"requests": {action: n}, "throttled": n, "failed": n, "reset": n, "lost": n,
                             "held": n, "denied": n,
                             "byResource": {action: {id: {"requests": n, "applied": n}}}, ...}
                            (applied: the upstream answered 2xx, whether or not the client heard it)
    GET  /__proxy/requests  the recorded requests: [{"action", "service", "agent", "params", "verdict",
                            "status", "code"}], for the actions listed in record_actions
    POST /__proxy/reset     zero the counters, forget the recorded requests, refill the buckets
    POST /__proxy/config    JSON body with any of
        fail_rate, reset_rate, lost_rate, ec2_buckets
        record_actions  a list of API action names whose requests are recorded ("*": all)
        fault_actions   only these actions get faults (empty: every action)
        agent_rates     {"<User-Agent substring>": {"fail_rate": .., "reset_rate": .., "lost_rate": ..}}:
                        rates for the clients whose User-Agent contains it (e.g. "aws-sdk-go": Packer)
        fail_next       {"<action>": n}: the next n requests of the action get the throttling answer;
                        {"<action>": {"count": n, "code": "AccessDenied", "path": "/job.log"}}: the
                        next n requests of the action (only those whose path contains "path", when
                        given) get the service's error answer with that code (HTTP status as AWS
                        gives it: AccessDenied 403, InternalError 500, SlowDown 503 ...)
        lose_next       {"<action>": n}: the next n requests of the action are forwarded and their
                        answers lost (the connection is reset instead)
        next_agent      fail_next and lose_next count only clients whose User-Agent contains this
        deny            [{"action": "<action>", "params": {"<name>": "<value>"}, "status": 403,
                        "code": "UnauthorizedOperation", "message": ".."}]: every request of the action
                        whose parameters include those gets that error answer in the service's format
                        (code default UnauthorizedOperation; status default as AWS gives the code),
                        never forwarded, until deny is replaced (a refusal the emulator cannot give,
                        e.g. one scoped to a single resource, or S3 uploads denied for good)
        hold_after      {"count": n, "actions": [..]} or null: after n requests of those actions (any
                        action when empty), each further one is forwarded and its answer held until
                        hold_after is set to null, then the connection is reset: a client killed
                        while its calls are in flight
"""
import argparse
import html
import os
import http.client
import json
import random
import re
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
EC2_ERROR_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
    "<Message>{message}</Message></Error></Errors><RequestID>proxy</RequestID></Response>"
)
THROTTLE_JSON = '{"__type":"ThrottlingException","message":"Rate exceeded"}'
THROTTLE_QUERY_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>'
    "<Message>Rate exceeded</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
)
# HTTP status of the error codes tests ask for (others: 400), as AWS answers them.
ERROR_STATUS = {
    "AccessDenied": 403,
    "UnauthorizedOperation": 403,
    "Forbidden": 403,
    "InvalidAccessKeyId": 403,
    "SignatureDoesNotMatch": 403,
    "NoSuchBucket": 404,
    "NoSuchKey": 404,
    "InternalError": 500,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "SlowDown": 503,
    "RequestLimitExceeded": 503,
}

THROTTLE_S3_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    "<Message>Please reduce your request rate.</Message><RequestId>proxy</RequestId></Error>"
)

# The request parameter naming the resource an action changes, for per-resource counts.
RESOURCE_PARAMS = {
    "DeregisterImage": "ImageId",
    "DeleteSnapshot": "SnapshotId",
    "TerminateInstances": "InstanceId.1",
    "DeleteKeyPair": "KeyName",
    "DeleteSecurityGroup": "GroupId",
}


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
        self.lost_rate = args.lost_rate
        self.ec2_buckets = args.ec2_buckets
        self.record_actions = set()
        self.fault_actions = set()
        self.agent_rates = {}
        self.fail_next = {}
        self.next_agent = ""
        self.lose_next = {}
        self.hold_after = None
        self.deny = []
        self.released = threading.Condition(self.lock)
        self.random = random.Random(args.seed)
        self.clear()

    def clear(self):
        self.requests, self.throttled_by_action, self.buckets = {}, {}, {}
        self.by_resource, self.recorded = {}, []
        self.throttled = self.failed = self.reset = self.lost = self.held = self.denied = 0
        self.started = time.monotonic()

    def configure(self, conf):
        with self.lock:
            self.fail_rate = float(conf.get("fail_rate", self.fail_rate))
            self.reset_rate = float(conf.get("reset_rate", self.reset_rate))
            self.lost_rate = float(conf.get("lost_rate", self.lost_rate))
            self.ec2_buckets = bool(conf.get("ec2_buckets", self.ec2_buckets))
            self.record_actions = set(conf.get("record_actions", self.record_actions))
            self.fault_actions = set(conf.get("fault_actions", self.fault_actions))
            self.agent_rates = dict(conf.get("agent_rates", self.agent_rates))
            self.next_agent = str(conf.get("next_agent", self.next_agent))
            self.fail_next.update({a: fail_rule(n) for a, n in conf.get("fail_next", {}).items()})
            self.lose_next.update({a: int(n) for a, n in conf.get("lose_next", {}).items()})
            self.deny = list(conf.get("deny", self.deny))
            if "hold_after" in conf:
                hold = conf["hold_after"]
                self.hold_after = None if hold is None else {
                    "count": int(hold.get("count", 0)), "actions": set(hold.get("actions", [])), "seen": 0}
                self.released.notify_all()

    def rates_for(self, agent):
        """(reset, fail, lost) rates for a client: its agent_rates entry, else the global ones."""
        for part, rates in self.agent_rates.items():
            if part in agent:
                return (float(rates.get("reset_rate", self.reset_rate)), float(rates.get("fail_rate", self.fail_rate)),
                        float(rates.get("lost_rate", self.lost_rate)))
        return self.reset_rate, self.fail_rate, self.lost_rate

    def wait_for_release(self):
        """Blocks a held request until hold_after is cleared (at most ten minutes)."""
        deadline = time.monotonic() + 600
        with self.lock:
            while self.hold_after is not None and time.monotonic() < deadline:
                self.released.wait(1.0)

    def bucket_for(self, action):
        if action in EC2_BUCKETS:
            size, refill = EC2_BUCKETS[action]
        elif action.startswith("Describe"):
            size, refill = NON_MUTATING
        else:
            return None
        return self.buckets.setdefault(action, Bucket(size, refill))

    def denial(self, action, params):
        """The deny rule a request matches, else None."""
        with self.lock:
            for rule in self.deny:
                if rule.get("action") == action and all(
                        params.get(k) == v for k, v in rule.get("params", {}).items()):
                    return rule
            return None

    def decide(self, action, agent, params, path=""):
        """Returns 'deny', 'reset', 'fail', 'lost', 'hold', 'throttle' or 'forward' and the error code of a
        'fail' (None: the throttling answer), and counts it."""
        verdict = self._decide(action, agent, params, path)
        return verdict if isinstance(verdict, tuple) else (verdict, None)

    def _decide(self, action, agent, params, path):
        rule = self.denial(action, params)
        with self.lock:
            self.requests[action] = self.requests.get(action, 0) + 1
            if rule is not None:
                self.denied += 1
                return "deny"
            targeted = self.next_agent in agent
            rule = self.fail_next.get(action)
            if targeted and rule and rule["count"] > 0 and rule["path"] in path:
                rule["count"] -= 1
                self.failed += 1
                return "fail", rule["code"]
            if targeted and self.lose_next.get(action, 0) > 0:
                self.lose_next[action] -= 1
                self.lost += 1
                return "lost"
            hold = self.hold_after
            if hold is not None and (not hold["actions"] or action in hold["actions"]):
                hold["seen"] += 1
                if hold["seen"] > hold["count"]:
                    self.held += 1
                    return "hold"
            reset_rate, fail_rate, lost_rate = self.rates_for(agent)
            roll = self.random.random()
            faulty = not self.fault_actions or action in self.fault_actions
            if faulty and roll < reset_rate:
                self.reset += 1
                return "reset"
            if faulty and roll < reset_rate + fail_rate:
                self.failed += 1
                return "fail"
            if faulty and roll < reset_rate + fail_rate + lost_rate:
                self.lost += 1
                return "lost"
            bucket = self.bucket_for(action) if self.ec2_buckets else None
            if bucket is not None and not bucket.take():
                self.throttled += 1
                self.throttled_by_action[action] = self.throttled_by_action.get(action, 0) + 1
                return "throttle"
            return "forward"

    def settle(self, action, service, agent, params, verdict, status, code):
        """Counts what became of one request: per resource, and in full when its action is recorded."""
        with self.lock:
            key = RESOURCE_PARAMS.get(action)
            if key and params.get(key):
                counts = self.by_resource.setdefault(action, {}).setdefault(
                    params[key], {"requests": 0, "applied": 0})
                counts["requests"] += 1
                if status is not None and 200 <= status < 300:
                    counts["applied"] += 1
            if action in self.record_actions or "*" in self.record_actions:
                self.recorded.append({"action": action, "service": service, "agent": agent, "params": params,
                                      "verdict": verdict, "status": status, "code": code})

    def stats(self):
        with self.lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "total": sum(self.requests.values()),
                "throttled": self.throttled,
                "throttledByAction": dict(sorted(self.throttled_by_action.items())),
                "failed": self.failed,
                "reset": self.reset,
                "lost": self.lost,
                "held": self.held,
                "denied": self.denied,
                "byResource": {a: dict(sorted(r.items())) for a, r in sorted(self.by_resource.items())},
                "seconds": round(time.monotonic() - self.started, 3),
            }


def fail_rule(value):
    """A fail_next entry: a count (the throttling answer) or {"count", "code", "path"}."""
    if isinstance(value, dict):
        return {"count": int(value.get("count", 1)), "code": value.get("code"), "path": str(value.get("path", ""))}
    return {"count": int(value), "code": None, "path": ""}


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


def service_of(headers):
    """The signing name in the SigV4 credential scope: .../<date>/<region>/<service>/aws4_request."""
    auth = headers.get("Authorization", "")
    start = auth.find("Credential=")
    if start < 0:
        return ""
    scope = auth[start + len("Credential="):].split(",")[0].split("/")
    return scope[3] if len(scope) >= 5 else ""


def params_of(headers, body):
    """The request's parameters: form fields (first value of each) or the JSON body's object."""
    if not body:
        return {}
    text = body.decode("utf-8", "replace")
    if "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        return {k: v[0] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}
    if headers.get("X-Amz-Target"):
        try:
            parsed = json.loads(text)
            return parsed if isinstance(parsed, dict) else {}
        except ValueError:
            return {}
    return {}


def error_code_of(data):
    """The AWS error code in an error response body (XML <Code> or JSON __type), else None."""
    text = data.decode("utf-8", "replace")
    match = re.search(r"<Code>([^<]+)</Code>", text)
    if match:
        return match.group(1)
    try:
        kind = json.loads(text).get("__type")
        return kind.split("#")[-1] if kind else None
    except (ValueError, AttributeError):
        return None


def throttle_response(service, headers):
    """The service's own throttling answer: (HTTP status, content type, body)."""
    if headers.get("X-Amz-Target"):
        return 400, "application/x-amz-json-1.1", THROTTLE_JSON
    if service == "s3":
        return 503, "application/xml", THROTTLE_S3_XML
    if service in ("", "ec2"):
        return 503, "text/xml", THROTTLE_XML
    return 400, "text/xml", THROTTLE_QUERY_XML


def error_response(service, headers, code, message="injected by aws-proxy.py", status=None):
    """The service's error answer with this code: (HTTP status, content type, body)."""
    status = int(status or ERROR_STATUS.get(code, 400))
    if headers.get("X-Amz-Target"):
        return status, "application/x-amz-json-1.1", json.dumps({"__type": code, "message": message})
    code, message = html.escape(code), html.escape(message)
    if service == "s3":
        return status, "application/xml", (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            "<RequestId>proxy</RequestId></Error>" % (code, message))
    if service in ("", "ec2"):
        return status, "text/xml", EC2_ERROR_XML.format(code=code, message=message)
    return status, "text/xml", (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>'
        "<Message>%s</Message></Error><RequestId>proxy</RequestId></ErrorResponse>" % (code, message))


def make_handler(state, upstream):
    up = urllib.parse.urlparse(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle on, the client's delayed ACK would add
        # 40 ms to every answer and the proxy would no longer be transparent.
        disable_nagle_algorithm = True

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
                state.configure(json.loads(body or b"{}"))
                return self._send(200, "application/json", "{}")
            if self.command == "GET" and self.path == "/__proxy/requests":
                with state.lock:
                    recorded = list(state.recorded)
                return self._send(200, "application/json", json.dumps(recorded))
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
            service = service_of(self.headers)
            agent = self.headers.get("User-Agent", "")
            params = params_of(self.headers, body)
            verdict, code = state.decide(action, agent, params, urllib.parse.urlparse(self.path).path)
            if verdict == "deny":
                rule = state.denial(action, params) or {}
                code = rule.get("code", "UnauthorizedOperation")
                status, ctype, payload = error_response(service, self.headers, code, rule.get(
                    "message", "You are not authorized to perform this operation."), rule.get("status"))
                state.settle(action, service, agent, params, verdict, status, code)
                return self._send(status, ctype, payload)
            if verdict == "reset":
                state.settle(action, service, agent, params, verdict, None, None)
                return self._reset_connection()
            if verdict in ("fail", "throttle"):
                if code:
                    status, ctype, payload = error_response(service, self.headers, code)
                else:
                    status, ctype, payload = throttle_response(service, self.headers)
                state.settle(action, service, agent, params, verdict, status, error_code_of(payload.encode()))
                return self._send(status, ctype, payload)
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                code = error_code_of(data) if resp.status >= 300 else None
                state.settle(action, service, agent, params, verdict, resp.status, code)
                if verdict == "hold":
                    state.wait_for_release()
                if verdict in ("lost", "hold"):
                    return self._reset_connection()
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
    p.add_argument("--lost-rate", type=float, default=0.0)
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
