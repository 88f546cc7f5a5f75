"""Loopback stand-ins for the parts of AWS and EKS that cannot run here.
Each is named as a stand-in in the tests that use it.

  stand_ins.py replay --port P --rules FILE
      Answers each request with the first rule whose "match" occurs in its
      Action= parameter or X-Amz-Target ("*" matches all). A rule is
      {"match", "status", "headers", "body"}; the bodies are the exact error
      responses AWS documents, so the agent meets AWS's real error shapes.

  stand_ins.py fault-proxy --port P --upstream URL --rules FILE
      A proxy in front of the emulator that injects faults. A rule is
      {"service": "s3"|"dynamodb"|"sts"|"*", "action": optional, "path":
       optional (a substring of the request path), "fault": ..., "times":
       optional count, then the rule passes requests through}.
      Faults: "delay" (+ "seconds", then forwards), "status" (+ "status",
      "headers", "body": an AWS-shaped error), "reset" (TCP RST, no answer),
      "truncate" (half the upstream body, then close), "garbage" (the upstream
      status with a body that is neither XML nor JSON), "latency" (+ "seconds":
      answers late, replaying the first upstream answer for each kind of
      request: a stand-in for AWS's latency and parallel capacity, since the
      emulator answers one request at a time), "none" (forwards unchanged:
      only counted, so a test can assert a request was or was not made),
      "rewrite" (+ "set": {"Table.Field": value}: the upstream's JSON answer
      with those fields set, as if the world changed between two reads).
      "after": N lets the first N matching requests through before the rule
      applies. With --record FILE, every request is appended there as one
      JSON line {"method", "path", "action", "signed_for" (the SigV4 scope's
      service, or null when unsigned), "user_agent"} before it is handled.

  stand_ins.py pod-identity-agent --port P --emulator URL --role-arn ARN [--error-status N --error-body S]
      Plays the EKS Pod Identity agent (169.254.170.23): checks the
      Authorization header against the pod's token (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
      content, passed as --token-file), and hands out session credentials that
      the emulator minted for the role. Every credential it issues is appended
      to --issued, so tests can check none leaks into the agent's output.
      With --error-status it answers with that error instead (the agent's
      exact error body is not documented; the message text is AWS's).

  stand_ins.py imds --port P --token answer|hang|401 --v1 allowed|refused --requests FILE
      Plays a node's instance metadata service (169.254.169.254) with the
      instance role `node-role`. --token is how the IMDSv2 token PUT
      (/latest/api/token) fares: answered with a token; hung for 3 s and
      closed unanswered (what a pod behind a hop limit of 1 sees: the answer
      is dropped on its way); or refused with 401. --v1 is how tokenless GETs
      fare: answered (HttpTokens=optional) or refused with 401 (required).
      GETs with the issued token are always answered. The credentials path
      serves a fake secret (STAND-IN-NODE-SECRET...), so a test can see it
      leak if it were ever asked for. Every request is appended to --requests
      as one JSON line {"method", "path", "token"} before it is answered.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lifetime import exit_with_parent


class Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops bursts of connections, which
    # would make a concurrent client look serial.
    request_queue_size = 256
    daemon_threads = True




class Replay(BaseHTTPRequestHandler):
    rules = []

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        params = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        params.update(urllib.parse.parse_qs(body))
        action = (params.get("Action") or [""])[0] or self.headers.get("X-Amz-Target", "")
        for rule in self.rules:
            if rule["match"] == "*" or rule["match"] in action:
                self.send_response(rule.get("status", 200))
                out = rule.get("body", "").encode()
                for k, v in rule.get("headers", {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                return
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def date_time_string(self, timestamp=None):
        # A rule may fake the Date header (clock skew); otherwise the real one.
        for rule in self.rules:
            if "Date" in rule.get("headers", {}):
                return rule["headers"]["Date"]
        return super().date_time_string(timestamp)


def classify(method, path, headers, body):
    """(service, action) of a request, as the proxy's rules name them."""
    target = headers.get("X-Amz-Target", "")
    if target.startswith("DynamoDB_"):
        return "dynamodb", target.split(".", 1)[1]
    params = urllib.parse.parse_qs(body)
    if "Action" in params:
        return "sts", params["Action"][0]
    url = urllib.parse.urlparse(path)
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    key = url.path.strip("/").partition("/")[2]
    if method == "GET":
        return "s3", "GetObject" if key else ("ListObjectsV2" if "list-type" in query else "ListBucket")
    return "s3", {"PUT": "PutObject", "DELETE": "DeleteObject", "HEAD": "HeadObject"}.get(method, method)


class FaultProxy(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes: without TCP_NODELAY a kept-alive
    # connection waits ~40 ms for the client's delayed ACK between them.
    disable_nagle_algorithm = True
    upstream = None
    rules = []
    record = None
    lock = threading.Lock()
    # Requests being handled now, the most ever at once, and the total:
    # GET /__proxy_stats answers them (for concurrency tests).
    in_flight = 0
    max_in_flight = 0
    total = 0
    injected = 0
    replies = {}
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _rule(self, service, action):
        with self.lock:
            for rule in self.rules:
                if rule.get("service", "*") not in ("*", service):
                    continue
                if rule.get("action") not in (None, action):
                    continue
                if rule.get("path") is not None and rule["path"] not in self.path:
                    continue
                # "after": N lets the first N matching requests pass untouched.
                after = rule.get("after", 0)
                if after > 0:
                    rule["after"] = after - 1
                    continue
                times = rule.get("times")
                if times is not None:
                    if times <= 0:
                        continue
                    rule["times"] = times - 1
                # How many requests met a rule: a test can assert its fault happened.
                FaultProxy.injected += 1
                return rule
        return None

    def _forward(self, body):
        import http.client

        conn = http.client.HTTPConnection(self.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        out_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in ("transfer-encoding", "connection", "content-length")]
        conn.close()
        return resp.status, out_headers, data

    def _kind(self, service, action, raw):
        """Requests that get the same answer: random probe tokens and item
        keys aside, the same service, action and target."""
        import re

        target = re.sub(r"[0-9a-f]{32}", "*", urllib.parse.urlparse(self.path).path)
        if service == "dynamodb":
            try:
                target = json.loads(raw or b"{}").get("TableName", "")
            except ValueError:
                target = ""
        return (service, action, target)

    def _send(self, status, headers, data, declared=None, keep_alive=False):
        self._uncount()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(declared if declared is not None else len(data)))
        if not keep_alive:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = not keep_alive

    def _handle(self):
        if self.path == "/__proxy_stats":
            with self.lock:
                stats = {"max_in_flight": FaultProxy.max_in_flight, "total": FaultProxy.total, "injected": FaultProxy.injected}
            return self._send(200, [("Content-Type", "application/json")], json.dumps(stats).encode())
        with self.lock:
            FaultProxy.in_flight += 1
            FaultProxy.total += 1
            FaultProxy.max_in_flight = max(FaultProxy.max_in_flight, FaultProxy.in_flight)
        self._counted = True
        try:
            return self._handle_counted()
        finally:
            self._uncount()

    def _uncount(self):
        # Before the answer leaves: once the client has it, it may start the
        # next request, which must not overlap this one in the count.
        if getattr(self, "_counted", False):
            self._counted = False
            with self.lock:
                FaultProxy.in_flight -= 1

    def _handle_counted(self):
        import socket
        import struct

        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        service, action = classify(self.command, self.path, self.headers, raw.decode("utf-8", "replace"))
        if self.record:
            scope = self.headers.get("Authorization", "").partition("Credential=")[2].split("/")
            line = {
                "method": self.command,
                "path": self.path,
                "action": action,
                "signed_for": scope[3] if len(scope) > 3 else None,
                "user_agent": self.headers.get("User-Agent"),
                # A form or JSON body as sent (tests count identical
                # requests); a binary one is shown with replacements.
                "body": raw.decode("utf-8", errors="replace"),
            }
            with self.lock, open(self.record, "a") as f:
                f.write(json.dumps(line) + "\n")
        rule = self._rule(service, action)
        fault = rule["fault"] if rule else None
        if fault == "delay":
            time.sleep(rule.get("seconds", 5))
        if fault == "latency":
            time.sleep(rule.get("seconds", 0.025))
            kind = self._kind(service, action, raw)
            with self.lock:
                cached = self.replies.get(kind)
            if cached is None:
                cached = self._forward(raw)
                with self.lock:
                    self.replies.setdefault(kind, cached)
            # Kept alive, as AWS endpoints are: one connection serves many requests.
            return self._send(*cached, keep_alive=True)
        if fault == "status":
            body = rule.get("body", "").encode()
            return self._send(rule["status"], list(rule.get("headers", {}).items()), body)
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        status, headers, data = self._forward(raw)
        if fault == "rewrite":
            # The upstream's JSON answer with fields set ("Table.X": value):
            # the world changing between two reads, on cue.
            doc = json.loads(data or b"{}")
            for dotted, value in rule.get("set", {}).items():
                node = doc
                *path, last = dotted.split(".")
                for part in path:
                    node = node.setdefault(part, {})
                node[last] = value
            return self._send(status, headers, json.dumps(doc).encode())
        if fault == "truncate":
            return self._send(status, headers, data[: len(data) // 2], declared=len(data))
        if fault == "garbage":
            return self._send(status, [("Content-Type", "text/plain")], b"<<<%%% not xml, not json %%%>>>")
        return self._send(status, headers, data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class PodIdentityAgent(BaseHTTPRequestHandler):
    args = None

    def log_message(self, *args):
        pass

    def _json(self, status, obj):
        out = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        a = self.args
        with open(a.token_file) as f:
            expected = f.read().strip()
        if self.headers.get("Authorization", "") != expected:
            return self._json(400, {"code": "InvalidParameterException", "message": "Service account token cannot be parsed"})
        if a.error_status:
            return self._json(a.error_status, {"code": "AccessDeniedException", "message": a.error_body})
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        # The emulator mints real session credentials for the role.
        sts = boto3.client("sts", endpoint_url=a.emulator, region_name="eu-west-1", config=Config(signature_version=UNSIGNED))
        c = sts.assume_role_with_web_identity(RoleArn=a.role_arn, RoleSessionName="eks-demo-pod-identity", WebIdentityToken=expected)["Credentials"]
        creds = {
            "AccessKeyId": c["AccessKeyId"],
            "SecretAccessKey": c["SecretAccessKey"],
            "Token": c["SessionToken"],
            "Expiration": c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "AccountId": a.role_arn.split(":")[4],
        }
        with open(a.issued, "a") as f:
            f.write(json.dumps(creds) + "\n")
        self._json(200, creds)


class Imds(BaseHTTPRequestHandler):
    args = None
    token = "AQAEAStandInImdsV2Token" + os.urandom(8).hex()
    role = "node-role"
    # Never a real secret: it only has to be recognisable in the agent's output.
    secret = "STAND-IN-NODE-SECRET-" + os.urandom(8).hex()
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def _record(self, has_token):
        with self.lock, open(self.args.requests, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "token": has_token}) + "\n")

    def _text(self, status, body):
        out = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_PUT(self):
        self._record(False)
        if self.path != "/latest/api/token":
            return self._text(404, "")
        if self.args.token == "hang":
            # The real answer is dropped on its way to the pod: the client sees nothing.
            time.sleep(3)
            self.close_connection = True
            return
        if self.args.token == "401":
            return self._text(401, "")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-aws-ec2-metadata-token-ttl-seconds", self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "21600"))
        self.send_header("Content-Length", str(len(self.token)))
        self.end_headers()
        self.wfile.write(self.token.encode())

    def do_GET(self):
        given = self.headers.get("X-aws-ec2-metadata-token")
        self._record(given is not None)
        if given is not None and given != self.token:
            return self._text(401, "")
        if given is None and self.args.v1 == "refused":
            return self._text(401, "")
        prefix = "/latest/meta-data/iam/security-credentials/"
        if self.path == prefix:
            return self._text(200, self.role)
        if self.path == prefix + self.role:
            creds = {
                "Code": "Success",
                "Type": "AWS-HMAC",
                "AccessKeyId": "ASIASTANDINNODEROLE0",
                "SecretAccessKey": self.secret,
                "Token": self.secret + "-token",
                "Expiration": "2099-01-01T00:00:00Z",
            }
            return self._text(200, json.dumps(creds))
        return self._text(404, "")


def make_certificates(directory):
    """A throwaway CA (ca.pem) and a certificate for 127.0.0.1 signed by it."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "irsa-verify test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    os.makedirs(directory, exist_ok=True)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)  # noqa: E731
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(pem(ca))
    with open(os.path.join(directory, "cert.pem"), "wb") as f:
        f.write(pem(cert))
    with open(os.path.join(directory, "key.pem"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kind", choices=["replay", "pod-identity-agent", "fault-proxy", "imds"])
    p.add_argument("--upstream")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--parent-pid", type=int)
    p.add_argument("--rules")
    p.add_argument("--emulator")
    p.add_argument("--role-arn")
    p.add_argument("--token-file")
    p.add_argument("--issued")
    p.add_argument("--error-status", type=int)
    p.add_argument("--error-body", default="")
    p.add_argument("--token", choices=["answer", "hang", "401"], default="answer", help="imds: the IMDSv2 token PUT")
    p.add_argument("--v1", choices=["allowed", "refused"], default="allowed", help="imds: tokenless GETs")
    p.add_argument("--requests", help="imds: every request is appended here as a JSON line")
    p.add_argument("--record", help="fault-proxy: every request is appended here as a JSON line")
    p.add_argument("--tls-dir", help="serve HTTPS with a throwaway CA written here (ca.pem)")
    a = p.parse_args()
    if a.parent_pid:
        exit_with_parent(a.parent_pid)
    if a.kind == "replay":
        with open(a.rules) as f:
            Replay.rules = json.load(f)
        handler = Replay
    elif a.kind == "fault-proxy":
        with open(a.rules) as f:
            FaultProxy.rules = json.load(f)
        FaultProxy.upstream = urllib.parse.urlparse(a.upstream).netloc
        FaultProxy.record = a.record
        handler = FaultProxy
    elif a.kind == "imds":
        if not a.requests:
            p.error("imds needs --requests FILE")
        Imds.args = a
        handler = Imds
    else:
        PodIdentityAgent.args = a
        handler = PodIdentityAgent
    # Certificates first: a client may connect as soon as the port listens.
    chain = make_certificates(a.tls_dir) if a.tls_dir else None
    server = Server(("127.0.0.1", a.port), handler)
    if chain:
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*chain)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"{a.kind} listening on 127.0.0.1:{a.port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
