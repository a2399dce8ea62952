#!/usr/bin/env python3
"""An IMDSv2 stand-in on loopback for running launcher/first-boot outside EC2 (the benchmark).

A token only by PUT /latest/api/token with the TTL header; every other request needs it (401 otherwise).
Serves user-data, instance id, AMI id and region; spot/instance-action is 404 (no notice).

    fake-imds.py --port-file F --user-data 'AMI_PROJECT=bench' --instance-id i-… --ami-id ami-… [--region R]
"""
import argparse
import os
import secrets
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port-file", required=True)
    p.add_argument("--user-data", required=True)
    p.add_argument("--instance-id", required=True)
    p.add_argument("--ami-id", required=True)
    p.add_argument("--region", default="us-east-1")
    args = p.parse_args()
    tokens = set()
    paths = {
        "/latest/user-data": args.user_data,
        "/latest/meta-data/instance-id": args.instance_id,
        "/latest/meta-data/ami-id": args.ami_id,
        "/latest/meta-data/placement/region": args.region,
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _send(self, code, body=""):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                token = secrets.token_hex(16)
                tokens.add(token)
                return self._send(200, token)
            return self._send(400)

        def do_GET(self):
            if self.headers.get("X-aws-ec2-metadata-token") not in tokens:
                return self._send(401)
            body = paths.get(self.path)
            return self._send(200, body) if body is not None else self._send(404, "Not Found")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
