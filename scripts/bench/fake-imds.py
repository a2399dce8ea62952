#!/usr/bin/env python3
"""An IMDSv2 stand-in on loopback for running launcher/first-boot outside EC2 (the benchmark and the
launcher's bats tests).

A token only by PUT /latest/api/token with the TTL header; every other request needs a live one
(401 otherwise). Serves user-data (404 without --user-data), instance id, AMI id, region, instance
type, private IPv4 (local-ipv4; 404 without --local-ipv4) and the instance tags given with --tag (tags/instance: their keys, one a line; 404 without
any, as for an instance launched without instance tags in its metadata); spot/instance-action is
404 unless --spot-file names a file that exists, whose content is then the notice.

    fake-imds.py --port-file F [--user-data 'AMI_PROJECT=bench'] --instance-id i-… --ami-id ami-…
                 [--region R] [--instance-type T] [--local-ipv4 IP] [--tag KEY=VALUE]... [--token-seconds S]
                 [--spot-file F] [--request-log F]

--token-seconds caps a token's life (as if its TTL ran out sooner); --request-log gets one line per
request: METHOD PATH STATUS.
"""
import argparse
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SPOT_PATH = "/latest/meta-data/spot/instance-action"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port-file", required=True)
    p.add_argument("--user-data")
    p.add_argument("--instance-id", required=True)
    p.add_argument("--ami-id", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--instance-type", default="t3.micro")
    p.add_argument("--local-ipv4")
    p.add_argument("--tag", action="append", default=[], help="an instance tag, KEY=VALUE")
    p.add_argument("--token-seconds", type=float, default=21600)
    p.add_argument("--spot-file")
    p.add_argument("--request-log")
    args = p.parse_args()
    token_expiry = {}
    log_lock = threading.Lock()
    paths = {
        "/latest/user-data": args.user_data,
        "/latest/meta-data/instance-id": args.instance_id,
        "/latest/meta-data/ami-id": args.ami_id,
        "/latest/meta-data/placement/region": args.region,
        "/latest/meta-data/instance-type": args.instance_type,
        "/latest/meta-data/local-ipv4": args.local_ipv4,
    }
    tags = dict(t.split("=", 1) for t in args.tag)
    if tags:
        paths["/latest/meta-data/tags/instance"] = "\n".join(tags)
        paths.update({"/latest/meta-data/tags/instance/" + k: v for k, v in tags.items()})

    def spot_notice():
        try:
            with open(args.spot_file) as f:
                return f.read()
        except (TypeError, FileNotFoundError):
            return None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _send(self, code, body=""):
            if args.request_log:
                with log_lock, open(args.request_log, "a") as f:
                    f.write(f"{self.command} {self.path} {code}\n")
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                token = secrets.token_hex(16)
                token_expiry[token] = time.monotonic() + args.token_seconds
                return self._send(200, token)
            return self._send(400)

        def do_GET(self):
            expiry = token_expiry.get(self.headers.get("X-aws-ec2-metadata-token"))
            if expiry is None or time.monotonic() >= expiry:
                return self._send(401)
            body = spot_notice() if self.path == SPOT_PATH else paths.get(self.path)
            return self._send(200, body) if body is not None else self._send(404, "Not Found")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
